//! Result streaming figure: 1,000,000 rows × 5 columns (int, text, timestamptz, numeric, jsonb),
//! made once from `generate_series` into a table, read with `select *` by
//!
//! - `wire-keep`: `db::wire::WireConn` into `RowBatch`es that are all kept (what the grid holds);
//! - `wire-stream`: the same, each batch dropped once full (what a streaming export holds);
//! - `worker`: the real worker path (`db::Worker`, `Request::Run`, replies into a `ResultSet`);
//! - `tokio-postgres`: `simple_query_raw` into kept `RowBatch`es (the path before `db::wire`);
//! - `pgdeck query --csv -c ... > /dev/null`: the headless twin, the release binary;
//! - `psql -X --csv -c ... > /dev/null`, for context (psql buffers the whole result).
//!
//! Every variant runs in its own child process (this binary re-run with `--child`). Wall time is
//! the child's whole life: start, connect, query, exit. Peak RSS comes from `wait4`'s rusage. On
//! Linux a child started with vfork (as std's `Command` does) inherits the parent's high-water
//! mark in that figure, so the parent keeps itself small (it counts the CSV bytes without holding
//! them), and pgdeck's own children also report their `VmHWM` from `/proc/self/status`, which
//! belongs to the exec'd process alone. The variants take turns, run by run, so that load from
//! elsewhere on the machine falls on all of them alike; each runs `-- N` times (default 3) after a
//! warm-up round, and the table shows the median wall time and the largest peak RSS.
//!
//! Run: `cargo bench --bench query` (optionally `-- 5` for the number of runs).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pgdeck::cluster::{ClusterOptions, TempCluster};
use pgdeck::db::wire::{ColumnDesc, DataRow, Notice, QuerySink, ServerError, WireConn};
use pgdeck::model::result_set::{ResultSet, RowBatch};

const ROWS: u64 = 1_000_000;
// No ORDER BY: a sort would make the server hold back the first row until it has all of them.
const SELECT: &str = "select * from bench";
const BATCH_ROWS: usize = 8192;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let variant = args.get(i + 1).expect("variant");
        let conninfo = args.get(i + 2).expect("conninfo");
        child(variant, conninfo);
        return;
    }
    let runs: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(3);

    let cluster = TempCluster::start(ClusterOptions::default().preload_pg_stat_statements(false))
        .expect("start a PostgreSQL cluster");
    cluster.create_database("bench").expect("create database");
    cluster
        .psql(
            "bench",
            &format!(
                "create table bench as select g as id, 'name ' || g as name, \
                 timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second' as created_at, \
                 (g * 1.25)::numeric(12, 2) as amount, \
                 jsonb_build_object('id', g, 'tags', jsonb_build_array('a', 'b'), 'ok', g % 2 = 0) \
                 as doc from generate_series(1, {ROWS}) g; vacuum analyze bench;"
            ),
        )
        .expect("create the bench table");
    let conninfo = cluster.conninfo("bench");
    let psql = cluster.bin().psql();

    // The CSV size, for context: one extra psql run into a pipe, counted as it streams (the
    // parent must stay small, see above).
    let mut counter = Command::new(&psql)
        .args(["-X", "--csv", "-d", &conninfo, "-c", SELECT])
        .stdout(Stdio::piped())
        .spawn()
        .expect("psql");
    let csv_bytes = std::io::copy(
        &mut counter.stdout.take().expect("psql stdout"),
        &mut std::io::sink(),
    )
    .expect("read psql output");
    assert!(counter.wait().expect("psql").success());

    let me = std::env::current_exe().expect("own path");
    let names = [
        "wire-keep",
        "wire-stream",
        "worker",
        "tokio-postgres",
        "pgdeck query",
        "psql --csv",
    ];
    let command = |name: &str| -> Command {
        if name == "pgdeck query" {
            let mut c = Command::new(env!("CARGO_BIN_EXE_pgdeck"));
            c.args(["query", &conninfo, "--csv", "-c", SELECT])
                .env("PGDECK_CONFIG_DIR", "/nonexistent-pgdeck-bench")
                .stdout(Stdio::null());
            c
        } else if name == "psql --csv" {
            let mut c = Command::new(&psql);
            c.args(["-X", "--csv", "-d", &conninfo, "-c", SELECT])
                .stdout(Stdio::null());
            c
        } else {
            child_cmd(&me, name, &conninfo)
        }
    };
    let mut walls: Vec<Vec<Duration>> = vec![Vec::new(); names.len()];
    let mut peaks = vec![0i64; names.len()];
    let mut reports = vec![String::new(); names.len()];
    for round in 0..=runs {
        for (i, name) in names.iter().enumerate() {
            let (wall, rss_kb, out) = measure(&mut command(name));
            // Round 0 warms the page cache and the server's buffers.
            if round > 0 {
                walls[i].push(wall);
                peaks[i] = peaks[i].max(rss_kb);
                reports[i] = out;
            }
        }
    }
    let results: Vec<(&str, Duration, i64, String)> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut w = walls[i].clone();
            w.sort();
            (*name, w[w.len() / 2], peaks[i], reports[i].clone())
        })
        .collect();

    println!(
        "\n{ROWS} rows × 5 columns (int, text, timestamptz, numeric, jsonb); CSV size {:.1} MB; \
         {runs} runs each, median wall time, largest peak RSS\n",
        csv_bytes as f64 / 1e6
    );
    println!(
        "{:<16} {:>9} {:>12} {:>10}  child's own report",
        "variant", "wall s", "rows/s", "peak RSS"
    );
    let psql_wall = results.last().map(|r| r.1).unwrap_or(Duration::ZERO);
    let psql_rss = results.last().map(|r| r.2).unwrap_or(1).max(1);
    for (name, wall, rss_kb, inner) in &results {
        println!(
            "{:<16} {:>9.3} {:>12.0} {:>7.1} MB  {}",
            name,
            wall.as_secs_f64(),
            ROWS as f64 / wall.as_secs_f64(),
            *rss_kb as f64 / 1024.0,
            inner.trim()
        );
    }
    // Cross-check of psql's figure with GNU time, whose child is a plain fork of a small process.
    if Path::new("/usr/bin/time").exists() {
        let out = Command::new("/usr/bin/time")
            .args(["-f", "%M %e"])
            .arg(&psql)
            .args(["-X", "--csv", "-d", &conninfo, "-c", SELECT])
            .stdout(Stdio::null())
            .output()
            .expect("/usr/bin/time");
        let text = String::from_utf8_lossy(&out.stderr);
        if let Some((kb, secs)) = text
            .trim()
            .rsplit('\n')
            .next()
            .and_then(|l| l.split_once(' '))
        {
            println!(
                "(/usr/bin/time psql --csv: peak RSS {:.1} MB, {secs} s)",
                kb.parse::<f64>().unwrap_or(0.0) / 1024.0
            );
        }
    }
    println!("\nrelative to psql --csv (wall, peak RSS):");
    for (name, wall, rss_kb, _) in &results {
        println!(
            "{:<16} {:>5.2}× {:>5.2}×",
            name,
            wall.as_secs_f64() / psql_wall.as_secs_f64(),
            *rss_kb as f64 / psql_rss as f64
        );
    }
}

