//! What an operator asks a running server, on routes outside the app: is the process alive
//! (`/healthz`), can it serve (`/readyz`: the database answers within a second), and how is it
//! doing (`/metrics`, in Prometheus's text format). Requests are counted and timed by the route
//! they matched, never by the raw path, so scanners cannot grow the number of series.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use app::store::Store;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde::Serialize;

use crate::events::StreamCap;

/// How long readiness waits for the database before calling the server not ready.
const READY_WITHIN: Duration = Duration::from_secs(1);

/// The process's one metrics recorder: every router built in this process shares it.
fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let handle = PrometheusBuilder::new()
            .set_buckets(&[
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ])
            .expect("the bucket list is not empty")
            .install_recorder();
        // A second recorder cannot be installed; a process that already has one (another
        // library's) still answers /metrics, from a recorder of its own that nothing feeds.
        handle.unwrap_or_else(|error| {
            tracing::warn!(%error, "metrics recorder not installed");
            PrometheusBuilder::new().build_recorder().handle()
        })
    })
}

/// What the metrics page reads at each scrape.
#[derive(Clone)]
struct Observed {
    store: Store,
    streams: StreamCap,
}

/// The operator's routes.
pub fn routes(store: Store, streams: StreamCap) -> Router {
    recorder();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz).with_state(store.clone()))
        .route(
            "/metrics",
            get(metrics).with_state(Observed { store, streams }),
        )
}

/// Counts and times every request by method, matched route and status.
pub async fn measure(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let response = next.run(request).await;
    let labels = [
        ("method", method),
        ("route", route),
        ("status", response.status().as_u16().to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}

async fn healthz() -> &'static str {
    "alive\n"
}

/// What readiness found.
#[derive(Serialize)]
struct Readiness {
    ready: bool,
    backend: &'static str,
    /// How long the database took to answer, when it did.
    database_ms: Option<f64>,
    /// The newest position in the log, when the database answered.
    log_head: Option<i64>,
    /// Why the server is not ready; absent when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<String>,
}

async fn readyz(State(store): State<Store>) -> (StatusCode, Json<Readiness>) {
    let started = Instant::now();
    let backend = store.kind().name();
    let (status, readiness) = match tokio::time::timeout(READY_WITHIN, store.head_position()).await
    {
        Ok(Ok(head)) => (
            StatusCode::OK,
            Readiness {
                ready: true,
                backend,
                database_ms: Some(started.elapsed().as_secs_f64() * 1e3),
                log_head: Some(head),
                problem: None,
            },
        ),
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness: the database refused");
            let problem = "the database answered with an error (see the server's log)";
            (StatusCode::SERVICE_UNAVAILABLE, not_ready(backend, problem))
        }
        Err(_) => {
            let problem = format!("the database did not answer within {READY_WITHIN:?}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                not_ready(backend, &problem),
            )
        }
    };
    (status, Json(readiness))
}

fn not_ready(backend: &'static str, problem: &str) -> Readiness {
    Readiness {
        ready: false,
        backend,
        database_ms: None,
        log_head: None,
        problem: Some(problem.to_owned()),
    }
}

/// The metrics in Prometheus's text format, with the store's own figures read as of now. A page
/// of another site cannot fetch it (browsers say so in `Sec-Fetch-Site`; scrapers send none).
async fn metrics(
    State(Observed { store, streams }): State<Observed>,
    headers: HeaderMap,
) -> Response {
    let from_another_site = headers
        .get("sec-fetch-site")
        .is_some_and(|site| site != "same-origin" && site != "none");
    if from_another_site {
        return (
            StatusCode::FORBIDDEN,
            "The metrics are for scrapers and this site's own pages.\n",
        )
            .into_response();
    }
    let handle = recorder();
    let pool = store.pool_status();
    metrics::gauge!("db_pool_connections").set(f64::from(pool.connections));
    metrics::gauge!("db_pool_idle_connections").set(f64::from(pool.idle));
    metrics::gauge!("live_streams_open").set(streams.open() as f64);
    let counts = store.counts();
    for (op, appended) in counts.appends {
        metrics::counter!("task_appends_total", "op" => op.as_str()).absolute(appended);
    }
    metrics::counter!("task_conflicts_total").absolute(counts.conflicts);
    metrics::counter!("snapshots_taken_total").absolute(counts.snapshots);
    metrics::counter!("statistics_refreshes_total").absolute(counts.statistics_refreshes);
    if let Ok(Ok(head)) = tokio::time::timeout(READY_WITHIN, store.head_position()).await {
        metrics::gauge!("log_head_position").set(head as f64);
    }
    handle.run_upkeep();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle.render(),
    )
        .into_response()
}
