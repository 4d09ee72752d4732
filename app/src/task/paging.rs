//! Keyset pagination, shared by the server and the browser. A page does not say "skip the first
//! 500 rows" (which costs reading them); it says "the rows that sort after this key", where the
//! key is the sort key of the last row of the page before. An index that holds the list's order
//! seeks straight to it, so the thousandth page costs what the first does, and a row written
//! meanwhile cannot shift the pages after it. The keys travel in URLs (`?after=`) as readable
//! text, so a page is a link.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::task::{EntityId, FieldError, Status, TaskFilter, TaskSort, TaskVersion};

/// Rows on one page of any list that grows with the data.
pub const PAGE_SIZE: usize = 50;

/// Where tasks without a due date sort in the due-date order: after every real date.
pub const NO_DUE_DATE: NaiveDate = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(date) => date,
    None => panic!("9999-12-31 is a date"),
};

/// One page of a list and the key the next page starts after (`None` on the last page).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T, C> {
    pub rows: Vec<T>,
    pub next: Option<C>,
}

impl<C> Page<TaskVersion, C> {
    /// Builds a page from up to `PAGE_SIZE + 1` rows read in list order: the extra row only
    /// says that another page exists, and the next page starts after the last row kept.
    pub fn from_rows(mut rows: Vec<TaskVersion>, key: impl Fn(&TaskVersion) -> C) -> Self {
        let next = if rows.len() > PAGE_SIZE {
            rows.truncate(PAGE_SIZE);
            rows.last().map(key)
        } else {
            None
        };
        Self { rows, next }
    }
}

/// What every cursor says when it cannot be read: it only ever comes from a page link.
fn bad_cursor() -> FieldError {
    FieldError::new("after", "must be the value from a “next page” link")
}

/// Instants in cursors keep the microseconds both databases store, so no row is skipped.
fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Reads an instant exactly as `instant` writes it (`2026-01-31T09:05:00.000123Z`): cursors only
/// come from links this app wrote, and reading that one form keeps chrono's general parsers out
/// of the browser bundle.
fn parse_instant(raw: &str) -> Result<DateTime<Utc>, FieldError> {
    let (date, time) = raw.split_once('T').ok_or_else(bad_cursor)?;
    let time = time.strip_suffix('Z').ok_or_else(bad_cursor)?;
    let (clock, micros) = time.split_once('.').ok_or_else(bad_cursor)?;
    let [hour, minute, second] = fields(clock, ':', [2, 2, 2])?;
    parse_date(date)?
        .and_hms_micro_opt(hour, minute, second, digits(micros, 6)?)
        .map(|at| at.and_utc())
        .ok_or_else(bad_cursor)
}

/// Reads a date as cursors write it, `YYYY-MM-DD`.
fn parse_date(raw: &str) -> Result<NaiveDate, FieldError> {
    let [year, month, day] = fields(raw, '-', [4, 2, 2])?;
    NaiveDate::from_ymd_opt(year as i32, month, day).ok_or_else(bad_cursor)
}

/// Splits `raw` at `separator` into numbers of exactly the given numbers of digits.
fn fields<const N: usize>(
    raw: &str,
    separator: char,
    widths: [usize; N],
) -> Result<[u32; N], FieldError> {
    let mut parts = raw.split(separator);
    let mut numbers = [0; N];
    for (number, width) in numbers.iter_mut().zip(widths) {
        *number = digits(parts.next().ok_or_else(bad_cursor)?, width)?;
    }
    match parts.next() {
        Some(_) => Err(bad_cursor()),
        None => Ok(numbers),
    }
}

/// A number written with exactly `width` ASCII digits.
fn digits(raw: &str, width: usize) -> Result<u32, FieldError> {
    match raw.len() == width && raw.bytes().all(|byte| byte.is_ascii_digit()) {
        true => raw.parse().map_err(|_| bad_cursor()),
        false => Err(bad_cursor()),
    }
}

/// Splits a cursor into exactly `N` parts separated by `~`.
fn parts<const N: usize>(raw: &str) -> Result<[&str; N], FieldError> {
    let parts: Vec<&str> = raw.trim().split('~').collect();
    parts.try_into().map_err(|_| bad_cursor())
}

/// The sort key of a row of the live list. It holds the key of every sort, so one cursor type
/// serves them all; each sort reads the parts it orders by, ending in the task's id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListCursor {
    pub changed_at: DateTime<Utc>,
    pub priority: u8,
    pub due_date: Option<NaiveDate>,
    pub entity_id: EntityId,
}

impl ListCursor {
    pub fn of(task: &TaskVersion) -> Self {
        Self {
            changed_at: task.recorded_at,
            priority: task.fields.priority.value(),
            due_date: task.fields.due_date,
            entity_id: task.entity_id,
        }
    }
}

