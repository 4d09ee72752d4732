//! Creating a task: the new-task form, the command both doors build from what they received, and
//! the form's server function.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::TaskChange;
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
    /// Since when the task holds, if earlier than now (`datetime-local`, UTC).
    #[serde(default)]
    pub valid_from: String,
    #[serde(default)]
    pub return_to: String,
    #[serde(default)]
    pub idempotency_key: String,
}

#[cfg(feature = "ssr")]
impl NewTaskForm {
    /// The fields and who sets them, every broken rule reported at once.
    pub(super) fn change(&self) -> Result<TaskChange, AppError> {
        let input = crate::task::TaskInput {
            title: self.title.clone(),
            description: self.description.clone(),
            status: self.status.clone(),
            priority: self.priority.clone(),
            due_date: self.due_date.clone(),
        };
        let key = crate::task::idempotency::IdempotencyKey::parse(&self.idempotency_key);
        let valid_from = super::parse_valid_from(&self.valid_from);
        TaskChange::parse(&input, &self.actor, &self.note, valid_from, key)
    }

    /// The fields as typed, to send a failed plain post back to its form.
    pub(super) fn draft(&self) -> [(&'static str, &str); 8] {
        [
            ("title", &self.title),
            ("description", &self.description),
            ("status", &self.status),
            ("priority", &self.priority),
            ("due_date", &self.due_date),
            ("actor", &self.actor),
            ("note", &self.note),
            (super::VALID_FROM, &self.valid_from),
        ]
    }
}

/// Appends a task's first version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateCommand {
    change: TaskChange,
}

impl CreateCommand {
    pub fn new(change: TaskChange) -> Self {
        Self { change }
    }
}

#[cfg(feature = "ssr")]
impl CreateCommand {
    pub async fn run(self, store: &crate::store::Store) -> Result<TaskVersion, AppError> {
        let TaskChange { fields, meta } = self.change;
        Ok(store.create_task(fields, meta).await?)
    }
}

/// Creates a task from a submitted form.
#[server(endpoint = "create_task")]
pub async fn create_task(#[server(flatten)] form: NewTaskForm) -> Result<TaskVersion, AppError> {
    use crate::server_fns::context;

    let created = async {
        CreateCommand::new(form.change()?)
            .run(&context::store()?)
            .await
    };
    context::write::<CreateTask>(&form.return_to, &form.actor, &form.draft(), created).await
}
