//! `/` and `/tasks`: one page of the current tasks (read from the read model), a title search, a
//! status filter and a sort order carried in the URL, the form that creates a task, and delete
//! with confirmation. The list follows the change stream; with `?as_of=` or `?at_change=` it
//! shows the board of that moment instead, read-only.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use super::common::{
    here, submission_error, DeleteConfirm, PageError, Pager, StatusBadge, TimeAgo,
};
use super::submission::IdempotencyKeyInput;
use super::task_form::{FormOutcome, FormValues, TaskInputs};
use super::time_travel::{is_past, BoardAsOf, Moment, TimeTravel};
use crate::command::CreateTask;
use crate::live::use_live;
use crate::server_fns::{list_tasks, TaskList};
use crate::task::paging::{self, Patch};
use crate::task::{Status, TaskFilter, TaskSort, TaskVersion};

#[component]
pub fn TaskListPage() -> impl IntoView {
    let query = use_query_map();
    let moment = Signal::derive(move || -> Moment {
        let query = query.read();
        (
            query.get("as_of").unwrap_or_default(),
            query.get("at_change").unwrap_or_default(),
        )
    });
    // A memo, so changing the filter does not rebuild the page around it.
    let past = Memo::new(move |_| is_past(&moment.get()));

    view! {
        <section class="tasks" aria-labelledby="tasks-heading">
            <div class="page-heading">
                <h1 id="tasks-heading">
                    {move || if past.get() { "The board in the past" } else { "Tasks" }}
                </h1>
                <nav class="page-links" aria-label="Task pages">
                    <a href="/tasks/new">"New task page"</a>
                    <a href="/tasks/deleted">"Deleted tasks"</a>
                </nav>
            </div>
            // In the past the control comes first: it is what the visitor is using. The present's
            // list is only read when it is shown, so a past board never ships the present.
            {move || match past.get() {
                true => view! { <TimeTravel moment /> <BoardAsOf moment /> }.into_any(),
                false => view! { <CurrentTasks /> <TimeTravel moment /> }.into_any(),
            }}
        </section>
    }
}

/// Which page of the current list the URL asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct ListRequest {
    status: String,
    sort: String,
    q: String,
    after: String,
}

impl ListRequest {
    /// A link to this list with `after` as the page's key (blank for the first page).
    fn href(&self, after: &str) -> String {
        paging::link(
            "/tasks",
            &[
                ("status", &self.status),
                ("sort", &self.sort),
                ("q", &self.q),
                ("after", after),
            ],
        )
    }
}

/// The present: one page of the current tasks beside the form that creates one. The listing
/// is an island: it follows the change stream and patches itself in the browser.
#[component]
fn CurrentTasks() -> impl IntoView {
    let query = use_query_map();
    let request = Memo::new(move |_| {
        let query = query.read();
        ListRequest {
            status: query.get("status").unwrap_or_default(),
            sort: query.get("sort").unwrap_or_default(),
            q: query.get("q").unwrap_or_default(),
            after: query.get("after").unwrap_or_default(),
        }
    });
    let return_to = StoredValue::new(here()());
    let tasks = Resource::new(
        move || request.get(),
        |request| list_tasks(request.status, request.sort, request.q, request.after),
    );
    view! {
        <div class="tasks-layout">
            <div class="tasks-main">
                <FilterBar request />
                <Suspense fallback=|| view! { <p class="loading">"Loading tasks…"</p> }>
                    {move || Suspend::new(async move {
                        match tasks.await {
                            Ok(page) => {
                                let request = request.get_untracked();
                                let return_to = return_to.get_value();
                                view! { <LiveTaskListing page request return_to /> }.into_any()
                            }
                            Err(error) => view! { <PageError error /> }.into_any(),
                        }
                    })}
                </Suspense>
            </div>
            <aside class="tasks-side">
                <CreateTaskForm />
            </aside>
        </div>
    }
}

