//! The task store: the one place that speaks SQL. It owns the append-only version table on both
//! backends (SQLite by default, PostgreSQL when `DATABASE_URL` says so) behind one contract.
//!
//! Split by responsibility: this module opens the store and reads it (tasks, pages, history,
//! the past, the change feed); `write` appends (each write one transaction that reads the task's
//! latest version under a lock, decides the next version from it, and appends exactly one row);
//! `follow` keeps live pages and other processes up with the table; `inspect` reports the
//! database's own guards and tries, always rolled back, to get past them. The database has the
//! first word on every invariant (append-only triggers, UNIQUE(entity_id, version), CHECK
//! constraints); the checks here are the second line and exist to give precise errors. No write
//! path ever issues an UPDATE or DELETE against `task_versions`; the one place that sends them is
//! `attempt_tamper`, which exists to show the database refusing them and always rolls back.

mod append;
mod backend;
mod chain;
mod counts;
mod error;
mod follow;
mod generate;
mod reads;
mod row;
mod seed;
mod statement;
mod trace;
mod verify;
mod write;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

pub use backend::{Appends, BackendKind, PoolStatus};
pub use chain::{verify as verify_chain, verify_after as verify_chain_after};
pub use counts::Counts;
pub use error::StoreError;
pub use follow::{FollowKey, Followed};
pub use generate::{BoardSize, Generated};

use backend::{DbInstant, Pool};
use row::{FeedRow, VersionRow};
use statement::Statement;
use write::NewVersion;

use crate::task::paging::{ListCursor, Page, TimeCursor};
use crate::task::{
    BoardTimeline, EntityId, FeedEntry, FeedPage, FeedQuery, TaskFilter, TaskLookup, TaskVersion,
};

/// How many changes apart snapshots are taken unless the server is told otherwise.
pub const DEFAULT_SNAPSHOT_EVERY: u64 = 1000;

/// What the lessons beside the store (`crate::lessons`) build their SQL from: the statement and
/// its values, the version row, the seam's per-backend values and transactions, and the write
/// path's own steps for a demonstration that runs them and rolls back.
pub(crate) mod sql {
    pub(crate) use super::append::WriteTx;
    pub(crate) use super::backend::{DbInstant, PerBackend, APPENDED_CHANNEL};
    pub(crate) use super::chain::seal;
    pub(crate) use super::reads::{as_of, at_position, bitemporal, numbers, HEAD};
    pub(crate) use super::row::{VersionRow, VERSION_COLUMNS};
    pub(crate) use super::statement::{Bind, Statement};
    pub(crate) use super::write::NewVersion;
}

/// Largest page the change feed hands out, whatever the caller asks for.
pub const FEED_PAGE_MAX: u32 = 200;

/// A connection pool to one of the two supported databases.
#[derive(Clone, Debug)]
pub struct Store {
    pool: Pool,
    /// SQLite has no LISTEN/NOTIFY: this process announces its own commits here instead.
    appended: Arc<watch::Sender<()>>,
    /// A board snapshot is due once the log has grown by this many changes.
    snapshot_every: u64,
    /// The statements of this process's latest writes, for the under-the-hood view.
    traces: Arc<trace::Traces>,
    /// Whether writes record their statements for that view (they do unless told otherwise).
    trace_writes: bool,
    /// What this process has appended, refused and refreshed, for the operator's metrics.
    counts: Arc<counts::StoreCounts>,
    /// Held by the statistics refresh running in the background, so there is one at a time.
    background_refresh: Arc<tokio::sync::Mutex<()>>,
}

