//! `/activity`: the change feed. Every version of every task, newest first, paged by position
//! (the cursor never shifts, because rows are only ever appended), filtered by operation, by
//! who made the change, or to changes since an instant. It is the version table read as an
//! event log, and it follows the change stream while showing the newest page.

use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use super::common::{ChangeList, OpBadge, PageError, TimeAgo};
use super::live_region::{Follows, LiveRegion};
use crate::server_fns::{activity, ActivityPage as Page, HistoryEntry};
use crate::task::Op;

#[component]
pub fn ActivityPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &'static str| {
        Signal::derive(move || query.read().get(name).unwrap_or_default())
    };
    let (before, op, actor, since) = (param("before"), param("op"), param("actor"), param("since"));
    let feed = Resource::new(
        move || (before.get(), op.get(), actor.get(), since.get()),
        |(before, op, actor, since)| activity(before, op, actor, since),
    );
    view! {
        <section class="activity" aria-labelledby="activity-heading">
            <div class="page-heading">
                <h1 id="activity-heading">"Activity"</h1>
                <nav class="page-links" aria-label="Task pages">
                    <a href="/">"All tasks"</a>
                </nav>
            </div>
            <p class="lede">
                "Every version of every task, newest first: the version table read as an event "
                "log. Each entry is one appended row; nothing here was ever edited."
            </p>
            <ActivityFilter op actor since />
            <LiveRegion id="activity-live".to_owned() follows=Follows::Board>
            <Transition fallback=|| view! { <p class="loading">"Loading the activity…"</p> }>
                {move || Suspend::new(async move {
                    match feed.await {
                        Ok(page) => view! { <ActivityList page op actor since /> }.into_any(),
                        Err(error) => view! { <PageError error /> }.into_any(),
                    }
                })}
            </Transition>
            </LiveRegion>
        </section>
    }
}

#[component]
fn ActivityFilter(
    op: Signal<String>,
    actor: Signal<String>,
    since: Signal<String>,
) -> impl IntoView {
    view! {
        <Form method="GET" action="/activity" attr:class="filter-bar" attr:aria-label="Filter the activity">
            <label for="activity-op">"Operation"</label>
            <select id="activity-op" name="op">
                <option value="" selected=move || op.get().is_empty()>"All operations"</option>
                {Op::ALL
                    .into_iter()
                    .map(|option| view! {
                        <option value=option.as_str() selected=move || op.get() == option.as_str()>{option.label()}</option>
                    })
                    .collect_view()}
            </select>
            <label for="activity-actor">"By"</label>
            <input id="activity-actor" name="actor" placeholder="anyone" prop:value=move || actor.get() />
            <label for="activity-since">"Since (UTC)"</label>
            <input id="activity-since" name="since" type="datetime-local" step="1" prop:value=move || since.get() />
            <button type="submit">"Filter"</button>
            <a href="/activity">"Clear"</a>
        </Form>
    }
}

#[component]
fn ActivityList(
    page: Page,
    op: Signal<String>,
    actor: Signal<String>,
    since: Signal<String>,
) -> impl IntoView {
    if page.entries.is_empty() {
        return view! {
            <div class="empty-state">
                <p>"No changes match."</p>
                <p>"Clear the filter, or make a change on the "<a href="/">"task list"</a>"; it appears here at once."</p>
            </div>
        }
        .into_any();
    }
    let read_at = page.read_at;
    let older = page.next_before.map(|before| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("before", &before.to_string());
        for (name, value) in [("op", op), ("actor", actor), ("since", since)] {
            let value = value.get_untracked();
            if !value.is_empty() {
                query.append_pair(name, &value);
            }
        }
        format!("/activity?{}", query.finish())
    });
    view! {
        <ol class="activity-list">
            {page.entries.into_iter().map(|entry| view! { <ActivityItem entry read_at /> }).collect_view()}
        </ol>
        <nav class="pager" aria-label="More activity">
            {older.map(|href| view! { <a class="older" href=href>"Older changes →"</a> })}
        </nav>
    }
    .into_any()
}

#[component]
fn ActivityItem(entry: HistoryEntry, read_at: chrono::DateTime<chrono::Utc>) -> impl IntoView {
    let version = entry.version;
    let position = version.position;
    let id = version.entity_id.to_string();
    view! {
        <li
            class=format!("activity-item op-{}", version.op.as_str())
            data-position=position
        >
            <div class="activity-head">
                <OpBadge op=version.op />
                <a class="activity-task" href=format!("/tasks/{id}/history?version={}", version.version)>
                    {version.fields.title.as_str().to_owned()}
                </a>
                <span class="activity-version">{format!("v{}", version.version)}</span>
                <span class="activity-who">"by "{version.actor.as_str().to_owned()}</span>
                <span class="activity-when"><TimeAgo at=version.recorded_at now=read_at /></span>
                <span class="activity-position" title="Position in the version table: the feed's cursor">
                    {format!("#{position}")}
                </span>
            </div>
            {version.note.map(|note| view! { <p class="note">"“"{note.as_str().to_owned()}"”"</p> })}
            {match version.op {
                Op::Deleted => view! { <p class="changes-none">"Tombstone appended; the task left the list."</p> }.into_any(),
                Op::Restored => view! { <p class="changes-none">"Live again, with the content it had when deleted."</p> }.into_any(),
                _ => view! { <ChangeList changes=entry.changes /> }.into_any(),
            }}
        </li>
    }
}
