//! The store contract, run against SQLite and PostgreSQL alike. Every test body below becomes two
//! tests, `sqlite::name` and `postgres::name`, each on its own freshly migrated database.

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use app::database::Tamper;
use app::idempotency::IdempotencyKey;
use app::lessons::statistics::{RefreshTrigger, Statistics, StatisticsRequest};
use app::live::hub::{LiveEvent, LiveHub};
use app::live::Change;
use app::store::{Store, StoreError};
use app::task::{
    Actor, FeedPage, FeedQuery, Op, Status, TaskFilter, TaskInput, TaskLookup, TaskSort,
};
use support::{by, by_with_note, fields, fields_with, unknown_id, Backend};
use tokio::sync::mpsc::Receiver;

/// A task's current status, read back through the store.
async fn store_status(store: &Store, id: app::task::EntityId) -> Status {
    match store.get_task(id).await.unwrap() {
        TaskLookup::Live(task) | TaskLookup::Deleted(task) => task.fields.status,
        TaskLookup::NotFound => panic!("{id} was written"),
    }
}

/// The next event a follower receives; a generous wait, since nothing here measures speed.
async fn next_event(events: &mut Receiver<LiveEvent>) -> LiveEvent {
    tokio::time::timeout(Duration::from_secs(20), events.recv())
        .await
        .expect("an event arrives")
        .expect("the stream stays open")
}

fn ops(page: &FeedPage) -> Vec<(i64, Op)> {
    page.entries
        .iter()
        .map(|entry| (entry.version.version, entry.version.op))
        .collect()
}

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

