//! The browser side of live updates. A browser keeps at most six HTTP/1.1 connections to one
//! host, so a stream per tab starved every tab from the sixth on. Instead every tab of the app
//! joins one `SharedWorker` (`/live-worker.js`) that holds the browser's single `EventSource` on
//! `/api/events` and relays each change to the tabs. Where shared workers do not exist, a tab
//! opens its own stream as before.
//!
//! A tab joins with the position its page was rendered at. The worker replays what it relayed
//! since then; when it cannot (the page is older than what the worker kept, or newer than what
//! it has seen), it answers `resync` and the tab reads its pages again.

use std::cell::RefCell;
use std::time::Duration;

use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{EventSource, MessageEvent, PageTransitionEvent, SharedWorker};

use super::{
    Change, Connection, Live, BUSY_RETRY_SECONDS, CHANGE_EVENT, DATABASE_EVENT,
    DATABASE_UNREACHABLE, HIGHLIGHT_MS, POSITION_ELEMENT_ID, RESYNC_EVENT,
};

/// Where the server serves the worker script.
const WORKER_URL: &str = "/live-worker.js";
const REOPEN_AFTER: Duration = Duration::from_secs(2);
/// A stream the server refused (at its cap, answered 503) is asked for again this much later.
const REOPEN_REFUSED_AFTER: Duration = Duration::from_secs(BUSY_RETRY_SECONDS as u64);

/// What keeps this tab connected; dropping it closes the connection.
enum Link {
    Shared {
        _worker: SharedWorker,
        _on_message: Closure<dyn FnMut(MessageEvent)>,
        _on_leave: Closure<dyn FnMut()>,
        _on_return: Closure<dyn FnMut(PageTransitionEvent)>,
    },
    Own {
        source: EventSource,
        _on_open: Closure<dyn FnMut()>,
        _on_change: Closure<dyn FnMut(MessageEvent)>,
        _on_database: Closure<dyn FnMut(MessageEvent)>,
        _on_resync: Closure<dyn FnMut(MessageEvent)>,
        _on_error: Closure<dyn FnMut()>,
    },
}

/// An own stream is replaced when it is reopened, and the old one must close. The shared link
/// lives as long as the page; leaving the worker is the `pagehide` listener's job.
impl Drop for Link {
    fn drop(&mut self) {
        if let Link::Own { source, .. } = self {
            source.close();
        }
    }
}

thread_local! {
    static LINK: RefCell<Option<Link>> = const { RefCell::new(None) };
    static PAGE_LIVE: RefCell<Option<Live>> = const { RefCell::new(None) };
    /// The regions being drawn again now, and whether another change arrived meanwhile.
    static REDRAWING: RefCell<Vec<(String, bool)>> = const { RefCell::new(Vec::new()) };
}

/// This page's live state: made, and connected to the stream, by the first island that asks.
pub fn page_live() -> Live {
    if let Some(live) = PAGE_LIVE.with(|page| *page.borrow()) {
        return live;
    }
    let live = Live::new(rendered_position());
    PAGE_LIVE.with(|page| page.replace(Some(live)));
    connect(live);
    live
}

/// Reads the position the server wrote into the page.
pub fn rendered_position() -> i64 {
    document()
        .get_element_by_id(POSITION_ELEMENT_ID)
        .and_then(|element| element.get_attribute("data-position"))
        .and_then(|text| text.parse().ok())
        .unwrap_or(0)
}

/// Connects this page to the change stream; called once.
fn connect(live: Live) {
    live.connection.set(Connection::Connecting);
    if let Some(link) = join_worker(live) {
        LINK.with(|current| current.replace(Some(link)));
    } else {
        open(live);
    }
}

/// Joins the browser's shared stream. `None` where the browser has no shared workers.
fn join_worker(live: Live) -> Option<Link> {
    let worker = SharedWorker::new(WORKER_URL).ok()?;
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        if let Some(message) = event.data().as_string() {
            relay(live, &message);
        }
    });
    let port = worker.port();
    port.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // A tab that goes away says so, so the worker stops writing to it; one the browser brings
    // back from its page cache joins again from where it stopped.
    let on_leave = {
        let worker = worker.clone();
        Closure::<dyn FnMut()>::new(move || leave(&worker))
    };
    let on_return = {
        let worker = worker.clone();
        Closure::<dyn FnMut(PageTransitionEvent)>::new(move |event: PageTransitionEvent| {
            if event.persisted() {
                follow(&worker, live);
            }
        })
    };
    let window = window();
    let _ = window.add_event_listener_with_callback("pagehide", on_leave.as_ref().unchecked_ref());
    let _ = window.add_event_listener_with_callback("pageshow", on_return.as_ref().unchecked_ref());
    follow(&worker, live);
    Some(Link::Shared {
        _worker: worker,
        _on_message: on_message,
        _on_leave: on_leave,
        _on_return: on_return,
    })
}

