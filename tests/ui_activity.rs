//! UI tests of the Activity view: fixture snapshots fed as worker replies, keys pressed, the screen
//! rendered into ratatui's TestBackend; assertions on what a user sees and on the requests sent.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pgdeck::app::{App, Modal};
use pgdeck::db::{DbError, Reply, Request, RequestId, Response, WorkerEvent};
use pgdeck::event::Event;
use pgdeck::keymap::Keymap;
use pgdeck::model::activity::{
    LockWait, Session, Signal, SignalOutcome, Snapshot, TopStatement, Vitals,
};
use pgdeck::ui::PaneId;

#[path = "support/ui_app.rs"]
mod ui_app;
use ui_app::{Sent, app_with, drain, screen};

fn app() -> (App, Sent) {
    app_with(Keymap::default_keymap())
}

fn key(c: char) -> Event {
    Event::Terminal(crossterm::event::Event::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )))
}

fn code(c: KeyCode) -> Event {
    Event::Terminal(crossterm::event::Event::Key(KeyEvent::new(
        c,
        KeyModifiers::NONE,
    )))
}

fn alt5() -> Event {
    Event::Terminal(crossterm::event::Event::Key(KeyEvent::new(
        KeyCode::Char('5'),
        KeyModifiers::ALT,
    )))
}

fn respond(app: &mut App, id: RequestId, reply: Result<Reply, DbError>) {
    app.on_event(Event::Worker(WorkerEvent::Response(Response {
        id,
        reply,
        last: true,
    })));
}

fn session(pid: i32, app: &str, state: &str, blocked_by: &[i32]) -> Session {
    Session {
        pid,
        user: Some("alice".into()),
        database: Some("shop".into()),
        application: app.into(),
        backend_type: "client backend".into(),
        state: Some(state.into()),
        wait_event_type: (!blocked_by.is_empty()).then(|| "Lock".into()),
        wait_event: (!blocked_by.is_empty()).then(|| "relation".into()),
        backend_start_us: Some(1_700_000_000_000_000 + i64::from(pid)),
        xact_age_s: Some(f64::from(pid % 100) + 60.0),
        query_age_s: Some(3.0),
        blocked_by: blocked_by.to_vec(),
        lock: (!blocked_by.is_empty()).then(|| LockWait {
            locktype: "relation".into(),
            mode: "AccessExclusiveLock".into(),
            relation: Some("orders".into()),
            wait_s: Some(4.5),
        }),
        query: format!("update orders set v = {pid}"),
        ..Session::default()
    }
}

fn fixture() -> Snapshot {
    let mut worker = session(103, "", "active", &[]);
    worker.leader_pid = Some(101);
    worker.backend_type = "parallel worker".into();
    let hidden = Session {
        pid: 200,
        user: Some("bob".into()),
        backend_type: "client backend".into(),
        query: "<insufficient privilege>".into(),
        ..Session::default()
    };
    let mut own = session(300, "pgdeck monitor", "active", &[]);
    own.own = true;
    Snapshot {
        sessions: vec![
            session(100, "batch", "idle in transaction", &[]),
            session(101, "web", "active", &[100]),
            session(102, "report", "active", &[101]),
            worker,
            hidden,
            own,
            session(150, "idler", "idle", &[]),
        ],
        vitals: Vitals {
            at_s: 1000.0,
            max_connections: 100,
            reserved_connections: 3,
            connections: 7,
            by_state: vec![
                ("active".into(), 3),
                ("idle".into(), 1),
                ("idle in transaction".into(), 1),
            ],
            longest_xact: Some((100, 160.0)),
            ..Vitals::default()
        },
    }
}

/// Open the Activity view and answer its first load with the fixture.
fn loaded() -> (App, Sent) {
    let (mut app, mut rx) = app();
    app.on_event(alt5());
    let sent = drain(&mut rx);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].1, Request::LoadActivity);
    respond(
        &mut app,
        sent[0].0,
        Ok(Reply::Activity(Box::new(fixture()))),
    );
    (app, rx)
}

