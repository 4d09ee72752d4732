//! `/learn/statistics`: the materialized-views pattern. The board's figures come from a stored
//! result (PostgreSQL: a materialized view; SQLite: a table the store rebuilds), with how stale
//! they are, a refresh on demand (`?refresh=N`), and on request (`?compare=N`) the same figures
//! computed from the log, so the cost of each road shows. Everything is plain HTML forms and an
//! inline SVG chart drawn on the server, so it works with JavaScript off.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use super::{board_statistics, RefreshTrigger, Statistics, StatisticsReport, STATISTICS_DAYS};
use crate::lessons::{LearnHeading, StatementsRun};
use crate::live::use_live;
use crate::pages::live_region::{Follows, LiveRegion};
use crate::pages::PageError;

#[component]
pub fn StatisticsPage() -> impl IntoView {
    let query = use_query_map();
    let asked = move || {
        query.with(|query| {
            (
                query.get("refresh").is_some(),
                query.get("compare").is_some(),
            )
        })
    };
    let report = Resource::new(asked, |(refresh, compare)| {
        board_statistics(refresh, compare)
    });
    // The forms carry the newest change the page has heard of, so pressing one again once the
    // log has moved is a new address and the router asks the server again; pressed twice with
    // nothing new in between, it has nothing to do.
    let live = use_live();
    let at_change = move || live.board_revision().0.to_string();
    view! {
        <section class="learn" aria-labelledby="statistics-heading">
            <LearnHeading id="statistics-heading" title="Materialized views: the board's statistics" />
            <p class="lede">
                "Tasks per status, changes per day and per person, and how long tasks take to get "
                "done are aggregates over the whole log: at a million versions, seconds of work. A "
                "materialized view runs that query once and stores its result; reading it costs a "
                "few rows. The price is staleness: the figures are as old as the last refresh, so "
                "the page says which change they were computed at, and once they fall too far behind "
                "it starts a refresh in the background, so no visitor waits for one they did not ask for."
            </p>
            // The forms name the newest change the page has heard of, so pressing one again once
            // the log has moved is a new address; drawn again from the page without its
            // questions, which a redraw must not ask again.
            <LiveRegion id="statistics-live".to_owned() follows=Follows::Board source="/learn/statistics".to_owned()>
            <div class="statistics-actions">
                <Form method="GET" action="" attr:class="replay-form">
                    <input type="hidden" name="refresh" value=at_change />
                    <button type="submit" class="button-primary">"Refresh now"</button>
                </Form>
                <Form method="GET" action="" attr:class="replay-form">
                    <input type="hidden" name="compare" value=at_change />
                    <button type="submit">"Compute from the log as well"</button>
                </Form>
            </div>
            </LiveRegion>
            <Transition fallback=|| view! { <p class="loading">"Reading the statistics…"</p> }>
                {move || Suspend::new(async move {
                    match report.await {
                        Ok(report) => view! { <StatisticsOutcome report /> }.into_any(),
                        Err(error) => view! { <PageError error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn StatisticsOutcome(report: StatisticsReport) -> impl IntoView {
    let storage = if report.materialized_view {
        view! {
            <p>
                "On PostgreSQL the figures live in the materialized view "
                <code>"task_statistics"</code> ", refreshed with "
                <code>"REFRESH MATERIALIZED VIEW CONCURRENTLY"</code>
                ": the new result is built beside the old one, which pages keep reading meanwhile."
            </p>
        }
        .into_any()
    } else {
        view! {
            <p>
                "SQLite has no materialized views. The figures live in the table "
                <code>"task_statistics"</code> ". The store first computes the figures in a "
                "read transaction, which holds no lock that writers wait for, then rebuilds the "
                "table in one short write transaction (delete every row, insert the figures): a "
                "reader sees the old figures or the new ones, never a mix. It is derived data, "
                "so it may be rewritten; the log itself stays append-only."
            </p>
        }
        .into_any()
    };
    let refreshed_at = report
        .last_refresh
        .as_ref()
        .map_or(0, |refresh| refresh.head);
    let refreshing = if report.refreshing {
        " A refresh is under way in the background; reload in a moment to see its figures."
    } else {
        ""
    };
    let staleness = format!(
        "Refreshed at change {refreshed_at}, now at change {}: {} change(s) behind. The figures refresh by themselves, in the background, once they are {} changes behind.{refreshing}",
        report.head,
        report.changes_behind(),
        report.refresh_every,
    );
    let last_refresh = report.last_refresh.as_ref().map(|refresh| {
        let cause = match refresh.trigger {
            RefreshTrigger::OnDemand => "on demand",
            RefreshTrigger::Automatic => "automatically",
        };
        let now = if report.refreshed_now {
            " (by this page view)"
        } else {
            ""
        };
        format!(
            "Last refresh: {}, {cause}{now}, in {:.1} ms.",
            crate::time::exact(refresh.refreshed_at),
            refresh.elapsed_ms,
        )
    });
    let comparison = report.from_log.as_ref().map(|computed| {
        if computed.figures == report.figures {
            "Computed from the log now, the figures are the same as the stored ones.".to_owned()
        } else {
            format!(
                "Computed from the log now, the figures differ from the stored ones: those are {} change(s) old.",
                report.changes_behind()
            )
        }
    });
    let compute_time = match &report.from_log {
        Some(computed) => format!("{:.2} ms", computed.elapsed_ms),
        None => "not run: press “Compute from the log as well”".to_owned(),
    };
    let refresh_time = report.last_refresh.as_ref().map_or_else(
        || "never refreshed".to_owned(),
        |refresh| format!("{:.2} ms", refresh.elapsed_ms),
    );
    let figures = report.figures.clone();
    view! {
        <section class="replay-outcome" aria-labelledby="statistics-outcome-heading" aria-live="polite">
            <h2 id="statistics-outcome-heading">"The figures, as stored"</h2>
            <p class="replay-verdict statistics-staleness">{staleness}</p>
            <p>{last_refresh}</p>
            {storage}
            <Figures figures since=report.since />
            <h2>"What each road costs"</h2>
            <table class="replay-digests">
                <thead>
                    <tr><th scope="col">"step"</th><th scope="col">"time"</th></tr>
                </thead>
                <tbody>
                    <tr><th scope="row">"refresh (the last one)"</th><td>{refresh_time}</td></tr>
                    <tr><th scope="row">"read the stored figures"</th><td>{format!("{:.2} ms", report.read_ms)}</td></tr>
                    <tr><th scope="row">"compute the figures from the log"</th><td>{compute_time}</td></tr>
                </tbody>
            </table>
            <p>{comparison}</p>
            <p>
                "Reading the stored figures costs the same at any size; computing them reads every "
                "version, and so does a refresh. A materialized view pays that cost once per "
                "refresh instead of once per page view."
            </p>
            <StatementsRun statements=report.statements />
        </section>
    }
}

#[component]
fn Figures(figures: Statistics, since: NaiveDate) -> impl IntoView {
    let mut by_actor = figures.by_actor.clone();
    by_actor.sort_by(|(a, a_count), (b, b_count)| b_count.cmp(a_count).then(a.cmp(b)));
    let median = figures
        .median_seconds_to_done
        .map_or_else(|| "no task is done yet".to_owned(), duration);
    view! {
        <h3>"Live tasks per status"</h3>
        <table class="replay-digests statistics-status">
            <thead>
                <tr><th scope="col">"status"</th><th scope="col">"tasks"</th></tr>
            </thead>
            <tbody>
                {figures
                    .by_status
                    .iter()
                    .map(|(status, count)| view! { <tr><th scope="row">{status.label()}</th><td>{*count}</td></tr> })
                    .collect_view()}
            </tbody>
        </table>
        <h3>{format!("Changes per day, the last {STATISTICS_DAYS} days (UTC)")}</h3>
        <DayChart by_day=figures.by_day.clone() since />
        <h3>"Changes per person"</h3>
        <table class="replay-digests statistics-actors">
            <thead>
                <tr><th scope="col">"person"</th><th scope="col">"changes"</th></tr>
            </thead>
            <tbody>
                {by_actor
                    .into_iter()
                    .map(|(actor, count)| view! { <tr><th scope="row">{actor}</th><td>{count}</td></tr> })
                    .collect_view()}
            </tbody>
        </table>
        <h3>"Median time from created to done"</h3>
        <p class="statistics-median">{median}</p>
    }
}

const CHART_WIDTH: f64 = 640.0;
const CHART_HEIGHT: f64 = 220.0;
/// Room for the axis labels: left of the plot and under it.
const CHART_LEFT: f64 = 44.0;
const CHART_BOTTOM: f64 = 36.0;
const CHART_TOP: f64 = 12.0;

/// Changes per day as bars, drawn on the server as inline SVG: one bar per day from `since` to
/// today, each with a `<title>` a screen reader (or a hovering pointer) reads out.
#[component]
fn DayChart(by_day: Vec<(NaiveDate, u64)>, since: NaiveDate) -> impl IntoView {
    let counts: BTreeMap<NaiveDate, u64> = by_day.into_iter().collect();
    let days: Vec<(NaiveDate, u64)> = (0..STATISTICS_DAYS as u64)
        .filter_map(|offset| since.checked_add_days(Days::new(offset)))
        .map(|day| (day, counts.get(&day).copied().unwrap_or(0)))
        .collect();
    let highest = days
        .iter()
        .map(|(_, count)| *count)
        .max()
        .unwrap_or(0)
        .max(1);
    let plot_width = CHART_WIDTH - CHART_LEFT;
    let plot_height = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM;
    let baseline = CHART_TOP + plot_height;
    let middle = CHART_TOP + plot_height / 2.0;
    let slot = plot_width / days.len().max(1) as f64;
    let total: u64 = days.iter().map(|(_, count)| count).sum();
    let summary = format!(
        "Bar chart: {total} changes over {} days, at most {highest} in one day.",
        days.len()
    );
    // The first and last labels line up with the plot's edges, so neither runs off the chart.
    let last = days.len().saturating_sub(1);
    let day_labels = [(0, "start", 0.0), (days.len() / 2, "middle", 0.5), (last, "end", 1.0)]
        .into_iter()
        .filter_map(|(at, anchor, offset)| days.get(at).map(|(day, _)| (at, anchor, offset, *day)))
        .map(|(at, anchor, offset, day)| {
            let x = CHART_LEFT + slot * (at as f64 + offset);
            view! {
                <text x=x y={baseline + 18.0} text-anchor=anchor class="chart-label">{day.format("%b %-d").to_string()}</text>
            }
        })
        .collect_view();
    let bars = days
        .into_iter()
        .enumerate()
        .map(|(at, (day, count))| {
            let height = plot_height * count as f64 / highest as f64;
            let plural = if count == 1 { "" } else { "s" };
            view! {
                <rect class="chart-bar" x={CHART_LEFT + slot * at as f64 + 1.0} y={baseline - height} width={(slot - 2.0).max(1.0)} height=height>
                    <title>{format!("{day}: {count} change{plural}")}</title>
                </rect>
            }
        })
        .collect_view();
    view! {
        <figure class="day-chart">
            <svg
                viewBox=format!("0 0 {CHART_WIDTH} {CHART_HEIGHT}")
                role="img"
                aria-labelledby="day-chart-title day-chart-summary"
                width="100%"
            >
                <title id="day-chart-title">"Changes per day"</title>
                <desc id="day-chart-summary">{summary.clone()}</desc>
                <line class="chart-axis" x1=CHART_LEFT y1=CHART_TOP x2=CHART_LEFT y2=baseline />
                <line class="chart-axis" x1=CHART_LEFT y1=baseline x2=CHART_WIDTH y2=baseline />
                <text x={CHART_LEFT - 6.0} y={CHART_TOP + 4.0} text-anchor="end" class="chart-label">{highest}</text>
                <text x={CHART_LEFT - 6.0} y=baseline text-anchor="end" class="chart-label">"0"</text>
                <text x=12.0 y=middle text-anchor="middle" class="chart-label" transform=format!("rotate(-90 12 {middle})")>"changes"</text>
                {bars}
                {day_labels}
            </svg>
            <figcaption>{summary}</figcaption>
        </figure>
    }
}

/// A duration in the two largest units that matter: "3 d 4 h", "2 h 5 min", "45 s".
fn duration(seconds: f64) -> String {
    let whole = seconds.max(0.0).round() as u64;
    let (days, hours, minutes) = (whole / 86_400, whole % 86_400 / 3_600, whole % 3_600 / 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds:.1} s"),
        (0, 0, _) => format!("{minutes} min {} s", whole % 60),
        (0, _, _) => format!("{hours} h {minutes} min"),
        _ => format!("{days} d {hours} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn a_duration_is_written_in_its_two_largest_units() {
        assert_eq!(duration(12.34), "12.3 s");
        assert_eq!(duration(125.0), "2 min 5 s");
        assert_eq!(duration(7_500.0), "2 h 5 min");
        assert_eq!(duration(3.0 * 86_400.0 + 4.0 * 3_600.0 + 59.0), "3 d 4 h");
    }
}