impl ListCursor {
    /// How two rows compare in a sort's list order (`Less`: `self` is listed first). The same
    /// order as the store's `ORDER BY`, so a page patched in the browser matches the page the
    /// database would return.
    pub fn list_order(&self, other: &Self, sort: TaskSort) -> Ordering {
        match sort {
            TaskSort::RecentlyChanged => {
                (other.changed_at, other.entity_id).cmp(&(self.changed_at, self.entity_id))
            }
            TaskSort::Priority => (other.priority, other.changed_at, other.entity_id).cmp(&(
                self.priority,
                self.changed_at,
                self.entity_id,
            )),
            TaskSort::DueDate => (self.due_date.unwrap_or(NO_DUE_DATE), self.entity_id)
                .cmp(&(other.due_date.unwrap_or(NO_DUE_DATE), other.entity_id)),
        }
    }
}

/// What a live change did to a page of the current list it was applied to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Patch {
    /// The change does not touch this page.
    Unchanged,
    /// The page now shows what the database would return for it.
    Applied,
    /// The page cannot be completed from the change alone (a row left it and the next page must
    /// fill the gap, or a title search decides membership): read it again.
    Refetch,
}

/// What the live list knows of a row it shows, or of a task's latest version: enough to decide
/// whether the task belongs on a page and where. The browser reads it from the rows' attributes,
/// so the rows themselves can be drawn by the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedRow {
    pub entity_id: EntityId,
    pub version: i64,
    /// `None` for a tombstone, which no page of current tasks lists.
    pub status: Option<Status>,
    pub cursor: ListCursor,
}

impl ListedRow {
    pub fn of(task: &TaskVersion) -> Self {
        Self {
            entity_id: task.entity_id,
            version: task.version,
            status: (!task.is_tombstone()).then_some(task.fields.status),
            cursor: ListCursor::of(task),
        }
    }
}

/// Applies the latest version of a task to one page of the current list (`rows` in list
/// order, `next` the key the next page starts after). The page covers the keys after
/// `filter.after` up to `next`; the task leaves it, moves within it, or enters it.
pub fn patch_live_page(
    filter: &TaskFilter,
    rows: &mut Vec<ListedRow>,
    next: &mut Option<String>,
    latest: &ListedRow,
) -> Patch {
    let shown = rows
        .iter()
        .position(|row| row.entity_id == latest.entity_id);
    if shown.is_some_and(|index| rows[index].version >= latest.version) {
        return Patch::Unchanged;
    }
    // The database decides what a search matches (ILIKE, FTS5 trigrams); the browser does not
    // imitate it.
    if filter.search.is_some() {
        return Patch::Refetch;
    }
    let key = &latest.cursor;
    let sort = filter.sort;
    let next_key = match next.as_deref().map(ListCursor::from_str) {
        Some(Ok(key)) => Some(key),
        Some(Err(_)) => return Patch::Refetch,
        None => None,
    };
    let belongs = latest
        .status
        .is_some_and(|status| filter.status.is_none_or(|wanted| wanted == status))
        && filter
            .after
            .as_ref()
            .is_none_or(|after| after.list_order(key, sort) == Ordering::Less)
        && next_key
            .as_ref()
            .is_none_or(|last| key.list_order(last, sort) != Ordering::Greater);
    if let Some(index) = shown {
        rows.remove(index);
    }
    if belongs {
        let at = rows.partition_point(|row| row.cursor.list_order(key, sort) == Ordering::Less);
        rows.insert(at, latest.clone());
        // A page that overflows hands its last row to the next page; a page that already had
        // a next page keeps ending at its last row, whose key may have just changed.
        if rows.len() > PAGE_SIZE || next.is_some() {
            rows.truncate(PAGE_SIZE);
            *next = rows.last().map(|row| row.cursor.to_string());
        }
        Patch::Applied
    } else if shown.is_none() {
        Patch::Unchanged
    } else if next.is_some() {
        Patch::Refetch
    } else {
        Patch::Applied
    }
}

impl fmt::Display for ListCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let due = self
            .due_date
            .map(|date| date.to_string())
            .unwrap_or_default();
        write!(
            f,
            "{}~{}~{due}~{}",
            instant(self.changed_at),
            self.priority,
            self.entity_id
        )
    }
}

impl FromStr for ListCursor {
    type Err = FieldError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let [changed_at, priority, due, entity_id] = parts(raw)?;
        Ok(Self {
            changed_at: parse_instant(changed_at)?,
            priority: priority.parse().map_err(|_| bad_cursor())?,
            due_date: match due {
                "" => None,
                date => Some(parse_date(date)?),
            },
            entity_id: entity_id.parse().map_err(|_| bad_cursor())?,
        })
    }
}

/// The sort key of a row of a list ordered by an instant, newest first, with a unique number
/// breaking ties: the deleted list (deleted at, by position of the tombstone) and the board of a
/// past moment (recorded at, by position).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeCursor {
    pub at: DateTime<Utc>,
    pub position: i64,
}

