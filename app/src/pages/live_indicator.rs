//! The small badge in the header that says whether this page is following changes.

use leptos::prelude::*;

use crate::live::{use_live, Connection};

#[island]
pub fn LiveIndicator() -> impl IntoView {
    let live = use_live();
    let label = move || match live.connection.get() {
        Connection::Off => "Not live",
        Connection::Connecting => "Connecting…",
        Connection::Live => "Live",
        Connection::Reconnecting => "Reconnecting…",
        Connection::Refused => "Live paused",
        Connection::DatabaseDown => "Database unreachable",
    };
    let explanation = move || match live.connection.get() {
        Connection::Off => {
            "Live updates need JavaScript; reload to see changes made by others.".to_owned()
        }
        Connection::Connecting | Connection::Reconnecting => {
            "Connecting to the change stream; changes made meanwhile are caught up on arrival."
                .to_owned()
        }
        Connection::Refused => format!(
            "The server turned the change stream away (it is at its limit of live connections); \
             asking again every {} seconds. Reload to see changes made meanwhile.",
            crate::live::BUSY_RETRY_SECONDS
        ),
        Connection::DatabaseDown => "The server cannot reach its database right now, so nothing \
             can be read or saved. This page catches up by itself when the database is back."
            .to_owned(),
        Connection::Live => match live.latest() {
            Some(change) => format!(
                "Following the change stream. Last: {} {} “{}” (position {}).",
                change.actor,
                change.op.as_str(),
                change.title,
                change.position
            ),
            None => "Following the change stream: changes by anyone appear here as they happen."
                .to_owned(),
        },
    };
    let state = move || match live.connection.get() {
        Connection::Off => "off",
        Connection::Connecting => "connecting",
        Connection::Live => "live",
        Connection::Reconnecting => "reconnecting",
        Connection::Refused => "refused",
        Connection::DatabaseDown => "database-down",
    };
    view! {
        <span class="live-indicator" data-state=state title=explanation role="status">
            <span class="live-dot" aria-hidden="true"></span>
            {label}
        </span>
    }
}
