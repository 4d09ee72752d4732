//! `/learn/cqrs`: a rule on the read model refuses an append, and the log does not move.

use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use super::{attempt_refused_append, ReadModelRefusal};
use crate::lessons::{LearnHeading, StatementsRun};
use crate::pages::PageError;

/// `/learn/cqrs?run=1`: a rule on the read model refuses an append. Runs only from the form
/// (`run=1`); the read model is locked for the few milliseconds the rule exists.
#[component]
pub fn CqrsPage() -> impl IntoView {
    let query = use_query_map();
    let asked = move || query.with(|query| query.get("run").is_some());
    let report = Resource::new(asked, |asked| async move {
        match asked {
            true => attempt_refused_append().await.map(Some),
            false => Ok(None),
        }
    });
    view! {
        <section class="learn" aria-labelledby="cqrs-heading">
            <LearnHeading id="cqrs-heading" title="CQRS: a read model kept in the same transaction" />
            <p class="lede">
                "Writes go to the log (" <code>"task_versions"</code> "); reads come from the read "
                "model (" <code>"task_current"</code> "), one row per task. A trigger on the log "
                "writes the read model inside the append's own transaction, so the two cannot "
                "drift, and a rule on the read model refuses the append itself. The button adds "
                "such a rule for one transaction, tries to append a task it forbids, and rolls "
                "everything back."
            </p>
            <Form method="GET" action="" attr:class="replay-form">
                <input type="hidden" name="run" value="1" />
                <button type="submit" class="button-primary">"Try an append the read model refuses"</button>
            </Form>
            <Transition fallback=|| view! { <p class="loading">"Trying…"</p> }>
                {move || Suspend::new(async move {
                    match report.await {
                        Ok(Some(report)) => view! { <RefusalOutcome report /> }.into_any(),
                        Ok(None) => ().into_any(),
                        Err(error) => view! { <PageError error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn RefusalOutcome(report: ReadModelRefusal) -> impl IntoView {
    let verdict = match &report.refusal {
        Some(message) => view! {
            <p class="replay-verdict replay-match">"The database refused the append:"</p>
            <pre class="db-message">{message.clone()}</pre>
        }
        .into_any(),
        None => view! {
            <p class="replay-verdict replay-mismatch">
                "The append went through: the read model's rule did not stop it (it was rolled back anyway)."
            </p>
        }
        .into_any(),
    };
    view! {
        <section class="replay-outcome" aria-labelledby="cqrs-outcome-heading" aria-live="polite">
            <h2 id="cqrs-outcome-heading">{format!("Appending “{}”", report.title)}</h2>
            {verdict}
            <p>
                {format!(
                    "The log's newest position before the attempt: {}; after it: {}. The trigger's failure rolled the append back with it.",
                    report.head_before, report.head_after,
                )}
            </p>
            <StatementsRun statements=report.statements />
        </section>
    }
}
