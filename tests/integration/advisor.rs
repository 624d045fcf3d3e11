//! The maintenance and security groups of the health report against real servers: problems of one
//! database planted in a fresh database of the shared cluster next to clean controls, and problems of
//! the whole server (roles, slots, checkpoints, the archiver, temporary files) on a server of the
//! test's own, so no other test sees them. Each is found, its fix SQL run, and the report run again.

use std::time::{Duration, Instant};

use pgdeck::cluster::{ClusterOptions, TempCluster};
use pgdeck::db::health::{self, HealthEvent};
use pgdeck::model::health::{Finding, HealthConfig, Severity, checks_of_groups};

use super::common::{cluster, fresh_db, target};

/// Run `only` (check ids) on a new connection; findings and (check, error) pairs.
pub async fn run_checks(
    conninfo: &str,
    config: &HealthConfig,
    only: &[&str],
) -> (Vec<Finding>, Vec<(String, String)>) {
    let conn = pgdeck::conn::connect(&target(conninfo), "advisor test")
        .await
        .expect("connect");
    let only: Vec<String> = only.iter().map(|s| s.to_string()).collect();
    let mut findings = Vec::new();
    let mut errors = Vec::new();
    health::run(&conn.client, config, None, &only, |ev| {
        if let HealthEvent::Check(o) = ev {
            match o.result {
                Ok(mut f) => findings.append(&mut f),
                Err(e) => errors.push((o.check, e)),
            }
        }
    })
    .await
    .expect("the report starts");
    (findings, errors)
}

fn group(g: &str) -> Vec<&'static str> {
    checks_of_groups(&[g.to_string()]).expect("known group")
}

/// The finding of `check` whose table or object is `name`.
fn found<'a>(findings: &'a [Finding], check: &str, name: &str) -> Option<&'a Finding> {
    findings.iter().find(|f| {
        f.check == check
            && (f.object.as_deref() == Some(name)
                || f.table.as_deref() == Some(name)
                || (f.object.is_none() && f.table.is_none() && f.schema == name))
    })
}

fn names(findings: &[Finding]) -> Vec<(String, String)> {
    findings
        .iter()
        .map(|f| (f.check.clone(), f.subject()))
        .collect()
}

/// Run the statements of a fix (a fix may hold comments and several statements).
async fn apply(conninfo: &str, f: &Finding) {
    let conn = pgdeck::conn::connect(&target(conninfo), "fixer")
        .await
        .expect("connect");
    let fix = f.fix.as_deref().unwrap_or_else(|| panic!("no fix: {f:#?}"));
    // one statement at a time, as a user runs them (ALTER SYSTEM refuses a multi-statement string)
    for stmt in fix.split_inclusive(";\n").map(str::trim) {
        conn.client
            .batch_execute(stmt)
            .await
            .unwrap_or_else(|e| panic!("fix of {} failed: {stmt}: {e}", f.check));
    }
}

const DATABASE_PLANTS: &str = r#"
create table "Av Off" (id int primary key, pad text)
  with (autovacuum_enabled = off, toast.autovacuum_enabled = false);
insert into "Av Off" select g, 'x' from generate_series(1, 5000) g;
create table clean_av_on (id int primary key) with (autovacuum_enabled = on, fillfactor = 90);

create table clean_analyzed (id int primary key);
insert into clean_analyzed select generate_series(1, 2000);
analyze clean_analyzed;
create table clean_empty (id int primary key);
create table victim (id int primary key);

create table events (id int, at date not null) partition by range (at);
create table events_2026 partition of events for values from ('2026-01-01') to ('2027-01-01');
insert into events select g, date '2026-01-01' + g % 300 from generate_series(1, 3000) g;
-- the partition is analyzed (as autovacuum would); the parent never is
analyze events_2026;

create schema "Odd Schema";
create function "Odd Schema"."x""; drop table victim; --"(a int, "b c" text) returns int
  language sql security definer as 'select 1';
create function clean_pinned() returns int
  language sql security definer set search_path = pg_catalog, pg_temp as 'select 1';
create function clean_invoker() returns int language sql as 'select 1';

