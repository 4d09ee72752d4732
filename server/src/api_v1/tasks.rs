//! The task resources: the current board and its past, one task with its ETag, its versions,
//! and the writes, each guarded by `If-Match` where it replaces what a client has seen.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use app::idempotency::IdempotencyKey;
use app::paging::{ListCursor, TimeCursor};
use app::store::Store;
use app::task::{
    ChangeMeta, EntityId, FeedQuery, FieldError, TaskFields, TaskFilter, TaskInput, TaskLookup,
    TaskVersion,
};

use super::problem::{ChangedField, Problem, ProblemDetails};
use super::{etag, json_body, precondition, Answer, ApiPath, ApiQuery, Precondition};

/// A task as one of its versions: the state after one change.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Task {
    /// The task's identity, the same across its versions.
    pub id: Uuid,
    pub version: i64,
    pub title: String,
    pub description: Option<String>,
    /// `todo`, `in_progress` or `done`.
    pub status: String,
    /// 0 (none) to 5 (highest).
    pub priority: u8,
    pub due_date: Option<NaiveDate>,
    /// What this version did: `created`, `updated`, `deleted`, `restored` or `reverted`.
    pub op: String,
    pub recorded_at: DateTime<Utc>,
    /// Set on a tombstone: the task is deleted as of this version.
    pub deleted_at: Option<DateTime<Utc>>,
    pub actor: String,
    pub note: Option<String>,
    /// The version's place in the log of all changes.
    pub position: i64,
    /// SHA-256 over this version and the previous version's hash.
    pub hash: String,
    pub prev_hash: Option<String>,
}

impl From<&TaskVersion> for Task {
    fn from(version: &TaskVersion) -> Self {
        let fields = &version.fields;
        Task {
            id: version.entity_id.as_uuid(),
            version: version.version,
            title: fields.title.as_str().to_owned(),
            description: fields.description.as_ref().map(|d| d.as_str().to_owned()),
            status: fields.status.as_str().to_owned(),
            priority: fields.priority.value(),
            due_date: fields.due_date,
            op: version.op.as_str().to_owned(),
            recorded_at: version.recorded_at,
            deleted_at: version.deleted_at,
            actor: version.actor.as_str().to_owned(),
            note: version.note.as_ref().map(|n| n.as_str().to_owned()),
            position: version.position,
            hash: version.hash.clone(),
            prev_hash: version.prev_hash.clone(),
        }
    }
}

/// A task's editable fields, as `POST` and `PUT` send them; the same rules as the forms.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskDraft {
    /// One line, not blank; surrounding spaces are trimmed.
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    #[schema(max_length = 10000)]
    pub description: Option<String>,
    /// `todo` (the default, also when blank), `in_progress` or `done`.
    #[schema(pattern = "^(todo|in_progress|done)?$")]
    pub status: Option<String>,
    #[schema(minimum = 0, maximum = 5)]
    pub priority: Option<i64>,
    /// `YYYY-MM-DD`; blank for none.
    #[schema(pattern = "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$")]
    pub due_date: Option<String>,
    /// Who makes the change (default `anonymous`).
    #[schema(max_length = 100)]
    pub actor: Option<String>,
    /// Why, kept with the version.
    #[schema(max_length = 1000)]
    pub note: Option<String>,
}

impl TaskDraft {
    fn input(&self) -> TaskInput {
        TaskInput {
            title: self.title.clone(),
            description: self.description.clone().unwrap_or_default(),
            status: self.status.clone().unwrap_or_default(),
            priority: self.priority.map(|p| p.to_string()).unwrap_or_default(),
            due_date: self.due_date.clone().unwrap_or_default(),
        }
    }
}

/// A JSON merge patch (RFC 7386) of a task: the fields named are replaced, `null` clears an
/// optional one, the rest are kept.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskPatch {
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 10000)]
    pub description: Option<Option<String>>,
    #[schema(pattern = "^(todo|in_progress|done)?$")]
    pub status: Option<String>,
    #[schema(minimum = 0, maximum = 5)]
    pub priority: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, pattern = "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$")]
    pub due_date: Option<Option<String>>,
    #[schema(max_length = 100)]
    pub actor: Option<String>,
    #[schema(max_length = 1000)]
    pub note: Option<String>,
}

