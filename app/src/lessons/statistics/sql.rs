//! Materialized views, demonstrated on the live data: the board's statistics (migration 0009)
//! are computed from the log once, stored, and read back for a few rows' cost, at the price of
//! being as old as their last refresh. PostgreSQL stores them in a materialized view; SQLite,
//! which has none, in a table this module rebuilds. It owns every statement on
//! `task_statistics` and `statistics_refreshes`, and never writes to `task_versions`.
//!
//! A refresh happens on demand, or when a page view finds the figures `refresh_every` changes or
//! more behind the log. The check sits on the read, not after each write: a refresh at a million
//! versions takes seconds, and no append should wait for one (or start one per process); the
//! log's head and the last refresh are both in the database, so any server process sees the same
//! staleness, and a board nobody looks at costs nothing.

use std::str::FromStr;
use std::time::Instant;

use chrono::{Days, NaiveDate, Utc};

use super::{
    ComputedStatistics, RefreshTrigger, Statistics, StatisticsRefresh, StatisticsReport,
    STATISTICS_DAYS,
};
use crate::lessons::ExecutedStatement;
use crate::store::sql::{Bind, DbInstant, PerBackend, Statement, HEAD};
use crate::store::{BackendKind, Store, StoreError};
use crate::task::Status;

/// The figures from the log, as (kind, key, value) rows: the SELECT of PostgreSQL's view in
/// migration 0009, word for word.
const FIGURES_POSTGRES: &str = "\
SELECT 'status' AS kind, v.status AS key, count(*)::double precision AS value
FROM task_versions v
WHERE v.deleted_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM task_versions n
                  WHERE n.entity_id = v.entity_id AND n.version = v.version + 1)
GROUP BY v.status
UNION ALL
SELECT 'day', to_char(v.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), count(*)::double precision
FROM task_versions v
GROUP BY 2
UNION ALL
SELECT 'actor', v.actor, count(*)::double precision
FROM task_versions v
GROUP BY v.actor
UNION ALL
SELECT 'median_seconds_to_done', '', avg(ranked.seconds)
FROM (SELECT done.seconds,
             row_number() OVER (ORDER BY done.seconds) AS n,
             count(*) OVER () AS total
      FROM (SELECT EXTRACT(EPOCH FROM min(d.recorded_at) - c.recorded_at)::double precision
                   AS seconds
            FROM task_versions c
            JOIN task_versions d ON d.entity_id = c.entity_id AND d.status = 'done'
            WHERE c.version = 1
            GROUP BY c.entity_id, c.recorded_at) AS done) AS ranked
WHERE ranked.n IN ((ranked.total + 1) / 2, (ranked.total + 2) / 2)";

/// The same figures on SQLite: instants are UTC text, so a day is its first ten characters and
/// the earliest 'done' is the smallest string; `julianday` gives the seconds between two.
const FIGURES_SQLITE: &str = "\
SELECT 'status' AS kind, v.status AS key, CAST(count(*) AS REAL) AS value
FROM task_versions v
WHERE v.deleted_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM task_versions n
                  WHERE n.entity_id = v.entity_id AND n.version = v.version + 1)
GROUP BY v.status
UNION ALL
SELECT 'day', substr(v.recorded_at, 1, 10), CAST(count(*) AS REAL)
FROM task_versions v
GROUP BY substr(v.recorded_at, 1, 10)
UNION ALL
SELECT 'actor', v.actor, CAST(count(*) AS REAL)
FROM task_versions v
GROUP BY v.actor
UNION ALL
SELECT 'median_seconds_to_done', '', avg(ranked.seconds)
FROM (SELECT done.seconds,
             row_number() OVER (ORDER BY done.seconds) AS n,
             count(*) OVER () AS total
      FROM (SELECT (julianday(min(d.recorded_at)) - julianday(c.recorded_at)) * 86400.0
                   AS seconds
            FROM task_versions c
            JOIN task_versions d ON d.entity_id = c.entity_id AND d.status = 'done'
            WHERE c.version = 1
            GROUP BY c.entity_id, c.recorded_at) AS done) AS ranked
WHERE ranked.n IN ((ranked.total + 1) / 2, (ranked.total + 2) / 2)";

/// The stored figures, changes per day from `$1` on.
const READ_STORED: &str =
    "SELECT kind, key, value FROM task_statistics WHERE kind <> 'day' OR key >= $1";

/// PostgreSQL's refresh. CONCURRENTLY lets pages read the old figures while it runs.
const REFRESH_VIEW: &str = "REFRESH MATERIALIZED VIEW CONCURRENTLY task_statistics";

/// SQLite's stand-in for a refresh: empty the table and fill it again with the figures worked
/// out beforehand (`$1`, a JSON array of [kind, key, value] rows), in one transaction.
const CLEAR_TABLE: &str = "DELETE FROM task_statistics";
const FILL_TABLE: &str = "INSERT INTO task_statistics (kind, key, value) \
     SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]') \
     FROM json_each($1)";

const RECORD_REFRESH: &str = "INSERT INTO statistics_refreshes (head, elapsed_ms, triggered_by) \
     VALUES ($1, $2, $3) RETURNING refreshed_at";

