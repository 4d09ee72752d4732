//! Editing a task: the edit form, the commands both doors build (a whole new set of fields, or,
//! from `/api/v1`'s PATCH, the changes to one version), and the form's server function.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::TaskChange;
use crate::error::AppError;
use crate::task::idempotency::IdempotencyKey;
use crate::task::{EntityId, FieldError, TaskFields, TaskInput, TaskVersion};

/// The edit form: the task, the version the edit was made from, and its fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditTaskForm {
    pub entity_id: String,
    pub expected_version: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub priority: String,
    #[serde(default)]
    pub due_date: String,
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub note: String,
    /// Since when the edit holds, if earlier than now (`datetime-local`, UTC).
    #[serde(default)]
    pub valid_from: String,
    #[serde(default)]
    pub idempotency_key: String,
    #[serde(default)]
    pub return_to: String,
}

#[cfg(feature = "ssr")]
impl EditTaskForm {
    /// The fields the edit shares with the new-task form.
    fn task(&self) -> super::NewTaskForm {
        super::NewTaskForm {
            title: self.title.clone(),
            description: self.description.clone(),
            status: self.status.clone(),
            priority: self.priority.clone(),
            due_date: self.due_date.clone(),
            actor: self.actor.clone(),
            note: self.note.clone(),
            valid_from: self.valid_from.clone(),
            return_to: self.return_to.clone(),
            idempotency_key: self.idempotency_key.clone(),
        }
    }

    fn command(&self) -> Result<UpdateCommand, AppError> {
        let id = super::parse_entity_id(&self.entity_id)?;
        let expected = super::VersionNumber::from_text("expected_version", &self.expected_version)?;
        Ok(UpdateCommand::new(
            id,
            expected.get(),
            self.task().change()?,
        ))
    }
}

/// Appends a version with new fields, if `expected_version` is still the newest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateCommand {
    id: EntityId,
    expected_version: i64,
    change: TaskChange,
}

impl UpdateCommand {
    pub fn new(id: EntityId, expected_version: i64, change: TaskChange) -> Self {
        Self {
            id,
            expected_version,
            change,
        }
    }
}

/// The fields a merge patch (RFC 7386) names, as sent: `None` keeps the field; for the optional
/// fields `Some(None)` clears it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldsPatch {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub status: Option<String>,
    pub priority: Option<i64>,
    pub due_date: Option<Option<String>>,
}

impl FieldsPatch {
    /// The whole input the patch makes of `base`: the fields it names replaced, the rest kept.
    pub fn apply(self, base: &TaskFields) -> TaskInput {
        TaskInput {
            title: self.title.unwrap_or_else(|| base.title.as_str().to_owned()),
            description: match self.description {
                Some(description) => description.unwrap_or_default(),
                None => base
                    .description
                    .as_ref()
                    .map(|description| description.as_str().to_owned())
                    .unwrap_or_default(),
            },
            status: self
                .status
                .unwrap_or_else(|| base.status.as_str().to_owned()),
            priority: self
                .priority
                .unwrap_or_else(|| i64::from(base.priority.value()))
                .to_string(),
            due_date: match self.due_date {
                Some(due_date) => due_date.unwrap_or_default(),
                None => base
                    .due_date
                    .map(|date| date.to_string())
                    .unwrap_or_default(),
            },
        }
    }
}

/// An update written as the changes to one version: the fields are parsed once that version is
/// read, since what they become depends on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatchCommand {
    id: EntityId,
    expected_version: i64,
    patch: FieldsPatch,
    meta: PatchMeta,
}

/// Who sends a patch and why, as sent, and since when, as the door read it: checked with the
/// patched fields, so every broken rule is reported at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatchMeta {
    pub actor: String,
    pub note: String,
    pub valid_from: Result<Option<DateTime<Utc>>, FieldError>,
    pub idempotency_key: Option<IdempotencyKey>,
}

impl PatchCommand {
    pub fn new(id: EntityId, expected_version: i64, patch: FieldsPatch, meta: PatchMeta) -> Self {
        Self {
            id,
            expected_version,
            patch,
            meta,
        }
    }
}

#[cfg(feature = "ssr")]
impl UpdateCommand {
    pub async fn run(self, store: &crate::store::Store) -> Result<TaskVersion, AppError> {
        let TaskChange { fields, meta } = self.change;
        Ok(store
            .update_task(self.id, self.expected_version, fields, meta)
            .await?)
    }
}

#[cfg(feature = "ssr")]
impl PatchCommand {
    /// Reads the version the patch applies to, parses the patched fields, and updates. Without
    /// that version: not found, deleted, or (the task has moved on) a conflict with the newest.
    pub async fn run(self, store: &crate::store::Store) -> Result<TaskVersion, AppError> {
        use crate::task::TaskLookup;

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
            &self.meta.actor,
            &self.meta.note,
            self.meta.valid_from,
            Ok(self.meta.idempotency_key),
        )?;
        UpdateCommand::new(self.id, self.expected_version, change)
            .run(store)
            .await
    }
}

/// Saves an edit made from `expected_version`. If someone saved in between, nothing is written
/// and the error names the version they produced. `return_to` is where the browser goes next
/// (default: the task's page).
#[server(endpoint = "update_task")]
pub async fn update_task(#[server(flatten)] form: EditTaskForm) -> Result<TaskVersion, AppError> {
    use crate::server_fns::context;

    let typed = form.task();
    let draft = [
        typed.draft().as_slice(),
        &[("expected_version", &form.expected_version)],
    ]
    .concat();
    let updated = async { form.command()?.run(&context::store()?).await };
    context::write::<UpdateTask>(&form.return_to, &form.actor, &draft, updated).await
}
