//! The SQLite half of the store: its SQL and its row mapping. Ids are hyphenated text and
//! instants fixed-width UTC text, so `sqlite3 data/tasks.db` shows readable rows and string
//! order is time order. Write transactions start with BEGIN IMMEDIATE, which takes SQLite's one
//! write lock up front: concurrent writers queue (busy timeout) instead of failing mid-way.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow,
};
use sqlx::{Row, SqliteConnection, SqliteExecutor, SqlitePool};
use uuid::Uuid;

use super::pages::{Bind, Statement};
use super::{version_columns, FollowKey, Followed, StoreError, VERSION_COLUMN_COUNT};
use crate::database::Rule;
use crate::idempotency::IdempotencyKey;
use crate::task::{BoardTimeline, EntityId, FeedEntry, FeedQuery, TaskVersion};

const CURRENT_FROM: &str =
    "FROM task_current c JOIN task_versions v ON v.id = c.version_id WHERE c.entity_id = $1";

/// How instants are stored: fixed width, so text comparison is time comparison.
const INSTANT_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

fn instant_text(at: DateTime<Utc>) -> String {
    at.format(INSTANT_FORMAT).to_string()
}

fn id_text(id: Uuid) -> String {
    id.hyphenated().to_string()
}

pub(super) async fn connect(url: &str) -> Result<SqlitePool, StoreError> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(30));
    if let Some(dir) = Path::new(options.get_filename()).parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir).map_err(|error| StoreError::Database(error.into()))?;
        }
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await?;
    sqlx::migrate!("../migrations/sqlite").run(&pool).await?;
    Ok(pool)
}

pub(super) async fn begin_immediate(
    pool: &SqlitePool,
) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
    pool.begin_with("BEGIN IMMEDIATE").await
}

fn decode<T, E: std::error::Error + Send + Sync + 'static>(
    parsed: Result<T, E>,
) -> Result<T, sqlx::Error> {
    parsed.map_err(|error| sqlx::Error::Decode(Box::new(error)))
}

fn read_instant(text: &str) -> Result<DateTime<Utc>, sqlx::Error> {
    decode(DateTime::parse_from_rfc3339(text)).map(|at| at.with_timezone(&Utc))
}

fn read(row: SqliteRow) -> Result<TaskVersion, sqlx::Error> {
    read_from(&row, 0)
}

/// Reads the version whose columns start at `at` (a joined row can carry two).
fn read_from(row: &SqliteRow, at: usize) -> Result<TaskVersion, sqlx::Error> {
    let deleted_at: Option<String> = row.try_get(at + 11)?;
    let due_date: Option<String> = row.try_get(at + 8)?;
    super::row::RawVersion {
        position: row.try_get(at)?,
        id: decode(Uuid::parse_str(row.try_get(at + 1)?))?,
        entity_id: decode(Uuid::parse_str(row.try_get(at + 2)?))?,
        version: row.try_get(at + 3)?,
        title: row.try_get(at + 4)?,
        description: row.try_get(at + 5)?,
        status: row.try_get(at + 6)?,
        priority: row.try_get(at + 7)?,
        due_date: due_date
            .map(|text| decode(NaiveDate::parse_from_str(&text, "%Y-%m-%d")))
            .transpose()?,
        op: row.try_get(at + 9)?,
        recorded_at: read_instant(row.try_get(at + 10)?)?,
        deleted_at: deleted_at.as_deref().map(read_instant).transpose()?,
        actor: row.try_get(at + 12)?,
        note: row.try_get(at + 13)?,
        prev_hash: row.try_get(at + 14)?,
        hash: row.try_get(at + 15)?,
    }
    .into_version()
}

async fn fetch_all<'q>(
    db: impl SqliteExecutor<'_>,
    query: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
) -> Result<Vec<TaskVersion>, sqlx::Error> {
    query.fetch_all(db).await?.into_iter().map(read).collect()
}

/// The database's clock, read inside the writing transaction.
pub(super) const CLOCK: &str = "SELECT strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')";

pub(super) async fn clock(conn: &mut SqliteConnection) -> Result<DateTime<Utc>, sqlx::Error> {
    let now: String = sqlx::query_scalar(CLOCK).fetch_one(conn).await?;
    read_instant(&now)
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
    db: impl SqliteExecutor<'_>,
    entity_id: EntityId,
) -> Result<Option<TaskVersion>, sqlx::Error> {
    sqlx::query(&latest_sql())
        .bind(id_text(entity_id.as_uuid()))
        .fetch_optional(db)
        .await?
        .map(read)
        .transpose()
}

