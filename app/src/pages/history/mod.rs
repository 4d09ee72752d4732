//! `/tasks/:id/history`: the task's timeline, newest first. Each version shows its operation,
//! who and when, the note, and what it changed against the version before. One version is
//! selected (`?version=N`) and shown in full beside the timeline; previous / next and the ← →
//! keys step through them. Any two versions can be compared (`?from=A&to=B`), any older live
//! version reverted to (a new version copying it), and a deleted task restored.

mod timeline;

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use super::common::{
    submission_error, ChangeList, ErrorNotice, OpBadge, PageError, Snapshot, VersionMeta,
};
use super::live_region::LiveRegion;
use super::submission::IdempotencyKeyInput;
use super::{entity_param, task_follows};
use crate::command::{RestoreTask, RevertTask};
use crate::server_fns::{compare_versions, get_history, HistoryEntry};
use crate::task::paging::PAGE_SIZE;
use timeline::Timeline;

#[component]
pub fn HistoryPage() -> impl IntoView {
    let id = entity_param();
    let revert = ServerAction::<RevertTask>::new();
    let restore = ServerAction::<RestoreTask>::new();
    let query = use_query_map();
    // Only a page link changes the page. Within a history that fits one page, stepping changes
    // `version` alone and needs nothing from the server; a longer one's links all name their
    // page, so `version` only chooses the page on arrival.
    let page = Memo::new(move |_| query.read().get("page").unwrap_or_default());
    let history = Resource::new(
        move || (id.get(), page.get()),
        move |(id, page)| {
            let version = query.read_untracked().get("version").unwrap_or_default();
            get_history(id, version, page)
        },
    );
    let revert_error = submission_error::<RevertTask>();
    let restore_error = submission_error::<RestoreTask>();
    view! {
        <LiveRegion id="history-live".to_owned() follows=task_follows(id)>
        <Transition fallback=|| view! { <p class="loading">"Loading the history…"</p> }>
            {move || Suspend::new(async move {
                match history.await {
                    Ok(history) => view! { <Timeline history revert revert_error restore restore_error /> }.into_any(),
                    Err(error) => view! { <PageError error /> }.into_any(),
                }
            })}
        </Transition>
        </LiveRegion>
    }
}

#[component]
pub(super) fn SelectedVersion(
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
                            <IdempotencyKeyInput />
                            <input type="hidden" name="entity_id" value=id.clone() />
                            <input type="hidden" name="version" value=number.to_string() />
                            <input type="hidden" name="return_to" value=format!("/tasks/{id}/history") />
                            <p>
                                {format!(
                                    "This appends version {} with the content of version {number}. Versions {number}–{newest} stay as they are.",
                                    newest + 1
                                )}
                            </p>
                            <button type="submit" class="button-primary">
                                {format!("Yes, revert to version {number}")}
                            </button>
                        </ActionForm>
                    </details>
                }
            })}
    }
}

/// Pick any two versions; the comparison is part of the URL (`?from=A&to=B`).
#[component]
pub(super) fn CompareForm(entity_id: String, newest: i64) -> impl IntoView {
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
