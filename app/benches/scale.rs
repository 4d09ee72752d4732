//! The big-board benchmark: P1–P3 of the million-versions goals, each beside a baseline measured
//! in the same run on the same database. Measured and printed, never asserted.
//!
//! For each backend it generates a board (`SCALE=TASKSxVERSIONS`, default 10000x100: a million
//! versions) through the store, then times:
//! - P1, a page of 50 current tasks in each sort, against the same page from a plain mutable
//!   table holding only the current rows with equivalent indexes, and against the ImmuTable
//!   library's shape (latest version per task by `GROUP BY entity_id, max(version)` over the log);
//! - P2, a page of 50 of the whole board as of the middle of its history, against P1;
//! - P9, a page of 50 of the board as it was in the middle of its history (valid time) as known
//!   now (the generator back-dates one edit in twenty), alone and with what the log said then
//!   about the same tasks, against P1;
//! - P10, the blame of one task: its whole history read and folded into each field's values;
//! - P3, appends by 8 concurrent writers on distinct tasks through the store, against raw
//!   INSERTs of the same rows into an unconstrained table in the same database;
//! - S, the statistics page view that finds the figures `STATISTICS_REFRESH_EVERY` changes
//!   behind (it starts a refresh in the background and reads the stored figures), against the
//!   refresh that such a view used to wait for.
//!
//! Run: `TEST_DATABASE_URL=$(scripts/postgres.sh) cargo bench -p app --features ssr --bench scale`
//! (CI runs it at `SCALE=200x10` so it keeps working.)

use std::future::Future;
use std::time::{Duration, Instant};

use app::lessons::statistics::{StatisticsRequest, STATISTICS_REFRESH_EVERY};
use app::store::{BoardSize, Store};
use app::task::{ChangeMeta, TaskFields, TaskFilter, TaskInput, TaskSort};

const SAMPLES: usize = 31;
const WRITERS: usize = 8;
const APPENDS_PER_WRITER: usize = 250;

/// Median wall time of `SAMPLES` runs, after three warm-up runs.
async fn median<F, Fut, T>(run: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = T>,
{
    median_of(SAMPLES, 3, run).await
}

/// Median wall time of `samples` runs, after `warm_ups` runs that are not timed.
async fn median_of<F, Fut, T>(samples: usize, warm_ups: usize, mut run: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = T>,
{
    for _ in 0..warm_ups {
        run().await;
    }
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let start = Instant::now();
        std::hint::black_box(run().await);
        times.push(start.elapsed());
    }
    times.sort();
    times[samples / 2]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(1e-12)
}

/// A database of one backend, with a raw pool beside the store for the baselines' own tables.
struct Database {
    store: Store,
    raw: Raw,
    cleanup: Box<dyn FnOnce() -> std::pin::Pin<Box<dyn Future<Output = ()>>>>,
}

enum Raw {
    Postgres(sqlx::PgPool),
    Sqlite(sqlx::SqlitePool),
}

impl Raw {
    async fn execute(&self, sql: &str) {
        match self {
            Raw::Postgres(pool) => drop(sqlx::raw_sql(sql).execute(pool).await.unwrap()),
            Raw::Sqlite(pool) => drop(sqlx::raw_sql(sql).execute(pool).await.unwrap()),
        }
    }

    async fn rows(&self, sql: &str) -> usize {
        match self {
            Raw::Postgres(pool) => sqlx::query(sql).fetch_all(pool).await.unwrap().len(),
            Raw::Sqlite(pool) => sqlx::query(sql).fetch_all(pool).await.unwrap().len(),
        }
    }

    async fn plan(&self, sql: &str) -> String {
        let lines: Vec<String> = match self {
            Raw::Postgres(pool) => sqlx::query_scalar(&format!("EXPLAIN ANALYZE {sql}"))
                .fetch_all(pool)
                .await
                .unwrap(),
            Raw::Sqlite(pool) => {
                sqlx::query_as::<_, (i64, i64, i64, String)>(&format!("EXPLAIN QUERY PLAN {sql}"))
                    .fetch_all(pool)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|row| row.3)
                    .collect()
            }
        };
        lines.join("\n    ")
    }
}

