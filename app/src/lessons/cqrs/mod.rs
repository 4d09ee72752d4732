//! CQRS: the read model (`task_current`) is written by a trigger in the same transaction as each
//! append, so a rule on the read model guards the log as well.

mod page;
#[cfg(feature = "ssr")]
mod sql;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub use page::CqrsPage;

use super::ExecutedStatement;
use crate::error::AppError;

/// CQRS, shown: a rule on the read model, which the trigger writes in the append's transaction,
/// refuses an append, and the log is left as it was.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadModelRefusal {
    /// The title the temporary rule forbids, and the demonstration tries to append.
    pub title: String,
    /// The database's own error message; `None` if the append went through.
    pub refusal: Option<String>,
    /// The log's newest position before the attempt and after it, in the same transaction.
    pub head_before: i64,
    pub head_after: i64,
    pub statements: Vec<ExecutedStatement>,
}

/// Adds a rule to the read model for one transaction, tries to append a task it forbids, and
/// reports the refusal; everything is rolled back. The rule locks `task_current` for the moment
/// it exists, so the page calls this only when its form asks (`run=1`), never on a plain visit.
#[server(endpoint = "attempt_refused_append")]
pub async fn attempt_refused_append() -> Result<ReadModelRefusal, AppError> {
    Ok(crate::server_fns::context::store()?
        .read_model_refusal()
        .await?)
}
