//! `/` and `/tasks`: the current tasks (read from the read model), a status filter and sort
//! order carried in the URL, the form that creates a task, and delete with confirmation. The
//! list follows the change stream; with `?as_of=` or `?at_change=` it shows the board of that
//! moment instead, read-only.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use super::common::{here, submission_error, DeleteConfirm, PageError, StatusBadge, TimeAgo};
use super::task_form::{FormOutcome, FormValues, TaskInputs};
use super::time_travel::{is_past, BoardAsOf, Moment, TimeTravel};
use crate::api::{list_tasks, CreateTask, DeleteTask, TaskList};
use crate::live::use_live;
use crate::task::{Status, TaskSort, TaskVersion};

#[component]
pub fn TaskListPage() -> impl IntoView {
    let query = use_query_map();
    let status = move || query.read().get("status").unwrap_or_default();
    let sort = move || query.read().get("sort").unwrap_or_default();
    let moment = Signal::derive(move || -> Moment {
        let query = query.read();
        (
            query.get("as_of").unwrap_or_default(),
            query.get("at_change").unwrap_or_default(),
        )
    });
    // A memo, so changing the filter does not rebuild the page around it.
    let past = Memo::new(move |_| is_past(&moment.get()));
    let create = ServerAction::<CreateTask>::new();
    let delete = ServerAction::<DeleteTask>::new();
    let live = use_live();
    // Made here, not per row: rows are rebuilt inside a Suspend on every refetch, and a signal
    // made there is disposed while the old rows may still read it.
    let return_to = Signal::derive(here());
    let tasks = Resource::new(
        move || {
            (
                status(),
                sort(),
                create.version().get(),
                delete.version().get(),
                live.board_revision(),
            )
        },
        |(status, sort, _, _, _)| list_tasks(status, sort),
    );
    let now = move || {
        view! {
            <CreateTaskForm action=create />
            <FilterBar status=Signal::derive(status) sort=Signal::derive(sort) />
            <Transition fallback=|| view! { <p class="loading">"Loading tasks…"</p> }>
                {move || Suspend::new(async move {
                    match tasks.await {
                        Ok(list) => view! { <TaskListing list delete return_to /> }.into_any(),
                        Err(error) => view! { <PageError error /> }.into_any(),
                    }
                })}
            </Transition>
        }
    };

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
            // In the past the control comes first: it is what the visitor is using.
            {move || match past.get() {
                true => view! { <TimeTravel moment /> <BoardAsOf moment /> }.into_any(),
                false => view! { {now()} <TimeTravel moment /> }.into_any(),
            }}
        </section>
    }
}

/// The create form. After a successful create the browser comes back to this same list, with a
/// flash naming the version; `/tasks/new` uses it too and goes to the new task's page instead.
#[component]
pub fn CreateTaskForm(
    action: ServerAction<CreateTask>,
    /// Where to go after creating: this page (the list) or, when false, the new task's page.
    #[prop(default = true)]
    stay_here: bool,
) -> impl IntoView {
    let form = NodeRef::<leptos::html::Form>::new();
    let pending = action.pending();
    let error = submission_error(action);
    let values = FormValues::posted::<CreateTask>().unwrap_or_default();
    let return_to = here();
    // A created task clears the form for the next one.
    Effect::new(move |_| {
        if let (Some(Ok(_)), Some(form)) = (action.value().get(), form.get()) {
            form.reset();
        }
    });

    view! {
        <ActionForm action node_ref=form attr:class="task-form" attr:aria-label="Create a task">
            {stay_here.then(|| view! { <h2>"New task"</h2> })}
            <input type="hidden" name="return_to" value=move || if stay_here { return_to() } else { String::new() } />
            <TaskInputs
                prefix="new"
                values
                error
                note_placeholder="Why? (optional, kept with version 1)".to_owned()
            />
            <div class="form-actions">
                <button type="submit" class="button-primary" disabled=pending>
                    {move || if pending.get() { "Creating…" } else { "Create task" }}
                </button>
                <FormOutcome error />
            </div>
        </ActionForm>
    }
}

/// Filter and sort live in the query string, so a filtered list is a link anyone can open.
#[component]
fn FilterBar(status: Signal<String>, sort: Signal<String>) -> impl IntoView {
    view! {
        <Form method="GET" action="" attr:class="filter-bar" attr:aria-label="Filter and sort">
            <label for="filter-status">"Show"</label>
            <select id="filter-status" name="status">
                <option value="" selected=move || status.get().is_empty()>"All statuses"</option>
                {Status::ALL
                    .into_iter()
                    .map(|option| {
                        view! {
                            <option value=option.as_str() selected=move || status.get() == option.as_str()>
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
                            let current = sort.get();
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
    list: TaskList,
    delete: ServerAction<DeleteTask>,
    return_to: Signal<String>,
) -> impl IntoView {
    let backend = list.backend.clone();
    let count = list.tasks.len();
    if list.tasks.is_empty() {
        return view! {
            <div class="empty-state">
                <p>"No tasks here."</p>
                <p>
                    "Create one with the form above, or clear the status filter. Every later "
                    "change will be stored as a new version beside the old ones, never over them; "
                    "deleted tasks wait on the "<a href="/tasks/deleted">"deleted page"</a>"."
                </p>
            </div>
        }
        .into_any();
    }
    let read_at = list.read_at;
    view! {
        <p class="list-summary">
            {format!("{count} current task{}", if count == 1 { "" } else { "s" })}
            " · read from the "<code>"task_current"</code>" read model on "{backend}
        </p>
        <ul class="task-list">
            {list
                .tasks
                .into_iter()
                .map(|task| view! { <TaskRow task read_at delete return_to /> })
                .collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn TaskRow(
    task: TaskVersion,
    read_at: chrono::DateTime<chrono::Utc>,
    delete: ServerAction<DeleteTask>,
    return_to: Signal<String>,
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
                    .map(|date| format!("due {}", date.format("%Y-%m-%d")))
                    .unwrap_or_default()}
            </span>
            <span class="task-version" title="Current version">{format!("v{}", task.version)}</span>
            <span class="task-changed"><TimeAgo at=task.recorded_at now=read_at /></span>
            <div class="task-actions">
                <a href=format!("/tasks/{id}/edit")>"Edit"</a>
                <a href=format!("/tasks/{id}/history")>"History"</a>
                <DeleteConfirm
                    action=delete
                    entity_id=id.clone()
                    title
                    summary="Delete"
                    then=return_to
                />
            </div>
        </li>
    }
}
