//! Snapshots of the whole board (migration 0008): the board at change P stored once, so the
//! board at any later change is the nearest snapshot plus the versions after it instead of a
//! fold over the whole log. The store takes one whenever the log has grown by `every` changes,
//! each folded from the previous snapshot and the versions since; `board_from_snapshot` reads
//! the past both ways so a class can compare the cost, and the tests compare the answers.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::{BoardRead, BoardTask, SnapshotAsOf, SnapshotSummary, SnapshotTaken, SnapshotsReport};
use crate::lessons::{ExecutedStatement, TableDigest};
use crate::store::sql::{numbers, DbInstant, PerBackend, Statement, HEAD};
use crate::store::{Store, StoreError};

/// How many snapshots the report lists, and how many tasks of a board a comparison shows.
const RECENT_SNAPSHOTS: i64 = 10;
const TASKS_SHOWN: usize = 10;

/// How long a snapshot waits, on PostgreSQL, for the transactions that were running when it
/// chose its position to end.
const SETTLE_WAIT: Duration = Duration::from_secs(10);

const NEAREST: &str = "SELECT MAX(position) FROM board_snapshots WHERE position <= $1";

/// Claims the position; a snapshot another process took first leaves nothing inserted. (SQLite
/// needs the `WHERE true` to read `ON CONFLICT` as the insert's clause, not the select's.)
const CLAIM: &str = "INSERT INTO board_snapshots (position, base_position) \
     SELECT $1, (SELECT MAX(position) FROM board_snapshots WHERE position < $1) WHERE true \
     ON CONFLICT (position) DO NOTHING";

const BASE: &str = "SELECT base_position FROM board_snapshots WHERE position = $1";

/// The fold: each task's newest version among the base snapshot's rows and the versions after
/// the base up to the new position. With no base ($2 = 0) it folds the log from its start.
const FOLD: &str = "INSERT INTO board_snapshot_tasks \
     (snapshot_position, entity_id, version_id, version, position) \
     SELECT $1, entity_id, version_id, version, position \
     FROM (SELECT candidates.*, \
                  ROW_NUMBER() OVER (PARTITION BY entity_id ORDER BY version DESC) AS newest \
           FROM (SELECT entity_id, version_id, version, position FROM board_snapshot_tasks \
                 WHERE snapshot_position = $2 \
                 UNION ALL \
                 SELECT entity_id, id, version, position FROM task_versions \
                 WHERE position > $2 AND position <= $1) AS candidates) AS folded \
     WHERE newest = 1";

/// The board at $2 from the snapshot at $1 (0: none) and the versions after it.
const BOARD_FROM_SNAPSHOT: &str = "SELECT CAST(f.entity_id AS TEXT), f.version, v.title, \
            v.deleted_at IS NOT NULL \
     FROM (SELECT candidates.*, \
                  ROW_NUMBER() OVER (PARTITION BY entity_id ORDER BY version DESC) AS newest \
           FROM (SELECT entity_id, version_id, version FROM board_snapshot_tasks \
                 WHERE snapshot_position = $1 \
                 UNION ALL \
                 SELECT entity_id, id, version FROM task_versions \
                 WHERE position > $1 AND position <= $2) AS candidates) AS f \
     JOIN task_versions v ON v.id = f.version_id \
     WHERE f.newest = 1 ORDER BY f.entity_id";

/// The board at $1 by folding every version up to it.
const BOARD_FROM_LOG: &str = "SELECT CAST(f.entity_id AS TEXT), f.version, f.title, \
            f.deleted_at IS NOT NULL \
     FROM (SELECT entity_id, version, title, deleted_at, \
                  ROW_NUMBER() OVER (PARTITION BY entity_id ORDER BY version DESC) AS newest \
           FROM task_versions WHERE position <= $1) AS f \
     WHERE f.newest = 1 ORDER BY f.entity_id";

const VERSIONS_BETWEEN: &str =
    "SELECT COUNT(*) FROM task_versions WHERE position > $1 AND position <= $2";
const SNAPSHOT_ROWS: &str =
    "SELECT COUNT(*) FROM board_snapshot_tasks WHERE snapshot_position = $1";

type BoardRow = (String, i64, String, bool);

/// How to tell when every transaction that might still commit below the newest position has
/// ended. SQLite appends one at a time, so it needs none.
struct Horizon {
    /// The newest position, and the first transaction id not yet started when it was read.
    head_and_running: &'static str,
    /// The oldest transaction still running.
    oldest_running: &'static str,
}

