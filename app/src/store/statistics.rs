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

use chrono::{DateTime, Days, NaiveDate, Utc};

use super::recorded::Recorder;
use super::replay::HEAD;
use super::{sqlite, Backend, BackendKind, Store, StoreError};
use crate::learn::{
    ComputedStatistics, RefreshTrigger, Statistics, StatisticsRefresh, StatisticsReport,
    STATISTICS_DAYS,
};
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

/// SQLite's stand-in for a refresh: empty the table and fill it again, in one transaction.
const CLEAR_TABLE: &str = "DELETE FROM task_statistics";

const RECORD_REFRESH: &str = "INSERT INTO statistics_refreshes (head, elapsed_ms, triggered_by) \
     VALUES ($1, $2, $3) RETURNING refreshed_at";

const LAST_REFRESH: &str = "SELECT refreshed_at, head, elapsed_ms, triggered_by \
     FROM statistics_refreshes ORDER BY id DESC LIMIT 1";

fn figures_sql(kind: BackendKind) -> &'static str {
    match kind {
        BackendKind::Postgres => FIGURES_POSTGRES,
        BackendKind::Sqlite => FIGURES_SQLITE,
    }
}

fn fill_table() -> String {
    format!("INSERT INTO task_statistics (kind, key, value)\n{FIGURES_SQLITE}")
}

