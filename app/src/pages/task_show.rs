//! `/tasks/:id`: the current version of one task with its row metadata, or, for a deleted task,
//! a page that says so and offers its history and a restore instead of pretending it never was.

use leptos::form::ActionForm;
use leptos::prelude::*;

use super::common::{
    here, submission_error, DeleteConfirm, DetailColumns, ErrorNotice, PageError, StatusBadge,
};
use super::live_region::LiveRegion;
use super::submission::IdempotencyKeyInput;
use super::{entity_param, task_follows};
use crate::blame::FieldHistory;
use crate::command::{DeleteTask, RestoreTask};
use crate::error::AppError;
use crate::server_fns::{get_blame, get_task, TaskDetail};

#[component]
pub fn TaskPage() -> impl IntoView {
    let id = entity_param();
    let restore = ServerAction::<RestoreTask>::new();
    let task = Resource::new(move || id.get(), get_task);
    let delete_error = submission_error::<DeleteTask>();
    let restore_error = submission_error::<RestoreTask>();
    view! {
        <LiveRegion id="task-live".to_owned() follows=task_follows(id)>
        <Transition fallback=|| view! { <p class="loading">"Loading the task…"</p> }>
            {move || Suspend::new(async move {
                match task.await {
                    Ok(detail) if detail.task.is_tombstone() => {
                        view! { <DeletedTask detail restore error=restore_error /> }.into_any()
                    }
                    Ok(detail) => view! { <LiveTask detail error=delete_error /> }.into_any(),
                    Err(error) => view! { <PageError error /> }.into_any(),
                }
            })}
        </Transition>
        </LiveRegion>
    }
}

#[component]
fn LiveTask(detail: TaskDetail, error: Signal<Option<AppError>>) -> impl IntoView {
    let task = detail.task;
    let id = task.entity_id.to_string();
    let title = task.fields.title.as_str().to_owned();
    view! {
        <article class="task-detail" aria-labelledby="task-heading">
            <div class="page-heading">
                <h1 id="task-heading">{title.clone()}</h1>
                <StatusBadge status=task.fields.status />
            </div>
            <nav class="page-links" aria-label="This task">
                <a href=format!("/tasks/{id}/edit")>"Edit (creates version "{task.version + 1}")"</a>
                <a href=format!("/tasks/{id}/history")>"History ("{task.version}" versions)"</a>
                <a href="/">"All tasks"</a>
            </nav>
            <DetailColumns
                task=task.clone()
                now=detail.read_at
                content_heading=format!("Version {}", task.version)
                meta_heading="As stored"
            />
            <DeleteConfirm
                entity_id=id.clone()
                title
                summary="Delete this task"
                then="/".to_owned()
            />
            {move || error.get().map(|error| view! { <ErrorNotice error /> })}
            <FieldBlame id=id.clone() />
        </article>
    }
}