const LAST_REFRESH: &str = "SELECT refreshed_at, head, elapsed_ms, triggered_by \
     FROM statistics_refreshes ORDER BY id DESC LIMIT 1";

/// The figures worked out from the log, in each backend's SQL.
const FIGURES: PerBackend<&str> = PerBackend {
    postgres: FIGURES_POSTGRES,
    sqlite: FIGURES_SQLITE,
};

/// The figures computed from the log on the spot, filtered like the stored ones.
fn compute_from_log(kind: BackendKind) -> String {
    format!(
        "SELECT kind, key, value FROM (\n{}\n) AS figures WHERE kind <> 'day' OR key >= $1",
        FIGURES.on(kind)
    )
}

/// What a statistics page view asks of the store.
#[derive(Clone, Copy, Debug)]
pub struct StatisticsRequest {
    /// Refresh before reading, whatever the staleness.
    pub refresh: bool,
    /// Also compute the figures from the log, to compare the costs.
    pub compare: bool,
    /// Refresh first when the figures are this many changes (or more) behind the log.
    pub refresh_every: i64,
}

type FigureRow = (String, String, Option<f64>);

impl Store {
    /// The board's statistics as stored, refreshed first when asked or when too stale, and
    /// (when asked) computed from the log as well.
    pub async fn statistics(
        &self,
        request: StatisticsRequest,
    ) -> Result<StatisticsReport, StoreError> {
        let mut run = Vec::new();
        let since = Utc::now()
            .date_naive()
            .checked_sub_days(Days::new(STATISTICS_DAYS as u64 - 1))
            .unwrap_or(NaiveDate::MIN);
        let since_text = since.format("%Y-%m-%d").to_string();

        let mut last_refresh = self.last_refresh(&mut run).await?;
        let mut head = self.head(&mut run).await?;
        // Only a refresh someone asked for, or the very first one (there is nothing stored to
        // show yet), runs inside the page view: at a million versions a refresh takes seconds,
        // and a visitor who only came to read should not wait for it.
        let trigger = if request.refresh {
            Some(RefreshTrigger::OnDemand)
        } else {
            last_refresh.is_none().then_some(RefreshTrigger::Automatic)
        };
        if let Some(trigger) = trigger {
            let refresh = self.refresh_statistics(trigger, &mut run).await?;
            // Changes appended since the head was read are in the refreshed figures already.
            head = head.max(refresh.head);
            last_refresh = Some(refresh);
        }
        let started = Instant::now();
        let rows = self.figure_rows(READ_STORED, &since_text, &mut run).await?;
        let read_ms = started.elapsed().as_secs_f64() * 1000.0;
        let figures = statistics(rows)?;
        // Started only once the stored figures are read: a quick refresh could otherwise swap
        // them before this view reads them, which would then show new figures as old ones.
        let behind = head - last_refresh.as_ref().map_or(0, |refresh| refresh.head);
        let refreshing = behind >= request.refresh_every;
        if refreshing {
            self.refresh_in_background();
        }

        let from_log = if request.compare {
            let sql = compute_from_log(self.kind());
            let started = Instant::now();
            let rows = self.figure_rows(&sql, &since_text, &mut run).await?;
            let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
            Some(ComputedStatistics {
                figures: statistics(rows)?,
                elapsed_ms,
            })
        } else {
            None
        };

        Ok(StatisticsReport {
            materialized_view: self.kind() == BackendKind::Postgres,
            figures,
            since,
            read_ms,
            from_log,
            last_refresh,
            refreshed_now: trigger.is_some(),
            refreshing,
            head,
            refresh_every: request.refresh_every,
            statements: run,
        })
    }

    /// Starts an automatic refresh that outlives the page view which found the figures stale,
    /// unless one is running already.
    fn refresh_in_background(&self) {
        let Ok(slot) = self.background_refresh().clone().try_lock_owned() else {
            return;
        };
        let store = self.clone();
        tokio::spawn(async move {
            let _slot = slot;
            if let Err(error) = store
                .refresh_statistics(RefreshTrigger::Automatic, &mut Vec::new())
                .await
            {
                tracing::warn!(%error, "the statistics' background refresh failed");
            }
        });
    }

