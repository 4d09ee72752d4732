//! The task store: the one place that speaks SQL. It owns the append-only version table on both
//! backends (SQLite by default, PostgreSQL when `DATABASE_URL` says so) behind one contract.
//!
//! Every write is one transaction that reads the task's latest version under a lock, decides the
//! next version from it, and appends exactly one row. The database has the first word on every
//! invariant (append-only triggers, UNIQUE(entity_id, version), CHECK constraints); the checks
//! here are the second line and exist to give precise errors. No write path ever issues an UPDATE
//! or DELETE against `task_versions`; the one place that sends them is `attempt_tamper`, which
//! exists to show the database refusing them and always rolls back.

mod chain;
mod error;
mod generate;
mod pages;
mod postgres;
mod row;
mod seed;
mod sqlite;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sqlx::{PgPool, SqlitePool};
use tokio::sync::watch;
use uuid::Uuid;

pub use chain::{verify as verify_chain, verify_after as verify_chain_after};
pub use error::StoreError;
pub use generate::{BoardSize, Generated};

use crate::database::{DatabaseFacts, Tamper, TamperOutcome};
use crate::paging::{ListCursor, Page, TimeCursor};
use crate::task::{
    BoardTimeline, ChainReport, ChangeMeta, EntityId, FeedPage, FeedQuery, Op, TaskFields,
    TaskFilter, TaskLookup, TaskVersion,
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

/// Where a version stands in the order followers read the table: the transaction that appended
/// it, then its position. PostgreSQL appends concurrently, so positions can commit out of order;
/// reading in this order, below the oldest running transaction, means nothing can still commit
/// before a follower's cursor (migration 0005). SQLite appends one at a time, so there the
/// transaction is always 0 and the order is the positions'.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FollowKey {
    pub transaction: i64,
    pub position: i64,
}

impl FollowKey {
    /// Before the first version.
    pub const START: FollowKey = FollowKey {
        transaction: 0,
        position: 0,
    };
}

/// A version as a follower receives it, with its place in the followers' order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Followed {
    pub key: FollowKey,
    pub version: TaskVersion,
}

