//! What the Learn pages show: reports of the course's patterns run on the app's own data. Shared
//! by the store, which produces them, and the pages, which draw them.

use serde::{Deserialize, Serialize};

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

/// A table's size and a SHA-256 over its rows in id order, each row written out as text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableDigest {
    pub rows: u64,
    pub sha256: String,
}

/// One task whose replayed row is not the read model's row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowDifference {
    pub entity_id: String,
    /// The row as text, `None` when that side has no row for the task.
    pub replayed: Option<String>,
    pub current: Option<String>,
}

/// A statement as the store sent it, its bind values, and the rows it touched or returned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutedStatement {
    pub sql: String,
    pub binds: Vec<String>,
    pub rows: Option<u64>,
}
