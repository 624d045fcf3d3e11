//! Cancel latency: how long after the cancel request is sent a running statement ends, on
//! pgdeck's own wire client, over the unix socket. The goal of the query-editor issue is 100 ms.
//! Each round runs `select pg_sleep(30)`, waits until the backend sleeps (seen from a second
//! session), sends the cancel and times until the error arrives.
//!
//! Run: `cargo bench --bench cancel` (optionally `-- N` rounds, default 20).

use std::time::{Duration, Instant};

use pgdeck::cluster::{ClusterOptions, TempCluster};
use pgdeck::conn::{self, Environment};
use pgdeck::db::wire::{ColumnDesc, DataRow, Notice, QuerySink, ServerError, WireConn};

/// Keeps the SQLSTATE of the error.
#[derive(Default)]
struct Sink {
    error: Option<String>,
}

impl QuerySink for Sink {
    fn row_description(&mut self, _columns: &[ColumnDesc]) {}
    fn data_row(&mut self, _row: DataRow<'_>) {}
    fn command_complete(&mut self, _tag: &str) {}
    fn notice(&mut self, _notice: Notice) {}
    fn error(&mut self, error: ServerError) {
        self.error = Some(error.sqlstate);
    }
}

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(20);
    let cluster = TempCluster::start(ClusterOptions::default().preload_pg_stat_statements(false))
        .expect("start a PostgreSQL cluster");
    let ci = cluster.conninfo("postgres");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let params = conn::parse_conninfo(&ci).expect("conninfo");
        let env = Environment::from_vars(std::iter::empty(), None, Some("postgres".into()));
        let target = conn::resolve(&params, &env).expect("resolve");
        let mut c = WireConn::connect(&target, "bench").await.expect("connect");
        let mut observer = WireConn::connect(&target, "observer").await.expect("observer");
        let pid = c.backend_pid().expect("pid");
        let handle = c.cancel_handle();
        let mut times = Vec::new();
        for _ in 0..rounds {
            let query = async {
                let mut sink = Sink::default();
                let r = c.simple_query("select pg_sleep(30)", &mut sink).await;
                (r, sink.error, Instant::now())
            };
            let cancel = async {
                // wait until the backend really sleeps: a cancel before that is lost
                loop {
                    let v = observer
                        .first_value(&format!(
                            "select wait_event from pg_stat_activity where pid = {pid}"
                        ))
                        .await
                        .expect("observe");
                    if v.as_deref() == Some("PgSleep") {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                let t0 = Instant::now();
                handle.cancel().await.expect("cancel sent");
                t0
            };
            let ((r, code, done), t0) = tokio::join!(query, cancel);
            assert!(r.is_ok(), "{r:?}");
            assert_eq!(code.as_deref(), Some("57014"));
            times.push(done.saturating_duration_since(t0));
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "cancel latency over {rounds} rounds: median {:.1} ms, p90 {:.1} ms, max {:.1} ms (goal 100 ms)",
            ms(times[times.len() / 2]),
            ms(times[times.len() * 9 / 10]),
            ms(times[times.len() - 1])
        );
    });
}
