//! The server crate only wires things together: configuration in, a router out. Everything the
//! app does lives in the `app` crate; this crate must not grow logic of its own.

// Leptos views are nested generic types; the router over every page is deeper than rustc's
// default limit allows when this crate lays out its futures.
#![recursion_limit = "256"]

use std::net::SocketAddr;
use std::sync::LazyLock;
use std::time::Duration;

use app::store::{Store, StoreError};
use app::{shell, App};
use axum::http::StatusCode;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// The SQLite file used when no `DATABASE_URL` is given: zero set-up on a fresh machine.
pub const DEFAULT_DATABASE_URL: &str = "sqlite:data/tasks.db";
/// Largest request body accepted: a full 10,000-character description in 4-byte UTF-8 fits.
const BODY_LIMIT_BYTES: usize = 256 * 1024;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Everything the server needs to start, parsed once from flags and environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub database_url: String,
    pub seed_demo: bool,
}

impl Config {
    /// Flags win over environment variables, which win over defaults.
    /// `--database-url URL` / `DATABASE_URL`; `--no-seed` / `SEED_DEMO=false`.
    pub fn parse(
        args: impl IntoIterator<Item = String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, String> {
        let mut config = Config {
            database_url: env("DATABASE_URL")
                .filter(|url| !url.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            seed_demo: match env("SEED_DEMO").as_deref().map(str::trim) {
                None | Some("" | "1" | "true" | "yes") => true,
                Some("0" | "false" | "no") => false,
                Some(other) => {
                    return Err(format!("SEED_DEMO must be true or false, not {other:?}"))
                }
            },
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--database-url" => {
                    config.database_url = args
                        .next()
                        .ok_or("--database-url needs a value, e.g. sqlite:data/tasks.db")?;
                }
                "--no-seed" => config.seed_demo = false,
                other => {
                    return Err(format!(
                        "unknown argument {other:?}; expected --database-url URL or --no-seed"
                    ))
                }
            }
        }
        Ok(config)
    }
}

/// Opens the store (running migrations) and seeds the demo story if asked and the database is empty.
pub async fn open_store(config: &Config) -> Result<Store, StoreError> {
    let store = Store::connect(&config.database_url).await?;
    if config.seed_demo && store.seed_demo_if_empty().await? {
        tracing::info!("seeded the demo story into an empty database");
    }
    Ok(store)
}

/// The app's routes, listed once per process. Listing them renders the app with a process-wide
/// "do not load resources" switch on, so a listing made while another router is serving leaves
/// that request's page waiting for data forever (seen as 408s when tests built routers in parallel).
static ROUTES: LazyLock<Vec<AxumRouteListing>> = LazyLock::new(|| generate_route_list(App));

/// The whole HTTP surface: pages, server functions, static files, and the tower-http layers.
pub fn router(store: Store, options: LeptosOptions) -> Router {
    let routes = ROUTES.clone();
    let context = move || provide_context(store.clone());
    Router::new()
        .leptos_routes_with_context(&options, routes, context, {
            let options = options.clone();
            move || shell(options.clone())
        })
        // The browser bundle is served by a plain file service. Leptos's file-and-error fallback
        // copies the status of a page being rendered at the same moment onto a file it serves,
        // so a wasm download racing a 404 page came back as a 404 and the page never hydrated.
        .route_service(
            &leptos_axum::site_pkg_dir_service_route_path(&options),
            leptos_axum::site_pkg_dir_service(&options),
        )
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(options)
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
}

/// Binds and serves until Ctrl-C or SIGTERM.
pub async fn serve(router: Router, addr: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str], env: &[(&str, &str)]) -> Result<Config, String> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::parse(args.iter().map(|a| a.to_string()), |key| {
            env.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn with_nothing_set_the_server_uses_a_seeded_sqlite_file() {
        let config = parse(&[], &[]).unwrap();
        assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
        assert!(config.seed_demo);
    }

    #[test]
    fn flags_override_the_environment() {
        let config = parse(
            &["--database-url", "postgres://localhost/tasks", "--no-seed"],
            &[("DATABASE_URL", "sqlite:other.db"), ("SEED_DEMO", "true")],
        )
        .unwrap();
        assert_eq!(config.database_url, "postgres://localhost/tasks");
        assert!(!config.seed_demo);
    }

    #[test]
    fn unknown_flags_and_bad_values_are_reported_not_ignored() {
        assert!(parse(&["--port"], &[]).unwrap_err().contains("--port"));
        assert!(parse(&[], &[("SEED_DEMO", "maybe")])
            .unwrap_err()
            .contains("SEED_DEMO"));
        assert!(parse(&["--database-url"], &[]).is_err());
    }
}
