//! Pieces every page uses: badges, times, flash messages, error notices, form fields, and the
//! glue that shows a form the server's verdict on its last post (it comes back in the query
//! string).

use leptos::prelude::*;
use leptos::server_fn::error::ServerFnUrlError;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::{use_location, use_query_map};

use super::submission::first_key;
use crate::command::DeleteTask;
use crate::diff::{FieldChange, WordChange};
use crate::error::AppError;
use crate::server_fns::DRAFT_PREFIX;
use crate::task::idempotency::FIELD;
use crate::task::{Op, Status, TaskVersion};
use crate::time;

#[component]
pub fn StatusBadge(status: Status) -> impl IntoView {
    view! { <span class=format!("badge status-{}", status.as_str())>{status.label()}</span> }
}

#[component]
pub fn OpBadge(op: Op) -> impl IntoView {
    view! { <span class=format!("badge op op-{}", op.as_str())>{op.label()}</span> }
}

/// "3 hours ago", with the exact instant on hover and in the markup.
#[component]
pub fn TimeAgo(
    at: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> impl IntoView {
    view! {
        <time datetime=at.to_rfc3339() title=time::exact(at)>
            {time::relative(at, now)}
        </time>
    }
}

/// The first characters of a hash: enough to compare by eye; the whole hash is in the tooltip.
pub fn short_hash(hash: &str) -> String {
    hash.chars().take(12).collect()
}

/// The message a successful write leaves for the next page (`?flash=updated.5`).
#[component]
pub fn FlashBanner() -> impl IntoView {
    let query = use_query_map();
    let message = move || {
        let flash = query.read().get("flash")?;
        let (op, version) = flash.split_once('.')?;
        let version: i64 = version.parse().ok()?;
        Some(match op.parse::<Op>().ok()? {
            Op::Created => format!("Created — version {version}."),
            Op::Updated => format!("Saved — now version {version}."),
            Op::Deleted => format!(
                "Deleted — version {version} is its tombstone. It can be restored from Deleted tasks."
            ),
            Op::Restored => format!("Restored as version {version}."),
            Op::Reverted => format!("Reverted — now version {version}."),
        })
    };
    view! {
        <div class="flash-slot" role="status" aria-live="polite">
            {move || message().map(|text| view! { <p class="flash">{text}</p> })}
        </div>
    }
}

/// A failed page load. Unknown tasks get the 404 page; anything else its message and status.
#[component]
pub fn PageError(error: AppError) -> impl IntoView {
    error.set_page_status();
    match error {
        AppError::NotFound => view! {
            <section class="not-found">
                <h1>"No such task"</h1>
                <p>"No task has this id. It may have been mistyped: ids never change and tasks are never erased."</p>
                <p><a href="/">"Back to the tasks"</a></p>
            </section>
        }
        .into_any(),
        error => view! { <ErrorNotice error /> }.into_any(),
    }
}

#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    view! { <p class="notice notice-error" role="alert">{error.to_string()}</p> }
}

/// The verdict on a form's latest submission: forms are posted as plain HTML (the server draws
/// every page), and a failed post comes back with its error in the query string, shown only by
/// the form whose function it was.
pub fn submission_error<F>() -> Signal<Option<AppError>>
where
    F: ServerFn<Error = AppError>,
{
    Signal::stored(plain_post_error::<F>())
}

/// The error a plain post of this form carried back in the query string, if it was this
/// form's function that failed.
pub fn plain_post_error<F>() -> Option<AppError>
where
    F: ServerFn<Error = AppError>,
{
    let query = use_query_map();
    let query = query.read_untracked();
    (query.get("__path").as_deref() == Some(F::PATH))
        .then(|| query.get("__err"))
        .flatten()
        .map(|encoded| ServerFnUrlError::<AppError>::decode_err(&encoded))
}

/// What a plain post of this form had typed before it failed (`draft_*` query parameters).
pub fn posted_draft<F: ServerFn>(name: &str) -> Option<String> {
    let query = use_query_map();
    let query = query.read_untracked();
    (query.get("__path").as_deref() == Some(F::PATH))
        .then(|| query.get(&format!("{DRAFT_PREFIX}{name}")))
        .flatten()
}

/// This page's path and query, for a form's `return_to`. A plain closure over the router's
/// location, so it stays valid in views that re-render.
pub fn here() -> impl Fn() -> String + Clone + Send + Sync + 'static {
    let location = use_location();
    move || {
        let search = location.search.get();
        let query: Vec<_> = search
            .trim_start_matches('?')
            .split('&')
            .filter(|pair| {
                !pair.is_empty()
                    && !pair.starts_with("flash=")
                    && !pair.starts_with("__")
                    && !pair.starts_with(DRAFT_PREFIX)
            })
            .collect();
        match query.is_empty() {
            true => location.pathname.get(),
            false => format!("{}?{}", location.pathname.get(), query.join("&")),
        }
    }
}