on_both_backends! {
    async fn any_text_the_newtypes_accept_is_stored_and_read_back_unchanged(db) {
        use proptest::strategy::{Strategy, ValueTree};
        use proptest::test_runner::TestRunner;

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
            let created = db.store.create_task(fields.clone(), meta.clone()).await.expect("an accepted value is stored");
            let read = db.store.task_history(created.entity_id).await.unwrap();
            assert_eq!((&read[0].fields, &read[0].actor, &read[0].note), (&fields, &meta.actor, &meta.note));
            stored += 1;
        }
        assert_eq!(stored, 48);
    }

    async fn the_database_itself_refuses_control_characters_in_text(db) {
        let (uuid, chr) = match db.backend {
            Backend::Postgres => ("gen_random_uuid()", "chr"),
            Backend::Sqlite => ("lower(hex(randomblob(16)))", "char"),
        };
        let insert = |title: String, actor: String, description: String, note: String| {
            format!(
                "INSERT INTO task_versions (id, entity_id, version, title, description, status, priority, op, actor, note, hash) \
                 VALUES ({uuid}, {uuid}, 1, {title}, {description}, 'todo', 0, 'created', {actor}, {note}, 'not-a-real-hash')"
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
                ("description_plain", insert(plain(), plain(), bad.clone(), null())),
                ("note_plain", insert(plain(), plain(), null(), bad.clone())),
            ] {
                let error = db.raw(&sql).await.expect_err(&sql).to_string();
                assert!(error.contains(rule), "U+{code:04X}: {error}");
            }
        }
        let lines = format!("'one' || {chr}(10) || {chr}(9) || 'two' || {chr}(13) || {chr}(10)");
        db.raw(&insert(plain(), plain(), lines.clone(), lines)).await.expect("line breaks and tabs are text in a description and a note");
        let line_break = format!("'one' || {chr}(10) || 'two'");
        let error = db.raw(&insert(line_break, plain(), null(), null())).await.unwrap_err().to_string();
        assert!(error.contains("title_plain"), "a title is one line: {error}");
        assert_eq!(db.version_rows().await, 1);
    }

    async fn the_change_feed_filters_by_operation_actor_and_time_and_shows_what_each_version_replaced(db) {
        let store = &db.store;
        let task = store.create_task(fields("Feed me"), by("ada")).await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
        let updated = store.update_task(task.entity_id, 1, fields("Fed"), by("grace")).await.unwrap();
        store.delete_task(task.entity_id, by("ada")).await.unwrap();
        let feed = |query: FeedQuery| async move { store.change_feed(FeedQuery { limit: 10, ..query }).await.unwrap() };

        let everything = feed(FeedQuery::default()).await;
        assert_eq!(ops(&everything), [(3, Op::Deleted), (2, Op::Updated), (1, Op::Created)]);
        assert_eq!(everything.entries[1].previous.as_ref().map(|f| f.title.as_str()), Some("Feed me"));
        assert_eq!(everything.entries[2].previous, None, "a creation replaced nothing");

        let by_grace = feed(FeedQuery { actor: Some(Actor::parse("grace").unwrap()), ..FeedQuery::default() }).await;
        assert_eq!(ops(&by_grace), [(2, Op::Updated)]);
        let deletions = feed(FeedQuery { op: Some(Op::Deleted), ..FeedQuery::default() }).await;
        assert_eq!(ops(&deletions), [(3, Op::Deleted)]);
        let since_update = feed(FeedQuery { since: Some(updated.recorded_at), ..FeedQuery::default() }).await;
        assert_eq!(ops(&since_update), [(3, Op::Deleted), (2, Op::Updated)]);
    }

    async fn the_timeline_places_an_instant_among_the_positions(db) {
        let store = &db.store;
        let empty = store.timeline(chrono::Utc::now()).await.unwrap();
        assert_eq!((empty.position, empty.next_position, empty.head), (0, None, 0));
        assert_eq!(store.head_position().await.unwrap(), 0);

        let pause = || tokio::time::sleep(Duration::from_millis(5));
        let first = store.create_task(fields("One"), by("ada")).await.unwrap();
        pause().await;
        let second = store.update_task(first.entity_id, 1, fields("One, edited"), by("ada")).await.unwrap();
        pause().await;
        let third = store.create_task(fields("Two"), by("ada")).await.unwrap();

        let middle = store.timeline(second.recorded_at).await.unwrap();
        assert_eq!(middle.position, second.position);
        assert_eq!(middle.next_position, Some(third.position));
        assert_eq!(middle.head, third.position);
        let before = store.timeline(first.recorded_at - chrono::Duration::microseconds(1)).await.unwrap();
        assert_eq!((before.position, before.next_position), (0, Some(first.position)));
        assert_eq!(store.first_instant().await.unwrap(), Some(first.recorded_at));
        assert_eq!(store.position_instant(first.position).await.unwrap(), Some(first.recorded_at));
        assert_eq!(store.position_instant(third.position).await.unwrap(), Some(third.recorded_at));
        assert_eq!(store.position_instant(third.position + 5).await.unwrap(), Some(third.recorded_at));
        assert_eq!(store.position_instant(0).await.unwrap(), None);
        assert_eq!(store.head_position().await.unwrap(), third.position);
        // On PostgreSQL a follower reads only below the oldest transaction still open anywhere
        // in the cluster (migration 0005), and the other tests' databases share this cluster:
        // the two versions may wait for one of their transactions to end.
        let mut after_first = Vec::new();
        for _ in 0..100 {
            after_first = store.changes_after(first.position, 10).await.unwrap().into_iter().map(|f| f.version).collect();
            if after_first.len() == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(after_first, [second, third]);
    }

    async fn followers_catch_up_from_their_position_then_hear_each_new_version_once(db) {
        let store = &db.store;
        let hub = LiveHub::start(store.clone()).await.unwrap();
        let first = store.create_task(fields("Followed"), by("ada")).await.unwrap();
        let second = store.update_task(first.entity_id, 1, fields("Followed closely"), by("ada")).await.unwrap();

        // One follower saw nothing yet, one reconnects having seen the first version.
        let mut from_start = hub.follow(Some(0));
        let mut reconnected = hub.follow(Some(first.position));
        assert_eq!(next_event(&mut from_start).await, LiveEvent::Change(Change::from(&first)));
        assert_eq!(next_event(&mut from_start).await, LiveEvent::Change(Change::from(&second)));
        assert_eq!(next_event(&mut reconnected).await, LiveEvent::Change(Change::from(&second)));

        let third = store.delete_task(first.entity_id, by("grace")).await.unwrap();
        assert_eq!(next_event(&mut from_start).await, LiveEvent::Change(Change::from(&third)));
        assert_eq!(next_event(&mut reconnected).await, LiveEvent::Change(Change::from(&third)));
        let fourth = store.restore_task(first.entity_id, by("grace")).await.unwrap();
        // The next thing each hears is the fourth version: the third came exactly once.
        assert_eq!(next_event(&mut from_start).await, LiveEvent::Change(Change::from(&fourth)));
        assert_eq!(next_event(&mut reconnected).await, LiveEvent::Change(Change::from(&fourth)));

        let mut newcomer = hub.follow(None);
        assert_eq!(next_event(&mut newcomer).await, LiveEvent::Hello { position: fourth.position });
        hub.close();
        assert_eq!(from_start.recv().await, None, "closing the hub ends every stream");
    }
    async fn insert_update_delete_restore_gives_versions_1_to_4_with_their_ops(db) {
        let store = &db.store;
        let created = store.create_task(fields("Write slides"), by("ada")).await.unwrap();
        let updated = store
            .update_task(created.entity_id, 1, fields("Write the slides"), by_with_note("ada", "typo"))
            .await
            .unwrap();
        let deleted = store.delete_task(created.entity_id, by("grace")).await.unwrap();
        let restored = store.restore_task(created.entity_id, by("linus")).await.unwrap();

        let history = store.task_history(created.entity_id).await.unwrap();
        let summary: Vec<_> = history.iter().map(|v| (v.version, v.op, v.deleted_at.is_some())).collect();
        assert_eq!(
            summary,
            [(1, Op::Created, false), (2, Op::Updated, false), (3, Op::Deleted, true), (4, Op::Restored, false)]
        );
        assert_eq!(history, [created.clone(), updated.clone(), deleted.clone(), restored.clone()]);
        assert_eq!(deleted.fields, updated.fields, "a tombstone keeps the last live content");
        assert_eq!(deleted.deleted_at, Some(deleted.recorded_at));
        assert_eq!(restored.fields.title.as_str(), "Write the slides");
        assert_eq!(updated.note.as_ref().map(|n| n.as_str()), Some("typo"));
        assert_eq!(restored.actor.as_str(), "linus");
        assert!(history.windows(2).all(|pair| pair[0].recorded_at <= pair[1].recorded_at));
        assert!(history.windows(2).all(|pair| pair[1].prev_hash.as_deref() == Some(pair[0].hash.as_str())));
        assert!(history.iter().all(|v| v.entity_id == created.entity_id));
        assert_eq!(history.iter().map(|v| v.id).collect::<BTreeSet<_>>().len(), 4, "every version is its own row");
    }

    async fn the_actor_defaults_to_anonymous(db) {
        let created = db.store.create_task(fields("Nobody in particular"), by("  ")).await.unwrap();
        assert_eq!(created.actor.as_str(), "anonymous");
    }

    async fn a_stale_update_is_a_conflict_naming_the_current_version_and_writes_nothing(db) {
        let store = &db.store;
        let task = store.create_task(fields("Plan"), by("ada")).await.unwrap();
        store.update_task(task.entity_id, 1, fields("Plan the week"), by("ada")).await.unwrap();
        let rows_before = db.version_rows().await;

        let stale = store.update_task(task.entity_id, 1, fields("Plan the month"), by("grace")).await;

        assert!(matches!(stale, Err(StoreError::Conflict { current_version: 2 })), "{stale:?}");
        assert_eq!(db.version_rows().await, rows_before);
        let TaskLookup::Live(current) = store.get_task(task.entity_id).await.unwrap() else {
            panic!("the task should still be live");
        };
        assert_eq!(current.fields.title.as_str(), "Plan the week");
    }

    async fn raw_update_delete_and_truncate_of_the_version_table_are_refused(db) {
        let task = db.store.create_task(fields("Immutable"), by("ada")).await.unwrap();
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
            db.raw("GRANT UPDATE, DELETE, TRUNCATE ON task_versions TO CURRENT_USER").await.unwrap();
            for sql in &attempts {
                let error = db.raw(sql).await.expect_err(sql).to_string();
                assert!(error.contains("task_versions is append-only"), "{sql}: {error}");
            }
        }
        assert_eq!(db.store.task_history(id).await.unwrap(), [task]);
    }

    async fn the_database_reports_its_guards_and_refuses_every_attempt_to_rewrite_history(db) {
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

        let task = db.store.create_task(fields("Guarded"), by("ada")).await.unwrap();
        db.store.delete_task(task.entity_id, by("ada")).await.unwrap();
        let facts = db.store.database_facts().await.unwrap();
        assert_eq!((facts.version_rows, facts.current_rows, facts.live_tasks), (2, 1, 0));
        let triggers: Vec<&str> = facts.triggers.iter().map(|rule| rule.name.as_str()).collect();
        assert!(triggers.contains(&"task_versions_no_update"), "{triggers:?}");
        assert!(triggers.contains(&"task_versions_no_delete"), "{triggers:?}");
        let constraints: Vec<&str> = facts.constraints.iter().map(|rule| rule.definition.as_str()).collect();
        assert!(constraints.iter().any(|c| c.contains("UNIQUE (entity_id, version)")), "{constraints:?}");
        match db.backend {
            Backend::Postgres => {
                assert!(triggers.contains(&"task_versions_no_truncate"), "{triggers:?}");
                let guard = facts.triggers.iter().find(|rule| rule.name == "task_versions_no_update").unwrap();
                assert!(guard.function_body.as_deref().unwrap_or_default().contains("append-only"), "{guard:?}");
                // Revoked by migration 0001; a superuser holds every privilege regardless.
                assert_eq!(facts.privileges.len(), 3);
                assert!(facts.privileges.iter().all(|p| p.held == facts.superuser), "{facts:?}");
            }
            Backend::Sqlite => {
                let guard = facts.triggers.iter().find(|rule| rule.name == "task_versions_no_update").unwrap();
                assert!(guard.definition.contains("append-only"), "{guard:?}");
                assert!(facts.privileges.is_empty());
            }
        }

        for tamper in Tamper::ALL {
            let outcome = db.store.attempt_tamper(tamper).await.unwrap();
            let refusal = outcome.refusal.unwrap_or_else(|| panic!("{} went through", outcome.statement));
            assert!(refusal.contains("append-only") || refusal.contains("permission denied"), "{refusal}");
            assert_eq!((outcome.rows_before, outcome.rows_after), (2, 2), "{}", outcome.statement);
        }

        // Without its guards the database lets a rewrite through, and the attempt still changes
        // nothing: it is rolled back.
        match db.backend {
            Backend::Postgres => db.raw("GRANT UPDATE ON task_versions TO CURRENT_USER; ALTER TABLE task_versions DISABLE TRIGGER USER").await.unwrap(),
            Backend::Sqlite => db.raw("DROP TRIGGER task_versions_no_update").await.unwrap(),
        };
        let unguarded = db.store.attempt_tamper(Tamper::Update).await.unwrap();
        assert_eq!(unguarded.refusal, None, "{unguarded:?}");
        let history = db.store.task_history(task.entity_id).await.unwrap();
        assert!(history.iter().all(|version| version.fields.title.as_str() == "Guarded"), "{history:?}");
        assert!(db.store.verify_task(task.entity_id).await.unwrap().is_intact());
    }

    async fn the_database_refuses_a_duplicate_or_skipped_version_number(db) {
        let task = db.store.create_task(fields("Numbered"), by("ada")).await.unwrap();
        let insert = |version: i64| {
            format!(
                "INSERT INTO task_versions (id, entity_id, version, title, status, op, actor, prev_hash, hash) \
                 VALUES ('{}', '{}', {version}, 'Sneaky', 'todo', 'updated', 'mallory', 'x', 'y')",
                uuid::Uuid::now_v7(),
                task.entity_id
            )
        };
        assert!(db.raw(&insert(1)).await.is_err(), "version 1 exists already");
        assert!(db.raw(&insert(3)).await.is_err(), "version 2 would be skipped");
        assert_eq!(db.version_rows().await, 1);
    }

    async fn check_constraints_reject_rows_that_break_a_field_rule(db) {
        let task = db.store.create_task(fields("Checked"), by("ada")).await.unwrap();
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
            ];
            match row.iter_mut().find(|(name, _)| *name == column) {
                Some(entry) => entry.1 = bad.to_owned(),
                None => row.push((column, bad.to_owned())),
            }
            let (columns, values): (Vec<&str>, Vec<String>) = row.into_iter().unzip();
            format!("INSERT INTO task_versions ({}) VALUES ({})", columns.join(", "), values.join(", "))
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
        assert!(db.raw(&insert_with("note", "'A valid note'")).await.is_ok(), "the template row itself is valid");
        assert_eq!(db.version_rows().await, 2);
    }

    async fn sixteen_writers_racing_from_one_version_produce_one_winner_and_fifteen_conflicts(db) {
        let store = Arc::new(db.store.clone());
        let task = store.create_task(fields("Contended"), by("ada")).await.unwrap();
        let writers = (0..16).map(|writer| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .update_task(task.entity_id, 1, fields(&format!("Writer {writer}")), by(&format!("w{writer}")))
                    .await
            })
        });
        let outcomes: Vec<_> = futures::future::join_all(writers).await.into_iter().map(Result::unwrap).collect();

        let winners = outcomes.iter().filter(|o| o.is_ok()).count();
        let conflicts = outcomes
            .iter()
            .filter(|o| matches!(o, Err(StoreError::Conflict { current_version: 2 })))
            .count();
        assert_eq!((winners, conflicts), (1, 15), "{outcomes:?}");
        let versions: Vec<_> = store.task_history(task.entity_id).await.unwrap().iter().map(|v| v.version).collect();
        assert_eq!(versions, [1, 2]);
    }

    async fn sixteen_writers_that_retry_on_conflict_produce_contiguous_versions(db) {
        let store = Arc::new(db.store.clone());
        let task = store.create_task(fields("Busy"), by("ada")).await.unwrap();
        let writers = (0..16).map(|writer| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let mut expected = 1;
                let mut conflicts = 0;
                loop {
                    let title = format!("Writer {writer} after {conflicts} conflicts");
                    match store.update_task(task.entity_id, expected, fields(&title), by("racer")).await {
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
        let results: Vec<_> = futures::future::join_all(writers).await.into_iter().map(Result::unwrap).collect();

        let mut written: Vec<i64> = results.iter().map(|(version, _)| *version).collect();
        written.sort_unstable();
        assert_eq!(written, (2..=17).collect::<Vec<_>>(), "each writer got its own version");
        let history = store.task_history(task.entity_id).await.unwrap();
        assert_eq!(history.iter().map(|v| v.version).collect::<Vec<_>>(), (1..=17).collect::<Vec<_>>());
        assert!(store.verify_task(task.entity_id).await.unwrap().is_intact());
    }

    async fn the_board_as_of_an_instant_shows_what_was_true_then(db) {
        let store = &db.store;
        let pause = || tokio::time::sleep(Duration::from_millis(15));
        let before_anything = chrono::Utc::now();
        pause().await;
        let a1 = store.create_task(fields("A first"), by("ada")).await.unwrap();
        pause().await;
        let b1 = store.create_task(fields("B"), by("ada")).await.unwrap();
        pause().await;
        let a2 = store.update_task(a1.entity_id, 1, fields("A second"), by("ada")).await.unwrap();
        pause().await;
        let b2 = store.delete_task(b1.entity_id, by("ada")).await.unwrap();
        pause().await;
        let b3 = store.restore_task(b1.entity_id, by("ada")).await.unwrap();

        let titles_at = |at| async move {
            let mut board: Vec<_> = store
                .board_as_of(at, None)
                .await
                .unwrap()
                .rows
                .into_iter()
                .map(|v| (v.fields.title.as_str().to_owned(), v.version, v.is_tombstone()))
                .collect();
            board.sort();
            board
        };
        let own = |t: &str, v, dead| (t.to_owned(), v, dead);
        assert_eq!(titles_at(before_anything).await, []);
        assert_eq!(titles_at(a1.recorded_at).await, [own("A first", 1, false)]);
        assert_eq!(titles_at(b1.recorded_at).await, [own("A first", 1, false), own("B", 1, false)]);
        assert_eq!(titles_at(a2.recorded_at).await, [own("A second", 2, false), own("B", 1, false)]);
        assert_eq!(titles_at(b2.recorded_at).await, [own("A second", 2, false), own("B", 2, true)]);
        assert_eq!(titles_at(b3.recorded_at).await, [own("A second", 2, false), own("B", 3, false)]);
        assert_eq!(titles_at(chrono::Utc::now()).await, titles_at(b3.recorded_at).await);
    }

    async fn a_tampered_row_fails_verification_at_its_version(db) {
        let store = &db.store;
        let task = store.create_task(fields("Pay invoice"), by("ada")).await.unwrap();
        store.update_task(task.entity_id, 1, fields("Pay invoice 42"), by("ada")).await.unwrap();
        store.update_task(task.entity_id, 2, fields("Pay invoice 42 today"), by("ada")).await.unwrap();
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
                db.raw(&format!("DROP TRIGGER task_versions_no_update; {tamper};")).await.unwrap();
            }
        }

        let report = store.verify_task(task.entity_id).await.unwrap();
        let broken = report.broken.expect("tampering must be detected");
        assert_eq!(broken.version, 2);
        assert!(broken.reason.contains("content"), "{}", broken.reason);
    }

    async fn every_validation_rule_rejects_bad_input_by_field_name(db) {
        let long = |n: usize| "x".repeat(n);
        let cases: [(TaskInput, &str); 8] = [
            (TaskInput { title: "   ".into(), ..Default::default() }, "title"),
            (TaskInput { title: long(201), ..Default::default() }, "title"),
            (TaskInput { title: "ok".into(), description: long(10_001), ..Default::default() }, "description"),
            (TaskInput { title: "ok".into(), status: "someday".into(), ..Default::default() }, "status"),
            (TaskInput { title: "ok".into(), priority: "6".into(), ..Default::default() }, "priority"),
            (TaskInput { title: "ok".into(), priority: "-1".into(), ..Default::default() }, "priority"),
            (TaskInput { title: "ok".into(), due_date: "2026-02-30".into(), ..Default::default() }, "due_date"),
            (TaskInput { title: "ok".into(), due_date: "tomorrow".into(), ..Default::default() }, "due_date"),
        ];
        for (input, field) in cases {
            let errors = app::task::TaskFields::parse(&input).expect_err(field);
            assert_eq!(errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), [field], "{input:?}");
            assert!(!errors[0].message.is_empty());
        }
        for (actor, note, field) in [(long(101), String::new(), "actor"), (String::new(), long(1001), "note")] {
            let errors = app::task::ChangeMeta::parse(&actor, &note).expect_err(field);
            assert_eq!(errors[0].field, field);
        }
        assert_eq!(db.version_rows().await, 0, "nothing reached the database");
    }

    async fn get_task_tells_live_deleted_and_unknown_apart(db) {
        let store = &db.store;
        let live = store.create_task(fields("Alive"), by("ada")).await.unwrap();
        let gone = store.create_task(fields("Gone"), by("ada")).await.unwrap();
        let tombstone = store.delete_task(gone.entity_id, by("ada")).await.unwrap();

        assert_eq!(store.get_task(live.entity_id).await.unwrap(), TaskLookup::Live(live));
        assert_eq!(store.get_task(gone.entity_id).await.unwrap(), TaskLookup::Deleted(tombstone));
        assert_eq!(store.get_task(unknown_id()).await.unwrap(), TaskLookup::NotFound);
    }

    async fn writes_to_deleted_live_or_unknown_tasks_are_refused_and_write_nothing(db) {
        let store = &db.store;
        let task = store.create_task(fields("Once"), by("ada")).await.unwrap();
        let rows = db.version_rows().await;
        assert!(matches!(store.restore_task(task.entity_id, by("ada")).await, Err(StoreError::NotDeleted)));
        assert!(matches!(
            store.update_task(task.entity_id, 1, fields("Once"), by("ada")).await,
            Err(StoreError::NoChanges)
        ));
        assert!(matches!(store.delete_task(unknown_id(), by("ada")).await, Err(StoreError::NotFound)));
        assert!(matches!(
            store.update_task(unknown_id(), 1, fields("Ghost"), by("ada")).await,
            Err(StoreError::NotFound)
        ));
        assert_eq!(db.version_rows().await, rows);

        store.delete_task(task.entity_id, by("ada")).await.unwrap();
        let rows = db.version_rows().await;
        assert!(matches!(store.delete_task(task.entity_id, by("ada")).await, Err(StoreError::Deleted { version: 2 })));
        assert!(matches!(
            store.update_task(task.entity_id, 2, fields("Again"), by("ada")).await,
            Err(StoreError::Deleted { version: 2 })
        ));
        assert!(matches!(store.revert_task(task.entity_id, 1, by("ada")).await, Err(StoreError::Deleted { .. })));
        assert_eq!(db.version_rows().await, rows);
    }

    async fn revert_appends_a_copy_of_an_older_version(db) {
        let store = &db.store;
        let v1 = store
            .create_task(
                fields_with(TaskInput { title: "Draft".into(), priority: "2".into(), ..Default::default() }),
                by("ada"),
            )
            .await
            .unwrap();
        store.update_task(v1.entity_id, 1, fields("Second draft"), by("ada")).await.unwrap();
        store.update_task(v1.entity_id, 2, fields("Final"), by("ada")).await.unwrap();

        let reverted = store.revert_task(v1.entity_id, 1, by_with_note("grace", "back to v1")).await.unwrap();

        assert_eq!((reverted.version, reverted.op), (4, Op::Reverted));
        assert_eq!(reverted.fields, v1.fields);
        let rows = db.version_rows().await;
        assert!(matches!(store.revert_task(v1.entity_id, 4, by("ada")).await, Err(StoreError::InvalidRevert(_))));
        assert!(matches!(store.revert_task(v1.entity_id, 1, by("ada")).await, Err(StoreError::NoChanges)));
        assert!(matches!(store.revert_task(v1.entity_id, 0, by("ada")).await, Err(StoreError::NoSuchVersion(0))));
        assert_eq!(db.version_rows().await, rows);
    }

    async fn the_current_list_filters_by_status_sorts_and_leaves_out_tombstones(db) {
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
        let low = store.create_task(task("Low", "todo", "1", "2026-12-01"), by("ada")).await.unwrap();
        let high = store.create_task(task("High", "in_progress", "5", ""), by("ada")).await.unwrap();
        let soon = store.create_task(task("Soon", "todo", "3", "2026-11-25"), by("ada")).await.unwrap();
        let gone = store.create_task(task("Gone", "todo", "4", ""), by("ada")).await.unwrap();
        store.delete_task(gone.entity_id, by("ada")).await.unwrap();

        fn titles<C>(page: app::paging::Page<app::task::TaskVersion, C>) -> Vec<String> {
            page.rows.into_iter().map(|t| t.fields.title.as_str().to_owned()).collect()
        }
        let list = |status, sort| async move {
            store.list_tasks(&TaskFilter { status, sort, ..TaskFilter::default() }).await
        };
        assert_eq!(titles(list(None, TaskSort::RecentlyChanged).await.unwrap()), ["Soon", "High", "Low"]);
        assert_eq!(titles(list(None, TaskSort::Priority).await.unwrap()), ["High", "Soon", "Low"]);
        assert_eq!(titles(list(None, TaskSort::DueDate).await.unwrap()), ["Soon", "Low", "High"]);
        assert_eq!(titles(list(Some(Status::Todo), TaskSort::Priority).await.unwrap()), ["Soon", "Low"]);
        assert_eq!(titles(store.list_deleted(None).await.unwrap()), ["Gone"]);

        store.update_task(low.entity_id, 1, task("Low", "done", "1", ""), by("ada")).await.unwrap();
        assert_eq!(titles(list(Some(Status::Done), TaskSort::default()).await.unwrap()), ["Low"]);
        assert_eq!(titles(list(None, TaskSort::RecentlyChanged).await.unwrap()), ["Low", "Soon", "High"]);
        let _ = (high, soon);
    }

    async fn the_change_feed_pages_newest_first_and_catches_up_after_a_position(db) {
        let store = &db.store;
        let task = store.create_task(fields("Fed"), by("ada")).await.unwrap();
        for version in 1..5 {
            store.update_task(task.entity_id, version, fields(&format!("Fed {version}")), by("ada")).await.unwrap();
        }
        let other = store.create_task(fields("Other"), by("grace")).await.unwrap();

        let first = store.change_feed(FeedQuery { limit: 4, ..FeedQuery::default() }).await.unwrap();
        assert_eq!(first.entries.len(), 4);
        assert_eq!(first.entries[0].version, other);
        let second = store
            .change_feed(FeedQuery { before: first.next_before, limit: 4, ..FeedQuery::default() })
            .await
            .unwrap();
        assert_eq!(second.entries.len(), 2);
        assert_eq!(second.next_before, None);
        let positions: Vec<i64> = first.entries.iter().chain(&second.entries).map(|e| e.version.position).collect();
        assert!(positions.windows(2).all(|pair| pair[0] > pair[1]), "{positions:?}");
        assert_eq!(second.entries.last().unwrap().version, task);

        let since = store
            .change_feed(FeedQuery { after: Some(first.entries[1].version.position), limit: 50, ..FeedQuery::default() })
            .await
            .unwrap();
        assert_eq!(since.entries.iter().map(|e| &e.version).collect::<Vec<_>>(), [&other]);
    }

    async fn the_demo_seed_tells_a_story_once(db) {
        let store = &db.store;
        assert!(store.seed_demo_if_empty().await.unwrap());
        assert!(!store.seed_demo_if_empty().await.unwrap(), "a second start adds nothing");

        let live = store.list_tasks(&TaskFilter::default()).await.unwrap().rows;
        let deleted = store.list_deleted(None).await.unwrap().rows;
        assert!(live.len() >= 3, "{live:?}");
        assert_eq!(deleted.len(), 1);
        assert!(live.iter().any(|t| t.op == Op::Restored));
        assert!(live.iter().any(|t| t.version >= 3));
        let oldest = store.change_feed(FeedQuery { limit: 200, ..FeedQuery::default() }).await.unwrap();
        let first = &oldest.entries.last().unwrap().version;
        assert!(chrono::Utc::now() - first.recorded_at > chrono::Duration::days(3), "the story spans days");
        for task in live.iter().chain(&deleted) {
            assert!(store.verify_task(task.entity_id).await.unwrap().is_intact());
        }
        // Writing after the backdated story is still in order.
        let latest = &live[0];
        store.update_task(latest.entity_id, latest.version, fields("Fresh edit"), by("ada")).await.unwrap();
    }

    async fn a_follower_receives_every_version_once_under_concurrent_writers(db) {
        const WRITERS: usize = 8;
        const EDITS: i64 = 24;
        let hub = LiveHub::start(db.store.clone()).await.unwrap();
        let mut events = hub.follow(None);
        assert!(matches!(next_event(&mut events).await, LiveEvent::Hello { .. }));
        let writers: Vec<_> = (0..WRITERS)
            .map(|writer| {
                let store = db.store.clone();
                tokio::spawn(async move {
                    let task = store.create_task(fields(&format!("Writer {writer}")), by("ada")).await.unwrap();
                    let mut positions = vec![task.position];
                    for version in 1..=EDITS {
                        let edit = fields(&format!("Writer {writer} edit {version}"));
                        positions.push(store.update_task(task.entity_id, version, edit, by("ada")).await.unwrap().position);
                    }
                    positions
                })
            })
            .collect();
        let mut written = BTreeSet::new();
        for writer in writers {
            written.extend(writer.await.unwrap());
        }
        let mut received = Vec::new();
        while received.len() < written.len() {
            match next_event(&mut events).await {
                LiveEvent::Change(change) => received.push(change.position),
                other => panic!("expected a change, got {other:?}"),
            }
        }
        let unique: BTreeSet<_> = received.iter().copied().collect();
        assert_eq!(unique.len(), received.len(), "a change was sent twice");
        assert_eq!(unique, written, "every committed version reaches the follower");
        hub.close();
    }

    async fn every_list_pages_by_key_without_skipping_or_repeating_under_concurrent_writes(db) {
        use app::paging::PAGE_SIZE;
        use app::task::TaskVersion;
        use std::collections::BTreeMap;

        let store = &db.store;
        let task = |n: usize| {
            fields_with(TaskInput {
                title: format!("Paged {n}"),
                status: ["todo", "in_progress", "done"][n % 3].into(),
                priority: (n % 6).to_string(),
                due_date: if n.is_multiple_of(4) { String::new() } else { format!("2026-12-{:02}", 1 + n % 28) },
                ..TaskInput::default()
            })
        };
        let mut originals = Vec::new();
        for n in 0..2 * PAGE_SIZE + 17 {
            originals.push(store.create_task(task(n), by("ada")).await.unwrap().entity_id);
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
        let live: Vec<_> = originals.iter().copied().filter(|id| !deleted.contains(id)).collect();

        // A writer keeps adding tasks while the pages are read; new tasks may appear or not, but
        // every task that existed before and did not change is on exactly one page.
        let writer = {
            let store = store.clone();
            tokio::spawn(async move {
                for n in 0..60 {
                    store.create_task(fields(&format!("Meanwhile {n}")), by("linus")).await.unwrap();
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
                let mut filter = TaskFilter { sort, status, ..TaskFilter::default() };
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
                    let expected = usize::from(status.is_none() || store_status(store, *id).await == Status::Todo);
                    assert_eq!(seen.get(id).copied().unwrap_or(0), expected, "{sort:?} {status:?} {id}");
                }
                assert!(seen.values().all(|&times| times == 1), "{sort:?} {status:?} repeated a row");
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

    async fn a_page_patched_from_live_changes_equals_the_page_read_again(db) {
        use app::paging::{patch_live_page, Patch, PAGE_SIZE};
        use proptest::strategy::{Strategy, ValueTree};
        use proptest::test_runner::TestRunner;

        let store = &db.store;
        let mut runner = TestRunner::deterministic();
        let varied = |n: usize, label: usize| {
            fields_with(TaskInput {
                title: format!("Patched {n}, change {label}"),
                status: Status::ALL[n % Status::ALL.len()].as_str().to_owned(),
                priority: (1 + n % 5).to_string(),
                due_date: if n.is_multiple_of(3) { String::new() } else { format!("2027-0{}-1{}", 1 + n % 9, n % 10) },
                ..TaskInput::default()
            })
        };
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
                let first = TaskFilter { sort, status, ..TaskFilter::default() };
                let page = store.list_tasks(&first).await.unwrap();
                let second = TaskFilter { after: page.next.clone(), ..first.clone() };
                let next_page = store.list_tasks(&second).await.unwrap();
                pages.push((first, page.rows, page.next.map(|key| key.to_string())));
                pages.push((second, next_page.rows, next_page.next.map(|key| key.to_string())));
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
                (0, _) => store.create_task(varied(pick, n + 1), by("ada")).await.unwrap(),
                (_, true) => store.restore_task(id, by("ada")).await.unwrap(),
                (1, false) => store.delete_task(id, by("ada")).await.unwrap(),
                _ => store.update_task(id, version, varied(pick, n + 1), by("ada")).await.unwrap(),
            };
            if kind == 0 {
                tasks.push((written.entity_id, 1, false));
            } else {
                tasks[slot] = (id, written.version, written.is_tombstone());
            }
            for (filter, rows, next) in &mut pages {
                let fresh = store.list_tasks(filter).await.unwrap();
                match patch_live_page(filter, rows, next, &written) {
                    Patch::Refetch => refetched += 1,
                    Patch::Applied | Patch::Unchanged => {
                        applied += 1;
                        let shown: Vec<_> = rows.iter().map(|row| (row.entity_id, row.version)).collect();
                        let read: Vec<_> = fresh.rows.iter().map(|row| (row.entity_id, row.version)).collect();
                        assert_eq!(shown, read, "change {n} ({kind}) on {filter:?}");
                        assert_eq!(*next, fresh.next.as_ref().map(|key| key.to_string()), "change {n} on {filter:?}");
                    }
                }
                *rows = fresh.rows;
                *next = fresh.next.map(|key| key.to_string());
            }
        }
        // Most changes must be patched in place; refetching is for the cases that cannot be.
        assert!(applied > refetched * 4, "{applied} patched, {refetched} refetched");
    }

    async fn the_past_board_read_page_by_page_equals_a_scan_of_the_whole_log(db) {
        use app::paging::PAGE_SIZE;
        use proptest::strategy::{Strategy, ValueTree};
        use proptest::test_runner::TestRunner;
        use std::collections::BTreeMap;

        let store = &db.store;
        let mut runner = TestRunner::deterministic();
        let choices = proptest::collection::vec((0usize..4, 0usize..1000), 260)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        let mut tasks: Vec<(app::task::EntityId, i64, bool)> = Vec::new();
        for (n, (kind, pick)) in choices.into_iter().enumerate() {
            if tasks.len() < PAGE_SIZE + 20 || kind == 0 {
                let created = store.create_task(fields(&format!("Board {n}")), by("ada")).await.unwrap();
                tasks.push((created.entity_id, 1, false));
                continue;
            }
            let slot = pick % tasks.len();
            let (id, version, dead) = tasks[slot];
            let written = match (kind, dead) {
                (_, true) => store.restore_task(id, by("ada")).await.unwrap(),
                (1, false) => store.delete_task(id, by("ada")).await.unwrap(),
                _ => store.update_task(id, version, fields(&format!("Board {n} edit")), by("ada")).await.unwrap(),
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
                let latest = expected.entry(version.entity_id).or_insert_with(|| version.clone());
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
            assert!(order.windows(2).all(|pair| pair[0] > pair[1]), "newest first, no repeats");
            let paged: BTreeMap<_, _> = paged.into_iter().map(|v| (v.entity_id, v)).collect();
            assert_eq!(paged, expected, "the board at {at}");
        }
    }

    async fn a_title_search_finds_any_part_of_a_title_ignoring_case(db) {
        let store = &db.store;
        for title in ["Quarterly REPORT", "report draft", "Gamma ray", "100% done_now", "Old report"] {
            let task = store.create_task(fields(title), by("ada")).await.unwrap();
            if title.starts_with("Old") {
                store.delete_task(task.entity_id, by("ada")).await.unwrap();
            }
        }
        let found = |q: &str| {
            let search = app::paging::TitleSearch::parse(q).unwrap();
            async move {
                let filter = TaskFilter { search, ..TaskFilter::default() };
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
        assert_eq!(found("0%").await, ["100% done_now"], "% is a character, not a wildcard");
        assert_eq!(found("e_n").await, ["100% done_now"], "_ is a character, not a wildcard");
        assert!(found("nothing like it").await.is_empty());
        let renamed = store.list_tasks(&TaskFilter::default()).await.unwrap().rows;
        let gamma = renamed.iter().find(|t| t.fields.title.as_str() == "Gamma ray").unwrap();
        store.update_task(gamma.entity_id, 1, fields("Delta wave"), by("ada")).await.unwrap();
        assert!(found("gamma").await.is_empty(), "the search follows the read model");
        assert_eq!(found("wave").await, ["Delta wave"]);
    }

    async fn a_generated_board_has_valid_chains_tombstones_and_restores(db) {
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
        let history = store.task_history(all.iter().find(|t| t.fields.title.as_str().ends_with("#5")).unwrap().entity_id).await.unwrap();
        assert_eq!(history.iter().map(|v| v.op).collect::<Vec<_>>()[3..5], [Op::Deleted, Op::Restored]);
        let span = history.last().unwrap().recorded_at - history[0].recorded_at;
        assert!(span > chrono::Duration::days(100), "spread over months: {span}");
    }
    async fn a_form_submitted_twice_appends_once_for_every_kind_of_write(db) {
        let store = &db.store;
        let keyed = |actor: &str| by(actor).with_idempotency_key(Some(IdempotencyKey::fresh()));
        let create = keyed("ada");
        let first = store.create_task(fields("Write once"), create.clone()).await.unwrap();
        let again = store.create_task(fields("Write once"), create).await.unwrap();
        assert_eq!(again, first, "the repeat is answered with the version the first one appended");
        let id = first.entity_id;

        let edit = keyed("grace");
        let edited = store.update_task(id, 1, fields("Written once"), edit.clone()).await.unwrap();
        assert_eq!(store.update_task(id, 1, fields("Written once"), edit).await.unwrap(), edited, "no conflict with itself");
        let delete = keyed("ada");
        let deleted = store.delete_task(id, delete.clone()).await.unwrap();
        assert_eq!(store.delete_task(id, delete).await.unwrap(), deleted, "not 'already deleted'");
        let restore = keyed("ada");
        let restored = store.restore_task(id, restore.clone()).await.unwrap();
        assert_eq!(store.restore_task(id, restore).await.unwrap(), restored, "not 'nothing to restore'");
        let revert = keyed("ada");
        let reverted = store.revert_task(id, 1, revert.clone()).await.unwrap();
        assert_eq!(store.revert_task(id, 1, revert).await.unwrap(), reverted, "not 'nothing changed'");

        assert_eq!(db.version_rows().await, 5, "five writes, each repeated once, appended five versions");
        let history = store.task_history(id).await.unwrap();
        assert_eq!(history.iter().map(|v| v.op).collect::<Vec<_>>(), [Op::Created, Op::Updated, Op::Deleted, Op::Restored, Op::Reverted]);
        let other = store.create_task(fields("Write once"), keyed("ada")).await.unwrap();
        assert_ne!(other.entity_id, id, "a new key is a new submission, even with the same content");
        let unkeyed = store.create_task(fields("No key"), by("ada")).await.unwrap();
        store.create_task(fields("No key"), by("ada")).await.unwrap();
        assert_eq!(unkeyed.version, 1);
        assert_eq!(db.version_rows().await, 8, "writes without a key are not deduplicated");
    }

    async fn concurrent_repeats_of_one_submission_append_once(db) {
        let store = Arc::new(db.store.clone());
        let create = by("ada").with_idempotency_key(Some(IdempotencyKey::fresh()));
        let answers = futures::future::join_all((0..8).map(|_| {
            let (store, create) = (Arc::clone(&store), create.clone());
            async move { store.create_task(fields("Clicked eight times"), create).await }
        }))
        .await;
        let created: Vec<_> = answers.into_iter().map(|answer| answer.expect("every repeat is answered")).collect();
        assert!(created.iter().all(|answer| *answer == created[0]), "all eight got the one version");
        assert_eq!(db.version_rows().await, 1);

        let entity = created[0].entity_id;
        let edit = by("grace").with_idempotency_key(Some(IdempotencyKey::fresh()));
        let answers = futures::future::join_all((0..8).map(|_| {
            let (store, edit) = (Arc::clone(&store), edit.clone());
            async move { store.update_task(entity, 1, fields("Saved eight times"), edit).await }
        }))
        .await;
        let versions: BTreeSet<_> = answers.into_iter().map(|answer| answer.expect("no repeat sees a conflict").version).collect();
        assert_eq!(versions, BTreeSet::from([2]));
        assert_eq!(db.version_rows().await, 2);
    }

    async fn a_key_is_refused_for_a_change_to_another_task(db) {
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
        assert!(matches!(store.get_task(b.entity_id).await.unwrap(), TaskLookup::Live(_)));
    }

    async fn the_read_model_replayed_from_the_log_equals_task_current_after_any_operations(db) {
        use proptest::strategy::{Strategy, ValueTree};
        use proptest::test_runner::TestRunner;

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
                    (0, _) | (_, None) => store.create_task(fields(&format!("Replay {round}.{pick}")), by("ada")).await.map(|task| tasks.push(task.entity_id)),
                    (1, Some(id)) => match store.get_task(id).await.unwrap() {
                        TaskLookup::Live(task) => store.update_task(id, task.version, fields(&format!("Edited {round}.{pick}")), by("grace")).await.map(drop),
                        _ => Ok(()),
                    },
                    (2, Some(id)) => store.delete_task(id, by("ada")).await.map(drop),
                    (_, Some(id)) => store.restore_task(id, by("ada")).await.map(drop),
                };
            }
            let report = store.replay(None).await.unwrap();
            assert!(report.matches(), "round {round}: {:?}", report.first_differences);
            assert_eq!(report.replayed.rows as usize, tasks.len());
            assert_eq!(report.up_to, report.head);
        }
        let statements: Vec<_> = store.replay(None).await.unwrap().statements.into_iter().map(|s| s.sql).collect();
        assert!(statements.iter().any(|sql| sql.starts_with("INSERT INTO replayed_current")), "{statements:?}");
        assert_eq!(statements.last().map(String::as_str), Some("ROLLBACK"));
    }

    async fn a_replay_to_an_earlier_position_holds_the_board_as_it_was_then(db) {
        let store = &db.store;
        let first = store.create_task(fields("First"), by("ada")).await.unwrap();
        let second = store.create_task(fields("Second"), by("ada")).await.unwrap();
        store.update_task(first.entity_id, 1, fields("First, edited"), by("ada")).await.unwrap();
        store.create_task(fields("Third"), by("ada")).await.unwrap();
        let then = store.replay(Some(second.position)).await.unwrap();
        assert_eq!(then.replayed.rows, 2, "two tasks existed at the second write");
        assert_eq!(then.current.rows, 3);
        assert_eq!(then.differing, 2, "the first task was edited since, the third created since");
        assert!(!then.matches());
        assert_eq!(db.version_rows().await, 4, "a replay writes nothing");
    }

    async fn a_replay_finds_a_read_model_row_that_no_longer_follows_the_log(db) {
        let store = &db.store;
        let kept = store.create_task(fields("Kept"), by("ada")).await.unwrap();
        let tampered = store.create_task(fields("Tampered"), by("ada")).await.unwrap();
        assert!(store.replay(None).await.unwrap().matches());
        // The read model is not guarded like the log (the trigger must write it), so someone
        // with the table's privileges can change it behind the log's back.
        let id = tampered.entity_id;
        db.raw(&format!("UPDATE task_current SET title = 'Quietly renamed' WHERE entity_id = '{id}'")).await.unwrap();
        let report = store.replay(None).await.unwrap();
        assert!(!report.matches());
        assert_eq!(report.differing, 1);
        assert_ne!(report.replayed.sha256, report.current.sha256);
        assert_eq!(report.first_differences[0].entity_id, tampered.entity_id.to_string());
        assert!(report.first_differences[0].current.as_deref().unwrap().contains("Quietly renamed"));
        assert_ne!(report.first_differences[0].entity_id, kept.entity_id.to_string());
    }

    async fn the_board_through_the_periods_view_equals_the_time_travel_page_at_random_instants(db) {
        use proptest::strategy::{Strategy, ValueTree};
        use proptest::test_runner::TestRunner;

        let store = &db.store;
        store.generate_board("24x6".parse().unwrap()).await.unwrap();
        let history: Vec<_> = store.change_feed(FeedQuery { limit: 200, ..FeedQuery::default() }).await.unwrap().entries;
        let (newest, oldest) = (history[0].version.recorded_at, history.last().unwrap().version.recorded_at);
        let span = (newest - oldest).num_microseconds().unwrap();
        let mut runner = TestRunner::deterministic();
        for _ in 0..24 {
            let offset = (-1_000_000i64..span + 1_000_000).new_tree(&mut runner).unwrap().current();
            let at = oldest + chrono::Duration::microseconds(offset);
            let report = store.temporal(at).await.unwrap();
            assert!(report.same_board(), "at {at}: {:?} vs {:?}", report.through_view.rows, report.through_index.rows);
            let page = store.board_as_of(at, None).await.unwrap();
            assert_eq!(report.through_index.rows.len(), page.rows.len() + usize::from(page.next.is_some()));
        }
    }

    async fn each_version_is_valid_until_the_next_one_was_recorded(db) {
        let store = &db.store;
        let task = store.create_task(fields("Periods"), by("ada")).await.unwrap();
        let edited = store.update_task(task.entity_id, 1, fields("Periods, edited"), by("ada")).await.unwrap();
        let deleted = store.delete_task(task.entity_id, by("ada")).await.unwrap();
        let report = store.temporal(deleted.recorded_at).await.unwrap();
        let periods = &report.periods;
        assert_eq!(periods.iter().map(|p| p.version).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(periods[0].valid_to, Some(edited.recorded_at));
        assert_eq!(periods[1].valid_to, Some(deleted.recorded_at));
        assert_eq!(periods[2].valid_to, None, "the newest version is valid until further notice");
        assert!(periods[2].deleted);
        assert!(report.view_definition.to_lowercase().contains("lead("), "{}", report.view_definition);
        let before_edit = store.temporal(task.recorded_at).await.unwrap();
        assert_eq!(before_edit.through_view.rows[0].version, 1);
    }

    async fn a_rule_on_the_read_model_refuses_the_append_and_the_log_stays_as_it_was(db) {
        let store = &db.store;
        let task = store.create_task(fields("Before the demonstration"), by("ada")).await.unwrap();
        let report = store.read_model_refusal().await.unwrap();
        let refusal = report.refusal.expect("the read model's rule refuses the append");
        assert!(refusal.contains("read_model_demo_rule"), "{refusal}");
        assert_eq!((report.head_before, report.head_after), (task.position, task.position));
        assert_eq!(db.version_rows().await, 1, "the refused append left nothing");
        assert!(report.statements.iter().any(|s| s.sql.starts_with("INSERT INTO task_versions") && s.binds[3] == report.title));
        let allowed = store.create_task(fields(&report.title), by("ada")).await;
        assert!(allowed.is_ok(), "the rule went with the rollback: {allowed:?}");
        assert!(store.replay(None).await.unwrap().matches());
    }

    async fn a_key_recorded_for_a_version_not_yet_readable_is_in_progress_and_writes_nothing(db) {
        // A key whose version cannot be read is what a repeat sees while the first submission
        // is still committing; here it is made to stay that way.
        let key = IdempotencyKey::fresh();
        let dangling = uuid::Uuid::now_v7();
        let pragma = if db.backend == Backend::Sqlite { "PRAGMA foreign_keys = OFF; " } else { "" };
        db.raw(&format!("{pragma}INSERT INTO idempotency_keys (key, version_id) VALUES ('{key}', '{dangling}')")).await.unwrap();
        let repeat = db.store.create_task(fields("Repeat"), by("ada").with_idempotency_key(Some(key))).await;
        assert!(matches!(repeat, Err(StoreError::SubmissionInProgress)), "{repeat:?}");
        assert_eq!(db.version_rows().await, 0, "nothing was appended");
    }

    async fn the_record_of_keys_is_append_only(db) {
        let key = by("ada").with_idempotency_key(Some(IdempotencyKey::fresh()));
        db.store.create_task(fields("Keyed"), key).await.unwrap();
        for sql in ["UPDATE idempotency_keys SET key = version_id", "DELETE FROM idempotency_keys"] {
            // On PostgreSQL the revoked privilege answers before the trigger is reached.
            let error = db.raw(sql).await.expect_err(sql).to_string();
            assert!(error.contains("append-only") || error.contains("permission denied"), "{sql}: {error}");
        }
    }

    async fn the_board_from_the_nearest_snapshot_equals_a_fold_of_the_log_at_random_changes(db) {
        use proptest::strategy::{Strategy, ValueTree};
        use proptest::test_runner::TestRunner;

        let store = &db.store;
        let mut runner = TestRunner::deterministic();
        let steps = proptest::collection::vec((0u8..4, 0usize..64), 8..24);
        let mut tasks = Vec::new();
        for round in 0..5 {
            for (kind, pick) in steps.new_tree(&mut runner).expect("a sequence").current() {
                let target = (!tasks.is_empty()).then(|| tasks[pick % tasks.len()]);
                let _ = match (kind, target) {
                    (0, _) | (_, None) => store.create_task(fields(&format!("Snapshot {round}.{pick}")), by("ada")).await.map(|task| tasks.push(task.entity_id)),
                    (1, Some(id)) => match store.get_task(id).await.unwrap() {
                        TaskLookup::Live(task) => store.update_task(id, task.version, fields(&format!("Edited {round}.{pick}")), by("grace")).await.map(drop),
                        _ => Ok(()),
                    },
                    (2, Some(id)) => store.delete_task(id, by("ada")).await.map(drop),
                    (_, Some(id)) => store.restore_task(id, by("ada")).await.map(drop),
                };
            }
            // Every other round ends in a snapshot, each built on the one before.
            if round % 2 == 0 {
                let taken = store.take_snapshot().await.unwrap().expect("a snapshot of the new changes");
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
            assert!(read.same_board(), "at change {at}: {:?} vs {:?}", read.from_snapshot.digest, read.from_log.digest);
            used_a_snapshot += usize::from(read.snapshot.is_some());
            assert!(read.snapshot.is_none_or(|snapshot| snapshot <= at));
            // The same board folded here, from each task's history.
            let mut board = std::collections::BTreeMap::new();
            for version in versions.iter().filter(|version| version.position <= at) {
                let newest = board.entry(version.entity_id.to_string()).or_insert(0);
                *newest = version.version.max(*newest);
            }
            assert_eq!(read.from_snapshot.digest.rows as usize, board.len(), "at change {at}");
            let first: Vec<_> = read.first_tasks.iter().map(|task| (task.entity_id.clone(), task.version)).collect();
            let expected: Vec<_> = board.into_iter().take(first.len()).collect();
            assert_eq!(first, expected, "at change {at}");
        }
        assert!(used_a_snapshot > 0, "some of the changes read lie after a snapshot");
    }

    async fn under_the_hood_shows_the_statements_a_write_ran_and_the_read_model_before_and_after(db) {
        let store = &db.store;
        let created = store.create_task(fields("Looked at"), by("ada")).await.unwrap();
        let report = store.under_the_hood(Some(created.position)).await.unwrap().expect("a change at that position");
        assert_eq!(report.appended, created);
        assert_eq!(report.read_model_before, None, "a create has no row before");
        let sql: Vec<_> = report.statements.clone().expect("this process ran it").into_iter().map(|s| s.sql).collect();
        assert!(sql[0].starts_with("BEGIN"), "{sql:?}");
        assert_eq!(sql.last().map(String::as_str), Some("COMMIT"));
        let insert = report.statements.unwrap().into_iter().find(|s| s.sql.starts_with("INSERT INTO task_versions")).expect("the append");
        assert_eq!((insert.binds[3].as_str(), insert.rows), ("Looked at", Some(1)));

        let edited = store.update_task(created.entity_id, 1, fields("Looked at again"), by("grace")).await.unwrap();
        let report = store.under_the_hood(None).await.unwrap().expect("the newest change");
        assert_eq!(report.appended.position, edited.position);
        assert_eq!(report.older, Some(created.position));
        assert_eq!(report.newer, None);
        let column = |row: &[(String, String)], name: &str| row.iter().find(|(column, _)| column == name).map(|(_, value)| value.clone());
        assert_eq!(column(&report.read_model_before.unwrap(), "title").as_deref(), Some("Looked at"));
        assert_eq!(column(&report.read_model_after, "title").as_deref(), Some("Looked at again"));
        let statements = report.statements.unwrap();
        assert!(statements.iter().any(|s| s.sql.contains("FROM task_current") && s.binds == [created.entity_id.to_string()]), "the latest version was read under the lock: {statements:?}");

        let deleted = store.delete_task(created.entity_id, by("ada")).await.unwrap();
        let report = store.under_the_hood(Some(deleted.position)).await.unwrap().unwrap();
        assert_eq!(column(&report.read_model_before.unwrap(), "deleted_at").as_deref(), Some("NULL"));
        assert_ne!(column(&report.read_model_after, "deleted_at").as_deref(), Some("NULL"));

        // Another process on the database sees the change, but not the statements it ran.
        let other = Store::connect(&db.url).await.unwrap();
        let seen = other.under_the_hood(Some(deleted.position)).await.unwrap().unwrap();
        assert_eq!((seen.appended.position, seen.statements), (deleted.position, None));
        assert!(store.under_the_hood(Some(deleted.position + 1_000)).await.unwrap().is_none());
    }

    async fn a_snapshot_is_due_every_n_changes_and_snapshots_are_append_only(db) {
        let store = db.store.clone().with_snapshot_every(3);
        for title in ["One", "Two"] {
            store.create_task(fields(title), by("ada")).await.unwrap();
        }
        assert!(store.snapshot_if_due().await.unwrap().is_none(), "two changes are not three");
        let third = store.create_task(fields("Three"), by("ada")).await.unwrap();
        let first = store.snapshot_if_due().await.unwrap().expect("three changes make one due");
        assert_eq!((first.snapshot.position, first.snapshot.base_position, first.snapshot.tasks), (third.position, None, 3));
        assert!(first.statements.iter().any(|s| s.sql.starts_with("INSERT INTO board_snapshot_tasks") && s.rows == Some(3)));
        assert!(store.snapshot_if_due().await.unwrap().is_none());
        assert!(store.take_snapshot().await.unwrap().is_none(), "the newest change has its snapshot");
        store.delete_task(third.entity_id, by("ada")).await.unwrap();
        let second = store.take_snapshot().await.unwrap().expect("a change since the last snapshot");
        assert_eq!(second.snapshot.base_position, Some(third.position), "built on the one before");
        let report = store.snapshots().await.unwrap();
        assert_eq!((report.every, report.count), (3, 2));
        assert_eq!(report.recent.iter().map(|snapshot| snapshot.tasks).collect::<Vec<_>>(), [3, 3]);
        assert_eq!(report.recent[0], second.snapshot);
        for sql in [
            "UPDATE board_snapshots SET taken_at = taken_at",
            "DELETE FROM board_snapshots",
            "UPDATE board_snapshot_tasks SET version = version + 1",
            "DELETE FROM board_snapshot_tasks",
        ] {
            let error = db.raw(sql).await.expect_err(sql).to_string();
            assert!(error.contains("append-only") || error.contains("permission denied"), "{sql}: {error}");
        }
    }

    async fn the_statistics_stored_at_a_refresh_equal_the_figures_computed_from_the_log_after_any_operations(db) {
        use proptest::strategy::{Strategy, ValueTree};
        use proptest::test_runner::TestRunner;

        let store = &db.store;
        // A generated board spreads its history over half a year, so the 30-day window cuts it.
        store.generate_board("24x6".parse().unwrap()).await.unwrap();
        let mut tasks: Vec<_> = all_versions(store).await.iter().map(|v| v.entity_id).collect::<BTreeSet<_>>().into_iter().collect();
        let mut runner = TestRunner::deterministic();
        let steps = proptest::collection::vec((0u8..5, 0usize..64, 0usize..4), 40..80);
        for (kind, pick, who) in steps.new_tree(&mut runner).expect("a sequence").current() {
            let actor = ["ada", "grace", "linus", "barbara"][who];
            let id = tasks[pick % tasks.len()];
            let status = Status::ALL[pick % Status::ALL.len()].as_str().to_owned();
            // Refusals (editing a deleted task, restoring a live one) are part of any sequence.
            let _ = match kind {
                0 => store.create_task(fields(&format!("Counted {pick}")), by(actor)).await.map(|task| tasks.push(task.entity_id)),
                1 | 2 => match store.get_task(id).await.unwrap() {
                    TaskLookup::Live(task) => {
                        let input = TaskInput { title: format!("Counted {pick}, {status}"), status, ..TaskInput::default() };
                        store.update_task(id, task.version, fields_with(input), by(actor)).await.map(drop)
                    }
                    _ => Ok(()),
                },
                3 => store.delete_task(id, by(actor)).await.map(drop),
                _ => store.restore_task(id, by(actor)).await.map(drop),
            };
        }
        let report = store.statistics(StatisticsRequest { refresh: true, compare: true, refresh_every: 100 }).await.unwrap();

        let log = all_versions(store).await;
        let expected = statistics_from_log(&log, report.since);
        assert_eq!(report.figures.by_status, expected.by_status);
        assert_eq!(report.figures.by_day, expected.by_day);
        let charted: u64 = report.figures.by_day.iter().map(|(_, count)| count).sum();
        assert!(charted > 0 && charted < log.len() as u64, "the last 30 days hold some of the half year: {charted} of {}", log.len());
        assert_eq!(report.figures.by_actor, expected.by_actor);
        let (stored, computed) = (report.figures.median_seconds_to_done.unwrap(), expected.median_seconds_to_done.unwrap());
        assert!((stored - computed).abs() < 0.01, "median {stored} s stored, {computed} s from the log");
        assert_eq!(report.from_log.as_ref().map(|run| &run.figures), Some(&report.figures), "the stored figures are the log's");
        let refresh = report.last_refresh.as_ref().unwrap();
        assert_eq!((refresh.head, refresh.trigger, report.refreshed_now), (report.head, RefreshTrigger::OnDemand, true));
        assert_eq!(report.changes_behind(), 0);
        let refreshing = match db.backend {
            Backend::Postgres => "REFRESH MATERIALIZED VIEW CONCURRENTLY task_statistics",
            Backend::Sqlite => "DELETE FROM task_statistics",
        };
        assert!(report.statements.iter().any(|s| s.sql == refreshing), "{:?}", report.statements);
    }

    async fn the_statistics_say_how_stale_they_are_and_refresh_themselves_every_k_changes(db) {
        let store = &db.store;
        let read = |refresh| store.statistics(StatisticsRequest { refresh, compare: false, refresh_every: 5 });
        let live = |report: &app::lessons::statistics::StatisticsReport| report.figures.by_status.iter().map(|(_, count)| count).sum::<u64>();
        let first = read(false).await.unwrap();
        assert!(first.refreshed_now, "figures never computed are computed on the first read");
        assert_eq!(first.last_refresh.as_ref().map(|r| (r.head, r.trigger)), Some((0, RefreshTrigger::Automatic)));

        let mut tasks = Vec::new();
        for n in 0..3 {
            tasks.push(store.create_task(fields(&format!("Stale {n}")), by("ada")).await.unwrap());
        }
        let refreshed = read(true).await.unwrap();
        let n = refreshed.head;
        assert_eq!(refreshed.last_refresh.as_ref().map(|r| (r.head, r.trigger)), Some((n, RefreshTrigger::OnDemand)));
        assert_eq!(live(&refreshed), 3);

        store.update_task(tasks[0].entity_id, 1, fields("Stale 0, edited"), by("grace")).await.unwrap();
        store.delete_task(tasks[1].entity_id, by("grace")).await.unwrap();
        let stale = read(false).await.unwrap();
        assert!(!stale.refreshed_now);
        assert_eq!(stale.last_refresh.as_ref().map(|r| r.head), Some(n), "refreshed at change N");
        assert_eq!((stale.head, stale.changes_behind()), (n + 2, 2), "now at change M > N");
        assert_eq!(live(&stale), 3, "the stored figures still count the deleted task");

        for n in 0..3 {
            store.create_task(fields(&format!("Later {n}")), by("linus")).await.unwrap();
        }
        let automatic = read(false).await.unwrap();
        assert!(automatic.refreshed_now, "five changes behind, with K = 5");
        let refresh = automatic.last_refresh.as_ref().unwrap();
        assert_eq!((refresh.head, refresh.trigger), (n + 5, RefreshTrigger::Automatic));
        assert_eq!((automatic.head, automatic.changes_behind()), (n + 5, 0));
        assert_eq!(live(&automatic), 5);
        assert_eq!(db.version_rows().await, 8, "refreshing wrote nothing to the log");

        for sql in ["UPDATE statistics_refreshes SET head = 0", "DELETE FROM statistics_refreshes"] {
            let error = db.raw(sql).await.expect_err(sql).to_string();
            assert!(error.contains("append-only") || error.contains("permission denied"), "{sql}: {error}");
        }
    }

}

/// PostgreSQL only, because it is the one backend that can announce an append to another
/// process: a second store on the same database (a second server, in effect) is woken by the
/// NOTIFY that the first store's process sends after its append commits. SQLite has no such channel; its
/// announcements stay inside the process that wrote (see migrations 0002 and 0005).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_announces_each_append_to_every_store_on_the_database() {
    let db = support::TestDb::new(Backend::Postgres).await;
    let other_server = Store::connect(&db.url)
        .await
        .expect("a second store on the database");
    let hub = LiveHub::start(other_server.clone()).await.unwrap();
    let mut events = hub.follow(None);
    assert_eq!(
        next_event(&mut events).await,
        LiveEvent::Hello { position: 0 }
    );

    let mut appends = other_server.appends().await.unwrap();
    let created = db
        .store
        .create_task(fields("Written elsewhere"), by("ada"))
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(20), appends.next())
        .await
        .expect("the NOTIFY sent at commit reaches the other store")
        .unwrap();
    assert_eq!(
        next_event(&mut events).await,
        LiveEvent::Change(Change::from(&created))
    );

    drop(appends);
    hub.close();
    other_server.close().await;
    db.cleanup().await;
}

/// The follower guarantee without a global lock (migration 0005): a version whose transaction
/// took a position and has not committed holds back every version after it in the followers'
/// order, so a later position that commits first is not published before it, and once it
/// commits both arrive, each once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_followers_wait_for_a_version_that_commits_late() {
    use sqlx::Connection;

    let db = support::TestDb::new(Backend::Postgres).await;
    let hub = LiveHub::start(db.store.clone()).await.unwrap();
    let mut events = hub.follow(None);
    assert_eq!(
        next_event(&mut events).await,
        LiveEvent::Hello { position: 0 }
    );

    let mut slow = sqlx::PgConnection::connect(&db.url).await.unwrap();
    sqlx::raw_sql("BEGIN").execute(&mut slow).await.unwrap();
    let slow_position: i64 = sqlx::query_scalar(
        "INSERT INTO task_versions (id, entity_id, version, title, status, op, hash) \
         VALUES (gen_random_uuid(), gen_random_uuid(), 1, 'Slow', 'todo', 'created', 'unsealed') \
         RETURNING position",
    )
    .fetch_one(&mut slow)
    .await
    .unwrap();
    let fast = db
        .store
        .create_task(fields("Fast"), by("ada"))
        .await
        .unwrap();
    assert!(fast.position > slow_position);
    let early = tokio::time::timeout(Duration::from_millis(1500), events.recv()).await;
    assert!(
        early.is_err(),
        "published before the earlier append committed: {early:?}"
    );

    sqlx::raw_sql("COMMIT").execute(&mut slow).await.unwrap();
    let positions =
        [next_event(&mut events).await, next_event(&mut events).await].map(|event| match event {
            LiveEvent::Change(change) => change.position,
            other => panic!("expected a change, got {other:?}"),
        });
    assert_eq!(positions, [slow_position, fast.position]);
    // A follower arriving later with the slow version's position is sent only what followed it.
    let mut late = hub.follow(Some(slow_position));
    assert_eq!(
        next_event(&mut late).await,
        LiveEvent::Change(Change::from(&fast))
    );
    drop(slow);
    hub.close();
    db.cleanup().await;
}
