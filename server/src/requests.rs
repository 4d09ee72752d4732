//! Every request, as the log and the client see it: an id (the client's `X-Request-Id` if it is
//! a plain token, else a new UUIDv7), sent back in the same header and in problem details, and
//! carried by a span that every log line of the request belongs to; one line when it is
//! answered; and a `Retry-After` on every 503, so clients and proxies know when to ask again.

use std::fmt;
use std::time::Instant;

use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

/// The header a request id travels in, both ways.
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// How long a client should wait after a 503 before asking again: the database pool tries to
/// reconnect at least this often.
const RETRY_AFTER_SECONDS: &str = "1";
/// A client's own id is kept only if it is this short and plain, so it can go into logs and
/// headers as it is.
const MAX_CLIENT_ID: usize = 64;

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// For people: one line of text per event.
    #[default]
    Text,
    /// For log collectors: one JSON object per line, with the request's span (its id) in it.
    Json,
}

/// Installs the process's log writer: `RUST_LOG` filters, `format` shapes the lines.
pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().with_current_span(true).init(),
    }
}

/// A request's id, as sent back in `X-Request-Id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    fn of(request: &Request) -> Self {
        let client = request
            .headers()
            .get(&REQUEST_ID)
            .and_then(|value| value.to_str().ok())
            .filter(|id| {
                !id.is_empty()
                    && id.len() <= MAX_CLIENT_ID
                    && id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            });
        Self(client.map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

tokio::task_local! {
    static CURRENT: RequestId;
}

/// The id of the request being answered, for the problem details that tell it to the client.
pub fn current_id() -> Option<RequestId> {
    CURRENT.try_with(RequestId::clone).ok()
}

/// Gives the request its id and span, logs its answer, and adds `Retry-After` to a 503.
pub async fn observe(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = RequestId::of(&request);
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let span = tracing::info_span!("request", request_id = %id, %method, %path);
    let mut response = CURRENT
        .scope(id.clone(), next.run(request))
        .instrument(span.clone())
        .await;
    let status = response.status();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(id.as_str()) {
        headers.insert(REQUEST_ID, value);
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        headers
            .entry(header::RETRY_AFTER)
            .or_insert(HeaderValue::from_static(RETRY_AFTER_SECONDS));
    }
    let _entered = span.enter();
    let ms = started.elapsed().as_secs_f64() * 1e3;
    let status = status.as_u16();
    if status >= 500 {
        tracing::warn!(status, ms, "answered");
    } else if is_quiet(&path) {
        tracing::debug!(status, ms, "answered");
    } else {
        tracing::info!(status, ms, "answered");
    }
    response
}

/// Probes, scrapes and the bundle's files, which would drown the log at info: a load balancer
/// asks for readiness every few seconds, and a first visit fetches the bundle in many files.
fn is_quiet(path: &str) -> bool {
    matches!(
        path,
        "/healthz" | "/readyz" | "/metrics" | "/favicon.ico" | "/favicon.svg"
    ) || path.starts_with("/pkg/")
}
