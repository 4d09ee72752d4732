//! A part of a server-rendered page that follows the change stream: when a change touches what
//! it shows, the browser asks the server for the page again and puts the region's fresh HTML in
//! place of the old, the way LiveView redraws on the server. Only this island ships code; what
//! it shows is drawn by the server, so the page also works, unchanged, with JavaScript off.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::live::use_live;
use crate::task::EntityId;

/// Which changes make a region draw again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Follows {
    /// Any change to any task.
    Board,
    /// Changes to this task only.
    Task(EntityId),
}

#[island]
pub fn LiveRegion(
    /// The region's element id: the same on the page in the browser and in the page the server
    /// draws again.
    id: String,
    follows: Follows,
    /// The address the server draws the region at; by default, this page's.
    #[prop(optional)]
    source: Option<String>,
    children: Children,
) -> impl IntoView {
    let live = use_live();
    let revision = match follows {
        Follows::Board => Signal::derive(move || live.board_revision()),
        Follows::Task(entity_id) => live
            .task_revision(Signal::stored(entity_id.to_string()))
            .into(),
    };
    #[cfg(feature = "hydrate")]
    {
        let id = id.clone();
        Effect::new(move |previous: Option<(i64, u64)>| {
            let now = revision.get();
            if previous.is_some_and(|previous| previous != now) {
                crate::live::browser::redraw(&id, source.as_deref(), false);
            }
            now
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (revision, source);
    view! { <div id=id class="live-region">{children()}</div> }
}