fn child_cmd(me: &Path, variant: &str, conninfo: &str) -> Command {
    let mut c = Command::new(me);
    c.args(["--child", variant, conninfo])
        .stdout(Stdio::piped());
    c
}

/// Runs `cmd` to the end: wall time, peak RSS in KiB (wait4's rusage), stdout.
// The child is reaped by wait4, which std's `wait` cannot replace: it gives no rusage.
#[allow(clippy::zombie_processes)]
fn measure(cmd: &mut Command) -> (Duration, i64, String) {
    let started = Instant::now();
    let mut child = cmd.spawn().expect("spawn");
    let stdout = child.stdout.take();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(mut out) = stdout {
            let _ = std::io::Read::read_to_string(&mut out, &mut s);
        }
        s
    });
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own child, not yet reaped; the pointers are valid for the call.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    assert_eq!(r, pid, "wait4 failed");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "child failed: {status}"
    );
    let out = reader.join().unwrap_or_default();
    (wall, usage.ru_maxrss, out)
}

/// Collects rows into RowBatches of `BATCH_ROWS`, keeping them or not.
struct Batches {
    keep: bool,
    kept: Vec<RowBatch>,
    current: RowBatch,
    rows: u64,
    bytes: usize,
}

impl Batches {
    fn new(keep: bool) -> Self {
        Batches {
            keep,
            kept: Vec::new(),
            current: RowBatch::new(0),
            rows: 0,
            bytes: 0,
        }
    }

    fn full(&mut self) {
        if self.current.rows() >= BATCH_ROWS {
            let ncols = self.current.ncols();
            let hint = self.current.text_len() + self.current.text_len() / 16;
            let mut full = std::mem::replace(
                &mut self.current,
                RowBatch::with_capacity(ncols, BATCH_ROWS, hint),
            );
            self.bytes += full.text_len();
            if self.keep {
                full.shrink_slack();
                self.kept.push(full);
            }
        }
    }

    fn heap(&self) -> usize {
        self.kept.iter().map(RowBatch::heap_bytes).sum::<usize>() + self.current.heap_bytes()
    }
}