/// A connection pool to one of the two supported databases.
#[derive(Clone, Debug)]
pub struct Store {
    backend: Backend,
    /// SQLite has no LISTEN/NOTIFY: this process announces its own commits here instead.
    appended: Arc<watch::Sender<()>>,
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

/// A version about to be appended, before the database has given it a position.
pub(crate) struct NewVersion<'a> {
    pub entity_id: EntityId,
    pub op: Op,
    pub fields: TaskFields,
    pub meta: ChangeMeta,
    pub previous: Option<&'a TaskVersion>,
    /// `None` means "now, by the database clock"; only the demo seed passes a past instant.
    pub recorded_at: Option<DateTime<Utc>>,
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
            tokio::spawn(announce_appends(pool.clone(), appended.subscribe()));
        }
        Ok(Self { backend, appended })
    }

    pub fn kind(&self) -> BackendKind {
        match self.backend {
            Backend::Postgres(_) => BackendKind::Postgres,
            Backend::Sqlite(_) => BackendKind::Sqlite,
        }
    }

    /// Appends the demo story when the database holds no task yet. Returns whether it did.
    pub async fn seed_demo_if_empty(&self) -> Result<bool, StoreError> {
        seed::seed_if_empty(self).await
    }

    /// Appends a generated board of `size` whose history spans the half year before now.
    pub async fn generate_board(&self, size: BoardSize) -> Result<Generated, StoreError> {
        let generated = generate::generate(self, size, Utc::now()).await?;
        self.appended.send_replace(());
        Ok(generated)
    }

    pub async fn create_task(
        &self,
        fields: TaskFields,
        meta: ChangeMeta,
    ) -> Result<TaskVersion, StoreError> {
        self.create_task_at(fields, meta, None).await
    }

    pub(crate) async fn create_task_at(
        &self,
        fields: TaskFields,
        meta: ChangeMeta,
        recorded_at: Option<DateTime<Utc>>,
    ) -> Result<TaskVersion, StoreError> {
        let tx = self.begin_write().await?;
        tx.append_and_commit(NewVersion {
            entity_id: EntityId::from_uuid(Uuid::now_v7()),
            op: Op::Created,
            fields,
            meta,
            previous: None,
            recorded_at,
        })
        .await
    }

    /// Appends an edit made by someone who started from `expected_version`. If another writer
    /// got there first, nothing is written and the error names the version they produced.
    pub async fn update_task(
        &self,
        entity_id: EntityId,
        expected_version: i64,
        fields: TaskFields,
        meta: ChangeMeta,
    ) -> Result<TaskVersion, StoreError> {
        self.update_task_at(entity_id, expected_version, fields, meta, None)
            .await
    }

    pub(crate) async fn update_task_at(
        &self,
        entity_id: EntityId,
        expected_version: i64,
        fields: TaskFields,
        meta: ChangeMeta,
        recorded_at: Option<DateTime<Utc>>,
    ) -> Result<TaskVersion, StoreError> {
        let mut tx = self.begin_write().await?;
        let latest = tx.lock_live(entity_id).await?;
        if latest.version != expected_version {
            return Err(StoreError::Conflict {
                current_version: latest.version,
            });
        }
        if latest.fields == fields {
            return Err(StoreError::NoChanges);
        }
        tx.append_and_commit(NewVersion {
            entity_id,
            op: Op::Updated,
            fields,
            meta,
            previous: Some(&latest),
            recorded_at,
        })
        .await
    }

    /// Appends a tombstone carrying the last live content, so a restore has something to copy.
    pub async fn delete_task(
        &self,
        entity_id: EntityId,
        meta: ChangeMeta,
    ) -> Result<TaskVersion, StoreError> {
        self.delete_task_at(entity_id, meta, None).await
    }

    pub(crate) async fn delete_task_at(
        &self,
        entity_id: EntityId,
        meta: ChangeMeta,
        recorded_at: Option<DateTime<Utc>>,
    ) -> Result<TaskVersion, StoreError> {
        self.copy_latest(entity_id, Op::Deleted, meta, recorded_at)
            .await
    }

    /// Appends a live version with the tombstone's content.
    pub async fn restore_task(
        &self,
        entity_id: EntityId,
        meta: ChangeMeta,
    ) -> Result<TaskVersion, StoreError> {
        self.restore_task_at(entity_id, meta, None).await
    }

    pub(crate) async fn restore_task_at(
        &self,
        entity_id: EntityId,
        meta: ChangeMeta,
        recorded_at: Option<DateTime<Utc>>,
    ) -> Result<TaskVersion, StoreError> {
        self.copy_latest(entity_id, Op::Restored, meta, recorded_at)
            .await
    }

    /// Deleting and restoring both append the latest content unchanged under a new `op`; only
    /// a live task can be deleted and only a deleted one restored.
    async fn copy_latest(
        &self,
        entity_id: EntityId,
        op: Op,
        meta: ChangeMeta,
        recorded_at: Option<DateTime<Utc>>,
    ) -> Result<TaskVersion, StoreError> {
        let mut tx = self.begin_write().await?;
        let latest = tx
            .lock_latest(entity_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        match (op, latest.is_tombstone()) {
            (Op::Deleted, true) => {
                return Err(StoreError::Deleted {
                    version: latest.version,
                })
            }
            (Op::Restored, false) => return Err(StoreError::NotDeleted),
            _ => {}
        }
        tx.append_and_commit(NewVersion {
            entity_id,
            op,
            fields: latest.fields.clone(),
            meta,
            previous: Some(&latest),
            recorded_at,
        })
        .await
    }

    /// Appends a new version whose fields are copied from an older version `target`.
    pub async fn revert_task(
        &self,
        entity_id: EntityId,
        target: i64,
        meta: ChangeMeta,
    ) -> Result<TaskVersion, StoreError> {
        let mut tx = self.begin_write().await?;
        let latest = tx.lock_live(entity_id).await?;
        if target >= latest.version {
            return Err(StoreError::InvalidRevert(format!(
                "version {target} is not older than the current version {}",
                latest.version
            )));
        }
        let source = tx
            .version(entity_id, target)
            .await?
            .ok_or(StoreError::NoSuchVersion(target))?;
        if source.is_tombstone() {
            return Err(StoreError::InvalidRevert(format!(
                "version {target} is a deletion; restore the task instead"
            )));
        }
        if source.fields == latest.fields {
            return Err(StoreError::NoChanges);
        }
        tx.append_and_commit(NewVersion {
            entity_id,
            op: Op::Reverted,
            fields: source.fields,
            meta,
            previous: Some(&latest),
            recorded_at: None,
        })
        .await
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

    /// Versions appended after the one at `position`, in the order followers read the table
    /// (see `FollowKey`): how a follower of the stream catches up. A version that commits later
    /// always sorts after everything this returns, so a follower that moves its cursor along
    /// never skips one, however many writers append at once.
    pub async fn changes_after(
        &self,
        position: i64,
        limit: u32,
    ) -> Result<Vec<Followed>, StoreError> {
        let limit = i64::from(limit.clamp(1, FEED_PAGE_MAX));
        Ok(match &self.backend {
            Backend::Postgres(pool) => postgres::changes_after(pool, position, limit).await?,
            Backend::Sqlite(pool) => sqlite::changes_after(pool, position, limit).await?,
        })
    }

    /// The followers' key of the version at `position`: where a follower that was handed that
    /// position stands.
    pub async fn follow_key(&self, position: i64) -> Result<FollowKey, StoreError> {
        Ok(match &self.backend {
            Backend::Postgres(pool) => postgres::follow_key(pool, position).await?,
            Backend::Sqlite(_) => FollowKey {
                transaction: 0,
                position,
            },
        })
    }

    /// Where a follower starting now begins: the last version it need not be sent.
    pub async fn follow_head(&self) -> Result<FollowKey, StoreError> {
        Ok(match &self.backend {
            Backend::Postgres(pool) => postgres::follow_head(pool).await?,
            Backend::Sqlite(pool) => FollowKey {
                transaction: 0,
                position: sqlite::head_position(pool).await?,
            },
        })
    }

    /// The position of the newest version, 0 while the table is empty.
    pub async fn head_position(&self) -> Result<i64, StoreError> {
        Ok(match &self.backend {
            Backend::Postgres(pool) => postgres::head_position(pool).await?,
            Backend::Sqlite(pool) => sqlite::head_position(pool).await?,
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

    /// Starts following appends: on PostgreSQL, this process's commits and the NOTIFY other
    /// processes send after theirs (so appends made through any server on the database are
    /// heard); on SQLite, this process's own commits.
    pub async fn appends(&self) -> Result<Appends, StoreError> {
        Ok(match &self.backend {
            Backend::Postgres(pool) => Appends::Postgres(
                Box::new(postgres::listen(pool).await?),
                self.appended.subscribe(),
            ),
            Backend::Sqlite(_) => Appends::Sqlite(self.appended.subscribe()),
        })
    }

    /// Recomputes every hash of one task's chain from the stored content.
    pub async fn verify_task(&self, entity_id: EntityId) -> Result<ChainReport, StoreError> {
        let history = self.task_history(entity_id).await?;
        if history.is_empty() {
            return Err(StoreError::NotFound);
        }
        Ok(chain::verify(entity_id, &history))
    }

    /// What the database's catalog says about the version table: its triggers, constraints and
    /// privileges, read back rather than taken from the migrations, and its size against the
    /// read model's.
    pub async fn database_facts(&self) -> Result<DatabaseFacts, StoreError> {
        let (version_rows, current_rows, live_tasks) = self.sizes().await?;
        let ((triggers, constraints), (privileges, superuser)) = match &self.backend {
            Backend::Postgres(pool) => (
                postgres::rules(pool).await?,
                postgres::privileges(pool).await?,
            ),
            Backend::Sqlite(pool) => (sqlite::rules(pool).await?, (Vec::new(), false)),
        };
        Ok(DatabaseFacts {
            backend: String::new(),
            version_rows,
            current_rows,
            live_tasks,
            triggers,
            constraints,
            privileges,
            superuser,
        })
    }

    /// Sends a statement that would rewrite history and reports what the database answered.
    /// It runs in a transaction that is rolled back whatever happens, so even a database that
    /// had lost its guards would keep its rows.
    pub async fn attempt_tamper(&self, tamper: Tamper) -> Result<TamperOutcome, StoreError> {
        const NEWEST: &str = "WHERE position = (SELECT max(position) FROM task_versions)";
        let statement = match (tamper, self.kind()) {
            (Tamper::Update, _) => {
                format!("UPDATE task_versions SET title = 'Rewritten history' {NEWEST}")
            }
            (Tamper::Delete, _) => format!("DELETE FROM task_versions {NEWEST}"),
            (Tamper::Wipe, BackendKind::Postgres) => "TRUNCATE task_versions".to_owned(),
            // SQLite has no TRUNCATE; an unqualified DELETE is how it empties a table.
            (Tamper::Wipe, BackendKind::Sqlite) => "DELETE FROM task_versions".to_owned(),
        };
        let (rows_before, _, _) = self.sizes().await?;
        let refusal = refusal(match &self.backend {
            Backend::Postgres(pool) => postgres::attempt(pool, &statement).await?,
            Backend::Sqlite(pool) => sqlite::attempt(pool, &statement).await?,
        })?;
        let (rows_after, _, _) = self.sizes().await?;
        Ok(TamperOutcome {
            tamper,
            statement,
            refusal,
            rows_before,
            rows_after,
        })
    }

    /// Rows in the version table, rows in the read model, and live tasks.
    async fn sizes(&self) -> Result<(i64, i64, i64), StoreError> {
        const SIZES: &str = "SELECT (SELECT count(*) FROM task_versions), \
             (SELECT count(*) FROM task_current), \
             (SELECT count(*) FROM task_current WHERE deleted_at IS NULL)";
        Ok(match &self.backend {
            Backend::Postgres(pool) => sqlx::query_as(SIZES).fetch_one(pool).await?,
            Backend::Sqlite(pool) => sqlx::query_as(SIZES).fetch_one(pool).await?,
        })
    }

    async fn begin_write(&self) -> Result<WriteTx, StoreError> {
        Ok(match &self.backend {
            Backend::Postgres(pool) => {
                WriteTx::Postgres(pool.begin().await?, Arc::clone(&self.appended))
            }
            Backend::Sqlite(pool) => WriteTx::Sqlite(
                sqlite::begin_immediate(pool).await?,
                Arc::clone(&self.appended),
            ),
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

/// Tells the other server processes on a PostgreSQL database about this one's appends: one
/// NOTIFY per wake-up, sent after the commits, so appends made while one is on its way are
/// folded into the next. A NOTIFY inside each append would make PostgreSQL commit the appends
/// one at a time (it holds a cluster-wide lock from a notifying transaction's commit to its end).
async fn announce_appends(pool: PgPool, mut appended: watch::Receiver<()>) {
    // Ends when the last store handle (which owns the sender) is gone.
    while appended.changed().await.is_ok() {
        if pool.is_closed() {
            return;
        }
        if let Err(error) = postgres::announce(&pool).await {
            if pool.is_closed() {
                return;
            }
            tracing::warn!(%error, "could not announce appends to other server processes");
        }
    }
}

/// The database's refusal of an attempt, if it refused; any other failure is an error.
fn refusal(attempt: Result<(), sqlx::Error>) -> Result<Option<String>, sqlx::Error> {
    match attempt {
        Ok(()) => Ok(None),
        Err(sqlx::Error::Database(error)) => Ok(Some(error.message().to_owned())),
        Err(other) => Err(other),
    }
}

/// Wake-ups for whoever follows the version table. A wake-up says "something was appended",
/// not what: the follower reads everything after its own cursor, so a lost or merged wake-up
/// delays a change but never loses it.
pub enum Appends {
    /// Other processes' announcements, and this process's own commits (heard directly rather
    /// than by a round trip through the database).
    Postgres(Box<sqlx::postgres::PgListener>, watch::Receiver<()>),
    Sqlite(watch::Receiver<()>),
}

impl Appends {
    /// Waits for the next append. Cancel-safe, so it can race a timer in `select!`.
    pub async fn next(&mut self) -> Result<(), StoreError> {
        match self {
            // A lost connection is re-established by the next call; what was announced while
            // it was down is found by the follower's read after its cursor.
            Appends::Postgres(listener, own) => tokio::select! {
                heard = listener.recv() => heard.map(drop)?,
                // The sender lives as long as the store, which outlives every follower.
                changed = own.changed() => changed.unwrap_or(()),
            },
            // The sender lives as long as the store, which outlives every follower.
            Appends::Sqlite(appended) => appended.changed().await.unwrap_or(()),
        }
        Ok(())
    }
}

/// An open write transaction. Dropping it without `commit` rolls everything back.
/// Each carries the process's announcement of appends, made once the append has committed.
enum WriteTx {
    Postgres(
        sqlx::Transaction<'static, sqlx::Postgres>,
        Arc<watch::Sender<()>>,
    ),
    Sqlite(
        sqlx::Transaction<'static, sqlx::Sqlite>,
        Arc<watch::Sender<()>>,
    ),
}

impl WriteTx {
    /// The task's latest version, locked against concurrent writers until commit.
    async fn lock_latest(
        &mut self,
        entity_id: EntityId,
    ) -> Result<Option<TaskVersion>, StoreError> {
        Ok(match self {
            WriteTx::Postgres(tx, _) => postgres::lock_latest(tx, entity_id).await?,
            // BEGIN IMMEDIATE already holds SQLite's single write lock.
            WriteTx::Sqlite(tx, _) => sqlite::latest(&mut **tx, entity_id).await?,
        })
    }

    /// Like `lock_latest`, for operations that need a task that exists and is not deleted.
    async fn lock_live(&mut self, entity_id: EntityId) -> Result<TaskVersion, StoreError> {
        match self.lock_latest(entity_id).await? {
            None => Err(StoreError::NotFound),
            Some(latest) if latest.is_tombstone() => Err(StoreError::Deleted {
                version: latest.version,
            }),
            Some(latest) => Ok(latest),
        }
    }

    async fn version(
        &mut self,
        entity_id: EntityId,
        version: i64,
    ) -> Result<Option<TaskVersion>, StoreError> {
        Ok(match self {
            WriteTx::Postgres(tx, _) => postgres::version(&mut **tx, entity_id, version).await?,
            WriteTx::Sqlite(tx, _) => sqlite::version(&mut **tx, entity_id, version).await?,
        })
    }

    /// Stamps, hashes and inserts the next version.
    async fn append(&mut self, new: NewVersion<'_>) -> Result<TaskVersion, StoreError> {
        let now = match new.recorded_at {
            Some(at) => at,
            None => match self {
                WriteTx::Postgres(tx, _) => postgres::clock(tx).await?,
                WriteTx::Sqlite(tx, _) => sqlite::clock(tx).await?,
            },
        };
        let row = chain::seal(new, now);
        match self {
            WriteTx::Postgres(tx, _) => postgres::insert(tx, row).await,
            WriteTx::Sqlite(tx, _) => sqlite::insert(tx, row).await,
        }
    }

    /// Appends versions of distinct tasks in one statement; nothing is committed yet.
    async fn insert_many(&mut self, rows: &[TaskVersion]) -> Result<(), StoreError> {
        match self {
            WriteTx::Postgres(tx, _) => postgres::insert_many(tx, rows).await,
            WriteTx::Sqlite(tx, _) => sqlite::insert_many(tx, rows).await,
        }
    }

    /// Commits, then announces the append: to this process's followers directly, and on
    /// PostgreSQL through the announcer to every process listening on the database.
    async fn commit(self) -> Result<(), StoreError> {
        let appended = match self {
            WriteTx::Postgres(tx, appended) => {
                tx.commit().await?;
                appended
            }
            WriteTx::Sqlite(tx, appended) => {
                tx.commit().await?;
                appended
            }
        };
        appended.send_replace(());
        Ok(())
    }

    /// The last step of every write: append the one new version, then commit.
    async fn append_and_commit(mut self, new: NewVersion<'_>) -> Result<TaskVersion, StoreError> {
        let row = self.append(new).await?;
        self.commit().await?;
        Ok(row)
    }
}
