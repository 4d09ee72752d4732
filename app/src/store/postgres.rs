//! The PostgreSQL half of the store: its SQL and its row mapping. Native `uuid`, `timestamptz`
//! and `date` columns; the current row is locked with `SELECT ... FOR UPDATE` so writers to one
//! task queue up, and UNIQUE(entity_id, version) settles any writer that slips past the lock.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::{PgArguments, PgListener, PgPoolOptions, PgRow};
use sqlx::{PgConnection, PgExecutor, PgPool, Row};
use uuid::Uuid;

use super::pages::{Bind, Statement};
use super::{version_columns, FollowKey, Followed, StoreError, VERSION_COLUMN_COUNT};
use crate::database::{Privilege, Rule};
use crate::idempotency::IdempotencyKey;
use crate::task::{BoardTimeline, EntityId, FeedEntry, FeedQuery, TaskVersion};

/// The channel each server process announces its committed appends on (migration 0005).
pub(super) const APPENDED_CHANNEL: &str = "task_versions_appended";

const CURRENT_FROM: &str =
    "FROM task_current c JOIN task_versions v ON v.id = c.version_id WHERE c.entity_id = $1";

pub(super) async fn connect(url: &str) -> Result<PgPool, StoreError> {
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await?;
    sqlx::migrate!("../migrations/postgres").run(&pool).await?;
    Ok(pool)
}

fn read(row: PgRow) -> Result<TaskVersion, sqlx::Error> {
    read_from(&row, 0)
}

/// Reads the version whose columns start at `at` (a joined row can carry two).
fn read_from(row: &PgRow, at: usize) -> Result<TaskVersion, sqlx::Error> {
    super::row::RawVersion {
        position: row.try_get(at)?,
        id: row.try_get(at + 1)?,
        entity_id: row.try_get(at + 2)?,
        version: row.try_get(at + 3)?,
        title: row.try_get(at + 4)?,
        description: row.try_get(at + 5)?,
        status: row.try_get(at + 6)?,
        priority: i64::from(row.try_get::<i16, _>(at + 7)?),
        due_date: row.try_get::<Option<NaiveDate>, _>(at + 8)?,
        op: row.try_get(at + 9)?,
        recorded_at: row.try_get(at + 10)?,
        deleted_at: row.try_get(at + 11)?,
        actor: row.try_get(at + 12)?,
        note: row.try_get(at + 13)?,
        prev_hash: row.try_get(at + 14)?,
        hash: row.try_get(at + 15)?,
    }
    .into_version()
}

async fn fetch_all(
    db: impl PgExecutor<'_>,
    query: sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments>,
) -> Result<Vec<TaskVersion>, sqlx::Error> {
    query.fetch_all(db).await?.into_iter().map(read).collect()
}

/// The database's clock, read inside the writing transaction.
pub(super) const CLOCK: &str = "SELECT clock_timestamp()";

/// Locks the task's read-model row until commit (bound: the task).
pub(super) const LOCK_CURRENT: &str = "SELECT 1 FROM task_current WHERE entity_id = $1 FOR UPDATE";

pub(super) async fn clock(conn: &mut PgConnection) -> Result<DateTime<Utc>, sqlx::Error> {
    sqlx::query_scalar(CLOCK).fetch_one(conn).await
}

pub(super) async fn lock_latest(
    conn: &mut PgConnection,
    entity_id: EntityId,
) -> Result<Option<TaskVersion>, sqlx::Error> {
    // Lock first, read second. A writer queued on this lock wakes up after the winner commits;
    // under READ COMMITTED only a new statement sees the winner's version row, so the read
    // cannot be folded into the locking statement.
    sqlx::query(LOCK_CURRENT)
        .bind(entity_id.as_uuid())
        .execute(&mut *conn)
        .await?;
    latest(conn, entity_id).await
}

/// A task's latest version, through the read model (bound: the task).
pub(super) fn latest_sql() -> String {
    format!("SELECT {} {CURRENT_FROM}", version_columns!())
}

/// One version of a task (bound: the task, the version number).
pub(super) fn version_sql() -> String {
    format!(
        "SELECT {} FROM task_versions v WHERE v.entity_id = $1 AND v.version = $2",
        version_columns!()
    )
}

/// Records which version a submission's key produced (bound: the key, the version's id).
pub(super) const INSERT_KEY: &str =
    "INSERT INTO idempotency_keys (key, version_id) VALUES ($1, $2)";

