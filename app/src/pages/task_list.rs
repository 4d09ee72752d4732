//! `/` and `/tasks`: the current tasks (read from the read model), a status filter and sort
//! order carried in the URL, and the form that creates a task.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos::server_fn::error::ServerFnUrlError;
use leptos::server_fn::ServerFn;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::{list_tasks, CreateTask, TaskList};
use crate::error::AppError;
use crate::task::{Status, TaskSort, TaskVersion};
use crate::time;

#[component]
pub fn TaskListPage() -> impl IntoView {
    let query = use_query_map();
    let status = move || query.read().get("status").unwrap_or_default();
    let sort = move || query.read().get("sort").unwrap_or_default();
    let create = ServerAction::<CreateTask>::new();
    let tasks = Resource::new(
        move || (status(), sort(), create.version().get()),
        |(status, sort, _)| list_tasks(status, sort),
    );

    view! {
        <section class="tasks" aria-labelledby="tasks-heading">
            <h1 id="tasks-heading">"Tasks"</h1>
            <CreateTaskForm action=create />
            <FilterBar status=Signal::derive(status) sort=Signal::derive(sort) />
            <Transition fallback=|| view! { <p class="loading">"Loading tasks…"</p> }>
                {move || Suspend::new(async move {
                    match tasks.await {
                        Ok(list) => view! { <TaskListing list /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ErrorNotice(error: AppError) -> impl IntoView {
    view! { <p class="notice notice-error" role="alert">{error.to_string()}</p> }
}

/// A labelled form control with the message that explains what is wrong with it. The control
/// (`children`) must carry `id` and point `aria-describedby` at `{id}-error`.
#[component]
fn Field(
    id: &'static str,
    label: &'static str,
    message: Signal<Option<String>>,
    #[prop(optional)] wide: bool,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="field" class:field-wide=wide>
            <label for=id>{label}</label>
            {children()}
            <p class="field-error" id=format!("{id}-error") aria-live="polite">
                {move || message.get()}
            </p>
        </div>
    }
}

#[component]
fn CreateTaskForm(action: ServerAction<CreateTask>) -> impl IntoView {
    let form = NodeRef::<leptos::html::Form>::new();
    let pending = action.pending();
    let outcome = action.value();
    let query = use_query_map();
    // The latest submission's error. With JavaScript off there is no action value: a failed
    // post redirects back here with the error encoded in the query string instead.
    let error = Signal::derive(move || match outcome.get() {
        Some(result) => result.err(),
        None => {
            let query = query.read();
            let ours = query.get("__path").as_deref() == Some(<CreateTask as ServerFn>::PATH);
            query
                .get("__err")
                .filter(|_| ours)
                .map(|encoded| ServerFnUrlError::<AppError>::decode_err(&encoded))
        }
    });
    let message_for = move |field: &'static str| {
        Signal::derive(move || error.get().and_then(|error| error.field_message(field)))
    };
    // A created task clears the form for the next one.
    Effect::new(move |_| {
        if let (Some(Ok(_)), Some(form)) = (outcome.get(), form.get()) {
            form.reset();
        }
    });

    view! {
        <ActionForm action node_ref=form attr:class="task-form" attr:aria-label="Create a task">
            <h2>"New task"</h2>
            <Field id="new-title" label="Title" message=message_for("title") wide=true>
                <input
                    id="new-title"
                    name="title"
                    required
                    maxlength="200"
                    autocomplete="off"
                    aria-describedby="new-title-error"
                />
            </Field>
            <Field id="new-description" label="Description" message=message_for("description") wide=true>
                <textarea
                    id="new-description"
                    name="description"
                    rows="2"
                    maxlength="10000"
                    aria-describedby="new-description-error"
                ></textarea>
            </Field>
            <Field id="new-status" label="Status" message=message_for("status")>
                <select id="new-status" name="status" aria-describedby="new-status-error">
                    {Status::ALL
                        .into_iter()
                        .map(|status| view! { <option value=status.as_str()>{status.label()}</option> })
                        .collect_view()}
                </select>
            </Field>
            <Field id="new-priority" label="Priority (0–5)" message=message_for("priority")>
                <input
                    id="new-priority"
                    name="priority"
                    type="number"
                    min="0"
                    max="5"
                    step="1"
                    value="0"
                    aria-describedby="new-priority-error"
                />
            </Field>
            <Field id="new-due-date" label="Due date" message=message_for("due_date")>
                <input
                    id="new-due-date"
                    name="due_date"
                    type="date"
                    aria-describedby="new-due-date-error"
                />
            </Field>
            <Field id="new-actor" label="Your name" message=message_for("actor")>
                <input
                    id="new-actor"
                    name="actor"
                    maxlength="100"
                    placeholder="anonymous"
                    aria-describedby="new-actor-error"
                />
            </Field>
            <Field id="new-note" label="Change note" message=message_for("note") wide=true>
                <input
                    id="new-note"
                    name="note"
                    maxlength="1000"
                    placeholder="Why? (optional, kept with version 1)"
                    aria-describedby="new-note-error"
                />
            </Field>
            <div class="form-actions">
                <button type="submit" class="button-primary" disabled=pending>
                    {move || if pending.get() { "Creating…" } else { "Create task" }}
                </button>
                <p class="form-outcome" role="status">
                    {move || match (outcome.get(), error.get()) {
                        (_, Some(AppError::Invalid(_))) => "Please fix the fields marked above.".to_owned(),
                        (_, Some(error)) => error.to_string(),
                        (Some(Ok(created)), None) => {
                            format!("Created “{}” as version {}", created.fields.title.as_str(), created.version)
                        }
                        _ => String::new(),
                    }}
                </p>
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
fn TaskListing(list: TaskList) -> impl IntoView {
    let backend = list.backend.clone();
    let count = list.tasks.len();
    if list.tasks.is_empty() {
        return view! {
            <div class="empty-state">
                <p>"No tasks here yet."</p>
                <p>
                    "Create one with the form above. Every later change will be stored as a new "
                    "version beside the old ones, never over them."
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
                .map(|task| view! { <TaskRow task read_at /> })
                .collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn TaskRow(task: TaskVersion, read_at: chrono::DateTime<chrono::Utc>) -> impl IntoView {
    let fields = task.fields;
    let status = fields.status;
    view! {
        <li class="task-row">
            <span class="task-title">{fields.title.as_str().to_owned()}</span>
            <span class=format!("badge status-{}", status.as_str())>{status.label()}</span>
            <span class="task-priority" title="Priority">{format!("P{}", fields.priority.value())}</span>
            <span class="task-due">
                {fields
                    .due_date
                    .map(|date| format!("due {}", date.format("%Y-%m-%d")))
                    .unwrap_or_default()}
            </span>
            <span class="task-version" title="Current version">{format!("v{}", task.version)}</span>
            <time
                class="task-changed"
                datetime=task.recorded_at.to_rfc3339()
                title=time::exact(task.recorded_at)
            >
                {time::relative(task.recorded_at, read_at)}
            </time>
        </li>
    }
}
