//! RFC 9457 problem details: how every error of the JSON API is told. One `type` per kind of
//! error, a title a person can read, and for validation the fields and the rule each broke.
//! Internal details are logged, never sent.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use app::error::AppError;
use app::store::StoreError;

/// Where the kinds of error are documented: the API's reference page.
const TYPE_BASE: &str = "/api/v1/docs#problem-";

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

impl From<ProblemDetails> for Problem {
    fn from(details: ProblemDetails) -> Self {
        Self(Box::new(details))
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
    pub tombstone: Option<super::tasks::Task>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restore: Option<String>,
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

impl Problem {
    pub fn new(status: StatusCode, kind: &str, title: &str, detail: impl Into<String>) -> Self {
        ProblemDetails {
            kind: format!("{TYPE_BASE}{kind}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            current_etag: None,
            changes: Vec::new(),
            tombstone: None,
            restore: None,
        }
        .into()
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "The request could not be read",
            detail,
        )
    }

    pub fn precondition_required() -> Self {
        Self::new(
            StatusCode::PRECONDITION_REQUIRED,
            "precondition-required",
            "If-Match is required",
            "Send the task's current ETag in If-Match (GET the task to learn it), so a change \
             made meanwhile by someone else is never overwritten.",
        )
    }

    pub fn unsupported_media_type(expected: &str, sent: &str) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            format!("Send the body as {expected}, not {sent}."),
        )
    }
}

/// The one place that decides an API error's status and kind.
impl From<AppError> for Problem {
    fn from(error: AppError) -> Self {
        let detail = error.to_string();
        match error {
            AppError::Invalid(fields) => {
                let mut problem = Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation",
                    "Some fields are not valid",
                    detail,
                );
                problem.errors = fields
                    .into_iter()
                    .map(|field| FieldProblem {
                        field: field.field,
                        rule: field.message,
                    })
                    .collect();
                problem
            }
            AppError::InvalidRevert(_) | AppError::NoChanges => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "not-applicable",
                "The change cannot be made",
                detail,
            ),
            AppError::BadRequest(_) => Problem::bad_request(detail),
            AppError::NotFound => {
                Problem::new(StatusCode::NOT_FOUND, "not-found", "No such task", detail)
            }
            AppError::NoSuchVersion(_) => Problem::new(
                StatusCode::NOT_FOUND,
                "no-such-version",
                "No such version",
                detail,
            ),
            AppError::Conflict { current_version } => {
                let mut problem = Problem::new(
                    StatusCode::PRECONDITION_FAILED,
                    "stale",
                    "The task changed since your version",
                    detail,
                );
                problem.current_etag = Some(super::etag(current_version));
                problem
            }
            AppError::NotDeleted => Problem::new(
                StatusCode::CONFLICT,
                "not-deleted",
                "The task is not deleted",
                detail,
            ),
            AppError::InProgress => Problem::new(
                StatusCode::CONFLICT,
                "in-progress",
                "The same submission is still being written",
                detail,
            ),
            AppError::Deleted { .. } => {
                Problem::new(StatusCode::GONE, "deleted", "The task is deleted", detail)
            }
            AppError::Internal => Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Something went wrong on the server",
                detail,
            ),
        }
    }
}

impl From<StoreError> for Problem {
    fn from(error: StoreError) -> Self {
        AppError::from(error).into()
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let etag = self
            .current_etag
            .as_deref()
            .and_then(|etag| HeaderValue::from_str(etag).ok());
        let mut response = (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/problem+json"),
            )],
            serde_json::to_string(&*self.0).unwrap_or_default(),
        )
            .into_response();
        if let Some(etag) = etag {
            response.headers_mut().insert(header::ETAG, etag);
        }
        response
    }
}
