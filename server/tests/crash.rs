//! Stopping the real server binary while eight writers append over HTTP, on both backends.
//!
//! Killed with SIGKILL, then started again on the same database: every write the server
//! acknowledged must be there, exactly as acknowledged, and every task's hash chain must verify:
//! a commit is all or nothing, and an answer is sent only after the commit.
//!
//! Asked to stop with SIGTERM, as an orchestrator does: writes in flight finish and are
//! answered (every stored version was acknowledged), live streams are ended so browsers
//! reconnect elsewhere, and the process exits cleanly. That run also logs JSON lines, each
//! request's carrying its id.

use std::io::BufRead;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

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

/// The server binary on `url` at `addr`, logging warnings only.
fn server_command(url: &str, addr: SocketAddr) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    command
        .env("DATABASE_URL", url)
        .env("SEED_DEMO", "false")
        .env("LEPTOS_OUTPUT_NAME", "immutable-tasks")
        .env("LEPTOS_SITE_ADDR", addr.to_string())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null());
    command
}

/// Starts the server binary on `url` at `addr` and waits until it accepts connections.
async fn start_server(url: &str, addr: SocketAddr) -> Running {
    started(server_command(url, addr), addr).await
}

async fn started(mut command: Command, addr: SocketAddr) -> Running {
    let mut child = command.spawn().expect("start the server binary");
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

/// Starts the eight writers and returns once each has been acknowledged and 100 writes in all.
async fn eight_writers_going(
    addr: SocketAddr,
    acknowledged: &Arc<Mutex<Vec<TaskVersion>>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let writers = (0..WRITERS)
        .map(|writer| tokio::spawn(write_until_gone(addr, writer, Arc::clone(acknowledged))))
        .collect();
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
    writers
}

async fn until_gone(writers: Vec<tokio::task::JoinHandle<()>>) {
    for writer in writers {
        tokio::time::timeout(Duration::from_secs(60), writer)
            .await
            .expect("each writer notices the server is gone")
            .expect("no writer panicked");
    }
}

/// How many versions the database holds in all.
async fn versions_stored(db: &TestDb) -> usize {
    let mut stored = 0;
    for task in db
        .store
        .list_tasks(&TaskFilter::default())
        .await
        .unwrap()
        .rows
    {
        stored += db.store.task_history(task.entity_id).await.unwrap().len();
    }
    stored
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
    // Let every writer get going, then pull the plug mid-stream.
    let writers = eight_writers_going(addr, &acknowledged).await;
    server.kill();
    until_gone(writers).await;
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

#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_sigterm_writes_in_flight_are_answered_streams_end_and_the_process_exits_cleanly(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let addr = free_port();
    let mut command = server_command(&db.url, addr);
    command
        .args(["--log-format", "json"])
        .env("RUST_LOG", "info,sqlx=warn")
        .stdout(Stdio::piped());
    let mut server = started(command, addr).await;
    // Drained all along: a full pipe would stall the server's logging.
    let stdout = server.0.stdout.take().expect("the server's output");
    let lines = std::thread::spawn(move || {
        std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
    });
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /api/events HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    let mut greeting = [0; 512];
    let read = stream.read(&mut greeting).await.unwrap();
    assert!(greeting[..read].starts_with(b"HTTP/1.1 200"));

    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let writers = eight_writers_going(addr, &acknowledged).await;
    let signalled = Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .expect("run kill");
    assert!(signalled.success());
    let asked = Instant::now();

    // The stream is ended by the server, not left for the browser to time out.
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut rest))
        .await
        .expect("the live stream ends within 10 s of SIGTERM")
        .expect("read the stream to its end");
    let status = loop {
        if let Some(status) = server.0.try_wait().expect("ask for the exit status") {
            break status;
        }
        assert!(
            asked.elapsed() < Duration::from_secs(20),
            "still running 20 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "exited with {status}");
    until_gone(writers).await;

    let found = acknowledged.lock().unwrap().len();
    assert_eq!(
        versions_stored(&db).await,
        found,
        "every version written was answered before the process stopped"
    );

    let lines = lines.join().expect("read the log");
    let answered: Vec<serde_json::Value> = lines
        .iter()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|_| panic!("a JSON log line: {line}"))
        })
        .filter(|entry: &serde_json::Value| entry["fields"]["message"] == "answered")
        .collect();
    let write = answered
        .iter()
        .find(|entry| entry["span"]["path"] == "/api/create_task")
        .unwrap_or_else(|| panic!("a logged create among {lines:#?}"));
    let id = write["span"]["request_id"].as_str().expect("a request id");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{write}");
    assert_eq!(write["fields"]["status"], 200, "{write}");
    eprintln!(
        "SIGTERM on {:?}: {found} writes, all answered; exited {:.1} s after the signal",
        db.backend,
        asked.elapsed().as_secs_f64()
    );
}
