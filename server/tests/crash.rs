//! Crash safety, on both backends: the real server binary is killed with SIGKILL while eight
//! writers append over HTTP, then started again on the same database. Every write the server
//! acknowledged must be there, exactly as acknowledged, and every task's hash chain must verify:
//! a commit is all or nothing, and an answer is sent only after the commit.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::task::{TaskFilter, TaskVersion};
use rstest::rstest;
use test_support::raw_http::{form, try_exchange};
use test_support::{Backend, TestDb};

const WRITERS: usize = 8;

/// A server process, killed when dropped so a failing test leaves none behind.
struct Running(Child);

impl Running {
    fn kill(&mut self) {
        // SIGKILL on Unix: no shutdown handler runs, as in a power cut or an OOM kill.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Starts the server binary on `url` at `addr` and waits until it accepts connections.
async fn start_server(url: &str, addr: SocketAddr) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
        .env("DATABASE_URL", url)
        .env("SEED_DEMO", "false")
        .env("LEPTOS_OUTPUT_NAME", "immutable-tasks")
        .env("LEPTOS_SITE_ADDR", addr.to_string())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("start the server binary");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Running(child);
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the server exited before listening: {status}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not listen on {addr} within 10 s");
}

fn free_port() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
}

/// One writer: creates its own task, then edits it again and again, recording every version the
/// server acknowledged, until the server stops answering.
async fn write_until_gone(
    addr: SocketAddr,
    writer: usize,
    acknowledged: Arc<Mutex<Vec<TaskVersion>>>,
) {
    let mut last: Option<TaskVersion> = None;
    for round in 0.. {
        let request = match &last {
            None => form("/api/create_task", &format!("title=writer+{writer}&actor=w{writer}")),
            Some(task) => form(
                "/api/update_task",
                &format!(
                    "entity_id={}&expected_version={}&title=writer+{writer}+round+{round}&actor=w{writer}",
                    task.entity_id, task.version
                ),
            ),
        };
        match try_exchange(addr, &request).await {
            Ok(reply) if reply.status == 200 => {
                let version: TaskVersion =
                    serde_json::from_str(&reply.body).expect("an acknowledged write is a version");
                acknowledged.lock().unwrap().push(version.clone());
                last = Some(version);
            }
            Ok(reply) => panic!(
                "writer {writer} was refused: {} {}",
                reply.status, reply.body
            ),
            Err(_) => return,
        }
    }
}
#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn after_a_kill_9_during_eight_writers_every_acknowledged_version_is_there_and_every_chain_verifies(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let addr = free_port();
    let mut server = start_server(&db.url, addr).await;
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| tokio::spawn(write_until_gone(addr, writer, Arc::clone(&acknowledged))))
        .collect();
    // Let every writer get going, then pull the plug mid-stream.
    let going = || {
        let acknowledged = acknowledged.lock().unwrap();
        let writers: std::collections::BTreeSet<_> = acknowledged
            .iter()
            .map(|version| version.entity_id)
            .collect();
        writers.len() == WRITERS && acknowledged.len() >= 100
    };
    tokio::time::timeout(Duration::from_secs(60), async {
        while !going() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("all eight writers are acknowledged within a minute");
    server.kill();
    for writer in writers {
        tokio::time::timeout(Duration::from_secs(60), writer)
            .await
            .expect("each writer notices the server is gone")
            .expect("no writer panicked");
    }
    let acknowledged = acknowledged.lock().unwrap().clone();

    let restarted = start_server(&db.url, addr).await;
    let mut found = 0;
    for version in &acknowledged {
        let history = db.store.task_history(version.entity_id).await.unwrap();
        let stored = history
            .iter()
            .find(|stored| stored.version == version.version);
        assert_eq!(
            stored,
            Some(version),
            "acknowledged version {} of {} is stored as acknowledged",
            version.version,
            version.entity_id
        );
        found += 1;
    }
    let tasks = db
        .store
        .list_tasks(&TaskFilter::default())
        .await
        .unwrap()
        .rows;
    assert_eq!(tasks.len(), WRITERS, "one task per writer");
    let mut stored_versions = 0;
    for task in &tasks {
        let history = db.store.task_history(task.entity_id).await.unwrap();
        stored_versions += history.len();
        let report = app::store::verify_chain(task.entity_id, &history);
        assert!(report.is_intact(), "{report:?}");
    }
    // At most one write per writer was committed but never acknowledged (the kill fell between).
    assert!(
        stored_versions >= found && stored_versions <= found + WRITERS,
        "{stored_versions} stored, {found} acknowledged"
    );
    let after = try_exchange(addr, &form("/api/create_task", "title=after+the+crash"))
        .await
        .expect("the restarted server answers");
    assert_eq!(after.status, 200, "{}", after.body);
    eprintln!(
        "crash test on {:?}: {found} acknowledged versions all present, {stored_versions} \
         stored, {} chains intact",
        db.backend,
        tasks.len()
    );
    drop(restarted);
}
