//! Idempotent retries, shown: one create form sent twice at once with one key, and both answers
//! naming the version the first one appended (`Store::once`, migration 0006). The lab posts the
//! app's ordinary create form, and reads what a key appended with the store's own lookup, so it
//! has no SQL of its own.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;

use crate::command::CreateTask;
use crate::error::AppError;
use crate::lessons::LearnHeading;
use crate::pages::common::{plain_post_error, ErrorNotice, PageError};
use crate::pages::submission;
use crate::task::idempotency;
use crate::task::TaskVersion;
use crate::time;

/// The part of the page that says what a key appended, drawn again after each pair of posts.
const ANSWERS_ID: &str = "idempotency-answers";
const PAGE_PATH: &str = "/learn/idempotency";

/// `/learn/idempotency`: one form sent twice at once with the same key. The form comes back to
/// `?key=K`, which shows what that key appended. Without JavaScript the form posts once;
/// pressing Back and posting again lands on the same answer: the version the first post
/// appended.
#[component]
pub fn IdempotencyPage() -> impl IntoView {
    let query = use_query_map();
    let key = query.with_untracked(|query| query.get("key"));
    let asked = key.clone();
    let appended = Resource::new(
        || (),
        move |_| {
            let key = asked.clone();
            async move {
                match key {
                    Some(key) => appended_with_key(key).await.map(Some),
                    None => Ok(None),
                }
            }
        },
    );
    let answers = move || {
        let key = key.clone();
        Suspend::new(async move {
            match (appended.await, key) {
                (Ok(Some(found)), Some(key)) => view! { <KeyAnswer key found /> }.into_any(),
                (Err(error), _) => view! { <PageError error /> }.into_any(),
                _ => ().into_any(),
            }
        })
    };
    let key = submission::first_key();
    view! {
        <section class="learn" aria-labelledby="idempotency-heading">
            <LearnHeading id="idempotency-heading" title="Idempotent retries: submit twice, append once" />
            <p class="lede">
                "A double click, Back and resubmit, or a retry after a lost connection sends the "
                "same write again. Every write form here carries an idempotency key made when the "
                "form was drawn. The store records which version each key appended, in the same "
                "transaction as the append (table " <code>"idempotency_keys"</code> ", append-only "
                "like the log), and answers a repeated key with that version instead of appending."
            </p>
            <TwiceLab>
                <form method="post" action=CreateTask::PATH class="lab-form">
                    <input type="hidden" name=idempotency::FIELD value=key.clone() />
                    <input type="hidden" name="note" value=NOTE />
                    <input type="hidden" name="return_to" value=format!("{PAGE_PATH}?key={key}") />
                    <label for="lab-title">"Title of the task to create"</label>
                    <input id="lab-title" name="title" required maxlength="200" value="Submitted twice" />
                    <button type="submit" class="button-primary">"Submit twice"</button>
                    <p class="hint">
                        "The button sends this form twice at the same moment, with the same key. "
                        "Without JavaScript it sends it once: then press Back and send it again."
                    </p>
                    {plain_post_error::<CreateTask>().map(|error| view! { <ErrorNotice error /> })}
                </form>
                <div id=ANSWERS_ID>
                    <Suspense>{answers}</Suspense>
                </div>
            </TwiceLab>
        </section>
    }
}

/// The note both submissions carry.
const NOTE: &str = "sent twice from the idempotency lab";

/// What the key appended, as the store reads it; with JavaScript, also the two answers the
/// server sent, which the island fills in.
#[component]
fn KeyAnswer(key: String, found: Option<TaskVersion>) -> impl IntoView {
    let Some(version) = found else {
        return view! {
            <section class="lab-answers" aria-labelledby="lab-answers-heading">
                <h2 id="lab-answers-heading">"Key " <code>{key}</code></h2>
                <p>"This key has appended nothing: no submission with it was written."</p>
            </section>
        }
        .into_any();
    };
    view! {
        <section class="lab-answers" aria-labelledby="lab-answers-heading" aria-live="polite">
            <h2 id="lab-answers-heading">"What key " <code>{key}</code> " appended"</h2>
            <p>
                {format!(
                    "Version {} of “{}” (row {}, position {}), recorded {}. ",
                    version.version,
                    version.fields.title.as_str(),
                    version.id,
                    version.position,
                    time::exact(version.recorded_at),
                )}
                "Every submission with this key is answered with this version; none appends another. "
                <a href=format!("/tasks/{}/history", version.entity_id)>"See the task's history"</a>
            </p>
            <div class="lab-raw-answers" data-raw-answers hidden>
                <h3>"The two answers, as the server sent them"</h3>
                <ol>
                    <li>"First: " <pre data-answer></pre></li>
                    <li>"Second: " <pre data-answer></pre></li>
                </ol>
                <p class="replay-verdict replay-match" data-verdict="same" hidden>
                    {format!("Both answers are the same, byte for byte: the log gained one row, at position {}.", version.position)}
                </p>
                <p class="replay-verdict replay-mismatch" data-verdict="differ" hidden>
                    "The two answers differ: read each one above."
                </p>
            </div>
        </section>
    }
    .into_any()
}

