//! `/learn/two-times`: valid time against recorded time, on the live data.

use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use super::{read_both_times, TwoTimesReport};
use crate::lessons::{LearnHeading, StatementsRun};
use crate::pages::PageError;

/// `/learn/two-times?valid_at=…&known_at=…`: the log's late news and corrections, and the board
/// at one moment as the log knows it now and as it said it then.
#[component]
pub fn TwoTimesPage() -> impl IntoView {
    let query = use_query_map();
    let asked = move || {
        query.with(|query| {
            (
                query.get("valid_at").unwrap_or_default(),
                query.get("known_at").unwrap_or_default(),
            )
        })
    };
    let report = Resource::new(asked, |(valid_at, known_at)| {
        read_both_times(valid_at, known_at)
    });
    view! {
        <section class="learn" aria-labelledby="two-times-heading">
            <LearnHeading id="two-times-heading" title="Valid time and recorded time" />
            <p class="lede">
                "A version carries two times. " <code>"recorded_at"</code> " is when the log "
                "learned something, from the database's clock; " <code>"valid_from"</code> " is "
                "since when it held in the world, as the person who wrote it said. They part when "
                "news comes late (“done as of Tuesday 17:00”, typed on Wednesday) and when someone "
                "corrects the past (“it was actually done on Monday”). Neither rewrites a row: the "
                "correction is one more version whose valid time lies before its predecessor's."
            </p>
            <p>
                "So the board at a moment has two readings: what we now know was true then, and "
                "what the log said at that moment. The first takes, for each task, the newest "
                "version recorded by the second time that held by the first; the second is the "
                "time-travel board. Where they differ, the log learned something about the past "
                "after the fact."
            </p>
            <Form method="GET" action="" attr:class="replay-form">
                <label for="two-times-valid">"True at (UTC; blank: the latest back-dated time)"</label>
                <input id="two-times-valid" name="valid_at" type="datetime-local" step="1"
                    value=move || crate::time::form_value(&asked().0) />
                <label for="two-times-known">"As known at (UTC; blank: now)"</label>
                <input id="two-times-known" name="known_at" type="datetime-local" step="1"
                    value=move || crate::time::form_value(&asked().1) />
                <button type="submit" class="button-primary">"Read the board both ways"</button>
            </Form>
            <Transition fallback=|| view! { <p class="loading">"Reading the log…"</p> }>
                {move || Suspend::new(async move {
                    match report.await {
                        Ok(report) => view! { <TwoTimesOutcome report /> }.into_any(),
                        Err(error) => view! { <PageError error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn TwoTimesOutcome(report: TwoTimesReport) -> impl IntoView {
    let valid = crate::time::exact(report.valid_at);
    let known = crate::time::exact(report.known_at);
    let differing = report.differences();
    let different = differing.len();
    let differences = differing
        .into_iter()
        .map(|(later, then)| {
            let said = match then {
                Some(then) => format!("{} (v{})", then.state, then.version),
                None => "not in the log yet (or not on its first page)".to_owned(),
            };
            view! {
                <tr>
                    <td><a href=format!("/tasks/{}/history?version={}", later.entity_id, later.version)>{later.title.clone()}</a></td>
                    <td>{format!("{} (v{})", later.state, later.version)}</td>
                    <td>{said}</td>
                </tr>
            }
        })
        .collect_view();
    let backdated = report
        .backdated
        .iter()
        .map(|version| {
            view! {
                <tr>
                    <td><a href=format!("/tasks/{}/history?version={}", version.entity_id, version.version)>{format!("{} v{}", version.title, version.version)}</a></td>
                    <td>{crate::time::exact(version.valid_from)}</td>
                    <td>{crate::time::exact(version.recorded_at)}</td>
                    <td>{version.note.clone().unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    let statements = vec![
        report.backdated_statement.clone(),
        report.known_later.statement.clone(),
        report.said_then.statement.clone(),
    ];
    view! {
        <section class="replay-outcome" aria-labelledby="two-times-outcome-heading" aria-live="polite">
            <h2 id="two-times-outcome-heading">{format!("The board at {valid}")}</h2>
            <p class="replay-verdict">
                {format!(
                    "As known at {known}: {} tasks ({:.2} ms). As the log said it at {valid}: {} tasks ({:.2} ms). {different} read differently.",
                    report.known_later.rows.len(),
                    report.known_later.elapsed_ms,
                    report.said_then.rows.len(),
                    report.said_then.elapsed_ms,
                )}
            </p>
            {(different > 0).then(|| view! {
                <table class="replay-digests">
                    <thead>
                        <tr><th scope="col">"task"</th><th scope="col">{format!("as known at {known}")}</th><th scope="col">{format!("as the log said at {valid}")}</th></tr>
                    </thead>
                    <tbody>{differences}</tbody>
                </table>
            })}
            <h2>"Back-dated versions in the log"</h2>
            {if report.backdated.is_empty() {
                view! { <p>"None yet: every version holds from when it was recorded. Edit a task and set “True since” to an earlier time."</p> }.into_any()
            } else {
                view! {
                    <table class="replay-digests backdated">
                        <thead>
                            <tr><th scope="col">"version"</th><th scope="col">"true since"</th><th scope="col">"recorded"</th><th scope="col">"note"</th></tr>
                        </thead>
                        <tbody>{backdated}</tbody>
                    </table>
                }
                .into_any()
            }}
            <p>
                "The board as known later merges two short index walks: versions that held from "
                "their recording, down the recorded-time index, and back-dated ones, down a partial "
                "index that holds only them. A version is replaced by a later one only if that was "
                "known by then and held by then: its direct successor, or a back-dated version."
            </p>
            <StatementsRun statements />
        </section>
    }
}