pub(super) async fn version(
    db: impl SqliteExecutor<'_>,
    entity_id: EntityId,
    version: i64,
) -> Result<Option<TaskVersion>, sqlx::Error> {
    sqlx::query(&version_sql())
        .bind(id_text(entity_id.as_uuid()))
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
    conn: &mut SqliteConnection,
    mut row: TaskVersion,
) -> Result<TaskVersion, StoreError> {
    let fields = &row.fields;
    let inserted = sqlx::query_scalar(INSERT_VERSION)
        .bind(id_text(row.id))
        .bind(id_text(row.entity_id.as_uuid()))
        .bind(row.version)
        .bind(fields.title.as_str())
        .bind(fields.description.as_ref().map(|d| d.as_str()))
        .bind(fields.status.as_str())
        .bind(i64::from(fields.priority.value()))
        .bind(
            fields
                .due_date
                .map(|date| date.format("%Y-%m-%d").to_string()),
        )
        .bind(row.op.as_str())
        .bind(instant_text(row.recorded_at))
        .bind(row.deleted_at.map(instant_text))
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
    conn: &mut SqliteConnection,
    key: IdempotencyKey,
    version_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query(INSERT_KEY)
        .bind(id_text(key.as_uuid()))
        .bind(id_text(version_id))
        .execute(conn)
        .await?;
    Ok(())
}

/// The version an earlier submission with `key` appended.
pub(super) async fn version_for_key(
    db: impl SqliteExecutor<'_>,
    key: IdempotencyKey,
) -> Result<Option<TaskVersion>, sqlx::Error> {
    let sql = format!(
        "SELECT {} FROM idempotency_keys k JOIN task_versions v ON v.id = k.version_id \
         WHERE k.key = $1",
        version_columns!()
    );
    sqlx::query(&sql)
        .bind(id_text(key.as_uuid()))
        .fetch_optional(db)
        .await?
        .map(read)
        .transpose()
}

/// Appends many versions in one statement (the board generator's path); see PostgreSQL's
/// `insert_many` for why a statement holds each task at most once.
pub(super) async fn insert_many(
    conn: &mut SqliteConnection,
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
            .push_bind(id_text(row.id))
            .push_bind(id_text(row.entity_id.as_uuid()))
            .push_bind(row.version)
            .push_bind(fields.title.as_str())
            .push_bind(fields.description.as_ref().map(|d| d.as_str()))
            .push_bind(fields.status.as_str())
            .push_bind(i64::from(fields.priority.value()))
            .push_bind(
                fields
                    .due_date
                    .map(|date| date.format("%Y-%m-%d").to_string()),
            )
            .push_bind(row.op.as_str())
            .push_bind(instant_text(row.recorded_at))
            .push_bind(row.deleted_at.map(instant_text))
            .push_bind(row.actor.as_str())
            .push_bind(row.note.as_ref().map(|n| n.as_str()))
            .push_bind(row.prev_hash.as_deref())
            .push_bind(row.hash.as_str());
    });
    insert.build().execute(conn).await?;
    Ok(())
}

pub(super) async fn history(
    pool: &SqlitePool,
    entity_id: EntityId,
) -> Result<Vec<TaskVersion>, sqlx::Error> {
    let sql = format!(
        "SELECT {} FROM task_versions v WHERE v.entity_id = $1 ORDER BY v.version",
        version_columns!()
    );
    fetch_all(pool, sqlx::query(&sql).bind(id_text(entity_id.as_uuid()))).await
}

/// Binds a shared statement's values as SQLite stores them: text instants, ids and dates.
fn bound(statement: &Statement) -> sqlx::query::Query<'_, sqlx::Sqlite, SqliteArguments<'_>> {
    statement
        .binds
        .iter()
        .fold(sqlx::query(&statement.sql), |query, bind| match bind {
            Bind::Text(text) => query.bind(text.as_str()),
            Bind::Instant(at) => query.bind(instant_text(*at)),
            Bind::Id(id) => query.bind(id_text(id.as_uuid())),
            Bind::Int(number) => query.bind(*number),
            Bind::Date(date) => query.bind(date.format("%Y-%m-%d").to_string()),
        })
}

pub(super) async fn versions(
    pool: &SqlitePool,
    statement: &Statement,
) -> Result<Vec<TaskVersion>, sqlx::Error> {
    fetch_all(pool, bound(statement)).await
}

