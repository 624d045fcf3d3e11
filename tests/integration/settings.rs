//! The settings group against real servers: one started with risky settings (no fsync, no full page
//! writes, no autovacuum, asynchronous commit, a small shared_buffers, pg_stat_statements not
//! preloaded) and stated hardware, as `pgdeck check --group settings` reports it (JSON contract,
//! exit codes, fix SQL); one with safe settings; the hardware read from this machine or skipped; a
//! pg_monitor role and a plain role; where each value comes from (ALTER SYSTEM, pending restart).

use std::process::Command;
use std::sync::OnceLock;

use pgdeck::cluster::{ClusterOptions, TempCluster};
use pgdeck::model::settings::Setting;

use super::common::{Scratch, target};

/// A server with the risky settings of the issue, shared by the tests of this file.
fn risky() -> &'static TempCluster {
    static RISKY: OnceLock<TempCluster> = OnceLock::new();
    RISKY.get_or_init(|| {
        // the cluster defaults already turn off fsync, full_page_writes and synchronous_commit
        TempCluster::start(
            ClusterOptions::default()
                .setting("autovacuum", "off")
                .setting("shared_buffers", "16MB")
                .preload_pg_stat_statements(false),
        )
        .expect("start the risky cluster")
    })
}

fn conninfo(c: &TempCluster, user: &str) -> String {
    format!(
        "host={} port={} user={user} dbname=postgres",
        c.socket_dir().display(),
        c.port()
    )
}

/// Run `pgdeck check ARGS` with no PG* variables and an empty config dir (or `config` as its
/// config.toml).
fn pgdeck_check(args: &[&str], config: Option<&str>) -> (i32, String, String) {
    let home = Scratch::new("settings_cli");
    let cfg_dir = home.path().join("config");
    std::fs::create_dir_all(&cfg_dir).expect("config dir");
    if let Some(text) = config {
        std::fs::write(cfg_dir.join("config.toml"), text).expect("config.toml");
    }
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgdeck"));
    cmd.arg("check").args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("PG") {
            cmd.env_remove(&k);
        }
    }
    cmd.env("HOME", home.path())
        .env("PGDECK_CONFIG_DIR", &cfg_dir);
    let out = cmd.output().expect("run pgdeck check");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const HW16: [&str; 8] = [
    "--ram",
    "16GB",
    "--cpus",
    "8",
    "--storage",
    "ssd",
    "--workload",
    "oltp",
];

fn json_check(ci: &str, extra: &[&str]) -> (i32, serde_json::Value, String) {
    let mut args = vec![ci, "--group", "settings", "--format", "json"];
    args.extend_from_slice(extra);
    let (code, out, err) = pgdeck_check(&args, None);
    let v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("json ({e}): {out}\n{err}"));
    (code, v, err)
}

fn finding<'a>(v: &'a serde_json::Value, object: &str) -> Option<&'a serde_json::Value> {
    v["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["object"] == object))
}

