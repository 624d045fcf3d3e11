//! The activity monitor against a real server: a blocking chain of several levels built from real
//! sessions (an idle-in-transaction root, a row-lock waiter, a queued ACCESS EXCLUSIVE, a reader stuck
//! behind it), the forest pgdeck builds from it, cancel and terminate with the `(pid, backend_start)`
//! re-check and the refusal of pgdeck's own pids, a pg_monitor role and a plain role, and
//! `pgdeck activity` as a user runs it (JSON shape, exit codes).

use std::process::Command;
use std::time::{Duration, Instant};

use pgdeck::conn;
use pgdeck::db::activity::{self, ActivityQueries};
use pgdeck::db::{self, Connections, Settings};
use pgdeck::model::activity::{Signal, SignalOutcome, Snapshot, flatten, lock_forest};

use super::common::{cluster, fresh_db, target};

async fn open(ci: &str) -> (Connections, ActivityQueries) {
    let conns = db::open(&target(ci), &Settings::default())
        .await
        .expect("open connections");
    let q = ActivityQueries::new(&conns.info);
    (conns, q)
}

async fn snap(c: &Connections, q: &ActivityQueries) -> Snapshot {
    activity::snapshot(&c.monitor.client, q, &c.own_pids)
        .await
        .expect("snapshot")
}

/// An extra session with a name, its pid, and a task that runs a statement on it.
struct Extra {
    pid: i32,
    client: std::sync::Arc<tokio_postgres::Client>,
}

async fn extra(ci: &str, app: &str) -> Extra {
    let c = conn::connect(&target(ci), app).await.expect("connect");
    let client = std::sync::Arc::new(c.client);
    let row = client
        .query_one("select pg_backend_pid()", &[])
        .await
        .expect("pid");
    Extra {
        pid: row.get(0),
        client,
    }
}

impl Extra {
    /// Start `sql` in the background (it may block); the handle yields its result.
    fn spawn(&self, sql: &str) -> tokio::task::JoinHandle<Result<(), tokio_postgres::Error>> {
        let c = self.client.clone();
        let sql = sql.to_string();
        tokio::spawn(async move { c.batch_execute(&sql).await })
    }
}