create table "Rls On" (id int primary key);
alter table "Rls On" enable row level security;
create table clean_rls (id int primary key, owner_name text);
alter table clean_rls enable row level security;
create policy own_rows on clean_rls using (owner_name = current_user);

grant create on schema public to public;
revoke create on schema "Odd Schema" from public;
"#;

/// Install an extension at an older version than its package's default, if the server has one:
/// the name installed, or None when no contrib module is available (some PyPI server builds).
fn plant_old_extension(db: &str) -> Option<&'static str> {
    for (name, version) in [
        ("pg_stat_statements", "1.4"),
        ("hstore", "1.4"),
        ("citext", "1.4"),
    ] {
        if cluster()
            .psql(db, &format!("create extension {name} version '{version}';"))
            .is_ok()
        {
            return Some(name);
        }
    }
    None
}

/// The checks of the maintenance and security groups that judge the whole server, not a database.
const SERVER_WIDE: [&str; 6] = [
    "checkpoint_pressure",
    "archive_failing",
    "replication_slot_inactive",
    "temp_spill",
    "superuser_login",
    "password_md5",
];

#[tokio::test]
async fn database_maintenance_and_security_problems_are_found_and_fixed() {
    let (db, ci) = fresh_db("advisor_db");
    cluster().psql(&db, DATABASE_PLANTS).expect("plant");
    let old_ext = plant_old_extension(&db);
    let mut only = group("maintenance");
    only.extend(group("security"));
    // server-wide checks belong to the test with its own server: on the cluster every test shares,
    // other tests' CREATE DATABASE requests checkpoints (13/14), so checkpoint_pressure comes and goes
    only.retain(|c| !SERVER_WIDE.contains(c));
    let cfg = HealthConfig::default();

    // the row counts of "Av Off" reach the statistics when the planting session has flushed them
    let deadline = Instant::now() + Duration::from_secs(30);
    let (findings, errors) = loop {
        let (f, e) = run_checks(&ci, &cfg, &only).await;
        if found(&f, "never_analyzed", "Av Off").is_some() || Instant::now() > deadline {
            break (f, e);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(errors.is_empty(), "{errors:?}");
    let all = names(&findings);

    let av = found(&findings, "autovacuum_disabled", "Av Off").expect("autovacuum off");
    assert_eq!(
        av.fix.as_deref(),
        Some("ALTER TABLE public.\"Av Off\" RESET (autovacuum_enabled, toast.autovacuum_enabled);")
    );
    assert_eq!(av.group(), "maintenance");
    let na = found(&findings, "never_analyzed", "Av Off").expect("never analyzed");
    assert_eq!(na.fix.as_deref(), Some("ANALYZE public.\"Av Off\";"));
    let parent = found(&findings, "never_analyzed", "events").expect("partitioned parent");
    assert!(parent.message.contains("partitioned"), "{}", parent.message);
    assert!(
        found(&findings, "never_analyzed", "events_2026").is_none(),
        "{all:?}"
    );

    let public = found(&findings, "public_create", "public").expect("public create");
    assert_eq!(public.group(), "security");
    assert!(
        public
            .fix
            .as_deref()
            .is_some_and(|f| f.ends_with("REVOKE CREATE ON SCHEMA public FROM PUBLIC;"))
    );
    assert!(found(&findings, "public_create", "Odd Schema").is_none());

    let evil = "x\"; drop table victim; --";
    let sd = found(&findings, "security_definer_search_path", evil).expect("definer");
    // owned by the superuser and executable by everyone: critical
    assert_eq!(sd.severity, Severity::Critical);
    assert!(
        sd.fix.as_deref().is_some_and(|f| f.ends_with(
            "ALTER FUNCTION \"Odd Schema\".\"x\"\"; drop table victim; --\"(a integer, \"b c\" text) SET search_path = \"Odd Schema\", pg_temp;"
        )),
        "{:?}",
        sd.fix
    );
    let rls = found(&findings, "rls_without_policy", "Rls On").expect("rls");
    assert_eq!(rls.severity, Severity::Warning);

    if let Some(ext) = old_ext {
        let f = found(&findings, "extension_outdated", ext).expect("outdated extension");
        assert!(
            f.fix
                .as_deref()
                .is_some_and(|x| x.ends_with(&format!("ALTER EXTENSION {ext} UPDATE;"))),
            "{f:#?}"
        );
    } else {
        eprintln!(
            "no contrib extension with an older version here: extension_outdated not planted"
        );
    }

    // the controls draw nothing
    let noisy: Vec<&(String, String)> = all.iter().filter(|(_, s)| s.contains("clean_")).collect();
    assert!(noisy.is_empty(), "{noisy:?}");

    // run every fix that is SQL to run (the row security one is a commented template)
    for f in &findings {
        if matches!(
            f.check.as_str(),
            "autovacuum_disabled"
                | "never_analyzed"
                | "public_create"
                | "security_definer_search_path"
                | "extension_outdated"
        ) {
            apply(&ci, f).await;
        }
    }
    let n = cluster()
        .psql(&db, "select count(*) from victim;")
        .expect("the hostile function name was never pasted raw");
    assert_eq!(n.trim(), "0");
    let (after, errors) = run_checks(&ci, &cfg, &only).await;
    assert!(errors.is_empty(), "{errors:?}");
    let left: Vec<(String, String)> = names(&after)
        .into_iter()
        .filter(|(c, _)| c != "rls_without_policy")
        .collect();
    assert!(left.is_empty(), "fixed findings came back: {left:?}");
    assert!(found(&after, "rls_without_policy", "Rls On").is_some());
}

/// The current requested-checkpoint count of a server (pg_stat_checkpointer on 17+).
fn requested_checkpoints(c: &TempCluster) -> i64 {
    let v: i64 = c
        .psql("postgres", "show server_version_num;")
        .expect("version")
        .trim()
        .parse()
        .expect("number");
    let sql = if v >= 170000 {
        "select num_requested from pg_stat_checkpointer;"
    } else {
        "select checkpoints_req from pg_stat_bgwriter;"
    };
    c.psql("postgres", sql)
        .expect("checkpoint count")
        .trim()
        .parse()
        .expect("number")
}

/// Wait until new sessions see `name = value` (a reload is asynchronous).
fn wait_for_setting(c: &TempCluster, name: &str, value: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let now = c.psql("postgres", &format!("show {name};")).expect("show");
        if now.trim() == value {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{name} stayed {now}, not {value}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn server_wide_problems_on_a_server_of_their_own_are_found_and_fixed() {
    // archiving fails on every segment
    let own = TempCluster::start(
        ClusterOptions::default()
            .preload_pg_stat_statements(false)
            .setting("archive_mode", "on")
            .setting("archive_command", "false"),
    )
    .expect("start a server of our own");
    // a small max_wal_size makes WAL volume force checkpoints; set with ALTER SYSTEM (not on the
    // command line, which would win over the fix's ALTER SYSTEM)
    own.psql(
        "postgres",
        "alter system set max_wal_size = '32MB';\nalter system set min_wal_size = '32MB';\nselect pg_reload_conf();",
    )
    .expect("small max_wal_size");
    wait_for_setting(&own, "max_wal_size", "32MB");
    let ci = own.conninfo("postgres");
    let cfg = HealthConfig::default();
    let mut only = group("maintenance");
    only.extend(group("security"));
    let server_wide = SERVER_WIDE;

    // a fresh server: nothing to say, and the few checkpoints it made are not judged
    let (fresh, errors) = run_checks(&ci, &cfg, &only).await;
    assert!(errors.is_empty(), "{errors:?}");
    let fresh: Vec<(String, String)> = names(&fresh)
        .into_iter()
        .filter(|(c, _)| server_wide.contains(&c.as_str()))
        .collect();
    assert!(fresh.is_empty(), "{fresh:?}");

    own.psql(
        "postgres",
        r#"create role "Root Too" superuser login;
           create role clean_nologin_su superuser;
           set password_encryption = 'md5';
           create role "Md5 ""User""" login password 'secret';
           set password_encryption = 'scram-sha-256';
           create role clean_scram login password 'secret';
           select pg_create_physical_replication_slot('old_replica', true);
           set work_mem = '64kB';
           select count(*) from (select g from generate_series(1, 200000) g order by g desc) s;
           create table w (g int, pad text);"#,
    )
    .expect("plant");
    // WAL until at least a dozen checkpoints were requested
    let mut rounds = 0;
    while requested_checkpoints(&own) < 12 {
        rounds += 1;
        assert!(rounds <= 40, "WAL volume did not force checkpoints");
        own.psql(
            "postgres",
            "insert into w select g, repeat('x', 100) from generate_series(1, 100000) g;",
        )
        .expect("write WAL");
    }

    // the archiver reports its failures on its own schedule
    let deadline = Instant::now() + Duration::from_secs(30);
    let (findings, errors) = loop {
        let (f, e) = run_checks(&ci, &cfg, &only).await;
        if f.iter().any(|f| f.check == "archive_failing") || Instant::now() > deadline {
            break (f, e);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(errors.is_empty(), "{errors:?}");
    let all = names(&findings);

    let su = found(&findings, "superuser_login", "Root Too").expect("login superuser");
    assert_eq!(
        su.fix.as_deref().and_then(|f| f.lines().last()),
        Some("ALTER ROLE \"Root Too\" NOSUPERUSER;")
    );
    assert!(
        !all.iter()
            .any(|(_, s)| s.contains("clean_") || s == "postgres"),
        "{all:?}"
    );
    let md5 = found(&findings, "password_md5", "Md5 \"User\"").expect("md5 role");
    assert!(
        md5.fix
            .as_deref()
            .is_some_and(|f| f.contains("\\password \"Md5 \"\"User\"\"\"")),
        "{:?}",
        md5.fix
    );
    let slot = found(&findings, "replication_slot_inactive", "old_replica").expect("slot");
    let retained = slot
        .evidence
        .iter()
        .find(|(k, _)| k == "retained_bytes")
        .and_then(|(_, v)| v.as_i64())
        .expect("retained bytes");
    assert!(retained > 32 << 20, "{retained}");
    assert!(slot.message.contains("MiB"), "{}", slot.message);
    let cp = found(&findings, "checkpoint_pressure", "max_wal_size").expect("checkpoints");
    assert!(cp.message.contains("max_wal_size (32MB)"), "{}", cp.message);
    let fix = cp.fix.as_deref().expect("fix");
    assert!(
        fix.starts_with("ALTER SYSTEM SET max_wal_size = '"),
        "{fix}"
    );
    assert!(!fix.contains("'32MB'"), "a bigger value than now: {fix}");
    let archive = findings
        .iter()
        .find(|f| f.check == "archive_failing")
        .expect("archive failing");
    assert_eq!(archive.severity, Severity::Critical);
    // the sort spilled a few MiB: under the default daily rate...
    assert!(
        found(&findings, "temp_spill", "postgres").is_none(),
        "{all:?}"
    );
    // ...and over a lowered one
    let mut low = HealthConfig::default();
    low.set("temp_bytes_per_day=1048576").expect("threshold");
    let (spill, _) = run_checks(&ci, &low, &["temp_spill"]).await;
    let t = found(&spill, "temp_spill", "postgres").expect("temp spill");
    assert!(
        t.fix
            .as_deref()
            .is_some_and(|f| f.contains("ALTER DATABASE postgres SET work_mem = '")),
        "{:?}",
        t.fix
    );

    // the fixes: demote the role, drop the slot, raise max_wal_size, rehash the password
    apply(&ci, su).await;
    apply(&ci, slot).await;
    apply(&ci, cp).await;
    own.psql(
        "postgres",
        "set password_encryption = 'scram-sha-256'; alter role \"Md5 \"\"User\"\"\" password 'new secret';",
    )
    .expect("rehash");
    let target = fix
        .split('\'')
        .nth(1)
        .expect("a quoted value in the fix")
        .to_string();
    wait_for_setting(&own, "max_wal_size", &target);
    let (after, errors) = run_checks(&ci, &cfg, &only).await;
    assert!(errors.is_empty(), "{errors:?}");
    for check in [
        "superuser_login",
        "password_md5",
        "replication_slot_inactive",
    ] {
        assert!(
            !after.iter().any(|f| f.check == check),
            "{check} still reported: {:?}",
            names(&after)
        );
    }
}
