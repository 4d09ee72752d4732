//! What the store keeps of the text it is given, and the rules the schema and the newtypes
//! hold every field to.

use app::task::{Actor, TaskInput};
use rstest::rstest;
use test_support::{by, fields, Backend, TestDb};

/// A valid time for rows written by hand: before any recording, as both databases read it.
const PAST: &str = "2000-01-01T00:00:00.000000Z";

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn any_text_the_newtypes_accept_is_stored_and_read_back_unchanged(#[case] backend: Backend) {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::TestRunner;

    let db = TestDb::new(backend).await;
    let text = proptest::prop_oneof![
        "(?s).{0,60}",
        "[ a-z\t\n\r'\"<>&%;\\\\\u{a0}\u{2028}é😀-]{1,60}",
    ];
    let mut runner = TestRunner::deterministic();
    // A sample the given parser accepts: random text is drawn until one passes.
    let mut accepted = |ok: &dyn Fn(&str) -> bool| loop {
        let raw = text.new_tree(&mut runner).expect("a sample").current();
        if ok(&raw) {
            break raw;
        }
    };
    let mut stored = 0;
    for _ in 0..48 {
        let input = TaskInput {
            title: accepted(&|raw| app::task::TaskTitle::parse(raw).is_ok()),
            description: accepted(&|raw| app::task::Description::parse(raw).is_ok()),
            ..TaskInput::default()
        };
        let actor = accepted(&|raw| Actor::parse(raw).is_ok());
        let note = accepted(&|raw| app::task::Note::parse(raw).is_ok());
        let fields = app::task::TaskFields::parse(&input).expect("each field was accepted");
        let meta = app::task::ChangeMeta::parse(&actor, &note).expect("each field was accepted");
        let created = db
            .store
            .create_task(fields.clone(), meta.clone())
            .await
            .expect("an accepted value is stored");
        let read = db.store.task_history(created.entity_id).await.unwrap();
        assert_eq!(
            (&read[0].fields, &read[0].actor, &read[0].note),
            (&fields, &meta.actor, &meta.note)
        );
        stored += 1;
    }
    assert_eq!(stored, 48);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_database_itself_refuses_control_characters_in_text(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let (uuid, chr) = match db.backend {
        Backend::Postgres => ("gen_random_uuid()", "chr"),
        Backend::Sqlite => ("lower(hex(randomblob(16)))", "char"),
    };
    let insert = |title: String, actor: String, description: String, note: String| {
        format!(
            "INSERT INTO task_versions \
             (id, entity_id, version, title, description, status, priority, op, actor, note, hash, \
             valid_from) VALUES ({uuid}, {uuid}, 1, {title}, {description}, 'todo', 0, 'created', \
             {actor}, {note}, 'not-a-real-hash', '{PAST}')"
        )
    };
    let plain = || "'plain'".to_owned();
    let null = || "NULL".to_owned();
    let mut codes = vec![1, 27, 127, 155];
    if db.backend == Backend::Sqlite {
        codes.push(0); // PostgreSQL's text type cannot hold NUL at all.
    }
    for code in codes {
        let bad = format!("'a' || {chr}({code}) || 'b'");
        for (rule, sql) in [
            ("title_plain", insert(bad.clone(), plain(), null(), null())),
            ("actor_plain", insert(plain(), bad.clone(), null(), null())),
            (
                "description_plain",
                insert(plain(), plain(), bad.clone(), null()),
            ),
            ("note_plain", insert(plain(), plain(), null(), bad.clone())),
        ] {
            let error = db.raw(&sql).await.expect_err(&sql).to_string();
            assert!(error.contains(rule), "U+{code:04X}: {error}");
        }
    }
    let lines = format!("'one' || {chr}(10) || {chr}(9) || 'two' || {chr}(13) || {chr}(10)");
    db.raw(&insert(plain(), plain(), lines.clone(), lines))
        .await
        .expect("line breaks and tabs are text in a description and a note");
    let line_break = format!("'one' || {chr}(10) || 'two'");
    let error = db
        .raw(&insert(line_break, plain(), null(), null()))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("title_plain"),
        "a title is one line: {error}"
    );
    assert_eq!(db.version_rows().await, 1);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn check_constraints_reject_rows_that_break_a_field_rule(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let task = db
        .store
        .create_task(fields("Checked"), by("ada"))
        .await
        .unwrap();
    // A valid version 2, written by hand, with one column replaced by a bad value.
    let insert_with = |column: &str, bad: &str| {
        let mut row = vec![
            ("id", format!("'{}'", uuid::Uuid::now_v7())),
            ("entity_id", format!("'{}'", task.entity_id)),
            ("version", "2".to_owned()),
            ("title", "'Valid'".to_owned()),
            ("status", "'todo'".to_owned()),
            ("priority", "1".to_owned()),
            ("op", "'updated'".to_owned()),
            ("actor", "'ada'".to_owned()),
            ("prev_hash", format!("'{}'", task.hash)),
            ("hash", "'h'".to_owned()),
            ("valid_from", format!("'{PAST}'")),
        ];
        match row.iter_mut().find(|(name, _)| *name == column) {
            Some(entry) => entry.1 = bad.to_owned(),
            None => row.push((column, bad.to_owned())),
        }
        let (columns, values): (Vec<&str>, Vec<String>) = row.into_iter().unzip();
        format!(
            "INSERT INTO task_versions ({}) VALUES ({})",
            columns.join(", "),
            values.join(", ")
        )
    };
    let cases = [
        ("title_length", "title", "''"),
        ("title_length", "title", "' padded '"),
        ("description_length", "description", "''"),
        ("status_known", "status", "'someday'"),
        ("priority_range", "priority", "9"),
        ("actor_length", "actor", "''"),
        ("note_length", "note", "''"),
        ("op_known", "op", "'edited'"),
        ("tombstone_marked", "op", "'deleted'"),
    ];
    for (constraint, column, bad) in cases {
        let sql = insert_with(column, bad);
        let error = db.raw(&sql).await.expect_err(&sql).to_string();
        assert!(error.contains(constraint), "{column} = {bad}: {error}");
    }
    assert!(
        db.raw(&insert_with("note", "'A valid note'")).await.is_ok(),
        "the template row itself is valid"
    );
    assert_eq!(db.version_rows().await, 2);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_validation_rule_rejects_bad_input_by_field_name(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let long = |n: usize| "x".repeat(n);
    let cases: [(TaskInput, &str); 8] = [
        (
            TaskInput {
                title: "   ".into(),
                ..Default::default()
            },
            "title",
        ),
        (
            TaskInput {
                title: long(201),
                ..Default::default()
            },
            "title",
        ),
        (
            TaskInput {
                title: "ok".into(),
                description: long(10_001),
                ..Default::default()
            },
            "description",
        ),
        (
            TaskInput {
                title: "ok".into(),
                status: "someday".into(),
                ..Default::default()
            },
            "status",
        ),
        (
            TaskInput {
                title: "ok".into(),
                priority: "6".into(),
                ..Default::default()
            },
            "priority",
        ),
        (
            TaskInput {
                title: "ok".into(),
                priority: "-1".into(),
                ..Default::default()
            },
            "priority",
        ),
        (
            TaskInput {
                title: "ok".into(),
                due_date: "2026-02-30".into(),
                ..Default::default()
            },
            "due_date",
        ),
        (
            TaskInput {
                title: "ok".into(),
                due_date: "tomorrow".into(),
                ..Default::default()
            },
            "due_date",
        ),
    ];
    for (input, field) in cases {
        let errors = app::task::TaskFields::parse(&input).expect_err(field);
        assert_eq!(
            errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
            [field],
            "{input:?}"
        );
        assert!(!errors[0].message.is_empty());
    }
    for (actor, note, field) in [
        (long(101), String::new(), "actor"),
        (String::new(), long(1001), "note"),
    ] {
        let errors = app::task::ChangeMeta::parse(&actor, &note).expect_err(field);
        assert_eq!(errors[0].field, field);
    }
    assert_eq!(db.version_rows().await, 0, "nothing reached the database");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_actor_defaults_to_anonymous(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let created = db
        .store
        .create_task(fields("Nobody in particular"), by("  "))
        .await
        .unwrap();
    assert_eq!(created.actor.as_str(), "anonymous");
}
