//! `/tasks/:id/edit`: the edit form. It posts the version the editor started from; if someone
//! else saved in between, the store writes nothing and this page turns into a conflict screen:
//! what they changed (a diff), the editor's own values still in the form, and the choice to save
//! them on top of the newer version or to discard them. Nothing is overwritten silently.

use leptos::form::ActionForm;
use leptos::prelude::*;

use super::common::{posted_draft, submission_error, ChangeList, ErrorNotice, PageError};
use super::entity_param;
use super::live_region::{Follows, LiveRegion};
use super::submission::IdempotencyKeyInput;
use super::task_form::{FormOutcome, FormValues, TaskInputs};
use super::task_show::DeletedBanner;
use crate::command::{RestoreTask, UpdateTask};
use crate::error::AppError;
use crate::server_fns::{compare_versions, get_task, Comparison, TaskDetail};
use crate::task::TaskVersion;
use leptos_router::hooks::use_query_map;

/// An edit that was submitted but not saved: its values and the version it started from.
#[derive(Clone, Debug, PartialEq)]
struct Draft {
    values: FormValues,
    started_from: i64,
}

impl Draft {
    fn posted() -> Option<Self> {
        Some(Self {
            values: FormValues::posted::<UpdateTask>()?,
            started_from: posted_draft::<UpdateTask>("expected_version")?
                .parse()
                .ok()?,
        })
    }
}

