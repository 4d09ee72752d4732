//! `/learn/snapshots`: the board's snapshots, and the board at a change read from the nearest
//! one and from the whole log, side by side. Reading the past runs only when asked (`?run=1`):
//! at a million versions the fold over the log takes seconds.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use super::{
    board_from_snapshot, board_snapshots, last_snapshot_taken, BoardRead, SnapshotAsOf,
    SnapshotTaken, SnapshotsReport, TakeBoardSnapshot, TakeOutcome,
};
use crate::lessons::{LearnHeading, StatementsRun};
use crate::pages::live_region::{Follows, LiveRegion};
use crate::pages::post_in_place::PostInPlace;
use crate::pages::PageError;
use crate::time;

/// The region that lists the snapshots, drawn again from the page without its questions.
const SNAPSHOTS_REGION: &str = "snapshots-live";
pub(super) const SNAPSHOTS_PATH: &str = "/learn/snapshots";

#[component]
pub fn SnapshotsPage() -> impl IntoView {
    let query = use_query_map();
    let report = Resource::new(|| (), |_| board_snapshots());
    let asked = move || query.with(|query| query.get("run").is_some());
    let at_change = move || query.with(|query| query.get("at_change").unwrap_or_default());
    let comparison = Resource::new(
        move || asked().then(at_change),
        |asked| async move {
            match asked {
                Some(at_change) => board_from_snapshot(at_change).await.map(Some),
                None => Ok(None),
            }
        },
    );
    view! {
        <section class="learn" aria-labelledby="snapshots-heading">
            <LearnHeading id="snapshots-heading" title="Snapshots: the past without the whole log" />
            <p class="lede">
                "The board at a change is every task's newest version up to it: a fold over the "
                "log, which grows for ever. A snapshot stores that fold for one change, a row per "
                "task. The board at any later change is then the nearest snapshot plus the versions "
                "after it. Snapshots are append-only like the log, and each can be derived from the "
                "log again: below, both ways are run and compared."
            </p>
            <LiveRegion id=SNAPSHOTS_REGION.to_owned() follows=Follows::Board source=SNAPSHOTS_PATH.to_owned()>
            <Transition fallback=|| view! { <p class="loading">"Reading the snapshots…"</p> }>
                {move || Suspend::new(async move {
                    match report.await {
                        Ok(report) => view! { <SnapshotList report /> }.into_any(),
                        Err(error) => view! { <PageError error /> }.into_any(),
                    }
                })}
            </Transition>
            </LiveRegion>
            <TakeSnapshot />
            <h2>"The board at a change, read both ways"</h2>
            <Form method="GET" action="" attr:class="replay-form">
                <input type="hidden" name="run" value="1" />
                <label for="snapshot-at-change">"At change (blank: the newest)"</label>
                <input id="snapshot-at-change" name="at_change" inputmode="numeric" value=at_change />
                <button type="submit" class="button-primary">"Read the board"</button>
            </Form>
            <Transition fallback=|| view! { <p class="loading">"Reading the board twice…"</p> }>
                {move || Suspend::new(async move {
                    match comparison.await {
                        Ok(Some(comparison)) => view! { <Comparison comparison /> }.into_any(),
                        Ok(None) => ().into_any(),
                        Err(error) => view! { <PageError error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn SnapshotList(report: SnapshotsReport) -> impl IntoView {
    let summary = format!(
        "A snapshot is taken each time the log grows by {} changes (the server's --snapshot-every). \
         The log is at change {}; there are {} snapshot(s), each a row per task.",
        report.every, report.head, report.count,
    );
    let rows = report
        .recent
        .into_iter()
        .map(|snapshot| {
            let base = snapshot.base_position.map_or_else(
                || "the log alone".to_owned(),
                |base| format!("snapshot {base}"),
            );
            view! {
                <tr>
                    <th scope="row">{snapshot.position}</th>
                    <td>{base}</td>
                    <td>{time::exact(snapshot.taken_at)}</td>
                    <td>{snapshot.tasks}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <p class="snapshot-summary">{summary}</p>
        <table class="replay-digests snapshot-list">
            <caption>"The newest snapshots"</caption>
            <thead>
                <tr>
                    <th scope="col">"at change"</th>
                    <th scope="col">"built from"</th>
                    <th scope="col">"taken at"</th>
                    <th scope="col">"tasks"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// The button that snapshots the board now, and what the last press of it came to: how long it
/// took and the SQL it ran. The page the post lands on draws the outcome (the server keeps it
/// for that page in a cookie); with JavaScript, this part and the list above are taken from
/// that page in place.
#[component]
fn TakeSnapshot() -> impl IntoView {
    let taken = Resource::new(|| (), |_| last_snapshot_taken());
    view! {
        <PostInPlace id="snapshot-take".to_owned() also=SNAPSHOTS_REGION.to_owned()>
            <form method="post" action=TakeBoardSnapshot::PATH class="replay-form">
                <button type="submit" class="button-primary">"Take a snapshot now"</button>
            </form>
            <Suspense>
                {move || Suspend::new(async move {
                    match taken.await {
                        Ok(Some(TakeOutcome(Some(taken)))) => view! { <TakenShown taken /> }.into_any(),
                        Ok(Some(TakeOutcome(None))) => view! {
                            <p class="replay-verdict" role="status">
                                "No snapshot taken: the newest change has one already, or writes still in progress held it back."
                            </p>
                        }
                        .into_any(),
                        Ok(None) => ().into_any(),
                        Err(error) => view! { <p class="notice notice-error" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </PostInPlace>
    }
}

#[component]
fn TakenShown(taken: SnapshotTaken) -> impl IntoView {
    let from = taken.snapshot.base_position.map_or_else(
        || "the log alone".to_owned(),
        |base| format!("snapshot {base} and the versions after it"),
    );
    view! {
        <section class="replay-outcome" role="status">
            <p class="replay-verdict replay-match">
                {format!(
                    "Snapshot at change {} taken in {:.1} ms: {} tasks, folded from {from}.",
                    taken.snapshot.position, taken.elapsed_ms, taken.snapshot.tasks,
                )}
            </p>
            <StatementsRun statements=taken.statements />
        </section>
    }
}

#[component]
fn Comparison(comparison: SnapshotAsOf) -> impl IntoView {
    let verdict = if comparison.same_board() {
        view! {
            <p class="replay-verdict replay-match">
                "Both reads found the same board: same tasks at the same versions, same checksum."
            </p>
        }
        .into_any()
    } else {
        view! {
            <p class="replay-verdict replay-mismatch">
                "The reads disagree: the snapshot no longer matches the log."
            </p>
        }
        .into_any()
    };
    let start = comparison.snapshot.map_or_else(
        || "no snapshot yet (the log from its start)".to_owned(),
        |at| format!("the snapshot at change {at}"),
    );
    let speedup = comparison.from_log.elapsed_ms / comparison.from_snapshot.elapsed_ms.max(0.001);
    let tasks = comparison
        .first_tasks
        .iter()
        .map(|task| {
            view! {
                <tr>
                    <td><a href=format!("/tasks/{}/history", task.entity_id)>{task.title.clone()}</a></td>
                    <td>{task.version}</td>
                    <td>{if task.deleted { "deleted" } else { "" }}</td>
                </tr>
            }
        })
        .collect_view();
    let statements = vec![
        comparison.from_snapshot.statement.clone(),
        comparison.from_log.statement.clone(),
    ];
    view! {
        <section class="replay-outcome" aria-labelledby="snapshot-outcome-heading" aria-live="polite">
            <h2 id="snapshot-outcome-heading">
                {format!("The board at change {}, from {start}", comparison.position)}
            </h2>
            {verdict}
            <table class="replay-digests">
                <thead>
                    <tr>
                        <th scope="col">"read"</th>
                        <th scope="col">"rows folded"</th>
                        <th scope="col">"time"</th>
                        <th scope="col">"tasks"</th>
                        <th scope="col">"SHA-256 of (task, version) in id order"</th>
                    </tr>
                </thead>
                <tbody>
                    <ReadRow label="nearest snapshot + versions after it" read=comparison.from_snapshot.clone() />
                    <ReadRow label="the whole log" read=comparison.from_log.clone() />
                </tbody>
            </table>
            <p>{format!("Reading from the snapshot took {speedup:.1}× less time than folding the log.")}</p>
            <table class="snapshot-board">
                <caption>"The first tasks of that board, in id order"</caption>
                <thead>
                    <tr><th scope="col">"task"</th><th scope="col">"version"</th><th scope="col">"state"</th></tr>
                </thead>
                <tbody>{tasks}</tbody>
            </table>
            <StatementsRun statements />
        </section>
    }
}

#[component]
fn ReadRow(label: &'static str, read: BoardRead) -> impl IntoView {
    let folded = if read.snapshot_rows_folded > 0 {
        format!(
            "{} snapshot rows + {} versions",
            read.snapshot_rows_folded, read.versions_folded
        )
    } else {
        format!("{} versions", read.versions_folded)
    };
    view! {
        <tr>
            <th scope="row">{label}</th>
            <td>{folded}</td>
            <td>{format!("{:.1} ms", read.elapsed_ms)}</td>
            <td>{read.digest.rows}</td>
            <td><code>{read.digest.sha256}</code></td>
        </tr>
    }
}
