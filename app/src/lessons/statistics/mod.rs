//! Materialized views: the board's statistics read from a stored result (a materialized view on
//! PostgreSQL, a table the store rebuilds on SQLite), how stale it is, and what reading it costs
//! next to computing the same figures from the log.

mod page;
#[cfg(feature = "ssr")]
mod sql;

use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub use page::StatisticsPage;
#[cfg(feature = "ssr")]
pub use sql::StatisticsRequest;

use super::ExecutedStatement;
use crate::error::AppError;
use crate::task::Status;

/// Materialized views, shown: the board's statistics read from a stored result (a materialized
/// view on PostgreSQL, a table the store rebuilds on SQLite), how stale it is, and what reading
/// it costs next to computing the same figures from the log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatisticsReport {
    /// PostgreSQL: a materialized view; SQLite, which has none: a table rebuilt by the store.
    pub materialized_view: bool,
    /// The figures as stored at the last refresh; changes per day from `since` on.
    pub figures: Statistics,
    pub since: NaiveDate,
    /// How long reading the stored figures took.
    pub read_ms: f64,
    /// The same figures computed from the log now, when the page asked for the comparison.
    pub from_log: Option<ComputedStatistics>,
    /// The newest refresh (the one this request made, if it made one).
    pub last_refresh: Option<StatisticsRefresh>,
    /// Whether this request refreshed: on demand, or the first time figures were asked for.
    pub refreshed_now: bool,
    /// The figures were `refresh_every` changes or more behind, so a refresh is under way in
    /// the background (started by this request or an earlier one); these are the old figures.
    pub refreshing: bool,
    /// The log's newest position when the figures were read.
    pub head: i64,
    /// The figures refresh by themselves once they are this many changes behind the log.
    pub refresh_every: i64,
    pub statements: Vec<ExecutedStatement>,
}

impl StatisticsReport {
    /// How many changes the log has gained since the figures were computed.
    pub fn changes_behind(&self) -> i64 {
        self.head - self.last_refresh.as_ref().map_or(0, |refresh| refresh.head)
    }
}

/// The four figures of the board.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Statistics {
    /// Live tasks (not deleted) per status, in `Status::ALL` order; statuses with none left out.
    pub by_status: Vec<(Status, u64)>,
    /// Changes per UTC day, oldest first; days without changes left out.
    pub by_day: Vec<(NaiveDate, u64)>,
    /// Changes per person, in name order.
    pub by_actor: Vec<(String, u64)>,
    /// The median time from a task's creation to its first version marked done; `None` while
    /// no task has been done.
    pub median_seconds_to_done: Option<f64>,
}

/// Figures computed from the log on the spot, and how long that took.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComputedStatistics {
    pub figures: Statistics,
    pub elapsed_ms: f64,
}

/// One refresh of the stored figures, as the record of refreshes holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatisticsRefresh {
    pub refreshed_at: DateTime<Utc>,
    /// The log's newest position the refresh saw: the figures are the log up to here.
    pub head: i64,
    pub elapsed_ms: f64,
    pub trigger: RefreshTrigger,
}

/// What asked for a refresh.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RefreshTrigger {
    /// Someone pressed the page's refresh button.
    OnDemand,
    /// No figures were stored yet, or a page view found them `refresh_every` changes or more
    /// behind the log and refreshed them in the background.
    Automatic,
}

impl RefreshTrigger {
    pub fn as_str(self) -> &'static str {
        match self {
            RefreshTrigger::OnDemand => "on_demand",
            RefreshTrigger::Automatic => "automatic",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [RefreshTrigger::OnDemand, RefreshTrigger::Automatic]
            .into_iter()
            .find(|trigger| trigger.as_str() == raw)
    }
}

/// How many changes the stored statistics may fall behind the log before a page view starts a
/// refresh in the background: at a million versions a refresh takes seconds, so not on every
/// view, and a hundred changes hardly move a board's figures.
pub const STATISTICS_REFRESH_EVERY: i64 = 100;

/// How many days of changes the statistics page charts, today included.
pub const STATISTICS_DAYS: i64 = 30;

/// The board's statistics from the materialized view (SQLite: the table the store rebuilds),
/// refreshed first when `refresh` is set, and in the background when they are
/// `STATISTICS_REFRESH_EVERY` changes behind the log; with `compare` set, also computed from the log to show what the view saves.
#[server(endpoint = "board_statistics")]
pub async fn board_statistics(
    #[server(default)] refresh: bool,
    #[server(default)] compare: bool,
) -> Result<StatisticsReport, AppError> {
    let request = StatisticsRequest {
        refresh,
        compare,
        refresh_every: STATISTICS_REFRESH_EVERY,
    };
    Ok(crate::server_fns::context::store()?
        .statistics(request)
        .await?)
}
