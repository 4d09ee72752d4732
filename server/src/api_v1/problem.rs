//! RFC 9457 problem details: how every error of the JSON API is told. One `type` per kind of
//! error, a title a person can read, and for validation the fields and the rule each broke. The
//! status is the application error's own (`AppError::status_code`); this module only words it.
//! Internal details are logged, never sent.

use std::collections::BTreeMap;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{IntoResponses, ToSchema};

use app::error::AppError;
use app::store::StoreError;

use super::representation::{etag, Task};
use crate::requests::current_id;

/// Where the kinds of error are documented: the API's reference page.
const TYPE_BASE: &str = "/api/v1/docs#problem-";

const MEDIA_TYPE: &str = "application/problem+json";

/// An error as the API tells it. Boxed: it is large, and every handler returns one by value.
#[derive(Debug)]
pub struct Problem(Box<ProblemDetails>);

impl std::ops::Deref for Problem {
    type Target = ProblemDetails;

    fn deref(&self) -> &ProblemDetails {
        &self.0
    }
}

impl std::ops::DerefMut for Problem {
    fn deref_mut(&mut self) -> &mut ProblemDetails {
        &mut self.0
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemDetails {
    /// A URI naming the kind of error, e.g. `/api/v1/docs#problem-validation`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// For validation errors: each field and the rule it broke.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// For a stale `If-Match`: the current version's ETag and what changed since the one the
    /// client had.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_etag: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<ChangedField>,
    /// For a deleted task: its tombstone and where to restore it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tombstone: Option<Task>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restore: Option<String>,
    /// The request's id, also in the `X-Request-Id` header and on every line the server logged
    /// while answering it: quote it when reporting a problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub rule: String,
}

/// One field that differs between the version a client had and the current one.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangedField {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The kind and title each application error is told with; the detail is its message.
impl From<AppError> for Problem {
    fn from(error: AppError) -> Self {
        // Every write a client can race names, or could have named, the version it replaces:
        // over HTTP a conflict is that precondition failing (412), never a bare 409.
        let error = match error {
            AppError::Conflict { current_version } => {
                AppError::PreconditionFailed { current_version }
            }
            other => other,
        };
        let (kind, title) = match &error {
            AppError::Invalid(_) => ("validation", "Some fields are not valid"),
            AppError::InvalidRevert(_) | AppError::NoChanges => {
                ("not-applicable", "The change cannot be made")
            }
            AppError::BadRequest(_) => ("bad-request", "The request could not be read"),
            AppError::NotFound => ("not-found", "No such task"),
            AppError::NoSuchVersion(_) => ("no-such-version", "No such version"),
            AppError::Conflict { .. } | AppError::PreconditionFailed { .. } => {
                ("stale", "The task changed since your version")
            }
            AppError::NotDeleted => ("not-deleted", "The task is not deleted"),
            AppError::InProgress => ("in-progress", "The same submission is still being written"),
            AppError::Deleted { .. } => ("deleted", "The task is deleted"),
            AppError::Internal => ("internal", "Something went wrong on the server"),
            AppError::Unavailable => ("unavailable", "The database is not answering"),
            AppError::PreconditionRequired => ("precondition-required", "If-Match is required"),
            AppError::UnsupportedMediaType { .. } => {
                ("unsupported-media-type", "Unsupported media type")
            }
            AppError::NoSuchRoute => ("no-such-route", "No such resource"),
            AppError::NoSuchFile => ("no-such-route", "No such file"),
            AppError::ReferenceViewerMissing => {
                ("internal", "The reference viewer is not installed")
            }
        };
        let detail = match &error {
            // The title already says the request could not be read; the detail says why.
            AppError::BadRequest(reason) => reason.clone(),
            other => other.to_string(),
        };
        let mut details = ProblemDetails {
            kind: format!("{TYPE_BASE}{kind}"),
            title: title.to_owned(),
            status: error.status_code(),
            detail,
            errors: Vec::new(),
            current_etag: None,
            changes: Vec::new(),
            tombstone: None,
            restore: None,
            request_id: None,
        };
        match error {
            AppError::Invalid(fields) => {
                details.errors = fields
                    .into_iter()
                    .map(|field| FieldProblem {
                        field: field.field,
                        rule: field.message,
                    })
                    .collect();
            }
            AppError::PreconditionFailed { current_version } => {
                details.current_etag = Some(etag(current_version));
            }
            _ => {}
        }
        Self(Box::new(details))
    }
}

impl From<StoreError> for Problem {
    fn from(error: StoreError) -> Self {
        AppError::from(error).into()
    }
}

impl IntoResponse for Problem {
    fn into_response(mut self) -> Response {
        self.request_id = current_id().map(|id| id.as_str().to_owned());
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let etag = self
            .current_etag
            .as_deref()
            .and_then(|etag| HeaderValue::from_str(etag).ok());
        let mut response = (
            status,
            [(header::CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE))],
            serde_json::to_string(&*self.0).unwrap_or_default(),
        )
            .into_response();
        if let Some(etag) = etag {
            response.headers_mut().insert(header::ETAG, etag);
        }
        response
    }
}

/// The problems an operation may answer with, for the OpenAPI document: each status listed is
/// a problem-details response. `Problems<400, 404>` lists two; the places left out are 0.
pub struct Problems<
    const A: u16,
    const B: u16 = 0,
    const C: u16 = 0,
    const D: u16 = 0,
    const E: u16 = 0,
    const F: u16 = 0,
    const G: u16 = 0,
>;

impl<
        const A: u16,
        const B: u16,
        const C: u16,
        const D: u16,
        const E: u16,
        const F: u16,
        const G: u16,
    > IntoResponses for Problems<A, B, C, D, E, F, G>
{
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        [A, B, C, D, E, F, G]
            .into_iter()
            .filter(|status| *status != 0)
            .map(|status| {
                let response = ResponseBuilder::new()
                    .content(
                        MEDIA_TYPE,
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ProblemDetails")))
                            .build(),
                    )
                    .build();
                (status.to_string(), RefOr::T(response))
            })
            .collect()
    }
}
