//! The SQL of every list that grows with the data, written once for both backends. Each list is
//! read a page at a time (keyset pagination, see `crate::paging`): the statement orders by an
//! index's exact key, ends in a unique tie-breaker, and continues after the previous page's last
//! key with one row comparison, so every page is an index seek plus `PAGE_SIZE + 1` rows. The
//! statements are built with only the conditions a request uses (no `$1 IS NULL OR …`, which
//! would keep PostgreSQL from planning for the actual values); each backend binds the values in
//! its own column types.

use chrono::{DateTime, NaiveDate, Utc};

use super::{version_columns, BackendKind};
use crate::learn::ExecutedStatement;
use crate::paging::{TimeCursor, NO_DUE_DATE, PAGE_SIZE};
use crate::task::{EntityId, TaskFilter, TaskSort};

/// A value to bind, in the store's terms; each backend turns it into its own column type.
#[derive(Clone, Debug)]
pub(super) enum Bind {
    Text(String),
    Instant(DateTime<Utc>),
    Id(EntityId),
    Int(i64),
    Date(NaiveDate),
}

/// A statement and the values for its numbered placeholders, in order.
#[derive(Debug)]
pub(super) struct Statement {
    pub sql: String,
    pub binds: Vec<Bind>,
}

impl Statement {
    pub(super) fn new(sql: impl Into<String>) -> Self {
        Self {
            sql: sql.into(),
            binds: Vec::new(),
        }
    }

    /// Appends `text`, replacing each `?` in it by the next numbered placeholder for `binds`.
    pub(super) fn push(&mut self, text: &str, binds: impl IntoIterator<Item = Bind>) -> &mut Self {
        let mut binds = binds.into_iter();
        for piece in text.split_inclusive('?') {
            match piece.strip_suffix('?') {
                Some(before) => {
                    self.binds
                        .push(binds.next().expect("one value per placeholder"));
                    self.sql.push_str(before);
                    self.sql.push_str(&format!("${}", self.binds.len()));
                }
                None => self.sql.push_str(piece),
            }
        }
        assert!(binds.next().is_none(), "one placeholder per value");
        self
    }

    pub(super) fn limit_page(&mut self) -> &mut Self {
        self.push(" LIMIT ?", [Bind::Int(PAGE_SIZE as i64 + 1)])
    }
}

impl Statement {
    /// The statement as it ran, for a page that shows the SQL behind a demonstration.
    pub(super) fn executed(&self, rows: usize) -> ExecutedStatement {
        ExecutedStatement {
            sql: self.sql.clone(),
            binds: self
                .binds
                .iter()
                .map(|bind| match bind {
                    Bind::Text(text) => text.clone(),
                    Bind::Instant(at) => at.to_rfc3339(),
                    Bind::Id(id) => id.to_string(),
                    Bind::Int(number) => number.to_string(),
                    Bind::Date(date) => date.to_string(),
                })
                .collect(),
            rows: Some(rows as u64),
        }
    }
}

/// Tasks without a due date sort after every dated one: the same stand-in as the index in
/// migration 0004, written exactly as the index's expression so the planner can use it.
fn due_key(kind: BackendKind) -> &'static str {
    match kind {
        BackendKind::Postgres => "COALESCE(c.due_date, DATE '9999-12-31')",
        BackendKind::Sqlite => "COALESCE(c.due_date, '9999-12-31')",
    }
}

/// One page of the live list, from the read model, joined to each row's version.
pub(super) fn live(kind: BackendKind, filter: &TaskFilter) -> Statement {
    let mut statement = Statement::new(format!(
        "SELECT {} FROM task_current c JOIN task_versions v ON v.id = c.version_id \
         WHERE c.deleted_at IS NULL",
        version_columns!()
    ));
    if let Some(status) = filter.status {
        statement.push(
            " AND c.status = ?",
            [Bind::Text(status.as_str().to_owned())],
        );
    }
    if let Some(search) = &filter.search {
        match kind {
            BackendKind::Postgres => {
                statement.push(" AND c.title ILIKE ?", [Bind::Text(search.like_pattern())]);
            }
            // The trigram index only serves strings of three characters or more; shorter ones
            // are matched by reading the titles.
            BackendKind::Sqlite if search.as_str().chars().count() >= 3 => {
                let phrase = format!("\"{}\"", search.as_str().replace('"', "\"\""));
                statement.push(
                    " AND c.rowid IN (SELECT rowid FROM task_title_search WHERE title MATCH ?)",
                    [Bind::Text(phrase)],
                );
            }
            BackendKind::Sqlite => {
                statement.push(
                    " AND c.title LIKE ? ESCAPE '\\'",
                    [Bind::Text(search.like_pattern())],
                );
            }
        }
    }
    if let Some(after) = &filter.after {
        let id = Bind::Id(after.entity_id);
        let changed = Bind::Instant(after.changed_at);
        match filter.sort {
            TaskSort::RecentlyChanged => {
                statement.push(" AND (c.changed_at, c.entity_id) < (?, ?)", [changed, id]);
            }
            TaskSort::Priority => {
                let priority = Bind::Int(i64::from(after.priority));
                statement.push(
                    " AND (c.priority, c.changed_at, c.entity_id) < (?, ?, ?)",
                    [priority, changed, id],
                );
            }
            TaskSort::DueDate => {
                let due = Bind::Date(after.due_date.unwrap_or(NO_DUE_DATE));
                statement.push(
                    &format!(" AND ({}, c.entity_id) > (?, ?)", due_key(kind)),
                    [due, id],
                );
            }
        }
    }
    let order = match filter.sort {
        TaskSort::RecentlyChanged => "c.changed_at DESC, c.entity_id DESC".to_owned(),
        TaskSort::Priority => "c.priority DESC, c.changed_at DESC, c.entity_id DESC".to_owned(),
        TaskSort::DueDate => format!("{} ASC, c.entity_id ASC", due_key(kind)),
    };
    statement.push(&format!(" ORDER BY {order}"), []);
    statement.limit_page();
    statement
}

