//! Server functions: the browser's door to the store. Each parses its raw arguments with the
//! shared newtypes (the server has the final word), calls the store, and maps the outcome to an
//! `AppError` (whose HTTP status `AppError` sets itself). The writes' server functions sit in
//! `command/`, each beside the command it builds, which `/api/v1` builds too; `context` holds
//! what all of them share.
//!
//! Writes answer with a redirect to the page named by `return_to`, carrying a flash message in
//! the query string (`?flash=updated.5`), so the same forms work as plain HTML posts and as
//! Leptos actions. A plain post that fails is sent back to its form with what was typed
//! (`draft_*` parameters) and the error, so nothing entered is lost.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::diff::FieldChange;
use crate::error::AppError;
use crate::task::{ChainReport, TaskVersion};

#[cfg(feature = "ssr")]
pub(crate) mod context;
mod past;

pub use past::*;

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
    /// The earlier versions (on the same page) whose statement this one replaces: it was made
    /// true from a time at or before theirs. Empty unless the version corrects the past.
    pub corrects: Vec<i64>,
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
    let store = context::store()?;
    let page = store.list_tasks(&filter).await?;
    Ok(TaskList {
        tasks: page.rows,
        next_after: page.next.map(|cursor| cursor.to_string()),
        read_at: chrono::Utc::now(),
        backend: context::backend_name(&store).to_owned(),
    })
}

/// The latest version of a task, tombstones included; unknown and malformed ids are NotFound.
#[server(endpoint = "get_task")]
pub async fn get_task(entity_id: String) -> Result<TaskDetail, AppError> {
    use crate::task::TaskLookup;

    let entity_id = crate::command::parse_entity_id(&entity_id)?;
    match context::store()?.get_task(entity_id).await? {
        TaskLookup::Live(task) | TaskLookup::Deleted(task) => Ok(TaskDetail {
            task,
            read_at: chrono::Utc::now(),
        }),
        TaskLookup::NotFound => Err(AppError::NotFound),
    }
}

/// Each field of one task with the values it held, oldest first: the last one's version is the
/// field's blame.
#[server(endpoint = "get_blame")]
pub async fn get_blame(entity_id: String) -> Result<Vec<crate::blame::FieldHistory>, AppError> {
    let entity_id = crate::command::parse_entity_id(&entity_id)?;
    let history = context::store()?.task_history(entity_id).await?;
    if history.is_empty() {
        return Err(AppError::NotFound);
    }
    Ok(crate::blame::blame(&history))
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
    use crate::task::paging::PAGE_SIZE;
    use crate::task::TaskLookup;

    let entity_id = crate::command::parse_entity_id(&entity_id)?;
    let store = context::store()?;
    let latest = match store.get_task(entity_id).await? {
        TaskLookup::Live(task) | TaskLookup::Deleted(task) => task,
        TaskLookup::NotFound => return Err(AppError::NotFound),
    };
    let newest = latest.version;
    let number = |field: &str, raw: &str| -> Result<Option<i64>, AppError> {
        match raw.trim() {
            "" => Ok(None),
            raw => Ok(Some(context::version_number(field, raw)?.min(newest))),
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
    let (chain, entries) = context::off_executor(move || {
        versions.reverse();
        let chain = crate::store::verify_chain_after(entity_id, before.as_ref(), &versions);
        let mut previous = before.map(|version| version.fields);
        let corrections: Vec<Vec<i64>> = versions
            .iter()
            .enumerate()
            .map(|(at, version)| crate::task::corrected_by(version, &versions[..at]))
            .collect();
        let mut entries: Vec<HistoryEntry> = versions
            .into_iter()
            .zip(corrections)
            .map(|(version, corrects)| {
                let changes = crate::diff::changes(previous.as_ref(), &version.fields);
                previous = Some(version.fields.clone());
                HistoryEntry {
                    version,
                    changes,
                    corrects,
                }
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
    let entity_id = crate::command::parse_entity_id(&entity_id)?;
    let (from, to) = (
        context::version_number("from", &from)?,
        context::version_number("to", &to)?,
    );
    let store = context::store()?;
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
    context::off_executor(move || Comparison {
        changes: crate::diff::changes(Some(&from.fields), &to.fields),
        from,
        to,
    })
    .await
}

/// One page of the tombstoned tasks, most recently deleted first, continuing `after` a page
/// link's key.
#[server(endpoint = "list_deleted")]
pub async fn list_deleted(#[server(default)] after: String) -> Result<DeletedList, AppError> {
    let after = match after.trim() {
        "" => None,
        raw => Some(raw.parse()?),
    };
    let page = context::store()?.list_deleted(after).await?;
    Ok(DeletedList {
        tasks: page.rows,
        next_after: page.next.map(|cursor| cursor.to_string()),
        read_at: chrono::Utc::now(),
    })
}