/// The version the submission with `key` appended, if one did.
#[server(endpoint = "appended_with_key", input = leptos::server_fn::codec::GetUrl)]
pub async fn appended_with_key(key: String) -> Result<Option<TaskVersion>, AppError> {
    let Some(key) = idempotency::IdempotencyKey::parse(&key)? else {
        return Ok(None);
    };
    Ok(crate::server_fns::context::store()?
        .appended_with_key(key)
        .await?)
}

/// Sends the form twice at the same moment, asking for the API's JSON answer each time, then
/// draws the key's answer again from the server and shows both answers beside it.
#[island]
fn TwiceLab(children: Children) -> impl IntoView {
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        #[cfg(feature = "hydrate")]
        if let Some(form) = crate::live::browser::take_over(&event) {
            leptos::task::spawn_local(send_twice(form));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = event;
    };
    view! { <div class="twice-lab" on:submit=on_submit>{children()}</div> }
}

#[cfg(feature = "hydrate")]
async fn send_twice(form: web_sys::HtmlFormElement) {
    use crate::live::browser::{fetch_page, hold_buttons, replace_region, submit};

    hold_buttons(&form, true);
    let key_field = field(&form, idempotency::FIELD);
    let key = key_field
        .as_ref()
        .map(|field| field.value())
        .unwrap_or_default();
    let json = "application/json";
    let (first, second) = futures::future::join(submit(&form, json), submit(&form, json)).await;
    let shown = format!("{PAGE_PATH}?key={key}");
    if let Some(page) = fetch_page(Some(&shown)).await {
        replace_region(ANSWERS_ID, &page);
        show_answers(&[first.as_ref(), second.as_ref()]);
    }
    // The next pair is a new submission: a new key, and the page that shows what it appended.
    let next = submission::browser_key();
    if let Some(key_field) = key_field {
        key_field.set_value(&next);
    }
    if let Some(return_to) = field(&form, "return_to") {
        return_to.set_value(&format!("{PAGE_PATH}?key={next}"));
    }
    hold_buttons(&form, false);
}

#[cfg(feature = "hydrate")]
fn field(form: &web_sys::HtmlFormElement, name: &str) -> Option<web_sys::HtmlInputElement> {
    use wasm_bindgen::JsCast;

    form.query_selector(&format!("input[name=\"{name}\"]"))
        .ok()
        .flatten()?
        .dyn_into()
        .ok()
}

/// Fills in each answer (status and body, as text) and the verdict on the two.
#[cfg(feature = "hydrate")]
fn show_answers(answers: &[Option<&(u16, String)>; 2]) {
    let Ok(Some(raw)) = document().query_selector(&format!("#{ANSWERS_ID} [data-raw-answers]"))
    else {
        return;
    };
    if let Ok(slots) = raw.query_selector_all("[data-answer]") {
        for (index, answer) in answers.iter().enumerate() {
            let text = match answer {
                Some((status, body)) => format!("HTTP {status}\n{body}"),
                None => "no answer: the server could not be reached".to_owned(),
            };
            if let Some(slot) = slots.item(index as u32) {
                slot.set_text_content(Some(&text));
            }
        }
    }
    let same = match answers {
        [Some((first, body)), Some((second, other))] => {
            (200..300).contains(first) && first == second && body == other
        }
        _ => false,
    };
    let verdict = if same { "same" } else { "differ" };
    if let Ok(Some(verdict)) = raw.query_selector(&format!("[data-verdict=\"{verdict}\"]")) {
        let _ = verdict.remove_attribute("hidden");
    }
    let _ = raw.remove_attribute("hidden");
}
