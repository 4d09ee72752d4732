//! What the task lists, the change feed and the time-travel control ask the store for, and
//! the pages of answers they get back.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Actor, FieldError, Op, Status, TaskFields, TaskVersion};

/// How the current list is ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskSort {
    #[default]
    RecentlyChanged,
    Priority,
    DueDate,
}

impl TaskSort {
    pub const ALL: [TaskSort; 3] = [
        TaskSort::RecentlyChanged,
        TaskSort::Priority,
        TaskSort::DueDate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskSort::RecentlyChanged => "recently_changed",
            TaskSort::Priority => "priority",
            TaskSort::DueDate => "due_date",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TaskSort::RecentlyChanged => "Recently changed",
            TaskSort::Priority => "Priority",
            TaskSort::DueDate => "Due date",
        }
    }
}

impl FromStr for TaskSort {
    type Err = FieldError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        TaskSort::ALL
            .into_iter()
            .find(|sort| sort.as_str() == raw.trim())
            .ok_or_else(|| {
                FieldError::new(
                    "sort",
                    "must be one of recently_changed, priority, due_date",
                )
            })
    }
}

/// Which current tasks to list, in which order, and from where.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskFilter {
    pub status: Option<Status>,
    pub sort: TaskSort,
    pub search: Option<crate::task::paging::TitleSearch>,
    /// The key of the last row of the page before; `None` for the first page.
    pub after: Option<crate::task::paging::ListCursor>,
}

impl TaskFilter {
    /// Reads the list's query string (`status`, `sort`, `q`, `after`); blank means "any" or
    /// "the default".
    pub fn from_query(status: &str, sort: &str, q: &str, after: &str) -> Result<Self, FieldError> {
        Ok(Self {
            status: match status.trim() {
                "" => None,
                raw => Some(raw.parse()?),
            },
            sort: match sort.trim() {
                "" => TaskSort::default(),
                raw => raw.parse()?,
            },
            search: crate::task::paging::TitleSearch::parse(q)?,
            after: match after.trim() {
                "" => None,
                raw => Some(raw.parse()?),
            },
        })
    }
}

/// One page of the global change feed, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedPage {
    pub entries: Vec<FeedEntry>,
    /// Pass as `before` to fetch the next (older) page; `None` on the last page.
    pub next_before: Option<i64>,
}

/// One version in the change feed, with the fields it replaced (none for a creation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedEntry {
    pub version: TaskVersion,
    pub previous: Option<TaskFields>,
}

/// Which slice of the change feed to read. Positions are the version table's global sequence.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedQuery {
    /// Only versions recorded after this position: how a client catches up.
    pub after: Option<i64>,
    /// Only versions older than this position: how pages continue.
    pub before: Option<i64>,
    /// Only this kind of change.
    pub op: Option<Op>,
    /// Only changes made by this person.
    pub actor: Option<Actor>,
    /// Only changes recorded at or after this instant.
    pub since: Option<DateTime<Utc>>,
    pub limit: u32,
}

/// Where an instant sits in the history of the whole board: what the time-travel control needs
/// to draw its slider and step from one change to the next. All three are positions in the
/// version table, read from indexes, so placing an instant costs the same at any size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardTimeline {
    /// The position of the last change recorded at or before the instant; 0 before the first.
    pub position: i64,
    /// The position of the first change recorded after the instant, if any.
    pub next_position: Option<i64>,
    /// The newest position: the end of the slider.
    pub head: i64,
}
