//! The reads: the board now or as it was, one task with its ETag, its versions and what changed
//! between two of them, its hash chain re-checked, and the change feed.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::Json;

use app::command::{parse_entity_id, VersionNumber};
use app::error::AppError;
use app::store::Store;
use app::task::paging::{ListCursor, TimeCursor};
use app::task::{FeedQuery, FieldError, TaskFilter, TaskLookup};

use super::preconditions::gone;
use super::types::{
    Blame, BlamedField, ChangePage, ChangeParams, Diff, ListParams, TaskPage, Verification,
    VersionPage, VersionParams,
};
use crate::api_v1::problem::{ChangedField, Problem, Problems};
use crate::api_v1::representation::{etag, represent, Task};
use crate::api_v1::{Answer, ApiPath, ApiQuery};

/// A rule broken by a query or path parameter, told as a validation problem.
fn invalid(error: FieldError) -> Problem {
    AppError::from(error).into()
}

#[utoipa::path(get, path = "/api/v1/tasks", params(ListParams),
    responses((status = 200, body = TaskPage), Problems<400, 422>))]
pub async fn list(State(store): State<Store>, ApiQuery(params): ApiQuery<ListParams>) -> Answer {
    let known_at = match (&params.known_at, &params.as_of) {
        (Some(raw), _) => Some(app::time::parse_instant("known_at", raw).map_err(invalid)?),
        (None, Some(raw)) => Some(app::time::parse_instant("as_of", raw).map_err(invalid)?),
        (None, None) => None,
    };
    let valid_at = match &params.valid_at {
        Some(raw) => Some(app::time::parse_instant("valid_at", raw).map_err(invalid)?),
        None => None,
    };
    let past = match (known_at, params.at_change) {
        (Some(at), _) => Some(at),
        (None, Some(position)) => {
            Some(store.position_instant(position).await?.ok_or_else(|| {
                invalid(FieldError::new(
                    "at_change",
                    "must be a position in the log",
                ))
            })?)
        }
        (None, None) => None,
    };
    let mut link = vec![];
    for (name, value) in [
        ("status", &params.status),
        ("sort", &params.sort),
        ("q", &params.q),
        ("as_of", &params.as_of),
        ("known_at", &params.known_at),
        ("valid_at", &params.valid_at),
    ] {
        if let Some(value) = value {
            link.push((name, value.clone()));
        }
    }
    if let Some(position) = params.at_change {
        link.push(("at_change", position.to_string()));
    }
    let next = |cursor: String| {
        let mut pairs = link.clone();
        pairs.push(("after", cursor));
        let query = pairs
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect::<Vec<_>>();
        app::task::paging::link("/api/v1/tasks", &query)
    };
    let after = params.after.as_deref().unwrap_or_default();
    let page = match (past, valid_at) {
        (None, None) => {
            let filter = TaskFilter::from_query(
                params.status.as_deref().unwrap_or_default(),
                params.sort.as_deref().unwrap_or_default(),
                params.q.as_deref().unwrap_or_default(),
                after,
            )
            .map_err(invalid)?;
            let page = store.list_tasks(&filter).await?;
            TaskPage {
                tasks: page.rows.iter().map(Task::from).collect(),
                next: page.next.map(|cursor: ListCursor| next(cursor.to_string())),
            }
        }
        (known_at, valid_at) => {
            let cursor = match after.trim() {
                "" => None,
                raw => Some(raw.parse::<TimeCursor>().map_err(invalid)?),
            };
            let known_at = known_at.unwrap_or_else(chrono::Utc::now);
            let page = match valid_at {
                Some(valid_at) => store.board_bitemporal(valid_at, known_at, cursor).await?,
                None => store.board_as_of(known_at, cursor).await?,
            };
            TaskPage {
                tasks: page.rows.iter().map(Task::from).collect(),
                next: page.next.map(|cursor| next(cursor.to_string())),
            }
        }
    };
    Ok(Json(page).into_response())
}

#[utoipa::path(get, path = "/api/v1/tasks/{id}", params(("id" = String, Path, description = "The task's id (a UUID)")),
    responses(
        (status = 200, body = Task, headers(("ETag" = String), ("Last-Modified" = String)),
            links(
                ("ReplaceTask" = (operation_id = "replace", parameters(("id" = "$response.body#/id"), ("header.If-Match" = "$response.header.ETag")))),
                ("PatchTask" = (operation_id = "patch", parameters(("id" = "$response.body#/id"), ("header.If-Match" = "$response.header.ETag")))),
                ("DeleteTask" = (operation_id = "delete", parameters(("id" = "$response.body#/id"), ("header.If-Match" = "$response.header.ETag"))))
            )),
        (status = 304),
        Problems<400, 404, 410>,
    ))]
pub async fn show(
    State(store): State<Store>,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> Answer {
    match store.get_task(parse_entity_id(&id)?).await? {
        TaskLookup::Live(version) => {
            let tag = etag(version.version);
            let unchanged = headers
                .get(header::IF_NONE_MATCH)
                .and_then(|value| value.to_str().ok())
                .is_some_and(|tags| tags.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
            if unchanged {
                let mut response = StatusCode::NOT_MODIFIED.into_response();
                if let Ok(value) = HeaderValue::from_str(&tag) {
                    response.headers_mut().insert(header::ETAG, value);
                }
                return Ok(response);
            }
            Ok(represent(StatusCode::OK, &version))
        }
        TaskLookup::Deleted(tombstone) => Err(gone(&tombstone)),
        TaskLookup::NotFound => Err(AppError::NotFound.into()),
    }
}

#[utoipa::path(get, path = "/api/v1/tasks/{id}/versions", params(("id" = String, Path, description = "The task's id (a UUID)"), VersionParams),
    responses((status = 200, body = VersionPage), Problems<400, 404, 422>))]
