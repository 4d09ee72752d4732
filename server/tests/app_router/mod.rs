//! The app's router on a test database's store, built as the server builds it, for the tests
//! that call it directly or serve it on a socket.

use app::live::hub::LiveHub;
use leptos::prelude::LeptosOptions;
use server::HttpSettings;
use test_support::TestDb;

pub async fn build_router(db: &TestDb, http: HttpSettings) -> axum::Router {
    let options = LeptosOptions::builder()
        .output_name("immutable-tasks")
        .build();
    let hub = LiveHub::start(db.store.clone())
        .await
        .expect("follow the version table");
    server::router(db.store.clone(), hub, options, http)
}
