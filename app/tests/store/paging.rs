//! Pages by key, now and in the past, neither skip nor repeat a task while others write.

use app::task::{Status, TaskFilter, TaskInput, TaskSort};
use rstest::rstest;
use test_support::{by, fields, fields_with, Backend, TestDb};

use crate::store_status;

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_list_pages_by_key_without_skipping_or_repeating_under_concurrent_writes(
    #[case] backend: Backend,
) {
    use app::task::paging::PAGE_SIZE;
    use app::task::TaskVersion;
    use std::collections::BTreeMap;

    let db = TestDb::new(backend).await;
    let store = &db.store;
    let task = |n: usize| {
        fields_with(TaskInput {
            title: format!("Paged {n}"),
            status: ["todo", "in_progress", "done"][n % 3].into(),
            priority: (n % 6).to_string(),
            due_date: if n.is_multiple_of(4) {
                String::new()
            } else {
                format!("2026-12-{:02}", 1 + n % 28)
            },
            ..TaskInput::default()
        })
    };
    let mut originals = Vec::new();
    for n in 0..2 * PAGE_SIZE + 17 {
        originals.push(
            store
                .create_task(task(n), by("ada"))
                .await
                .unwrap()
                .entity_id,
        );
    }
    let mut deleted = Vec::new();
    for &id in originals.iter().take(PAGE_SIZE + 3) {
        deleted.push(store.delete_task(id, by("ada")).await.unwrap().entity_id);
    }
    for &id in &deleted {
        store.restore_task(id, by("ada")).await.unwrap();
    }
    for &id in deleted.iter().take(PAGE_SIZE + 3) {
        store.delete_task(id, by("grace")).await.unwrap();
    }
    let live: Vec<_> = originals
        .iter()
        .copied()
        .filter(|id| !deleted.contains(id))
        .collect();

    // A writer keeps adding tasks while the pages are read; new tasks may appear or not, but
    // every task that existed before and did not change is on exactly one page.
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            for n in 0..60 {
                store
                    .create_task(fields(&format!("Meanwhile {n}")), by("linus"))
                    .await
                    .unwrap();
            }
        })
    };
    let count = |rows: &[TaskVersion], seen: &mut BTreeMap<app::task::EntityId, usize>| {
        for row in rows {
            *seen.entry(row.entity_id).or_default() += 1;
        }
    };
    for sort in TaskSort::ALL {
        for status in [None, Some(Status::Todo)] {
            let mut seen = BTreeMap::new();
            let mut filter = TaskFilter {
                sort,
                status,
                ..TaskFilter::default()
            };
            let mut pages = 0;
            loop {
                let page = store.list_tasks(&filter).await.unwrap();
                assert!(page.rows.len() <= PAGE_SIZE);
                count(&page.rows, &mut seen);
                pages += 1;
                match page.next {
                    Some(next) => filter.after = Some(next),
                    None => break,
                }
            }
            assert!(status.is_some() || pages >= 2, "{sort:?} fits one page");
            for id in &live {
                let expected =
                    usize::from(status.is_none() || store_status(store, *id).await == Status::Todo);
                assert_eq!(
                    seen.get(id).copied().unwrap_or(0),
                    expected,
                    "{sort:?} {status:?} {id}"
                );
            }
            assert!(
                seen.values().all(|&times| times == 1),
                "{sort:?} {status:?} repeated a row"
            );
        }
    }
    writer.await.unwrap();

    let mut seen = BTreeMap::new();
    let mut after = None;
    loop {
        let page = store.list_deleted(after).await.unwrap();
        count(&page.rows, &mut seen);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.len(), deleted.len());
    assert!(deleted.iter().all(|id| seen.get(id) == Some(&1)));
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_page_patched_from_live_changes_equals_the_page_read_again(#[case] backend: Backend) {
    use app::task::paging::{patch_live_page, ListedRow, Patch, PAGE_SIZE};
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::TestRunner;

    let db = TestDb::new(backend).await;
    let store = &db.store;
    let mut runner = TestRunner::deterministic();
    let varied = |n: usize, label: usize| {
        fields_with(TaskInput {
            title: format!("Patched {n}, change {label}"),
            status: Status::ALL[n % Status::ALL.len()].as_str().to_owned(),
            priority: (1 + n % 5).to_string(),
            due_date: if n.is_multiple_of(3) {
                String::new()
            } else {
                format!("2027-0{}-1{}", 1 + n % 9, n % 10)
            },
            ..TaskInput::default()
        })
    };
    let listed =
        |rows: &[app::task::TaskVersion]| rows.iter().map(ListedRow::of).collect::<Vec<_>>();
    let mut tasks: Vec<(app::task::EntityId, i64, bool)> = Vec::new();
    for n in 0..PAGE_SIZE * 2 + 30 {
        let created = store.create_task(varied(n, 0), by("ada")).await.unwrap();
        tasks.push((created.entity_id, 1, false));
    }
    // Pages as a browser holds them: the first and the second of each sort, with and without
    // a status filter.
    let mut pages = Vec::new();
    for sort in TaskSort::ALL {
        for status in [None, Some(Status::Todo)] {
            let first = TaskFilter {
                sort,
                status,
                ..TaskFilter::default()
            };
            let page = store.list_tasks(&first).await.unwrap();
            let second = TaskFilter {
                after: page.next.clone(),
                ..first.clone()
            };
            let next_page = store.list_tasks(&second).await.unwrap();
            pages.push((
                first,
                listed(&page.rows),
                page.next.map(|key| key.to_string()),
            ));
            pages.push((
                second,
                listed(&next_page.rows),
                next_page.next.map(|key| key.to_string()),
            ));
        }
    }
    let choices = proptest::collection::vec((0usize..6, 0usize..1000), 120)
        .new_tree(&mut runner)
        .unwrap()
        .current();
    let (mut applied, mut refetched) = (0, 0);
    for (n, (kind, pick)) in choices.into_iter().enumerate() {
        let slot = pick % tasks.len();
        let (id, version, dead) = tasks[slot];
        let written = match (kind, dead) {
            (0, _) => store
                .create_task(varied(pick, n + 1), by("ada"))
                .await
                .unwrap(),
            (_, true) => store.restore_task(id, by("ada")).await.unwrap(),
            (1, false) => store.delete_task(id, by("ada")).await.unwrap(),
            _ => store
                .update_task(id, version, varied(pick, n + 1), by("ada"))
                .await
                .unwrap(),
        };
        if kind == 0 {
            tasks.push((written.entity_id, 1, false));
        } else {
            tasks[slot] = (id, written.version, written.is_tombstone());
        }
        for (filter, rows, next) in &mut pages {
            let fresh = store.list_tasks(filter).await.unwrap();
            match patch_live_page(filter, rows, next, &ListedRow::of(&written)) {
                Patch::Refetch => refetched += 1,
                Patch::Applied | Patch::Unchanged => {
                    applied += 1;
                    let shown: Vec<_> = rows
                        .iter()
                        .map(|row| (row.entity_id, row.version))
                        .collect();
                    let read: Vec<_> = fresh
                        .rows
                        .iter()
                        .map(|row| (row.entity_id, row.version))
                        .collect();
                    assert_eq!(shown, read, "change {n} ({kind}) on {filter:?}");
                    assert_eq!(
                        *next,
                        fresh.next.as_ref().map(|key| key.to_string()),
                        "change {n} on {filter:?}"
                    );
                }
            }
            *rows = listed(&fresh.rows);
            *next = fresh.next.map(|key| key.to_string());
        }
    }
    // Most changes must be patched in place; refetching is for the cases that cannot be.
    assert!(
        applied > refetched * 4,
        "{applied} patched, {refetched} refetched"
    );
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_past_board_read_page_by_page_equals_a_scan_of_the_whole_log(#[case] backend: Backend) {
    use app::task::paging::PAGE_SIZE;
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::TestRunner;
    use std::collections::BTreeMap;

    let db = TestDb::new(backend).await;
    let store = &db.store;
    let mut runner = TestRunner::deterministic();
    let choices = proptest::collection::vec((0usize..4, 0usize..1000), 260)
        .new_tree(&mut runner)
        .unwrap()
        .current();
    let mut tasks: Vec<(app::task::EntityId, i64, bool)> = Vec::new();
    for (n, (kind, pick)) in choices.into_iter().enumerate() {
        if tasks.len() < PAGE_SIZE + 20 || kind == 0 {
            let created = store
                .create_task(fields(&format!("Board {n}")), by("ada"))
                .await
                .unwrap();
            tasks.push((created.entity_id, 1, false));
            continue;
        }
        let slot = pick % tasks.len();
        let (id, version, dead) = tasks[slot];
        let written = match (kind, dead) {
            (_, true) => store.restore_task(id, by("ada")).await.unwrap(),
            (1, false) => store.delete_task(id, by("ada")).await.unwrap(),
            _ => store
                .update_task(id, version, fields(&format!("Board {n} edit")), by("ada"))
                .await
                .unwrap(),
        };
        tasks[slot] = (id, written.version, written.is_tombstone());
    }
    let mut log = Vec::new();
    for (id, _, _) in &tasks {
        log.extend(store.task_history(*id).await.unwrap());
    }
    let mut instants: Vec<_> = log.iter().map(|v| v.recorded_at).collect();
    instants.sort();
    let picks = proptest::collection::vec(0usize..instants.len(), 12)
        .new_tree(&mut runner)
        .unwrap()
        .current();
    for (i, pick) in picks.into_iter().enumerate() {
        let at = instants[pick] + chrono::Duration::microseconds(i as i64 % 3 - 1);
        let mut expected = BTreeMap::new();
        for version in log.iter().filter(|v| v.recorded_at <= at) {
            let latest = expected
                .entry(version.entity_id)
                .or_insert_with(|| version.clone());
            if version.version > latest.version {
                *latest = version.clone();
            }
        }
        let mut paged = Vec::new();
        let mut after = None;
        loop {
            let page = store.board_as_of(at, after).await.unwrap();
            paged.extend(page.rows);
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        let order: Vec<_> = paged.iter().map(|v| (v.recorded_at, v.position)).collect();
        assert!(
            order.windows(2).all(|pair| pair[0] > pair[1]),
            "newest first, no repeats"
        );
        let paged: BTreeMap<_, _> = paged.into_iter().map(|v| (v.entity_id, v)).collect();
        assert_eq!(paged, expected, "the board at {at}");
    }
}
