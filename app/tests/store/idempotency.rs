//! A submission repeated with its key appends once, however it is repeated.

use std::collections::BTreeSet;
use std::sync::Arc;

use app::store::StoreError;
use app::task::idempotency::IdempotencyKey;
use app::task::{Op, Status, TaskLookup};
use rstest::rstest;
use test_support::{by, fields, Backend, TestDb};

use crate::store_status;

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_form_submitted_twice_appends_once_for_every_kind_of_write(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = &db.store;
    let keyed = |actor: &str| by(actor).with_idempotency_key(Some(IdempotencyKey::fresh()));
    let create = keyed("ada");
    let first = store
        .create_task(fields("Write once"), create.clone())
        .await
        .unwrap();
    let again = store
        .create_task(fields("Write once"), create)
        .await
        .unwrap();
    assert_eq!(
        again, first,
        "the repeat is answered with the version the first one appended"
    );
    let id = first.entity_id;

    let edit = keyed("grace");
    let edited = store
        .update_task(id, 1, fields("Written once"), edit.clone())
        .await
        .unwrap();
    assert_eq!(
        store
            .update_task(id, 1, fields("Written once"), edit)
            .await
            .unwrap(),
        edited,
        "no conflict with itself"
    );
    let delete = keyed("ada");
    let deleted = store.delete_task(id, delete.clone()).await.unwrap();
    assert_eq!(
        store.delete_task(id, delete).await.unwrap(),
        deleted,
        "not 'already deleted'"
    );
    let restore = keyed("ada");
    let restored = store.restore_task(id, restore.clone()).await.unwrap();
    assert_eq!(
        store.restore_task(id, restore).await.unwrap(),
        restored,
        "not 'nothing to restore'"
    );
    let revert = keyed("ada");
    let reverted = store.revert_task(id, 1, revert.clone()).await.unwrap();
    assert_eq!(
        store.revert_task(id, 1, revert).await.unwrap(),
        reverted,
        "not 'nothing changed'"
    );

    assert_eq!(
        db.version_rows().await,
        5,
        "five writes, each repeated once, appended five versions"
    );
    let history = store.task_history(id).await.unwrap();
    assert_eq!(
        history.iter().map(|v| v.op).collect::<Vec<_>>(),
        [
            Op::Created,
            Op::Updated,
            Op::Deleted,
            Op::Restored,
            Op::Reverted
        ]
    );
    let other = store
        .create_task(fields("Write once"), keyed("ada"))
        .await
        .unwrap();
    assert_ne!(
        other.entity_id, id,
        "a new key is a new submission, even with the same content"
    );
    let unkeyed = store
        .create_task(fields("No key"), by("ada"))
        .await
        .unwrap();
    store
        .create_task(fields("No key"), by("ada"))
        .await
        .unwrap();
    assert_eq!(unkeyed.version, 1);
    assert_eq!(
        db.version_rows().await,
        8,
        "writes without a key are not deduplicated"
    );
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_repeats_of_one_submission_append_once(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = Arc::new(db.store.clone());
    let create = by("ada").with_idempotency_key(Some(IdempotencyKey::fresh()));
    let answers = futures::future::join_all((0..8).map(|_| {
        let (store, create) = (Arc::clone(&store), create.clone());
        async move {
            store
                .create_task(fields("Clicked eight times"), create)
                .await
        }
    }))
    .await;
    let created: Vec<_> = answers
        .into_iter()
        .map(|answer| answer.expect("every repeat is answered"))
        .collect();
    assert!(
        created.iter().all(|answer| *answer == created[0]),
        "all eight got the one version"
    );
    assert_eq!(db.version_rows().await, 1);

    let entity = created[0].entity_id;
    let edit = by("grace").with_idempotency_key(Some(IdempotencyKey::fresh()));
    let answers = futures::future::join_all((0..8).map(|_| {
        let (store, edit) = (Arc::clone(&store), edit.clone());
        async move {
            store
                .update_task(entity, 1, fields("Saved eight times"), edit)
                .await
        }
    }))
    .await;
    let versions: BTreeSet<_> = answers
        .into_iter()
        .map(|answer| answer.expect("no repeat sees a conflict").version)
        .collect();
    assert_eq!(versions, BTreeSet::from([2]));
    assert_eq!(db.version_rows().await, 2);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_key_is_refused_for_a_change_to_another_task(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = &db.store;
    let a = store.create_task(fields("A"), by("ada")).await.unwrap();
    let b = store.create_task(fields("B"), by("ada")).await.unwrap();
    let key = by("ada").with_idempotency_key(Some(IdempotencyKey::fresh()));
    store.delete_task(a.entity_id, key.clone()).await.unwrap();
    match store.delete_task(b.entity_id, key).await {
        Err(StoreError::Invalid(errors)) => assert_eq!(errors[0].field, "idempotency_key"),
        other => panic!("expected a refusal of the reused key, got {other:?}"),
    }
    assert_eq!(store_status(store, b.entity_id).await, Status::Todo);
    assert!(matches!(
        store.get_task(b.entity_id).await.unwrap(),
        TaskLookup::Live(_)
    ));
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_key_recorded_for_a_version_not_yet_readable_is_in_progress_and_writes_nothing(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    // A key whose version cannot be read is what a repeat sees while the first submission
    // is still committing; here it is made to stay that way.
    let key = IdempotencyKey::fresh();
    let dangling = uuid::Uuid::now_v7();
    let pragma = if db.backend == Backend::Sqlite {
        "PRAGMA foreign_keys = OFF; "
    } else {
        ""
    };
    db.raw(&format!(
        "{pragma}INSERT INTO idempotency_keys (key, version_id) VALUES ('{key}', '{dangling}')"
    ))
    .await
    .unwrap();
    let repeat = db
        .store
        .create_task(fields("Repeat"), by("ada").with_idempotency_key(Some(key)))
        .await;
    assert!(
        matches!(repeat, Err(StoreError::SubmissionInProgress)),
        "{repeat:?}"
    );
    assert_eq!(db.version_rows().await, 0, "nothing was appended");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_record_of_keys_is_append_only(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let key = by("ada").with_idempotency_key(Some(IdempotencyKey::fresh()));
    db.store.create_task(fields("Keyed"), key).await.unwrap();
    for sql in [
        "UPDATE idempotency_keys SET key = version_id",
        "DELETE FROM idempotency_keys",
    ] {
        // On PostgreSQL the revoked privilege answers before the trigger is reached.
        let error = db.raw(sql).await.expect_err(sql).to_string();
        assert!(
            error.contains("append-only") || error.contains("permission denied"),
            "{sql}: {error}"
        );
    }
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_key_names_the_version_it_appended_and_an_unused_key_names_none(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let store = &db.store;
    let key = IdempotencyKey::fresh();
    assert_eq!(store.appended_with_key(key).await.unwrap(), None);
    let created = store
        .create_task(
            fields("Looked up by its key"),
            by("ada").with_idempotency_key(Some(key)),
        )
        .await
        .unwrap();
    assert_eq!(store.appended_with_key(key).await.unwrap(), Some(created));
    assert_eq!(
        store
            .appended_with_key(IdempotencyKey::fresh())
            .await
            .unwrap(),
        None,
        "another key appended nothing"
    );
}
