//! The settings view inside the health pane, driven through the app with fixture pg_settings rows and
//! rendered into ratatui's TestBackend: human values, sources, changed and pending-restart markers,
//! the recommendation next to the value, search as you type, the fix into the editor (never run).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pgdeck::app::App;
use pgdeck::db::settings::SettingsSnapshot;
use pgdeck::db::{Reply, Request, RequestId, Response, WorkerEvent};
use pgdeck::event::Event;
use pgdeck::keymap::Keymap;
use pgdeck::model::health::HealthConfig;
use pgdeck::model::settings::{Setting, SettingsFacts, TuneContext};
use pgdeck::model::tune::{Hardware, Storage, Workload};
use pgdeck::ui::PaneId;
use pgdeck::ui::health::HealthPane;

#[path = "support/ui_app.rs"]
mod ui_app;
use ui_app::{Sent, app_with, drain, screen};

fn code(c: KeyCode, m: KeyModifiers) -> Event {
    Event::Terminal(crossterm::event::Event::Key(KeyEvent::new(c, m)))
}

fn key(c: char) -> Event {
    code(KeyCode::Char(c), KeyModifiers::NONE)
}

fn respond(app: &mut App, id: RequestId, reply: Reply) {
    app.on_event(Event::Worker(WorkerEvent::Response(Response {
        id,
        reply: Ok(reply),
        last: true,
    })));
}

fn row(name: &str, setting: &str, unit: Option<&str>, context: &str, source: &str) -> Setting {
    Setting {
        name: name.into(),
        setting: setting.into(),
        unit: unit.map(str::to_string),
        vartype: "integer".into(),
        context: context.into(),
        source: source.into(),
        boot_val: Some(setting.into()),
        reset_val: Some(setting.into()),
        short_desc: format!("what {name} does"),
        category: "Resource Usage / Memory".into(),
        ..Default::default()
    }
}

/// pg_settings as a role without pg_read_all_settings sees it: no source files.
fn snapshot(superuser: bool) -> SettingsSnapshot {
    let file = |s: &mut Setting, f: &str, line: i32| {
        if superuser {
            s.sourcefile = Some(f.into());
            s.sourceline = Some(line);
        }
    };
    let mut sb = row(
        "shared_buffers",
        "16384",
        Some("8kB"),
        "postmaster",
        "configuration file",
    );
    file(&mut sb, "/etc/postgresql/15/main/postgresql.conf", 127);
    let mut wm = row(
        "work_mem",
        "16384",
        Some("kB"),
        "user",
        "configuration file",
    );
    wm.boot_val = Some("4096".into());
    file(
        &mut wm,
        "/var/lib/postgresql/15/main/postgresql.auto.conf",
        3,
    );
    let mut locks = row(
        "max_locks_per_transaction",
        "64",
        None,
        "postmaster",
        "default",
    );
    locks.pending_restart = true;
    let mut fsync = row("fsync", "off", None, "sighup", "command line");
    fsync.vartype = "bool".into();
    fsync.boot_val = Some("on".into());
    let nap = row("autovacuum_naptime", "60", Some("s"), "sighup", "default");
    SettingsSnapshot {
        settings: vec![nap, fsync, locks, sb, wm],
        facts: SettingsFacts {
            database: "shop".into(),
            user: "alice".into(),
            ..Default::default()
        },
        version_num: 150018,
    }
}

/// An app whose health pane knows the hardware (16GB, 8 CPUs, ssd, oltp), showing the settings
/// view with `snap` loaded.
fn settings_view(snap: SettingsSnapshot) -> (App, Sent) {
    let (mut app, mut rx) = app_with(Keymap::default_keymap());
    let cfg = HealthConfig {
        tune: TuneContext {
            hardware: Some(Hardware {
                ram_bytes: 16 << 30,
                cpus: Some(8),
                storage: Storage::Ssd,
                workload: Workload::Oltp,
                max_connections: None,
            }),
            notes: vec!["stated: 16GB RAM, 8 CPUs, ssd storage, oltp workload".into()],
            pooled: false,
        },
        ..Default::default()
    };
    app.health = HealthPane::new(cfg);
    app.on_event(code(KeyCode::Char('6'), KeyModifiers::ALT));
    let sent = drain(&mut rx);
    assert!(
        matches!(sent.as_slice(), [(_, Request::RunHealth { .. })]),
        "{sent:?}"
    );
    let s = screen(&mut app, 120, 36);
    assert!(s.contains("s settings view"), "the findings say how: {s}");
    app.on_event(key('s'));
    let sent = drain(&mut rx);
    let id = match sent.as_slice() {
        [(id, Request::LoadSettings)] => *id,
        other => panic!("expected LoadSettings, got {other:?}"),
    };
    assert!(app.health.showing_settings());
    let s = screen(&mut app, 120, 36);
    assert!(s.contains("Reading pg_settings"), "{s}");
    respond(&mut app, id, Reply::Settings(Box::new(snap)));
    (app, rx)
}

