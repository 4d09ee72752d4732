//! Hostile input over real HTTP, on both backends: a real server on a real socket, fed raw
//! request bytes (so broken percent-encoding, control characters and odd headers arrive exactly
//! as an attacker would send them). Every request must be answered in full with a status below
//! 500; every refused one with a 4xx that names the field or parameter, and nothing written.
//! Also: writes from other sites are refused, panics become a page, and event streams are capped.

mod app_router;

use std::time::Duration;

use rstest::rstest;
use server::HttpSettings;
use test_support::raw_http::{browser_form, exchange, form, get, post, serve, SCRIPT};
use test_support::{by, fields, Backend, TestDb};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use app_router::build_router;

/// What a request of the table must get.
enum Expect {
    /// A 4xx whose body names this field or parameter.
    Refused(&'static str),
    /// Any answer but a server error (valid if unusual input, such as year 0001).
    Answered,
}

struct Case {
    class: &'static str,
    request: Vec<u8>,
    expect: Expect,
}

fn case(class: &'static str, request: Vec<u8>, expect: Expect) -> Case {
    Case {
        class,
        request,
        expect,
    }
}

/// Every endpoint × every class of hostile input. `id` is a live task, `gone` a deleted one.
fn hostile_cases(id: &str, gone: &str) -> Vec<Case> {
    use Expect::{Answered, Refused};
    let mut cases = Vec::new();

    // Control characters in every free-text field, on create and on update, percent-encoded the
    // way a form sends them: NUL, a C0 control, ESC, a C1 control (U+009B), DEL.
    for control in ["%00", "%01", "%1B", "%C2%9B", "%7F"] {
        for field in ["title", "description", "note", "actor"] {
            let value = format!("x{control}y");
            let title = if field == "title" {
                value.clone()
            } else {
                "ok".to_owned()
            };
            let other = if field == "title" {
                String::new()
            } else {
                format!("&{field}={value}")
            };
            cases.push(case(
                "control character",
                form("/api/create_task", &format!("title={title}{other}")),
                Refused(field),
            ));
            cases.push(case(
                "control character",
                form(
                    "/api/update_task",
                    &format!("entity_id={id}&expected_version=1&title={title}{other}"),
                ),
                Refused(field),
            ));
        }
        for path in ["/api/delete_task", "/api/restore_task"] {
            cases.push(case(
                "control character",
                form(path, &format!("entity_id={id}&actor=a{control}")),
                Refused("actor"),
            ));
        }
        cases.push(case(
            "control character",
            get(&format!("/activity?actor=a{control}")),
            Refused("actor"),
        ));
        cases.push(case(
            "control character",
            form("/api/activity", &format!("actor=a{control}")),
            Refused("actor"),
        ));
        cases.push(case(
            "control character",
            get(&format!("/tasks?status=todo{control}")),
            Refused("status"),
        ));
    }
    // A line break where text is one line.
    cases.push(case(
        "line break in one-line text",
        form("/api/create_task", "title=two%0Alines"),
        Refused("title"),
    ));
    cases.push(case(
        "line break in one-line text",
        form("/api/create_task", "title=t&actor=a%0D%0Ab"),
        Refused("actor"),
    ));

    // Overlong values, one character past each limit.
    for (field, limit) in [
        ("title", 200),
        ("description", 10_000),
        ("note", 1_000),
        ("actor", 100),
    ] {
        let long = "é".repeat(limit + 1).replace('é', "%C3%A9");
        let body = if field == "title" {
            format!("title={long}")
        } else {
            format!("title=ok&{field}={long}")
        };
        cases.push(case(
            "overlong",
            form("/api/create_task", &body),
            Refused(field),
        ));
    }
    cases.push(case(
        "overlong",
        get(&format!("/activity?actor={}", "a".repeat(101))),
        Refused("actor"),
    ));

    // Broken percent-encoding and invalid UTF-8, in bodies and in query strings.
    for broken in ["%", "%ZZ", "%C3%28", "%FF"] {
        cases.push(case(
            "bad percent-encoding",
            form("/api/create_task", &format!("title=a{broken}b")),
            Refused(""),
        ));
        cases.push(case(
            "bad percent-encoding",
            get(&format!("/activity?actor=a{broken}")),
            Refused(""),
        ));
        cases.push(case(
            "bad percent-encoding",
            get(&format!("/tasks?as_of=2026{broken}")),
            Refused(""),
        ));
        cases.push(case(
            "bad percent-encoding",
            get(&format!("/api/events?after=1{broken}")),
            Refused(""),
        ));
    }

    // Numbers: negative, huge, fractional, non-numeric.
    for bad in ["-1", "99999999999999999999", "1.5", "three", "0x10", ""] {
        if !bad.is_empty() {
            cases.push(case(
                "bad number",
                get(&format!("/tasks?at_change={bad}")),
                Refused("at_change"),
            ));
            cases.push(case(
                "bad number",
                get(&format!("/activity?before={bad}")),
                Refused("before"),
            ));
            cases.push(case(
                "bad number",
                get(&format!("/api/events?after={bad}")),
                Refused("after"),
            ));
        }
        cases.push(case(
            "bad number",
            form(
                "/api/update_task",
                &format!("entity_id={id}&expected_version={bad}&title=x"),
            ),
            Refused("expected_version"),
        ));
        cases.push(case(
            "bad number",
            form("/api/revert_task", &format!("entity_id={id}&version={bad}")),
            Refused("version"),
        ));
        cases.push(case(
            "bad number",
            form(
                "/api/compare_versions",
                &format!("entity_id={id}&from={bad}&to=1"),
            ),
            Refused("from"),
        ));
        cases.push(case(
            "bad number",
            form(
                "/api/compare_versions",
                &format!("entity_id={id}&from=1&to={bad}"),
            ),
            Refused("to"),
        ));
        cases.push(case(
            "bad number",
            form("/api/create_task", &format!("title=x&priority={bad}9")),
            Refused("priority"),
        ));
    }
    cases.push(case(
        "huge number",
        get("/tasks?at_change=9223372036854775807"),
        Answered,
    ));
    cases.push(case(
        "huge number",
        get("/activity?before=9223372036854775807"),
        Answered,
    ));
    cases.push(case(
        "huge number",
        form(
            "/api/revert_task",
            &format!("entity_id={id}&version=9223372036854775807"),
        ),
        Refused(""),
    ));

    // Dates and instants: the edges both databases hold are answered; beyond them, refused.
    for fine in [
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999Z",
        "2026-11-20T14:30:00.123456789%2B05:45",
        "2026-11-20T14:30",
    ] {
        cases.push(case(
            "extreme date",
            get(&format!("/tasks?as_of={fine}")),
            Answered,
        ));
        cases.push(case(
            "extreme date",
            get(&format!("/activity?since={fine}")),
            Answered,
        ));
    }
    for bad in [
        "%2B10000-01-01T00:00",
        "-0001-01-01T00:00",
        "0000-01-01T00:00",
        "9999-12-31T23:00:00-14:00",
        "2026-02-30T00:00",
        "2026-11-20T25:00",
        "yesterday",
    ] {
        cases.push(case(
            "extreme date",
            get(&format!("/tasks?as_of={bad}")),
            Refused("as_of"),
        ));
        cases.push(case(
            "extreme date",
            get(&format!("/activity?since={bad}")),
            Refused("since"),
        ));
    }
    for bad in ["%2B10000-01-01", "0000-12-31", "2026-13-01", "31/12/2026"] {
        cases.push(case(
            "extreme date",
            form("/api/create_task", &format!("title=x&due_date={bad}")),
            Refused("due_date"),
        ));
    }
    cases.push(case(
        "extreme date",
        form("/api/create_task", "title=x&due_date=9999-12-31"),
        Answered,
    ));

    // Page cursors come only from page links; anything else is refused, never guessed at.
    for bad in [
        "x",
        "a~b~c~d",
        "2026-01-01T00:00:00Z~9~~",
        "2026-01-01T00:00:00Z~1~2026-13-01~x",
    ] {
        for path in [
            "/tasks?after=",
            "/tasks?sort=due_date&after=",
            "/tasks/deleted?after=",
        ] {
            cases.push(case(
                "bad cursor",
                get(&format!("{path}{bad}")),
                Refused("after"),
            ));
        }
        cases.push(case(
            "bad cursor",
            get(&format!("/tasks?as_of=2026-01-01T00:00:00Z&after={bad}")),
            Refused("after"),
        ));
    }
    cases.push(case(
        "control in a search",
        get("/tasks?q=a%01b"),
        Refused("q"),
    ));
    cases.push(case(
        "search longer than any title",
        get(&format!("/tasks?q={}", "x".repeat(201))),
        Refused("q"),
    ));

    // Enumerations.
    cases.push(case(
        "unknown value",
        get("/tasks?status=someday"),
        Refused("status"),
    ));
    cases.push(case(
        "unknown value",
        get("/tasks?sort=random()"),
        Refused("sort"),
    ));
    cases.push(case(
        "unknown value",
        get("/activity?op=renamed"),
        Refused("op"),
    ));
    cases.push(case(
        "unknown value",
        form("/api/create_task", "title=x&status=DONE"),
        Refused("status"),
    ));
    cases.push(case(
        "unknown value",
        form("/api/attempt_tamper", "attempt=drop"),
        Refused("attempt"),
    ));

    // Ids in paths and forms.
    for bad in [
        "not-an-id",
        "%00",
        "..%2F..%2Fetc%2Fpasswd",
        &"f".repeat(5000),
    ] {
        cases.push(case("bad id", get(&format!("/tasks/{bad}")), Refused("")));
        cases.push(case(
            "bad id",
            get(&format!("/tasks/{bad}/history")),
            Refused(""),
        ));
        cases.push(case(
            "bad id",
            form("/api/delete_task", &format!("entity_id={bad}")),
            Refused(""),
        ));
        cases.push(case(
            "bad id",
            form("/api/get_task", &format!("entity_id={bad}")),
            Refused(""),
        ));
    }
    cases.push(case(
        "deleted task",
        form(
            "/api/update_task",
            &format!("entity_id={gone}&expected_version=2&title=x"),
        ),
        Refused(""),
    ));

    // SQL and HTML as text: stored and shown as text, never run.
    cases.push(case(
        "SQL as text",
        get("/activity?actor=%27%20OR%201%3D1%20--"),
        Answered,
    ));
    cases.push(case(
        "SQL as text",
        get("/tasks?as_of=%27%3B%20DROP%20TABLE%20task_versions%3B--"),
        Refused("as_of"),
    ));
    cases.push(case(
        "HTML as text",
        get("/activity?actor=%3Cscript%3Ealert(1)%3C%2Fscript%3E"),
        Answered,
    ));

    // Missing and repeated fields.
    cases.push(case(
        "missing field",
        form("/api/create_task", "priority=1"),
        Refused("title"),
    ));
    cases.push(case(
        "missing field",
        form("/api/update_task", "title=x"),
        Refused("entity_id"),
    ));
    cases.push(case(
        "missing field",
        form("/api/revert_task", &format!("entity_id={id}")),
        Refused("version"),
    ));
    cases.push(case(
        "repeated field",
        form("/api/create_task", "title=a&title=b"),
        Refused("title"),
    ));
    cases.push(case(
        "repeated field",
        form(
            "/api/delete_task",
            &format!("entity_id={id}&entity_id={id}"),
        ),
        Refused("entity_id"),
    ));

    // Wrong content types, an oversized body, a body that lies about its length.
    cases.push(case(
        "wrong content type",
        post(
            "/api/create_task",
            SCRIPT,
            "application/json",
            r#"{"title":"x"}"#,
        ),
        Refused(""),
    ));
    cases.push(case(
        "wrong content type",
        post("/api/create_task", SCRIPT, "text/plain", "title=x"),
        Refused(""),
    ));
    cases.push(case(
        "wrong content type",
        post(
            "/api/create_task",
            SCRIPT,
            "multipart/form-data; boundary=x",
            "--x--",
        ),
        Refused(""),
    ));
    cases.push(case(
        "oversized body",
        form(
            "/api/create_task",
            &format!("title={}", "x".repeat(300 * 1024)),
        ),
        Refused(""),
    ));
    cases.push(case(
        "wrong method",
        get("/api/create_task?title=x"),
        Refused(""),
    ));
    cases.push(case(
        "bad header",
        b"GET /api/events HTTP/1.1\r\nHost: test\r\nConnection: close\r\nLast-Event-ID: -7\r\n\r\n"
            .to_vec(),
        Refused("Last-Event-ID"),
    ));
    cases
}

/// Stands for any handler bug: the layer must answer for it.
async fn faulty_handler() -> &'static str {
    panic!("a handler fault")
}
#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_hostile_request_gets_a_server_error_a_dropped_connection_or_a_write(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let live = db
        .store
        .create_task(fields("Target"), by("ada"))
        .await
        .unwrap();
    let gone = db
        .store
        .create_task(fields("Gone"), by("ada"))
        .await
        .unwrap();
    db.store
        .delete_task(gone.entity_id, by("ada"))
        .await
        .unwrap();
    let addr = serve(build_router(&db, HttpSettings::default()).await).await;
    let cases = hostile_cases(&live.entity_id.to_string(), &gone.entity_id.to_string());

    let mut failures = Vec::new();
    let mut classes = std::collections::BTreeMap::<&str, usize>::new();
    for case in &cases {
        *classes.entry(case.class).or_default() += 1;
        let before = db.version_rows().await;
        let reply = exchange(addr, &case.request).await;
        let request =
            String::from_utf8_lossy(&case.request[..case.request.len().min(160)]).into_owned();
        let wrote = db.version_rows().await - before;
        let problem = match case.expect {
            _ if reply.status >= 500 => Some("a server error"),
            Expect::Refused(_) if !(400..500).contains(&reply.status) => {
                Some("not refused with a 4xx")
            }
            Expect::Refused(name) if !reply.body.contains(name) => {
                Some("the answer does not name the field")
            }
            Expect::Refused(_) if wrote != 0 => Some("refused, yet a version was written"),
            _ => None,
        };
        if let Some(problem) = problem {
            failures.push(format!(
                "[{}] {problem}: {} {:?}\n    for {request:?}",
                case.class,
                reply.status,
                &reply.body[..reply.body.len().min(300)]
            ));
        }
    }
    eprintln!(
        "hostile-input suite on {:?}: {} requests, by class {classes:?}",
        db.backend,
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} requests failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_return_to_with_control_characters_or_another_host_falls_back_and_never_breaks_the_answer(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let addr = serve(build_router(&db, HttpSettings::default()).await).await;
    for return_to in [
        "/%09/evil.example",
        "/%0Ax",
        "%2F%2Fevil.example",
        "/%5Cevil.example",
        "https://evil.example/",
        "/caf%C3%A9",
        "/ok%20space",
    ] {
        let before = db.version_rows().await;
        let request = browser_form(
            "test",
            "/api/create_task",
            "",
            &format!("title=Safe&return_to={return_to}"),
        );
        let reply = exchange(addr, &request).await;
        assert_eq!(reply.status, 302, "{return_to}: {}", reply.body);
        let location = reply.header("location").unwrap_or_default();
        assert!(
            location.starts_with("/tasks/") && location.contains("flash=created.1"),
            "{return_to} → {location}"
        );
        assert_eq!(
            db.version_rows().await,
            before + 1,
            "exactly one task per post: {return_to}"
        );
    }
    let request = browser_form(
        "test",
        "/api/create_task",
        "",
        "title=Kept&return_to=%2Ftasks%3Fa%3D1",
    );
    let reply = exchange(addr, &request).await;
    assert_eq!(reply.header("location"), Some("/tasks?a=1&flash=created.1"));
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_write_from_another_site_is_refused_and_one_from_this_site_goes_through(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let addr = serve(build_router(&db, HttpSettings::default()).await).await;
    let host = addr.to_string();
    let send = |headers: String| browser_form(&host, "/api/create_task", &headers, "title=Forged");
    for foreign in [
        "Origin: http://evil.example\r\n".to_owned(),
        format!("Origin: http://{host}\r\nSec-Fetch-Site: cross-site\r\n"),
        "Sec-Fetch-Site: same-site\r\n".to_owned(),
        "Referer: http://evil.example/page\r\n".to_owned(),
        "Origin: null\r\n".to_owned(),
    ] {
        let reply = exchange(addr, &send(foreign.clone())).await;
        assert_eq!(reply.status, 403, "{foreign}");
        assert!(
            reply.body.contains("came from another site"),
            "{}",
            reply.body
        );
    }
    assert_eq!(db.version_rows().await, 0, "no forged write got through");

    for own in [
        format!("Origin: http://{host}\r\n"),
        format!("Origin: http://{host}\r\nSec-Fetch-Site: same-origin\r\n"),
        format!("Referer: http://{host}/tasks/new\r\n"),
    ] {
        let reply = exchange(addr, &send(own.clone())).await;
        assert_eq!(reply.status, 302, "{own}: {}", reply.body);
    }
    assert_eq!(db.version_rows().await, 3);
    let reply = exchange(addr, &get("/tasks")).await;
    assert_eq!(reply.status, 200, "reading needs no origin");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn behind_a_proxy_writes_are_compared_with_the_public_origin(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let public = server::guard::PublicOrigin::parse("https://tasks.example.org").unwrap();
    let http = HttpSettings {
        public_origin: Some(public),
        ..HttpSettings::default()
    };
    let addr = serve(build_router(&db, http).await).await;
    let send = |origin: &str| {
        browser_form(
            "10.0.0.5:3000",
            "/api/create_task",
            &format!("Origin: {origin}\r\n"),
            "title=Proxied&actor=ada",
        )
    };
    assert_eq!(
        exchange(addr, &send("http://10.0.0.5:3000")).await.status,
        403
    );
    let reply = exchange(addr, &send("https://tasks.example.org")).await;
    assert_eq!(reply.status, 302);
    let cookie = reply.header("set-cookie").unwrap_or_default();
    assert!(
        cookie.contains("SameSite=Lax") && cookie.ends_with("Secure"),
        "served over https: {cookie}"
    );
    assert_eq!(db.version_rows().await, 1);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_response_carries_the_security_headers_and_pages_a_nonce_policy(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let addr = serve(build_router(&db, HttpSettings::default()).await).await;
    let page = exchange(addr, &get("/")).await;
    assert_eq!(page.status, 200);
    let policy = page
        .header("content-security-policy")
        .unwrap_or_default()
        .to_owned();
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the policy");
    assert!(
        page.body.contains(&format!("nonce=\"{nonce}\"")),
        "the page's scripts carry the nonce"
    );
    let inline_scripts = page.body.matches("<script").count();
    assert_eq!(
        inline_scripts,
        page.body
            .matches(&format!("<script nonce=\"{nonce}\""))
            .count()
            + page
                .body
                .matches(&format!("<script type=\"module\" nonce=\"{nonce}\""))
                .count(),
        "every script carries the nonce"
    );
    let second = exchange(addr, &get("/")).await;
    assert!(
        !second
            .header("content-security-policy")
            .unwrap_or_default()
            .contains(nonce),
        "a fresh nonce per page"
    );
    for reply in [
        &page,
        &exchange(addr, &get("/favicon.ico")).await,
        &exchange(addr, &form("/api/list_tasks", "")).await,
    ] {
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(reply.header("referrer-policy"), Some("same-origin"));
        assert!(reply
            .header("content-security-policy")
            .is_some_and(|p| p.contains("frame-ancestors 'none'")));
    }
    let icon = exchange(addr, &get("/favicon.ico")).await;
    assert_eq!(
        (icon.status, icon.header("content-type")),
        (200, Some("image/svg+xml"))
    );
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn event_streams_beyond_the_cap_are_told_to_come_back_later(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let http = HttpSettings {
        max_event_streams: 2,
        ..HttpSettings::default()
    };
    let addr = serve(build_router(&db, http).await).await;
    let open = || async move {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /api/events HTTP/1.1\r\nHost: test\r\n\r\n")
            .await
            .unwrap();
        let mut first = vec![0; 512];
        let read = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut first))
            .await
            .unwrap()
            .unwrap();
        (stream, String::from_utf8_lossy(&first[..read]).into_owned())
    };
    let (held_one, greeting) = open().await;
    assert!(greeting.starts_with("HTTP/1.1 200"), "{greeting}");
    let (_held_two, _) = open().await;

    let refused = exchange(addr, &get("/api/events")).await;
    assert_eq!(refused.status, 503);
    assert_eq!(refused.header("retry-after"), Some("10"));
    assert!(
        refused.body.contains("Too many live connections"),
        "{}",
        refused.body
    );

    drop(held_one);
    let mut admitted = false;
    for _ in 0..50 {
        let (_stream, answer) = open().await;
        if answer.starts_with("HTTP/1.1 200") {
            admitted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(admitted, "a closed stream gives its slot back");
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_panic_in_a_handler_becomes_a_page_that_says_nothing_was_lost(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let _ = &db;
    let routes = axum::Router::new().route("/boom", axum::routing::get(faulty_handler));
    let router = server::protect(routes, server::guard::WriteOrigins::default());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });

    let reply = exchange(addr, &get("/boom")).await;
    assert_eq!(reply.status, 500);
    assert!(reply.body.contains("Nothing was lost"), "{}", reply.body);
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
}