const HORIZON: PerBackend<Option<Horizon>> = PerBackend {
    postgres: Some(Horizon {
        head_and_running: "SELECT COALESCE(MAX(position), 0), \
                pg_snapshot_xmax(pg_current_snapshot())::text::bigint \
         FROM task_versions",
        oldest_running: "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint",
    }),
    sqlite: None,
};

impl Store {
    /// Takes a snapshot whenever this or another process appends and the log has grown by
    /// `snapshot_every` changes since the newest one, until the store is closed. Runs beside the
    /// server; a failed attempt is logged and tried again at the next append.
    pub fn keep_snapshots(&self) -> tokio::task::JoinHandle<()> {
        let store = self.clone();
        tokio::spawn(async move {
            let mut appends = match store.appends().await {
                Ok(appends) => appends,
                Err(error) => {
                    tracing::warn!(%error, "snapshots: cannot follow appends");
                    return;
                }
            };
            loop {
                match store.snapshot_if_due().await {
                    Ok(Some(taken)) => tracing::info!(
                        position = taken.snapshot.position,
                        tasks = taken.snapshot.tasks,
                        elapsed_ms = taken.elapsed_ms,
                        "snapshots: took one"
                    ),
                    Ok(None) => {}
                    Err(_) if store.is_closed() => return,
                    Err(error) => tracing::warn!(%error, "snapshots: could not take one"),
                }
                if appends.next().await.is_err() || store.is_closed() {
                    return;
                }
            }
        })
    }

    /// Takes a snapshot if the log has grown by `snapshot_every` changes since the newest one.
    pub async fn snapshot_if_due(&self) -> Result<Option<SnapshotTaken>, StoreError> {
        let head = self.head_position().await?;
        let newest = self.number(NEAREST, &[head]).await?.unwrap_or(0);
        if head - newest < self.snapshot_every() as i64 {
            return Ok(None);
        }
        self.take_snapshot().await
    }

    /// Snapshots the board at the newest settled change. `None` when there was nothing new to
    /// snapshot, another process took the same snapshot first, or (on PostgreSQL) transactions
    /// that might still append before that change kept running too long.
    pub async fn take_snapshot(&self) -> Result<Option<SnapshotTaken>, StoreError> {
        let started = Instant::now();
        let Some(position) = self.settled_head().await? else {
            return Ok(None);
        };
        if position == 0 {
            return Ok(None);
        }
        let mut tx = self.pool().begin().await?.record();
        if tx.execute(&numbers(CLAIM, &[position])).await? == 0 {
            tx.rollback().await?;
            return Ok(None);
        }
        let base = tx.number(&numbers(BASE, &[position])).await?;
        let tasks = tx
            .execute(&numbers(FOLD, &[position, base.unwrap_or(0)]))
            .await?;
        let statements = tx.commit().await?;
        self.counter().snapshot();
        let taken_at = self.snapshot_time(position).await?;
        Ok(Some(SnapshotTaken {
            snapshot: SnapshotSummary {
                position,
                base_position: base,
                taken_at,
                tasks,
            },
            elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
            statements,
        }))
    }

