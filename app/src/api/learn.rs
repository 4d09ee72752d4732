//! Server functions of the Learn pages: each runs one of the course's patterns on the app's own
//! data and reports what the database did.

use leptos::prelude::*;

use crate::error::AppError;
use crate::learn::{
    HoodReport, ReadModelRefusal, ReplayReport, SnapshotAsOf, SnapshotTaken, SnapshotsReport,
    StatisticsReport, TemporalReport,
};

/// A position in the log as typed into a form; blank means the newest.
#[cfg(feature = "ssr")]
fn log_position(field: &'static str, raw: &str) -> Result<Option<i64>, AppError> {
    match raw.trim() {
        "" => Ok(None),
        raw => match raw.parse::<i64>() {
            Ok(position @ 1..) => Ok(Some(position)),
            _ => {
                let rule = "must be a position in the log (1, 2, 3, …)";
                Err(crate::task::FieldError::new(field, rule).into())
            }
        },
    }
}

/// Rebuilds the read model from the log alone, up to position `up_to` (blank: the newest), and
/// compares it with `task_current`. It writes nothing: the scratch table lives in a transaction
/// that is rolled back.
#[server(endpoint = "replay_log")]
pub async fn replay_log(#[server(default)] up_to: String) -> Result<ReplayReport, AppError> {
    let up_to = log_position("up_to", &up_to)?;
    Ok(super::server::store()?.replay(up_to).await?)
}

/// The board at the change `at_change` (a position; blank: halfway through the log) read
/// through the validity-periods view and through the app's time-travel statement.
#[server(endpoint = "temporal_board")]
pub async fn temporal_board(
    #[server(default)] at_change: String,
) -> Result<TemporalReport, AppError> {
    let store = super::server::store()?;
    let at_change = match at_change.trim() {
        "" => (store.head_position().await? / 2).max(1).to_string(),
        given => given.to_owned(),
    };
    let at = super::server::instant(&store, "", &at_change).await?;
    Ok(store.temporal(at).await?)
}

/// Adds a rule to the read model for one transaction, tries to append a task it forbids, and
/// reports the refusal; everything is rolled back. The rule locks `task_current` for the moment
/// it exists, so the page calls this only when its form asks (`run=1`), never on a plain visit.
#[server(endpoint = "attempt_refused_append")]
pub async fn attempt_refused_append() -> Result<ReadModelRefusal, AppError> {
    Ok(super::server::store()?.read_model_refusal().await?)
}

/// The snapshots taken so far, and how far apart they are taken.
#[server(endpoint = "board_snapshots")]
pub async fn board_snapshots() -> Result<SnapshotsReport, AppError> {
    Ok(super::server::store()?.snapshots().await?)
}

/// Snapshots the board at the newest change now, whether or not one is due. `None` when there
/// was nothing new to snapshot, or writes still in progress held it back.
#[server(endpoint = "take_board_snapshot")]
pub async fn take_board_snapshot() -> Result<Option<SnapshotTaken>, AppError> {
    Ok(super::server::store()?.take_snapshot().await?)
}

/// The board at change `at_change` (blank: the newest) read from the nearest snapshot and by
/// folding the whole log, both timed.
#[server(endpoint = "board_from_snapshot")]
pub async fn board_from_snapshot(
    #[server(default)] at_change: String,
) -> Result<SnapshotAsOf, AppError> {
    let position = log_position("at_change", &at_change)?;
    Ok(super::server::store()?
        .board_from_snapshot(position)
        .await?)
}

/// The change at position `at` (blank: the newest) as the database saw it: the statements its
/// transaction ran, the row it appended, the read model's row before and after, and the
/// announcement. `None` while the log is empty or holds nothing at that position.
#[server(endpoint = "under_the_hood")]
pub async fn under_the_hood(#[server(default)] at: String) -> Result<Option<HoodReport>, AppError> {
    let position = log_position("at", &at)?;
    Ok(super::server::store()?.under_the_hood(position).await?)
}

/// The board's statistics from the materialized view (SQLite: the table the store rebuilds),
/// refreshed first when `refresh` is set or when they are `STATISTICS_REFRESH_EVERY` changes
/// behind the log; with `compare` set, also computed from the log to show what the view saves.
#[server(endpoint = "board_statistics")]
pub async fn board_statistics(
    #[server(default)] refresh: bool,
    #[server(default)] compare: bool,
) -> Result<StatisticsReport, AppError> {
    let request = crate::store::StatisticsRequest {
        refresh,
        compare,
        refresh_every: crate::learn::STATISTICS_REFRESH_EVERY,
    };
    Ok(super::server::store()?.statistics(request).await?)
}
