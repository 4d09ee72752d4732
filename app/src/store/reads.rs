//! The SQL of every read, written once for both backends. Each list that grows with the data
//! is read a page at a time (keyset pagination, see `crate::task::paging`): the statement orders by an
//! index's exact key, ends in a unique tie-breaker, and continues after the previous page's last
//! key with one row comparison, so every page is an index seek plus `PAGE_SIZE + 1` rows. The
//! statements are built with only the conditions a request uses (no `$1 IS NULL OR …`, which
//! would keep PostgreSQL from planning for the actual values).

use chrono::{DateTime, Utc};

use super::backend::{BackendKind, PerBackend};
use super::row::{PREVIOUS_COLUMNS, VERSION_COLUMNS};
use super::statement::{Bind, Statement};
use crate::task::idempotency::IdempotencyKey;
use crate::task::paging::{TimeCursor, NO_DUE_DATE, PAGE_SIZE};
use crate::task::{EntityId, FeedQuery, TaskFilter, TaskSort};

/// A task's latest version, through the read model.
pub(crate) fn latest(entity_id: EntityId) -> Statement {
    latest_selecting(entity_id, "")
}

/// The task's latest version with `also` (more columns, each after a comma) beside its own.
pub(crate) fn latest_selecting(entity_id: EntityId, also: &str) -> Statement {
    Statement::with(
        format!(
            "SELECT {VERSION_COLUMNS}{also} FROM task_current c JOIN task_versions v \
             ON v.id = c.version_id WHERE c.entity_id = $1"
        ),
        [Bind::Id(entity_id.as_uuid())],
    )
}

/// One version of a task.
pub(crate) fn version(entity_id: EntityId, version: i64) -> Statement {
    Statement::with(
        format!(
            "SELECT {VERSION_COLUMNS} FROM task_versions v WHERE v.entity_id = $1 AND v.version = $2"
        ),
        [Bind::Id(entity_id.as_uuid()), Bind::int(version)],
    )
}

/// The version at one position of the log.
pub(crate) fn at_position(position: i64) -> Statement {
    Statement::with(
        format!("SELECT {VERSION_COLUMNS} FROM task_versions v WHERE v.position = $1"),
        [Bind::int(position)],
    )
}

/// Every version of one task, oldest first.
pub(crate) fn whole_history(entity_id: EntityId) -> Statement {
    Statement::with(
        format!(
            "SELECT {VERSION_COLUMNS} FROM task_versions v WHERE v.entity_id = $1 ORDER BY v.version"
        ),
        [Bind::Id(entity_id.as_uuid())],
    )
}

/// The version an earlier submission with `key` appended.
pub(crate) fn version_for_key(key: IdempotencyKey) -> Statement {
    Statement::with(
        format!(
            "SELECT {VERSION_COLUMNS} FROM idempotency_keys k JOIN task_versions v \
             ON v.id = k.version_id WHERE k.key = $1"
        ),
        [Bind::Id(key.as_uuid())],
    )
}

/// One page of the change feed, newest first, each version with the fields it replaced; one
/// row more than asked for, to learn whether an older page exists.
pub(crate) fn feed(query: &FeedQuery) -> Statement {
    let mut statement = Statement::new(format!(
        "SELECT {VERSION_COLUMNS}, {PREVIOUS_COLUMNS} FROM task_versions v \
         LEFT JOIN task_versions p ON p.entity_id = v.entity_id AND p.version = v.version - 1 \
         WHERE TRUE"
    ));
    if let Some(after) = query.after {
        statement.push(" AND v.position > ?", [Bind::int(after)]);
    }
    if let Some(before) = query.before {
        statement.push(" AND v.position < ?", [Bind::int(before)]);
    }
    if let Some(op) = query.op {
        statement.push(" AND v.op = ?", [Bind::text(op.as_str())]);
    }
    if let Some(actor) = &query.actor {
        statement.push(" AND v.actor = ?", [Bind::text(actor.as_str())]);
    }
    if let Some(since) = query.since {
        statement.push(" AND v.recorded_at >= ?", [Bind::instant(since)]);
    }
    statement.push(
        " ORDER BY v.position DESC LIMIT ?",
        [Bind::int(i64::from(query.limit) + 1)],
    );
    statement
}

