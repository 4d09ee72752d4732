//! P8: how many live streams one server process holds, and what they cost it. Starts the real
//! server binary on a fresh SQLite file with the stream cap raised, opens `STREAMS` event streams
//! to it from this process (default 10,000), and prints, each beside its baseline from the same
//! run:
//! - the server's resident memory with the streams open, against before they opened, and after
//!   they closed;
//! - how long a write takes to reach every stream (p50 and p99 over `WRITES` writes, default 5);
//! - appends per second over HTTP with the streams open, against none.
//!
//! Measured and printed, never asserted. Run: `cargo bench -p server --bench streams` (it needs
//! twice `STREAMS` open files: `ulimit -n`). CI runs it with `STREAMS=200` so it keeps working.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;
use test_support::raw_http::{exchange, form, get};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// Appends timed for the appends-per-second figures.
const APPENDS: usize = 200;
/// Writers sending them at once.
const WRITERS: usize = 8;
/// Streams being opened at a time.
const OPENING: usize = 64;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// The server process, killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    async fn start(database: &str, max_streams: usize) -> Self {
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port");
        let child = Command::new(env!("CARGO_BIN_EXE_server"))
            .env("DATABASE_URL", database)
            .env("SEED_DEMO", "false")
            .env("MAX_EVENT_STREAMS", max_streams.to_string())
            .env("LEPTOS_OUTPUT_NAME", "immutable-tasks")
            .env("LEPTOS_SITE_ADDR", addr.to_string())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("start the server binary");
        let server = Self { child, addr };
        for _ in 0..100 {
            if TcpStream::connect(addr).await.is_ok() {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the server did not listen on {addr} within 10 s");
    }

    /// The server's resident memory, in MiB.
    fn resident_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the server's /proc status");
        let kib: f64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc status");
        kib / 1024.0
    }

    /// How many streams the server says are open (`live_streams_open` on `/metrics`).
    async fn streams_open(&self) -> usize {
        let reply = exchange(self.addr, &get("/metrics")).await;
        reply
            .body
            .lines()
            .find_map(|line| line.strip_prefix("live_streams_open "))
            .and_then(|value| value.trim().parse::<f64>().ok())
            .expect("live_streams_open on /metrics") as usize
    }

    /// Appends per second: `APPENDS` task creations over HTTP, `WRITERS` at a time.
    async fn appends_per_second(&self, label: &str) -> f64 {
        let addr = self.addr;
        let start = Instant::now();
        futures::stream::iter(0..APPENDS)
            .map(|n| async move {
                let request = form("/api/create_task", &format!("title={label}+{n}"));
                let reply = exchange(addr, &request).await;
                assert_eq!(reply.status, 200, "{}", reply.body);
            })
            .buffer_unordered(WRITERS)
            .collect::<Vec<()>>()
            .await;
        APPENDS as f64 / start.elapsed().as_secs_f64()
    }
}

/// Opens one event stream and waits for its first event; then reports the moment each change
/// event arrives, until the returned reader is aborted (which closes the connection).
async fn open_stream(
    addr: SocketAddr,
    arrivals: mpsc::UnboundedSender<Instant>,
) -> tokio::task::JoinHandle<()> {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(b"GET /api/events HTTP/1.1\r\nHost: test\r\nAccept: text/event-stream\r\n\r\n")
        .await
        .expect("send the request");
    let mut buffer = vec![0; 4096];
    let mut text = String::new();
    // Until the hello event: the stream is open and following.
    while !text.contains("event: hello") {
        let read = stream.read(&mut buffer).await.expect("read the stream");
        assert!(read > 0, "the stream closed before its first event: {text}");
        text.push_str(&String::from_utf8_lossy(&buffer[..read]));
    }
    text.clear();
    tokio::spawn(async move {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(read) => {
                    let now = Instant::now();
                    text.push_str(&String::from_utf8_lossy(&buffer[..read]));
                    while let Some((event, rest)) = text.split_once("\n\n") {
                        if event.contains("event: change") && arrivals.send(now).is_err() {
                            return;
                        }
                        text = rest.to_owned();
                    }
                }
            }
        }
    })
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * fraction).round() as usize]
}

#[tokio::main]
async fn main() {
    let streams = setting("STREAMS", 10_000);
    let writes = setting("WRITES", 5);
    let file = std::env::temp_dir().join(format!("bench_streams_{}.db", std::process::id()));
    let server = Server::start(&format!("sqlite:{}", file.display()), streams + 16).await;

    let idle = server.resident_mib();
    let alone = server.appends_per_second("alone").await;
    let before = server.resident_mib();

    let (arrivals, mut arrived) = mpsc::unbounded_channel();
    let opening = Instant::now();
    let readers: Vec<_> = futures::stream::iter(0..streams)
        .map(|_| open_stream(server.addr, arrivals.clone()))
        .buffer_unordered(OPENING)
        .collect()
        .await;
    drop(arrivals);
    let opened = opening.elapsed();
    assert_eq!(server.streams_open().await, streams);
    let open = server.resident_mib();

    let mut latencies = Vec::with_capacity(streams * writes);
    for n in 0..writes {
        let sent = Instant::now();
        let reply = exchange(
            server.addr,
            &form("/api/create_task", &format!("title=seen+{n}")),
        )
        .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        for _ in 0..streams {
            let at = tokio::time::timeout(Duration::from_secs(60), arrived.recv())
                .await
                .expect("every stream hears of the write within a minute")
                .expect("the streams stay open");
            latencies.push(at.duration_since(sent));
        }
    }
    latencies.sort();
    let with_streams = server.appends_per_second("watched").await;

    // Closing the readers' sockets, as browsers leaving the page would.
    for reader in &readers {
        reader.abort();
    }
    drop(arrived);
    let closing = Instant::now();
    while server.streams_open().await > 0 && closing.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let still_open = server.streams_open().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let closed = server.resident_mib();

    println!(
        "{streams} live streams on one server process (SQLite), opened in {:.1} s",
        opened.as_secs_f64()
    );
    println!("memory   idle {idle:.0} MiB   before the streams {before:.0} MiB   with them {open:.0} MiB (+{:.0} MiB, {:.1} KiB per stream)   after they closed {closed:.0} MiB ({still_open} still open)",
        open - before,
        (open - before) * 1024.0 / streams as f64,
    );
    println!(
        "a write reaching every stream, {writes} writes: p50 {:.0} ms   p99 {:.0} ms   max {:.0} ms",
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().map_or(0.0, |max| max.as_secs_f64() * 1e3),
    );
    println!(
        "appends   {with_streams:.0}/s with the streams open   {alone:.0}/s with none   ratio {:.2}",
        with_streams / alone
    );
    drop(server);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
    }
}
