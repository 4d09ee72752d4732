//! The transactions of the Learn pages' demonstrations: each statement is recorded as it runs,
//! with its bind values and the rows it touched, so a page can show exactly what the store did.

use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::FromRow;

use super::Backend;
use crate::learn::ExecutedStatement;

/// Collects the statements a demonstration runs, as it runs them.
#[derive(Default)]
pub(super) struct Recorder(pub Vec<ExecutedStatement>);

impl Recorder {
    pub fn ran(&mut self, sql: &str, binds: &[String], rows: Option<u64>) {
        self.0.push(ExecutedStatement {
            sql: sql.to_owned(),
            binds: binds.to_vec(),
            rows,
        });
    }
}

/// One transaction on either backend whose statements (all bound to whole numbers, the log's
/// positions) are recorded as they run.
pub(super) struct RecordedTx {
    tx: Inner,
    pub run: Recorder,
}

enum Inner {
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
}

fn shown(binds: &[i64]) -> Vec<String> {
    binds.iter().map(i64::to_string).collect()
}

impl RecordedTx {
    pub async fn begin(backend: &Backend) -> Result<Self, sqlx::Error> {
        let tx = match backend {
            Backend::Postgres(pool) => Inner::Postgres(pool.begin().await?),
            Backend::Sqlite(pool) => Inner::Sqlite(pool.begin().await?),
        };
        let mut run = Recorder::default();
        run.ran("BEGIN", &[], None);
        Ok(Self { tx, run })
    }

    /// Runs a statement that returns no rows; records how many it touched when it touches any
    /// (a DDL statement is recorded without a count).
    pub async fn execute(&mut self, sql: &str, binds: &[i64]) -> Result<u64, sqlx::Error> {
        let touched = match &mut self.tx {
            Inner::Postgres(tx) => {
                let mut query = sqlx::query(sql);
                for bind in binds {
                    query = query.bind(bind);
                }
                query.execute(&mut **tx).await?.rows_affected()
            }
            Inner::Sqlite(tx) => {
                let mut query = sqlx::query(sql);
                for bind in binds {
                    query = query.bind(bind);
                }
                query.execute(&mut **tx).await?.rows_affected()
            }
        };
        let is_dml = ["INSERT", "UPDATE", "DELETE"]
            .iter()
            .any(|verb| sql.trim_start().starts_with(verb));
        self.run.ran(sql, &shown(binds), is_dml.then_some(touched));
        Ok(touched)
    }

    /// Runs a query and returns its rows.
    pub async fn fetch<T>(&mut self, sql: &str, binds: &[i64]) -> Result<Vec<T>, sqlx::Error>
    where
        T: for<'r> FromRow<'r, PgRow> + for<'r> FromRow<'r, SqliteRow> + Send + Unpin,
    {
        let rows: Vec<T> = match &mut self.tx {
            Inner::Postgres(tx) => {
                let mut query = sqlx::query_as(sql);
                for bind in binds {
                    query = query.bind(bind);
                }
                query.fetch_all(&mut **tx).await?
            }
            Inner::Sqlite(tx) => {
                let mut query = sqlx::query_as(sql);
                for bind in binds {
                    query = query.bind(bind);
                }
                query.fetch_all(&mut **tx).await?
            }
        };
        self.run.ran(sql, &shown(binds), Some(rows.len() as u64));
        Ok(rows)
    }

    /// Runs a query that returns one whole number (a NULL reads as `None`).
    pub async fn number(&mut self, sql: &str, binds: &[i64]) -> Result<Option<i64>, sqlx::Error> {
        let rows: Vec<(Option<i64>,)> = self.fetch(sql, binds).await?;
        Ok(rows.into_iter().next().and_then(|(number,)| number))
    }

    pub async fn commit(mut self) -> Result<Vec<ExecutedStatement>, sqlx::Error> {
        match self.tx {
            Inner::Postgres(tx) => tx.commit().await?,
            Inner::Sqlite(tx) => tx.commit().await?,
        }
        self.run.ran("COMMIT", &[], None);
        Ok(self.run.0)
    }

    pub async fn rollback(mut self) -> Result<Vec<ExecutedStatement>, sqlx::Error> {
        match self.tx {
            Inner::Postgres(tx) => tx.rollback().await?,
            Inner::Sqlite(tx) => tx.rollback().await?,
        }
        self.run.ran("ROLLBACK", &[], None);
        Ok(self.run.0)
    }
}
