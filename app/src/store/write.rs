//! The write side of the store: every operation that appends a version, each one transaction
//! that reads the task's latest version under a lock, decides the next version from it, and
//! appends exactly one row (the generator appends many, through the same sealing and triggers).
//! A write that carries an idempotency key records it in the same transaction, and a repeat of
//! the key is answered with the version the first one appended.

use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use uuid::Uuid;

use super::backend::{DbInstant, PerBackend, Tx};
use super::row::{version_values, VersionRow, INSERT_COLUMNS};
use super::statement::{Bind, Statement};
use super::trace::Traces;
use super::{chain, generate, reads, seed, BoardSize, Generated, Store, StoreError};
use crate::idempotency::{self, IdempotencyKey};
use crate::lessons::ExecutedStatement;
use crate::task::{ChangeMeta, EntityId, FieldError, Op, TaskFields, TaskVersion};

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

/// A version about to be appended, before the database has given it a position.
pub(crate) struct NewVersion<'a> {
    pub entity_id: EntityId,
    pub op: Op,
    pub fields: TaskFields,
    pub meta: ChangeMeta,
    pub previous: Option<&'a TaskVersion>,
    /// `None` means "now, by the database clock"; only the demo seed passes a past instant.
    pub recorded_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Appends the demo story when the database holds no task yet. Returns whether it did.
    pub async fn seed_demo_if_empty(&self) -> Result<bool, StoreError> {
        seed::seed_if_empty(self).await
    }

    /// Appends a generated board of `size` whose history spans the half year before now.
    pub async fn generate_board(&self, size: BoardSize) -> Result<Generated, StoreError> {
        let generated = generate::generate(self, size, Utc::now()).await?;
        self.appended.send_replace(());
        Ok(generated)
    }

    pub async fn create_task(
        &self,
        fields: TaskFields,
        meta: ChangeMeta,
    ) -> Result<TaskVersion, StoreError> {
        self.once(meta.idempotency_key, None, || {
            self.create_task_at(fields, meta, None)
        })
        .await
    }

    pub(crate) async fn create_task_at(
        &self,
        fields: TaskFields,
        meta: ChangeMeta,
        recorded_at: Option<DateTime<Utc>>,
    ) -> Result<TaskVersion, StoreError> {
        let tx = self.begin_write().await?;
        tx.append_and_commit(NewVersion {
            entity_id: EntityId::from_uuid(Uuid::now_v7()),
            op: Op::Created,
            fields,
            meta,
            previous: None,
            recorded_at,
        })
        .await
    }

    /// Appends an edit made by someone who started from `expected_version`. If another writer
    /// got there first, nothing is written and the error names the version they produced.
    pub async fn update_task(
        &self,
        entity_id: EntityId,
        expected_version: i64,
        fields: TaskFields,
        meta: ChangeMeta,
    ) -> Result<TaskVersion, StoreError> {
        self.once(meta.idempotency_key, Some(entity_id), || {
            self.update_task_at(entity_id, expected_version, fields, meta, None)
        })
        .await
    }

    pub(crate) async fn update_task_at(
        &self,
        entity_id: EntityId,
        expected_version: i64,
        fields: TaskFields,
        meta: ChangeMeta,
        recorded_at: Option<DateTime<Utc>>,
    ) -> Result<TaskVersion, StoreError> {
        let mut tx = self.begin_write().await?;
        let latest = tx.lock_live(entity_id).await?;
        if latest.version != expected_version {
            return Err(StoreError::Conflict {
                current_version: latest.version,
            });
        }
        if latest.fields == fields {
            return Err(StoreError::NoChanges);
        }
        tx.append_and_commit(NewVersion {
            entity_id,
            op: Op::Updated,
            fields,
            meta,
            previous: Some(&latest),
            recorded_at,
        })
        .await
    }

    /// Appends a tombstone carrying the last live content, so a restore has something to copy.
    pub async fn delete_task(
        &self,
        entity_id: EntityId,
        meta: ChangeMeta,
    ) -> Result<TaskVersion, StoreError> {
        self.once(meta.idempotency_key, Some(entity_id), || {
            self.delete_task_at(entity_id, meta, None)
        })
        .await
    }

    /// Deletes the task only if its latest version is still `expected_version` (an HTTP
    /// `If-Match`); otherwise a `Conflict` naming the current version, and nothing appended.
    pub async fn delete_task_if(
        &self,
        entity_id: EntityId,
        expected_version: i64,
        meta: ChangeMeta,
    ) -> Result<TaskVersion, StoreError> {
        self.once(meta.idempotency_key, Some(entity_id), || {
            self.copy_latest(entity_id, Op::Deleted, Some(expected_version), meta, None)
        })
        .await
    }

    pub(crate) async fn delete_task_at(
        &self,
        entity_id: EntityId,
        meta: ChangeMeta,
        recorded_at: Option<DateTime<Utc>>,
    ) -> Result<TaskVersion, StoreError> {
        self.copy_latest(entity_id, Op::Deleted, None, meta, recorded_at)
            .await
    }

    /// Appends a live version with the tombstone's content.
    pub async fn restore_task(
        &self,
        entity_id: EntityId,
        meta: ChangeMeta,
    ) -> Result<TaskVersion, StoreError> {
        self.once(meta.idempotency_key, Some(entity_id), || {
            self.restore_task_at(entity_id, meta, None)
        })
        .await
    }

    pub(crate) async fn restore_task_at(
        &self,
        entity_id: EntityId,
        meta: ChangeMeta,
        recorded_at: Option<DateTime<Utc>>,
    ) -> Result<TaskVersion, StoreError> {
        self.copy_latest(entity_id, Op::Restored, None, meta, recorded_at)
            .await
    }

    /// Deleting and restoring both append the latest content unchanged under a new `op`; only
    /// a live task can be deleted and only a deleted one restored, and, when `expected` names a
    /// version, only while it is still the latest.
    async fn copy_latest(
        &self,
        entity_id: EntityId,
        op: Op,
        expected: Option<i64>,
        meta: ChangeMeta,
        recorded_at: Option<DateTime<Utc>>,
    ) -> Result<TaskVersion, StoreError> {
        let mut tx = self.begin_write().await?;
        let latest = tx
            .lock_latest(entity_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        match (op, latest.is_tombstone()) {
            (Op::Deleted, true) => {
                return Err(StoreError::Deleted {
                    version: latest.version,
                })
            }
            (Op::Restored, false) => return Err(StoreError::NotDeleted),
            _ => {}
        }
        if expected.is_some_and(|expected| expected != latest.version) {
            return Err(StoreError::Conflict {
                current_version: latest.version,
            });
        }
        tx.append_and_commit(NewVersion {
            entity_id,
            op,
            fields: latest.fields.clone(),
            meta,
            previous: Some(&latest),
            recorded_at,
        })
        .await
    }

    /// Appends a new version whose fields are copied from an older version `target`.
    pub async fn revert_task(
        &self,
        entity_id: EntityId,
        target: i64,
        meta: ChangeMeta,
    ) -> Result<TaskVersion, StoreError> {
        self.once(meta.idempotency_key, Some(entity_id), || {
            self.revert_task_now(entity_id, target, meta)
        })
        .await
    }

    async fn revert_task_now(
        &self,
        entity_id: EntityId,
        target: i64,
        meta: ChangeMeta,
    ) -> Result<TaskVersion, StoreError> {
        let mut tx = self.begin_write().await?;
        let latest = tx.lock_live(entity_id).await?;
        if target >= latest.version {
            return Err(StoreError::InvalidRevert(format!(
                "version {target} is not older than the current version {}",
                latest.version
            )));
        }
        let source = tx
            .version(entity_id, target)
            .await?
            .ok_or(StoreError::NoSuchVersion(target))?;
        if source.is_tombstone() {
            return Err(StoreError::InvalidRevert(format!(
                "version {target} is a deletion; restore the task instead"
            )));
        }
        if source.fields == latest.fields {
            return Err(StoreError::NoChanges);
        }
        tx.append_and_commit(NewVersion {
            entity_id,
            op: Op::Reverted,
            fields: source.fields,
            meta,
            previous: Some(&latest),
            recorded_at: None,
        })
        .await
    }

    /// Runs a write that may be a repeat of an earlier submission with the same key. A key
    /// already recorded is answered with the version it produced, and nothing is attempted. A
    /// repeat that races the first submission fails inside the database instead (on the key's
    /// primary key, or on the task's next version, which the first one took) and rolls back;
    /// it is then answered the same way. Without a key the write simply runs.
    async fn once<F, Fut>(
        &self,
        key: Option<IdempotencyKey>,
        target: Option<EntityId>,
        write: F,
    ) -> Result<TaskVersion, StoreError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<TaskVersion, StoreError>>,
    {
        let Some(key) = key else {
            return write().await;
        };
        if let Some(done) = self.version_for_key(key, target).await? {
            return Ok(done);
        }
        match write().await {
            Ok(written) => Ok(written),
            Err(error) => match self.version_for_key(key, target).await? {
                Some(done) => Ok(done),
                // The key is recorded, but its version could not be read back yet: the other
                // submission has not finished. Nothing was written; a retry gets its answer.
                None if error.is_repeated_key() => Err(StoreError::SubmissionInProgress),
                None => Err(error),
            },
        }
    }

    /// The version the submission `key` appended, which must belong to the task the repeat
    /// names (a create names none).
    async fn version_for_key(
        &self,
        key: IdempotencyKey,
        target: Option<EntityId>,
    ) -> Result<Option<TaskVersion>, StoreError> {
        let found = self.version_at(&reads::version_for_key(key)).await?;
        match (found, target) {
            (Some(done), Some(target)) if done.entity_id != target => {
                Err(StoreError::Invalid(vec![FieldError::new(
                    idempotency::FIELD,
                    "was already used for a change to another task",
                )]))
            }
            (found, _) => Ok(found),
        }
    }

    pub(crate) async fn begin_write(&self) -> Result<WriteTx, StoreError> {
        let tx = self.pool.begin_write().await?;
        Ok(WriteTx {
            tx: if self.trace_writes { tx.record() } else { tx },
            appended: Arc::clone(&self.appended),
            traces: Arc::clone(&self.traces),
            position: None,
        })
    }
}

