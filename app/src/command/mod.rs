//! The writes, one file each: create, update (and patch), delete and restore, revert. A file
//! holds its form, the command both doors build from what they received (a form post or an
//! `/api/v1` request), how the command runs against the store, and the form's server function.
//! Neither door calls the store's write methods itself, so a write means the same whichever
//! door it came through. This module holds the parsing they share.
//!
//! Parsing is pure, so the browser compiles it too; running is server-only. What a door alone
//! knows stays at that door: form defaults (the remembered actor), HTTP preconditions
//! (`If-Match`), and how an answer is told (a redirect or problem details).

mod create;
mod delete;
mod revert;
mod update;

pub use create::*;
pub use delete::*;
pub use revert::*;
pub use update::*;

use chrono::{DateTime, Utc};

use crate::error::AppError;
use crate::task::idempotency::IdempotencyKey;
use crate::task::{ChangeMeta, EntityId, FieldError, TaskFields, TaskInput};

/// The rule a version number obeys, worded alike at both doors.
pub const VERSION_RULE: &str = "must be a version number (1, 2, 3, …)";

/// A version's number: 1 or more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VersionNumber(i64);

impl VersionNumber {
    /// `field` names where the number came from, for the error.
    pub fn parse(field: &str, number: i64) -> Result<Self, FieldError> {
        match number {
            1.. => Ok(Self(number)),
            _ => Err(FieldError::new(field, VERSION_RULE)),
        }
    }

    /// A number as a form or query string sends it.
    pub fn from_text(field: &str, raw: &str) -> Result<Self, FieldError> {
        let number = raw
            .trim()
            .parse()
            .map_err(|_| FieldError::new(field, VERSION_RULE))?;
        Self::parse(field, number)
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// The task a form or URL names. Text that cannot be a task's id names no task: not found.
pub fn parse_entity_id(raw: &str) -> Result<EntityId, AppError> {
    raw.parse().map_err(|_| AppError::NotFound)
}

pub use crate::task::VALID_FROM;

/// Since when a change holds, as typed in a form: blank means now. Whether it
/// lies in the future or before the task existed, only the store can tell (by the database's
/// clock and the task's first version).
#[cfg(any(feature = "ssr", test))]
pub fn parse_valid_from(raw: &str) -> Result<Option<DateTime<Utc>>, FieldError> {
    match raw.trim() {
        "" => Ok(None),
        raw => crate::time::parse_instant(VALID_FROM, raw).map(Some),
    }
}

/// Since when a change holds, as the API sends it: absent or `null` means now; anything else
/// must be RFC 3339, as its document says.
#[cfg(feature = "ssr")]
pub fn parse_sent_valid_from(sent: Option<&str>) -> Result<Option<DateTime<Utc>>, FieldError> {
    sent.map(|raw| crate::time::parse_rfc3339(VALID_FROM, raw))
        .transpose()
}

/// Who makes a change, why and since when, and the submission's key, every broken rule reported
/// at once. A door reads the key and the valid time its own way (a form's field, a request
/// header, a JSON member) and hands over the outcome.
pub fn parse_meta(
    actor: &str,
    note: &str,
    valid_from: Result<Option<DateTime<Utc>>, FieldError>,
    idempotency_key: Result<Option<IdempotencyKey>, FieldError>,
) -> Result<ChangeMeta, Vec<FieldError>> {
    match (ChangeMeta::parse(actor, note), valid_from, idempotency_key) {
        (Ok(meta), Ok(valid_from), Ok(key)) => {
            Ok(meta.with_idempotency_key(key).with_valid_from(valid_from))
        }
        (meta, valid_from, key) => Err(meta
            .err()
            .into_iter()
            .flatten()
            .chain(valid_from.err())
            .chain(key.err())
            .collect()),
    }
}

/// Who changes a task and why, read from a button's form: a blank name is the remembered one.
#[cfg(feature = "ssr")]
fn button_meta(actor: &str, note: &str, idempotency_key: &str) -> Result<ChangeMeta, AppError> {
    Ok(parse_meta(
        &crate::server_fns::context::actor_or_remembered(actor),
        note,
        Ok(None),
        IdempotencyKey::parse(idempotency_key),
    )?)
}

/// A task's fields and who sets them: what a create and an edit carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskChange {
    fields: TaskFields,
    meta: ChangeMeta,
}

impl TaskChange {
    /// Parses the fields and the change's metadata, reporting every broken rule at once so a
    /// form can mark them all.
    pub fn parse(
        input: &TaskInput,
        actor: &str,
        note: &str,
        valid_from: Result<Option<DateTime<Utc>>, FieldError>,
        idempotency_key: Result<Option<IdempotencyKey>, FieldError>,
    ) -> Result<Self, AppError> {
        match (
            TaskFields::parse(input),
            parse_meta(actor, note, valid_from, idempotency_key),
        ) {
            (Ok(fields), Ok(meta)) => Ok(Self { fields, meta }),
            (fields, meta) => Err(AppError::Invalid(
                [fields.err(), meta.err()]
                    .into_iter()
                    .flatten()
                    .flatten()
                    .collect(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(title: &str) -> TaskInput {
        TaskInput {
            title: title.to_owned(),
            ..TaskInput::default()
        }
    }

    #[test]
    fn a_change_reports_the_broken_rules_of_fields_meta_and_key_together() {
        let key = IdempotencyKey::parse("not a uuid");

        let valid_from = parse_valid_from("last tuesday");

        let error =
            TaskChange::parse(&input(""), &"a".repeat(101), "", valid_from, key).unwrap_err();

        let AppError::Invalid(errors) = error else {
            panic!("expected a validation error, got {error:?}");
        };
        let fields: Vec<_> = errors.iter().map(|error| error.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "title",
                "actor",
                VALID_FROM,
                crate::task::idempotency::FIELD
            ]
        );
    }

    #[test]
    fn a_patch_replaces_the_fields_it_names_and_keeps_the_rest() {
        let base = TaskFields::parse(&TaskInput {
            title: "Base".to_owned(),
            description: "kept".to_owned(),
            priority: "3".to_owned(),
            due_date: "2026-01-02".to_owned(),
            ..TaskInput::default()
        })
        .unwrap();
        let patch = FieldsPatch {
            title: Some("New".to_owned()),
            due_date: Some(None),
            ..FieldsPatch::default()
        };

        let merged = patch.apply(&base);

        assert_eq!(
            merged,
            TaskInput {
                title: "New".to_owned(),
                description: "kept".to_owned(),
                status: "todo".to_owned(),
                priority: "3".to_owned(),
                due_date: String::new(),
            }
        );
    }

    #[test]
    fn version_zero_negative_or_not_a_number_is_refused_naming_the_field() {
        for raw in ["0", "-1", "x", "", "1.5"] {
            let error = VersionNumber::from_text("version", raw).unwrap_err();

            assert_eq!(error, FieldError::new("version", VERSION_RULE), "{raw:?}");
        }
        assert_eq!(
            VersionNumber::from_text("to", " 7 ").map(VersionNumber::get),
            Ok(7)
        );
    }
}
