//! The schema browser's headless twins against a real server: `pgdeck ddl` round-trips tables using
//! most of PostgreSQL's features (and hostile names) through an empty database, compared with
//! `pg_dump -s`; `pgdeck schema` prints the tree with partitions under their parent; the table detail
//! (db::detail) on a locked table and on a dropped one.

use std::process::{Command, Output};

use super::common::{Scratch, cluster, fresh_db};

/// Types, functions and schemas the tables need: run in both databases before the tables.
const PRELUDE: &str = r#"
create schema app;
create schema "Sch;ema ""x""";
create type app.mood as enum ('sad', 'ok', 'it''s fine');
create domain app.posint as integer default 1 not null constraint posint_positive check (value > 0);
create type app.pair as (a integer, b text collate "C");
create function app.touch() returns trigger language plpgsql as $$begin return new; end$$;
create function app.next_code() returns integer language sql as 'select 42';
create function app.int_sum(integer, integer) returns integer language sql immutable as 'select $1 + coalesce($2, 0)';
create function app.int_fin(integer) returns text language sql immutable as 'select $1::text';
create foreign data wrapper dummy;
create server "remote srv" foreign data wrapper dummy;
"#;

fn server_version(db: &str) -> u32 {
    cluster()
        .psql(db, "show server_version_num")
        .expect("version")
        .trim()
        .parse()
        .expect("a number")
}

/// The objects whose DDL pgdeck writes, in an order where each one's references exist.
/// [`OBJECTS`] for the server of database `db`: column compression came with PostgreSQL 14;
/// named, NO INHERIT and NOT VALID NOT NULL constraints with 18 ([`OBJECTS_18`]).
fn objects_sql(db: &str) -> String {
    let version = server_version(db);
    let mut sql = if version < 140000 {
        OBJECTS.replace(" compression pglz", "")
    } else {
        OBJECTS.to_string()
    };
    if version >= 180000 {
        sql.push_str(OBJECTS_18);
    }
    sql
}

/// [`NAMES`] for the server of database `db`.
fn names(db: &str) -> Vec<&'static str> {
    let mut names = NAMES.to_vec();
    if server_version(db) >= 180000 {
        names.extend_from_slice(NAMES_18);
    }
    names
}

/// PostgreSQL 18 keeps NOT NULL constraints in pg_constraint with names: table-level ones, NO
/// INHERIT, NOT VALID (added after the table), comments, and a child inheriting them.
const OBJECTS_18: &str = r#"
create table app.nn18 (a int, b int not null no inherit, "c;d" int, e int,
  constraint "c;d nn" not null "c;d", not null e);
alter table app.nn18 add constraint nn18_a_nn not null a not valid;
comment on constraint nn18_a_nn on app.nn18 is 'invalid';
comment on constraint "c;d nn" on app.nn18 is 'named';
create table app.nn18_child (f int) inherits (app.nn18);
alter table app.nn18_child add constraint "child b" not null b;
"#;

const NAMES_18: &[&str] = &["app.nn18", "app.nn18_child"];

const OBJECTS: &str = r#"
create table app.parent (id bigint primary key, code text unique);
create table app."Odd Name" (
  id bigint generated always as identity (start with 10 increment by 5),
  "Select" text collate "C" not null default 'a;b',
  "x""y; drop table app.parent; --" integer default 5 not null,
  "日本語の列" numeric(10,2),
  "UpperCase" varchar(20) default app.next_code()::text,
  a_sixty_three_byte_column_name_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx integer not null,
  total numeric generated always as ("日本語の列" * 2) stored,
  serial_col serial,
  moods app.mood[] default '{ok}',
  p app.posint,
  pr app.pair,
  ts timestamp(3) with time zone default now(),
  bits bit varying(8) constraint "bits; not null" not null,
  parent_id bigint,
  constraint "Odd pk" primary key (id),
  constraint uq_code unique ("Select", "UpperCase") deferrable initially deferred,
  constraint fk_parent foreign key (parent_id) references app.parent (id) on delete set null on update cascade,
  constraint chk_positive check ("x""y; drop table app.parent; --" > 0),
  constraint excl_code exclude using btree ("UpperCase" with =)
) with (fillfactor = 70, autovacuum_enabled = false, toast.autovacuum_enabled = false);
alter table app."Odd Name" add constraint chk_later check (p > 1) not valid;
alter table app."Odd Name" add constraint fk_self foreign key (parent_id) references app."Odd Name" (id) deferrable not valid;
create index "Idx; partial" on app."Odd Name" (lower("Select")) include (p) where "UpperCase" is not null;
create index on app."Odd Name" using gin (moods);
create index on app."Odd Name" ("UpperCase" desc nulls last) with (fillfactor = 50);
alter table app."Odd Name" alter column "Select" set statistics 500;
alter table app."Odd Name" alter column "UpperCase" set storage external;
alter table app."Odd Name" alter column p set (n_distinct = -0.5);
alter table app."Odd Name" replica identity full;
alter table app."Odd Name" enable row level security;
alter table app."Odd Name" force row level security;
create policy "own rows" on app."Odd Name" as restrictive for update to public
  using ("Select" = current_user) with check (p > 0);