pub(super) async fn latest(
    db: impl PgExecutor<'_>,
    entity_id: EntityId,
) -> Result<Option<TaskVersion>, sqlx::Error> {
    sqlx::query(&latest_sql())
        .bind(entity_id.as_uuid())
        .fetch_optional(db)
        .await?
        .map(read)
        .transpose()
}

pub(super) async fn version(
    db: impl PgExecutor<'_>,
    entity_id: EntityId,
    version: i64,
) -> Result<Option<TaskVersion>, sqlx::Error> {
    sqlx::query(&version_sql())
        .bind(entity_id.as_uuid())
        .bind(version)
        .fetch_optional(db)
        .await?
        .map(read)
        .transpose()
}

/// One version appended; its values are bound in the column order listed.
pub(super) const INSERT_VERSION: &str = "INSERT INTO task_versions \
     (id, entity_id, version, title, description, status, priority, due_date, op, \
      recorded_at, deleted_at, actor, note, prev_hash, hash) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
     RETURNING position";

pub(super) async fn insert(
    conn: &mut PgConnection,
    mut row: TaskVersion,
) -> Result<TaskVersion, StoreError> {
    let fields = &row.fields;
    let inserted = sqlx::query_scalar(INSERT_VERSION)
        .bind(row.id)
        .bind(row.entity_id.as_uuid())
        .bind(row.version)
        .bind(fields.title.as_str())
        .bind(fields.description.as_ref().map(|d| d.as_str()))
        .bind(fields.status.as_str())
        .bind(i16::from(fields.priority.value()))
        .bind(fields.due_date)
        .bind(row.op.as_str())
        .bind(row.recorded_at)
        .bind(row.deleted_at)
        .bind(row.actor.as_str())
        .bind(row.note.as_ref().map(|n| n.as_str()))
        .bind(row.prev_hash.as_deref())
        .bind(&row.hash)
        .fetch_one(conn)
        .await;
    row.position = inserted.map_err(|error| StoreError::from_insert(error, row.version))?;
    Ok(row)
}