/// A pool for the baselines' statements. It skips sqlx's ping before each query, as the store's
/// pool does for connections used within the last second, so a baseline pays no round trip the
/// store does not.
async fn raw_pool<DB: sqlx::Database>(url: &str) -> sqlx::Pool<DB> {
    sqlx::pool::PoolOptions::new()
        .test_before_acquire(false)
        .connect(url)
        .await
        .unwrap()
}

async fn open(backend: &str) -> Database {
    let name = format!("bench_scale_{}", uuid::Uuid::now_v7().simple());
    if backend == "sqlite" {
        let path = std::env::temp_dir().join(format!("{name}.db"));
        let url = format!("sqlite:{}", path.display());
        let store = Store::connect(&url).await.unwrap();
        let raw = Raw::Sqlite(raw_pool(&url).await);
        return Database {
            store,
            raw,
            cleanup: Box::new(move || {
                Box::pin(async move {
                    for suffix in ["", "-wal", "-shm"] {
                        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                    }
                })
            }),
        };
    }
    let admin = std::env::var("TEST_DATABASE_URL")
        .expect("TEST_DATABASE_URL must name a PostgreSQL server (scripts/postgres.sh prints one)");
    let pool = sqlx::PgPool::connect(&admin).await.unwrap();
    sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
        .execute(&pool)
        .await
        .unwrap();
    let (base, _) = admin.rsplit_once('/').unwrap();
    let url = format!("{base}/{name}");
    let store = Store::connect(&url).await.unwrap();
    let raw = Raw::Postgres(raw_pool(&url).await);
    Database {
        store,
        raw,
        cleanup: Box::new(move || {
            Box::pin(async move {
                sqlx::raw_sql(&format!("DROP DATABASE {name} WITH (FORCE)"))
                    .execute(&pool)
                    .await
                    .unwrap();
            })
        }),
    }
}

fn fields(title: String) -> TaskFields {
    TaskFields::parse(&TaskInput {
        title,
        ..TaskInput::default()
    })
    .expect("valid fields")
}

/// The mutable baseline: only the current rows, updated in place, with indexes equivalent to
/// the read model's (the same partial indexes, on the table the page reads).
async fn build_mutable_baseline(raw: &Raw, postgres: bool) {
    let due = if postgres {
        "COALESCE(due_date, DATE '9999-12-31')"
    } else {
        "COALESCE(due_date, '9999-12-31')"
    };
    raw.execute(&format!(
        "CREATE TABLE bench_mutable_tasks AS \
           SELECT v.entity_id, v.version, v.title, v.description, v.status, v.priority, v.due_date, \
                  v.recorded_at AS changed_at, v.deleted_at, v.actor, v.note \
           FROM task_current c JOIN task_versions v ON v.id = c.version_id; \
         CREATE UNIQUE INDEX bench_mutable_id ON bench_mutable_tasks (entity_id); \
         CREATE INDEX bench_mutable_changed ON bench_mutable_tasks (changed_at DESC, entity_id DESC) WHERE deleted_at IS NULL; \
         CREATE INDEX bench_mutable_priority ON bench_mutable_tasks (priority DESC, changed_at DESC, entity_id DESC) WHERE deleted_at IS NULL; \
         CREATE INDEX bench_mutable_due ON bench_mutable_tasks (({due}), entity_id) WHERE deleted_at IS NULL; \
         ANALYZE bench_mutable_tasks;"
    ))
    .await;
}

