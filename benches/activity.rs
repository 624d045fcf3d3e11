//! Activity monitor figure: with 500 client sessions connected (most idle, some idle in a
//! transaction, some running, a blocking chain among them), one refresh — the monitor queries
//! (`db::activity::snapshot`: sessions with lock waits and pg_blocking_pids, vitals), the model (the
//! pane's table rows, lock forest and rates) and a render of the whole app into a 200×50
//! TestBackend — is timed end to end; the goal is ≤ 50 ms. The server-side time of the refresh's
//! queries (planning + execution, from pg_stat_statements with `track_planning`, for the monitor's
//! own database only) is the second figure; the goal is ≤ 5 ms.
//!
//! Run: `cargo bench --bench activity` (optionally `-- N` refreshes, default 30).

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pgdeck::app::{App, AppOptions};
use pgdeck::cluster::{ClusterOptions, TempCluster};
use pgdeck::conn::{self, ConnTarget, Environment};
use pgdeck::db::activity::{self, ActivityQueries};
use pgdeck::db::{self, Reply, Requests, Response, Settings, WorkerEvent};
use pgdeck::event::Event;
use pgdeck::keymap::Keymap;
use pgdeck::theme::Theme;
use pgdeck::ui::status::StatusLine;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const CLIENTS: usize = 500;

fn target(ci: &str) -> ConnTarget {
    let params = conn::parse_conninfo(ci).expect("conninfo");
    let env = Environment::from_vars(std::iter::empty(), None, Some("postgres".into()));
    conn::resolve(&params, &env).expect("resolve")
}

fn key(c: char, m: KeyModifiers) -> Event {
    Event::Terminal(crossterm::event::Event::Key(KeyEvent::new(
        KeyCode::Char(c),
        m,
    )))
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i.min(v.len() - 1)]
}