/// The newest position in the log, 0 while it is empty (an index lookup, not a scan).
pub(crate) const HEAD: &str = "SELECT COALESCE(MAX(position), 0) FROM task_versions";

/// A statement of whole numbers only, such as the log's positions.
pub(crate) fn numbers(sql: &str, binds: &[i64]) -> Statement {
    Statement::with(sql, binds.iter().map(|number| Bind::int(*number)))
}

/// Tasks without a due date sort after every dated one: the same stand-in as the index in
/// migration 0004, written exactly as the index's expression so the planner can use it.
const DUE_KEY: PerBackend<&str> = PerBackend {
    postgres: "COALESCE(c.due_date, DATE '9999-12-31')",
    sqlite: "COALESCE(c.due_date, '9999-12-31')",
};

/// Titles containing the search text. PostgreSQL matches case-insensitively with ILIKE; SQLite
/// asks its trigram index, which only serves strings of three characters or more, and reads the
/// titles for shorter ones.
fn push_search(
    statement: &mut Statement,
    kind: BackendKind,
    search: &crate::task::paging::TitleSearch,
) {
    let trigram = kind == BackendKind::Sqlite && search.as_str().chars().count() >= 3;
    if trigram {
        let phrase = format!("\"{}\"", search.as_str().replace('"', "\"\""));
        statement.push(
            " AND c.rowid IN (SELECT rowid FROM task_title_search WHERE title MATCH ?)",
            [Bind::text(phrase)],
        );
    } else {
        let like = PerBackend {
            postgres: " AND c.title ILIKE ?",
            sqlite: " AND c.title LIKE ? ESCAPE '\\'",
        };
        statement.push(like.on(kind), [Bind::text(search.like_pattern())]);
    }
}

/// One page of the live list, from the read model, joined to each row's version.
pub(crate) fn live(kind: BackendKind, filter: &TaskFilter) -> Statement {
    let mut statement = Statement::new(format!(
        "SELECT {} FROM task_current c JOIN task_versions v ON v.id = c.version_id \
         WHERE c.deleted_at IS NULL",
        VERSION_COLUMNS
    ));
    if let Some(status) = filter.status {
        statement.push(" AND c.status = ?", [Bind::text(status.as_str())]);
    }
    if let Some(search) = &filter.search {
        push_search(&mut statement, kind, search);
    }
    if let Some(after) = &filter.after {
        let id = Bind::Id(after.entity_id.as_uuid());
        let changed = Bind::instant(after.changed_at);
        match filter.sort {
            TaskSort::RecentlyChanged => {
                statement.push(" AND (c.changed_at, c.entity_id) < (?, ?)", [changed, id]);
            }
            TaskSort::Priority => {
                let priority = Bind::int(i64::from(after.priority));
                statement.push(
                    " AND (c.priority, c.changed_at, c.entity_id) < (?, ?, ?)",
                    [priority, changed, id],
                );
            }
            TaskSort::DueDate => {
                let due = Bind::date(after.due_date.unwrap_or(NO_DUE_DATE));
                statement.push(
                    &format!(" AND ({}, c.entity_id) > (?, ?)", DUE_KEY.on(kind)),
                    [due, id],
                );
            }
        }
    }
    let order = match filter.sort {
        TaskSort::RecentlyChanged => "c.changed_at DESC, c.entity_id DESC".to_owned(),
        TaskSort::Priority => "c.priority DESC, c.changed_at DESC, c.entity_id DESC".to_owned(),
        TaskSort::DueDate => format!("{} ASC, c.entity_id ASC", DUE_KEY.on(kind)),
    };
    statement.push(&format!(" ORDER BY {order}"), []);
    statement.limit_page();
    statement
}

