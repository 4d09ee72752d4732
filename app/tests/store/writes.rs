//! The life of a task through the store's writes: versions, conflicts between writers, and
//! what each write refuses.

use std::collections::BTreeSet;
use std::sync::Arc;

use app::store::StoreError;
use app::task::{Op, TaskInput, TaskLookup};
use rstest::rstest;
use test_support::{by, by_with_note, fields, fields_with, unknown_id, Backend, TestDb};

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn insert_update_delete_restore_gives_versions_1_to_4_with_their_ops(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let store = &db.store;
    let created = store
        .create_task(fields("Write slides"), by("ada"))
        .await
        .unwrap();
    let updated = store
        .update_task(
            created.entity_id,
            1,
            fields("Write the slides"),
            by_with_note("ada", "typo"),
        )
        .await
        .unwrap();
    let deleted = store
        .delete_task(created.entity_id, by("grace"))
        .await
        .unwrap();
    let restored = store
        .restore_task(created.entity_id, by("linus"))
        .await
        .unwrap();

    let history = store.task_history(created.entity_id).await.unwrap();
    let summary: Vec<_> = history
        .iter()
        .map(|v| (v.version, v.op, v.deleted_at.is_some()))
        .collect();
    assert_eq!(
        summary,
        [
            (1, Op::Created, false),
            (2, Op::Updated, false),
            (3, Op::Deleted, true),
            (4, Op::Restored, false)
        ]
    );
    assert_eq!(
        history,
        [
            created.clone(),
            updated.clone(),
            deleted.clone(),
            restored.clone()
        ]
    );
    assert_eq!(
        deleted.fields, updated.fields,
        "a tombstone keeps the last live content"
    );
    assert_eq!(deleted.deleted_at, Some(deleted.recorded_at));
    assert_eq!(restored.fields.title.as_str(), "Write the slides");
    assert_eq!(updated.note.as_ref().map(|n| n.as_str()), Some("typo"));
    assert_eq!(restored.actor.as_str(), "linus");
    assert!(history
        .windows(2)
        .all(|pair| pair[0].recorded_at <= pair[1].recorded_at));
    assert!(history
        .windows(2)
        .all(|pair| pair[1].prev_hash.as_deref() == Some(pair[0].hash.as_str())));
    assert!(history.iter().all(|v| v.entity_id == created.entity_id));
    assert_eq!(
        history.iter().map(|v| v.id).collect::<BTreeSet<_>>().len(),
        4,
        "every version is its own row"
    );
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stale_update_is_a_conflict_naming_the_current_version_and_writes_nothing(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let store = &db.store;
    let task = store.create_task(fields("Plan"), by("ada")).await.unwrap();
    store
        .update_task(task.entity_id, 1, fields("Plan the week"), by("ada"))
        .await
        .unwrap();
    let rows_before = db.version_rows().await;

    let stale = store
        .update_task(task.entity_id, 1, fields("Plan the month"), by("grace"))
        .await;

    assert!(
        matches!(stale, Err(StoreError::Conflict { current_version: 2 })),
        "{stale:?}"
    );
    assert_eq!(db.version_rows().await, rows_before);
    let TaskLookup::Live(current) = store.get_task(task.entity_id).await.unwrap() else {
        panic!("the task should still be live");
    };
    assert_eq!(current.fields.title.as_str(), "Plan the week");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_writers_racing_from_one_version_produce_one_winner_and_fifteen_conflicts(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let store = Arc::new(db.store.clone());
    let task = store
        .create_task(fields("Contended"), by("ada"))
        .await
        .unwrap();
    let writers = (0..16).map(|writer| {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            store
                .update_task(
                    task.entity_id,
                    1,
                    fields(&format!("Writer {writer}")),
                    by(&format!("w{writer}")),
                )
                .await
        })
    });
    let outcomes: Vec<_> = futures::future::join_all(writers)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();

    let winners = outcomes.iter().filter(|o| o.is_ok()).count();
    let conflicts = outcomes
        .iter()
        .filter(|o| matches!(o, Err(StoreError::Conflict { current_version: 2 })))
        .count();
    assert_eq!((winners, conflicts), (1, 15), "{outcomes:?}");
    let versions: Vec<_> = store
        .task_history(task.entity_id)
        .await
        .unwrap()
        .iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(versions, [1, 2]);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_that_name_no_version_settle_a_race_themselves_and_never_answer_a_conflict(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let store = Arc::new(db.store.clone());
    let task = store.create_task(fields("Raced"), by("ada")).await.unwrap();
    let edited = store
        .update_task(task.entity_id, 1, fields("Raced again"), by("ada"))
        .await
        .unwrap();
    // Eight deletes and eight reverts to version 1, none naming the version it expects.
    let writers = (0..16).map(|writer| {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            let meta = by(&format!("w{writer}"));
            if writer % 2 == 0 {
                store.delete_task(task.entity_id, meta).await
            } else {
                store.revert_task(task.entity_id, 1, meta).await
            }
        })
    });
    let outcomes: Vec<_> = futures::future::join_all(writers)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert!(
        !outcomes
            .iter()
            .any(|outcome| matches!(outcome, Err(StoreError::Conflict { .. }))),
        "{outcomes:?}"
    );
    let history = store.task_history(task.entity_id).await.unwrap();
    let appended = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
    assert_eq!(history.len(), 2 + appended, "each success is one version");
    assert_eq!(
        history.iter().map(|v| v.version).collect::<Vec<_>>(),
        (1..=history.len() as i64).collect::<Vec<_>>()
    );
    assert!(edited.version < history.len() as i64);
    assert!(app::store::verify_chain(task.entity_id, &history).is_intact());
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_writers_that_retry_on_conflict_produce_contiguous_versions(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let store = Arc::new(db.store.clone());
    let task = store.create_task(fields("Busy"), by("ada")).await.unwrap();
    let writers = (0..16).map(|writer| {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            let mut expected = 1;
            let mut conflicts = 0;
            loop {
                let title = format!("Writer {writer} after {conflicts} conflicts");
                match store
                    .update_task(task.entity_id, expected, fields(&title), by("racer"))
                    .await
                {
                    Ok(written) => return (written.version, conflicts),
                    Err(StoreError::Conflict { current_version }) => {
                        assert!(current_version > expected);
                        expected = current_version;
                        conflicts += 1;
                    }
                    Err(other) => panic!("writer {writer} failed: {other}"),
                }
            }
        })
    });
    let results: Vec<_> = futures::future::join_all(writers)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();

    let mut written: Vec<i64> = results.iter().map(|(version, _)| *version).collect();
    written.sort_unstable();
    assert_eq!(
        written,
        (2..=17).collect::<Vec<_>>(),
        "each writer got its own version"
    );
    let history = store.task_history(task.entity_id).await.unwrap();
    assert_eq!(
        history.iter().map(|v| v.version).collect::<Vec<_>>(),
        (1..=17).collect::<Vec<_>>()
    );
    assert!(store.verify_task(task.entity_id).await.unwrap().is_intact());
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn get_task_tells_live_deleted_and_unknown_apart(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = &db.store;
    let live = store.create_task(fields("Alive"), by("ada")).await.unwrap();
    let gone = store.create_task(fields("Gone"), by("ada")).await.unwrap();
    let tombstone = store.delete_task(gone.entity_id, by("ada")).await.unwrap();

    assert_eq!(
        store.get_task(live.entity_id).await.unwrap(),
        TaskLookup::Live(live)
    );
    assert_eq!(
        store.get_task(gone.entity_id).await.unwrap(),
        TaskLookup::Deleted(tombstone)
    );
    assert_eq!(
        store.get_task(unknown_id()).await.unwrap(),
        TaskLookup::NotFound
    );
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_to_deleted_live_or_unknown_tasks_are_refused_and_write_nothing(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let store = &db.store;
    let task = store.create_task(fields("Once"), by("ada")).await.unwrap();
    let rows = db.version_rows().await;
    assert!(matches!(
        store.restore_task(task.entity_id, by("ada")).await,
        Err(StoreError::NotDeleted)
    ));
    assert!(matches!(
        store
            .update_task(task.entity_id, 1, fields("Once"), by("ada"))
            .await,
        Err(StoreError::NoChanges)
    ));
    assert!(matches!(
        store.delete_task(unknown_id(), by("ada")).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store
            .update_task(unknown_id(), 1, fields("Ghost"), by("ada"))
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(db.version_rows().await, rows);

    store.delete_task(task.entity_id, by("ada")).await.unwrap();
    let rows = db.version_rows().await;
    assert!(matches!(
        store.delete_task(task.entity_id, by("ada")).await,
        Err(StoreError::Deleted { version: 2 })
    ));
    assert!(matches!(
        store
            .update_task(task.entity_id, 2, fields("Again"), by("ada"))
            .await,
        Err(StoreError::Deleted { version: 2 })
    ));
    assert!(matches!(
        store.revert_task(task.entity_id, 1, by("ada")).await,
        Err(StoreError::Deleted { .. })
    ));
    assert_eq!(db.version_rows().await, rows);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn revert_appends_a_copy_of_an_older_version(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = &db.store;
    let v1 = store
        .create_task(
            fields_with(TaskInput {
                title: "Draft".into(),
                priority: "2".into(),
                ..Default::default()
            }),
            by("ada"),
        )
        .await
        .unwrap();
    store
        .update_task(v1.entity_id, 1, fields("Second draft"), by("ada"))
        .await
        .unwrap();
    store
        .update_task(v1.entity_id, 2, fields("Final"), by("ada"))
        .await
        .unwrap();

    let reverted = store
        .revert_task(v1.entity_id, 1, by_with_note("grace", "back to v1"))
        .await
        .unwrap();

    assert_eq!((reverted.version, reverted.op), (4, Op::Reverted));
    assert_eq!(reverted.fields, v1.fields);
    let rows = db.version_rows().await;
    assert!(matches!(
        store.revert_task(v1.entity_id, 4, by("ada")).await,
        Err(StoreError::InvalidRevert(_))
    ));
    assert!(matches!(
        store.revert_task(v1.entity_id, 1, by("ada")).await,
        Err(StoreError::NoChanges)
    ));
    assert!(matches!(
        store.revert_task(v1.entity_id, 0, by("ada")).await,
        Err(StoreError::NoSuchVersion(0))
    ));
    assert_eq!(db.version_rows().await, rows);
}
