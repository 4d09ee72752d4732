//! `/learn`: the course's patterns, each shown on the app's own data. The index says where each
//! pattern lives in the app; the pages under it run one pattern on demand and show the SQL the
//! store ran for it.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;

use super::common::{posted_draft, submission_error, PageError};
use super::submission;
use super::submission::IdempotencyKeyInput;
use super::task_form::FormValues;
use crate::api::{create_task, get_task, list_tasks, CreateTask, NewTaskForm, UpdateTask};
use crate::error::AppError;
use crate::idempotency;
use crate::lessons::LearnHeading;
use crate::task::TaskVersion;

#[component]
pub fn LearnPage() -> impl IntoView {
    view! {
        <section class="learn" aria-labelledby="learn-heading">
            <div class="page-heading">
                <h1 id="learn-heading">"Learn: the patterns in this app"</h1>
            </div>
            <p class="lede">
                "Each pattern of immutable database design, and where to see it working on the "
                "tasks in this database. Everything runs on the live data, on SQLite or PostgreSQL."
            </p>
            <dl class="learn-list">
                <dt><a href="/database">"Append-only log"</a></dt>
                <dd>
                    "Every change appends a row to " <code>"task_versions"</code> "; triggers (and, on "
                    "PostgreSQL, revoked privileges) refuse UPDATE, DELETE and TRUNCATE. The database "
                    "page reads the guards from the catalog and lets you try to get past them."
                </dd>
                <dt><a href="/learn/replay">"Event sourcing and replay"</a></dt>
                <dd>
                    "The log is the source of truth. Rebuild the current state from it alone, up to "
                    "now or any earlier position, and check it against the read model."
                </dd>
                <dt><a href="/learn/idempotency">"Idempotent retries"</a></dt>
                <dd>
                    "Every write form carries a key; submitting it twice appends once. Send one "
                    "form twice and see both answers name the same version."
                </dd>
                <dt><a href="/learn/temporal">"Temporal queries"</a></dt>
                <dd>
                    "Each version is valid from its " <code>"recorded_at"</code> " until the next "
                    "one's: a view shows the periods and the board at any change, read two ways. "
                    "The time-travel control under the task list shows the whole board as it was at "
                    "any instant; each task's history steps through its versions."
                </dd>
                <dt><a href="/learn/snapshots">"Snapshots"</a></dt>
                <dd>
                    "The board at a change, stored every N changes; the past read from the nearest "
                    "snapshot plus the versions after it, against a fold of the whole log."
                </dd>
                <dt><a href="/activity">"The event log"</a></dt>
                <dd>"The version table read as a feed of changes, newest first, paged by position."</dd>
                <dt><a href="/learn/cqrs">"Read model kept by a trigger (CQRS)"</a></dt>
                <dd>
                    <code>"task_current"</code> " holds one row per task and is written only by a "
                    "trigger, in the same transaction as the append; the list pages read it, so they "
                    "cost O(tasks), not O(versions). A rule on it refuses the append itself."
                </dd>
                <dt><a href="/learn/concurrency">"Optimistic concurrency"</a></dt>
                <dd>
                    <code>"UNIQUE (entity_id, version)"</code> " lets only one of two editors who "
                    "started from the same version save: two editors of one task side by side. "
                    "Open a task's edit page in two tabs and save both to see the conflict screen."
                </dd>
                <dt><a href="/learn/statistics">"Materialized views"</a></dt>
                <dd>
                    "The board's statistics (tasks per status, changes per day and per person, "
                    "median time to done) stored by a materialized view on PostgreSQL, a rebuilt "
                    "table on SQLite: cheap to read, as stale as the last refresh, and the page says "
                    "by how much."
                </dd>
            </dl>
        </section>
    }
}

/// `/learn/idempotency`: one form sent twice at once with the same key. Without JavaScript the
/// form posts once; pressing Back and posting again shows the same: the answer names the task
/// the first post created.
const LAB_PATH: &str = "/learn/idempotency";

