//! The labelled fields every task form shares: a field with its error message, and the actor,
//! note and valid-time fields each change carries.

use leptos::prelude::*;

use crate::error::AppError;

/// A labelled form control with the server's message about `field`, if its verdict (`error`)
/// names it. The control (`children`) must carry `id` and point `aria-describedby` at
/// `{id}-error`.
#[component]
pub fn Field(
    #[prop(into)] id: String,
    label: &'static str,
    field: &'static str,
    error: Signal<Option<AppError>>,
    #[prop(optional)] wide: bool,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="field" class:field-wide=wide>
            <label for=id.clone()>{label}</label>
            {children()}
            <p class="field-error" id=format!("{id}-error") aria-live="polite">
                {move || error.get().and_then(|error| error.field_message(field))}
            </p>
        </div>
    }
}

/// "Your name": starts with what was typed in a failed post, else the name this browser last
/// wrote under (a cookie the server sets on every write).
#[component]
pub fn ActorField(
    #[prop(into)] id: String,
    draft: Option<String>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let name = draft.unwrap_or_else(crate::actor_cookie::remembered);
    let described = format!("{id}-error");
    view! {
        <Field id=id.clone() label="Your name" field="actor" error>
            <input
                id=id.clone()
                name="actor"
                maxlength="100"
                placeholder="anonymous"
                autocomplete="name"
                value=name
                aria-describedby=described
            />
        </Field>
    }
}

/// A change note for the version a form will write.
#[component]
pub fn NoteField(
    #[prop(into)] id: String,
    draft: Option<String>,
    placeholder: String,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let described = format!("{id}-error");
    view! {
        <Field id=id.clone() label="Change note" field="note" error wide=true>
            <input
                id=id.clone()
                name="note"
                maxlength="1000"
                placeholder=placeholder
                value=draft
                aria-describedby=described
            />
        </Field>
    }
}

/// Since when the change holds in the world: blank is now; an earlier time records news that
/// arrived late or corrects what was true then (the note says why).
#[component]
pub fn ValidFromField(
    #[prop(into)] id: String,
    draft: Option<String>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let described = format!("{id}-error {id}-hint");
    let hint = format!("{id}-hint");
    view! {
        <Field id=id.clone() label="True since (UTC, optional)" field="valid_from" error>
            <input
                id=id.clone()
                name="valid_from"
                type="datetime-local"
                step="1"
                value=draft
                aria-describedby=described
            />
            <p class="field-hint" id=hint>
                "Blank: from now. An earlier time records news that came late or corrects the past."
            </p>
        </Field>
    }
}
