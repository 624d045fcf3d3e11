//! The real binary in a pseudo-terminal, read through a terminal emulator: the first frame shows the
//! schema, a statement runs and its rows appear, resize works, and quitting restores the terminal.

#[path = "../support/pty.rs"]
mod pty;

use std::time::Duration;

use super::common::{Scratch, cluster, fresh_db};

const WAIT: Duration = Duration::from_secs(15);

#[test]
fn shows_the_schema_runs_a_statement_and_restores_the_terminal() {
    let (name, ci) = fresh_db("tui");
    cluster()
        .psql(&name, "create table accounts(id int primary key, owner text); insert into accounts values (1, 'ada'), (2, null);")
        .expect("fixture");
    let scratch = Scratch::new("tui-run");
    let cfg = scratch.path().display().to_string();
    let mut s = pty::PtySession::spawn(
        env!("CARGO_BIN_EXE_pgdeck"),
        &[&ci],
        &[("PGDECK_CONFIG_DIR", &cfg)],
        120,
        32,
    );
    s.wait_for(WAIT, |sc| {
        sc.contains("accounts") && sc.contains("1 tables")
    })
    .unwrap_or_else(|sc| panic!("schema not shown:\n{sc}"));
    s.send(b"select owner, id * 10 as tenfold from accounts order by id;");
    s.send(b"\x1b[15~"); // f5
    s.wait_for(WAIT, |sc| {
        sc.contains("tenfold") && sc.contains("ada") && sc.contains("∅")
    })
    .unwrap_or_else(|sc| panic!("rows not shown:\n{sc}"));
    let screen = s.screen();
    assert!(screen.contains("2 rows"), "{screen}");

    // a failing statement shows the server's error in place
    s.send(b"\x1b[1;3B"); // alt-down: harmless
    s.send(b"\nselect nope;\x1b[15~");
    s.wait_for(WAIT, |sc| sc.contains("42703"))
        .unwrap_or_else(|sc| panic!("error not shown:\n{sc}"));

    // shrink below the minimum and back
    s.resize(50, 10);
    s.wait_for(WAIT, |sc| sc.contains("window too small"))
        .unwrap_or_else(|sc| panic!("no small-window note:\n{sc}"));
    s.resize(120, 32);
    s.wait_for(WAIT, |sc| {
        sc.contains("accounts") && !sc.contains("window too small")
    })
    .unwrap_or_else(|sc| panic!("did not recover from resize:\n{sc}"));

    s.send(b"\x11"); // ctrl-q
    let status = s.wait_exit(WAIT).expect("pgdeck exits");
    assert!(status.success(), "{status:?}");
    let raw = String::from_utf8_lossy(&s.raw);
    assert!(raw.contains("\x1b[?1049l"), "left the alternate screen");
}

#[test]
fn a_dropped_terminal_ends_the_session_cleanly() {
    let (_name, ci) = fresh_db("hup");
    let scratch = Scratch::new("tui-hup");
    let cfg = scratch.path().display().to_string();
    let log = scratch.path().join("pgdeck.log");
    let log_s = log.display().to_string();
    let mut s = pty::PtySession::spawn(
        env!("CARGO_BIN_EXE_pgdeck"),
        &[&ci],
        &[("PGDECK_CONFIG_DIR", &cfg), ("PGDECK_LOG", &log_s)],
        100,
        30,
    );
    s.wait_for(WAIT, |sc| sc.contains("Schema"))
        .unwrap_or_else(|sc| panic!("no first frame:\n{sc}"));
    // The SSH session drops: the terminal goes away under pgdeck (SIGHUP, then EIO on every write).
    s.hangup();
    // Leaving saves the buffers with fsync, which can stall for seconds when other tests flood the
    // disk with WAL: allow a minute, and say where the process waits if it never leaves.
    let pid = s.pid();
    let status = s
        .wait_exit_quietly(Duration::from_secs(60))
        .unwrap_or_else(|| {
            panic!(
                "no exit within 60 s of the hangup; threads waiting in: {}\nlog:\n{}",
                kernel_waits(pid),
                std::fs::read_to_string(&log).unwrap_or_default()
            )
        });
    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(status.success(), "{status:?}; log:\n{log_text}");
    assert!(!log_text.contains("panic"), "{log_text}");
}

