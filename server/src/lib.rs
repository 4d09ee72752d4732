//! The server crate only wires things together: configuration in, a router out. Everything the
//! app does lives in the `app` crate; this crate must not grow logic of its own.

// Leptos views are nested generic types; the router over every page is deeper than rustc's
// default limit allows when this crate lays out its futures.
#![recursion_limit = "256"]

use std::net::SocketAddr;
use std::sync::LazyLock;
use std::time::Duration;

mod api_v1;
mod config;
mod events;
pub mod guard;
mod memory;
mod ops;
mod requests;

pub use config::{Config, HttpSettings};
pub use requests::{init_logging, LogFormat};

use app::live::hub::LiveHub;
use app::store::{BoardSize, Store, StoreError};
use app::{shell, App};
use axum::http::{header, HeaderValue, StatusCode};
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes, ResponseOptions};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

/// Largest request body accepted: a full 10,000-character description in 4-byte UTF-8 fits.
pub(crate) const BODY_LIMIT_BYTES: usize = 256 * 1024;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The tab icon. Browsers ask for `/favicon.ico` when a page names no icon, so both paths answer.
const FAVICON_SVG: &str = include_str!("../assets/favicon.svg");
/// The shared worker that holds a browser's one change stream for all its tabs.
const LIVE_WORKER_JS: &str = include_str!("../assets/live-worker.js");

/// Appends a generated board of `size` to the configured database and reports what it wrote.
pub async fn generate_board(store: &Store, size: BoardSize) -> Result<String, StoreError> {
    let generated = store.generate_board(size).await?;
    let seconds = generated.elapsed.as_secs_f64();
    Ok(format!(
        "appended {} versions of {} tasks ({} end deleted, {} were deleted and restored) \
         in {seconds:.1} s, {:.0} versions/s",
        generated.versions,
        size.tasks,
        generated.deleted_tasks,
        generated.restored_tasks,
        generated.versions as f64 / seconds.max(1e-9)
    ))
}

/// Opens the store (running migrations) and seeds the demo story if asked and the database is empty.
pub async fn open_store(config: &Config) -> Result<Store, StoreError> {
    let store = Store::connect(&config.database_url)
        .await?
        .with_snapshot_every(config.snapshot_every);
    if config.seed_demo && store.seed_demo_if_empty().await? {
        tracing::info!("seeded the demo story into an empty database");
    }
    Ok(store)
}

/// The app's routes, listed once per process. Listing them renders the app with a process-wide
/// "do not load resources" switch on, so a listing made while another router is serving leaves
/// that request's page waiting for data forever (seen as 408s when tests built routers in parallel).
static ROUTES: LazyLock<Vec<AxumRouteListing>> = LazyLock::new(|| generate_route_list(App));

