//! Idempotent retries, shown: one create form sent twice at once with one key, and both answers
//! naming the version the first one appended (`Store::once`, migration 0006). The lab posts the
//! app's ordinary create form, so it has no SQL of its own.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::command::CreateTask;
use crate::error::AppError;
use crate::lessons::LearnHeading;
use crate::pages::submission;
use crate::task::idempotency;
use crate::task::Appended;

/// `/learn/idempotency`: one form sent twice at once with the same key. Without JavaScript the
/// form posts once; pressing Back and posting again shows the same: the answer names the task
/// the first post created.
#[component]
pub fn IdempotencyPage() -> impl IntoView {
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
            <TwiceLab key=submission::first_key() />
        </section>
    }
}

/// The form and, once it has been sent twice, both answers.
#[island]
fn TwiceLab(
    /// The key the server drew the form with.
    key: String,
) -> impl IntoView {
    let title = RwSignal::new("Submitted twice".to_owned());
    let key = RwSignal::new(key);
    let answers = RwSignal::new(None::<TwoAnswers>);
    let pending = RwSignal::new(false);
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let (title, sent_key) = (title.get_untracked(), key.get_untracked());
        pending.set(true);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let pairs = [
                ("title", title.as_str()),
                ("note", NOTE),
                (idempotency::FIELD, sent_key.as_str()),
            ];
            let send = || crate::live::browser::post_form::<Appended>(CreateTask::PATH, &pairs);
            let (first, second) = futures::future::join(send(), send()).await;
            answers.set(Some(TwoAnswers {
                key: sent_key.clone(),
                first,
                second,
            }));
            key.set(submission::browser_key());
            pending.set(false);
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = (title, sent_key);
    };
    view! {
        <form method="post" action=CreateTask::PATH class="lab-form" on:submit=on_submit>
            <input type="hidden" name=idempotency::FIELD value=key />
            <input type="hidden" name="note" value=NOTE />
            <label for="lab-title">"Title of the task to create"</label>
            <input id="lab-title" name="title" required maxlength="200" value=title on:input=move |event| title.set(event_target_value(&event)) />
            <button type="submit" class="button-primary" disabled=pending>"Submit twice"</button>
            <p class="hint">
                "The button sends this form twice at the same moment, with the same key. "
                "Without JavaScript it sends it once: then press Back and send it again."
            </p>
        </form>
        {move || answers.get().map(|answers| view! { <TwoAnswersShown answers /> })}
    }
}

/// The note both submissions carry.
const NOTE: &str = "sent twice from the idempotency lab";

#[derive(Clone)]
struct TwoAnswers {
    key: String,
    first: Result<Appended, AppError>,
    second: Result<Appended, AppError>,
}

#[component]
fn TwoAnswersShown(answers: TwoAnswers) -> impl IntoView {
    let describe = |answer: &Result<Appended, AppError>| match answer {
        Ok(task) => format!(
            "version {} of task {} (row {}, position {})",
            task.version, task.entity_id, task.id, task.position
        ),
        Err(error) => format!("error: {error}"),
    };
    let verdict = match (&answers.first, &answers.second) {
        (Ok(first), Ok(second)) if first == second => format!(
            "Both answers name the same version: the log gained one row, at position {}.",
            first.position
        ),
        (Ok(_), Ok(_)) => "The two answers differ: the key did not protect this write.".to_owned(),
        _ => "At least one submission failed; see its answer.".to_owned(),
    };
    let task_link = answers
        .first
        .as_ref()
        .ok()
        .map(|task| view! { <p><a href=format!("/tasks/{}/history", task.entity_id)>"See the task's history"</a></p> });
    view! {
        <section class="lab-answers" aria-labelledby="lab-answers-heading" aria-live="polite">
            <h2 id="lab-answers-heading">"Two submissions, key " <code>{answers.key.clone()}</code></h2>
            <ol>
                <li>"First answer: " {describe(&answers.first)}</li>
                <li>"Second answer: " {describe(&answers.second)}</li>
            </ol>
            <p class="replay-verdict">{verdict}</p>
            {task_link}
        </section>
    }
}
