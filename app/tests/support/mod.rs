//! Fixtures for the store tests: a fresh, migrated database per test on a real SQLite file or a
//! real PostgreSQL server. PostgreSQL is never optional: without TEST_DATABASE_URL the tests fail.

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
    cleanup: Cleanup,
}

enum Cleanup {
    File(std::path::PathBuf),
    Database { admin_url: String, name: String },
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
                let path =
                    std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.db"));
                let store = Store::connect(&format!("sqlite:{}", path.display()))
                    .await
                    .expect("open a fresh SQLite file");
                Self {
                    store,
                    backend,
                    cleanup: Cleanup::File(path),
                }
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url();
                sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
                    .execute(
                        &sqlx::PgPool::connect(&admin_url)
                            .await
                            .expect("connect to PostgreSQL"),
                    )
                    .await
                    .expect("create a fresh PostgreSQL database");
                let store = Store::connect(&with_database(&admin_url, &name))
                    .await
                    .expect("open the fresh PostgreSQL database");
                Self {
                    store,
                    backend,
                    cleanup: Cleanup::Database { admin_url, name },
                }
            }
        }
    }

    /// Runs SQL behind the store's back, as a person in psql or sqlite3 would.
    pub async fn raw(&self, sql: &str) -> Result<(), sqlx::Error> {
        match self.backend {
            Backend::Sqlite => sqlx::raw_sql(sql)
                .execute(self.store.sqlite_pool().unwrap())
                .await
                .map(drop),
            Backend::Postgres => sqlx::raw_sql(sql)
                .execute(self.store.postgres_pool().unwrap())
                .await
                .map(drop),
        }
    }

    /// Counts stored versions with raw SQL, to prove a failed operation wrote nothing.
    pub async fn version_rows(&self) -> i64 {
        let sql = "SELECT count(*) FROM task_versions";
        match self.backend {
            Backend::Sqlite => {
                sqlx::query_scalar(sql)
                    .fetch_one(self.store.sqlite_pool().unwrap())
                    .await
            }
            Backend::Postgres => {
                sqlx::query_scalar(sql)
                    .fetch_one(self.store.postgres_pool().unwrap())
                    .await
            }
        }
        .expect("count versions")
    }

    pub async fn cleanup(self) {
        match self.cleanup {
            Cleanup::File(path) => {
                if let Some(pool) = self.store.sqlite_pool() {
                    pool.close().await;
                }
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Database { admin_url, name } => {
                if let Some(pool) = self.store.postgres_pool() {
                    pool.close().await;
                }
                let admin = sqlx::PgPool::connect(&admin_url)
                    .await
                    .expect("connect to PostgreSQL");
                sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&admin)
                    .await
                    .expect("drop the test database");
            }
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
