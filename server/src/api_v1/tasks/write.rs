//! The writes: each reads its request into one of the app's commands (the same ones the forms
//! build) and runs it. Those that replace what a client has seen are guarded by `If-Match`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};

use app::command::{
    parse_entity_id, parse_meta, parse_sent_valid_from, CreateCommand, DeleteCommand, PatchCommand,
    RestoreCommand, RevertCommand, TaskChange, UpdateCommand, VersionNumber,
};
use app::error::AppError;
use app::store::Store;

use super::preconditions::{
    answer_guarded, expected_version, read_idempotency_key, read_precondition,
};
use super::types::{ChangeNote, RevertTo, TaskDraft, TaskPatch};
use crate::api_v1::problem::{Problem, Problems};
use crate::api_v1::representation::{location, represent, Task};
use crate::api_v1::{json_body, Answer, ApiPath};

/// A draft's fields and who makes the change, with the key its request's header carried.
fn parse_draft(draft: &TaskDraft, headers: &HeaderMap) -> Result<TaskChange, Problem> {
    let key = read_idempotency_key(headers)?;
    Ok(TaskChange::parse(
        &draft.input(),
        draft.actor.as_deref().unwrap_or_default(),
        draft.note.as_deref().unwrap_or_default(),
        parse_sent_valid_from(draft.valid_from.as_deref()),
        Ok(key),
    )?)
}

/// Who makes a change and why, as a body without fields names them.
fn parse_note(
    actor: Option<&str>,
    note: Option<&str>,
    headers: &HeaderMap,
) -> Result<app::task::ChangeMeta, Problem> {
    let key = read_idempotency_key(headers)?;
    let meta = parse_meta(
        actor.unwrap_or_default(),
        note.unwrap_or_default(),
        Ok(None),
        Ok(key),
    );
    Ok(meta.map_err(AppError::Invalid)?)
}

#[utoipa::path(post, path = "/api/v1/tasks", request_body = TaskDraft,
    params(("Idempotency-Key" = Option<uuid::Uuid>, Header, description = "A UUID; a repeat appends nothing and answers with the version the first produced")),
    responses(
        (status = 201, body = Task, headers(("Location" = String), ("ETag" = String)),
            links(
                ("GetTask" = (operation_id = "show", parameters(("id" = "$response.body#/id")))),
                ("ReplaceTask" = (operation_id = "replace", parameters(("id" = "$response.body#/id"), ("header.If-Match" = "$response.header.ETag")))),
                ("PatchTask" = (operation_id = "patch", parameters(("id" = "$response.body#/id"), ("header.If-Match" = "$response.header.ETag")))),
                ("DeleteTask" = (operation_id = "delete", parameters(("id" = "$response.body#/id"), ("header.If-Match" = "$response.header.ETag")))),
                ("TaskVersions" = (operation_id = "versions", parameters(("id" = "$response.body#/id"))))
            )),
        Problems<400, 415, 422>,
    ))]
pub async fn create(State(store): State<Store>, headers: HeaderMap, body: Bytes) -> Answer {
    let draft: TaskDraft = json_body(&headers, &body, &["application/json"])?;
    let change = parse_draft(&draft, &headers)?;
    let created = CreateCommand::new(change).run(&store).await?;
    let mut response = represent(StatusCode::CREATED, &created);
    if let Ok(value) = HeaderValue::from_str(&location(&created)) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

#[utoipa::path(put, path = "/api/v1/tasks/{id}", request_body = TaskDraft,
    params(("id" = String, Path, description = "The task's id (a UUID)"), ("If-Match" = String, Header, description = "The ETag of the version being replaced")),
    responses(
        (status = 200, body = Task,
            links(
                ("GetTask" = (operation_id = "show", parameters(("id" = "$response.body#/id")))),
                ("DeleteTask" = (operation_id = "delete", parameters(("id" = "$response.body#/id"), ("header.If-Match" = "$response.header.ETag"))))
            )),
        Problems<400, 404, 410, 412, 415, 422, 428>,
    ))]
pub async fn replace(
    State(store): State<Store>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let id = parse_entity_id(&id)?;
    // If-Match first (428 without it), then the body, and only then the task: a malformed
    // request is a 400 or 422 whatever state the task is in.
    let precondition = read_precondition(&headers)?;
    let draft: TaskDraft = json_body(&headers, &body, &["application/json"])?;
    let change = parse_draft(&draft, &headers)?;
    let had = expected_version(&store, id, precondition).await?;
    let written = UpdateCommand::new(id, had, change).run(&store).await;
    answer_guarded(&store, id, had, written).await
}

