//! Snapshots: the whole board kept at a log position every N changes, so the past is read from
//! the nearest snapshot plus the versions after it instead of by folding the whole log.

mod page;
#[cfg(feature = "ssr")]
mod sql;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub use page::SnapshotsPage;

use super::{ExecutedStatement, TableDigest};
use crate::error::AppError;

/// Snapshots, shown: the snapshots the store has taken, and how often it takes them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SnapshotsReport {
    /// A snapshot is taken once the log has grown by this many changes since the last one.
    pub every: u64,
    /// The log's newest position.
    pub head: i64,
    /// The newest snapshots, newest first.
    pub recent: Vec<SnapshotSummary>,
    /// How many snapshots there are.
    pub count: u64,
}

/// One snapshot: the position it answers for, what it was built from, when, and its size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotSummary {
    pub position: i64,
    /// The snapshot it was built from; `None` when it was folded from the log alone.
    pub base_position: Option<i64>,
    pub taken_at: DateTime<Utc>,
    pub tasks: u64,
}

/// A snapshot just taken, with what it cost and the statements that took it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SnapshotTaken {
    pub snapshot: SnapshotSummary,
    pub elapsed_ms: f64,
    pub statements: Vec<ExecutedStatement>,
}

/// The board at one change read two ways: from the nearest snapshot plus the versions after
/// it, and by folding the log from its start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SnapshotAsOf {
    pub position: i64,
    /// The snapshot the first read started from; `None` when there is none at or before
    /// `position` (that read then folds the whole log too).
    pub snapshot: Option<i64>,
    pub from_snapshot: BoardRead,
    pub from_log: BoardRead,
    /// The first tasks of the board, in id order, as the snapshot read found them.
    pub first_tasks: Vec<BoardTask>,
}

impl SnapshotAsOf {
    pub fn same_board(&self) -> bool {
        self.from_snapshot.digest == self.from_log.digest
    }
}

/// One read of the board: the statement, its time, and a digest of `(task, version)` in id
/// order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BoardRead {
    pub statement: ExecutedStatement,
    pub elapsed_ms: f64,
    pub digest: TableDigest,
    /// How many rows of the log and of the snapshot the read had to fold.
    pub versions_folded: u64,
    pub snapshot_rows_folded: u64,
}

/// A task on the board at a change: the version it held, and whether that was a tombstone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardTask {
    pub entity_id: String,
    pub version: i64,
    pub title: String,
    pub deleted: bool,
}

/// The snapshots taken so far, and how far apart they are taken.
#[server(endpoint = "board_snapshots")]
pub async fn board_snapshots() -> Result<SnapshotsReport, AppError> {
    Ok(crate::server_fns::context::store()?.snapshots().await?)
}

/// Snapshots the board at the newest change now, whether or not one is due. `None` when there
/// was nothing new to snapshot, or writes still in progress held it back. Posted from the page,
/// the outcome waits for the page in a short-lived cookie (see `last_snapshot_taken`).
#[server(endpoint = "take_board_snapshot")]
pub async fn take_board_snapshot() -> Result<Option<SnapshotTaken>, AppError> {
    use crate::server_fns::context::OutcomeCookie;

    let taken = crate::server_fns::context::store()?.take_snapshot().await?;
    if crate::error::is_plain_form_post() {
        OutcomeCookie::Snapshot.keep(&TakeOutcome(taken.clone()));
        leptos_axum::redirect(page::SNAPSHOTS_PATH);
    }
    Ok(taken)
}

/// The outcome of the last snapshot this browser asked for from the page, once: reading it
/// clears it. `None`: it asked for none; `Some(TakeOutcome(None))`: it asked, and none was
/// taken.
#[server(endpoint = "last_snapshot_taken")]
pub async fn last_snapshot_taken() -> Result<Option<TakeOutcome>, AppError> {
    Ok(crate::server_fns::context::OutcomeCookie::Snapshot.take())
}

/// What a request for a snapshot came to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TakeOutcome(pub Option<SnapshotTaken>);

/// The board at change `at_change` (blank: the newest) read from the nearest snapshot and by
/// folding the whole log, both timed.
#[server(endpoint = "board_from_snapshot")]
pub async fn board_from_snapshot(
    #[server(default)] at_change: String,
) -> Result<SnapshotAsOf, AppError> {
    let position = super::log_position("at_change", &at_change)?;
    Ok(crate::server_fns::context::store()?
        .board_from_snapshot(position)
        .await?)
}
