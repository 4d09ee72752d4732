//! The HTTP boundary, exercised through the real router and middleware on both backends: bad
//! input is a 4xx with every broken field named and nothing written; titles are escaped; stale
//! edits are 409s; plain form posts redirect (with a flash, or back to the form with the draft).

mod app_router;

use app::error::AppError;
use app::task::TaskVersion;
use axum::body::{to_bytes, Body};
use axum::http::{header, Request, StatusCode};
use axum::Router;
use rstest::rstest;
use test_support::{fields, Backend, TestDb};
use tower::ServiceExt;

use app_router::build_router;

async fn app(db: &TestDb) -> Router {
    build_router(db, server::HttpSettings::default()).await
}

async fn create(db: &TestDb, title: &str) -> TaskVersion {
    db.store
        .create_task(fields(title), app::task::ChangeMeta::anonymous())
        .await
        .expect("create a task")
}

async fn send(router: Router, request: Request<Body>) -> (StatusCode, String) {
    let response = router.oneshot(request).await.expect("the router answers");
    let status = response.status();
    let body = to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("a readable body");
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// Reads a server-sent event stream until `wanted` events have arrived, returning its text.
async fn read_events(
    router: Router,
    request: Request<Body>,
    wanted: usize,
) -> (StatusCode, String, String) {
    use futures::StreamExt;

    let response = router.oneshot(request).await.expect("the router answers");
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let mut body = response.into_body().into_data_stream();
    let mut text = String::new();
    while text.matches("\n\n").count() < wanted {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(20), body.next())
            .await
            .expect("the stream keeps sending")
            .expect("the stream stays open")
            .expect("a readable chunk");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    (status, content_type, text)
}

/// The part of a time-travel page listing live tasks, and the part listing deleted ones.
/// The past board's row of a task, from its opening tag on: live rows and deleted ones share
/// the list and differ by class.
fn board_row<'a>(html: &'a str, class: &str, id: &str) -> Option<&'a str> {
    let board = html
        .split_once("time-travel-banner")
        .map_or("", |(_, rest)| rest);
    board
        .split_once(&format!("data-entity-id=\"{id}\" class=\"{class}\""))
        .map(|(_, rest)| rest)
}

