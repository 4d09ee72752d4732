//! What changed between two versions of a task, field by field. The comparison runs on the server
//! (the diff library stays out of the browser bundle); the result crosses the wire as plain data.

use serde::{Deserialize, Serialize};

/// One field whose value differs between two versions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// The field's name as forms and errors use it (`title`, `due_date`, …).
    pub field: String,
    pub label: String,
    /// The value before, as shown to people; `None` when the field was empty.
    pub old: Option<String>,
    pub new: Option<String>,
    /// For long text (the description): the words kept, removed and added, in reading order.
    pub words: Vec<WordSpan>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WordSpan {
    pub change: WordChange,
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WordChange {
    Kept,
    Removed,
    Added,
}

#[cfg(feature = "ssr")]
pub use compare::changes;

/// A task's fields as people see them, in form order: `(field, label, value)`, `None` when
/// the field is empty.
#[cfg(feature = "ssr")]
pub fn shown(
    fields: &crate::task::TaskFields,
) -> [(&'static str, &'static str, Option<String>); 5] {
    [
        ("title", "Title", Some(fields.title.as_str().to_owned())),
        (
            "description",
            "Description",
            fields
                .description
                .as_ref()
                .map(|text| text.as_str().to_owned()),
        ),
        ("status", "Status", Some(fields.status.label().to_owned())),
        (
            "priority",
            "Priority",
            Some(format!("P{}", fields.priority.value())),
        ),
        (
            "due_date",
            "Due date",
            fields
                .due_date
                .map(|date| date.format("%Y-%m-%d").to_string()),
        ),
    ]
}

#[cfg(feature = "ssr")]
mod compare {
    use std::time::{Duration, Instant};

    use similar::{ChangeTag, TextDiff};

    use super::{shown, FieldChange, WordChange, WordSpan};
    use crate::task::TaskFields;

    /// The most one word diff may take. Two long, unrelated descriptions can cost the diff
    /// algorithm seconds; past this it gives up and the field is shown as replaced whole.
    const WORD_DIFF_BUDGET: Duration = Duration::from_millis(50);

    /// The fields that differ from `old` to `new`, in form order. With no `old` (a first
    /// version) every non-empty field counts as added.
    pub fn changes(old: Option<&TaskFields>, new: &TaskFields) -> Vec<FieldChange> {
        let before = old.map(shown);
        shown(new)
            .into_iter()
            .enumerate()
            .filter_map(|(index, (field, label, new))| {
                let old = before.as_ref().and_then(|before| before[index].2.clone());
                if old == new {
                    return None;
                }
                let words = match (field, &old, &new) {
                    ("description", Some(old), Some(new)) => word_diff(old, new),
                    _ => Vec::new(),
                };
                Some(FieldChange {
                    field: field.to_owned(),
                    label: label.to_owned(),
                    old,
                    new,
                    words,
                })
            })
            .collect()
    }

    /// Word-level spans, neighbours of the same kind merged so the markup stays small; none
    /// when the diff ran out of time (the change is then shown as old value → new value).
    fn word_diff(old: &str, new: &str) -> Vec<WordSpan> {
        let deadline = Instant::now() + WORD_DIFF_BUDGET;
        let diff = TextDiff::configure()
            .deadline(deadline)
            .diff_words(old, new);
        if Instant::now() >= deadline {
            return Vec::new();
        }
        let mut spans: Vec<WordSpan> = Vec::new();
        for change in diff.iter_all_changes() {
            let kind = match change.tag() {
                ChangeTag::Equal => WordChange::Kept,
                ChangeTag::Delete => WordChange::Removed,
                ChangeTag::Insert => WordChange::Added,
            };
            match spans.last_mut() {
                Some(last) if last.change == kind => last.text.push_str(change.value()),
                _ => spans.push(WordSpan {
                    change: kind,
                    text: change.value().to_owned(),
                }),
            }
        }
        spans
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::task::{TaskFields, TaskInput};

        fn fields(title: &str, description: &str, priority: &str) -> TaskFields {
            TaskFields::parse(&TaskInput {
                title: title.to_owned(),
                description: description.to_owned(),
                priority: priority.to_owned(),
                ..TaskInput::default()
            })
            .unwrap()
        }

        #[test]
        fn only_changed_fields_are_listed_with_old_and_new_values() {
            let old = fields("Write slides", "", "1");
            let new = fields("Write slides", "", "4");
            let changes = changes(Some(&old), &new);
            assert_eq!(changes.len(), 1);
            assert_eq!(changes[0].field, "priority");
            assert_eq!(changes[0].old.as_deref(), Some("P1"));
            assert_eq!(changes[0].new.as_deref(), Some("P4"));
        }

        #[test]
        fn a_first_version_adds_every_filled_field() {
            let new = fields("Write slides", "About triggers", "0");
            let names: Vec<_> = changes(None, &new)
                .into_iter()
                .map(|change| change.field)
                .collect();
            assert_eq!(names, ["title", "description", "status", "priority"]);
        }

        #[test]
        fn two_long_unrelated_descriptions_fall_back_to_a_whole_field_change_in_time() {
            let words = |seed: u64| -> String {
                (0..2_500u64)
                    .map(|i| format!("w{} ", (i * 7_919 + seed * 104_729) % 100_003))
                    .collect::<String>()
                    .chars()
                    .take(crate::task::DESCRIPTION_MAX_CHARS)
                    .collect()
            };
            let old = fields("t", &words(1), "0");
            let new = fields("t", &words(2), "0");
            let started = Instant::now();
            let changes = changes(Some(&old), &new);
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "{:?}",
                started.elapsed()
            );
            assert_eq!(changes[0].field, "description");
            assert!(changes[0].old.is_some() && changes[0].new.is_some());
        }

        #[test]
        fn descriptions_are_compared_word_by_word() {
            let old = fields("t", "rows are never updated", "0");
            let new = fields("t", "rows are never deleted or updated", "0");
            let words = &changes(Some(&old), &new)[0].words;
            let added: String = words
                .iter()
                .filter(|span| span.change == WordChange::Added)
                .map(|span| span.text.as_str())
                .collect();
            assert_eq!(added.trim(), "deleted or");
            assert!(words.iter().all(|span| span.change != WordChange::Removed));
        }
    }
}
