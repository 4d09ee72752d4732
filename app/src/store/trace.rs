//! Under the hood: what one change did in the database. Each write's transaction records its
//! statements as it runs them (`WriteTx`); this process keeps the last few hundred, by position.
//! The rest of the story is read from the log itself: the row appended, and the read-model row
//! the trigger wrote before and after it.

use std::collections::VecDeque;
use std::sync::Mutex;

use super::backend::{PerBackend, APPENDED_CHANNEL};
use super::{reads, Store, StoreError};
use crate::learn::{read_model_row, ExecutedStatement, HoodReport};

/// How many writes' statements a process keeps.
const KEPT: usize = 256;

/// The statements of this process's latest writes, by the position each appended.
#[derive(Debug, Default)]
pub(super) struct Traces(Mutex<VecDeque<(i64, Vec<ExecutedStatement>)>>);

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

    fn find(&self, position: i64) -> Option<Vec<ExecutedStatement>> {
        let kept = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        kept.iter()
            .find(|(at, _)| *at == position)
            .map(|(_, statements)| statements.clone())
    }
}

impl Store {
    /// The change at `position` (the newest when `None`) as the database saw it; `None` when
    /// the log holds nothing there.
    pub async fn under_the_hood(
        &self,
        position: Option<i64>,
    ) -> Result<Option<HoodReport>, StoreError> {
        let position = match position {
            Some(position) => position,
            None => self.head_position().await?,
        };
        let Some(appended) = self.version_at(&reads::at_position(position)).await? else {
            return Ok(None);
        };
        let before = match appended.version {
            1 => None,
            version => self.get_version(appended.entity_id, version - 1).await?,
        };
        let older = self
            .number(
                "SELECT MAX(position) FROM task_versions WHERE position < $1",
                &[position],
            )
            .await?;
        let newer = self
            .number(
                "SELECT MIN(position) FROM task_versions WHERE position > $1",
                &[position],
            )
            .await?;
        let announcement = PerBackend {
            postgres: format!(
                "After the commit, this server process sends SELECT pg_notify('{APPENDED_CHANNEL}', \
                 '') (several commits folded into one). Every process listening on the channel, \
                 and so every open page, reads the log after its own cursor."
            ),
            sqlite: "SQLite has no NOTIFY: after the commit, the server process wakes its own \
                 followers through an in-memory channel, and every open page reads the log after \
                 its own cursor."
                .to_owned(),
        }
        .on(self.kind());
        Ok(Some(HoodReport {
            statements: self.traces.find(position),
            read_model_before: before.as_ref().map(read_model_row),
            read_model_after: read_model_row(&appended),
            appended,
            announcement,
            older,
            newer,
        }))
    }
}