/// Poll until `n` sessions wait on a lock (or fail after 10 s).
async fn until_waiting(c: &Connections, q: &ActivityQueries, n: usize) -> Snapshot {
    let t0 = Instant::now();
    loop {
        let s = snap(c, q).await;
        if s.sessions
            .iter()
            .filter(|s| !s.blocked_by.is_empty())
            .count()
            >= n
        {
            return s;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "waited for {n} waiters: {:#?}",
            s.sessions
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// root (idle in transaction, holds a row lock) ← row waiter; root and row waiter ← queued ACCESS
/// EXCLUSIVE; the ACCESS EXCLUSIVE ← a plain reader (a soft block: it waits in the queue).
struct Chain {
    root: Extra,
    row: Extra,
    ddl: Extra,
    reader: Extra,
    tasks: Vec<tokio::task::JoinHandle<Result<(), tokio_postgres::Error>>>,
}

async fn chain(name: &str, ci: &str) -> Chain {
    cluster()
        .psql(
            name,
            "create table orders (id int primary key, v int); insert into orders values (1, 0), (2, 0);",
        )
        .expect("table");
    let root = extra(ci, "root").await;
    root.client
        .batch_execute("begin; update orders set v = 1 where id = 1;")
        .await
        .expect("root");
    let row = extra(ci, "row waiter").await;
    let ddl = extra(ci, "ddl").await;
    let reader = extra(ci, "reader").await;
    let mut tasks = vec![row.spawn("update orders set v = 2 where id = 1")];
    tokio::time::sleep(Duration::from_millis(200)).await;
    tasks.push(ddl.spawn("alter table orders add column w int"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    tasks.push(reader.spawn("select count(*) from orders"));
    Chain {
        root,
        row,
        ddl,
        reader,
        tasks,
    }
}

#[tokio::test]
async fn a_real_chain_of_several_levels_becomes_one_tree_rooted_at_the_idle_transaction() {
    let (name, ci) = fresh_db("act_chain");
    let (c, q) = open(&ci).await;
    let ch = chain(&name, &ci).await;
    let s = until_waiting(&c, &q, 3).await;
    // other tests run chains of their own on the same cluster: keep this test's tree
    let mut forest = lock_forest(&s.sessions);
    forest.retain(|n| n.pid == ch.root.pid);
    assert_eq!(forest.len(), 1, "{forest:#?}");
    let root = &forest[0];
    assert_eq!(root.pid, ch.root.pid);
    assert_eq!(root.blocks_n, 3, "{forest:#?}");
    assert_eq!(root.state.as_deref(), Some("idle in transaction"));
    let flat: Vec<(usize, i32)> = flatten(&forest).iter().map(|(d, n)| (*d, n.pid)).collect();
    // the reader sits at least three levels down (root → row → ddl → reader)
    assert!(
        flat.contains(&(3, ch.reader.pid)),
        "{flat:?} (root {}, row {}, ddl {}, reader {})",
        ch.root.pid,
        ch.row.pid,
        ch.ddl.pid,
        ch.reader.pid
    );
    let ddl = s
        .sessions
        .iter()
        .find(|x| x.pid == ch.ddl.pid)
        .expect("ddl");
    let lock = ddl.lock.as_ref().expect("the ddl waits on a lock");
    assert_eq!(lock.mode, "AccessExclusiveLock");
    assert_eq!(lock.relation.as_deref(), Some("orders"));
    assert!(lock.wait_s.is_some_and(|w| w > 0.0));
    // vitals are there
    assert!(s.vitals.max_connections > 0);
    assert!(s.vitals.connections >= 6);
    assert!(s.vitals.in_state("idle in transaction") >= 1);
    assert!(
        s.vitals
            .oldest_xmin
            .as_ref()
            .is_some_and(|x| x.kind == "backend")
    );
    // terminating the root releases the whole chain
    let root_s = s
        .sessions
        .iter()
        .find(|x| x.pid == ch.root.pid)
        .expect("root")
        .clone();
    let out = activity::signal(&c.monitor.client, &root_s, Signal::Terminate, &c.own_pids)
        .await
        .expect("terminate");
    assert_eq!(out, SignalOutcome::Signalled);
    for t in ch.tasks {
        let r = tokio::time::timeout(Duration::from_secs(10), t)
            .await
            .expect("released")
            .expect("join");
        assert!(r.is_ok(), "{r:?}");
    }
    // the same (pid, backend_start) again: gone
    let again = activity::signal(&c.monitor.client, &root_s, Signal::Terminate, &c.own_pids)
        .await
        .expect("terminate again");
    assert_eq!(again, SignalOutcome::AlreadyGone);
}

#[tokio::test]
async fn cancel_rechecks_backend_start_and_refuses_own_pids() {
    let (name, ci) = fresh_db("act_cancel");
    let (c, q) = open(&ci).await;
    let ch = chain(&name, &ci).await;
    let s = until_waiting(&c, &q, 3).await;
    let row = s
        .sessions
        .iter()
        .find(|x| x.pid == ch.row.pid)
        .expect("row waiter")
        .clone();
    // a pid reused by another session: the start time no longer matches, nothing is signalled
    let mut stale = row.clone();
    stale.backend_start_us = stale.backend_start_us.map(|t| t - 1);
    let out = activity::signal(&c.monitor.client, &stale, Signal::Cancel, &c.own_pids)
        .await
        .expect("signal");
    assert_eq!(out, SignalOutcome::AlreadyGone);
    // pgdeck's own connections
    for own in s.sessions.iter().filter(|x| x.own) {
        let out = activity::signal(&c.monitor.client, own, Signal::Terminate, &c.own_pids)
            .await
            .expect("signal");
        assert!(matches!(out, SignalOutcome::Refused(_)), "{out:?}");
    }
    assert_eq!(s.sessions.iter().filter(|x| x.own).count(), 2);
    // cancel the real one: its statement fails with query_canceled, the session stays
    let out = activity::signal(&c.monitor.client, &row, Signal::Cancel, &c.own_pids)
        .await
        .expect("signal");
    assert_eq!(out, SignalOutcome::Signalled);
    let mut tasks = ch.tasks.into_iter();
    let first = tokio::time::timeout(Duration::from_secs(10), tasks.next().expect("task"))
        .await
        .expect("cancelled in time")
        .expect("join");
    let err = first.expect_err("cancelled");
    assert_eq!(
        err.code().map(|c| c.code()),
        Some("57014"),
        "query_canceled: {err}"
    );
    ch.root
        .client
        .batch_execute("rollback")
        .await
        .expect("rollback");
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
    }
    drop((ch.ddl, ch.reader));
}

#[tokio::test]
async fn a_pg_monitor_role_sees_everything_and_a_plain_role_sees_hidden_rows() {
    let (name, ci) = fresh_db("act_roles");
    let mon = format!("act_mon_{}", std::process::id());
    let plain = format!("act_plain_{}", std::process::id());
    cluster()
        .psql(
            &name,
            &format!("create role {mon} login in role pg_monitor; create role {plain} login;"),
        )
        .expect("roles");
    let victim = extra(&ci, "superuser session").await;
    victim
        .client
        .batch_execute("begin; select 1;")
        .await
        .expect("tx");
    let cl = cluster();
    let role_ci = |r: &str| {
        format!(
            "host={} port={} user={r} dbname={name}",
            cl.socket_dir().display(),
            cl.port()
        )
    };
    let (c, q) = open(&role_ci(&mon)).await;
    let s = snap(&c, &q).await;
    let v = s
        .sessions
        .iter()
        .find(|x| x.pid == victim.pid)
        .expect("visible");
    assert_eq!(v.state.as_deref(), Some("idle in transaction"));
    assert!(!v.hidden());
    // pg_monitor may not signal a superuser's session: reported, not an error
    let out = activity::signal(&c.monitor.client, v, Signal::Terminate, &c.own_pids)
        .await
        .expect("signal");
    assert!(matches!(out, SignalOutcome::NotPermitted(_)), "{out:?}");

    let (c, q) = open(&role_ci(&plain)).await;
    let s = snap(&c, &q).await;
    let v = s
        .sessions
        .iter()
        .find(|x| x.pid == victim.pid)
        .expect("listed, not dropped");
    assert!(v.hidden(), "{v:?}");
    assert!(s.vitals.max_connections > 0);
    let out = activity::signal(&c.monitor.client, v, Signal::Terminate, &c.own_pids)
        .await
        .expect("signal");
    assert!(matches!(out, SignalOutcome::Refused(_)), "{out:?}");
}

fn pgdeck(args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgdeck"));
    for (k, _) in std::env::vars() {
        if k.starts_with("PG") {
            cmd.env_remove(&k);
        }
    }
    let home = std::env::temp_dir().join(format!("pgdeck-act-home-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&home);
    cmd.args(args)
        .env("HOME", &home)
        .env("PGDECK_CONFIG_DIR", home.join("config"))
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run pgdeck")
}

#[tokio::test(flavor = "multi_thread")]
async fn pgdeck_activity_once_json_has_the_documented_shape_and_signals_exit_codes() {
    let (name, ci) = fresh_db("act_cli");
    let ch = chain(&name, &ci).await;
    let (c, q) = open(&ci).await;
    until_waiting(&c, &q, 3).await;

    let out = pgdeck(&["activity", &ci, "--once", "--format", "json"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    let sessions = j["sessions"].as_array().expect("sessions");
    let root = sessions
        .iter()
        .find(|s| s["pid"] == ch.root.pid)
        .expect("root session");
    for key in [
        "pid",
        "user",
        "database",
        "application",
        "backend_type",
        "state",
        "wait_event_type",
        "wait_event",
        "xact_age_s",
        "query_age_s",
        "blocked_by",
        "query",
    ] {
        assert!(root.get(key).is_some(), "missing {key}: {root}");
    }
    assert_eq!(root["application"], "root");
    let tree: Vec<&serde_json::Value> = j["lock_tree"]
        .as_array()
        .expect("lock_tree")
        .iter()
        .filter(|n| n["pid"] == ch.root.pid)
        .collect();
    assert_eq!(tree.len(), 1, "{tree:?}");
    for key in ["mode", "relation", "wait_s", "query", "blocked"] {
        assert!(tree[0].get(key).is_some(), "missing {key}");
    }
    let first = &tree[0]["blocked"][0];
    assert!(first["mode"].is_string(), "{first}");
    assert!(j["summary"]["connections"].as_i64().is_some_and(|n| n >= 5));
    assert!(j["summary"]["max_connections"].as_i64().is_some());

    let text = pgdeck(&["activity", &ci, "--once"]);
    let t = String::from_utf8_lossy(&text.stdout);
    assert!(text.status.success());
    assert!(
        t.contains("blocking:") && t.contains(&format!("pid {}", ch.root.pid)),
        "{t}"
    );

    // no terminal and no --yes: refuse to ask, exit 2, nothing signalled
    let pid = ch.root.pid.to_string();
    let out = pgdeck(&["activity", &ci, "--terminate", &pid]);
    assert_eq!(out.status.code(), Some(2));
    // unknown pid: not signalled, exit 1
    let out = pgdeck(&["activity", &ci, "--cancel", "999999", "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    // the real thing
    let out = pgdeck(&["activity", &ci, "--terminate", &pid, "--yes"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("terminate signalled"), "{err}");
    for t in ch.tasks {
        let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
    }
    // bad connection: exit 2
    let out = pgdeck(&["activity", "host=/nonexistent port=1", "--once"]);
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn the_pg13_variants_run_and_top_statements_follow_the_installed_extension() {
    let (name, ci) = fresh_db("act_variants");
    let (c, q) = open(&ci).await;
    // the 13 variant (no query_id, no waitstart, no pg_stat_progress_copy) is valid SQL too
    let mut info13 = c.info.clone();
    info13.version_num = 130000;
    let q13 = ActivityQueries::new(&info13);
    let s = activity::snapshot(&c.monitor.client, &q13, &c.own_pids)
        .await
        .expect("13 variant");
    assert!(s.sessions.iter().all(|x| x.query_id.is_none()));
    // without the extension in this database: None, not an error
    assert!(!q.has_statements());
    assert_eq!(
        activity::top_statements(&c.monitor.client, &q, 10)
            .await
            .expect("top"),
        None
    );
    if cluster().bin().has_pg_stat_statements()
        && cluster()
            .psql(&name, "create extension pg_stat_statements; select 1;")
            .is_ok()
    {
        let (c, q) = open(&ci).await;
        assert!(q.has_statements());
        c.monitor
            .client
            .batch_execute("select count(*) from pg_class")
            .await
            .expect("query");
        let top = activity::top_statements(&c.monitor.client, &q, 50)
            .await
            .expect("top statements")
            .expect("installed");
        assert!(!top.is_empty());
        assert!(top.iter().all(|t| t.calls > 0 && t.total_ms >= 0.0));
    }
}

#[tokio::test]
async fn a_running_create_index_shows_in_the_progress_vitals() {
    let (name, ci) = fresh_db("act_progress");
    cluster()
        .psql(
            &name,
            "create table p (id int primary key, v int); insert into p select g, g from generate_series(1, 1000) g;",
        )
        .expect("table");
    let (c, q) = open(&ci).await;
    // an open writer makes CREATE INDEX CONCURRENTLY wait in its "waiting for writers" phase
    let writer = extra(&ci, "writer").await;
    writer
        .client
        .batch_execute("begin; insert into p values (5000, 1);")
        .await
        .expect("writer");
    let builder = extra(&ci, "builder").await;
    let task = builder.spawn("create index concurrently p_v on p (v)");
    let t0 = Instant::now();
    let found = loop {
        let s = snap(&c, &q).await;
        if let Some(p) = s
            .vitals
            .progress
            .iter()
            .find(|p| p.pid == builder.pid)
            .cloned()
        {
            break p;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "{:?}",
            s.vitals.progress
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(found.command.contains("CREATE INDEX"), "{found:?}");
    assert_eq!(found.relation.as_deref(), Some("p"));
    assert!(found.phase.is_some());
    writer.client.batch_execute("commit").await.expect("commit");
    let r = tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("index built")
        .expect("join");
    assert!(r.is_ok(), "{r:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_restart_while_watching_is_lost_then_resumes_by_itself() {
    use pgdeck::db::{Reply, Request, Worker, WorkerEvent};
    // a private cluster: restarting the shared one would disturb the other tests
    let mut own = pgdeck::cluster::TempCluster::start(
        pgdeck::cluster::ClusterOptions::default().preload_pg_stat_statements(false),
    )
    .expect("private cluster");
    let ci = own.conninfo("postgres");
    let t = target(&ci);
    let conns = db::open(&t, &Settings::default()).await.expect("open");
    let (requests, mut events) = Worker::spawn(conns, t, Settings::default());
    let mut ask = async |requests: &pgdeck::db::Requests| {
        let id = requests.send(Request::LoadActivity);
        loop {
            match tokio::time::timeout(Duration::from_secs(15), events.recv())
                .await
                .expect("a reply in time")
                .expect("worker alive")
            {
                WorkerEvent::Response(r) if r.id == id => return r.reply,
                _ => {}
            }
        }
    };
    let Ok(Reply::Activity(before)) = ask(&requests).await else {
        panic!("first snapshot")
    };
    let before_own: Vec<i32> = before
        .sessions
        .iter()
        .filter(|s| s.own)
        .map(|s| s.pid)
        .collect();
    tokio::task::block_in_place(|| own.restart()).expect("restart");
    // the first refresh after the restart may fail (connection lost); refreshes go on and recover
    let t0 = Instant::now();
    let after = loop {
        match ask(&requests).await {
            Ok(Reply::Activity(s)) => break s,
            Ok(other) => panic!("{other:?}"),
            Err(e) => {
                assert!(t0.elapsed() < Duration::from_secs(20), "still failing: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    let monitor = after
        .sessions
        .iter()
        .find(|s| s.application == "pgdeck monitor")
        .expect("the new monitor session");
    assert!(monitor.own, "the new monitor pid is marked as pgdeck's own");
    assert!(!before_own.contains(&monitor.pid));
}
