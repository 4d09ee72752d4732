//! Temporal tables, demonstrated on the live data: the log read as periods of recorded time through
//! the `task_version_periods` view (migrations 0007 and 0010), and the board at an instant read through that
//! view and through the index walk the app's time travel uses, so a class can see that both give
//! the same board and what each costs.

use std::time::Instant;

use chrono::{DateTime, Utc};

use super::{AsOfRun, Period, TemporalReport};
use crate::store::sql::{
    as_of, Bind, DbInstant, PerBackend, Statement, VersionRow, VERSION_COLUMNS,
};
use crate::store::{Store, StoreError};
use crate::task::{EntityId, TaskVersion};

/// The board at `at` through the view: every version whose period contains `at`, in the same
/// order as the app's time-travel page (newest first), one page of it.
fn board_through_view(at: DateTime<Utc>) -> Statement {
    let mut statement = Statement::new(format!(
        "SELECT {}, v.superseded_at FROM task_version_periods v",
        VERSION_COLUMNS
    ));
    statement.push(
        " WHERE v.recorded_at <= ? AND (v.superseded_at IS NULL OR v.superseded_at > ?) \
         ORDER BY v.recorded_at DESC, v.position DESC",
        [Bind::instant(at), Bind::instant(at)],
    );
    statement.limit_page();
    statement
}

/// One task's versions with their periods, oldest first.
fn task_periods(entity_id: EntityId) -> Statement {
    let mut statement = Statement::new(format!(
        "SELECT {}, v.superseded_at FROM task_version_periods v",
        VERSION_COLUMNS
    ));
    statement.push(
        " WHERE v.entity_id = ? ORDER BY v.version",
        [Bind::Id(entity_id.as_uuid())],
    );
    statement
}

/// A view's definition as the catalog holds it (bound: the view's name).
const VIEW_DEFINITION: PerBackend<&str> = PerBackend {
    postgres: "SELECT pg_get_viewdef(to_regclass($1), true)",
    sqlite: "SELECT sql FROM sqlite_master WHERE type = 'view' AND name = $1",
};

/// A version read through the view, with the recording of the version after it.
#[derive(sqlx::FromRow)]
struct PeriodRow {
    #[sqlx(flatten)]
    version: VersionRow,
    superseded_at: Option<DbInstant>,
}

fn period(version: &TaskVersion, superseded_at: Option<DateTime<Utc>>) -> Period {
    Period {
        entity_id: version.entity_id.to_string(),
        version: version.version,
        title: version.fields.title.as_str().to_owned(),
        deleted: version.is_tombstone(),
        recorded_at: version.recorded_at,
        superseded_at,
    }
}

impl Store {
    /// The board at `at` read both ways, and the periods of the first task on it.
    pub async fn temporal(&self, at: DateTime<Utc>) -> Result<TemporalReport, StoreError> {
        let definition = Statement::with(
            VIEW_DEFINITION.on(self.kind()),
            [Bind::text("task_version_periods")],
        );
        let (view_definition,): (String,) = self.pool().fetch_one(&definition).await?;
        let (through_view, first_task) = self.periods_run(&board_through_view(at)).await?;

        let statement = as_of(at, None);
        let started = Instant::now();
        let rows = self.versions(&statement).await?;
        let through_index = AsOfRun {
            elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
            statement: statement.executed(Some(rows.len() as u64)),
            rows: rows.iter().map(|version| period(version, None)).collect(),
        };

        let periods = match first_task {
            Some(entity_id) => self.periods_run(&task_periods(entity_id)).await?.0.rows,
            None => Vec::new(),
        };
        Ok(TemporalReport {
            at,
            view_definition,
            through_view,
            through_index,
            periods,
        })
    }

    /// Runs a statement over the view; also returns the task of its first row.
    async fn periods_run(
        &self,
        statement: &Statement,
    ) -> Result<(AsOfRun, Option<EntityId>), StoreError> {
        let started = Instant::now();
        let rows: Vec<PeriodRow> = self.pool().fetch_all(statement).await?;
        let rows = rows
            .into_iter()
            .map(|row| {
                Ok((
                    TaskVersion::try_from(row.version)?,
                    row.superseded_at.map(|at| at.0),
                ))
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let run = AsOfRun {
            elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
            statement: statement.executed(Some(rows.len() as u64)),
            rows: rows
                .iter()
                .map(|(version, superseded_at)| period(version, *superseded_at))
                .collect(),
        };
        Ok((run, rows.first().map(|(version, _)| version.entity_id)))
    }
}
