//! Live updates: every open page follows the version table as a stream.
//!
//! The server reads each committed version after the last one it has published and broadcasts
//! it (`hub`, ssr only); a browser follows `/api/events` with server-sent events, one stream
//! shared by all its tabs (`browser`, hydrate only). Every message carries the version and its
//! position; the list's island patches itself from the version, the other pages' live regions
//! ask the server to draw them again (`pages::live_region`), and a follower only ever asks
//! for "everything after the version at the last position I saw", which the store answers in
//! an order where nothing can still commit before it (`store::FollowKey`), so a reconnect
//! catches up without missing or repeating a change.

#[cfg(feature = "hydrate")]
pub mod browser;
#[cfg(feature = "ssr")]
pub mod hub;

#[cfg(feature = "ssr")]
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::task::TaskVersion;
use crate::task::{EntityId, Op};

/// The server-sent event type of a change, and of the greeting that tells a follower without a
/// cursor where the stream stands.
pub const CHANGE_EVENT: &str = "change";
pub const HELLO_EVENT: &str = "hello";
/// Sent instead of the changes to a follower further behind than its share (many followers are
/// open, and writes keep coming): its id is the position the stream continues after, and the
/// page reads what it shows again.
pub const RESYNC_EVENT: &str = "resync";
/// The server-sent event that says whether the server reaches its database: its data is one of
/// the two below.
pub const DATABASE_EVENT: &str = "database";
pub const DATABASE_REACHABLE: &str = "reachable";
pub const DATABASE_UNREACHABLE: &str = "unreachable";

/// How long a change stays highlighted on the pages that show it.
pub const HIGHLIGHT_MS: u32 = 4000;

/// How long a browser turned away by a server at its cap of open streams waits before it asks
/// again; the server says the same in `Retry-After`.
pub const BUSY_RETRY_SECONDS: u32 = 10;

/// One appended version, as announced to followers: who did what to which task, the row itself
/// (for the API's followers), and the row as the current list draws it, so an open list can put
/// it in place without asking the server again, the way LiveView sends HTML.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub position: i64,
    pub entity_id: EntityId,
    pub version: i64,
    pub op: Op,
    pub title: String,
    pub actor: String,
    /// Read by the API's followers; the browser has no use for it, and its bundle no parser.
    #[cfg(feature = "ssr")]
    pub recorded_at: DateTime<Utc>,
    /// The list's `<li>` for this version, drawn once by the server for every follower; `None`
    /// for a tombstone, which no list of current tasks shows.
    pub html: Option<String>,
    /// The browser reads the row from `html`, so its bundle carries no parser for the row.
    #[cfg(feature = "ssr")]
    pub row: Box<TaskVersion>,
}