fn post_form(path: &str, form: &str) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::CONTENT_LENGTH, form.len())
        .header(header::ACCEPT, "application/json")
        .body(Body::from(form.to_owned()))
        .unwrap()
}
#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn posting_a_valid_form_creates_version_1(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let (status, body) = send(
        app(&db).await,
        post_form(
            "/api/create_task",
            "title=Water+the+plants&priority=2&status=todo&actor=ada&note=weekly",
        ),
    )
    .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    let created: TaskVersion = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (created.version, created.fields.title.as_str()),
        (1, "Water the plants")
    );
    assert_eq!(created.actor.as_str(), "ada");
    assert_eq!(db.version_rows().await, 1);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn posting_invalid_fields_answers_422_naming_each_field_and_writes_nothing(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let form = "title=+++&status=someday&priority=9&due_date=next+week&description=ok&actor=&note=";
    let (status, body) = send(app(&db).await, post_form("/api/create_task", form)).await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let AppError::Invalid(errors) = serde_json::from_str(&body).unwrap() else {
        panic!("expected field errors, got {body}");
    };
    let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["title", "status", "priority", "due_date"]);
    assert_eq!(db.version_rows().await, 0);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_form_posted_twice_with_one_key_answers_the_same_version_and_a_malformed_key_is_a_422(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let key = "0195f0a4-7c1e-7d2a-9b3c-5e6f7a8b9c0d";
    let form = format!("title=Posted+twice&idempotency_key={key}");
    let (first, body) = send(app(&db).await, post_form("/api/create_task", &form)).await;
    assert_eq!(first, StatusCode::OK, "{body}");
    let (again, repeat) = send(app(&db).await, post_form("/api/create_task", &form)).await;
    assert_eq!(again, StatusCode::OK, "{repeat}");
    let (first, again): (TaskVersion, TaskVersion) = (
        serde_json::from_str(&body).unwrap(),
        serde_json::from_str(&repeat).unwrap(),
    );
    assert_eq!(first, again);
    assert_eq!(db.version_rows().await, 1);

    let (status, body) = send(
        app(&db).await,
        post_form(
            "/api/create_task",
            "title=Bad+key&idempotency_key=not-a-uuid",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let AppError::Invalid(errors) = serde_json::from_str(&body).unwrap() else {
        panic!("expected field errors, got {body}");
    };
    assert_eq!(
        errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
        ["idempotency_key"]
    );
    assert_eq!(db.version_rows().await, 1, "a refused key writes nothing");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replay_position_or_a_board_change_that_is_not_a_number_is_a_422(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    for (path, form, field) in [
        ("/api/replay_log", "up_to=soon", "up_to"),
        ("/api/temporal_board", "at_change=later", "at_change"),
    ] {
        let (status, body) = send(app(&db).await, post_form(path, form)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
        let AppError::Invalid(errors) = serde_json::from_str(&body).unwrap() else {
            panic!("expected field errors, got {body}");
        };
        assert_eq!(errors[0].field, field);
    }
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_form_without_a_title_field_is_a_bad_request_not_a_server_error(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let (status, body) = send(app(&db).await, post_form("/api/create_task", "priority=1")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(matches!(
        serde_json::from_str(&body).unwrap(),
        AppError::BadRequest(_)
    ));
    assert_eq!(db.version_rows().await, 0);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_oversized_request_body_is_refused_before_it_reaches_the_store(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let form = format!("title={}", "x".repeat(300 * 1024));
    let (status, _) = send(app(&db).await, post_form("/api/create_task", &form)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(db.version_rows().await, 0);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_list_page_renders_titles_as_text_never_as_markup(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let hostile = r#"<script>alert("owned")</script> & 'quotes'"#;
    let form = format!("title={}", hostile.replace('&', "%26").replace(' ', "+"));
    let (status, _) = send(app(&db).await, post_form("/api/create_task", &form)).await;
    assert_eq!(status, StatusCode::OK);

    let (status, html) = send(
        app(&db).await,
        Request::get("/").body(Body::empty()).unwrap(),
    )
    .await;

    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("&lt;script&gt;alert("), "{html}");
    assert!(
        !html.contains("<script>alert("),
        "the title must be escaped"
    );
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unknown_page_is_a_404(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let (status, html) = send(
        app(&db).await,
        Request::get("/nowhere").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Page not found"));
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stale_edit_answers_409_with_the_winning_version_and_writes_nothing(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let created = create(&db, "Shared").await;
    let form = |title: &str| {
        format!(
            "entity_id={}&expected_version=1&title={title}",
            created.entity_id
        )
    };
    let (status, _) = send(
        app(&db).await,
        post_form("/api/update_task", &form("First")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = send(
        app(&db).await,
        post_form("/api/update_task", &form("Second")),
    )
    .await;

    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        serde_json::from_str::<AppError>(&body).unwrap(),
        AppError::Conflict { current_version: 2 }
    );
    assert_eq!(db.version_rows().await, 2);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_plain_form_post_goes_back_to_its_form_with_what_was_typed(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let created = create(&db, "Shared").await;
    let edit_path = format!("/tasks/{}/edit", created.entity_id);
    let edit_page = format!("http://localhost{edit_path}");
    let form = format!(
        "entity_id={}&expected_version=1&title=+++&priority=9&note=my+reason",
        created.entity_id
    );
    let request = Request::post("/api/update_task")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "text/html")
        .header(header::HOST, "localhost")
        .header(header::REFERER, &edit_page)
        .body(Body::from(form))
        .unwrap();
    let response = app(&db).await.oneshot(request).await.unwrap();

    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        location.starts_with(&edit_path),
        "only the path: the browser stays on this site: {location}"
    );
    for kept in [
        "draft_priority=9",
        "draft_note=my+reason",
        "draft_expected_version=1",
        "__err=",
    ] {
        assert!(location.contains(kept), "{kept} missing from {location}");
    }
    assert_eq!(db.version_rows().await, 1);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_plain_form_save_redirects_with_a_flash_and_remembers_the_actor(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let created = create(&db, "Shared").await;
    let form = format!(
        "entity_id={}&expected_version=1&title=Renamed&actor=Ada+L",
        created.entity_id
    );
    let request = Request::post("/api/update_task")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "text/html")
        .header(header::HOST, "localhost")
        .header(header::REFERER, "http://localhost/elsewhere")
        .body(Body::from(form))
        .unwrap();
    let response = app(&db).await.oneshot(request).await.unwrap();

    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(
        response.headers()[header::LOCATION],
        format!("/tasks/{}?flash=updated.2", created.entity_id).as_str()
    );
    let cookie = response.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.starts_with("actor=Ada+L;"), "{cookie}");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn return_to_only_leads_back_into_this_site(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let request = Request::post("/api/create_task")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "text/html")
        .header(header::HOST, "localhost")
        .header(header::REFERER, "http://localhost/")
        .body(Body::from("title=Phish&return_to=%2F%2Fevil.example%2F"))
        .unwrap();
    let response = app(&db).await.oneshot(request).await.unwrap();

    let location = response.headers()[header::LOCATION].to_str().unwrap();
    assert!(location.starts_with("/tasks/"), "{location}");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refused_lifecycle_steps_answer_4xx_not_5xx(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let created = create(&db, "Once").await;
    let id = created.entity_id;
    let (status, _) = send(
        app(&db).await,
        post_form("/api/delete_task", &format!("entity_id={id}")),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let (again, _) = send(
        app(&db).await,
        post_form("/api/delete_task", &format!("entity_id={id}")),
    )
    .await;
    let (edit, _) = send(
        app(&db).await,
        post_form(
            "/api/update_task",
            &format!("entity_id={id}&expected_version=2&title=x"),
        ),
    )
    .await;
    let (unknown, _) = send(
        app(&db).await,
        post_form("/api/delete_task", "entity_id=not-an-id"),
    )
    .await;
    let (restored, _) = send(
        app(&db).await,
        post_form("/api/restore_task", &format!("entity_id={id}")),
    )
    .await;
    let (restore_live, _) = send(
        app(&db).await,
        post_form("/api/restore_task", &format!("entity_id={id}")),
    )
    .await;
    let (no_version, _) = send(
        app(&db).await,
        post_form("/api/revert_task", &format!("entity_id={id}&version=9")),
    )
    .await;

    assert_eq!(
        [again, edit, unknown, restored, restore_live, no_version],
        [
            StatusCode::GONE,
            StatusCode::GONE,
            StatusCode::NOT_FOUND,
            StatusCode::OK,
            StatusCode::CONFLICT,
            StatusCode::UNPROCESSABLE_ENTITY,
        ]
    );
    assert_eq!(db.version_rows().await, 3);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn task_pages_answer_404_for_unknown_ids_and_say_when_a_task_was_deleted(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let created = create(&db, "Gone soon").await;
    db.store
        .delete_task(created.entity_id, app::task::ChangeMeta::anonymous())
        .await
        .unwrap();
    let get = |path: String| Request::get(path).body(Body::empty()).unwrap();

    let (status, html) = send(app(&db).await, get(format!("/tasks/{}", created.entity_id))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("This task was deleted"), "{html}");

    for path in [
        "/tasks/not-an-id",
        "/tasks/01900000-0000-7000-8000-000000000000/history",
    ] {
        let (status, html) = send(app(&db).await, get(path.to_owned())).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(html.contains("No such task"), "{path}");
    }
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_change_stream_resumes_after_the_last_event_id_it_was_given(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let first = create(&db, "Streamed").await;
    let meta = app::task::ChangeMeta::anonymous;
    let second = db
        .store
        .update_task(first.entity_id, 1, fields("Streamed on"), meta())
        .await
        .unwrap();
    let third = db.store.delete_task(first.entity_id, meta()).await.unwrap();

    let resume = Request::get("/api/events?after=0")
        .header("last-event-id", first.position.to_string())
        .body(Body::empty())
        .unwrap();
    let (status, content_type, text) = read_events(app(&db).await, resume, 2).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        content_type.starts_with("text/event-stream"),
        "{content_type}"
    );
    let ids: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("id: "))
        .collect();
    let expected = [second.position.to_string(), third.position.to_string()];
    assert_eq!(
        ids, expected,
        "the header wins over ?after=, and nothing is repeated: {text}"
    );
    assert!(text.contains("event: change"), "{text}");
    assert!(text.contains("\"op\":\"deleted\""), "{text}");

    let (status, _, text) = read_events(
        app(&db).await,
        Request::get("/api/events").body(Body::empty()).unwrap(),
        1,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        text.contains("event: hello"),
        "a follower without a cursor is told where it starts: {text}"
    );

    let (status, body) = send(
        app(&db).await,
        Request::get("/api/events?after=soon")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("after must be a stream position"), "{body}");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_board_as_of_an_instant_matches_the_store_before_between_and_after_changes(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let meta = app::task::ChangeMeta::anonymous;
    let pause = || tokio::time::sleep(std::time::Duration::from_millis(5));
    let v1 = create(&db, "Then").await;
    pause().await;
    let v2 = db
        .store
        .update_task(v1.entity_id, 1, fields("Later"), meta())
        .await
        .unwrap();
    pause().await;
    let v3 = db.store.delete_task(v1.entity_id, meta()).await.unwrap();
    pause().await;
    let v4 = db.store.restore_task(v1.entity_id, meta()).await.unwrap();
    let id = v1.entity_id.to_string();
    let row = format!("data-entity-id=\"{id}\"");

    let before = v1.recorded_at - chrono::Duration::microseconds(1);
    for (at, expected) in [
        (before, None),
        (v1.recorded_at, Some((1, "Then", false))),
        (v2.recorded_at, Some((2, "Later", false))),
        (v3.recorded_at, Some((3, "Later", true))),
        (v4.recorded_at, Some((4, "Later", false))),
    ] {
        let stored = db.store.board_as_of(at, None).await.unwrap().rows;
        let stored = stored
            .iter()
            .find(|version| version.entity_id == v1.entity_id);
        assert_eq!(
            stored.map(|v| (v.version, v.fields.title.as_str(), v.is_tombstone())),
            expected,
            "the store at {at}"
        );
        let path = format!(
            "/tasks?as_of={}",
            at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
                .replace('+', "%2B")
        );
        let (status, html) = send(
            app(&db).await,
            Request::get(path.clone()).body(Body::empty()).unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(html.contains("read-only"), "{path}");
        assert!(
            !html.contains("Create task"),
            "no writing in the past: {path}"
        );
        match expected {
            None => assert!(!html.contains(&row), "{path}"),
            Some((version, title, tombstone)) => {
                let (shown, hidden) = if tombstone {
                    ("deleted-row", "task-row")
                } else {
                    ("task-row", "deleted-row")
                };
                let at_row =
                    board_row(&html, shown, &id).unwrap_or_else(|| panic!("{path}: {html}"));
                assert!(at_row.contains(&format!(">v{version}<")), "{path}");
                assert!(at_row.contains(title), "{path}");
                assert!(board_row(&html, hidden, &id).is_none(), "{path}");
            }
        }
    }

    let (status, html) = send(
        app(&db).await,
        Request::get("/tasks?as_of=last+tuesday")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("must be a date and time in UTC"), "{html}");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_board_at_a_change_shows_every_change_up_to_its_position(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let v1 = create(&db, "Counted").await;
    let meta = app::task::ChangeMeta::anonymous;
    db.store
        .update_task(v1.entity_id, 1, fields("Counted twice"), meta())
        .await
        .unwrap();
    let row = format!("data-entity-id=\"{}\"", v1.entity_id);

    for (count, expected) in [(0, None), (1, Some("v1")), (2, Some("v2")), (9, Some("v2"))] {
        let path = format!("/tasks?at_change={count}");
        let (status, html) = send(
            app(&db).await,
            Request::get(path.clone()).body(Body::empty()).unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(html.contains("read-only"), "{path}");
        let id = v1.entity_id.to_string();
        match expected {
            None => assert!(
                !html.contains(&row),
                "before the first change the board is empty: {path}"
            ),
            Some(version) => {
                let at_row =
                    board_row(&html, "task-row", &id).unwrap_or_else(|| panic!("{path}: {html}"));
                assert!(at_row.contains(&format!(">{version}<")), "{path}");
            }
        }
    }
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_time_travel_and_activity_queries_answer_422_saying_what_is_expected(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    create(&db, "Anything").await;
    for (path, says) in [
        ("/tasks?at_change=three", "position (0, 1, 2, …)"),
        (
            "/activity?op=renamed",
            "must be one of created, updated, deleted, restored, reverted",
        ),
        (
            "/activity?since=yesterday",
            "must be a date and time in UTC",
        ),
        (
            "/activity?before=top",
            "must be a position from a page link",
        ),
    ] {
        let (status, html) = send(
            app(&db).await,
            Request::get(path).body(Body::empty()).unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert!(html.contains(says), "{path}: {html}");
    }
    assert_eq!(db.version_rows().await, 1, "reading never writes");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_database_page_shows_the_guards_and_the_refusal_of_each_attempt(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let task = create(&db, "Kept").await;
    let get = |path: &str| Request::get(path).body(Body::empty()).unwrap();

    let (status, html) = send(app(&db).await, get("/database")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("task_versions_no_update"), "{html}");
    assert!(html.contains("id=\"db-version-rows\">1<"), "{html}");

    // PostgreSQL checks the privileges the app's role gave up before any trigger runs.
    let privileges_first =
        db.backend == Backend::Postgres && !db.store.database_facts().await.unwrap().superuser;
    for attempt in ["update", "delete", "wipe"] {
        let (status, body) = send(
            app(&db).await,
            post_form("/api/attempt_tamper", &format!("attempt={attempt}")),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{attempt}: {body}");
        let outcome: app::lessons::guards::TamperOutcome = serde_json::from_str(&body).unwrap();
        let refusal = outcome
            .refusal
            .unwrap_or_else(|| panic!("{attempt} was let through"));
        assert_eq!(
            refusal.contains("permission denied"),
            privileges_first,
            "{attempt}: {refusal}"
        );
        assert_eq!(
            (outcome.rows_before, outcome.rows_after),
            (1, 1),
            "{attempt}"
        );
    }
    let (status, body) = send(
        app(&db).await,
        post_form("/api/attempt_tamper", "attempt=drop"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("must be one of update, delete, wipe"),
        "{body}"
    );
    assert_eq!(db.store.task_history(task.entity_id).await.unwrap(), [task]);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_attempt_posted_without_javascript_is_shown_once_on_the_page_it_returns_to(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    create(&db, "Kept").await;
    let request = Request::post("/api/attempt_tamper")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "text/html")
        .header(header::HOST, "localhost")
        .header(header::REFERER, "http://localhost/database")
        .body(Body::from("attempt=delete"))
        .unwrap();
    let response = app(&db).await.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(response.headers()[header::LOCATION], "/database");
    let cookie = response.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let cookie = cookie.split(';').next().unwrap().to_owned();

    let page = |cookie: Option<&str>| {
        let request = Request::get("/database");
        match cookie {
            Some(cookie) => request.header(header::COOKIE, cookie),
            None => request,
        }
        .body(Body::empty())
        .unwrap()
    };
    let response = app(&db).await.oneshot(page(Some(&cookie))).await.unwrap();
    let cleared = response.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    let html = String::from_utf8_lossy(&to_bytes(response.into_body(), 1 << 20).await.unwrap())
        .into_owned();
    assert!(
        html.contains("You tried: Delete the newest version"),
        "{html}"
    );
    assert!(html.contains("before the attempt: 1; after: 1."), "{html}");
    assert!(
        cleared.starts_with("db_attempt=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );

    let (status, html) = send(app(&db).await, page(None)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("You tried"), "shown once, then gone");
    let (_, html) = send(
        app(&db).await,
        Request::get("/database?try=wipe")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(
        !html.contains("You tried"),
        "a GET never sends a statement: {html}"
    );
    assert_eq!(db.version_rows().await, 1);
}
