//! Optimistic concurrency, shown: two editors of one task side by side from one version; the
//! second save is refused (`UNIQUE (entity_id, version)`, and the store's expected-version check
//! before it). The lab posts the app's ordinary edit form, so it has no SQL of its own.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::command::UpdateTask;
use crate::error::AppError;
use crate::lessons::LearnHeading;
use crate::pages::common::{plain_post_error, posted_draft, PageError};
use crate::pages::submission::first_key;
use crate::pages::task_form::FormValues;
use crate::server_fns::{get_task, list_tasks};
use crate::task::idempotency;
use crate::task::TaskVersion;
use leptos::server_fn::ServerFn;

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
                "refused, and nothing it typed overwrites the first. The store compares the "
                "version without locking anything, and the database has the last word: "
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
            <Editor
                name="A".to_owned()
                entity_id=task.entity_id.to_string()
                values=FormValues::of(&task)
                from
                return_to=here.clone()
                key=first_key()
                posted_error=posted_error("A")
            />
            <Editor
                name="B".to_owned()
                entity_id=task.entity_id.to_string()
                values=FormValues::of(&task)
                from
                return_to=here
                key=first_key()
                posted_error=posted_error("B")
            />
        </div>
    }
}

/// One editor: with JavaScript its save answers in place, so both answers stay side by side;
/// without, the form posts and the page comes back with the outcome.
#[island]
fn Editor(
    name: String,
    entity_id: String,
    values: FormValues,
    from: i64,
    return_to: String,
    /// The key the server drew the form with.
    key: String,
    /// A plain post's refusal, which the server read from the address it came back to.
    posted_error: Option<AppError>,
) -> impl IntoView {
    let actor = format!("editor {name}");
    let note = format!("saved by editor {name} in the concurrency lab");
    let outcome = RwSignal::new(posted_error.map(Err::<i64, AppError>));
    let key = RwSignal::new(key);
    let title = RwSignal::new(format!("{} ({actor})", values.title));
    let on_submit = {
        let (entity_id, values, actor, note) = (
            entity_id.clone(),
            values.clone(),
            actor.clone(),
            note.clone(),
        );
        move |event: leptos::ev::SubmitEvent| {
            event.prevent_default();
            let from = from.to_string();
            let (title, sent_key) = (title.get_untracked(), key.get_untracked());
            #[cfg(feature = "hydrate")]
            {
                let pairs = [
                    ("entity_id", entity_id.clone()),
                    ("expected_version", from),
                    ("title", title),
                    ("description", values.description.clone()),
                    ("status", values.status.clone()),
                    ("priority", values.priority.clone()),
                    ("due_date", values.due_date.clone()),
                    ("actor", actor.clone()),
                    ("note", note.clone()),
                    (idempotency::FIELD, sent_key),
                ];
                leptos::task::spawn_local(async move {
                    let pairs: Vec<(&str, &str)> = pairs
                        .iter()
                        .map(|(name, value)| (*name, value.as_str()))
                        .collect();
                    let saved = crate::live::browser::post_form::<crate::task::Appended>(
                        UpdateTask::PATH,
                        &pairs,
                    )
                    .await;
                    outcome.set(Some(saved.map(|saved| saved.version)));
                    key.set(crate::pages::submission::browser_key());
                });
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = (&entity_id, &values, &actor, &note, from, title, sent_key);
        }
    };
    let heading_id = format!("editor-{name}");
    let labelled_by = heading_id.clone();
    let title_id = format!("editor-{name}-title");
    view! {
        <section class="editor" aria-labelledby=labelled_by>
            <h2 id=heading_id>{format!("Editor {name}")}</h2>
            <form method="post" action=UpdateTask::PATH class="lab-form" on:submit=on_submit>
                <input type="hidden" name=idempotency::FIELD value=key />
                <input type="hidden" name="entity_id" value=entity_id />
                <input type="hidden" name="expected_version" value=from.to_string() />
                <input type="hidden" name="description" value=values.description />
                <input type="hidden" name="status" value=values.status />
                <input type="hidden" name="priority" value=values.priority />
                <input type="hidden" name="due_date" value=values.due_date />
                <input type="hidden" name="actor" value=actor />
                <input type="hidden" name="note" value=note />
                <input type="hidden" name="return_to" value=return_to />
                <label for=title_id.clone()>"Title"</label>
                <input id=title_id name="title" required maxlength="200" value=title on:input=move |event| title.set(event_target_value(&event)) />
                <button type="submit" class="button-primary">{format!("Save as editor {name} (from version {from})")}</button>
            </form>
            {move || outcome.get().map(|outcome| match outcome {
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

/// A plain post's refusal for the editor named `name`, read from the address it came back to.
fn posted_error(name: &str) -> Option<AppError> {
    let ours = posted_draft::<UpdateTask>("actor").as_deref() == Some(&format!("editor {name}"));
    ours.then(plain_post_error::<UpdateTask>).flatten()
}
