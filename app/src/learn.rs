//! What the Learn pages show: reports of the course's patterns run on the app's own data. Shared
//! by the store, which produces them, and the pages, which draw them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::task::{Status, TaskVersion};

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

/// The cookie holding the position of this browser's last change, so the under-the-hood view
/// can tell it from others' (read by the hydrating page too, so not `HttpOnly`).
pub const LAST_CHANGE_COOKIE: &str = "last_change";

/// The cookie remembering whether the under-the-hood pane is open.
pub const HOOD_COOKIE: &str = "hood";

/// Under the hood: one change to the board as the database saw it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HoodReport {
    /// The row the change appended to `task_versions`.
    pub appended: TaskVersion,
    /// The statements the write's transaction ran, in order, as this server process recorded
    /// them; `None` when another process ran it or this one has restarted since.
    pub statements: Option<Vec<ExecutedStatement>>,
    /// The task's row in `task_current` before the change (none for a create) and after it,
    /// as `(column, value)` pairs.
    pub read_model_before: Option<Vec<(String, String)>>,
    pub read_model_after: Vec<(String, String)>,
    /// How the other server processes and open pages hear of the change.
    pub announcement: String,
    /// The neighbouring changes, for stepping through the log.
    pub older: Option<i64>,
    pub newer: Option<i64>,
}

/// The row the read model's trigger writes for `version`: the columns of `task_current`.
pub fn read_model_row(version: &TaskVersion) -> Vec<(String, String)> {
    let optional = |value: Option<String>| value.unwrap_or_else(|| "NULL".to_owned());
    let fields = &version.fields;
    [
        ("entity_id", version.entity_id.to_string()),
        ("version_id", version.id.to_string()),
        ("version", version.version.to_string()),
        ("title", fields.title.as_str().to_owned()),
        ("status", fields.status.as_str().to_owned()),
        ("priority", fields.priority.value().to_string()),
        (
            "due_date",
            optional(fields.due_date.map(|date| date.to_string())),
        ),
        (
            "deleted_at",
            optional(version.deleted_at.map(|at| at.to_rfc3339())),
        ),
        ("changed_at", version.recorded_at.to_rfc3339()),
        ("position", version.position.to_string()),
    ]
    .into_iter()
    .map(|(column, value)| (column.to_owned(), value))
    .collect()
}
/// Materialized views, shown: the board's statistics read from a stored result (a materialized
/// view on PostgreSQL, a table the store rebuilds on SQLite), how stale it is, and what reading
/// it costs next to computing the same figures from the log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatisticsReport {
    /// PostgreSQL: a materialized view; SQLite, which has none: a table rebuilt by the store.
    pub materialized_view: bool,
    /// The figures as stored at the last refresh; changes per day from `since` on.
    pub figures: Statistics,
    pub since: NaiveDate,
    /// How long reading the stored figures took.
    pub read_ms: f64,
    /// The same figures computed from the log now, when the page asked for the comparison.
    pub from_log: Option<ComputedStatistics>,
    /// The newest refresh (the one this request made, if it made one).
    pub last_refresh: Option<StatisticsRefresh>,
    /// Whether this request refreshed, on demand or because the figures were too stale.
    pub refreshed_now: bool,
    /// The log's newest position when the figures were read.
    pub head: i64,
    /// The figures refresh by themselves once they are this many changes behind the log.
    pub refresh_every: i64,
    pub statements: Vec<ExecutedStatement>,
}

impl StatisticsReport {
    /// How many changes the log has gained since the figures were computed.
    pub fn changes_behind(&self) -> i64 {
        self.head - self.last_refresh.as_ref().map_or(0, |refresh| refresh.head)
    }
}

/// The four figures of the board.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Statistics {
    /// Live tasks (not deleted) per status, in `Status::ALL` order; statuses with none left out.
    pub by_status: Vec<(Status, u64)>,
    /// Changes per UTC day, oldest first; days without changes left out.
    pub by_day: Vec<(NaiveDate, u64)>,
    /// Changes per person, in name order.
    pub by_actor: Vec<(String, u64)>,
    /// The median time from a task's creation to its first version marked done; `None` while
    /// no task has been done.
    pub median_seconds_to_done: Option<f64>,
}

/// Figures computed from the log on the spot, and how long that took.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComputedStatistics {
    pub figures: Statistics,
    pub elapsed_ms: f64,
}

/// One refresh of the stored figures, as the record of refreshes holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatisticsRefresh {
    pub refreshed_at: DateTime<Utc>,
    /// The log's newest position the refresh saw: the figures are the log up to here.
    pub head: i64,
    pub elapsed_ms: f64,
    pub trigger: RefreshTrigger,
}

/// What asked for a refresh.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RefreshTrigger {
    /// Someone pressed the page's refresh button.
    OnDemand,
    /// A page view found the figures `refresh_every` changes or more behind the log.
    Automatic,
}

impl RefreshTrigger {
    pub fn as_str(self) -> &'static str {
        match self {
            RefreshTrigger::OnDemand => "on_demand",
            RefreshTrigger::Automatic => "automatic",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [RefreshTrigger::OnDemand, RefreshTrigger::Automatic]
            .into_iter()
            .find(|trigger| trigger.as_str() == raw)
    }
}

/// How many changes the stored statistics may fall behind the log before a page view refreshes
/// them: at a million versions a refresh takes seconds, so not on every view, and a hundred
/// changes hardly move a board's figures.
pub const STATISTICS_REFRESH_EVERY: i64 = 100;

/// How many days of changes the statistics page charts, today included.
pub const STATISTICS_DAYS: i64 = 30;
