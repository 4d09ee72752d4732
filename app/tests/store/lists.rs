//! The current list: filters, sorting, search, and the demo data it is first shown with.

use std::collections::BTreeSet;

use app::task::{FeedQuery, Op, Status, TaskFilter, TaskInput, TaskSort};
use rstest::rstest;
use test_support::{by, fields, fields_with, Backend, TestDb};

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_current_list_filters_by_status_sorts_and_leaves_out_tombstones(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let store = &db.store;
    let task = |title: &str, status: &str, priority: &str, due: &str| {
        fields_with(TaskInput {
            title: title.into(),
            status: status.into(),
            priority: priority.into(),
            due_date: due.into(),
            ..Default::default()
        })
    };
    let low = store
        .create_task(task("Low", "todo", "1", "2026-12-01"), by("ada"))
        .await
        .unwrap();
    let high = store
        .create_task(task("High", "in_progress", "5", ""), by("ada"))
        .await
        .unwrap();
    let soon = store
        .create_task(task("Soon", "todo", "3", "2026-11-25"), by("ada"))
        .await
        .unwrap();
    let gone = store
        .create_task(task("Gone", "todo", "4", ""), by("ada"))
        .await
        .unwrap();
    store.delete_task(gone.entity_id, by("ada")).await.unwrap();

    fn titles<C>(page: app::task::paging::Page<app::task::TaskVersion, C>) -> Vec<String> {
        page.rows
            .into_iter()
            .map(|t| t.fields.title.as_str().to_owned())
            .collect()
    }
    let list = |status, sort| async move {
        store
            .list_tasks(&TaskFilter {
                status,
                sort,
                ..TaskFilter::default()
            })
            .await
    };
    assert_eq!(
        titles(list(None, TaskSort::RecentlyChanged).await.unwrap()),
        ["Soon", "High", "Low"]
    );
    assert_eq!(
        titles(list(None, TaskSort::Priority).await.unwrap()),
        ["High", "Soon", "Low"]
    );
    assert_eq!(
        titles(list(None, TaskSort::DueDate).await.unwrap()),
        ["Soon", "Low", "High"]
    );
    assert_eq!(
        titles(list(Some(Status::Todo), TaskSort::Priority).await.unwrap()),
        ["Soon", "Low"]
    );
    assert_eq!(titles(store.list_deleted(None).await.unwrap()), ["Gone"]);

    store
        .update_task(low.entity_id, 1, task("Low", "done", "1", ""), by("ada"))
        .await
        .unwrap();
    assert_eq!(
        titles(list(Some(Status::Done), TaskSort::default()).await.unwrap()),
        ["Low"]
    );
    assert_eq!(
        titles(list(None, TaskSort::RecentlyChanged).await.unwrap()),
        ["Low", "Soon", "High"]
    );
    let _ = (high, soon);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_title_search_finds_any_part_of_a_title_ignoring_case(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = &db.store;
    for title in [
        "Quarterly REPORT",
        "report draft",
        "Gamma ray",
        "100% done_now",
        "Old report",
    ] {
        let task = store.create_task(fields(title), by("ada")).await.unwrap();
        if title.starts_with("Old") {
            store.delete_task(task.entity_id, by("ada")).await.unwrap();
        }
    }
    let found = |q: &str| {
        let search = app::task::paging::TitleSearch::parse(q).unwrap();
        async move {
            let filter = TaskFilter {
                search,
                ..TaskFilter::default()
            };
            let mut titles: Vec<String> = store
                .list_tasks(&filter)
                .await
                .unwrap()
                .rows
                .into_iter()
                .map(|t| t.fields.title.as_str().to_owned())
                .collect();
            titles.sort();
            titles
        }
    };
    assert_eq!(found("report").await, ["Quarterly REPORT", "report draft"]);
    assert_eq!(found("ray").await, ["Gamma ray"]);
    assert_eq!(found("ga").await, ["Gamma ray"], "shorter than a trigram");
    assert_eq!(
        found("0%").await,
        ["100% done_now"],
        "% is a character, not a wildcard"
    );
    assert_eq!(
        found("e_n").await,
        ["100% done_now"],
        "_ is a character, not a wildcard"
    );
    assert!(found("nothing like it").await.is_empty());
    let renamed = store.list_tasks(&TaskFilter::default()).await.unwrap().rows;
    let gamma = renamed
        .iter()
        .find(|t| t.fields.title.as_str() == "Gamma ray")
        .unwrap();
    store
        .update_task(gamma.entity_id, 1, fields("Delta wave"), by("ada"))
        .await
        .unwrap();
    assert!(
        found("gamma").await.is_empty(),
        "the search follows the read model"
    );
    assert_eq!(found("wave").await, ["Delta wave"]);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_demo_seed_tells_a_story_once(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = &db.store;
    assert!(store.seed_demo_if_empty().await.unwrap());
    assert!(
        !store.seed_demo_if_empty().await.unwrap(),
        "a second start adds nothing"
    );

    let live = store.list_tasks(&TaskFilter::default()).await.unwrap().rows;
    let deleted = store.list_deleted(None).await.unwrap().rows;
    assert!(live.len() >= 3, "{live:?}");
    assert_eq!(deleted.len(), 1);
    assert!(live.iter().any(|t| t.op == Op::Restored));
    assert!(live.iter().any(|t| t.version >= 3));
    let oldest = store
        .change_feed(FeedQuery {
            limit: 200,
            ..FeedQuery::default()
        })
        .await
        .unwrap();
    let first = &oldest.entries.last().unwrap().version;
    assert!(
        chrono::Utc::now() - first.recorded_at > chrono::Duration::days(3),
        "the story spans days"
    );
    for task in live.iter().chain(&deleted) {
        assert!(store.verify_task(task.entity_id).await.unwrap().is_intact());
    }
    // Writing after the backdated story is still in order.
    let latest = &live[0];
    store
        .update_task(
            latest.entity_id,
            latest.version,
            fields("Fresh edit"),
            by("ada"),
        )
        .await
        .unwrap();
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_generated_board_has_valid_chains_tombstones_and_restores(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = &db.store;
    let size: app::store::BoardSize = "30x7".parse().unwrap();
    let generated = store.generate_board(size).await.unwrap();
    assert_eq!(generated.versions, 210);
    assert_eq!(db.version_rows().await, 210);
    assert_eq!((generated.deleted_tasks, generated.restored_tasks), (3, 3));
    let mut all = Vec::new();
    let mut filter = TaskFilter::default();
    loop {
        let page = store.list_tasks(&filter).await.unwrap();
        all.extend(page.rows);
        match page.next {
            Some(next) => filter.after = Some(next),
            None => break,
        }
    }
    let deleted = store.list_deleted(None).await.unwrap().rows;
    assert_eq!((all.len(), deleted.len()), (27, 3));
    let actors: BTreeSet<_> = all.iter().map(|t| t.actor.as_str().to_owned()).collect();
    assert!(actors.len() >= 3, "{actors:?}");
    for task in all.iter().chain(&deleted) {
        assert_eq!(task.version, 7);
        let report = store.verify_task(task.entity_id).await.unwrap();
        assert!(report.is_intact(), "{report:?}");
    }
    assert!(all.iter().any(|t| t.op == Op::Updated));
    let history = store
        .task_history(
            all.iter()
                .find(|t| t.fields.title.as_str().ends_with("#5"))
                .unwrap()
                .entity_id,
        )
        .await
        .unwrap();
    assert_eq!(
        history.iter().map(|v| v.op).collect::<Vec<_>>()[3..5],
        [Op::Deleted, Op::Restored]
    );
    let span = history.last().unwrap().recorded_at - history[0].recorded_at;
    assert!(
        span > chrono::Duration::days(100),
        "spread over months: {span}"
    );
}
