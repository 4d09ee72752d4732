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

mod chain;
mod cqrs;
mod error;
mod follow;
mod generate;
mod inspect;
mod pages;
mod postgres;
mod recorded;
mod replay;
mod row;
mod seed;
mod snapshots;
mod sqlite;
mod statistics;
mod temporal;
mod trace;
mod write;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sqlx::{PgPool, SqlitePool};
use tokio::sync::watch;

pub use chain::{verify as verify_chain, verify_after as verify_chain_after};
pub use error::StoreError;
pub use follow::{Appends, FollowKey, Followed};
pub use generate::{BoardSize, Generated};
pub use snapshots::DEFAULT_SNAPSHOT_EVERY;
pub use statistics::StatisticsRequest;
use write::NewVersion;

use crate::paging::{ListCursor, Page, TimeCursor};
use crate::task::{
    BoardTimeline, EntityId, FeedPage, FeedQuery, TaskFilter, TaskLookup, TaskVersion,
};

/// The columns of `task_versions` in the order every backend's row reader expects them, read
/// through the table alias `v` (or another alias, for a second version in the same row).
macro_rules! version_columns {
    () => {
        version_columns!(v)
    };
    ($alias:ident) => {
        concat!(
            stringify!($alias),
            ".position, ",
            stringify!($alias),
            ".id, ",
            stringify!($alias),
            ".entity_id, ",
            stringify!($alias),
            ".version, ",
            stringify!($alias),
            ".title, ",
            stringify!($alias),
            ".description, ",
            stringify!($alias),
            ".status, ",
            stringify!($alias),
            ".priority, ",
            stringify!($alias),
            ".due_date, ",
            stringify!($alias),
            ".op, ",
            stringify!($alias),
            ".recorded_at, ",
            stringify!($alias),
            ".deleted_at, ",
            stringify!($alias),
            ".actor, ",
            stringify!($alias),
            ".note, ",
            stringify!($alias),
            ".prev_hash, ",
            stringify!($alias),
            ".hash"
        )
    };
}
pub(crate) use version_columns;

/// How many columns `version_columns!` lists: where a second version starts in a joined row.
const VERSION_COLUMN_COUNT: usize = 16;

/// Largest page the change feed hands out, whatever the caller asks for.
pub const FEED_PAGE_MAX: u32 = 200;

/// A connection pool to one of the two supported databases.
#[derive(Clone, Debug)]
pub struct Store {
    backend: Backend,
    /// SQLite has no LISTEN/NOTIFY: this process announces its own commits here instead.
    appended: Arc<watch::Sender<()>>,
    /// A board snapshot is due once the log has grown by this many changes.
    snapshot_every: u64,
    /// The statements of this process's latest writes, for the under-the-hood view.
    traces: Arc<trace::Traces>,
}

#[derive(Clone, Debug)]
enum Backend {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

/// Which database a store talks to; shown in the UI so a class can see what it is looking at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    Postgres,
    Sqlite,
}

