//! `/api/v1/docs`: the API's browsable reference, drawn by Swagger UI from the OpenAPI document
//! this server generates. Swagger UI's files come from the npm package `swagger-ui-dist`, which
//! `scripts/install.sh` installs beside this page; the app serves them itself, so a browser
//! fetches nothing from anywhere else.

use axum::extract::Path;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use app::error::AppError;

use super::problem::Problem;

const PAGE: &str = include_str!("../../assets/api-reference/index.html");
const SCRIPT: &str = include_str!("../../assets/api-reference/reference.js");
const STYLE: &str = include_str!("../../assets/api-reference/reference.css");

/// Where `npm ci` puts the package's files.
const PACKAGE_DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/api-reference/node_modules/swagger-ui-dist"
);

/// Swagger UI sets element styles from its script, so this page allows inline styles; scripts
/// still come only from this site.
const POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

pub async fn page() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(POLICY),
            ),
        ],
        PAGE,
    )
        .into_response()
}

/// The page's own script and style, and the two files it uses from Swagger UI.
pub async fn asset(Path(name): Path<String>) -> Response {
    let (content_type, own) = match name.as_str() {
        "reference.js" => ("text/javascript", Some(SCRIPT)),
        "reference.css" => ("text/css", Some(STYLE)),
        "swagger-ui-bundle.js" => ("text/javascript", None),
        "swagger-ui.css" => ("text/css", None),
        _ => return Problem::from(AppError::NoSuchFile).into_response(),
    };
    let body = match own {
        Some(text) => text.as_bytes().to_vec(),
        None => match tokio::fs::read(format!("{PACKAGE_DIR}/{name}")).await {
            Ok(bytes) => bytes,
            Err(error) => {
                tracing::error!(%error, %name, "the API reference's Swagger UI files are missing");
                return Problem::from(AppError::ReferenceViewerMissing).into_response();
            }
        },
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
        ],
        body,
    )
        .into_response()
}
