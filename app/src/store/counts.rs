//! What this process's store has done since it started, for the operator's metrics: versions
//! appended by kind of change, writes refused as conflicts, snapshots taken and statistics
//! refreshed. Counted after the fact, so a write that was rolled back appends nothing.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::task::Op;

#[derive(Debug, Default)]
pub(crate) struct StoreCounts {
    appends: [AtomicU64; Op::ALL.len()],
    conflicts: AtomicU64,
    snapshots: AtomicU64,
    refreshes: AtomicU64,
}

/// The counts at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counts {
    pub appends: Vec<(Op, u64)>,
    /// Writes refused because another writer appended the version they expected to replace.
    pub conflicts: u64,
    pub snapshots: u64,
    pub statistics_refreshes: u64,
}

impl StoreCounts {
    pub fn append(&self, op: Op) {
        self.appends[op as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn conflict(&self) {
        self.conflicts.fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) {
        self.snapshots.fetch_add(1, Ordering::Relaxed);
    }

    pub fn refresh(&self) {
        self.refreshes.fetch_add(1, Ordering::Relaxed);
    }

    pub fn now(&self) -> Counts {
        Counts {
            appends: Op::ALL
                .iter()
                .map(|&op| (op, self.appends[op as usize].load(Ordering::Relaxed)))
                .collect(),
            conflicts: self.conflicts.load(Ordering::Relaxed),
            snapshots: self.snapshots.load(Ordering::Relaxed),
            statistics_refreshes: self.refreshes.load(Ordering::Relaxed),
        }
    }
}
