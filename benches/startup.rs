//! Startup figure: time from starting `pgdeck CONNINFO` to the first frame that shows the schema, on a
//! local socket, against a database with 1,000 tables. The real binary runs on a pseudo-terminal and its
//! output goes through a terminal emulator; the clock stops when a table name is on the emulated screen.
//!
//! Run: `cargo bench --bench startup` (optionally `-- 30` for the number of runs).

#[path = "../tests/support/pty.rs"]
mod pty;

use std::time::Duration;

use pgdeck::cluster::{ClusterOptions, TempCluster};

fn main() {
    let runs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(20);
    let cluster =
        TempCluster::start(ClusterOptions::default()).expect("start a PostgreSQL cluster");
    cluster
        .create_database("bench1000")
        .expect("create database");
    let ddl = "do $$ begin for i in 0..999 loop \
               execute format('create table %I (id int primary key, name text, created_at timestamptz)', 't' || lpad(i::text, 4, '0')); \
               end loop; end $$; analyze;";
    cluster.psql("bench1000", ddl).expect("create 1000 tables");
    let conninfo = cluster.conninfo("bench1000");
    let bin = env!("CARGO_BIN_EXE_pgdeck");
    let config_dir =
        std::env::temp_dir().join(format!("pgdeck-bench-config-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&config_dir);
    let config_dir_s = config_dir.display().to_string();

    let mut times = Vec::with_capacity(runs);
    for i in 0..runs + 1 {
        let mut s = pty::PtySession::spawn(
            bin,
            &[&conninfo],
            &[("PGDECK_CONFIG_DIR", &config_dir_s)],
            140,
            40,
        );
        let t = s
            .wait_for(Duration::from_secs(10), |screen| screen.contains("t0001"))
            .unwrap_or_else(|screen| panic!("schema never appeared; screen:\n{screen}"));
        s.send(b"\x11"); // ctrl-q
        let status = s.wait_exit(Duration::from_secs(5));
        assert!(
            status.is_some_and(|st| st.success()),
            "pgdeck did not exit cleanly"
        );
        if i > 0 {
            // the first run warms the page cache and the server's catalog caches
            times.push(t);
        }
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = times[times.len() / 2];
    let p90 = times[(times.len() * 9 / 10).min(times.len() - 1)];
    println!(
        "startup to first schema frame (1,000 tables, unix socket, {runs} runs): min {:.1} ms, median {:.1} ms, p90 {:.1} ms, max {:.1} ms",
        ms(times[0]),
        ms(median),
        ms(p90),
        ms(times[times.len() - 1])
    );
    let _ = std::fs::remove_dir_all(&config_dir);
}
