//! One module per page, plus the pieces they share.

mod activity;
pub(crate) mod common;
mod deleted;
mod form_fields;
mod history;
mod live_indicator;
mod new_task;
mod not_found;
pub(crate) mod submission;
mod task_edit;
pub(crate) mod task_form;
mod task_list;
mod task_show;
mod time_travel;

pub use common::FlashBanner;
pub(crate) use common::PageError;
pub use live_indicator::LiveIndicator;
pub use not_found::NotFound;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use leptos_router::{lazy_route, LazyRoute};

/// Declares each page as a lazy route: built with `cargo leptos --split`, a page's code leaves
/// the main wasm file for a chunk of its own, fetched the first time the page is shown. A
/// visitor downloads the router, the live stream and the page they open, not every page. Pages
/// read their data inside their components, so `data()` has nothing to start early.
macro_rules! lazy_pages {
    ($($route:ident => $page:path,)*) => {$(
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page /> }.into_any()
            }
        }
    )*};
}

lazy_pages! {
    TaskListRoute => task_list::TaskListPage,
    NewTaskRoute => new_task::NewTaskPage,
    DeletedRoute => deleted::DeletedPage,
    ActivityRoute => activity::ActivityPage,
    DatabaseRoute => crate::lessons::guards::DatabasePage,
    TaskRoute => task_show::TaskPage,
    EditRoute => task_edit::EditPage,
    HistoryRoute => history::HistoryPage,
    LearnRoute => crate::lessons::LearnPage,
    ReplayRoute => crate::lessons::replay::ReplayPage,
    IdempotencyRoute => crate::lessons::idempotency::IdempotencyPage,
    TemporalRoute => crate::lessons::temporal::TemporalPage,
    CqrsRoute => crate::lessons::cqrs::CqrsPage,
    ConcurrencyRoute => crate::lessons::concurrency::ConcurrencyPage,
    SnapshotsRoute => crate::lessons::snapshots::SnapshotsPage,
    HoodRoute => crate::lessons::under_the_hood::HoodPage,
    StatisticsRoute => crate::lessons::statistics::StatisticsPage,
}

/// The `:id` of a task page's URL, as typed (the server decides whether it names a task).
fn entity_param() -> Signal<String> {
    let params = use_params_map();
    Signal::derive(move || params.read().get("id").unwrap_or_default())
}