#[test]
fn sessions_table_shows_vitals_hidden_rows_own_sessions_and_workers_under_leaders() {
    let (mut app, _rx) = loaded();
    let s = screen(&mut app, 160, 40);
    assert!(s.contains("conn "), "{s}");
    assert!(s.contains("7/97"), "usable = max minus reserved:\n{s}");
    assert!(s.contains("1 idle in transaction"), "{s}");
    assert!(s.contains("2 waiting on locks"), "{s}");
    assert!(s.contains("longest xact pid 100 2 min 40 s"), "{s}");
    assert!(
        s.contains("<insufficient privilege>"),
        "hidden rows are listed:\n{s}"
    );
    assert!(s.contains("300*"), "own session marked:\n{s}");
    // the worker follows its leader
    let leader = s.lines().position(|l| l.contains("┃101 ")).expect("leader");
    assert!(
        s.lines().nth(leader + 1).expect("next").contains("└103"),
        "{s}"
    );
    // 80×24 still draws, the header shrinks to a line
    let small = screen(&mut app, 80, 24);
    assert!(small.contains("conn ") && small.contains("100"), "{small}");
}

#[test]
fn filters_sort_pause_and_interval() {
    let (mut app, mut rx) = loaded();
    app.on_event(key('w'));
    let s = screen(&mut app, 160, 40);
    assert!(s.contains("waiting only"), "{s}");
    assert!(!s.contains("idler"), "{s}");
    assert!(s.contains("report"), "{s}");
    app.on_event(key('w'));
    app.on_event(key('i'));
    let s = screen(&mut app, 160, 40);
    assert!(s.contains("idle hidden") && !s.contains("idler"), "{s}");
    assert!(
        s.contains("<insufficient privilege>"),
        "hidden rows are not idle:\n{s}"
    );
    app.on_event(key('i'));
    // text filter
    app.on_event(key('/'));
    for c in "app:report".chars() {
        app.on_event(key(c));
    }
    app.on_event(code(KeyCode::Enter));
    let s = screen(&mut app, 160, 40);
    assert!(s.contains("report") && !s.contains("batch"), "{s}");
    app.on_event(code(KeyCode::Esc));
    let s = screen(&mut app, 160, 40);
    assert!(s.contains("batch"), "esc clears the filter:\n{s}");
    // sort by the next column
    app.on_event(key('s'));
    let s = screen(&mut app, 160, 40);
    assert!(s.contains("by query age"), "{s}");
    // pause: ticks send nothing
    app.on_event(key('p'));
    assert!(app.activity.paused());
    std::thread::sleep(Duration::from_millis(10));
    app.on_event(Event::Tick);
    assert!(drain(&mut rx).is_empty());
    assert!(screen(&mut app, 160, 40).contains("PAUSED"));
    app.on_event(key('+'));
    assert_eq!(app.activity.interval(), Duration::from_secs(3));
    app.on_event(key('-'));
    app.on_event(key('-'));
    assert_eq!(app.activity.interval(), Duration::from_secs(1));
}

#[test]
fn lock_tree_and_terminate_a_root_blocker_through_the_confirm_modal() {
    let (mut app, mut rx) = loaded();
    app.on_event(key('v'));
    let s = screen(&mut app, 160, 40);
    assert!(s.contains("pid 100"), "{s}");
    assert!(s.contains("blocks 2"), "{s}");
    assert!(
        s.contains("└─ pid 101") && s.contains("waits AccessExclusiveLock on orders 4.5 s"),
        "{s}"
    );
    assert!(s.contains("   └─ pid 102"), "{s}");
    // the root is selected: k asks first, naming pid, user, application, query, age, blocks
    app.on_event(key('k'));
    let Some(Modal::Confirm(c)) = &app.modal else {
        panic!("no confirm modal")
    };
    let body = c.body.join("\n");
    for want in [
        "Terminate pid 100",
        "alice",
        "batch",
        "update orders set v = 100",
        "transaction age: 1 min 0 s",
        "blocks 2",
    ] {
        assert!(body.contains(want), "{want}: {body}");
    }
    let s = screen(&mut app, 160, 40);
    assert!(s.contains("Terminate session"), "{s}");
    app.on_event(key('y'));
    let sent = drain(&mut rx);
    let (id, req) = sent
        .iter()
        .find(|(_, r)| matches!(r, Request::SignalSession { .. }))
        .expect("signal sent");
    let Request::SignalSession { session, signal } = req else {
        unreachable!()
    };
    assert_eq!(session.pid, 100);
    assert_eq!(session.backend_start_us, Some(1_700_000_000_000_100));
    assert_eq!(*signal, Signal::Terminate);
    respond(
        &mut app,
        *id,
        Ok(Reply::Signalled {
            pid: 100,
            signal: Signal::Terminate,
            outcome: SignalOutcome::AlreadyGone,
        }),
    );
    let s = screen(&mut app, 160, 40);
    assert!(s.contains("pid 100: already gone"), "{s}");
}

