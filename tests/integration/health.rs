//! The health report against a real server: a database with planted problems of every structural kind
//! next to clean control tables, each found by its check (through the worker, streamed check by
//! check); the fix SQL run and the report run again; a pg_monitor role without superuser; a table
//! locked by another session; `pgdeck check` as CI runs it.

use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

use pgdeck::db::health::HealthEvent;
use pgdeck::db::{self, Reply, Request, Settings, Worker, WorkerEvent};
use pgdeck::model::health::{Finding, HealthConfig};

use super::common::{cluster, fresh_db, target};

/// Planted problems, one or more per check, and control tables that must draw no finding.
const PLANTED: &str = r#"
create table clean_parent (id bigint primary key, name text not null);
create table clean_child (id bigint primary key,
                          parent_id bigint not null references clean_parent (id),
                          created_at timestamptz not null default now());
create index clean_child_parent_id_idx on clean_child (parent_id, created_at);

create table dup (id int primary key, a int);
create index dup_a_1 on dup (a);
create index dup_a_2 on dup (a);

create table red (id int primary key, a int, b int);
create index red_a_b on red (a, b);
create index red_a on red (a);

create table fk_parent (id int primary key);
create table fk_child (id int primary key, parent_id int references fk_parent (id));

create table nopk (a int);

create table arr (id int primary key, tags text[]);
create index arr_tags on arr (tags);

create table nv (id int primary key, n int);
insert into nv values (1, 1), (2, 2);
alter table nv add constraint nv_positive check (n > 0) not valid;

create table mm_parent (id bigint primary key);
create table mm_child (id int primary key, parent_id int references mm_parent (id));
create index mm_child_parent_id on mm_child (parent_id);

create sequence small_seq as smallint;
select setval('small_seq', 32000);

create table nul (id int primary key, maybe int);
insert into nul select g, case when g % 10 = 0 then g end from generate_series(1, 2000) g;
create index nul_maybe on nul (maybe);
analyze nul;

create schema "Odd Schema";
create table "Odd Schema"."x""; drop table nopk; --" (id int primary key, "Weird Col" int);
create index "odd 1" on "Odd Schema"."x""; drop table nopk; --" ("Weird Col");
create index "odd 2" on "Odd Schema"."x""; drop table nopk; --" ("Weird Col");

create table inv (id int primary key, v int);
insert into inv values (1, 1), (2, 1);
"#;

/// Checks whose fix SQL must make the finding disappear.
const STRUCTURAL: &[&str] = &[
    "invalid_index",
    "duplicate_index",
    "redundant_index",
    "fk_without_index",
    "btree_on_array",
    "not_valid_constraint",
    "sequence_exhaustion",
    "index_with_nulls",
];

fn plant(dbname: &str) {
    cluster().psql(dbname, PLANTED).expect("plant problems");
    // a unique index over duplicate values: the concurrent build fails and leaves it invalid
    let failed = cluster().psql(
        dbname,
        "create unique index concurrently inv_v_uniq on inv (v);",
    );
    assert!(failed.is_err(), "the concurrent build should have failed");
}

/// Run the report through the worker; returns findings, per-check errors and the events' order.
async fn report(conninfo: &str, config: HealthConfig) -> (Vec<Finding>, Vec<(String, String)>) {
    let t = target(conninfo);
    let settings = Settings::default();
    let conns = db::open(&t, &settings).await.expect("open");
    let (requests, mut events) = Worker::spawn(conns, t, settings);
    let id = requests.send(Request::RunHealth {
        config: Box::new(config),
        schema: None,
        only: Vec::new(),
    });
    let mut findings = Vec::new();
    let mut errors = Vec::new();
    let mut planned = 0;
    let mut checks = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ev = tokio::time::timeout_at(deadline.into(), events.recv())
            .await
            .expect("report finished in time")
            .expect("worker alive");
        let WorkerEvent::Response(resp) = ev else {
            continue;
        };
        assert_eq!(resp.id, id);
        match resp.reply.expect("report started") {
            Reply::Health(HealthEvent::Started { checks: c, .. }) => planned = c.len(),
            Reply::Health(HealthEvent::Check(o)) => {
                assert!(!resp.last);
                checks += 1;
                match o.result {
                    Ok(mut f) => findings.append(&mut f),
                    Err(e) => errors.push((o.check, e)),
                }
            }
            Reply::Health(HealthEvent::Finished { .. }) => {
                assert!(resp.last);
                break;
            }
            other => panic!("unexpected reply {other:?}"),
        }
    }
    assert_eq!(planned, pgdeck::model::health::CHECKS.len());
    assert_eq!(checks, planned, "one outcome per check");
    (findings, errors)
}

