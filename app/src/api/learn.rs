//! Server functions of the Learn pages: each runs one of the course's patterns on the app's own
//! data and reports what the database did.

use leptos::prelude::*;

use crate::error::AppError;
use crate::learn::ReplayReport;

/// Rebuilds the read model from the log alone, up to position `up_to` (blank: the newest), and
/// compares it with `task_current`. It writes nothing: the scratch table lives in a transaction
/// that is rolled back.
#[server(endpoint = "replay_log")]
pub async fn replay_log(#[server(default)] up_to: String) -> Result<ReplayReport, AppError> {
    let up_to = match up_to.trim() {
        "" => None,
        raw => match raw.parse::<i64>() {
            Ok(position @ 1..) => Some(position),
            _ => {
                let rule = "must be a position in the log (1, 2, 3, …)";
                return Err(crate::task::FieldError::new("up_to", rule).into());
            }
        },
    };
    Ok(super::server::store()?.replay(up_to).await?)
}
