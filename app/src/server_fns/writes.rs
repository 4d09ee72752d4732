//! Server functions that append: create, update, delete, restore and revert. Each takes its
//! form as posted (one struct, flattened so the field names are the form's own), parses it into
//! a command, runs it, and answers as every write does (see `context::answer`).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::task::TaskVersion;

/// The new-task form. `return_to` is where the browser goes next (default: the new task's page).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewTaskForm {
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
    #[serde(default)]
    pub return_to: String,
    #[serde(default)]
    pub idempotency_key: String,
}

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
    #[serde(default)]
    pub idempotency_key: String,
    #[serde(default)]
    pub return_to: String,
}

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
impl NewTaskForm {
    fn input(&self) -> crate::task::TaskInput {
        crate::task::TaskInput {
            title: self.title.clone(),
            description: self.description.clone(),
            status: self.status.clone(),
            priority: self.priority.clone(),
            due_date: self.due_date.clone(),
        }
    }

    /// The fields as typed, to send a failed plain post back to its form.
    fn draft(&self) -> [(&'static str, &str); 7] {
        [
            ("title", &self.title),
            ("description", &self.description),
            ("status", &self.status),
            ("priority", &self.priority),
            ("due_date", &self.due_date),
            ("actor", &self.actor),
            ("note", &self.note),
        ]
    }
}

#[cfg(feature = "ssr")]
impl EditTaskForm {
    /// The fields the edit shares with the new-task form.
    fn task(&self) -> NewTaskForm {
        NewTaskForm {
            title: self.title.clone(),
            description: self.description.clone(),
            status: self.status.clone(),
            priority: self.priority.clone(),
            due_date: self.due_date.clone(),
            actor: self.actor.clone(),
            note: self.note.clone(),
            return_to: self.return_to.clone(),
            idempotency_key: self.idempotency_key.clone(),
        }
    }
}

/// Who changes a task and why, read from a button's form: a blank name is the remembered one.
#[cfg(feature = "ssr")]
fn parse_button_meta(
    actor: &str,
    note: &str,
    idempotency_key: &str,
) -> Result<crate::task::ChangeMeta, AppError> {
    Ok(crate::command::parse_meta(
        &super::context::actor_or_remembered(actor),
        note,
        crate::task::idempotency::IdempotencyKey::parse(idempotency_key),
    )?)
}

/// Creates a task from a submitted form.
#[server(endpoint = "create_task")]
pub async fn create_task(#[server(flatten)] form: NewTaskForm) -> Result<TaskVersion, AppError> {
    use crate::command::{CreateCommand, TaskChange};
    use crate::task::idempotency::IdempotencyKey;

    let return_to = super::context::return_path(&form.return_to);
    let created = async {
        let key = IdempotencyKey::parse(&form.idempotency_key);
        let change = TaskChange::parse(&form.input(), &form.actor, &form.note, key)?;
        CreateCommand::new(change)
            .run(&super::context::store()?)
            .await
    }
    .await;
    super::context::answer::<CreateTask>(created, return_to.as_deref(), &form.actor, &form.draft())
}

/// Saves an edit made from `expected_version`. If someone saved in between, nothing is written
/// and the error names the version they produced. `return_to` is where the browser goes next
/// (default: the task's page).
#[server(endpoint = "update_task")]
pub async fn update_task(#[server(flatten)] form: EditTaskForm) -> Result<TaskVersion, AppError> {
    use crate::command::{parse_entity_id, TaskChange, UpdateCommand};
    use crate::task::idempotency::IdempotencyKey;

    let return_to = super::context::return_path(&form.return_to);
    let task = form.task();
    let updated = async {
        let id = parse_entity_id(&form.entity_id)?;
        let expected = super::context::version_number("expected_version", &form.expected_version)?;
        let key = IdempotencyKey::parse(&form.idempotency_key);
        let change = TaskChange::parse(&task.input(), &form.actor, &form.note, key)?;
        UpdateCommand::new(id, expected, change)
            .run(&super::context::store()?)
            .await
    }
    .await;
    super::context::answer::<UpdateTask>(
        updated,
        return_to.as_deref(),
        &form.actor,
        &[
            task.draft().as_slice(),
            &[("expected_version", &form.expected_version)],
        ]
        .concat(),
    )
}

/// Appends a tombstone. The task leaves the list and can be restored from the deleted page.
#[server(endpoint = "delete_task")]
pub async fn delete_task(#[server(flatten)] form: TaskTargetForm) -> Result<TaskVersion, AppError> {
    use crate::command::{parse_entity_id, DeleteCommand};

    let return_to = super::context::return_path(&form.return_to);
    let deleted = async {
        let id = parse_entity_id(&form.entity_id)?;
        let meta = parse_button_meta(&form.actor, &form.note, &form.idempotency_key)?;
        DeleteCommand::new(id, None, meta)
            .run(&super::context::store()?)
            .await
    }
    .await;
    super::context::answer::<DeleteTask>(deleted, return_to.as_deref(), &form.actor, &[])
}

/// Appends a live version with the tombstone's content.
#[server(endpoint = "restore_task")]
pub async fn restore_task(
    #[server(flatten)] form: TaskTargetForm,
) -> Result<TaskVersion, AppError> {
    use crate::command::{parse_entity_id, RestoreCommand};

    let return_to = super::context::return_path(&form.return_to);
    let restored = async {
        let id = parse_entity_id(&form.entity_id)?;
        let meta = parse_button_meta(&form.actor, &form.note, &form.idempotency_key)?;
        RestoreCommand::new(id, meta)
            .run(&super::context::store()?)
            .await
    }
    .await;
    super::context::answer::<RestoreTask>(restored, return_to.as_deref(), &form.actor, &[])
}

/// Appends a new version whose fields are copied from version `version`.
#[server(endpoint = "revert_task")]
pub async fn revert_task(#[server(flatten)] form: RevertTaskForm) -> Result<TaskVersion, AppError> {
    use crate::command::{parse_entity_id, RevertCommand, VersionNumber};

    let return_to = super::context::return_path(&form.return_to);
    let reverted = async {
        let id = parse_entity_id(&form.entity_id)?;
        let meta = parse_button_meta(&form.actor, &form.note, &form.idempotency_key)?;
        let version = VersionNumber::from_text("version", &form.version)?;
        RevertCommand::new(id, version, meta)
            .run(&super::context::store()?)
            .await
    }
    .await;
    super::context::answer::<RevertTask>(reverted, return_to.as_deref(), &form.actor, &[])
}
