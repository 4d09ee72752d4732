//! `/learn/replay`: the replay, run on demand, and what it found.

use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use super::{replay_log, ReplayReport};
use crate::lessons::{LearnHeading, StatementsRun};
use crate::pages::PageError;

/// `/learn/replay`: runs when asked (`?run=1`, optionally `up_to=POSITION`), because at a
/// million versions a replay takes seconds and a page view should not.
#[component]
pub fn ReplayPage() -> impl IntoView {
    let query = use_query_map();
    let asked = move || query.with(|query| query.get("run").is_some());
    let up_to = move || query.with(|query| query.get("up_to").unwrap_or_default());
    let report = Resource::new(
        move || asked().then(up_to),
        |asked| async move {
            match asked {
                Some(up_to) => replay_log(up_to).await.map(Some),
                None => Ok(None),
            }
        },
    );
    view! {
        <section class="learn" aria-labelledby="replay-heading">
            <LearnHeading id="replay-heading" title="Event sourcing: replay the log" />
            <p class="lede">
                "The version table is the source of truth; " <code>"task_current"</code> ", the read "
                "model the lists use, can always be derived from it again. A replay folds the log in "
                "order into a scratch table: since each version holds the task's whole state, what "
                "is left for each task is its last version up to the chosen position. The replay "
                "runs in one transaction that is rolled back, so it changes nothing."
            </p>
            <Form method="GET" action="" attr:class="replay-form">
                <input type="hidden" name="run" value="1" />
                <label for="replay-up-to">"Up to position (blank: the newest)"</label>
                <input id="replay-up-to" name="up_to" inputmode="numeric" value=up_to />
                <button type="submit" class="button-primary">"Replay"</button>
            </Form>
            <Transition fallback=|| view! { <p class="loading">"Replaying…"</p> }>
                {move || Suspend::new(async move {
                    match report.await {
                        Ok(Some(report)) => view! { <ReplayOutcome report /> }.into_any(),
                        Ok(None) => ().into_any(),
                        Err(error) => view! { <PageError error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ReplayOutcome(report: ReplayReport) -> impl IntoView {
    let verdict = if report.matches() {
        view! {
            <p class="replay-verdict replay-match">
                "The replay equals the read model: same rows, same checksum."
            </p>
        }
        .into_any()
    } else if report.up_to < report.head {
        view! {
            <p class="replay-verdict">
                {format!(
                    "The board at position {} differs from today's read model in {} task(s): the changes after it.",
                    report.up_to, report.differing,
                )}
            </p>
        }
        .into_any()
    } else {
        view! {
            <p class="replay-verdict replay-mismatch">
                {format!(
                    "Mismatch: {} task(s) in the read model differ from the log. The read model no longer follows the log.",
                    report.differing,
                )}
            </p>
        }
        .into_any()
    };
    let differences = (!report.first_differences.is_empty()).then(|| {
        view! {
            <h2>"Differing tasks (first " {report.first_differences.len()} " of " {report.differing} ")"</h2>
            <ul class="replay-differences">
                {report
                    .first_differences
                    .iter()
                    .map(|difference| {
                        let side = |row: &Option<String>| row.clone().unwrap_or_else(|| "(no row)".to_owned());
                        view! {
                            <li>
                                <a href=format!("/tasks/{}/history", difference.entity_id)>{difference.entity_id.clone()}</a>
                                <dl>
                                    <dt>"replayed"</dt>
                                    <dd><code>{side(&difference.replayed)}</code></dd>
                                    <dt>"task_current"</dt>
                                    <dd><code>{side(&difference.current)}</code></dd>
                                </dl>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
    });
    view! {
        <section class="replay-outcome" aria-labelledby="replay-outcome-heading" aria-live="polite">
            <h2 id="replay-outcome-heading">
                {format!("Replayed positions 1–{} of {} in {:.1} ms", report.up_to, report.head, report.elapsed_ms)}
            </h2>
            {verdict}
            <table class="replay-digests">
                <thead>
                    <tr><th scope="col">"table"</th><th scope="col">"rows"</th><th scope="col">"SHA-256 of the rows in id order"</th></tr>
                </thead>
                <tbody>
                    <tr><th scope="row">"replayed (scratch table)"</th><td>{report.replayed.rows}</td><td><code>{report.replayed.sha256.clone()}</code></td></tr>
                    <tr><th scope="row"><code>"task_current"</code></th><td>{report.current.rows}</td><td><code>{report.current.sha256.clone()}</code></td></tr>
                </tbody>
            </table>
            {differences}
            <StatementsRun statements=report.statements />
        </section>
    }
}
