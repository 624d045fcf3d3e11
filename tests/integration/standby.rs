//! On a hot standby: a replica made by the test with `pg_basebackup -R` from a primary of its own.
//! pgdeck connects, knows it is on a standby, shows the replica's lag in the activity snapshot,
//! refuses nothing itself but shows the server's refusal of a write, and the health report and
//! the headless commands run.

use std::process::Command;
use std::time::{Duration, Instant};

use pgdeck::cluster::{ClusterOptions, TempCluster};
use pgdeck::db::{self, Reply, Request, Settings, Worker, WorkerEvent};

use super::common::{Scratch, target};

/// A primary and a streaming hot standby of it.
fn primary_and_standby() -> (TempCluster, TempCluster, Scratch) {
    let primary = TempCluster::start(ClusterOptions::default().preload_pg_stat_statements(false))
        .expect("start the primary");
    primary.create_database("app").expect("database");
    primary
        .psql(
            "app",
            "create table t(id int primary key, v text); insert into t values (1, 'one');",
        )
        .expect("table");
    let scratch = Scratch::new("standby");
    let data = scratch.path().join("data");
    let basebackup = primary.bin().dir.join("pg_basebackup");
    let mut cmd = match primary.server_os_user() {
        Some(user) => {
            let out = Command::new("chown")
                .arg(user)
                .arg(scratch.path())
                .output()
                .expect("chown");
            assert!(out.status.success());
            let mut c = Command::new("runuser");
            c.args(["-u", user, "--"]).arg(&basebackup);
            c
        }
        None => Command::new(&basebackup),
    };
    let out = cmd
        .arg("-h")
        .arg(primary.socket_dir())
        .args([
            "-p",
            &primary.port().to_string(),
            "-U",
            "postgres",
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
            "-D",
        ])
        .arg(&data)
        .output()
        .expect("run pg_basebackup");
    assert!(
        out.status.success(),
        "pg_basebackup: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let standby = TempCluster::start(
        ClusterOptions::default()
            .preload_pg_stat_statements(false)
            .template(&data),
    )
    .expect("start the standby from the base backup");
    (primary, standby, scratch)
}

fn pgdeck(args: &[&str], home: &std::path::Path) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgdeck"));
    cmd.args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("PG") {
            cmd.env_remove(&k);
        }
    }
    cmd.env("HOME", home)
        .env("PGDECK_CONFIG_DIR", home.join("config"))
        .env("PGDECK_STATE_DIR", home.join("state"))
        .output()
        .expect("run pgdeck")
}

#[tokio::test]
async fn on_a_hot_standby_pgdeck_reads_and_the_server_refuses_writes() {
    let (primary, standby, _scratch) = primary_and_standby();
    let ci = standby.conninfo("app");
    let t = target(&ci);
    let conns = db::open(&t, &Settings::default())
        .await
        .expect("connect to the standby");
    assert!(conns.info.in_recovery, "{:?}", conns.info);
    let (requests, mut events) = Worker::spawn(conns, t, Settings::default());

    // A write: the server's own refusal reaches the user.
    let id = requests.send(Request::Run {
        sql: "insert into t values (2, 'two')".into(),
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let outcome = loop {
        let ev = tokio::time::timeout_at(deadline.into(), events.recv())
            .await
            .expect("a reply")
            .expect("worker alive");
        if let WorkerEvent::Response(r) = ev
            && r.id == id
            && let Ok(Reply::RunFinished(o)) = r.reply
        {
            break o;
        }
    };
    let e = outcome.error.expect("a standby refuses writes");
    assert_eq!(e.sqlstate(), Some("25006"), "{e}");

    // Rows written on the primary arrive.
    primary
        .psql("app", "insert into t values (3, 'three')")
        .expect("write on the primary");
    let home = Scratch::new("standby_home");
    let start = Instant::now();
    loop {
        let out = pgdeck(
            &["query", &ci, "--csv", "-c", "select count(*) from t"],
            home.path(),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        if String::from_utf8_lossy(&out.stdout) == "count\n2\n" {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "replication stalled"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // The activity snapshot works there and knows it is a standby.
    let out = pgdeck(
        &["activity", &ci, "--once", "--format", "json"],
        home.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("activity JSON");
    assert!(v["sessions"].is_array(), "{v}");
    let summary = v["summary"].to_string();
    assert_eq!(v["summary"]["in_recovery"], true, "{summary}");
    assert!(
        v["summary"]["standby_lag"]["replay_lag_s"].is_number(),
        "the replica's lag is shown: {summary}"
    );

    // The health report runs on a standby (exit 0 or 1: findings, not an error).
    let out = pgdeck(&["check", &ci, "--format", "json"], home.path());
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );

    // A slot on the standby (for a cascaded replica that is gone): the WAL it holds is measured
    // from the standby's replay position, as a standby has no current WAL position of its own.
    standby
        .psql(
            "app",
            "select pg_create_physical_replication_slot('cascade_gone', true);",
        )
        .expect("a slot on the standby");
    let out = pgdeck(
        &[
            "check",
            &ci,
            "--check",
            "replication_slot_inactive",
            "--format",
            "json",
        ],
        home.path(),
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("check JSON");
    assert!(v["errors"].as_array().is_some_and(|e| e.is_empty()), "{v}");
    let slot = v["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["object"] == "cascade_gone"))
        .unwrap_or_else(|| panic!("{v}"));
    assert!(
        slot["evidence"]["retained_bytes"].as_i64().is_some(),
        "{slot}"
    );
    assert!(
        slot["message"]
            .as_str()
            .is_some_and(|m| m.contains("this standby's replay position")),
        "{slot}"
    );
}
