//! UI tests: build the app with fixture data, feed keys, render into ratatui's TestBackend and assert on
//! what a user would see and on the requests sent. No database involved.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pgdeck::action::Action;
use pgdeck::app::{App, AppOptions, Modal};
use pgdeck::db::{Reply, Request, RequestId, Requests, Response, RunOutcome, WorkerEvent};
use pgdeck::event::Event;
use pgdeck::keymap::Keymap;
use pgdeck::model::catalog::{RelKind, Relation, Schema, SchemaTree};
use pgdeck::model::health::{Finding, Severity};
use pgdeck::model::result_set::{Column, RowBatch};
use pgdeck::model::txn::TxStatus;
use pgdeck::theme::Theme;
use pgdeck::ui::status::StatusLine;
use pgdeck::ui::{PaneId, View};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

#[path = "support/ui_app.rs"]
mod ui_app;
use ui_app::{Sent, app_with, drain, screen};

fn app() -> (App, Sent) {
    app_with(Keymap::default_keymap())
}

fn key(code: KeyCode) -> Event {
    Event::Terminal(crossterm::event::Event::Key(KeyEvent::new(
        code,
        KeyModifiers::NONE,
    )))
}

fn key_mod(code: KeyCode, m: KeyModifiers) -> Event {
    Event::Terminal(crossterm::event::Event::Key(KeyEvent::new(code, m)))
}

fn type_text(app: &mut App, s: &str) {
    for c in s.chars() {
        app.on_event(key(KeyCode::Char(c)));
    }
}

fn reply(app: &mut App, id: RequestId, reply: Reply, last: bool) {
    app.on_event(Event::Worker(WorkerEvent::Response(Response {
        id,
        reply: Ok(reply),
        last,
    })));
}

fn tree() -> SchemaTree {
    let rel = |oid, name: &str, kind| Relation {
        oid,
        name: name.into(),
        kind,
        is_partition: false,
        estimated_rows: 1200.0,
        readable: true,
        parent_oid: None,
        partition_bound: None,
    };
    SchemaTree {
        schemas: vec![Schema {
            oid: 2200,
            name: "public".into(),
            system: false,
            relations: vec![
                rel(1, "orders", RelKind::Table),
                rel(2, "users", RelKind::Table),
                rel(3, "active_users", RelKind::View),
            ],
            routines: vec![],
            types: vec![],
        }],
        ..SchemaTree::default()
    }
}

#[test]
fn first_frame_shows_the_shell_then_the_schema_when_it_arrives() {
    let (mut app, mut rx) = app();
    app.start();
    let sent = drain(&mut rx);
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].1, Request::LoadSchema);
    assert_eq!(sent[1].1, Request::LoadCompletion);
    let s = screen(&mut app, 100, 30);
    assert!(s.contains("Schema"), "{s}");
    assert!(s.contains("loading"), "{s}");
    assert!(
        s.contains("Query") && s.contains("Activity") && s.contains("Health"),
        "{s}"
    );
    assert!(s.contains("alice@/tmp:5432/shop"), "{s}");
    assert!(s.contains("PG 15.18 primary"), "{s}");
    assert!(s.contains("idle"), "{s}");

    reply(&mut app, sent[0].0, Reply::Schema(tree()), true);
    let s = screen(&mut app, 100, 30);
    assert!(
        s.contains("public") && s.contains("orders") && s.contains("users"),
        "{s}"
    );
    assert!(s.contains("2 tables"), "{s}");
    assert!(!s.contains("loading"), "{s}");
}

#[test]
fn tiny_windows_get_a_note_and_recover_on_resize() {
    let (mut app, _rx) = app();
    let s = screen(&mut app, 50, 10);
    assert!(s.contains("window too small"), "{s}");
    let s = screen(&mut app, 80, 24);
    assert!(
        !s.contains("window too small") && s.contains("Schema"),
        "{s}"
    );
}

#[test]
fn help_overlay_lists_the_live_keymap() {
    let (mut app, _rx) = app();
    app.on_event(key(KeyCode::F(1)));
    assert!(matches!(app.modal, Some(Modal::Help { .. })));
    let s = screen(&mut app, 100, 40);
    assert!(s.contains("run the statement under the cursor"), "{s}");
    assert!(s.contains("f5"), "{s}");
    assert!(s.contains("ctrl-q"), "{s}");
    app.on_event(key(KeyCode::Esc));
    assert!(app.modal.is_none());

    // A user keymap that moves run_statement to f8: help and behaviour follow it.
    let km =
        Keymap::from_toml_str("[editor]\nrun_statement = \"f8\"\n", "keymap.toml").expect("keymap");
    let (mut app, mut rx) = app_with(km);
    app.on_event(key(KeyCode::F(1)));
    let s = screen(&mut app, 100, 40);
    assert!(s.contains("f8"), "{s}");
    app.on_event(key(KeyCode::Esc));
    type_text(&mut app, "select 1");
    app.on_event(key(KeyCode::F(5)));
    assert!(drain(&mut rx).is_empty(), "f5 is no longer bound");
    app.on_event(key(KeyCode::F(8)));
    assert_eq!(
        drain(&mut rx)[0].1,
        Request::Run {
            sql: "select 1".into()
        }
    );
}

#[test]
fn focus_keys_switch_views_and_tab_cycles_only_outside_text_entry() {
    let (mut app, _rx) = app();
    assert_eq!(app.focus, PaneId::Editor);
    app.on_event(key_mod(KeyCode::Char('5'), KeyModifiers::ALT));
    assert_eq!((app.focus, app.view), (PaneId::Activity, View::Activity));
    app.on_event(key(KeyCode::Tab));
    assert_eq!((app.focus, app.view), (PaneId::Health, View::Health));
    app.on_event(key(KeyCode::BackTab));
    assert_eq!(app.focus, PaneId::Activity);
    app.on_event(key_mod(KeyCode::Char('2'), KeyModifiers::ALT));
    assert_eq!((app.focus, app.view), (PaneId::Editor, View::Query));
    // in the editor, tab indents and `?` is text
    app.on_event(key(KeyCode::Tab));
    type_text(&mut app, "?");
    assert_eq!(app.focus, PaneId::Editor);
    assert!(app.modal.is_none());
    assert_eq!(app.editor.text(), "    ?");
    // outside it, `?` opens help
    app.on_event(key_mod(KeyCode::Char('1'), KeyModifiers::ALT));
    type_text(&mut app, "?");
    assert!(matches!(app.modal, Some(Modal::Help { .. })));
}

#[test]
fn f5_runs_the_statement_under_the_cursor_and_results_stream_in() {
    let (mut app, mut rx) = app();
    type_text(&mut app, "select 1;");
    app.on_event(key(KeyCode::Enter));
    type_text(&mut app, "select a, b from t;");
    app.on_event(key(KeyCode::F(5)));
    let sent = drain(&mut rx);
    assert_eq!(sent.len(), 1);
    let (id, req) = &sent[0];
    assert_eq!(
        *req,
        Request::Run {
            sql: "select a, b from t;".into()
        }
    );
    assert!(app.busy());

    reply(
        &mut app,
        *id,
        Reply::ResultStarted {
            columns: vec![Column::named("a"), Column::named("b")],
        },
        false,
    );
    let mut batch = RowBatch::new(2);
    batch.push_row([Some("x\x1b[2J\x1b]0;pwned\x07"), None]);
    batch.push_row([Some(""), Some("日本")]);
    reply(&mut app, *id, Reply::Rows(batch), false);
    let s = screen(&mut app, 100, 30);
    assert!(
        s.contains("x\\e[2J\\e]0;pwned\\x07"),
        "escape sequences shown as text:\n{s}"
    );
    assert!(s.contains("∅"), "NULL marker:\n{s}");
    assert!(s.contains("日本"), "{s}");
    assert!(s.contains("2 rows"), "{s}");

    reply(
        &mut app,
        *id,
        Reply::StatementDone {
            rows: 2,
            elapsed: Duration::from_millis(3),
            tag: "SELECT 2".into(),
        },
        false,
    );
    reply(
        &mut app,
        *id,
        Reply::RunFinished(RunOutcome {
            error: None,
            tx: TxStatus::Idle,
            elapsed: Duration::from_millis(4),
            completed: 1,
            rows: 2,
            capped: false,
            text_offset: 0,
        }),
        true,
    );
    assert!(!app.busy());
    let s = screen(&mut app, 100, 30);
    assert!(s.contains("4 ms · 2 rows"), "{s}");
}

#[test]
fn statements_without_rows_show_their_tags_and_notices_show_in_order() {
    let (mut app, mut rx) = app();
    type_text(
        &mut app,
        "update t set x = 1; do $$ begin raise notice 'n'; end $$",
    );
    app.on_event(key(KeyCode::F(5)));
    let (id, _) = drain(&mut rx)[0].clone();
    let done = |tag: &str| Reply::StatementDone {
        rows: pgdeck::db::wire::parse_tag(tag).rows.unwrap_or(0),
        elapsed: Duration::from_millis(1),
        tag: tag.into(),
    };
    reply(&mut app, id, done("UPDATE 3"), false);
    for (severity, message) in [("NOTICE", "first"), ("WARNING", "second\x1b[2J")] {
        let notice = pgdeck::db::Notice {
            severity: severity.into(),
            sqlstate: "01000".into(),
            message: message.into(),
            detail: None,
            hint: None,
            context: None,
            position: None,
        };
        reply(&mut app, id, Reply::Notice(notice), false);
    }
    reply(&mut app, id, done("DO"), false);
    reply(
        &mut app,
        id,
        Reply::RunFinished(RunOutcome {
            error: None,
            tx: TxStatus::InTransaction,
            elapsed: Duration::from_millis(2),
            completed: 2,
            rows: 0,
            capped: false,
            text_offset: 0,
        }),
        true,
    );
    let s = screen(&mut app, 100, 30);
    assert!(s.contains("statement 1: UPDATE 3"), "{s}");
    assert!(s.contains("statement 2: DO"), "{s}");
    let (first, second) = (s.find("NOTICE: first"), s.find("WARNING: second\\e[2J"));
    assert!(first.is_some() && second.is_some() && first < second, "{s}");
    assert!(
        s.contains("in transaction"),
        "the status bar shows the server's state:\n{s}"
    );
}

