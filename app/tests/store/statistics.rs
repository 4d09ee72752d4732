//! The course's statistics lesson: stored figures equal the ones computed from the log, and
//! say how stale they are.

use std::collections::BTreeSet;

use app::lessons::statistics::{RefreshTrigger, Statistics, StatisticsRequest};
use app::store::Store;
use app::task::{FeedQuery, Status, TaskInput, TaskLookup};
use rstest::rstest;
use test_support::{by, fields, fields_with, Backend, TestDb};

/// Every version in the log, read through the change feed a page at a time.
async fn all_versions(store: &Store) -> Vec<app::task::TaskVersion> {
    let mut versions = Vec::new();
    let mut before = None;
    loop {
        let page = store
            .change_feed(FeedQuery {
                before,
                limit: 200,
                ..FeedQuery::default()
            })
            .await
            .unwrap();
        versions.extend(page.entries.into_iter().map(|entry| entry.version));
        match page.next_before {
            Some(next) => before = Some(next),
            None => return versions,
        }
    }
}

/// The four statistics worked out in Rust from the versions themselves, changes per day from
/// `since` on: what the stored figures must equal.
fn statistics_from_log(
    versions: &[app::task::TaskVersion],
    since: chrono::NaiveDate,
) -> Statistics {
    use std::collections::BTreeMap;

    let mut tasks: BTreeMap<_, Vec<&app::task::TaskVersion>> = BTreeMap::new();
    let mut by_day = BTreeMap::new();
    let mut by_actor = BTreeMap::new();
    for version in versions {
        tasks.entry(version.entity_id).or_default().push(version);
        let day = version.recorded_at.date_naive();
        if day >= since {
            *by_day.entry(day).or_insert(0) += 1;
        }
        *by_actor
            .entry(version.actor.as_str().to_owned())
            .or_insert(0) += 1;
    }
    let mut to_done = Vec::new();
    let mut live = BTreeMap::new();
    for history in tasks.values_mut() {
        history.sort_by_key(|version| version.version);
        let newest = history.last().unwrap();
        if !newest.is_tombstone() {
            *live.entry(newest.fields.status.as_str()).or_insert(0) += 1;
        }
        if let Some(done) = history
            .iter()
            .find(|version| version.fields.status == Status::Done)
        {
            let taken = done.recorded_at - history[0].recorded_at;
            to_done.push(taken.num_microseconds().unwrap() as f64 / 1e6);
        }
    }
    to_done.sort_by(f64::total_cmp);
    let median = match to_done.len() {
        0 => None,
        n if n % 2 == 1 => Some(to_done[n / 2]),
        n => Some((to_done[n / 2 - 1] + to_done[n / 2]) / 2.0),
    };
    Statistics {
        by_status: Status::ALL
            .into_iter()
            .filter_map(|status| live.get(status.as_str()).map(|count| (status, *count)))
            .collect(),
        by_day: by_day.into_iter().collect(),
        by_actor: by_actor.into_iter().collect(),
        median_seconds_to_done: median,
    }
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_statistics_stored_at_a_refresh_equal_the_figures_computed_from_the_log_after_any_operations(
    #[case] backend: Backend,
) {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::TestRunner;

    let db = TestDb::new(backend).await;
    let store = &db.store;
    // A generated board spreads its history over half a year, so the 30-day window cuts it.
    store.generate_board("24x6".parse().unwrap()).await.unwrap();
    let mut tasks: Vec<_> = all_versions(store)
        .await
        .iter()
        .map(|v| v.entity_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut runner = TestRunner::deterministic();
    let steps = proptest::collection::vec((0u8..5, 0usize..64, 0usize..4), 40..80);
    for (kind, pick, who) in steps.new_tree(&mut runner).expect("a sequence").current() {
        let actor = ["ada", "grace", "linus", "barbara"][who];
        let id = tasks[pick % tasks.len()];
        let status = Status::ALL[pick % Status::ALL.len()].as_str().to_owned();
        // Refusals (editing a deleted task, restoring a live one) are part of any sequence.
        let _ = match kind {
            0 => store
                .create_task(fields(&format!("Counted {pick}")), by(actor))
                .await
                .map(|task| tasks.push(task.entity_id)),
            1 | 2 => match store.get_task(id).await.unwrap() {
                TaskLookup::Live(task) => {
                    let input = TaskInput {
                        title: format!("Counted {pick}, {status}"),
                        status,
                        ..TaskInput::default()
                    };
                    store
                        .update_task(id, task.version, fields_with(input), by(actor))
                        .await
                        .map(drop)
                }
                _ => Ok(()),
            },
            3 => store.delete_task(id, by(actor)).await.map(drop),
            _ => store.restore_task(id, by(actor)).await.map(drop),
        };
    }
    let report = store
        .statistics(StatisticsRequest {
            refresh: true,
            compare: true,
            refresh_every: 100,
        })
        .await
        .unwrap();

    let log = all_versions(store).await;
    let expected = statistics_from_log(&log, report.since);
    assert_eq!(report.figures.by_status, expected.by_status);
    assert_eq!(report.figures.by_day, expected.by_day);
    let charted: u64 = report.figures.by_day.iter().map(|(_, count)| count).sum();
    assert!(
        charted > 0 && charted < log.len() as u64,
        "the last 30 days hold some of the half year: {charted} of {}",
        log.len()
    );
    assert_eq!(report.figures.by_actor, expected.by_actor);
    let (stored, computed) = (
        report.figures.median_seconds_to_done.unwrap(),
        expected.median_seconds_to_done.unwrap(),
    );
    assert!(
        (stored - computed).abs() < 0.01,
        "median {stored} s stored, {computed} s from the log"
    );
    assert_eq!(
        report.from_log.as_ref().map(|run| &run.figures),
        Some(&report.figures),
        "the stored figures are the log's"
    );
    let refresh = report.last_refresh.as_ref().unwrap();
    assert_eq!(
        (refresh.head, refresh.trigger, report.refreshed_now),
        (report.head, RefreshTrigger::OnDemand, true)
    );
    assert_eq!(report.changes_behind(), 0);
    let refreshing = match db.backend {
        Backend::Postgres => "REFRESH MATERIALIZED VIEW CONCURRENTLY task_statistics",
        Backend::Sqlite => "DELETE FROM task_statistics",
    };
    assert!(
        report.statements.iter().any(|s| s.sql == refreshing),
        "{:?}",
        report.statements
    );
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_statistics_say_how_stale_they_are_and_refresh_themselves_in_the_background_every_k_changes(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let store = &db.store;
    let read = |refresh| {
        store.statistics(StatisticsRequest {
            refresh,
            compare: false,
            refresh_every: 5,
        })
    };
    let live = |report: &app::lessons::statistics::StatisticsReport| {
        report
            .figures
            .by_status
            .iter()
            .map(|(_, count)| count)
            .sum::<u64>()
    };
    let first = read(false).await.unwrap();
    assert!(
        first.refreshed_now,
        "figures never computed are computed on the first read"
    );
    assert_eq!(
        first.last_refresh.as_ref().map(|r| (r.head, r.trigger)),
        Some((0, RefreshTrigger::Automatic))
    );

    let mut tasks = Vec::new();
    for n in 0..3 {
        tasks.push(
            store
                .create_task(fields(&format!("Stale {n}")), by("ada"))
                .await
                .unwrap(),
        );
    }
    let refreshed = read(true).await.unwrap();
    let n = refreshed.head;
    assert_eq!(
        refreshed.last_refresh.as_ref().map(|r| (r.head, r.trigger)),
        Some((n, RefreshTrigger::OnDemand))
    );
    assert_eq!(live(&refreshed), 3);

    store
        .update_task(
            tasks[0].entity_id,
            1,
            fields("Stale 0, edited"),
            by("grace"),
        )
        .await
        .unwrap();
    store
        .delete_task(tasks[1].entity_id, by("grace"))
        .await
        .unwrap();
    let stale = read(false).await.unwrap();
    assert!(!stale.refreshed_now && !stale.refreshing);
    assert_eq!(
        stale.last_refresh.as_ref().map(|r| r.head),
        Some(n),
        "refreshed at change N"
    );
    assert_eq!(
        (stale.head, stale.changes_behind()),
        (n + 2, 2),
        "now at change M > N"
    );
    assert_eq!(
        live(&stale),
        3,
        "the stored figures still count the deleted task"
    );

    for n in 0..3 {
        store
            .create_task(fields(&format!("Later {n}")), by("linus"))
            .await
            .unwrap();
    }
    let noticed = read(false).await.unwrap();
    assert_eq!(
        (noticed.refreshed_now, noticed.refreshing),
        (false, true),
        "five changes behind, with K = 5: the page view answers at once and a refresh starts"
    );
    assert_eq!(
        (noticed.changes_behind(), live(&noticed)),
        (5, 3),
        "the view that started it reads the old figures"
    );
    // The refresh is the background's to finish; a later page view finds its figures.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let automatic = loop {
        let report = read(false).await.unwrap();
        if report.changes_behind() == 0 || std::time::Instant::now() > deadline {
            break report;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    let refresh = automatic.last_refresh.as_ref().unwrap();
    assert_eq!(
        (refresh.head, refresh.trigger),
        (n + 5, RefreshTrigger::Automatic)
    );
    assert_eq!(
        (
            automatic.head,
            automatic.changes_behind(),
            automatic.refreshing
        ),
        (n + 5, 0, false)
    );
    assert_eq!(live(&automatic), 5);
    assert_eq!(
        db.version_rows().await,
        8,
        "refreshing wrote nothing to the log"
    );

    for sql in [
        "UPDATE statistics_refreshes SET head = 0",
        "DELETE FROM statistics_refreshes",
    ] {
        let error = db.raw(sql).await.expect_err(sql).to_string();
        assert!(
            error.contains("append-only") || error.contains("permission denied"),
            "{sql}: {error}"
        );
    }
}
