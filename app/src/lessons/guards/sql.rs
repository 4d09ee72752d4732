//! The SQL of `/database`: the catalog's view of the version table's guards, and attempts to get
//! past them, always rolled back.

use super::{DatabaseFacts, Privilege, Rule, Tamper, TamperOutcome};
use crate::store::sql::{PerBackend, Statement};
use crate::store::{Store, StoreError};

impl Store {
    /// What the database's catalog says about the version table: its triggers, constraints and
    /// privileges, read back rather than taken from the migrations, and its size against the
    /// read model's.
    pub async fn database_facts(&self) -> Result<DatabaseFacts, StoreError> {
        let (version_rows, current_rows, live_tasks) = self.sizes().await?;
        let catalog = CATALOG.on(self.kind());
        let triggers = self.rules(catalog.triggers).await?;
        let constraints = self.rules(catalog.constraints).await?;
        let (privileges, superuser) = match catalog.privileges {
            Some(sql) => {
                let (update, delete, truncate, superuser): (bool, bool, bool, bool) =
                    self.pool().fetch_one(&Statement::new(sql)).await?;
                let held = [
                    ("UPDATE", update),
                    ("DELETE", delete),
                    ("TRUNCATE", truncate),
                ];
                let privileges = held
                    .into_iter()
                    .map(|(statement, held)| Privilege {
                        statement: statement.to_owned(),
                        held,
                    })
                    .collect();
                (privileges, superuser)
            }
            None => (Vec::new(), false),
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
        let wipe = PerBackend {
            postgres: "TRUNCATE task_versions",
            // SQLite has no TRUNCATE; an unqualified DELETE is how it empties a table.
            sqlite: "DELETE FROM task_versions",
        };
        let statement = match tamper {
            Tamper::Update => {
                format!("UPDATE task_versions SET title = 'Rewritten history' {NEWEST}")
            }
            Tamper::Delete => format!("DELETE FROM task_versions {NEWEST}"),
            Tamper::Wipe => wipe.on(self.kind()).to_owned(),
        };
        let (rows_before, _, _) = self.sizes().await?;
        // On PostgreSQL TRUNCATE takes the table's strongest lock before its trigger can refuse,
        // so the wait for that lock is kept short; on SQLite the write lock is taken up front.
        let mut tx = self.pool().begin_write().await?;
        if let Some(setup) = ATTEMPT_SETUP.on(self.kind()) {
            tx.execute(&Statement::new(setup)).await?;
        }
        let attempt = tx
            .execute(&Statement::new(statement.as_str()))
            .await
            .map(drop);
        tx.rollback().await?;
        let refusal = refusal(attempt)?;
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
        Ok(self.pool().fetch_one(&Statement::new(SIZES)).await?)
    }

    /// A catalog query's rules: (name, definition, the function a trigger runs).
    async fn rules(&self, sql: &str) -> Result<Vec<Rule>, StoreError> {
        let rows: Vec<(String, String, Option<String>)> =
            self.pool().fetch_all(&Statement::new(sql)).await?;
        Ok(rows
            .into_iter()
            .map(|(name, definition, body)| Rule {
                name,
                definition,
                function_body: body.map(|body| body.trim().to_owned()),
            })
            .collect())
    }
}

/// Said before an attempt, inside its transaction.
const ATTEMPT_SETUP: PerBackend<Option<&str>> = PerBackend {
    postgres: Some("SET LOCAL lock_timeout = '2s'"),
    sqlite: None,
};

/// Where each database keeps what it knows about the version table.
struct Catalog {
    /// The triggers, with the function each runs (PostgreSQL) or their whole text (SQLite).
    triggers: &'static str,
    /// The constraints; SQLite keeps them inline in the table's own definition.
    constraints: &'static str,
    /// Which rewriting statements the app's role may run on the version table, and whether it
    /// is a superuser (who holds every privilege whatever was revoked); SQLite has no roles.
    privileges: Option<&'static str>,
}

const CATALOG: PerBackend<Catalog> = PerBackend {
    postgres: Catalog {
        triggers: "SELECT t.tgname::text, pg_get_triggerdef(t.oid, true), p.prosrc \
             FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid \
             WHERE t.tgrelid = 'task_versions'::regclass AND NOT t.tgisinternal ORDER BY t.tgname",
        constraints: "SELECT conname::text, pg_get_constraintdef(oid, true), NULL::text \
             FROM pg_constraint WHERE conrelid = 'task_versions'::regclass \
             ORDER BY contype DESC, conname",
        privileges: Some(
            "SELECT has_table_privilege('task_versions', 'UPDATE'), \
                    has_table_privilege('task_versions', 'DELETE'), \
                    has_table_privilege('task_versions', 'TRUNCATE'), \
                    (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)",
        ),
    },
    sqlite: Catalog {
        triggers: "SELECT name, sql, NULL FROM sqlite_master \
             WHERE tbl_name = 'task_versions' AND type = 'trigger' ORDER BY name",
        constraints: "SELECT name, sql, NULL FROM sqlite_master \
             WHERE tbl_name = 'task_versions' AND type = 'table' ORDER BY name",
        privileges: None,
    },
};

/// The database's refusal of an attempt, if it refused; any other failure is an error.
fn refusal(attempt: Result<(), sqlx::Error>) -> Result<Option<String>, sqlx::Error> {
    match attempt {
        Ok(()) => Ok(None),
        Err(sqlx::Error::Database(error)) => Ok(Some(error.message().to_owned())),
        Err(other) => Err(other),
    }
}
