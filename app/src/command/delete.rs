//! Deleting and restoring a task: the buttons' form, the commands both doors build, and the
//! buttons' server functions. A delete appends a tombstone; a restore appends a live version
//! with the tombstone's content.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::task::{ChangeMeta, EntityId, TaskVersion};

/// A delete or restore button's form: the task, and who changes it and why.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskTargetForm {
    pub entity_id: String,
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub return_to: String,
    #[serde(default)]
    pub idempotency_key: String,
}

#[cfg(feature = "ssr")]
impl TaskTargetForm {
    fn target(&self) -> Result<(EntityId, ChangeMeta), AppError> {
        let id = super::parse_entity_id(&self.entity_id)?;
        let meta = super::button_meta(&self.actor, &self.note, &self.idempotency_key)?;
        Ok((id, meta))
    }
}

/// Appends a tombstone; with `expected_version`, only if that version is still the newest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeleteCommand {
    id: EntityId,
    expected_version: Option<i64>,
    meta: ChangeMeta,
}

impl DeleteCommand {
    pub fn new(id: EntityId, expected_version: Option<i64>, meta: ChangeMeta) -> Self {
        Self {
            id,
            expected_version,
            meta,
        }
    }
}

/// Appends a live version with a tombstoned task's content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestoreCommand {
    id: EntityId,
    meta: ChangeMeta,
}

impl RestoreCommand {
    pub fn new(id: EntityId, meta: ChangeMeta) -> Self {
        Self { id, meta }
    }
}

#[cfg(feature = "ssr")]
impl DeleteCommand {
    pub async fn run(self, store: &crate::store::Store) -> Result<TaskVersion, AppError> {
        Ok(match self.expected_version {
            Some(expected) => store.delete_task_if(self.id, expected, self.meta).await?,
            None => store.delete_task(self.id, self.meta).await?,
        })
    }
}

#[cfg(feature = "ssr")]
impl RestoreCommand {
    pub async fn run(self, store: &crate::store::Store) -> Result<TaskVersion, AppError> {
        Ok(store.restore_task(self.id, self.meta).await?)
    }
}

/// Appends a tombstone. The task leaves the list and can be restored from the deleted page.
#[server(endpoint = "delete_task")]
pub async fn delete_task(#[server(flatten)] form: TaskTargetForm) -> Result<TaskVersion, AppError> {
    use crate::server_fns::context;

    let deleted = async {
        let (id, meta) = form.target()?;
        DeleteCommand::new(id, None, meta)
            .run(&context::store()?)
            .await
    };
    context::write::<DeleteTask>(&form.return_to, &form.actor, &[], deleted).await
}

/// Appends a live version with the tombstone's content.
#[server(endpoint = "restore_task")]
pub async fn restore_task(
    #[server(flatten)] form: TaskTargetForm,
) -> Result<TaskVersion, AppError> {
    use crate::server_fns::context;

    let restored = async {
        let (id, meta) = form.target()?;
        RestoreCommand::new(id, meta).run(&context::store()?).await
    };
    context::write::<RestoreTask>(&form.return_to, &form.actor, &[], restored).await
}
