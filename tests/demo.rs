//! Integration test of the demo: a fresh load, the cache round trip, the mistakes the health
//! report should find, and the workload. Needs PostgreSQL binaries; fails (never skips) without.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use pgdeck::demo::{Demo, DemoOptions};
use tokio_postgres::{Client, NoTls};

const CHECKS_SQL: &str = include_str!("demo_checks.sql");

/// A private cache dir, removed at the end even when the test fails.
struct CacheDir(PathBuf);

impl Drop for CacheDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn connect(conninfo: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(conninfo, NoTls)
        .await
        .unwrap_or_else(|e| panic!("connecting to {conninfo}: {e}"));
    tokio::spawn(connection);
    client
}

async fn start(opts: DemoOptions) -> (Demo, Duration) {
    let started = Instant::now();
    let demo = Demo::start_with(opts)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    (demo, started.elapsed())
}

/// Runs demo_checks.sql and fails with every check that did not hold.
async fn assert_checks(client: &Client, label: &str) {
    let rows = client
        .query(CHECKS_SQL, &[])
        .await
        .unwrap_or_else(|e| panic!("checks: {e:?}"));
    assert!(rows.len() >= 30, "{} checks ran", rows.len());
    let failed: Vec<String> = rows
        .iter()
        .filter(|r| !r.get::<_, Option<bool>>(1).unwrap_or(false))
        .map(|r| {
            format!(
                "{}: {:?}",
                r.get::<_, String>(0),
                r.get::<_, Option<String>>(2)
            )
        })
        .collect();
    assert!(
        failed.is_empty(),
        "{label}: failed checks:\n{}",
        failed.join("\n")
    );
}

/// Polls pg_stat_activity until `query` (one boolean) holds, for at most `limit`.
async fn eventually(client: &Client, query: &str, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if client
            .query_one(query, &[])
            .await
            .unwrap()
            .get::<_, bool>(0)
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_loads_caches_and_runs_a_workload() {
    let cache = CacheDir(
        std::env::temp_dir().join(format!("pgdeck-demo-cache-test-{}", std::process::id())),
    );
    let opts = DemoOptions {
        cache_dir: Some(cache.0.clone()),
    };

    // Cold: a fresh load, which fills the cache.
    let (mut demo, cold) = start(opts.clone()).await;
    eprintln!("demo cold start (load + cache save): {cold:?}");
    assert!(!demo.from_cache());
    assert_eq!(demo.dbname, "pgdeck_demo");
    let dir = demo.cluster.dir().to_path_buf();
    let client = connect(&demo.conninfo()).await;
    assert_checks(&client, "fresh load").await;

    demo.start_workload().unwrap();
    demo.start_workload().unwrap(); // a second call is a no-op
    let sessions = "select count(distinct application_name) >= 6 from pg_stat_activity \
                    where application_name like 'demo-%'";
    assert!(
        eventually(&client, sessions, Duration::from_secs(10)).await,
        "workload sessions"
    );
    let idle = "select exists (select from pg_stat_activity where application_name = 'demo-idle' \
                and state = 'idle in transaction')";
    assert!(
        eventually(&client, idle, Duration::from_secs(10)).await,
        "idle in transaction"
    );
    let waiting = "select exists (select from pg_stat_activity where application_name = \
                   'demo-waiter' and wait_event_type = 'Lock')";
    assert!(
        eventually(&client, waiting, Duration::from_secs(15)).await,
        "a lock wait"
    );
    let writes = "select count(*) > 0 from logs where created_at > now() - interval '1 minute'";
    assert!(
        eventually(&client, writes, Duration::from_secs(10)).await,
        "the writer inserts logs"
    );
    drop(client);

    demo.stop().await;
    assert!(!dir.exists(), "stop removes {}", dir.display());

    // Warm: the same database, copied from the cache.
    let (demo, warm) = start(opts.clone()).await;
    eprintln!("demo start from cache: {warm:?}");
    assert!(demo.from_cache());
    let client = connect(&demo.conninfo()).await;
    assert_checks(&client, "from cache").await;
    drop(client);
    demo.stop().await;

    // A damaged cache is noticed and replaced by a fresh load.
    let cached = std::fs::read_dir(&cache.0)
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().starts_with("demo-"))
        .expect("a cache entry")
        .path();
    std::fs::remove_file(cached.join("data/PG_VERSION")).unwrap();
    let (demo, _) = start(opts).await;
    assert!(!demo.from_cache(), "a damaged cache is not used");
    let client = connect(&demo.conninfo()).await;
    let users: i64 = client
        .query_one("select count(*) from users", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(users, 20000);
    drop(client);
    demo.stop().await;
    assert!(
        cached.join("data/PG_VERSION").exists(),
        "the fresh load refilled the cache"
    );
}