impl Store {
    /// Opens the database named by `url` (`postgres://...` or `sqlite:...`), creating a SQLite
    /// file if needed, and brings its schema up to date.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = Pool::connect(url).await?;
        let appended = Arc::new(watch::channel(()).0);
        pool.announce_appends(appended.subscribe());
        Ok(Self {
            pool,
            appended,
            snapshot_every: DEFAULT_SNAPSHOT_EVERY,
            traces: Arc::default(),
            trace_writes: true,
            counts: Arc::default(),
            background_refresh: Arc::default(),
        })
    }

    pub fn kind(&self) -> BackendKind {
        self.pool.kind()
    }

    /// Snapshots are taken `every` changes apart (at least 1).
    pub fn with_snapshot_every(mut self, every: u64) -> Self {
        self.snapshot_every = every.max(1);
        self
    }

    pub fn snapshot_every(&self) -> u64 {
        self.snapshot_every
    }

    /// A handle on the same database whose writes do not record their statements, so the
    /// under-the-hood view shows them without; what recording costs an append is measured with it.
    pub fn without_write_traces(&self) -> Self {
        Self {
            trace_writes: false,
            ..self.clone()
        }
    }

    /// The pool's connections now, for the operator's metrics.
    pub fn pool_status(&self) -> PoolStatus {
        self.pool.status()
    }

    /// What this process's writes, snapshots and refreshes have come to since it started.
    pub fn counts(&self) -> Counts {
        self.counts.now()
    }

    /// For the counting done outside this module (snapshots, statistics).
    pub(crate) fn counter(&self) -> &counts::StoreCounts {
        &self.counts
    }

    /// The slot a background statistics refresh holds while it runs.
    pub(crate) fn background_refresh(&self) -> &Arc<tokio::sync::Mutex<()>> {
        &self.background_refresh
    }

    /// The pool, for a lesson's own SQL.
    pub(crate) fn pool(&self) -> &Pool {
        &self.pool
    }

    /// The statements this process's latest writes ran.
    pub(crate) fn traces(&self) -> &trace::Traces {
        &self.traces
    }

    pub async fn get_task(&self, entity_id: EntityId) -> Result<TaskLookup, StoreError> {
        Ok(match self.version_at(&reads::latest(entity_id)).await? {
            None => TaskLookup::NotFound,
            Some(version) if version.is_tombstone() => TaskLookup::Deleted(version),
            Some(version) => TaskLookup::Live(version),
        })
    }

    /// One page of the live tasks, from the read model.
    pub async fn list_tasks(
        &self,
        filter: &TaskFilter,
    ) -> Result<Page<TaskVersion, ListCursor>, StoreError> {
        let rows = self.versions(&reads::live(self.kind(), filter)).await?;
        Ok(Page::from_rows(rows, ListCursor::of))
    }

    /// One page of the tombstoned tasks, most recently deleted first.
    pub async fn list_deleted(
        &self,
        after: Option<TimeCursor>,
    ) -> Result<Page<TaskVersion, TimeCursor>, StoreError> {
        let rows = self.versions(&reads::deleted(after)).await?;
        Ok(Page::from_rows(rows, TimeCursor::of))
    }

    /// Every version of one task, oldest first. Empty when the task never existed.
    pub async fn task_history(&self, entity_id: EntityId) -> Result<Vec<TaskVersion>, StoreError> {
        self.versions(&reads::whole_history(entity_id)).await
    }

    /// Versions `through` and older of one task, newest first: up to `PAGE_SIZE` of them, plus
    /// the one before the oldest (if there is one) so it can be compared with its predecessor.
    pub async fn history_page(
        &self,
        entity_id: EntityId,
        through: i64,
    ) -> Result<Vec<TaskVersion>, StoreError> {
        self.versions(&reads::history(entity_id, through)).await
    }

    /// One version of a task, or `None` if the task never had it.
    pub async fn get_version(
        &self,
        entity_id: EntityId,
        version: i64,
    ) -> Result<Option<TaskVersion>, StoreError> {
        self.version_at(&reads::version(entity_id, version)).await
    }

    /// One page of the board as it stood at `at`: for every task that existed then, the version
    /// that was latest at that instant (tombstones included, so callers can show what was
    /// deleted), most recently changed first.
    pub async fn board_as_of(
        &self,
        at: DateTime<Utc>,
        after: Option<TimeCursor>,
    ) -> Result<Page<TaskVersion, TimeCursor>, StoreError> {
        let rows = self.versions(&reads::as_of(at, after)).await?;
        Ok(Page::from_rows(rows, TimeCursor::of))
    }

    /// One page of the board as it was at valid time `valid_at`, as the log knew it at
    /// `known_at`: for every task known by then, the newest version recorded by `known_at` that
    /// held from `valid_at` or earlier (tombstones included), most recently valid first. At or
    /// after `known_at` that is the board as of `known_at`, in its order.
    pub async fn board_bitemporal(
        &self,
        valid_at: DateTime<Utc>,
        known_at: DateTime<Utc>,
        after: Option<TimeCursor>,
    ) -> Result<Page<TaskVersion, TimeCursor>, StoreError> {
        if valid_at >= known_at {
            return self.board_as_of(known_at, after).await;
        }
        let rows = self
            .versions(&reads::bitemporal(valid_at, known_at, after))
            .await?;
        Ok(Page::from_rows(rows, TimeCursor::valid_of))
    }

    /// What the log said at `at` about each of `entity_ids`: its newest version recorded by
    /// then. A task not created by then is missing from the answer.
    pub async fn known_then(
        &self,
        entity_ids: &[EntityId],
        at: DateTime<Utc>,
    ) -> Result<Vec<TaskVersion>, StoreError> {
        if entity_ids.is_empty() {
            return Ok(Vec::new());
        }
        self.versions(&reads::known_then(entity_ids, at)).await
    }

    /// The versions a statement selects (through `row::VERSION_COLUMNS`).
    pub(crate) async fn versions(
        &self,
        statement: &Statement,
    ) -> Result<Vec<TaskVersion>, StoreError> {
        let rows: Vec<VersionRow> = self.pool.fetch_all(statement).await?;
        Ok(rows
            .into_iter()
            .map(TaskVersion::try_from)
            .collect::<Result<_, _>>()?)
    }

    /// The one version a statement selects, if any.
    pub(crate) async fn version_at(
        &self,
        statement: &Statement,
    ) -> Result<Option<TaskVersion>, StoreError> {
        let row: Option<VersionRow> = self.pool.fetch_optional(statement).await?;
        Ok(row.map(TaskVersion::try_from).transpose()?)
    }

    /// All versions of all tasks, newest first, one page at a time, each with the fields it
    /// replaced so a reader can see what changed.
    pub async fn change_feed(&self, query: FeedQuery) -> Result<FeedPage, StoreError> {
        let limit = query.limit.clamp(1, FEED_PAGE_MAX);
        let query = FeedQuery { limit, ..query };
        let rows: Vec<FeedRow> = self.pool.fetch_all(&reads::feed(&query)).await?;
        let mut entries = rows
            .into_iter()
            .map(FeedEntry::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        // One extra row was fetched to learn whether an older page exists.
        let next_before = if entries.len() > limit as usize {
            entries.truncate(limit as usize);
            entries.last().map(|entry| entry.version.position)
        } else {
            None
        };
        Ok(FeedPage {
            entries,
            next_before,
        })
    }

    /// When the change at `position` was recorded, or the last one before it when that
    /// position holds nothing (PostgreSQL's identity skips the numbers of rolled-back appends).
    /// The log only grows, so the answer for a position never changes.
    pub async fn position_instant(
        &self,
        position: i64,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.instant(&reads::position_instant(position)).await
    }

    /// When the first change was recorded; `None` while the table is empty.
    pub async fn first_instant(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.instant(&reads::first_instant()).await
    }

    async fn instant(&self, statement: &Statement) -> Result<Option<DateTime<Utc>>, StoreError> {
        let at: Option<(DbInstant,)> = self.pool.fetch_optional(statement).await?;
        Ok(at.map(|(at,)| at.0))
    }

    /// Where `at` sits among all recorded changes.
    pub async fn timeline(&self, at: DateTime<Utc>) -> Result<BoardTimeline, StoreError> {
        let (position, next_position, head) = self.pool.fetch_one(&reads::timeline(at)).await?;
        Ok(BoardTimeline {
            position,
            next_position,
            head,
        })
    }

    /// One whole number from the pool (outside any transaction); a NULL reads as `None`.
    pub(crate) async fn number(&self, sql: &str, binds: &[i64]) -> Result<Option<i64>, StoreError> {
        let (number,): (Option<i64>,) = self.pool.fetch_one(&reads::numbers(sql, binds)).await?;
        Ok(number)
    }

    /// Whether `close` has been called: followers stop then.
    pub fn is_closed(&self) -> bool {
        self.pool.is_closed()
    }

    /// Waits for open connections to finish and closes the pool (on shutdown). A follower's
    /// LISTEN connection is handed back when its wait is cut short by the closing pool, but one
    /// held by a listener that is not waiting at that moment would hold the close up forever (a
    /// CI run of the store suite once hung here), so the wait is bounded; whatever is still open
    /// then is closed when it is dropped.
    pub async fn close(&self) {
        const GRACE: std::time::Duration = std::time::Duration::from_secs(5);
        if tokio::time::timeout(GRACE, self.pool.close())
            .await
            .is_err()
        {
            tracing::warn!("connections still in use after {GRACE:?}; closing without them");
        }
    }
}