pub async fn versions(
    State(store): State<Store>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<VersionParams>,
) -> Answer {
    let id = parse_entity_id(&id)?;
    let through = match params.through {
        None => i64::MAX,
        Some(through) => VersionNumber::parse("through", through)
            .map_err(invalid)?
            .get(),
    };
    let mut versions = store.history_page(id, through).await?;
    if versions.is_empty() && params.through.is_none() {
        return Err(AppError::NotFound.into());
    }
    // The page holds one version more than it shows when an older page exists.
    let next = (versions.len() > app::task::paging::PAGE_SIZE).then(|| {
        versions.truncate(app::task::paging::PAGE_SIZE);
        let oldest = versions.last().map_or(0, |v| v.version);
        format!("/api/v1/tasks/{id}/versions?through={}", oldest - 1)
    });
    Ok(Json(VersionPage {
        versions: versions.iter().map(Task::from).collect(),
        next,
    })
    .into_response())
}

#[utoipa::path(get, path = "/api/v1/tasks/{id}/versions/{n}", params(("id" = String, Path, description = "The task's id (a UUID)"), ("n" = i64, Path, description = "A version number")),
    responses((status = 200, body = Task), Problems<400, 404>))]
pub async fn version(
    State(store): State<Store>,
    ApiPath((id, n)): ApiPath<(String, i64)>,
) -> Answer {
    let id = parse_entity_id(&id)?;
    match store.get_version(id, n).await? {
        Some(version) => Ok(represent(StatusCode::OK, &version)),
        None => Err(AppError::NoSuchVersion(n).into()),
    }
}

#[utoipa::path(get, path = "/api/v1/tasks/{id}/versions/{a}/diff/{b}", params(("id" = String, Path, description = "The task's id (a UUID)"), ("a" = i64, Path, description = "The earlier version"), ("b" = i64, Path, description = "The later version")),
    responses((status = 200, body = Diff), Problems<400, 404>))]
pub async fn diff(
    State(store): State<Store>,
    ApiPath((id, a, b)): ApiPath<(String, i64, i64)>,
) -> Answer {
    let id = parse_entity_id(&id)?;
    let from = store
        .get_version(id, a)
        .await?
        .ok_or(Problem::from(AppError::NoSuchVersion(a)))?;
    let to = store
        .get_version(id, b)
        .await?
        .ok_or(Problem::from(AppError::NoSuchVersion(b)))?;
    let changes = app::diff::changes(Some(&from.fields), &to.fields)
        .into_iter()
        .map(|change| ChangedField {
            field: change.field,
            before: change.old,
            after: change.new,
        })
        .collect();
    Ok(Json(Diff {
        from: a,
        to: b,
        changes,
    })
    .into_response())
}

#[utoipa::path(get, path = "/api/v1/tasks/{id}/verify", params(("id" = String, Path, description = "The task's id (a UUID)")),
    responses((status = 200, body = Verification), Problems<400, 404>))]
pub async fn verify(State(store): State<Store>, ApiPath(id): ApiPath<String>) -> Answer {
    let report = store.verify_task(parse_entity_id(&id)?).await?;
    Ok(Json(Verification {
        valid: report.is_intact(),
        versions: report.versions_checked,
        broken_at: report.broken.as_ref().map(|b| b.version),
        reason: report.broken.map(|b| b.reason),
    })
    .into_response())
}

#[utoipa::path(get, path = "/api/v1/tasks/{id}/blame", params(("id" = String, Path, description = "The task's id (a UUID)")),
    responses((status = 200, body = Blame), Problems<400, 404>))]
pub async fn blame(State(store): State<Store>, ApiPath(id): ApiPath<String>) -> Answer {
    let history = store.task_history(parse_entity_id(&id)?).await?;
    if history.is_empty() {
        return Err(AppError::NotFound.into());
    }
    let fields = app::blame::blame(&history)
        .into_iter()
        .map(BlamedField::from)
        .collect();
    Ok(Json(Blame { fields }).into_response())
}

#[utoipa::path(get, path = "/api/v1/changes", params(ChangeParams),
    responses((status = 200, body = ChangePage), Problems<400, 422>))]
pub async fn changes(
    State(store): State<Store>,
    ApiQuery(params): ApiQuery<ChangeParams>,
) -> Answer {
    if params.after.is_some_and(|after| after < 0) {
        return Err(invalid(FieldError::new(
            "after",
            "must be a position in the log (0, 1, 2, …)",
        )));
    }
    if params
        .limit
        .is_some_and(|limit| !(1..=app::store::FEED_PAGE_MAX).contains(&limit))
    {
        return Err(invalid(FieldError::new(
            "limit",
            "must be a whole number from 1 to 200",
        )));
    }
    if params.before.is_some_and(|before| before < 1) {
        return Err(invalid(FieldError::new(
            "before",
            "must be a position in the log (1, 2, 3, …)",
        )));
    }
    let query = FeedQuery {
        after: params.after,
        before: params.before,
        op: params
            .op
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(invalid)?,
        actor: params
            .actor
            .as_deref()
            .map(app::task::Actor::parse)
            .transpose()
            .map_err(invalid)?,
        since: params
            .since
            .as_deref()
            .map(|raw| app::time::parse_instant("since", raw))
            .transpose()
            .map_err(invalid)?,
        limit: params.limit.unwrap_or(50),
    };
    let page = store.change_feed(query).await?;
    let next = page
        .next_before
        .map(|before| format!("/api/v1/changes?before={before}"));
    Ok(Json(ChangePage {
        changes: page
            .entries
            .iter()
            .map(|entry| Task::from(&entry.version))
            .collect(),
        next,
    })
    .into_response())
}