#[test]
fn risky_settings_and_the_stated_hardware_are_reported() {
    let c = risky();
    let ci = conninfo(c, "postgres");
    let (code, v, err) = json_check(&ci, &HW16);
    assert_eq!(
        code, 1,
        "criticals fail the default --fail-on warning: {err}"
    );
    assert!(v["errors"].as_array().is_some_and(|e| e.is_empty()), "{v}");
    let findings = v["findings"].as_array().expect("findings");
    for f in findings {
        assert_eq!(f["check"], "setting", "{f}");
        assert_eq!(f["group"], "settings", "{f}");
        assert_eq!(f["schema"], "", "{f}");
        assert!(f["table"].is_null(), "{f}");
        assert!(
            f["fix"].is_string(),
            "every setting finding has its fix: {f}"
        );
    }
    for (object, severity) in [
        ("fsync", "critical"),
        ("full_page_writes", "critical"),
        ("autovacuum", "critical"),
        ("synchronous_commit", "info"),
        ("shared_preload_libraries", "info"),
        ("idle_in_transaction_session_timeout", "info"),
        ("shared_buffers", "warning"),
    ] {
        let f = finding(&v, object).unwrap_or_else(|| panic!("no finding for {object}: {v:#}"));
        assert_eq!(f["severity"], severity, "{f}");
    }
    // criticals sort first
    assert_eq!(findings[0]["severity"], "critical");
    // the server's own values are set on its command line: the fix says so
    let fsync = finding(&v, "fsync").expect("fsync");
    let fix = fsync["fix"].as_str().expect("fix");
    assert!(fix.contains("-c fsync=off"), "{fix}");
    assert!(
        fix.contains("ALTER SYSTEM SET fsync = 'on';\nSELECT pg_reload_conf();"),
        "{fix}"
    );
    assert!(
        finding(&v, "synchronous_commit").expect("sc")["message"]
            .as_str()
            .is_some_and(|m| m.contains("does not corrupt")),
        "{v:#}"
    );
    // shared_buffers: 16MB now, 4GB for 16GB of RAM, applied by a restart
    let sb = finding(&v, "shared_buffers").expect("shared_buffers");
    assert_eq!(sb["evidence"]["current"], "16MB");
    assert_eq!(sb["evidence"]["recommended"], "4GB");
    assert_eq!(sb["evidence"]["current_value"], 16 << 20);
    assert_eq!(sb["evidence"]["recommended_value"], 4u64 << 30);
    assert_eq!(sb["evidence"]["applies"], "restart");
    assert!(
        sb["fix"].as_str().is_some_and(
            |f| f.contains("ALTER SYSTEM SET shared_buffers = '4GB';") && f.contains("restart")
        ),
        "{sb}"
    );
    // work_mem as PGTune gives it for the same inputs: 13617kB
    let wm = finding(&v, "work_mem").expect("work_mem 4MB is far from 13617kB");
    assert_eq!(wm["evidence"]["recommended"], "13617kB");
    assert_eq!(wm["evidence"]["applies"], "reload");
    // the note says the hardware was stated
    let notes = v["notes"].to_string();
    assert!(
        notes.contains("stated: 16GB RAM, 8 CPUs, ssd storage, oltp workload"),
        "{notes}"
    );

    // --fail-on critical: still 1 (fsync); text output carries the note and the criticals
    let mut args = vec![ci.as_str(), "--group", "settings", "--fail-on", "critical"];
    args.extend_from_slice(&HW16);
    let (code, out, _) = pgdeck_check(&args, None);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("CRITICAL setting  fsync"), "{out}");
    assert!(out.contains("Note: stated: 16GB RAM"), "{out}");

    // bad hardware input: exit 2, with a message naming the problem
    let (code, _, err) = pgdeck_check(&[&ci, "--group", "settings", "--ram", "16XB"], None);
    assert_eq!(code, 2);
    assert!(err.contains("unknown unit `XB`"), "{err}");
    let (code, _, err) = pgdeck_check(&[&ci, "--ram", "16"], None);
    assert_eq!(code, 2);
    assert!(err.contains("has no unit"), "{err}");
    let (code, _, err) = pgdeck_check(&[&ci, "--storage", "tape"], None);
    assert_eq!(code, 2);
    assert!(err.contains("unknown storage `tape`"), "{err}");
    let (code, _, err) = pgdeck_check(&[&ci, "--workload", "batch"], None);
    assert_eq!(code, 2);
    assert!(err.contains("unknown workload `batch`"), "{err}");
    // a typo in config.toml's [hardware]: exit 2 naming file, key and line
    let (code, _, err) = pgdeck_check(&[&ci], Some("[hardware]\nram = \"lots\"\n"));
    assert_eq!(code, 2);
    assert!(
        err.contains("[hardware] ram:") && err.contains("(line 2)"),
        "{err}"
    );
}

#[test]
fn hardware_comes_from_config_this_machine_or_is_skipped() {
    let c = risky();
    let ci = conninfo(c, "postgres");
    // the server is on this machine (a unix socket): its RAM is read and said so
    let (_, v, _) = json_check(&ci, &[]);
    let notes = v["notes"].to_string();
    assert!(
        notes.contains("hardware read from this machine (over a unix socket)"),
        "{notes}"
    );
    assert!(
        finding(&v, "shared_buffers").is_some(),
        "16MB is far from a quarter of any machine's RAM: {v:#}"
    );
    // what the user states wins over what the machine says
    let (_, v, _) = json_check(&ci, &["--ram", "64GB"]);
    let sb = finding(&v, "shared_buffers").expect("shared_buffers");
    assert_eq!(sb["evidence"]["recommended"], "16GB");
    assert!(v["notes"].to_string().contains("stated: 64GB RAM"), "{v}");
    // config.toml's [hardware]
    let (_, out, err) = pgdeck_check(
        &[&ci, "--group", "settings", "--format", "json"],
        Some("[hardware]\nram = \"8GB\"\nworkload = \"dw\"\ndetect = false\n"),
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{err}"));
    let sb = finding(&v, "shared_buffers").expect("shared_buffers");
    assert_eq!(sb["evidence"]["recommended"], "2GB");
    assert!(
        v["notes"].to_string().contains("stated: 8GB RAM")
            && v["notes"].to_string().contains("dw workload"),
        "{v}"
    );
    // not read from the machine (as for a remote server): the recommendations are skipped and the
    // note says how to give the hardware; the risks are still reported
    let (code, v, _) = json_check(&ci, &["--no-detect-hardware"]);
    assert_eq!(code, 1);
    let notes = v["notes"].to_string();
    assert!(
        notes.contains("hardware recommendations skipped"),
        "{notes}"
    );
    assert!(notes.contains("--ram 16GB"), "{notes}");
    assert!(finding(&v, "shared_buffers").is_none(), "{v:#}");
    assert!(finding(&v, "fsync").is_some(), "{v:#}");
    // a report narrowed to a schema has no server-wide findings
    let (_, v, _) = json_check(&ci, &["--schema", "public"]);
    assert!(
        v["findings"].as_array().is_some_and(|f| f.is_empty()),
        "{v:#}"
    );
}

#[test]
fn a_safe_server_has_no_criticals() {
    let c = TempCluster::start(
        ClusterOptions::default()
            .setting("fsync", "on")
            .setting("full_page_writes", "on")
            .setting("synchronous_commit", "on")
            .setting("idle_in_transaction_session_timeout", "10min"),
    )
    .expect("start a safe cluster");
    let ci = conninfo(&c, "postgres");
    let (code, v, err) = json_check(&ci, &["--fail-on", "critical", "--ram", "1GB"]);
    assert_eq!(code, 0, "{v:#}\n{err}");
    let objects: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["object"].as_str())
        .collect();
    for risky in [
        "fsync",
        "full_page_writes",
        "autovacuum",
        "track_counts",
        "synchronous_commit",
        "idle_in_transaction_session_timeout",
        "max_connections",
    ] {
        assert!(!objects.contains(&risky), "{risky} in {objects:?}");
    }
    // pg_stat_statements is preloaded when the library is installed
    if c.bin().has_pg_stat_statements() {
        assert!(
            !objects.contains(&"shared_preload_libraries"),
            "{objects:?}"
        );
    }
    // 1GB of RAM: 128MB of shared_buffers is PGTune's 256MB within 2x, no finding
    assert!(!objects.contains(&"shared_buffers"), "{objects:?}");
}

