//! Reading the past: the change feed, the timeline and the board as of an instant.

use std::time::Duration;

use app::task::{Actor, FeedPage, FeedQuery, Op};
use rstest::rstest;
use test_support::{by, fields, Backend, TestDb};

fn ops(page: &FeedPage) -> Vec<(i64, Op)> {
    page.entries
        .iter()
        .map(|entry| (entry.version.version, entry.version.op))
        .collect()
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_change_feed_filters_by_operation_actor_and_time_and_shows_what_each_version_replaced(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let store = &db.store;
    let task = store
        .create_task(fields("Feed me"), by("ada"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let updated = store
        .update_task(task.entity_id, 1, fields("Fed"), by("grace"))
        .await
        .unwrap();
    store.delete_task(task.entity_id, by("ada")).await.unwrap();
    let feed = |query: FeedQuery| async move {
        store
            .change_feed(FeedQuery { limit: 10, ..query })
            .await
            .unwrap()
    };

    let everything = feed(FeedQuery::default()).await;
    assert_eq!(
        ops(&everything),
        [(3, Op::Deleted), (2, Op::Updated), (1, Op::Created)]
    );
    assert_eq!(
        everything.entries[1]
            .previous
            .as_ref()
            .map(|f| f.title.as_str()),
        Some("Feed me")
    );
    assert_eq!(
        everything.entries[2].previous, None,
        "a creation replaced nothing"
    );

    let by_grace = feed(FeedQuery {
        actor: Some(Actor::parse("grace").unwrap()),
        ..FeedQuery::default()
    })
    .await;
    assert_eq!(ops(&by_grace), [(2, Op::Updated)]);
    let deletions = feed(FeedQuery {
        op: Some(Op::Deleted),
        ..FeedQuery::default()
    })
    .await;
    assert_eq!(ops(&deletions), [(3, Op::Deleted)]);
    let since_update = feed(FeedQuery {
        since: Some(updated.recorded_at),
        ..FeedQuery::default()
    })
    .await;
    assert_eq!(ops(&since_update), [(3, Op::Deleted), (2, Op::Updated)]);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_timeline_places_an_instant_among_the_positions(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = &db.store;
    let empty = store.timeline(chrono::Utc::now()).await.unwrap();
    assert_eq!(
        (empty.position, empty.next_position, empty.head),
        (0, None, 0)
    );
    assert_eq!(store.head_position().await.unwrap(), 0);

    let pause = || tokio::time::sleep(Duration::from_millis(5));
    let first = store.create_task(fields("One"), by("ada")).await.unwrap();
    pause().await;
    let second = store
        .update_task(first.entity_id, 1, fields("One, edited"), by("ada"))
        .await
        .unwrap();
    pause().await;
    let third = store.create_task(fields("Two"), by("ada")).await.unwrap();

    let middle = store.timeline(second.recorded_at).await.unwrap();
    assert_eq!(middle.position, second.position);
    assert_eq!(middle.next_position, Some(third.position));
    assert_eq!(middle.head, third.position);
    let before = store
        .timeline(first.recorded_at - chrono::Duration::microseconds(1))
        .await
        .unwrap();
    assert_eq!(
        (before.position, before.next_position),
        (0, Some(first.position))
    );
    assert_eq!(
        store.first_instant().await.unwrap(),
        Some(first.recorded_at)
    );
    assert_eq!(
        store.position_instant(first.position).await.unwrap(),
        Some(first.recorded_at)
    );
    assert_eq!(
        store.position_instant(third.position).await.unwrap(),
        Some(third.recorded_at)
    );
    assert_eq!(
        store.position_instant(third.position + 5).await.unwrap(),
        Some(third.recorded_at)
    );
    assert_eq!(store.position_instant(0).await.unwrap(), None);
    assert_eq!(store.head_position().await.unwrap(), third.position);
    // On PostgreSQL a follower reads only below the oldest transaction still open anywhere
    // in the cluster (migration 0005), and the other tests' databases share this cluster:
    // the two versions may wait for one of their transactions to end.
    let mut after_first = Vec::new();
    for _ in 0..100 {
        after_first = store
            .changes_after(first.position, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|f| f.version)
            .collect();
        if after_first.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(after_first, [second, third]);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_board_as_of_an_instant_shows_what_was_true_then(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = &db.store;
    let pause = || tokio::time::sleep(Duration::from_millis(15));
    let before_anything = chrono::Utc::now();
    pause().await;
    let a1 = store
        .create_task(fields("A first"), by("ada"))
        .await
        .unwrap();
    pause().await;
    let b1 = store.create_task(fields("B"), by("ada")).await.unwrap();
    pause().await;
    let a2 = store
        .update_task(a1.entity_id, 1, fields("A second"), by("ada"))
        .await
        .unwrap();
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
            .map(|v| {
                (
                    v.fields.title.as_str().to_owned(),
                    v.version,
                    v.is_tombstone(),
                )
            })
            .collect();
        board.sort();
        board
    };
    let own = |t: &str, v, dead| (t.to_owned(), v, dead);
    assert_eq!(titles_at(before_anything).await, []);
    assert_eq!(titles_at(a1.recorded_at).await, [own("A first", 1, false)]);
    assert_eq!(
        titles_at(b1.recorded_at).await,
        [own("A first", 1, false), own("B", 1, false)]
    );
    assert_eq!(
        titles_at(a2.recorded_at).await,
        [own("A second", 2, false), own("B", 1, false)]
    );
    assert_eq!(
        titles_at(b2.recorded_at).await,
        [own("A second", 2, false), own("B", 2, true)]
    );
    assert_eq!(
        titles_at(b3.recorded_at).await,
        [own("A second", 2, false), own("B", 3, false)]
    );
    assert_eq!(
        titles_at(chrono::Utc::now()).await,
        titles_at(b3.recorded_at).await
    );
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_change_feed_pages_newest_first_and_catches_up_after_a_position(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let store = &db.store;
    let task = store.create_task(fields("Fed"), by("ada")).await.unwrap();
    for version in 1..5 {
        store
            .update_task(
                task.entity_id,
                version,
                fields(&format!("Fed {version}")),
                by("ada"),
            )
            .await
            .unwrap();
    }
    let other = store
        .create_task(fields("Other"), by("grace"))
        .await
        .unwrap();

    let first = store
        .change_feed(FeedQuery {
            limit: 4,
            ..FeedQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(first.entries.len(), 4);
    assert_eq!(first.entries[0].version, other);
    let second = store
        .change_feed(FeedQuery {
            before: first.next_before,
            limit: 4,
            ..FeedQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(second.entries.len(), 2);
    assert_eq!(second.next_before, None);
    let positions: Vec<i64> = first
        .entries
        .iter()
        .chain(&second.entries)
        .map(|e| e.version.position)
        .collect();
    assert!(
        positions.windows(2).all(|pair| pair[0] > pair[1]),
        "{positions:?}"
    );
    assert_eq!(second.entries.last().unwrap().version, task);

    let since = store
        .change_feed(FeedQuery {
            after: Some(first.entries[1].version.position),
            limit: 50,
            ..FeedQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(
        since.entries.iter().map(|e| &e.version).collect::<Vec<_>>(),
        [&other]
    );
}