/// Tells a field sent as `null` (`Some(None)`) from one left out (`None`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Who makes a change and why, for the writes that carry no fields.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeNote {
    pub actor: Option<String>,
    pub note: Option<String>,
}

/// `POST /tasks/{id}/revert`: the version whose fields the new version copies.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevertTo {
    #[schema(minimum = 1)]
    pub version: i64,
    pub actor: Option<String>,
    pub note: Option<String>,
}

/// One page of tasks, and where the next one starts.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskPage {
    pub tasks: Vec<Task>,
    /// The next page's URL; absent on the last page.
    pub next: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only tasks with this status.
    pub status: Option<String>,
    /// `recent` (default), `priority` or `due`.
    pub sort: Option<String>,
    /// Part of a title, in any case.
    pub q: Option<String>,
    /// The cursor from the previous page's `next`.
    pub after: Option<String>,
    /// The board as it was at this instant (RFC 3339), tombstones included.
    pub as_of: Option<String>,
    /// The board as it was right after this change (a position in the log).
    #[param(minimum = 1)]
    pub at_change: Option<i64>,
}

fn meta(
    actor: Option<&str>,
    note: Option<&str>,
    key: Option<IdempotencyKey>,
) -> Result<ChangeMeta, Problem> {
    ChangeMeta::parse(actor.unwrap_or_default(), note.unwrap_or_default())
        .map(|meta| meta.with_idempotency_key(key))
        .map_err(|errors| app::error::AppError::Invalid(errors).into())
}

fn parse_draft(
    draft: &TaskDraft,
    key: Option<IdempotencyKey>,
) -> Result<(TaskFields, ChangeMeta), Problem> {
    let fields = TaskFields::parse(&draft.input());
    let meta = meta(draft.actor.as_deref(), draft.note.as_deref(), key);
    match (fields, meta) {
        (Ok(fields), Ok(meta)) => Ok((fields, meta)),
        (Err(mut errors), Err(mut problem)) => {
            errors.extend(
                std::mem::take(&mut problem.errors)
                    .into_iter()
                    .map(|field| FieldError::new(&field.field, &field.rule)),
            );
            Err(app::error::AppError::Invalid(errors).into())
        }
        (Err(errors), _) => Err(app::error::AppError::Invalid(errors).into()),
        (_, Err(problem)) => Err(problem),
    }
}

fn entity(raw: &str) -> Result<EntityId, Problem> {
    raw.parse::<EntityId>()
        .map_err(|_| Problem::from(app::error::AppError::NotFound))
}

/// `Idempotency-Key`: the same mechanism the forms' hidden key uses.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<IdempotencyKey>, Problem> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let invalid = |error: FieldError| Problem::from(app::error::AppError::Invalid(vec![error]));
    // A form's blank key means "none"; a header sent blank is a mistake worth saying.
    match value.to_str().unwrap_or("\u{fffd}").trim() {
        "" => Err(invalid(FieldError::new(
            app::idempotency::FIELD,
            "is blank: send a UUID, or leave the header out",
        ))),
        raw => IdempotencyKey::parse(raw).map_err(invalid),
    }
}

/// The version a guarded write replaces: the one `If-Match` names, or for `*` the current one
/// (a deleted task has none: 410).
async fn expected_version(
    store: &Store,
    id: EntityId,
    precondition: Precondition,
) -> Result<i64, Problem> {
    match precondition {
        Precondition::Version(version) => Ok(version),
        Precondition::Any => match store.get_task(id).await? {
            TaskLookup::Live(current) => Ok(current.version),
            TaskLookup::Deleted(tombstone) => Err(gone(&tombstone)),
            TaskLookup::NotFound => Err(app::error::AppError::NotFound.into()),
        },
    }
}

fn location(version: &TaskVersion) -> String {
    format!("/api/v1/tasks/{}", version.entity_id)
}

