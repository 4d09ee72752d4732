//! Whole-board time travel: the control on the list page (a slider over the positions of every
//! change ever recorded, a date-time input, and one-change steps) and the read-only board it
//! shows, a page at a time. Both
//! forms are plain GET forms, so the instant lives in the URL: shareable, and it works with
//! JavaScript off. The board of a past instant never changes, whatever is written later.

use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use super::common::{PageError, Pager, StatusBadge};
use crate::live::use_live;
use crate::server_fns::{board_as_of, locate_instant, BoardSnapshot, TimePoint};
use crate::task::paging;
use crate::task::TaskVersion;
use crate::time;

/// The instant a list-page URL asks for: `(as_of, at_change)`, both blank for "now".
pub type Moment = (String, String);

pub fn is_past((as_of, at_change): &Moment) -> bool {
    !as_of.is_empty() || !at_change.is_empty()
}

/// The slider, the date-time form and the steps.
#[component]
pub fn TimeTravel(moment: Signal<Moment>) -> impl IntoView {
    let point = Resource::new(
        move || moment.get(),
        |(as_of, at_change)| locate_instant(as_of, at_change),
    );
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match point.await {
                    Ok(point) => view! { <TimeControls point past=is_past(&moment.get_untracked()) /> }.into_any(),
                    Err(error) => view! { <PageError error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn TimeControls(point: TimePoint, past: bool) -> impl IntoView {
    let timeline = point.timeline;
    let total = timeline.head;
    let applied = if past { timeline.position } else { total };
    // Positions PostgreSQL skipped (rolled-back appends) hold nothing, so the next change is
    // looked up rather than assumed to be one further; a skipped number before this one still
    // shows the change before it, so one back is always right.
    let next = if past { timeline.next_position } else { None };
    let step = move |position: Option<i64>, label: &'static str, rel: &'static str| {
        position.filter(|position| (0..=total).contains(position)).map(|position| {
            view! { <a class="time-step" rel=rel href=format!("/tasks?at_change={position}")>{label}</a> }
        })
    };
    let shown = if past {
        format!("Showing the board at change #{applied} (the newest is #{total})")
    } else {
        format!("Showing now, up to change #{total}")
    };
    view! {
        <section class="time-travel" aria-labelledby="time-travel-heading">
            <h2 id="time-travel-heading">"Time travel"</h2>
            <p class="time-travel-help">
                "Every change ever made is still in the version table, so the board can be shown "
                "exactly as it was at any moment. Slide through the changes or pick a time."
            </p>
            <Form method="GET" action="/tasks" attr:class="time-slider">
                <label for="at-change">{shown}</label>
                <TimeSlider total applied past />
                <button type="submit">"Show this change"</button>
            </Form>
            <nav class="time-steps" aria-label="Step through changes">
                {step(Some(applied - 1), "← Previous change", "prev")}
                {step(next, "Next change →", "next")}
                {past.then(|| view! { <a href="/tasks">"Back to now"</a> })}
            </nav>
            <Form method="GET" action="/tasks" attr:class="time-picker">
                <label for="as-of">"Date and time (UTC)"</label>
                <input type="datetime-local" id="as-of" name="as_of" step="1" value=time::form_instant(point.at) />
                <button type="submit">"Show the board then"</button>
            </Form>
        </section>
    }
}

/// The slider over the log's changes. With JavaScript it shows the board as soon as it is let
/// go (without, the button beside it does), and while showing now its end follows new changes.
#[island]
fn TimeSlider(total: i64, applied: i64, past: bool) -> impl IntoView {
    let live = use_live();
    let max = RwSignal::new(total);
    let value = RwSignal::new(applied);
    Effect::new(move |_| {
        let Some(change) = live.latest() else {
            return;
        };
        if change.position > max.get_untracked() {
            max.set(change.position);
            if !past {
                value.set(change.position);
            }
        }
    });
    let on_slide = move |event: leptos::ev::Event| {
        let count = event_target_value(&event);
        let _ = window()
            .location()
            .assign(&format!("/tasks?at_change={count}"));
    };
    view! {
        <input
            type="range"
            id="at-change"
            name="at_change"
            min="0"
            max=max
            step="1"
            value=value
            on:change=on_slide
        />
    }
}

/// The board at a past instant, a page at a time: read-only, with the tasks that had been
/// deleted by then.
#[component]
pub fn BoardAsOf(moment: Signal<Moment>) -> impl IntoView {
    let query = use_query_map();
    let after = Memo::new(move |_| query.read().get("after").unwrap_or_default());
    let board = Resource::new(
        move || (moment.get(), after.get()),
        |((as_of, at_change), after)| board_as_of(as_of, at_change, after),
    );
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading the board as it was…"</p> }>
            {move || Suspend::new(async move {
                match board.await {
                    Ok(board) => view! { <PastBoard board /> }.into_any(),
                    Err(error) => view! { <PageError error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn PastBoard(board: BoardSnapshot) -> impl IntoView {
    let at = board.point.at;
    let permalink = format!("/tasks?as_of={}", time::url_instant(at));
    let query = use_query_map().get_untracked();
    // Later pages name the instant exactly, whichever way the first page was asked for.
    let exact = time::url_instant(at);
    let page_link = |after: &str| paging::link("/tasks", &[("as_of", &exact), ("after", after)]);
    let first = query
        .get("after")
        .filter(|after| !after.is_empty())
        .map(|_| page_link(""));
    let next = board.next_after.as_deref().map(page_link);
    let count = board.tasks.len();
    view! {
        <div class="time-travel-banner" role="note">
            <p>
                <strong>"The board as it was at "{time::exact(at)}"."</strong>
                " This is the past, so it is read-only: nothing here can be changed, and nothing "
                "written later changes it. "
                <a href=permalink>"Link to this moment"</a>" · "<a href="/tasks">"Back to now"</a>
            </p>
        </div>
        <p class="list-summary">
            {format!("{count} task{} on this page", if count == 1 { "" } else { "s" })}
            " · each at its latest version as of then, deleted ones struck through, read from the "
            "version table on "{board.backend}
        </p>
        {if board.tasks.is_empty() {
            view! { <p class="empty-state">"No tasks at that moment."</p> }.into_any()
        } else {
            view! {
                <ul class="task-list as-of">
                    {board.tasks.into_iter().map(|task| view! { <PastRow task /> }).collect_view()}
                </ul>
            }
            .into_any()
        }}
        <Pager first next />
    }
}

#[component]
fn PastRow(task: TaskVersion) -> impl IntoView {
    let id = task.entity_id.to_string();
    if task.is_tombstone() {
        return view! {
            <li class="deleted-row" data-entity-id=id.clone()>
                <s class="task-title">{task.fields.title.as_str().to_owned()}</s>
                <span class="task-version">{format!("v{}", task.version)}</span>
                <span>"deleted "{time::exact(task.recorded_at)}" by "{task.actor.as_str().to_owned()}</span>
                <a href=format!("/tasks/{id}/history?version={}", task.version)>"History"</a>
            </li>
        }
        .into_any();
    }
    let fields = task.fields;
    view! {
        <li class="task-row" data-entity-id=id.clone()>
            <a href=format!("/tasks/{id}/history?version={}", task.version) class="task-title">
                {fields.title.as_str().to_owned()}
            </a>
            <StatusBadge status=fields.status />
            <span class="task-priority" title="Priority">{format!("P{}", fields.priority.value())}</span>
            <span class="task-due">
                {fields.due_date.map(|date| format!("due {date}")).unwrap_or_default()}
            </span>
            <span class="task-version" title="Its version at that moment">{format!("v{}", task.version)}</span>
            <span class="task-changed" title="When this version was recorded">
                {time::exact(task.recorded_at)}" by "{task.actor.as_str().to_owned()}
            </span>
        </li>
    }
    .into_any()
}