/// Who set each field's value, and the values each field held over time.
#[component]
fn FieldBlame(id: String) -> impl IntoView {
    let blame = Resource::new(move || id.clone(), get_blame);
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match blame.await {
                    Ok(fields) => view! { <BlameTable fields /> }.into_any(),
                    Err(error) => view! { <PageError error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn BlameTable(fields: Vec<FieldHistory>) -> impl IntoView {
    let id = entity_param().get_untracked();
    let version_link = move |version: i64| format!("/tasks/{id}/history?version={version}");
    let rows = fields
        .iter()
        .map(|field| {
            let label = field.label.clone();
            match field.current() {
                None => view! {
                    <tr><th scope="row">{label}</th><td colspan="6" class="blame-never">"never set"</td></tr>
                }
                .into_any(),
                Some(set) => view! {
                    <tr>
                        <th scope="row">{label}</th>
                        <td class="blame-value">{set.value.clone().unwrap_or_else(|| "(emptied)".to_owned())}</td>
                        <td><a href=version_link(set.version)>{format!("v{}", set.version)}</a></td>
                        <td>{set.actor.clone()}</td>
                        <td>{crate::time::exact(set.recorded_at)}</td>
                        <td>{crate::time::exact(set.valid_since)}</td>
                        <td>{set.note.clone().unwrap_or_default()}</td>
                    </tr>
                }
                .into_any(),
            }
        })
        .collect_view();
    let over_time = fields
        .into_iter()
        .filter(|field| field.values.len() > 1)
        .map(|field| {
            let summary = format!("{}: {} values over time", field.label, field.values.len());
            let values = field
                .values
                .into_iter()
                .map(|value| {
                    let shown = value.value.unwrap_or_else(|| "(emptied)".to_owned());
                    let by = format!(
                        " by {}, recorded {}, true since {}",
                        value.actor,
                        crate::time::exact(value.recorded_at),
                        crate::time::exact(value.valid_since)
                    );
                    view! {
                        <li>
                            <span class="blame-value">{shown}</span>" — "
                            <a href=version_link(value.version)>{format!("v{}", value.version)}</a>
                            {by}
                        </li>
                    }
                })
                .collect_view();
            view! {
                <details class="field-history">
                    <summary>{summary}</summary>
                    <ol>{values}</ol>
                </details>
            }
        })
        .collect_view();
    view! {
        <section class="blame" aria-labelledby="blame-heading">
            <h2 id="blame-heading">"Who set each field"</h2>
            <p class="time-travel-help">
                "Each field's current value, the version that set it, who, when it was recorded, "
                "since when it held, and the note. Folded from this task's versions."
            </p>
            <div class="table-scroll">
                <table class="blame-table">
                    <thead>
                        <tr>
                            <th scope="col">"field"</th><th scope="col">"value now"</th>
                            <th scope="col">"set in"</th><th scope="col">"by"</th>
                            <th scope="col">"recorded"</th><th scope="col">"true since"</th>
                            <th scope="col">"why"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            {over_time}
        </section>
    }
}

#[component]
fn DeletedTask(
    detail: TaskDetail,
    restore: ServerAction<RestoreTask>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let task = detail.task;
    let id = task.entity_id.to_string();
    view! {
        <article class="task-detail task-deleted" aria-labelledby="task-heading">
            <div class="page-heading">
                <h1 id="task-heading"><s>{task.fields.title.as_str().to_owned()}</s></h1>
            </div>
            <DeletedBanner detail=TaskDetail { task: task.clone(), read_at: detail.read_at } restore error />
            <DetailColumns
                task=task.clone()
                now=detail.read_at
                content_heading="Its last content".to_owned()
                meta_heading="The tombstone, as stored"
            />
            <nav class="page-links" aria-label="This task">
                <a href=format!("/tasks/{id}/history")>"Full history"</a>
                <a href="/tasks/deleted">"All deleted tasks"</a>
            </nav>
        </article>
    }
}

/// "This task was deleted" with a restore button; shown on every page of a deleted task.
#[component]
pub fn DeletedBanner(
    detail: TaskDetail,
    restore: ServerAction<RestoreTask>,
    /// The latest restore's error, from the page (signals made here would not outlive a
    /// re-render of the page that shows this banner).
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let task = detail.task;
    let id = task.entity_id.to_string();
    let deleted_at = task.deleted_at.unwrap_or(task.recorded_at);
    let return_to = here();
    view! {
        <div class="banner banner-deleted" role="note">
            <p>
                <strong>"This task was deleted"</strong>
                " by "{task.actor.as_str().to_owned()}" at "{crate::time::exact(deleted_at)}
                " (version "{task.version}", a tombstone). Nothing was erased: its history is intact."
            </p>
            <ActionForm action=restore attr:class="inline-form">
                <IdempotencyKeyInput />
                <input type="hidden" name="entity_id" value=id />
                <input type="hidden" name="return_to" value=return_to />
                <button type="submit" class="button-primary">
                    {format!("Restore as version {}", task.version + 1)}
                </button>
            </ActionForm>
            {move || error.get().map(|error| view! { <ErrorNotice error /> })}
        </div>
    }
}
