//! The one transaction type, on either database. Each query's body is written once (through the
//! parent's `on_each!` and `bound!`), and a transaction can record what it ran, with its values
//! and the rows it touched, for a page that shows the SQL.

use super::StoredRow;
use crate::lessons::ExecutedStatement;
use crate::store::backend::{BackendKind, DbId, DbInstant};
use crate::store::statement::{Bind, Statement};

/// An open transaction on either database. Dropping it without `commit` rolls it back. When
/// `record` has been called it keeps each statement with its values and the rows it touched,
/// so a page can show exactly what ran; otherwise recording costs nothing.
pub(crate) struct Tx {
    conn: Conn,
    begun_with: &'static str,
    recorded: Option<Vec<ExecutedStatement>>,
}

pub(super) enum Conn {
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
}

impl From<sqlx::Transaction<'static, sqlx::Postgres>> for Conn {
    fn from(tx: sqlx::Transaction<'static, sqlx::Postgres>) -> Self {
        Conn::Postgres(tx)
    }
}

impl From<sqlx::Transaction<'static, sqlx::Sqlite>> for Conn {
    fn from(tx: sqlx::Transaction<'static, sqlx::Sqlite>) -> Self {
        Conn::Sqlite(tx)
    }
}

/// Statements that report how many rows they touched; DDL and the like are shown without.
fn is_dml(sql: &str) -> bool {
    ["INSERT", "UPDATE", "DELETE"]
        .iter()
        .any(|verb| sql.trim_start().starts_with(verb))
}

impl Tx {
    pub(super) fn started(conn: Conn, begun_with: &'static str) -> Self {
        Self {
            conn,
            begun_with,
            recorded: None,
        }
    }

    /// Keeps every statement from here on, starting with the one that began the transaction.
    pub fn record(mut self) -> Self {
        self.recorded = Some(vec![Statement::new(self.begun_with).executed(None)]);
        self
    }

    pub fn kind(&self) -> BackendKind {
        match self.conn {
            Conn::Postgres(_) => BackendKind::Postgres,
            Conn::Sqlite(_) => BackendKind::Sqlite,
        }
    }

    /// What has been recorded so far (nothing unless `record` was called).
    pub fn recorded(&self) -> &[ExecutedStatement] {
        self.recorded.as_deref().unwrap_or_default()
    }

    fn note(&mut self, statement: &Statement, rows: Option<u64>) {
        if let Some(recorded) = &mut self.recorded {
            recorded.push(statement.executed(rows));
        }
    }

    pub async fn fetch_all<T: StoredRow>(
        &mut self,
        statement: &Statement,
    ) -> Result<Vec<T>, sqlx::Error> {
        let rows = on_each!(&mut self.conn, Conn, tx =>
            bound!(sqlx::query_as(&statement.sql), statement).fetch_all(&mut **tx).await);
        self.note(statement, rows.as_ref().ok().map(|rows| rows.len() as u64));
        rows
    }

    pub async fn fetch_optional<T: StoredRow>(
        &mut self,
        statement: &Statement,
    ) -> Result<Option<T>, sqlx::Error> {
        let row = on_each!(&mut self.conn, Conn, tx =>
            bound!(sqlx::query_as(&statement.sql), statement).fetch_optional(&mut **tx).await);
        self.note(
            statement,
            row.as_ref().ok().map(|row| u64::from(row.is_some())),
        );
        row
    }

    /// Runs a statement that must return exactly one row. A failed statement is recorded
    /// without a row count (a demonstration may go on after a refusal).
    pub async fn fetch_one<T: StoredRow>(
        &mut self,
        statement: &Statement,
    ) -> Result<T, sqlx::Error> {
        let row = on_each!(&mut self.conn, Conn, tx =>
            bound!(sqlx::query_as(&statement.sql), statement).fetch_one(&mut **tx).await);
        self.note(statement, row.as_ref().ok().map(|_| 1));
        row
    }

    /// Runs a query that returns one whole number at most (no row or a NULL reads as `None`).
    pub async fn number(&mut self, statement: &Statement) -> Result<Option<i64>, sqlx::Error> {
        let row: Option<(Option<i64>,)> = self.fetch_optional(statement).await?;
        Ok(row.and_then(|(number,)| number))
    }

    /// Runs a statement that returns no rows; how many it touched.
    pub async fn execute(&mut self, statement: &Statement) -> Result<u64, sqlx::Error> {
        let touched = on_each!(&mut self.conn, Conn, tx =>
            bound!(sqlx::query(&statement.sql), statement)
                .execute(&mut **tx)
                .await?
                .rows_affected());
        self.note(statement, is_dml(&statement.sql).then_some(touched));
        Ok(touched)
    }

    /// Appends many rows in one INSERT (`into` names the table and its columns; each row's
    /// values in that order). Not recorded: it is the board generator's path. The placeholders
    /// are each driver's own, positional on SQLite, which looks numbered ones up by name, so
    /// that thousands of them in one statement would take it quadratic time to prepare.
    pub async fn insert_rows(
        &mut self,
        into: &str,
        rows: &[Vec<Bind>],
    ) -> Result<u64, sqlx::Error> {
        on_each!(&mut self.conn, Conn, tx => {
            let mut insert = sqlx::QueryBuilder::new(into);
            insert.push_values(rows, |mut values, row| {
                for bind in row {
                    bind_value!(bind, |value| {
                        values.push_bind(value);
                    });
                }
            });
            Ok(insert.build().execute(&mut **tx).await?.rows_affected())
        })
    }

    /// Commits; returns what was recorded, ending with the COMMIT.
    pub async fn commit(self) -> Result<Vec<ExecutedStatement>, sqlx::Error> {
        let Self { conn, recorded, .. } = self;
        on_each!(conn, Conn, tx => tx.commit().await)?;
        Ok(ended(recorded, "COMMIT"))
    }

    /// Rolls back; returns what was recorded, ending with the ROLLBACK.
    pub async fn rollback(self) -> Result<Vec<ExecutedStatement>, sqlx::Error> {
        let Self { conn, recorded, .. } = self;
        on_each!(conn, Conn, tx => tx.rollback().await)?;
        Ok(ended(recorded, "ROLLBACK"))
    }
}

/// What a transaction recorded, with the statement that ended it.
fn ended(recorded: Option<Vec<ExecutedStatement>>, last: &str) -> Vec<ExecutedStatement> {
    let mut recorded = recorded.unwrap_or_default();
    if !recorded.is_empty() {
        recorded.push(Statement::new(last).executed(None));
    }
    recorded
}
