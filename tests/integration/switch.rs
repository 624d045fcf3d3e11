//! Switching databases from the schema tree, through the app and a real worker: the tree lists the
//! cluster's databases, choosing one reconnects both connections to it (the tree, the status bar and
//! the next statement follow; the editor text stays), an open transaction makes the app ask first
//! (and is rolled back by the switch), a database that cannot be reached leaves the old
//! connections in place, and one that refuses connections is not tried.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pgdeck::app::{App, AppOptions, Modal};
use pgdeck::db::{self, Settings, Worker, WorkerEvent};
use pgdeck::event::Event;
use pgdeck::keymap::Keymap;
use pgdeck::theme::Theme;
use pgdeck::ui::status::StatusLine;
use tokio::sync::mpsc::UnboundedReceiver;

use super::common::{cluster, fresh_db, target};

/// `cluster().psql` off the runtime's thread: while it blocks, the worker's connections must still
/// be read (a backend stuck sending to an unread socket would hold up a DROP DATABASE).
async fn psql(db: &str, sql: &str) -> String {
    let (db, sql) = (db.to_string(), sql.to_string());
    tokio::task::spawn_blocking(move || cluster().psql(&db, &sql))
        .await
        .expect("psql task")
        .unwrap_or_else(|e| panic!("{e:#}"))
}

#[path = "../support/ui_app.rs"]
#[allow(dead_code)]
mod ui_app;

/// The app on a real worker, fed the worker's events as the terminal loop does.
struct Tui {
    app: App,
    events: UnboundedReceiver<WorkerEvent>,
}

impl Tui {
    async fn start(conninfo: &str) -> Tui {
        let t = target(conninfo);
        let settings = Settings::default();
        let conns = db::open(&t, &settings).await.expect("open connections");
        let status = StatusLine {
            target: t.display(),
            version: conns.info.short_version().to_string(),
            connected: true,
            ..Default::default()
        };
        let database = conns.info.database.clone();
        let (requests, events) = Worker::spawn(conns, t, settings);
        let mut app = App::new(AppOptions {
            keymap: Keymap::default_keymap(),
            theme: Theme::load("dark", None).expect("theme"),
            requests,
            status,
            editor_text: String::new(),
            tab_width: 4,
            activity_interval: Duration::from_secs(2),
            confirm_quit: true,
            state_dir: None,
            database,
            safe_mode: false,
        });
        app.start();
        Tui { app, events }
    }

    /// Feed worker events to the app until `done` holds (or fail after 20 s, showing the screen).
    async fn until(&mut self, what: &str, done: impl Fn(&App) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !done(&self.app) {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.events.recv()).await {
                Ok(Some(ev)) => self.app.on_event(Event::Worker(ev)),
                Ok(None) => panic!("the worker stopped while waiting for {what}"),
                Err(_) => panic!("no {what} within 20 s:\n{}", self.screen()),
            }
        }
    }

    fn key(&mut self, code: KeyCode, mods: KeyModifiers) {
        self.app
            .on_event(Event::Terminal(crossterm::event::Event::Key(
                KeyEvent::new(code, mods),
            )));
    }

    fn press(&mut self, code: KeyCode) {
        self.key(code, KeyModifiers::NONE);
    }

    fn type_text(&mut self, s: &str) {
        for c in s.chars() {
            self.press(KeyCode::Char(c));
        }
    }

    /// The first cell of the result on screen.
    fn first_cell(&self) -> Option<String> {
        self.app
            .results
            .current_set()
            .and_then(|r| r.get(0, 0))
            .map(str::to_string)
    }

    fn screen(&mut self) -> String {
        ui_app::screen(&mut self.app, 140, 40)
    }

    /// In the schema pane, filter the tree down to database `name` and choose it.
    fn choose_database(&mut self, name: &str) {
        self.key(KeyCode::Char('1'), KeyModifiers::ALT);
        self.press(KeyCode::Esc); // no filter left from before
        self.press(KeyCode::Char('/'));
        self.type_text(name);
        self.press(KeyCode::Enter); // keep the filter, back to the list
        let labels = self.app.schema.visible_labels();
        let at = labels
            .iter()
            .position(|l| l == name)
            .unwrap_or_else(|| panic!("{name} not in the tree: {labels:?}"));
        self.press(KeyCode::Home);
        for _ in 0..at {
            self.press(KeyCode::Down);
        }
        self.press(KeyCode::Enter);
    }

    /// Run the statement under the editor's cursor (f5; f9 runs the whole buffer) and wait for
    /// it to end.
    async fn run_in_editor(&mut self, key: KeyCode) {
        self.key(KeyCode::Char('2'), KeyModifiers::ALT);
        self.press(key);
        self.until("the end of the run", |a| !a.busy()).await;
    }
}