    /// The newest position below which nothing can still be appended. SQLite appends one at a
    /// time, so that is its newest position. PostgreSQL appends concurrently and numbers a row
    /// before it commits: a transaction running now may still commit a position below the
    /// newest visible one. So the position is read together with the transactions running at
    /// that moment, and used once every one of them has ended (the horizon followers use,
    /// migration 0005). `None` if they outlast `SETTLE_WAIT`.
    async fn settled_head(&self) -> Result<Option<i64>, StoreError> {
        let Some(horizon) = HORIZON.on(self.kind()) else {
            return Ok(Some(self.head_position().await?));
        };
        let (head, running_below): (i64, i64) = self
            .pool()
            .fetch_one(&Statement::new(horizon.head_and_running))
            .await?;
        let deadline = Instant::now() + SETTLE_WAIT;
        loop {
            let (oldest_running,): (i64,) = self
                .pool()
                .fetch_one(&Statement::new(horizon.oldest_running))
                .await?;
            if oldest_running >= running_below {
                return Ok(Some(head));
            }
            if Instant::now() > deadline {
                return Ok(None);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn snapshot_time(&self, position: i64) -> Result<DateTime<Utc>, StoreError> {
        const TAKEN_AT: &str = "SELECT taken_at FROM board_snapshots WHERE position = $1";
        let (taken_at,): (DbInstant,) = self
            .pool()
            .fetch_one(&numbers(TAKEN_AT, &[position]))
            .await?;
        Ok(taken_at.0)
    }

    /// The snapshots taken so far: the newest few, and how many there are in all.
    pub async fn snapshots(&self) -> Result<SnapshotsReport, StoreError> {
        const RECENT: &str = "SELECT s.position, s.base_position, s.taken_at, \
                (SELECT COUNT(*) FROM board_snapshot_tasks t \
                 WHERE t.snapshot_position = s.position) \
             FROM board_snapshots s ORDER BY s.position DESC LIMIT $1";
        // One row per snapshot; the task rows are counted for the few listed only, since all
        // of them together grow with tasks × changes.
        const COUNT: &str = "SELECT COUNT(*) FROM board_snapshots";
        type Recent = (i64, Option<i64>, DbInstant, i64);
        let recent: Vec<Recent> = self
            .pool()
            .fetch_all(&numbers(RECENT, &[RECENT_SNAPSHOTS]))
            .await?;
        let count = self.number(COUNT, &[]).await?.unwrap_or(0);
        Ok(SnapshotsReport {
            every: self.snapshot_every(),
            head: self.number(HEAD, &[]).await?.unwrap_or(0),
            recent: recent
                .into_iter()
                .map(
                    |(position, base_position, taken_at, tasks)| SnapshotSummary {
                        position,
                        base_position,
                        taken_at: taken_at.0,
                        tasks: tasks as u64,
                    },
                )
                .collect(),
            count: count as u64,
        })
    }

    /// The board at change `position` (the newest when `None`), read from the nearest snapshot
    /// and by folding the log, in one read-only transaction that is rolled back.
    pub async fn board_from_snapshot(
        &self,
        position: Option<i64>,
    ) -> Result<SnapshotAsOf, StoreError> {
        let mut tx = self.pool().begin().await?.record();
        let position = match position {
            Some(position) => position,
            None => tx.number(&Statement::new(HEAD)).await?.unwrap_or(0),
        };
        let snapshot = tx.number(&numbers(NEAREST, &[position])).await?;
        let base = snapshot.unwrap_or(0);

        let started = Instant::now();
        let rows: Vec<BoardRow> = tx
            .fetch_all(&numbers(BOARD_FROM_SNAPSHOT, &[base, position]))
            .await?;
        let snapshot_elapsed = started.elapsed();
        let snapshot_statement = tx.recorded().last().cloned();
        let from_snapshot_digest = board_digest(&rows);
        let first_tasks = rows
            .iter()
            .take(TASKS_SHOWN)
            .map(|(entity_id, version, title, deleted)| BoardTask {
                entity_id: entity_id.clone(),
                version: *version,
                title: title.clone(),
                deleted: *deleted,
            })
            .collect();

        let started = Instant::now();
        let log_rows: Vec<BoardRow> = tx.fetch_all(&numbers(BOARD_FROM_LOG, &[position])).await?;
        let log_elapsed = started.elapsed();
        let log_statement = tx.recorded().last().cloned();

        let after_snapshot = tx
            .number(&numbers(VERSIONS_BETWEEN, &[base, position]))
            .await?
            .unwrap_or(0);
        let snapshot_rows = tx
            .number(&numbers(SNAPSHOT_ROWS, &[base]))
            .await?
            .unwrap_or(0);
        let whole_log = tx
            .number(&numbers(VERSIONS_BETWEEN, &[0, position]))
            .await?
            .unwrap_or(0);
        tx.rollback().await?;

        let read = |statement: Option<ExecutedStatement>,
                    elapsed: Duration,
                    digest: TableDigest,
                    versions: i64,
                    snapshot_rows: i64| BoardRead {
            statement: statement.expect("the read was recorded"),
            elapsed_ms: elapsed.as_secs_f64() * 1000.0,
            digest,
            versions_folded: versions as u64,
            snapshot_rows_folded: snapshot_rows as u64,
        };
        Ok(SnapshotAsOf {
            position,
            snapshot,
            from_snapshot: read(
                snapshot_statement,
                snapshot_elapsed,
                from_snapshot_digest,
                after_snapshot,
                snapshot_rows,
            ),
            from_log: read(
                log_statement,
                log_elapsed,
                board_digest(&log_rows),
                whole_log,
                0,
            ),
            first_tasks,
        })
    }
}

/// Count and SHA-256 of the board's `(task, version)` pairs in id order.
fn board_digest(rows: &[BoardRow]) -> TableDigest {
    let mut hash = Sha256::new();
    for (entity_id, version, _, _) in rows {
        hash.update(format!("{entity_id} {version}\n").as_bytes());
    }
    TableDigest {
        rows: rows.len() as u64,
        sha256: hex::encode(hash.finalize()),
    }
}
