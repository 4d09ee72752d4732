//! How a version is appended: read the task's latest version and the database's clock in one
//! statement, decide and seal the next version, insert it (one row, or many for the generator;
//! the columns an insert writes are named here, once) and record the submission's key, then
//! commit and announce the append. Each step's SQL is written once for both databases.
//!
//! On PostgreSQL an append is two statements outside any transaction: the read, and the INSERT
//! that also records the key. Nothing is locked between them; a writer that appended meanwhile
//! makes the INSERT fail (the version-sequence trigger, `UNIQUE (entity_id, version)`), and the
//! write is a conflict, or is tried again when it named no version. On SQLite the same steps run
//! inside BEGIN IMMEDIATE, whose write lock lets nobody in between.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::watch;
use uuid::Uuid;

use super::backend::{DbInstant, PerBackend, Tx};
use super::counts::StoreCounts;
use super::row::VersionRow;
use super::statement::{Bind, Statement};
use super::trace::Traces;
use super::write::NewVersion;
use super::{chain, reads, StoreError};
use crate::lessons::ExecutedStatement;
use crate::task::{EntityId, FieldError, Op, TaskVersion, VALID_FROM};

/// The database's clock, as an expression read with the task's latest version.
const CLOCK: PerBackend<&str> = PerBackend {
    postgres: "clock_timestamp()",
    sqlite: "strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')",
};

/// Records which version a submission's key produced (bound: the key, the version's id).
const INSERT_KEY: &str = "INSERT INTO idempotency_keys (key, version_id) VALUES ($1, $2)";

/// Whether the INSERT's own statement records the submission's key: on PostgreSQL a
/// data-modifying WITH does, and runs to completion whether or not the outer query reads it;
/// SQLite allows no INSERT inside WITH, so there it is a second statement in the transaction.
const KEY_IN_INSERT: PerBackend<bool> = PerBackend {
    postgres: true,
    sqlite: false,
};

/// The task's latest version and the database's clock, read in one statement.
#[derive(sqlx::FromRow)]
struct LatestRow {
    #[sqlx(flatten)]
    version: VersionRow,
    now: DbInstant,
}

/// The columns an append writes (the database numbers the position); `version_values` gives
/// their values in this order.
const INSERT_COLUMNS: &str = "id, entity_id, version, title, description, status, \
     priority, due_date, op, recorded_at, deleted_at, actor, note, prev_hash, hash, valid_from";

/// The values of `INSERT_COLUMNS`, in order.
fn version_values(row: &TaskVersion) -> Vec<Bind> {
    let fields = &row.fields;
    vec![
        Bind::Id(row.id),
        Bind::Id(row.entity_id.as_uuid()),
        Bind::int(row.version),
        Bind::text(fields.title.as_str()),
        Bind::Text(fields.description.as_ref().map(|d| d.as_str().to_owned())),
        Bind::text(fields.status.as_str()),
        Bind::SmallInt(i16::from(fields.priority.value())),
        Bind::Date(fields.due_date),
        Bind::text(row.op.as_str()),
        Bind::instant(row.recorded_at),
        Bind::Instant(row.deleted_at),
        Bind::text(row.actor.as_str()),
        Bind::Text(row.note.as_ref().map(|n| n.as_str().to_owned())),
        Bind::Text(row.prev_hash.clone()),
        Bind::text(&row.hash),
        Bind::Instant(row.valid_from),
    ]
}

/// An open write transaction. Dropping it without `commit` rolls everything back. It records
/// each statement as it runs (for the under-the-hood view) and carries the process's
/// announcement of appends, made once the append has committed.
pub(crate) struct WriteTx {
    pub tx: Tx,
    pub(super) appended: Arc<watch::Sender<()>>,
    pub(super) traces: Arc<Traces>,
    pub(super) counts: Arc<StoreCounts>,
    /// The position and kind of the one version appended, once it is.
    pub(super) appended_row: Option<(i64, Op)>,
    /// The database's clock, read with the latest version, for the version appended after it.
    pub(super) clock: Option<DateTime<Utc>>,
}

impl WriteTx {
    /// The task's latest version, read with the database's clock (kept for the append).
    pub(super) async fn latest(
        &mut self,
        entity_id: EntityId,
    ) -> Result<Option<TaskVersion>, StoreError> {
        let clock = format!(", {} AS now", CLOCK.on(self.tx.kind()));
        let read = reads::latest_selecting(entity_id, &clock);
        let Some(latest) = self.tx.fetch_optional::<LatestRow>(&read).await? else {
            return Ok(None);
        };
        self.clock = Some(latest.now.0);
        Ok(Some(TaskVersion::try_from(latest.version)?))
    }

    /// Like `latest`, for operations that need a task that exists and is not deleted.
    pub(super) async fn latest_live(
        &mut self,
        entity_id: EntityId,
    ) -> Result<TaskVersion, StoreError> {
        match self.latest(entity_id).await? {
            None => Err(StoreError::NotFound),
            Some(latest) if latest.is_tombstone() => Err(StoreError::Deleted {
                version: latest.version,
            }),
            Some(latest) => Ok(latest),
        }
    }

    pub(super) async fn version(
        &mut self,
        entity_id: EntityId,
        version: i64,
    ) -> Result<Option<TaskVersion>, StoreError> {
        let found: Option<VersionRow> = self
            .tx
            .fetch_optional(&reads::version(entity_id, version))
            .await?;
        Ok(found.map(TaskVersion::try_from).transpose()?)
    }