/// An open write transaction. Dropping it without `commit` rolls everything back. It records
/// each statement as it runs (for the under-the-hood view) and carries the process's
/// announcement of appends, made once the append has committed.
pub(crate) struct WriteTx {
    pub tx: Tx,
    appended: Arc<watch::Sender<()>>,
    traces: Arc<Traces>,
    /// The position of the one version appended, once it is.
    position: Option<i64>,
}

impl WriteTx {
    /// The task's latest version, locked against concurrent writers until commit.
    async fn lock_latest(
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
    async fn lock_live(&mut self, entity_id: EntityId) -> Result<TaskVersion, StoreError> {
        match self.lock_latest(entity_id).await? {
            None => Err(StoreError::NotFound),
            Some(latest) if latest.is_tombstone() => Err(StoreError::Deleted {
                version: latest.version,
            }),
            Some(latest) => Ok(latest),
        }
    }

    async fn version(
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
        self.position = Some(row.position);
        Ok(row)
    }

    /// Appends versions of distinct tasks in one statement (the board generator's path); nothing
    /// is committed yet. The triggers run for every row as they do for a single append; a
    /// statement may hold each task at most once, because a row's version check reads the read
    /// model as it stood before the statement.
    pub(crate) async fn insert_many(&mut self, rows: &[TaskVersion]) -> Result<(), StoreError> {
        let mut insert = Statement::new(format!(
            "INSERT INTO task_versions ({INSERT_COLUMNS}) VALUES "
        ));
        for (i, row) in rows.iter().enumerate() {
            let values = version_values(row);
            let placeholders = vec!["?"; values.len()].join(", ");
            let separator = if i == 0 { "" } else { ", " };
            insert.push(&format!("{separator}({placeholders})"), values);
        }
        self.tx.execute(&insert).await?;
        Ok(())
    }

    /// Commits, then announces the append: to this process's followers directly, and on
    /// PostgreSQL through the announcer to every process listening on the database. A single
    /// append's statements are kept for the under-the-hood view.
    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        let statements = self.tx.commit().await?;
        if let (Some(position), false) = (self.position, statements.is_empty()) {
            self.traces.keep(position, statements);
        }
        self.appended.send_replace(());
        Ok(())
    }

    /// Rolls back (a demonstration's end); what was recorded is returned.
    pub(crate) async fn rollback(self) -> Result<Vec<ExecutedStatement>, StoreError> {
        Ok(self.tx.rollback().await?)
    }

    /// The last step of every write: append the one new version, then commit.
    async fn append_and_commit(mut self, new: NewVersion<'_>) -> Result<TaskVersion, StoreError> {
        let row = self.append(new).await?;
        self.commit().await?;
        Ok(row)
    }
}
