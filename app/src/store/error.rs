//! What can go wrong in the store, in domain terms. Database errors that correspond to a named
//! rule (a CHECK constraint, the version-sequence trigger, the unique version key) are turned into
//! domain errors here, in one place; anything else stays an opaque `Database` error.

use crate::task::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("invalid input: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    #[error("no task has this id")]
    NotFound,
    #[error("the task is deleted (version {version}); restore it first")]
    Deleted { version: i64 },
    #[error("the task is not deleted, so there is nothing to restore")]
    NotDeleted,
    #[error("someone else saved version {current_version} first")]
    Conflict { current_version: i64 },
    #[error("nothing changed, so no new version was written")]
    NoChanges,
    #[error("the task has no version {0}")]
    NoSuchVersion(i64),
    #[error("cannot revert: {0}")]
    InvalidRevert(String),
    #[error("a submission with this key is still being written")]
    SubmissionInProgress,
    #[error("the database is unreachable: {0}")]
    Unavailable(#[source] sqlx::Error),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

/// CHECK constraints named in the migrations, and the form field each one guards.
const FIELD_CONSTRAINTS: [(&str, &str, &str); 12] = [
    (
        "title_length",
        "title",
        "must be 1 to 200 characters without surrounding spaces",
    ),
    (
        "description_length",
        "description",
        "must be at most 10000 characters",
    ),
    (
        "status_known",
        "status",
        "must be one of todo, in_progress, done, cancelled",
    ),
    (
        "priority_range",
        "priority",
        "must be a whole number from 0 to 5",
    ),
    (
        "due_date_format",
        "due_date",
        "must be a date written as YYYY-MM-DD",
    ),
    ("actor_length", "actor", "must be 1 to 100 characters"),
    ("note_length", "note", "must be at most 1000 characters"),
    (
        "title_plain",
        "title",
        "must not contain control characters or line breaks",
    ),
    (
        "actor_plain",
        "actor",
        "must not contain control characters or line breaks",
    ),
    (
        "description_plain",
        "description",
        "must not contain control characters",
    ),
    ("note_plain", "note", "must not contain control characters"),
    (
        "valid_from_stated",
        "valid_from",
        "must be stated, and not after the moment the change is recorded",
    ),
];

/// Rules that only a concurrent writer can break once the store's own checks passed.
const CONCURRENCY_RULES: [&str; 2] = ["task_versions_entity_version_key", "version_sequence"];

impl StoreError {
    /// Names the rule a database error broke. PostgreSQL reports the constraint name; SQLite
    /// only puts it in the message, so both are searched.
    fn broken_rule(error: &sqlx::Error) -> Option<String> {
        let db = error.as_database_error()?;
        if let Some(name) = db.constraint() {
            return Some(name.to_owned());
        }
        let message = db.message();
        if message.contains("task_versions.entity_id, task_versions.version") {
            return Some("task_versions_entity_version_key".to_owned());
        }
        FIELD_CONSTRAINTS
            .iter()
            .map(|(name, _, _)| *name)
            .chain(CONCURRENCY_RULES)
            .find(|name| message.contains(name))
            .map(str::to_owned)
    }

    /// Interprets an error from inserting version `version`.
    pub(super) fn from_insert(error: sqlx::Error, version: i64) -> Self {
        let Some(rule) = Self::broken_rule(&error) else {
            return Self::Database(error);
        };
        if CONCURRENCY_RULES.contains(&rule.as_str()) {
            // Another writer appended `version` between our read and our insert.
            return Self::Conflict {
                current_version: version,
            };
        }
        match FIELD_CONSTRAINTS.iter().find(|(name, _, _)| *name == rule) {
            Some((_, field, message)) => Self::Invalid(vec![FieldError::new(field, *message)]),
            None => Self::Database(error),
        }
    }
}

impl StoreError {
    /// Whether this is the record of submissions refusing a key it already holds.
    pub(super) fn is_repeated_key(&self) -> bool {
        matches!(self, Self::Database(error) if error.as_database_error().is_some_and(|db| {
            db.constraint() == Some("idempotency_keys_pkey")
                || db.message().contains("idempotency_keys.key")
        }))
    }
}

impl From<sqlx::Error> for StoreError {
    /// No connection to be had, or the one in use broke: the database is away, not wrong, and
    /// asking again later may succeed.
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_) => Self::Unavailable(error),
            error => Self::Database(error),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        Self::Database(error.into())
    }
}