#[test]
fn a_pg_monitor_role_runs_the_settings_group() {
    let c = risky();
    let role = format!("settings_mon_{}", std::process::id());
    c.psql(
        "postgres",
        &format!("create role {role} login in role pg_monitor;"),
    )
    .expect("create role");
    let (code, v, err) = json_check(&conninfo(c, &role), &HW16);
    assert_eq!(code, 1, "{err}");
    assert!(
        v["errors"].as_array().is_some_and(|e| e.is_empty()),
        "a pg_monitor role hit errors: {v:#}"
    );
    for object in [
        "fsync",
        "autovacuum",
        "shared_buffers",
        "shared_preload_libraries",
    ] {
        assert!(finding(&v, object).is_some(), "{object}: {v:#}");
    }
}

async fn snapshot(ci: &str) -> pgdeck::db::settings::SettingsSnapshot {
    let conn = pgdeck::conn::connect(&target(ci), "settings test")
        .await
        .expect("connect");
    pgdeck::db::settings::snapshot(&conn.client)
        .await
        .expect("settings")
}

fn get<'a>(all: &'a [Setting], name: &str) -> &'a Setting {
    all.iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no {name}"))
}

#[tokio::test]
async fn every_setting_with_its_source_as_superuser_and_as_a_plain_role() {
    let c = TempCluster::start(ClusterOptions::default().setting("shared_buffers", "16MB"))
        .expect("start a cluster");
    c.psql(
        "postgres",
        "alter system set work_mem = '64MB'; alter system set max_locks_per_transaction = 128; select pg_reload_conf();",
    )
    .expect("alter system");
    // pg_reload_conf signals the postmaster, which rereads the files soon after: new sessions see it
    let mut snap = snapshot(&conninfo(&c, "postgres")).await;
    for _ in 0..100 {
        if get(&snap.settings, "work_mem").human() == "64MB" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        snap = snapshot(&conninfo(&c, "postgres")).await;
    }
    assert!(snap.settings.len() > 200, "{}", snap.settings.len());
    assert!(snap.version_num >= 120000);
    let sb = get(&snap.settings, "shared_buffers");
    assert_eq!(sb.human(), "16MB");
    assert_eq!(sb.unit.as_deref(), Some("8kB"));
    assert_eq!(sb.origin(), "the server's command line (-c)");
    assert!(sb.changed());
    let wm = get(&snap.settings, "work_mem");
    assert_eq!(wm.human(), "64MB");
    assert_eq!(wm.origin(), "ALTER SYSTEM (postgresql.auto.conf)");
    // a postmaster parameter changed in the file waits for a restart, and says so
    let locks = get(&snap.settings, "max_locks_per_transaction");
    assert!(locks.pending_restart, "{locks:?}");
    assert_eq!(locks.human(), "64");
    assert!(!wm.pending_restart);
    let st = get(&snap.settings, "statement_timeout");
    assert!(!st.changed());
    assert_eq!(st.origin(), "default");
    let mc = get(&snap.settings, "max_connections");
    assert_eq!(mc.origin(), "the server's command line (-c)");
    assert_eq!(snap.facts.database, "postgres");
    assert_eq!(snap.facts.user, "postgres");

    // a plain role: no source files, no superuser-only parameters, everything else
    let role = format!("settings_plain_{}", std::process::id());
    c.psql("postgres", &format!("create role {role} login;"))
        .expect("create role");
    let plain = snapshot(&conninfo(&c, &role)).await;
    assert!(plain.settings.len() > 200);
    let wm = get(&plain.settings, "work_mem");
    assert_eq!(wm.human(), "64MB");
    assert!(wm.sourcefile.is_none());
    assert!(wm.origin().contains("hidden"), "{}", wm.origin());
    assert!(
        plain.settings.iter().all(|s| s.sourcefile.is_none()),
        "no file names for a plain role"
    );
}
