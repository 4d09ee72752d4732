//! CQRS, demonstrated on the live database: the read model (`task_current`) is written by a
//! trigger in the same transaction as each append, so a rule on the read model guards the log
//! as well. The demonstration adds such a rule for one transaction only, tries to append a task
//! the rule forbids, shows the database's refusal and that the log did not move, and rolls
//! everything back (the rule included).

use uuid::Uuid;

use super::recorded::Recorder;
use super::replay::HEAD;
use super::write::{NewVersion, WriteTx};
use super::{chain, postgres, sqlite, Store, StoreError};
use crate::learn::ReadModelRefusal;
use crate::task::{ChangeMeta, EntityId, Op, TaskFields, TaskInput, TaskVersion};

const FORBIDDEN_TITLE: &str = "Refused by the read model";

/// PostgreSQL: a CHECK constraint on the read model, `NOT VALID` so existing rows are not
/// re-checked. Taking it locks `task_current` until the rollback, a few milliseconds.
const RULE_POSTGRES: &str = "ALTER TABLE task_current ADD CONSTRAINT read_model_demo_rule \
     CHECK (title <> 'Refused by the read model') NOT VALID";

/// SQLite cannot add a constraint to a table; a temporary trigger on it enforces the same rule.
const RULE_SQLITE: &str = "CREATE TEMP TRIGGER read_model_demo_rule \
     BEFORE INSERT ON main.task_current WHEN NEW.title = 'Refused by the read model' \
     BEGIN SELECT RAISE(ABORT, 'read_model_demo_rule: the read model refuses this title'); END";

const SAVEPOINT: &str = "SAVEPOINT before_append";
const BACK_TO_SAVEPOINT: &str = "ROLLBACK TO SAVEPOINT before_append";

impl Store {
    pub async fn read_model_refusal(&self) -> Result<ReadModelRefusal, StoreError> {
        let mut run = Recorder::default();
        let mut tx = self.begin_write().await?;
        run.ran(
            match tx {
                WriteTx::Postgres(..) => "BEGIN",
                WriteTx::Sqlite(..) => "BEGIN IMMEDIATE",
            },
            &[],
            None,
        );
        let head_before = tx.head().await?;
        run.ran(HEAD, &[], Some(1));
        let rule = match tx {
            WriteTx::Postgres(..) => RULE_POSTGRES,
            WriteTx::Sqlite(..) => RULE_SQLITE,
        };
        tx.execute(rule).await?;
        run.ran(rule, &[], None);
        tx.execute(SAVEPOINT).await?;
        run.ran(SAVEPOINT, &[], None);

        let fields = TaskFields::parse(&TaskInput {
            title: FORBIDDEN_TITLE.to_owned(),
            ..TaskInput::default()
        })
        .map_err(StoreError::Invalid)?;
        let meta =
            ChangeMeta::parse("learn", "the CQRS demonstration").map_err(StoreError::Invalid)?;
        let now = tx.now().await?;
        let row = chain::seal(
            NewVersion {
                entity_id: EntityId::from_uuid(Uuid::now_v7()),
                op: Op::Created,
                fields,
                meta,
                previous: None,
                recorded_at: None,
            },
            now,
        );
        let binds = insert_binds(&row);
        let (insert, outcome) = match &mut tx {
            WriteTx::Postgres(conn, _) => {
                (postgres::INSERT_VERSION, postgres::insert(conn, row).await)
            }
            WriteTx::Sqlite(conn, _) => (sqlite::INSERT_VERSION, sqlite::insert(conn, row).await),
        };
        run.ran(insert, &binds, outcome.as_ref().ok().map(|_| 1));
        let refusal = match outcome {
            Ok(_) => None,
            Err(StoreError::Database(sqlx::Error::Database(error))) => {
                Some(error.message().to_owned())
            }
            Err(other) => return Err(other),
        };
        tx.execute(BACK_TO_SAVEPOINT).await?;
        run.ran(BACK_TO_SAVEPOINT, &[], None);
        let head_after = tx.head().await?;
        run.ran(HEAD, &[], Some(1));
        tx.rollback().await?;
        run.ran("ROLLBACK", &[], None);
        Ok(ReadModelRefusal {
            title: FORBIDDEN_TITLE.to_owned(),
            refusal,
            head_before,
            head_after,
            statements: run.0,
        })
    }
}

/// The values `INSERT_VERSION` binds, in order, as text.
fn insert_binds(row: &TaskVersion) -> Vec<String> {
    let optional = |value: Option<String>| value.unwrap_or_else(|| "NULL".to_owned());
    let fields = &row.fields;
    vec![
        row.id.to_string(),
        row.entity_id.to_string(),
        row.version.to_string(),
        fields.title.as_str().to_owned(),
        optional(
            fields
                .description
                .as_ref()
                .map(|text| text.as_str().to_owned()),
        ),
        fields.status.as_str().to_owned(),
        fields.priority.value().to_string(),
        optional(fields.due_date.map(|date| date.to_string())),
        row.op.as_str().to_owned(),
        row.recorded_at.to_rfc3339(),
        optional(row.deleted_at.map(|at| at.to_rfc3339())),
        row.actor.as_str().to_owned(),
        optional(row.note.as_ref().map(|note| note.as_str().to_owned())),
        optional(row.prev_hash.clone()),
        row.hash.clone(),
    ]
}

impl WriteTx {
    async fn execute(&mut self, sql: &str) -> Result<(), sqlx::Error> {
        match self {
            WriteTx::Postgres(tx, _) => sqlx::query(sql).execute(&mut **tx).await.map(drop),
            WriteTx::Sqlite(tx, _) => sqlx::query(sql).execute(&mut **tx).await.map(drop),
        }
    }

    async fn head(&mut self) -> Result<i64, sqlx::Error> {
        match self {
            WriteTx::Postgres(tx, _) => sqlx::query_scalar(HEAD).fetch_one(&mut **tx).await,
            WriteTx::Sqlite(tx, _) => sqlx::query_scalar(HEAD).fetch_one(&mut **tx).await,
        }
    }

    async fn rollback(self) -> Result<(), sqlx::Error> {
        match self {
            WriteTx::Postgres(tx, _) => tx.rollback().await,
            WriteTx::Sqlite(tx, _) => tx.rollback().await,
        }
    }

    async fn now(&mut self) -> Result<chrono::DateTime<chrono::Utc>, sqlx::Error> {
        match self {
            WriteTx::Postgres(tx, _) => postgres::clock(tx).await,
            WriteTx::Sqlite(tx, _) => sqlite::clock(tx).await,
        }
    }
}
