//! Under the hood: what one change did in the database: the statements its transaction ran, the
//! row it appended, the read model's row before and after, and how others heard of it.

mod page;
#[cfg(feature = "ssr")]
mod sql;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub use page::{remembered_open, HoodPage, HoodPane, HoodToggle};

use super::ExecutedStatement;
use crate::error::AppError;
use crate::task::TaskVersion;

/// The cookie holding the position of this browser's last change, so the under-the-hood view
/// can tell it from others' (read by the hydrating page too, so not `HttpOnly`).
pub const LAST_CHANGE_COOKIE: &str = "last_change";

/// The cookie remembering whether the under-the-hood pane is open.
pub const HOOD_COOKIE: &str = "hood";

/// Under the hood: one change to the board as the database saw it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HoodReport {
    /// The row the change appended to `task_versions`.
    pub appended: TaskVersion,
    /// The statements the write's transaction ran, in order, as this server process recorded
    /// them; `None` when another process ran it or this one has restarted since.
    pub statements: Option<Vec<ExecutedStatement>>,
    /// The task's row in `task_current` before the change (none for a create) and after it,
    /// as `(column, value)` pairs.
    pub read_model_before: Option<Vec<(String, String)>>,
    pub read_model_after: Vec<(String, String)>,
    /// How the other server processes and open pages hear of the change.
    pub announcement: String,
    /// The neighbouring changes, for stepping through the log.
    pub older: Option<i64>,
    pub newer: Option<i64>,
}

/// The row the read model's trigger writes for `version`: the columns of `task_current`.
pub fn read_model_row(version: &TaskVersion) -> Vec<(String, String)> {
    let optional = |value: Option<String>| value.unwrap_or_else(|| "NULL".to_owned());
    let fields = &version.fields;
    [
        ("entity_id", version.entity_id.to_string()),
        ("version_id", version.id.to_string()),
        ("version", version.version.to_string()),
        ("title", fields.title.as_str().to_owned()),
        ("status", fields.status.as_str().to_owned()),
        ("priority", fields.priority.value().to_string()),
        (
            "due_date",
            optional(fields.due_date.map(|date| date.to_string())),
        ),
        (
            "deleted_at",
            optional(version.deleted_at.map(|at| at.to_rfc3339())),
        ),
        ("changed_at", version.recorded_at.to_rfc3339()),
        ("position", version.position.to_string()),
    ]
    .into_iter()
    .map(|(column, value)| (column.to_owned(), value))
    .collect()
}

/// The change at position `at` (blank: the newest) as the database saw it: the statements its
/// transaction ran, the row it appended, the read model's row before and after, and the
/// announcement. `None` while the log is empty or holds nothing at that position.
#[server(endpoint = "under_the_hood")]
pub async fn under_the_hood(#[server(default)] at: String) -> Result<Option<HoodReport>, AppError> {
    let position = super::log_position("at", &at)?;
    Ok(crate::server_fns::context::store()?
        .under_the_hood(position)
        .await?)
}
