//! `/database`: the database's side of the story, for the classroom. Everything here is read
//! from the database's own catalog, not from the app's code, and the "try it" forms send real
//! UPDATE, DELETE and TRUNCATE statements so the refusal on screen is the database's own words.
//! The attempts are POSTs (they take table locks, which no GET should); without JavaScript the
//! form posts, and the answer comes back with the redirect to this page.

use leptos::prelude::*;

use super::{
    inspect_database, last_attempt, AttemptTamper, DatabaseFacts, Rule, Tamper, TamperOutcome,
};
use crate::pages::live_region::{Follows, LiveRegion};
use crate::pages::PageError;

#[component]
pub fn DatabasePage() -> impl IntoView {
    let attempt = ServerAction::<AttemptTamper>::new();
    let facts = Resource::new(|| (), |_| inspect_database());
    // A button's outcome travels to this page in a cookie, as the post redirects back here.
    let posted = Resource::new(|| (), |_| last_attempt());

    view! {
        <section class="database" aria-labelledby="database-heading">
            <div class="page-heading">
                <h1 id="database-heading">"Inside the database"</h1>
            </div>
            <p class="lede">
                "The rules that keep history intact live in the database, not in this app. "
                "Everything below is read back from the database's own catalog, and the buttons "
                "send real statements to it."
            </p>
            <TryToRewrite attempt />
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match posted.await.transpose() {
                        Some(Ok(outcome)) => view! { <AttemptOutcome outcome /> }.into_any(),
                        Some(Err(error)) => view! { <PageError error /> }.into_any(),
                        None => ().into_any(),
                    }
                })}
            </Transition>
            <LiveRegion id="database-live".to_owned() follows=Follows::Board source="/database".to_owned()>
            <Transition fallback=|| view! { <p class="loading">"Reading the catalog…"</p> }>
                {move || Suspend::new(async move {
                    match facts.await {
                        Ok(facts) => view! { <Facts facts /> }.into_any(),
                        Err(error) => view! { <PageError error /> }.into_any(),
                    }
                })}
            </Transition>
            </LiveRegion>
        </section>
    }
}

#[component]
fn TryToRewrite(attempt: ServerAction<AttemptTamper>) -> impl IntoView {
    view! {
        <section class="db-try" aria-labelledby="db-try-heading">
            <h2 id="db-try-heading">"Try to rewrite history"</h2>
            <p>
                "Each button sends one statement to the database, inside a transaction that is "
                "rolled back whatever happens, so even a database without its guards would keep "
                "its rows."
            </p>
            <ActionForm action=attempt attr:class="db-try-buttons">
                {Tamper::ALL
                    .into_iter()
                    .map(|tamper| {
                        view! {
                            <button type="submit" class="button-danger" name="attempt" value=tamper.as_str()>
                                {tamper.label()}
                            </button>
                        }
                    })
                    .collect_view()}
            </ActionForm>
        </section>
    }
}

#[component]
fn AttemptOutcome(outcome: TamperOutcome) -> impl IntoView {
    let verdict = match (&outcome.refusal, outcome.rows_before) {
        (Some(message), _) => {
            // PostgreSQL checks privileges before any trigger runs, so for the app's own role the
            // revoked privilege answers first.
            let privilege = message.contains("permission denied").then(|| {
                view! {
                    <p class="db-layer">
                        "This answer came from the privileges the app's role gave up. The triggers "
                        "stand behind them and refuse even a role that holds every privilege."
                    </p>
                }
            });
            view! {
                <p class="db-verdict db-refused">"The database refused it:"</p>
                <pre class="db-message">{message.clone()}</pre>
                {privilege}
            }
            .into_any()
        }
        (None, 0) => view! {
            <p class="db-verdict">
                "No row matched: the table is empty, so there was nothing to rewrite. Create a task and try again."
            </p>
        }
        .into_any(),
        (None, _) => view! {
            <p class="db-verdict db-allowed">
                "The database let it through! Its guards are missing; the transaction was rolled back."
            </p>
        }
        .into_any(),
    };
    view! {
        <section class="db-outcome" aria-labelledby="db-outcome-heading" aria-live="polite">
            <h2 id="db-outcome-heading">{format!("You tried: {}", outcome.tamper.label())}</h2>
            <pre class="db-sql"><code>{outcome.statement}</code></pre>
            {verdict}
            <p class="db-rows">
                {format!(
                    "Rows in task_versions before the attempt: {}; after: {}.",
                    outcome.rows_before,
                    outcome.rows_after
                )}
            </p>
        </section>
    }
}

#[component]
fn Facts(facts: DatabaseFacts) -> impl IntoView {
    let privileges = (!facts.privileges.is_empty()).then(|| {
        let superuser = facts.superuser.then(|| {
            view! {
                <p>
                    "The app connects as a superuser, who holds every privilege whatever was "
                    "revoked. That is why the triggers come first: they refuse even a superuser."
                </p>
            }
        });
        view! {
            <h3>"Privileges of the app's role"</h3>
            <ul class="db-privileges">
                {facts
                    .privileges
                    .into_iter()
                    .map(|privilege| {
                        let state = if privilege.held { "held" } else { "revoked" };
                        view! { <li><code>{privilege.statement}</code>": "{state}</li> }
                    })
                    .collect_view()}
            </ul>
            {superuser}
        }
    });
    view! {
        <section class="db-sizes" aria-labelledby="db-sizes-heading">
            <h2 id="db-sizes-heading">{format!("One log, one read model ({})", facts.backend)}</h2>
            <dl class="db-counts">
                <div>
                    <dt>"Versions in " <code>"task_versions"</code></dt>
                    <dd id="db-version-rows">{facts.version_rows}</dd>
                </div>
                <div>
                    <dt>"Rows in " <code>"task_current"</code></dt>
                    <dd id="db-current-rows">{facts.current_rows}</dd>
                </div>
                <div>
                    <dt>"Live tasks"</dt>
                    <dd id="db-live-tasks">{facts.live_tasks}</dd>
                </div>
            </dl>
            <p>
                "The log only grows: every change appends one row to task_versions. A trigger "
                "keeps task_current, one row per task pointing at its latest version, in step "
                "inside the same transaction, so the task list reads "
                {facts.current_rows} " rows, not " {facts.version_rows} "."
            </p>
        </section>
        <section class="db-rules" aria-labelledby="db-rules-heading">
            <h2 id="db-rules-heading">"The guards, as the catalog stores them"</h2>
            {privileges}
            <h3>"Triggers on task_versions"</h3>
            <Rules rules=facts.triggers />
            <h3>"Constraints"</h3>
            <Rules rules=facts.constraints />
        </section>
    }
}

#[component]
fn Rules(rules: Vec<Rule>) -> impl IntoView {
    view! {
        <ul class="db-rule-list">
            {rules
                .into_iter()
                .map(|rule| {
                    let body = rule.function_body.map(|body| {
                        view! {
                            <p class="db-function">"The function it runs:"</p>
                            <pre class="db-sql"><code>{body}</code></pre>
                        }
                    });
                    view! {
                        <li class="db-rule">
                            <h4><code>{rule.name}</code></h4>
                            <pre class="db-sql"><code>{rule.definition}</code></pre>
                            {body}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}