create policy p_read on app."Odd Name" for select using (true);
create trigger "Touch it" before insert or update of "Select" on app."Odd Name"
  for each row when (new.p is not null) execute function app.touch();
alter table app."Odd Name" disable trigger "Touch it";
create statistics app.st_odd (ndistinct, dependencies) on "Select", "UpperCase" from app."Odd Name";
comment on table app."Odd Name" is 'it''s odd; really \ odd';
comment on column app."Odd Name"."日本語の列" is 'unicode';
comment on constraint chk_positive on app."Odd Name" is 'positive';
comment on index app."Idx; partial" is 'partial';
comment on trigger "Touch it" on app."Odd Name" is 'trig';
comment on policy p_read on app."Odd Name" is 'pol';
grant select on app."Odd Name" to public;
grant update ("Select", p) on app."Odd Name" to public;
alter table app."Odd Name" cluster on "Odd pk";

create table app.events (
  id bigint not null, at date not null, kind text not null, payload jsonb default '{}',
  primary key (id, at, kind)
) partition by range (at);
create table app.events_2024 partition of app.events
  for values from ('2024-01-01') to ('2025-01-01') partition by list (kind);
create table app.events_2024_a partition of app.events_2024 for values in ('a', 'b');
create table app.events_2024_other partition of app.events_2024 default;
create table app.events_2025 partition of app.events
  for values from ('2025-01-01') to ('2026-01-01') with (fillfactor = 80);
create table app.events_default partition of app.events default;
create table app.events_2026 (id bigint not null, at date constraint "at; 2026" not null, kind text not null,
  payload jsonb default '{}');
alter table app.events attach partition app.events_2026 for values from ('2026-01-01') to ('2027-01-01');
create table app.events_2027 partition of app.events (payload constraint "payload; nn" not null)
  for values from ('2027-01-01') to ('2028-01-01');
create index events_kind on app.events (kind);
alter table app.events add constraint events_kind_chk check (kind <> '');
alter table app.events add constraint events_parent foreign key (id) references app.parent (id);

create table app.base (id integer not null, note text default 'b', constraint base_chk check (id > 0));
create table app.child (extra text collate "C" constraint "extra; nn" not null,
  constraint child_chk check (extra <> '')) inherits (app.base);
alter table app.child alter column note set default 'child';
alter table only app.child alter column note set not null;
create unlogged table app.scratch (k integer primary key, v text compression pglz);
create table "Sch;ema ""x"""."Ünïcödé ""quoted"" ; NAME" (id integer primary key, "select" text);
create sequence app.counter as integer start 100 increment 3 maxvalue 1000 cycle;
comment on sequence app.counter is 'counts';
comment on sequence app."Odd Name_id_seq" is 'identity';
comment on sequence app."Odd Name_serial_col_seq" is 'serial';
create view app."Odd View" with (security_barrier) as
  select id, "Select" from app."Odd Name" where p > 0;
create materialized view app.mv as select kind, count(*) as n from app.events group by kind with no data;
create index mv_kind on app.mv (kind);
create foreign table app.ft (
  id integer options (column_name 'remote_id') not null,
  v text collate "C" default 'x'
) server "remote srv" options (schema_name 'r', table_name 'T');
alter foreign table app.ft add constraint ft_id_positive check (id > 0);
comment on foreign table app.ft is 'remote';

create table app.typed of app.pair (a with options not null default 1,
  constraint typed_pk primary key (a), constraint "typed b" check (b <> ''));
