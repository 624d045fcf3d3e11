//! Migration history tables of nine tools, created as the tools create them and filled as they fill
//! them (one failed entry per tool that can fail): detected, their histories read (through the
//! worker as the schema browser reads them), the failures reported by `migration_failed` and by
//! `pgdeck check --group migrations`, and the fix SQL of a failure making it go away.

use std::process::Command;
use std::time::{Duration, Instant};

use pgdeck::db::{self, Reply, Request, Settings, Worker, WorkerEvent, migrations};
use pgdeck::model::health::{HealthConfig, Severity};
use pgdeck::model::migrations::{EntryState, Tool};

use super::advisor::run_checks;
use super::common::{Scratch, cluster, fresh_db, target};

/// The tools' history tables as they create them, with realistic rows.
const HISTORIES: &str = r#"
-- Flyway: a baseline, one success, one failed non-transactional migration
create table flyway_schema_history (
    installed_rank int not null primary key, version varchar(50),
    description varchar(200) not null, type varchar(20) not null, script varchar(1000) not null,
    checksum int, installed_by varchar(100) not null,
    installed_on timestamp not null default now(), execution_time int not null,
    success boolean not null);
insert into flyway_schema_history values
 (1, '1', '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline >>', null, 'deploy',
  '2026-01-10 09:00', 0, true),
 (2, '1.1', 'create users', 'SQL', 'V1_1__create_users.sql', 1234567, 'deploy',
  '2026-01-11 09:00', 45, true),
 (3, '1.2', 'add email index', 'SQL', 'V1_2__add_email_index.sql', -98765, 'deploy',
  '2026-01-12 09:00', 1200, false);

-- Prisma, in a schema with a hostile name
create schema "App ""Prisma""";
create table "App ""Prisma"""."_prisma_migrations" (
    "id" varchar(36) primary key not null, "checksum" varchar(64) not null,
    "finished_at" timestamptz, "migration_name" varchar(255) not null, "logs" text,
    "rolled_back_at" timestamptz, "started_at" timestamptz not null default now(),
    "applied_steps_count" integer not null default 0);
insert into "App ""Prisma"""."_prisma_migrations" values
 ('a1', 'c1', '2026-01-01 10:00:01+00', '20260101000000_init', null, null, '2026-01-01 10:00+00', 1),
 -- failed, marked rolled back, then retried and applied: no longer a problem
 ('a2', 'c2', null, '20260105000000_add_orders',
  E'Database error:\nERROR: column "total" already exists', '2026-01-05 10:10+00', '2026-01-05 10:00+00', 0),
 ('a3', 'c2', '2026-01-06 10:00:01+00', '20260105000000_add_orders', null, null, '2026-01-06 10:00+00', 1),
 -- failed and never resolved: deploys stop (P3009)
 ('a4', 'c4', null, '20260110000000_add_index',
  E'\nERROR: could not create unique index "users_email_key"', null, '2026-01-10 10:00+00', 0),
 -- failed, marked rolled back, not retried yet
 ('a5', 'c5', null, '20260112000000_drop_legacy', null, '2026-01-12 11:00+00', '2026-01-12 10:00+00', 0);

-- golang-migrate: one row, dirty
create schema billing;
create table billing.schema_migrations (version bigint not null primary key, dirty boolean not null);
insert into billing.schema_migrations values (20260115093000, true);

-- Rails: versions only
create schema rails_app;
create table rails_app.schema_migrations (version varchar not null primary key);
insert into rails_app.schema_migrations values ('20240101000000'), ('20240102000000');

-- Alembic: the current head only
create table alembic_version (version_num varchar(32) not null,
    constraint alembic_version_pkc primary key (version_num));
insert into alembic_version values ('ae1027a6acf');

-- Django
create table django_migrations (id bigserial primary key, app varchar(255) not null,
    name varchar(255) not null, applied timestamptz not null);