/// One page of the deleted tasks, most recently deleted first.
pub(super) fn deleted(after: Option<TimeCursor>) -> Statement {
    let mut statement = Statement::new(format!(
        "SELECT {} FROM task_current c JOIN task_versions v ON v.id = c.version_id \
         WHERE c.deleted_at IS NOT NULL",
        version_columns!()
    ));
    if let Some(after) = after {
        statement.push(
            " AND (c.deleted_at, c.position) < (?, ?)",
            [Bind::Instant(after.at), Bind::Int(after.position)],
        );
    }
    statement.push(" ORDER BY c.deleted_at DESC, c.position DESC", []);
    statement.limit_page();
    statement
}

/// One page of the board as it stood at `at`, most recently changed first, deleted tasks
/// included. A version belongs to that board when it was recorded by `at` and its successor (if
/// any) was not: the walk goes down the `(recorded_at, position)` index from `at` and checks each
/// version's successor through UNIQUE (entity_id, version), so a page reads about a page of
/// versions instead of every version before `at`.
pub(super) fn as_of(at: DateTime<Utc>, after: Option<TimeCursor>) -> Statement {
    let mut statement = Statement::new(format!(
        "SELECT {} FROM task_versions v WHERE",
        version_columns!()
    ));
    match after {
        None => statement.push(" v.recorded_at <= ?", [Bind::Instant(at)]),
        Some(after) => statement.push(
            " v.recorded_at <= ? AND (v.recorded_at, v.position) < (?, ?)",
            [
                Bind::Instant(at),
                Bind::Instant(after.at),
                Bind::Int(after.position),
            ],
        ),
    };
    statement.push(
        " AND NOT EXISTS (SELECT 1 FROM task_versions n \
           WHERE n.entity_id = v.entity_id AND n.version = v.version + 1 AND n.recorded_at <= ?) \
         ORDER BY v.recorded_at DESC, v.position DESC",
        [Bind::Instant(at)],
    );
    statement.limit_page();
    statement
}

/// Versions of one task from `through` down, newest first: a page and the version before it
/// (which the oldest row on the page is compared with, and which says an older page exists).
pub(super) fn history(entity_id: EntityId, through: i64) -> Statement {
    let mut statement = Statement::new(format!(
        "SELECT {} FROM task_versions v WHERE",
        version_columns!()
    ));
    statement.push(
        " v.entity_id = ? AND v.version <= ? ORDER BY v.version DESC",
        [Bind::Id(entity_id), Bind::Int(through)],
    );
    statement.limit_page();
    statement
}

/// Where an instant sits among all changes, from indexes only: the last change at or before it,
/// the first after it, and the newest position.
pub(super) fn timeline(at: DateTime<Utc>) -> Statement {
    let mut statement = Statement::new("SELECT ");
    statement.push(
        "COALESCE((SELECT position FROM task_versions WHERE recorded_at <= ? \
                   ORDER BY recorded_at DESC, position DESC LIMIT 1), 0), \
         (SELECT position FROM task_versions WHERE recorded_at > ? \
          ORDER BY recorded_at ASC, position ASC LIMIT 1), \
         COALESCE((SELECT max(position) FROM task_versions), 0)",
        [Bind::Instant(at), Bind::Instant(at)],
    );
    statement
}

/// When the change at `position` was recorded (or the last one before it, if that position was
/// never committed: PostgreSQL's identity skips the numbers of rolled-back appends).
pub(super) fn position_instant(position: i64) -> Statement {
    let mut statement = Statement::new("SELECT recorded_at FROM task_versions");
    statement.push(
        " WHERE position <= ? ORDER BY position DESC LIMIT 1",
        [Bind::Int(position)],
    );
    statement
}

/// When the first change was recorded.
pub(super) fn first_instant() -> Statement {
    Statement::new(
        "SELECT recorded_at FROM task_versions ORDER BY recorded_at ASC, position ASC LIMIT 1",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut statement = Statement::new("SELECT 1 WHERE");
        statement
            .push(" a = ? AND b = ?", [Bind::Int(1), Bind::Int(2)])
            .push(" AND c = ?", [Bind::Int(3)]);
        assert_eq!(statement.sql, "SELECT 1 WHERE a = $1 AND b = $2 AND c = $3");
        assert_eq!(statement.binds.len(), 3);
    }
}
