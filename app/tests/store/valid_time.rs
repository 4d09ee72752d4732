//! The second time axis: every version states since when its content held in the world
//! (`valid_from`) beside when the database recorded it, and the database holds new rows to it.

use app::store::StoreError;
use app::task::{corrected_by, FieldError, TaskVersion};
use chrono::{DateTime, Duration, Utc};
use rstest::rstest;
use test_support::{by, fields, Backend, TestDb};

fn refused_field(error: StoreError) -> FieldError {
    match error {
        StoreError::Invalid(mut errors) if errors.len() == 1 => errors.remove(0),
        other => panic!("expected one field error, got {other:?}"),
    }
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_version_holds_from_its_recording_unless_it_states_an_earlier_time(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let store = &db.store;
    let now = Utc::now();
    let plain = store.create_task(fields("Now"), by("ada")).await.unwrap();
    assert_eq!(plain.valid_from, Some(plain.recorded_at));
    assert!(!plain.is_backdated());

    let three_days_ago = now - Duration::days(3);
    let created = store
        .create_task(
            fields("Found late"),
            by("ada").with_valid_from(Some(three_days_ago)),
        )
        .await
        .unwrap();
    assert_eq!(
        created.valid_since().timestamp_micros(),
        three_days_ago.timestamp_micros()
    );
    let mut started = fields("Found late");
    started.status = app::task::Status::InProgress;
    let one_day_ago = now - Duration::days(1);
    let late = store
        .update_task(
            created.entity_id,
            1,
            started,
            by("bo").with_valid_from(Some(one_day_ago)),
        )
        .await
        .unwrap();
    let mut done = fields("Found late");
    done.status = app::task::Status::Done;
    let correction = store
        .update_task(
            created.entity_id,
            2,
            done,
            by("cy").with_valid_from(Some(now - Duration::days(2))),
        )
        .await
        .unwrap();

    let unchanged = store
        .update_task(created.entity_id, 3, correction.fields.clone(), by("cy"))
        .await
        .unwrap_err();
    assert!(matches!(unchanged, StoreError::NoChanges), "{unchanged:?}");
    let earlier_still = store
        .update_task(
            created.entity_id,
            3,
            correction.fields.clone(),
            by("cy").with_valid_from(Some(now - Duration::hours(60))),
        )
        .await
        .unwrap();

    let history = store.task_history(created.entity_id).await.unwrap();
    assert_eq!(
        history,
        [
            created.clone(),
            late.clone(),
            correction.clone(),
            earlier_still.clone()
        ]
    );
    assert_eq!(
        corrected_by(&earlier_still, &history[..3]),
        [2, 3],
        "the same fields from an earlier time correct when they held"
    );
    assert!(history.iter().all(|version| version.is_backdated()));
    assert_eq!(corrected_by(&late, &history[..1]), Vec::<i64>::new());
    assert_eq!(corrected_by(&correction, &history[..2]), [2]);
    assert!(
        store
            .verify_task(created.entity_id)
            .await
            .unwrap()
            .is_intact(),
        "the hash chain covers the valid times"
    );
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_valid_time_in_the_future_or_before_the_task_existed_is_refused_and_writes_nothing(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let store = &db.store;
    let tomorrow = Utc::now() + Duration::days(1);
    let future = store
        .create_task(fields("Later"), by("ada").with_valid_from(Some(tomorrow)))
        .await
        .unwrap_err();
    let refused = refused_field(future);
    assert_eq!(refused.field, "valid_from");
    assert!(refused.message.contains("future"), "{refused}");
    assert_eq!(db.version_rows().await, 0);

    let task = store
        .create_task(
            fields("Since yesterday"),
            by("ada").with_valid_from(Some(Utc::now() - Duration::days(1))),
        )
        .await
        .unwrap();
    let before = store
        .update_task(
            task.entity_id,
            1,
            fields("Renamed"),
            by("bo").with_valid_from(Some(Utc::now() - Duration::days(2))),
        )
        .await
        .unwrap_err();
    let refused = refused_field(before);
    assert_eq!(refused.field, "valid_from");
    assert!(
        refused.message.contains("before the task existed"),
        "{refused}"
    );
    assert_eq!(store.task_history(task.entity_id).await.unwrap(), [task]);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_database_refuses_a_new_version_without_a_valid_time_or_with_one_after_its_recording(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let task = db
        .store
        .create_task(fields("Guarded time"), by("ada"))
        .await
        .unwrap();
    let insert = |valid_from: &str| {
        format!(
            "INSERT INTO task_versions (id, entity_id, version, title, status, priority, op, \
             recorded_at, actor, prev_hash, hash, valid_from) VALUES ('{}', '{}', 2, 'Sneaked', \
             'todo', 0, 'updated', '2099-01-01T00:00:00.000000Z', 'mallory', '{}', 'forged', {valid_from})",
            uuid::Uuid::now_v7(),
            task.entity_id,
            task.hash
        )
    };
    for valid_from in ["NULL", "'2100-01-01T00:00:00.000000Z'"] {
        let error = db.raw(&insert(valid_from)).await.unwrap_err().to_string();
        assert!(error.contains("valid_from_stated"), "{valid_from}: {error}");
    }
    assert_eq!(db.version_rows().await, 1);
}

/// The board at valid time `valid_at` as known at `known_at`, folded from whole histories: per
/// task, the newest version recorded by `known_at` that held from `valid_at` or earlier.
fn folded_board(
    histories: &[Vec<TaskVersion>],
    valid_at: DateTime<Utc>,
    known_at: DateTime<Utc>,
) -> Vec<TaskVersion> {
    let mut board: Vec<TaskVersion> = histories
        .iter()
        .filter_map(|history| {
            history
                .iter()
                .filter(|v| v.recorded_at <= known_at && v.valid_since() <= valid_at)
                .max_by_key(|v| v.version)
                .cloned()
        })
        .collect();
    let key = |v: &TaskVersion| {
        if valid_at >= known_at {
            (v.recorded_at, v.position)
        } else {
            (v.valid_since(), v.position)
        }
    };
    board.sort_by_key(|v| std::cmp::Reverse(key(v)));
    board
}

/// A small deterministic generator (a linear congruential one): the same cases every run.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_board_at_any_valid_and_known_time_equals_a_fold_of_the_log(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = &db.store;
    let mut dice = Dice(20);
    let start = Utc::now() - Duration::hours(10);
    let minutes = |dice: &mut Dice, from: DateTime<Utc>| {
        let span = (Utc::now() - from).num_minutes().max(1) as u64;
        from + Duration::minutes(dice.below(span) as i64)
    };
    let mut ids = Vec::new();
    for task in 0..60 {
        let valid_from = minutes(&mut dice, start);
        let created = store
            .create_task(
                fields(&format!("Task {task}")),
                by("ada").with_valid_from(Some(valid_from)),
            )
            .await
            .unwrap();
        ids.push(created.entity_id);
    }
    for round in 0..120 {
        let id = ids[dice.below(ids.len() as u64) as usize];
        let history = store.task_history(id).await.unwrap();
        let latest = history.last().unwrap();
        // Half the changes hold from now, the rest from a time since the task was created:
        // late news, or a correction of what later versions said.
        let valid_from = (dice.below(2) == 0).then(|| minutes(&mut dice, history[0].valid_since()));
        let meta = by("bo").with_valid_from(valid_from);
        match (latest.is_tombstone(), dice.below(6)) {
            (true, _) => drop(store.restore_task(id, meta).await.unwrap()),
            (false, 0) => drop(store.delete_task(id, by("bo")).await.unwrap()),
            (false, _) => {
                let mut changed = latest.fields.clone();
                changed.title =
                    app::task::TaskTitle::parse(&format!("Task, round {round}")).unwrap();
                store
                    .update_task(id, latest.version, changed, meta)
                    .await
                    .unwrap();
            }
        }
    }
    let mut histories = Vec::new();
    for id in &ids {
        histories.push(store.task_history(*id).await.unwrap());
    }
    let recorded: Vec<DateTime<Utc>> = histories.iter().flatten().map(|v| v.recorded_at).collect();
    for case in 0..40 {
        let known_at = match case {
            0 => Utc::now(),
            _ => recorded[dice.below(recorded.len() as u64) as usize],
        };
        let valid_at = minutes(&mut dice, start - Duration::minutes(30));
        let mut board = Vec::new();
        let mut after = None;
        loop {
            let page = store
                .board_bitemporal(valid_at, known_at, after)
                .await
                .unwrap();
            board.extend(page.rows);
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(
            board,
            folded_board(&histories, valid_at, known_at),
            "valid at {valid_at}, known at {known_at}"
        );
    }
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn what_the_log_said_then_is_each_tasks_newest_version_recorded_by_then(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let store = &db.store;
    let first = store.create_task(fields("First"), by("ada")).await.unwrap();
    let between = Utc::now();
    let second = store
        .create_task(fields("Second"), by("ada"))
        .await
        .unwrap();
    let renamed = store
        .update_task(first.entity_id, 1, fields("First, renamed"), by("bo"))
        .await
        .unwrap();
    let ids = [first.entity_id, second.entity_id];

    let then = store.known_then(&ids, between).await.unwrap();
    assert_eq!(then, [first]);
    let mut now = store.known_then(&ids, Utc::now()).await.unwrap();
    now.sort_by_key(|v| v.position);
    assert_eq!(now, [second, renamed]);
    assert_eq!(store.known_then(&[], Utc::now()).await.unwrap(), []);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_lesson_reads_the_latest_backdated_moment_both_ways_and_they_differ_where_news_came_late(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let store = &db.store;
    let quiet = store.two_times(None, Utc::now()).await.unwrap();
    assert!(quiet.backdated.is_empty());
    assert!(quiet.differences().is_empty());

    let on_time = store
        .create_task(fields("On time"), by("ada"))
        .await
        .unwrap();
    let late = store
        .create_task(
            fields("Late"),
            by("bo").with_valid_from(Some(Utc::now() - Duration::minutes(5))),
        )
        .await
        .unwrap();
    let report = store.two_times(None, Utc::now()).await.unwrap();

    assert_eq!(report.valid_at, late.valid_since());
    assert_eq!(report.backdated.len(), 1);
    assert_eq!(report.backdated[0].title, "Late");
    let differences: Vec<(&str, Option<i64>)> = report
        .differences()
        .into_iter()
        .map(|(later, then)| (later.title.as_str(), then.map(|then| then.version)))
        .collect();
    assert_eq!(
        differences,
        [("Late", None)],
        "the on-time task was not yet on either board"
    );
    assert!(report.said_then.rows.is_empty());
    assert!(report
        .known_later
        .rows
        .iter()
        .all(|row| row.entity_id != on_time.entity_id.to_string()));
}
