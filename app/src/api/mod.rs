//! Server functions: the only door from the browser to the store. Each parses its raw arguments
//! with the shared newtypes (the server has the final word), calls one store operation, and maps
//! the outcome to an `AppError` (whose HTTP status `AppError` sets itself).
//!
//! Writes answer with a redirect to the page named by `return_to`, carrying a flash message in
//! the query string (`?flash=updated.5`), so the same forms work as plain HTML posts and as
//! Leptos actions. A plain post that fails is sent back to its form with what was typed
//! (`draft_*` parameters) and the error, so nothing entered is lost.

// A server function takes a form post's fields as its arguments, one each, and the edit form
// has eleven; the `#[server]` macro also writes the browser's copy, which an item-level allow
// does not reach.
#![allow(clippy::too_many_arguments)]

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::database::{DatabaseFacts, TamperOutcome};
use crate::diff::FieldChange;
use crate::error::AppError;
use crate::task::{BoardTimeline, ChainReport, TaskVersion};

mod learn;
pub use learn::*;

/// The current list together with the instant it was read, so relative times ("3 hours ago")
/// render identically on the server and during hydration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskList {
    pub tasks: Vec<TaskVersion>,
    /// The `after` of the next page's link; `None` on the last page.
    pub next_after: Option<String>,
    pub read_at: DateTime<Utc>,
    pub backend: String,
}

/// The latest version of one task, live or a tombstone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskDetail {
    pub task: TaskVersion,
    pub read_at: DateTime<Utc>,
}

/// One version in a task's timeline with what it changed compared to the version before it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub version: TaskVersion,
    pub changes: Vec<FieldChange>,
}

/// One page of a task's versions, newest first, and whether that stretch of its hash chain is
/// intact (each version re-hashed and linked to the one before, on the page or just below it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskHistory {
    pub entries: Vec<HistoryEntry>,
    pub chain: ChainReport,
    /// The task's latest version, whichever page this is.
    pub latest: TaskVersion,
    /// The newest version on the next (older) page, if there is one.
    pub older_page: Option<i64>,
    pub read_at: DateTime<Utc>,
}

/// Two versions of one task and the fields that differ from the first to the second.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparison {
    pub from: TaskVersion,
    pub to: TaskVersion,
    pub changes: Vec<FieldChange>,
}

/// Tombstoned tasks, most recently deleted first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletedList {
    pub tasks: Vec<TaskVersion>,
    /// The `after` of the next page's link; `None` on the last page.
    pub next_after: Option<String>,
    pub read_at: DateTime<Utc>,
}

/// Query parameters that carry a failed plain form post's input back to its form.
pub const DRAFT_PREFIX: &str = "draft_";

#[cfg(feature = "ssr")]
mod server {
    use leptos::prelude::*;
    use leptos::server_fn::error::ServerFnUrlError;

    use crate::error::{is_plain_form_post, AppError};
    use crate::store::{BackendKind, Store};
    use chrono::{DateTime, Utc};

    use crate::task::{EntityId, TaskVersion};

    pub fn store() -> Result<Store, AppError> {
        use_context::<Store>().ok_or_else(|| {
            tracing::error!("the store was not provided to the server function context");
            AppError::Internal
        })
    }

    pub fn backend_name(store: &Store) -> &'static str {
        match store.kind() {
            BackendKind::Postgres => "PostgreSQL",
            BackendKind::Sqlite => "SQLite",
        }
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

    pub fn entity_id(raw: &str) -> Result<EntityId, AppError> {
        raw.parse().map_err(|_| AppError::NotFound)
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
        const MUST: &str = "must be a version number (1, 2, 3, …)";
        match whole_number(field, raw, MUST)? {
            version @ 1.. => Ok(version),
            _ => Err(crate::task::FieldError::new(field, MUST).into()),
        }
    }