#[tokio::test]
async fn switching_database_from_the_tree_reconnects_both_connections() {
    let (a, ci_a) = fresh_db("switch_a");
    let b = format!("sw \"B\"; ü {}", std::process::id());
    let gone = format!("{a}_gone");
    for d in [&b, &gone] {
        cluster().create_database(d).expect("database");
    }
    cluster()
        .psql(&a, "create table alpha_t (id int)")
        .expect("A");
    cluster()
        .psql(&b, "create table \"beta; t\" (id int)")
        .expect("B");
    let mut t = Tui::start(&ci_a).await;
    t.until("the tree", |a| a.schema.loaded()).await;
    assert!(
        t.app
            .schema
            .visible_labels()
            .contains(&"alpha_t".to_string()),
        "{:?}",
        t.app.schema.visible_labels()
    );
    let screen = t.screen();
    assert!(screen.contains("databases"), "{screen}");
    let query = "select current_database() as db_now;";
    t.key(KeyCode::Char('2'), KeyModifiers::ALT);
    t.type_text(query);

    t.choose_database(&b);
    t.until("the switch and the new tree", |app| {
        app.status.target.ends_with(&format!("/{b}")) && app.schema.loaded()
    })
    .await;
    let labels = t.app.schema.visible_labels();
    assert!(labels.contains(&"beta; t".to_string()), "{labels:?}");
    assert!(!labels.contains(&"alpha_t".to_string()), "{labels:?}");
    let screen = t.screen();
    assert!(screen.contains("connected to database"), "{screen}");
    assert!(screen.contains("beta; t"), "{screen}");
    assert_eq!(t.app.editor.text(), query, "the editor text stays");

    // both connections are in B: the work one runs the next statement there, the monitor one
    // listed B's tables above
    t.run_in_editor(KeyCode::F(5)).await;
    assert_eq!(
        t.first_cell().as_deref(),
        Some(b.as_str()),
        "{}",
        t.screen()
    );

    // an open transaction: the app asks first; confirming rolls it back with the old connection
    t.key(KeyCode::Char('t'), KeyModifiers::CONTROL); // a new editor tab
    t.type_text("begin; create table rolled_back (id int);");
    t.run_in_editor(KeyCode::F(9)).await;
    assert_ne!(t.app.status.tx, pgdeck::model::txn::TxStatus::Idle);
    t.choose_database(&a);
    match &t.app.modal {
        Some(Modal::Confirm(c)) => {
            assert!(
                c.body.join(" ").contains("rolls the transaction back"),
                "{c:?}"
            )
        }
        other => panic!("no confirmation before switching: {other:?}"),
    }
    t.press(KeyCode::Char('y'));
    t.until("the switch back to A", |app| {
        app.status.target.ends_with(&format!("/{a}")) && app.schema.loaded()
    })
    .await;
    assert_eq!(t.app.status.tx, pgdeck::model::txn::TxStatus::Idle);
    assert!(
        t.app
            .schema
            .visible_labels()
            .contains(&"alpha_t".to_string())
    );
    let left = psql(
        &b,
        "select count(*) from pg_class where relname = 'rolled_back'",
    )
    .await;
    assert_eq!(left.trim(), "0", "the open transaction was rolled back");
    t.key(KeyCode::Char('2'), KeyModifiers::ALT);
    t.key(KeyCode::PageUp, KeyModifiers::CONTROL); // back to the first tab
    t.run_in_editor(KeyCode::F(5)).await;
    assert_eq!(
        t.first_cell().as_deref(),
        Some(a.as_str()),
        "{}",
        t.screen()
    );

    // a database dropped between listing and choosing: the old connections stay in use
    psql("postgres", &format!("drop database \"{gone}\"")).await;
    t.choose_database(&gone);
    t.until("the failed switch", |app| {
        app.status
            .message
            .as_ref()
            .is_some_and(|(_, m)| m.contains("still connected to"))
    })
    .await;
    assert!(t.app.status.target.ends_with(&format!("/{a}")));
    t.run_in_editor(KeyCode::F(5)).await;
    assert_eq!(
        t.first_cell().as_deref(),
        Some(a.as_str()),
        "{}",
        t.screen()
    );
}
