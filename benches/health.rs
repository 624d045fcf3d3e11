//! Health report figures (issue 7's target: on a database with 10,000 tables and 20,000 indexes the
//! whole report finishes in ≤ 5 s and the first findings show in ≤ 1 s).
//!
//! Builds `TABLES` tables, each with a primary key and one more index (so 2 × `TABLES` indexes), a few
//! rows and statistics; one table in 50 also gets a duplicate index and an unindexed foreign key, so
//! checks have findings to report. Then runs the report through the real path (`db::open`,
//! `Worker`, `Request::RunHealth` on the monitor connection with its default timeouts) `-- N` times
//! (default 3) and prints, per run, the time to the first finding and to the end, and the median time
//! of every check.
//!
//! Run: `cargo bench --bench health` (optionally `-- 5` for the number of runs, `-- tables=2000` to
//! build a smaller database).

use std::time::{Duration, Instant};

use pgdeck::cluster::{ClusterOptions, TempCluster};
use pgdeck::db::health::HealthEvent;
use pgdeck::db::{self, Reply, Request, Settings, Worker, WorkerEvent};

const BATCH: usize = 250;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runs: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(3);
    let tables: usize = args
        .iter()
        .find_map(|a| a.strip_prefix("tables=").and_then(|n| n.parse().ok()))
        .unwrap_or(10_000);

    let cluster = TempCluster::start(
        ClusterOptions::default()
            .preload_pg_stat_statements(false)
            .setting("max_locks_per_transaction", "256"),
    )
    .expect("start a PostgreSQL cluster");
    cluster.create_database("health").expect("create database");
    let built = Instant::now();
    cluster
        .psql("health", "create table parent (id int primary key);")
        .expect("parent");
    let mut n = 0;
    while n < tables {
        let hi = (n + BATCH).min(tables);
        let sql = format!(
            "do $$ begin for i in {n}..{} loop \
               execute format('create table t_%s (id int primary key, a int, b text, p int)', i); \
               execute format('create index t_%s_a on t_%s (a)', i, i); \
               execute format('insert into t_%s select g, g %% 7, ''row '' || g from generate_series(1, 20) g', i); \
               if i % 50 = 0 then \
                 execute format('create index t_%s_a_dup on t_%s (a)', i, i); \
                 execute format('alter table t_%s add foreign key (p) references parent (id)', i); \
               end if; \
             end loop; end $$;",
            hi - 1
        );
        cluster.psql("health", &sql).expect("create tables");
        n = hi;
    }
    cluster.psql("health", "analyze;").expect("analyze");
    let counts = cluster
        .psql(
            "health",
            "select count(*) filter (where relkind = 'r'), count(*) filter (where relkind = 'i') \
             from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public';",
        )
        .expect("counts");
    println!(
        "database: {} (tables|indexes in public), built in {:.1} s",
        counts.trim(),
        built.elapsed().as_secs_f64()
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let conninfo = cluster.conninfo("health");
    let mut totals = Vec::new();
    let mut firsts = Vec::new();
    let mut per_check: Vec<(String, Vec<Duration>, usize, Option<String>)> = Vec::new();
    for run in 0..=runs {
        let (first, total, checks) = rt.block_on(report(&conninfo));
        if run == 0 {
            continue; // warm-up: catalog caches of a fresh server
        }
        println!(
            "run {run}: first finding after {:.0} ms, whole report {:.0} ms",
            first.as_secs_f64() * 1000.0,
            total.as_secs_f64() * 1000.0
        );
        firsts.push(first);
        totals.push(total);
        for (check, d, found, err) in checks {
            match per_check.iter_mut().find(|c| c.0 == check) {
                Some(c) => c.1.push(d),
                None => per_check.push((check, vec![d], found, err)),
            }
        }
    }
    println!(
        "\n{:<22} {:>10} {:>9}  error",
        "check", "median ms", "findings"
    );
    for (check, mut ds, found, err) in per_check {
        ds.sort();
        println!(
            "{check:<22} {:>10.0} {found:>9}  {}",
            ds[ds.len() / 2].as_secs_f64() * 1000.0,
            err.unwrap_or_default()
        );
    }
    firsts.sort();
    totals.sort();
    println!(
        "\nmedian of {runs}: first finding {:.0} ms (target ≤ 1000), whole report {:.0} ms (target ≤ 5000)",
        firsts[firsts.len() / 2].as_secs_f64() * 1000.0,
        totals[totals.len() / 2].as_secs_f64() * 1000.0
    );
}

/// One report: time to the first finding, total time, and per check (time, findings, error).
async fn report(
    conninfo: &str,
) -> (
    Duration,
    Duration,
    Vec<(String, Duration, usize, Option<String>)>,
) {
    let params = pgdeck::conn::parse_conninfo(conninfo).expect("conninfo");
    let env =
        pgdeck::conn::Environment::from_vars(std::iter::empty(), None, Some("postgres".into()));
    let target = pgdeck::conn::resolve(&params, &env).expect("resolve");
    let settings = Settings::default();
    let conns = db::open(&target, &settings).await.expect("open");
    let (requests, mut events) = Worker::spawn(conns, target, settings);
    let started = Instant::now();
    requests.send(Request::RunHealth {
        config: Box::default(),
        schema: None,
        only: Vec::new(),
    });
    let mut first = None;
    let mut checks = Vec::new();
    while let Some(ev) = events.recv().await {
        let WorkerEvent::Response(resp) = ev else {
            continue;
        };
        match resp.reply.expect("report") {
            Reply::Health(HealthEvent::Check(o)) => {
                let (found, err) = match &o.result {
                    Ok(f) => (f.len(), None),
                    Err(e) => (0, Some(e.clone())),
                };
                if found > 0 && first.is_none() {
                    first = Some(started.elapsed());
                }
                checks.push((o.check, o.elapsed, found, err));
            }
            Reply::Health(HealthEvent::Finished { .. }) => break,
            _ => {}
        }
    }
    let total = started.elapsed();
    (first.unwrap_or(total), total, checks)
}
