//! The version row as it is read, named in one place: the columns every query selects
//! (`VERSION_COLUMNS`) and `VersionRow`, which reads them back by name on either backend (the
//! columns an append writes are named beside its INSERT, in `append.rs`). Text is taken as
//! stored (the database holds it to the domain's rules); a status, operation or priority the
//! domain does not know is a decode error, never a panic.

use chrono::NaiveDate;

use super::backend::{DbId, DbInstant};
use crate::task::{
    Actor, Description, EntityId, FeedEntry, FieldError, Note, Priority, TaskFields, TaskTitle,
    TaskVersion,
};

/// The columns of `task_versions` a version is read from, through the table alias `v`.
pub(crate) const VERSION_COLUMNS: &str = "v.position, v.id, v.entity_id, v.version, v.title, \
     v.description, v.status, v.priority, v.due_date, v.op, v.recorded_at, v.valid_from, \
     v.deleted_at, v.actor, v.note, v.prev_hash, v.hash";

/// The fields of the version a change replaced, through the alias `p` (all NULL for a first
/// version), named apart from the version's own columns.
pub(crate) const PREVIOUS_COLUMNS: &str = "p.version AS previous_version, \
     p.title AS previous_title, p.description AS previous_description, \
     p.status AS previous_status, p.priority AS previous_priority, \
     p.due_date AS previous_due_date";

/// A version as stored, before the domain has read it.
#[derive(sqlx::FromRow)]
pub(crate) struct VersionRow {
    position: i64,
    id: DbId,
    entity_id: DbId,
    version: i64,
    title: String,
    description: Option<String>,
    status: String,
    priority: i16,
    due_date: Option<NaiveDate>,
    op: String,
    recorded_at: DbInstant,
    valid_from: Option<DbInstant>,
    deleted_at: Option<DbInstant>,
    actor: String,
    note: Option<String>,
    prev_hash: Option<String>,
    hash: String,
}

/// A change-feed row: the version, then the fields of the version it replaced.
#[derive(sqlx::FromRow)]
pub(crate) struct FeedRow {
    #[sqlx(flatten)]
    version: VersionRow,
    previous_version: Option<i64>,
    previous_title: Option<String>,
    previous_description: Option<String>,
    previous_status: Option<String>,
    previous_priority: Option<i16>,
    previous_due_date: Option<NaiveDate>,
}

fn decode_error(error: FieldError) -> sqlx::Error {
    sqlx::Error::Decode(format!("stored task version has a bad {error}").into())
}

/// A task's fields as stored. The text is taken as it is (see `stored_text!` in
/// `task::fields`); the status and priority become their domain types.
fn fields(
    title: String,
    description: Option<String>,
    status: &str,
    priority: i16,
    due_date: Option<NaiveDate>,
) -> Result<TaskFields, sqlx::Error> {
    Ok(TaskFields {
        title: TaskTitle::stored(title),
        description: description.map(Description::stored),
        status: status.parse().map_err(decode_error)?,
        priority: Priority::try_from(i64::from(priority)).map_err(decode_error)?,
        due_date,
    })
}

impl TryFrom<VersionRow> for TaskVersion {
    type Error = sqlx::Error;

    fn try_from(row: VersionRow) -> Result<Self, Self::Error> {
        Ok(TaskVersion {
            id: row.id.0,
            entity_id: EntityId::from_uuid(row.entity_id.0),
            version: row.version,
            position: row.position,
            fields: fields(
                row.title,
                row.description,
                &row.status,
                row.priority,
                row.due_date,
            )?,
            op: row.op.parse().map_err(decode_error)?,
            recorded_at: row.recorded_at.0,
            valid_from: row.valid_from.map(|at| at.0),
            deleted_at: row.deleted_at.map(|at| at.0),
            actor: Actor::stored(row.actor),
            note: row.note.map(Note::stored),
            prev_hash: row.prev_hash,
            hash: row.hash,
        })
    }
}

impl TryFrom<FeedRow> for FeedEntry {
    type Error = sqlx::Error;

    fn try_from(row: FeedRow) -> Result<Self, Self::Error> {
        let previous = match (
            row.previous_version,
            row.previous_title,
            row.previous_status,
            row.previous_priority,
        ) {
            (Some(_), Some(title), Some(status), Some(priority)) => Some(fields(
                title,
                row.previous_description,
                &status,
                priority,
                row.previous_due_date,
            )?),
            (Some(_), ..) => {
                return Err(sqlx::Error::Decode(
                    "the version a change replaced lacks a required field".into(),
                ))
            }
            (None, ..) => None,
        };
        Ok(FeedEntry {
            version: row.version.try_into()?,
            previous,
        })
    }
}
