//! What every server function shares: the store from the request's context, parsing of raw
//! arguments into the shared newtypes, and how writes answer (redirects, flash messages, cookies,
//! drafts sent back to their form).

use leptos::prelude::*;
use leptos::server_fn::error::ServerFnUrlError;

use crate::error::{is_plain_form_post, AppError};
use crate::store::Store;
use chrono::{DateTime, Utc};

use crate::task::TaskVersion;

pub fn store() -> Result<Store, AppError> {
    use_context::<Store>().ok_or_else(|| {
        tracing::error!("the store was not provided to the server function context");
        AppError::Internal
    })
}

pub fn backend_name(store: &Store) -> &'static str {
    store.kind().name()
}

/// The instant a time-travel request names: `at_change` (a position in the version table,
/// what the slider counts) wins over `as_of` (a date and time); with neither it is now.
pub async fn instant(
    store: &Store,
    as_of: &str,
    at_change: &str,
) -> Result<DateTime<Utc>, AppError> {
    let now = Utc::now();
    if !at_change.trim().is_empty() {
        let position = whole_number(
            "at_change",
            at_change,
            "must be a change's position (0, 1, 2, …)",
        )?;
        return Ok(match store.position_instant(position).await? {
            Some(at) => at,
            // Before the first change: the moment just before it.
            None => match store.first_instant().await? {
                Some(first) => first - chrono::Duration::microseconds(1),
                None => now,
            },
        });
    }
    match as_of.trim() {
        "" => Ok(now),
        raw => Ok(crate::time::parse_instant("as_of", raw)?),
    }
}

/// A whole number (0 or more) from a form or query string, or an error naming the field and
/// what it `must` be. Negative counts and positions mean nothing, so they are refused too.
pub fn whole_number(field: &str, raw: &str, must: &str) -> Result<i64, AppError> {
    match raw.trim().parse() {
        Ok(number @ 0..) => Ok(number),
        _ => Err(crate::task::FieldError::new(field, must).into()),
    }
}

pub fn version_number(field: &str, raw: &str) -> Result<i64, AppError> {
    Ok(crate::command::VersionNumber::from_text(field, raw)?.get())
}

fn request_header(name: http::header::HeaderName) -> Option<String> {
    use_context::<http::request::Parts>()
        .and_then(|request| request.headers.get(name)?.to_str().ok().map(str::to_owned))
}

/// Where a write sends the browser next, parsed from `return_to` before anything is written,
/// so nothing after the commit can fail on input. Only a path on this site qualifies: one
/// leading `/` (a second would name another host), and only visible ASCII without `\`
/// (browsers drop tabs and newlines and read `\` as `/`, which turned `/<TAB>/evil.example`
/// into `//evil.example`). Anything else is `None`: the write's default page.
fn return_path(return_to: &str) -> Option<String> {
    let mut chars = return_to.chars();
    let local = chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && return_to.chars().all(|c| c.is_ascii_graphic() && c != '\\');
    local.then(|| return_to.to_owned())
}

/// `url` without the parameters a previous write or failed post left in it.
fn without_outcome(url: &str) -> (String, Vec<(String, String)>) {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let kept = form_urlencoded::parse(query.as_bytes())
        .filter(|(key, _)| {
            !matches!(key.as_ref(), "flash" | "__err" | "__path")
                && !key.starts_with(super::DRAFT_PREFIX)
        })
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    (path.to_owned(), kept)
}

fn with_query(path: &str, pairs: &[(String, String)]) -> String {
    if pairs.is_empty() {
        return path.to_owned();
    }
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("{path}?{query}")
}

/// After a successful write: remember who wrote it and send the browser to `return_to`
/// (default: the task's page) with a flash naming the new version.
fn written(written: &TaskVersion, return_to: Option<&str>, actor: &str) {
    let default = || format!("/tasks/{}", written.entity_id);
    let next = return_to.map_or_else(default, str::to_owned);
    let (path, mut pairs) = without_outcome(&next);
    pairs.push((
        "flash".into(),
        format!("{}.{}", written.op.as_str(), written.version),
    ));
    leptos_axum::redirect(&with_query(&path, &pairs));
    remember_actor(actor);
    let secure = if over_https() { "; Secure" } else { "" };
    set_cookie(&format!(
        "{}={}; Path=/; Max-Age=31536000; SameSite=Lax{secure}",
        crate::lessons::under_the_hood::LAST_CHANGE_COOKIE,
        written.position
    ));
}

/// Keeps the actor's name in a cookie so the next form starts with it.
fn remember_actor(actor: &str) {
    let actor = actor.trim();
    if actor.is_empty() {
        return;
    }
    set_cookie(&crate::actor_cookie::set_cookie(actor, over_https()));
}

