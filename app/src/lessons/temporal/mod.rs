//! Temporal tables: the log read as periods of recorded time through the `task_version_periods` view
//! (migration 0007), and the board at an instant read through that view and through the index
//! walk the app's time travel uses.

mod page;
#[cfg(feature = "ssr")]
mod sql;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub use page::TemporalPage;

use super::ExecutedStatement;
use crate::error::AppError;

/// Temporal tables, shown: one task's versions as periods of recorded time, and the board at an instant
/// read twice, through the periods view and through the index walk the app's time travel uses.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TemporalReport {
    pub at: DateTime<Utc>,
    /// `task_version_periods` as the database's catalog holds it.
    pub view_definition: String,
    /// The first page of the board at `at`, through the view.
    pub through_view: AsOfRun,
    /// The same page, through the app's time-travel statement.
    pub through_index: AsOfRun,
    /// The periods of the first task on that page, oldest first.
    pub periods: Vec<Period>,
}

impl TemporalReport {
    /// Whether both reads found the same versions in the same order.
    pub fn same_board(&self) -> bool {
        let versions = |run: &AsOfRun| {
            run.rows
                .iter()
                .map(|row| (row.entity_id.clone(), row.version))
                .collect::<Vec<_>>()
        };
        versions(&self.through_view) == versions(&self.through_index)
    }
}

/// One read of the board as of an instant: what ran, how long it took, what it found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AsOfRun {
    pub statement: ExecutedStatement,
    pub elapsed_ms: f64,
    pub rows: Vec<Period>,
}

/// A version and the recorded time it was the task's newest: `[recorded_at, superseded_at)`,
/// open-ended for the newest version. Rows read through the index walk carry no `superseded_at`
/// (it does not compute one).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub entity_id: String,
    pub version: i64,
    pub title: String,
    pub deleted: bool,
    pub recorded_at: DateTime<Utc>,
    pub superseded_at: Option<DateTime<Utc>>,
}

/// The board at the change `at_change` (a position; blank: halfway through the log) read
/// through the periods view and through the app's time-travel statement.
#[server(endpoint = "temporal_board")]
pub async fn temporal_board(
    #[server(default)] at_change: String,
) -> Result<TemporalReport, AppError> {
    let store = crate::server_fns::context::store()?;
    let at_change = match at_change.trim() {
        "" => (store.head_position().await? / 2).max(1).to_string(),
        given => given.to_owned(),
    };
    let at = crate::server_fns::context::instant(&store, "", &at_change).await?;
    Ok(store.temporal(at).await?)
}