pub(super) async fn instant(
    pool: &SqlitePool,
    statement: &Statement,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let text: Option<String> = bound(statement)
        .fetch_optional(pool)
        .await?
        .map(|row| row.try_get(0))
        .transpose()?;
    text.as_deref().map(read_instant).transpose()
}

pub(super) async fn timeline(
    pool: &SqlitePool,
    statement: &Statement,
) -> Result<BoardTimeline, sqlx::Error> {
    super::row::timeline(&bound(statement).fetch_one(pool).await?)
}

pub(super) async fn feed(
    pool: &SqlitePool,
    query: &FeedQuery,
) -> Result<Vec<FeedEntry>, sqlx::Error> {
    let sql = format!(
        "SELECT {}, {} FROM task_versions v \
         LEFT JOIN task_versions p ON p.entity_id = v.entity_id AND p.version = v.version - 1 \
         WHERE ($1 IS NULL OR v.position > $1) AND ($2 IS NULL OR v.position < $2) \
           AND ($3 IS NULL OR v.op = $3) AND ($4 IS NULL OR v.actor = $4) \
           AND ($5 IS NULL OR v.recorded_at >= $5) \
         ORDER BY v.position DESC LIMIT $6",
        version_columns!(),
        version_columns!(p)
    );
    let rows = sqlx::query(&sql)
        .bind(query.after)
        .bind(query.before)
        .bind(query.op.map(|op| op.as_str()))
        .bind(query.actor.as_ref().map(|actor| actor.as_str()))
        .bind(query.since.map(instant_text))
        .bind(i64::from(query.limit) + 1)
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|row| super::row::feed_entry(row, read_from))
        .collect()
}

/// SQLite commits one writer at a time, so position order is commit order: a follower reads by
/// position, and every key's transaction is 0.
pub(super) async fn changes_after(
    pool: &SqlitePool,
    position: i64,
    limit: i64,
) -> Result<Vec<Followed>, sqlx::Error> {
    let sql = format!(
        "SELECT {} FROM task_versions v WHERE v.position > $1 ORDER BY v.position LIMIT $2",
        version_columns!()
    );
    let versions = fetch_all(pool, sqlx::query(&sql).bind(position).bind(limit)).await?;
    Ok(versions
        .into_iter()
        .map(|version| Followed {
            key: FollowKey {
                transaction: 0,
                position: version.position,
            },
            version,
        })
        .collect())
}

pub(super) async fn head_position(pool: &SqlitePool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COALESCE(max(position), 0) FROM task_versions")
        .fetch_one(pool)
        .await
}

/// The version table's triggers, and the table's own definition, which carries its constraints
/// inline, as `sqlite_master` holds them.
pub(super) async fn rules(pool: &SqlitePool) -> Result<(Vec<Rule>, Vec<Rule>), sqlx::Error> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT type, name, sql FROM sqlite_master \
         WHERE tbl_name = 'task_versions' AND type IN ('trigger', 'table') ORDER BY name",
    )
    .fetch_all(pool)
    .await?;
    let (triggers, tables): (Vec<_>, Vec<_>) =
        rows.into_iter().partition(|(kind, _, _)| kind == "trigger");
    let rule = |(_, name, definition): (String, String, String)| Rule {
        name,
        definition,
        function_body: None,
    };
    Ok((
        triggers.into_iter().map(rule).collect(),
        tables.into_iter().map(rule).collect(),
    ))
}

/// Runs a statement the database should refuse, holding the write lock, in a transaction that is
/// rolled back whatever happens; the outer error is a failure to run it at all.
pub(super) async fn attempt(
    pool: &SqlitePool,
    sql: &str,
) -> Result<Result<(), sqlx::Error>, sqlx::Error> {
    let mut tx = begin_immediate(pool).await?;
    let attempt = sqlx::query(sql).execute(&mut *tx).await.map(drop);
    tx.rollback().await?;
    Ok(attempt)
}

/// Versions each followed by the end of their validity (`valid_to`, the column after them).
pub(super) async fn periods(
    pool: &SqlitePool,
    statement: &Statement,
) -> Result<Vec<(TaskVersion, Option<DateTime<Utc>>)>, sqlx::Error> {
    bound(statement)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| {
            let valid_to: Option<String> = row.try_get(VERSION_COLUMN_COUNT)?;
            Ok((
                read_from(row, 0)?,
                valid_to.as_deref().map(read_instant).transpose()?,
            ))
        })
        .collect()
}

/// A view's definition as the catalog holds it.
pub(super) async fn view_definition(pool: &SqlitePool, view: &str) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE type = 'view' AND name = $1")
        .bind(view)
        .fetch_one(pool)
        .await
}