/// One page of the deleted tasks, most recently deleted first.
pub(crate) fn deleted(after: Option<TimeCursor>) -> Statement {
    let mut statement = Statement::new(format!(
        "SELECT {} FROM task_current c JOIN task_versions v ON v.id = c.version_id \
         WHERE c.deleted_at IS NOT NULL",
        VERSION_COLUMNS
    ));
    if let Some(after) = after {
        statement.push(
            " AND (c.deleted_at, c.position) < (?, ?)",
            [Bind::instant(after.at), Bind::int(after.position)],
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
pub(crate) fn as_of(at: DateTime<Utc>, after: Option<TimeCursor>) -> Statement {
    let mut statement = Statement::new(format!(
        "SELECT {} FROM task_versions v WHERE",
        VERSION_COLUMNS
    ));
    match after {
        None => statement.push(" v.recorded_at <= ?", [Bind::instant(at)]),
        Some(after) => statement.push(
            " v.recorded_at <= ? AND (v.recorded_at, v.position) < (?, ?)",
            [
                Bind::instant(at),
                Bind::instant(after.at),
                Bind::int(after.position),
            ],
        ),
    };
    statement.push(
        " AND NOT EXISTS (SELECT 1 FROM task_versions n \
           WHERE n.entity_id = v.entity_id AND n.version = v.version + 1 AND n.recorded_at <= ?) \
         ORDER BY v.recorded_at DESC, v.position DESC",
        [Bind::instant(at)],
    );
    statement.limit_page();
    statement
}

/// One page of the board as it was at valid time `valid_at`, as the log knew it at `known_at`
/// (earlier than `known_at`; at or after it, that board is `as_of(known_at)`, since nothing
/// recorded by then held from later than its recording). For each task: the newest version
/// recorded by `known_at` that held from `valid_at` or before, most recently valid first.
///
/// Candidates come from two index walks, each a page long: the versions that held from their
/// recording, down the recorded-time index from `valid_at`, and the back-dated ones, down their
/// partial index, only as far as the first walk's last key (anything older could not make the
/// page). A candidate is replaced by a later version of its task only if that version was known
/// by `known_at` and held by `valid_at`: its direct successor (probed by UNIQUE (entity_id,
/// version)), or a back-dated one (any later version that held from earlier than its
/// predecessor did must be back-dated; probed by their partial index).
pub(crate) fn bitemporal(
    valid_at: DateTime<Utc>,
    known_at: DateTime<Utc>,
    after: Option<TimeCursor>,
) -> Statement {
    let valid = || Bind::instant(valid_at);
    let known = || Bind::instant(known_at);
    let page = PAGE_SIZE + 1;
    let replaced = |statement: &mut Statement| {
        statement.push(
            " AND NOT EXISTS (SELECT 1 FROM task_versions n \
               WHERE n.entity_id = v.entity_id AND n.version = v.version + 1 \
                 AND n.recorded_at <= ? AND COALESCE(n.valid_from, n.recorded_at) <= ?) \
             AND NOT EXISTS (SELECT 1 FROM task_versions n \
               WHERE n.valid_from < n.recorded_at AND n.entity_id = v.entity_id \
                 AND n.version > v.version AND n.recorded_at <= ? AND n.valid_from <= ?)",
            [known(), valid(), known(), valid()],
        );
    };
    let after_key = |statement: &mut Statement, key: &str| {
        if let Some(after) = &after {
            statement.push(
                &format!(" AND ({key}, v.position) < (?, ?)"),
                [Bind::instant(after.at), Bind::int(after.position)],
            );
        }
    };
    let mut statement = Statement::new(format!(
        "WITH recorded AS MATERIALIZED (SELECT {VERSION_COLUMNS}, v.recorded_at AS valid_key \
         FROM task_versions v \
         WHERE (v.valid_from IS NULL OR v.valid_from >= v.recorded_at) AND v.recorded_at <= "
    ));
    statement.push("?", [valid()]);
    after_key(&mut statement, "v.recorded_at");
    replaced(&mut statement);
    statement.push(
        &format!(
            " ORDER BY v.recorded_at DESC, v.position DESC LIMIT {page}) \
             SELECT b.* FROM (SELECT * FROM recorded UNION ALL \
             SELECT * FROM (SELECT {VERSION_COLUMNS}, v.valid_from AS valid_key \
             FROM task_versions v WHERE v.valid_from < v.recorded_at AND v.valid_from <= ? \
             AND v.recorded_at <= ? AND v.valid_from >= COALESCE((SELECT min(valid_key) \
             FROM recorded HAVING count(*) = {page}), ?)"
        ),
        [valid(), known(), Bind::instant(earliest())],
    );
    after_key(&mut statement, "v.valid_from");
    replaced(&mut statement);
    statement.push(
        &format!(
            " ORDER BY v.valid_from DESC, v.position DESC LIMIT {page}) backdated) b \
             ORDER BY b.valid_key DESC, b.position DESC LIMIT {page}"
        ),
        [],
    );
    statement
}

/// Year 1, the earliest instant either database holds that a person can name: below every
/// stated time.
fn earliest() -> DateTime<Utc> {
    DateTime::from_timestamp(-62_135_596_800, 0).expect("year 1 is an instant")
}

/// For each of `entity_ids`, its newest version recorded by `at`: what the log said then.
pub(crate) fn known_then(entity_ids: &[EntityId], at: DateTime<Utc>) -> Statement {
    let mut statement = Statement::new("WITH asked(entity_id) AS (VALUES ");
    for (index, entity_id) in entity_ids.iter().enumerate() {
        let separator = if index == 0 { "(?)" } else { ", (?)" };
        statement.push(separator, [Bind::Id(entity_id.as_uuid())]);
    }
    statement.push(
        &format!(
            ") SELECT {VERSION_COLUMNS} FROM task_versions v WHERE v.id IN \
             (SELECT (SELECT n.id FROM task_versions n WHERE n.entity_id = asked.entity_id \
                AND n.recorded_at <= ? ORDER BY n.recorded_at DESC, n.version DESC LIMIT 1) \
              FROM asked)"
        ),
        [Bind::instant(at)],
    );
    statement
}

/// Versions of one task from `through` down, newest first: a page and the version before it
/// (which the oldest row on the page is compared with, and which says an older page exists).
pub(crate) fn history(entity_id: EntityId, through: i64) -> Statement {
    let mut statement = Statement::new(format!(
        "SELECT {} FROM task_versions v WHERE",
        VERSION_COLUMNS
    ));
    statement.push(
        " v.entity_id = ? AND v.version <= ? ORDER BY v.version DESC",
        [Bind::Id(entity_id.as_uuid()), Bind::int(through)],
    );
    statement.limit_page();
    statement
}

/// Where an instant sits among all changes, from indexes only: the last change at or before it,
/// the first after it, and the newest position.
pub(crate) fn timeline(at: DateTime<Utc>) -> Statement {
    let mut statement = Statement::new("SELECT ");
    statement.push(
        "COALESCE((SELECT position FROM task_versions WHERE recorded_at <= ? \
                   ORDER BY recorded_at DESC, position DESC LIMIT 1), 0), \
         (SELECT position FROM task_versions WHERE recorded_at > ? \
          ORDER BY recorded_at ASC, position ASC LIMIT 1), \
         COALESCE((SELECT max(position) FROM task_versions), 0)",
        [Bind::instant(at), Bind::instant(at)],
    );
    statement
}

/// When the change at `position` was recorded (or the last one before it, if that position was
/// never committed: PostgreSQL's identity skips the numbers of rolled-back appends).
pub(crate) fn position_instant(position: i64) -> Statement {
    let mut statement = Statement::new("SELECT recorded_at FROM task_versions");
    statement.push(
        " WHERE position <= ? ORDER BY position DESC LIMIT 1",
        [Bind::int(position)],
    );
    statement
}

/// When the first change was recorded.
pub(crate) fn first_instant() -> Statement {
    Statement::new(
        "SELECT recorded_at FROM task_versions ORDER BY recorded_at ASC, position ASC LIMIT 1",
    )
}