insert into django_migrations (app, name, applied) values
 ('contenttypes', '0001_initial', '2026-01-01 10:00+00'),
 ('auth', '0001_initial', '2026-01-01 10:00:01+00'),
 ('shop', '0002_order_total', '2026-01-20 08:30+00');

-- Knex
create table knex_migrations (id serial primary key, name varchar(255), batch integer,
    migration_time timestamptz);
insert into knex_migrations (name, batch, migration_time) values
 ('20260101_create_users.js', 1, '2026-01-01 10:00+00'),
 ('20260201_add_orders.js', 2, '2026-02-01 10:00+00');

-- goose: version 20260102 applied, then rolled back with `goose down` (a record, not a failure)
create table goose_db_version (id serial primary key, version_id bigint not null,
    is_applied boolean not null, tstamp timestamp default now());
insert into goose_db_version (version_id, is_applied, tstamp) values
 (0, true, '2026-01-01 09:00'), (20260101, true, '2026-01-01 10:00'),
 (20260102, true, '2026-01-02 10:00'), (20260102, false, '2026-01-03 10:00');

-- Sqitch keeps its registry in schema sqitch
create schema sqitch;
create table sqitch.changes (change_id text primary key, script_hash text,
    change text not null, project text not null, note text not null default '',
    committed_at timestamptz not null default clock_timestamp(),
    committer_name text not null, committer_email text not null,
    planned_at timestamptz not null, planner_name text not null, planner_email text not null);
insert into sqitch.changes values
 ('4a1b', 'h1', 'appschema', 'flipr', 'Add schema for all flipr objects.',
  '2026-01-04 12:00+00', 'Marge N. O''Vera', 'marge@example.com', '2026-01-03 12:00+00',
  'Marge N. O''Vera', 'marge@example.com');

-- a table that only borrows a name: no tool's columns
create schema other;
create table other.schema_migrations (id int, applied_on date);
"#;

