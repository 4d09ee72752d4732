//! Big boards on demand (`server --generate 10000x100`): N tasks with V versions each, written
//! through the same sealing (ids, numbers, hash chains) and the same database triggers and
//! constraints as every other append, so the result is indistinguishable from a board that grew
//! by hand over months. Teachers use it to show the patterns at scale; the benchmarks use it.
//!
//! Versions are written in rounds (every task's version 2, then every task's version 3, ...) so
//! the tasks' histories interleave in time the way real ones do, in multi-row INSERTs of
//! distinct tasks: each row's version check reads the read model as it stood before its
//! statement, so one statement must not hold two versions of one task.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::{chain, NewVersion, Store, StoreError};
use crate::task::{
    Actor, ChangeMeta, Description, EntityId, Note, Op, Priority, Status, TaskFields, TaskTitle,
    TaskVersion,
};

/// How much history the generated board spans, ending now.
const SPAN: chrono::Duration = chrono::Duration::days(180);
/// Rows per INSERT: well inside both databases' limits on bound values (15 per row).
const BATCH: usize = 1000;

/// How big a board to generate: `TASKSxVERSIONS`, e.g. `10000x100` for a million versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BoardSize {
    pub tasks: usize,
    pub versions: usize,
}

impl FromStr for BoardSize {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let must = || {
            format!("the board size must be TASKSxVERSIONS with both at least 1, such as 10000x100, not {raw:?}")
        };
        let (tasks, versions) = raw.trim().split_once(['x', 'X']).ok_or_else(must)?;
        let number = |text: &str| text.trim().parse::<usize>().ok().filter(|n| *n >= 1);
        match (number(tasks), number(versions)) {
            (Some(tasks), Some(versions)) => Ok(Self { tasks, versions }),
            _ => Err(must()),
        }
    }
}

impl fmt::Display for BoardSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.tasks, self.versions)
    }
}

/// What a generation wrote.
#[derive(Clone, Copy, Debug)]
pub struct Generated {
    pub versions: usize,
    pub deleted_tasks: usize,
    pub restored_tasks: usize,
    pub elapsed: Duration,
}