impl Store {
    /// Opens the database named by `url` (`postgres://...` or `sqlite:...`), creating a SQLite
    /// file if needed, and brings its schema up to date.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres(postgres::connect(url).await?)
        } else {
            Backend::Sqlite(sqlite::connect(url).await?)
        };
        let appended = Arc::new(watch::channel(()).0);
        if let Backend::Postgres(pool) = &backend {
            tokio::spawn(follow::announce_appends(pool.clone(), appended.subscribe()));
        }
        Ok(Self {
            backend,
            appended,
            snapshot_every: DEFAULT_SNAPSHOT_EVERY,
            traces: Arc::default(),
        })
    }

    pub fn kind(&self) -> BackendKind {
        match self.backend {
            Backend::Postgres(_) => BackendKind::Postgres,
            Backend::Sqlite(_) => BackendKind::Sqlite,
        }
    }

    pub async fn get_task(&self, entity_id: EntityId) -> Result<TaskLookup, StoreError> {
        let latest = match &self.backend {
            Backend::Postgres(pool) => postgres::latest(pool, entity_id).await?,
            Backend::Sqlite(pool) => sqlite::latest(pool, entity_id).await?,
        };
        Ok(match latest {
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
        let rows = self.versions(&pages::live(self.kind(), filter)).await?;
        Ok(Page::from_rows(rows, ListCursor::of))
    }

    /// One page of the tombstoned tasks, most recently deleted first.
    pub async fn list_deleted(
        &self,
        after: Option<TimeCursor>,
    ) -> Result<Page<TaskVersion, TimeCursor>, StoreError> {
        let rows = self.versions(&pages::deleted(after)).await?;
        Ok(Page::from_rows(rows, TimeCursor::of))
    }

    /// Every version of one task, oldest first. Empty when the task never existed.
    pub async fn task_history(&self, entity_id: EntityId) -> Result<Vec<TaskVersion>, StoreError> {
        Ok(match &self.backend {
            Backend::Postgres(pool) => postgres::history(pool, entity_id).await?,
            Backend::Sqlite(pool) => sqlite::history(pool, entity_id).await?,
        })
    }

    /// Versions `through` and older of one task, newest first: up to `PAGE_SIZE` of them, plus
    /// the one before the oldest (if there is one) so it can be compared with its predecessor.
    pub async fn history_page(
        &self,
        entity_id: EntityId,
        through: i64,
    ) -> Result<Vec<TaskVersion>, StoreError> {
        self.versions(&pages::history(entity_id, through)).await
    }

    /// One version of a task, or `None` if the task never had it.
    pub async fn get_version(
        &self,
        entity_id: EntityId,
        version: i64,
    ) -> Result<Option<TaskVersion>, StoreError> {
        Ok(match &self.backend {
            Backend::Postgres(pool) => postgres::version(pool, entity_id, version).await?,
            Backend::Sqlite(pool) => sqlite::version(pool, entity_id, version).await?,
        })
    }

    /// One page of the board as it stood at `at`: for every task that existed then, the version
    /// that was latest at that instant (tombstones included, so callers can show what was
    /// deleted), most recently changed first.
    pub async fn board_as_of(
        &self,
        at: DateTime<Utc>,
        after: Option<TimeCursor>,
    ) -> Result<Page<TaskVersion, TimeCursor>, StoreError> {
        let rows = self.versions(&pages::as_of(at, after)).await?;
        Ok(Page::from_rows(rows, TimeCursor::of))
    }

    async fn versions(&self, statement: &pages::Statement) -> Result<Vec<TaskVersion>, StoreError> {
        Ok(match &self.backend {
            Backend::Postgres(pool) => postgres::versions(pool, statement).await?,
            Backend::Sqlite(pool) => sqlite::versions(pool, statement).await?,
        })
    }

    /// All versions of all tasks, newest first, one page at a time, each with the fields it
    /// replaced so a reader can see what changed.
    pub async fn change_feed(&self, query: FeedQuery) -> Result<FeedPage, StoreError> {
        let limit = query.limit.clamp(1, FEED_PAGE_MAX);
        let query = FeedQuery { limit, ..query };
        let mut entries = match &self.backend {
            Backend::Postgres(pool) => postgres::feed(pool, &query).await?,
            Backend::Sqlite(pool) => sqlite::feed(pool, &query).await?,
        };
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
        let statement = pages::position_instant(position);
        Ok(match &self.backend {
            Backend::Postgres(pool) => postgres::instant(pool, &statement).await?,
            Backend::Sqlite(pool) => sqlite::instant(pool, &statement).await?,
        })
    }

    /// When the first change was recorded; `None` while the table is empty.
    pub async fn first_instant(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let statement = pages::first_instant();
        Ok(match &self.backend {
            Backend::Postgres(pool) => postgres::instant(pool, &statement).await?,
            Backend::Sqlite(pool) => sqlite::instant(pool, &statement).await?,
        })
    }

    /// Where `at` sits among all recorded changes.
    pub async fn timeline(&self, at: DateTime<Utc>) -> Result<BoardTimeline, StoreError> {
        let statement = pages::timeline(at);
        Ok(match &self.backend {
            Backend::Postgres(pool) => postgres::timeline(pool, &statement).await?,
            Backend::Sqlite(pool) => sqlite::timeline(pool, &statement).await?,
        })
    }

    /// One whole number from the pool (outside any transaction).
    pub(super) async fn number(&self, sql: &str, binds: &[i64]) -> Result<Option<i64>, StoreError> {
        Ok(match &self.backend {
            Backend::Postgres(pool) => {
                let mut query = sqlx::query_scalar(sql);
                for bind in binds {
                    query = query.bind(bind);
                }
                query.fetch_one(pool).await?
            }
            Backend::Sqlite(pool) => {
                let mut query = sqlx::query_scalar(sql);
                for bind in binds {
                    query = query.bind(bind);
                }
                query.fetch_one(pool).await?
            }
        })
    }

    /// Whether `close` has been called: followers stop then.
    pub fn is_closed(&self) -> bool {
        match &self.backend {
            Backend::Postgres(pool) => pool.is_closed(),
            Backend::Sqlite(pool) => pool.is_closed(),
        }
    }

    /// Waits for open connections to finish and closes the pool (on shutdown). A follower's
    /// LISTEN connection is handed back when its wait is cut short by the closing pool, but one
    /// held by a listener that is not waiting at that moment would hold the close up forever (a
    /// CI run of the store suite once hung here), so the wait is bounded; whatever is still open
    /// then is closed when it is dropped.
    pub async fn close(&self) {
        const GRACE: std::time::Duration = std::time::Duration::from_secs(5);
        let closed = match &self.backend {
            Backend::Postgres(pool) => tokio::time::timeout(GRACE, pool.close()).await,
            Backend::Sqlite(pool) => tokio::time::timeout(GRACE, pool.close()).await,
        };
        if closed.is_err() {
            tracing::warn!("connections still in use after {GRACE:?}; closing without them");
        }
    }
}