fn follow(worker: &SharedWorker, live: Live) {
    let _ = worker
        .port()
        .post_message(&format!("follow {}", live.cursor()).into());
}

fn leave(worker: &SharedWorker) {
    let _ = worker.port().post_message(&"leave".into());
}

/// Applies one message from the worker: `state NAME`, `resync`, or `change JSON`.
fn relay(live: Live, message: &str) {
    let (kind, body) = message.split_once(' ').unwrap_or((message, ""));
    match kind {
        "change" => receive(live, body),
        "resync" => live.resync(),
        "state" => live.connection.set(match body {
            "live" => Connection::Live,
            "reconnecting" => Connection::Reconnecting,
            "refused" => Connection::Refused,
            "database-down" => Connection::DatabaseDown,
            _ => Connection::Connecting,
        }),
        _ => leptos::logging::warn!("ignoring a message from the live worker: {message}"),
    }
}

fn receive(live: Live, data: &str) {
    match serde_json::from_str::<Change>(data) {
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
}

/// This tab's own stream, where there is no shared worker.
fn open(live: Live) {
    let url = format!("/api/events?after={}", live.cursor());
    let Ok(source) = EventSource::new(&url) else {
        reopen_later(live, REOPEN_AFTER);
        return;
    };
    let on_open = Closure::<dyn FnMut()>::new(move || live.connection.set(Connection::Live));
    let on_change = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        if let Some(data) = event.data().as_string() {
            receive(live, &data);
        }
    });
    let on_database = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        live.connection
            .set(database_state(event.data().as_string().as_deref()));
    });
    let on_resync = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        if let Some(position) = event.data().as_string().and_then(|data| data.parse().ok()) {
            live.resync_after(position);
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
    let _ = source
        .add_event_listener_with_callback(DATABASE_EVENT, on_database.as_ref().unchecked_ref());
    let _ =
        source.add_event_listener_with_callback(RESYNC_EVENT, on_resync.as_ref().unchecked_ref());
    let link = Link::Own {
        source,
        _on_open: on_open,
        _on_change: on_change,
        _on_database: on_database,
        _on_resync: on_resync,
        _on_error: on_error,
    };
    LINK.with(|current| current.replace(Some(link)));
}

/// The connection a `database` event announces: still open, with or without the database.
fn database_state(data: Option<&str>) -> Connection {
    if data == Some(DATABASE_UNREACHABLE) {
        Connection::DatabaseDown
    } else {
        Connection::Live
    }
}

/// Draws the region with this element id again: reads this page (or `source`) from the server
/// and puts the region's new content in place of the old. Changes that arrive while a redraw is
/// under way cause one more redraw after it, not one each. A region marked `data-dormant` (a
/// closed pane) is only drawn again when `forced`.
pub fn redraw(id: &str, source: Option<&str>, forced: bool) {
    let dormant = document()
        .query_selector(&format!("#{id} [data-dormant]"))
        .ok()
        .flatten()
        .is_some();
    if dormant && !forced {
        return;
    }
    let busy = REDRAWING.with(|redrawing| {
        let mut redrawing = redrawing.borrow_mut();
        match redrawing.iter_mut().find(|(region, _)| region == id) {
            Some((_, again)) => {
                *again = true;
                true
            }
            None => {
                redrawing.push((id.to_owned(), false));
                false
            }
        }
    });
    if busy {
        return;
    }
    let id = id.to_owned();
    let source = source.map(str::to_owned);
    leptos::task::spawn_local(async move {
        loop {
            if let Some(html) = fetch_page(source.as_deref()).await {
                replace_region(&id, &html);
            }
            let again = REDRAWING.with(|redrawing| {
                let mut redrawing = redrawing.borrow_mut();
                let index = redrawing.iter().position(|(region, _)| *region == id)?;
                let again = redrawing[index].1;
                if again {
                    redrawing[index].1 = false;
                } else {
                    redrawing.remove(index);
                }
                Some(again)
            });
            if again != Some(true) {
                return;
            }
        }
    });
}

/// Whether the region with this element id is being drawn again now.
pub fn is_redrawing(id: &str) -> bool {
    REDRAWING.with(|redrawing| redrawing.borrow().iter().any(|(region, _)| region == id))
}

