//! The write side of the store: every operation that appends a version reads the task's latest
//! version, decides the next version from it, and appends exactly one row (the generator appends
//! many, through the same sealing and triggers); see `append` for the statements. A write that
//! carries an idempotency key records it with the row, and a repeat of the key is answered with
//! the version the first one appended. A write that names no version it expects and loses a race
//! to another writer is tried again from the new latest version.

use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::append::WriteTx;
use super::{generate, reads, seed, BoardSize, Generated, Store, StoreError};
use crate::task::idempotency::{self, IdempotencyKey};
use crate::task::{ChangeMeta, EntityId, FieldError, Op, TaskFields, TaskVersion};

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
        let tx = self.begin_append().await?;
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
        let mut tx = self.begin_append().await?;
        let latest = tx.latest_live(entity_id).await?;
        if latest.version != expected_version {
            return Err(StoreError::Conflict {
                current_version: latest.version,
            });
        }
        // The same fields from another time is a change: a correction of when they held.
        let moves_valid_time = meta
            .valid_from
            .is_some_and(|at| super::chain::to_micros(at) != latest.valid_since());
        if latest.fields == fields && !moves_valid_time {
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
        self.until_settled(|| {
            self.copy_latest(entity_id, Op::Deleted, None, meta.clone(), recorded_at)
        })
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
        self.until_settled(|| {
            self.copy_latest(entity_id, Op::Restored, None, meta.clone(), recorded_at)
        })
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
        let mut tx = self.begin_append().await?;
        let latest = tx.latest(entity_id).await?.ok_or(StoreError::NotFound)?;
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
            self.until_settled(|| self.revert_task_now(entity_id, target, meta.clone()))
        })
        .await
    }

    async fn revert_task_now(
        &self,
        entity_id: EntityId,
        target: i64,
        meta: ChangeMeta,
    ) -> Result<TaskVersion, StoreError> {
        let mut tx = self.begin_append().await?;
        let latest = tx.latest_live(entity_id).await?;
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

    /// Runs a write that names no version it expects until it is not refused for a race: a
    /// writer that appended between its read and its insert made it a conflict, and the next
    /// attempt starts from that writer's version. Bounded, so a task under a storm of writes
    /// answers with the conflict instead of spinning.
    async fn until_settled<F, Fut>(&self, mut write: F) -> Result<TaskVersion, StoreError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<TaskVersion, StoreError>>,
    {
        const ATTEMPTS: usize = 5;
        let mut attempt = 1;
        loop {
            match write().await {
                Err(StoreError::Conflict { .. }) if attempt < ATTEMPTS => attempt += 1,
                outcome => return outcome,
            }
        }
    }

    /// Runs a write that may be a repeat of an earlier submission with the same key, and counts
    /// it for the operator's metrics if it was refused as a conflict.
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
        let outcome = match key {
            Some(key) => self.once_per_key(key, target, write).await,
            None => write().await,
        };
        if matches!(outcome, Err(StoreError::Conflict { .. })) {
            self.counts.conflict();
        }
        outcome
    }

    /// A key already recorded is answered with the version it produced, and nothing is
    /// attempted. A repeat that races the first submission fails inside the database instead
    /// (on the key's primary key, or on the task's next version, which the first one took) and
    /// rolls back; it is then answered the same way.
    async fn once_per_key<F, Fut>(
        &self,
        key: IdempotencyKey,
        target: Option<EntityId>,
        write: F,
    ) -> Result<TaskVersion, StoreError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<TaskVersion, StoreError>>,
    {
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

    /// The version the submission `key` appended, if it appended one.
    pub async fn appended_with_key(
        &self,
        key: IdempotencyKey,
    ) -> Result<Option<TaskVersion>, StoreError> {
        self.version_for_key(key, None).await
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

    /// A write transaction: many statements that commit together (the generator, the lessons).
    pub(crate) async fn begin_write(&self) -> Result<WriteTx, StoreError> {
        let tx = self.pool.begin_write().await?;
        Ok(self.writing(tx))
    }

    /// Where one append runs (`Pool::begin_append`).
    async fn begin_append(&self) -> Result<WriteTx, StoreError> {
        let tx = self.pool.begin_append().await?;
        Ok(self.writing(tx))
    }

    fn writing(&self, tx: super::backend::Tx) -> WriteTx {
        WriteTx {
            tx: if self.trace_writes { tx.record() } else { tx },
            appended: Arc::clone(&self.appended),
            traces: Arc::clone(&self.traces),
            counts: Arc::clone(&self.counts),
            appended_row: None,
            clock: None,
        }
    }
}
