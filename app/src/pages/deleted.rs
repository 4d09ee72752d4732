//! `/tasks/deleted`: the tombstones. Each keeps its last content, who deleted it and when, and
//! can be restored as a new live version. Paged like every list that grows with the data.

use leptos::form::ActionForm;
use leptos::prelude::*;

use leptos_router::hooks::use_query_map;

use super::common::{submission_error, ErrorNotice, PageError, Pager, TimeAgo};
use super::live_region::{Follows, LiveRegion};
use super::submission::IdempotencyKeyInput;
use crate::command::RestoreTask;
use crate::server_fns::{list_deleted, DeletedList};
use crate::task::paging;
use crate::task::TaskVersion;

#[component]
pub fn DeletedPage() -> impl IntoView {
    let restore = ServerAction::<RestoreTask>::new();
    let query = use_query_map();
    let after = Memo::new(move |_| query.read().get("after").unwrap_or_default());
    let tasks = Resource::new(move || after.get(), list_deleted);
    let error = submission_error::<RestoreTask>();
    view! {
        <section class="deleted" aria-labelledby="deleted-heading">
            <div class="page-heading">
                <h1 id="deleted-heading">"Deleted tasks"</h1>
                <nav class="page-links" aria-label="Task pages">
                    <a href="/">"All tasks"</a>
                </nav>
            </div>
            <p class="lede">
                "Deleting appends a tombstone version; the rows before it stay. Restoring appends a "
                "new live version with the tombstone's content."
            </p>
            {move || error.get().map(|error| view! { <ErrorNotice error /> })}
            <LiveRegion id="deleted-live".to_owned() follows=Follows::Board>
            <Transition fallback=|| view! { <p class="loading">"Loading deleted tasks…"</p> }>
                {move || Suspend::new(async move {
                    match tasks.await {
                        Ok(list) => {
                            let first = (!after.get_untracked().is_empty()).then(|| "/tasks/deleted".to_owned());
                            let next = list
                                .next_after
                                .as_deref()
                                .map(|after| paging::link("/tasks/deleted", &[("after", after)]));
                            view! { <DeletedListing list restore /> <Pager first next /> }.into_any()
                        }
                        Err(error) => view! { <PageError error /> }.into_any(),
                    }
                })}
            </Transition>
            </LiveRegion>
        </section>
    }
}

#[component]
fn DeletedListing(list: DeletedList, restore: ServerAction<RestoreTask>) -> impl IntoView {
    if list.tasks.is_empty() {
        return view! {
            <div class="empty-state">
                <p>"No deleted tasks."</p>
                <p>"When a task is deleted it appears here, with its history, ready to be restored."</p>
            </div>
        }
        .into_any();
    }
    let read_at = list.read_at;
    view! {
        <ul class="task-list deleted-list">
            {list
                .tasks
                .into_iter()
                .map(|task| view! { <DeletedRow task read_at restore /> })
                .collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn DeletedRow(
    task: TaskVersion,
    read_at: chrono::DateTime<chrono::Utc>,
    restore: ServerAction<RestoreTask>,
) -> impl IntoView {
    let id = task.entity_id.to_string();
    let deleted_at = task.deleted_at.unwrap_or(task.recorded_at);
    let title = task.fields.title.as_str().to_owned();
    let form_id = id.clone();
    view! {
        <li class="task-row" data-entity-id=id.clone()>
            <a href=format!("/tasks/{id}") class="task-title"><s>{title}</s></a>
            <span class="task-deleted-at">"deleted "<TimeAgo at=deleted_at now=read_at /></span>
            <span class="task-actor">"by "{task.actor.as_str().to_owned()}</span>
            <span class="task-version" title="The tombstone's version">{format!("v{}", task.version)}</span>
            <div class="task-actions">
                <a href=format!("/tasks/{id}/history")>"History"</a>
                <ActionForm action=restore attr:class="inline-form">
                    <IdempotencyKeyInput />
                    <input type="hidden" name="entity_id" value=form_id />
                    <button type="submit" class="button-primary">
                        {format!("Restore as v{}", task.version + 1)}
                    </button>
                </ActionForm>
            </div>
        </li>
    }
}