create table app.typed_plain of app.pair;
alter table app.typed_plain alter column b set default 'x';
create aggregate app.my_sum(int) (sfunc = app.int_sum, stype = int, initcond = '0',
  finalfunc = app.int_fin, parallel = safe);
create aggregate app."My Count"(*) (sfunc = int8inc, stype = int8, initcond = '0');
create aggregate app.my_pct(float8 order by float8) (sfunc = ordered_set_transition,
  stype = internal, finalfunc = percentile_disc_final, finalfunc_extra);
create aggregate app.my_max(int) (sfunc = int4larger, stype = int, sortop = >,
  combinefunc = int4larger);
create aggregate app.my_mov(int) (sfunc = int4pl, stype = int, msfunc = int4pl,
  minvfunc = int4mi, mstype = int, minitcond = '0');
create aggregate app.my_rank(variadic "any" order by variadic "any") (
  sfunc = ordered_set_transition_multi, stype = internal, finalfunc = rank_final,
  finalfunc_extra, hypothetical);
comment on aggregate app."My Count"(*) is 'count';
comment on aggregate app.my_pct(float8 order by float8) is 'pct';
"#;

/// The names `pgdeck ddl` is asked for, as a user types them, in creation order.
const NAMES: &[&str] = &[
    "app.parent",
    "app.\"Odd Name\"",
    "app.events",
    "app.base",
    "app.child",
    "app.scratch",
    "\"Sch;ema \"\"x\"\"\".\"Ünïcödé \"\"quoted\"\" ; NAME\"",
    "app.counter",
    "app.\"Odd View\"",
    "app.mv",
    "app.ft",
    "app.typed",
    "app.typed_plain",
    "app.my_sum",
    "app.\"My Count\"",
    "app.my_pct",
    "app.my_max",
    "app.my_mov",
    "app.my_rank",
];

fn pgdeck(args: &[&str], home: &std::path::Path) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgdeck"));
    cmd.args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("PG") {
            cmd.env_remove(&k);
        }
    }
    cmd.env("HOME", home)
        .env("PGDECK_CONFIG_DIR", home.join("config"))
        .output()
        .expect("run pgdeck")
}

