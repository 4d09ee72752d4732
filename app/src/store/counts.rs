//! How many versions this process has appended, by kind of change: the operator's metrics read
//! them. Counted after the commit, so a write that was refused or rolled back counts nothing.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::task::Op;

#[derive(Debug, Default)]
pub(crate) struct AppendCounts([AtomicU64; Op::ALL.len()]);

impl AppendCounts {
    pub fn count(&self, op: Op) {
        self.0[op as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn by_op(&self) -> Vec<(Op, u64)> {
        Op::ALL
            .iter()
            .map(|&op| (op, self.0[op as usize].load(Ordering::Relaxed)))
            .collect()
    }
}
