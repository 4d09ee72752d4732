//! The task as both sides of the wire see it: the version row and its enums (here), the
//! newtypes that turn raw form input into values the store can trust (`fields`: parsing happens
//! there once, in the browser for instant feedback and again on the server, which has the final
//! word), and what the lists and the change feed are asked for and answer (`query`).

mod fields;
pub mod idempotency;
pub mod paging;
mod query;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use fields::*;
pub use query::*;

/// Stable identity of a task across all of its versions; the id used in URLs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EntityId(Uuid);

impl EntityId {
    pub fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl FromStr for EntityId {
    type Err = FieldError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(raw.trim())
            .map(Self)
            .map_err(|_| FieldError::new("entity_id", "is not a valid task id"))
    }
}

impl fmt::Display for EntityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a task stands in its workflow. Stored as the snake_case text shown by `as_str`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Todo,
    InProgress,
    Done,
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Todo,
        Status::InProgress,
        Status::Done,
        Status::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Todo => "todo",
            Status::InProgress => "in_progress",
            Status::Done => "done",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Todo => "To do",
            Status::InProgress => "In progress",
            Status::Done => "Done",
            Status::Cancelled => "Cancelled",
        }
    }
}

impl FromStr for Status {
    type Err = FieldError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|status| status.as_str() == raw.trim())
            .ok_or_else(|| {
                FieldError::new(
                    "status",
                    "must be one of todo, in_progress, done, cancelled",
                )
            })
    }
}

/// What a version did to its task. Every row of the version table carries one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Created,
    Updated,
    Deleted,
    Restored,
    Reverted,
}

impl Op {
    pub const ALL: [Op; 5] = [
        Op::Created,
        Op::Updated,
        Op::Deleted,
        Op::Restored,
        Op::Reverted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Op::Created => "created",
            Op::Updated => "updated",
            Op::Deleted => "deleted",
            Op::Restored => "restored",
            Op::Reverted => "reverted",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Op::Created => "Created",
            Op::Updated => "Updated",
            Op::Deleted => "Deleted",
            Op::Restored => "Restored",
            Op::Reverted => "Reverted",
        }
    }
}

impl FromStr for Op {
    type Err = FieldError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Op::ALL
            .into_iter()
            .find(|op| op.as_str() == raw)
            .ok_or_else(|| {
                let known: Vec<&str> = Op::ALL.iter().map(|op| op.as_str()).collect();
                FieldError::new("op", format!("must be one of {}", known.join(", ")))
            })
    }
}

/// One immutable row of the version table: the task as it was after one change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskVersion {
    pub id: Uuid,
    pub entity_id: EntityId,
    pub version: i64,
    pub position: i64,
    pub fields: TaskFields,
    pub op: Op,
    pub recorded_at: DateTime<Utc>,
    /// When the content became true in the world, as the change stated it. `None` on versions
    /// recorded before the log held a valid time (migration 0010): those were true from when
    /// they were recorded (`valid_since`).
    pub valid_from: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub actor: Actor,
    pub note: Option<Note>,
    pub prev_hash: Option<String>,
    pub hash: String,
}

impl TaskVersion {
    pub fn is_tombstone(&self) -> bool {
        self.deleted_at.is_some()
    }

    /// Since when the content held: its stated valid time, or its recording.
    pub fn valid_since(&self) -> DateTime<Utc> {
        self.valid_from.unwrap_or(self.recorded_at)
    }

    /// Whether the change was stated as true from before it was recorded: a late arrival or a
    /// correction. A second's grace, since a form states its time to the second at best.
    pub fn is_backdated(&self) -> bool {
        self.recorded_at - self.valid_since() >= chrono::Duration::seconds(1)
    }
}

/// The versions among `earlier` (older versions of the same task) whose statement `version`
/// replaces: a back-dated version holds from its valid time on, so every earlier version that
/// held from that time or later is corrected by it. Empty for a version stated from its
/// recording, which replaces nothing that was true before.
pub fn corrected_by(version: &TaskVersion, earlier: &[TaskVersion]) -> Vec<i64> {
    if !version.is_backdated() {
        return Vec::new();
    }
    earlier
        .iter()
        .filter(|old| old.version < version.version && old.valid_since() >= version.valid_since())
        .map(|old| old.version)
        .collect()
}

/// What `get_task` found for an id: distinguishes a live task, a tombstone and nothing at all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaskLookup {
    Live(TaskVersion),
    Deleted(TaskVersion),
    NotFound,
}

/// The outcome of re-checking one task's hash chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainReport {
    pub entity_id: EntityId,
    pub versions_checked: usize,
    pub broken: Option<ChainBreak>,
}

impl ChainReport {
    pub fn is_intact(&self) -> bool {
        self.broken.is_none()
    }
}

/// The first version whose stored hash does not match its content or its predecessor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainBreak {
    pub version: i64,
    pub reason: String,
}
