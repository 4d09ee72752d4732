//! The write transaction every append runs in: it locks the task's latest version, stamps the
//! next one with the database's clock, inserts it (one row, or many for the generator; the
//! columns an insert writes are named here, once) and records the submission's key, then commits
//! and announces the append. Each step's SQL is written once for both databases.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use super::backend::{DbInstant, PerBackend, Tx};
use super::counts::StoreCounts;
use super::row::VersionRow;
use super::statement::{Bind, Statement};
use super::trace::Traces;
use super::write::NewVersion;
use super::{chain, reads, StoreError};
use crate::lessons::ExecutedStatement;
use crate::task::{EntityId, Op, TaskVersion};

/// The database's clock, read inside the writing transaction.
const CLOCK: PerBackend<&str> = PerBackend {
    postgres: "SELECT clock_timestamp()",
    sqlite: "SELECT strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')",
};

/// Locks the task's read-model row until commit. SQLite needs none: BEGIN IMMEDIATE already
/// holds its single write lock.
const LOCK_CURRENT: PerBackend<Option<&str>> = PerBackend {
    postgres: Some("SELECT 1 FROM task_current WHERE entity_id = $1 FOR UPDATE"),
    sqlite: None,
};

/// Records which version a submission's key produced (bound: the key, the version's id).
const INSERT_KEY: &str = "INSERT INTO idempotency_keys (key, version_id) VALUES ($1, $2)";

/// The columns an append writes (the database numbers the position); `version_values` gives
/// their values in this order.
const INSERT_COLUMNS: &str = "id, entity_id, version, title, description, status, \
     priority, due_date, op, recorded_at, deleted_at, actor, note, prev_hash, hash";

/// The values of `INSERT_COLUMNS`, in order.
fn version_values(row: &TaskVersion) -> Vec<Bind> {
    let fields = &row.fields;
    vec![
        Bind::Id(row.id),
        Bind::Id(row.entity_id.as_uuid()),
        Bind::int(row.version),
        Bind::text(fields.title.as_str()),
        Bind::Text(fields.description.as_ref().map(|d| d.as_str().to_owned())),
        Bind::text(fields.status.as_str()),
        Bind::SmallInt(i16::from(fields.priority.value())),
        Bind::Date(fields.due_date),
        Bind::text(row.op.as_str()),
        Bind::instant(row.recorded_at),
        Bind::Instant(row.deleted_at),
        Bind::text(row.actor.as_str()),
        Bind::Text(row.note.as_ref().map(|n| n.as_str().to_owned())),
        Bind::Text(row.prev_hash.clone()),
        Bind::text(&row.hash),
    ]
}

/// An open write transaction. Dropping it without `commit` rolls everything back. It records
/// each statement as it runs (for the under-the-hood view) and carries the process's
/// announcement of appends, made once the append has committed.
pub(crate) struct WriteTx {
    pub tx: Tx,
    pub(super) appended: Arc<watch::Sender<()>>,
    pub(super) traces: Arc<Traces>,
    pub(super) counts: Arc<StoreCounts>,
    /// The position and kind of the one version appended, once it is.
    pub(super) appended_row: Option<(i64, Op)>,
}

impl WriteTx {
    /// The task's latest version, locked against concurrent writers until commit.
    pub(super) async fn lock_latest(
        &mut self,
        entity_id: EntityId,
    ) -> Result<Option<TaskVersion>, StoreError> {
        // Lock first, read second. A writer queued on this lock wakes up after the winner
        // commits; under READ COMMITTED only a new statement sees the winner's version row, so
        // the read cannot be folded into the locking statement.
        if let Some(lock) = LOCK_CURRENT.on(self.tx.kind()) {
            let lock = Statement::with(lock, [Bind::Id(entity_id.as_uuid())]);
            self.tx.fetch_optional::<(i32,)>(&lock).await?;
        }
        let latest: Option<VersionRow> = self.tx.fetch_optional(&reads::latest(entity_id)).await?;
        Ok(latest.map(TaskVersion::try_from).transpose()?)
    }