/// Where each thread of a process waits in the kernel (`/proc/PID/task/*/wchan`), for a hung test.
fn kernel_waits(pid: u32) -> String {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return "(process gone)".into();
    };
    tasks
        .flatten()
        .map(|t| {
            let wchan = std::fs::read_to_string(t.path().join("wchan")).unwrap_or_default();
            let comm = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
            format!("{}={}", comm.trim(), wchan.trim())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
fn the_demo_server_is_removed_when_the_terminal_drops() {
    let scratch = Scratch::new("tui-demo-hup");
    let cfg = scratch.path().join("config").display().to_string();
    let cache = scratch.path().join("cache").display().to_string();
    let tmp = scratch.path().join("tmp");
    std::fs::create_dir_all(&tmp).expect("tmp");
    // every parent of the cluster dir must be traversable by the server user
    std::fs::set_permissions(
        scratch.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    std::fs::set_permissions(&tmp, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let tmp_s = tmp.display().to_string();
    let mut s = pty::PtySession::spawn(
        env!("CARGO_BIN_EXE_pgdeck"),
        &["demo", "--no-workload"],
        &[
            ("PGDECK_CONFIG_DIR", &cfg),
            ("PGDECK_CACHE_DIR", &cache),
            ("PGDECK_TEST_TMP", &tmp_s),
        ],
        100,
        30,
    );
    s.wait_for(Duration::from_secs(60), |sc| sc.contains("users"))
        .unwrap_or_else(|sc| panic!("demo did not open:\n{sc}"));
    let clusters = || std::fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0);
    assert!(
        clusters() >= 1,
        "the demo cluster lives under PGDECK_TEST_TMP"
    );
    s.hangup();
    let status = s
        .wait_exit_quietly(Duration::from_secs(30))
        .expect("exits after the hangup");
    assert!(status.success(), "{status:?}");
    assert_eq!(clusters(), 0, "the demo cluster was removed");
}

/// pgdeck on a pty against a cluster where `pw_user` needs a password, waiting at the prompt.
fn at_password_prompt(c: &pgdeck::cluster::TempCluster, scratch: &Scratch) -> pty::PtySession {
    let cfg = scratch.path().display().to_string();
    let ci = format!(
        "host={} port={} user=pw_user dbname=pwdb",
        c.socket_dir().display(),
        c.port()
    );
    let mut s = pty::PtySession::spawn(
        env!("CARGO_BIN_EXE_pgdeck"),
        &[&ci],
        &[("PGDECK_CONFIG_DIR", &cfg), ("HOME", &cfg)],
        100,
        30,
    );
    s.wait_for(WAIT, |sc| sc.contains("Password for user pw_user:"))
        .unwrap_or_else(|sc| panic!("no password prompt:\n{sc}"));
    s
}

#[test]
fn asks_for_the_password_before_the_full_screen_ui_opens() {
    let c = super::cli::password_cluster();
    let scratch = Scratch::new("tui-pw");
    let mut s = at_password_prompt(&c, &scratch);
    assert!(
        !s.screen().contains("Schema"),
        "the UI must not be open yet"
    );
    s.send(b"s3cret\r");
    s.wait_for(WAIT, |sc| sc.contains("Schema") && sc.contains("pw_user@"))
        .unwrap_or_else(|sc| panic!("UI did not open after the password:\n{sc}"));
    assert!(!s.screen().contains("s3cret"), "password shown on screen");
    s.send(b"\x11");
    assert!(s.wait_exit(WAIT).is_some_and(|st| st.success()));
}

#[test]
fn a_wrong_password_at_the_prompt_is_reported_without_opening_the_ui() {
    let c = super::cli::password_cluster();
    let scratch = Scratch::new("tui-badpw");
    let mut s = at_password_prompt(&c, &scratch);
    s.send(b"nope\r");
    let status = s.wait_exit(WAIT).expect("exits");
    assert_eq!(status.code(), Some(2));
    let out = String::from_utf8_lossy(&s.raw);
    assert!(out.contains("password authentication failed"), "{out}");
    assert!(
        !out.contains("\x1b[?1049h"),
        "the alternate screen was never entered"
    );
}

#[test]
fn kill_9_loses_at_most_two_seconds_of_typing() {
    let (_name, ci) = fresh_db("kill9");
    let scratch = Scratch::new("tui-kill9");
    let cfg = scratch.path().display().to_string();
    let start = || {
        let mut s = pty::PtySession::spawn(
            env!("CARGO_BIN_EXE_pgdeck"),
            &[&ci],
            &[("PGDECK_CONFIG_DIR", &cfg)],
            100,
            30,
        );
        s.wait_for(WAIT, |sc| sc.contains("Schema"))
            .unwrap_or_else(|sc| panic!("no first frame:\n{sc}"));
        s
    };
    let mut s = start();
    s.send(b"select 'typed before the crash'");
    s.wait_for(WAIT, |sc| sc.contains("typed before the crash"))
        .unwrap_or_else(|sc| panic!("text not shown:\n{sc}"));
    // autosave runs every 2 s
    std::thread::sleep(Duration::from_millis(2600));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(s.pid() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("kill -9");
    let _ = s.wait_exit_quietly(WAIT);
    drop(s);
    let mut s = start();
    s.wait_for(WAIT, |sc| sc.contains("typed before the crash"))
        .unwrap_or_else(|sc| panic!("buffer not restored after kill -9:\n{sc}"));
    s.send(b"\x11");
    assert!(s.wait_exit(WAIT).is_some_and(|st| st.success()));
    // a clean exit saves too: the state directory holds the buffer
    let saved = std::fs::read_to_string(scratch.path().join("state/buffers/buffer-0.sql"))
        .expect("saved buffer");
    assert!(saved.contains("typed before the crash"), "{saved}");
}

/// Every file under `dir` (recursively) whose content contains `needle`, with the file's mode.
fn files_containing(dir: &std::path::Path, needle: &str) -> Vec<String> {
    let mut hits = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return hits;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            hits.extend(files_containing(&p, needle));
        } else if let Ok(bytes) = std::fs::read(&p)
            && String::from_utf8_lossy(&bytes).contains(needle)
        {
            hits.push(p.display().to_string());
        }
    }
    hits
}

/// The connection password is typed once, in the connection string. It must never come back: not on
/// any frame the terminal receives, not in history, autosaved buffers or the log (at debug level),
/// not in the messages of a failed statement, `\conninfo` or a failed connection. A password typed
/// into the editor (ALTER ROLE) stays in the autosaved buffer (the user's text is never lost) but not
/// in the history or the log; the state files are private to their owner.
#[test]
fn the_connection_password_never_reaches_screen_files_or_messages() {
    use std::os::unix::fs::PermissionsExt;
    const PW: &str = "Zebra-9f3k-LeakCheck";
    const TYPED_PW: &str = "Typed-77q-NotForHistory";
    let c = super::cli::password_cluster();
    c.psql(
        "postgres",
        &format!("set password_encryption = 'scram-sha-256'; alter role pw_user password '{PW}'"),
    )
    .expect("password");
    let scratch = Scratch::new("tui-secrets");
    let cfg = scratch.path().display().to_string();
    let log = scratch.path().join("pgdeck.log");
    let ci = format!(
        "host={} port={} user=pw_user dbname=pwdb password={PW}",
        c.socket_dir().display(),
        c.port()
    );
    let log_s = log.display().to_string();
    let mut s = pty::PtySession::spawn(
        env!("CARGO_BIN_EXE_pgdeck"),
        &[&ci],
        &[
            ("PGDECK_CONFIG_DIR", &cfg),
            ("HOME", &cfg),
            ("PGDECK_LOG", &log_s),
            ("PGDECK_LOG_LEVEL", "debug"),
        ],
        120,
        32,
    );
    s.wait_for(WAIT, |sc| sc.contains("pw_user@"))
        .unwrap_or_else(|sc| panic!("UI did not open:\n{sc}"));
    s.send(b"\\conninfo");
    s.send(b"\x1b[15~"); // f5
    s.wait_for(WAIT, |sc| sc.contains("connected as pw_user@"))
        .unwrap_or_else(|sc| panic!("no conninfo:\n{sc}"));
    s.send(b"\x01\x0b"); // ctrl-a, ctrl-k: clear the line
    s.send(b"select 1/0;");
    s.send(b"\x1b[15~");
    s.wait_for(WAIT, |sc| sc.contains("22012"))
        .unwrap_or_else(|sc| panic!("error not shown:\n{sc}"));
    s.send(b"\x01\x0b");
    s.send(format!("alter role pw_user password '{TYPED_PW}';").as_bytes());
    s.send(b"\x1b[15~");
    s.wait_for(WAIT, |sc| sc.contains("ALTER ROLE"))
        .unwrap_or_else(|sc| panic!("alter role not run:\n{sc}"));
    // give the autosave (every 2 s) a chance to write the buffer with the typed password
    std::thread::sleep(Duration::from_millis(2500));
    s.send(b"\x11"); // ctrl-q
    let status = s.wait_exit(WAIT).expect("exits");
    assert!(status.success(), "{status:?}");
    let raw = String::from_utf8_lossy(&s.raw).into_owned();
    assert!(!raw.contains(PW), "the password reached the terminal");

    // files: the state directory, config directory and the log
    assert!(
        std::fs::metadata(&log).is_ok_and(|m| m.len() > 0),
        "PGDECK_LOG wrote no log"
    );
    let leaks = files_containing(scratch.path(), PW);
    assert!(leaks.is_empty(), "connection password in {leaks:?}");
    let typed: Vec<String> = files_containing(scratch.path(), TYPED_PW);
    assert!(
        typed.iter().all(|f| f.contains("/buffers/")),
        "a typed password outside the autosaved buffers: {typed:?}"
    );
    assert!(
        !typed.is_empty(),
        "the autosaved buffer should keep the editor's text"
    );
    for f in [log.clone(), scratch.path().join("state/history.jsonl")] {
        let mode = std::fs::metadata(&f)
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()))
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{} is readable by others", f.display());
    }
    for f in std::fs::read_dir(scratch.path().join("state/buffers"))
        .expect("buffers")
        .flatten()
    {
        let mode = f.metadata().expect("meta").permissions().mode();
        assert_eq!(mode & 0o077, 0, "{:?} is readable by others", f.path());
    }

    // headless: a failing statement, conninfo, a wrong database, a wrong password
    c.psql(
        "postgres",
        &format!("set password_encryption = 'scram-sha-256'; alter role pw_user password '{PW}'"),
    )
    .expect("password back");
    let base = format!(
        "host={} port={} user=pw_user password={PW}",
        c.socket_dir().display(),
        c.port()
    );
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pgdeck"))
            .args(args)
            .env("PGDECK_CONFIG_DIR", &cfg)
            .env("HOME", &cfg)
            .output()
            .expect("run pgdeck");
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let uri_pw = format!(
        "postgresql://pw_user:{PW}@/pwdb?host={}&port={}",
        c.socket_dir().display(),
        c.port()
    );
    for (what, out) in [
        (
            "query error",
            run(&["query", &format!("{base} dbname=pwdb"), "-c", "select 1/0"]),
        ),
        (
            "conninfo",
            run(&["conninfo", &format!("{base} dbname=pwdb")]),
        ),
        ("conninfo uri", run(&["conninfo", &uri_pw, "--json"])),
        (
            "missing database",
            run(&[
                "query",
                &format!("{base} dbname=nosuchdb"),
                "-c",
                "select 1",
            ]),
        ),
        (
            "wrong password",
            run(&[
                "query",
                &format!("{base} dbname=pwdb").replace(PW, &format!("{PW}-but-wrong")),
                "-c",
                "select 1",
            ]),
        ),
        (
            "check on a missing database",
            run(&["check", &uri_pw.replace("/pwdb", "/nosuchdb")]),
        ),
    ] {
        assert!(!out.contains(PW), "{what} shows the password: {out}");
        assert!(!out.trim().is_empty(), "{what} printed nothing");
    }
}
