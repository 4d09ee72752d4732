//! The inputs of a task form, shared by the create form (list page and `/tasks/new`) and the
//! edit page. Browser-side limits (`required`, `maxlength`, `min`/`max`) give instant hints; the
//! server parses again and has the final word, its messages shown under each field.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use super::common::posted_draft;
use super::form_fields::{ActorField, Field, NoteField, ValidFromField};
use crate::error::AppError;
use crate::task::{Status, TaskVersion};

/// What the inputs start with: a task's current values, a failed post's draft, or blanks.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FormValues {
    pub title: String,
    pub description: String,
    pub status: String,
    pub priority: String,
    pub due_date: String,
    pub note: Option<String>,
    pub actor: Option<String>,
    pub valid_from: Option<String>,
}

impl FormValues {
    pub fn of(task: &TaskVersion) -> Self {
        let fields = &task.fields;
        Self {
            title: fields.title.as_str().to_owned(),
            description: fields
                .description
                .as_ref()
                .map(|text| text.as_str().to_owned())
                .unwrap_or_default(),
            status: fields.status.as_str().to_owned(),
            priority: fields.priority.value().to_string(),
            due_date: fields
                .due_date
                .map(|date| date.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            note: None,
            actor: None,
            valid_from: None,
        }
    }

    /// Carries an edit made from `base` over to `current`: the fields this edit changed keep
    /// its value, every other field takes `current`'s, so reapplying an edit after a conflict
    /// does not quietly undo what the other writer changed. Also returns the fields both sides
    /// changed differently (this edit's value is kept; the person should look at them).
    pub fn rebased(&self, base: &Self, current: &Self) -> (Self, Vec<&'static str>) {
        let mut clashes = Vec::new();
        let mut pick = |name: &'static str, mine: &String, base: &String, theirs: &String| {
            let same = |a: &String, b: &String| {
                a.trim().replace("\r\n", "\n") == b.trim().replace("\r\n", "\n")
            };
            if same(mine, base) {
                theirs.clone()
            } else {
                if !same(theirs, base) && !same(theirs, mine) {
                    clashes.push(name);
                }
                mine.clone()
            }
        };
        let rebased = Self {
            title: pick("Title", &self.title, &base.title, &current.title),
            description: pick(
                "Description",
                &self.description,
                &base.description,
                &current.description,
            ),
            status: pick("Status", &self.status, &base.status, &current.status),
            priority: pick(
                "Priority",
                &self.priority,
                &base.priority,
                &current.priority,
            ),
            due_date: pick(
                "Due date",
                &self.due_date,
                &base.due_date,
                &current.due_date,
            ),
            note: self.note.clone(),
            actor: self.actor.clone(),
            valid_from: self.valid_from.clone(),
        };
        (rebased, clashes)
    }

    /// The values a plain post of server function `F` carried back after it failed.
    pub fn posted<F: ServerFn>() -> Option<Self> {
        let title = posted_draft::<F>("title")?;
        let field = |name| posted_draft::<F>(name).unwrap_or_default();
        Some(Self {
            title,
            description: field("description"),
            status: field("status"),
            priority: field("priority"),
            due_date: field("due_date"),
            note: posted_draft::<F>("note"),
            actor: posted_draft::<F>("actor"),
            valid_from: posted_draft::<F>("valid_from"),
        })
    }
}

#[component]
pub fn TaskInputs(
    /// Makes input ids unique on the page (`{prefix}-title`, …).
    prefix: &'static str,
    values: FormValues,
    error: Signal<Option<AppError>>,
    note_placeholder: String,
) -> impl IntoView {
    let id = move |name: &str| format!("{prefix}-{name}");
    let described = move |name: &str| format!("{prefix}-{name}-error");
    let priority = if values.priority.is_empty() {
        "0".to_owned()
    } else {
        values.priority.clone()
    };
    let chosen_status = values.status.clone();
    view! {
        <Field id=id("title") label="Title" field="title" error wide=true>
            <input
                id=id("title")
                name="title"
                required
                maxlength="200"
                autocomplete="off"
                value=values.title.clone()
                aria-describedby=described("title")
            />
        </Field>
        <Field id=id("description") label="Description" field="description" error wide=true>
            <textarea
                id=id("description")
                name="description"
                rows="3"
                maxlength="10000"
                aria-describedby=described("description")
            >
                {values.description.clone()}
            </textarea>
        </Field>
        <Field id=id("status") label="Status" field="status" error>
            <select id=id("status") name="status" aria-describedby=described("status")>
                {Status::ALL
                    .into_iter()
                    .map(|status| {
                        view! {
                            <option value=status.as_str() selected=chosen_status == status.as_str()>
                                {status.label()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </Field>
        <Field id=id("priority") label="Priority (0–5)" field="priority" error>
            <input
                id=id("priority")
                name="priority"
                type="number"
                min="0"
                max="5"
                step="1"
                value=priority
                aria-describedby=described("priority")
            />
        </Field>
        <Field id=id("due-date") label="Due date" field="due_date" error>
            <input
                id=id("due-date")
                name="due_date"
                type="date"
                value=values.due_date.clone()
                aria-describedby=described("due-date")
            />
        </Field>
        <ActorField id=id("actor") draft=values.actor.clone() error />
        <NoteField
            id=id("note")
            draft=values.note.clone()
            placeholder=note_placeholder
            error
        />
        <ValidFromField id=id("valid-from") draft=values.valid_from.clone() error />
    }
}

/// The line under a form's buttons: what went wrong, if anything.
#[component]
pub fn FormOutcome(error: Signal<Option<AppError>>) -> impl IntoView {
    view! {
        <p class="form-outcome" role="alert">
            {move || match error.get() {
                Some(AppError::Invalid(_)) => "Please fix the fields marked above.".to_owned(),
                Some(error) => error.to_string(),
                None => String::new(),
            }}
        </p>
    }
}

#[cfg(test)]
mod tests {
    use super::FormValues;

    fn values(title: &str, description: &str, priority: &str) -> FormValues {
        FormValues {
            title: title.to_owned(),
            description: description.to_owned(),
            priority: priority.to_owned(),
            ..FormValues::default()
        }
    }

    #[test]
    fn a_rebased_edit_keeps_its_own_changes_and_the_other_writers() {
        let base = values("Draft", "first", "1");
        let mine = values("Draft by alice", "first", "1");
        let theirs = values("Draft", "bob's rewrite", "1");
        let (rebased, clashes) = mine.rebased(&base, &theirs);
        assert_eq!(rebased, values("Draft by alice", "bob's rewrite", "1"));
        assert!(clashes.is_empty());
    }

    #[test]
    fn a_field_both_changed_keeps_this_edit_and_is_reported() {
        let base = values("Draft", "", "1");
        let (rebased, clashes) = values("Draft", "", "5").rebased(&base, &values("Draft", "", "3"));
        assert_eq!(rebased.priority, "5");
        assert_eq!(clashes, ["Priority"]);
    }

    #[test]
    fn browser_line_endings_do_not_count_as_a_change() {
        let base = values("t", "one\ntwo", "0");
        let theirs = values("t", "one\nthree", "0");
        let (rebased, _) = values("t", "one\r\ntwo", "0").rebased(&base, &theirs);
        assert_eq!(rebased.description, "one\nthree");
    }
}
