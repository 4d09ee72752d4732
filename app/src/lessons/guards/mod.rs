//! The append-only log's guards (`/database`): what the database reports about its own rules —
//! the triggers and constraints as the catalog stores them (not as the migrations say they
//! should be), the privileges the app's role holds, the size of the log against the read model —
//! and what the database answers when someone tries to rewrite history.

mod page;
#[cfg(feature = "ssr")]
mod sql;

use std::str::FromStr;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub use page::DatabasePage;

use crate::error::AppError;
use crate::task::FieldError;

/// One rule the database enforces, with its definition read back from the catalog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub name: String,
    pub definition: String,
    /// The body of the function a PostgreSQL trigger runs (SQLite triggers carry theirs inline).
    pub function_body: Option<String>,
}

/// Whether the app's own database role may run a statement on the version table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Privilege {
    pub statement: String,
    pub held: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseFacts {
    pub backend: String,
    /// Rows in the append-only log: every version ever written.
    pub version_rows: i64,
    /// Rows in the read model: one per task, deleted ones included.
    pub current_rows: i64,
    pub live_tasks: i64,
    pub triggers: Vec<Rule>,
    pub constraints: Vec<Rule>,
    /// Empty on SQLite, which has no roles.
    pub privileges: Vec<Privilege>,
    /// A PostgreSQL superuser bypasses privileges, so only the triggers stand in the way.
    pub superuser: bool,
}

/// A way of rewriting history that the database must refuse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tamper {
    /// Change the newest version's title in place.
    Update,
    /// Remove the newest version.
    Delete,
    /// Empty the whole table (TRUNCATE on PostgreSQL, an unqualified DELETE on SQLite).
    Wipe,
}

impl Tamper {
    pub const ALL: [Tamper; 3] = [Tamper::Update, Tamper::Delete, Tamper::Wipe];

    pub fn as_str(self) -> &'static str {
        match self {
            Tamper::Update => "update",
            Tamper::Delete => "delete",
            Tamper::Wipe => "wipe",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Tamper::Update => "Rewrite the newest version",
            Tamper::Delete => "Delete the newest version",
            Tamper::Wipe => "Empty the whole table",
        }
    }
}

impl FromStr for Tamper {
    type Err = FieldError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Tamper::ALL
            .into_iter()
            .find(|tamper| tamper.as_str() == raw)
            .ok_or_else(|| FieldError::new("attempt", "must be one of update, delete, wipe"))
    }
}

/// What happened when a tampering statement was sent: it always runs in a transaction that is
/// rolled back, so even a database without its guards would keep its rows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TamperOutcome {
    pub tamper: Tamper,
    pub statement: String,
    /// The database's own error message; `None` means it let the statement through.
    pub refusal: Option<String>,
    pub rows_before: i64,
    pub rows_after: i64,
}

/// What the database's own catalog reports about the version table's guards and size.
#[server(endpoint = "inspect_database")]
pub async fn inspect_database() -> Result<DatabaseFacts, AppError> {
    let store = crate::server_fns::context::store()?;
    Ok(DatabaseFacts {
        backend: crate::server_fns::context::backend_name(&store).to_owned(),
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
    let outcome = crate::server_fns::context::store()?
        .attempt_tamper(tamper)
        .await?;
    if crate::error::is_plain_form_post() {
        crate::server_fns::context::OutcomeCookie::Attempt.keep(&outcome);
        leptos_axum::redirect("/database");
    }
    Ok(outcome)
}

/// The outcome of the last attempt this browser posted without JavaScript, once: reading it
/// clears it. Only this site can set the cookie, so no link can show a made-up refusal.
#[server(endpoint = "last_attempt")]
pub async fn last_attempt() -> Result<Option<TamperOutcome>, AppError> {
    Ok(crate::server_fns::context::OutcomeCookie::Attempt.take())
}
