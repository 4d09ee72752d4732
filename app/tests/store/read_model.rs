//! The course's read model (CQRS) and under-the-hood lessons: a projection replayed from the
//! log equals the one kept beside it, and a write shows the statements it ran.

use app::store::Store;
use app::task::TaskLookup;
use rstest::rstest;
use test_support::{by, fields, Backend, TestDb};

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_read_model_replayed_from_the_log_equals_task_current_after_any_operations(
    #[case] backend: Backend,
) {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::TestRunner;

    let db = TestDb::new(backend).await;
    let store = &db.store;
    let mut runner = TestRunner::deterministic();
    let steps = proptest::collection::vec((0u8..4, 0usize..64), 10..40);
    let mut tasks = Vec::new();
    for round in 0..6 {
        for (kind, pick) in steps.new_tree(&mut runner).expect("a sequence").current() {
            let target = (!tasks.is_empty()).then(|| tasks[pick % tasks.len()]);
            // Refusals (editing a deleted task, restoring a live one) are part of any
            // sequence; they must leave both tables as they were.
            let _ = match (kind, target) {
                (0, _) | (_, None) => store
                    .create_task(fields(&format!("Replay {round}.{pick}")), by("ada"))
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
        let report = store.replay(None).await.unwrap();
        assert!(
            report.matches(),
            "round {round}: {:?}",
            report.first_differences
        );
        assert_eq!(report.replayed.rows as usize, tasks.len());
        assert_eq!(report.up_to, report.head);
    }
    let statements: Vec<_> = store
        .replay(None)
        .await
        .unwrap()
        .statements
        .into_iter()
        .map(|s| s.sql)
        .collect();
    assert!(
        statements
            .iter()
            .any(|sql| sql.starts_with("INSERT INTO replayed_current")),
        "{statements:?}"
    );
    assert_eq!(statements.last().map(String::as_str), Some("ROLLBACK"));
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replay_to_an_earlier_position_holds_the_board_as_it_was_then(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = &db.store;
    let first = store.create_task(fields("First"), by("ada")).await.unwrap();
    let second = store
        .create_task(fields("Second"), by("ada"))
        .await
        .unwrap();
    store
        .update_task(first.entity_id, 1, fields("First, edited"), by("ada"))
        .await
        .unwrap();
    store.create_task(fields("Third"), by("ada")).await.unwrap();
    let then = store.replay(Some(second.position)).await.unwrap();
    assert_eq!(
        then.replayed.rows, 2,
        "two tasks existed at the second write"
    );
    assert_eq!(then.current.rows, 3);
    assert_eq!(
        then.differing, 2,
        "the first task was edited since, the third created since"
    );
    assert!(!then.matches());
    assert_eq!(db.version_rows().await, 4, "a replay writes nothing");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replay_finds_a_read_model_row_that_no_longer_follows_the_log(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = &db.store;
    let kept = store.create_task(fields("Kept"), by("ada")).await.unwrap();
    let tampered = store
        .create_task(fields("Tampered"), by("ada"))
        .await
        .unwrap();
    assert!(store.replay(None).await.unwrap().matches());
    // The read model is not guarded like the log (the trigger must write it), so someone
    // with the table's privileges can change it behind the log's back.
    let id = tampered.entity_id;
    db.raw(&format!(
        "UPDATE task_current SET title = 'Quietly renamed' WHERE entity_id = '{id}'"
    ))
    .await
    .unwrap();
    let report = store.replay(None).await.unwrap();
    assert!(!report.matches());
    assert_eq!(report.differing, 1);
    assert_ne!(report.replayed.sha256, report.current.sha256);
    assert_eq!(
        report.first_differences[0].entity_id,
        tampered.entity_id.to_string()
    );
    assert!(report.first_differences[0]
        .current
        .as_deref()
        .unwrap()
        .contains("Quietly renamed"));
    assert_ne!(
        report.first_differences[0].entity_id,
        kept.entity_id.to_string()
    );
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rule_on_the_read_model_refuses_the_append_and_the_log_stays_as_it_was(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let store = &db.store;
    let task = store
        .create_task(fields("Before the demonstration"), by("ada"))
        .await
        .unwrap();
    let report = store.read_model_refusal().await.unwrap();
    let refusal = report
        .refusal
        .expect("the read model's rule refuses the append");
    assert!(refusal.contains("read_model_demo_rule"), "{refusal}");
    assert_eq!(
        (report.head_before, report.head_after),
        (task.position, task.position)
    );
    assert_eq!(
        db.version_rows().await,
        1,
        "the refused append left nothing"
    );
    assert!(report
        .statements
        .iter()
        .any(|s| s.sql.starts_with("INSERT INTO task_versions") && s.binds[3] == report.title));
    let allowed = store.create_task(fields(&report.title), by("ada")).await;
    assert!(
        allowed.is_ok(),
        "the rule went with the rollback: {allowed:?}"
    );
    assert!(store.replay(None).await.unwrap().matches());
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn under_the_hood_shows_the_statements_a_write_ran_and_the_read_model_before_and_after(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let store = &db.store;
    let created = store
        .create_task(fields("Looked at"), by("ada"))
        .await
        .unwrap();
    let report = store
        .under_the_hood(Some(created.position))
        .await
        .unwrap()
        .expect("a change at that position");
    assert_eq!(report.appended, created);
    assert_eq!(report.read_model_before, None, "a create has no row before");
    let sql: Vec<_> = report
        .statements
        .clone()
        .expect("this process ran it")
        .into_iter()
        .map(|s| s.sql)
        .collect();
    match backend {
        // Inside the one write lock, taken up front.
        Backend::Sqlite => {
            assert!(sql[0].starts_with("BEGIN IMMEDIATE"), "{sql:?}");
            assert_eq!(sql.last().map(String::as_str), Some("COMMIT"));
        }
        // Statements that each commit alone: the clock, then the INSERT.
        Backend::Postgres => assert!(
            sql.len() == 2 && !sql.iter().any(|s| s.starts_with("BEGIN") || s == "COMMIT"),
            "{sql:?}"
        ),
    }
    let insert = report
        .statements
        .unwrap()
        .into_iter()
        .find(|s| s.sql.starts_with("INSERT INTO task_versions"))
        .expect("the append");
    assert_eq!(
        (insert.binds[3].as_str(), insert.rows),
        ("Looked at", Some(1))
    );

    let edited = store
        .update_task(created.entity_id, 1, fields("Looked at again"), by("grace"))
        .await
        .unwrap();
    let report = store
        .under_the_hood(None)
        .await
        .unwrap()
        .expect("the newest change");
    assert_eq!(report.appended.position, edited.position);
    assert_eq!(report.older, Some(created.position));
    assert_eq!(report.newer, None);
    let column = |row: &[(String, String)], name: &str| {
        row.iter()
            .find(|(column, _)| column == name)
            .map(|(_, value)| value.clone())
    };
    assert_eq!(
        column(&report.read_model_before.unwrap(), "title").as_deref(),
        Some("Looked at")
    );
    assert_eq!(
        column(&report.read_model_after, "title").as_deref(),
        Some("Looked at again")
    );
    let statements = report.statements.unwrap();
    assert!(
        statements
            .iter()
            .any(|s| s.sql.contains("FROM task_current")
                && s.binds == [created.entity_id.to_string()]),
        "the latest version was read with the clock: {statements:?}"
    );

    let deleted = store
        .delete_task(created.entity_id, by("ada"))
        .await
        .unwrap();
    let report = store
        .under_the_hood(Some(deleted.position))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        column(&report.read_model_before.unwrap(), "deleted_at").as_deref(),
        Some("NULL")
    );
    assert_ne!(
        column(&report.read_model_after, "deleted_at").as_deref(),
        Some("NULL")
    );

    // Another process on the database sees the change, but not the statements it ran.
    let other = Store::connect(&db.url).await.unwrap();
    let seen = other
        .under_the_hood(Some(deleted.position))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (seen.appended.position, seen.statements),
        (deleted.position, None)
    );
    assert!(store
        .under_the_hood(Some(deleted.position + 1_000))
        .await
        .unwrap()
        .is_none());
}
