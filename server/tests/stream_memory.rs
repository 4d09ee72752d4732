//! The change stream's memory, on both backends: a browser that resumes from position 0 on a log
//! of 10,000 versions is fed it page by page as it reads, so the server does not grow with the
//! log. Measured as this process's resident memory, against holding the whole log at once in
//! the same run. A file of its own, and one backend at a time, so no other test's allocations
//! are counted.

mod app_router;

use std::net::SocketAddr;
use std::time::Duration;

use rstest::rstest;
use server::HttpSettings;
use test_support::raw_http::serve;
use test_support::{by, fields_with, Backend, TestDb};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use app_router::build_router;

/// The two backends' runs measure one process, so they take turns.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Follows `/api/events?after=0` until `count` changes arrived, checking they come in position
/// order, each once. Reading starts only after two seconds, as a reader that stalls would, and
/// `sample` is called after the stall and then every 1,000 changes.
async fn read_changes(addr: SocketAddr, count: usize, mut sample: impl FnMut()) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /api/events?after=0 HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    sample();
    // Concurrent appends on PostgreSQL reach followers in the order they became safe to read
    // (transaction, then position), so positions need not rise; each must arrive once.
    let mut seen = std::collections::HashSet::new();
    let mut received = 0;
    let mut text = String::new();
    let mut buffer = vec![0; 16 * 1024];
    while received < count {
        let read = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut buffer))
            .await
            .unwrap()
            .unwrap();
        assert!(read > 0, "the stream ended after {received} changes");
        text.push_str(&String::from_utf8_lossy(&buffer[..read]));
        while let Some((event, rest)) = text.split_once("\n\n") {
            if event.contains("event: change") {
                let id: i64 = event
                    .lines()
                    .find_map(|line| line.strip_prefix("id: "))
                    .and_then(|id| id.parse().ok())
                    .unwrap();
                assert!(seen.insert(id), "position {id} arrived twice");
                received += 1;
                if received % 1_000 == 0 {
                    sample();
                }
            }
            text = rest.to_owned();
        }
    }
}

/// Resident memory of this process (the test and the server it hosts), in KiB.
fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .expect("VmRSS in /proc/self/status")
}
#[rstest]
#[case::sqlite(Backend::Sqlite)]
#[case::postgres(Backend::Postgres)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stream_resumed_from_zero_on_ten_thousand_versions_reads_the_log_in_bounded_memory(
    #[case] backend: Backend,
) {
    let db = TestDb::new(backend).await;
    let _turn = ONE_AT_A_TIME.lock().await;
    const VERSIONS: usize = 10_000;
    let writers: Vec<_> = (0..4)
        .map(|writer| {
            let store = db.store.clone();
            tokio::spawn(async move {
                for n in 0..VERSIONS / 4 {
                    // Versions of a realistic size (a 1,500-character description), so the
                    // whole log dwarfs what any reader holds whatever the log's length: a
                    // page, a channel, the database's page cache.
                    let fields = fields_with(app::task::TaskInput {
                        title: format!("Bulk {writer}-{n}"),
                        description: format!("{n} {}", "a longer description ".repeat(70)),
                        ..app::task::TaskInput::default()
                    });
                    store.create_task(fields, by("bulk")).await.unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    let addr = serve(build_router(&db, HttpSettings::default()).await).await;
    // A first full read warms what any reader needs (connections, the database's page cache),
    // so the second one below measures what a stream itself holds.
    read_changes(addr, VERSIONS, || {}).await;
    let baseline = resident_kib();
    let mut stalled = 0;
    let mut peak = 0;
    read_changes(addr, VERSIONS, || {
        // Sampled every 1,000 changes; the first sample is taken after a two-second stall.
        peak = peak.max(resident_kib());
        if stalled == 0 {
            stalled = peak;
        }
    })
    .await;
    peak = peak.max(resident_kib());
    // The baseline, measured in the same run: the whole log held in memory at once.
    let before_whole = resident_kib();
    let mut whole = Vec::new();
    loop {
        let after = whole
            .last()
            .map_or(0, |version: &app::task::TaskVersion| version.position);
        let page = db.store.changes_after(after, 200).await.unwrap();
        if page.is_empty() {
            break;
        }
        whole.extend(page.into_iter().map(|followed| followed.version));
    }
    let whole_kib = resident_kib().saturating_sub(before_whole);
    assert_eq!(whole.len(), VERSIONS);
    drop(whole);
    let (stalled_kib, peak_kib) = (
        stalled.saturating_sub(baseline),
        peak.saturating_sub(baseline),
    );
    eprintln!(
        "stream from 0 over {VERSIONS} versions on {:?}: +{stalled_kib} KiB with the reader \
         stalled, +{peak_kib} KiB at the peak while reading; the whole log held at once: \
         +{whole_kib} KiB",
        db.backend
    );
    // The catch-up holds one page of 200 versions plus a channel of 64, not the log: at its
    // peak the process holds a fraction of what the log takes.
    assert!(
        peak_kib * 3 < whole_kib,
        "+{peak_kib} KiB at the peak against +{whole_kib} KiB for the log"
    );
}