#[component]
pub fn IdempotencyPage() -> impl IntoView {
    let title = RwSignal::new("Submitted twice".to_owned());
    let key = RwSignal::new(submission::first_key());
    let twice = Action::new_local(move |(title, key): &(String, String)| {
        let (title, key) = (title.clone(), key.clone());
        async move {
            let send = || {
                create_task(NewTaskForm {
                    title: title.clone(),
                    note: "sent twice from the idempotency lab".to_owned(),
                    // A write answers with a redirect, which the router follows: back to this
                    // page, which stays mounted and keeps the answers on screen.
                    return_to: LAB_PATH.to_owned(),
                    idempotency_key: key.clone(),
                    ..NewTaskForm::default()
                })
            };
            let (first, second) = futures::future::join(send(), send()).await;
            TwoAnswers { key, first, second }
        }
    });
    let pending = twice.pending();
    Effect::new(move |_| {
        if twice.value().with(Option::is_some) {
            key.set(submission::browser_key());
        }
    });
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        twice.dispatch((title.get_untracked(), key.get_untracked()));
    };
    view! {
        <section class="learn" aria-labelledby="idempotency-heading">
            <LearnHeading id="idempotency-heading" title="Idempotent retries: submit twice, append once" />
            <p class="lede">
                "A double click, Back and resubmit, or a retry after a lost connection sends the "
                "same write again. Every write form here carries an idempotency key made when the "
                "form was drawn. The store records which version each key appended, in the same "
                "transaction as the append (table " <code>"idempotency_keys"</code> ", append-only "
                "like the log), and answers a repeated key with that version instead of appending."
            </p>
            <form method="post" action=CreateTask::PATH class="lab-form" on:submit=on_submit>
                <input type="hidden" name=idempotency::FIELD value=key />
                <input type="hidden" name="note" value="sent twice from the idempotency lab" />
                <label for="lab-title">"Title of the task to create"</label>
                <input id="lab-title" name="title" required maxlength="200" bind:value=title />
                <button type="submit" class="button-primary" disabled=pending>"Submit twice"</button>
                <p class="hint">
                    "The button sends this form twice at the same moment, with the same key. "
                    "Without JavaScript it sends it once: then press Back and send it again."
                </p>
            </form>
            {move || twice.value().get().map(|answers| view! { <TwoAnswersShown answers /> })}
        </section>
    }
}

#[derive(Clone)]
struct TwoAnswers {
    key: String,
    first: Result<TaskVersion, AppError>,
    second: Result<TaskVersion, AppError>,
}

#[component]
fn TwoAnswersShown(answers: TwoAnswers) -> impl IntoView {
    let describe = |answer: &Result<TaskVersion, AppError>| match answer {
        Ok(task) => format!(
            "version {} of task {} (row {}, position {})",
            task.version, task.entity_id, task.id, task.position
        ),
        Err(error) => format!("error: {error}"),
    };
    let verdict = match (&answers.first, &answers.second) {
        (Ok(first), Ok(second)) if first == second => format!(
            "Both answers name the same version: the log gained one row, at position {}.",
            first.position
        ),
        (Ok(_), Ok(_)) => "The two answers differ: the key did not protect this write.".to_owned(),
        _ => "At least one submission failed; see its answer.".to_owned(),
    };
    let task_link = answers
        .first
        .as_ref()
        .ok()
        .map(|task| view! { <p><a href=format!("/tasks/{}/history", task.entity_id)>"See the task's history"</a></p> });
    view! {
        <section class="lab-answers" aria-labelledby="lab-answers-heading" aria-live="polite">
            <h2 id="lab-answers-heading">"Two submissions, key " <code>{answers.key.clone()}</code></h2>
            <ol>
                <li>"First answer: " {describe(&answers.first)}</li>
                <li>"Second answer: " {describe(&answers.second)}</li>
            </ol>
            <p class="replay-verdict">{verdict}</p>
            {task_link}
        </section>
    }
}