/// One page of the current list. Each change patches the page on screen from the row it
/// carries, leaving the rows that did not change in place (rebuilding the listing would redraw
/// all fifty in every open tab on every change); only a change the page cannot absorb
/// (`Patch::Refetch`), or a stream that may have missed changes, reads the page again.
#[island]
fn LiveTaskListing(page: TaskList, request: ListRequest, return_to: String) -> impl IntoView {
    let live = use_live();
    let page = ArcRwSignal::new(page);
    let rereads = RwSignal::new(0_u64);
    Effect::new({
        let page = page.clone();
        let request = request.clone();
        move |_| {
            let Some(change) = live.latest() else {
                return;
            };
            let Ok(filter) =
                TaskFilter::from_query(&request.status, &request.sort, &request.q, &request.after)
            else {
                return;
            };
            let mut outcome = Patch::Unchanged;
            page.maybe_update(|list| {
                outcome = paging::patch_live_page(
                    &filter,
                    &mut list.tasks,
                    &mut list.next_after,
                    &change.row,
                );
                outcome == Patch::Applied
            });
            if outcome == Patch::Refetch {
                rereads.update(|count| *count += 1);
            }
        }
    });
    Effect::new({
        let page = page.clone();
        let request = request.clone();
        move |previous: Option<(u64, u64)>| {
            let now = (live.resyncs(), rereads.get());
            if previous.is_some() {
                let page = page.clone();
                let request = request.clone();
                #[cfg(feature = "hydrate")]
                leptos::task::spawn_local(async move {
                    use leptos::server_fn::ServerFn;
                    let pairs = [
                        ("status", request.status.as_str()),
                        ("sort", &request.sort),
                        ("q", &request.q),
                        ("after", &request.after),
                    ];
                    let list = crate::live::browser::post_form::<TaskList>(
                        crate::server_fns::ListTasks::PATH,
                        &pairs,
                    );
                    if let Ok(list) = list.await {
                        page.set(list);
                    }
                });
                #[cfg(not(feature = "hydrate"))]
                let _ = (page, request);
            }
            now
        }
    });
    view! { <TaskListing page request return_to /> }
}

/// The create form. After a successful create the browser comes back to this same list, with a
/// flash naming the version; `/tasks/new` uses it too and goes to the new task's page instead.
#[component]
pub fn CreateTaskForm(
    /// Where to go after creating: this page (the list) or, when false, the new task's page.
    #[prop(default = true)]
    stay_here: bool,
) -> impl IntoView {
    let action = ServerAction::<CreateTask>::new();
    let error = submission_error::<CreateTask>();
    let values = FormValues::posted::<CreateTask>().unwrap_or_default();
    let return_to = here();

    view! {
        <ActionForm action attr:class="task-form" attr:aria-label="Create a task">
            <IdempotencyKeyInput />
            {stay_here.then(|| view! { <h2>"New task"</h2> })}
            <input type="hidden" name="return_to" value=move || if stay_here { return_to() } else { String::new() } />
            <TaskInputs
                prefix="new"
                values
                error
                note_placeholder="Why? (optional, kept with version 1)".to_owned()
            />
            <div class="form-actions">
                <button type="submit" class="button-primary">
                    "Create task"
                </button>
                <FormOutcome error />
            </div>
        </ActionForm>
    }
}

