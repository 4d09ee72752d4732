//! The hidden field that makes a write form safe to submit twice. It holds the form's
//! idempotency key, made by the server when it draws the page: a form posted again (the back
//! button, a retry) repeats its key, and the page a successful write leads to draws new forms
//! with new keys. A failed or interrupted submission keeps its key, so trying again cannot write
//! twice. The labs that post from the browser take a new key in the browser after each write.

use leptos::prelude::*;

use crate::task::idempotency::{IdempotencyKey, FIELD};

#[component]
pub fn IdempotencyKeyInput() -> impl IntoView {
    view! { <input type="hidden" name=FIELD value=first_key() /> }
}

#[cfg(feature = "ssr")]
pub(crate) fn first_key() -> String {
    IdempotencyKey::fresh().to_string()
}

/// A form drawn in the browser (by an island) gets a browser-made key; the live list's rows,
/// drawn once by the server for every browser, get theirs from `browser_key` as they arrive.
#[cfg(not(feature = "ssr"))]
pub(crate) fn first_key() -> String {
    browser_key()
}

/// A random key from `crypto.getRandomValues` (which, unlike `crypto.randomUUID`, also works on
/// a page served over plain http from another machine, as in a classroom). Without it the field
/// is left empty and the write goes through unprotected, as it would from a form with no key.
#[cfg(feature = "hydrate")]
pub(crate) fn browser_key() -> String {
    let mut bytes = [0u8; 16];
    let filled = web_sys::window()
        .and_then(|window| window.crypto().ok())
        .and_then(|crypto| crypto.get_random_values_with_u8_array(&mut bytes).ok());
    match filled {
        Some(_) => IdempotencyKey::from_random_bytes(bytes).to_string(),
        None => String::new(),
    }
}

/// Built without a browser (neither feature): no key.
#[cfg(not(any(feature = "ssr", feature = "hydrate")))]
pub(crate) fn browser_key() -> String {
    String::new()
}
