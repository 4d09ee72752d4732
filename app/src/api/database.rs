//! Server functions of `/database`: the guards read from the catalog, and attempts to get past
//! them.

use leptos::prelude::*;

use crate::database::{DatabaseFacts, TamperOutcome};
use crate::error::AppError;

/// What the database's own catalog reports about the version table's guards and size.
#[server(endpoint = "inspect_database")]
pub async fn inspect_database() -> Result<DatabaseFacts, AppError> {
    let store = super::server::store()?;
    Ok(DatabaseFacts {
        backend: super::server::backend_name(&store).to_owned(),
        ..store.database_facts().await?
    })
}

/// Sends one statement that would rewrite history (`update`, `delete` or `wipe`) and returns
/// the database's answer. Nothing can change: the attempt is always rolled back. It is a POST
/// (server functions are), so no crawler or link prefetch sets it off. Posted without
/// JavaScript, the answer waits for the page in a short-lived cookie (see `last_attempt`).
#[server(endpoint = "attempt_tamper")]
pub async fn attempt_tamper(attempt: String) -> Result<TamperOutcome, AppError> {
    let tamper = attempt.trim().parse()?;
    let outcome = super::server::store()?.attempt_tamper(tamper).await?;
    if crate::error::is_plain_form_post() {
        super::server::keep_attempt(&outcome);
        leptos_axum::redirect("/database");
    }
    Ok(outcome)
}

/// The outcome of the last attempt this browser posted without JavaScript, once: reading it
/// clears it. Only this site can set the cookie, so no link can show a made-up refusal.
#[server(endpoint = "last_attempt")]
pub async fn last_attempt() -> Result<Option<TamperOutcome>, AppError> {
    Ok(super::server::take_attempt())
}
