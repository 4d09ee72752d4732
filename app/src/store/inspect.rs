//! The inspecting side of the store: what the database says about its own guards, its sizes,
//! the statements it refuses, and whether a task's hash chain still holds.

use super::{chain, postgres, sqlite, Backend, BackendKind, Store, StoreError};
use crate::database::{DatabaseFacts, Tamper, TamperOutcome};
use crate::task::{ChainReport, EntityId};

impl Store {
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
}

/// The database's refusal of an attempt, if it refused; any other failure is an error.
fn refusal(attempt: Result<(), sqlx::Error>) -> Result<Option<String>, sqlx::Error> {
    match attempt {
        Ok(()) => Ok(None),
        Err(sqlx::Error::Database(error)) => Ok(Some(error.message().to_owned())),
        Err(other) => Err(other),
    }
}