    /// Like `lock_latest`, for operations that need a task that exists and is not deleted.
    pub(super) async fn lock_live(
        &mut self,
        entity_id: EntityId,
    ) -> Result<TaskVersion, StoreError> {
        match self.lock_latest(entity_id).await? {
            None => Err(StoreError::NotFound),
            Some(latest) if latest.is_tombstone() => Err(StoreError::Deleted {
                version: latest.version,
            }),
            Some(latest) => Ok(latest),
        }
    }

    pub(super) async fn version(
        &mut self,
        entity_id: EntityId,
        version: i64,
    ) -> Result<Option<TaskVersion>, StoreError> {
        let found: Option<VersionRow> = self
            .tx
            .fetch_optional(&reads::version(entity_id, version))
            .await?;
        Ok(found.map(TaskVersion::try_from).transpose()?)
    }

    /// The database clock, inside the transaction.
    pub(crate) async fn now(&mut self) -> Result<DateTime<Utc>, StoreError> {
        let clock = Statement::new(CLOCK.on(self.tx.kind()));
        let (now,): (DbInstant,) = self.tx.fetch_one(&clock).await?;
        Ok(now.0)
    }

    /// Inserts one sealed version; the database gives it its position.
    pub(crate) async fn insert(&mut self, mut row: TaskVersion) -> Result<TaskVersion, StoreError> {
        let insert = Statement::with(
            format!(
                "INSERT INTO task_versions ({INSERT_COLUMNS}) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
                 RETURNING position"
            ),
            version_values(&row),
        );
        let inserted: Result<(i64,), _> = self.tx.fetch_one(&insert).await;
        row.position = inserted
            .map(|(position,)| position)
            .map_err(|error| StoreError::from_insert(error, row.version))?;
        Ok(row)
    }

    /// Stamps, hashes and inserts the next version.
    async fn append(&mut self, new: NewVersion<'_>) -> Result<TaskVersion, StoreError> {
        let now = match new.recorded_at {
            Some(at) => at,
            None => self.now().await?,
        };
        let key = new.meta.idempotency_key;
        let row = self.insert(chain::seal(new, now)).await?;
        if let Some(key) = key {
            let record = Statement::with(INSERT_KEY, [Bind::Id(key.as_uuid()), Bind::Id(row.id)]);
            self.tx.execute(&record).await?;
        }
        self.appended_row = Some((row.position, row.op));
        Ok(row)
    }

    /// Appends versions of distinct tasks in one statement (the board generator's path); nothing
    /// is committed yet. The triggers run for every row as they do for a single append; a
    /// statement may hold each task at most once, because a row's version check reads the read
    /// model as it stood before the statement.
    pub(crate) async fn insert_many(&mut self, rows: &[TaskVersion]) -> Result<(), StoreError> {
        let values: Vec<Vec<Bind>> = rows.iter().map(version_values).collect();
        self.tx
            .insert_rows(
                &format!("INSERT INTO task_versions ({INSERT_COLUMNS}) "),
                &values,
            )
            .await?;
        Ok(())
    }

    /// Commits, then announces the append: to this process's followers directly, and on
    /// PostgreSQL through the announcer to every process listening on the database. A single
    /// append's statements are kept for the under-the-hood view.
    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        let statements = self.tx.commit().await?;
        if let Some((position, op)) = self.appended_row {
            self.counts.append(op);
            if !statements.is_empty() {
                self.traces.keep(position, statements);
            }
        }
        self.appended.send_replace(());
        Ok(())
    }

    /// Rolls back (a demonstration's end); what was recorded is returned.
    pub(crate) async fn rollback(self) -> Result<Vec<ExecutedStatement>, StoreError> {
        Ok(self.tx.rollback().await?)
    }

    /// The last step of every write: append the one new version, then commit.
    pub(super) async fn append_and_commit(
        mut self,
        new: NewVersion<'_>,
    ) -> Result<TaskVersion, StoreError> {
        let row = self.append(new).await?;
        self.commit().await?;
        Ok(row)
    }
}
