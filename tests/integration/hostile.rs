//! Hostile names and data through every headless command: quotes, semicolons, comment markers, spaces,
//! upper case, unicode and a 63-byte name. Each command must work on them, print control characters
//! only as visible escapes where it draws for a terminal, and never run anything the names "say" (a
//! canary table that every name tries to drop must survive).

use std::process::Command;

use pgdeck::conn;

use super::common::{cluster, fresh_db, target};

const SCHEMA: &str = "Sch\"; drop table public.canary; --";
const COLUMN: &str = "col \"quoted\"; drop table public.canary";

/// A 63-byte table name (PostgreSQL's limit) with unicode, a quote and a semicolon.
fn table_name() -> String {
    let mut name = String::from("Ünï'cödé; drop table public.canary; -- ");
    while name.len() < 63 {
        name.push('x');
    }
    assert_eq!(name.len(), 63);
    name
}

fn q(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

fn pgdeck(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pgdeck"))
        .args(args)
        .env(
            "PGDECK_CONFIG_DIR",
            std::env::temp_dir().join("pgdeck-hostile-none"),
        )
        .env_remove("NO_COLOR")
        .output()
        .expect("run pgdeck");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_names_and_data_through_every_headless_command() {
    let (db, ci) = fresh_db("hostile");
    let (s, t, c) = (q(SCHEMA), q(&table_name()), q(COLUMN));
    cluster()
        .psql(
            &db,
            &format!(
                "create table public.canary (id int);
                 create schema {s};
                 create type {s}.\"mood\"\"\" as enum ('it''s', 'a;b', 'ünï');
                 create table {s}.{t} (id int primary key, {c} text, \"Select\" {s}.\"mood\"\"\");
                 create index \"idx; drop table public.canary\" on {s}.{t} ({c});
                 create view {s}.\"v'iew; --\" as select id, {c} from {s}.{t};
                 create sequence {s}.\"seq ;\";
                 create function {s}.\"f\"\"n\"(x int) returns int language sql as 'select x + 1';
                 insert into {s}.{t} values (1, E'bell\\x07 esc\\x1b[2J newline\\n', 'it''s');"
            ),
        )
        .expect("hostile fixture");

    // a session whose application name and statement carry escape sequences, for `activity`
    let busy = conn::connect(&target(&ci), "app\u{1b}[31mred")
        .await
        .expect("connect");
    let sleeper = {
        let client = busy.client;
        let sql = format!("select pg_sleep(4), '\u{1b}]52;c;aGk=\u{7}' from {s}.{t}");
        tokio::spawn(async move { client.batch_execute(&sql).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let mut failures = Vec::new();
    let mut expect = |what: &str, ok: bool, detail: String| {
        if !ok {
            failures.push(format!("{what}: {detail}"));
        }
    };

    // the tree, as text and JSON
    let (code, out, err) = pgdeck(&["schema", &ci]);
    expect(
        "schema text",
        code == 0 && out.contains(&table_name()),
        err.clone(),
    );
    expect("schema text raw ESC", !out.contains('\u{1b}'), out.clone());
    let (code, out, err) = pgdeck(&["schema", &ci, "--format", "json"]);
    let parsed: Result<serde_json::Value, _> = serde_json::from_str(&out);
    expect(
        "schema json",
        code == 0 && parsed.is_ok() && out.contains("mood"),
        format!("{code} {err}"),
    );

    // DDL of each kind of object, named the way a user types it
    for (what, object, needle) in [
        ("table", format!("{s}.{t}"), "CREATE TABLE"),
        ("view", format!("{s}.\"v'iew; --\""), "CREATE VIEW"),
        ("sequence", format!("{s}.\"seq ;\""), "CREATE SEQUENCE"),
        (
            "function",
            format!("{s}.\"f\"\"n\""),
            "CREATE OR REPLACE FUNCTION",
        ),
        ("type", format!("{s}.\"mood\"\"\""), "CREATE TYPE"),
        (
            "index",
            format!("{s}.\"idx; drop table public.canary\""),
            "CREATE INDEX",
        ),
    ] {
        let (code, out, err) = pgdeck(&["ddl", &ci, &object]);
        expect(
            &format!("ddl {what}"),
            code == 0 && out.contains(needle),
            format!("exit {code}\n{out}\n{err}"),
        );
    }

    // a statement and its plan
    let sql = format!("select {c} from {s}.{t} where id = 1");
    let (code, out, err) = pgdeck(&["query", &ci, "-c", &sql, "--format", "json"]);
    expect(
        "query json",
        code == 0 && out.contains("\\u001b[2J"),
        format!("{code} {out} {err}"),
    );
    let (code, out, err) = pgdeck(&["explain", &ci, &sql]);
    expect(
        "explain",
        code == 0 && out.contains("Ünï'cödé"),
        format!("{code} {out} {err}"),
    );
    let (code, out, err) = pgdeck(&["explain", &ci, "--analyze", &format!("delete from {s}.{t}")]);
    expect(
        "explain analyze of a delete",
        code == 0,
        format!("{code} {out} {err}"),
    );

    // the health report
    let (code, out, err) = pgdeck(&["check", &ci, "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
    expect(
        "check",
        code != 2 && report["errors"].as_array().is_some_and(|e| e.is_empty()),
        format!("{code} {out} {err}"),
    );

    // the activity snapshot shows the escapes visibly, never raw
    let (code, out, err) = pgdeck(&["activity", &ci, "--once"]);
    expect(
        "activity text",
        code == 0 && out.contains("pg_sleep"),
        format!("{code} {out} {err}"),
    );
    expect(
        "activity raw control characters",
        !out.contains('\u{1b}') && !out.contains('\u{7}'),
        out.clone(),
    );
    let (code, out, err) = pgdeck(&["activity", &ci, "--once", "--format", "json"]);
    expect(
        "activity json",
        code == 0 && serde_json::from_str::<serde_json::Value>(&out).is_ok(),
        format!("{code} {err}"),
    );

    let _ = sleeper.await;
    // nothing the names said was executed, and the explained delete was rolled back
    let left = cluster()
        .psql(
            &db,
            &format!("select (select count(*) from public.canary) || '/' || (select count(*) from {s}.{t})"),
        )
        .expect("canary table still there");
    expect("canary and rows", left.trim() == "0/1", left.clone());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
