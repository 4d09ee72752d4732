//! The hidden field that makes a write form safe to submit twice. It holds the form's
//! idempotency key: made by the server when it draws the page (so a form posted without
//! JavaScript, or posted again with the back button, repeats its key), replaced in the browser
//! once the form's write has succeeded (so the next, different write gets a key of its own). A
//! failed or interrupted submission keeps its key, so trying again cannot write twice.
//!
//! The key is the field's `value` attribute, not a property: the server must write it into the
//! HTML, and hydration leaves the server's key in place until the first replacement.

use leptos::prelude::*;

use crate::error::AppError;
use crate::task::idempotency::{IdempotencyKey, FIELD};
use crate::task::TaskVersion;

#[component]
pub fn IdempotencyKeyInput(
    /// The outcome of the form's last submission (the form action's `value()`).
    #[prop(into)]
    outcome: Signal<Option<Result<TaskVersion, AppError>>>,
) -> impl IntoView {
    let key = RwSignal::new(first_key());
    let written = Memo::new(move |_| {
        outcome.with(|outcome| match outcome {
            Some(Ok(task)) => Some(task.id),
            _ => None,
        })
    });
    Effect::new(move |_| {
        if written.get().is_some() {
            key.set(browser_key());
        }
    });
    view! { <input type="hidden" name=FIELD value=key /> }
}

#[cfg(feature = "ssr")]
pub(crate) fn first_key() -> String {
    IdempotencyKey::fresh().to_string()
}

/// Hydration keeps the server's key in the field; this one is only the signal's starting value.
#[cfg(not(feature = "ssr"))]
pub(crate) fn first_key() -> String {
    browser_key()
}

/// A random key from `crypto.getRandomValues` (which, unlike `crypto.randomUUID`, also works on
/// a page served over plain http from another machine, as in a classroom). Without it the field
/// is left empty and the write goes through unprotected, as it would from a form with no key.
pub(crate) fn browser_key() -> String {
    #[cfg(feature = "hydrate")]
    {
        let mut bytes = [0u8; 16];
        let filled = web_sys::window()
            .and_then(|window| window.crypto().ok())
            .and_then(|crypto| crypto.get_random_values_with_u8_array(&mut bytes).ok());
        if filled.is_some() {
            return IdempotencyKey::from_random_bytes(bytes).to_string();
        }
    }
    String::new()
}