    /// The database clock.
    pub(crate) async fn now(&mut self) -> Result<DateTime<Utc>, StoreError> {
        let clock = Statement::new(format!("SELECT {}", CLOCK.on(self.tx.kind())));
        let (now,): (DbInstant,) = self.tx.fetch_one(&clock).await?;
        Ok(now.0)
    }

    /// Inserts one sealed version; the database gives it its position.
    pub(crate) async fn insert(&mut self, row: TaskVersion) -> Result<TaskVersion, StoreError> {
        self.insert_recording(row, None).await
    }

    /// Inserts one sealed version and, if given, records the submission's `key` for it, in the
    /// same statement where the backend can (`KEY_IN_INSERT`).
    async fn insert_recording(
        &mut self,
        mut row: TaskVersion,
        key: Option<Uuid>,
    ) -> Result<TaskVersion, StoreError> {
        const INSERT: &str = "INSERT INTO task_versions";
        const VALUES: &str =
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)";
        let key_in_insert = key.filter(|_| KEY_IN_INSERT.on(self.tx.kind()));
        let mut values = version_values(&row);
        let sql = match key_in_insert {
            Some(key) => {
                values.push(Bind::Id(key));
                format!(
                    "WITH appended AS ({INSERT} ({INSERT_COLUMNS}) {VALUES} \
                     RETURNING position, id), \
                     keyed AS (INSERT INTO idempotency_keys (key, version_id) \
                     SELECT $17, id FROM appended) \
                     SELECT position FROM appended"
                )
            }
            None => format!("{INSERT} ({INSERT_COLUMNS}) {VALUES} RETURNING position"),
        };
        let inserted: Result<(i64,), _> = self.tx.fetch_one(&Statement::with(sql, values)).await;
        row.position = inserted
            .map(|(position,)| position)
            .map_err(|error| StoreError::from_insert(error, row.version))?;
        if let (Some(key), None) = (key, key_in_insert) {
            let record = Statement::with(INSERT_KEY, [Bind::Id(key), Bind::Id(row.id)]);
            self.tx.execute(&record).await?;
        }
        Ok(row)
    }

    /// Stamps, hashes and inserts the next version, with the clock read beside the version it
    /// follows (or read now, for a first version).
    async fn append(&mut self, new: NewVersion<'_>) -> Result<TaskVersion, StoreError> {
        let now = match (new.recorded_at, self.clock.take()) {
            (Some(at), _) | (None, Some(at)) => at,
            (None, None) => self.now().await?,
        };
        self.check_valid_from(&new).await?;
        let key = new.meta.idempotency_key.map(|key| key.as_uuid());
        let sealed = chain::seal(new, now);
        if sealed.valid_since() > sealed.recorded_at {
            return Err(valid_from_refused(format!(
                "is in the future: a change holds from now ({}) or earlier",
                crate::time::exact(sealed.recorded_at)
            )));
        }
        let row = self.insert_recording(sealed, key).await?;
        self.appended_row = Some((row.position, row.op));
        Ok(row)
    }

    /// A change to an existing task cannot hold from before the task did: its stated valid time
    /// is checked against the task's first version (read only when a time is stated).
    async fn check_valid_from(&mut self, new: &NewVersion<'_>) -> Result<(), StoreError> {
        let (Some(valid_from), Some(_)) = (new.meta.valid_from, new.previous) else {
            return Ok(());
        };
        let Some(first) = self.version(new.entity_id, 1).await? else {
            return Ok(());
        };
        if valid_from < first.valid_since() {
            return Err(valid_from_refused(format!(
                "is before the task existed: it holds from {}",
                crate::time::exact(first.valid_since())
            )));
        }
        Ok(())
    }

    /// Appends versions of distinct tasks in one statement (the board generator's path); nothing
    /// is committed yet. The triggers run for every row as they do for a single append; a
    /// statement may hold each task at most once, because a row's version check reads the read
    /// model as it stood before the statement.
    pub(crate) async fn insert_many(&mut self, rows: &[TaskVersion]) -> Result<(), StoreError> {
        let values: Vec<Vec<Bind>> = rows.iter().map(version_values).collect();
        self.tx
            .insert_rows(
                &format!("INSERT INTO task_versions ({INSERT_COLUMNS}) "),
                &values,
            )
            .await?;
        Ok(())
    }

    /// Commits, then announces the append: to this process's followers directly, and on
    /// PostgreSQL through the announcer to every process listening on the database. A single
    /// append's statements are kept for the under-the-hood view.
    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        let statements = self.tx.commit().await?;
        if let Some((position, op)) = self.appended_row {
            self.counts.append(op);
            if !statements.is_empty() {
                self.traces.keep(position, statements);
            }
        }
        self.appended.send_replace(());
        Ok(())
    }

    /// Rolls back (a demonstration's end); what was recorded is returned.
    pub(crate) async fn rollback(self) -> Result<Vec<ExecutedStatement>, StoreError> {
        Ok(self.tx.rollback().await?)
    }

    /// The last step of every write: append the one new version, then commit.
    pub(super) async fn append_and_commit(
        mut self,
        new: NewVersion<'_>,
    ) -> Result<TaskVersion, StoreError> {
        let row = self.append(new).await?;
        self.commit().await?;
        Ok(row)
    }
}

fn valid_from_refused(message: String) -> StoreError {
    StoreError::Invalid(vec![FieldError::new(VALID_FROM, message)])
}
