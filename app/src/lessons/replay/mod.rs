//! Event sourcing: the read model rebuilt from the log alone, into a scratch table, and compared
//! with `task_current`, the read model the trigger keeps.

mod page;
#[cfg(feature = "ssr")]
mod sql;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub use page::ReplayPage;

use super::{ExecutedStatement, TableDigest};
use crate::error::AppError;

/// Event sourcing, shown: the read model rebuilt from the log alone, compared with the one the
/// trigger keeps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplayReport {
    /// The last position of the log the replay read.
    pub up_to: i64,
    /// The log's newest position when the replay ran.
    pub head: i64,
    /// The rebuilt read model (the scratch table).
    pub replayed: TableDigest,
    /// `task_current`, read in the same snapshot.
    pub current: TableDigest,
    /// How many tasks have a different row (or a row on one side only).
    pub differing: usize,
    /// The first few of them, in id order.
    pub first_differences: Vec<RowDifference>,
    /// Time for the whole transaction, from the first statement to the rollback.
    pub elapsed_ms: f64,
    /// The statements the store ran, in order, with what each did.
    pub statements: Vec<ExecutedStatement>,
}

impl ReplayReport {
    pub fn matches(&self) -> bool {
        self.differing == 0 && self.replayed == self.current
    }
}

/// One task whose replayed row is not the read model's row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowDifference {
    pub entity_id: String,
    /// The row as text, `None` when that side has no row for the task.
    pub replayed: Option<String>,
    pub current: Option<String>,
}

/// Rebuilds the read model from the log alone, up to position `up_to` (blank: the newest), and
/// compares it with `task_current`. It writes nothing: the scratch table lives in a transaction
/// that is rolled back.
#[server(endpoint = "replay_log")]
pub async fn replay_log(#[server(default)] up_to: String) -> Result<ReplayReport, AppError> {
    let up_to = super::log_position("up_to", &up_to)?;
    Ok(crate::server_fns::context::store()?.replay(up_to).await?)
}