    /// The task a delete, restore or revert names, and who makes the change and why.
    pub fn target_and_meta(
        entity_id: &str,
        actor: &str,
        note: &str,
        idempotency_key: &str,
    ) -> Result<(EntityId, crate::task::ChangeMeta), AppError> {
        let id = self::entity_id(entity_id)?;
        let meta = crate::task::ChangeMeta::parse(&actor_or_remembered(actor), note)?
            .with_idempotency_key(self::idempotency_key(idempotency_key)?);
        Ok((id, meta))
    }

    pub fn idempotency_key(
        raw: &str,
    ) -> Result<Option<crate::idempotency::IdempotencyKey>, AppError> {
        crate::idempotency::IdempotencyKey::parse(raw)
            .map_err(|error| AppError::Invalid(vec![error]))
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
    pub fn return_path(return_to: &str) -> Option<String> {
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
            crate::learn::LAST_CHANGE_COOKIE,
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

    /// The cookie a plain-form tamper attempt's outcome travels in to the page it redirects to.
    const ATTEMPT_COOKIE: &str = "db_attempt";

    fn set_cookie(value: &str) {
        if let (Some(response), Ok(cookie)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            http::HeaderValue::from_str(value),
        ) {
            response.append_header(http::header::SET_COOKIE, cookie);
        }
    }

    /// The attempt cookie with `value`, kept `max_age` seconds (0 clears it). A browser refuses
    /// to overwrite a `Secure` cookie with one that is not, so setting and clearing agree on it.
    fn attempt_cookie(value: &str, max_age: u32) {
        let secure = if over_https() { "; Secure" } else { "" };
        set_cookie(&format!(
            "{ATTEMPT_COOKIE}={value}; Path=/; Max-Age={max_age}; SameSite=Lax; HttpOnly{secure}"
        ));
    }

    pub fn keep_attempt(outcome: &crate::database::TamperOutcome) {
        if let Ok(json) = serde_json::to_string(outcome) {
            attempt_cookie(
                &form_urlencoded::byte_serialize(json.as_bytes()).collect::<String>(),
                60,
            );
        }
    }

    pub fn take_attempt() -> Option<crate::database::TamperOutcome> {
        let cookies = request_header(http::header::COOKIE)?;
        let json = crate::actor_cookie::value(&cookies, ATTEMPT_COOKIE)?;
        attempt_cookie("", 0);
        serde_json::from_str(&json).ok()
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

    /// How every write answers: a success redirects onward (`written`), a failure goes back to
    /// its form (`failed`, with `draft`, what was typed).
    pub fn answer<F: leptos::server_fn::ServerFn>(
        outcome: Result<TaskVersion, AppError>,
        return_to: Option<&str>,
        actor: &str,
        draft: &[(&str, &str)],
    ) -> Result<TaskVersion, AppError> {
        match outcome {
            Ok(version) => {
                written(&version, return_to, actor);
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
}

/// One page of the live tasks, filtered by status (blank for all) and by words in the title
/// (`q`), sorted (blank for recently changed), continuing `after` a page link's key.
#[server(endpoint = "list_tasks")]
pub async fn list_tasks(
    #[server(default)] status: String,
    #[server(default)] sort: String,
    #[server(default)] q: String,
    #[server(default)] after: String,
) -> Result<TaskList, AppError> {
    let filter = crate::task::TaskFilter::from_query(&status, &sort, &q, &after)?;
    let store = server::store()?;
    let page = store.list_tasks(&filter).await?;
    Ok(TaskList {
        tasks: page.rows,
        next_after: page.next.map(|cursor| cursor.to_string()),
        read_at: chrono::Utc::now(),
        backend: server::backend_name(&store).to_owned(),
    })
}

/// The latest version of a task, tombstones included; unknown and malformed ids are NotFound.
#[server(endpoint = "get_task")]
pub async fn get_task(entity_id: String) -> Result<TaskDetail, AppError> {
    use crate::task::TaskLookup;

    let entity_id = server::entity_id(&entity_id)?;
    match server::store()?.get_task(entity_id).await? {
        TaskLookup::Live(task) | TaskLookup::Deleted(task) => Ok(TaskDetail {
            task,
            read_at: chrono::Utc::now(),
        }),
        TaskLookup::NotFound => Err(AppError::NotFound),
    }
}

/// One page of a task's versions, newest first, each with its changes against the one before.
/// `page` is the newest version the page shows (from a page link); without it the page is the
/// one that shows `version` (the selected one), or the newest page.
#[server(endpoint = "get_history")]
pub async fn get_history(
    entity_id: String,
    #[server(default)] version: String,
    #[server(default)] page: String,
) -> Result<TaskHistory, AppError> {
    use crate::paging::PAGE_SIZE;
    use crate::task::TaskLookup;

    let entity_id = server::entity_id(&entity_id)?;
    let store = server::store()?;
    let latest = match store.get_task(entity_id).await? {
        TaskLookup::Live(task) | TaskLookup::Deleted(task) => task,
        TaskLookup::NotFound => return Err(AppError::NotFound),
    };
    let newest = latest.version;
    let number = |field: &str, raw: &str| -> Result<Option<i64>, AppError> {
        match raw.trim() {
            "" => Ok(None),
            raw => Ok(Some(server::version_number(field, raw)?.min(newest))),
        }
    };
    let half = PAGE_SIZE as i64 / 2;
    let top = match (number("page", &page)?, number("version", &version)?) {
        (Some(top), _) => top,
        (None, Some(selected)) if selected <= newest - PAGE_SIZE as i64 => selected + half,
        _ => newest,
    };
    let mut versions = store.history_page(entity_id, top).await?;
    // The row past the page is the predecessor of its oldest version: what that version is
    // compared with and linked to, and the top of the older page.
    let before = (versions.len() > PAGE_SIZE).then(|| versions.remove(PAGE_SIZE));
    let older_page = before.as_ref().map(|version| version.version);
    let (chain, entries) = server::off_executor(move || {
        versions.reverse();
        let chain = crate::store::verify_chain_after(entity_id, before.as_ref(), &versions);
        let mut previous = before.map(|version| version.fields);
        let mut entries: Vec<HistoryEntry> = versions
            .into_iter()
            .map(|version| {
                let changes = crate::diff::changes(previous.as_ref(), &version.fields);
                previous = Some(version.fields.clone());
                HistoryEntry { version, changes }
            })
            .collect();
        entries.reverse();
        (chain, entries)
    })
    .await?;
    Ok(TaskHistory {
        entries,
        chain,
        latest,
        older_page,
        read_at: chrono::Utc::now(),
    })
}

/// What changed from version `from` to version `to` of one task (either order).
#[server(endpoint = "compare_versions")]
pub async fn compare_versions(
    entity_id: String,
    from: String,
    to: String,
) -> Result<Comparison, AppError> {
    let entity_id = server::entity_id(&entity_id)?;
    let (from, to) = (
        server::version_number("from", &from)?,
        server::version_number("to", &to)?,
    );
    let store = server::store()?;
    let find = |number: i64| {
        let store = store.clone();
        async move {
            match store.get_version(entity_id, number).await? {
                Some(version) => Ok(version),
                None if store.get_version(entity_id, 1).await?.is_none() => Err(AppError::NotFound),
                None => Err(AppError::NoSuchVersion(number)),
            }
        }
    };
    let (from, to) = (find(from).await?, find(to).await?);
    server::off_executor(move || Comparison {
        changes: crate::diff::changes(Some(&from.fields), &to.fields),
        from,
        to,
    })
    .await
}

/// An instant on the board's timeline, chosen by time (`as_of`) or by counting changes
/// (`at_change`, what the slider sends), with where it sits among all changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimePoint {
    pub at: DateTime<Utc>,
    pub timeline: BoardTimeline,
}

/// One page of the whole board as it stood at one instant: the tasks that existed then, live or
/// deleted, each at the version that was its latest at that moment, most recently changed first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardSnapshot {
    pub point: TimePoint,
    pub tasks: Vec<TaskVersion>,
    /// The `after` of the next page's link; `None` on the last page.
    pub next_after: Option<String>,
    pub backend: String,
}

/// One page of the change feed: every version of every task, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityPage {
    pub entries: Vec<HistoryEntry>,
    /// The cursor of the next (older) page, if there is one.
    pub next_before: Option<i64>,
    pub read_at: DateTime<Utc>,
}

/// How many versions one page of the activity feed shows.
pub const ACTIVITY_PAGE_SIZE: u32 = 25;

/// Where the time-travel control stands: the instant named by `at_change` or `as_of`, or now.
#[server(endpoint = "locate_instant")]
pub async fn locate_instant(
    #[server(default)] as_of: String,
    #[server(default)] at_change: String,
) -> Result<TimePoint, AppError> {
    let store = server::store()?;
    let at = server::instant(&store, &as_of, &at_change).await?;
    Ok(TimePoint {
        at,
        timeline: store.timeline(at).await?,
    })
}

/// One page of the board as it was at the instant named by `at_change` or `as_of`.
#[server(endpoint = "board_as_of")]
pub async fn board_as_of(
    #[server(default)] as_of: String,
    #[server(default)] at_change: String,
    #[server(default)] after: String,
) -> Result<BoardSnapshot, AppError> {
    let after = match after.trim() {
        "" => None,
        raw => Some(raw.parse()?),
    };
    let store = server::store()?;
    let at = server::instant(&store, &as_of, &at_change).await?;
    let page = store.board_as_of(at, after).await?;
    Ok(BoardSnapshot {
        point: TimePoint {
            at,
            timeline: store.timeline(at).await?,
        },
        tasks: page.rows,
        next_after: page.next.map(|cursor| cursor.to_string()),
        backend: server::backend_name(&store).to_owned(),
    })
}

/// A page of the change feed, optionally only one operation, one person, or changes since an
/// instant; `before` is the cursor from the previous page.
#[server(endpoint = "activity")]
pub async fn activity(
    #[server(default)] before: String,
    #[server(default)] op: String,
    #[server(default)] actor: String,
    #[server(default)] since: String,
) -> Result<ActivityPage, AppError> {
    use crate::task::{Actor, FeedQuery};

    let before = match before.trim() {
        "" => None,
        raw => Some(server::whole_number(
            "before",
            raw,
            "must be a position from a page link",
        )?),
    };
    let query = FeedQuery {
        before,
        op: match op.trim() {
            "" => None,
            raw => Some(raw.parse()?),
        },
        actor: match actor.trim() {
            "" => None,
            raw => Some(Actor::parse(raw)?),
        },
        since: match since.trim() {
            "" => None,
            raw => Some(crate::time::parse_instant("since", raw)?),
        },
        limit: ACTIVITY_PAGE_SIZE,
        ..FeedQuery::default()
    };
    let page = server::store()?.change_feed(query).await?;
    let entries = server::off_executor(move || {
        page.entries
            .into_iter()
            .map(|entry| HistoryEntry {
                changes: crate::diff::changes(entry.previous.as_ref(), &entry.version.fields),
                version: entry.version,
            })
            .collect()
    })
    .await?;
    Ok(ActivityPage {
        entries,
        next_before: page.next_before,
        read_at: chrono::Utc::now(),
    })
}

/// What the database's own catalog reports about the version table's guards and size.
#[server(endpoint = "inspect_database")]
pub async fn inspect_database() -> Result<DatabaseFacts, AppError> {
    let store = server::store()?;
    Ok(DatabaseFacts {
        backend: server::backend_name(&store).to_owned(),
        ..store.database_facts().await?
    })
}

/// Sends one statement that would rewrite history (`update`, `delete` or `wipe`) and returns
/// the database's answer. Nothing can change: the attempt is always rolled back. It is a POST
/// (server functions are), so no crawler or link prefetch sets it off. Posted without
/// JavaScript, the answer waits for the page in a short-lived cookie (see `last_attempt`).
#[server(endpoint = "attempt_tamper")]
pub async fn attempt_tamper(attempt: String) -> Result<TamperOutcome, AppError> {
    let tamper = attempt.trim().parse()?;
    let outcome = server::store()?.attempt_tamper(tamper).await?;
    if crate::error::is_plain_form_post() {
        server::keep_attempt(&outcome);
        leptos_axum::redirect("/database");
    }
    Ok(outcome)
}

/// The outcome of the last attempt this browser posted without JavaScript, once: reading it
/// clears it. Only this site can set the cookie, so no link can show a made-up refusal.
#[server(endpoint = "last_attempt")]
pub async fn last_attempt() -> Result<Option<TamperOutcome>, AppError> {
    Ok(server::take_attempt())
}

/// One page of the tombstoned tasks, most recently deleted first, continuing `after` a page
/// link's key.
#[server(endpoint = "list_deleted")]
pub async fn list_deleted(#[server(default)] after: String) -> Result<DeletedList, AppError> {
    let after = match after.trim() {
        "" => None,
        raw => Some(raw.parse()?),
    };
    let page = server::store()?.list_deleted(after).await?;
    Ok(DeletedList {
        tasks: page.rows,
        next_after: page.next.map(|cursor| cursor.to_string()),
        read_at: chrono::Utc::now(),
    })
}

#[cfg(feature = "ssr")]
fn parse_change(
    input: &crate::task::TaskInput,
    actor: &str,
    note: &str,
    idempotency_key: &str,
) -> Result<(crate::task::TaskFields, crate::task::ChangeMeta), AppError> {
    use crate::idempotency::IdempotencyKey;
    use crate::task::{ChangeMeta, TaskFields};

    match (
        TaskFields::parse(input),
        ChangeMeta::parse(actor, note),
        IdempotencyKey::parse(idempotency_key),
    ) {
        (Ok(fields), Ok(meta), Ok(key)) => Ok((fields, meta.with_idempotency_key(key))),
        (fields, meta, key) => Err(AppError::Invalid(
            [fields.err(), meta.err(), key.err().map(|error| vec![error])]
                .into_iter()
                .flatten()
                .flatten()
                .collect(),
        )),
    }
}

/// A task form's fields as typed, to send a failed plain post back to its form.
#[cfg(feature = "ssr")]
fn form_draft<'a>(
    input: &'a crate::task::TaskInput,
    actor: &'a str,
    note: &'a str,
) -> [(&'static str, &'a str); 7] {
    [
        ("title", &input.title),
        ("description", &input.description),
        ("status", &input.status),
        ("priority", &input.priority),
        ("due_date", &input.due_date),
        ("actor", actor),
        ("note", note),
    ]
}

/// Creates a task from a submitted form. `return_to` is where the browser goes next (default:
/// the new task's page).
#[server(endpoint = "create_task")]
pub async fn create_task(
    title: String,
    #[server(default)] description: String,
    #[server(default)] status: String,
    #[server(default)] priority: String,
    #[server(default)] due_date: String,
    #[server(default)] actor: String,
    #[server(default)] note: String,
    #[server(default)] return_to: String,
    #[server(default)] idempotency_key: String,
) -> Result<TaskVersion, AppError> {
    use crate::task::TaskInput;

    let return_to = server::return_path(&return_to);
    let input = TaskInput {
        title,
        description,
        status,
        priority,
        due_date,
    };
    let created = async {
        let (fields, meta) = parse_change(&input, &actor, &note, &idempotency_key)?;
        Ok::<_, AppError>(server::store()?.create_task(fields, meta).await?)
    }
    .await;
    server::answer::<CreateTask>(
        created,
        return_to.as_deref(),
        &actor,
        &form_draft(&input, &actor, &note),
    )
}

/// Saves an edit made from `expected_version`. If someone saved in between, nothing is written
/// and the error names the version they produced. `return_to` is where the browser goes next
/// (default: the task's page).
#[server(endpoint = "update_task")]
pub async fn update_task(
    entity_id: String,
    expected_version: String,
    title: String,
    #[server(default)] description: String,
    #[server(default)] status: String,
    #[server(default)] priority: String,
    #[server(default)] due_date: String,
    #[server(default)] actor: String,
    #[server(default)] note: String,
    #[server(default)] idempotency_key: String,
    #[server(default)] return_to: String,
) -> Result<TaskVersion, AppError> {
    use crate::task::TaskInput;

    let return_to = server::return_path(&return_to);

    let input = TaskInput {
        title,
        description,
        status,
        priority,
        due_date,
    };
    let updated = async {
        let id = server::entity_id(&entity_id)?;
        let expected = server::version_number("expected_version", &expected_version)?;
        let (fields, meta) = parse_change(&input, &actor, &note, &idempotency_key)?;
        Ok::<_, AppError>(
            server::store()?
                .update_task(id, expected, fields, meta)
                .await?,
        )
    }
    .await;
    server::answer::<UpdateTask>(
        updated,
        return_to.as_deref(),
        &actor,
        &[
            form_draft(&input, &actor, &note).as_slice(),
            &[("expected_version", &expected_version)],
        ]
        .concat(),
    )
}

/// Appends a tombstone. The task leaves the list and can be restored from the deleted page.
#[server(endpoint = "delete_task")]
pub async fn delete_task(
    entity_id: String,
    #[server(default)] actor: String,
    #[server(default)] note: String,
    #[server(default)] return_to: String,
    #[server(default)] idempotency_key: String,
) -> Result<TaskVersion, AppError> {
    let return_to = server::return_path(&return_to);
    let deleted = async {
        let (id, meta) = server::target_and_meta(&entity_id, &actor, &note, &idempotency_key)?;
        Ok::<_, AppError>(server::store()?.delete_task(id, meta).await?)
    }
    .await;
    server::answer::<DeleteTask>(deleted, return_to.as_deref(), &actor, &[])
}

/// Appends a live version with the tombstone's content.
#[server(endpoint = "restore_task")]
pub async fn restore_task(
    entity_id: String,
    #[server(default)] actor: String,
    #[server(default)] note: String,
    #[server(default)] return_to: String,
    #[server(default)] idempotency_key: String,
) -> Result<TaskVersion, AppError> {
    let return_to = server::return_path(&return_to);
    let restored = async {
        let (id, meta) = server::target_and_meta(&entity_id, &actor, &note, &idempotency_key)?;
        Ok::<_, AppError>(server::store()?.restore_task(id, meta).await?)
    }
    .await;
    server::answer::<RestoreTask>(restored, return_to.as_deref(), &actor, &[])
}

/// Appends a new version whose fields are copied from version `version`.
#[server(endpoint = "revert_task")]
pub async fn revert_task(
    entity_id: String,
    version: String,
    #[server(default)] actor: String,
    #[server(default)] note: String,
    #[server(default)] return_to: String,
    #[server(default)] idempotency_key: String,
) -> Result<TaskVersion, AppError> {
    let return_to = server::return_path(&return_to);
    let reverted = async {
        let (id, meta) = server::target_and_meta(&entity_id, &actor, &note, &idempotency_key)?;
        let target = server::version_number("version", &version)?;
        Ok::<_, AppError>(server::store()?.revert_task(id, target, meta).await?)
    }
    .await;
    server::answer::<RevertTask>(reverted, return_to.as_deref(), &actor, &[])
}