#[utoipa::path(patch, path = "/api/v1/tasks/{id}", request_body(content = TaskPatch, content_type = "application/merge-patch+json"),
    params(("id" = String, Path, description = "The task's id (a UUID)"), ("If-Match" = String, Header, description = "The ETag of the version being changed")),
    responses(
        (status = 200, body = Task,
            links(
                ("GetTask" = (operation_id = "show", parameters(("id" = "$response.body#/id")))),
                ("DeleteTask" = (operation_id = "delete", parameters(("id" = "$response.body#/id"), ("header.If-Match" = "$response.header.ETag"))))
            )),
        Problems<400, 404, 410, 412, 415, 422, 428>,
    ))]
pub async fn patch(
    State(store): State<Store>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let id = parse_entity_id(&id)?;
    let precondition = read_precondition(&headers)?;
    let patch: TaskPatch = json_body(
        &headers,
        &body,
        &["application/merge-patch+json", "application/json"],
    )?;
    let key = read_idempotency_key(&headers)?;
    let had = expected_version(&store, id, precondition).await?;
    let (fields, meta) = patch.into_parts(key);
    let written = PatchCommand::new(id, had, fields, meta).run(&store).await;
    answer_guarded(&store, id, had, written).await
}

#[utoipa::path(delete, path = "/api/v1/tasks/{id}",
    params(("id" = String, Path, description = "The task's id (a UUID)"), ("If-Match" = String, Header, description = "The ETag of the version being deleted")),
    responses(
        (status = 200, body = Task, description = "The tombstone",
            links(
                ("GetTask" = (operation_id = "show", parameters(("id" = "$response.body#/id")))),
                ("RestoreTask" = (operation_id = "restore", parameters(("id" = "$response.body#/id"))))
            )),
        Problems<400, 404, 410, 412, 422, 428>,
    ))]
pub async fn delete(
    State(store): State<Store>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> Answer {
    let id = parse_entity_id(&id)?;
    let precondition = read_precondition(&headers)?;
    let meta = parse_note(None, None, &headers)?;
    let had = expected_version(&store, id, precondition).await?;
    let written = DeleteCommand::new(id, Some(had), meta).run(&store).await;
    answer_guarded(&store, id, had, written).await
}

#[utoipa::path(post, path = "/api/v1/tasks/{id}/restore", params(("id" = String, Path, description = "The task's id (a UUID)")), request_body(content = Option<ChangeNote>),
    responses(
        (status = 200, body = Task,
            links(
                ("GetTask" = (operation_id = "show", parameters(("id" = "$response.body#/id")))),
                ("DeleteTask" = (operation_id = "delete", parameters(("id" = "$response.body#/id"), ("header.If-Match" = "$response.header.ETag"))))
            )),
        Problems<400, 404, 409, 415, 422>,
    ))]
pub async fn restore(
    State(store): State<Store>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let id = parse_entity_id(&id)?;
    let note: ChangeNote = if body.is_empty() {
        ChangeNote::default()
    } else {
        json_body(&headers, &body, &["application/json"])?
    };
    let meta = parse_note(note.actor.as_deref(), note.note.as_deref(), &headers)?;
    let restored = RestoreCommand::new(id, meta).run(&store).await?;
    Ok(represent(StatusCode::OK, &restored))
}

#[utoipa::path(post, path = "/api/v1/tasks/{id}/revert", params(("id" = String, Path, description = "The task's id (a UUID)")), request_body = RevertTo,
    responses(
        (status = 200, body = Task),
        Problems<400, 404, 410, 415, 422>,
    ))]
pub async fn revert(
    State(store): State<Store>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let id = parse_entity_id(&id)?;
    let revert: RevertTo = json_body(&headers, &body, &["application/json"])?;
    let version = VersionNumber::parse("version", revert.version).map_err(AppError::from)?;
    let meta = parse_note(revert.actor.as_deref(), revert.note.as_deref(), &headers)?;
    let reverted = RevertCommand::new(id, version, meta).run(&store).await?;
    Ok(represent(StatusCode::OK, &reverted))
}
