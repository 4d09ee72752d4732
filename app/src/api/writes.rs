//! Server functions that append: create, update, delete, restore and revert. Each parses its
//! form once, calls one store write, and answers as every write does (see `server::answer`).

use leptos::prelude::*;

use crate::error::AppError;
use crate::task::TaskVersion;

#[cfg(feature = "ssr")]
fn parse_change(
    input: &crate::task::TaskInput,
    actor: &str,
    note: &str,
    idempotency_key: &str,
) -> Result<(crate::task::TaskFields, crate::task::ChangeMeta), AppError> {
    use crate::idempotency::IdempotencyKey;
    use crate::task::{ChangeMeta, TaskFields};

    match (
        TaskFields::parse(input),
        ChangeMeta::parse(actor, note),
        IdempotencyKey::parse(idempotency_key),
    ) {
        (Ok(fields), Ok(meta), Ok(key)) => Ok((fields, meta.with_idempotency_key(key))),
        (fields, meta, key) => Err(AppError::Invalid(
            [fields.err(), meta.err(), key.err().map(|error| vec![error])]
                .into_iter()
                .flatten()
                .flatten()
                .collect(),
        )),
    }
}

/// A task form's fields as typed, to send a failed plain post back to its form.
#[cfg(feature = "ssr")]
fn form_draft<'a>(
    input: &'a crate::task::TaskInput,
    actor: &'a str,
    note: &'a str,
) -> [(&'static str, &'a str); 7] {
    [
        ("title", &input.title),
        ("description", &input.description),
        ("status", &input.status),
        ("priority", &input.priority),
        ("due_date", &input.due_date),
        ("actor", actor),
        ("note", note),
    ]
}

/// Creates a task from a submitted form. `return_to` is where the browser goes next (default:
/// the new task's page).
#[server(endpoint = "create_task")]
pub async fn create_task(
    title: String,
    #[server(default)] description: String,
    #[server(default)] status: String,
    #[server(default)] priority: String,
    #[server(default)] due_date: String,
    #[server(default)] actor: String,
    #[server(default)] note: String,
    #[server(default)] return_to: String,
    #[server(default)] idempotency_key: String,
) -> Result<TaskVersion, AppError> {
    use crate::task::TaskInput;

    let return_to = super::server::return_path(&return_to);
    let input = TaskInput {
        title,
        description,
        status,
        priority,
        due_date,
    };
    let created = async {
        let (fields, meta) = parse_change(&input, &actor, &note, &idempotency_key)?;
        Ok::<_, AppError>(super::server::store()?.create_task(fields, meta).await?)
    }
    .await;
    super::server::answer::<CreateTask>(
        created,
        return_to.as_deref(),
        &actor,
        &form_draft(&input, &actor, &note),
    )
}

/// Saves an edit made from `expected_version`. If someone saved in between, nothing is written
/// and the error names the version they produced. `return_to` is where the browser goes next
/// (default: the task's page).
#[server(endpoint = "update_task")]
pub async fn update_task(
    entity_id: String,
    expected_version: String,
    title: String,
    #[server(default)] description: String,
    #[server(default)] status: String,
    #[server(default)] priority: String,
    #[server(default)] due_date: String,
    #[server(default)] actor: String,
    #[server(default)] note: String,
    #[server(default)] idempotency_key: String,
    #[server(default)] return_to: String,
) -> Result<TaskVersion, AppError> {
    use crate::task::TaskInput;

    let return_to = super::server::return_path(&return_to);

    let input = TaskInput {
        title,
        description,
        status,
        priority,
        due_date,
    };
    let updated = async {
        let id = super::server::entity_id(&entity_id)?;
        let expected = super::server::version_number("expected_version", &expected_version)?;
        let (fields, meta) = parse_change(&input, &actor, &note, &idempotency_key)?;
        Ok::<_, AppError>(
            super::server::store()?
                .update_task(id, expected, fields, meta)
                .await?,
        )
    }
    .await;
    super::server::answer::<UpdateTask>(
        updated,
        return_to.as_deref(),
        &actor,
        &[
            form_draft(&input, &actor, &note).as_slice(),
            &[("expected_version", &expected_version)],
        ]
        .concat(),
    )
}

/// Appends a tombstone. The task leaves the list and can be restored from the deleted page.
#[server(endpoint = "delete_task")]
pub async fn delete_task(
    entity_id: String,
    #[server(default)] actor: String,
    #[server(default)] note: String,
    #[server(default)] return_to: String,
    #[server(default)] idempotency_key: String,
) -> Result<TaskVersion, AppError> {
    let return_to = super::server::return_path(&return_to);
    let deleted = async {
        let (id, meta) =
            super::server::target_and_meta(&entity_id, &actor, &note, &idempotency_key)?;
        Ok::<_, AppError>(super::server::store()?.delete_task(id, meta).await?)
    }
    .await;
    super::server::answer::<DeleteTask>(deleted, return_to.as_deref(), &actor, &[])
}

/// Appends a live version with the tombstone's content.
#[server(endpoint = "restore_task")]
pub async fn restore_task(
    entity_id: String,
    #[server(default)] actor: String,
    #[server(default)] note: String,
    #[server(default)] return_to: String,
    #[server(default)] idempotency_key: String,
) -> Result<TaskVersion, AppError> {
    let return_to = super::server::return_path(&return_to);
    let restored = async {
        let (id, meta) =
            super::server::target_and_meta(&entity_id, &actor, &note, &idempotency_key)?;
        Ok::<_, AppError>(super::server::store()?.restore_task(id, meta).await?)
    }
    .await;
    super::server::answer::<RestoreTask>(restored, return_to.as_deref(), &actor, &[])
}

/// Appends a new version whose fields are copied from version `version`.
#[server(endpoint = "revert_task")]
pub async fn revert_task(
    entity_id: String,
    version: String,
    #[server(default)] actor: String,
    #[server(default)] note: String,
    #[server(default)] return_to: String,
    #[server(default)] idempotency_key: String,
) -> Result<TaskVersion, AppError> {
    let return_to = super::server::return_path(&return_to);
    let reverted = async {
        let (id, meta) =
            super::server::target_and_meta(&entity_id, &actor, &note, &idempotency_key)?;
        let target = super::server::version_number("version", &version)?;
        Ok::<_, AppError>(
            super::server::store()?
                .revert_task(id, target, meta)
                .await?,
        )
    }
    .await;
    super::server::answer::<RevertTask>(reverted, return_to.as_deref(), &actor, &[])
}
