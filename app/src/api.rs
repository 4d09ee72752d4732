//! Server functions: the only door from the browser to the store. Each parses its raw arguments
//! with the shared newtypes (the server has the final word), calls one store operation, and maps
//! the outcome to an `AppError` (whose HTTP status `AppError` sets itself).

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::task::TaskVersion;

/// The current list together with the instant it was read, so relative times ("3 hours ago")
/// render identically on the server and during hydration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskList {
    pub tasks: Vec<TaskVersion>,
    pub read_at: DateTime<Utc>,
    pub backend: String,
}

#[cfg(feature = "ssr")]
mod server {
    use leptos::prelude::*;

    use crate::error::AppError;
    use crate::store::{BackendKind, Store};

    pub fn store() -> Result<Store, AppError> {
        use_context::<Store>().ok_or_else(|| {
            tracing::error!("the store was not provided to the server function context");
            AppError::Internal
        })
    }

    pub fn backend_name(store: &Store) -> &'static str {
        match store.kind() {
            BackendKind::Postgres => "PostgreSQL",
            BackendKind::Sqlite => "SQLite",
        }
    }
}

/// Live tasks, filtered by status (blank for all) and sorted (blank for recently changed).
#[server(endpoint = "list_tasks")]
pub async fn list_tasks(
    #[server(default)] status: String,
    #[server(default)] sort: String,
) -> Result<TaskList, AppError> {
    use crate::task::TaskFilter;

    let filter = TaskFilter {
        status: match status.trim() {
            "" => None,
            raw => Some(raw.parse()?),
        },
        sort: match sort.trim() {
            "" => Default::default(),
            raw => raw.parse()?,
        },
    };
    let store = server::store()?;
    Ok(TaskList {
        tasks: store.list_tasks(filter).await?,
        read_at: chrono::Utc::now(),
        backend: server::backend_name(&store).to_owned(),
    })
}

/// Creates a task from a submitted form; returns its first version.
#[server(endpoint = "create_task")]
pub async fn create_task(
    title: String,
    #[server(default)] description: String,
    #[server(default)] status: String,
    #[server(default)] priority: String,
    #[server(default)] due_date: String,
    #[server(default)] actor: String,
    #[server(default)] note: String,
) -> Result<TaskVersion, AppError> {
    use crate::task::{ChangeMeta, TaskFields, TaskInput};

    let input = TaskInput {
        title,
        description,
        status,
        priority,
        due_date,
    };
    let (fields, meta) = match (TaskFields::parse(&input), ChangeMeta::parse(&actor, &note)) {
        (Ok(fields), Ok(meta)) => (fields, meta),
        (fields, meta) => {
            let errors = [fields.err(), meta.err()].into_iter().flatten().flatten();
            return Err(AppError::Invalid(errors.collect()));
        }
    };
    Ok(server::store()?.create_task(fields, meta).await?)
}
