//! The statements of this process's latest writes, kept for the under-the-hood lesson: each
//! write's transaction records its statements as it runs them (`WriteTx`); this process keeps the
//! last few hundred, by position.

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::lessons::ExecutedStatement;

/// How many writes' statements a process keeps.
const KEPT: usize = 256;

/// The statements of this process's latest writes, by the position each appended.
#[derive(Debug, Default)]
pub(crate) struct Traces(Mutex<VecDeque<(i64, Vec<ExecutedStatement>)>>);

impl Traces {
    pub fn keep(&self, position: i64, statements: Vec<ExecutedStatement>) {
        let mut kept = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if kept.len() == KEPT {
            kept.pop_front();
        }
        kept.push_back((position, statements));
    }

    pub(crate) fn find(&self, position: i64) -> Option<Vec<ExecutedStatement>> {
        let kept = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        kept.iter()
            .find(|(at, _)| *at == position)
            .map(|(_, statements)| statements.clone())
    }
}