#[test]
fn every_parameter_in_human_form_with_its_source_and_the_recommendation() {
    let (mut app, _rx) = settings_view(snapshot(true));
    let s = screen(&mut app, 120, 36);
    assert!(
        s.contains("5 parameters, 2 changed, 1 pending restart"),
        "{s}"
    );
    assert!(s.contains("stated: 16GB RAM"), "the hardware note: {s}");
    // 8kB pages as a size, kB as a size, seconds as a duration
    let line = |name: &str| {
        s.lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("no row for {name}: {s}"))
            .to_string()
    };
    let sb = line("shared_buffers ");
    assert!(sb.contains("128MB"), "{sb}");
    assert!(
        sb.contains("→ 4GB"),
        "the recommendation next to the value: {sb}"
    );
    assert!(
        sb.contains("postgresql.conf:127"),
        "the file in the list: {sb}"
    );
    let wm = line("work_mem ");
    assert!(wm.contains("16MB"), "{wm}");
    assert!(wm.contains("• "), "changed from the default: {wm}");
    assert!(wm.contains("ALTER SYSTEM"), "{wm}");
    assert!(wm.contains("≈ 13617kB"), "near its target: {wm}");
    assert!(line("autovacuum_naptime").contains("1min"));
    assert!(
        line("max_locks_per_transaction").contains("↻ "),
        "pending restart"
    );
    let fsync = line("fsync ");
    assert!(fsync.contains("critical"), "{fsync}");
    assert!(fsync.contains("command line (-c)"), "{fsync}");
    // the first row is selected: its description and details below
    assert!(s.contains("what autovacuum_naptime does"), "{s}");
    assert!(s.contains("a change needs a reload"), "{s}");
    // the whole path of a file is in the details of its parameter
    for _ in 0..3 {
        app.on_event(key('j'));
    }
    let s = screen(&mut app, 120, 36);
    assert!(s.contains("what shared_buffers does"), "{s}");
    assert!(
        s.contains("from /etc/postgresql/15/main/postgresql.conf:127"),
        "{s}"
    );
    // small terminals still draw
    let small = screen(&mut app, 80, 24);
    assert!(small.contains("Settings"), "{small}");
}

#[test]
fn search_as_you_type_changed_only_and_the_fix_into_the_editor() {
    let (mut app, mut rx) = settings_view(snapshot(true));
    app.on_event(key('/'));
    for c in "shared".chars() {
        app.on_event(key(c));
    }
    assert_eq!(
        app.health.settings_view().visible_names(),
        ["shared_buffers"]
    );
    let s = screen(&mut app, 120, 36);
    assert!(s.contains("search: shared"), "{s}");
    assert!(s.contains("what shared_buffers does"), "{s}");
    assert!(s.contains("a change needs a restart"), "{s}");
    assert!(
        s.contains("ALTER SYSTEM SET shared_buffers = '4GB';"),
        "the fix shown: {s}"
    );
    // enter keeps the search; e puts the fix into the editor and nothing runs
    app.on_event(code(KeyCode::Enter, KeyModifiers::NONE));
    app.on_event(key('e'));
    assert_eq!(app.focus, PaneId::Editor);
    let text = app.editor.text();
    assert!(
        text.contains("ALTER SYSTEM SET shared_buffers = '4GB';") && text.contains("restart"),
        "{text}"
    );
    assert!(drain(&mut rx).is_empty(), "nothing was run");

    // back to the view: esc clears the search, c shows the changed ones only
    app.on_event(code(KeyCode::Char('6'), KeyModifiers::ALT));
    app.on_event(code(KeyCode::Esc, KeyModifiers::NONE));
    assert_eq!(app.health.settings_view().visible_names().len(), 5);
    app.on_event(key('c'));
    assert_eq!(
        app.health.settings_view().visible_names(),
        ["fsync", "max_locks_per_transaction", "work_mem"]
    );
    // a risk's fix: fsync is on the command line, and the fix says so
    app.on_event(key('e'));
    let text = app.editor.text();
    assert!(text.contains("ALTER SYSTEM SET fsync = 'on';"), "{text}");
    assert!(text.contains("-c fsync=off"), "{text}");
    // s, or esc with nothing to clear, goes back to the findings; f5 there reruns the report
    app.on_event(code(KeyCode::Char('6'), KeyModifiers::ALT));
    app.on_event(code(KeyCode::Esc, KeyModifiers::NONE));
    assert!(!app.health.showing_settings());
    app.on_event(key('s'));
    assert!(app.health.showing_settings());
    assert!(
        drain(&mut rx).is_empty(),
        "shown again: no automatic reload"
    );
    app.on_event(code(KeyCode::F(5), KeyModifiers::NONE));
    let sent = drain(&mut rx);
    assert!(
        matches!(sent.as_slice(), [(_, Request::LoadSettings)]),
        "f5 reloads the settings: {sent:?}"
    );
    app.on_event(key('s'));
    assert!(!app.health.showing_settings());
}

#[test]
fn a_role_that_cannot_see_the_files_sees_the_rest() {
    let (mut app, _rx) = settings_view(snapshot(false));
    let s = screen(&mut app, 140, 36);
    let wm = s
        .lines()
        .find(|l| l.contains("work_mem "))
        .expect("work_mem row");
    assert!(wm.contains("16MB"), "{wm}");
    assert!(wm.contains("config file (hidden)"), "{wm}");
    assert!(!s.contains("postgresql.auto.conf"), "{s}");
    // selected, its details say it in full
    for _ in 0..4 {
        app.on_event(key('j'));
    }
    let s = screen(&mut app, 140, 36);
    assert!(
        s.contains("from a configuration file (which one is hidden from this role)"),
        "{s}"
    );
}
