//! What the task resources read and write as JSON and query strings, as the OpenAPI document
//! describes them. Bodies are turned into the app's commands here, with nothing looked up.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use app::command::{parse_sent_valid_from, FieldsPatch, PatchMeta};
use app::task::idempotency::IdempotencyKey;
use app::task::TaskInput;

use crate::api_v1::problem::ChangedField;
use crate::api_v1::representation::Task;

/// A task's editable fields, as `POST` and `PUT` send them; the same rules as the forms.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskDraft {
    /// One line, not blank; surrounding spaces are trimmed.
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    #[schema(max_length = 10000)]
    pub description: Option<String>,
    /// `todo` (the default, also when blank), `in_progress` or `done`.
    #[schema(pattern = "^(todo|in_progress|done)?$")]
    pub status: Option<String>,
    #[schema(minimum = 0, maximum = 5)]
    pub priority: Option<i64>,
    /// `YYYY-MM-DD`; blank for none.
    #[schema(pattern = "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$")]
    pub due_date: Option<String>,
    /// Who makes the change (default `anonymous`).
    #[schema(max_length = 100)]
    pub actor: Option<String>,
    /// Why, kept with the version.
    #[schema(max_length = 1000)]
    pub note: Option<String>,
    /// Since when the change holds in the world (RFC 3339), if earlier than now: a late arrival
    /// or a correction of the past. Not in the future, not before the task existed.
    #[schema(format = DateTime)]
    pub valid_from: Option<String>,
}

impl TaskDraft {
    /// The fields as a form would post them: what the forms' parsing reads.
    pub fn input(&self) -> TaskInput {
        TaskInput {
            title: self.title.clone(),
            description: self.description.clone().unwrap_or_default(),
            status: self.status.clone().unwrap_or_default(),
            priority: self.priority.map(|p| p.to_string()).unwrap_or_default(),
            due_date: self.due_date.clone().unwrap_or_default(),
        }
    }
}

/// A JSON merge patch (RFC 7386) of a task: the fields named are replaced, `null` clears an
/// optional one, the rest are kept.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskPatch {
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 10000)]
    pub description: Option<Option<String>>,
    #[schema(pattern = "^(todo|in_progress|done)?$")]
    pub status: Option<String>,
    #[schema(minimum = 0, maximum = 5)]
    pub priority: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, pattern = "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$")]
    pub due_date: Option<Option<String>>,
    #[schema(max_length = 100)]
    pub actor: Option<String>,
    #[schema(max_length = 1000)]
    pub note: Option<String>,
    /// Since when the change holds in the world (RFC 3339), if earlier than now.
    #[schema(format = DateTime)]
    pub valid_from: Option<String>,
}

impl TaskPatch {
    /// The fields it names, and who makes the change, why and since when.
    pub fn into_parts(self, idempotency_key: Option<IdempotencyKey>) -> (FieldsPatch, PatchMeta) {
        let fields = FieldsPatch {
            title: self.title,
            description: self.description,
            status: self.status,
            priority: self.priority,
            due_date: self.due_date,
        };
        let meta = PatchMeta {
            actor: self.actor.unwrap_or_default(),
            note: self.note.unwrap_or_default(),
            valid_from: parse_sent_valid_from(self.valid_from.as_deref()),
            idempotency_key,
        };
        (fields, meta)
    }
}

/// Tells a field sent as `null` (`Some(None)`) from one left out (`None`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Who makes a change and why, for the writes that carry no fields.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeNote {
    pub actor: Option<String>,
    pub note: Option<String>,
}

/// `POST /tasks/{id}/revert`: the version whose fields the new version copies.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevertTo {
    #[schema(minimum = 1)]
    pub version: i64,
    pub actor: Option<String>,
    pub note: Option<String>,
}

/// One page of tasks, and where the next one starts.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskPage {
    pub tasks: Vec<Task>,
    /// The next page's URL; absent on the last page.
    pub next: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only tasks with this status.
    pub status: Option<String>,
    /// `recent` (default), `priority` or `due`.
    pub sort: Option<String>,
    /// Part of a title, in any case.
    pub q: Option<String>,
    /// The cursor from the previous page's `next`.
    pub after: Option<String>,
    /// The board as it was at this instant (RFC 3339), tombstones included.
    pub as_of: Option<String>,
    /// With `valid_at`, the recorded time the board is read as of (RFC 3339; default now):
    /// `as_of` by another name.
    pub known_at: Option<String>,
    /// The board as it was at this valid time (RFC 3339): each task at the newest version known
    /// by `known_at` that held at that moment, tombstones included.
    pub valid_at: Option<String>,
    /// The board as it was right after this change (a position in the log).
    #[param(minimum = 1)]
    pub at_change: Option<i64>,
}

/// A page of a task's versions, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionPage {
    pub versions: Vec<Task>,
    pub next: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionParams {
    /// Versions at or below this number (default: the newest).
    #[param(minimum = 1)]
    pub through: Option<i64>,
}

/// What changed from version `from` to version `to`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Diff {
    pub from: i64,
    pub to: i64,
    pub changes: Vec<ChangedField>,
}

/// The hash chain re-checked: whether every version's hash matches its content and its
/// predecessor's hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct Verification {
    pub valid: bool,
    pub versions: usize,
    /// The first version that does not match, if any.
    pub broken_at: Option<i64>,
    pub reason: Option<String>,
}

/// A page of the change feed, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangePage {
    pub changes: Vec<Task>,
    /// The next (older) page's URL.
    pub next: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangeParams {
    /// Only changes after this position (catching up).
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// Only changes before this position (paging back).
    #[param(minimum = 1)]
    pub before: Option<i64>,
    /// Only this kind of change: `created`, `updated`, `deleted`, `restored`, `reverted`.
    pub op: Option<String>,
    /// Only changes by this person.
    pub actor: Option<String>,
    /// Only changes recorded at or after this instant (RFC 3339).
    pub since: Option<String>,
    /// At most this many (1–200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// Each field of a task and the values it held, oldest first; the last value's version set the
/// field's current value (its blame).
#[derive(Debug, Serialize, ToSchema)]
pub struct Blame {
    pub fields: Vec<BlamedField>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BlamedField {
    /// `title`, `description`, `status`, `priority` or `due_date`.
    pub field: String,
    pub values: Vec<BlamedValue>,
}

/// A value a field took and the version that gave it.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlamedValue {
    /// As the pages show it; absent when the change emptied the field.
    pub value: Option<String>,
    pub version: i64,
    pub actor: String,
    pub recorded_at: chrono::DateTime<chrono::Utc>,
    /// Since when the value held (the version's valid time).
    pub valid_from: chrono::DateTime<chrono::Utc>,
    pub note: Option<String>,
}

impl From<app::blame::FieldHistory> for BlamedField {
    fn from(field: app::blame::FieldHistory) -> Self {
        BlamedField {
            field: field.field,
            values: field
                .values
                .into_iter()
                .map(|value| BlamedValue {
                    value: value.value,
                    version: value.version,
                    actor: value.actor,
                    recorded_at: value.recorded_at,
                    valid_from: value.valid_since,
                    note: value.note,
                })
                .collect(),
        }
    }
}
