//! Starts the server: parse configuration, open the store, serve the router.

use std::process::ExitCode;

use app::live::hub::LiveHub;
use leptos::config::get_configuration;
use server::{generate_board, init_logging, open_store, router, serve, Config};

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    init_logging(config.log_format);
    let options = match get_configuration(None) {
        Ok(conf) => conf.leptos_options,
        Err(error) => {
            eprintln!("cannot read the Leptos configuration: {error}");
            return ExitCode::FAILURE;
        }
    };
    let store = match open_store(&config).await {
        Ok(store) => store,
        Err(error) => {
            eprintln!("cannot open the database {}: {error}", config.database_url);
            return ExitCode::FAILURE;
        }
    };
    if let Some(size) = config.generate {
        let generated = generate_board(&store, size).await;
        store.close().await;
        return match generated {
            Ok(summary) => {
                println!("{summary}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("cannot generate the board: {error}");
                ExitCode::FAILURE
            }
        };
    }
    store.keep_snapshots();
    let hub = match LiveHub::start(store.clone()).await {
        Ok(hub) => hub,
        Err(error) => {
            eprintln!("cannot follow the version table for live updates: {error}");
            return ExitCode::FAILURE;
        }
    };
    let addr = options.site_addr;
    let served = serve(
        router(store.clone(), hub.clone(), options, config.http.clone()),
        hub,
        addr,
    )
    .await;
    store.close().await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("server stopped: {error}");
            ExitCode::FAILURE
        }
    }
}
