//! Event sourcing, demonstrated on the live data: the read model is rebuilt from the log alone,
//! into a scratch table, and compared with `task_current`, the read model the trigger keeps.
//!
//! Every version carries a task's whole state, so folding the log in order leaves, for each
//! task, its last version at or before the replay's position: one window-function query, run
//! the same on both backends. The whole replay is one transaction that is always rolled back
//! (the scratch table goes with it), and both tables are read in that transaction's snapshot, so
//! a write arriving meanwhile cannot make them disagree. Nothing here writes to the real tables.

use std::cmp::Ordering;
use std::time::Instant;

use sha2::{Digest, Sha256};

use super::{ReplayReport, RowDifference};
use crate::lessons::TableDigest;
use crate::store::sql::{numbers, PerBackend, Statement, HEAD};
use crate::store::{Store, StoreError};

/// How many differing tasks a report lists; it counts them all.
const DIFFERENCES_SHOWN: usize = 10;

/// The fold: each task's newest version at or before `$1`, in the read model's columns.
const REPLAY: &str = "INSERT INTO replayed_current \
     (entity_id, version_id, version, title, status, priority, due_date, deleted_at, changed_at, \
      position) \
     SELECT entity_id, id, version, title, status, priority, due_date, deleted_at, recorded_at, \
            position \
     FROM (SELECT v.*, ROW_NUMBER() OVER (PARTITION BY v.entity_id ORDER BY v.version DESC) \
                  AS newest \
           FROM task_versions v WHERE v.position <= $1) AS log \
     WHERE newest = 1";

/// The scratch table: shaped like `task_current`, gone with the transaction. SQLite has no
/// `LIKE` clause; an empty `CREATE TABLE … AS SELECT` copies the columns.
const SCRATCH: PerBackend<&str> = PerBackend {
    postgres: "CREATE TEMP TABLE replayed_current (LIKE task_current) ON COMMIT DROP",
    sqlite: "CREATE TEMP TABLE replayed_current AS SELECT * FROM main.task_current WHERE 0",
};

/// On PostgreSQL at repeatable read, so both tables are read in one snapshot; a SQLite read
/// transaction is one snapshot already, and its temporary table lives outside the database
/// file, so creating one takes no write lock.
const ONE_SNAPSHOT: PerBackend<Option<&str>> = PerBackend {
    postgres: Some("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"),
    sqlite: None,
};

/// Each table's rows in id order, as `(entity id, the row as text)`. On PostgreSQL a row cast
/// to text lists every column in the table's order (the copy has the same); SQLite spells the
/// columns out.
fn rows_as_text(table: &str) -> PerBackend<String> {
    PerBackend {
        postgres: format!("SELECT t.entity_id::text, t::text FROM {table} t ORDER BY t.entity_id"),
        sqlite: format!(
            "SELECT entity_id, quote(entity_id) || ',' || quote(version_id) || ',' || \
             quote(version) || ',' || quote(title) || ',' || quote(status) || ',' || \
             quote(priority) || ',' || quote(due_date) || ',' || quote(deleted_at) || ',' || \
             quote(changed_at) || ',' || quote(position) FROM {table} ORDER BY entity_id"
        ),
    }
}

impl Store {
    /// Rebuilds the read model from the log up to position `up_to` (the newest when `None`)
    /// and compares it with `task_current`. Up to the newest position they must be equal; a
    /// difference means the read model no longer follows the log. Always rolled back.
    pub async fn replay(&self, up_to: Option<i64>) -> Result<ReplayReport, StoreError> {
        let started = Instant::now();
        let kind = self.kind();
        let mut tx = self.pool().begin().await?.record();
        if let Some(isolation) = ONE_SNAPSHOT.on(kind) {
            tx.execute(&Statement::new(isolation)).await?;
        }
        let head = tx.number(&Statement::new(HEAD)).await?.unwrap_or(0);
        let up_to = up_to.unwrap_or(head);
        tx.execute(&Statement::new(SCRATCH.on(kind))).await?;
        tx.execute(&numbers(REPLAY, &[up_to])).await?;
        let replayed: Vec<(String, String)> = tx
            .fetch_all(&Statement::new(rows_as_text("replayed_current").on(kind)))
            .await?;
        let current: Vec<(String, String)> = tx
            .fetch_all(&Statement::new(rows_as_text("task_current").on(kind)))
            .await?;
        let statements = tx.rollback().await?;
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        let (differing, first_differences) = differences(&replayed, &current);
        Ok(ReplayReport {
            up_to,
            head,
            replayed: digest(&replayed),
            current: digest(&current),
            differing,
            first_differences,
            elapsed_ms,
            statements,
        })
    }
}

fn digest(rows: &[(String, String)]) -> TableDigest {
    let mut hash = Sha256::new();
    for (_, row) in rows {
        hash.update(row.as_bytes());
        hash.update(b"\n");
    }
    TableDigest {
        rows: rows.len() as u64,
        sha256: hex::encode(hash.finalize()),
    }
}

/// Walks both tables in id order together, counting the tasks whose rows differ.
fn differences(
    replayed: &[(String, String)],
    current: &[(String, String)],
) -> (usize, Vec<RowDifference>) {
    let (mut r, mut c) = (replayed.iter().peekable(), current.iter().peekable());
    let mut found = Vec::new();
    let mut count = 0;
    loop {
        let difference = match (r.peek(), c.peek()) {
            (None, None) => break,
            (Some((id, _)), Some((other, _))) if id == other => {
                let ((id, mine), (_, theirs)) = (r.next().unwrap(), c.next().unwrap());
                (mine != theirs).then_some((id, Some(mine), Some(theirs)))
            }
            (Some((id, _)), Some((other, _))) if id.cmp(other) == Ordering::Less => {
                let (id, mine) = r.next().unwrap();
                Some((id, Some(mine), None))
            }
            (Some(_), None) => {
                let (id, mine) = r.next().unwrap();
                Some((id, Some(mine), None))
            }
            _ => {
                let (id, theirs) = c.next().unwrap();
                Some((id, None, Some(theirs)))
            }
        };
        if let Some((id, mine, theirs)) = difference {
            count += 1;
            if found.len() < DIFFERENCES_SHOWN {
                found.push(RowDifference {
                    entity_id: id.clone(),
                    replayed: mine.cloned(),
                    current: theirs.cloned(),
                });
            }
        }
    }
    (count, found)
}

#[cfg(test)]
mod tests {
    use super::differences;

    fn rows(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(id, row)| (id.to_string(), row.to_string()))
            .collect()
    }

    #[test]
    fn rows_on_one_side_only_and_changed_rows_all_count_as_differences() {
        let replayed = rows(&[("a", "a1"), ("b", "b1"), ("d", "d1")]);
        let current = rows(&[("a", "a1"), ("b", "b2"), ("c", "c1")]);
        let (count, found) = differences(&replayed, &current);
        assert_eq!(count, 3);
        let ids: Vec<_> = found.iter().map(|d| d.entity_id.as_str()).collect();
        assert_eq!(ids, ["b", "c", "d"]);
        assert_eq!(found[1].replayed, None);
        assert_eq!(found[2].current, None);
        assert_eq!(differences(&current, &current).0, 0);
    }
}
