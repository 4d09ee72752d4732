//! The browser side of live updates: an `EventSource` on `/api/events`. The browser reconnects
//! a dropped stream by itself and sends the last event id it saw, which is the last position;
//! when it gives up (the server answered with an error, say), a new stream is opened from the
//! cursor after a pause.

use std::cell::RefCell;
use std::time::Duration;

use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{EventSource, MessageEvent};

use super::{
    Change, Connection, Live, BUSY_RETRY_SECONDS, CHANGE_EVENT, HIGHLIGHT_MS, POSITION_ELEMENT_ID,
};

const REOPEN_AFTER: Duration = Duration::from_secs(2);
/// A stream the server refused (at its cap, answered 503) is asked for again this much later.
const REOPEN_REFUSED_AFTER: Duration = Duration::from_secs(BUSY_RETRY_SECONDS as u64);

/// An open stream and the callbacks it calls; dropping it closes the stream.
struct Stream {
    source: EventSource,
    _on_open: Closure<dyn FnMut()>,
    _on_change: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut()>,
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.source.close();
    }
}

thread_local! {
    static STREAM: RefCell<Option<Stream>> = const { RefCell::new(None) };
}

/// Reads the position the server wrote into the page.
pub fn rendered_position() -> i64 {
    document()
        .get_element_by_id(POSITION_ELEMENT_ID)
        .and_then(|element| element.get_attribute("data-position"))
        .and_then(|text| text.parse().ok())
        .unwrap_or(0)
}

/// Opens the stream for this page; called once, after hydration.
pub fn connect(live: Live) {
    live.connection.set(Connection::Connecting);
    open(live);
}

fn open(live: Live) {
    let url = format!("/api/events?after={}", live.cursor());
    let Ok(source) = EventSource::new(&url) else {
        reopen_later(live, REOPEN_AFTER);
        return;
    };
    let on_open = Closure::<dyn FnMut()>::new(move || live.connection.set(Connection::Live));
    let on_change = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let Some(data) = event.data().as_string() else {
            return;
        };
        match serde_json::from_str::<Change>(&data) {
            Ok(change) => {
                let position = change.position;
                if live.receive(change) {
                    set_timeout(
                        move || live.fade(position),
                        Duration::from_millis(u64::from(HIGHLIGHT_MS)),
                    );
                }
            }
            Err(error) => leptos::logging::warn!("ignoring a change that does not parse: {error}"),
        }
    });
    let on_error = {
        let source = source.clone();
        Closure::<dyn FnMut()>::new(move || {
            // CONNECTING means the browser lost the stream and is retrying on its own; CLOSED
            // means the server answered with an error status and the browser gave up.
            if source.ready_state() == EventSource::CLOSED {
                live.connection.set(Connection::Refused);
                reopen_later(live, REOPEN_REFUSED_AFTER);
            } else {
                live.connection.set(Connection::Reconnecting);
            }
        })
    };
    source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    // Listeners on a live EventSource only fail for a null callback, which this is not.
    let _ =
        source.add_event_listener_with_callback(CHANGE_EVENT, on_change.as_ref().unchecked_ref());
    let stream = Stream {
        source,
        _on_open: on_open,
        _on_change: on_change,
        _on_error: on_error,
    };
    STREAM.with(|current| current.replace(Some(stream)));
}

fn reopen_later(live: Live, after: Duration) {
    set_timeout(
        move || {
            STREAM.with(|current| current.replace(None));
            open(live);
        },
        after,
    );
}
