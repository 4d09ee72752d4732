//! The JSON API on both backends, through the real router and middleware: every route and every
//! status it promises (201, 200, 304, 404, 410, 412, 428, 409, 422 with fields, 400, 413, 415),
//! problem details for every error, and the same store rules as the forms.

mod app_router;

use axum::body::{to_bytes, Body};
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use rstest::rstest;
use serde_json::{json, Value};
use test_support::{unknown_id, Backend, TestDb};
use tower::ServiceExt;

use app_router::build_router;

/// One exchange with a fresh router over `db`: status, headers and the body as JSON (`Null`
/// when empty).
async fn call(
    db: &TestDb,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (StatusCode, HeaderMap, Value) {
    let mut request = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = match body {
        Some(body) => request
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    }
    .unwrap();
    let router = build_router(db, server::HttpSettings::default()).await;
    let response = router.oneshot(request).await.expect("the router answers");
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = to_bytes(response.into_body(), 1 << 22).await.unwrap();
    let json = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
    };
    (status, headers, json)
}

fn header_of<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
}

/// Checks that an answer is a problem of `kind` with `status`.
fn is_problem(answer: &(StatusCode, HeaderMap, Value), status: StatusCode, kind: &str) {
    let (got, headers, body) = answer;
    assert_eq!(*got, status, "{body}");
    assert_eq!(
        header_of(headers, "content-type"),
        "application/problem+json",
        "{body}"
    );
    assert_eq!(body["status"], status.as_u16(), "{body}");
    assert!(
        body["type"]
            .as_str()
            .unwrap()
            .ends_with(&format!("#problem-{kind}")),
        "{body}"
    );
    assert!(!body["detail"].as_str().unwrap().is_empty());
}

