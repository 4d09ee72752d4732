//! The database's own guards: history cannot be rewritten behind the store's back, and a
//! row changed anyway is caught by the hash chain.

use app::lessons::guards::Tamper;
use rstest::rstest;
use test_support::{by, fields, Backend, TestDb};

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn raw_update_delete_and_truncate_of_the_version_table_are_refused(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let task = db
        .store
        .create_task(fields("Immutable"), by("ada"))
        .await
        .unwrap();
    let id = task.entity_id;
    let attempts = [
        format!("UPDATE task_versions SET title = 'Rewritten' WHERE entity_id = '{id}'"),
        format!("DELETE FROM task_versions WHERE entity_id = '{id}'"),
        match db.backend {
            Backend::Postgres => "TRUNCATE task_versions".to_owned(),
            // SQLite has no TRUNCATE; an unqualified DELETE is its equivalent.
            Backend::Sqlite => "DELETE FROM task_versions".to_owned(),
        },
    ];
    for sql in &attempts {
        let error = db.raw(sql).await.expect_err(sql).to_string();
        let refused = error.contains("append-only") || error.contains("permission denied");
        assert!(refused, "{sql} failed for another reason: {error}");
    }
    if db.backend == Backend::Postgres {
        // With the privileges granted back, the triggers still refuse every statement.
        db.raw("GRANT UPDATE, DELETE, TRUNCATE ON task_versions TO CURRENT_USER")
            .await
            .unwrap();
        for sql in &attempts {
            let error = db.raw(sql).await.expect_err(sql).to_string();
            assert!(
                error.contains("task_versions is append-only"),
                "{sql}: {error}"
            );
        }
    }
    assert_eq!(db.store.task_history(id).await.unwrap(), [task]);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_database_reports_its_guards_and_refuses_every_attempt_to_rewrite_history(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    // On an empty table a row trigger has no row to fire for; privileges are checked first.
    let empty = db.store.attempt_tamper(Tamper::Update).await.unwrap();
    assert_eq!((empty.rows_before, empty.rows_after), (0, 0));
    let superuser = db.store.database_facts().await.unwrap().superuser;
    match (db.backend, empty.refusal.as_deref()) {
        (Backend::Sqlite, None) => {}
        (Backend::Postgres, None) if superuser => {}
        (Backend::Postgres, Some(refusal)) if refusal.contains("permission denied") => {}
        (backend, refusal) => panic!("{backend:?} answered {refusal:?}"),
    }

    let task = db
        .store
        .create_task(fields("Guarded"), by("ada"))
        .await
        .unwrap();
    db.store
        .delete_task(task.entity_id, by("ada"))
        .await
        .unwrap();
    let facts = db.store.database_facts().await.unwrap();
    assert_eq!(
        (facts.version_rows, facts.current_rows, facts.live_tasks),
        (2, 1, 0)
    );
    let triggers: Vec<&str> = facts
        .triggers
        .iter()
        .map(|rule| rule.name.as_str())
        .collect();
    assert!(
        triggers.contains(&"task_versions_no_update"),
        "{triggers:?}"
    );
    assert!(
        triggers.contains(&"task_versions_no_delete"),
        "{triggers:?}"
    );
    let constraints: Vec<&str> = facts
        .constraints
        .iter()
        .map(|rule| rule.definition.as_str())
        .collect();
    assert!(
        constraints
            .iter()
            .any(|c| c.contains("UNIQUE (entity_id, version)")),
        "{constraints:?}"
    );
    match db.backend {
        Backend::Postgres => {
            assert!(
                triggers.contains(&"task_versions_no_truncate"),
                "{triggers:?}"
            );
            let guard = facts
                .triggers
                .iter()
                .find(|rule| rule.name == "task_versions_no_update")
                .unwrap();
            assert!(
                guard
                    .function_body
                    .as_deref()
                    .unwrap_or_default()
                    .contains("append-only"),
                "{guard:?}"
            );
            // Revoked by migration 0001; a superuser holds every privilege regardless.
            assert_eq!(facts.privileges.len(), 3);
            assert!(
                facts.privileges.iter().all(|p| p.held == facts.superuser),
                "{facts:?}"
            );
        }
        Backend::Sqlite => {
            let guard = facts
                .triggers
                .iter()
                .find(|rule| rule.name == "task_versions_no_update")
                .unwrap();
            assert!(guard.definition.contains("append-only"), "{guard:?}");
            assert!(facts.privileges.is_empty());
        }
    }

    for tamper in Tamper::ALL {
        let outcome = db.store.attempt_tamper(tamper).await.unwrap();
        let refusal = outcome
            .refusal
            .unwrap_or_else(|| panic!("{} went through", outcome.statement));
        assert!(
            refusal.contains("append-only") || refusal.contains("permission denied"),
            "{refusal}"
        );
        assert_eq!(
            (outcome.rows_before, outcome.rows_after),
            (2, 2),
            "{}",
            outcome.statement
        );
    }

    // Without its guards the database lets a rewrite through, and the attempt still changes
    // nothing: it is rolled back.
    let unguard = match db.backend {
        Backend::Postgres => {
            "GRANT UPDATE ON task_versions TO CURRENT_USER; \
             ALTER TABLE task_versions DISABLE TRIGGER USER"
        }
        Backend::Sqlite => "DROP TRIGGER task_versions_no_update",
    };
    db.raw(unguard).await.unwrap();
    let unguarded = db.store.attempt_tamper(Tamper::Update).await.unwrap();
    assert_eq!(unguarded.refusal, None, "{unguarded:?}");
    let history = db.store.task_history(task.entity_id).await.unwrap();
    assert!(
        history
            .iter()
            .all(|version| version.fields.title.as_str() == "Guarded"),
        "{history:?}"
    );
    assert!(db
        .store
        .verify_task(task.entity_id)
        .await
        .unwrap()
        .is_intact());
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_database_refuses_a_duplicate_or_skipped_version_number(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let task = db
        .store
        .create_task(fields("Numbered"), by("ada"))
        .await
        .unwrap();
    let insert = |version: i64| {
        format!(
            "INSERT INTO task_versions \
             (id, entity_id, version, title, status, op, actor, prev_hash, hash, valid_from) \
             VALUES ('{}', '{}', {version}, 'Sneaky', 'todo', 'updated', 'mallory', 'x', 'y', \
             '2000-01-01T00:00:00.000000Z')",
            uuid::Uuid::now_v7(),
            task.entity_id
        )
    };
    assert!(
        db.raw(&insert(1)).await.is_err(),
        "version 1 exists already"
    );
    assert!(
        db.raw(&insert(3)).await.is_err(),
        "version 2 would be skipped"
    );
    assert_eq!(db.version_rows().await, 1);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_tampered_row_fails_verification_at_its_version(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = &db.store;
    let task = store
        .create_task(fields("Pay invoice"), by("ada"))
        .await
        .unwrap();
    store
        .update_task(task.entity_id, 1, fields("Pay invoice 42"), by("ada"))
        .await
        .unwrap();
    store
        .update_task(task.entity_id, 2, fields("Pay invoice 42 today"), by("ada"))
        .await
        .unwrap();
    let intact = store.verify_task(task.entity_id).await.unwrap();
    assert!(intact.is_intact(), "{intact:?}");
    assert_eq!(intact.versions_checked, 3);

    let tamper = format!(
        "UPDATE task_versions SET title = 'Pay invoice 666' WHERE entity_id = '{}' AND version = 2",
        task.entity_id
    );
    match db.backend {
        Backend::Postgres => {
            db.raw(&format!(
                "GRANT UPDATE ON task_versions TO CURRENT_USER; \
                 ALTER TABLE task_versions DISABLE TRIGGER USER; {tamper}; \
                 ALTER TABLE task_versions ENABLE TRIGGER USER;"
            ))
            .await
            .unwrap();
        }
        Backend::Sqlite => {
            db.raw(&format!("DROP TRIGGER task_versions_no_update; {tamper};"))
                .await
                .unwrap();
        }
    }

    let report = store.verify_task(task.entity_id).await.unwrap();
    let broken = report.broken.expect("tampering must be detected");
    assert_eq!(broken.version, 2);
    assert!(broken.reason.contains("content"), "{}", broken.reason);
}
