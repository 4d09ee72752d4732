//! What the Learn pages show: reports of the course's patterns run on the app's own data. Shared
//! by the store, which produces them, and the pages, which draw them.

use chrono::{DateTime, Utc};
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

/// Temporal tables, shown: one task's versions as validity periods, and the board at an instant
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

/// A version and the time it was the task's state: `[valid_from, valid_to)`, open-ended for the
/// newest version. Rows read through the index walk carry no `valid_to` (it does not compute one).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub entity_id: String,
    pub version: i64,
    pub title: String,
    pub deleted: bool,
    pub valid_from: DateTime<Utc>,
    pub valid_to: Option<DateTime<Utc>>,
}

/// CQRS, shown: a rule on the read model, which the trigger writes in the append's transaction,
/// refuses an append, and the log is left as it was.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadModelRefusal {
    /// The title the temporary rule forbids, and the demonstration tries to append.
    pub title: String,
    /// The database's own error message; `None` if the append went through.
    pub refusal: Option<String>,
    /// The log's newest position before the attempt and after it, in the same transaction.
    pub head_before: i64,
    pub head_after: i64,
    pub statements: Vec<ExecutedStatement>,
}
