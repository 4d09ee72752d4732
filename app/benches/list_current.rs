//! Does listing current tasks cost O(live tasks) or O(all versions)? Measured, not asserted.
//!
//! For each backend, two databases hold the same number of live tasks: a baseline where every
//! task has one version, and a deep one where every task has many versions plus a crowd of
//! deleted tasks. `list_tasks` reads the `task_current` read model and should take about the
//! same time on both; `board_as_of(now)`, which must search the version table, is timed beside
//! it for contrast. Run: TEST_DATABASE_URL=postgres://... cargo bench -p app --features ssr

use std::time::{Duration, Instant};

use app::store::Store;
use app::task::{ChangeMeta, TaskFields, TaskFilter, TaskInput};

const LIVE_TASKS: usize = 100;
const VERSIONS_PER_TASK: i64 = 30;
const DELETED_TASKS: usize = 100;
const SAMPLES: usize = 40;

fn fields(title: String) -> TaskFields {
    TaskFields::parse(&TaskInput {
        title,
        ..TaskInput::default()
    })
    .expect("valid fields")
}

async fn fill(store: &Store, versions_per_task: i64, deleted: usize) -> usize {
    let meta = ChangeMeta::anonymous;
    let mut rows = 0;
    for task in 0..LIVE_TASKS + deleted {
        let created = store
            .create_task(fields(format!("Task {task}")), meta())
            .await
            .unwrap();
        rows += 1;
        for version in 1..versions_per_task {
            let title = format!("Task {task} edit {version}");
            store
                .update_task(created.entity_id, version, fields(title), meta())
                .await
                .unwrap();
            rows += 1;
        }
        if task >= LIVE_TASKS {
            store.delete_task(created.entity_id, meta()).await.unwrap();
            rows += 1;
        }
    }
    rows
}

/// Median wall time of `SAMPLES` runs, after one warm-up run.
async fn median<F, Fut, T>(mut run: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    run().await;
    let mut times = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let start = Instant::now();
        std::hint::black_box(run().await);
        times.push(start.elapsed());
    }
    times.sort();
    times[SAMPLES / 2]
}

struct Database {
    store: Store,
    cleanup: Cleanup,
}

enum Cleanup {
    File(std::path::PathBuf),
    Database { admin_url: String, name: String },
}

async fn open(backend: &str, label: &str) -> Database {
    let name = format!("bench_{label}_{}", uuid::Uuid::now_v7().simple());
    match backend {
        "sqlite" => {
            let path = std::env::temp_dir().join(format!("{name}.db"));
            let store = Store::connect(&format!("sqlite:{}", path.display()))
                .await
                .unwrap();
            Database {
                store,
                cleanup: Cleanup::File(path),
            }
        }
        _ => {
            let admin = std::env::var("TEST_DATABASE_URL").expect(
                "TEST_DATABASE_URL must name a PostgreSQL server (scripts/postgres.sh prints one)",
            );
            let pool = sqlx::PgPool::connect(&admin).await.unwrap();
            sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
                .execute(&pool)
                .await
                .unwrap();
            let (base, _) = admin.rsplit_once('/').unwrap();
            let store = Store::connect(&format!("{base}/{name}")).await.unwrap();
            Database {
                store,
                cleanup: Cleanup::Database {
                    admin_url: admin,
                    name,
                },
            }
        }
    }
}

async fn close(database: Database) {
    database.store.close().await;
    match database.cleanup {
        Cleanup::File(path) => {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
        Cleanup::Database { admin_url, name } => {
            let pool = sqlx::PgPool::connect(&admin_url).await.unwrap();
            sqlx::raw_sql(&format!("DROP DATABASE {name} WITH (FORCE)"))
                .execute(&pool)
                .await
                .unwrap();
        }
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

#[tokio::main]
async fn main() {
    println!(
        "{LIVE_TASKS} live tasks; deep history = {VERSIONS_PER_TASK} versions each + {DELETED_TASKS} deleted tasks; median of {SAMPLES}"
    );
    println!(
        "{:<9} {:<16} {:>9} {:>13} {:>15}",
        "backend", "database", "versions", "list_tasks", "board_as_of(now)"
    );
    for backend in ["sqlite", "postgres"] {
        let baseline = open(backend, "flat").await;
        let deep = open(backend, "deep").await;
        let flat_rows = fill(&baseline.store, 1, 0).await;
        let deep_rows = fill(&deep.store, VERSIONS_PER_TASK, DELETED_TASKS).await;

        let mut results = Vec::new();
        for (label, database, rows) in [
            ("baseline", &baseline, flat_rows),
            ("deep history", &deep, deep_rows),
        ] {
            let store = &database.store;
            assert_eq!(
                store.list_tasks(TaskFilter::default()).await.unwrap().len(),
                LIVE_TASKS
            );
            let list = median(|| store.list_tasks(TaskFilter::default())).await;
            let as_of = median(|| store.board_as_of(chrono::Utc::now())).await;
            println!(
                "{backend:<9} {label:<16} {rows:>9} {:>10.3} ms {:>12.3} ms",
                ms(list),
                ms(as_of)
            );
            results.push((list, as_of));
        }
        let ratio = |deep: Duration, flat: Duration| deep.as_secs_f64() / flat.as_secs_f64();
        println!(
            "{backend:<9} deep / baseline: list_tasks x{:.2} (read model), board_as_of x{:.2} (version table), rows x{:.1}",
            ratio(results[1].0, results[0].0),
            ratio(results[1].1, results[0].1),
            deep_rows as f64 / flat_rows as f64
        );
        close(baseline).await;
        close(deep).await;
    }
}