#[test]
fn a_server_error_is_shown_in_place_and_moves_the_cursor() {
    let (mut app, mut rx) = app();
    type_text(&mut app, "select nope from t");
    app.on_event(key(KeyCode::F(5)));
    let (id, _) = drain(&mut rx)[0].clone();
    let err = pgdeck::db::DbError::Server(pgdeck::db::ServerError {
        severity: "ERROR".into(),
        sqlstate: "42703".into(),
        message: "column \"nope\" does not exist".into(),
        detail: None,
        hint: Some("Perhaps you meant to reference the column \"t.name\".".into()),
        context: None,
        position: Some(8),
    });
    reply(
        &mut app,
        id,
        Reply::RunFinished(RunOutcome {
            error: Some(err),
            tx: TxStatus::Idle,
            elapsed: Duration::from_millis(1),
            completed: 0,
            rows: 0,
            capped: false,
            text_offset: 0,
        }),
        true,
    );
    let s = screen(&mut app, 100, 30);
    assert!(s.contains("column \"nope\" does not exist"), "{s}");
    assert!(s.contains("42703"), "{s}");
    assert!(s.contains("HINT: Perhaps"), "{s}");
    assert_eq!(app.editor.cursor(), (0, 7));
}

#[test]
fn ctrl_c_cancels_a_running_statement() {
    let (mut app, mut rx) = app();
    type_text(&mut app, "select pg_sleep(10)");
    app.on_event(key(KeyCode::F(5)));
    drain(&mut rx);
    app.on_event(key_mod(KeyCode::Char('c'), KeyModifiers::CONTROL));
    let sent = drain(&mut rx);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].1, Request::CancelRun);
    // a second run while one is running is refused with a hint, not queued
    app.on_event(key(KeyCode::F(5)));
    assert!(drain(&mut rx).is_empty());
    let s = screen(&mut app, 120, 30);
    assert!(s.contains("already running"), "{s}");
}

#[test]
fn quitting_with_an_open_transaction_asks_first() {
    let (mut app, _rx) = app();
    app.status.tx = TxStatus::InTransaction;
    app.on_event(key_mod(KeyCode::Char('q'), KeyModifiers::CONTROL));
    assert!(!app.quit);
    assert!(matches!(app.modal, Some(Modal::Confirm(_))));
    let s = screen(&mut app, 100, 30);
    assert!(s.contains("rolls the transaction back"), "{s}");
    app.on_event(key(KeyCode::Char('n')));
    assert!(app.modal.is_none() && !app.quit);
    app.on_event(key_mod(KeyCode::Char('q'), KeyModifiers::CONTROL));
    app.on_event(key(KeyCode::Char('y')));
    assert!(app.quit);

    let (mut idle, _rx) = self::app();
    idle.on_event(key_mod(KeyCode::Char('q'), KeyModifiers::CONTROL));
    assert!(idle.quit, "idle session quits at once");
}

#[test]
fn schema_filter_and_preview_of_a_hostile_name() {
    let (mut app, mut rx) = app();
    app.start();
    let (id, _) = drain(&mut rx)[0].clone();
    let mut t = tree();
    t.schemas[0].relations.push(Relation {
        oid: 9,
        name: "x\"; drop table users; --".into(),
        kind: RelKind::Table,
        is_partition: false,
        estimated_rows: 0.0,
        readable: true,
        parent_oid: None,
        partition_bound: None,
    });
    reply(&mut app, id, Reply::Schema(t), true);
    app.on_event(key_mod(KeyCode::Char('1'), KeyModifiers::ALT));
    type_text(&mut app, "/drop");
    let s = screen(&mut app, 100, 30);
    assert!(s.contains("/drop"), "{s}");
    assert!(!s.contains("orders"), "filtered out:\n{s}");
    app.on_event(key(KeyCode::Enter)); // leave the filter field
    app.dispatch(Action::Bottom);
    app.on_event(key(KeyCode::Enter)); // preview
    let sent = drain(&mut rx);
    assert_eq!(
        sent.last().map(|s| s.1.clone()),
        Some(Request::Run {
            sql: "select * from public.\"x\"\"; drop table users; --\" limit 200;".into()
        })
    );
}

#[test]
fn activity_view_polls_only_while_shown_and_lists_sessions() {
    let (mut app, mut rx) = app();
    app.on_event(Event::Tick);
    assert!(
        drain(&mut rx).is_empty(),
        "no polling while the activity view is hidden"
    );
    app.on_event(key_mod(KeyCode::Char('5'), KeyModifiers::ALT));
    let sent = drain(&mut rx);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].1, Request::LoadActivity);
    app.on_event(Event::Tick);
    assert!(
        drain(&mut rx).is_empty(),
        "no second request while one is in flight"
    );
    let sessions = vec![pgdeck::model::activity::Session {
        pid: 4242,
        user: Some("alice".into()),
        application: "psql".into(),
        state: Some("idle in transaction".into()),
        query: "update t set x = 1".into(),
        xact_age_s: Some(75.0),
        ..Default::default()
    }];
    let snap = pgdeck::model::activity::Snapshot {
        sessions,
        vitals: Default::default(),
    };
    reply(&mut app, sent[0].0, Reply::Activity(Box::new(snap)), true);
    let s = screen(&mut app, 140, 30);
    assert!(
        s.contains("4242") && s.contains("idle in transaction"),
        "{s}"
    );
    assert!(s.contains("1 min 15 s"), "{s}");
}

#[test]
fn no_color_theme_draws_without_colours() {
    let (requests, _rx) = Requests::detached();
    let mut app = App::new(AppOptions {
        keymap: Keymap::default_keymap(),
        theme: Theme::load("dark", None).expect("theme").no_color(),
        requests,
        status: StatusLine::default(),
        editor_text: "select 1".into(),
        tab_width: 4,
        activity_interval: Duration::from_secs(2),
        confirm_quit: true,
        state_dir: None,
        database: "shop".into(),
        safe_mode: false,
    });
    let mut term = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
    term.draw(|f| app.render(f)).expect("draw");
    let buf = term.backend().buffer();
    for cell in buf.content() {
        assert_eq!(cell.fg, ratatui::style::Color::Reset, "{cell:?}");
        assert_eq!(cell.bg, ratatui::style::Color::Reset, "{cell:?}");
    }
}

#[test]
fn every_shipped_theme_renders_the_shell() {
    for name in ["dark", "light", "ansi16"] {
        let (requests, _rx) = Requests::detached();
        let mut app = App::new(AppOptions {
            keymap: Keymap::default_keymap(),
            theme: Theme::load(name, None).expect("theme"),
            requests,
            status: StatusLine::default(),
            editor_text: String::new(),
            tab_width: 4,
            activity_interval: Duration::from_secs(2),
            confirm_quit: true,
            state_dir: None,
            database: "shop".into(),
            safe_mode: false,
        });
        let s = screen(&mut app, 60, 15);
        assert!(s.contains("Schema") && s.contains("Query"), "{name}:\n{s}");
    }
}

fn app_in(state_dir: &std::path::Path) -> (App, Sent) {
    let (requests, rx) = Requests::detached();
    let app = App::new(AppOptions {
        keymap: Keymap::default_keymap(),
        theme: Theme::load("dark", None).expect("dark theme"),
        requests,
        status: StatusLine::default(),
        editor_text: String::new(),
        tab_width: 4,
        activity_interval: Duration::from_secs(2),
        confirm_quit: true,
        state_dir: Some(state_dir.to_path_buf()),
        database: "shop".into(),
        safe_mode: false,
    });
    (app, rx)
}

fn finish_run(app: &mut App, id: RequestId, rows: u64, error: Option<pgdeck::db::DbError>) {
    reply(
        app,
        id,
        Reply::RunFinished(RunOutcome {
            error,
            tx: TxStatus::Idle,
            elapsed: Duration::from_millis(7),
            completed: 1,
            rows,
            capped: false,
            text_offset: 0,
        }),
        true,
    );
}