fn found<'a>(findings: &'a [Finding], check: &str, object: &str) -> Option<&'a Finding> {
    findings.iter().find(|f| {
        f.check == check
            && (f.object.as_deref() == Some(object) || f.table.as_deref() == Some(object))
    })
}

#[tokio::test]
async fn planted_problems_are_found_and_their_fixes_fix_them() {
    let (name, ci) = fresh_db("health_planted");
    plant(&name);
    let (findings, errors) = report(&ci, HealthConfig::default()).await;
    assert!(errors.is_empty(), "{errors:?}");

    let expect = [
        ("invalid_index", "inv_v_uniq"),
        ("duplicate_index", "dup_a_2"),
        ("duplicate_index", "odd 2"),
        ("redundant_index", "red_a"),
        ("fk_without_index", "fk_child_parent_id_fkey"),
        ("no_primary_key", "nopk"),
        ("btree_on_array", "arr_tags"),
        ("not_valid_constraint", "nv_positive"),
        ("fk_type_mismatch", "mm_child_parent_id_fkey"),
        ("sequence_exhaustion", "small_seq"),
        ("index_with_nulls", "nul_maybe"),
    ];
    for (check, object) in expect {
        assert!(
            found(&findings, check, object).is_some(),
            "{check} did not find {object}: {:#?}",
            findings
                .iter()
                .map(|f| (&f.check, &f.object))
                .collect::<Vec<_>>()
        );
    }
    // the keeper of a duplicate pair is never the one to drop
    assert!(found(&findings, "duplicate_index", "dup_a_1").is_none());
    // control tables draw nothing
    let noisy: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.table.as_deref().is_some_and(|t| t.starts_with("clean_")))
        .collect();
    assert!(noisy.is_empty(), "{noisy:#?}");
    // hostile names are quoted in the fix
    let odd = found(&findings, "duplicate_index", "odd 2").expect("odd");
    assert_eq!(
        odd.fix.as_deref(),
        Some("DROP INDEX CONCURRENTLY \"Odd Schema\".\"odd 2\";")
    );

    // run every structural fix, one statement at a time (CONCURRENTLY cannot share a transaction)
    let conn = pgdeck::conn::connect(&target(&ci), "fixer")
        .await
        .expect("connect");
    let mut fixed = BTreeSet::new();
    for f in &findings {
        if !STRUCTURAL.contains(&f.check.as_str()) {
            continue;
        }
        let Some(fix) = &f.fix else { continue };
        for stmt in fix
            .split_inclusive(";\n")
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            conn.client
                .batch_execute(stmt)
                .await
                .unwrap_or_else(|e| panic!("fix of {} failed: {stmt}: {e}", f.check));
        }
        fixed.insert((f.check.clone(), f.object.clone(), f.table.clone()));
    }
    assert!(fixed.len() >= 9, "{fixed:?}");
    // the hostile table survived (its name was never pasted raw)
    let n = cluster()
        .psql(&name, "select count(*) from nopk;")
        .expect("nopk still exists");
    assert_eq!(n.trim(), "0");
    cluster().psql(&name, "analyze;").expect("analyze");

    let (after, errors) = report(&ci, HealthConfig::default()).await;
    assert!(errors.is_empty(), "{errors:?}");
    let left: Vec<&Finding> = after
        .iter()
        .filter(|f| fixed.contains(&(f.check.clone(), f.object.clone(), f.table.clone())))
        .collect();
    assert!(left.is_empty(), "fixed findings came back: {left:#?}");
    // what the fixes cannot address is still reported
    assert!(found(&after, "no_primary_key", "nopk").is_some());
}

