//! The demo story a fresh database starts with, so history and time travel have something to show
//! the moment the app opens. It is written through the store's own write path, with the one
//! privilege nothing else has: its versions are backdated over the past week.

use chrono::{Duration, NaiveDate, Utc};

use super::{Store, StoreError};
use crate::task::{
    Actor, ChangeMeta, Description, FeedQuery, Note, Priority, Status, TaskFields, TaskTitle,
};

fn fields(
    title: &str,
    description: &str,
    status: Status,
    priority: i64,
    due_date: Option<NaiveDate>,
) -> TaskFields {
    TaskFields {
        title: TaskTitle::parse(title).expect("seed titles are valid"),
        description: Description::parse(description).expect("seed descriptions are valid"),
        status,
        priority: Priority::try_from(priority).expect("seed priorities are valid"),
        due_date,
    }
}

fn by(actor: &str, note: &str) -> ChangeMeta {
    ChangeMeta {
        actor: Actor::parse(actor).expect("seed actors are valid"),
        note: Note::parse(note).expect("seed notes are valid"),
        idempotency_key: None,
        valid_from: None,
    }
}

pub(super) async fn seed_if_empty(store: &Store) -> Result<bool, StoreError> {
    let any = store
        .change_feed(FeedQuery {
            limit: 1,
            ..FeedQuery::default()
        })
        .await?;
    if !any.entries.is_empty() {
        return Ok(false);
    }
    let now = Utc::now();
    let ago = |hours: i64| Some(now - Duration::hours(hours));
    let today = now.date_naive();

    let schema = store
        .create_task_at(
            fields(
                "Sketch the task version table",
                "One row per version: entity_id, version, op, recorded_at.",
                Status::Todo,
                3,
                None,
            ),
            by("ada", "Kick-off"),
            ago(24 * 6),
        )
        .await?;
    let schema = store
        .update_task_at(
            schema.entity_id,
            schema.version,
            fields(
                "Sketch the task version table",
                "One row per version: entity_id, version, op, recorded_at, and a hash chain.",
                Status::InProgress,
                4,
                Some(today - Duration::days(3)),
            ),
            by("ada", "Add the hash chain"),
            ago(24 * 5 + 6),
        )
        .await?;
    store
        .update_task_at(
            schema.entity_id,
            schema.version,
            fields(
                "Sketch the task version table",
                "One row per version: entity_id, version, op, recorded_at, and a hash chain.",
                Status::Done,
                4,
                Some(today - Duration::days(3)),
            ),
            by("grace", "Reviewed and merged"),
            ago(24 * 4),
        )
        .await?;

    let trigger = store
        .create_task_at(
            fields(
                "Write the append-only trigger",
                "Reject UPDATE and DELETE on task_versions.",
                Status::Todo,
                5,
                Some(today + Duration::days(2)),
            ),
            by("grace", ""),
            ago(24 * 5),
        )
        .await?;
    store
        .update_task_at(
            trigger.entity_id,
            trigger.version,
            fields(
                "Write the append-only trigger",
                "Reject UPDATE, DELETE and TRUNCATE on task_versions, and revoke the privileges too.",
                Status::InProgress,
                5,
                Some(today + Duration::days(2)),
            ),
            by("grace", "TRUNCATE skips row triggers"),
            ago(24 * 3),
        )
        .await?;

    let pizza = store
        .create_task_at(
            fields("Order pizza for the workshop", "", Status::Todo, 1, None),
            by("linus", ""),
            ago(24 * 4 + 2),
        )
        .await?;
    store
        .delete_task_at(
            pizza.entity_id,
            by("linus", "Catering is already booked"),
            ago(24 * 3 + 4),
        )
        .await?;

    let demo = store
        .create_task_at(
            fields(
                "Prepare the time-travel demo",
                "Show the board as it was last Tuesday.",
                Status::Todo,
                2,
                Some(today + Duration::days(5)),
            ),
            by("ada", ""),
            ago(24 * 3),
        )
        .await?;
    store
        .delete_task_at(
            demo.entity_id,
            by("linus", "Looks like a duplicate"),
            ago(24 * 2),
        )
        .await?;
    store
        .restore_task_at(
            demo.entity_id,
            by("ada", "Not a duplicate: restoring"),
            ago(24 + 3),
        )
        .await?;

    store
        .create_task_at(
            fields(
                "Review the optimistic concurrency pull request",
                "Two editors, one version number: the second save must get a conflict.",
                Status::Todo,
                3,
                Some(today + Duration::days(1)),
            ),
            by("margaret", ""),
            ago(20),
        )
        .await?;
    Ok(true)
}