#[test]
fn buffers_survive_a_restart_and_history_is_searchable() {
    let dir = std::env::temp_dir().join(format!("pgdeck-ui-state-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    {
        let (mut app, mut rx) = app_in(&dir);
        type_text(&mut app, "select count(*) from users;");
        app.on_event(key(KeyCode::F(5)));
        let (id, _) = drain(&mut rx)[0].clone();
        finish_run(&mut app, id, 1, None);
        app.on_event(key_mod(KeyCode::Char('t'), KeyModifiers::CONTROL)); // new tab
        type_text(&mut app, "select 'second tab'");
        app.shutdown();
    }
    let (mut app, _rx) = app_in(&dir);
    let (names, current) = app.editor.tabs();
    assert_eq!((names, current), (vec!["query1", "query2"], 1));
    assert_eq!(app.editor.text(), "select 'second tab'");
    // ctrl-r finds the statement run before the restart and puts it into the editor
    app.on_event(key_mod(KeyCode::Char('r'), KeyModifiers::CONTROL));
    type_text(&mut app, "cnt");
    let s = screen(&mut app, 100, 30);
    assert!(s.contains("select count(*) from users;"), "{s}");
    app.on_event(key(KeyCode::Enter));
    assert!(app.modal.is_none());
    // (the statement before is ended, so the two stay two statements)
    assert_eq!(
        app.editor.text(),
        "select 'second tab';\n\nselect count(*) from users;"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn closing_a_tab_with_text_asks_first() {
    let (mut app, _rx) = app();
    app.on_event(key_mod(KeyCode::Char('t'), KeyModifiers::CONTROL));
    type_text(&mut app, "select 1");
    app.on_event(key_mod(KeyCode::Char('w'), KeyModifiers::CONTROL));
    assert!(matches!(app.modal, Some(Modal::Confirm(_))));
    app.on_event(key(KeyCode::Char('n')));
    assert_eq!(app.editor.tabs().0.len(), 2);
    app.on_event(key_mod(KeyCode::Char('w'), KeyModifiers::CONTROL));
    app.on_event(key(KeyCode::Char('y')));
    assert_eq!(app.editor.tabs().0, vec!["query1"]);
}

#[test]
fn the_editor_highlights_keywords_strings_and_comments() {
    let (mut app, _rx) = app();
    type_text(&mut app, "select 'txt' -- note");
    let theme = Theme::load("dark", None).expect("theme");
    let mut term = Terminal::new(TestBackend::new(100, 30)).expect("terminal");
    term.draw(|f| app.render(f)).expect("draw");
    let buf = term.backend().buffer().clone();
    let find = |needle: &str| -> (u16, u16) {
        for y in 0..30u16 {
            let row: String = (0..100u16)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect();
            if let Some(i) = row.find(needle) {
                return (row[..i].chars().count() as u16, y);
            }
        }
        panic!("{needle} not on screen");
    };
    let (x, y) = find("select");
    assert_eq!(Some(buf[(x, y)].fg), theme.syntax_keyword.fg);
    let (x, y) = find("'txt'");
    assert_eq!(Some(buf[(x + 1, y)].fg), theme.syntax_string.fg);
    let (x, y) = find("-- note");
    assert_eq!(Some(buf[(x + 3, y)].fg), theme.syntax_comment.fg);
}

#[test]
fn completion_pops_up_while_typing_and_tab_accepts() {
    use pgdeck::model::completion::{CatalogNames, RelName};
    let (mut app, mut rx) = app();
    app.start();
    let sent = drain(&mut rx);
    let names = CatalogNames {
        schemas: vec!["public".into()],
        relations: vec![RelName {
            schema: "public".into(),
            name: "users".into(),
            visible: true,
        }],
        columns: [(
            ("public".to_string(), "users".to_string()),
            vec!["id".to_string(), "email".to_string()],
        )]
        .into_iter()
        .collect(),
        functions: vec![],
        types: vec![],
    };
    reply(&mut app, sent[1].0, Reply::Completion(names), true);
    type_text(&mut app, "select * from us");
    let s = screen(&mut app, 100, 30);
    assert!(
        s.contains("users") && s.contains("table"),
        "popup shows the table:\n{s}"
    );
    app.on_event(key(KeyCode::Tab));
    assert_eq!(app.editor.text(), "select * from users");
    type_text(&mut app, " u where u.");
    let s = screen(&mut app, 100, 30);
    assert!(
        s.contains("email") && s.contains("column"),
        "columns through the alias:\n{s}"
    );
    app.on_event(key(KeyCode::Down));
    app.on_event(key(KeyCode::Enter));
    assert_eq!(app.editor.text(), "select * from users u where u.email");
    // leaving the editor closes the popup: it must not float there while keys go elsewhere
    type_text(&mut app, " = 1 and u.");
    assert!(app.editor.completion_open());
    app.on_event(key_mod(KeyCode::Char('5'), KeyModifiers::ALT));
    app.on_event(key_mod(KeyCode::Char('2'), KeyModifiers::ALT));
    assert!(!app.editor.completion_open());
    type_text(&mut app, "e");
    app.on_event(key(KeyCode::Backspace));
    // esc closes without inserting; typing goes on
    app.on_event(key(KeyCode::Esc));
    type_text(&mut app, "id");
    assert_eq!(
        app.editor.text(),
        "select * from users u where u.email = 1 and u.id"
    );
}

#[test]
fn safe_mode_asks_before_a_delete_without_where() {
    let (requests, mut rx) = Requests::detached();
    let mut app = App::new(AppOptions {
        keymap: Keymap::default_keymap(),
        theme: Theme::load("dark", None).expect("theme"),
        requests,
        status: StatusLine::default(),
        editor_text: String::new(),
        tab_width: 4,
        activity_interval: Duration::from_secs(2),
        confirm_quit: true,
        state_dir: None,
        database: "shop".into(),
        safe_mode: true,
    });
    type_text(&mut app, "delete from orders");
    app.on_event(key(KeyCode::F(5)));
    assert!(
        drain(&mut rx).is_empty(),
        "nothing sent before the confirmation"
    );
    let s = screen(&mut app, 100, 30);
    assert!(
        s.contains("delete from orders") && s.contains("removes every row"),
        "{s}"
    );
    app.on_event(key(KeyCode::Char('n')));
    assert!(drain(&mut rx).is_empty());
    app.on_event(key(KeyCode::F(5)));
    app.on_event(key(KeyCode::Char('y')));
    assert_eq!(
        drain(&mut rx)[0].1,
        Request::Run {
            sql: "delete from orders".into()
        }
    );
    // with a WHERE it runs at once
    app.editor.set_text("delete from orders where id = 1");
    app.on_event(key(KeyCode::F(5)));
    assert!(drain(&mut rx).is_empty(), "still running the previous one");
}

#[test]
fn psql_set_switches_manual_commit_and_the_status_bar_says_so() {
    let (mut app, mut rx) = app();
    type_text(&mut app, "\\set AUTOCOMMIT off");
    app.on_event(key(KeyCode::F(5)));
    let sent = drain(&mut rx);
    assert_eq!(
        sent.iter().map(|(_, r)| r.clone()).collect::<Vec<_>>(),
        vec![Request::SetTxMode(pgdeck::model::txn::TxMode {
            autocommit: false,
            on_error_rollback: false,
        })],
        "the mode goes to the worker; nothing is run"
    );
    let s = screen(&mut app, 120, 30);
    assert!(s.contains("manual commit"), "{s}");
    assert!(s.contains("AUTOCOMMIT off, ON_ERROR_ROLLBACK"), "{s}");
    // Narrow: the mode is kept like the transaction state.
    let narrow = screen(&mut app, 60, 20);
    assert!(narrow.contains("manual commit"), "{narrow}");

    // A typo in the name is an error, not a silent no-op.
    let (mut other, mut rx) = self::app();
    type_text(&mut other, "\\set autocommit off");
    other.on_event(key(KeyCode::F(5)));
    assert!(drain(&mut rx).is_empty());
    let s = screen(&mut other, 120, 30);
    assert!(s.contains("pgdeck knows AUTOCOMMIT"), "{s}");
}

fn health_finding(
    check: &str,
    severity: pgdeck::model::health::Severity,
    schema: &str,
    table: &str,
    object: Option<&str>,
    fix: Option<&str>,
) -> pgdeck::model::health::Finding {
    use pgdeck::model::health::Value;
    pgdeck::model::health::Finding {
        check: check.into(),
        severity,
        schema: schema.into(),
        table: Some(table.into()),
        object: object.map(str::to_string),
        evidence: vec![("size_bytes".into(), Value::Int(3 << 20))],
        message: format!("message about {table}"),
        fix: fix.map(str::to_string),
    }
}

/// Open the health view and answer its report: two checks with findings, one that could not run.
fn health_report(app: &mut App, rx: &mut Sent) -> RequestId {
    use pgdeck::db::health::{CheckOutcome, Facts, HealthEvent};
    use pgdeck::model::health::{Severity, StatsWindow};
    app.on_event(key_mod(KeyCode::Char('6'), KeyModifiers::ALT));
    let sent = drain(rx);
    assert_eq!(
        sent.len(),
        1,
        "the report runs when the pane is first shown"
    );
    let id = sent[0].0;
    assert!(matches!(sent[0].1, Request::RunHealth { .. }));
    let facts = Facts {
        version_num: 150018,
        server_version: "15.18 (Debian)".into(),
        window: StatsWindow {
            stats_reset: None,
            started_at: Some("2026-12-01 10:00:00.123+00".into()),
        },
        pgstattuple: None,
    };
    let checks = vec![
        "duplicate_index".into(),
        "sequence_exhaustion".into(),
        "index_bloat".into(),
    ];
    reply(
        app,
        id,
        Reply::Health(HealthEvent::Started { facts, checks }),
        false,
    );
    let outcome = |check: &str, result| {
        Reply::Health(HealthEvent::Check(CheckOutcome {
            check: check.into(),
            elapsed: Duration::from_millis(3),
            result,
        }))
    };
    reply(
        app,
        id,
        outcome(
            "duplicate_index",
            Ok(vec![
                health_finding(
                    "duplicate_index",
                    Severity::Warning,
                    "public",
                    "users",
                    Some("users_email_idx"),
                    Some("DROP INDEX CONCURRENTLY public.users_email_idx;"),
                ),
                health_finding(
                    "duplicate_index",
                    Severity::Warning,
                    "shop",
                    "orders",
                    Some("orders_a_idx"),
                    Some("DROP INDEX CONCURRENTLY shop.orders_a_idx;"),
                ),
            ]),
        ),
        false,
    );
    // the first results show while the report is still running
    let s = screen(app, 100, 30);
    assert!(s.contains("running check 2 of 3"), "{s}");
    assert!(s.contains("public.users.users_email_idx"), "{s}");
    reply(
        app,
        id,
        outcome(
            "sequence_exhaustion",
            Ok(vec![health_finding(
                "sequence_exhaustion",
                Severity::Critical,
                "shop",
                "invoices",
                Some("invoices_id_seq"),
                None,
            )]),
        ),
        false,
    );
    reply(
        app,
        id,
        outcome(
            "index_bloat",
            Err("ERROR: canceling statement due to statement timeout".into()),
        ),
        false,
    );
    reply(
        app,
        id,
        Reply::Health(HealthEvent::Finished {
            elapsed: Duration::from_millis(250),
        }),
        true,
    );
    id
}

#[test]
fn health_pane_groups_findings_shows_evidence_and_failed_checks() {
    let (mut app, mut rx) = app();
    health_report(&mut app, &mut rx);
    let s = screen(&mut app, 100, 30);
    assert!(s.contains("1 critical, 2 warning, 0 info"), "{s}");
    assert!(s.contains("3 checks in 0.2 s"), "{s}");
    assert!(
        s.contains("since the server start at 2026-12-01 10:00:00 (never reset)"),
        "{s}"
    );
    assert!(s.contains("this node only"), "{s}");
    assert!(
        s.contains("index_bloat: could not run: ERROR: canceling statement due to statement")
            && s.contains("timeout"),
        "{s}"
    );
    // critical first, then warnings, each group headed by its check
    let crit = s
        .find("CRITICAL sequences near their limit (1)")
        .expect("critical group");
    let warn = s
        .find("WARNING  duplicate indexes (2)")
        .expect("warning group");
    assert!(crit < warn, "{s}");
    // the first finding is selected: its details, and no fix for it
    assert!(s.contains("message about invoices"), "{s}");
    assert!(s.contains("size_bytes 3.0 MiB"), "{s}");
    assert!(s.contains("no fix SQL"), "{s}");
    // small terminals still draw
    let small = screen(&mut app, 80, 24);
    assert!(small.contains("Health"), "{small}");
}

#[test]
fn health_fix_goes_to_the_editor_and_is_never_run() {
    let (mut app, mut rx) = app();
    health_report(&mut app, &mut rx);
    // no fix on the critical finding: `e` does nothing
    app.on_event(key(KeyCode::Char('e')));
    assert_eq!(app.focus, PaneId::Health);
    app.on_event(key(KeyCode::Char('j')));
    let s = screen(&mut app, 100, 30);
    assert!(
        s.contains("DROP INDEX CONCURRENTLY public.users_email_idx;"),
        "{s}"
    );
    assert!(s.contains("e puts it in the editor"), "{s}");
    app.on_event(key(KeyCode::Char('e')));
    assert_eq!(app.focus, PaneId::Editor);
    assert!(
        app.editor
            .text()
            .contains("DROP INDEX CONCURRENTLY public.users_email_idx;"),
        "{}",
        app.editor.text()
    );
    assert!(drain(&mut rx).is_empty(), "nothing was run");
    // f5 in the health pane runs the report again
    app.on_event(key_mod(KeyCode::Char('6'), KeyModifiers::ALT));
    assert!(
        drain(&mut rx).is_empty(),
        "shown again: no automatic re-run"
    );
    app.on_event(key(KeyCode::F(5)));
    let sent = drain(&mut rx);
    assert!(
        matches!(sent.as_slice(), [(_, Request::RunHealth { .. })]),
        "{sent:?}"
    );
}

#[test]
fn health_filter_narrows_to_a_schema() {
    let (mut app, mut rx) = app();
    health_report(&mut app, &mut rx);
    app.on_event(key(KeyCode::Char('/')));
    type_text(&mut app, "shop");
    let s = screen(&mut app, 100, 30);
    assert!(s.contains("filter: shop"), "{s}");
    assert!(s.contains("shop.orders.orders_a_idx"), "{s}");
    assert!(!s.contains("public.users.users_email_idx"), "{s}");
    assert_eq!(app.health.visible_findings().len(), 2);
    app.on_event(key(KeyCode::Esc));
    assert_eq!(app.health.visible_findings().len(), 3);
}

/// A report with findings in four groups: a critical migration, warnings on indexes, maintenance
/// and security.
fn grouped_health_report(app: &mut App, rx: &mut Sent) {
    use pgdeck::db::health::{CheckOutcome, Facts, HealthEvent};
    use pgdeck::model::health::{Finding, Severity};
    app.on_event(key_mod(KeyCode::Char('6'), KeyModifiers::ALT));
    let id = drain(rx)[0].0;
    let checks: Vec<String> = [
        "duplicate_index",
        "checkpoint_pressure",
        "superuser_login",
        "migration_failed",
    ]
    .map(String::from)
    .to_vec();
    reply(
        app,
        id,
        Reply::Health(HealthEvent::Started {
            facts: Facts::default(),
            checks: checks.clone(),
        }),
        false,
    );
    let cluster_wide = |check: &str, object: &str| Finding {
        check: check.into(),
        severity: Severity::Warning,
        schema: String::new(),
        table: None,
        object: Some(object.into()),
        evidence: vec![],
        message: format!("message about {object}"),
        fix: None,
    };
    let findings = [
        health_finding(
            "duplicate_index",
            Severity::Warning,
            "public",
            "users",
            Some("users_email_idx"),
            None,
        ),
        cluster_wide("checkpoint_pressure", "max_wal_size"),
        cluster_wide("superuser_login", "Root Too"),
        health_finding(
            "migration_failed",
            Severity::Critical,
            "public",
            "flyway_schema_history",
            Some("1.2"),
            None,
        ),
    ];
    for (check, f) in checks.iter().zip(findings) {
        reply(
            app,
            id,
            Reply::Health(HealthEvent::Check(CheckOutcome {
                check: check.clone(),
                elapsed: Duration::from_millis(2),
                result: Ok(vec![f]),
            })),
            false,
        );
    }
    reply(
        app,
        id,
        Reply::Health(HealthEvent::Finished {
            elapsed: Duration::from_millis(20),
        }),
        true,
    );
}

#[test]
fn health_findings_are_headed_by_group_and_one_group_can_be_shown_alone() {
    let (mut app, mut rx) = app();
    grouped_health_report(&mut app, &mut rx);
    let s = screen(&mut app, 100, 40);
    // the group with the critical finding first, then the others in catalogue order
    let at = |needle: &str| s.find(needle).unwrap_or_else(|| panic!("{needle}:\n{s}"));
    let order = [
        at("── Migrations (1)"),
        at("── Indexes (1)"),
        at("── Maintenance (1)"),
        at("── Security (1)"),
    ];
    assert!(order.is_sorted(), "{s}");
    assert!(
        at("CRITICAL failed schema migrations (1)") < order[1],
        "{s}"
    );
    assert!(s.contains("\"Root Too\""), "{s}");

    // `v` shows one group at a time, in catalogue order, then all again
    let shown = |app: &App| -> Vec<String> {
        app.health
            .visible_findings()
            .iter()
            .map(|f| f.check.clone())
            .collect()
    };
    app.on_event(key(KeyCode::Char('v')));
    assert_eq!(app.health.group_shown(), Some("indexes"));
    assert_eq!(shown(&app), ["duplicate_index"]);
    let s = screen(&mut app, 100, 40);
    assert!(
        s.contains("group: Indexes only") && s.contains("v next group"),
        "{s}"
    );
    assert!(!s.contains("Root Too"), "{s}");
    app.on_event(key(KeyCode::Char('v')));
    assert_eq!(app.health.group_shown(), Some("tables"));
    let s = screen(&mut app, 100, 40);
    assert!(s.contains("No findings in Tables and constraints."), "{s}");
    for _ in 0..3 {
        app.on_event(key(KeyCode::Char('v')));
    }
    assert_eq!(app.health.group_shown(), Some("security"));
    assert_eq!(shown(&app), ["superuser_login"]);
    // the selected finding's details follow the group
    let s = screen(&mut app, 100, 40);
    assert!(s.contains("message about Root Too"), "{s}");
    app.on_event(key(KeyCode::Char('v')));
    app.on_event(key(KeyCode::Char('v')));
    assert_eq!(app.health.group_shown(), None);
    assert_eq!(app.health.visible_findings().len(), 4);

    // the typed filter matches a group by its id or title
    app.on_event(key(KeyCode::Char('/')));
    type_text(&mut app, "maint");
    assert_eq!(shown(&app), ["checkpoint_pressure"]);
    app.on_event(key(KeyCode::Esc));
    app.on_event(key(KeyCode::Char('v')));
    app.on_event(key(KeyCode::Esc));
    assert_eq!(
        app.health.group_shown(),
        None,
        "esc shows every group again"
    );
    assert_eq!(app.health.visible_findings().len(), 4);
}

#[test]
fn a_huge_value_is_inspected_cut_and_a_copy_too_big_for_osc52_says_so() {
    let (mut app, mut rx) = app();
    type_text(&mut app, "select huge");
    app.on_event(key(KeyCode::F(5)));
    let id = drain(&mut rx)[0].0;
    reply(
        &mut app,
        id,
        Reply::ResultStarted {
            columns: vec![Column::named("huge")],
        },
        false,
    );
    let huge = "ab".repeat(2 << 20);
    let mut batch = RowBatch::new(1);
    batch.push_row([Some(huge.as_str())]);
    reply(&mut app, id, Reply::Rows(batch), false);
    reply(
        &mut app,
        id,
        Reply::RunFinished(RunOutcome {
            error: None,
            tx: TxStatus::Idle,
            elapsed: Duration::from_millis(4),
            completed: 1,
            rows: 1,
            capped: false,
            text_offset: 0,
        }),
        true,
    );
    app.on_event(key_mod(KeyCode::Char('3'), KeyModifiers::ALT));
    app.on_event(key(KeyCode::Enter));
    let s = screen(&mut app, 120, 30);
    assert!(s.contains("showing the first 1.0 MB of 4.0 MB"), "{s}");
    app.on_event(key(KeyCode::Char('y')));
    assert_eq!(app.take_clipboard().map(|t| t.len()), Some(huge.len()));
    let s = screen(&mut app, 120, 30);
    assert!(s.contains("too much for the terminal"), "{s}");
}

#[test]
fn the_status_bar_follows_connection_loss_and_recovery() {
    use pgdeck::db::Which;
    let (mut app, _rx) = app();
    app.status.tx = TxStatus::InTransaction;
    app.on_event(Event::Worker(WorkerEvent::Connection {
        which: Which::Monitor,
        message: "monitor connection lost: server closed the connection; reconnecting…".into(),
        connected: false,
    }));
    app.on_event(Event::Worker(WorkerEvent::Connection {
        which: Which::Work,
        message: "connection lost: connection refused; reconnecting…".into(),
        connected: false,
    }));
    let s = screen(&mut app, 140, 20);
    assert!(s.contains("disconnected"), "{s}");
    assert!(s.contains("connection lost"), "{s}");
    // the work connection is back, the monitor not yet: still disconnected
    app.on_event(Event::Worker(WorkerEvent::Connection {
        which: Which::Work,
        message: "the connection was lost and has been re-established; the open transaction was \
                  rolled back by the server"
            .into(),
        connected: true,
    }));
    let s = screen(&mut app, 140, 20);
    assert!(s.contains("disconnected"), "{s}");
    assert!(
        !s.contains("in transaction"),
        "the lost transaction is not shown as open: {s}"
    );
    app.on_event(Event::Worker(WorkerEvent::Connection {
        which: Which::Monitor,
        message: "monitor connection re-established".into(),
        connected: true,
    }));
    let s = screen(&mut app, 140, 20);
    assert!(!s.contains("disconnected"), "{s}");
    assert!(s.contains("re-established"), "{s}");
}

// ---- the plan pane ----

/// An EXPLAIN ANALYZE of a selective filter on a big table, as the worker returns it.
fn explained(sql: &str) -> pgdeck::db::explain::Explained {
    let json = r#"[{"Plan": {"Node Type": "Sort", "Startup Cost": 1000.5, "Total Cost": 1100.0,
      "Plan Rows": 10, "Plan Width": 8, "Actual Startup Time": 80.0, "Actual Total Time": 80.5,
      "Actual Rows": 200, "Actual Loops": 1, "Sort Key": ["orders.id"], "Sort Method": "quicksort",
      "Sort Space Used": 40, "Sort Space Type": "Memory",
      "Plans": [{"Node Type": "Seq Scan", "Parent Relationship": "Outer", "Relation Name": "orders",
        "Schema": "public", "Alias": "orders", "Startup Cost": 0.0, "Total Cost": 1000.0,
        "Plan Rows": 10, "Plan Width": 8, "Actual Startup Time": 0.01, "Actual Total Time": 79.0,
        "Actual Rows": 200, "Actual Loops": 1, "Filter": "(orders.customer_id = 42)",
        "Rows Removed by Filter": 199800, "Shared Hit Blocks": 300}]},
      "Planning Time": 0.2, "Execution Time": 81.0}]"#;
    pgdeck::db::explain::Explained {
        statement: sql.into(),
        explain_sql: format!("EXPLAIN (ANALYZE, FORMAT JSON) {sql}"),
        json: json.into(),
        rolled_back: false,
        indexes: None,
    }
}

