//! Followers hear every committed version once, in order, from wherever they start.

use std::collections::BTreeSet;
use std::time::Duration;

use app::live::hub::{LiveEvent, LiveHub};
use app::live::Change;
use app::store::Store;
use rstest::rstest;
use test_support::{by, fields, Backend, TestDb};
use tokio::sync::mpsc::Receiver;

/// The next event a follower receives; a generous wait, since nothing here measures speed.
async fn next_event(events: &mut Receiver<LiveEvent>) -> LiveEvent {
    tokio::time::timeout(Duration::from_secs(20), events.recv())
        .await
        .expect("an event arrives")
        .expect("the stream stays open")
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn followers_catch_up_from_their_position_then_hear_each_new_version_once(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let store = &db.store;
    let hub = LiveHub::start(store.clone()).await.unwrap();
    let first = store
        .create_task(fields("Followed"), by("ada"))
        .await
        .unwrap();
    let second = store
        .update_task(first.entity_id, 1, fields("Followed closely"), by("ada"))
        .await
        .unwrap();

    // One follower saw nothing yet, one reconnects having seen the first version.
    let mut from_start = hub.follow(Some(0));
    let mut reconnected = hub.follow(Some(first.position));
    assert_eq!(
        next_event(&mut from_start).await,
        LiveEvent::Change(Change::from(&first).into())
    );
    assert_eq!(
        next_event(&mut from_start).await,
        LiveEvent::Change(Change::from(&second).into())
    );
    assert_eq!(
        next_event(&mut reconnected).await,
        LiveEvent::Change(Change::from(&second).into())
    );

    let third = store
        .delete_task(first.entity_id, by("grace"))
        .await
        .unwrap();
    assert_eq!(
        next_event(&mut from_start).await,
        LiveEvent::Change(Change::from(&third).into())
    );
    assert_eq!(
        next_event(&mut reconnected).await,
        LiveEvent::Change(Change::from(&third).into())
    );
    let fourth = store
        .restore_task(first.entity_id, by("grace"))
        .await
        .unwrap();
    // The next thing each hears is the fourth version: the third came exactly once.
    assert_eq!(
        next_event(&mut from_start).await,
        LiveEvent::Change(Change::from(&fourth).into())
    );
    assert_eq!(
        next_event(&mut reconnected).await,
        LiveEvent::Change(Change::from(&fourth).into())
    );

    let mut newcomer = hub.follow(None);
    assert_eq!(
        next_event(&mut newcomer).await,
        LiveEvent::Hello {
            position: fourth.position
        }
    );
    hub.close();
    assert_eq!(
        from_start.recv().await,
        None,
        "closing the hub ends every stream"
    );
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_follower_receives_every_version_once_under_concurrent_writers(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    const WRITERS: usize = 8;
    const EDITS: i64 = 24;
    let hub = LiveHub::start(db.store.clone()).await.unwrap();
    let mut events = hub.follow(None);
    assert!(matches!(
        next_event(&mut events).await,
        LiveEvent::Hello { .. }
    ));
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let store = db.store.clone();
            tokio::spawn(async move {
                let task = store
                    .create_task(fields(&format!("Writer {writer}")), by("ada"))
                    .await
                    .unwrap();
                let mut positions = vec![task.position];
                for version in 1..=EDITS {
                    let edit = fields(&format!("Writer {writer} edit {version}"));
                    positions.push(
                        store
                            .update_task(task.entity_id, version, edit, by("ada"))
                            .await
                            .unwrap()
                            .position,
                    );
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
    assert_eq!(
        unique, written,
        "every committed version reaches the follower"
    );
    hub.close();
}

/// PostgreSQL only, because it is the one backend that can announce an append to another
/// process: a second store on the same database (a second server, in effect) is woken by the
/// NOTIFY that the first store's process sends after its append commits. SQLite has no such
/// channel; its announcements stay inside the process that wrote (see migrations 0002 and 0005).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_announces_each_append_to_every_store_on_the_database() {
    let db = TestDb::new(Backend::Postgres).await;
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
        LiveEvent::Change(Change::from(&created).into())
    );

    drop(appends);
    hub.close();
    other_server.close().await;
}

/// The follower guarantee without a global lock (migration 0005): a version whose transaction
/// took a position and has not committed holds back every version after it in the followers'
/// order, so a later position that commits first is not published before it, and once it
/// commits both arrive, each once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_followers_wait_for_a_version_that_commits_late() {
    use sqlx::Connection;

    let db = TestDb::new(Backend::Postgres).await;
    let hub = LiveHub::start(db.store.clone()).await.unwrap();
    let mut events = hub.follow(None);
    assert_eq!(
        next_event(&mut events).await,
        LiveEvent::Hello { position: 0 }
    );

    let mut slow = sqlx::PgConnection::connect(&db.url).await.unwrap();
    sqlx::raw_sql("BEGIN").execute(&mut slow).await.unwrap();
    let slow_position: i64 = sqlx::query_scalar(
        "INSERT INTO task_versions (id, entity_id, version, title, status, op, hash, valid_from) \
         VALUES (gen_random_uuid(), gen_random_uuid(), 1, 'Slow', 'todo', 'created', 'unsealed', \
         clock_timestamp() - interval '1 second') \
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
        LiveEvent::Change(Change::from(&fast).into())
    );
    drop(slow);
    hub.close();
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_many_followers_one_further_behind_than_its_share_is_told_to_resync_and_follows_on(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let store = &db.store;
    let hub = LiveHub::start(store.clone()).await.unwrap();
    // 10,000 followers: each may be sent one change at once, and waits a second after sending.
    let mut followers: Vec<_> = (0..10_000).map(|_| hub.follow(None)).collect();
    for follower in &mut followers {
        assert!(matches!(
            next_event(follower).await,
            LiveEvent::Hello { .. }
        ));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;

    let first = store
        .create_task(fields("Watched"), by("ada"))
        .await
        .unwrap();
    for follower in &mut followers {
        assert_eq!(
            next_event(follower).await,
            LiveEvent::Change(Change::from(&first).into()),
            "a change after a quiet spell goes out at once"
        );
    }
    let mut newest = first.clone();
    for version in 2..=10 {
        newest = store
            .update_task(
                first.entity_id,
                version - 1,
                fields(&format!("Watched, take {version}")),
                by("ada"),
            )
            .await
            .unwrap();
    }
    // Nine changes in a fraction of a second, a share of one a second: each follower is sent
    // what it finds at its turn, one change, or one resync when there is more than one.
    for follower in &mut followers {
        let mut reached = first.position;
        let mut resyncs = 0;
        while reached < newest.position {
            match next_event(follower).await {
                LiveEvent::Change(change) => {
                    assert_eq!(
                        change.position,
                        reached + 1,
                        "changes come in order, none skipped"
                    );
                    reached = change.position;
                }
                LiveEvent::Resync { position } => {
                    assert!(
                        position > reached + 1,
                        "a resync skips more than one change"
                    );
                    resyncs += 1;
                    reached = position;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(reached, newest.position);
        assert!(resyncs > 0, "nine changes are more than one at a time");
    }
    let after = store
        .update_task(first.entity_id, 10, fields("Watched again"), by("ada"))
        .await
        .unwrap();
    for follower in &mut followers {
        assert_eq!(
            next_event(follower).await,
            LiveEvent::Change(Change::from(&after).into()),
            "after the resync it follows on"
        );
    }
}