/// A task's representation with its validators: `ETag` (the version) and `Last-Modified`.
fn represent(status: StatusCode, version: &TaskVersion) -> Response {
    let mut response = (status, Json(Task::from(version))).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag(version.version)) {
        headers.insert(header::ETAG, value);
    }
    let modified = version
        .recorded_at
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    if let Ok(value) = HeaderValue::from_str(&modified) {
        headers.insert(header::LAST_MODIFIED, value);
    }
    response
}

fn gone(tombstone: &TaskVersion) -> Problem {
    let mut problem = Problem::from(app::error::AppError::Deleted {
        version: tombstone.version,
    });
    problem.tombstone = Some(Task::from(tombstone));
    problem.restore = Some(format!("{}/restore", location(tombstone)));
    problem
}

/// A stale `If-Match`: the current ETag and what changed since the version the client had.
async fn stale(store: &Store, id: EntityId, had: i64, current: i64) -> Problem {
    let mut problem = Problem::from(app::error::AppError::Conflict {
        current_version: current,
    });
    if let (Ok(Some(before)), Ok(Some(after))) = (
        store.get_version(id, had).await,
        store.get_version(id, current).await,
    ) {
        problem.changes = app::diff::changes(Some(&before.fields), &after.fields)
            .into_iter()
            .map(|change| ChangedField {
                field: change.field,
                before: change.old,
                after: change.new,
            })
            .collect();
    }
    problem
}

/// Runs a write guarded by `If-Match`, turning a conflict into a 412 that shows what changed.
async fn guarded(
    store: &Store,
    id: EntityId,
    had: i64,
    written: Result<TaskVersion, app::store::StoreError>,
) -> Answer {
    match written {
        Ok(version) => Ok(represent(StatusCode::OK, &version)),
        Err(app::store::StoreError::Conflict { current_version }) => {
            Err(stale(store, id, had, current_version).await)
        }
        Err(app::store::StoreError::Deleted { .. }) => match store.get_task(id).await? {
            TaskLookup::Deleted(tombstone) => Err(gone(&tombstone)),
            _ => Err(app::error::AppError::NotFound.into()),
        },
        Err(other) => Err(other.into()),
    }
}

