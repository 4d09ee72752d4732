//! `/api/v1`: the same store as the pages, as JSON, in HTTP's own terms. A task's version is
//! its `ETag`; a write that replaces what a client has seen must send it back in `If-Match`
//! (missing: 428; stale: 412 with the current ETag and what changed, the conflict screen's HTTP
//! spelling); errors are RFC 9457 problem details. The OpenAPI document is generated from these
//! handlers and their types (utoipa) and served at `/api/v1/openapi.json`.

mod problem;
mod reference;
mod representation;
mod tasks;

use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde_json::Value;
use utoipa::OpenApi;

use app::error::AppError;
use app::store::Store;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::guard::PublicOrigin;

use problem::{Problem, ProblemDetails};

/// What every handler answers: a response, or a problem.
type Answer = Result<Response, Problem>;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Immutable tasks",
        description = "Tasks whose versions are never changed or removed: every write appends a version. \
                       A task's ETag is its version; writes that replace it require If-Match.",
        version = "1"
    ),
    paths(
        tasks::list,
        tasks::create,
        tasks::show,
        tasks::replace,
        tasks::patch,
        tasks::delete,
        tasks::restore,
        tasks::revert,
        tasks::versions,
        tasks::version,
        tasks::diff,
        tasks::verify,
        tasks::blame,
        tasks::changes
    ),
    // The operations list their problems by status only (`problem::Problems`), so the schema
    // those responses share is named here.
    components(schemas(ProblemDetails))
)]
struct Document;

/// The routes under `/api/v1`; anything else under it is a 404 problem, not the app's page.
pub fn routes(store: Store, allowed_origins: &[PublicOrigin]) -> Router {
    let api = Router::new()
        .route("/tasks", get(tasks::list).post(tasks::create))
        .route(
            "/tasks/{id}",
            get(tasks::show)
                .put(tasks::replace)
                .patch(tasks::patch)
                .delete(tasks::delete),
        )
        .route("/tasks/{id}/restore", post(tasks::restore))
        .route("/tasks/{id}/revert", post(tasks::revert))
        .route("/tasks/{id}/versions", get(tasks::versions))
        .route("/tasks/{id}/versions/{n}", get(tasks::version))
        .route("/tasks/{id}/versions/{a}/diff/{b}", get(tasks::diff))
        .route("/tasks/{id}/verify", get(tasks::verify))
        .route("/tasks/{id}/blame", get(tasks::blame))
        .route("/changes", get(tasks::changes))
        .route("/openapi.json", get(openapi))
        .route("/docs", get(reference::page))
        .route("/docs/{file}", get(reference::asset))
        .fallback(not_found)
        .with_state(store);
    let api = match allowed_origins {
        [] => api,
        origins => api.layer(cors(origins)),
    };
    Router::new().nest("/api/v1", api)
}

/// What other sites' pages may do with the API, when an operator allowed them: the methods and
/// headers of its resources, and reading the validators it answers with.
fn cors(origins: &[PublicOrigin]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(&origin.as_header()).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([header::ETAG, header::LOCATION, header::LAST_MODIFIED])
}

async fn openapi() -> Response {
    Json(document()).into_response()
}

/// The OpenAPI document. utoipa 5.5 writes a response link's fields in snake case
/// (`operation_id`); the specification spells them `operationId`, `operationRef` and
/// `requestBody`, and clients that follow links (Schemathesis's stateful phase among them) read
/// only those, so they are renamed here.
fn document() -> Value {
    let mut document = serde_json::to_value(Document::openapi()).unwrap_or_default();
    let operations = document
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(Value::as_object_mut)
        .flat_map(|path| path.values_mut());
    for operation in operations {
        let links = operation
            .get_mut("responses")
            .and_then(Value::as_object_mut)
            .into_iter()
            .flat_map(|responses| responses.values_mut())
            .filter_map(|response| response.get_mut("links"))
            .filter_map(Value::as_object_mut)
            .flat_map(|links| links.values_mut())
            .filter_map(Value::as_object_mut);
        for link in links {
            for (written, spelled) in [
                ("operation_id", "operationId"),
                ("operation_ref", "operationRef"),
                ("request_body", "requestBody"),
            ] {
                if let Some(value) = link.remove(written) {
                    link.insert(spelled.to_owned(), value);
                }
            }
        }
    }
    document
}

async fn not_found() -> Response {
    Problem::from(AppError::NoSuchRoute).into_response()
}

/// `Query`, answering a query string it cannot read with a problem, not axum's plain text.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| ApiQuery(value))
            .map_err(|rejection| AppError::BadRequest(rejection.body_text()).into())
    }
}

/// `Path`, likewise.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| ApiPath(value))
            .map_err(|rejection| AppError::BadRequest(rejection.body_text()).into())
    }
}

/// Reads a JSON body of one of the `accepted` media types (415 otherwise; 400 if unreadable).
fn json_body<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: &[u8],
    accepted: &[&str],
) -> Result<T, Problem> {
    let sent = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("nothing");
    let media = sent.split(';').next().unwrap_or_default().trim();
    if !accepted
        .iter()
        .any(|accepted| media.eq_ignore_ascii_case(accepted))
    {
        return Err(AppError::UnsupportedMediaType {
            expected: accepted[0].to_owned(),
            sent: sent.to_owned(),
        }
        .into());
    }
    let unreadable = |error: serde_json::Error| {
        Problem::from(AppError::BadRequest(format!(
            "The JSON body could not be read: {error}."
        )))
    };
    let value: Value = serde_json::from_slice(body).map_err(unreadable)?;
    // serde would also read an object's fields from an array, in order; no body here is one.
    if value.is_array() {
        return Err(AppError::BadRequest(
            "The JSON body must be an object, not an array.".to_owned(),
        )
        .into());
    }
    serde_json::from_value(value).map_err(unreadable)
}