fn order(sort: TaskSort, postgres: bool, prefix: &str) -> String {
    let due = if postgres {
        format!("COALESCE({prefix}due_date, DATE '9999-12-31')")
    } else {
        format!("COALESCE({prefix}due_date, '9999-12-31')")
    };
    match sort {
        TaskSort::RecentlyChanged => format!("{prefix}changed_at DESC, {prefix}entity_id DESC"),
        TaskSort::Priority => {
            format!("{prefix}priority DESC, {prefix}changed_at DESC, {prefix}entity_id DESC")
        }
        TaskSort::DueDate => format!("{due}, {prefix}entity_id"),
    }
}

/// The ImmuTable library's way to the current rows: the latest version of each entity found by
/// grouping the whole log, then the same page.
fn immutable_shape(sort: TaskSort, postgres: bool) -> String {
    let order = match sort {
        TaskSort::RecentlyChanged => "v.recorded_at DESC, v.entity_id DESC".to_owned(),
        TaskSort::Priority => "v.priority DESC, v.recorded_at DESC, v.entity_id DESC".to_owned(),
        TaskSort::DueDate if postgres => {
            "COALESCE(v.due_date, DATE '9999-12-31'), v.entity_id".to_owned()
        }
        TaskSort::DueDate => "COALESCE(v.due_date, '9999-12-31'), v.entity_id".to_owned(),
    };
    format!(
        "SELECT v.* FROM task_versions v \
         JOIN (SELECT entity_id, max(version) AS version FROM task_versions GROUP BY entity_id) latest \
           ON latest.entity_id = v.entity_id AND latest.version = v.version \
         WHERE v.deleted_at IS NULL ORDER BY {order} LIMIT 51"
    )
}