impl TimeCursor {
    /// The key of a version in the deleted list or a past board: when it was recorded.
    pub fn of(version: &TaskVersion) -> Self {
        Self {
            at: version.recorded_at,
            position: version.position,
        }
    }

    /// The key of a version on a board at a valid time: since when it held.
    pub fn valid_of(version: &TaskVersion) -> Self {
        Self {
            at: version.valid_since(),
            position: version.position,
        }
    }
}

impl fmt::Display for TimeCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}~{}", instant(self.at), self.position)
    }
}

impl FromStr for TimeCursor {
    type Err = FieldError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let [at, position] = parts(raw)?;
        Ok(Self {
            at: parse_instant(at)?,
            position: position.parse().map_err(|_| bad_cursor())?,
        })
    }
}

/// Words to look for in current tasks' titles (`?q=`): any part of a title, ignoring case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TitleSearch(String);

impl TitleSearch {
    /// Blank means no search. Longer than a title can be, or with control characters, is an
    /// error: no title could match it.
    pub fn parse(raw: &str) -> Result<Option<Self>, FieldError> {
        let text = raw.trim();
        if text.is_empty() {
            return Ok(None);
        }
        if text.chars().count() > 200 || text.chars().any(char::is_control) {
            return Err(FieldError::new(
                "q",
                "must be at most 200 characters of plain text (part of a title)",
            ));
        }
        Ok(Some(Self(text.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text as a LIKE pattern matching it anywhere, with LIKE's own wildcards (and the
    /// escape character) taken literally.
    pub fn like_pattern(&self) -> String {
        let mut pattern = String::from("%");
        for c in self.0.chars() {
            if matches!(c, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        pattern
    }
}

/// A link to `path` with the non-blank `params` in its query string, each value escaped.
pub fn link(path: &str, params: &[(&str, &str)]) -> String {
    let query: Vec<String> = params
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("{name}={}", escape(value)))
        .collect();
    match query.is_empty() {
        true => path.to_owned(),
        false => format!("{path}?{}", query.join("&")),
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn escape(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (byte as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back_what_they_wrote() {
        let cursor = ListCursor {
            changed_at: DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap(),
            priority: 4,
            due_date: NaiveDate::from_ymd_opt(2026, 2, 28),
            entity_id: "0190b9a0-0000-7000-8000-000000000001".parse().unwrap(),
        };
        assert_eq!(cursor.to_string().parse::<ListCursor>().unwrap(), cursor);
        let undated = ListCursor {
            due_date: None,
            ..cursor
        };
        assert_eq!(undated.to_string().parse::<ListCursor>().unwrap(), undated);
        let time = TimeCursor {
            at: DateTime::from_timestamp_micros(1_700_000_000_000_001).unwrap(),
            position: 42,
        };
        assert_eq!(time.to_string().parse::<TimeCursor>().unwrap(), time);
    }

    #[test]
    fn a_damaged_cursor_is_a_field_error() {
        for raw in [
            "",
            "x",
            "2026-01-01T00:00:00Z~1",
            "a~b~c~d",
            "2026-01-01T00:00:00Z~x",
            "2026-01-01T00:00:00.000000Z~1~2026-1-01~0190b9a0-0000-7000-8000-000000000001",
            "2026-02-30T00:00:00.000000Z~1~~0190b9a0-0000-7000-8000-000000000001",
            "2026-01-01T24:00:00.000000Z~1~~0190b9a0-0000-7000-8000-000000000001",
            "2026-01-01T00:00:00.00000Z~1~~0190b9a0-0000-7000-8000-000000000001",
            "+2026-01-01T00:00:00.000000Z~1~~0190b9a0-0000-7000-8000-000000000001",
        ] {
            assert_eq!(raw.parse::<ListCursor>().unwrap_err().field, "after");
        }
        assert!("2026-01-01T00:00:00Z".parse::<TimeCursor>().is_err());
    }

    #[test]
    fn links_escape_their_values_and_drop_blank_ones() {
        assert_eq!(
            link(
                "/tasks",
                &[
                    ("q", "a&b c"),
                    ("status", ""),
                    ("after", "2026-01-01T00:00:00Z~1")
                ]
            ),
            "/tasks?q=a%26b%20c&after=2026-01-01T00%3A00%3A00Z~1"
        );
        assert_eq!(link("/tasks", &[("q", "")]), "/tasks");
    }

    #[test]
    fn a_search_takes_wildcards_literally() {
        let search = TitleSearch::parse("  50%_off\\ ").unwrap().unwrap();
        assert_eq!(search.like_pattern(), "%50\\%\\_off\\\\%");
        assert_eq!(TitleSearch::parse(" ").unwrap(), None);
        assert!(TitleSearch::parse("a\u{1}b").is_err());
    }
}
