//! `GET /api/events`: the change stream as server-sent events. Each event's id is the version's
//! position, so a browser that reconnects sends `Last-Event-ID` and is caught up from there.
//! A first connection passes `?after=POSITION`, the position its page was rendered at.

use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;

use app::live::hub::{LiveEvent, LiveHub};
use app::live::{CHANGE_EVENT, HELLO_EVENT};
use axum::extract::Query;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;

/// How soon a browser retries after the stream drops (a restart, a blip).
const RETRY: Duration = Duration::from_secs(1);

pub async fn stream(
    hub: LiveHub,
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
    Sse::new(events(hub.follow(after)))
        .keep_alive(KeepAlive::default())
        .into_response()
}

fn events(
    receiver: tokio::sync::mpsc::Receiver<LiveEvent>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    futures::stream::unfold((receiver, true), |(mut receiver, first)| async move {
        let event = match receiver.recv().await? {
            LiveEvent::Hello { position } => Event::default()
                .event(HELLO_EVENT)
                .id(position.to_string())
                .data(position.to_string()),
            LiveEvent::Change(change) => Event::default()
                .event(CHANGE_EVENT)
                .id(change.position.to_string())
                .json_data(&change)
                .unwrap_or_else(|_| Event::default().comment("unencodable change")),
        };
        let event = if first { event.retry(RETRY) } else { event };
        Some((Ok(event), (receiver, false)))
    })
}
