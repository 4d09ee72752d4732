//! Runs each command against the store: one store write per command, its error turned into the
//! application's error on the way out (store error → `AppError`, the chain both doors tell).

use super::{
    CreateCommand, DeleteCommand, PatchCommand, RestoreCommand, RevertCommand, TaskChange,
    UpdateCommand,
};
use crate::error::AppError;
use crate::store::Store;
use crate::task::{TaskLookup, TaskVersion};

impl CreateCommand {
    pub async fn run(self, store: &Store) -> Result<TaskVersion, AppError> {
        let TaskChange { fields, meta } = self.change;
        Ok(store.create_task(fields, meta).await?)
    }
}

impl UpdateCommand {
    pub async fn run(self, store: &Store) -> Result<TaskVersion, AppError> {
        let TaskChange { fields, meta } = self.change;
        Ok(store
            .update_task(self.id, self.expected_version, fields, meta)
            .await?)
    }
}

impl PatchCommand {
    /// Reads the version the patch applies to, parses the patched fields, and updates. Without
    /// that version: not found, deleted, or (the task has moved on) a conflict with the newest.
    pub async fn run(self, store: &Store) -> Result<TaskVersion, AppError> {
        let Some(base) = store.get_version(self.id, self.expected_version).await? else {
            return Err(match store.get_task(self.id).await? {
                TaskLookup::NotFound => AppError::NotFound,
                TaskLookup::Deleted(tombstone) => AppError::Deleted {
                    version: tombstone.version,
                },
                TaskLookup::Live(current) => AppError::Conflict {
                    current_version: current.version,
                },
            });
        };
        let change = TaskChange::parse(
            &self.patch.apply(&base.fields),
            &self.actor,
            &self.note,
            Ok(self.idempotency_key),
        )?;
        UpdateCommand::new(self.id, self.expected_version, change)
            .run(store)
            .await
    }
}

impl DeleteCommand {
    pub async fn run(self, store: &Store) -> Result<TaskVersion, AppError> {
        Ok(match self.expected_version {
            Some(expected) => store.delete_task_if(self.id, expected, self.meta).await?,
            None => store.delete_task(self.id, self.meta).await?,
        })
    }
}

impl RestoreCommand {
    pub async fn run(self, store: &Store) -> Result<TaskVersion, AppError> {
        Ok(store.restore_task(self.id, self.meta).await?)
    }
}

impl RevertCommand {
    pub async fn run(self, store: &Store) -> Result<TaskVersion, AppError> {
        Ok(store
            .revert_task(self.id, self.version.get(), self.meta)
            .await?)
    }
}
