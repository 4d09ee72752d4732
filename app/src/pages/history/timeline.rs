//! The history page's timeline: one entry per version, newest first, stepped through with the
//! previous / next links and the arrow keys, with the state of the task's hash chain.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::{CompareForm, SelectedVersion};
use crate::command::{RestoreTask, RevertTask};
use crate::error::AppError;
use crate::pages::common::{ChangeList, ErrorNotice, OpBadge, TimeAgo};
use crate::pages::task_show::DeletedBanner;
use crate::server_fns::{HistoryEntry, TaskDetail, TaskHistory};
use crate::task::paging::PAGE_SIZE;
use crate::task::{ChainReport, Op};

#[component]
pub(super) fn Timeline(
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
    let shown = selected();
    let older = (shown > 1).then(|| version_href(shown - 1));
    let newer = (shown < newest).then(|| version_href(shown + 1));

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
        <ArrowKeySteps older newer />
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

/// ← opens the older version, → the newer one, unless the keys are busy in a form control.
#[island]
fn ArrowKeySteps(older: Option<String>, newer: Option<String>) -> impl IntoView {
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
        let target = match event.key().as_str() {
            "ArrowLeft" => older.as_deref(),
            "ArrowRight" => newer.as_deref(),
            _ => None,
        };
        if let Some(href) = target {
            event.prevent_default();
            let _ = window().location().assign(href);
        }
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
    let position = version.position;
    let backdated = version.is_backdated();
    let valid_since = version.valid_since();
    let board_then = format!(
        "/tasks?as_of={}",
        crate::time::url_instant(version.recorded_at)
    );
    view! {
        <li
            class=format!("timeline-item op-{}", version.op.as_str())
            class:selected=selected
            id=format!("version-{}", version.version)
            data-position=position
        >
            <a href=href class="timeline-link" aria-current=move || selected().then_some("true")>
                <span class="timeline-version">{format!("v{}", version.version)}</span>
                <OpBadge op=version.op />
                <span class="timeline-who">{version.actor.as_str().to_owned()}</span>
                <span class="timeline-when"><TimeAgo at=version.recorded_at now=read_at /></span>
            </a>
            {version.note.map(|note| view! { <p class="note">"“"{note.as_str().to_owned()}"”"</p> })}
            {backdated.then(|| view! {
                <p class="valid-time">
                    "True since " <time datetime=crate::time::url_instant(valid_since)>{crate::time::exact(valid_since)}</time>
                    ", recorded " {crate::time::exact(version.recorded_at)}
                </p>
            })}
            {(!entry.corrects.is_empty()).then(|| view! {
                <p class="correction">{corrects_line(&entry.corrects)}</p>
            })}
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

/// "Corrects v3 and v4: …": the earlier versions a back-dated version replaces from its time on.
fn corrects_line(versions: &[i64]) -> String {
    let names: Vec<String> = versions.iter().map(|number| format!("v{number}")).collect();
    let list = match names.as_slice() {
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        [] => String::new(),
    };
    format!("Correction: replaces what {list} stated from that time on.")
}
