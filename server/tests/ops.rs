//! What an operator sees, over real HTTP on both backends: `/livez`, `/readyz` and `/metrics`;
//! and on PostgreSQL, what everyone sees while the database is unreachable: a quick 503 that
//! says so, readiness failing, nothing written, and recovery once it is back. The outage is
//! real: the server reaches PostgreSQL through a TCP relay that the test closes and reopens.

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
    db.store
        .create_task(
            test_support::fields("Counted"),
            app::task::ChangeMeta::anonymous(),
        )
        .await
        .expect("create a task");
    let addr = serve(build_router(&db, server::HttpSettings::default()).await).await;

    let alive = exchange(addr, &get("/livez")).await;
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
    assert!(metric(text, "db_pool_connections") >= 1.0);
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
    let before = db.version_rows().await;

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
        assert_eq!(reply.status, 503, "{what}: {}", reply.body);
        assert!(waited < Duration::from_secs(5), "{what} took {waited:?}");
        if what != "readiness" {
            assert!(
                reply.body.contains("The database is not answering"),
                "{what}: {}",
                reply.body
            );
        }
    }

    relay.reopen().await;
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