/// The app after ctrl-e on `sql` and the worker's plan for it.
fn app_with_plan(sql: &str) -> (App, Sent) {
    let (mut app, mut rx) = app();
    type_text(&mut app, sql);
    app.on_event(key_mod(KeyCode::Char('e'), KeyModifiers::CONTROL));
    let sent = drain(&mut rx);
    assert_eq!(sent.len(), 1, "{sent:?}");
    let Request::Explain { sql: got, options } = &sent[0].1 else {
        panic!("{sent:?}");
    };
    assert_eq!(got, sql);
    assert!(!options.analyze, "ctrl-e does not run the statement");
    assert_eq!(app.focus, PaneId::Plan);
    reply(&mut app, sent[0].0, Reply::Plan(explained(sql)), true);
    (app, rx)
}

#[test]
fn plan_pane_shows_the_tree_headline_and_advice() {
    let sql = "select id from orders where customer_id = 42 order by id";
    let (mut app, _rx) = app_with_plan(sql);
    assert_eq!(app.view, View::Plan);
    let s = screen(&mut app, 140, 40);
    // headline
    assert!(s.contains("execution 81.0 ms"), "{s}");
    assert!(s.contains("planning 0.200 ms"), "{s}");
    // the wrong estimate starts at the scan; the sort only passes it on
    assert!(s.contains("worst estimate #1 Seq Scan"), "{s}");
    // tree: both nodes, the scan indented under the sort, with its exclusive time and share
    let sort = s
        .lines()
        .position(|l| l.contains("▾ Sort"))
        .unwrap_or_else(|| panic!("{s}"));
    let scan = s
        .lines()
        .position(|l| l.contains("    Seq Scan on public.") && l.contains("98%"))
        .unwrap_or_else(|| panic!("{s}"));
    assert!(scan > sort, "{s}");
    let scan_line = s.lines().nth(scan).expect("line");
    assert!(
        scan_line.contains("79.0 ms") && scan_line.contains("98%"),
        "{scan_line}"
    );
    assert!(
        scan_line.contains("10 → 200") && scan_line.contains("↑20×"),
        "{scan_line}"
    );
    // details of the selected (root) node, apart from the tree
    assert!(s.contains("Sort Method: quicksort"), "{s}");
    // ... in the plan's order, not sorted by name
    let at = |needle: &str| s.find(needle).unwrap_or_else(|| panic!("{needle}: {s}"));
    assert!(at("Node Type: Sort") < at("Actual Loops: 1"), "{s}");
    assert!(at("Startup Cost: 1000.5") < at("Total Cost: 1100.0"), "{s}");
    let sort_line = s.lines().nth(sort).expect("line");
    assert!(
        sort_line.contains("↑20×") && sort_line.contains(" #0 Sort"),
        "{sort_line}"
    );
    // advice, the fix marker visible even when the line is cut
    let ix = s
        .lines()
        .find(|l| l.contains("seq_scan_index_candidate"))
        .unwrap_or_else(|| panic!("{s}"));
    assert!(
        ix.contains("critical [fix] seq_scan_index_candidate"),
        "{ix}"
    );
}