async fn create(db: &TestDb, title: &str) -> Value {
    let (status, _, body) = call(
        db,
        Method::POST,
        "/api/v1/tasks",
        &[],
        Some(json!({ "title": title })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}
#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_post_creates_version_1_with_its_location_and_etag(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let task = json!({
        "title": "Water the plants",
        "priority": 2,
        "status": "in_progress",
        "due_date": "2026-12-24",
        "actor": "ada",
        "note": "weekly",
    });
    let (status, headers, body) = call(&db, Method::POST, "/api/v1/tasks", &[], Some(task)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_str().unwrap();
    assert_eq!(
        header_of(&headers, "location"),
        format!("/api/v1/tasks/{id}")
    );
    assert_eq!(header_of(&headers, "etag"), "\"1\"");
    assert_eq!(
        (
            body["version"].as_i64(),
            body["title"].as_str(),
            body["priority"].as_i64()
        ),
        (Some(1), Some("Water the plants"), Some(2))
    );
    assert_eq!(
        (
            body["status"].as_str(),
            body["due_date"].as_str(),
            body["op"].as_str()
        ),
        (Some("in_progress"), Some("2026-12-24"), Some("created"))
    );
    assert_eq!(
        (body["actor"].as_str(), body["note"].as_str()),
        (Some("ada"), Some("weekly"))
    );

    let (status, _, list) = call(
        &db,
        Method::GET,
        "/api/v1/tasks?status=in_progress",
        &[],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["tasks"][0]["id"], body["id"]);
    assert!(list["next"].is_null());
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_post_repeated_with_its_idempotency_key_appends_once(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let key = [("idempotency-key", "0193a8f2-6c1e-7c3a-9d4e-2b1f0e9a8c7d")];
    let first = call(
        &db,
        Method::POST,
        "/api/v1/tasks",
        &key,
        Some(json!({ "title": "Once" })),
    )
    .await;
    let again = call(
        &db,
        Method::POST,
        "/api/v1/tasks",
        &key,
        Some(json!({ "title": "Once" })),
    )
    .await;
    assert_eq!(first.0, StatusCode::CREATED);
    assert_eq!(again.0, StatusCode::CREATED);
    assert_eq!(
        (again.2["id"].clone(), again.2["position"].clone()),
        (first.2["id"].clone(), first.2["position"].clone())
    );
    assert_eq!(db.version_rows().await, 1);
    let bad = call(
        &db,
        Method::POST,
        "/api/v1/tasks",
        &[("idempotency-key", "twice")],
        Some(json!({ "title": "Once" })),
    )
    .await;
    is_problem(&bad, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(bad.2["errors"][0]["field"], "idempotency_key");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_task_answers_with_its_version_as_etag_and_304_when_unchanged(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let task = create(&db, "Cached").await;
    let path = format!("/api/v1/tasks/{}", task["id"].as_str().unwrap());
    let (status, headers, body) = call(&db, Method::GET, &path, &[], None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header_of(&headers, "etag"), "\"1\"");
    assert!(header_of(&headers, "last-modified").ends_with(" GMT"));
    assert_eq!(body["title"], "Cached");
    let (status, headers, body) =
        call(&db, Method::GET, &path, &[("if-none-match", "\"1\"")], None).await;
    assert_eq!((status, body), (StatusCode::NOT_MODIFIED, Value::Null));
    assert_eq!(header_of(&headers, "etag"), "\"1\"");
    let (status, _, _) = call(&db, Method::GET, &path, &[("if-none-match", "\"7\"")], None).await;
    assert_eq!(status, StatusCode::OK);

    is_problem(
        &call(
            &db,
            Method::GET,
            &format!("/api/v1/tasks/{}", unknown_id()),
            &[],
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
        "not-found",
    );
    is_problem(
        &call(&db, Method::GET, "/api/v1/tasks/not-a-task", &[], None).await,
        StatusCode::NOT_FOUND,
        "not-found",
    );
    is_problem(
        &call(&db, Method::GET, "/api/v1/nowhere", &[], None).await,
        StatusCode::NOT_FOUND,
        "no-such-route",
    );
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_that_replace_a_version_require_if_match_and_a_stale_one_is_412_with_what_changed(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let task = create(&db, "Contested").await;
    let path = format!("/api/v1/tasks/{}", task["id"].as_str().unwrap());
    let draft = json!({ "title": "Mine", "description": "first edit" });
    is_problem(
        &call(&db, Method::PUT, &path, &[], Some(draft.clone())).await,
        StatusCode::PRECONDITION_REQUIRED,
        "precondition-required",
    );
    is_problem(
        &call(
            &db,
            Method::PATCH,
            &path,
            &[],
            Some(json!({ "title": "Mine" })),
        )
        .await,
        StatusCode::PRECONDITION_REQUIRED,
        "precondition-required",
    );
    is_problem(
        &call(&db, Method::DELETE, &path, &[], None).await,
        StatusCode::PRECONDITION_REQUIRED,
        "precondition-required",
    );
    is_problem(
        &call(
            &db,
            Method::PUT,
            &path,
            &[("if-match", "1")],
            Some(draft.clone()),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "bad-request",
    );

    let (status, headers, body) = call(
        &db,
        Method::PUT,
        &path,
        &[("if-match", "\"1\"")],
        Some(draft),
    )
    .await;
    assert_eq!(
        (status, header_of(&headers, "etag")),
        (StatusCode::OK, "\"2\""),
        "{body}"
    );
    assert_eq!(
        (body["title"].as_str(), body["op"].as_str()),
        (Some("Mine"), Some("updated"))
    );

    // Someone still holding version 1 is told the current ETag and what changed since.
    let stale = call(
        &db,
        Method::PUT,
        &path,
        &[("if-match", "\"1\"")],
        Some(json!({ "title": "Theirs" })),
    )
    .await;
    is_problem(&stale, StatusCode::PRECONDITION_FAILED, "stale");
    assert_eq!(header_of(&stale.1, "etag"), "\"2\"");
    assert_eq!(stale.2["current_etag"], "\"2\"");
    let changed: Vec<_> = stale.2["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(changed, ["title", "description"]);
    assert_eq!(stale.2["changes"][0]["before"], "Contested");
    assert_eq!(stale.2["changes"][0]["after"], "Mine");
    is_problem(
        &call(&db, Method::DELETE, &path, &[("if-match", "\"1\"")], None).await,
        StatusCode::PRECONDITION_FAILED,
        "stale",
    );
    assert_eq!(
        db.version_rows().await,
        2,
        "refused writes appended nothing"
    );
    // `*` asks for whichever version is current.
    let (status, headers, _) = call(
        &db,
        Method::PUT,
        &path,
        &[("if-match", "*")],
        Some(json!({ "title": "Anyone's" })),
    )
    .await;
    assert_eq!(
        (status, header_of(&headers, "etag")),
        (StatusCode::OK, "\"3\"")
    );
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_merge_patch_changes_only_what_it_names_and_null_clears(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let task = json!({
        "title": "Patched",
        "description": "keep me",
        "priority": 3,
        "due_date": "2026-12-01",
    });
    let (_, _, task) = call(&db, Method::POST, "/api/v1/tasks", &[], Some(task)).await;
    let path = format!("/api/v1/tasks/{}", task["id"].as_str().unwrap());
    let request = Request::patch(&path)
        .header(header::CONTENT_TYPE, "application/merge-patch+json")
        .header(header::IF_MATCH, "\"1\"")
        .body(Body::from(
            json!({ "status": "done", "due_date": null }).to_string(),
        ))
        .unwrap();
    let response = build_router(&db, server::HttpSettings::default())
        .await
        .oneshot(request)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value =
        serde_json::from_slice(&to_bytes(response.into_body(), 1 << 20).await.unwrap()).unwrap();
    assert_eq!(
        (
            body["status"].as_str(),
            body["description"].as_str(),
            body["priority"].as_i64()
        ),
        (Some("done"), Some("keep me"), Some(3))
    );
    assert!(body["due_date"].is_null());
    assert_eq!(body["title"], "Patched");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_deleted_task_is_gone_with_its_tombstone_and_comes_back_by_restore(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let task = create(&db, "Short-lived").await;
    let id = task["id"].as_str().unwrap();
    let path = format!("/api/v1/tasks/{id}");
    let (status, _, tombstone) =
        call(&db, Method::DELETE, &path, &[("if-match", "\"1\"")], None).await;
    assert_eq!(status, StatusCode::OK, "{tombstone}");
    assert_eq!(
        (tombstone["version"].as_i64(), tombstone["op"].as_str()),
        (Some(2), Some("deleted"))
    );
    assert!(tombstone["deleted_at"].is_string());

    let gone = call(&db, Method::GET, &path, &[], None).await;
    is_problem(&gone, StatusCode::GONE, "deleted");
    assert_eq!(gone.2["tombstone"]["version"], 2);
    assert_eq!(gone.2["restore"], format!("/api/v1/tasks/{id}/restore"));
    is_problem(
        &call(
            &db,
            Method::PUT,
            &path,
            &[("if-match", "\"2\"")],
            Some(json!({ "title": "Too late" })),
        )
        .await,
        StatusCode::GONE,
        "deleted",
    );

    let (status, headers, restored) =
        call(&db, Method::POST, &format!("{path}/restore"), &[], None).await;
    assert_eq!(
        (status, header_of(&headers, "etag")),
        (StatusCode::OK, "\"3\""),
        "{restored}"
    );
    assert_eq!(
        (restored["op"].as_str(), restored["title"].as_str()),
        (Some("restored"), Some("Short-lived"))
    );
    is_problem(
        &call(&db, Method::POST, &format!("{path}/restore"), &[], None).await,
        StatusCode::CONFLICT,
        "not-deleted",
    );
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_bodies_are_refused_with_the_rule_they_broke_and_nothing_written(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let invalid = call(
        &db,
        Method::POST,
        "/api/v1/tasks",
        &[],
        Some(json!({ "title": "  ", "priority": 9, "due_date": "soon" })),
    )
    .await;
    is_problem(&invalid, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let fields: Vec<_> = invalid.2["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fields, ["title", "priority", "due_date"]);
    assert!(
        invalid.2["errors"][0]["rule"]
            .as_str()
            .unwrap()
            .contains("is required"),
        "{}",
        invalid.2
    );

    is_problem(
        &call(
            &db,
            Method::POST,
            "/api/v1/tasks",
            &[],
            Some(json!({ "title": "x", "colour": "red" })),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "bad-request",
    );
    let request = Request::post("/api/v1/tasks")
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from("title=x"))
        .unwrap();
    let response = build_router(&db, server::HttpSettings::default())
        .await
        .oneshot(request)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        header_of(response.headers(), "content-type"),
        "application/problem+json"
    );
    let huge = json!({ "title": "x", "description": "é".repeat(200_000) }).to_string();
    let request = Request::post("/api/v1/tasks")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, huge.len())
        .body(Body::from(huge))
        .unwrap();
    let response = build_router(&db, server::HttpSettings::default())
        .await
        .oneshot(request)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(db.version_rows().await, 0);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn history_versions_diffs_the_hash_chain_and_revert(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let task = create(&db, "Historic").await;
    let id = task["id"].as_str().unwrap();
    let path = format!("/api/v1/tasks/{id}");
    call(
        &db,
        Method::PUT,
        &path,
        &[("if-match", "\"1\"")],
        Some(json!({ "title": "Historic, edited" })),
    )
    .await;
    let (status, _, versions) =
        call(&db, Method::GET, &format!("{path}/versions"), &[], None).await;
    assert_eq!(status, StatusCode::OK);
    let numbers: Vec<_> = versions["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [2, 1]);
    let (_, headers, first) =
        call(&db, Method::GET, &format!("{path}/versions/1"), &[], None).await;
    assert_eq!(
        (first["title"].as_str(), header_of(&headers, "etag")),
        (Some("Historic"), "\"1\"")
    );
    is_problem(
        &call(&db, Method::GET, &format!("{path}/versions/9"), &[], None).await,
        StatusCode::NOT_FOUND,
        "no-such-version",
    );
    let (_, _, diff) = call(
        &db,
        Method::GET,
        &format!("{path}/versions/1/diff/2"),
        &[],
        None,
    )
    .await;
    assert_eq!(
        diff["changes"][0],
        json!({ "field": "title", "before": "Historic", "after": "Historic, edited" })
    );
    let (_, _, chain) = call(&db, Method::GET, &format!("{path}/verify"), &[], None).await;
    assert_eq!(
        (chain["valid"].as_bool(), chain["versions"].as_i64()),
        (Some(true), Some(2))
    );

    let (status, _, reverted) = call(
        &db,
        Method::POST,
        &format!("{path}/revert"),
        &[],
        Some(json!({ "version": 1, "note": "back" })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{reverted}");
    assert_eq!(
        (
            reverted["version"].as_i64(),
            reverted["title"].as_str(),
            reverted["op"].as_str()
        ),
        (Some(3), Some("Historic"), Some("reverted"))
    );
    is_problem(
        &call(
            &db,
            Method::POST,
            &format!("{path}/revert"),
            &[],
            Some(json!({ "version": 3 })),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not-applicable",
    );
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_change_feed_and_the_past_board_page_by_position(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let first = create(&db, "First").await;
    let second = create(&db, "Second").await;
    let (status, _, feed) = call(&db, Method::GET, "/api/v1/changes", &[], None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(feed["changes"][0]["id"], second["id"]);
    let after = format!("/api/v1/changes?after={}", first["position"]);
    let (_, _, newer) = call(&db, Method::GET, &after, &[], None).await;
    assert_eq!(newer["changes"].as_array().unwrap().len(), 1);
    let (_, _, only) = call(
        &db,
        Method::GET,
        "/api/v1/changes?op=created&limit=1",
        &[],
        None,
    )
    .await;
    assert_eq!(only["changes"].as_array().unwrap().len(), 1);
    assert!(only["next"]
        .as_str()
        .unwrap()
        .starts_with("/api/v1/changes?before="));
    is_problem(
        &call(&db, Method::GET, "/api/v1/changes?op=renamed", &[], None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    );

    let at_first = format!("/api/v1/tasks?at_change={}", first["position"]);
    let (_, _, then) = call(&db, Method::GET, &at_first, &[], None).await;
    let titles: Vec<_> = then["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(titles, ["First"]);
    is_problem(
        &call(&db, Method::GET, "/api/v1/tasks?as_of=yesterday", &[], None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    );
    is_problem(
        &call(&db, Method::GET, "/api/v1/tasks?sort=sideways", &[], None).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    );
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_openapi_document_lists_every_route(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let (status, _, document) = call(&db, Method::GET, "/api/v1/openapi.json", &[], None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = document["paths"].as_object().unwrap();
    for path in [
        "/api/v1/tasks",
        "/api/v1/tasks/{id}",
        "/api/v1/tasks/{id}/restore",
        "/api/v1/tasks/{id}/revert",
        "/api/v1/tasks/{id}/versions",
        "/api/v1/tasks/{id}/versions/{n}",
        "/api/v1/tasks/{id}/versions/{a}/diff/{b}",
        "/api/v1/tasks/{id}/verify",
        "/api/v1/tasks/{id}/blame",
        "/api/v1/changes",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from {:?}",
            paths.keys()
        );
    }
    assert!(document["components"]["schemas"]["ProblemDetails"].is_object());
    // The links a client (or Schemathesis's stateful phase) follows: create, read, replace
    // with the ETag it was given, delete, restore.
    let created = &document["paths"]["/api/v1/tasks"]["post"]["responses"]["201"]["links"];
    assert_eq!(created["ReplaceTask"]["operationId"], "replace");
    assert_eq!(
        created["ReplaceTask"]["parameters"]["header.If-Match"],
        "$response.header.ETag"
    );
    assert_eq!(created["GetTask"]["parameters"]["id"], "$response.body#/id");
    let deleted = &document["paths"]["/api/v1/tasks/{id}"]["delete"]["responses"]["200"]["links"];
    assert_eq!(deleted["RestoreTask"]["operationId"], "restore");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_json_write_from_another_site_is_refused_like_a_form(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let (status, _, _) = call(
        &db,
        Method::POST,
        "/api/v1/tasks",
        &[("origin", "https://elsewhere.example")],
        Some(json!({ "title": "Forged" })),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(db.version_rows().await, 0);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_site_an_operator_allowed_may_call_the_api_from_its_pages_and_others_may_not(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let allowed = server::guard::PublicOrigin::parse("https://dashboard.example.org").unwrap();
    let settings = server::HttpSettings {
        api_origins: vec![allowed],
        ..server::HttpSettings::default()
    };
    let preflight = Request::builder()
        .method(Method::OPTIONS)
        .uri("/api/v1/tasks")
        .header(header::ORIGIN, "https://dashboard.example.org")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            "content-type,idempotency-key",
        )
        .body(Body::empty())
        .unwrap();
    let response = build_router(&db, settings.clone())
        .await
        .oneshot(preflight)
        .await
        .unwrap();
    assert!(response.status().is_success(), "{:?}", response.status());
    assert_eq!(
        header_of(response.headers(), "access-control-allow-origin"),
        "https://dashboard.example.org"
    );

    let write = |origin: &str| {
        Request::post("/api/v1/tasks")
            .header(header::ORIGIN, origin)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({ "title": "From the dashboard" }).to_string(),
            ))
            .unwrap()
    };
    let response = build_router(&db, settings.clone())
        .await
        .oneshot(write("https://dashboard.example.org"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        header_of(response.headers(), "access-control-expose-headers").to_lowercase(),
        "etag,location,last-modified"
    );
    let response = build_router(&db, settings.clone())
        .await
        .oneshot(write("https://elsewhere.example"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // The allowance covers the JSON API only, never the pages' form endpoints.
    let form = Request::post("/api/create_task")
        .header(header::ORIGIN, "https://dashboard.example.org")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("title=Forged"))
        .unwrap();
    let response = build_router(&db, settings)
        .await
        .oneshot(form)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(db.version_rows().await, 1);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_reference_page_is_served_with_its_viewer_and_explains_every_problem_type(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let (status, headers, page) = call(&db, Method::GET, "/api/v1/docs", &[], None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(header_of(&headers, "content-security-policy").contains("script-src 'self'"));
    let page = page.as_str().unwrap().to_owned();
    for kind in [
        "validation",
        "not-applicable",
        "bad-request",
        "unsupported-media-type",
        "precondition-required",
        "stale",
        "deleted",
        "in-progress",
        "not-deleted",
        "not-found",
        "no-such-version",
        "no-such-route",
        "internal",
    ] {
        assert!(
            page.contains(&format!("id=\"problem-{kind}\"")),
            "problem-{kind} is not explained"
        );
    }
    for (file, kind) in [
        ("swagger-ui-bundle.js", "text/javascript"),
        ("swagger-ui.css", "text/css"),
        ("reference.js", "text/javascript"),
    ] {
        let (status, headers, _) =
            call(&db, Method::GET, &format!("/api/v1/docs/{file}"), &[], None).await;
        assert_eq!(
            (status, header_of(&headers, "content-type")),
            (StatusCode::OK, kind),
            "{file}"
        );
    }
    is_problem(
        &call(&db, Method::GET, "/api/v1/docs/secrets.txt", &[], None).await,
        StatusCode::NOT_FOUND,
        "no-such-route",
    );
}

/// The fields a 422 problem names, in order.
fn refused_fields(answer: &(StatusCode, HeaderMap, Value)) -> Vec<String> {
    is_problem(answer, StatusCode::UNPROCESSABLE_ENTITY, "validation");
    answer.2["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_valid_time_is_accepted_on_create_replace_and_patch_and_refused_when_impossible(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let now = chrono::Utc::now();
    let at = |days: i64| (now - chrono::Duration::days(days)).to_rfc3339();
    let (status, _, created) = call(
        &db,
        Method::POST,
        "/api/v1/tasks",
        &[],
        Some(json!({ "title": "Found late", "valid_from": at(3) })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let path = format!("/api/v1/tasks/{}", created["id"].as_str().unwrap());
    let stated = |body: &Value| {
        chrono::DateTime::parse_from_rfc3339(body["valid_from"].as_str().unwrap())
            .unwrap()
            .timestamp()
    };
    assert_eq!(
        stated(&created),
        (now - chrono::Duration::days(3)).timestamp()
    );

    let (status, _, replaced) = call(
        &db,
        Method::PUT,
        &path,
        &[("if-match", "\"1\"")],
        Some(json!({ "title": "Found late", "status": "in_progress", "valid_from": at(2) })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{replaced}");
    assert_eq!(
        stated(&replaced),
        (now - chrono::Duration::days(2)).timestamp()
    );
    let (status, _, patched) = call(
        &db,
        Method::PATCH,
        &path,
        &[("if-match", "\"2\"")],
        Some(json!({ "status": "done", "valid_from": at(1), "note": "done as of yesterday" })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(
        stated(&patched),
        (now - chrono::Duration::days(1)).timestamp()
    );
    let (_, _, plain) = call(&db, Method::GET, &path, &[], None).await;
    assert_eq!(plain["version"], 3);

    let future = (now + chrono::Duration::days(1)).to_rfc3339();
    for (method, etag, body) in [
        (
            Method::POST,
            None,
            json!({ "title": "Later", "valid_from": future }),
        ),
        (
            Method::POST,
            None,
            json!({ "title": "Garbled", "valid_from": "last tuesday" }),
        ),
        // The document says date-time: blank is none (leave it out, or null, for now).
        (
            Method::POST,
            None,
            json!({ "title": "Blank", "valid_from": "" }),
        ),
        (
            Method::POST,
            None,
            json!({ "title": "Spaced", "valid_from": "2026-01-02 03:04:05Z" }),
        ),
        (
            Method::PUT,
            Some("\"3\""),
            json!({ "title": "Too early", "valid_from": at(4) }),
        ),
        (
            Method::PATCH,
            Some("\"3\""),
            json!({ "status": "todo", "valid_from": future }),
        ),
        (
            Method::PATCH,
            Some("\"3\""),
            json!({ "valid_from": "2026-13-45T99:00" }),
        ),
    ] {
        let target = if method == Method::POST {
            "/api/v1/tasks"
        } else {
            path.as_str()
        };
        let headers: Vec<(&str, &str)> = etag.map(|etag| ("if-match", etag)).into_iter().collect();
        let answer = call(&db, method.clone(), target, &headers, Some(body.clone())).await;
        assert_eq!(refused_fields(&answer), ["valid_from"], "{method} {body}");
    }
    assert_eq!(db.version_rows().await, 3, "nothing refused was written");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_board_at_a_valid_time_as_known_at_a_recorded_time(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let now = chrono::Utc::now();
    let days_ago = |days: f64| {
        (now - chrono::Duration::minutes((days * 1440.0) as i64))
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    };
    let (_, _, created) = call(
        &db,
        Method::POST,
        "/api/v1/tasks",
        &[],
        Some(json!({ "title": "Late news", "valid_from": days_ago(3.0) })),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    let before_news = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let (status, _, done) = call(
        &db,
        Method::PATCH,
        &format!("/api/v1/tasks/{id}"),
        &[("if-match", "\"1\"")],
        Some(json!({ "status": "done", "valid_from": days_ago(2.0) })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");

    let board = |query: String| {
        let db = &db;
        async move {
            let (status, _, body) = call(
                db,
                Method::GET,
                &format!("/api/v1/tasks?{query}"),
                &[],
                None,
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{query}: {body}");
            body["tasks"]
                .as_array()
                .unwrap()
                .iter()
                .map(|task| {
                    (
                        task["status"].as_str().unwrap().to_owned(),
                        task["version"].as_i64().unwrap(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let encoded = |at: String| at.replace('+', "%2B");
    assert_eq!(
        board(format!("valid_at={}", encoded(days_ago(4.0)))).await,
        []
    );
    assert_eq!(
        board(format!("valid_at={}", encoded(days_ago(2.5)))).await,
        [("todo".to_owned(), 1)]
    );
    assert_eq!(
        board(format!("valid_at={}", encoded(days_ago(1.0)))).await,
        [("done".to_owned(), 2)]
    );
    assert_eq!(
        board(format!(
            "valid_at={}&known_at={}",
            encoded(days_ago(1.0)),
            encoded(before_news.clone())
        ))
        .await,
        [("todo".to_owned(), 1)],
        "before the news was recorded the log still said to do"
    );
    is_problem(
        &call(
            &db,
            Method::GET,
            "/api/v1/tasks?valid_at=tuesday",
            &[],
            None,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
    );
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn blame_names_the_version_behind_each_fields_value_with_both_times(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let days_ago = |days: i64| (chrono::Utc::now() - chrono::Duration::days(days)).to_rfc3339();
    let (_, _, created) = call(
        &db,
        Method::POST,
        "/api/v1/tasks",
        &[],
        Some(json!({ "title": "Blamed", "valid_from": days_ago(2) })),
    )
    .await;
    let path = format!("/api/v1/tasks/{}", created["id"].as_str().unwrap());
    let yesterday = days_ago(1);
    let (status, _, _) = call(
        &db,
        Method::PATCH,
        &path,
        &[("if-match", "\"1\"")],
        Some(
            json!({ "status": "done", "actor": "bo", "note": "finished", "valid_from": yesterday }),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let (status, _, blame) = call(&db, Method::GET, &format!("{path}/blame"), &[], None).await;
    assert_eq!(status, StatusCode::OK, "{blame}");
    let field = |name: &str| {
        blame["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|field| field["field"] == name)
            .unwrap()["values"]
            .clone()
    };
    assert_eq!(field("title").as_array().unwrap().len(), 1);
    let status_values = field("status");
    assert_eq!(status_values.as_array().unwrap().len(), 2);
    let now = &status_values[1];
    assert_eq!(
        (&now["value"], &now["version"], &now["actor"], &now["note"]),
        (&json!("Done"), &json!(2), &json!("bo"), &json!("finished"))
    );
    assert_ne!(
        now["valid_from"], now["recorded_at"],
        "the change held from yesterday"
    );
    assert_eq!(field("description"), json!([]));

    is_problem(
        &call(
            &db,
            Method::GET,
            &format!("/api/v1/tasks/{}/blame", unknown_id()),
            &[],
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
        "not-found",
    );
}
