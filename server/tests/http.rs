//! The HTTP boundary, exercised through the real router and middleware on both backends: bad
//! input is a 4xx with every broken field named and nothing written; titles are escaped; stale
//! edits are 409s; plain form posts redirect (with a flash, or back to the form with the draft).

// The fixtures are shared with app/tests/store.rs, which uses the helpers this file does not.
#[allow(dead_code)]
#[path = "../../app/tests/support/mod.rs"]
mod support;

use app::error::AppError;
use app::live::hub::LiveHub;
use app::task::TaskVersion;
use axum::body::{to_bytes, Body};
use axum::http::{header, Request, StatusCode};
use axum::Router;
use leptos::prelude::LeptosOptions;
use tower::ServiceExt;

async fn app(db: &support::TestDb) -> Router {
    let options = LeptosOptions::builder()
        .output_name("immutable-tasks")
        .build();
    let hub = LiveHub::start(db.store.clone())
        .await
        .expect("follow the version table");
    server::router(db.store.clone(), hub, options)
}

async fn create(db: &support::TestDb, title: &str) -> TaskVersion {
    db.store
        .create_task(support::fields(title), app::task::ChangeMeta::anonymous())
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

fn post_form(path: &str, form: &str) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::CONTENT_LENGTH, form.len())
        .header(header::ACCEPT, "application/json")
        .body(Body::from(form.to_owned()))
        .unwrap()
}

