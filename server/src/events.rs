//! `GET /api/events`: the change stream as server-sent events. Each event's id is the version's
//! position, so a browser that reconnects sends `Last-Event-ID` and is caught up from there.
//! A first connection passes `?after=POSITION`, the position its page was rendered at.
//!
//! Streams are bounded: at most `StreamCap` of them per process (beyond it, 503 with
//! `Retry-After`), each catching up through the hub in pages with a small buffer, and each sent a
//! heartbeat so a browser that vanished without closing its socket is noticed and its slot freed.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use app::live::hub::{LiveEvent, LiveHub};
use app::live::{
    BUSY_RETRY_SECONDS, CHANGE_EVENT, DATABASE_EVENT, DATABASE_REACHABLE, DATABASE_UNREACHABLE,
    HELLO_EVENT, RESYNC_EVENT,
};
use axum::extract::Query;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::memory::Reclaim;

/// How soon a browser retries after the stream drops (a restart, a blip).
const RETRY: Duration = Duration::from_secs(1);
/// A comment line this often: writing to a dead peer fails, which ends the stream.
const HEARTBEAT: Duration = Duration::from_secs(15);

/// The slots for open streams in this process; each open stream holds one until it ends.
#[derive(Clone)]
pub struct StreamCap {
    slots: Arc<Semaphore>,
    max: usize,
    reclaim: Arc<Reclaim>,
}

impl StreamCap {
    pub fn new(max: usize) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(max)),
            max,
            reclaim: Arc::default(),
        }
    }

    /// How many streams are open now.
    pub fn open(&self) -> usize {
        self.max - self.slots.available_permits()
    }
}

pub async fn stream(
    hub: LiveHub,
    cap: StreamCap,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let cursor = headers
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .map(|text| ("the Last-Event-ID header", text.to_owned()))
        .or_else(|| query.get("after").map(|text| ("after", text.clone())));
    let after = match cursor {
        None => None,
        Some((name, text)) => match text.trim().parse::<i64>() {
            Ok(position) if position >= 0 => Some(position),
            _ => {
                return (
                    StatusCode::BAD_REQUEST,
                    format!("{name} must be a stream position (a whole number ≥ 0), not {text:?}"),
                )
                    .into_response()
            }
        },
    };
    let Ok(permit) = Arc::clone(&cap.slots).try_acquire_owned() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, BUSY_RETRY_SECONDS.to_string())],
            "Too many live connections to this server right now; try again shortly.\n",
        )
            .into_response();
    };
    let slot = Slot {
        _permit: permit,
        reclaim: Arc::clone(&cap.reclaim),
    };
    Sse::new(events(hub.follow(after), slot))
        .keep_alive(KeepAlive::new().interval(HEARTBEAT))
        .into_response()
}

/// An open stream's place under the cap, given back when the stream is dropped.
struct Slot {
    _permit: OwnedSemaphorePermit,
    reclaim: Arc<Reclaim>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.reclaim.stream_closed();
    }
}

/// The stream's events; `slot` is released when the stream is dropped.
fn events(
    receiver: tokio::sync::mpsc::Receiver<LiveEvent>,
    slot: Slot,
) -> impl Stream<Item = Result<Event, Infallible>> {
    futures::stream::unfold(
        (receiver, true, slot),
        |(mut receiver, first, slot)| async move {
            let event = match receiver.recv().await? {
                LiveEvent::Hello { position } => Event::default()
                    .event(HELLO_EVENT)
                    .id(position.to_string())
                    .data(position.to_string()),
                LiveEvent::Resync { position } => Event::default()
                    .event(RESYNC_EVENT)
                    .id(position.to_string())
                    .data(position.to_string()),
                LiveEvent::Change(change) => Event::default()
                    .event(CHANGE_EVENT)
                    .id(change.position.to_string())
                    .data(change.json()),
                LiveEvent::Database { reachable } => {
                    Event::default().event(DATABASE_EVENT).data(if reachable {
                        DATABASE_REACHABLE
                    } else {
                        DATABASE_UNREACHABLE
                    })
                }
            };
            let event = if first { event.retry(RETRY) } else { event };
            Some((Ok(event), (receiver, false, slot)))
        },
    )
}
