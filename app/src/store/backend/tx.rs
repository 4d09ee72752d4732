//! The one transaction type, on either database. Each query's body is written once (through
//! `on_conn!` and the parent's `bound!`), and a transaction can record what it ran, with its
//! values and the rows it touched, for a page that shows the SQL. On PostgreSQL it can also be a
//! connection outside any transaction, whose statements each commit alone: an append that is one
//! statement needs no BEGIN and COMMIT round trips around it.

use super::StoredRow;
use crate::lessons::ExecutedStatement;
use crate::store::backend::{BackendKind, DbId, DbInstant};
use crate::store::statement::{Bind, Statement};

/// An open transaction on either database. Dropping it without `commit` rolls it back. When
/// `record` has been called it keeps each statement with its values and the rows it touched,
/// so a page can show exactly what ran; otherwise recording costs nothing.
pub(crate) struct Tx {
    conn: Conn,
    /// The statement that began the transaction; none for statements that commit alone.
    begun_with: Option<&'static str>,
    recorded: Option<Vec<ExecutedStatement>>,
}

pub(super) enum Conn {
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
    /// Outside any transaction: each statement commits on its own.
    PostgresEach(sqlx::pool::PoolConnection<sqlx::Postgres>),
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
}

/// Runs `$body` with `$inner` bound to the connection, whichever kind it is; the body is
/// compiled once per kind.
macro_rules! on_conn {
    ($conn:expr, $inner:ident => $body:expr) => {
        match $conn {
            Conn::Postgres($inner) => $body,
            Conn::PostgresEach($inner) => $body,
            Conn::Sqlite($inner) => $body,
        }
    };
}

impl From<sqlx::Transaction<'static, sqlx::Postgres>> for Conn {
    fn from(tx: sqlx::Transaction<'static, sqlx::Postgres>) -> Self {
        Conn::Postgres(tx)
    }
}

impl From<sqlx::pool::PoolConnection<sqlx::Postgres>> for Conn {
    fn from(conn: sqlx::pool::PoolConnection<sqlx::Postgres>) -> Self {
        Conn::PostgresEach(conn)
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
    pub(super) fn started(conn: Conn, begun_with: Option<&'static str>) -> Self {
        Self {
            conn,
            begun_with,
            recorded: None,
        }
    }

    /// Keeps every statement from here on, starting with the one that began the transaction.
    pub fn record(mut self) -> Self {
        self.recorded = Some(
            self.begun_with
                .map(|begin| Statement::new(begin).executed(None))
                .into_iter()
                .collect(),
        );
        self
    }

    pub fn kind(&self) -> BackendKind {
        match self.conn {
            Conn::Postgres(_) | Conn::PostgresEach(_) => BackendKind::Postgres,
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
        let rows = on_conn!(&mut self.conn, tx =>
            bound!(sqlx::query_as(&statement.sql), statement).fetch_all(&mut **tx).await);
        self.note(statement, rows.as_ref().ok().map(|rows| rows.len() as u64));
        rows
    }

    pub async fn fetch_optional<T: StoredRow>(
        &mut self,
        statement: &Statement,
    ) -> Result<Option<T>, sqlx::Error> {
        let row = on_conn!(&mut self.conn, tx =>
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
        let row = on_conn!(&mut self.conn, tx =>
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
        let touched = on_conn!(&mut self.conn, tx =>
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
        on_conn!(&mut self.conn, tx => {
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

    /// Commits; returns what was recorded, ending with the COMMIT (statements that committed
    /// alone have nothing left to commit).
    pub async fn commit(self) -> Result<Vec<ExecutedStatement>, sqlx::Error> {
        let Self { conn, recorded, .. } = self;
        let ended_with = match conn {
            Conn::Postgres(tx) => tx.commit().await.map(|()| Some("COMMIT")),
            Conn::Sqlite(tx) => tx.commit().await.map(|()| Some("COMMIT")),
            Conn::PostgresEach(_) => Ok(None),
        }?;
        Ok(ended(recorded, ended_with))
    }

    /// Rolls back; returns what was recorded, ending with the ROLLBACK. Only transactions are
    /// rolled back: statements that committed alone stay committed.
    pub async fn rollback(self) -> Result<Vec<ExecutedStatement>, sqlx::Error> {
        let Self { conn, recorded, .. } = self;
        let ended_with = match conn {
            Conn::Postgres(tx) => tx.rollback().await.map(|()| Some("ROLLBACK")),
            Conn::Sqlite(tx) => tx.rollback().await.map(|()| Some("ROLLBACK")),
            Conn::PostgresEach(_) => Ok(None),
        }?;
        Ok(ended(recorded, ended_with))
    }
}

/// What a transaction recorded, with the statement that ended it, if any.
fn ended(recorded: Option<Vec<ExecutedStatement>>, last: Option<&str>) -> Vec<ExecutedStatement> {
    let mut recorded = recorded.unwrap_or_default();
    if let (false, Some(last)) = (recorded.is_empty(), last) {
        recorded.push(Statement::new(last).executed(None));
    }
    recorded
}