#[test]
fn own_sessions_are_refused_and_no_means_nothing_is_sent() {
    let (mut app, mut rx) = loaded();
    // filter down to pid 300, pgdeck's own monitor session
    app.on_event(key('/'));
    for c in "300".chars() {
        app.on_event(key(c));
    }
    app.on_event(code(KeyCode::Enter));
    app.on_event(key('c'));
    assert!(app.modal.is_none(), "no modal for an own session");
    let s = screen(&mut app, 160, 40);
    assert!(s.contains("pgdeck's own connections"), "{s}");
    app.on_event(code(KeyCode::Esc));
    app.on_event(key('g'));
    app.on_event(key('c'));
    assert!(matches!(app.modal, Some(Modal::Confirm(_))));
    app.on_event(key('n'));
    assert!(app.modal.is_none());
    assert!(
        !drain(&mut rx)
            .iter()
            .any(|(_, r)| matches!(r, Request::SignalSession { .. }))
    );
}

#[test]
fn a_lost_monitor_connection_shows_reconnecting_and_keeps_the_last_data() {
    let (mut app, mut rx) = app();
    app.on_event(alt5());
    let sent = drain(&mut rx);
    respond(
        &mut app,
        sent[0].0,
        Ok(Reply::Activity(Box::new(fixture()))),
    );
    app.on_event(key('r'));
    let sent = drain(&mut rx);
    respond(
        &mut app,
        sent[0].0,
        Err(DbError::ConnectionLost(
            "server closed the connection".into(),
        )),
    );
    let s = screen(&mut app, 160, 40);
    assert!(s.contains("reconnecting"), "{s}");
    assert!(s.contains("batch"), "last data kept:\n{s}");
    app.on_event(key('r'));
    let sent = drain(&mut rx);
    respond(
        &mut app,
        sent[0].0,
        Ok(Reply::Activity(Box::new(fixture()))),
    );
    let s = screen(&mut app, 160, 40);
    assert!(!s.contains("reconnecting"), "{s}");
}

#[test]
fn top_statements_open_in_the_editor_and_say_when_not_installed() {
    let (mut app, mut rx) = loaded();
    app.on_event(key('v'));
    app.on_event(key('v'));
    let sent = drain(&mut rx);
    let (id, _) = sent
        .iter()
        .find(|(_, r)| *r == Request::LoadTopStatements)
        .expect("statements requested");
    let list = vec![
        TopStatement {
            query: "select * from orders where id = $1".into(),
            calls: 1200,
            total_ms: 5400.0,
            mean_ms: 4.5,
            rows: 1200,
            hit_ratio: Some(0.995),
            ..TopStatement::default()
        },
        TopStatement {
            query: "update stock set n = n - $1".into(),
            calls: 3,
            total_ms: 90.0,
            mean_ms: 30.0,
            rows: 3,
            hit_ratio: Some(0.5),
            temp_blks: 7,
            ..TopStatement::default()
        },
    ];
    respond(&mut app, *id, Ok(Reply::TopStatements(Some(list))));
    let s = screen(&mut app, 160, 40);
    assert!(s.contains("total↓"), "{s}");
    assert!(s.contains("select * from orders where id = $1"), "{s}");
    assert!(s.contains("99.5"), "{s}");
    app.on_event(key('e'));
    assert_eq!(app.focus, PaneId::Editor);
    let s = screen(&mut app, 160, 40);
    assert!(s.contains("select * from orders where id = $1;"), "{s}");
    assert!(
        !drain(&mut rx)
            .iter()
            .any(|(_, r)| matches!(r, Request::Run { .. })),
        "never run"
    );
    // not installed
    app.on_event(alt5());
    app.on_event(key('r'));
    let sent = drain(&mut rx);
    let (id, _) = sent
        .iter()
        .find(|(_, r)| *r == Request::LoadTopStatements)
        .expect("reloaded");
    respond(&mut app, *id, Ok(Reply::TopStatements(None)));
    let s = screen(&mut app, 160, 40);
    assert!(s.contains("pg_stat_statements is not installed"), "{s}");
}