/// Records that the submission `key` appended version `version_id`; in the append's transaction.
pub(super) async fn insert_idempotency_key(
    conn: &mut PgConnection,
    key: IdempotencyKey,
    version_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query(INSERT_KEY)
        .bind(key.as_uuid())
        .bind(version_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The version an earlier submission with `key` appended.
pub(super) async fn version_for_key(
    db: impl PgExecutor<'_>,
    key: IdempotencyKey,
) -> Result<Option<TaskVersion>, sqlx::Error> {
    let sql = format!(
        "SELECT {} FROM idempotency_keys k JOIN task_versions v ON v.id = k.version_id \
         WHERE k.key = $1",
        version_columns!()
    );
    sqlx::query(&sql)
        .bind(key.as_uuid())
        .fetch_optional(db)
        .await?
        .map(read)
        .transpose()
}

/// Appends many versions in one statement (the board generator's path). The triggers run for
/// every row as they do for a single append; a statement may hold each task at most once,
/// because a row's version check reads the read model as it stood before the statement.
pub(super) async fn insert_many(
    conn: &mut PgConnection,
    rows: &[TaskVersion],
) -> Result<(), StoreError> {
    let mut insert = sqlx::QueryBuilder::new(
        "INSERT INTO task_versions \
         (id, entity_id, version, title, description, status, priority, due_date, op, \
          recorded_at, deleted_at, actor, note, prev_hash, hash) ",
    );
    insert.push_values(rows, |mut values, row| {
        let fields = &row.fields;
        values
            .push_bind(row.id)
            .push_bind(row.entity_id.as_uuid())
            .push_bind(row.version)
            .push_bind(fields.title.as_str())
            .push_bind(fields.description.as_ref().map(|d| d.as_str()))
            .push_bind(fields.status.as_str())
            .push_bind(i16::from(fields.priority.value()))
            .push_bind(fields.due_date)
            .push_bind(row.op.as_str())
            .push_bind(row.recorded_at)
            .push_bind(row.deleted_at)
            .push_bind(row.actor.as_str())
            .push_bind(row.note.as_ref().map(|n| n.as_str()))
            .push_bind(row.prev_hash.as_deref())
            .push_bind(row.hash.as_str());
    });
    insert.build().execute(conn).await?;
    Ok(())
}

pub(super) async fn history(
    pool: &PgPool,
    entity_id: EntityId,
) -> Result<Vec<TaskVersion>, sqlx::Error> {
    let sql = format!(
        "SELECT {} FROM task_versions v WHERE v.entity_id = $1 ORDER BY v.version",
        version_columns!()
    );
    fetch_all(pool, sqlx::query(&sql).bind(entity_id.as_uuid())).await
}

/// Binds a shared statement's values in PostgreSQL's native column types.
fn bound(statement: &Statement) -> sqlx::query::Query<'_, sqlx::Postgres, PgArguments> {
    statement
        .binds
        .iter()
        .fold(sqlx::query(&statement.sql), |query, bind| match bind {
            Bind::Text(text) => query.bind(text.as_str()),
            Bind::Instant(at) => query.bind(*at),
            Bind::Id(id) => query.bind(id.as_uuid()),
            Bind::Int(number) => query.bind(*number),
            Bind::Date(date) => query.bind(*date),
        })
}

pub(super) async fn versions(
    pool: &PgPool,
    statement: &Statement,
) -> Result<Vec<TaskVersion>, sqlx::Error> {
    fetch_all(pool, bound(statement)).await
}

pub(super) async fn instant(
    pool: &PgPool,
    statement: &Statement,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    bound(statement)
        .fetch_optional(pool)
        .await?
        .map(|row| row.try_get(0))
        .transpose()
}

pub(super) async fn timeline(
    pool: &PgPool,
    statement: &Statement,
) -> Result<BoardTimeline, sqlx::Error> {
    super::row::timeline(&bound(statement).fetch_one(pool).await?)
}

pub(super) async fn feed(pool: &PgPool, query: &FeedQuery) -> Result<Vec<FeedEntry>, sqlx::Error> {
    let sql = format!(
        "SELECT {}, {} FROM task_versions v \
         LEFT JOIN task_versions p ON p.entity_id = v.entity_id AND p.version = v.version - 1 \
         WHERE ($1::bigint IS NULL OR v.position > $1) AND ($2::bigint IS NULL OR v.position < $2) \
           AND ($3::text IS NULL OR v.op = $3) AND ($4::text IS NULL OR v.actor = $4) \
           AND ($5::timestamptz IS NULL OR v.recorded_at >= $5) \
         ORDER BY v.position DESC LIMIT $6",
        version_columns!(),
        version_columns!(p)
    );
    let rows = sqlx::query(&sql)
        .bind(query.after)
        .bind(query.before)
        .bind(query.op.map(|op| op.as_str()))
        .bind(query.actor.as_ref().map(|actor| actor.as_str()))
        .bind(query.since)
        .bind(i64::from(query.limit) + 1)
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|row| super::row::feed_entry(row, read_from))
        .collect()
}

/// Reads below the horizon (migration 0005): only versions whose transaction is older than
/// every transaction still running, in (transaction, position) order, after the transaction and
/// position of the version at `position` (a position the follower was handed earlier).
pub(super) async fn changes_after(
    pool: &PgPool,
    position: i64,
    limit: i64,
) -> Result<Vec<Followed>, sqlx::Error> {
    let sql = format!(
        "SELECT {}, v.transaction_id::text::bigint FROM task_versions v \
         WHERE (v.transaction_id, v.position) > ( \
                 COALESCE((SELECT transaction_id FROM task_versions WHERE position = $1), '0'), $1) \
           AND v.transaction_id < pg_snapshot_xmin(pg_current_snapshot()) \
         ORDER BY v.transaction_id, v.position LIMIT $2",
        version_columns!()
    );
    sqlx::query(&sql)
        .bind(position)
        .bind(limit)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| {
            let version = read_from(row, 0)?;
            Ok(Followed {
                key: FollowKey {
                    transaction: row.try_get(super::VERSION_COLUMN_COUNT)?,
                    position: version.position,
                },
                version,
            })
        })
        .collect()
}

/// The followers' key of the version at `position` (transaction 0 if there is none).
pub(super) async fn follow_key(pool: &PgPool, position: i64) -> Result<FollowKey, sqlx::Error> {
    let transaction: Option<i64> = sqlx::query_scalar(
        "SELECT transaction_id::text::bigint FROM task_versions WHERE position = $1",
    )
    .bind(position)
    .fetch_optional(pool)
    .await?;
    Ok(FollowKey {
        transaction: transaction.unwrap_or(0),
        position,
    })
}