#[tokio::test]
async fn a_pg_monitor_role_without_superuser_runs_every_check() {
    let (name, _ci) = fresh_db("health_monitor");
    plant(&name);
    let role = format!("health_mon_{}", std::process::id());
    cluster()
        .psql(
            &name,
            &format!("create role {role} login in role pg_monitor; grant usage on schema \"Odd Schema\" to {role};"),
        )
        .expect("create role");
    let c = cluster();
    let ci = format!(
        "host={} port={} user={role} dbname={name}",
        c.socket_dir().display(),
        c.port()
    );
    // problems of the other groups, and a migration history the role may not read
    cluster()
        .psql(
            &name,
            r#"create table av_off (id int primary key) with (autovacuum_enabled = off);
               create function definer() returns int language sql security definer as 'select 1';
               create table rls_on (id int); alter table rls_on enable row level security;
               create table flyway_schema_history (installed_rank int primary key,
                 version varchar(50), description varchar(200) not null, type varchar(20) not null,
                 script varchar(1000) not null, checksum int, installed_by varchar(100) not null,
                 installed_on timestamp not null default now(), execution_time int not null,
                 success boolean not null);"#,
        )
        .expect("more plants");
    let (findings, errors) = report(&ci, HealthConfig::default()).await;
    // every check runs, or says which privilege it lacks: reading password hashes needs superuser,
    // reading a migration history needs SELECT on it
    let mut failed: Vec<&str> = errors.iter().map(|(c, _)| c.as_str()).collect();
    failed.sort_unstable();
    assert_eq!(failed, ["migration_failed", "password_md5"], "{errors:?}");
    for (check, message) in &errors {
        let names_it = match check.as_str() {
            "password_md5" => message.contains("pg_authid") && message.contains("superuser"),
            _ => {
                message.contains("SELECT")
                    && message.contains("public.flyway_schema_history")
                    && message.contains("pg_read_all_data")
            }
        };
        assert!(names_it, "{check}: {message}");
    }
    for (check, object) in [
        ("invalid_index", "inv_v_uniq"),
        ("duplicate_index", "dup_a_2"),
        ("redundant_index", "red_a"),
        ("fk_without_index", "fk_child_parent_id_fkey"),
        ("not_valid_constraint", "nv_positive"),
        ("autovacuum_disabled", "av_off"),
        ("security_definer_search_path", "definer"),
        ("rls_without_policy", "rls_on"),
    ] {
        assert!(
            found(&findings, check, object).is_some(),
            "{check} {object}"
        );
    }
    // sequences it may not read are left out rather than failing the check
    assert!(found(&findings, "sequence_exhaustion", "small_seq").is_none());
}

#[tokio::test]
async fn a_table_locked_by_another_session_does_not_stop_the_report() {
    let (name, ci) = fresh_db("health_locked");
    plant(&name);
    let holder = pgdeck::conn::connect(&target(&ci), "locker")
        .await
        .expect("connect");
    holder
        .client
        .batch_execute("begin; lock table dup in access exclusive mode; lock table red in access exclusive mode")
        .await
        .expect("lock");
    let started = Instant::now();
    let (findings, errors) = report(&ci, HealthConfig::default()).await;
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    // catalog queries take no lock on user tables; only the per-finding details (deparsed
    // definitions) wait, time out, and say so, so every check completes
    assert!(errors.is_empty(), "{errors:?}");
    let dup =
        found(&findings, "duplicate_index", "dup_a_2").expect("duplicate on the locked table");
    assert!(
        dup.evidence
            .iter()
            .any(|(k, v)| k == "detail_unavailable" && v.to_string().contains("lock timeout")),
        "{dup:#?}"
    );
    assert!(dup.fix.is_some(), "the fix needs no deparsed detail");
    assert!(found(&findings, "redundant_index", "red_a").is_some());
    assert!(found(&findings, "fk_without_index", "fk_child_parent_id_fkey").is_some());
    assert!(found(&findings, "btree_on_array", "arr_tags").is_some());
    holder
        .client
        .batch_execute("rollback")
        .await
        .expect("unlock");
}

