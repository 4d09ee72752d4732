//! The application's error: what a client may learn about a failed request, through either
//! door. A server function sends it to the browser as JSON (a page shows its message); the JSON
//! API tells it as problem details. Its HTTP status comes from `status_code`, the one place that
//! decides it for both. Internal details (SQL, driver messages) are logged on the server and
//! replaced by `Internal` before anything is sent.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::{Bytes, Encodes};
use serde::{Deserialize, Serialize};

use crate::task::FieldError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please correct: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    #[error("No task has this id.")]
    NotFound,
    #[error("This task is deleted (version {version}). Restore it first.")]
    Deleted { version: i64 },
    #[error("This task is not deleted, so there is nothing to restore.")]
    NotDeleted,
    #[error("Someone else saved version {current_version} first. Nothing was overwritten.")]
    Conflict { current_version: i64 },
    #[error("Nothing changed, so no new version was written.")]
    NoChanges,
    #[error("This task has no version {0}.")]
    NoSuchVersion(i64),
    #[error("Cannot revert: {0}.")]
    InvalidRevert(String),
    #[error("The request could not be read: {0}")]
    BadRequest(String),
    #[error("The same submission is still being written. Nothing was written twice; try again in a moment.")]
    InProgress,
    #[error("Something went wrong on the server. It has been logged; please try again.")]
    Internal,
    #[error("The database is not answering right now, so nothing was read or written. Please try again in a moment.")]
    Unavailable,
    // Only the JSON API answers these: they name HTTP's own preconditions, media types and
    // resources, which a form never meets.
    /// A write named the version it replaces (`If-Match`), and a newer one exists.
    #[error("Someone else saved version {current_version} first. Nothing was overwritten.")]
    PreconditionFailed { current_version: i64 },
    #[error("Send the task's current ETag in If-Match (GET the task to learn it), so a change made meanwhile by someone else is never overwritten.")]
    PreconditionRequired,
    #[error("Send the body as {expected}, not {sent}.")]
    UnsupportedMediaType { expected: String, sent: String },
    #[error("See /api/v1/openapi.json for the routes of this API.")]
    NoSuchRoute,
    #[error("The reference page uses only its own script and style and Swagger UI's.")]
    NoSuchFile,
    #[error("Swagger UI's files are missing on the server: run scripts/install.sh.")]
    ReferenceViewerMissing,
}

impl AppError {
    /// The HTTP status of this error, for a page, a server function's answer and problem
    /// details alike: the one place it is decided.
    pub fn status_code(&self) -> u16 {
        match self {
            AppError::BadRequest(_) => 400,
            AppError::NotFound
            | AppError::NoSuchVersion(_)
            | AppError::NoSuchRoute
            | AppError::NoSuchFile => 404,
            AppError::Conflict { .. } | AppError::NotDeleted | AppError::InProgress => 409,
            AppError::Deleted { .. } => 410,
            AppError::PreconditionFailed { .. } => 412,
            AppError::UnsupportedMediaType { .. } => 415,
            AppError::Invalid(_) | AppError::InvalidRevert(_) | AppError::NoChanges => 422,
            AppError::PreconditionRequired => 428,
            AppError::Internal => 500,
            AppError::Unavailable | AppError::ReferenceViewerMissing => 503,
        }
    }

    /// Puts this error's status on the response being built. A plain HTML form post (JavaScript
    /// off) is left alone: its error travels back in the redirect to the form's page, and a 4xx
    /// status would cancel that redirect.
    #[cfg(feature = "ssr")]
    fn set_response_status(&self) {
        if !is_plain_form_post() {
            self.set_page_status();
        }
    }

    /// Puts this error's status on the response being built: a page that failed to load says so
    /// to browsers and crawlers, not just in its text.
    pub fn set_page_status(&self) {
        #[cfg(feature = "ssr")]
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            let status = http::StatusCode::from_u16(self.status_code())
                .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
            response.set_status(status);
        }
    }

    /// The message for one form field, if this error is about that field.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            AppError::Invalid(errors) => errors
                .iter()
                .find(|error| error.field == field)
                .map(|error| error.message.clone()),
            _ => None,
        }
    }
}

/// Whether the request being handled is an HTML form posted without JavaScript (the browser
/// asks for a page back, not data).
#[cfg(feature = "ssr")]
pub fn is_plain_form_post() -> bool {
    leptos::prelude::use_context::<http::request::Parts>().is_some_and(|request| {
        request
            .headers
            .get(http::header::ACCEPT)
            .and_then(|accept| accept.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
    })
}

impl From<Vec<FieldError>> for AppError {
    fn from(errors: Vec<FieldError>) -> Self {
        AppError::Invalid(errors)
    }
}

impl From<FieldError> for AppError {
    fn from(error: FieldError) -> Self {
        AppError::Invalid(vec![error])
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(error: ServerFnErrorErr) -> Self {
        match error {
            ServerFnErrorErr::Args(message) | ServerFnErrorErr::Deserialization(message) => {
                AppError::BadRequest(message)
            }
            other => {
                #[cfg(feature = "ssr")]
                tracing::error!(error = %other, "server function failed");
                #[cfg(not(feature = "ssr"))]
                leptos::logging::error!("server function failed: {other}");
                AppError::Internal
            }
        }
    }

    /// Every error a server function returns, from its body or from reading its arguments, is
    /// serialised here on its way out: the one place its HTTP status is applied.
    fn ser(&self) -> Bytes {
        #[cfg(feature = "ssr")]
        self.set_response_status();
        <Self::Encoder as Encodes<Self>>::encode(self).unwrap_or_else(|_| {
            // AppError holds only strings and integers; JSON encoding it cannot fail.
            Bytes::from_static(br#""Internal""#)
        })
    }
}

#[cfg(feature = "ssr")]
impl From<crate::store::StoreError> for AppError {
    fn from(error: crate::store::StoreError) -> Self {
        use crate::store::StoreError;
        match error {
            StoreError::Invalid(errors) => AppError::Invalid(errors),
            StoreError::NotFound => AppError::NotFound,
            StoreError::Deleted { version } => AppError::Deleted { version },
            StoreError::NotDeleted => AppError::NotDeleted,
            StoreError::Conflict { current_version } => AppError::Conflict { current_version },
            StoreError::NoChanges => AppError::NoChanges,
            StoreError::NoSuchVersion(version) => AppError::NoSuchVersion(version),
            StoreError::InvalidRevert(reason) => AppError::InvalidRevert(reason),
            StoreError::SubmissionInProgress => AppError::InProgress,
            StoreError::Unavailable(error) => {
                tracing::warn!(%error, "the database is unreachable");
                AppError::Unavailable
            }
            StoreError::Database(error) => {
                tracing::error!(%error, "store failed");
                AppError::Internal
            }
        }
    }
}
