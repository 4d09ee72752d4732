//! Optimistic concurrency, shown: two editors of one task side by side from one version; the
//! second save is refused (`UNIQUE (entity_id, version)`, and the store's expected-version check
//! before it). The lab posts the app's ordinary edit form, so it has no SQL of its own.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::command::UpdateTask;
use crate::error::AppError;
use crate::lessons::LearnHeading;
use crate::pages::common::{plain_post_error, posted_draft, PageError};
use crate::pages::post_in_place::PostInPlace;
use crate::pages::submission::IdempotencyKeyInput;
use crate::pages::task_form::FormValues;
use crate::server_fns::{get_task, list_tasks};
use crate::task::{Op, TaskVersion};
use leptos::server_fn::ServerFn;

/// `/learn/concurrency?task=ID&from=N`: two editors of one task side by side, both starting from
/// version N, for a projector. The first save appends N+1; the second asks for N+1 too and is
/// refused. Both are ordinary edit forms (`update_task`), so this works with JavaScript off:
/// each save comes back here, still starting from N.
#[component]
pub fn ConcurrencyPage() -> impl IntoView {
    let query = use_query_map();
    let task_id = move || query.with(|query| query.get("task").unwrap_or_default());
    // The version both editors start from: named in the address a save comes back to, or, when
    // a refusal comes back to the page as it was first opened, in what the refused save sent.
    let from = move || {
        query
            .with_untracked(|query| query.get("from"))
            .or_else(|| posted_draft::<UpdateTask>("expected_version"))
            .and_then(|from| from.parse::<i64>().ok())
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
                "refused, and nothing it typed overwrites the first. The store compares the "
                "version without locking anything, and the database has the last word: "
                <code>"UNIQUE (entity_id, version)"</code>
                " on the log refuses a second row with the same number, however the two saves race."
            </p>
            <Transition fallback=|| view! { <p class="loading">"Loading the task…"</p> }>
                {move || Suspend::new(async move {
                    match task.await {
                        Ok(Ok(task)) => {
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
    let values = FormValues::of(&task);
    let editor = |name: &'static str| {
        let (entity_id, values, here) = (task.entity_id.to_string(), values.clone(), here.clone());
        view! {
            <PostInPlace id=format!("editor-{name}-answer")>
                <Editor name entity_id values from here />
            </PostInPlace>
        }
    };
    view! {
        <p>
            {format!("Both editors start from version {from}. ")}
            <a href=format!("/learn/concurrency?task={}", task.entity_id)>"Start again from the newest version"</a>
            " · "
            <a href=format!("/tasks/{}/history", task.entity_id)>"History"</a>
        </p>
        <div class="two-editors">{editor("A")} {editor("B")}</div>
    }
}

/// One editor, with the outcome of its latest save. The page a save lands on draws it: a
/// success comes back to `return_to` naming the editor (`&editor=A&flash=updated.5`), a refusal
/// comes back with the error and what this editor had typed. With JavaScript, the island around
/// it takes only this editor from that page, so both answers stay side by side.
#[component]
fn Editor(
    name: &'static str,
    entity_id: String,
    values: FormValues,
    from: i64,
    /// This page, where both editors start from version `from`.
    here: String,
) -> impl IntoView {
    let actor = format!("editor {name}");
    let note = format!("saved by editor {name} in the concurrency lab");
    let ours = posted_draft::<UpdateTask>("actor").as_deref() == Some(actor.as_str());
    let title = ours
        .then(|| posted_draft::<UpdateTask>("title"))
        .flatten()
        .unwrap_or_else(|| format!("{} ({actor})", values.title));
    let outcome = match (ours.then(plain_post_error::<UpdateTask>).flatten(), saved(name)) {
        (Some(AppError::Conflict { current_version }), _) => view! {
            <div role="alert">
                <p class="replay-verdict replay-mismatch">{format!("Refused: version {current_version} was saved first, so a save from version {from} cannot append it again.")}</p>
                <p>"Nothing was written. On the edit page this is the conflict screen: the other save's changes beside yours, to save on top of them."</p>
            </div>
        }.into_any(),
        (Some(error), _) => view! { <p class="replay-verdict replay-mismatch" role="alert">{error.to_string()}</p> }.into_any(),
        (None, Some(version)) => view! { <p class="replay-verdict replay-match" role="status">{format!("Saved: version {version} appended.")}</p> }.into_any(),
        (None, None) => ().into_any(),
    };
    let heading_id = format!("editor-{name}");
    let labelled_by = heading_id.clone();
    let title_id = format!("editor-{name}-title");
    view! {
        <section class="editor" aria-labelledby=labelled_by>
            <h2 id=heading_id>{format!("Editor {name}")}</h2>
            <form method="post" action=UpdateTask::PATH class="lab-form">
                <IdempotencyKeyInput />
                <input type="hidden" name="entity_id" value=entity_id />
                <input type="hidden" name="expected_version" value=from.to_string() />
                <input type="hidden" name="description" value=values.description />
                <input type="hidden" name="status" value=values.status />
                <input type="hidden" name="priority" value=values.priority />
                <input type="hidden" name="due_date" value=values.due_date />
                <input type="hidden" name="actor" value=actor />
                <input type="hidden" name="note" value=note />
                <input type="hidden" name="return_to" value=format!("{here}&editor={name}") />
                <label for=title_id.clone()>"Title"</label>
                <input id=title_id name="title" required maxlength="200" value=title />
                <button type="submit" class="button-primary">{format!("Save as editor {name} (from version {from})")}</button>
            </form>
            {outcome}
        </section>
    }
}

/// The version the latest save of the editor named `name` appended, read from the address it
/// came back to.
fn saved(name: &str) -> Option<i64> {
    let query = use_query_map();
    let query = query.read_untracked();
    let (op, version) = query
        .get("editor")
        .filter(|editor| editor == name)
        .and(query.get("flash"))?
        .split_once('.')
        .map(|(op, version)| (op.to_owned(), version.to_owned()))?;
    (op == Op::Updated.as_str())
        .then(|| version.parse().ok())
        .flatten()
}
