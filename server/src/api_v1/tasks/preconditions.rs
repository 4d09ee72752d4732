//! HTTP's conditional writes: `If-Match` read into the version a write replaces, and the
//! answers a guarded write gives when that version is gone: 412 with the current ETag and what
//! changed, or 410 with the tombstone and where to restore it.

use axum::http::{header, HeaderMap, StatusCode};

use app::error::AppError;
use app::store::Store;
use app::task::idempotency::IdempotencyKey;
use app::task::{EntityId, FieldError, TaskLookup, TaskVersion};

use crate::api_v1::problem::{ChangedField, Problem};
use crate::api_v1::representation::{location, represent, Task};
use crate::api_v1::Answer;

/// What `If-Match` asks for: one version, or (`*`) whichever is current.
pub enum Precondition {
    Version(i64),
    Any,
}

/// Reads `If-Match`: required (428 without it), one strong tag or `*`.
pub fn read_precondition(headers: &HeaderMap) -> Result<Precondition, Problem> {
    let Some(raw) = headers.get(header::IF_MATCH) else {
        return Err(AppError::PreconditionRequired.into());
    };
    let tag = raw.to_str().unwrap_or_default().trim();
    if tag == "*" {
        return Ok(Precondition::Any);
    }
    tag.strip_prefix('"')
        .and_then(|tag| tag.strip_suffix('"')?.parse().ok())
        .map(Precondition::Version)
        .ok_or_else(|| {
            AppError::BadRequest(
                "If-Match must be one ETag of this task, such as \"3\", or *.".to_owned(),
            )
            .into()
        })
}

/// `Idempotency-Key`: the same mechanism the forms' hidden key uses.
pub fn read_idempotency_key(headers: &HeaderMap) -> Result<Option<IdempotencyKey>, Problem> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let invalid = |error: FieldError| Problem::from(AppError::from(error));
    // A form's blank key means "none"; a header sent blank is a mistake worth saying.
    match value.to_str().unwrap_or("\u{fffd}").trim() {
        "" => Err(invalid(FieldError::new(
            app::task::idempotency::FIELD,
            "is blank: send a UUID, or leave the header out",
        ))),
        raw => IdempotencyKey::parse(raw).map_err(invalid),
    }
}

/// The version a guarded write replaces: the one `If-Match` names, or for `*` the current one
/// (a deleted task has none: 410).
pub async fn expected_version(
    store: &Store,
    id: EntityId,
    precondition: Precondition,
) -> Result<i64, Problem> {
    match precondition {
        Precondition::Version(version) => Ok(version),
        Precondition::Any => match store.get_task(id).await? {
            TaskLookup::Live(current) => Ok(current.version),
            TaskLookup::Deleted(tombstone) => Err(gone(&tombstone)),
            TaskLookup::NotFound => Err(AppError::NotFound.into()),
        },
    }
}

/// A deleted task: 410 with its tombstone and where to restore it.
pub fn gone(tombstone: &TaskVersion) -> Problem {
    let mut problem = Problem::from(AppError::Deleted {
        version: tombstone.version,
    });
    problem.tombstone = Some(Task::from(tombstone));
    problem.restore = Some(format!("{}/restore", location(tombstone)));
    problem
}

/// A stale `If-Match`: the current ETag and what changed since the version the client had.
async fn stale(store: &Store, id: EntityId, had: i64, current: i64) -> Problem {
    let mut problem = Problem::from(AppError::PreconditionFailed {
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

/// Answers a write guarded by `If-Match` on version `had`: a conflict becomes a 412 that shows
/// what changed, a deleted task a 410 with its tombstone.
pub async fn answer_guarded(
    store: &Store,
    id: EntityId,
    had: i64,
    written: Result<TaskVersion, AppError>,
) -> Answer {
    match written {
        Ok(version) => Ok(represent(StatusCode::OK, &version)),
        Err(AppError::Conflict { current_version }) => {
            Err(stale(store, id, had, current_version).await)
        }
        Err(AppError::Deleted { .. }) => match store.get_task(id).await? {
            TaskLookup::Deleted(tombstone) => Err(gone(&tombstone)),
            _ => Err(AppError::NotFound.into()),
        },
        Err(other) => Err(other.into()),
    }
}