on_both_backends! {
    async fn posting_a_valid_form_creates_version_1(db) {
        let (status, body) = send(
            app(&db).await,
            post_form("/api/create_task", "title=Water+the+plants&priority=2&status=todo&actor=ada&note=weekly"),
        )
        .await;

        assert_eq!(status, StatusCode::OK, "{body}");
        let created: TaskVersion = serde_json::from_str(&body).unwrap();
        assert_eq!((created.version, created.fields.title.as_str()), (1, "Water the plants"));
        assert_eq!(created.actor.as_str(), "ada");
        assert_eq!(db.version_rows().await, 1);
    }

    async fn posting_invalid_fields_answers_422_naming_each_field_and_writes_nothing(db) {
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

    async fn a_form_without_a_title_field_is_a_bad_request_not_a_server_error(db) {
        let (status, body) = send(app(&db).await, post_form("/api/create_task", "priority=1")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(matches!(serde_json::from_str(&body).unwrap(), AppError::BadRequest(_)));
        assert_eq!(db.version_rows().await, 0);
    }

    async fn an_oversized_request_body_is_refused_before_it_reaches_the_store(db) {
        let form = format!("title={}", "x".repeat(300 * 1024));
        let (status, _) = send(app(&db).await, post_form("/api/create_task", &form)).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(db.version_rows().await, 0);
    }

    async fn the_list_page_renders_titles_as_text_never_as_markup(db) {
        let hostile = r#"<script>alert("owned")</script> & 'quotes'"#;
        let form = format!("title={}", hostile.replace('&', "%26").replace(' ', "+"));
        let (status, _) = send(app(&db).await, post_form("/api/create_task", &form)).await;
        assert_eq!(status, StatusCode::OK);

        let (status, html) = send(app(&db).await, Request::get("/").body(Body::empty()).unwrap()).await;

        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("&lt;script&gt;alert("), "{html}");
        assert!(!html.contains("<script>alert("), "the title must be escaped");
    }

    async fn an_unknown_page_is_a_404(db) {
        let (status, html) = send(app(&db).await, Request::get("/nowhere").body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(html.contains("Page not found"));
    }

    async fn a_stale_edit_answers_409_with_the_winning_version_and_writes_nothing(db) {
        let created = create(&db, "Shared").await;
        let form = |title: &str| format!("entity_id={}&expected_version=1&title={title}", created.entity_id);
        let (status, _) = send(app(&db).await, post_form("/api/update_task", &form("First"))).await;
        assert_eq!(status, StatusCode::OK);

        let (status, body) = send(app(&db).await, post_form("/api/update_task", &form("Second"))).await;

        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(
            serde_json::from_str::<AppError>(&body).unwrap(),
            AppError::Conflict { current_version: 2 }
        );
        assert_eq!(db.version_rows().await, 2);
    }

    async fn a_failed_plain_form_post_goes_back_to_its_form_with_what_was_typed(db) {
        let created = create(&db, "Shared").await;
        let edit_page = format!("http://localhost/tasks/{}/edit", created.entity_id);
        let form = format!(
            "entity_id={}&expected_version=1&title=+++&priority=9&note=my+reason",
            created.entity_id
        );
        let request = Request::post("/api/update_task")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "text/html")
            .header(header::REFERER, &edit_page)
            .body(Body::from(form))
            .unwrap();
        let response = app(&db).await.oneshot(request).await.unwrap();

        assert_eq!(response.status(), StatusCode::FOUND);
        let location = response.headers()[header::LOCATION].to_str().unwrap().to_owned();
        assert!(location.starts_with(&edit_page), "{location}");
        for kept in ["draft_priority=9", "draft_note=my+reason", "draft_expected_version=1", "__err="] {
            assert!(location.contains(kept), "{kept} missing from {location}");
        }
        assert_eq!(db.version_rows().await, 1);
    }

    async fn a_plain_form_save_redirects_with_a_flash_and_remembers_the_actor(db) {
        let created = create(&db, "Shared").await;
        let form = format!("entity_id={}&expected_version=1&title=Renamed&actor=Ada+L", created.entity_id);
        let request = Request::post("/api/update_task")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "text/html")
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

    async fn return_to_only_leads_back_into_this_site(db) {
        let request = Request::post("/api/create_task")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "text/html")
            .header(header::REFERER, "http://localhost/")
            .body(Body::from("title=Phish&return_to=%2F%2Fevil.example%2F"))
            .unwrap();
        let response = app(&db).await.oneshot(request).await.unwrap();

        let location = response.headers()[header::LOCATION].to_str().unwrap();
        assert!(location.starts_with("/tasks/"), "{location}");
    }

    async fn refused_lifecycle_steps_answer_4xx_not_5xx(db) {
        let created = create(&db, "Once").await;
        let id = created.entity_id;
        let (status, _) = send(app(&db).await, post_form("/api/delete_task", &format!("entity_id={id}"))).await;
        assert_eq!(status, StatusCode::OK);

        let (again, _) = send(app(&db).await, post_form("/api/delete_task", &format!("entity_id={id}"))).await;
        let (edit, _) = send(
            app(&db).await,
            post_form("/api/update_task", &format!("entity_id={id}&expected_version=2&title=x")),
        )
        .await;
        let (unknown, _) = send(app(&db).await, post_form("/api/delete_task", "entity_id=not-an-id")).await;
        let (restored, _) = send(app(&db).await, post_form("/api/restore_task", &format!("entity_id={id}"))).await;
        let (restore_live, _) = send(app(&db).await, post_form("/api/restore_task", &format!("entity_id={id}"))).await;
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

    async fn task_pages_answer_404_for_unknown_ids_and_say_when_a_task_was_deleted(db) {
        let created = create(&db, "Gone soon").await;
        db.store
            .delete_task(created.entity_id, app::task::ChangeMeta::anonymous())
            .await
            .unwrap();
        let get = |path: String| Request::get(path).body(Body::empty()).unwrap();

        let (status, html) = send(app(&db).await, get(format!("/tasks/{}", created.entity_id))).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("This task was deleted"), "{html}");

        for path in ["/tasks/not-an-id", "/tasks/01900000-0000-7000-8000-000000000000/history"] {
            let (status, html) = send(app(&db).await, get(path.to_owned())).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            assert!(html.contains("No such task"), "{path}");
        }
    }
}
