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
use crate::server_fns::{
    board_as_of, board_two_times, locate_instant, BoardSnapshot, TimePoint, TwoTimesBoard,
    TwoTimesRow,
};
use crate::task::paging;
use crate::task::TaskVersion;
use crate::time;

/// The instant a list-page URL asks for: `(as_of, at_change)`, both blank for "now".
pub type Moment = (String, String);

pub fn is_past((as_of, at_change): &Moment) -> bool {
    !as_of.is_empty() || !at_change.is_empty()
}

/// The slider, the date-time forms and the steps.
#[component]
pub fn TimeTravel(moment: Signal<Moment>, valid_at: Signal<String>) -> impl IntoView {
    let point = Resource::new(
        move || moment.get(),
        |(as_of, at_change)| locate_instant(as_of, at_change),
    );
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match point.await {
                    Ok(point) => view! { <TimeControls point past=is_past(&moment.get_untracked()) valid_at=valid_at.get_untracked() /> }.into_any(),
                    Err(error) => view! { <PageError error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn TimeControls(point: TimePoint, past: bool, valid_at: String) -> impl IntoView {
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
            <Form method="GET" action="/tasks" attr:class="time-picker two-times">
                <p class="time-travel-help">
                    "Two times: what was true at one moment, as the log knew it at another. "
                    "Changes can be recorded as true from earlier (late news, corrections), so the "
                    "two answers can differ."
                </p>
                <label for="valid-at">"True at (UTC)"</label>
                <input type="datetime-local" id="valid-at" name="valid_at" step="1" required value=time::form_value(&valid_at) />
                <label for="known-at">"As known at (UTC; blank: now)"</label>
                <input type="datetime-local" id="known-at" name="known_at" step="1" value=past.then(|| time::form_instant(point.at)) />
                <button type="submit">"Show the board with both times"</button>
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

/// A task on a past board; `notes` are lines under it, each with its class.
#[component]
fn PastRow(
    task: TaskVersion,
    #[prop(optional)] notes: Vec<(&'static str, String)>,
) -> impl IntoView {
    let id = task.entity_id.to_string();
    let notes = notes
        .into_iter()
        .map(|(class, text)| view! { <p class=format!("row-note {class}")>{text}</p> })
        .collect_view();
    if task.is_tombstone() {
        return view! {
            <li class="deleted-row" data-entity-id=id.clone()>
                <s class="task-title">{task.fields.title.as_str().to_owned()}</s>
                <span class="task-version">{format!("v{}", task.version)}</span>
                <span>"deleted "{time::exact(task.recorded_at)}" by "{task.actor.as_str().to_owned()}</span>
                <a href=format!("/tasks/{id}/history?version={}", task.version)>"History"</a>
                {notes}
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
            {notes}
        </li>
    }
    .into_any()
}

/// The board as it was at a valid time, as the log knew it at a recorded time, a page at a time.
#[component]
pub fn BoardTwoTimes(moment: Signal<Moment>, valid_at: Signal<String>) -> impl IntoView {
    let query = use_query_map();
    let after = Memo::new(move |_| query.read().get("after").unwrap_or_default());
    let board = Resource::new(
        move || (valid_at.get(), moment.get(), after.get()),
        |(valid_at, (as_of, at_change), after)| board_two_times(valid_at, as_of, at_change, after),
    );
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading the board as it was…"</p> }>
            {move || Suspend::new(async move {
                match board.await {
                    Ok(board) => view! { <TwoTimesPage board /> }.into_any(),
                    Err(error) => view! { <PageError error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn TwoTimesPage(board: TwoTimesBoard) -> impl IntoView {
    let (valid, known) = (
        time::url_instant(board.valid_at),
        time::url_instant(board.known_at),
    );
    let page_link = |after: &str| {
        paging::link(
            "/tasks",
            &[("valid_at", &valid), ("known_at", &known), ("after", after)],
        )
    };
    let permalink = page_link("");
    let first = use_query_map()
        .get_untracked()
        .get("after")
        .filter(|after| !after.is_empty())
        .map(|_| page_link(""));
    let next = board.next_after.as_deref().map(page_link);
    let count = board.rows.len();
    let differing = board
        .rows
        .iter()
        .filter(|row| row.differs.is_some())
        .count();
    let valid_at = board.valid_at;
    view! {
        <div class="time-travel-banner" role="note">
            <p>
                <strong>
                    "The board as it was at "{time::exact(board.valid_at)}", as the log knew it at "
                    {time::exact(board.known_at)}"."
                </strong>
                " Each task at the newest version recorded by then that held at that moment. "
                <a href=permalink>"Link to this view"</a>" · "<a href="/tasks">"Back to now"</a>
            </p>
        </div>
        <p class="list-summary">
            {format!("{count} task{} on this page", if count == 1 { "" } else { "s" })}
            {format!(
                " · {differing} read differently from what the log said at {}",
                time::exact(board.valid_at)
            )}
            " · read from the version table on "{board.backend}
        </p>
        {if board.rows.is_empty() {
            view! { <p class="empty-state">"No tasks at that moment."</p> }.into_any()
        } else {
            view! {
                <ul class="task-list as-of two-times">
                    {board.rows.into_iter().map(|row| view! { <TwoTimesTask row valid_at /> }).collect_view()}
                </ul>
            }
            .into_any()
        }}
        <Pager first next />
    }
}

/// A task on the two-times board: its row as on a past board, and, when the log said something
/// else at the valid time, what it said.
#[component]
fn TwoTimesTask(row: TwoTimesRow, valid_at: chrono::DateTime<chrono::Utc>) -> impl IntoView {
    let version = &row.version;
    let since = version.is_backdated().then(|| {
        format!(
            "true since {}, recorded {}",
            time::exact(version.valid_since()),
            time::exact(version.recorded_at)
        )
    });
    let then = match &row.differs {
        None => None,
        Some(None) => Some(format!(
            "At {} the log did not have this task yet: it was recorded later, as true from earlier.",
            time::exact(valid_at)
        )),
        Some(Some(said)) => Some(format!(
            "At {} the log said: {}, “{}” (v{}). Corrected since by v{}.",
            time::exact(valid_at),
            if said.is_tombstone() { "deleted" } else { said.fields.status.label() },
            said.fields.title.as_str(),
            said.version,
            version.version
        )),
    };
    let notes = since
        .map(|since| ("valid-time", since))
        .into_iter()
        .chain(then.map(|then| ("correction", then)))
        .collect();
    view! { <PastRow task=row.version notes /> }
}
