//! How a task's version looks over HTTP: its JSON representation, its entity tag, and the
//! response that carries both. Problems show tombstones in the same shape, so this module
//! depends on neither the handlers nor the problems.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use app::task::TaskVersion;

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
    /// When the database recorded this version.
    pub recorded_at: DateTime<Utc>,
    /// Since when its content held in the world: earlier than `recorded_at` for a late arrival
    /// or a correction of the past (versions from before valid times were kept: `recorded_at`).
    pub valid_from: DateTime<Utc>,
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
            valid_from: version.valid_since(),
            deleted_at: version.deleted_at,
            actor: version.actor.as_str().to_owned(),
            note: version.note.as_ref().map(|n| n.as_str().to_owned()),
            position: version.position,
            hash: version.hash.clone(),
            prev_hash: version.prev_hash.clone(),
        }
    }
}

/// A version as an entity tag.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// The task's URL.
pub fn location(version: &TaskVersion) -> String {
    format!("/api/v1/tasks/{}", version.entity_id)
}

/// A task's representation with its validators: `ETag` (the version) and `Last-Modified`.
pub fn represent(status: StatusCode, version: &TaskVersion) -> Response {
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