/// The whole HTTP surface: pages, server functions, the change stream, static files, and the
/// tower-http layers.
pub fn router(store: Store, hub: LiveHub, options: LeptosOptions, http: HttpSettings) -> Router {
    let routes = ROUTES.clone();
    let api = api_v1::routes(store.clone(), &http.api_origins);
    let streams = events::StreamCap::new(http.max_event_streams);
    let operator = ops::routes(store.clone(), streams.clone());
    let context = {
        let hub = hub.clone();
        move || {
            provide_context(store.clone());
            provide_context(hub.clone());
            // Leptos gives every rendered page a fresh nonce for the scripts it writes; the
            // page's policy admits exactly those.
            if let (Some(nonce), Some(response)) =
                (leptos::nonce::use_nonce(), use_context::<ResponseOptions>())
            {
                if let Ok(policy) =
                    axum::http::HeaderValue::from_str(&guard::page_security_policy(&nonce))
                {
                    response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, policy);
                }
            }
        }
    };
    let routes = Router::new()
        .leptos_routes_with_context(&options, routes, context.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        // The browser bundle is served by a plain file service. Leptos's file-and-error fallback
        // copies the status of a page being rendered at the same moment onto a file it serves,
        // so a wasm download racing a 404 page came back as a 404 and the page never hydrated.
        .route_service(
            &leptos_axum::site_pkg_dir_service_route_path(&options),
            ServiceBuilder::new()
                .map_response({
                    let cache_control = bundle_cache_control(options.hash_files);
                    // Only files found: a 404 kept for a year would outlive the next build.
                    move |mut response: axum::http::Response<_>| {
                        let status = response.status();
                        if status.is_success() || status == StatusCode::NOT_MODIFIED {
                            response
                                .headers_mut()
                                .insert(header::CACHE_CONTROL, cache_control.clone());
                        }
                        response
                    }
                })
                .service(leptos_axum::site_pkg_dir_service(&options)),
        )
        .route("/favicon.svg", get(favicon))
        .route("/favicon.ico", get(favicon))
        .route("/live-worker.js", get(live_worker))
        .fallback(leptos_axum::file_and_error_handler_with_context(
            context, shell,
        ))
        .with_state(options)
        .merge(api)
        .merge(operator)
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        // Added after the timeout, which must not cut a stream that is meant to stay open.
        // Compression leaves text/event-stream alone, so events are not held back in a buffer.
        .route(
            "/api/events",
            get(move |headers, query| events::stream(hub.clone(), streams.clone(), headers, query)),
        )
        // Inside the router, where the route a request matched is known.
        .layer(axum::middleware::from_fn(ops::measure));
    protect(
        routes,
        guard::WriteOrigins {
            public: http.public_origin,
            api: http.api_origins,
        },
    )
}

/// The layers around every route: well-formed input, same-origin writes, panics caught, compression, security
/// headers, request ids and logs. Public so tests can put them around a route of their own.
pub fn protect(routes: Router, origins: guard::WriteOrigins) -> Router {
    routes
        .layer(axum::middleware::from_fn_with_state(
            std::sync::Arc::new(origins),
            guard::same_origin_writes,
        ))
        .layer(axum::middleware::from_fn(guard::well_formed_input))
        .layer(CatchPanicLayer::custom(guard::panic_page))
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn(guard::security_headers))
        .layer(axum::middleware::from_fn(requests::observe))
}

async fn favicon() -> impl axum::response::IntoResponse {
    (
        [
            (axum::http::header::CONTENT_TYPE, "image/svg+xml"),
            (axum::http::header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        FAVICON_SVG,
    )
}

/// How long browsers may keep the bundle's files. Hashed names change with their content, so a
/// file under one name never changes and may be kept for a year without asking again; unhashed
/// names must be checked on every load, or a new build would meet an old bundle.
fn bundle_cache_control(hashed_names: bool) -> HeaderValue {
    HeaderValue::from_static(if hashed_names {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    })
}

async fn live_worker() -> impl axum::response::IntoResponse {
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/javascript"),
            // A worker's own policy: it may only open the change stream.
            (
                axum::http::header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; connect-src 'self'",
            ),
            (axum::http::header::CACHE_CONTROL, "no-cache"),
        ],
        LIVE_WORKER_JS,
    )
}

/// Binds and serves until Ctrl-C or SIGTERM. On the signal the change streams are ended first,
/// so open browsers do not hold up the graceful shutdown (they reconnect to the next server).
pub async fn serve(router: Router, hub: LiveHub, addr: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    // Served as a plain `Router`, axum applies the state to every route again for each
    // connection it accepts, copying the whole route table per connection. A live stream holds
    // its connection for as long as the page is open, so those copies were most of what an open
    // stream cost (heaptrack: about 100 of its 147 KiB). The state is applied once, here, and
    // every connection shares the one router.
    axum::serve(listener, router.with_state(()).into_make_service())
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            hub.close();
        })
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        // If the handler cannot be installed, the process still stops on SIGTERM or SIGKILL.
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