/// `/learn/concurrency?task=ID&from=N`: two editors of one task side by side, both starting from
/// version N, for a projector. The first save appends N+1; the second asks for N+1 too and is
/// refused. Both are ordinary edit forms (`update_task`), so this works with JavaScript off:
/// each save comes back here, still starting from N.
#[component]
pub fn ConcurrencyPage() -> impl IntoView {
    let query = use_query_map();
    let task_id = move || query.with(|query| query.get("task").unwrap_or_default());
    let from = move || {
        query.with_untracked(|query| query.get("from").and_then(|from| from.parse::<i64>().ok()))
    };
    let task = Resource::new(task_id, |id| async move {
        if id.is_empty() {
            let list =
                list_tasks(String::new(), String::new(), String::new(), String::new()).await?;
            return Ok(Err(list.tasks.into_iter().take(8).collect::<Vec<_>>()));
        }
        get_task(id).await.map(|detail| Ok(detail.task))
    });
    view! {
        <section class="learn" aria-labelledby="concurrency-heading">
            <LearnHeading id="concurrency-heading" title="Optimistic concurrency: two editors, one version" />
            <p class="lede">
                "Both editors below opened the same version of one task. Each save asks to append "
                "the next version. The first gets it; the second asks for the same number and is "
                "refused, and nothing it typed overwrites the first. The store checks the version "
                "under a row lock, and the database has the last word: "
                <code>"UNIQUE (entity_id, version)"</code>
                " on the log refuses a second row with the same number, however the two saves race."
            </p>
            <Transition fallback=|| view! { <p class="loading">"Loading the task…"</p> }>
                {move || Suspend::new(async move {
                    match task.await {
                        Ok(Ok(task)) => {
                            // Read once: a save's redirect back here (adding `from` and
                            // `flash`) must not redraw the editors, or their answers go.
                            let from = from().unwrap_or(task.version);
                            view! { <TwoEditors task from /> }.into_any()
                        }
                        Ok(Err(tasks)) => view! { <PickTask tasks /> }.into_any(),
                        Err(error) => view! { <PageError error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn PickTask(tasks: Vec<TaskVersion>) -> impl IntoView {
    if tasks.is_empty() {
        return view! { <p>"There is no task yet. " <a href="/tasks/new">"Create one"</a> " first."</p> }.into_any();
    }
    view! {
        <h2>"Pick a task to edit twice"</h2>
        <ul>
            {tasks
                .into_iter()
                .map(|task| {
                    view! {
                        <li>
                            <a href=format!("/learn/concurrency?task={}", task.entity_id)>{task.fields.title.as_str().to_owned()}</a>
                            {format!(" (version {})", task.version)}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn TwoEditors(task: TaskVersion, from: i64) -> impl IntoView {
    let here = format!("/learn/concurrency?task={}&from={from}", task.entity_id);
    view! {
        <p>
            {format!("Both editors start from version {from}. ")}
            // A full load: the editors are drawn once per page load (see above).
            <a href=format!("/learn/concurrency?task={}", task.entity_id) rel="external">"Start again from the newest version"</a>
            " · "
            <a href=format!("/tasks/{}/history", task.entity_id)>"History"</a>
        </p>
        <div class="two-editors">
            <Editor name="A" task=task.clone() from return_to=here.clone() />
            <Editor name="B" task from return_to=here />
        </div>
    }
}

#[component]
fn Editor(name: &'static str, task: TaskVersion, from: i64, return_to: String) -> impl IntoView {
    let save = ServerAction::<UpdateTask>::new();
    let actor = format!("editor {name}");
    let plain_post_error = submission_error(save);
    let ours = {
        let actor = actor.clone();
        move || posted_draft::<UpdateTask>("actor").as_deref() == Some(actor.as_str())
    };
    let outcome = move || match save.value().get() {
        Some(Ok(saved)) => Some(Ok(saved.version)),
        Some(Err(error)) => Some(Err(error)),
        None if ours() => plain_post_error.get().map(Err),
        None => None,
    };
    let values = FormValues::of(&task);
    let heading_id = format!("editor-{name}");
    let labelled_by = heading_id.clone();
    let title_id = format!("editor-{name}-title");
    view! {
        <section class="editor" aria-labelledby=labelled_by>
            <h2 id=heading_id>{format!("Editor {name}")}</h2>
            <ActionForm action=save attr:class="lab-form">
                <IdempotencyKeyInput outcome=save.value() />
                <input type="hidden" name="entity_id" value=task.entity_id.to_string() />
                <input type="hidden" name="expected_version" value=from.to_string() />
                <input type="hidden" name="description" value=values.description />
                <input type="hidden" name="status" value=values.status />
                <input type="hidden" name="priority" value=values.priority />
                <input type="hidden" name="due_date" value=values.due_date />
                <input type="hidden" name="actor" value=actor.clone() />
                <input type="hidden" name="note" value=format!("saved by editor {name} in the concurrency lab") />
                <input type="hidden" name="return_to" value=return_to />
                <label for=title_id.clone()>"Title"</label>
                <input id=title_id name="title" required maxlength="200" value=format!("{} ({actor})", values.title) />
                <button type="submit" class="button-primary">{format!("Save as editor {name} (from version {from})")}</button>
            </ActionForm>
            {move || outcome().map(|outcome| match outcome {
                Ok(version) => view! { <p class="replay-verdict replay-match" role="status">{format!("Saved: version {version} appended.")}</p> }.into_any(),
                Err(AppError::Conflict { current_version }) => view! {
                    <div role="alert">
                        <p class="replay-verdict replay-mismatch">{format!("Refused: version {current_version} was saved first, so a save from version {from} cannot append it again.")}</p>
                        <p>"Nothing was written. On the edit page this is the conflict screen: the other save's changes beside yours, to save on top of them."</p>
                    </div>
                }.into_any(),
                Err(error) => view! { <p class="replay-verdict replay-mismatch" role="alert">{error.to_string()}</p> }.into_any(),
            })}
        </section>
    }
}