#[test]
fn plan_pane_fix_goes_to_the_editor_and_is_not_run() {
    let sql = "select id from orders where customer_id = 42 order by id";
    let (mut app, mut rx) = app_with_plan(sql);
    let advice = &app.plan.shown.as_ref().expect("a plan").advice;
    let at = advice
        .iter()
        .position(|a| a.rule == "seq_scan_index_candidate")
        .expect("the index advice");
    // → selects the advice list; move to the item; enter jumps to its node.
    app.on_event(key(KeyCode::Right));
    for _ in 0..at {
        app.on_event(key(KeyCode::Down));
    }
    app.on_event(key(KeyCode::Enter));
    assert_eq!(app.plan.selected, 1, "enter selects the advice's node");
    let s = screen(&mut app, 140, 40);
    assert!(s.contains("Rows Removed by Filter: 199800"), "{s}");
    app.on_event(key(KeyCode::Right));
    app.on_event(key(KeyCode::Char('e')));
    assert_eq!(app.focus, PaneId::Editor);
    let text = app.editor.text();
    // The statement before is ended, so the fix runs on its own.
    assert!(text.starts_with(&format!("{sql};\n\n")), "{text}");
    assert!(
        text.contains("CREATE INDEX CONCURRENTLY ON public.orders (customer_id);"),
        "{text}"
    );
    assert!(drain(&mut rx).is_empty(), "the fix is not run");
    let s = screen(&mut app, 140, 40);
    assert!(s.contains("has not been run"), "{s}");
}

#[test]
fn plan_pane_alt_e_explains_the_same_statement_again_with_analyze() {
    let sql = "select id from orders where customer_id = 42 order by id";
    let (mut app, mut rx) = app_with_plan(sql);
    app.on_event(key_mod(KeyCode::Char('e'), KeyModifiers::ALT));
    let sent = drain(&mut rx);
    assert!(
        matches!(&sent[..], [(_, Request::Explain { sql: s, options })] if s == sql && options.analyze),
        "{sent:?}"
    );
}

#[test]
fn plan_pane_shows_errors_and_fits_a_small_window() {
    let (mut app, mut rx) = app();
    type_text(&mut app, "selec 1");
    app.on_event(key_mod(KeyCode::Char('e'), KeyModifiers::CONTROL));
    let sent = drain(&mut rx);
    let s = screen(&mut app, 100, 30);
    assert!(s.contains("Explaining: selec 1"), "{s}");
    app.on_event(Event::Worker(WorkerEvent::Response(Response {
        id: sent[0].0,
        reply: Err(pgdeck::db::DbError::Other(
            "syntax error at or near \"selec\"".into(),
        )),
        last: true,
    })));
    let s = screen(&mut app, 100, 30);
    assert!(s.contains("syntax error at or near"), "{s}");

    let (mut app, _rx) = app_with_plan("select 1");
    for (w, h) in [(60, 15), (30, 8), (20, 4), (1, 1)] {
        let _ = screen(&mut app, w, h);
    }
    app.on_event(key(KeyCode::Right));
    app.on_event(key(KeyCode::End));
    let s = screen(&mut app, 60, 15);
    assert!(s.contains("Plan"), "{s}");
}

#[test]
fn plan_pane_scrolls_a_large_plan_to_its_last_node() {
    // A deep plan of 2,000 nested loops, as text: the tree keeps the selected node in view.
    let (mut app, _rx) = app();
    let mut text = String::new();
    for i in 0..2000 {
        let pad = " ".repeat(i * 2);
        let arrow = if i == 0 { "" } else { "->  " };
        text.push_str(&format!(
            "{pad}{arrow}Nested Loop  (cost=0.00..{}.00 rows=1 width=4) (actual time=0.01..1.00 rows=1 loops=1)\n",
            3000 - i
        ));
    }
    text.push_str(&format!(
        "{}->  Seq Scan on last_table  (cost=0.00..1.00 rows=1 width=4) (actual time=0.01..0.50 rows=1 loops=1)\n",
        " ".repeat(4000)
    ));
    text.push_str("Execution Time: 1.000 ms\n");
    app.plan.show_text(&text, None, false);
    assert_eq!(app.plan.error, None);
    app.on_event(key_mod(KeyCode::Char('4'), KeyModifiers::ALT));
    assert_eq!(app.focus, PaneId::Plan);
    app.on_event(key(KeyCode::End));
    assert_eq!(app.plan.selected, 2000);
    let s = screen(&mut app, 120, 30);
    assert!(s.contains("last_table"), "{s}");
}

