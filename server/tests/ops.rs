//! What an operator sees, over real HTTP on both backends: `/healthz`, `/readyz`, `/metrics`
//! and request ids; and on PostgreSQL, what everyone sees while the database is unreachable: a
//! 503 within a second that says so (with `Retry-After`), readiness failing, the live stream
//! saying so, nothing written, and recovery once it is back. The outage is real: the server
//! reaches PostgreSQL through a TCP relay that the test closes and reopens.

mod app_router;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::live::hub::LiveHub;
use app::store::Store;
use leptos::prelude::LeptosOptions;
use rstest::rstest;
use test_support::raw_http::{exchange, get, post, serve, try_exchange, Reply, SCRIPT};
use test_support::{Backend, TestDb};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use app_router::build_router;

fn body_json(reply: &Reply) -> serde_json::Value {
    serde_json::from_str(&reply.body).unwrap_or_else(|error| {
        panic!("a JSON body, not {:?}: {error}", reply.body);
    })
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn liveness_readiness_and_metrics_answer(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let created = db
        .store
        .create_task(
            test_support::fields("Counted"),
            app::task::ChangeMeta::anonymous(),
        )
        .await
        .expect("create a task");
    let stale = db
        .store
        .update_task(
            created.entity_id,
            created.version + 1,
            test_support::fields("Never written"),
            app::task::ChangeMeta::anonymous(),
        )
        .await;
    assert!(
        matches!(stale, Err(app::store::StoreError::Conflict { .. })),
        "{stale:?}"
    );
    db.store
        .take_snapshot()
        .await
        .expect("snapshot")
        .expect("a snapshot of one change");
    let addr = serve(build_router(&db, server::HttpSettings::default()).await).await;

    let alive = exchange(addr, &get("/healthz")).await;
    assert_eq!(alive.status, 200, "{}", alive.body);

    let ready = exchange(addr, &get("/readyz")).await;
    assert_eq!(ready.status, 200, "{}", ready.body);
    let readiness = body_json(&ready);
    assert_eq!(readiness["ready"], true);
    assert_eq!(readiness["log_head"], 1);
    assert_eq!(
        readiness["backend"],
        match backend {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    );

    // A page and an unknown path, so the request counter has both to show.
    assert_eq!(exchange(addr, &get("/")).await.status, 200);
    assert_eq!(exchange(addr, &get("/no/such/page/4711")).await.status, 404);
    let created = exchange(
        addr,
        &post(
            "/api/v1/tasks",
            SCRIPT,
            "application/json",
            r#"{"title":"Through the API"}"#,
        ),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);

    let metrics = exchange(addr, &get("/metrics")).await;
    assert_eq!(metrics.status, 200);
    assert!(
        metrics
            .header("content-type")
            .is_some_and(|kind| kind.starts_with("text/plain")),
        "{:?}",
        metrics.header("content-type")
    );
    let text = &metrics.body;
    for expected in [
        r#"http_requests_total{method="GET",route="/",status="200"}"#,
        r#"route="unmatched",status="404""#,
        "http_request_duration_seconds_bucket",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from\n{text}");
    }
    // Counted by the route's pattern: the raw path never becomes a label.
    assert!(!text.contains("4711"), "{text}");
    assert_eq!(metric(text, "log_head_position"), 2.0);
    assert_eq!(metric(text, r#"task_appends_total{op="created"}"#), 2.0);
    assert_eq!(metric(text, "task_conflicts_total"), 1.0);
    assert_eq!(metric(text, "snapshots_taken_total"), 1.0);
    assert_eq!(metric(text, "statistics_refreshes_total"), 0.0);
    assert_eq!(metric(text, "live_streams_open"), 0.0);
    assert!(metric(text, "db_pool_connections") >= 1.0);

    // A page of another site cannot read the metrics; this site's pages and scrapers can.
    let cross_site = b"GET /metrics HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\
                       Sec-Fetch-Site: cross-site\r\n\r\n";
    assert_eq!(exchange(addr, cross_site).await.status, 403);
}

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_a_request_id_and_problems_repeat_it(#[case] backend: Backend) {
    let db = TestDb::new(backend).await;
    let addr = serve(build_router(&db, server::HttpSettings::default()).await).await;

    let page = exchange(addr, &get("/")).await;
    let given = page.header("x-request-id").expect("an id for a page");
    let given = uuid::Uuid::parse_str(given).expect("a UUID when the client sent none");
    assert_eq!(given.get_version_num(), 7);

    let missing = format!("/api/v1/tasks/{}", uuid::Uuid::now_v7());
    let with_id = |id: &str| {
        format!(
            "GET {missing} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\
             Accept: application/json\r\nX-Request-Id: {id}\r\n\r\n"
        )
        .into_bytes()
    };
    let problem = exchange(addr, &with_id("trace-4711.a_b")).await;
    assert_eq!(problem.status, 404, "{}", problem.body);
    assert_eq!(problem.header("x-request-id"), Some("trace-4711.a_b"));
    assert_eq!(body_json(&problem)["request_id"], "trace-4711.a_b");

    // An id that could not go into a log line as it is gets replaced, not echoed.
    let long = "x".repeat(65);
    for unfit in [long.as_str(), "two words", "quote\"d"] {
        let reply = exchange(addr, &with_id(unfit)).await;
        let id = reply.header("x-request-id").expect("an id");
        assert!(
            uuid::Uuid::parse_str(id).is_ok(),
            "{unfit:?} came back as {id:?}"
        );
        assert_eq!(body_json(&reply)["request_id"], id);
    }
}

/// Reads the open stream until `expected` has arrived, failing after 20 s.
async fn read_until(stream: &mut TcpStream, expected: &str) {
    let mut seen = String::new();
    let mut buffer = [0; 4096];
    let deadline = Instant::now() + Duration::from_secs(20);
    while !seen.contains(expected) {
        let left = deadline.saturating_duration_since(Instant::now());
        let read = tokio::time::timeout(left, stream.read(&mut buffer))
            .await
            .unwrap_or_else(|_| panic!("no {expected:?} within 20 s; got {seen:?}"))
            .expect("read the stream");
        assert!(
            read > 0,
            "the stream ended before {expected:?}; got {seen:?}"
        );
        seen.push_str(&String::from_utf8_lossy(&buffer[..read]));
    }
}

/// The value of the series `name` (with its labels) in Prometheus's text format.
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no value for {name} in\n{text}"))
}

/// A TCP relay to `target` that can be closed (every connection cut, new ones refused) and
/// opened again on the same port.
struct Relay {
    addr: SocketAddr,
    cut: Arc<Notify>,
    accepting: Option<tokio::task::JoinHandle<()>>,
    target: SocketAddr,
}

impl Relay {
    async fn open(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a port");
        let addr = listener.local_addr().expect("its address");
        let mut relay = Self {
            addr,
            cut: Arc::new(Notify::new()),
            accepting: None,
            target,
        };
        relay.accept(listener);
        relay
    }

    fn accept(&mut self, listener: TcpListener) {
        let (cut, target) = (Arc::clone(&self.cut), self.target);
        self.accepting = Some(tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let cut = Arc::clone(&cut);
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        () = cut.notified() => {}
                    }
                });
            }
        }));
    }

    /// Cuts every connection and stops listening: connecting is refused from now on.
    fn close(&mut self) {
        if let Some(accepting) = self.accepting.take() {
            accepting.abort();
        }
        self.cut.notify_waiters();
    }

    async fn reopen(&mut self) {
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(listener) => break listener,
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        };
        self.accept(listener);
    }
}