impl QuerySink for Batches {
    fn row_description(&mut self, columns: &[ColumnDesc]) {
        self.current = RowBatch::new(columns.len());
    }
    fn data_row(&mut self, row: DataRow<'_>) {
        self.current.push_row_bytes(row.cells());
        self.rows += 1;
        self.full();
    }
    fn command_complete(&mut self, _tag: &str) {}
    fn notice(&mut self, _notice: Notice) {}
    fn error(&mut self, error: ServerError) {
        panic!("{}", error.message);
    }
}

fn child(variant: &str, conninfo: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let report = rt.block_on(async {
        match variant {
            "wire-keep" | "wire-stream" => {
                let target = target(conninfo);
                let mut c = WireConn::connect(&target, "pgdeck bench")
                    .await
                    .expect("connect");
                let t = Instant::now();
                let mut sink = Batches::new(variant == "wire-keep");
                c.simple_query(SELECT, &mut sink).await.expect("query");
                let took = t.elapsed();
                assert_eq!(sink.rows, ROWS);
                format!(
                    "query {:.3} s, {} batches kept, heap {:.1} MB",
                    took.as_secs_f64(),
                    sink.kept.len(),
                    sink.heap() as f64 / 1e6
                )
            }
            "worker" => worker(conninfo).await,
            "tokio-postgres" => {
                use futures_util::StreamExt;
                let (client, connection) = tokio_postgres::connect(conninfo, tokio_postgres::NoTls)
                    .await
                    .expect("connect");
                tokio::spawn(connection);
                let t = Instant::now();
                let stream = client.simple_query_raw(SELECT).await.expect("query");
                let mut stream = std::pin::pin!(stream);
                let mut sink = Batches::new(true);
                while let Some(message) = stream.next().await {
                    let tokio_postgres::SimpleQueryMessage::Row(row) = message.expect("row") else {
                        continue;
                    };
                    if sink.current.ncols() != row.len() {
                        sink.current = RowBatch::new(row.len());
                    }
                    sink.current.push_row((0..row.len()).map(|i| row.get(i)));
                    sink.rows += 1;
                    sink.full();
                }
                let took = t.elapsed();
                assert_eq!(sink.rows, ROWS);
                format!(
                    "query {:.3} s, {} batches kept, heap {:.1} MB",
                    took.as_secs_f64(),
                    sink.kept.len(),
                    sink.heap() as f64 / 1e6
                )
            }
            other => panic!("unknown variant {other}"),
        }
    });
    let hwm = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.trim_start_matches("VmHWM:").trim().to_owned())
        })
        .unwrap_or_else(|| "?".into());
    println!("{report}, own VmHWM {hwm}");
}

/// The worker path the TUI uses: replies collected into a ResultSet as the results pane does.
async fn worker(conninfo: &str) -> String {
    use pgdeck::db::{self, Reply, Request, Settings, Worker, WorkerEvent};
    let target = target(conninfo);
    let settings = Settings {
        row_cap: u64::MAX,
        ..Default::default()
    };
    let conns = db::open(&target, &settings).await.expect("open");
    let (requests, mut events) = Worker::spawn(conns, target, settings);
    let t = Instant::now();
    let id = requests.send(Request::Run { sql: SELECT.into() });
    let mut set = ResultSet::default();
    let mut first_rows = None;
    while let Some(ev) = events.recv().await {
        let WorkerEvent::Response(r) = ev else {
            continue;
        };
        if r.id != id {
            continue;
        }
        match r.reply.expect("reply") {
            Reply::ResultStarted { columns } => set = ResultSet::new(columns),
            Reply::Rows(b) => {
                first_rows.get_or_insert_with(|| t.elapsed());
                set.append(b);
            }
            Reply::RunFinished(o) => {
                assert!(o.error.is_none(), "{:?}", o.error);
                break;
            }
            _ => {}
        }
        if r.last {
            break;
        }
    }
    let took = t.elapsed();
    assert_eq!(set.len() as u64, ROWS);
    format!(
        "query {:.3} s, first rows after {:.1} ms, heap {:.1} MB",
        took.as_secs_f64(),
        first_rows.unwrap_or_default().as_secs_f64() * 1000.0,
        set.heap_bytes() as f64 / 1e6
    )
}

fn target(conninfo: &str) -> pgdeck::conn::ConnTarget {
    let params = pgdeck::conn::parse_conninfo(conninfo).expect("conninfo");
    let env =
        pgdeck::conn::Environment::from_vars(std::iter::empty(), None, Some("postgres".into()));
    pgdeck::conn::resolve(&params, &env).expect("resolve")
}