/// The same statement after `CREATE INDEX`: an Index Scan, no Sort, as the worker returns it.
fn explained_after_index(sql: &str) -> pgdeck::db::explain::Explained {
    let json = r#"[{"Plan": {"Node Type": "Index Scan", "Relation Name": "orders",
      "Schema": "public", "Alias": "orders", "Index Name": "orders_customer_id_idx",
      "Scan Direction": "Forward", "Startup Cost": 0.42, "Total Cost": 12.0, "Plan Rows": 200,
      "Plan Width": 8, "Actual Startup Time": 0.02, "Actual Total Time": 0.06, "Actual Rows": 200,
      "Actual Loops": 1, "Index Cond": "(orders.customer_id = 42)", "Shared Hit Blocks": 6},
      "Planning Time": 0.3, "Execution Time": 0.09}]"#;
    pgdeck::db::explain::Explained {
        statement: sql.into(),
        explain_sql: format!("EXPLAIN (ANALYZE, FORMAT JSON) {sql}"),
        json: json.into(),
        rolled_back: false,
        indexes: None,
    }
}

#[test]
fn plan_pane_compares_a_pinned_plan_side_by_side() {
    let sql = "select id from orders where customer_id = 42 order by id";
    let (mut app, mut rx) = app_with_plan(sql);
    // p pins the plan; the pane says what happens next.
    app.on_event(key(KeyCode::Char('p')));
    let s = screen(&mut app, 140, 40);
    assert!(s.contains("Pinned as before: select id from orders"), "{s}");
    assert!(
        s.contains("The next plan (EXPLAIN, or a pasted plan) is compared with it."),
        "{s}"
    );
    // An index later, the same statement explained again (alt-e in the plan pane).
    app.on_event(key_mod(KeyCode::Char('e'), KeyModifiers::ALT));
    let sent = drain(&mut rx);
    assert_eq!(sent.len(), 1, "{sent:?}");
    reply(
        &mut app,
        sent[0].0,
        Reply::Plan(explained_after_index(sql)),
        true,
    );
    let s = screen(&mut app, 140, 40);
    assert!(s.contains("Comparing before: select id from orders"), "{s}");
    // Totals with their ratios, the direction as a symbol and a word (NO_COLOR reads it too).
    assert!(
        s.contains("execution 81.0 ms → 0.090 ms  ▼ 900× faster"),
        "{s}"
    );
    assert!(
        s.contains("planning 0.200 ms → 0.300 ms  ▲ 1.5× slower"),
        "{s}"
    );
    assert!(s.contains("buffers 300 → 6  ▼ 50× fewer"), "{s}");
    assert!(
        s.contains("1 matched (1 changed) · 1 only before · 0 only after"),
        "{s}"
    );
    // Both trees side by side: the Sort only before; the scan on one row, changed, faster.
    let sort = s
        .lines()
        .find(|l| l.contains("Sort") && l.contains("│"))
        .unwrap_or_else(|| panic!("{s}"));
    assert!(sort.contains("− only before"), "{sort}");
    let scan = s
        .lines()
        .find(|l| l.contains("Seq Scan on public.orders"))
        .unwrap_or_else(|| panic!("{s}"));
    // The pane is 105 columns beside the schema tree: the longer title is cut, visibly; the
    // selected row's details below have it whole.
    assert!(
        scan.contains("Index Scan using orders_customer_id"),
        "{scan}"
    );
    assert!(scan.contains("…"), "{scan}");
    assert!(
        scan.contains("79.0 ms") && scan.contains("0.060 ms"),
        "{scan}"
    );
    assert!(scan.contains("≠ ▼ 1317× faster"), "{scan}");
    let (before_col, after_col) = (
        scan.find("Seq Scan").expect("before"),
        scan.find("Index Scan").expect("after"),
    );
    assert!(before_col < after_col, "before on the left: {scan}");
    // Down to the scan's row: its figures below.
    app.on_event(key(KeyCode::Down));
    let s = screen(&mut app, 140, 40);
    assert!(
        s.contains("#1 Seq Scan on public.orders → #0 Index Scan using orders_customer_id_idx"),
        "{s}"
    );
    assert!(s.contains("time 79.0 ms → 0.060 ms ▼ 1317× faster"), "{s}");
    assert!(s.contains("buffers 300 → 6 (▼ 50× fewer)"), "{s}");
    // v: the new plan alone, with its advice; v again: the comparison.
    app.on_event(key(KeyCode::Char('v')));
    let s = screen(&mut app, 140, 40);
    assert!(!s.contains("Comparing"), "{s}");
    assert!(s.contains("Pinned as before: select id from orders"), "{s}");
    assert!(s.contains("v the comparison"), "{s}");
    assert!(s.contains("Advice ("), "{s}");
    app.on_event(key(KeyCode::Char('v')));
    assert!(screen(&mut app, 140, 40).contains("Comparing"));
    // Enter on the scan's row: the new plan alone, on that node.
    app.on_event(key(KeyCode::Enter));
    assert!(!app.plan.comparing);
    assert_eq!(app.plan.selected, 0);
    // p again unpins: no comparison any more.
    app.on_event(key(KeyCode::Char('p')));
    let s = screen(&mut app, 140, 40);
    assert!(!s.contains("Pinned") && !s.contains("Comparing"), "{s}");
    app.on_event(key(KeyCode::Char('v')));
    assert!(!screen(&mut app, 140, 40).contains("Comparing"));
    assert!(
        drain(&mut rx).is_empty(),
        "nothing was sent by pinning or comparing"
    );
}

#[test]
fn plan_comparison_fits_a_small_window() {
    let sql = "select id from orders where customer_id = 42 order by id";
    let (mut app, mut rx) = app_with_plan(sql);
    app.on_event(key(KeyCode::Char('p')));
    app.on_event(key_mod(KeyCode::Char('e'), KeyModifiers::ALT));
    let sent = drain(&mut rx);
    reply(
        &mut app,
        sent[0].0,
        Reply::Plan(explained_after_index(sql)),
        true,
    );
    for (w, h) in [(80, 24), (60, 15), (30, 8), (20, 4), (1, 1)] {
        let _ = screen(&mut app, w, h);
    }
    // At 80×24 the change column keeps its symbols, the titles the room.
    let s = screen(&mut app, 80, 24);
    assert!(s.contains("Comparing"), "{s}");
    let sort = s
        .lines()
        .find(|l| l.contains("Sort") && l.contains("│"))
        .unwrap_or_else(|| panic!("{s}"));
    assert!(sort.trim_end_matches(['┃', ' ']).ends_with('−'), "{sort}");
    // Short titles (no schema, no index) that fit; the details line has the full ones.
    let scan = s
        .lines()
        .find(|l| l.contains("Seq Scan on orders"))
        .unwrap_or_else(|| panic!("{s}"));
    assert!(scan.contains("≠▼1317×"), "{scan}");
    assert!(scan.contains("│Index Scan on orders"), "{scan}");
    assert!(!scan.contains('…'), "{scan}");
    app.on_event(key(KeyCode::Down));
    let s = screen(&mut app, 80, 24);
    assert!(
        s.contains("#1 Seq Scan on public.orders → #0 Index Scan using"),
        "{s}"
    );
}

#[test]
fn plan_tree_labels_are_readable_in_an_80x24_window() {
    // The plan pane is 60 columns here, beside the schema tree: the details go below the tree
    // and the figures give up their bar and columns before a label is cut.
    let (mut app, _rx) = app();
    let text = "\
Nested Loop  (cost=0.29..50.00 rows=10 width=8) (actual time=0.030..1.500 rows=12 loops=1)
  Buffers: shared hit=40
  ->  Seq Scan on orders o  (cost=0.00..20.00 rows=10 width=8) (actual time=0.010..0.800 rows=12 loops=1)
        Filter: (status = 'open'::text)
        Rows Removed by Filter: 988
        Buffers: shared hit=4
  ->  Index Scan using cust_pkey on customers c  (cost=0.29..3.00 rows=1 width=4) (actual time=0.020..0.030 rows=1 loops=12)
        Index Cond: (id = o.customer_id)
        Buffers: shared hit=36
Planning Time: 0.100 ms
Execution Time: 1.600 ms
";
    app.plan.show_text(text, None, false);
    assert_eq!(app.plan.error, None);
    app.on_event(key_mod(KeyCode::Char('4'), KeyModifiers::ALT));
    let s = screen(&mut app, 80, 24);
    for (label, time) in [
        ("▾ Nested Loop", "0.340 ms"),
        ("    Seq Scan on orders o", "0.800 ms"),
        ("    Index Scan using cust_pkey on customers c", "0.360 ms"),
    ] {
        let line = s
            .lines()
            .find(|l| l.contains(label))
            .unwrap_or_else(|| panic!("{label} whole:\n{s}"));
        assert!(line.contains(time), "{label} with its time: {line}\n{s}");
    }
    // The selected node's details are below the tree, not beside it.
    let tree_row = s
        .lines()
        .position(|l| l.contains("Index Scan using cust_pkey"))
        .expect("tree row");
    let details = s
        .lines()
        .position(|l| l.contains("┃#0 Nested Loop"))
        .unwrap_or_else(|| panic!("{s}"));
    assert!(details > tree_row, "{s}");
    // Wide enough, the details sit beside the tree again, the figures whole.
    let s = screen(&mut app, 200, 40);
    let row = s
        .lines()
        .find(|l| l.contains("▾ Nested Loop"))
        .unwrap_or_else(|| panic!("{s}"));
    assert!(
        row.contains("#0 Nested Loop") && row.contains('%'),
        "{row}\n{s}"
    );
}

