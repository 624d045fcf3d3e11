//! Schema browser figures on a database with 10,000 tables × 10 columns and 20,000 indexes (issue 4):
//! first paint of the tree after connect (≤ 300 ms), one filter keystroke (≤ 16 ms: the key handled
//! and the frame drawn), opening a table's detail (≤ 100 ms: request, the monitor's queries, reply,
//! frame). Runs the real App with a TestBackend and the real db functions on a temporary cluster.
//!
//! Run: `cargo bench --bench schema` (optionally `-- 10` for the number of runs per figure).
//!
//! Measured (release, 2 shared cores, PostgreSQL 15, 10 runs): first paint 55 ms median / 76 ms max,
//! filter keystroke + frame 1.00 / 1.45 ms, table detail 11.4 / 15.6 ms (of which 11.0 ms queries);
//! the table's health findings (all 16 checks for that one table, loaded after the detail, never
//! blocking it) 78 / 104 ms.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pgdeck::action::Action;
use pgdeck::app::{App, AppOptions};
use pgdeck::cluster::{ClusterOptions, TempCluster};
use pgdeck::conn::{self, Environment};
use pgdeck::db::{self, Reply, Request, RequestId, Requests, Response, Settings, WorkerEvent};
use pgdeck::event::Event;
use pgdeck::keymap::Keymap;
use pgdeck::theme::Theme;
use pgdeck::ui::status::StatusLine;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const TABLES: usize = 10_000;

fn app() -> (
    App,
    tokio::sync::mpsc::UnboundedReceiver<(RequestId, Request)>,
) {
    let (requests, rx) = Requests::detached();
    let app = App::new(AppOptions {
        keymap: Keymap::default_keymap(),
        theme: Theme::load("dark", None).expect("dark theme"),
        requests,
        status: StatusLine::default(),
        editor_text: String::new(),
        tab_width: 4,
        activity_interval: Duration::from_secs(2),
        confirm_quit: false,
        state_dir: None,
        database: "bench".into(),
        safe_mode: false,
    });
    (app, rx)
}

fn key(c: char) -> Event {
    Event::Terminal(crossterm::event::Event::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )))
}

fn reply(app: &mut App, id: RequestId, reply: Reply) {
    app.on_event(Event::Worker(WorkerEvent::Response(Response {
        id,
        reply: Ok(reply),
        last: true,
    })));
}

fn draw(term: &mut Terminal<TestBackend>, app: &mut App) {
    term.draw(|f| app.render(f)).expect("draw");
}

fn summary(name: &str, mut v: Vec<Duration>, target_ms: f64) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = ms(v[v.len() / 2]);
    let max = ms(v[v.len() - 1]);
    println!(
        "{name:<28} median {median:>8.2} ms   max {max:>8.2} ms   target ≤ {target_ms} ms   {}",
        if max <= target_ms { "ok" } else { "OVER" }
    );
}

