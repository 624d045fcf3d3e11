//! TUI figures for issue 3, on the real binary in a pseudo-terminal: time from pressing run to the
//! first rows of a 1,000,000-row × 5-column result on screen, time until all rows are in, and the
//! process's peak memory (VmHWM) against the size of the same result as CSV (from `psql --csv`).
//!
//! Run: `cargo bench --bench tui_rows`.

#[path = "../tests/support/pty.rs"]
mod pty;

use std::time::{Duration, Instant};

use pgdeck::cluster::{ClusterOptions, TempCluster};

/// The table is made once; the timed statement reads it, so rows stream from the first one (a
/// set-returning function in FROM would be materialised by the server before the first row).
const MAKE_TABLE: &str = "create table million as select g as id, 'name-' || lpad(g::text, 7, '0') as name, \
    timestamptz '2026-01-01' + g * interval '1 second' as created_at, \
    (g * 3)::numeric / 100 as amount, jsonb_build_object('k', g % 1000, 'tags', jsonb_build_array('a', 'b')) as doc \
    from generate_series(1, 1000000) g; vacuum analyze million";
const QUERY: &str = "select * from million";

fn vm_hwm_kb(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn main() {
    let cluster = TempCluster::start(ClusterOptions::default()).expect("cluster");
    cluster.create_database("rows").expect("db");
    let ci = cluster.conninfo("rows");
    cluster.psql("rows", MAKE_TABLE).expect("make the table");
    // the CSV size of the same result, for the memory comparison
    let csv = std::process::Command::new(cluster.bin().psql())
        .args(["-X", "--csv", "-h"])
        .arg(cluster.socket_dir())
        .args([
            "-p",
            &cluster.port().to_string(),
            "-U",
            "postgres",
            "-d",
            "rows",
            "-c",
            QUERY,
        ])
        .output()
        .expect("psql");
    let csv_bytes = csv.stdout.len();
    let scratch = std::env::temp_dir().join(format!("pgdeck-bench-rows-{}", std::process::id()));
    for run in 0..3 {
        // a fresh state directory each run: no restored buffer from the run before
        let cfg = scratch.join(run.to_string()).display().to_string();
        let _ = std::fs::create_dir_all(&cfg);
        let mut s = pty::PtySession::spawn(
            env!("CARGO_BIN_EXE_pgdeck"),
            &[&ci],
            &[("PGDECK_CONFIG_DIR", &cfg)],
            160,
            45,
        );
        s.wait_for(Duration::from_secs(10), |sc| sc.contains("Schema"))
            .expect("first frame");
        s.send(QUERY.as_bytes());
        let t = Instant::now();
        s.send(b"\x1b[15~");
        s.wait_for(Duration::from_secs(30), |sc| sc.contains("name-0000001"))
            .expect("first rows");
        let first = t.elapsed();
        s.wait_for(Duration::from_secs(60), |sc| {
            sc.contains("1000000 rows") && !sc.contains("running")
        })
        .expect("all rows");
        let all = t.elapsed();
        let hwm = vm_hwm_kb(s.pid()).unwrap_or(0) * 1024;
        println!(
            "run {run}: first rows on screen {:.0} ms after f5; all 1,000,000 rows in {:.2} s; peak RSS {:.0} MB = {:.2}x the CSV ({:.0} MB)",
            first.as_secs_f64() * 1000.0,
            all.as_secs_f64(),
            hwm as f64 / 1e6,
            hwm as f64 / csv_bytes as f64,
            csv_bytes as f64 / 1e6
        );
        s.send(b"\x11");
        let _ = s.wait_exit(Duration::from_secs(10));
    }
    let _ = std::fs::remove_dir_all(&scratch);
}
