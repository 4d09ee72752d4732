//! The course's lessons on the past: the periods (temporal) view and board snapshots agree
//! with the log they are derived from.

use app::task::{FeedQuery, TaskLookup};
use rstest::rstest;
use test_support::{by, fields, Backend, TestDb};

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_board_through_the_periods_view_equals_the_time_travel_page_at_random_instants(
    #[case] backend: Backend,
) {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::TestRunner;

    let db = TestDb::new(backend).await;
    let store = &db.store;
    store.generate_board("24x6".parse().unwrap()).await.unwrap();
    let history: Vec<_> = store
        .change_feed(FeedQuery {
            limit: 200,
            ..FeedQuery::default()
        })
        .await
        .unwrap()
        .entries;
    let (newest, oldest) = (
        history[0].version.recorded_at,
        history.last().unwrap().version.recorded_at,
    );
    let span = (newest - oldest).num_microseconds().unwrap();
    let mut runner = TestRunner::deterministic();
    for _ in 0..24 {
        let offset = (-1_000_000i64..span + 1_000_000)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        let at = oldest + chrono::Duration::microseconds(offset);
        let report = store.temporal(at).await.unwrap();
        assert!(
            report.same_board(),
            "at {at}: {:?} vs {:?}",
            report.through_view.rows,
            report.through_index.rows
        );
        let page = store.board_as_of(at, None).await.unwrap();
        assert_eq!(
            report.through_index.rows.len(),
            page.rows.len() + usize::from(page.next.is_some())
        );
    }
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_version_is_valid_until_the_next_one_was_recorded(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = &db.store;
    let task = store
        .create_task(fields("Periods"), by("ada"))
        .await
        .unwrap();
    let edited = store
        .update_task(task.entity_id, 1, fields("Periods, edited"), by("ada"))
        .await
        .unwrap();
    let deleted = store.delete_task(task.entity_id, by("ada")).await.unwrap();
    let report = store.temporal(deleted.recorded_at).await.unwrap();
    let periods = &report.periods;
    assert_eq!(
        periods.iter().map(|p| p.version).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(periods[0].superseded_at, Some(edited.recorded_at));
    assert_eq!(periods[1].superseded_at, Some(deleted.recorded_at));
    assert_eq!(
        periods[2].superseded_at, None,
        "the newest version is valid until further notice"
    );
    assert!(periods[2].deleted);
    assert!(
        report.view_definition.to_lowercase().contains("lead("),
        "{}",
        report.view_definition
    );
    let before_edit = store.temporal(task.recorded_at).await.unwrap();
    assert_eq!(before_edit.through_view.rows[0].version, 1);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_board_from_the_nearest_snapshot_equals_a_fold_of_the_log_at_random_changes(
    #[case] backend: Backend,
) {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::TestRunner;

    let db = TestDb::new(backend).await;
    let store = &db.store;
    let mut runner = TestRunner::deterministic();
    let steps = proptest::collection::vec((0u8..4, 0usize..64), 8..24);
    let mut tasks = Vec::new();
    for round in 0..5 {
        for (kind, pick) in steps.new_tree(&mut runner).expect("a sequence").current() {
            let target = (!tasks.is_empty()).then(|| tasks[pick % tasks.len()]);
            let _ = match (kind, target) {
                (0, _) | (_, None) => store
                    .create_task(fields(&format!("Snapshot {round}.{pick}")), by("ada"))
                    .await
                    .map(|task| tasks.push(task.entity_id)),
                (1, Some(id)) => match store.get_task(id).await.unwrap() {
                    TaskLookup::Live(task) => store
                        .update_task(
                            id,
                            task.version,
                            fields(&format!("Edited {round}.{pick}")),
                            by("grace"),
                        )
                        .await
                        .map(drop),
                    _ => Ok(()),
                },
                (2, Some(id)) => store.delete_task(id, by("ada")).await.map(drop),
                (_, Some(id)) => store.restore_task(id, by("ada")).await.map(drop),
            };
        }
        // Every other round ends in a snapshot, each built on the one before.
        if round % 2 == 0 {
            let taken = store
                .take_snapshot()
                .await
                .unwrap()
                .expect("a snapshot of the new changes");
            assert_eq!(taken.snapshot.tasks as usize, tasks.len());
        }
    }
    let mut versions = Vec::new();
    for id in &tasks {
        versions.extend(store.task_history(*id).await.unwrap());
    }
    let head = store.head_position().await.unwrap();
    let mut used_a_snapshot = 0;
    for _ in 0..24 {
        let at = (1..=head).new_tree(&mut runner).unwrap().current();
        let read = store.board_from_snapshot(Some(at)).await.unwrap();
        assert!(
            read.same_board(),
            "at change {at}: {:?} vs {:?}",
            read.from_snapshot.digest,
            read.from_log.digest
        );
        used_a_snapshot += usize::from(read.snapshot.is_some());
        assert!(read.snapshot.is_none_or(|snapshot| snapshot <= at));
        // The same board folded here, from each task's history.
        let mut board = std::collections::BTreeMap::new();
        for version in versions.iter().filter(|version| version.position <= at) {
            let newest = board.entry(version.entity_id.to_string()).or_insert(0);
            *newest = version.version.max(*newest);
        }
        assert_eq!(
            read.from_snapshot.digest.rows as usize,
            board.len(),
            "at change {at}"
        );
        let first: Vec<_> = read
            .first_tasks
            .iter()
            .map(|task| (task.entity_id.clone(), task.version))
            .collect();
        let expected: Vec<_> = board.into_iter().take(first.len()).collect();
        assert_eq!(first, expected, "at change {at}");
    }
    assert!(
        used_a_snapshot > 0,
        "some of the changes read lie after a snapshot"
    );
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_snapshot_is_due_every_n_changes_and_snapshots_are_append_only(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = db.store.clone().with_snapshot_every(3);
    for title in ["One", "Two"] {
        store.create_task(fields(title), by("ada")).await.unwrap();
    }
    assert!(
        store.snapshot_if_due().await.unwrap().is_none(),
        "two changes are not three"
    );
    let third = store.create_task(fields("Three"), by("ada")).await.unwrap();
    let first = store
        .snapshot_if_due()
        .await
        .unwrap()
        .expect("three changes make one due");
    assert_eq!(
        (
            first.snapshot.position,
            first.snapshot.base_position,
            first.snapshot.tasks
        ),
        (third.position, None, 3)
    );
    assert!(first
        .statements
        .iter()
        .any(|s| s.sql.starts_with("INSERT INTO board_snapshot_tasks") && s.rows == Some(3)));
    assert!(store.snapshot_if_due().await.unwrap().is_none());
    assert!(
        store.take_snapshot().await.unwrap().is_none(),
        "the newest change has its snapshot"
    );
    store.delete_task(third.entity_id, by("ada")).await.unwrap();
    let second = store
        .take_snapshot()
        .await
        .unwrap()
        .expect("a change since the last snapshot");
    assert_eq!(
        second.snapshot.base_position,
        Some(third.position),
        "built on the one before"
    );
    let report = store.snapshots().await.unwrap();
    assert_eq!((report.every, report.count), (3, 2));
    assert_eq!(
        report
            .recent
            .iter()
            .map(|snapshot| snapshot.tasks)
            .collect::<Vec<_>>(),
        [3, 3]
    );
    assert_eq!(report.recent[0], second.snapshot);
    for sql in [
        "UPDATE board_snapshots SET taken_at = taken_at",
        "DELETE FROM board_snapshots",
        "UPDATE board_snapshot_tasks SET version = version + 1",
        "DELETE FROM board_snapshot_tasks",
    ] {
        let error = db.raw(sql).await.expect_err(sql).to_string();
        assert!(
            error.contains("append-only") || error.contains("permission denied"),
            "{sql}: {error}"
        );
    }
}