/// The user part, the host and port, and the database of a `postgres://` URL.
fn postgres_parts(url: &str) -> (&str, &str, &str) {
    let (user, rest) = url
        .split_once('@')
        .expect("postgres://USER:PASSWORD@HOST:PORT/DATABASE");
    let (host, database) = rest.split_once('/').expect("a database after the host");
    (user, host, database)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_postgres_is_unreachable_pages_and_writes_answer_503_quickly_and_recover() {
    let db = TestDb::new(Backend::Postgres).await;
    let (user, host, database) = postgres_parts(&db.url);
    let target = tokio::net::lookup_host(host)
        .await
        .expect("resolve PostgreSQL's host")
        .next()
        .expect("an address");
    let mut relay = Relay::open(target).await;
    let relayed_url = format!("{user}@{}/{database}", relay.addr);
    let store = Store::connect(&relayed_url)
        .await
        .expect("open through the relay");
    let hub = LiveHub::start(store.clone()).await.expect("follow the log");
    let options = LeptosOptions::builder()
        .output_name("immutable-tasks")
        .build();
    let addr = serve(server::router(
        store.clone(),
        hub,
        options,
        server::HttpSettings::default(),
    ))
    .await;
    assert_eq!(exchange(addr, &get("/readyz")).await.status, 200);
    store
        .create_task(
            test_support::fields("Seen by the stream"),
            app::task::ChangeMeta::anonymous(),
        )
        .await
        .expect("create a task");
    let before = db.version_rows().await;
    // A page's stream, caught up (it has sent the one change) before the database goes away.
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /api/events?after=0 HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .expect("ask for the change stream");
    read_until(&mut stream, "event: change").await;

    relay.close();
    for (what, request) in [
        ("the list", get("/")),
        ("readiness", get("/readyz")),
        (
            "an API write",
            post(
                "/api/v1/tasks",
                SCRIPT,
                "application/json",
                r#"{"title":"Lost?"}"#,
            ),
        ),
    ] {
        let started = Instant::now();
        let reply = try_exchange(addr, &request)
            .await
            .unwrap_or_else(|error| panic!("{what}: no answer: {error}"));
        let waited = started.elapsed();
        eprintln!("while PostgreSQL is unreachable, {what} answered in {waited:?}");
        assert_eq!(reply.status, 503, "{what}: {}", reply.body);
        // The goal is an answer within a second; the margin is for a busy test machine.
        assert!(
            waited < Duration::from_millis(1500),
            "{what} took {waited:?}"
        );
        assert_eq!(reply.header("retry-after"), Some("1"), "{what}");
        if what != "readiness" {
            assert!(
                reply.body.contains("The database is not answering"),
                "{what}: {}",
                reply.body
            );
        }
    }
    read_until(&mut stream, "event: database\ndata: unreachable").await;

    relay.reopen().await;
    read_until(&mut stream, "event: database\ndata: reachable").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let reply = exchange(addr, &get("/readyz")).await;
        if reply.status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "still not ready: {}", reply.body);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(exchange(addr, &get("/")).await.status, 200);
    assert_eq!(
        db.version_rows().await,
        before,
        "the refused write left nothing"
    );
    store.close().await;
}