/// The last version a follower starting now has passed: the newest below the horizon.
pub(super) async fn follow_head(pool: &PgPool) -> Result<FollowKey, sqlx::Error> {
    let head: Option<(i64, i64)> = sqlx::query_as(
        "SELECT transaction_id::text::bigint, position FROM task_versions \
         WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot()) \
         ORDER BY transaction_id DESC, position DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await?;
    Ok(
        head.map_or(FollowKey::START, |(transaction, position)| FollowKey {
            transaction,
            position,
        }),
    )
}

/// Tells every listener that something was appended; sent after commit, outside any append.
pub(super) async fn announce(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(APPENDED_CHANNEL)
        .execute(pool)
        .await
        .map(drop)
}

pub(super) async fn head_position(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COALESCE(max(position), 0) FROM task_versions")
        .fetch_one(pool)
        .await
}

pub(super) async fn listen(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(APPENDED_CHANNEL).await?;
    Ok(listener)
}

/// The version table's triggers (with the function each runs) and constraints, as the catalog
/// holds them.
pub(super) async fn rules(pool: &PgPool) -> Result<(Vec<Rule>, Vec<Rule>), sqlx::Error> {
    let triggers: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT t.tgname::text, pg_get_triggerdef(t.oid, true), p.prosrc \
         FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid \
         WHERE t.tgrelid = 'task_versions'::regclass AND NOT t.tgisinternal ORDER BY t.tgname",
    )
    .fetch_all(pool)
    .await?;
    let constraints: Vec<(String, String)> = sqlx::query_as(
        "SELECT conname::text, pg_get_constraintdef(oid, true) FROM pg_constraint \
         WHERE conrelid = 'task_versions'::regclass ORDER BY contype DESC, conname",
    )
    .fetch_all(pool)
    .await?;
    Ok((
        triggers
            .into_iter()
            .map(|(name, definition, body)| Rule {
                name,
                definition,
                function_body: Some(body.trim().to_owned()),
            })
            .collect(),
        constraints
            .into_iter()
            .map(|(name, definition)| Rule {
                name,
                definition,
                function_body: None,
            })
            .collect(),
    ))
}

/// Which rewriting statements the app's role may run on the version table, and whether it is a
/// superuser (who holds every privilege whatever was revoked).
pub(super) async fn privileges(pool: &PgPool) -> Result<(Vec<Privilege>, bool), sqlx::Error> {
    let (update, delete, truncate, superuser): (bool, bool, bool, bool) = sqlx::query_as(
        "SELECT has_table_privilege('task_versions', 'UPDATE'), \
                has_table_privilege('task_versions', 'DELETE'), \
                has_table_privilege('task_versions', 'TRUNCATE'), \
                (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)",
    )
    .fetch_one(pool)
    .await?;
    let privileges = [
        ("UPDATE", update),
        ("DELETE", delete),
        ("TRUNCATE", truncate),
    ]
    .into_iter()
    .map(|(statement, held)| Privilege {
        statement: statement.to_owned(),
        held,
    })
    .collect();
    Ok((privileges, superuser))
}

/// Runs a statement the database should refuse, in a transaction that is rolled back whatever
/// happens; the outer error is a failure to run it at all. TRUNCATE takes the table's strongest
/// lock before its trigger can refuse, so the wait for that lock is kept short.
pub(super) async fn attempt(
    pool: &PgPool,
    sql: &str,
) -> Result<Result<(), sqlx::Error>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET LOCAL lock_timeout = '2s'")
        .execute(&mut *tx)
        .await?;
    let attempt = sqlx::query(sql).execute(&mut *tx).await.map(drop);
    tx.rollback().await?;
    Ok(attempt)
}

/// Versions each followed by the end of their validity (`valid_to`, the column after them).
pub(super) async fn periods(
    pool: &PgPool,
    statement: &Statement,
) -> Result<Vec<(TaskVersion, Option<DateTime<Utc>>)>, sqlx::Error> {
    bound(statement)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| Ok((read_from(row, 0)?, row.try_get(VERSION_COLUMN_COUNT)?)))
        .collect()
}

/// A view's definition as the catalog holds it.
pub(super) async fn view_definition(pool: &PgPool, view: &str) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("SELECT pg_get_viewdef(to_regclass($1), true)")
        .bind(view)
        .fetch_one(pool)
        .await
}
