//! One module per page, plus the pieces they share.

mod activity;
mod common;
mod database;
mod deleted;
mod history;
mod live_indicator;
mod new_task;
mod not_found;
mod task_edit;
mod task_form;
mod task_list;
mod task_show;
mod time_travel;

pub use activity::ActivityPage;
pub use common::FlashBanner;
pub use database::DatabasePage;
pub use deleted::DeletedPage;
pub use history::HistoryPage;
pub use live_indicator::LiveIndicator;
pub use new_task::NewTaskPage;
pub use not_found::NotFound;
pub use task_edit::EditPage;
pub use task_list::TaskListPage;
pub use task_show::TaskPage;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// The `:id` of a task page's URL, as typed (the server decides whether it names a task).
fn entity_param() -> Signal<String> {
    let params = use_params_map();
    Signal::derive(move || params.read().get("id").unwrap_or_default())
}