#[component]
pub fn EditPage() -> impl IntoView {
    let id = entity_param();
    let update = ServerAction::<UpdateTask>::new();
    let restore = ServerAction::<RestoreTask>::new();
    let task = Resource::new(move || id.get(), get_task);
    // Someone else's save is announced (by the region that follows the task, which asks for
    // this page with `since`), and the usual conflict screen settles it on saving.
    let query = use_query_map();
    let since = query
        .read_untracked()
        .get("since")
        .and_then(|since| since.parse().ok());
    let error = submission_error::<UpdateTask>();
    let restore_error = submission_error::<RestoreTask>();
    // A failed save comes back with what was submitted in the query string.
    let draft = Signal::derive(move || {
        error.get()?;
        Draft::posted()
    });

    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading the task…"</p> }>
            {move || Suspend::new(async move {
                match task.await {
                    Ok(detail) if detail.task.is_tombstone() => {
                        view! {
                            <section class="task-edit">
                                <h1>{format!("Edit “{}”", detail.task.fields.title.as_str())}</h1>
                                <DeletedBanner detail restore error=restore_error />
                            </section>
                        }
                        .into_any()
                    }
                    Ok(detail) => {
                        view! { <EditForm detail update error draft since /> }.into_any()
                    }
                    Err(error) => view! { <PageError error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn EditForm(
    detail: TaskDetail,
    update: ServerAction<UpdateTask>,
    error: Signal<Option<AppError>>,
    draft: Signal<Option<Draft>>,
    /// The version the editor started from, when the region asks whether the task moved on.
    since: Option<i64>,
) -> impl IntoView {
    let task = detail.task;
    let id = task.entity_id.to_string();
    let current = task.version;
    let conflict = move || match error.get() {
        Some(AppError::Conflict { current_version }) => Some(current_version),
        _ => None,
    };
    let started_from = move || draft.get().map_or(current, |draft| draft.started_from);
    // After a conflict the form saves on top of the version that won.
    let expected = move || conflict().unwrap_or_else(started_from);
    let comparison = Resource::new(
        {
            let id = id.clone();
            move || conflict().map(|won| (id.clone(), started_from(), won))
        },
        |key| async move {
            match key {
                Some((id, from, to)) => {
                    Some(compare_versions(id, from.to_string(), to.to_string()).await)
                }
                None => None,
            }
        },
    );
    // The inputs start from the task, or from the unsaved edit; after a conflict, from that
    // edit carried over onto the version that won.
    let form_values = move || {
        let draft = draft.get();
        async move {
            match (draft, comparison.await) {
                (Some(draft), Some(Ok(comparison))) => {
                    let (values, clashes) = draft.values.rebased(
                        &FormValues::of(&comparison.from),
                        &FormValues::of(&comparison.to),
                    );
                    (Some(values), clashes)
                }
                (Some(draft), _) => (Some(draft.values), Vec::new()),
                (None, _) => (None, Vec::new()),
            }
        }
    };
    let heading_title = task.fields.title.as_str().to_owned();
    let task_values = FormValues::of(&task);

    view! {
        <section class="task-edit" aria-labelledby="edit-heading">
            <div class="page-heading">
                <h1 id="edit-heading">{format!("Edit “{heading_title}”")}</h1>
            </div>
            <nav class="page-links" aria-label="This task">
                <a href=format!("/tasks/{id}")>"Cancel"</a>
                <a href=format!("/tasks/{id}/history")>"History"</a>
            </nav>
            {
                let id = id.clone();
                let task = task.clone();
                view! {
            <LiveRegion
                id="edit-live".to_owned()
                follows=Follows::Task(task.entity_id)
                source=format!("/tasks/{id}/edit?since={current}")
            >
                {since
                    .filter(|since| current > *since)
                    .map(|editing| view! { <ChangedMeanwhile entity_id=id.clone() editing latest=task.clone() /> })}
            </LiveRegion>
                }
            }
            <ActionForm action=update attr:class="task-form" attr:aria-label="Edit the task">
                <IdempotencyKeyInput />
                <input type="hidden" name="entity_id" value=id.clone() />
                <input type="hidden" name="expected_version" value=move || expected().to_string() />
                <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {
                        let id = id.clone();
                        let task_values = task_values.clone();
                        move || {
                            let id = id.clone();
                            let task_values = task_values.clone();
                            let values = form_values();
                            Suspend::new(async move {
                                let (values, clashes) = values.await;
                                let conflict_panel = conflict()
                                    .map(|won| {
                                        view! {
                                            <ConflictPanel
                                                entity_id=id.clone()
                                                started_from=started_from()
                                                won
                                                comparison
                                                clashes
                                            />
                                        }
                                    });
                                view! {
                                    {conflict_panel}
                                    <p class="lede">
                                        {format!(
                                            "You are editing version {}. Saving creates version {}.",
                                            expected(),
                                            expected() + 1
                                        )}
                                    </p>
                                    <TaskInputs
                                        prefix="edit"
                                        values=values.unwrap_or(task_values)
                                        error
                                        note_placeholder="What changed and why? (optional)".to_owned()
                                    />
                                }
                            })
                        }
                    }
                </Suspense>
                <div class="form-actions">
                    <button type="submit" class="button-primary">
                        {move || match conflict() {
                            Some(won) => format!("Save my edit on top of version {won}"),
                            None => "Save".to_owned(),
                        }}
                    </button>
                    <FormOutcome error=Signal::derive(move || error.get().filter(|_| conflict().is_none())) />
                </div>
            </ActionForm>
        </section>
    }
}

/// What the other writer changed between the version this edit started from and the one that
/// won, and the two ways forward.
#[component]
fn ConflictPanel(
    entity_id: String,
    started_from: i64,
    won: i64,
    comparison: Resource<Option<Result<Comparison, AppError>>>,
    clashes: Vec<&'static str>,
) -> impl IntoView {
    let clashes = (!clashes.is_empty()).then(|| {
        view! {
            <p class="clashes">
                <strong>"You both changed: "{clashes.join(", ")}". "</strong>
                "Your value is in the form; check it before saving."
            </p>
        }
    });
    view! {
        <section class="conflict" role="alert" aria-labelledby="conflict-heading">
            <h2 id="conflict-heading">"Someone else saved first"</h2>
            <p>
                {format!(
                    "You started from version {started_from}, but version {won} was saved meanwhile. \
                     Nothing was overwritten and your edit was not saved yet."
                )}
            </p>
            <Suspense fallback=|| view! { <p class="loading">"Loading their changes…"</p> }>
                {move || Suspend::new(async move {
                    match comparison.await {
                        Some(Ok(comparison)) => view! {
                            <h3>
                                {format!("What changed from version {} to {}", comparison.from.version, comparison.to.version)}
                                {format!(" (last by {})", comparison.to.actor.as_str())}
                            </h3>
                            {comparison.to.note.map(|note| view! { <p class="note">"Their note: “"{note.as_str().to_owned()}"”"</p> })}
                            <ChangeList changes=comparison.changes />
                        }
                        .into_any(),
                        Some(Err(error)) => view! { <ErrorNotice error /> }.into_any(),
                        None => ().into_any(),
                    }
                })}
            </Suspense>
            {clashes}
            <p>
                "The form below holds your changes applied on top of version "{won}
                ". Save it, or "
                <a href=format!("/tasks/{entity_id}/edit") class="discard">
                    "discard my edit and start from version "{won}
                </a>
                "."
            </p>
        </section>
    }
}

/// Someone else saved this task while it was open here: who, which version, and what they
/// changed, before the editor saves anything.
#[component]
fn ChangedMeanwhile(entity_id: String, editing: i64, latest: TaskVersion) -> impl IntoView {
    let newest = latest.version;
    let diff = Resource::new(
        move || (entity_id.clone(), editing, newest),
        |(entity_id, editing, newest)| {
            compare_versions(entity_id, editing.to_string(), newest.to_string())
        },
    );
    let verb = match latest.op {
        crate::task::Op::Deleted => "deleted this task",
        _ => "saved",
    };
    view! {
        <div class="live-notice" role="alert">
            <p>
                <strong>{format!("{} {verb} version {newest} while you were editing", latest.actor.as_str())}</strong>
                {format!(" (you started from version {editing}). ")}
                "If you save now, you will see both edits side by side and choose; nothing is "
                "overwritten."
            </p>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    diff.await.ok().map(|comparison| view! { <ChangeList changes=comparison.changes /> })
                })}
            </Suspense>
        </div>
    }
}
