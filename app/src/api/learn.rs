//! Server functions of the Learn pages: each runs one of the course's patterns on the app's own
//! data and reports what the database did.

use leptos::prelude::*;

use crate::error::AppError;
use crate::learn::{ReadModelRefusal, ReplayReport, StatisticsReport, TemporalReport};

/// Rebuilds the read model from the log alone, up to position `up_to` (blank: the newest), and
/// compares it with `task_current`. It writes nothing: the scratch table lives in a transaction
/// that is rolled back.
#[server(endpoint = "replay_log")]
pub async fn replay_log(#[server(default)] up_to: String) -> Result<ReplayReport, AppError> {
    let up_to = match up_to.trim() {
        "" => None,
        raw => match raw.parse::<i64>() {
            Ok(position @ 1..) => Some(position),
            _ => {
                let rule = "must be a position in the log (1, 2, 3, …)";
                return Err(crate::task::FieldError::new("up_to", rule).into());
            }
        },
    };
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
