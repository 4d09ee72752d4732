//! Fixtures for the store tests: a fresh, migrated database per test on a real SQLite file or a
//! real PostgreSQL server. PostgreSQL is never optional: without TEST_DATABASE_URL the tests fail.

use std::path::{Path, PathBuf};

use app::store::Store;
use app::task::{ChangeMeta, EntityId, TaskFields, TaskInput};
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestDb {
    pub store: Store,
    pub backend: Backend,
    /// Where the database is, for a second store (a second server, in effect) to open.
    pub url: String,
    /// A connection of its own to the same database, for SQL the store would never run.
    raw: RawPool,
    cleanup: Cleanup,
}

enum RawPool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

enum Cleanup {
    File(PathBuf),
    Database { admin: sqlx::PgPool, name: String },
}

/// The PostgreSQL server tests run against, as a URL whose role may create databases.
pub fn postgres_admin_url() -> String {
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
                let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.db"));
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
                    cleanup: Cleanup::File(path),
                }
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url();
                let admin = sqlx::PgPool::connect(&admin_url)
                    .await
                    .expect("connect to PostgreSQL");
                sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
                    .execute(&admin)
                    .await
                    .expect("create a fresh PostgreSQL database");
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
                    cleanup: Cleanup::Database { admin, name },
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

    pub async fn cleanup(self) {
        self.store.close().await;
        match (self.raw, self.cleanup) {
            (RawPool::Sqlite(pool), Cleanup::File(path)) => {
                pool.close().await;
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            (RawPool::Postgres(pool), Cleanup::Database { admin, name }) => {
                pool.close().await;
                sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&admin)
                    .await
                    .expect("drop the test database");
            }
            _ => unreachable!("the raw pool and the cleanup are made for the same backend"),
        }
    }
}

pub fn fields(title: &str) -> TaskFields {
    TaskFields::parse(&TaskInput {
        title: title.to_owned(),
        ..TaskInput::default()
    })
    .expect("valid fields")
}

pub fn fields_with(input: TaskInput) -> TaskFields {
    TaskFields::parse(&input).expect("valid fields")
}

pub fn by(actor: &str) -> ChangeMeta {
    ChangeMeta::parse(actor, "").expect("valid actor")
}

pub fn by_with_note(actor: &str, note: &str) -> ChangeMeta {
    ChangeMeta::parse(actor, note).expect("valid meta")
}

pub fn unknown_id() -> EntityId {
    EntityId::from_uuid(Uuid::now_v7())
}

/// Writes one test body twice: once against SQLite, once against PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($(async fn $name:ident($db:ident) $body:block)*) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let $db = support::TestDb::new(support::Backend::Sqlite).await;
                    $body
                    $db.cleanup().await;
                }
            )*
        }
        mod postgres {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let $db = support::TestDb::new(support::Backend::Postgres).await;
                    $body
                    $db.cleanup().await;
                }
            )*
        }
    };
}
