//! The store contract, run against SQLite and PostgreSQL alike: every test runs once per
//! backend (`name::case_1_sqlite`, `name::case_2_postgres`), each on its own freshly migrated
//! database that is removed when the test ends. One binary, a module per concern.

mod fields;
mod followers;
mod guards;
mod history;
mod idempotency;
mod lists;
mod paging;
mod periods;
mod read_model;
mod statistics;
mod valid_time;
mod writes;

use app::store::Store;
use app::task::{Status, TaskLookup};

/// A task's current status, read back through the store.
async fn store_status(store: &Store, id: app::task::EntityId) -> Status {
    match store.get_task(id).await.unwrap() {
        TaskLookup::Live(task) | TaskLookup::Deleted(task) => task.fields.status,
        TaskLookup::NotFound => panic!("{id} was written"),
    }
}
