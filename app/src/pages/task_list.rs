//! `/` and `/tasks`: one page of the current tasks (read from the read model), a title search, a
//! status filter and a sort order carried in the URL, the form that creates a task, and delete
//! with confirmation. The list follows the change stream; with `?as_of=` or `?at_change=` it
//! shows the board of that moment instead, read-only, and with `?valid_at=` (and `known_at=`)
//! the board as it was at one time as the log knew it at another.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use super::common::{
    here, submission_error, DeleteConfirm, PageError, Pager, StatusBadge, TimeAgo,
};
use super::submission::{first_key, IdempotencyKeyInput};
use super::task_form::{FormOutcome, FormValues, TaskInputs};
use super::time_travel::{is_past, BoardAsOf, BoardTwoTimes, Moment, TimeTravel};
use crate::command::CreateTask;
use crate::live::use_live;
use crate::server_fns::{list_tasks, TaskList};
use crate::task::paging;
use crate::task::{Status, TaskSort, TaskVersion};

#[component]
pub fn TaskListPage() -> impl IntoView {
    let query = use_query_map();
    // `known_at` is `as_of` by the name it has beside a valid time.
    let moment = Signal::derive(move || -> Moment {
        let query = query.read();
        (
            query
                .get("as_of")
                .or_else(|| query.get("known_at"))
                .unwrap_or_default(),
            query.get("at_change").unwrap_or_default(),
        )
    });
    let valid_at = Signal::derive(move || query.read().get("valid_at").unwrap_or_default());
    // Memos, so changing the filter does not rebuild the page around them.
    let two_times = Memo::new(move |_| !valid_at.get().trim().is_empty());
    let past = Memo::new(move |_| two_times.get() || is_past(&moment.get()));

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
            {move || match (past.get(), two_times.get()) {
                (_, true) => view! { <TimeTravel moment valid_at /> <BoardTwoTimes moment valid_at /> }.into_any(),
                (true, false) => view! { <TimeTravel moment valid_at /> <BoardAsOf moment /> }.into_any(),
                (false, false) => view! { <CurrentTasks /> <TimeTravel moment valid_at /> }.into_any(),
            }}
        </section>
    }
}

/// Which page of the current list the URL asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ListRequest {
    pub status: String,
    pub sort: String,
    pub q: String,
    pub after: String,
}

impl ListRequest {
    /// A link to this list with `after` as the page's key (blank for the first page).
    pub(crate) fn href(&self, after: &str) -> String {
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
                                view! {
                                    <LiveTaskListing request=request.clone() return_to=return_to.clone()>
                                        <TaskListing page request return_to />
                                    </LiveTaskListing>
                                }
                                .into_any()
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

/// The element the list's island owns: its rows are moved, added and removed inside it, and a
/// redraw replaces what it holds.
pub(crate) const LISTING_ID: &str = "task-listing";

/// One page of the current list, drawn by the server, that follows the change stream. Each
/// change carries its row as the server draws it (`Change::html`); the island puts that row in
/// place, moves it or takes a row away, reading every row's sort key from its attributes
/// (`paging::patch_live_page`), and leaves the other rows as they are. Only a change the page
/// cannot absorb (`Patch::Refetch`), or a stream that may have missed changes, draws the page
/// again on the server. The rows carry no code of their own, so nothing is hydrated per row.
#[island]
fn LiveTaskListing(request: ListRequest, return_to: String, children: Children) -> impl IntoView {
    let live = use_live();
    #[cfg(feature = "hydrate")]
    {
        use crate::live::browser::redraw;
        Effect::new(move |_| {
            if let Some(change) = live.latest() {
                super::list_patch::apply(&request, &return_to, &change);
            }
        });
        Effect::new(move |previous: Option<u64>| {
            let now = live.resyncs();
            if previous.is_some() {
                redraw(LISTING_ID, None, false);
            }
            now
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (live, request, return_to);
    view! { <div id=LISTING_ID class="task-listing">{children()}</div> }
}

/// The line above the rows; the island writes it again when a change adds or removes a row.
pub(crate) fn summary(count: usize, more: bool) -> String {
    format!(
        "{count} current task{} on this page{}",
        if count == 1 { "" } else { "s" },
        if more { ", more on the next page" } else { "" }
    )
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
fn TaskListing(page: TaskList, request: ListRequest, return_to: String) -> impl IntoView {
    let first = (!request.after.is_empty()).then(|| request.href(""));
    let next = page.next_after.as_deref().map(|after| request.href(after));
    if page.tasks.is_empty() {
        return view! {
            <div class="empty-state">
                <p>"No tasks here."</p>
                <p>
                    "Create one with the form beside the list, or clear the search and the status "
                    "filter. Every later change will be stored as a new version beside the old "
                    "ones, never over them; deleted tasks wait on the "
                    <a href="/tasks/deleted">"deleted page"</a>"."
                </p>
            </div>
            <Pager first next />
        }
        .into_any();
    }
    let read_at = page.read_at;
    view! {
        <p class="list-summary">
            <span class="list-count">{summary(page.tasks.len(), page.next_after.is_some())}</span>
            " · read from the "<code>"task_current"</code>" read model on "{page.backend}
        </p>
        // The key the next page starts after, which the island moves as rows come and go.
        <ul class="task-list" data-next=page.next_after.unwrap_or_default()>
            {page
                .tasks
                .into_iter()
                .map(|task| {
                    view! { <TaskRow task now=read_at return_to=return_to.clone() key=first_key() /> }
                })
                .collect_view()}
        </ul>
        <Pager first next />
    }
    .into_any()
}

/// The list's row for the latest version of a task, as every follower's list puts it in place
/// (`None` for a tombstone). Drawn once per change, so it carries no viewer's state: its "where
/// to return" and its delete form's idempotency key are blank, and each browser fills in its own.
#[cfg(feature = "ssr")]
pub(crate) fn drawn_row(task: &TaskVersion) -> Option<String> {
    if task.is_tombstone() {
        return None;
    }
    let task = task.clone();
    let now = task.recorded_at;
    let html = Owner::new().with(|| {
        view! { <TaskRow task now return_to=String::new() key=String::new() /> }.to_html()
    });
    Some(html)
}

/// One row. Its attributes carry what the island needs to place it: the task, its version and
/// status, its sort key (`ListCursor`) and its position in the log (for the highlight).
#[component]
fn TaskRow(
    task: TaskVersion,
    now: chrono::DateTime<chrono::Utc>,
    return_to: String,
    /// The delete form's idempotency key.
    key: String,
) -> impl IntoView {
    let cursor = paging::ListCursor::of(&task).to_string();
    let fields = task.fields;
    let title = fields.title.as_str().to_owned();
    let id = task.entity_id.to_string();
    view! {
        <li
            class="task-row"
            data-entity-id=id.clone()
            data-version=task.version
            data-status=fields.status.as_str()
            data-cursor=cursor
            data-position=task.position
        >
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
            <span class="task-changed"><TimeAgo at=task.recorded_at now /></span>
            <div class="task-actions">
                <a href=format!("/tasks/{id}/edit")>"Edit"</a>
                <a href=format!("/tasks/{id}/history")>"History"</a>
                <DeleteConfirm
                    entity_id=id.clone()
                    title
                    summary="Delete"
                    then=return_to
                    key=key
                />
            </div>
        </li>
    }
}