fn pg_dump_schema(conninfo: &str) -> String {
    let dir = &cluster().bin().dir;
    let mut bin = dir.join("pg_dump");
    if !bin.exists() {
        bin = cluster()
            .bin()
            .psql()
            .parent()
            .map(|p| p.join("pg_dump"))
            .unwrap_or(bin);
    }
    let out = Command::new(&bin)
        .args(["-s", "-d", conninfo])
        .env_remove("PGOPTIONS")
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", bin.display()));
    assert!(
        out.status.success(),
        "pg_dump: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Newer pg_dump brackets the script with a random \restrict key: the only line that may differ.
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn ddl_round_trips_through_an_empty_database_as_pg_dump_sees_it() {
    let (a, ci_a) = fresh_db("ddl_a");
    let (b, ci_b) = fresh_db("ddl_b");
    let home = Scratch::new("ddl");
    // a table owned by another role: the DDL hands it over
    let role = format!("Owner; {}", std::process::id());
    cluster()
        .psql(
            &a,
            &format!("do $$ begin create role \"{role}\"; exception when duplicate_object then null; end $$;"),
        )
        .expect("role");
    cluster().psql(&a, PRELUDE).expect("prelude in A");
    cluster().psql(&a, &objects_sql(&a)).expect("objects in A");
    cluster()
        .psql(
            &a,
            &format!("alter table app.scratch owner to \"{role}\"; alter view app.\"Odd View\" owner to \"{role}\";"),
        )
        .expect("owner");
    cluster().psql(&b, PRELUDE).expect("prelude in B");
    let mut all = String::new();
    for name in names(&a) {
        let out = pgdeck(&["ddl", &ci_a, name], home.path());
        let ddl = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "pgdeck ddl {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        all.push_str(&ddl);
        if let Err(e) = cluster().psql(&b, &ddl) {
            panic!("the DDL of {name} fails in an empty database: {e}\n{ddl}");
        }
    }
    let (dump_a, dump_b) = (pg_dump_schema(&ci_a), pg_dump_schema(&ci_b));
    if dump_a != dump_b {
        let diff: Vec<String> = dump_a
            .lines()
            .zip(dump_b.lines())
            .filter(|(x, y)| x != y)
            .take(20)
            .map(|(x, y)| format!("A: {x}\nB: {y}"))
            .collect();
        panic!(
            "pg_dump -s differs between the original and the DDL's database:\n{}\n\nDDL:\n{all}\n\nA:\n{dump_a}\n\nB:\n{dump_b}",
            diff.join("\n")
        );
    }
    // Identifiers are quoted exactly when quote_ident would: bare where safe, quoted otherwise.
    assert!(all.contains("CREATE TABLE app.parent ("), "{all}");
    assert!(
        all.contains("CREATE TABLE \"Sch;ema \"\"x\"\"\".\"Ünïcödé \"\"quoted\"\" ; NAME\""),
        "{all}"
    );
    assert!(all.contains("\"select\" text"), "{all}");
}

#[test]
fn ddl_of_functions_types_and_missing_objects() {
    let (a, ci) = fresh_db("ddl_misc");
    let home = Scratch::new("ddl_misc");
    cluster().psql(&a, PRELUDE).expect("prelude");
    let out = pgdeck(&["ddl", &ci, "app.mood"], home.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text,
        "CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'it''s fine');\n"
    );
    let out = pgdeck(&["ddl", &ci, "app.posint"], home.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("CREATE DOMAIN app.posint AS integer DEFAULT 1 NOT NULL\n    CONSTRAINT posint_positive CHECK ((VALUE > 0));"),
        "{text}"
    );
    // PostgreSQL 17 and later name a domain's NOT NULL (pg_dump writes it when not the default)
    cluster()
        .psql(
            &a,
            "create domain app.\"Dom; nn\" as int constraint \"the; nn\" not null",
        )
        .expect("domain");
    let out = pgdeck(&["ddl", &ci, "app.\"Dom; nn\""], home.path());
    let text = String::from_utf8_lossy(&out.stdout);
    let expected = if server_version(&a) >= 170000 {
        "CREATE DOMAIN app.\"Dom; nn\" AS integer CONSTRAINT \"the; nn\" NOT NULL;\n"
    } else {
        "CREATE DOMAIN app.\"Dom; nn\" AS integer NOT NULL;\n"
    };
    assert_eq!(text, expected);
    let out = pgdeck(&["ddl", &ci, "app.next_code"], home.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("CREATE OR REPLACE FUNCTION app.next_code()"),
        "{text}"
    );
    cluster()
        .psql(
            &a,
            "create table \"Mixed Case\" (id int); create index \"Idx; x\" on \"Mixed Case\" (id) where id > 0;
             comment on index \"Idx; x\" is 'partial';",
        )
        .expect("table in public");
    // unqualified names are looked up on the search_path; the output is qualified
    let out = pgdeck(&["ddl", &ci, "\"Idx; x\""], home.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text,
        "CREATE INDEX \"Idx; x\" ON public.\"Mixed Case\" USING btree (id) WHERE (id > 0);\nCOMMENT ON INDEX public.\"Idx; x\" IS 'partial';\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = pgdeck(&["ddl", &ci, "\"Mixed Case\""], home.path());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("CREATE INDEX \"Idx; x\""),
        "a table's DDL includes its indexes"
    );
    cluster()
        .psql(
            &a,
            "create table idt (id int generated by default as identity)",
        )
        .expect("identity table");
    let out = pgdeck(&["ddl", &ci, "idt_id_seq"], home.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("-- the identity sequence of public.idt.id"),
        "{text}"
    );
    let out = pgdeck(&["ddl", &ci, "app.\"No Such\""], home.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no table, view"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn schema_prints_partitions_under_their_parent_and_filters() {
    let (a, ci) = fresh_db("schema_tree");
    let home = Scratch::new("schema_tree");
    cluster().psql(&a, PRELUDE).expect("prelude");
    cluster().psql(&a, &objects_sql(&a)).expect("objects");
    let out = pgdeck(&["schema", &ci], home.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("    events  partitioned\n      events_2024  partitioned  FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')\n        events_2024_a  FOR VALUES IN ('a', 'b')"),
        "{text}"
    );
    assert!(text.contains("    \"Odd Name\"  ~"), "{text}");
    assert!(text.contains("    next_code() → integer"), "{text}");
    assert!(
        text.contains("  triggers (1)\n    \"Touch it\" on \"Odd Name\"  disabled\n"),
        "{text}"
    );
    assert!(
        text.contains("  policies (2)\n    \"own rows\" on \"Odd Name\"  update\n    p_read on \"Odd Name\"  select\n"),
        "{text}"
    );
    assert!(
        text.contains("    mood  enum 'sad', 'ok', 'it''s fine'"),
        "{text}"
    );
    assert!(text.contains("\"Sch;ema \"\"x\"\"\"\n"), "{text}");
    let out = pgdeck(&["schema", &ci, "--format", "json", "evdef"], home.path());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let names: Vec<&str> = json["schemas"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["relations"].as_array().into_iter().flatten())
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(names, vec!["events_default"]);
}

/// A table under ACCESS EXCLUSIVE held by another session: the detail view's load gives up after
/// the monitor's lock_timeout, and the error names the pid holding the lock; the DDL load too (its
/// pg_get_expr calls take the same lock). A dropped table gives a clear message.
#[tokio::test]
async fn a_locked_table_times_out_naming_the_holder_and_a_dropped_one_says_so() {
    use pgdeck::db::{self, Settings};
    let (name, ci) = fresh_db("locked");
    cluster()
        .psql(
            &name,
            "create table \"Locked; T\" (id int primary key, v text); insert into \"Locked; T\" values (1, 'a');
             create table gone (id int);",
        )
        .expect("setup");
    let t = super::common::target(&ci);
    let conns = db::open(&t, &Settings::default()).await.expect("open");
    let monitor = &conns.monitor.client;
    let oid_of = |n: &'static str| async move {
        monitor
            .query_one(&format!("select '{n}'::regclass::oid"), &[])
            .await
            .expect("oid")
            .get::<_, u32>(0)
    };
    let oid = oid_of("\"Locked; T\"").await;
    let gone = oid_of("gone").await;

    // unlocked: the detail loads
    let d = db::detail::table_detail(monitor, oid)
        .await
        .expect("detail");
    assert_eq!(d.name, "Locked; T");
    assert_eq!(d.columns.len(), 2);
    assert_eq!(d.indexes.len(), 1);
    assert_eq!(
        db::detail::count_rows(monitor, "public", "Locked; T")
            .await
            .expect("count"),
        1
    );

    let holder = pgdeck::conn::connect(&t, "holder").await.expect("holder");
    holder
        .client
        .batch_execute("begin; lock table \"Locked; T\" in access exclusive mode")
        .await
        .expect("lock");
    let pid: i32 = holder
        .client
        .query_one("select pg_backend_pid()", &[])
        .await
        .expect("pid")
        .get(0);
    // the tree and completion read only the catalogs: they load whole, the locked table included
    let tree = db::catalog::schema_tree(monitor)
        .await
        .expect("the tree loads while a table is locked");
    assert!(
        tree.schemas
            .iter()
            .any(|s| s.relations.iter().any(|r| r.name == "Locked; T")),
        "the locked table is listed"
    );
    let names = db::catalog::completion_names(monitor)
        .await
        .expect("completion loads while a table is locked");
    assert!(
        format!("{names:?}").contains("Locked; T"),
        "completion knows the locked table"
    );
    let started = std::time::Instant::now();
    let err = db::detail::table_detail(monitor, oid)
        .await
        .expect_err("a locked table must not load");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "took {:?}",
        started.elapsed()
    );
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("pid {pid} holds AccessExclusiveLock")),
        "{msg}"
    );
    // the DDL's pg_get_expr calls wait for the same lock: same bound, same message
    let obj = db::ddl::ObjectRef {
        kind: "rel:r".into(),
        oid,
        name: Default::default(),
    };
    let err = db::ddl::object_def(monitor, &obj)
        .await
        .expect_err("locked");
    let msg = db::detail::explain_lock_timeout(monitor, oid, err)
        .await
        .to_string();
    assert!(
        msg.contains(&format!("pid {pid} holds AccessExclusiveLock")),
        "{msg}"
    );
    // the TUI's way (a transaction with search_path = pg_catalog): same bound, same message, and
    // the transaction is gone afterwards
    let msg = db::ddl::object_def_qualified(monitor, &obj, 5000, 100)
        .await
        .expect_err("locked")
        .to_string();
    assert!(
        msg.contains(&format!("pid {pid} holds AccessExclusiveLock")),
        "{msg}"
    );
    let path: String = monitor
        .query_one("show search_path", &[])
        .await
        .expect("search_path")
        .get(0);
    assert_ne!(path, "pg_catalog", "the transaction was rolled back");
    holder
        .client
        .batch_execute("rollback")
        .await
        .expect("rollback");

    cluster().psql(&name, "drop table gone").expect("drop");
    let msg = db::detail::table_detail(monitor, gone)
        .await
        .expect_err("dropped")
        .to_string();
    assert!(msg.contains("no longer exists"), "{msg}");
}

