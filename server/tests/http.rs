//! The HTTP boundary, exercised through the real router and middleware on both backends: bad
//! input is a 4xx with every broken field named and nothing written; titles are escaped.

// The fixtures are shared with app/tests/store.rs, which uses the helpers this file does not.
#[allow(dead_code)]
#[path = "../../app/tests/support/mod.rs"]
mod support;

use app::error::AppError;
use app::task::TaskVersion;
use axum::body::{to_bytes, Body};
use axum::http::{header, Request, StatusCode};
use axum::Router;
use leptos::prelude::LeptosOptions;
use tower::ServiceExt;

fn app(db: &support::TestDb) -> Router {
    let options = LeptosOptions::builder()
        .output_name("immutable-tasks")
        .build();
    server::router(db.store.clone(), options)
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
            app(&db),
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
        let (status, body) = send(app(&db), post_form("/api/create_task", form)).await;

        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let AppError::Invalid(errors) = serde_json::from_str(&body).unwrap() else {
            panic!("expected field errors, got {body}");
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["title", "status", "priority", "due_date"]);
        assert_eq!(db.version_rows().await, 0);
    }

    async fn a_form_without_a_title_field_is_a_bad_request_not_a_server_error(db) {
        let (status, body) = send(app(&db), post_form("/api/create_task", "priority=1")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(matches!(serde_json::from_str(&body).unwrap(), AppError::BadRequest(_)));
        assert_eq!(db.version_rows().await, 0);
    }

    async fn an_oversized_request_body_is_refused_before_it_reaches_the_store(db) {
        let form = format!("title={}", "x".repeat(300 * 1024));
        let (status, _) = send(app(&db), post_form("/api/create_task", &form)).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(db.version_rows().await, 0);
    }

    async fn the_list_page_renders_titles_as_text_never_as_markup(db) {
        let hostile = r#"<script>alert("owned")</script> & 'quotes'"#;
        let form = format!("title={}", hostile.replace('&', "%26").replace(' ', "+"));
        let (status, _) = send(app(&db), post_form("/api/create_task", &form)).await;
        assert_eq!(status, StatusCode::OK);

        let (status, html) = send(app(&db), Request::get("/").body(Body::empty()).unwrap()).await;

        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("&lt;script&gt;alert("), "{html}");
        assert!(!html.contains("<script>alert("), "the title must be escaped");
    }

    async fn an_unknown_page_is_a_404(db) {
        let (status, html) = send(app(&db), Request::get("/nowhere").body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(html.contains("Page not found"));
    }
}