fn main() {
    let runs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(30);
    let cluster = TempCluster::start(
        ClusterOptions::default()
            .setting("max_connections", "600")
            .setting("pg_stat_statements.track_planning", "on"),
    )
    .expect("start a PostgreSQL cluster");
    cluster.create_database("clients").expect("db");
    cluster.create_database("monitor").expect("db");
    cluster
        .psql(
            "clients",
            "create table t (id int primary key, v int); insert into t select g, 0 from generate_series(1, 100) g;",
        )
        .expect("table");
    let has_pgss = cluster
        .psql(
            "monitor",
            "create extension if not exists pg_stat_statements",
        )
        .is_ok();
    let clients_ci = cluster.conninfo("clients");
    let monitor_ci = cluster.conninfo("monitor");

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        // 500 client sessions: 400 idle, 50 idle in transaction, 40 running, a chain of 10
        let t = target(&clients_ci);
        let started = Instant::now();
        let mut clients = Vec::with_capacity(CLIENTS);
        for chunk in 0..CLIENTS / 50 {
            let mut set = Vec::new();
            for i in 0..50 {
                let t = t.clone();
                set.push(tokio::spawn(async move {
                    conn::connect(&t, &format!("bench-{}", chunk * 50 + i))
                        .await
                        .expect("connect")
                }));
            }
            for h in set {
                clients.push(Arc::new(h.await.expect("join").client));
            }
        }
        let mut tasks = Vec::new();
        for (i, c) in clients.iter().enumerate() {
            let c = c.clone();
            match i {
                0 => c
                    .batch_execute("begin; update t set v = 1 where id = 1")
                    .await
                    .expect("root"),
                1..=9 => tasks.push(tokio::spawn(async move {
                    let _ = c.batch_execute("update t set v = 2 where id = 1").await;
                })),
                10..=59 => c
                    .batch_execute("begin; select 1")
                    .await
                    .expect("idle in tx"),
                60..=99 => tasks.push(tokio::spawn(async move {
                    let _ = c.batch_execute("select pg_sleep(600)").await;
                })),
                _ => {}
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        println!(
            "{CLIENTS} client sessions connected in {:.1} s",
            started.elapsed().as_secs_f64()
        );

        let conns = db::open(&target(&monitor_ci), &Settings::default())
            .await
            .expect("monitor");
        let q = ActivityQueries::new(&conns.info);
        let client = &conns.monitor.client;
        let own = conns.own_pids.clone();

        let (requests, mut sent) = Requests::detached();
        let mut app = App::new(AppOptions {
            keymap: Keymap::default_keymap(),
            theme: Theme::load("dark", None).expect("theme"),
            requests,
            status: StatusLine::default(),
            editor_text: String::new(),
            tab_width: 4,
            activity_interval: Duration::from_secs(2),
            confirm_quit: false,
            state_dir: None,
            database: "monitor".into(),
            safe_mode: false,
        });
        app.on_event(key('5', KeyModifiers::ALT));
        let mut term = Terminal::new(TestBackend::new(200, 50)).expect("terminal");

        // warm-up, then reset the statement statistics so only the timed refreshes count
        let snap = activity::snapshot(client, &q, &own).await.expect("snapshot");
        let sessions = snap.sessions.len();
        let waiting = snap.sessions.iter().filter(|s| !s.blocked_by.is_empty()).count();
        if has_pgss {
            client
                .batch_execute("select pg_stat_statements_reset()")
                .await
                .expect("reset");
        }

        let (mut total, mut query, mut model_render) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..runs {
            let t0 = Instant::now();
            let snap = activity::snapshot(client, &q, &own).await.expect("snapshot");
            let t1 = Instant::now();
            // the pane's request id: refresh, answer it, draw
            app.on_event(key('r', KeyModifiers::NONE));
            let mut id = None;
            while let Ok((i, _)) = sent.try_recv() {
                id = Some(i);
            }
            let id = id.expect("refresh request");
            app.on_event(Event::Worker(WorkerEvent::Response(Response {
                id,
                reply: Ok(Reply::Activity(Box::new(snap))),
                last: true,
            })));
            term.draw(|f| app.render(f)).expect("draw");
            let t2 = Instant::now();
            total.push((t2 - t0).as_secs_f64() * 1000.0);
            query.push((t1 - t0).as_secs_f64() * 1000.0);
            model_render.push((t2 - t1).as_secs_f64() * 1000.0);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let server_ms = if has_pgss {
            let row = client
                .query_one(
                    "select coalesce(sum(s.total_plan_time + s.total_exec_time), 0)::float8, \
                            coalesce(sum(s.calls), 0)::int8 \
                     from pg_stat_statements s join pg_database d on d.oid = s.dbid \
                     where d.datname = 'monitor' and s.query not like '%pg_stat_statements%'",
                    &[],
                )
                .await
                .expect("pg_stat_statements");
            let ms: f64 = row.get(0);
            let calls: i64 = row.get(1);
            Some((ms / runs as f64, calls as f64 / runs as f64))
        } else {
            None
        };
        println!(
            "pg_stat_activity rows {sessions}, waiting on locks {waiting}, refreshes {runs}"
        );
        println!(
            "refresh (queries + model + render): median {:.1} ms, p95 {:.1} ms, max {:.1} ms   (goal ≤ 50 ms)",
            pct(&mut total.clone(), 0.5),
            pct(&mut total.clone(), 0.95),
            pct(&mut total, 1.0)
        );
        println!(
            "  queries (client round trips):   median {:.1} ms, p95 {:.1} ms",
            pct(&mut query.clone(), 0.5),
            pct(&mut query, 0.95)
        );
        println!(
            "  model + render (200×50):        median {:.1} ms, p95 {:.1} ms",
            pct(&mut model_render.clone(), 0.5),
            pct(&mut model_render, 0.95)
        );
        match server_ms {
            Some((ms, calls)) => println!(
                "server-side time per refresh (plan + exec, pg_stat_statements): {ms:.2} ms over {calls:.0} statements   (goal ≤ 5 ms)"
            ),
            None => println!("server-side time: pg_stat_statements is not available"),
        }
        drop(tasks);
    });
    rt.shutdown_timeout(Duration::from_millis(200));
}