fn set_cookie(value: &str) {
    if let (Some(response), Ok(cookie)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(value),
    ) {
        response.append_header(http::header::SET_COOKIE, cookie);
    }
}

/// Where a lab's outcome, posted without JavaScript, waits for the page its post redirects to.
/// Only this site can set these cookies, so no link can show a made-up outcome.
#[derive(Clone, Copy)]
pub enum OutcomeCookie {
    /// A tamper attempt on `/database`.
    Attempt,
    /// A snapshot taken on `/learn/snapshots`.
    Snapshot,
}

impl OutcomeCookie {
    fn name(self) -> &'static str {
        match self {
            OutcomeCookie::Attempt => "db_attempt",
            OutcomeCookie::Snapshot => "snapshot_taken",
        }
    }

    /// Keeps `outcome` for a minute, for the next page this browser loads.
    pub fn keep(self, outcome: &impl serde::Serialize) {
        if let Ok(json) = serde_json::to_string(outcome) {
            self.set(
                &form_urlencoded::byte_serialize(json.as_bytes()).collect::<String>(),
                60,
            );
        }
    }

    /// The outcome kept for this browser, once: reading it clears it.
    pub fn take<T: serde::de::DeserializeOwned>(self) -> Option<T> {
        let cookies = request_header(http::header::COOKIE)?;
        let json = crate::actor_cookie::value(&cookies, self.name())?;
        self.set("", 0);
        serde_json::from_str(&json).ok()
    }

    /// The cookie with `value`, kept `max_age` seconds (0 clears it). A browser refuses to
    /// overwrite a `Secure` cookie with one that is not, so setting and clearing agree on it.
    fn set(self, value: &str, max_age: u32) {
        let secure = if over_https() { "; Secure" } else { "" };
        set_cookie(&format!(
            "{}={value}; Path=/; Max-Age={max_age}; SameSite=Lax; HttpOnly{secure}",
            self.name()
        ));
    }
}

/// Whether the browser reached this server over https, so its cookies may say `Secure`.
pub fn over_https() -> bool {
    use_context::<http::request::Parts>().is_some_and(|request| {
        request
            .extensions
            .get::<crate::actor_cookie::ServedOverHttps>()
            .is_some_and(|https| https.0)
    })
}

/// Computes on a blocking thread: diffs of long texts must not hold up the threads that
/// serve every other request.
pub async fn off_executor<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(work).await.map_err(|error| {
        tracing::error!(%error, "a blocking computation failed");
        AppError::Internal
    })
}

/// Buttons without a name field (delete, restore, revert) write under the remembered name.
pub fn actor_or_remembered(actor: &str) -> String {
    match actor.trim() {
        "" => crate::actor_cookie::remembered(),
        given => given.to_owned(),
    }
}

/// Runs a write posted from a form and answers as every write does: a success redirects onward
/// (`written`), a failure goes back to its form (`failed`, with `draft`, what was typed). Where
/// to go next is parsed from `return_to` before the write runs, so nothing after the commit can
/// fail on input.
pub async fn write<F: leptos::server_fn::ServerFn>(
    return_to: &str,
    actor: &str,
    draft: &[(&str, &str)],
    run: impl std::future::Future<Output = Result<TaskVersion, AppError>>,
) -> Result<TaskVersion, AppError> {
    let return_to = return_path(return_to);
    match run.await {
        Ok(version) => {
            written(&version, return_to.as_deref(), actor);
            Ok(version)
        }
        Err(error) => Err(failed::<F>(error, draft)),
    }
}

/// A plain form post that failed goes back to its form with what was typed and the error
/// (server functions called from JavaScript get the error as their result instead).
fn failed<F: leptos::server_fn::ServerFn>(error: AppError, draft: &[(&str, &str)]) -> AppError {
    if !is_plain_form_post() {
        return error;
    }
    let Some(referer) = request_header(http::header::REFERER) else {
        return error;
    };
    let (path, mut pairs) = without_outcome(&referer);
    pairs.extend(draft.iter().map(|(name, value)| {
        (
            format!("{}{name}", super::DRAFT_PREFIX),
            (*value).to_owned(),
        )
    }));
    match ServerFnUrlError::<AppError>::new(F::PATH, error.clone())
        .to_url(&with_query(&path, &pairs))
    {
        // Only the path and query: whatever host the Referer named, the browser stays here.
        Ok(url) => leptos_axum::redirect(&match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }),
        Err(_) => tracing::warn!(%referer, "could not build the redirect back to the form"),
    }
    error
}
