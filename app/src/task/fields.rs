//! The newtypes of a task's editable fields and of who changed it and why: raw form input is
//! parsed into them once, and every value they hold obeys its rule.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::Status;
use crate::task::idempotency::IdempotencyKey;

pub const TITLE_MAX_CHARS: usize = 200;
pub const DESCRIPTION_MAX_CHARS: usize = 10_000;
pub const ACTOR_MAX_CHARS: usize = 100;
pub const NOTE_MAX_CHARS: usize = 1_000;
pub const PRIORITY_MAX: u8 = 5;
pub const DEFAULT_ACTOR: &str = "anonymous";

/// Whether a text field may span lines (keeps newline, carriage return and tab) or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lines {
    One,
    Many,
}

/// The one text rule every free-text field and filter shares, on both databases: no control
/// characters. They are invisible on screen, break headers and logs, and PostgreSQL cannot store
/// NUL at all, so letting them through made the backends disagree. Multi-line text keeps the
/// line breaks and tabs a textarea sends. The schema checks the same rule (migration 0003).
fn plain_text(field: &str, text: &str, lines: Lines) -> Result<(), FieldError> {
    let allowed = |c: char| lines == Lines::Many && matches!(c, '\n' | '\r' | '\t');
    match text.chars().find(|c| c.is_control() && !allowed(*c)) {
        None => Ok(()),
        Some(found) => Err(FieldError::new(
            field,
            format!(
                "must not contain control characters{} (found U+{:04X})",
                match lines {
                    Lines::One => " or line breaks",
                    Lines::Many => "",
                },
                u32::from(found)
            ),
        )),
    }
}

/// A task title: trimmed, 1 to 200 characters, one line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskTitle(String);

