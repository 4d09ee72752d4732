//! Valid time and recorded time: a version states since when its content held in the world
//! (`valid_from`) beside when the log learned it (`recorded_at`). Shown on the live data: the
//! log's back-dated versions (late news and corrections), and the board at one moment read twice,
//! as the log knows it now and as the log said it at that moment, with the statements behind each.

mod page;
#[cfg(feature = "ssr")]
mod sql;

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub use page::TwoTimesPage;

use super::ExecutedStatement;
use crate::error::AppError;

/// The board at `valid_at` read as known at `known_at` and as known at `valid_at`, and the
/// log's back-dated versions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TwoTimesReport {
    pub valid_at: DateTime<Utc>,
    pub known_at: DateTime<Utc>,
    /// The first page of the board at `valid_at` as known at `known_at`.
    pub known_later: BoardRun,
    /// The first page of the board at `valid_at` as the log said it at that moment.
    pub said_then: BoardRun,
    /// Back-dated versions, the latest valid time first.
    pub backdated: Vec<Backdated>,
    pub backdated_statement: ExecutedStatement,
}

impl TwoTimesReport {
    /// The tasks on the later board whose version differs from what the log said then (`None`:
    /// the log did not have the task yet, or not on that page).
    pub fn differences(&self) -> Vec<(&BoardRow, Option<&BoardRow>)> {
        self.known_later
            .rows
            .iter()
            .filter_map(|later| {
                let then = self
                    .said_then
                    .rows
                    .iter()
                    .find(|then| then.entity_id == later.entity_id);
                match then {
                    Some(then) if then.version == later.version => None,
                    then => Some((later, then)),
                }
            })
            .collect()
    }
}

/// One read of a board: what ran, how long it took, what it found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BoardRun {
    pub statement: ExecutedStatement,
    pub elapsed_ms: f64,
    pub rows: Vec<BoardRow>,
}

/// A task on a board, as much as the page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardRow {
    pub entity_id: String,
    pub title: String,
    pub version: i64,
    /// The status's label, or "deleted" for a tombstone.
    pub state: String,
}

/// A version stated as true from before it was recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backdated {
    pub entity_id: String,
    pub title: String,
    pub version: i64,
    pub recorded_at: DateTime<Utc>,
    pub valid_from: DateTime<Utc>,
    pub note: Option<String>,
}

/// The board at `valid_at` (blank: the latest valid time the log's back-dated versions state,
/// or an hour ago when there is none) as known at `known_at` (blank: now), and as the log said
/// it at `valid_at`.
#[server(endpoint = "read_both_times")]
pub async fn read_both_times(
    #[server(default)] valid_at: String,
    #[server(default)] known_at: String,
) -> Result<TwoTimesReport, AppError> {
    let parse = |field: &str, raw: &str| match raw.trim() {
        "" => Ok(None),
        raw => crate::time::parse_instant(field, raw).map(Some),
    };
    let valid_at = parse("valid_at", &valid_at)?;
    let known_at = parse("known_at", &known_at)?.unwrap_or_else(Utc::now);
    let store = crate::server_fns::context::store()?;
    Ok(store.two_times(valid_at, known_at).await?)
}