#[tokio::test]
async fn migration_histories_are_detected_read_and_their_failures_reported() {
    let (db, ci) = fresh_db("migrations");
    cluster().psql(&db, HISTORIES).expect("histories");
    let conn = pgdeck::conn::connect(&target(&ci), "migrations test")
        .await
        .expect("connect");

    // detection: by name and columns, in any schema
    let found = migrations::detect(&conn.client, None)
        .await
        .expect("detect");
    let tools: Vec<(Tool, String, String)> = found
        .iter()
        .map(|f| (f.table.tool, f.table.schema.clone(), f.table.table.clone()))
        .collect();
    let expect = [
        (Tool::Prisma, "App \"Prisma\"", "_prisma_migrations"),
        (Tool::GolangMigrate, "billing", "schema_migrations"),
        (Tool::Alembic, "public", "alembic_version"),
        (Tool::Django, "public", "django_migrations"),
        (Tool::Flyway, "public", "flyway_schema_history"),
        (Tool::Goose, "public", "goose_db_version"),
        (Tool::Knex, "public", "knex_migrations"),
        (Tool::Rails, "rails_app", "schema_migrations"),
        (Tool::Sqitch, "sqitch", "changes"),
    ];
    assert_eq!(
        tools,
        expect.map(|(t, s, n)| (t, s.to_string(), n.to_string())),
        "other.schema_migrations has no tool's columns"
    );
    assert!(found.iter().all(|f| f.readable));

    // histories, newest first, from the columns each table has
    let flyway = migrations::history(&conn.client, "public", "flyway_schema_history")
        .await
        .expect("flyway");
    let states: Vec<EntryState> = flyway.entries.iter().map(|e| e.state).collect();
    assert_eq!(
        states,
        [EntryState::Failed, EntryState::Applied, EntryState::Applied]
    );
    let failed = &flyway.entries[0];
    assert_eq!(failed.version.as_deref(), Some("1.2"));
    assert_eq!(failed.description.as_deref(), Some("add email index"));
    assert_eq!(failed.applied_by.as_deref(), Some("deploy"));
    assert!(
        failed
            .applied_at
            .as_deref()
            .is_some_and(|t| t.starts_with("2026-01-12 09:00"))
    );
    assert!(!flyway.truncated);
    let django = migrations::history(&conn.client, "public", "django_migrations")
        .await
        .expect("django");
    assert_eq!(django.entries.len(), 3);
    assert_eq!(
        django.entries[0].version.as_deref(),
        Some("0002_order_total")
    );
    assert_eq!(django.entries[0].description.as_deref(), Some("shop"));
    let goose = migrations::history(&conn.client, "public", "goose_db_version")
        .await
        .expect("goose");
    assert_eq!(goose.entries[0].state, EntryState::Reverted);
    let alembic = migrations::history(&conn.client, "public", "alembic_version")
        .await
        .expect("alembic");
    assert_eq!(alembic.entries[0].version.as_deref(), Some("ae1027a6acf"));
    let sqitch = migrations::history(&conn.client, "sqitch", "changes")
        .await
        .expect("sqitch");
    assert_eq!(
        sqitch.entries[0].applied_by.as_deref(),
        Some("Marge N. O'Vera")
    );
    let err = migrations::history(&conn.client, "other", "schema_migrations")
        .await
        .expect_err("not a tool's table");
    assert!(err.to_string().contains("known migration tool"), "{err}");

    // through the worker, as the schema browser asks
    let t = target(&ci);
    let conns = db::open(&t, &Settings::default()).await.expect("open");
    let (requests, mut events) = Worker::spawn(conns, t, Settings::default());
    let id = requests.send(Request::LoadMigrations {
        schema: "App \"Prisma\"".into(),
        table: "_prisma_migrations".into(),
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    let prisma = loop {
        let ev = tokio::time::timeout_at(deadline.into(), events.recv())
            .await
            .expect("a reply")
            .expect("worker alive");
        if let WorkerEvent::Response(r) = ev
            && r.id == id
        {
            match r.reply.expect("history") {
                Reply::Migrations(h) => break h,
                other => panic!("unexpected {other:?}"),
            }
        }
    };
    assert_eq!(prisma.table.tool, Tool::Prisma);
    let states: Vec<(&str, EntryState)> = prisma
        .entries
        .iter()
        .map(|e| (e.version.as_deref().unwrap_or(""), e.state))
        .collect();
    assert_eq!(
        states,
        [
            ("20260112000000_drop_legacy", EntryState::RolledBack),
            ("20260110000000_add_index", EntryState::Unfinished),
            ("20260105000000_add_orders", EntryState::Applied),
            ("20260105000000_add_orders", EntryState::RolledBack),
            ("20260101000000_init", EntryState::Applied),
        ]
    );

    // the failures, as the health report has them
    let cfg = HealthConfig::default();
    let (findings, errors) = run_checks(&ci, &cfg, &["migration_failed"]).await;
    assert!(errors.is_empty(), "{errors:?}");
    let mut got: Vec<(String, String, Severity)> = findings
        .iter()
        .map(|f| {
            (
                f.subject(),
                f.evidence
                    .iter()
                    .find(|(k, _)| k == "tool")
                    .map(|(_, v)| v.to_string())
                    .unwrap_or_default(),
                f.severity,
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            (
                "\"App \"\"Prisma\"\"\"._prisma_migrations.\"20260110000000_add_index\"".into(),
                "Prisma".into(),
                Severity::Critical
            ),
            (
                "\"App \"\"Prisma\"\"\"._prisma_migrations.\"20260112000000_drop_legacy\"".into(),
                "Prisma".into(),
                Severity::Warning
            ),
            (
                "billing.schema_migrations.\"20260115093000\"".into(),
                "golang-migrate".into(),
                Severity::Critical
            ),
            (
                "public.flyway_schema_history.\"1.2\"".into(),
                "Flyway".into(),
                Severity::Critical
            ),
        ]
    );
    let unfinished = findings
        .iter()
        .find(|f| f.object.as_deref() == Some("20260110000000_add_index"))
        .expect("unfinished");
    assert!(
        unfinished.message.contains("could not create unique index"),
        "the logged error is quoted: {}",
        unfinished.message
    );

    // the fixes (after the manual repair they stand for) clear the failures
    for f in &findings {
        let Some(fix) = &f.fix else { continue };
        conn.client
            .batch_execute(fix)
            .await
            .unwrap_or_else(|e| panic!("fix failed: {fix}: {e}"));
    }
    let (after, errors) = run_checks(&ci, &cfg, &["migration_failed"]).await;
    assert!(errors.is_empty(), "{errors:?}");
    let mut left: Vec<(String, Severity)> =
        after.iter().map(|f| (f.subject(), f.severity)).collect();
    left.sort();
    // the unfinished Prisma migration is now marked rolled back: the next deploy retries it
    assert_eq!(
        left,
        [
            (
                "\"App \"\"Prisma\"\"\"._prisma_migrations.\"20260110000000_add_index\"".into(),
                Severity::Warning
            ),
            (
                "\"App \"\"Prisma\"\"\"._prisma_migrations.\"20260112000000_drop_legacy\"".into(),
                Severity::Warning
            ),
        ]
    );
}

fn pgdeck(args: &[&str]) -> (i32, String, String) {
    let home = Scratch::new("migrations_cli");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgdeck"));
    cmd.args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("PG") {
            cmd.env_remove(&k);
        }
    }
    cmd.env("HOME", home.path())
        .env("PGDECK_CONFIG_DIR", home.path().join("config"));
    let out = cmd.output().expect("run pgdeck");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn pgdeck_check_group_migrations_reports_failures_and_exits_1() {
    let (db, ci) = fresh_db("migrations_cli");
    cluster().psql(&db, HISTORIES).expect("histories");
    let (code, out, err) = pgdeck(&["check", &ci, "--group", "migrations", "--format", "json"]);
    assert_eq!(code, 1, "{out}\n{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let findings = v["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 4, "{v}");
    assert!(
        findings
            .iter()
            .all(|f| f["group"] == "migrations" && f["check"] == "migration_failed")
    );
    let flyway = findings
        .iter()
        .find(|f| f["table"] == "flyway_schema_history")
        .expect("flyway");
    assert_eq!(flyway["object"], "1.2");
    assert_eq!(flyway["severity"], "critical");
    assert_eq!(flyway["evidence"]["tool"], "Flyway");
    assert_eq!(flyway["evidence"]["state"], "failed");
    // the text report
    let (code, out, _) = pgdeck(&["check", &ci, "--group", "migrations"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("CRITICAL migration_failed  billing.schema_migrations.\"20260115093000\""),
        "{out}"
    );
    // a database without histories passes
    let (_, clean) = fresh_db("migrations_clean");
    let (code, out, err) = pgdeck(&["check", &clean, "--group", "migrations"]);
    assert_eq!(code, 0, "{out}\n{err}");

    // the histories, headless
    let (code, out, err) = pgdeck(&["schema", "--migrations", &ci]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("Flyway history in public.flyway_schema_history, newest first"),
        "{out}"
    );
    assert!(
        out.contains("Prisma history in \"App \"\"Prisma\"\"\"._prisma_migrations"),
        "{out}"
    );
    let failed = out
        .lines()
        .find(|l| l.starts_with("1.2 "))
        .expect("the failed Flyway entry");
    assert!(failed.ends_with("failed"), "{failed}");
    let (code, out, err) = pgdeck(&["schema", "--migrations", &ci, "billing", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v.as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(v[0]["table"]["tool"], "golang_migrate");
    assert_eq!(v[0]["entries"][0]["version"], "20260115093000");
    assert_eq!(v[0]["entries"][0]["state"], "dirty");
}
