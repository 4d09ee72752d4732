//! Reverting a task: the revert button's form, the command both doors build, and the button's
//! server function. A revert appends a new version whose fields are copied from an older one.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::VersionNumber;
use crate::error::AppError;
use crate::task::{ChangeMeta, EntityId, TaskVersion};

/// A revert button's form: the task and the version whose fields it copies.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevertTaskForm {
    pub entity_id: String,
    pub version: String,
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
impl RevertTaskForm {
    fn command(&self) -> Result<RevertCommand, AppError> {
        let id = super::parse_entity_id(&self.entity_id)?;
        let meta = super::button_meta(&self.actor, &self.note, &self.idempotency_key)?;
        let version = VersionNumber::from_text("version", &self.version)?;
        Ok(RevertCommand::new(id, version, meta))
    }
}

/// Appends a version whose fields are copied from version `version`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevertCommand {
    id: EntityId,
    version: VersionNumber,
    meta: ChangeMeta,
}

impl RevertCommand {
    pub fn new(id: EntityId, version: VersionNumber, meta: ChangeMeta) -> Self {
        Self { id, version, meta }
    }
}

#[cfg(feature = "ssr")]
impl RevertCommand {
    pub async fn run(self, store: &crate::store::Store) -> Result<TaskVersion, AppError> {
        Ok(store
            .revert_task(self.id, self.version.get(), self.meta)
            .await?)
    }
}

/// Appends a new version whose fields are copied from version `version`.
#[server(endpoint = "revert_task")]
pub async fn revert_task(#[server(flatten)] form: RevertTaskForm) -> Result<TaskVersion, AppError> {
    use crate::server_fns::context;

    let reverted = async { form.command()?.run(&context::store()?).await };
    context::write::<RevertTask>(&form.return_to, &form.actor, &[], reverted).await
}