fn pgdeck_check(args: &[&str]) -> (i32, String, String) {
    let home = super::common::Scratch::new("health_cli");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgdeck"));
    cmd.arg("check").args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("PG") {
            cmd.env_remove(&k);
        }
    }
    cmd.env("HOME", home.path())
        .env("PGDECK_CONFIG_DIR", home.path().join("config"));
    let out = cmd.output().expect("run pgdeck check");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn pgdeck_check_exit_codes_text_and_json() {
    let (name, ci) = fresh_db("health_cli");
    // a clean database: exit 0. Its own groups only: the server-wide checks (roles, slots,
    // checkpoints...) of the cluster every test shares are another test's business (advisor.rs).
    cluster()
        .psql(&name, "create table ok (id int primary key);")
        .expect("clean table");
    let (code, out, err) = pgdeck_check(&[&ci, "--group", "indexes,tables"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("0 findings"), "{out}");

    plant(&name);
    let (code, out, err) = pgdeck_check(&[&ci, "--format", "json"]);
    assert_eq!(
        code, 1,
        "warnings fail the default --fail-on warning: {err}"
    );
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert!(v["server_version"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(v.get("stats_reset").is_some());
    assert!(v["errors"].as_array().is_some_and(|e| e.is_empty()), "{v}");
    let dup = v["findings"]
        .as_array()
        .and_then(|f| {
            f.iter()
                .find(|f| f["check"] == "duplicate_index" && f["object"] == "dup_a_2")
        })
        .expect("duplicate in json");
    assert_eq!(dup["schema"], "public");
    assert_eq!(dup["table"], "dup");
    assert_eq!(dup["severity"], "warning");
    assert_eq!(dup["evidence"]["keep_index"], "dup_a_1");
    assert_eq!(dup["group"], "indexes");
    assert_eq!(dup["fix"], "DROP INDEX CONCURRENTLY public.dup_a_2;");
    assert!(dup["message"].as_str().is_some());

    // only critical counts: the planted problems include no critical one (small_seq is at 2.3% left:
    // critical), so narrow the checks to show both ways
    let (code, _, err) = pgdeck_check(&[
        &ci,
        "--fail-on",
        "critical",
        "--check",
        "duplicate_index,redundant_index",
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = pgdeck_check(&[
        &ci,
        "--fail-on",
        "critical",
        "--check",
        "sequence_exhaustion",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("CRITICAL sequence_exhaustion"), "{out}");
    // --schema narrows to one schema
    let (code, out, _) = pgdeck_check(&[&ci, "--schema", "Odd Schema", "--format", "json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert!(
        v["findings"]
            .as_array()
            .is_some_and(|f| !f.is_empty() && f.iter().all(|f| f["schema"] == "Odd Schema")),
        "{v}"
    );
    // thresholds from the command line
    let (code, out, _) = pgdeck_check(&[
        &ci,
        "--check",
        "sequence_exhaustion",
        "--threshold",
        "sequence_left_pct=1",
    ]);
    assert_eq!(code, 0, "{out}");
    // --group picks the checks of a group: only index findings
    let (code, out, err) = pgdeck_check(&[&ci, "--group", "indexes", "--format", "json"]);
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let findings = v["findings"].as_array().expect("findings");
    assert!(
        findings.iter().any(|f| f["check"] == "duplicate_index"),
        "{v}"
    );
    assert!(findings.iter().all(|f| f["group"] == "indexes"), "{v}");
    let (code, _, err) = pgdeck_check(&[&ci, "--group", "no_such_group"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown group `no_such_group`"), "{err}");
    // bad input: exit 2 with a message
    let (code, _, err) = pgdeck_check(&[&ci, "--check", "no_such_check"]);
    assert_eq!(code, 2);
    assert!(err.contains("no_such_check"), "{err}");
    let (code, _, err) = pgdeck_check(&[&ci, "--threshold", "bloat=1"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown threshold"), "{err}");
    let (code, _, _) = pgdeck_check(&["host=/nonexistent port=1 dbname=x"]);
    assert_eq!(code, 2);
}

#[tokio::test]
async fn bloat_is_estimated_measured_with_pgstattuple_and_reindex_fixes_index_bloat() {
    let (name, ci) = fresh_db("health_bloat");
    cluster()
        .psql(
            &name,
            "create table bloated (id int primary key, pad text) with (autovacuum_enabled = off);
             insert into bloated select g, repeat('x', 200) from generate_series(1, 60000) g;
             delete from bloated where id % 10 <> 0;
             vacuum bloated;
             analyze bloated;
             create table tidy (id int primary key, pad text);
             insert into tidy select g, repeat('x', 200) from generate_series(1, 60000) g;
             analyze tidy;",
        )
        .expect("bloat a table");
    // some server builds (the PyPI wheels of 13 and 16) ship without contrib: then only the estimate
    let measured = cluster()
        .psql(
            &name,
            "select count(*) from pg_available_extensions where name = 'pgstattuple';",
        )
        .expect("available extensions")
        .trim()
        == "1";
    if measured {
        cluster()
            .psql(&name, "create extension pgstattuple;")
            .expect("pgstattuple");
    }
    let (findings, errors) = report(&ci, HealthConfig::default()).await;
    assert!(errors.is_empty(), "{errors:?}");
    let table = found(&findings, "table_bloat", "bloated").expect("table bloat");
    let index = found(&findings, "index_bloat", "bloated_pkey").expect("index bloat");
    for f in [table, index] {
        assert_eq!(
            f.evidence.iter().any(|(k, _)| k == "measured_bloat_pct"),
            measured,
            "pgstattuple figure (installed: {measured}): {f:#?}"
        );
        assert!(f.message.contains("measured"), "{}", f.message);
    }
    assert!(
        !findings
            .iter()
            .any(|f| f.table.as_deref() == Some("tidy") && f.check.ends_with("bloat")),
        "the freshly loaded control table draws no bloat finding"
    );
    let conn = pgdeck::conn::connect(&target(&ci), "fixer")
        .await
        .expect("connect");
    conn.client
        .batch_execute(index.fix.as_deref().expect("fix"))
        .await
        .expect("reindex");
    let (after, _) = report(&ci, HealthConfig::default()).await;
    assert!(found(&after, "index_bloat", "bloated_pkey").is_none());
}

/// A table detail's findings (the checks run for that table only, through the worker) are exactly
/// the full report's findings for that table, hostile names included, and nothing of other tables.
#[tokio::test]
async fn one_tables_findings_are_the_reports_for_that_table() {
    let (name, ci) = fresh_db("health_table");
    plant(&name);
    // a partitioned table: its partitions' index usage rolls up into the parent's index
    cluster()
        .psql(
            &name,
            "create table pt (id int, k int) partition by range (id);
             create table pt_1 partition of pt for values from (0) to (10);
             create table pt_2 partition of pt for values from (10) to (20);
             create index pt_k on pt (k);",
        )
        .expect("partitioned");
    let (all, errors) = report(&ci, HealthConfig::default()).await;
    assert!(errors.is_empty(), "{errors:?}");
    let t = target(&ci);
    let settings = Settings::default();
    let conns = db::open(&t, &settings).await.expect("open");
    let (requests, mut events) = Worker::spawn(conns, t, settings);
    let key = |f: &Finding| {
        (
            f.check.clone(),
            f.schema.clone(),
            f.table.clone(),
            f.object.clone(),
            f.severity,
        )
    };
    for (schema, table) in [
        ("public", "dup"),
        ("public", "fk_child"),
        ("public", "nopk"),
        ("public", "clean_child"),
        ("public", "pt"),
        ("public", "pt_1"),
        ("Odd Schema", "x\"; drop table nopk; --"),
    ] {
        let id = requests.send(Request::LoadTableFindings {
            oid: 7,
            schema: schema.into(),
            table: table.into(),
            config: Box::default(),
        });
        let resp = loop {
            let ev = tokio::time::timeout(Duration::from_secs(30), events.recv())
                .await
                .expect("findings in time")
                .expect("worker alive");
            if let WorkerEvent::Response(r) = ev
                && r.id == id
            {
                break r;
            }
        };
        let Ok(Reply::TableFindings { oid, findings }) = resp.reply else {
            panic!("{table}: {:?}", resp.reply);
        };
        assert_eq!(oid, 7);
        assert!(findings.failed.is_empty(), "{:?}", findings.failed);
        let got: BTreeSet<_> = findings.findings.iter().map(key).collect();
        let want: BTreeSet<_> = all
            .iter()
            .filter(|f| f.schema == schema && f.table.as_deref() == Some(table))
            .map(key)
            .collect();
        assert_eq!(got, want, "{schema}.{table}");
        if !matches!(table, "clean_child" | "pt_1") {
            assert!(!got.is_empty(), "{table} has planted findings");
        }
        if table == "pt" {
            assert!(
                got.iter()
                    .any(|k| k.0 == "unused_index" && k.3.as_deref() == Some("pt_k")),
                "{got:?}"
            );
        }
    }
}