/// P3: appends per second by `WRITERS` writers, each editing its own task through the store.
async fn store_appends(store: &Store) -> f64 {
    let mut tasks = Vec::new();
    for writer in 0..WRITERS {
        let task = store
            .create_task(fields(format!("Writer {writer}")), ChangeMeta::anonymous())
            .await
            .unwrap();
        tasks.push(task);
    }
    let start = Instant::now();
    let handles: Vec<_> = tasks
        .into_iter()
        .enumerate()
        .map(|(writer, task)| {
            let store = store.clone();
            tokio::spawn(async move {
                for version in 1..=APPENDS_PER_WRITER as i64 {
                    let title = format!("Writer {writer} edit {version}");
                    store
                        .update_task(
                            task.entity_id,
                            version,
                            fields(title),
                            ChangeMeta::anonymous(),
                        )
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await.unwrap();
    }
    (WRITERS * APPENDS_PER_WRITER) as f64 / start.elapsed().as_secs_f64()
}

/// S: a statistics page view that finds the figures `STATISTICS_REFRESH_EVERY` changes behind,
/// against a refresh on demand (what that view waited for while it refreshed inline).
async fn statistics_views(store: &Store) {
    let request = |refresh| StatisticsRequest {
        refresh,
        compare: false,
        refresh_every: STATISTICS_REFRESH_EVERY,
    };
    // A refresh reads the whole log: seconds at a million versions, so fewer samples.
    let refresh = median_of(5, 1, || async {
        store.statistics(request(true)).await.unwrap()
    })
    .await;
    for n in 0..STATISTICS_REFRESH_EVERY {
        store
            .create_task(fields(format!("Counted {n}")), ChangeMeta::anonymous())
            .await
            .unwrap();
    }
    // The first of these views starts the refresh; the others read while it runs (or, at a
    // small size, after it ended): none of them waits for it.
    let stale_view = median(|| async { store.statistics(request(false)).await.unwrap() }).await;
    println!(
        "S  page view {STATISTICS_REFRESH_EVERY} behind {:>7.3} ms   refresh on demand {:.3} ms   ÷ {:.3}",
        ms(stale_view),
        ms(refresh),
        ratio(stale_view, refresh)
    );
    // The background refresh the views started ends before the database is dropped.
    while store.statistics(request(false)).await.unwrap().refreshing {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// P3's baseline: the same number of rows of the same shape, INSERTed one per statement by
/// `WRITERS` concurrent writers into a table with no constraints, triggers or indexes.
async fn raw_inserts(raw: &Raw) -> f64 {
    raw.execute("CREATE TABLE bench_raw_versions AS SELECT * FROM task_versions WHERE false")
        .await;
    let start = Instant::now();
    let handles: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let raw = match raw {
                Raw::Postgres(pool) => Raw::Postgres(pool.clone()),
                Raw::Sqlite(pool) => Raw::Sqlite(pool.clone()),
            };
            tokio::spawn(async move {
                for version in 1..=APPENDS_PER_WRITER as i64 {
                    let sql = format!(
                        "INSERT INTO bench_raw_versions (id, entity_id, version, title, status, priority, op, recorded_at, actor, hash) \
                         VALUES ('{}', '{}', {version}, 'Writer {writer} edit {version}', 'todo', 0, 'updated', '2026-01-01T00:00:00Z', 'anonymous', '{}')",
                        uuid::Uuid::now_v7(),
                        uuid::Uuid::from_u128(writer as u128),
                        "0".repeat(64)
                    );
                    raw.execute(&sql).await;
                }
            })
        })
        .collect();
    for handle in handles {
        handle.await.unwrap();
    }
    (WRITERS * APPENDS_PER_WRITER) as f64 / start.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let size: BoardSize = std::env::var("SCALE")
        .unwrap_or_else(|_| "10000x100".to_owned())
        .parse()
        .unwrap();
    println!(
        "board {size} ({} versions); medians of {SAMPLES} runs",
        size.tasks * size.versions
    );
    for backend in ["postgres", "sqlite"] {
        let postgres = backend == "postgres";
        let database = open(backend).await;
        let (store, raw) = (&database.store, &database.raw);
        let generated = store.generate_board(size).await.unwrap();
        println!(
            "\n{backend}: generated {} versions in {:.1} s ({:.0}/s)",
            generated.versions,
            generated.elapsed.as_secs_f64(),
            generated.versions as f64 / generated.elapsed.as_secs_f64()
        );
        raw.execute(if postgres {
            "VACUUM ANALYZE"
        } else {
            "ANALYZE"
        })
        .await;
        build_mutable_baseline(raw, postgres).await;

        println!(
            "P1 {:<18} {:>10} {:>10} {:>10} {:>12} {:>10} {:>10} {:>12}",
            "page of 50",
            "store",
            "its SQL",
            "mutable",
            "ImmuTable",
            "÷mutable",
            "SQL÷mut",
            "ImmuTable÷"
        );
        let mut recent_page = Duration::ZERO;
        for sort in TaskSort::ALL {
            let filter = TaskFilter {
                sort,
                ..TaskFilter::default()
            };
            assert_eq!(
                store.list_tasks(&filter).await.unwrap().rows.len(),
                50.min(size.tasks)
            );
            let ours = median(|| store.list_tasks(&filter)).await;
            let mutable_sql = format!(
                "SELECT * FROM bench_mutable_tasks WHERE deleted_at IS NULL ORDER BY {} LIMIT 51",
                order(sort, postgres, "")
            );
            let mutable = median(|| raw.rows(&mutable_sql)).await;
            // The store's statement alone, read the way the baselines are: what the SQL costs
            // without the store turning rows into checked domain values.
            let ours_sql = format!(
                "SELECT v.* FROM task_current c JOIN task_versions v ON v.id = c.version_id \
                 WHERE c.deleted_at IS NULL ORDER BY {} LIMIT 51",
                order(sort, postgres, "c.")
            );
            let sql_only = median(|| raw.rows(&ours_sql)).await;
            let shape = immutable_shape(sort, postgres);
            let immutable = median(|| raw.rows(&shape)).await;
            if sort == TaskSort::RecentlyChanged {
                recent_page = ours;
            }
            println!(
                "P1 {:<18} {:>7.3} ms {:>7.3} ms {:>7.3} ms {:>9.3} ms {:>9.2}× {:>9.2}× {:>11.0}×",
                sort.as_str(),
                ms(ours),
                ms(sql_only),
                ms(mutable),
                ms(immutable),
                ratio(ours, mutable),
                ratio(sql_only, mutable),
                ratio(immutable, ours)
            );
        }

        let middle = store
            .position_instant(store.head_position().await.unwrap() / 2)
            .await
            .unwrap()
            .unwrap();
        let past = median(|| store.board_as_of(middle, None)).await;
        println!(
            "P2 as of mid-history   {:>7.3} ms   ÷ P1 (recently changed) {:.2}×",
            ms(past),
            ratio(past, recent_page)
        );

        let known_now = chrono::Utc::now();
        let bitemporal = median(|| store.board_bitemporal(middle, known_now, None)).await;
        let pages = store
            .board_bitemporal(middle, known_now, None)
            .await
            .unwrap();
        let on_page: Vec<_> = pages.rows.iter().map(|v| v.entity_id).collect();
        let believed_then = store.known_then(&on_page, middle).await.unwrap();
        let believed = median(|| store.known_then(&on_page, middle)).await;
        println!(
            "P9 valid mid, known now {:>7.3} ms   ÷ P1 (recently changed) {:.2}×   with what was believed then (+{:.3} ms, {} of {} differ) {:.2}×",
            ms(bitemporal),
            ratio(bitemporal, recent_page),
            ms(believed),
            pages
                .rows
                .iter()
                .filter(|now| !believed_then.iter().any(|then| then.id == now.id))
                .count(),
            pages.rows.len(),
            ratio(bitemporal + believed, recent_page)
        );

        let blamed = pages.rows[0].entity_id;
        let versions = store.task_history(blamed).await.unwrap().len();
        let blame =
            median(|| async { app::blame::blame(&store.task_history(blamed).await.unwrap()) })
                .await;
        println!(
            "P10 blame of one task   {:>7.3} ms   ({versions} versions: its history read and folded)",
            ms(blame)
        );

        let ours = store_appends(store).await;
        let untraced = store_appends(&store.without_write_traces()).await;
        let baseline = raw_inserts(raw).await;
        println!(
            "P3 {WRITERS} writers           {ours:>7.0} appends/s   raw INSERT {baseline:.0}/s   ratio {:.2}",
            ours / baseline
        );
        println!(
            "P3 without statement traces {untraced:>7.0} appends/s   ratio {:.2}   traced ÷ untraced {:.2}",
            untraced / baseline,
            ours / untraced
        );

        statistics_views(store).await;

        let recent = "SELECT v.* FROM task_current c JOIN task_versions v ON v.id = c.version_id \
             WHERE c.deleted_at IS NULL ORDER BY c.changed_at DESC, c.entity_id DESC LIMIT 51";
        println!(
            "P1 plan (recently changed):\n    {}",
            raw.plan(recent).await
        );
        let instant = if postgres {
            format!("'{}'::timestamptz", middle.to_rfc3339())
        } else {
            format!("'{}'", middle.format("%Y-%m-%dT%H:%M:%S%.6fZ"))
        };
        let as_of = format!(
            "SELECT v.* FROM task_versions v WHERE v.recorded_at <= {instant} \
             AND NOT EXISTS (SELECT 1 FROM task_versions n WHERE n.entity_id = v.entity_id \
               AND n.version = v.version + 1 AND n.recorded_at <= {instant}) \
             ORDER BY v.recorded_at DESC, v.position DESC LIMIT 51"
        );
        println!("P2 plan:\n    {}", raw.plan(&as_of).await);

        database.store.close().await;
        match raw {
            Raw::Postgres(pool) => pool.close().await,
            Raw::Sqlite(pool) => pool.close().await,
        }
        (database.cleanup)().await;
    }
}
