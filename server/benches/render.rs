//! P4 of the million-versions goals: how many list pages (50 rows, rendered on the server) the
//! app serves per second under 32 concurrent connections, against the same data as JSON from
//! the same server (the `list_tasks` server function), measured in the same run. Measured and
//! printed, never asserted.
//!
//! Run: `TEST_DATABASE_URL=$(scripts/postgres.sh) cargo bench -p server --bench render`
//! (`SCALE=TASKSxVERSIONS`, default 10000x100; `SECONDS` per measurement, default 10).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use app::live::hub::LiveHub;
use app::store::{BoardSize, Store};
use leptos::prelude::LeptosOptions;
use server::HttpSettings;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const CONNECTIONS: usize = 32;

/// One request on a fresh connection, read to its end; returns the status and body size.
async fn exchange(addr: SocketAddr, request: &[u8]) -> (u16, usize) {
    let mut stream = TcpStream::connect(addr).await.expect("the server accepts");
    stream
        .write_all(request)
        .await
        .expect("the request is sent");
    let mut answer = Vec::with_capacity(64 * 1024);
    stream
        .read_to_end(&mut answer)
        .await
        .expect("the answer is read");
    let status = std::str::from_utf8(&answer[9..12.min(answer.len())])
        .ok()
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    (status, answer.len())
}

/// Requests per second that `CONNECTIONS` clients complete in `duration`, each sending
/// `request` again as soon as its previous answer has arrived; and one answer's size.
async fn throughput(addr: SocketAddr, request: Vec<u8>, duration: Duration) -> (f64, usize) {
    let (status, size) = exchange(addr, &request).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&request));
    let start = Instant::now();
    let clients: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let request = request.clone();
            tokio::spawn(async move {
                let mut done = 0u64;
                while start.elapsed() < duration {
                    let (status, _) = exchange(addr, &request).await;
                    assert_eq!(status, 200);
                    done += 1;
                }
                done
            })
        })
        .collect();
    let mut done = 0;
    for client in clients {
        done += client.await.expect("a client finishes");
    }
    (done as f64 / start.elapsed().as_secs_f64(), size)
}

#[tokio::main]
async fn main() {
    let size: BoardSize = std::env::var("SCALE")
        .unwrap_or_else(|_| "10000x100".to_owned())
        .parse()
        .unwrap();
    let seconds: u64 = std::env::var("SECONDS")
        .ok()
        .and_then(|raw| raw.parse().ok())
        .unwrap_or(10);
    let admin = std::env::var("TEST_DATABASE_URL")
        .expect("TEST_DATABASE_URL must name a PostgreSQL server (scripts/postgres.sh prints one)");
    let name = format!("bench_render_{}", uuid::Uuid::now_v7().simple());
    let admin_pool = sqlx::PgPool::connect(&admin).await.unwrap();
    sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
        .execute(&admin_pool)
        .await
        .unwrap();
    let (base, _) = admin.rsplit_once('/').unwrap();
    let store = Store::connect(&format!("{base}/{name}")).await.unwrap();
    let generated = store.generate_board(size).await.unwrap();
    println!(
        "PostgreSQL, board {size}: {} versions; {CONNECTIONS} connections, {seconds} s each",
        generated.versions
    );

    let options = LeptosOptions::builder()
        .output_name("immutable-tasks")
        .build();
    let hub = LiveHub::start(store.clone()).await.unwrap();
    let router = server::router(store.clone(), hub.clone(), options, HttpSettings::default());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });

    let duration = Duration::from_secs(seconds);
    let page =
        b"GET /tasks HTTP/1.1\r\nHost: bench\r\nAccept: text/html\r\nConnection: close\r\n\r\n";
    let json = b"POST /api/list_tasks HTTP/1.1\r\nHost: bench\r\nAccept: application/json\r\n\
        Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    let (pages, page_size) = throughput(addr, page.to_vec(), duration).await;
    let (answers, json_size) = throughput(addr, json.to_vec(), duration).await;
    println!("P4 SSR list page (50 rows)   {pages:>8.0} req/s   {page_size:>7} bytes");
    println!("P4 same data as JSON         {answers:>8.0} req/s   {json_size:>7} bytes");
    println!("P4 ratio SSR / JSON          {:>8.2}", pages / answers);

    hub.close();
    store.close().await;
    sqlx::raw_sql(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&admin_pool)
        .await
        .unwrap();
}