/// The figures computed from the log on the spot, filtered like the stored ones.
fn compute_from_log(kind: BackendKind) -> String {
    format!(
        "SELECT kind, key, value FROM (\n{}\n) AS figures WHERE kind <> 'day' OR key >= $1",
        figures_sql(kind)
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
        let mut run = Recorder::default();
        let since = Utc::now()
            .date_naive()
            .checked_sub_days(Days::new(STATISTICS_DAYS as u64 - 1))
            .unwrap_or(NaiveDate::MIN);
        let since_text = since.format("%Y-%m-%d").to_string();

        let mut last_refresh = self.last_refresh(&mut run).await?;
        let mut head = self.head(&mut run).await?;
        let trigger = if request.refresh {
            Some(RefreshTrigger::OnDemand)
        } else {
            let behind = head - last_refresh.as_ref().map_or(0, |refresh| refresh.head);
            (last_refresh.is_none() || behind >= request.refresh_every)
                .then_some(RefreshTrigger::Automatic)
        };
        if let Some(trigger) = trigger {
            let refresh = self.refresh_statistics(trigger, &mut run).await?;
            // Changes appended since the head was read are in the refreshed figures already.
            head = head.max(refresh.head);
            last_refresh = Some(refresh);
        }

        let started = Instant::now();
        let rows = self.figure_rows(READ_STORED, &since_text).await?;
        let read_ms = started.elapsed().as_secs_f64() * 1000.0;
        run.ran(
            READ_STORED,
            std::slice::from_ref(&since_text),
            Some(rows.len() as u64),
        );
        let figures = statistics(rows)?;

        let from_log = if request.compare {
            let sql = compute_from_log(self.kind());
            let started = Instant::now();
            let rows = self.figure_rows(&sql, &since_text).await?;
            let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
            run.ran(&sql, &[since_text], Some(rows.len() as u64));
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
            head,
            refresh_every: request.refresh_every,
            statements: run.0,
        })
    }

    /// Recomputes the stored figures from the log and records the refresh, in one transaction.
    /// The head is read first: on PostgreSQL the REFRESH statement takes a later snapshot, so the
    /// figures hold at least the changes up to it (and perhaps a few more that committed in
    /// between); SQLite's write lock, taken by BEGIN IMMEDIATE, lets nothing in between.
    async fn refresh_statistics(
        &self,
        trigger: RefreshTrigger,
        run: &mut Recorder,
    ) -> Result<StatisticsRefresh, StoreError> {
        let started = Instant::now();
        let (refreshed_at, head, elapsed_ms) = match &self.backend {
            Backend::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                run.ran("BEGIN", &[], None);
                let head: i64 = sqlx::query_scalar(HEAD).fetch_one(&mut *tx).await?;
                run.ran(HEAD, &[], Some(1));
                sqlx::query(REFRESH_VIEW).execute(&mut *tx).await?;
                run.ran(REFRESH_VIEW, &[], None);
                let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
                let refreshed_at: DateTime<Utc> = sqlx::query_scalar(RECORD_REFRESH)
                    .bind(head)
                    .bind(elapsed_ms)
                    .bind(trigger.as_str())
                    .fetch_one(&mut *tx)
                    .await?;
                run.ran(
                    RECORD_REFRESH,
                    &record_binds(head, elapsed_ms, trigger),
                    Some(1),
                );
                tx.commit().await?;
                (refreshed_at, head, elapsed_ms)
            }
            Backend::Sqlite(pool) => {
                let mut tx = sqlite::begin_immediate(pool).await?;
                run.ran("BEGIN IMMEDIATE", &[], None);
                let head: i64 = sqlx::query_scalar(HEAD).fetch_one(&mut *tx).await?;
                run.ran(HEAD, &[], Some(1));
                let cleared = sqlx::query(CLEAR_TABLE).execute(&mut *tx).await?;
                run.ran(CLEAR_TABLE, &[], Some(cleared.rows_affected()));
                let fill = fill_table();
                let filled = sqlx::query(&fill).execute(&mut *tx).await?;
                run.ran(&fill, &[], Some(filled.rows_affected()));
                let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
                let refreshed_at: String = sqlx::query_scalar(RECORD_REFRESH)
                    .bind(head)
                    .bind(elapsed_ms)
                    .bind(trigger.as_str())
                    .fetch_one(&mut *tx)
                    .await?;
                run.ran(
                    RECORD_REFRESH,
                    &record_binds(head, elapsed_ms, trigger),
                    Some(1),
                );
                tx.commit().await?;
                (sqlite_instant(&refreshed_at)?, head, elapsed_ms)
            }
        };
        run.ran("COMMIT", &[], None);
        Ok(StatisticsRefresh {
            refreshed_at,
            head,
            elapsed_ms,
            trigger,
        })
    }

    async fn last_refresh(
        &self,
        run: &mut Recorder,
    ) -> Result<Option<StatisticsRefresh>, StoreError> {
        let row = match &self.backend {
            Backend::Postgres(pool) => {
                sqlx::query_as::<_, (DateTime<Utc>, i64, f64, String)>(LAST_REFRESH)
                    .fetch_optional(pool)
                    .await?
            }
            Backend::Sqlite(pool) => {
                match sqlx::query_as::<_, (String, i64, f64, String)>(LAST_REFRESH)
                    .fetch_optional(pool)
                    .await?
                {
                    Some((at, head, elapsed_ms, trigger)) => {
                        Some((sqlite_instant(&at)?, head, elapsed_ms, trigger))
                    }
                    None => None,
                }
            }
        };
        run.ran(LAST_REFRESH, &[], Some(u64::from(row.is_some())));
        row.map(|(refreshed_at, head, elapsed_ms, trigger)| {
            Ok(StatisticsRefresh {
                refreshed_at,
                head,
                elapsed_ms,
                trigger: RefreshTrigger::parse(&trigger)
                    .ok_or_else(|| undecodable(format!("unknown refresh trigger {trigger:?}")))?,
            })
        })
        .transpose()
    }

    async fn head(&self, run: &mut Recorder) -> Result<i64, StoreError> {
        let head = match &self.backend {
            Backend::Postgres(pool) => sqlx::query_scalar(HEAD).fetch_one(pool).await?,
            Backend::Sqlite(pool) => sqlx::query_scalar(HEAD).fetch_one(pool).await?,
        };
        run.ran(HEAD, &[], Some(1));
        Ok(head)
    }

    async fn figure_rows(&self, sql: &str, since: &str) -> Result<Vec<FigureRow>, StoreError> {
        Ok(match &self.backend {
            Backend::Postgres(pool) => sqlx::query_as(sql).bind(since).fetch_all(pool).await?,
            Backend::Sqlite(pool) => sqlx::query_as(sql).bind(since).fetch_all(pool).await?,
        })
    }
}

fn record_binds(head: i64, elapsed_ms: f64, trigger: RefreshTrigger) -> Vec<String> {
    vec![
        head.to_string(),
        format!("{elapsed_ms:.3}"),
        trigger.as_str().to_owned(),
    ]
}

/// SQLite keeps instants as UTC text (see sqlite.rs).
fn sqlite_instant(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|error| undecodable(format!("instant {text:?}: {error}")))
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
        let migration = include_str!("../../../migrations/postgres/0009_statistics.sql");
        let view = format!("CREATE MATERIALIZED VIEW task_statistics AS\n{FIGURES_POSTGRES};\n");
        assert!(
            migration.contains(&view),
            "migration 0009 and FIGURES_POSTGRES differ"
        );
    }
}
