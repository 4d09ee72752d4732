//! One module per page, plus the pieces they share.

mod activity;
pub(crate) mod common;
mod deleted;
mod form_fields;
mod history;
#[cfg(feature = "hydrate")]
mod list_patch;
mod live_indicator;
pub(crate) mod live_region;
mod new_task;
mod not_found;
pub(crate) mod post_in_place;
pub(crate) mod submission;
mod task_edit;
pub(crate) mod task_form;
pub(crate) mod task_list;
mod task_show;
mod time_travel;

pub use common::FlashBanner;
pub(crate) use common::PageError;
pub use live_indicator::LiveIndicator;
pub use not_found::NotFound;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

pub use activity::ActivityPage;
pub use deleted::DeletedPage;
pub use history::HistoryPage;
pub use new_task::NewTaskPage;
pub use task_edit::EditPage;
pub use task_list::TaskListPage;
pub use task_show::TaskPage;

/// What a task page's live region follows: the task its URL names, or the whole board when the
/// URL names none (the page then shows an error that no change will alter).
fn task_follows(id: Signal<String>) -> live_region::Follows {
    id.get_untracked()
        .parse()
        .map_or(live_region::Follows::Board, live_region::Follows::Task)
}

/// The `:id` of a task page's URL, as typed (the server decides whether it names a task).
fn entity_param() -> Signal<String> {
    let params = use_params_map();
    Signal::derive(move || params.read().get("id").unwrap_or_default())
}