#[test]
fn a_plan_pasted_into_the_editor_is_shown_without_the_server() {
    let (mut app, mut rx) = app();
    let text = "Sort  (cost=10.00..11.00 rows=10 width=8) (actual time=5.000..5.100 rows=200 loops=1)\n  Sort Key: id\n  ->  Seq Scan on pasted_table  (cost=0.00..9.00 rows=10 width=8) (actual time=0.010..4.000 rows=200 loops=1)\n        Filter: (customer_id = 42)\n        Rows Removed by Filter: 199800\nPlanning Time: 0.100 ms\nExecution Time: 5.200 ms\n";
    app.editor.append_statement(text);
    app.on_event(key_mod(KeyCode::Char('e'), KeyModifiers::CONTROL));
    assert!(
        drain(&mut rx).is_empty(),
        "nothing is sent for a pasted plan"
    );
    assert_eq!(app.focus, PaneId::Plan);
    let s = screen(&mut app, 140, 40);
    assert!(s.contains("Seq Scan on pasted_table"), "{s}");
    assert!(s.contains("execution 5.200 ms"), "{s}");
    assert!(s.contains("seq_scan_index_candidate"), "{s}");
}

#[test]
fn a_migration_history_table_gets_a_node_that_opens_its_applied_history() {
    use pgdeck::model::migrations::{Entry, EntryState, History, HistoryTable, Tool};
    let (mut app, mut rx) = app();
    app.start();
    let (id, _) = drain(&mut rx)[0].clone();
    let mut t = tree();
    t.schemas[0].relations.push(Relation {
        oid: 9,
        name: "flyway_schema_history".into(),
        kind: RelKind::Table,
        is_partition: false,
        estimated_rows: 3.0,
        readable: true,
        parent_oid: None,
        partition_bound: None,
    });
    reply(&mut app, id, Reply::Schema(t), true);
    let labels = app.schema.visible_labels();
    let at = labels
        .iter()
        .position(|l| l == "migrations: Flyway")
        .unwrap_or_else(|| panic!("{labels:?}"));
    assert!(
        !labels
            .iter()
            .any(|l| l.starts_with("migrations: ") && l != "migrations: Flyway"),
        "only the history table gets a node: {labels:?}"
    );
    app.on_event(key_mod(KeyCode::Char('1'), KeyModifiers::ALT));
    for _ in 0..at {
        app.dispatch(Action::Down);
    }
    app.on_event(key(KeyCode::Enter));
    let (mid, req) = drain(&mut rx).last().cloned().expect("a request");
    assert_eq!(
        req,
        Request::LoadMigrations {
            schema: "public".into(),
            table: "flyway_schema_history".into()
        }
    );
    let s = screen(&mut app, 120, 30);
    assert!(s.contains("migrations") && s.contains("loading…"), "{s}");
    let e = |version: &str, state: EntryState| Entry {
        key: Some(version.into()),
        version: Some(version.into()),
        description: Some(format!("step {version}")),
        applied_at: Some("2026-01-12 09:00:00".into()),
        applied_by: Some("deploy".into()),
        state,
        rolled_back_at: None,
        detail: None,
    };
    let history = History {
        table: HistoryTable {
            tool: Tool::Flyway,
            schema: "public".into(),
            table: "flyway_schema_history".into(),
            columns: vec![],
        },
        entries: vec![e("1.2", EntryState::Failed), e("1.1", EntryState::Applied)],
        truncated: false,
    };
    reply(&mut app, mid, Reply::Migrations(Box::new(history)), true);
    let s = screen(&mut app, 120, 30);
    assert!(
        s.contains("Flyway history in public.flyway_schema_history, newest first")
            && s.contains("2 entries, 1 failed or not finished"),
        "{s}"
    );
    assert!(s.contains("version") && s.contains("applied at"), "{s}");
    let failed = s
        .lines()
        .find(|l| l.contains("step 1.2"))
        .expect("the failed entry");
    assert!(
        failed.contains("2026-01-12 09:00") && failed.contains("failed"),
        "{s}"
    );
    // `i` on the node opens the table's own detail; Esc closes the history
    app.on_event(key(KeyCode::Esc));
    assert!(!screen(&mut app, 120, 30).contains("Flyway history"));
    app.on_event(key(KeyCode::Char('i')));
    // (the table's health findings are asked for next to its detail)
    let sent = drain(&mut rx);
    assert!(
        sent.iter()
            .any(|(_, r)| *r == Request::LoadTableDetail { oid: 9 }),
        "{sent:?}"
    );
}

#[test]
fn schema_detail_ddl_copy_and_generated_select() {
    use pgdeck::model::table_detail::{Activity, DetailColumn, TableDetail};
    let (mut app, mut rx) = app();
    app.start();
    let (id, _) = drain(&mut rx)[0].clone();
    reply(&mut app, id, Reply::Schema(tree()), true);
    // the Activity view is up: opening a detail shows the view it is drawn on
    app.on_event(key_mod(KeyCode::Char('5'), KeyModifiers::ALT));
    app.on_event(key_mod(KeyCode::Char('1'), KeyModifiers::ALT));
    assert_eq!(app.view, View::Activity);
    // public, tables, orders: select "orders"
    app.dispatch(Action::Down);
    app.dispatch(Action::Down);
    app.on_event(key(KeyCode::Char('i')));
    assert_eq!(app.view, View::Query);
    // (the activity view asked for its snapshot first)
    let sent: Vec<_> = drain(&mut rx)
        .into_iter()
        .filter(|s| s.1 != Request::LoadActivity)
        .collect();
    let (detail_id, req) = sent.first().cloned().expect("a request");
    assert_eq!(req, Request::LoadTableDetail { oid: 1 });
    assert!(
        matches!(&sent[1].1, Request::LoadTableFindings { oid: 1, schema, table, .. } if schema == "public" && table == "orders"),
        "{sent:?}"
    );
    let s = screen(&mut app, 120, 30);
    assert!(s.contains("loading…"), "{s}");
    let col = |name: &str| DetailColumn {
        name: name.into(),
        type_name: "integer".into(),
        not_null: false,
        default_expr: None,
        identity: String::new(),
        generated_expr: None,
        collation: None,
        comment: None,
        null_frac: None,
        n_distinct: None,
    };
    let detail = TableDetail {
        oid: 1,
        schema: "public".into(),
        name: "orders".into(),
        relkind: "r".into(),
        estimated_rows: 1200.0,
        exact_rows: None,
        heap_bytes: 81920,
        toast_bytes: 0,
        index_bytes: 16384,
        total_bytes: 98304,
        rls: false,
        rls_forced: false,
        comment: None,
        activity: Activity::default(),
        columns: vec![col("id"), col("User Id")],
        constraints: vec![],
        indexes: vec![],
        extras: vec![],
    };
    reply(
        &mut app,
        detail_id,
        Reply::TableDetail(Box::new(detail)),
        true,
    );
    let s = screen(&mut app, 120, 30);
    assert!(s.contains("Columns (2)"), "{s}");
    assert!(s.contains("\"User Id\" integer"), "{s}");
    assert!(s.contains("size 96 kB total"), "{s}");
    // DDL: asked for, shown, and `d` again puts it into the editor
    app.on_event(key(KeyCode::Char('d')));
    let (ddl_id, req) = drain(&mut rx).last().cloned().expect("ddl request");
    assert_eq!(
        req,
        Request::LoadDdl {
            oid: 1,
            kind: "rel:r".into()
        }
    );
    reply(
        &mut app,
        ddl_id,
        Reply::Ddl {
            oid: 1,
            text: "CREATE TABLE public.orders (\n    id integer\n);\n".into(),
        },
        true,
    );
    let s = screen(&mut app, 120, 30);
    assert!(s.contains("CREATE TABLE public.orders ("), "{s}");
    app.on_event(key(KeyCode::Esc));
    assert!(!screen(&mut app, 120, 30).contains("CREATE TABLE"));
    app.on_event(key(KeyCode::Char('y')));
    assert_eq!(app.take_clipboard().as_deref(), Some("public.orders"));
    app.on_event(key(KeyCode::Char('s')));
    let (sel_id, req) = drain(&mut rx).last().cloned().expect("columns request");
    assert_eq!(req, Request::LoadTableDetail { oid: 1 });
    let mut d2 = TableDetail {
        columns: vec![col("id"), col("User Id")],
        ..TableDetail {
            oid: 1,
            schema: "public".into(),
            name: "orders".into(),
            relkind: "r".into(),
            estimated_rows: 0.0,
            exact_rows: None,
            heap_bytes: 0,
            toast_bytes: 0,
            index_bytes: 0,
            total_bytes: 0,
            rls: false,
            rls_forced: false,
            comment: None,
            activity: Activity::default(),
            columns: vec![],
            constraints: vec![],
            indexes: vec![],
            extras: vec![],
        }
    };
    d2.estimated_rows = 1.0;
    reply(&mut app, sel_id, Reply::TableDetail(Box::new(d2)), true);
    app.on_event(key_mod(KeyCode::Char('2'), KeyModifiers::ALT));
    let s = screen(&mut app, 120, 30);
    assert!(s.contains("select id,"), "{s}");
    assert!(s.contains("\"User Id\""), "{s}");
}

