//! The course's patterns, each shown on the app's own data, each in a room of its own: a folder
//! holds a pattern's report types (shared with the browser), its server functions, its page, and
//! (server only, in `sql.rs`) the SQL it runs. A lesson reaches the store through the store's
//! crate-visible API; the store and the production write path never depend on a lesson.

pub mod concurrency;
pub mod cqrs;
pub mod guards;
pub mod idempotency;
mod index;
pub mod replay;
pub mod snapshots;
pub mod statistics;
pub mod temporal;
pub mod two_times;
pub mod under_the_hood;

pub use index::LearnPage;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::error::AppError;

/// A statement as the store sent it, its bind values, and the rows it touched or returned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutedStatement {
    pub sql: String,
    pub binds: Vec<String>,
    pub rows: Option<u64>,
}

/// A table's size and a SHA-256 over its rows in id order, each row written out as text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableDigest {
    pub rows: u64,
    pub sha256: String,
}

#[cfg(feature = "ssr")]
/// A position in the log as typed into a form; blank means the newest.
pub(crate) fn log_position(field: &'static str, raw: &str) -> Result<Option<i64>, AppError> {
    match raw.trim() {
        "" => Ok(None),
        raw => match raw.parse::<i64>() {
            Ok(position @ 1..) => Ok(Some(position)),
            _ => {
                let rule = "must be a position in the log (1, 2, 3, …)";
                Err(crate::task::FieldError::new(field, rule).into())
            }
        },
    }
}

/// The statements a demonstration ran, as the store sent them, in order.
#[component]
pub(crate) fn StatementsRun(statements: Vec<ExecutedStatement>) -> impl IntoView {
    view! {
        <h2>"The SQL the store ran"</h2>
        <ol class="statements-run">
            {statements
                .into_iter()
                .map(|statement| {
                    let binds = (!statement.binds.is_empty())
                        .then(|| format!("binds: {}", statement.binds.iter().enumerate().map(|(at, value)| format!("${} = {value}", at + 1)).collect::<Vec<_>>().join(", ")));
                    let rows = statement.rows.map(|rows| format!("{rows} row(s)"));
                    view! {
                        <li>
                            <pre>{statement.sql}</pre>
                            <p class="statement-facts">{[binds, rows].into_iter().flatten().collect::<Vec<_>>().join(" · ")}</p>
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
}

/// A pattern page's heading, with the way back to the list of patterns.
#[component]
pub(crate) fn LearnHeading(id: &'static str, title: &'static str) -> impl IntoView {
    view! {
        <div class="page-heading">
            <h1 id=id>{title}</h1>
            <nav class="page-links" aria-label="Learn pages">
                <a href="/learn">"All patterns"</a>
            </nav>
        </div>
    }
}