/// A role that may not read a table still gets the whole tree, with the table marked; its DDL and
/// the tree's other objects load as for anyone.
#[test]
fn objects_the_user_may_not_read_show_as_such() {
    let (a, ci) = fresh_db("schema_priv");
    let home = Scratch::new("schema_priv");
    let role = format!("reader_{}", std::process::id());
    cluster()
        .psql(
            &a,
            &format!(
                "do $$ begin create role {role} login; exception when duplicate_object then null; end $$;
                 create table secret (id int); create table open_t (id int);
                 grant select on open_t to {role};"
            ),
        )
        .expect("setup");
    let ci = ci.replace("user=postgres", &format!("user={role}"));
    let out = pgdeck(&["schema", &ci], home.path());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("    secret  ~0 rows  (no SELECT privilege)"),
        "{text}"
    );
    assert!(text.contains("    open_t  ~0 rows\n"), "{text}");
    let out = pgdeck(&["ddl", &ci, "secret"], home.path());
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("CREATE TABLE public.secret ("),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The TUI's DDL (the worker's `LoadDdl`) is written as `pgdeck ddl` writes it: every name outside
/// pg_catalog qualified, whatever the session's search_path, on a connection of its own, so the
/// monitor connection's search_path (completion, `\d`) is left as the user's.
#[tokio::test]
async fn the_tuis_ddl_is_qualified_like_pgdeck_ddl() {
    use pgdeck::db::{self, Reply, Request, Settings, Worker};
    let (name, ci) = fresh_db("tui_ddl");
    cluster()
        .psql(
            &name,
            "create function next_code() returns int language sql as 'select 42';
             create table \"Odd; T\" (id int default next_code(), c text check (c <> lower(c)));",
        )
        .expect("setup");
    let oid: u32 = cluster()
        .psql(&name, "select '\"Odd; T\"'::regclass::oid")
        .expect("oid")
        .trim()
        .parse()
        .expect("oid");
    let home = Scratch::new("tui_ddl");
    let out = pgdeck(&["ddl", &ci, "\"Odd; T\""], home.path());
    let cli = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(cli.contains("DEFAULT public.next_code()"), "{cli}");

    let t = super::common::target(&ci);
    let settings = Settings::default();
    let conns = db::open(&t, &settings).await.expect("open");
    let (requests, mut events) = Worker::spawn(conns, t, settings);
    for _ in 0..2 {
        let id = requests.send(Request::LoadDdl {
            oid,
            kind: "rel:r".into(),
        });
        match answer(&mut events, id).await {
            Ok(Reply::Ddl { text, .. }) => assert_eq!(text, cli),
            other => panic!("{other:?}"),
        }
    }
    let id = requests.send(Request::LoadCompletion);
    let Ok(Reply::Completion(names)) = answer(&mut events, id).await else {
        panic!("no completion names");
    };
    let rel = names
        .relations
        .iter()
        .find(|r| r.name == "Odd; T")
        .expect("listed");
    assert!(rel.visible, "the monitor's search_path is still the user's");
}

/// The worker's answer to request `id`.
async fn answer(
    events: &mut tokio::sync::mpsc::UnboundedReceiver<pgdeck::db::WorkerEvent>,
    id: pgdeck::db::RequestId,
) -> Result<pgdeck::db::Reply, pgdeck::db::DbError> {
    loop {
        let ev = tokio::time::timeout(std::time::Duration::from_secs(20), events.recv())
            .await
            .expect("answer in time")
            .expect("worker alive");
        if let pgdeck::db::WorkerEvent::Response(r) = ev
            && r.id == id
        {
            return r.reply;
        }
    }
}
