//! One module per page.

mod not_found;
mod task_list;

pub use not_found::NotFound;
pub use task_list::TaskListPage;
