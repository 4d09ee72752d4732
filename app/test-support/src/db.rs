//! A fresh, migrated database per test, on a real SQLite file or a real PostgreSQL server, and
//! removed when the test ends, whether it passed or panicked. PostgreSQL is never optional:
//! without TEST_DATABASE_URL the tests fail.

use std::path::PathBuf;
use std::time::Duration;

use app::store::Store;
use sqlx::Connection;
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// One test's database. Dropping it closes the store and removes the database, so a test that
/// panics leaves nothing behind either.
pub struct TestDb {
    pub store: Store,
    pub backend: Backend,
    /// Where the database is, for a second store (a second server, in effect) to open.
    pub url: String,
    /// A connection of its own to the same database, for SQL the store would never run.
    raw: RawPool,
    place: Place,
}

#[derive(Clone)]
enum RawPool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// What to remove when the test ends.
#[derive(Clone)]
enum Place {
    File(PathBuf),
    Database { admin_url: String, name: String },
}

/// The PostgreSQL server tests run against, as a URL whose role may create databases.
fn postgres_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| {
        panic!(
            "TEST_DATABASE_URL is not set. The store tests run against a real PostgreSQL server \
             and never skip it: run scripts/test.sh, or export \
             TEST_DATABASE_URL=postgres://USER:PASSWORD@127.0.0.1:5432/postgres"
        )
    })
}

fn with_database(url: &str, name: &str) -> String {
    let (base, _) = url
        .rsplit_once('/')
        .expect("TEST_DATABASE_URL ends in /DATABASE");
    format!("{base}/{name}")
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        let name = format!("tasks_test_{}", Uuid::now_v7().simple());
        match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("{name}.db"));
                let url = format!("sqlite:{}", path.display());
                let store = Store::connect(&url)
                    .await
                    .expect("open a fresh SQLite file");
                let raw = sqlx::SqlitePool::connect(&url)
                    .await
                    .expect("open the file again");
                Self {
                    store,
                    backend,
                    url,
                    raw: RawPool::Sqlite(raw),
                    place: Place::File(path),
                }
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url();
                let mut admin = sqlx::PgConnection::connect(&admin_url)
                    .await
                    .expect("connect to PostgreSQL");
                sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .await
                    .expect("create a fresh PostgreSQL database");
                admin.close().await.expect("hang up cleanly");
                let url = with_database(&admin_url, &name);
                let store = Store::connect(&url).await.expect("open the fresh database");
                let raw = sqlx::PgPool::connect(&url)
                    .await
                    .expect("connect to it again");
                Self {
                    store,
                    backend,
                    url,
                    raw: RawPool::Postgres(raw),
                    place: Place::Database { admin_url, name },
                }
            }
        }
    }

    /// Runs SQL behind the store's back, as a person in psql or sqlite3 would.
    pub async fn raw(&self, sql: &str) -> Result<(), sqlx::Error> {
        match &self.raw {
            RawPool::Sqlite(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop),
            RawPool::Postgres(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop),
        }
    }

    /// Counts stored versions with raw SQL, to prove a failed operation wrote nothing.
    pub async fn version_rows(&self) -> i64 {
        let sql = "SELECT count(*) FROM task_versions";
        match &self.raw {
            RawPool::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
            RawPool::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        }
        .expect("count versions")
    }
}

impl Drop for TestDb {
    /// `drop` cannot await, and this thread is inside the test's runtime, which will not block on
    /// another future, so the removal runs on a thread with a small runtime of its own; the test
    /// waits for it, so its database is gone before the test is reported, passed or panicked.
    fn drop(&mut self) {
        let (store, raw, place) = (self.store.clone(), self.raw.clone(), self.place.clone());
        let removed = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|error| format!("start a runtime to clean up with: {error}"))?
                .block_on(remove(store, raw, place))
        })
        .join()
        .unwrap_or_else(|_| Err("the clean-up thread panicked".to_owned()));
        if let Err(error) = removed {
            // A second panic while the test's own unwinds would abort and hide the first.
            if std::thread::panicking() {
                eprintln!("the test database was left behind: {error}");
            } else {
                panic!("the test database was left behind: {error}");
            }
        }
    }
}

/// Closes the store before removing its database: a closed pool opens no new connection, so a
/// follower still running cannot create the SQLite file again or hold the PostgreSQL database
/// open while it is dropped.
async fn remove(store: Store, raw: RawPool, place: Place) -> Result<(), String> {
    // Like the store's own close, the wait is bounded: a connection a panicking test still held
    // must not hang the clean-up, and whatever is left open then is no obstacle on Linux (an
    // unlinked file) or to DROP DATABASE ... WITH (FORCE).
    const GRACE: Duration = Duration::from_secs(5);
    store.close().await;
    match (raw, place) {
        (RawPool::Sqlite(pool), Place::File(path)) => {
            let _ = tokio::time::timeout(GRACE, pool.close()).await;
            for suffix in ["", "-wal", "-shm"] {
                let file = format!("{}{suffix}", path.display());
                match std::fs::remove_file(&file) {
                    Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                        return Err(format!("remove {file}: {error}"));
                    }
                    _ => {}
                }
            }
            Ok(())
        }
        (RawPool::Postgres(pool), Place::Database { admin_url, name }) => {
            let _ = tokio::time::timeout(GRACE, pool.close()).await;
            let mut admin = sqlx::PgConnection::connect(&admin_url)
                .await
                .map_err(|error| format!("connect to PostgreSQL to drop {name}: {error}"))?;
            sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin)
                .await
                .map_err(|error| format!("drop {name}: {error}"))?;
            admin
                .close()
                .await
                .map_err(|error| format!("hang up after dropping {name}: {error}"))
        }
        _ => unreachable!("the raw pool and the place are made for the same backend"),
    }
}