    /// Recomputes the stored figures from the log and records the refresh.
    ///
    /// PostgreSQL refreshes its view in one transaction that reads the head first: the REFRESH
    /// takes a later snapshot, so the figures hold at least the changes up to it (and perhaps a
    /// few more that committed in between). SQLite has one write lock for the whole database,
    /// and working the figures out takes seconds at a million versions, so they are computed in
    /// a read transaction first (WAL gives it a snapshot without holding writers back) and the
    /// write lock is held only to swap the stored rows.
    async fn refresh_statistics(
        &self,
        trigger: RefreshTrigger,
        run: &mut Vec<ExecutedStatement>,
    ) -> Result<StatisticsRefresh, StoreError> {
        let started = Instant::now();
        let computed = match self.kind() {
            BackendKind::Postgres => None,
            BackendKind::Sqlite => Some(self.compute_figures(run).await?),
        };
        let mut tx = self.pool().begin_write().await?.record();
        let head = match computed {
            None => {
                let (head,): (i64,) = tx.fetch_one(&Statement::new(HEAD)).await?;
                tx.execute(&Statement::new(REFRESH_VIEW)).await?;
                head
            }
            Some((head, rows)) => {
                let rows = serde_json::to_string(&rows)
                    .map_err(|error| undecodable(format!("figures as JSON: {error}")))?;
                tx.execute(&Statement::new(CLEAR_TABLE)).await?;
                tx.execute(&Statement::with(FILL_TABLE, [Bind::text(rows)]))
                    .await?;
                head
            }
        };
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        let record = Statement::with(
            RECORD_REFRESH,
            [
                Bind::int(head),
                Bind::Float(elapsed_ms),
                Bind::text(trigger.as_str()),
            ],
        );
        let (refreshed_at,): (DbInstant,) = tx.fetch_one(&record).await?;
        run.extend(tx.commit().await?);
        self.counter().refresh();
        Ok(StatisticsRefresh {
            refreshed_at: refreshed_at.0,
            head,
            elapsed_ms,
            trigger,
        })
    }

    /// The log's head and every figure at that head, read in one transaction (one snapshot).
    async fn compute_figures(
        &self,
        run: &mut Vec<ExecutedStatement>,
    ) -> Result<(i64, Vec<FigureRow>), StoreError> {
        let mut tx = self.pool().begin().await?.record();
        let (head,): (i64,) = tx.fetch_one(&Statement::new(HEAD)).await?;
        let rows: Vec<FigureRow> = tx.fetch_all(&Statement::new(FIGURES_SQLITE)).await?;
        run.extend(tx.commit().await?);
        Ok((head, rows))
    }

    async fn last_refresh(
        &self,
        run: &mut Vec<ExecutedStatement>,
    ) -> Result<Option<StatisticsRefresh>, StoreError> {
        let last = Statement::new(LAST_REFRESH);
        let row: Option<(DbInstant, i64, f64, String)> = self.pool().fetch_optional(&last).await?;
        run.push(last.executed(Some(u64::from(row.is_some()))));
        row.map(|(refreshed_at, head, elapsed_ms, trigger)| {
            Ok(StatisticsRefresh {
                refreshed_at: refreshed_at.0,
                head,
                elapsed_ms,
                trigger: RefreshTrigger::parse(&trigger)
                    .ok_or_else(|| undecodable(format!("unknown refresh trigger {trigger:?}")))?,
            })
        })
        .transpose()
    }

    async fn head(&self, run: &mut Vec<ExecutedStatement>) -> Result<i64, StoreError> {
        let statement = Statement::new(HEAD);
        let (head,): (i64,) = self.pool().fetch_one(&statement).await?;
        run.push(statement.executed(Some(1)));
        Ok(head)
    }

    async fn figure_rows(
        &self,
        sql: &str,
        since: &str,
        run: &mut Vec<ExecutedStatement>,
    ) -> Result<Vec<FigureRow>, StoreError> {
        let statement = Statement::with(sql, [Bind::text(since)]);
        let rows: Vec<FigureRow> = self.pool().fetch_all(&statement).await?;
        run.push(statement.executed(Some(rows.len() as u64)));
        Ok(rows)
    }
}

fn undecodable(message: String) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(message.into()))
}

/// The (kind, key, value) rows as the four figures, each list in a fixed order.
fn statistics(rows: Vec<FigureRow>) -> Result<Statistics, StoreError> {
    let mut figures = Statistics::default();
    for (kind, key, value) in rows {
        // Counts are stored as floating point beside the median; they are whole numbers.
        let count = value.unwrap_or(0.0).round() as u64;
        match kind.as_str() {
            "status" => {
                let status = Status::from_str(&key)
                    .map_err(|_| undecodable(format!("unknown status {key:?}")))?;
                figures.by_status.push((status, count));
            }
            "day" => {
                let day = NaiveDate::parse_from_str(&key, "%Y-%m-%d")
                    .map_err(|error| undecodable(format!("day {key:?}: {error}")))?;
                figures.by_day.push((day, count));
            }
            "actor" => figures.by_actor.push((key, count)),
            "median_seconds_to_done" => figures.median_seconds_to_done = value,
            other => return Err(undecodable(format!("unknown statistic {other:?}"))),
        }
    }
    let rank = |status: &Status| Status::ALL.iter().position(|known| known == status);
    figures.by_status.sort_by_key(|(status, _)| rank(status));
    figures.by_day.sort();
    figures.by_actor.sort();
    Ok(figures)
}

#[cfg(test)]
mod tests {
    use super::FIGURES_POSTGRES;

    #[test]
    fn the_figures_computed_from_the_log_are_the_materialized_views_own_select() {
        let migration = include_str!("../../../../migrations/postgres/0009_statistics.sql");
        let view = format!("CREATE MATERIALIZED VIEW task_statistics AS\n{FIGURES_POSTGRES};\n");
        assert!(
            migration.contains(&view),
            "migration 0009 and FIGURES_POSTGRES differ"
        );
    }
}
