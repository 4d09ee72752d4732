//! A statement and its values, in the store's own terms: every query the store sends is one of
//! these, so the SQL reads the same on both backends (numbered `$n` placeholders, which SQLite
//! binds by number too) and the seam in `backend` is the only code that turns a value into a
//! column type. A recorded statement shows its values from here, formatted only when recorded.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::lessons::ExecutedStatement;
use crate::task::paging::PAGE_SIZE;

/// A value to bind. Optional values carry their type, because PostgreSQL needs to know the type
/// of a NULL it is sent.
#[derive(Clone, Debug)]
pub(crate) enum Bind {
    Text(Option<String>),
    Int(Option<i64>),
    SmallInt(i16),
    Float(f64),
    Instant(Option<DateTime<Utc>>),
    Date(Option<NaiveDate>),
    Id(Uuid),
}

impl Bind {
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(Some(text.into()))
    }

    pub fn int(number: i64) -> Self {
        Self::Int(Some(number))
    }

    pub fn instant(at: DateTime<Utc>) -> Self {
        Self::Instant(Some(at))
    }

    pub fn date(date: NaiveDate) -> Self {
        Self::Date(Some(date))
    }

    /// The value as a page shows it beside the SQL.
    fn shown(&self) -> String {
        fn or_null<T>(value: &Option<T>, show: impl Fn(&T) -> String) -> String {
            value.as_ref().map_or_else(|| "NULL".to_owned(), show)
        }
        match self {
            Bind::Text(text) => or_null(text, Clone::clone),
            Bind::Int(number) => or_null(number, i64::to_string),
            Bind::SmallInt(number) => number.to_string(),
            Bind::Float(number) => format!("{number:.3}"),
            Bind::Instant(at) => or_null(at, DateTime::to_rfc3339),
            Bind::Date(date) => or_null(date, NaiveDate::to_string),
            Bind::Id(id) => id.to_string(),
        }
    }
}

/// A statement and the values for its numbered placeholders, in order.
#[derive(Clone, Debug)]
pub(crate) struct Statement {
    pub sql: String,
    pub binds: Vec<Bind>,
}

impl Statement {
    pub fn new(sql: impl Into<String>) -> Self {
        Self {
            sql: sql.into(),
            binds: Vec::new(),
        }
    }

    /// A statement already written with `$n` placeholders, and its values in that order.
    pub fn with(sql: impl Into<String>, binds: impl IntoIterator<Item = Bind>) -> Self {
        Self {
            sql: sql.into(),
            binds: binds.into_iter().collect(),
        }
    }

    /// Appends `text`, replacing each `?` in it by the next numbered placeholder for `binds`.
    pub fn push(&mut self, text: &str, binds: impl IntoIterator<Item = Bind>) -> &mut Self {
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

    /// Written into the statement, not bound: PostgreSQL plans a statement with a bound LIMIT
    /// again at every execution (its generic plan must guess the limit and comes out dearer), and
    /// the page size never changes.
    pub fn limit_page(&mut self) -> &mut Self {
        self.push(&format!(" LIMIT {}", PAGE_SIZE + 1), [])
    }

    /// The statement as it ran, for a page that shows the SQL behind a demonstration.
    pub fn executed(&self, rows: Option<u64>) -> ExecutedStatement {
        ExecutedStatement {
            sql: self.sql.clone(),
            binds: self.binds.iter().map(Bind::shown).collect(),
            rows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut statement = Statement::new("SELECT 1 WHERE");
        statement
            .push(" a = ? AND b = ?", [Bind::int(1), Bind::int(2)])
            .push(" AND c = ?", [Bind::int(3)]);
        assert_eq!(statement.sql, "SELECT 1 WHERE a = $1 AND b = $2 AND c = $3");
        assert_eq!(statement.binds.len(), 3);
    }

    #[test]
    fn a_missing_value_is_shown_as_null() {
        let statement = Statement::with("SELECT $1, $2", [Bind::Text(None), Bind::int(7)]);
        assert_eq!(statement.executed(Some(1)).binds, ["NULL", "7"]);
    }
}