/// The tree's databases section: the current one is marked, one that refuses connections is not
/// tried, choosing another sends the switch; with a statement running the app asks first (and
/// saying no sends nothing); the reply updates the status bar and reloads the tree and the
/// completion names; a failed switch says the old database is still in use.
#[test]
fn choosing_a_database_in_the_tree_switches_after_asking_when_busy() {
    use pgdeck::model::catalog::DatabaseItem;
    let (mut app, mut rx) = app();
    app.start();
    let (id, _) = drain(&mut rx)[0].clone();
    let mut t = tree();
    let db = |name: &str, current, can_connect| DatabaseItem {
        name: name.into(),
        current,
        can_connect,
        comment: None,
    };
    t.databases = vec![
        db("Other \"db\"; x", false, true),
        db("locked", false, false),
        db("shop", true, true),
    ];
    reply(&mut app, id, Reply::Schema(t), true);
    app.on_event(key_mod(KeyCode::Char('1'), KeyModifiers::ALT));
    app.on_event(key(KeyCode::Char(' '))); // open the databases section (first line)
    let s = screen(&mut app, 100, 30);
    assert!(s.contains("▾ databases"), "{s}");
    assert!(s.contains("● shop") && s.contains("connected"), "{s}");
    assert!(s.contains("no CONNECT"), "{s}");

    // the one connected to and one refusing connections: a message, no request
    for down in [3, 2] {
        app.dispatch(Action::Top);
        for _ in 0..down {
            app.on_event(key(KeyCode::Down));
        }
        app.on_event(key(KeyCode::Enter));
        assert!(drain(&mut rx).is_empty());
    }
    let s = screen(&mut app, 100, 30);
    assert!(s.contains("locked refuses connections"), "{s}");

    // a statement runs: the app asks, and `n` leaves everything as it was
    app.on_event(key_mod(KeyCode::Char('2'), KeyModifiers::ALT));
    type_text(&mut app, "select pg_sleep(60);");
    app.on_event(key(KeyCode::F(5)));
    drain(&mut rx);
    app.on_event(key_mod(KeyCode::Char('1'), KeyModifiers::ALT));
    app.dispatch(Action::Top);
    app.on_event(key(KeyCode::Down));
    app.on_event(key(KeyCode::Enter));
    match &app.modal {
        Some(Modal::Confirm(c)) => {
            assert!(c.body.join(" ").contains("switching cancels it"), "{c:?}");
            assert!(
                c.body.join(" ").contains("\"Other \"\"db\"\"; x\""),
                "{c:?}"
            );
        }
        other => panic!("expected a confirmation, got {other:?}"),
    }
    app.on_event(key(KeyCode::Char('n')));
    assert!(app.modal.is_none());
    assert!(drain(&mut rx).is_empty(), "nothing sent after no");

    // yes: the switch is sent
    app.on_event(key(KeyCode::Enter));
    app.on_event(key(KeyCode::Char('y')));
    let sent = drain(&mut rx);
    assert_eq!(
        sent.iter().map(|s| s.1.clone()).collect::<Vec<_>>(),
        vec![Request::SwitchDatabase {
            dbname: "Other \"db\"; x".into()
        }]
    );
    let info = pgdeck::model::server::ServerInfo {
        version: "16.4".into(),
        database: "Other \"db\"; x".into(),
        ..Default::default()
    };
    reply(
        &mut app,
        sent[0].0,
        Reply::Switched {
            target: "alice@/tmp:5432/Other \"db\"; x".into(),
            info: Box::new(info),
            read_only: false,
        },
        true,
    );
    let reloads: Vec<Request> = drain(&mut rx).into_iter().map(|s| s.1).collect();
    assert_eq!(reloads, vec![Request::LoadSchema, Request::LoadCompletion]);
    let s = screen(&mut app, 180, 30);
    assert_eq!(app.status.target, "alice@/tmp:5432/Other \"db\"; x");
    assert!(s.contains("PG 16.4"), "{s}");
    assert!(
        s.contains("connected to database \"Other \"\"db\"\"; x\""),
        "{s}"
    );
    assert_eq!(
        app.editor.text(),
        "select pg_sleep(60);",
        "the editor text stays"
    );

    // a switch the server refuses: the old database stays
    app.dispatch(Action::Refresh);
    let (id, _) = drain(&mut rx)[0].clone();
    let mut t = tree();
    t.databases = vec![db("Other \"db\"; x", true, true), db("shop", false, true)];
    reply(&mut app, id, Reply::Schema(t), true);
    app.dispatch(Action::Top);
    app.on_event(key(KeyCode::Char(' ')));
    app.on_event(key(KeyCode::Down));
    app.on_event(key(KeyCode::Down));
    app.on_event(key(KeyCode::Enter));
    app.on_event(key(KeyCode::Char('y'))); // the statement still runs: asked again
    let sent = drain(&mut rx);
    assert_eq!(
        sent[0].1,
        Request::SwitchDatabase {
            dbname: "shop".into()
        }
    );
    app.on_event(Event::Worker(WorkerEvent::Response(Response {
        id: sent[0].0,
        reply: Err(pgdeck::db::DbError::NotConnected(
            "could not connect to database shop: no".into(),
        )),
        last: true,
    })));
    let s = screen(&mut app, 180, 30);
    assert!(
        s.contains("still connected to \"Other \"\"db\"\"; x\""),
        "{s}"
    );
    assert_eq!(app.status.target, "alice@/tmp:5432/Other \"db\"; x");
}

fn detail_of(oid: u32, name: &str) -> pgdeck::model::table_detail::TableDetail {
    use pgdeck::model::table_detail::{Activity, TableDetail};
    TableDetail {
        oid,
        schema: "public".into(),
        name: name.into(),
        relkind: "r".into(),
        estimated_rows: 10.0,
        exact_rows: None,
        heap_bytes: 8192,
        toast_bytes: 0,
        index_bytes: 0,
        total_bytes: 8192,
        rls: false,
        rls_forced: false,
        comment: None,
        activity: Activity::default(),
        columns: vec![],
        constraints: vec![],
        indexes: vec![],
        extras: vec![],
    }
}

fn finding(check: &str, table: &str, object: Option<&str>, message: &str) -> Finding {
    Finding {
        check: check.into(),
        severity: Severity::Warning,
        schema: "public".into(),
        table: Some(table.into()),
        object: object.map(Into::into),
        evidence: vec![],
        message: message.into(),
        fix: None,
    }
}

/// A table's detail shows its health findings: checked for that table on the monitor connection
/// while no report exists, taken from the last report (no request) once one has finished; `f`
/// opens the health pane narrowed to that table (running the report the first time), `esc`
/// widens it again.
#[test]
fn table_detail_shows_its_findings_and_opens_them_in_the_health_pane() {
    use pgdeck::db::health::{HealthEvent, TableFindings};
    let (mut app, mut rx) = app();
    app.start();
    let (id, _) = drain(&mut rx)[0].clone();
    reply(&mut app, id, Reply::Schema(tree()), true);
    app.on_event(key_mod(KeyCode::Char('1'), KeyModifiers::ALT));
    app.dispatch(Action::Down);
    app.dispatch(Action::Down); // orders
    app.on_event(key(KeyCode::Char('i')));
    let sent = drain(&mut rx);
    assert_eq!(sent.len(), 2, "{sent:?}");
    let (findings_id, req) = sent[1].clone();
    assert!(
        matches!(&req, Request::LoadTableFindings { oid: 1, schema, table, .. } if schema == "public" && table == "orders"),
        "{req:?}"
    );
    reply(
        &mut app,
        sent[0].0,
        Reply::TableDetail(Box::new(detail_of(1, "orders"))),
        true,
    );
    let s = screen(&mut app, 120, 40);
    assert!(
        s.contains("health findings") && s.contains("checking…"),
        "{s}"
    );
    reply(
        &mut app,
        findings_id,
        Reply::TableFindings {
            oid: 1,
            findings: TableFindings {
                findings: vec![finding(
                    "fk_without_index",
                    "orders",
                    Some("orders_user_fk"),
                    "no index starts with the foreign key's columns",
                )],
                failed: vec![("table_bloat".into(), "permission denied".into())],
            },
        },
        true,
    );
    let s = screen(&mut app, 120, 40);
    assert!(s.contains("health findings (1)"), "{s}");
    assert!(
        s.contains("warning fk_without_index orders_user_fk: no index starts with"),
        "{s}"
    );
    assert!(
        s.contains("table_bloat: could not run: permission denied"),
        "{s}"
    );

    // f: the health pane, narrowed to orders; the report starts as the pane is first shown
    app.on_event(key(KeyCode::Char('f')));
    assert_eq!((app.focus, app.view), (PaneId::Health, View::Health));
    let sent = drain(&mut rx);
    let (report_id, req) = sent.last().cloned().expect("report request");
    assert!(matches!(req, Request::RunHealth { .. }), "{req:?}");
    let facts = pgdeck::db::health::Facts::default();
    reply(
        &mut app,
        report_id,
        Reply::Health(HealthEvent::Started {
            facts,
            checks: vec!["fk_without_index".into()],
        }),
        false,
    );
    reply(
        &mut app,
        report_id,
        Reply::Health(HealthEvent::Check(pgdeck::db::health::CheckOutcome {
            check: "fk_without_index".into(),
            elapsed: Duration::from_millis(3),
            result: Ok(vec![
                finding("fk_without_index", "orders", Some("orders_user_fk"), "a"),
                finding("fk_without_index", "users", Some("users_org_fk"), "b"),
                finding("fk_without_index", "orders_archive", Some("x_fk"), "c"),
            ]),
        })),
        false,
    );
    reply(
        &mut app,
        report_id,
        Reply::Health(HealthEvent::Finished {
            elapsed: Duration::from_millis(5),
        }),
        true,
    );
    let shown: Vec<String> = app
        .health
        .visible_findings()
        .iter()
        .map(|f| f.subject())
        .collect();
    assert_eq!(shown, vec!["public.orders.orders_user_fk"]);
    let s = screen(&mut app, 120, 40);
    assert!(s.contains("table: public.orders"), "{s}");
    app.on_event(key(KeyCode::Esc));
    assert_eq!(app.health.visible_findings().len(), 3);

    // with a finished report, another table's detail takes its findings from it: no request
    app.on_event(key_mod(KeyCode::Char('1'), KeyModifiers::ALT));
    app.on_event(key(KeyCode::Esc)); // close the detail
    app.dispatch(Action::Down); // users
    app.on_event(key(KeyCode::Char('i')));
    let sent = drain(&mut rx);
    assert_eq!(
        sent.iter().map(|s| s.1.clone()).collect::<Vec<_>>(),
        vec![Request::LoadTableDetail { oid: 2 }]
    );
    reply(
        &mut app,
        sent[0].0,
        Reply::TableDetail(Box::new(detail_of(2, "users"))),
        true,
    );
    let s = screen(&mut app, 120, 40);
    assert!(
        s.contains("health findings (1, from the last health report)"),
        "{s}"
    );
    assert!(s.contains("users_org_fk: b"), "{s}");
}
