//! The immutable task manager: shared types, server functions and Leptos components. Compiled
//! twice: with `ssr` for the server (which adds the store and its SQL) and with `hydrate` for the
//! browser, which must never pull in sqlx, tokio or axum.

// Leptos views are deeply nested generic types; the hydrate build of the larger pages needs more
// than rustc's default query depth.
#![recursion_limit = "256"]

pub mod actor_cookie;
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
use leptos_router::{path, Lazy, SsrMode};

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
                <HydrationScripts options />
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
    let live = live::Live::new(rendered_at);
    provide_context(live);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| live::browser::connect(live));
    let hood_open = RwSignal::new(lessons::under_the_hood::remembered_open());
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
            <div class="page-with-hood" class:hood-open=move || hood_open.get()>
            <main>
                // Async rendering sends each page complete, so it works with JavaScript off.
                <pages::FlashBanner />
                <Routes fallback=pages::NotFound>
                    <Route path=path!("/") view={Lazy::<pages::TaskListRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/tasks") view={Lazy::<pages::TaskListRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/tasks/new") view={Lazy::<pages::NewTaskRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/tasks/deleted") view={Lazy::<pages::DeletedRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/activity") view={Lazy::<pages::ActivityRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/database") view={Lazy::<pages::DatabaseRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/tasks/:id") view={Lazy::<pages::TaskRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/tasks/:id/edit") view={Lazy::<pages::EditRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/tasks/:id/history") view={Lazy::<pages::HistoryRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/learn") view={Lazy::<pages::LearnRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/learn/replay") view={Lazy::<pages::ReplayRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/learn/idempotency") view={Lazy::<pages::IdempotencyRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/learn/temporal") view={Lazy::<pages::TemporalRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/learn/cqrs") view={Lazy::<pages::CqrsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/learn/concurrency") view={Lazy::<pages::ConcurrencyRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/learn/snapshots") view={Lazy::<pages::SnapshotsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/under-the-hood") view={Lazy::<pages::HoodRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/under-the-hood/:position") view={Lazy::<pages::HoodRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/learn/statistics") view={Lazy::<pages::StatisticsRoute>::new()} ssr=SsrMode::Async />
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
    // Lazy routes: the chunk of the page being hydrated is fetched before hydration starts, so
    // hydration is asynchronous; the page is marked once it is done.
    let _ = any_spawner::Executor::init_wasm_bindgen();
    leptos::task::spawn_local(async {
        let Some(body) = document().body() else {
            return;
        };
        leptos::mount::hydrate_from_async(body.clone(), App)
            .await
            .forget();
        // Lets end-to-end tests wait until clicks go through Leptos instead of plain form posts.
        let _ = body.set_attribute("data-hydrated", "");
    });
}