/// The page at `source` (by default, this one) as the server draws it now.
pub async fn fetch_page(source: Option<&str>) -> Option<String> {
    let href = match source {
        Some(source) => source.to_owned(),
        None => window().location().href().ok()?,
    };
    let response = wasm_bindgen_futures::JsFuture::from(window().fetch_with_str(&href))
        .await
        .ok()?
        .dyn_into::<web_sys::Response>()
        .ok()?;
    if !response.ok() {
        return None;
    }
    wasm_bindgen_futures::JsFuture::from(response.text().ok()?)
        .await
        .ok()?
        .as_string()
}

/// Puts the content of the element with this id in `html` (a whole page) in place of the
/// content of the one on this page.
pub fn replace_region(id: &str, html: &str) {
    let Ok(parser) = web_sys::DomParser::new() else {
        return;
    };
    let Ok(fresh) = parser.parse_from_string(html, web_sys::SupportedType::TextHtml) else {
        return;
    };
    if let (Some(fresh), Some(shown)) = (
        fresh.get_element_by_id(id),
        document().get_element_by_id(id),
    ) {
        shown.set_inner_html(&fresh.inner_html());
        highlight_fresh(&shown);
    }
}

/// Marks the entries of changes still highlighted (`data-position`) in freshly drawn HTML, as
/// the islands mark the rows they patch, and unmarks them when the highlight ends.
fn highlight_fresh(region: &web_sys::Element) {
    let live = page_live();
    let Ok(entries) = region.query_selector_all("[data-position]") else {
        return;
    };
    for index in 0..entries.length() {
        let Some(entry) = entries
            .item(index)
            .and_then(|node| node.dyn_into::<web_sys::Element>().ok())
        else {
            continue;
        };
        let position = entry
            .get_attribute("data-position")
            .and_then(|position| position.parse().ok());
        if position.is_some_and(|position| live.is_fresh_position(position)) {
            let _ = entry.class_list().add_1("just-changed");
            set_timeout(
                move || {
                    let _ = entry.class_list().remove_1("just-changed");
                },
                Duration::from_millis(u64::from(HIGHLIGHT_MS)),
            );
        }
    }
}

/// The form a submit event is for, its ordinary post stopped so the caller can send it instead.
pub fn take_over(event: &web_sys::SubmitEvent) -> Option<web_sys::HtmlFormElement> {
    let form = event
        .target()?
        .dyn_into::<web_sys::HtmlFormElement>()
        .ok()?;
    event.prevent_default();
    Some(form)
}

/// Disables (`held`) or enables again the form's buttons, so a second click cannot send a post
/// that is under way again. A part of the page drawn from the answer brings new buttons.
pub fn hold_buttons(form: &web_sys::HtmlFormElement, held: bool) {
    let Ok(buttons) = form.query_selector_all("button") else {
        return;
    };
    for index in 0..buttons.length() {
        if let Some(button) = buttons
            .item(index)
            .and_then(|button| button.dyn_into::<web_sys::Element>().ok())
        {
            let _ = if held {
                button.set_attribute("disabled", "")
            } else {
                button.remove_attribute("disabled")
            };
        }
    }
}

/// Posts `form` as the browser would, asking for `accept`, and answers the status and body the
/// server sent. Asked for `text/html`, the server treats it as a plain post and answers with a
/// redirect, which fetch follows: the body is then the page the browser would have landed on.
/// `None`: no answer at all (the server, or the network to it, is down).
pub async fn submit(form: &web_sys::HtmlFormElement, accept: &str) -> Option<(u16, String)> {
    let data = web_sys::FormData::new_with_form(form).ok()?;
    let body = web_sys::UrlSearchParams::new_with_str_sequence_sequence(&data).ok()?;
    let headers = web_sys::Headers::new().ok()?;
    headers
        .set("Content-Type", "application/x-www-form-urlencoded")
        .ok()?;
    headers.set("Accept", accept).ok()?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&body.to_string().into());
    init.set_headers(&headers);
    let response = wasm_bindgen_futures::JsFuture::from(
        window().fetch_with_str_and_init(&form.action(), &init),
    )
    .await
    .ok()?
    .dyn_into::<web_sys::Response>()
    .ok()?;
    let text = wasm_bindgen_futures::JsFuture::from(response.text().ok()?)
        .await
        .ok()?
        .as_string()?;
    Some((response.status(), text))
}

fn reopen_later(live: Live, after: Duration) {
    set_timeout(
        move || {
            LINK.with(|current| current.replace(None));
            open(live);
        },
        after,
    );
}