impl TaskTitle {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let title = raw.trim();
        if title.is_empty() {
            return Err(FieldError::new("title", "is required"));
        }
        if title.chars().count() > TITLE_MAX_CHARS {
            return Err(FieldError::new(
                "title",
                format!("must be at most {TITLE_MAX_CHARS} characters"),
            ));
        }
        plain_text("title", title, Lines::One)?;
        Ok(Self(title.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An optional description of at most 10,000 characters; blank input means "no description".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Description(String);

impl Description {
    pub fn parse(raw: &str) -> Result<Option<Self>, FieldError> {
        let text = raw.trim();
        if text.is_empty() {
            return Ok(None);
        }
        if text.chars().count() > DESCRIPTION_MAX_CHARS {
            return Err(FieldError::new(
                "description",
                format!("must be at most {DESCRIPTION_MAX_CHARS} characters"),
            ));
        }
        plain_text("description", text, Lines::Many)?;
        Ok(Some(Self(text.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Priority from 0 (none) to 5 (highest).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Priority(u8);

impl Priority {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(Self(0));
        }
        raw.parse::<i64>()
            .ok()
            .and_then(|value| Self::try_from(value).ok())
            .ok_or_else(Self::out_of_range)
    }

    pub fn value(self) -> u8 {
        self.0
    }

    fn out_of_range() -> FieldError {
        FieldError::new(
            "priority",
            format!("must be a whole number from 0 to {PRIORITY_MAX}"),
        )
    }
}

impl TryFrom<i64> for Priority {
    type Error = FieldError;

    fn try_from(value: i64) -> Result<Self, Self::Error> {
        u8::try_from(value)
            .ok()
            .filter(|value| *value <= PRIORITY_MAX)
            .map(Self)
            .ok_or_else(Self::out_of_range)
    }
}

/// Who made a change: one line of 1 to 100 characters, "anonymous" when left blank.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor(String);

impl Actor {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let name = raw.trim();
        if name.is_empty() {
            return Ok(Self::anonymous());
        }
        if name.chars().count() > ACTOR_MAX_CHARS {
            return Err(FieldError::new(
                "actor",
                format!("must be at most {ACTOR_MAX_CHARS} characters"),
            ));
        }
        plain_text("actor", name, Lines::One)?;
        Ok(Self(name.to_owned()))
    }

    pub fn anonymous() -> Self {
        Self(DEFAULT_ACTOR.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An optional reason for a change, at most 1,000 characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note(String);

impl Note {
    pub fn parse(raw: &str) -> Result<Option<Self>, FieldError> {
        let text = raw.trim();
        if text.is_empty() {
            return Ok(None);
        }
        if text.chars().count() > NOTE_MAX_CHARS {
            return Err(FieldError::new(
                "note",
                format!("must be at most {NOTE_MAX_CHARS} characters"),
            ));
        }
        plain_text("note", text, Lines::Many)?;
        Ok(Some(Self(text.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Text read back from the log. Every version was parsed on its way in, and the database holds
/// stored text to the same rules (length, no control characters, no leading or trailing spaces:
/// CHECK constraints in migrations 0001 and 0003; only other Unicode whitespace at the ends,
/// which no write path can store, escapes them), so reading does not parse it again: a page of
/// fifty versions would re-check some fifty thousand characters to learn nothing new.
macro_rules! stored_text {
    ($($name:ident),+) => {$(
        #[cfg(feature = "ssr")]
        impl $name {
            pub(crate) fn stored(text: String) -> Self {
                Self(text)
            }
        }
    )+};
}

stored_text!(TaskTitle, Description, Actor, Note);

fn parse_due_date(raw: &str) -> Result<Option<NaiveDate>, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    use chrono::Datelike;

    // Four-digit years only: both databases hold them alike (chrono would also read "+10000").
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .filter(|date| (1..=9999).contains(&date.year()))
        .map(Some)
        .ok_or_else(|| FieldError::new("due_date", "must be a date written as YYYY-MM-DD"))
}

/// One rule a field broke, named so a form can show it next to the input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.field, self.message)
    }
}

/// The editable fields of a task exactly as a form submits them: untrusted text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskInput {
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub priority: String,
    #[serde(default)]
    pub due_date: String,
}

/// The editable fields of a task after parsing: every value obeys its rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskFields {
    pub title: TaskTitle,
    pub description: Option<Description>,
    pub status: Status,
    pub priority: Priority,
    pub due_date: Option<NaiveDate>,
}

impl TaskFields {
    /// Parses every field and reports every broken rule at once, so a form can mark them all.
    pub fn parse(input: &TaskInput) -> Result<Self, Vec<FieldError>> {
        let status = if input.status.trim().is_empty() {
            Ok(Status::Todo)
        } else {
            input.status.parse()
        };
        match (
            TaskTitle::parse(&input.title),
            Description::parse(&input.description),
            status,
            Priority::parse(&input.priority),
            parse_due_date(&input.due_date),
        ) {
            (Ok(title), Ok(description), Ok(status), Ok(priority), Ok(due_date)) => Ok(Self {
                title,
                description,
                status,
                priority,
                due_date,
            }),
            (title, description, status, priority, due_date) => Err([
                title.err(),
                description.err(),
                status.err(),
                priority.err(),
                due_date.err(),
            ]
            .into_iter()
            .flatten()
            .collect()),
        }
    }
}

/// The field a change's valid time travels in: its name at both doors and in their errors.
pub const VALID_FROM: &str = "valid_from";

/// Who made a change and why, recorded on every version; since when it holds; and the key of the
/// form it came from, recorded beside it so a repeat of the same submission appends nothing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeMeta {
    pub actor: Actor,
    pub note: Option<Note>,
    pub idempotency_key: Option<IdempotencyKey>,
    /// Since when the change holds in the world, if earlier than its recording; `None` is "now".
    pub valid_from: Option<DateTime<Utc>>,
}

impl ChangeMeta {
    pub fn parse(actor: &str, note: &str) -> Result<Self, Vec<FieldError>> {
        match (Actor::parse(actor), Note::parse(note)) {
            (Ok(actor), Ok(note)) => Ok(Self {
                actor,
                note,
                idempotency_key: None,
                valid_from: None,
            }),
            (actor, note) => Err([actor.err(), note.err()].into_iter().flatten().collect()),
        }
    }

    pub fn anonymous() -> Self {
        Self {
            actor: Actor::anonymous(),
            note: None,
            idempotency_key: None,
            valid_from: None,
        }
    }

    pub fn with_idempotency_key(self, idempotency_key: Option<IdempotencyKey>) -> Self {
        Self {
            idempotency_key,
            ..self
        }
    }

    pub fn with_valid_from(self, valid_from: Option<DateTime<Utc>>) -> Self {
        Self { valid_from, ..self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::{EntityId, Op, TaskSort};

    fn input(title: &str) -> TaskInput {
        TaskInput {
            title: title.to_owned(),
            ..TaskInput::default()
        }
    }

    #[test]
    fn a_title_is_trimmed_and_must_not_be_blank() {
        assert_eq!(
            TaskTitle::parse("  Buy milk ").unwrap().as_str(),
            "Buy milk"
        );
        assert_eq!(TaskTitle::parse("   ").unwrap_err().field, "title");
    }

    #[test]
    fn a_title_may_have_200_characters_but_not_201() {
        assert!(TaskTitle::parse(&"é".repeat(200)).is_ok());
        assert_eq!(
            TaskTitle::parse(&"é".repeat(201)).unwrap_err().message,
            "must be at most 200 characters"
        );
    }

    #[test]
    fn priority_accepts_0_to_5_only() {
        assert_eq!(Priority::parse("5").unwrap().value(), 5);
        assert_eq!(Priority::parse("").unwrap().value(), 0);
        for bad in ["6", "-1", "2.5", "high"] {
            assert_eq!(Priority::parse(bad).unwrap_err().field, "priority", "{bad}");
        }
    }

    #[test]
    fn every_broken_field_is_reported_at_once() {
        let errors = TaskFields::parse(&TaskInput {
            title: String::new(),
            description: "x".repeat(DESCRIPTION_MAX_CHARS + 1),
            status: "later".into(),
            priority: "9".into(),
            due_date: "31/12/2026".into(),
        })
        .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["title", "description", "status", "priority", "due_date"]
        );
    }

    #[test]
    fn blank_optional_fields_take_their_defaults() {
        let fields = TaskFields::parse(&input("Write slides")).unwrap();
        assert_eq!(fields.status, Status::Todo);
        assert_eq!(fields.priority.value(), 0);
        assert_eq!(fields.description, None);
        assert_eq!(fields.due_date, None);
        assert_eq!(ChangeMeta::parse(" ", "").unwrap(), ChangeMeta::anonymous());
    }

    #[test]
    fn control_characters_are_refused_and_line_breaks_only_where_text_spans_lines() {
        let title = TaskTitle::parse("a\u{0}b").unwrap_err();
        assert_eq!(title.field, "title");
        assert!(title.message.contains("U+0000"), "{title}");
        assert!(TaskTitle::parse("two\nlines").is_err());
        assert!(Actor::parse("ada\tl").is_err());
        assert!(Actor::parse("ada\u{9b}").is_err(), "C1 controls too");
        assert!(Description::parse("line one\r\n\tline two").is_ok());
        assert!(Description::parse("bell\u{7}").is_err());
        assert!(Note::parse("why:\nbecause").is_ok());
        assert!(Note::parse("esc\u{1b}[31m").is_err());
        assert!(TaskTitle::parse("Ünïcödé — “fine” 🎉").is_ok());
    }

    proptest::proptest! {
        /// Any text at all gives each parser a value that keeps its rule, or an error that names
        /// the parser's own field; never a panic.
        #[test]
        fn every_parser_answers_any_text_with_a_lawful_value_or_its_own_field_error(
            raw in proptest::prop_oneof![
                "(?s).{0,260}",
                "[ a-z\t\n\r\u{0}\u{1b}\u{7f}\u{85}\u{9b}\u{a0}é😀%<>'\"-]{0,40}",
            ],
        ) {
            let plain = |text: &str, lines: Lines| plain_text("any", text, lines).is_ok();
            match TaskTitle::parse(&raw) {
                Ok(title) => proptest::prop_assert!(
                    title.as_str() == title.as_str().trim()
                        && (1..=TITLE_MAX_CHARS).contains(&title.as_str().chars().count())
                        && plain(title.as_str(), Lines::One)
                ),
                Err(error) => proptest::prop_assert_eq!(error.field, "title"),
            }
            match Description::parse(&raw) {
                Ok(Some(text)) => proptest::prop_assert!(
                    text.as_str().chars().count() <= DESCRIPTION_MAX_CHARS && plain(text.as_str(), Lines::Many)
                ),
                Ok(None) => proptest::prop_assert!(raw.trim().is_empty()),
                Err(error) => proptest::prop_assert_eq!(error.field, "description"),
            }
            match Actor::parse(&raw) {
                Ok(actor) => proptest::prop_assert!(
                    (1..=ACTOR_MAX_CHARS).contains(&actor.as_str().chars().count())
                        && plain(actor.as_str(), Lines::One)
                ),
                Err(error) => proptest::prop_assert_eq!(error.field, "actor"),
            }
            match Note::parse(&raw) {
                Ok(note) => proptest::prop_assert!(note.is_none_or(|note| plain(note.as_str(), Lines::Many))),
                Err(error) => proptest::prop_assert_eq!(error.field, "note"),
            }
            if let Err(error) = Priority::parse(&raw) {
                proptest::prop_assert_eq!(error.field, "priority");
            }
            if let Err(error) = parse_due_date(&raw) {
                proptest::prop_assert_eq!(error.field, "due_date");
            }
            for (field, error) in [
                ("status", raw.parse::<Status>().err()),
                ("op", raw.parse::<Op>().err()),
                ("sort", raw.parse::<TaskSort>().err()),
                ("entity_id", raw.parse::<EntityId>().err()),
            ] {
                if let Some(error) = error {
                    proptest::prop_assert_eq!(error.field, field);
                }
            }
        }
    }

    #[test]
    fn a_malformed_entity_id_is_a_field_error_not_a_panic() {
        assert_eq!(
            "not-a-uuid".parse::<EntityId>().unwrap_err().field,
            "entity_id"
        );
    }
}