fn main() {
    let runs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10);
    let cluster =
        TempCluster::start(ClusterOptions::default()).expect("start a PostgreSQL cluster");
    cluster.create_database("bench").expect("create database");
    let started = Instant::now();
    // 500 tables per transaction: one transaction's locks must fit the shared lock table.
    for chunk in 0..TABLES / 500 {
        let sql = format!(
            "do $$ begin for i in {}..{} loop \
             execute format('create table %I (id int primary key, c1 text, c2 int, c3 bigint, \
             c4 timestamptz, c5 numeric(10,2), c6 boolean, c7 jsonb, c8 text, c9 date)', \
             't' || lpad(i::text, 5, '0')); \
             execute format('create index on %I (c2)', 't' || lpad(i::text, 5, '0')); \
             end loop; end $$;",
            chunk * 500,
            chunk * 500 + 499
        );
        cluster.psql("bench", &sql).expect("create tables");
    }
    cluster.psql("bench", "analyze").expect("analyze");
    eprintln!(
        "created {TABLES} tables with {} indexes in {:.1}s",
        TABLES * 2,
        started.elapsed().as_secs_f64()
    );
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let params = conn::parse_conninfo(&cluster.conninfo("bench")).expect("conninfo");
    let env = Environment::from_vars(std::iter::empty(), None, Some("postgres".into()));
    let target = conn::resolve(&params, &env).expect("resolve");
    let conns = rt
        .block_on(db::open(&target, &Settings::default()))
        .expect("connect");
    let client = &conns.monitor.client;
    let mut term = Terminal::new(TestBackend::new(140, 40)).expect("terminal");

    let mut paint = Vec::new();
    let mut keystroke = Vec::new();
    let mut detail = Vec::new();
    let mut tree_queries = Vec::new();
    let mut detail_queries = Vec::new();
    let mut findings_queries = Vec::new();
    for run in 0..runs + 1 {
        // First paint: the tree requested, loaded, handed to the pane, drawn.
        let (mut app, mut rx) = app();
        let t0 = Instant::now();
        app.start();
        let (id, _) = rx.try_recv().expect("schema request");
        let tq = Instant::now();
        let tree = rt
            .block_on(db::catalog::schema_tree(client))
            .expect("schema tree");
        let tree_query = tq.elapsed();
        reply(&mut app, id, Reply::Schema(tree));
        draw(&mut term, &mut app);
        let first = t0.elapsed();
        while rx.try_recv().is_ok() {}

        // Filter keystrokes: `/` then a name, one frame per key.
        app.dispatch(Action::FocusSchema);
        let mut keys = Vec::new();
        for c in "/t01234".chars() {
            let t = Instant::now();
            app.on_event(key(c));
            draw(&mut term, &mut app);
            keys.push(t.elapsed());
        }
        let buffer = format!("{:?}", term.backend().buffer());
        assert!(buffer.contains("t01234"), "the filter should find t01234");
        app.on_event(Event::Terminal(crossterm::event::Event::Key(
            KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE),
        )));
        // Select the table (schema, group, table) and open its detail.
        app.dispatch(Action::Bottom);
        let t = Instant::now();
        app.on_event(key('i'));
        let (id, req) = rx.try_recv().expect("detail request");
        let Request::LoadTableDetail { oid } = req else {
            panic!("expected a detail request, got {req:?}");
        };
        let tq = Instant::now();
        let d = rt
            .block_on(db::detail::table_detail(client, oid))
            .expect("detail");
        let detail_query = tq.elapsed();
        reply(&mut app, id, Reply::TableDetail(Box::new(d)));
        draw(&mut term, &mut app);
        let open = t.elapsed();
        // The table's health findings load after the detail, on their own (never blocking it).
        let (_, req) = rx.try_recv().expect("findings request");
        let Request::LoadTableFindings {
            schema,
            table,
            config,
            ..
        } = req
        else {
            panic!("expected a findings request, got {req:?}");
        };
        let tq = Instant::now();
        let found = rt
            .block_on(db::health::table_findings(client, &config, &schema, &table))
            .expect("findings");
        let findings_query = tq.elapsed();
        assert!(found.failed.is_empty(), "{:?}", found.failed);
        if run > 0 {
            // the first run warms the server's catalog caches
            paint.push(first);
            keystroke.extend(keys);
            detail.push(open);
            tree_queries.push(tree_query);
            detail_queries.push(detail_query);
            findings_queries.push(findings_query);
        }
    }
    println!(
        "{TABLES} tables × 10 columns, {} indexes; {runs} runs",
        TABLES * 2
    );
    summary("first paint of the tree", paint, 300.0);
    summary("filter keystroke + frame", keystroke, 16.0);
    summary("open a table's detail", detail, 100.0);
    summary("  of which the tree queries", tree_queries, 300.0);
    summary("  of which the detail queries", detail_queries, 100.0);
    // no target in the issue: shown after the detail, while the user reads it
    summary("the table's health findings", findings_queries, 1000.0);
}
