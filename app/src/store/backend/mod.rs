//! The seam between the store and its two databases, and the only place that tells them apart
//! by type. Everything above it is written once: a `Statement` goes in, rows decoded by column
//! name come out. What truly differs lives here as code (opening a pool, SQLite's write lock,
//! PostgreSQL's LISTEN/NOTIFY, the column types in `columns`) or as data in `PerBackend` (SQL
//! text that reads differently on each). A new operation needs no change here.

mod columns;

use std::future::Future;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::pool::PoolOptions;
use sqlx::postgres::{PgListener, PgPoolOptions, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow};
use sqlx::{Connection, FromRow, PgConnection, PgPool, SqlitePool};
use tokio::sync::watch;

pub(crate) use columns::{DbId, DbInstant};

use super::statement::{Bind, Statement};
use super::StoreError;

/// The channel each server process announces its committed appends on (migration 0005).
pub(crate) const APPENDED_CHANNEL: &str = "task_versions_appended";

/// Which database a store talks to; shown in the UI so a class can see what it is looking at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    Postgres,
    Sqlite,
}

impl BackendKind {
    /// The database's name as people know it.
    pub fn name(self) -> &'static str {
        PerBackend {
            postgres: "PostgreSQL",
            sqlite: "SQLite",
        }
        .on(self)
    }
}

/// A value (usually SQL text) written once per backend, side by side; `on` picks one.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PerBackend<T> {
    pub postgres: T,
    pub sqlite: T,
}

impl<T> PerBackend<T> {
    pub fn on(self, kind: BackendKind) -> T {
        match kind {
            BackendKind::Postgres => self.postgres,
            BackendKind::Sqlite => self.sqlite,
        }
    }
}

/// A row type the store reads from either database, by column name.
pub(crate) trait StoredRow:
    for<'r> FromRow<'r, PgRow> + for<'r> FromRow<'r, SqliteRow> + Send + Unpin
{
}

impl<T> StoredRow for T where
    T: for<'r> FromRow<'r, PgRow> + for<'r> FromRow<'r, SqliteRow> + Send + Unpin
{
}

/// Hands one value, in the backend's column type, to `$use` as `$value`; expanded once per
/// backend and once per kind of value.
macro_rules! bind_value {
    ($bind:expr, |$value:ident| $use:expr) => {
        match $bind {
            Bind::Text(text) => {
                let $value = text.as_deref();
                $use
            }
            Bind::Int(number) => {
                let $value = *number;
                $use
            }
            Bind::SmallInt(number) => {
                let $value = *number;
                $use
            }
            Bind::Float(number) => {
                let $value = *number;
                $use
            }
            Bind::Instant(at) => {
                let $value = at.map(DbInstant);
                $use
            }
            Bind::Date(date) => {
                let $value = *date;
                $use
            }
            Bind::Id(id) => {
                let $value = DbId(*id);
                $use
            }
        }
    };
}

/// Binds a statement's values in the backend's column types.
macro_rules! bound {
    ($query:expr, $statement:expr) => {{
        let mut query = $query;
        for bind in &$statement.binds {
            query = bind_value!(bind, |value| query.bind(value));
        }
        query
    }};
}

/// Runs one body against whichever database a value holds: the body is written once and
/// compiled for each backend's types.
macro_rules! on_each {
    ($value:expr, $enum:ident, $inner:ident => $body:expr) => {
        match $value {
            $enum::Postgres($inner) => $body,
            $enum::Sqlite($inner) => $body,
        }
    };
}

mod tx;

pub(crate) use tx::Tx;

/// How long a request waits for a PostgreSQL connection at a time. When the wait runs out, a
/// probe tells an outage (503 at once) from a busy pool (wait again, `ACQUIRE_ATTEMPTS` times in
/// all): sqlx's one timeout covers both, and 0.8 s of it alone failed 16 concurrent writers.
const ACQUIRE_TIMEOUT: Duration = Duration::from_millis(800);
/// How many waits for a connection a request makes while the database answers the probe.
const ACQUIRE_ATTEMPTS: u32 = 4;
/// How long the probe may take to open a connection of its own.
const PROBE_WITHIN: Duration = Duration::from_secs(2);

