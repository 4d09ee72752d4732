//! Server functions of the past: the board at an instant and the change feed.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::HistoryEntry;
use crate::error::AppError;
use crate::task::{BoardTimeline, TaskVersion};

/// An instant on the board's timeline, chosen by time (`as_of`) or by counting changes
/// (`at_change`, what the slider sends), with where it sits among all changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimePoint {
    pub at: DateTime<Utc>,
    pub timeline: BoardTimeline,
}

/// One page of the whole board as it stood at one instant: the tasks that existed then, live or
/// deleted, each at the version that was its latest at that moment, most recently changed first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardSnapshot {
    pub point: TimePoint,
    pub tasks: Vec<TaskVersion>,
    /// The `after` of the next page's link; `None` on the last page.
    pub next_after: Option<String>,
    pub backend: String,
}

/// One page of the board as it was at valid time `valid_at`, as the log knew it at `known_at`,
/// with what the log itself said at `valid_at` wherever that differs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoTimesBoard {
    pub valid_at: DateTime<Utc>,
    pub known_at: DateTime<Utc>,
    pub rows: Vec<TwoTimesRow>,
    /// The `after` of the next page's link; `None` on the last page.
    pub next_after: Option<String>,
    pub backend: String,
}

/// A task on the two-times board, and what the log said about it at the valid time, when that
/// was something else: a version since corrected (`Some`), or nothing yet, the task being
/// recorded later and back-dated (`None`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoTimesRow {
    pub version: TaskVersion,
    pub differs: Option<Option<TaskVersion>>,
}

/// One page of the change feed: every version of every task, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityPage {
    pub entries: Vec<HistoryEntry>,
    /// The cursor of the next (older) page, if there is one.
    pub next_before: Option<i64>,
    pub read_at: DateTime<Utc>,
}

/// How many versions one page of the activity feed shows.
pub const ACTIVITY_PAGE_SIZE: u32 = 25;

/// Where the time-travel control stands: the instant named by `at_change` or `as_of`, or now.
#[server(endpoint = "locate_instant")]
pub async fn locate_instant(
    #[server(default)] as_of: String,
    #[server(default)] at_change: String,
) -> Result<TimePoint, AppError> {
    let store = super::context::store()?;
    let at = super::context::instant(&store, &as_of, &at_change).await?;
    Ok(TimePoint {
        at,
        timeline: store.timeline(at).await?,
    })
}

/// One page of the board as it was at the instant named by `at_change` or `as_of`.
#[server(endpoint = "board_as_of")]
pub async fn board_as_of(
    #[server(default)] as_of: String,
    #[server(default)] at_change: String,
    #[server(default)] after: String,
) -> Result<BoardSnapshot, AppError> {
    let after = match after.trim() {
        "" => None,
        raw => Some(raw.parse()?),
    };
    let store = super::context::store()?;
    let at = super::context::instant(&store, &as_of, &at_change).await?;
    let page = store.board_as_of(at, after).await?;
    Ok(BoardSnapshot {
        point: TimePoint {
            at,
            timeline: store.timeline(at).await?,
        },
        tasks: page.rows,
        next_after: page.next.map(|cursor| cursor.to_string()),
        backend: super::context::backend_name(&store).to_owned(),
    })
}

/// One page of the board as it was at `valid_at`, as known at the instant named by `at_change`
/// or `as_of` (blank: now).
#[server(endpoint = "board_two_times")]
pub async fn board_two_times(
    valid_at: String,
    #[server(default)] as_of: String,
    #[server(default)] at_change: String,
    #[server(default)] after: String,
) -> Result<TwoTimesBoard, AppError> {
    let after = match after.trim() {
        "" => None,
        raw => Some(raw.parse()?),
    };
    let valid_at = crate::time::parse_instant("valid_at", &valid_at)?;
    let store = super::context::store()?;
    let known_at = super::context::instant(&store, &as_of, &at_change).await?;
    let page = store.board_bitemporal(valid_at, known_at, after).await?;
    let on_page: Vec<_> = page.rows.iter().map(|version| version.entity_id).collect();
    let said_then = store.known_then(&on_page, valid_at).await?;
    let rows = page
        .rows
        .into_iter()
        .map(|version| {
            let then = said_then
                .iter()
                .find(|then| then.entity_id == version.entity_id);
            let differs = match then {
                Some(then) if then.id == version.id => None,
                then => Some(then.cloned()),
            };
            TwoTimesRow { version, differs }
        })
        .collect();
    Ok(TwoTimesBoard {
        valid_at,
        known_at,
        rows,
        next_after: page.next.map(|cursor| cursor.to_string()),
        backend: super::context::backend_name(&store).to_owned(),
    })
}

/// A page of the change feed, optionally only one operation, one person, or changes since an
/// instant; `before` is the cursor from the previous page.
#[server(endpoint = "activity")]
pub async fn activity(
    #[server(default)] before: String,
    #[server(default)] op: String,
    #[server(default)] actor: String,
    #[server(default)] since: String,
) -> Result<ActivityPage, AppError> {
    use crate::task::{Actor, FeedQuery};

    let before = match before.trim() {
        "" => None,
        raw => Some(super::context::whole_number(
            "before",
            raw,
            "must be a position from a page link",
        )?),
    };
    let query = FeedQuery {
        before,
        op: match op.trim() {
            "" => None,
            raw => Some(raw.parse()?),
        },
        actor: match actor.trim() {
            "" => None,
            raw => Some(Actor::parse(raw)?),
        },
        since: match since.trim() {
            "" => None,
            raw => Some(crate::time::parse_instant("since", raw)?),
        },
        limit: ACTIVITY_PAGE_SIZE,
        ..FeedQuery::default()
    };
    let page = super::context::store()?.change_feed(query).await?;
    let entries = super::context::off_executor(move || {
        page.entries
            .into_iter()
            .map(|entry| HistoryEntry {
                changes: crate::diff::changes(entry.previous.as_ref(), &entry.version.fields),
                version: entry.version,
                corrects: Vec::new(),
            })
            .collect()
    })
    .await?;
    Ok(ActivityPage {
        entries,
        next_before: page.next_before,
        read_at: chrono::Utc::now(),
    })
}
