//! `/tasks/:id/history`: the task's timeline, newest first. Each version shows its operation,
//! who and when, the note, and what it changed against the version before. One version is
//! selected (`?version=N`) and shown in full beside the timeline; previous / next and the ← →
//! keys step through them. Any two versions can be compared (`?from=A&to=B`), any older live
//! version reverted to (a new version copying it), and a deleted task restored.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::{use_navigate, use_query_map};

use super::common::{
    submission_error, ChangeList, ErrorNotice, OpBadge, PageError, Snapshot, TimeAgo, VersionMeta,
};
use super::entity_param;
use super::submission::IdempotencyKeyInput;
use super::task_show::DeletedBanner;
use crate::api::{
    compare_versions, get_history, HistoryEntry, RestoreTask, RevertTask, TaskDetail, TaskHistory,
};
use crate::error::AppError;
use crate::paging::PAGE_SIZE;
use crate::task::{ChainReport, Op};

#[component]
pub fn HistoryPage() -> impl IntoView {
    let id = entity_param();
    let revert = ServerAction::<RevertTask>::new();
    let restore = ServerAction::<RestoreTask>::new();
    let revision = crate::live::use_live().task_revision(id);
    let query = use_query_map();
    // Only a page link changes the page. Within a history that fits one page, stepping changes
    // `version` alone and needs nothing from the server; a longer one's links all name their
    // page, so `version` only chooses the page on arrival.
    let page = Memo::new(move |_| query.read().get("page").unwrap_or_default());
    let history = Resource::new(
        move || {
            (
                id.get(),
                page.get(),
                revert.version().get(),
                restore.version().get(),
                revision.get(),
            )
        },
        move |(id, page, _, _, _)| {
            let version = query.read_untracked().get("version").unwrap_or_default();
            get_history(id, version, page)
        },
    );
    let revert_error = submission_error(revert);
    let restore_error = submission_error(restore);
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading the history…"</p> }>
            {move || Suspend::new(async move {
                match history.await {
                    Ok(history) => view! { <Timeline history revert revert_error restore restore_error /> }.into_any(),
                    Err(error) => view! { <PageError error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Timeline(
    history: TaskHistory,
    revert: ServerAction<RevertTask>,
    revert_error: Signal<Option<AppError>>,
    restore: ServerAction<RestoreTask>,
    restore_error: Signal<Option<AppError>>,
) -> impl IntoView {
    let query = use_query_map();
    let latest = history.latest.clone();
    let id = latest.entity_id.to_string();
    let newest = latest.version;
    // This page's stretch of the history; `oldest..=top` is everything when it fits one page.
    let top = history
        .entries
        .first()
        .map_or(newest, |entry| entry.version.version);
    let oldest = history
        .entries
        .last()
        .map_or(1, |entry| entry.version.version);
    let paged = newest > PAGE_SIZE as i64;
    // Plain closures, not memos: this view is rebuilt inside a Suspend whenever the history
    // changes, and a memo made here would be disposed while the old view still reads it.
    let selected = move || {
        query
            .read()
            .get("version")
            .and_then(|raw| raw.parse::<i64>().ok())
            .filter(|version| (oldest..=top).contains(version))
            .unwrap_or(top)
    };
    let path = format!("/tasks/{id}/history");
    // In a long history every link names the page that shows its version: this page, or the
    // next one in the direction of travel with the version at its edge.
    let version_href = {
        let path = path.clone();
        move |version: i64| match paged {
            false => format!("{path}?version={version}"),
            true => {
                let page = match version {
                    v if v > top => (v + PAGE_SIZE as i64 - 1).min(newest),
                    v if v < oldest => v,
                    _ => top,
                };
                format!("{path}?version={version}&page={page}")
            }
        }
    };
    let newer_page = (top < newest).then(|| {
        let page = (top + PAGE_SIZE as i64).min(newest);
        format!("{path}?version={page}&page={page}")
    });
    let older_page = history
        .older_page
        .map(|page| format!("{path}?version={page}&page={page}"));
    step_with_arrow_keys(selected, 1, newest, version_href.clone());

    let entries = StoredValue::new(history.entries.clone());
    let selected_entry = move || {
        entries.with_value(|entries| {
            entries
                .iter()
                .find(|entry| entry.version.version == selected())
                .cloned()
        })
    };
    let read_at = history.read_at;
    let title = latest.fields.title.as_str().to_owned();
    let deleted = latest.is_tombstone();

    view! {
        <section class="history" aria-labelledby="history-heading">
            <div class="page-heading">
                <h1 id="history-heading">"History of “"{title}"”"</h1>
            </div>
            <nav class="page-links" aria-label="This task">
                <a href=format!("/tasks/{id}")>"The task"</a>
                {(!deleted).then(|| view! { <a href=format!("/tasks/{id}/edit")>"Edit"</a> })}
                <a href="/">"All tasks"</a>
            </nav>
            {deleted.then(|| view! { <DeletedBanner detail=TaskDetail { task: latest.clone(), read_at } restore error=restore_error /> })}
            <ChainStatus chain=history.chain.clone() />
            {move || revert_error.get().map(|error| view! { <ErrorNotice error /> })}
            <CompareForm entity_id=id.clone() newest />
            {paged.then(|| view! {
                <p class="list-summary">
                    {format!("Versions {oldest}–{top} of {newest}, {PAGE_SIZE} to a page")}
                </p>
            })}
            <div class="history-layout">
                <ol class="timeline" aria-label="Versions, newest first">
                    {history
                        .entries
                        .into_iter()
                        .map(|entry| {
                            let version = entry.version.version;
                            view! {
                                <TimelineItem
                                    entry
                                    read_at
                                    href=version_href(version)
                                    selected=move || selected() == version
                                />
                            }
                        })
                        .collect_view()}
                </ol>
                <aside class="selected-version" aria-label="Selected version">
                    {move || {
                        selected_entry()
                            .map(|entry| {
                                view! {
                                    <SelectedVersion
                                        entry
                                        newest
                                        oldest=1
                                        deleted
                                        read_at
                                        href=version_href.clone()
                                        revert
                                    />
                                }
                            })
                    }}
                </aside>
            </div>
            {(newer_page.is_some() || older_page.is_some()).then(|| view! {
                <nav class="pager" aria-label="Pages of versions">
                    {newer_page.map(|href| view! { <a href=href rel="prev">"← Newer versions"</a> })}
                    {older_page.map(|href| view! { <a href=href rel="next">"Older versions →"</a> })}
                </nav>
            })}
        </section>
    }
}

/// ← shows the older version, → the newer one, unless the keys are busy in a form control.
fn step_with_arrow_keys(
    selected: impl Fn() -> i64 + 'static,
    oldest: i64,
    newest: i64,
    href: impl Fn(i64) -> String + 'static,
) {
    let navigate = use_navigate();
    let handle = window_event_listener(leptos::ev::keydown, move |event| {
        if event.alt_key() || event.ctrl_key() || event.meta_key() || event.shift_key() {
            return;
        }
        let typing = document().active_element().is_some_and(|element| {
            matches!(element.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
        });
        if typing {
            return;
        }
        let current = untrack(&selected);
        let target = match event.key().as_str() {
            "ArrowLeft" if current > oldest => current - 1,
            "ArrowRight" if current < newest => current + 1,
            _ => return,
        };
        event.prevent_default();
        navigate(&href(target), Default::default());
    });
    on_cleanup(move || handle.remove());
}

#[component]
fn ChainStatus(chain: ChainReport) -> impl IntoView {
    match chain.broken {
        None => view! {
            <p class="chain chain-intact">
                {format!(
                    "Hash chain intact: {} version{} re-hashed and linked, none altered since written.",
                    chain.versions_checked,
                    if chain.versions_checked == 1 { "" } else { "s" }
                )}
            </p>
        }
        .into_any(),
        Some(broken) => view! {
            <p class="chain chain-broken" role="alert">
                {format!(
                    "Hash chain broken at version {}: {}. A stored row was changed after it was written.",
                    broken.version, broken.reason
                )}
            </p>
        }
        .into_any(),
    }
}

#[component]
fn TimelineItem(
    entry: HistoryEntry,
    read_at: chrono::DateTime<chrono::Utc>,
    href: String,
    selected: impl Fn() -> bool + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let version = entry.version;
    let live = crate::live::use_live();
    let position = version.position;
    let board_then = format!(
        "/tasks?as_of={}",
        crate::time::url_instant(version.recorded_at)
    );
    view! {
        <li
            class=format!("timeline-item op-{}", version.op.as_str())
            class:selected=selected
            class:just-changed=move || live.is_fresh_position(position)
            id=format!("version-{}", version.version)
        >
            <a href=href class="timeline-link" aria-current=move || selected().then_some("true")>
                <span class="timeline-version">{format!("v{}", version.version)}</span>
                <OpBadge op=version.op />
                <span class="timeline-who">{version.actor.as_str().to_owned()}</span>
                <span class="timeline-when"><TimeAgo at=version.recorded_at now=read_at /></span>
            </a>
            {version.note.map(|note| view! { <p class="note">"“"{note.as_str().to_owned()}"”"</p> })}
            <a class="board-then" href=board_then>"View the board at this time"</a>
            {match version.op {
                Op::Deleted => view! {
                    <p class="changes-none">"Tombstone: the last content is kept; the task left the list. Nothing was erased."</p>
                }
                .into_any(),
                Op::Restored => view! {
                    <p class="changes-none">"Live again, with the content it had when deleted."</p>
                }
                .into_any(),
                _ => view! { <ChangeList changes=entry.changes /> }.into_any(),
            }}
        </li>
    }
}

#[component]
fn SelectedVersion(
    entry: HistoryEntry,
    newest: i64,
    oldest: i64,
    deleted: bool,
    read_at: chrono::DateTime<chrono::Utc>,
    href: impl Fn(i64) -> String + 'static,
    revert: ServerAction<RevertTask>,
) -> impl IntoView {
    let version = entry.version;
    let number = version.version;
    let id = version.entity_id.to_string();
    let can_revert = !deleted && number < newest && !version.is_tombstone();
    let pending = revert.pending();
    view! {
        <div class="stepper">
            {if number > oldest {
                view! { <a href=href(number - 1) class="button" rel="prev">"← Previous"</a> }.into_any()
            } else {
                view! { <span class="button" aria-disabled="true">"← Previous"</span> }.into_any()
            }}
            <span class="stepper-position">{format!("Version {number} of {newest}")}</span>
            {if number < newest {
                view! { <a href=href(number + 1) class="button" rel="next">"Next →"</a> }.into_any()
            } else {
                view! { <span class="button" aria-disabled="true">"Next →"</span> }.into_any()
            }}
        </div>
        <p class="hint">"Tip: the ← and → keys step through versions."</p>
        <h2>{format!("Version {number}")}" "<OpBadge op=version.op /></h2>
        <Snapshot task=version.clone() />
        <VersionMeta task=version.clone() now=read_at />
        {can_revert
            .then(|| {
                view! {
                    <details class="confirm">
                        <summary>{format!("Revert to version {number}")}</summary>
                        <ActionForm action=revert attr:class="confirm-form">
                            <IdempotencyKeyInput outcome=revert.value() />
                            <input type="hidden" name="entity_id" value=id.clone() />
                            <input type="hidden" name="version" value=number.to_string() />
                            <input type="hidden" name="return_to" value=format!("/tasks/{id}/history") />
                            <p>
                                {format!(
                                    "This appends version {} with the content of version {number}. Versions {number}–{newest} stay as they are.",
                                    newest + 1
                                )}
                            </p>
                            <button type="submit" class="button-primary" disabled=pending>
                                {move || if pending.get() { "Reverting…".to_owned() } else { format!("Yes, revert to version {number}") }}
                            </button>
                        </ActionForm>
                    </details>
                }
            })}
    }
}

/// Pick any two versions; the comparison is part of the URL (`?from=A&to=B`).
#[component]
fn CompareForm(entity_id: String, newest: i64) -> impl IntoView {
    let oldest = 1;
    let query = use_query_map();
    let chosen = move |name: &'static str, default: i64| {
        move || {
            query
                .read()
                .get(name)
                .and_then(|raw| raw.parse::<i64>().ok())
                .filter(|version| (oldest..=newest).contains(version))
                .unwrap_or(default)
        }
    };
    let from = chosen("from", (newest - 1).max(oldest));
    let to = chosen("to", newest);
    let comparing = move || query.read().get("from").is_some() && query.read().get("to").is_some();
    fn options(
        current: impl Fn() -> i64 + Copy + Send + Sync + 'static,
        versions: std::ops::RangeInclusive<i64>,
    ) -> impl IntoView {
        versions
            .rev()
            .map(|version| {
                view! {
                    <option value=version.to_string() selected=move || current() == version>
                        {format!("v{version}")}
                    </option>
                }
            })
            .collect_view()
    }
    let comparison = Resource::new(
        move || comparing().then(|| (entity_id.clone(), from(), to())),
        |key| async move {
            match key {
                Some((id, from, to)) => {
                    Some(compare_versions(id, from.to_string(), to.to_string()).await)
                }
                None => None,
            }
        },
    );
    // A long history gets number fields: a list of every version would outweigh the page.
    fn chooser(
        id: &'static str,
        name: &'static str,
        current: impl Fn() -> i64 + Copy + Send + Sync + 'static,
        versions: std::ops::RangeInclusive<i64>,
    ) -> AnyView {
        if versions.end() - versions.start() >= PAGE_SIZE as i64 {
            let (min, max) = (*versions.start(), *versions.end());
            view! { <input type="number" id=id name=name min=min max=max value=current /> }
                .into_any()
        } else {
            view! { <select id=id name=name>{options(current, versions)}</select> }.into_any()
        }
    }
    view! {
        <Form method="GET" action="" attr:class="compare-form" attr:aria-label="Compare two versions">
            <label for="compare-from">"Compare"</label>
            {chooser("compare-from", "from", from, oldest..=newest)}
            <label for="compare-to">"with"</label>
            {chooser("compare-to", "to", to, oldest..=newest)}
            <button type="submit">"Compare"</button>
        </Form>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match comparison.await {
                    Some(Ok(comparison)) => view! {
                        <section class="comparison" aria-labelledby="comparison-heading">
                            <h2 id="comparison-heading">
                                {format!("From version {} to version {}", comparison.from.version, comparison.to.version)}
                            </h2>
                            <ChangeList changes=comparison.changes />
                        </section>
                    }
                    .into_any(),
                    Some(Err(error)) => view! { <ErrorNotice error /> }.into_any(),
                    None => ().into_any(),
                }
            })}
        </Suspense>
    }
}