/// A connection back in the pool for less than this is handed out without a ping.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// sqlx pings a connection when it goes back to the pool and, by default, again before handing
/// it out: a second round trip in front of every query. A connection returned moments ago has
/// just answered that ping, so only one idle for longer (through a database restart, say) is
/// pinged before use; HikariCP skips its check the same way within 500 ms of a connection's
/// last use.
fn ping_when_idle<DB: sqlx::Database>(options: PoolOptions<DB>) -> PoolOptions<DB> {
    options
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_AFTER_IDLE {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
}

/// How many connections a pool holds open, and how many of them wait for work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolStatus {
    pub connections: u32,
    pub idle: u32,
}

/// A connection pool to one of the two supported databases.
#[derive(Clone, Debug)]
pub(crate) enum Pool {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

impl Pool {
    /// Opens the database named by `url` (`postgres://...` or `sqlite:...`), creating a SQLite
    /// file if needed, and brings its schema up to date.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = ping_when_idle(PgPoolOptions::new())
                .max_connections(16)
                // While the database is unreachable a request waits this long for a connection
                // (sqlx retries refused connects meanwhile), then answers 503 with Retry-After,
                // so nobody stares at a spinner (sqlx's default is 30 s); see `patiently`.
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect(url)
                .await?;
            sqlx::migrate!("../migrations/postgres").run(&pool).await?;
            return Ok(Self::Postgres(pool));
        }
        // WAL lets readers go on while one writer appends; the busy timeout makes concurrent
        // writers queue for SQLite's one write lock instead of failing.
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        if let Some(dir) = Path::new(options.get_filename()).parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|error| StoreError::Database(error.into()))?;
            }
        }
        let pool = ping_when_idle(SqlitePoolOptions::new())
            .max_connections(8)
            .connect_with(options)
            .await?;
        sqlx::migrate!("../migrations/sqlite").run(&pool).await?;
        Ok(Self::Sqlite(pool))
    }

    pub fn kind(&self) -> BackendKind {
        match self {
            Pool::Postgres(_) => BackendKind::Postgres,
            Pool::Sqlite(_) => BackendKind::Sqlite,
        }
    }

    pub async fn fetch_all<T: StoredRow>(
        &self,
        statement: &Statement,
    ) -> Result<Vec<T>, sqlx::Error> {
        self.patiently(|| async {
            on_each!(self, Pool, pool => bound!(sqlx::query_as(&statement.sql), statement)
                .fetch_all(pool)
                .await)
        })
        .await
    }

    pub async fn fetch_optional<T: StoredRow>(
        &self,
        statement: &Statement,
    ) -> Result<Option<T>, sqlx::Error> {
        self.patiently(|| async {
            on_each!(self, Pool, pool => bound!(sqlx::query_as(&statement.sql), statement)
                .fetch_optional(pool)
                .await)
        })
        .await
    }

    pub async fn fetch_one<T: StoredRow>(&self, statement: &Statement) -> Result<T, sqlx::Error> {
        self.patiently(|| async {
            on_each!(self, Pool, pool => bound!(sqlx::query_as(&statement.sql), statement)
                .fetch_one(pool)
                .await)
        })
        .await
    }

    /// A transaction that only reads, or writes what no other writer touches (a demonstration's
    /// scratch table, a snapshot claimed by its primary key).
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        let conn = self
            .patiently(|| async {
                on_each!(self, Pool, pool => pool.begin().await.map(Into::into))
            })
            .await?;
        Ok(Tx::started(conn, Some("BEGIN")))
    }

    /// A transaction that appends. On SQLite it takes the one write lock up front (BEGIN
    /// IMMEDIATE), so concurrent writers queue on the busy timeout instead of failing mid-way;
    /// on PostgreSQL concurrent writers meet only at the rows they insert.
    pub async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        match self {
            Pool::Postgres(_) => self.begin().await,
            Pool::Sqlite(pool) => Ok(Tx::started(
                pool.begin_with("BEGIN IMMEDIATE").await?.into(),
                Some("BEGIN IMMEDIATE"),
            )),
        }
    }

    /// Runs `op`, which waits for one of the pool's connections, again while the wait ran out
    /// only because every connection was busy: the database still accepts a new connection
    /// beside the pool. When it does not, the database is away and the timeout is the answer.
    async fn patiently<T, F, Fut>(&self, mut op: F) -> Result<T, sqlx::Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, sqlx::Error>>,
    {
        let mut attempt = 1;
        loop {
            match op().await {
                Err(sqlx::Error::PoolTimedOut)
                    if attempt < ACQUIRE_ATTEMPTS && self.accepts_connections().await =>
                {
                    attempt += 1;
                }
                outcome => return outcome,
            }
        }
    }

    /// Whether the database accepts a connection opened beside the pool (and closed at once).
    /// SQLite's pool waits sqlx's default 30 s before it times out, for its file, not a network:
    /// nothing to tell apart there.
    async fn accepts_connections(&self) -> bool {
        let Pool::Postgres(pool) = self else {
            return false;
        };
        let options = pool.connect_options();
        match tokio::time::timeout(PROBE_WITHIN, PgConnection::connect_with(&options)).await {
            Ok(Ok(probe)) => {
                // Whether it closes politely changes nothing: it answered.
                let _ = probe.close().await;
                true
            }
            _ => false,
        }
    }

    /// Where one append runs. On PostgreSQL, a connection outside any transaction: the append
    /// reads the task's latest version and inserts the next in two statements, each committing
    /// alone, and a writer that raced another is refused by the database (the version-sequence
    /// trigger, `UNIQUE (entity_id, version)`), not kept waiting on a lock. On SQLite, the
    /// write transaction of `begin_write`, whose write lock makes appends take turns anyway.
    pub async fn begin_append(&self) -> Result<Tx, sqlx::Error> {
        match self {
            Pool::Postgres(pool) => {
                let conn = self.patiently(|| pool.acquire()).await?;
                Ok(Tx::started(conn.into(), None))
            }
            Pool::Sqlite(_) => self.begin_write().await,
        }
    }

    /// Starts following appends: on PostgreSQL, this process's commits and the NOTIFY other
    /// processes send after theirs (so appends made through any server on the database are
    /// heard); on SQLite, this process's own commits.
    pub async fn appends(&self, own: watch::Receiver<()>) -> Result<Appends, sqlx::Error> {
        Ok(match self {
            Pool::Postgres(pool) => {
                let mut listener = PgListener::connect_with(pool).await?;
                listener.listen(APPENDED_CHANNEL).await?;
                Appends::Postgres(Box::new(listener), own)
            }
            Pool::Sqlite(_) => Appends::Sqlite(own),
        })
    }

    /// On PostgreSQL, starts telling the other server processes on the database about this
    /// one's appends. SQLite has no NOTIFY, and other processes on the file are not followed.
    pub fn announce_appends(&self, appended: watch::Receiver<()>) {
        if let Pool::Postgres(pool) = self {
            tokio::spawn(announce_appends(pool.clone(), appended));
        }
    }

    pub fn is_closed(&self) -> bool {
        on_each!(self, Pool, pool => pool.is_closed())
    }

    pub fn status(&self) -> PoolStatus {
        on_each!(self, Pool, pool => PoolStatus {
            connections: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
        })
    }

    pub async fn close(&self) {
        on_each!(self, Pool, pool => pool.close().await)
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
        let notified = sqlx::query("SELECT pg_notify($1, '')")
            .bind(APPENDED_CHANNEL)
            .execute(&pool)
            .await;
        if let Err(error) = notified {
            if pool.is_closed() {
                return;
            }
            tracing::warn!(%error, "could not announce appends to other server processes");
        }
    }
}

/// Wake-ups for whoever follows the version table. A wake-up says "something was appended",
/// not what: the follower reads everything after its own cursor, so a lost or merged wake-up
/// delays a change but never loses it.
pub enum Appends {
    /// Other processes' announcements, and this process's own commits (heard directly rather
    /// than by a round trip through the database).
    Postgres(Box<PgListener>, watch::Receiver<()>),
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