/// A small deterministic mixer, so the same size always gives the same board.
fn mix(a: usize, b: usize, salt: u64) -> u64 {
    let mut z = (a as u64)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add((b as u64).wrapping_mul(0xBF58_476D_1CE4_E5B9))
        .wrapping_add(salt);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn pick<T: Copy>(options: &[T], a: usize, b: usize, salt: u64) -> T {
    options[(mix(a, b, salt) % options.len() as u64) as usize]
}

const VERBS: [&str; 8] = [
    "Review",
    "Draft",
    "Index",
    "Migrate",
    "Benchmark",
    "Document",
    "Audit",
    "Replay",
];
const NOUNS: [&str; 10] = [
    "schema",
    "read model",
    "snapshot job",
    "audit trail",
    "event log",
    "backup",
    "trigger",
    "change feed",
    "release notes",
    "dashboard",
];
const ACTORS: [&str; 6] = ["ada", "grace", "linus", "barbara", "edsger", "margaret"];
const STATUSES: [Status; 4] = [
    Status::Todo,
    Status::InProgress,
    Status::Done,
    Status::Cancelled,
];

/// What happens to task `task` in round `round` (0 is its creation) of `rounds`: one task in
/// ten ends deleted, and one in ten is deleted half-way and restored in the next round.
fn operation(task: usize, round: usize, rounds: usize) -> Op {
    let middle = rounds / 2;
    match (round, task % 10) {
        (0, _) => Op::Created,
        (r, 0) if r + 1 == rounds => Op::Deleted,
        (r, 5) if rounds >= 4 && r == middle => Op::Deleted,
        (r, 5) if rounds >= 4 && r == middle + 1 => Op::Restored,
        _ => Op::Updated,
    }
}

/// The content of task `task` after round `round`; every round changes something.
fn fields(task: usize, round: usize) -> TaskFields {
    let title = format!(
        "{} the {} #{task}",
        pick(&VERBS, task, round / 10, 1),
        pick(&NOUNS, task, 0, 2)
    );
    let description = mix(task, round, 3)
        .is_multiple_of(3)
        .then(|| format!("Step {round} of task {task}: see the change feed for the rest."));
    let due_date = (!mix(task, 0, 4).is_multiple_of(4)).then(|| {
        NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date")
            + chrono::Days::new(mix(task, round / 20, 5) % 730)
    });
    TaskFields {
        title: TaskTitle::parse(&title).expect("generated titles are valid"),
        description: description
            .and_then(|text| Description::parse(&text).expect("generated descriptions are valid")),
        status: pick(&STATUSES, task, round, 6),
        priority: Priority::try_from((mix(task, round, 7) % 6) as i64).expect("0..=5"),
        due_date,
    }
}

fn meta(task: usize, round: usize) -> ChangeMeta {
    let note = mix(task, round, 8)
        .is_multiple_of(5)
        .then(|| format!("generated change {round}"));
    ChangeMeta {
        actor: Actor::parse(pick(&ACTORS, task, round, 9)).expect("generated actors are valid"),
        note: note.and_then(|text| Note::parse(&text).expect("generated notes are valid")),
        idempotency_key: None,
        valid_from: None,
    }
}

/// Writes a board of `size` whose history spans the half year before `until`, with a few
/// corrections of the past among its edits.
pub(super) async fn generate(
    store: &Store,
    size: BoardSize,
    until: DateTime<Utc>,
) -> Result<Generated, StoreError> {
    let started = Instant::now();
    let total = size.tasks * size.versions;
    let step = SPAN / i32::try_from(total.max(1)).unwrap_or(i32::MAX);
    let step = step.max(chrono::Duration::microseconds(1));
    let start = until - step * i32::try_from(total).unwrap_or(i32::MAX);
    // The time between two versions of one task.
    let per_task = step * i32::try_from(size.tasks).unwrap_or(i32::MAX);
    let ids: Vec<EntityId> = (0..size.tasks)
        .map(|_| EntityId::from_uuid(Uuid::now_v7()))
        .collect();
    let mut latest: Vec<Option<TaskVersion>> = vec![None; size.tasks];
    let tasks: Vec<usize> = (0..size.tasks).collect();
    let mut written = 0usize;
    for round in 0..size.versions {
        for chunk in tasks.chunks(BATCH) {
            let rows: Vec<TaskVersion> = chunk
                .iter()
                .map(|&task| {
                    let recorded_at = start + step * i32::try_from(written + task).unwrap_or(0);
                    let previous = latest[task].as_ref();
                    let op = operation(task, round, size.versions);
                    let fields = match (op, previous) {
                        (Op::Deleted | Op::Restored, Some(previous)) => previous.fields.clone(),
                        _ => fields(task, round),
                    };
                    let mut meta = meta(task, round);
                    // One edit in twenty, from the third version on, corrects the past: it holds
                    // from halfway between the two versions before it, so it replaces what the
                    // one before it stated (and the task already existed then).
                    if op == Op::Updated && round >= 2 && mix(task, round, 12).is_multiple_of(20) {
                        meta.valid_from = previous.map(|p| p.recorded_at - per_task / 2);
                    }
                    chain::seal(
                        NewVersion {
                            entity_id: ids[task],
                            op,
                            fields,
                            meta,
                            previous,
                            recorded_at: Some(recorded_at),
                        },
                        recorded_at,
                    )
                })
                .collect();
            let mut tx = store.begin_write().await?;
            tx.insert_many(&rows).await?;
            tx.commit().await?;
            for (&task, row) in chunk.iter().zip(rows) {
                latest[task] = Some(row);
            }
        }
        written += size.tasks;
        if (round + 1) % 10 == 0 || round + 1 == size.versions {
            tracing::info!(
                "generated round {} of {} ({written} versions)",
                round + 1,
                size.versions
            );
        }
    }
    let ends = |op: Op| {
        latest
            .iter()
            .flatten()
            .filter(|version| version.op == op)
            .count()
    };
    Ok(Generated {
        versions: written,
        deleted_tasks: ends(Op::Deleted),
        restored_tasks: (0..size.tasks)
            .filter(|&task| size.versions >= 4 && task % 10 == 5)
            .count(),
        elapsed: started.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_back_what_they_wrote() {
        let size: BoardSize = "10000x100".parse().unwrap();
        assert_eq!(
            size,
            BoardSize {
                tasks: 10_000,
                versions: 100
            }
        );
        assert_eq!(size.to_string().parse::<BoardSize>().unwrap(), size);
        for bad in ["", "10000", "0x5", "5x0", "ax1", "-1x3"] {
            assert!(bad.parse::<BoardSize>().is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn every_task_is_created_first_and_restored_only_after_a_delete() {
        for rounds in [1, 2, 4, 9, 100] {
            for task in 0..20 {
                let ops: Vec<Op> = (0..rounds).map(|r| operation(task, r, rounds)).collect();
                assert_eq!(ops[0], Op::Created);
                for pair in ops.windows(2) {
                    if pair[1] == Op::Restored {
                        assert_eq!(pair[0], Op::Deleted);
                    }
                    if pair[0] == Op::Deleted {
                        assert_eq!(pair[1], Op::Restored, "only a restore follows a delete");
                    }
                }
            }
        }
    }
}
