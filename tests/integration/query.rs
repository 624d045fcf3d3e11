//! `pgdeck query`, the built binary against the test cluster: CSV byte for byte as `psql --csv`
//! prints it, type by type; psql's table shape; tags, notices and errors where psql puts them;
//! scripts stop at the first error; COPY both ways; Ctrl-C and a closed pipe cancel on the server.

use std::io::{Read, Write};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::common::{Scratch, cluster, fresh_db};

/// pgdeck with a clean environment (no PG* variables, private config and state).
fn pgdeck_cmd(args: &[&str], home: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgdeck"));
    cmd.args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("PG") {
            cmd.env_remove(&k);
        }
    }
    cmd.env("HOME", home)
        .env("PGDECK_CONFIG_DIR", home.join("config"))
        .env("PGDECK_STATE_DIR", home.join("state"));
    cmd
}

fn pgdeck(args: &[&str], home: &std::path::Path) -> Output {
    pgdeck_cmd(args, home)
        .stdin(Stdio::null())
        .output()
        .expect("run pgdeck")
}

fn pgdeck_stdin(args: &[&str], home: &std::path::Path, input: &str) -> Output {
    let mut child = pgdeck_cmd(args, home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run pgdeck");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_owned();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let out = child.wait_with_output().expect("pgdeck output");
    writer.join().expect("stdin writer");
    out
}

/// The psql to compare with: one of version 15 or later (older ones print only the last result of
/// a multi-statement -c), preferring the one on PATH when the server's own is older.
fn psql_client() -> std::path::PathBuf {
    fn major(psql: &std::path::Path) -> Option<u32> {
        let out = Command::new(psql).arg("--version").output().ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        text.split_whitespace()
            .nth(2)?
            .split('.')
            .next()?
            .parse()
            .ok()
    }
    let own = cluster().bin().psql();
    if major(&own).is_some_and(|m| m >= 15) {
        return own;
    }
    let on_path = std::path::PathBuf::from("psql");
    if major(&on_path).is_some_and(|m| m >= 15) {
        return on_path;
    }
    own
}

/// psql as a user runs it: no psqlrc, UTF-8, the same clean environment.
fn psql(args: &[&str]) -> Output {
    let mut cmd = Command::new(psql_client());
    cmd.arg("-X").args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("PG") {
            cmd.env_remove(&k);
        }
    }
    cmd.env("PGCLIENTENCODING", "UTF8")
        .stdin(Stdio::null())
        .output()
        .expect("run psql")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Values for each type, as text literals cast to the type: quotes, commas, newlines, NULLs,
/// special values, arrays, ranges, composites, enums, domains.
const SAMPLES: &[(&str, &[&str])] = &[
    ("bool", &["t", "f"]),
    ("int2", &["-32768", "0", "32767"]),
    ("int4", &["-2147483648", "42"]),
    ("int8", &["9223372036854775807", "-1"]),
    (
        "numeric",
        &[
            "1.50",
            "NaN",
            "-0.000001",
            "123456789012345678901234567890.5",
        ],
    ),
    ("numeric(10,3)", &["3.14159"]),
    ("float4", &["1.5", "NaN", "Infinity", "-1e-40"]),
    ("float8", &["0.1", "-Infinity", "1e300", "-0"]),
    ("money", &["12.34", "-1000000"]),
    ("char(4)", &["ab", "a,b"]),
    ("varchar", &["a,b", "he said \"hi\""]),
    (
        "text",
        &[
            "",
            " lead and trail ",
            "line1\nline2",
            "cr\rx",
            "crlf\r\nx",
            "\\.",
            "\\.\n",
            "tab\there",
            "Grüße 日本 🎉",
            "back\\slash",
            "\"",
            ",",
            "esc \u{1b}[31m red",
            "NULL",
        ],
    ),
    ("name", &["pg_class", "a b"]),
    ("\"char\"", &["x", ","]),
    ("bytea", &["\\x00ff2c22", "abc,\"def\""]),
    ("date", &["2024-02-29", "infinity", "0001-01-01 BC"]),
    ("time", &["04:05:06.789"]),
    ("timetz", &["04:05:06+02"]),
    ("timestamp", &["2024-01-01 00:00:00", "-infinity"]),
    ("timestamptz", &["2024-06-01 12:30:00+00", "epoch"]),
    (
        "interval",
        &["1 year 2 mons -3 days 04:05:06.789", "-1 microsecond"],
    ),
    ("uuid", &["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"]),
    (
        "json",
        &["{\"a\": [1, \"x,y\"],\n \"b\": null}", "\"str\"", "[]"],
    ),
    (
        "jsonb",
        &[
            "{\"a\": [1, \"x,y\"], \"b\": null, \"q\": \"say \\\"hi\\\"\"}",
            "3.0",
        ],
    ),
    ("jsonpath", &["$.a[*] ? (@ > 1)"]),
    ("xml", &["<a b=\"1\">x, y</a>"]),
    ("inet", &["192.168.0.1/24", "::1"]),
    ("cidr", &["10.0.0.0/8"]),
    ("macaddr", &["08:00:2b:01:02:03"]),
    ("macaddr8", &["08:00:2b:01:02:03:04:05"]),
    ("point", &["(1.5,2)"]),
    ("line", &["{1,-1,0}"]),
    ("lseg", &["[(0,0),(1,1)]"]),
    ("box", &["(1,1),(0,0)"]),
    ("path", &["[(0,0),(1,1),(2,0)]"]),
    ("polygon", &["((0,0),(1,1),(1,0))"]),
    ("circle", &["<(0,0),2>"]),
    ("bit(4)", &["1010"]),
    ("varbit", &["10111"]),
    ("tsvector", &["a fat:2 cat's"]),
    ("tsquery", &["fat & (rat | cat)"]),
    ("int4range", &["[1,10)", "empty", "(,5]"]),
    ("int8range", &["[1,2]"]),
    ("numrange", &["[1.5,2.5)"]),
    ("daterange", &["[2024-01-01,2024-02-01)"]),
    ("tsrange", &["[\"2024-01-01 00:00\",\"2024-01-02 00:00\")"]),
    ("tstzrange", &["[2024-01-01 00:00+00,)"]),
    ("int4multirange", &["{[1,3), [5,7)}", "{}"]),
    ("oid", &["1259"]),
    ("regclass", &["pg_class"]),
    ("regtype", &["integer"]),
    ("regproc", &["now"]),
    ("pg_lsn", &["16/B374D848"]),
    ("pg_snapshot", &["10:20:10,14,15"]),
    ("tid", &["(0,1)"]),
    ("xid", &["12345"]),
    ("mood", &["sad", "so, so", "\"quoted\""]),
    ("pair", &["(1,\"a b\")", "(,)", "(2,\"x,\"\"y\")"]),
    ("posint", &["7"]),
    ("text[]", &["{\"a,b\",NULL,\"q\\\"q\",\"\",\"NULL\"}", "{}"]),
    ("int4[]", &["{{1,2},{3,4}}", "[0:1]={1,2}"]),
    ("jsonb[]", &["{\"{\\\"a\\\": 1}\"}"]),
    ("mood[]", &["{sad,\"so, so\"}"]),
    ("pair[]", &["{\"(1,x)\",NULL}"]),
    ("bytea[]", &["{\"\\\\x00\"}"]),
];

fn sql_literal(v: &str) -> String {
    format!("'{}'", v.replace('\'', "''"))
}

#[test]
fn csv_is_byte_for_byte_psql_csv_for_every_type() {
    let (_name, ci) = fresh_db("query_types");
    cluster()
        .psql(
            &_name,
            "create type mood as enum ('sad', 'so, so', '\"quoted\"'); \
             create type pair as (x int, y text); \
             create domain posint as int check (value > 0);",
        )
        .expect("types");
    let version: u32 = cluster()
        .psql(&_name, "show server_version_num")
        .expect("version")
        .trim()
        .parse()
        .expect("a number");
    let has_xml = cluster().psql(&_name, "select '<a/>'::xml").is_ok();
    // One statement per type: the values and NULL, the type, an array and a record holding them.
    let mut sql = String::new();
    for (ty, values) in SAMPLES {
        if ty.contains("multirange") && version < 140000 {
            continue; // multiranges came with PostgreSQL 14
        }
        if *ty == "xml" && !has_xml {
            continue; // a server built without libxml (some portable builds)
        }
        let rows: Vec<String> = values
            .iter()
            .map(|v| format!("({})", sql_literal(v)))
            .chain(std::iter::once("(null)".to_string()))
            .collect();
        sql.push_str(&format!(
            "select v::{ty} as \"{col}\", pg_typeof(v::{ty}) as \"type, name\", \
             array[v::{ty}] as arr, row(v::{ty}, 'x') as rec \
             from (values {}) s(v);\n",
            rows.join(", "),
            col = ty.replace('"', "\"\""),
        ));
    }
    // Every other base type PostgreSQL ships: NULL and an empty array of it.
    sql.push_str(
        "select t.oid::regtype::text as type, null as value from pg_type t \
         where t.typtype = 'b' and t.typnamespace = 'pg_catalog'::regnamespace \
         and t.typelem = 0 order by 1;\n",
    );
    let home = Scratch::new("query_types");
    let ours = pgdeck(&["query", &ci, "--csv", "-c", &sql], home.path());
    let theirs = psql(&["--csv", "-d", &ci, "-c", &sql]);
    let (o_out, o_err) = text(&ours);
    let (t_out, t_err) = text(&theirs);
    assert!(theirs.status.success(), "psql failed: {t_err}");
    assert!(ours.status.success(), "pgdeck failed: {o_err}");
    assert!(
        t_out.lines().count() > 200,
        "the comparison covers little: {t_out}"
    );
    if ours.stdout != theirs.stdout {
        let first = o_out
            .lines()
            .zip(t_out.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "pgdeck --csv differs from psql --csv at line {}:\npgdeck: {:?}\npsql:   {:?}",
            first + 1,
            o_out.lines().nth(first),
            t_out.lines().nth(first)
        );
    }

    // The same SQL as a file (one statement at a time) prints the same bytes.
    let file = home.path().join("types.sql");
    std::fs::write(&file, &sql).expect("write sql");
    let from_file = pgdeck(
        &["query", &ci, "--csv", "-f", &file.display().to_string()],
        home.path(),
    );
    assert_eq!(text(&from_file).0, t_out);
}

#[test]
fn tags_and_zero_column_results_match_psql_csv() {
    let (_name, ci) = fresh_db("query_tags");
    // psql runs the same statements in a database of its own
    let (_, ci_psql) = fresh_db("query_tags_psql");
    let sql = "create table t(a int); insert into t values (1), (2) returning a; \
               update t set a = a + 1 where false; copy t to stdout; show work_mem; \
               explain (costs off) select 1; values (1), (2); begin; commit; select; \
               select where false; select 1 as \"a,\"\"b\"; delete from t";
    let home = Scratch::new("query_tags");
    let ours = pgdeck(&["query", &ci, "--csv", "-c", sql], home.path());
    let theirs = psql(&["--csv", "-d", &ci_psql, "-c", sql]);
    assert!(ours.status.success(), "{}", text(&ours).1);
    assert_eq!(text(&ours).0, text(&theirs).0);
    assert!(text(&ours).0.contains("INSERT 0 2\n"), "{}", text(&ours).0);
    assert!(text(&ours).0.ends_with("DELETE 2\n"), "{}", text(&ours).0);
}

#[test]
fn table_format_looks_like_psql() {
    let (_name, ci) = fresh_db("query_table");
    let (_, ci_psql) = fresh_db("query_table_psql");
    let sql = "select 1 as a, 'hello' as b; select 10 as n union all select 7 order by 1; \
               select 1.5::numeric as amount, 'Grüße 日本' as greeting, null::text as nothing; \
               select from generate_series(1, 3); create table t(a int)";
    let home = Scratch::new("query_table");
    let ours = pgdeck(&["query", &ci, "-c", sql], home.path());
    let theirs = psql(&["-d", &ci_psql, "-c", sql]);
    assert!(ours.status.success(), "{}", text(&ours).1);
    assert_eq!(text(&ours).0, text(&theirs).0);
}

#[test]
fn json_keeps_numbers_booleans_and_json_values() {
    let (_name, ci) = fresh_db("query_json");
    let home = Scratch::new("query_json");
    let out = pgdeck(
        &[
            "query",
            &ci,
            "--format",
            "json",
            "-c",
            "select 1 as i, 2.50::numeric as n, 'NaN'::float8 as f, true as b, \
             '{\"k\": [1, null]}'::jsonb as j, 'x\ny' as t, null::int as z; \
             create table t(a int)",
        ],
        home.path(),
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("stdout is one JSON value");
    assert_eq!(
        v,
        serde_json::json!([{"i": 1, "n": 2.50, "f": "NaN", "b": true, "j": {"k": [1, null]},
                            "t": "x\ny", "z": null}])
    );
    // The tag of a statement without rows goes to stderr, keeping stdout one JSON value per result.
    assert!(stderr.contains("CREATE TABLE"), "{stderr}");
}

#[test]
fn errors_go_to_stderr_with_exit_code_2_and_stop_the_script() {
    let (name, ci) = fresh_db("query_errors");
    let home = Scratch::new("query_errors");
    let script = home.path().join("script.sql");
    std::fs::write(
        &script,
        "create table done(a int);\n-- a comment\nselect 1 as ok;\n\ninsert into done\n  values ('x');\ncreate table never(a int);\n",
    )
    .expect("write script");
    let out = pgdeck(
        &["query", &ci, "-f", &script.display().to_string()],
        home.path(),
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains(" ok \n----\n  1\n(1 row)"), "{stdout}");
    assert!(
        stderr.contains(&format!(
            "{}:6: ERROR:  invalid input syntax for type integer: \"x\"",
            script.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("LINE 2:   values ('x');\n                  ^"),
        "{stderr}"
    );
    let tables = cluster()
        .psql(
            &name,
            "select string_agg(relname, ',' order by relname) from pg_class where relname in ('done', 'never')",
        )
        .expect("psql");
    assert_eq!(tables.trim(), "done", "the script stopped at the error");

    // -1: the whole run rolls back.
    let out = pgdeck(
        &[
            "query",
            &ci,
            "-1",
            "-c",
            "create table t1(a int)",
            "-c",
            "select 1/0",
        ],
        home.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).1.contains("ERROR:  division by zero"),
        "{}",
        text(&out).1
    );
    let t1 = cluster()
        .psql(&name, "select count(*) from pg_class where relname = 't1'")
        .expect("psql");
    assert_eq!(t1.trim(), "0");

    // Meta-commands and missing files are refused before connecting.
    let out = pgdeck_stdin(&["query", &ci], home.path(), "select 1;\n\\dt\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).1.contains("<stdin>:2: psql meta-commands"),
        "{}",
        text(&out).1
    );
    let out = pgdeck(&["query", &ci, "-f", "/nonexistent/x.sql"], home.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).1.contains("/nonexistent/x.sql"),
        "{}",
        text(&out).1
    );
}

#[test]
fn notices_go_to_stderr_in_order() {
    let (_name, ci) = fresh_db("query_notice");
    let home = Scratch::new("query_notice");
    let out = pgdeck(
        &[
            "query",
            &ci,
            "--csv",
            "-c",
            "do $$ begin raise notice 'first %', 1; raise warning 'careful'; end $$; \
             drop table if exists nothing_here",
        ],
        home.path(),
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stdout, "DO\nDROP TABLE\n");
    assert_eq!(
        stderr,
        "NOTICE:  first 1\nWARNING:  careful\nNOTICE:  table \"nothing_here\" does not exist, skipping\n"
    );
}

#[test]
fn sql_from_stdin_and_copy_both_ways() {
    let (name, ci) = fresh_db("query_copy");
    let home = Scratch::new("query_copy");
    let out = pgdeck_stdin(
        &["query", &ci, "--csv"],
        home.path(),
        "create table t(a int, b text);\ninsert into t values (1, 'x');\nselect * from t;\n",
    );
    assert!(out.status.success(), "{}", text(&out).1);
    assert_eq!(text(&out).0, "CREATE TABLE\nINSERT 0 1\na,b\n1,x\n");

    // COPY FROM STDIN reads the data from stdin when the SQL comes from -c.
    let out = pgdeck_stdin(
        &["query", &ci, "-c", "copy t from stdin with (format csv)"],
        home.path(),
        "2,\"y,z\"\n3,\n",
    );
    assert!(out.status.success(), "{}", text(&out).1);
    assert_eq!(text(&out).0, "COPY 2\n");
    let out = pgdeck(
        &[
            "query",
            &ci,
            "-c",
            "copy (select * from t order by a) to stdout with (format csv)",
        ],
        home.path(),
    );
    assert_eq!(text(&out).0, "1,x\n2,\"y,z\"\n3,\n");
    let count = cluster()
        .psql(&name, "select count(*) from t")
        .expect("psql");
    assert_eq!(count.trim(), "3");
}

/// Whether a statement containing `marker` is still running on the server.
fn running(name: &str, marker: &str) -> bool {
    let n = cluster()
        .psql(
            name,
            &format!(
                "select count(*) from pg_stat_activity where query like '%{marker}%' \
                 and pid <> pg_backend_pid() and state = 'active'"
            ),
        )
        .expect("psql");
    n.trim() != "0"
}

fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn ctrl_c_cancels_the_statement_on_the_server() {
    let (name, ci) = fresh_db("query_cancel");
    let home = Scratch::new("query_cancel");
    let mut child = pgdeck_cmd(
        &["query", &ci, "-c", "select pg_sleep(60) as ctrl_c_marker"],
        home.path(),
    )
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn");
    wait_until("the statement runs", || running(&name, "ctrl_c_marker"));
    // SAFETY: kill(2) on our own child's pid.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let status = child.wait().expect("wait");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("read stderr");
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("canceling statement due to user request"),
        "{stderr}"
    );
    assert!(!running(&name, "ctrl_c_marker"));
}

#[test]
fn a_closed_pipe_ends_quietly_and_cancels_the_statement() {
    let (name, ci) = fresh_db("query_pipe");
    cluster()
        .psql(
            &name,
            "create table big as select g from generate_series(1, 3000000) g",
        )
        .expect("table");
    let home = Scratch::new("query_pipe");
    let mut child = pgdeck_cmd(
        &[
            "query",
            &ci,
            "--csv",
            "-c",
            "select g, pg_sleep(0) as pipe_marker from big",
        ],
        home.path(),
    )
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 64];
    stdout.read_exact(&mut first).expect("first rows");
    assert!(
        first.starts_with(b"g,pipe_marker\n1,\n2,\n"),
        "{:?}",
        String::from_utf8_lossy(&first)
    );
    drop(stdout);
    let status = child.wait().expect("wait");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("read stderr");
    assert!(status.success(), "{stderr}");
    assert_eq!(stderr, "");
    wait_until("the server stops the statement", || {
        !running(&name, "pipe_marker")
    });
}
