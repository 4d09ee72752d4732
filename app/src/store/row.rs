//! Turning a stored row back into a `TaskVersion`. Each backend reads its own column types into
//! `RawVersion`; the domain parsing that follows is shared, and a value the domain rejects is a
//! decode error, never a panic.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::VERSION_COLUMN_COUNT;
use crate::task::{
    Actor, BoardTimeline, Description, EntityId, FeedEntry, FieldError, Note, Priority, TaskFields,
    TaskTitle, TaskVersion,
};

pub(super) struct RawVersion {
    pub position: i64,
    pub id: Uuid,
    pub entity_id: Uuid,
    pub version: i64,
    pub title: String,
    pub description: Option<String>,
    pub status: String,
    pub priority: i64,
    pub due_date: Option<NaiveDate>,
    pub op: String,
    pub recorded_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub actor: String,
    pub note: Option<String>,
    pub prev_hash: Option<String>,
    pub hash: String,
}

fn decode_error(error: FieldError) -> sqlx::Error {
    sqlx::Error::Decode(format!("stored task version has a bad {error}").into())
}

/// Stored text must read back exactly as written: text that parsing would alter (stray
/// whitespace slipped in by hand, say) is reported instead of being silently tidied.
fn exact<T>(
    parsed: Result<T, FieldError>,
    stored: &str,
    written: impl Fn(&T) -> &str,
) -> Result<T, sqlx::Error> {
    let value = parsed.map_err(decode_error)?;
    if written(&value) == stored {
        Ok(value)
    } else {
        Err(decode_error(FieldError::new(
            "text",
            format!("value {stored:?} that is not in canonical form"),
        )))
    }
}

impl RawVersion {
    pub(super) fn into_version(self) -> Result<TaskVersion, sqlx::Error> {
        let description = match &self.description {
            Some(text) => Some(exact(
                Description::parse(text)
                    .and_then(|d| d.ok_or(FieldError::new("description", "is stored blank"))),
                text,
                Description::as_str,
            )?),
            None => None,
        };
        let note = match &self.note {
            Some(text) => Some(exact(
                Note::parse(text).and_then(|n| n.ok_or(FieldError::new("note", "is stored blank"))),
                text,
                Note::as_str,
            )?),
            None => None,
        };
        Ok(TaskVersion {
            id: self.id,
            entity_id: EntityId::from_uuid(self.entity_id),
            version: self.version,
            position: self.position,
            fields: TaskFields {
                title: exact(
                    TaskTitle::parse(&self.title),
                    &self.title,
                    TaskTitle::as_str,
                )?,
                description,
                status: self.status.parse().map_err(decode_error)?,
                priority: Priority::try_from(self.priority).map_err(decode_error)?,
                due_date: self.due_date,
            },
            op: self.op.parse().map_err(decode_error)?,
            recorded_at: self.recorded_at,
            deleted_at: self.deleted_at,
            actor: exact(Actor::parse(&self.actor), &self.actor, Actor::as_str)?,
            note,
            prev_hash: self.prev_hash,
            hash: self.hash,
        })
    }
}

/// A change-feed row carries the version and then, LEFT JOINed, the version it replaced: all NULL
/// for a first version. `read_from` is the backend's reader for the version starting at a column.
pub(super) fn feed_entry<'r, R>(
    row: &'r R,
    read_from: fn(&R, usize) -> Result<TaskVersion, sqlx::Error>,
) -> Result<FeedEntry, sqlx::Error>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let has_previous = row
        .try_get::<Option<i64>, _>(VERSION_COLUMN_COUNT)?
        .is_some();
    Ok(FeedEntry {
        version: read_from(row, 0)?,
        previous: match has_previous {
            true => Some(read_from(row, VERSION_COLUMN_COUNT)?.fields),
            false => None,
        },
    })
}

/// The time-travel control's row (`pages::timeline`): three positions, integers on both backends.
pub(super) fn timeline<'r, R>(row: &'r R) -> Result<BoardTimeline, sqlx::Error>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(BoardTimeline {
        position: row.try_get(0)?,
        next_position: row.try_get(1)?,
        head: row.try_get(2)?,
    })
}