#[cfg(feature = "ssr")]
impl From<TaskVersion> for Change {
    fn from(version: TaskVersion) -> Self {
        Self {
            position: version.position,
            entity_id: version.entity_id,
            version: version.version,
            op: version.op,
            title: version.fields.title.as_str().to_owned(),
            actor: version.actor.as_str().to_owned(),
            recorded_at: version.recorded_at,
            html: crate::pages::task_list::drawn_row(&version),
            row: Box::new(version),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<&TaskVersion> for Change {
    fn from(version: &TaskVersion) -> Self {
        Self::from(version.clone())
    }
}

/// The state of this page's connection to the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connection {
    /// Server-rendered, or JavaScript is off: the page shows what was true when it loaded.
    Off,
    Connecting,
    Live,
    Reconnecting,
    /// The server answered the stream with an error (it is at its cap of open streams, say);
    /// the page asks again after `BUSY_RETRY_SECONDS`.
    Refused,
    /// The stream is open but the server cannot reach its database: nothing can change until it
    /// is back, and then the stream catches up by itself.
    DatabaseDown,
}

/// What the open page knows about the stream, shared by every component through context.
#[derive(Clone, Copy)]
pub struct Live {
    pub connection: RwSignal<Connection>,
    /// The position of the last change applied: where the stream continues after a reload.
    cursor: RwSignal<i64>,
    latest: RwSignal<Option<Change>>,
    /// Changes still highlighted, newest last.
    recent: RwSignal<Vec<Change>>,
    /// Counts the times this page may have missed changes (it joined a stream that had moved
    /// on): everything it shows must then be read again.
    resyncs: RwSignal<u64>,
}

impl Live {
    /// Starts from the position the server had published when it rendered the page.
    pub fn new(rendered_at: i64) -> Self {
        Self {
            connection: RwSignal::new(Connection::Off),
            cursor: RwSignal::new(rendered_at),
            latest: RwSignal::new(None),
            recent: RwSignal::new(Vec::new()),
            resyncs: RwSignal::new(0),
        }
    }

    pub fn cursor(&self) -> i64 {
        self.cursor.get_untracked()
    }

    /// Applies a change unless it is still highlighted (seen already). Returns whether it was
    /// new. Positions are not compared: on PostgreSQL the stream's order is the order appends
    /// became safe to read, in which a smaller position can follow a larger one.
    pub fn receive(&self, change: Change) -> bool {
        let seen = self
            .recent
            .with_untracked(|recent| recent.iter().any(|seen| seen.position == change.position));
        if seen {
            return false;
        }
        self.cursor.set(change.position);
        self.recent.update(|recent| recent.push(change.clone()));
        self.latest.set(Some(change));
        true
    }

    /// Ends the highlight of the change at `position`.
    pub fn fade(&self, position: i64) {
        self.recent
            .update(|recent| recent.retain(|change| change.position != position));
    }

    /// Marks everything on the page as possibly stale.
    pub fn resync(&self) {
        self.resyncs.update(|count| *count += 1);
    }

    /// The stream skipped to `position` (see `RESYNC_EVENT`): it continues from there, and
    /// everything on the page is possibly stale.
    pub fn resync_after(&self, position: i64) {
        self.cursor.set(position);
        self.resync();
    }

    /// Changes when the page may have missed changes: what pages that patch themselves from
    /// each change refetch on.
    pub fn resyncs(&self) -> u64 {
        self.resyncs.get()
    }

    /// Changes whenever any task changes: what board-wide pages that cannot patch themselves
    /// refetch on.
    pub fn board_revision(&self) -> (i64, u64) {
        (self.cursor.get(), self.resyncs.get())
    }

    /// The newest change to the task with this id seen since the page loaded.
    pub fn task_change(self, entity_id: Signal<String>) -> Memo<Option<Change>> {
        Memo::new(move |previous: Option<&Option<Change>>| {
            let id = entity_id.get();
            self.latest.with(|latest| match latest {
                Some(change) if change.entity_id.to_string() == id => Some(change.clone()),
                _ => previous.cloned().flatten(),
            })
        })
    }

    /// Changes only when the task with this id changes (or the page resyncs): what a task's own
    /// pages refetch on.
    pub fn task_revision(self, entity_id: Signal<String>) -> Memo<(i64, u64)> {
        let change = self.task_change(entity_id);
        Memo::new(move |_| {
            let position =
                change.with(|change| change.as_ref().map_or(0, |change| change.position));
            (position, self.resyncs.get())
        })
    }

    pub fn is_fresh_position(&self, position: i64) -> bool {
        self.recent
            .with(|recent| recent.iter().any(|change| change.position == position))
    }

    pub fn latest(&self) -> Option<Change> {
        self.latest.get()
    }
}

/// The live state every page reads: on the server, what `App` provides for the page being
/// rendered; in the browser, one per page, shared by all its islands and connected to the stream
/// by the first island that asks for it.
pub fn use_live() -> Live {
    #[cfg(feature = "ssr")]
    {
        expect_context::<Live>()
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        browser::page_live()
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        Live::new(0)
    }
}

/// The stream position the server had published when it rendered this page. The server writes
/// it into the page; the browser reads it back from there, so both render the same value.
pub fn rendered_position() -> i64 {
    #[cfg(feature = "ssr")]
    {
        use_context::<hub::LiveHub>().map_or(0, |hub| hub.head())
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        browser::rendered_position()
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        0
    }
}

/// The element that carries the rendered position into the browser.
pub const POSITION_ELEMENT_ID: &str = "live-position";
