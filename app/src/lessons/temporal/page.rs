//! `/learn/temporal`: the periods of a task and the board at a change, read two ways.

use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use super::{temporal_board, Period, TemporalReport};
use crate::lessons::{LearnHeading, StatementsRun};
use crate::pages::PageError;

/// `/learn/temporal?at_change=N`: the log as periods of recorded time, and the board at change N read
/// through the periods view and through the index walk the app's time travel uses.
#[component]
pub fn TemporalPage() -> impl IntoView {
    let query = use_query_map();
    let at_change = move || query.with(|query| query.get("at_change").unwrap_or_default());
    let report = Resource::new(at_change, temporal_board);
    view! {
        <section class="learn" aria-labelledby="temporal-heading">
            <LearnHeading id="temporal-heading" title="Temporal queries: versions as periods of recorded time" />
            <p class="lede">
                "Each version was the newest the database held from its " <code>"recorded_at"</code>
                " until the next version's: a period " <code>"[recorded_at, superseded_at)"</code>
                " of recorded time (SQL:2011's system time), open-ended for the newest. (A version "
                "also states since when its content held in the world, its " <code>"valid_from"</code>
                "; this page reads recorded time only.) The view " <code>"task_version_periods"</code> " computes the periods "
                "with a window function over the log, so it stores nothing twice. The board at an "
                "instant is every version whose period contains it."
            </p>
            <Form method="GET" action="" attr:class="replay-form">
                <label for="temporal-at">"The board at change (a position; blank: halfway through the log)"</label>
                <input id="temporal-at" name="at_change" inputmode="numeric" value=at_change />
                <button type="submit" class="button-primary">"Show the board then"</button>
            </Form>
            <Transition fallback=|| view! { <p class="loading">"Reading the periods…"</p> }>
                {move || Suspend::new(async move {
                    match report.await {
                        Ok(report) => view! { <TemporalOutcome report /> }.into_any(),
                        Err(error) => view! { <PageError error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn TemporalOutcome(report: TemporalReport) -> impl IntoView {
    let same = report.same_board();
    let instant = crate::time::exact(report.at);
    let period_end = |period: &Period| match period.superseded_at {
        Some(to) => crate::time::exact(to),
        None => "now (newest)".to_owned(),
    };
    let periods = (!report.periods.is_empty()).then(|| {
        let title = report.periods[0].title.clone();
        view! {
            <h2>"The periods of one task: “" {title} "”"</h2>
            <table class="replay-digests periods">
                <thead>
                    <tr><th scope="col">"version"</th><th scope="col">"recorded at"</th><th scope="col">"superseded at"</th><th scope="col">"state"</th></tr>
                </thead>
                <tbody>
                    {report
                        .periods
                        .iter()
                        .map(|period| {
                            let state = if period.deleted { "deleted".to_owned() } else { period.title.clone() };
                            view! {
                                <tr>
                                    <td>{format!("v{}", period.version)}</td>
                                    <td>{crate::time::exact(period.recorded_at)}</td>
                                    <td>{period_end(period)}</td>
                                    <td>{state}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        }
    });
    view! {
        <section class="replay-outcome" aria-labelledby="temporal-outcome-heading" aria-live="polite">
            <h2 id="temporal-outcome-heading">{format!("The board at {instant}")}</h2>
            <p class=if same { "replay-verdict replay-match" } else { "replay-verdict replay-mismatch" }>
                {if same {
                    format!("Both reads found the same {} versions, in the same order.", report.through_view.rows.len())
                } else {
                    "The two reads disagree: the view and the time-travel statement found different versions.".to_owned()
                }}
            </p>
            <table class="replay-digests">
                <thead>
                    <tr><th scope="col">"read"</th><th scope="col">"rows"</th><th scope="col">"time"</th></tr>
                </thead>
                <tbody>
                    <tr><th scope="row">"through the periods view"</th><td>{report.through_view.rows.len()}</td><td>{format!("{:.2} ms", report.through_view.elapsed_ms)}</td></tr>
                    <tr><th scope="row">"through the index walk (the app's time travel)"</th><td>{report.through_index.rows.len()}</td><td>{format!("{:.2} ms", report.through_index.elapsed_ms)}</td></tr>
                </tbody>
            </table>
            <p>
                "A condition on a window function's result cannot use an index, so the view "
                "computes every version's period before it filters; the index walk reads about a "
                "page of versions. On a big board the difference is orders of magnitude."
            </p>
            {periods}
            <h2>"The view, as the database holds it"</h2>
            <pre class="db-sql">{report.view_definition.clone()}</pre>
            <StatementsRun statements=vec![report.through_view.statement.clone(), report.through_index.statement.clone()] />
        </section>
    }
}