/// Filter, search and sort live in the query string, so a filtered list is a link anyone can
/// open. Applying them starts again from the first page.
#[component]
fn FilterBar(request: Memo<ListRequest>) -> impl IntoView {
    let status = move || request.read().status.clone();
    let sort = move || request.read().sort.clone();
    view! {
        <Form method="GET" action="" attr:class="filter-bar" attr:aria-label="Filter and sort">
            <label for="filter-q">"Search"</label>
            <input
                type="search"
                id="filter-q"
                name="q"
                placeholder="Part of a title"
                maxlength="200"
                value=move || request.read().q.clone()
            />
            <label for="filter-status">"Show"</label>
            <select id="filter-status" name="status">
                <option value="" selected=move || status().is_empty()>"All statuses"</option>
                {Status::ALL
                    .into_iter()
                    .map(|option| {
                        view! {
                            <option value=option.as_str() selected=move || status() == option.as_str()>
                                {option.label()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            <label for="filter-sort">"Sort by"</label>
            <select id="filter-sort" name="sort">
                {TaskSort::ALL
                    .into_iter()
                    .map(|option| {
                        let chosen = move || {
                            let current = sort();
                            current == option.as_str()
                                || (current.is_empty() && option == TaskSort::default())
                        };
                        view! { <option value=option.as_str() selected=chosen>{option.label()}</option> }
                    })
                    .collect_view()}
            </select>
            <button type="submit">"Apply"</button>
        </Form>
    }
}

#[component]
fn TaskListing(
    page: ArcRwSignal<TaskList>,
    request: ListRequest,
    return_to: String,
) -> impl IntoView {
    let return_to = StoredValue::new(return_to);
    let (backend, read_at) = page.with_untracked(|list| (list.backend.clone(), list.read_at));
    let empty = Memo::new({
        let page = page.clone();
        move |_| page.with(|list| list.tasks.is_empty())
    });
    let first = (!request.after.is_empty()).then(|| request.href(""));
    let pager = {
        let page = page.clone();
        move || {
            let next =
                page.with(|list| list.next_after.as_deref().map(|after| request.href(after)));
            view! { <Pager first=first.clone() next /> }
        }
    };
    let summary = {
        let page = page.clone();
        move || {
            page.with(|list| {
                let count = list.tasks.len();
                let more = if list.next_after.is_some() {
                    ", more on the next page"
                } else {
                    ""
                };
                format!(
                    "{count} current task{} on this page{more}",
                    if count == 1 { "" } else { "s" }
                )
            })
        }
    };
    // Keyed by task and version: a change redraws the one row it touched.
    let rows = move || page.with(|list| list.tasks.clone());
    move || {
        if empty.get() {
            view! {
                <div class="empty-state">
                    <p>"No tasks here."</p>
                    <p>
                        "Create one with the form beside the list, or clear the search and the status "
                        "filter. Every later change will be stored as a new version beside the old "
                        "ones, never over them; deleted tasks wait on the "
                        <a href="/tasks/deleted">"deleted page"</a>"."
                    </p>
                </div>
                {pager.clone()}
            }
            .into_any()
        } else {
            view! {
                <p class="list-summary">
                    {summary.clone()}
                    " · read from the "<code>"task_current"</code>" read model on "{backend.clone()}
                </p>
                <ul class="task-list">
                    <For
                        each=rows.clone()
                        key=|task| (task.entity_id, task.version)
                        let:task
                    >
                        <TaskRow task read_at return_to=return_to.get_value() />
                    </For>
                </ul>
                {pager.clone()}
            }
            .into_any()
        }
    }
}

#[component]
fn TaskRow(
    task: TaskVersion,
    read_at: chrono::DateTime<chrono::Utc>,
    return_to: String,
) -> impl IntoView {
    let fields = task.fields;
    let title = fields.title.as_str().to_owned();
    let id = task.entity_id.to_string();
    let live = use_live();
    let entity_id = task.entity_id;
    view! {
        <li class="task-row" class:just-changed=move || live.fresh_change(entity_id).is_some() data-entity-id=id.clone()>
            <a href=format!("/tasks/{id}") class="task-title">{title.clone()}</a>
            <StatusBadge status=fields.status />
            <span class="task-priority" title="Priority">{format!("P{}", fields.priority.value())}</span>
            <span class="task-due">
                {fields
                    .due_date
                    .map(|date| format!("due {date}"))
                    .unwrap_or_default()}
            </span>
            <span class="task-version" title="Current version">{format!("v{}", task.version)}</span>
            <span class="task-changed"><TimeAgo at=task.recorded_at now=read_at /></span>
            <div class="task-actions">
                <a href=format!("/tasks/{id}/edit")>"Edit"</a>
                <a href=format!("/tasks/{id}/history")>"History"</a>
                <DeleteConfirm
                    entity_id=id.clone()
                    title
                    summary="Delete"
                    then=return_to
                />
            </div>
        </li>
    }
}