/// The field-level changes of one version, old → new; the description word by word.
#[component]
pub fn ChangeList(changes: Vec<FieldChange>) -> impl IntoView {
    if changes.is_empty() {
        return view! { <p class="changes-none">"No field changed."</p> }.into_any();
    }
    view! {
        <dl class="changes">
            {changes
                .into_iter()
                .map(|change| {
                    let value = if change.words.is_empty() {
                        view! {
                            <span class="old">{change.old.unwrap_or_else(|| "—".to_owned())}</span>
                            <span class="arrow" aria-label="changed to">" → "</span>
                            <span class="new">{change.new.unwrap_or_else(|| "—".to_owned())}</span>
                        }
                        .into_any()
                    } else {
                        view! {
                            <span class="words">
                                {change
                                    .words
                                    .into_iter()
                                    .map(|span| match span.change {
                                        WordChange::Kept => view! { <span>{span.text}</span> }.into_any(),
                                        WordChange::Removed => view! { <del>{span.text}</del> }.into_any(),
                                        WordChange::Added => view! { <ins>{span.text}</ins> }.into_any(),
                                    })
                                    .collect_view()}
                            </span>
                        }
                        .into_any()
                    };
                    view! {
                        <div class=format!("change change-{}", change.field)>
                            <dt>{change.label}</dt>
                            <dd>{value}</dd>
                        </div>
                    }
                })
                .collect_view()}
        </dl>
    }
    .into_any()
}

/// The content of one version: every field, as a definition list.
#[component]
pub fn Snapshot(task: TaskVersion) -> impl IntoView {
    let fields = task.fields;
    view! {
        <dl class="snapshot">
            <dt>"Title"</dt>
            <dd class="snapshot-title">{fields.title.as_str().to_owned()}</dd>
            <dt>"Status"</dt>
            <dd><StatusBadge status=fields.status /></dd>
            <dt>"Priority"</dt>
            <dd>{format!("P{}", fields.priority.value())}</dd>
            <dt>"Due date"</dt>
            <dd>{fields.due_date.map(|date| date.format("%Y-%m-%d").to_string()).unwrap_or_else(|| "—".to_owned())}</dd>
            <dt>"Description"</dt>
            <dd class="description">
                {fields.description.map(|text| text.as_str().to_owned()).unwrap_or_else(|| "—".to_owned())}
            </dd>
        </dl>
    }
}

/// Who wrote a version, when, why, and how it is sealed: the row as the database holds it.
#[component]
pub fn VersionMeta(task: TaskVersion, now: chrono::DateTime<chrono::Utc>) -> impl IntoView {
    view! {
        <dl class="meta">
            <dt>"Entity id"</dt>
            <dd><code>{task.entity_id.to_string()}</code></dd>
            <dt>"Version"</dt>
            <dd>{format!("v{}", task.version)}" "<OpBadge op=task.op /></dd>
            <dt>"Recorded at"</dt>
            <dd>{time::exact(task.recorded_at)}" ("<TimeAgo at=task.recorded_at now />")"</dd>
            <dt>"Actor"</dt>
            <dd>{task.actor.as_str().to_owned()}</dd>
            <dt>"Note"</dt>
            <dd>{task.note.map(|note| note.as_str().to_owned()).unwrap_or_else(|| "—".to_owned())}</dd>
            <dt>"Row id"</dt>
            <dd><code>{task.id.to_string()}</code></dd>
            <dt>"Hash"</dt>
            <dd><code title=task.hash.clone()>{short_hash(&task.hash)}</code></dd>
            <dt>"Previous hash"</dt>
            <dd>
                {match task.prev_hash {
                    Some(hash) => view! { <code title=hash.clone()>{short_hash(&hash)}</code> }.into_any(),
                    None => view! { "— (first version)" }.into_any(),
                }}
            </dd>
        </dl>
    }
}

/// Delete behind a confirmation that says what deleting means here. A `<details>` disclosure,
/// so it needs no JavaScript.
#[component]
pub fn DeleteConfirm(
    entity_id: String,
    title: String,
    summary: &'static str,
    /// Where to go after deleting (`return_to`).
    then: String,
    /// The form's idempotency key; by default a fresh one. A row drawn once for every browser
    /// leaves it blank, and each browser puts its own in.
    #[prop(optional)]
    key: Option<String>,
) -> impl IntoView {
    view! {
        <details class="confirm">
            <summary>{summary}</summary>
            <form method="post" action=DeleteTask::PATH class="confirm-form">
                <input type="hidden" name=FIELD value=key.unwrap_or_else(first_key) />
                <input type="hidden" name="entity_id" value=entity_id />
                <input type="hidden" name="return_to" value=then />
                <p>"Delete “"{title}"”? A tombstone version is appended; it can be restored."</p>
                <button type="submit" class="button-danger">"Yes, delete"</button>
            </form>
        </details>
    }
}

/// A version's content beside its row metadata.
#[component]
pub fn DetailColumns(
    task: TaskVersion,
    now: chrono::DateTime<chrono::Utc>,
    content_heading: String,
    meta_heading: &'static str,
) -> impl IntoView {
    view! {
        <div class="detail-columns">
            <section aria-labelledby="content-heading">
                <h2 id="content-heading">{content_heading}</h2>
                <Snapshot task=task.clone() />
            </section>
            <section aria-labelledby="meta-heading">
                <h2 id="meta-heading">{meta_heading}</h2>
                <VersionMeta task now />
            </section>
        </div>
    }
}

/// The links between the pages of a list: back to the first page, and on to the next one. Both
/// are plain links, so paging works with JavaScript off.
#[component]
pub fn Pager(
    /// The first page's link, when this is not the first page.
    first: Option<String>,
    /// The next page's link, when there is one.
    next: Option<String>,
) -> impl IntoView {
    (first.is_some() || next.is_some()).then(|| {
        view! {
            <nav class="pager" aria-label="Pages">
                {first.map(|href| view! { <a href=href rel="first">"← First page"</a> })}
                {next.map(|href| view! { <a href=href rel="next">"Next page →"</a> })}
            </nav>
        }
    })
}
