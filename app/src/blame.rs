//! Blame and field history: for each field of a task, the values it held over time, each with
//! the version that set it, who, when (recorded and valid) and why. The last value is the
//! current one, so its setter is the field's blame. Folded from the task's own history, so the
//! cost grows with that task's versions, never with the whole log.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One field of a task and every value it held, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldHistory {
    /// The field's name as forms and the API use it (`title`, `due_date`, …).
    pub field: String,
    pub label: String,
    pub values: Vec<FieldValue>,
}

impl FieldHistory {
    /// The value the field holds now, with the version that set it.
    pub fn current(&self) -> Option<&FieldValue> {
        self.values.last()
    }
}

/// A value a field took, and the change that gave it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldValue {
    /// As shown to people; `None` when the change emptied the field.
    pub value: Option<String>,
    pub version: i64,
    pub actor: String,
    pub recorded_at: DateTime<Utc>,
    pub valid_since: DateTime<Utc>,
    pub note: Option<String>,
}

/// Every field's history, in form order, from a task's versions oldest first. A version that
/// leaves a field as it was (a delete, a restore, an edit of other fields) adds nothing to it;
/// a first version sets every field it fills.
#[cfg(feature = "ssr")]
pub fn blame(history: &[crate::task::TaskVersion]) -> Vec<FieldHistory> {
    use crate::diff::shown;

    let mut fields: Vec<FieldHistory> = Vec::new();
    for version in history {
        for (index, (field, label, value)) in shown(&version.fields).into_iter().enumerate() {
            if fields.len() <= index {
                fields.push(FieldHistory {
                    field: field.to_owned(),
                    label: label.to_owned(),
                    values: Vec::new(),
                });
            }
            let values = &mut fields[index].values;
            let unchanged = match values.last() {
                Some(last) => last.value == value,
                None => value.is_none(),
            };
            if unchanged {
                continue;
            }
            values.push(FieldValue {
                value,
                version: version.version,
                actor: version.actor.as_str().to_owned(),
                recorded_at: version.recorded_at,
                valid_since: version.valid_since(),
                note: version.note.as_ref().map(|note| note.as_str().to_owned()),
            });
        }
    }
    fields
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use crate::task::{Actor, EntityId, Note, Op, Status, TaskFields, TaskInput, TaskVersion};

    fn version(number: i64, title: &str, status: Status, actor: &str, note: &str) -> TaskVersion {
        let mut fields = TaskFields::parse(&TaskInput {
            title: title.to_owned(),
            ..TaskInput::default()
        })
        .unwrap();
        fields.status = status;
        let at = DateTime::from_timestamp(1_800_000_000 + number * 60, 0).unwrap();
        TaskVersion {
            id: uuid::Uuid::now_v7(),
            entity_id: EntityId::from_uuid(uuid::Uuid::nil()),
            version: number,
            position: number,
            fields,
            op: if number == 1 {
                Op::Created
            } else {
                Op::Updated
            },
            recorded_at: at,
            valid_from: Some(at),
            deleted_at: None,
            actor: Actor::parse(actor).unwrap(),
            note: Note::parse(note).unwrap(),
            prev_hash: None,
            hash: String::new(),
        }
    }

    #[test]
    fn each_field_names_the_versions_that_set_its_values_and_the_last_is_its_blame() {
        let history = [
            version(1, "Draft", Status::Todo, "ada", ""),
            version(2, "Draft", Status::InProgress, "bo", "started"),
            version(3, "Final", Status::InProgress, "cy", "renamed"),
            version(4, "Final", Status::Done, "ada", "shipped"),
        ];

        let fields = blame(&history);

        let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            names,
            ["title", "description", "status", "priority", "due_date"]
        );
        let title: Vec<(i64, Option<&str>)> = fields[0]
            .values
            .iter()
            .map(|v| (v.version, v.value.as_deref()))
            .collect();
        assert_eq!(title, [(1, Some("Draft")), (3, Some("Final"))]);
        let status = fields[2].current().unwrap();
        assert_eq!(
            (
                status.version,
                status.actor.as_str(),
                status.note.as_deref()
            ),
            (4, "ada", Some("shipped"))
        );
        assert_eq!(fields[2].values.len(), 3);
        assert!(
            fields[1].values.is_empty(),
            "a description never set has no history"
        );
        assert_eq!(
            fields[3].values.len(),
            1,
            "priority 0 was set by the creation"
        );
    }
}