#[utoipa::path(get, path = "/api/v1/tasks", params(ListParams),
    responses(
        (status = 400, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 200, body = TaskPage),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn list(State(store): State<Store>, ApiQuery(params): ApiQuery<ListParams>) -> Answer {
    let past = match (&params.as_of, params.at_change) {
        (Some(raw), _) => Some(
            app::time::parse_instant("as_of", raw)
                .map_err(|e| Problem::from(app::error::AppError::Invalid(vec![e])))?,
        ),
        (None, Some(position)) => {
            Some(store.position_instant(position).await?.ok_or_else(|| {
                Problem::from(app::error::AppError::Invalid(vec![FieldError::new(
                    "at_change",
                    "must be a position in the log",
                )]))
            })?)
        }
        (None, None) => None,
    };
    let mut link = vec![];
    for (name, value) in [
        ("status", &params.status),
        ("sort", &params.sort),
        ("q", &params.q),
        ("as_of", &params.as_of),
    ] {
        if let Some(value) = value {
            link.push((name, value.clone()));
        }
    }
    if let Some(position) = params.at_change {
        link.push(("at_change", position.to_string()));
    }
    let next = |cursor: String| {
        let mut pairs = link.clone();
        pairs.push(("after", cursor));
        let query = pairs
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect::<Vec<_>>();
        app::paging::link("/api/v1/tasks", &query)
    };
    let after = params.after.as_deref().unwrap_or_default();
    let page = match past {
        Some(at) => {
            let cursor = match after.trim() {
                "" => None,
                raw => Some(
                    raw.parse::<TimeCursor>()
                        .map_err(|e| Problem::from(app::error::AppError::Invalid(vec![e])))?,
                ),
            };
            let page = store.board_as_of(at, cursor).await?;
            TaskPage {
                tasks: page.rows.iter().map(Task::from).collect(),
                next: page.next.map(|cursor| next(cursor.to_string())),
            }
        }
        None => {
            let filter = TaskFilter::from_query(
                params.status.as_deref().unwrap_or_default(),
                params.sort.as_deref().unwrap_or_default(),
                params.q.as_deref().unwrap_or_default(),
                after,
            )
            .map_err(|e| Problem::from(app::error::AppError::Invalid(vec![e])))?;
            let page = store.list_tasks(&filter).await?;
            TaskPage {
                tasks: page.rows.iter().map(Task::from).collect(),
                next: page.next.map(|cursor: ListCursor| next(cursor.to_string())),
            }
        }
    };
    Ok(Json(page).into_response())
}

#[utoipa::path(post, path = "/api/v1/tasks", request_body = TaskDraft,
    params(("Idempotency-Key" = Option<uuid::Uuid>, Header, description = "A UUID; a repeat appends nothing and answers with the version the first produced")),
    responses(
        (status = 400, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 201, body = Task, headers(("Location" = String), ("ETag" = String)),
            links(
                ("GetTask" = (operation_id = "show", parameters(("id" = "$response.body#/id")))),
                ("ReplaceTask" = (operation_id = "replace", parameters(("id" = "$response.body#/id"), ("header.If-Match" = "$response.header.ETag")))),
                ("PatchTask" = (operation_id = "patch", parameters(("id" = "$response.body#/id"), ("header.If-Match" = "$response.header.ETag")))),
                ("DeleteTask" = (operation_id = "delete", parameters(("id" = "$response.body#/id"), ("header.If-Match" = "$response.header.ETag")))),
                ("TaskVersions" = (operation_id = "versions", parameters(("id" = "$response.body#/id"))))
            )),
        (status = 415, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(store): State<Store>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Answer {
    let draft: TaskDraft = json_body(&headers, &body, &["application/json"])?;
    let (fields, meta) = parse_draft(&draft, idempotency_key(&headers)?)?;
    let created = store.create_task(fields, meta).await?;
    let mut response = represent(StatusCode::CREATED, &created);
    if let Ok(value) = HeaderValue::from_str(&location(&created)) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

#[utoipa::path(get, path = "/api/v1/tasks/{id}", params(("id" = String, Path, description = "The task's id (a UUID)")),
    responses(
        (status = 400, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 200, body = Task, headers(("ETag" = String), ("Last-Modified" = String)),
            links(
                ("ReplaceTask" = (operation_id = "replace", parameters(("id" = "$response.body#/id"), ("header.If-Match" = "$response.header.ETag")))),
                ("PatchTask" = (operation_id = "patch", parameters(("id" = "$response.body#/id"), ("header.If-Match" = "$response.header.ETag")))),
                ("DeleteTask" = (operation_id = "delete", parameters(("id" = "$response.body#/id"), ("header.If-Match" = "$response.header.ETag"))))
            )),
        (status = 304),
        (status = 404, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 410, body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn show(
    State(store): State<Store>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> Answer {
    match store.get_task(entity(&id)?).await? {
        TaskLookup::Live(version) => {
            let tag = etag(version.version);
            let unchanged = headers
                .get(header::IF_NONE_MATCH)
                .and_then(|value| value.to_str().ok())
                .is_some_and(|tags| tags.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
            if unchanged {
                let mut response = StatusCode::NOT_MODIFIED.into_response();
                if let Ok(value) = HeaderValue::from_str(&tag) {
                    response.headers_mut().insert(header::ETAG, value);
                }
                return Ok(response);
            }
            Ok(represent(StatusCode::OK, &version))
        }
        TaskLookup::Deleted(tombstone) => Err(gone(&tombstone)),
        TaskLookup::NotFound => Err(app::error::AppError::NotFound.into()),
    }
}

#[utoipa::path(put, path = "/api/v1/tasks/{id}", request_body = TaskDraft,
    params(("id" = String, Path, description = "The task's id (a UUID)"), ("If-Match" = String, Header, description = "The ETag of the version being replaced")),
    responses(
        (status = 415, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 410, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 400, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 200, body = Task,
            links(
                ("GetTask" = (operation_id = "show", parameters(("id" = "$response.body#/id")))),
                ("DeleteTask" = (operation_id = "delete", parameters(("id" = "$response.body#/id"), ("header.If-Match" = "$response.header.ETag"))))
            )),
        (status = 412, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 428, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn replace(
    State(store): State<Store>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Answer {
    let id = entity(&id)?;
    // If-Match first (428 without it), then the body, and only then the task: a malformed
    // request is a 400 or 422 whatever state the task is in.
    let precondition = precondition(&headers)?;
    let draft: TaskDraft = json_body(&headers, &body, &["application/json"])?;
    let (fields, meta) = parse_draft(&draft, idempotency_key(&headers)?)?;
    let had = expected_version(&store, id, precondition).await?;
    let written = store.update_task(id, had, fields, meta).await;
    guarded(&store, id, had, written).await
}

#[utoipa::path(patch, path = "/api/v1/tasks/{id}", request_body(content = TaskPatch, content_type = "application/merge-patch+json"),
    params(("id" = String, Path, description = "The task's id (a UUID)"), ("If-Match" = String, Header, description = "The ETag of the version being changed")),
    responses(
        (status = 422, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 415, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 410, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 400, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 200, body = Task,
            links(
                ("GetTask" = (operation_id = "show", parameters(("id" = "$response.body#/id")))),
                ("DeleteTask" = (operation_id = "delete", parameters(("id" = "$response.body#/id"), ("header.If-Match" = "$response.header.ETag"))))
            )),
        (status = 412, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 428, body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn patch(
    State(store): State<Store>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Answer {
    let id = entity(&id)?;
    let precondition = precondition(&headers)?;
    let patch: TaskPatch = json_body(
        &headers,
        &body,
        &["application/merge-patch+json", "application/json"],
    )?;
    let key = idempotency_key(&headers)?;
    let had = expected_version(&store, id, precondition).await?;
    let base = match store.get_version(id, had).await? {
        Some(base) => base,
        None => match store.get_task(id).await? {
            TaskLookup::NotFound => return Err(app::error::AppError::NotFound.into()),
            TaskLookup::Deleted(tombstone) => return Err(gone(&tombstone)),
            TaskLookup::Live(current) => {
                return Err(stale(&store, id, current.version, current.version).await)
            }
        },
    };
    let fields = &base.fields;
    let draft = TaskDraft {
        title: patch
            .title
            .unwrap_or_else(|| fields.title.as_str().to_owned()),
        description: match patch.description {
            Some(description) => description,
            None => fields.description.as_ref().map(|d| d.as_str().to_owned()),
        },
        status: Some(
            patch
                .status
                .unwrap_or_else(|| fields.status.as_str().to_owned()),
        ),
        priority: Some(
            patch
                .priority
                .unwrap_or_else(|| i64::from(fields.priority.value())),
        ),
        due_date: match patch.due_date {
            Some(due) => due,
            None => fields.due_date.map(|date| date.to_string()),
        },
        actor: patch.actor,
        note: patch.note,
    };
    let (fields, meta) = parse_draft(&draft, key)?;
    let written = store.update_task(id, had, fields, meta).await;
    guarded(&store, id, had, written).await
}

#[utoipa::path(delete, path = "/api/v1/tasks/{id}",
    params(("id" = String, Path, description = "The task's id (a UUID)"), ("If-Match" = String, Header, description = "The ETag of the version being deleted")),
    responses(
        (status = 422, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 400, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 200, body = Task, description = "The tombstone",
            links(
                ("GetTask" = (operation_id = "show", parameters(("id" = "$response.body#/id")))),
                ("RestoreTask" = (operation_id = "restore", parameters(("id" = "$response.body#/id"))))
            )),
        (status = 412, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 428, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 410, body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn delete(
    State(store): State<Store>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> Answer {
    let id = entity(&id)?;
    let precondition = precondition(&headers)?;
    let meta = meta(None, None, idempotency_key(&headers)?)?;
    let had = expected_version(&store, id, precondition).await?;
    let written = store.delete_task_if(id, had, meta).await;
    guarded(&store, id, had, written).await
}

#[utoipa::path(post, path = "/api/v1/tasks/{id}/restore", params(("id" = String, Path, description = "The task's id (a UUID)")), request_body(content = Option<ChangeNote>),
    responses(
        (status = 422, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 415, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 400, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 200, body = Task,
            links(
                ("GetTask" = (operation_id = "show", parameters(("id" = "$response.body#/id")))),
                ("DeleteTask" = (operation_id = "delete", parameters(("id" = "$response.body#/id"), ("header.If-Match" = "$response.header.ETag"))))
            )),
        (status = 409, body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn restore(
    State(store): State<Store>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Answer {
    let id = entity(&id)?;
    let note: ChangeNote = if body.is_empty() {
        ChangeNote::default()
    } else {
        json_body(&headers, &body, &["application/json"])?
    };
    let meta = meta(
        note.actor.as_deref(),
        note.note.as_deref(),
        idempotency_key(&headers)?,
    )?;
    Ok(represent(
        StatusCode::OK,
        &store.restore_task(id, meta).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/tasks/{id}/revert", params(("id" = String, Path, description = "The task's id (a UUID)")), request_body = RevertTo,
    responses(
        (status = 415, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 410, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 400, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 200, body = Task),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn revert(
    State(store): State<Store>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Answer {
    let id = entity(&id)?;
    let revert: RevertTo = json_body(&headers, &body, &["application/json"])?;
    if revert.version < 1 {
        let rule = "must be a version number (1, 2, 3, …)";
        return Err(app::error::AppError::Invalid(vec![FieldError::new("version", rule)]).into());
    }
    let meta = meta(
        revert.actor.as_deref(),
        revert.note.as_deref(),
        idempotency_key(&headers)?,
    )?;
    Ok(represent(
        StatusCode::OK,
        &store.revert_task(id, revert.version, meta).await?,
    ))
}

/// A page of a task's versions, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionPage {
    pub versions: Vec<Task>,
    pub next: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionParams {
    /// Versions at or below this number (default: the newest).
    #[param(minimum = 1)]
    pub through: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/tasks/{id}/versions", params(("id" = String, Path, description = "The task's id (a UUID)"), VersionParams),
    responses(
        (status = 422, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 400, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 200, body = VersionPage),
        (status = 404, body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn versions(
    State(store): State<Store>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<VersionParams>,
) -> Answer {
    let id = entity(&id)?;
    let through = match params.through {
        None => i64::MAX,
        Some(through @ 1..) => through,
        Some(_) => {
            let rule = "must be a version number (1, 2, 3, …)";
            return Err(
                app::error::AppError::Invalid(vec![FieldError::new("through", rule)]).into(),
            );
        }
    };
    let mut versions = store.history_page(id, through).await?;
    if versions.is_empty() && params.through.is_none() {
        return Err(app::error::AppError::NotFound.into());
    }
    // The page holds one version more than it shows when an older page exists.
    let next = (versions.len() > app::paging::PAGE_SIZE).then(|| {
        versions.truncate(app::paging::PAGE_SIZE);
        let oldest = versions.last().map_or(0, |v| v.version);
        format!("/api/v1/tasks/{id}/versions?through={}", oldest - 1)
    });
    Ok(Json(VersionPage {
        versions: versions.iter().map(Task::from).collect(),
        next,
    })
    .into_response())
}

#[utoipa::path(get, path = "/api/v1/tasks/{id}/versions/{n}", params(("id" = String, Path, description = "The task's id (a UUID)"), ("n" = i64, Path, description = "A version number")),
    responses(
        (status = 400, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 200, body = Task),
        (status = 404, body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn version(
    State(store): State<Store>,
    ApiPath((id, n)): ApiPath<(String, i64)>,
) -> Answer {
    let id = entity(&id)?;
    match store.get_version(id, n).await? {
        Some(version) => Ok(represent(StatusCode::OK, &version)),
        None => Err(app::error::AppError::NoSuchVersion(n).into()),
    }
}

/// What changed from version `from` to version `to`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Diff {
    pub from: i64,
    pub to: i64,
    pub changes: Vec<ChangedField>,
}

#[utoipa::path(get, path = "/api/v1/tasks/{id}/versions/{a}/diff/{b}", params(("id" = String, Path, description = "The task's id (a UUID)"), ("a" = i64, Path, description = "The earlier version"), ("b" = i64, Path, description = "The later version")),
    responses(
        (status = 400, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 200, body = Diff),
        (status = 404, body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn diff(
    State(store): State<Store>,
    ApiPath((id, a, b)): ApiPath<(String, i64, i64)>,
) -> Answer {
    let id = entity(&id)?;
    let from = store
        .get_version(id, a)
        .await?
        .ok_or(Problem::from(app::error::AppError::NoSuchVersion(a)))?;
    let to = store
        .get_version(id, b)
        .await?
        .ok_or(Problem::from(app::error::AppError::NoSuchVersion(b)))?;
    let changes = app::diff::changes(Some(&from.fields), &to.fields)
        .into_iter()
        .map(|change| ChangedField {
            field: change.field,
            before: change.old,
            after: change.new,
        })
        .collect();
    Ok(Json(Diff {
        from: a,
        to: b,
        changes,
    })
    .into_response())
}

/// The hash chain re-checked: whether every version's hash matches its content and its
/// predecessor's hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct Verification {
    pub valid: bool,
    pub versions: usize,
    /// The first version that does not match, if any.
    pub broken_at: Option<i64>,
    pub reason: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/tasks/{id}/verify", params(("id" = String, Path, description = "The task's id (a UUID)")),
    responses(
        (status = 400, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 200, body = Verification),
        (status = 404, body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn verify(State(store): State<Store>, ApiPath(id): ApiPath<String>) -> Answer {
    let report = store.verify_task(entity(&id)?).await?;
    Ok(Json(Verification {
        valid: report.is_intact(),
        versions: report.versions_checked,
        broken_at: report.broken.as_ref().map(|b| b.version),
        reason: report.broken.map(|b| b.reason),
    })
    .into_response())
}

/// A page of the change feed, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangePage {
    pub changes: Vec<Task>,
    /// The next (older) page's URL.
    pub next: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangeParams {
    /// Only changes after this position (catching up).
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// Only changes before this position (paging back).
    #[param(minimum = 1)]
    pub before: Option<i64>,
    /// Only this kind of change: `created`, `updated`, `deleted`, `restored`, `reverted`.
    pub op: Option<String>,
    /// Only changes by this person.
    pub actor: Option<String>,
    /// Only changes recorded at or after this instant (RFC 3339).
    pub since: Option<String>,
    /// At most this many (1–200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/changes", params(ChangeParams),
    responses(
        (status = 400, body = ProblemDetails, content_type = "application/problem+json"),
        (status = 200, body = ChangePage),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn changes(
    State(store): State<Store>,
    ApiQuery(params): ApiQuery<ChangeParams>,
) -> Answer {
    let invalid = |error: FieldError| Problem::from(app::error::AppError::Invalid(vec![error]));
    if params.after.is_some_and(|after| after < 0) {
        return Err(invalid(FieldError::new(
            "after",
            "must be a position in the log (0, 1, 2, …)",
        )));
    }
    if params
        .limit
        .is_some_and(|limit| !(1..=app::store::FEED_PAGE_MAX).contains(&limit))
    {
        return Err(invalid(FieldError::new(
            "limit",
            "must be a whole number from 1 to 200",
        )));
    }
    if params.before.is_some_and(|before| before < 1) {
        return Err(invalid(FieldError::new(
            "before",
            "must be a position in the log (1, 2, 3, …)",
        )));
    }
    let query = FeedQuery {
        after: params.after,
        before: params.before,
        op: params
            .op
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(invalid)?,
        actor: params
            .actor
            .as_deref()
            .map(app::task::Actor::parse)
            .transpose()
            .map_err(invalid)?,
        since: params
            .since
            .as_deref()
            .map(|raw| app::time::parse_instant("since", raw))
            .transpose()
            .map_err(invalid)?,
        limit: params.limit.unwrap_or(50),
    };
    let page = store.change_feed(query).await?;
    let next = page
        .next_before
        .map(|before| format!("/api/v1/changes?before={before}"));
    Ok(Json(ChangePage {
        changes: page
            .entries
            .iter()
            .map(|entry| Task::from(&entry.version))
            .collect(),
        next,
    })
    .into_response())
}
