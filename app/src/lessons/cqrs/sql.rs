//! CQRS, demonstrated on the live database: the read model (`task_current`) is written by a
//! trigger in the same transaction as each append, so a rule on the read model guards the log
//! as well. The demonstration adds such a rule for one transaction only, tries to append a task
//! the rule forbids, shows the database's refusal and that the log did not move, and rolls
//! everything back (the rule included).

use uuid::Uuid;

use super::ReadModelRefusal;
use crate::store::sql::{seal, NewVersion, PerBackend, Statement, WriteTx, HEAD};
use crate::store::{Store, StoreError};
use crate::task::{ChangeMeta, EntityId, Op, TaskFields, TaskInput};

const FORBIDDEN_TITLE: &str = "Refused by the read model";

/// The rule the read model gets for one transaction. PostgreSQL: a CHECK constraint, `NOT
/// VALID` so existing rows are not re-checked; taking it locks `task_current` until the
/// rollback, a few milliseconds. SQLite cannot add a constraint to a table; a temporary trigger
/// on it enforces the same rule.
const RULE: PerBackend<&str> = PerBackend {
    postgres: "ALTER TABLE task_current ADD CONSTRAINT read_model_demo_rule \
     CHECK (title <> 'Refused by the read model') NOT VALID",
    sqlite: "CREATE TEMP TRIGGER read_model_demo_rule \
     BEFORE INSERT ON main.task_current WHEN NEW.title = 'Refused by the read model' \
     BEGIN SELECT RAISE(ABORT, 'read_model_demo_rule: the read model refuses this title'); END",
};

const SAVEPOINT: &str = "SAVEPOINT before_append";
const BACK_TO_SAVEPOINT: &str = "ROLLBACK TO SAVEPOINT before_append";

impl Store {
    pub async fn read_model_refusal(&self) -> Result<ReadModelRefusal, StoreError> {
        let mut tx = self.begin_write().await?;
        let head_before = tx.head().await?;
        tx.execute(RULE.on(tx.tx.kind())).await?;
        tx.execute(SAVEPOINT).await?;

        let fields = TaskFields::parse(&TaskInput {
            title: FORBIDDEN_TITLE.to_owned(),
            ..TaskInput::default()
        })
        .map_err(StoreError::Invalid)?;
        let meta =
            ChangeMeta::parse("learn", "the CQRS demonstration").map_err(StoreError::Invalid)?;
        let now = tx.now().await?;
        let row = seal(
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
        let refusal = match tx.insert(row).await {
            Ok(_) => None,
            Err(StoreError::Database(sqlx::Error::Database(error))) => {
                Some(error.message().to_owned())
            }
            Err(other) => return Err(other),
        };
        tx.execute(BACK_TO_SAVEPOINT).await?;
        let head_after = tx.head().await?;
        let statements = tx.rollback().await?;
        Ok(ReadModelRefusal {
            title: FORBIDDEN_TITLE.to_owned(),
            refusal,
            head_before,
            head_after,
            statements,
        })
    }
}

impl WriteTx {
    async fn execute(&mut self, sql: &str) -> Result<(), sqlx::Error> {
        self.tx.execute(&Statement::new(sql)).await.map(drop)
    }

    async fn head(&mut self) -> Result<i64, sqlx::Error> {
        let (head,): (i64,) = self.tx.fetch_one(&Statement::new(HEAD)).await?;
        Ok(head)
    }
}
