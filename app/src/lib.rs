//! The immutable task manager: shared types, server functions and Leptos components. Compiled
//! twice: with `ssr` for the server (which adds the store and its SQL) and with `hydrate` for the
//! browser, which must never pull in sqlx, tokio or axum. The server draws every page; only the
//! `#[island]` components (the live badge, the live list, the regions that follow the stream,
//! the slider, the history keys, the forms that answer in place) are compiled into the browser's
//! bundle and hydrated.

// Leptos views are deeply nested generic types; the hydrate build of the larger pages needs more
// than rustc's default query depth.
#![recursion_limit = "256"]

pub mod actor_cookie;
pub mod blame;
pub mod command;
pub mod diff;
pub mod error;
pub mod lessons;
pub mod live;
mod pages;
pub mod server_fns;
pub mod task;
pub mod time;

#[cfg(feature = "ssr")]
pub mod store;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                // File names carry a hash of their content (`hash-files`), so the browser may
                // cache them for good; the stylesheet's name is read from the same hash file.
                <HashedStylesheet id="leptos" options=options.clone() />
                <AutoReload options=options.clone() />
                <HydrationScripts options islands=true />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let rendered_at = live::rendered_position();
    provide_context(live::Live::new(rendered_at));
    let hood_open = lessons::under_the_hood::remembered_open();
    view! {
        <Title text="Immutable tasks" />
        <Router>
            <header class="site-header">
                <a class="brand" href="/">"Immutable tasks"</a>
                <nav class="site-nav" aria-label="Main">
                    <a href="/">"Tasks"</a>
                    <a href="/tasks/new">"New"</a>
                    <a href="/tasks/deleted">"Deleted"</a>
                    <a href="/activity">"Activity"</a>
                    <a href="/database">"Database"</a>
                    <a href="/learn">"Learn"</a>
                </nav>
                <lessons::under_the_hood::HoodToggle open=hood_open />
                <pages::LiveIndicator />
                <span id=live::POSITION_ELEMENT_ID hidden data-position=rendered_at></span>
                <span class="tagline">"Every change is a new version. Nothing is overwritten."</span>
            </header>
            <div class="page-with-hood" class:hood-open=hood_open>
            <main>
                // Async rendering sends each page complete, so it works with JavaScript off.
                <pages::FlashBanner />
                <Routes fallback=pages::NotFound>
                    <Route path=path!("/") view=pages::TaskListPage ssr=SsrMode::Async />
                    <Route path=path!("/tasks") view=pages::TaskListPage ssr=SsrMode::Async />
                    <Route path=path!("/tasks/new") view=pages::NewTaskPage ssr=SsrMode::Async />
                    <Route path=path!("/tasks/deleted") view=pages::DeletedPage ssr=SsrMode::Async />
                    <Route path=path!("/activity") view=pages::ActivityPage ssr=SsrMode::Async />
                    <Route path=path!("/database") view=lessons::guards::DatabasePage ssr=SsrMode::Async />
                    <Route path=path!("/tasks/:id") view=pages::TaskPage ssr=SsrMode::Async />
                    <Route path=path!("/tasks/:id/edit") view=pages::EditPage ssr=SsrMode::Async />
                    <Route path=path!("/tasks/:id/history") view=pages::HistoryPage ssr=SsrMode::Async />
                    <Route path=path!("/learn") view=lessons::LearnPage ssr=SsrMode::Async />
                    <Route path=path!("/learn/replay") view=lessons::replay::ReplayPage ssr=SsrMode::Async />
                    <Route path=path!("/learn/idempotency") view=lessons::idempotency::IdempotencyPage ssr=SsrMode::Async />
                    <Route path=path!("/learn/temporal") view=lessons::temporal::TemporalPage ssr=SsrMode::Async />
                    <Route path=path!("/learn/two-times") view=lessons::two_times::TwoTimesPage ssr=SsrMode::Async />
                    <Route path=path!("/learn/cqrs") view=lessons::cqrs::CqrsPage ssr=SsrMode::Async />
                    <Route path=path!("/learn/concurrency") view=lessons::concurrency::ConcurrencyPage ssr=SsrMode::Async />
                    <Route path=path!("/learn/snapshots") view=lessons::snapshots::SnapshotsPage ssr=SsrMode::Async />
                    <Route path=path!("/under-the-hood") view=lessons::under_the_hood::HoodPage ssr=SsrMode::Async />
                    <Route path=path!("/under-the-hood/:position") view=lessons::under_the_hood::HoodPage ssr=SsrMode::Async />
                    <Route path=path!("/learn/statistics") view=lessons::statistics::StatisticsPage ssr=SsrMode::Async />
                </Routes>
            </main>
            <lessons::under_the_hood::HoodPane open=hood_open />
            </div>
        </Router>
    }
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    // The islands hydrate once this returns, in promises that have all settled when the timer
    // fires; end-to-end tests wait for the mark before clicking.
    set_timeout(
        || {
            if let Some(body) = document().body() {
                let _ = body.set_attribute("data-hydrated", "");
            }
        },
        std::time::Duration::ZERO,
    );
}
