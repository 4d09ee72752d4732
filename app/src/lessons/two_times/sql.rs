//! The statements of the two-times lesson: the store's own board reads, and the back-dated
//! versions down their partial index.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};

use super::{Backdated, BoardRow, BoardRun, TwoTimesReport};
use crate::store::sql::{as_of, bitemporal, Statement, VERSION_COLUMNS};
use crate::store::{Store, StoreError};
use crate::task::TaskVersion;

/// How many back-dated versions the page lists.
const BACKDATED_SHOWN: usize = 10;

/// The back-dated versions, the latest valid time first: the order of their partial index.
fn backdated() -> Statement {
    Statement::new(format!(
        "SELECT {VERSION_COLUMNS} FROM task_versions v WHERE v.valid_from < v.recorded_at \
         ORDER BY v.valid_from DESC, v.position DESC LIMIT {BACKDATED_SHOWN}"
    ))
}

fn row(version: &TaskVersion) -> BoardRow {
    BoardRow {
        entity_id: version.entity_id.to_string(),
        title: version.fields.title.as_str().to_owned(),
        version: version.version,
        state: if version.is_tombstone() {
            "deleted".to_owned()
        } else {
            version.fields.status.label().to_owned()
        },
    }
}

impl Store {
    /// The log's back-dated versions, and the board at `valid_at` (default: the latest of their
    /// valid times) as known at `known_at` and as the log said it then.
    pub async fn two_times(
        &self,
        valid_at: Option<DateTime<Utc>>,
        known_at: DateTime<Utc>,
    ) -> Result<TwoTimesReport, StoreError> {
        let listed = backdated();
        let found = self.versions(&listed).await?;
        let valid_at = valid_at
            .or_else(|| found.first().map(TaskVersion::valid_since))
            .unwrap_or_else(|| known_at - Duration::hours(1));
        let known_later = if valid_at < known_at {
            bitemporal(valid_at, known_at, None)
        } else {
            as_of(known_at, None)
        };
        let known_later = self.board_run(&known_later).await?;
        let said_then = self.board_run(&as_of(valid_at, None)).await?;
        Ok(TwoTimesReport {
            valid_at,
            known_at,
            known_later,
            said_then,
            backdated_statement: listed.executed(Some(found.len() as u64)),
            backdated: found
                .iter()
                .map(|version| Backdated {
                    entity_id: version.entity_id.to_string(),
                    title: version.fields.title.as_str().to_owned(),
                    version: version.version,
                    recorded_at: version.recorded_at,
                    valid_from: version.valid_since(),
                    note: version.note.as_ref().map(|note| note.as_str().to_owned()),
                })
                .collect(),
        })
    }

    async fn board_run(&self, statement: &Statement) -> Result<BoardRun, StoreError> {
        let started = Instant::now();
        let versions = self.versions(statement).await?;
        Ok(BoardRun {
            elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
            statement: statement.executed(Some(versions.len() as u64)),
            rows: versions.iter().map(row).collect(),
        })
    }
}
