//! EXPLAIN through the worker (`Request::Explain`) against a real server: real statements on real
//! tables with planted problems give the advice a DBA would give, and the fixes it suggests work
//! (the index it proposes is created and then used; the work_mem it proposes stops the spill).
//! ANALYZE of a write is rolled back, inside an open transaction through a savepoint that keeps the
//! transaction alive; errors come back readable; cancel stops a long EXPLAIN ANALYZE.

use std::time::Duration;

use pgdeck::db::{self, Reply, Request, RequestId, Requests, Settings, Worker, WorkerEvent};
use pgdeck::model::plan::advice::{self, Advice};
use pgdeck::model::plan::statement::ExplainOptions;
use pgdeck::model::plan::{self, Plan, metrics};
use pgdeck::model::txn::TxStatus;
use tokio::sync::mpsc::UnboundedReceiver;

use super::common::{cluster, fresh_db, target};

struct Harness {
    requests: Requests,
    events: UnboundedReceiver<WorkerEvent>,
}

async fn start(conninfo: &str) -> Harness {
    let t = target(conninfo);
    let settings = Settings::default();
    let conns = db::open(&t, &settings).await.expect("open connections");
    let (requests, events) = Worker::spawn(conns, t, settings);
    Harness { requests, events }
}

/// A plan from the server, parsed and analysed as the pane does it.
struct Got {
    plan: Plan,
    advice: Vec<Advice>,
    rolled_back: bool,
}

impl Got {
    fn rule(&self, rule: &str) -> Option<&Advice> {
        self.advice.iter().find(|a| a.rule == rule)
    }

    fn node_types(&self) -> Vec<String> {
        self.plan.nodes.iter().map(|n| n.display_type()).collect()
    }
}

impl Harness {
    /// Wait for the last reply to `id`, skipping the replies to other requests (and connection
    /// events); returns every reply to `id`.
    async fn replies(&mut self, id: RequestId) -> Vec<Result<Reply, db::DbError>> {
        let mut out = Vec::new();
        loop {
            let ev = tokio::time::timeout(Duration::from_secs(60), self.events.recv())
                .await
                .expect("reply within 60 s")
                .expect("worker alive");
            if let WorkerEvent::Response(r) = ev
                && r.id == id
            {
                out.push(r.reply);
                if r.last {
                    return out;
                }
            }
        }
    }

    /// Run SQL through the worker as the editor does; panics when it fails.
    async fn run(&mut self, sql: &str) {
        let id = self.requests.send(Request::Run { sql: sql.into() });
        for r in self.replies(id).await {
            if let Ok(Reply::RunFinished(o)) = &r {
                assert!(o.error.is_none(), "{sql}: {:?}", o.error);
            }
            r.expect("run replies are Ok");
        }
    }

    async fn explain_raw(
        &mut self,
        sql: &str,
        options: ExplainOptions,
    ) -> Result<db::explain::Explained, db::DbError> {
        let id = self.requests.send(Request::Explain {
            sql: sql.into(),
            options,
        });
        let mut replies = self.replies(id).await;
        assert_eq!(replies.len(), 1, "one reply to an EXPLAIN");
        match replies.remove(0) {
            Ok(Reply::Plan(e)) => Ok(e),
            Ok(other) => panic!("unexpected reply {other:?}"),
            Err(e) => Err(e),
        }
    }

    async fn explain(&mut self, sql: &str, options: ExplainOptions) -> Got {
        let e = self
            .explain_raw(sql, options)
            .await
            .unwrap_or_else(|e| panic!("explain {sql}: {e}"));
        let mut plan = plan::parse(&e.json).expect("the server's JSON parses");
        metrics::analyse(&mut plan);
        let advice = advice::advise(&plan, &advice::Context::from_indexes(e.indexes));
        Got {
            plan,
            advice,
            rolled_back: e.rolled_back,
        }
    }

    async fn tx_status(&mut self) -> TxStatus {
        let id = self.requests.send(Request::Run {
            sql: "select 1".into(),
        });
        let mut status = None;
        for r in self.replies(id).await {
            if let Ok(Reply::RunFinished(o)) = r {
                status = Some(o.tx);
            }
        }
        status.expect("a finished run")
    }
}

fn psql(db: &str, sql: &str) -> String {
    cluster().psql(db, sql).expect("psql").trim().to_string()
}

const ORDERS: &str = "create table orders (id bigint primary key, customer_id int not null, \
     status text not null, note text not null);
     insert into orders select g, g % 2000, case when g % 10 = 0 then 'open' else 'done' end, md5(g::text)
       from generate_series(1, 200000) g;
     analyze orders;";

#[tokio::test]
async fn a_selective_seq_scan_gets_an_index_that_works() {
    let (name, ci) = fresh_db("plan_index");
    let mut h = start(&ci).await;
    h.run(ORDERS).await;
    let q = "select id, note from orders where customer_id = 42";
    let got = h.explain(q, ExplainOptions::full()).await;
    assert!(!got.rolled_back, "a query is not wrapped");
    assert!(got.plan.is_analyze());
    let a = got
        .rule("seq_scan_index_candidate")
        .unwrap_or_else(|| panic!("{:#?}\n{:?}", got.advice, got.node_types()));
    let fix = a.suggestion.clone().expect("a statement to run");
    assert!(
        fix.starts_with("CREATE INDEX CONCURRENTLY ON ") && fix.contains("(customer_id)"),
        "{fix}"
    );
    let node = &got.plan.nodes[a.node.expect("about a node")];
    assert!(node.node_type() == "Seq Scan", "{:?}", node.props);
    // The exclusive times add up to the total.
    let sum: f64 = got.plan.nodes.iter().filter_map(|n| n.m.exclusive_ms).sum();
    let total = got.plan.summary.total_ms.expect("an analysed total");
    assert!(
        (sum - total).abs() < 0.01 * total.max(1.0),
        "{sum} vs {total}"
    );

    // The suggestion runs as it is (outside a transaction, as CONCURRENTLY needs) ...
    h.run(&fix).await;
    // ... and the plan then uses the index, and the advice is gone.
    let after = h.explain(q, ExplainOptions::full()).await;
    let types = after.node_types();
    assert!(
        after.plan.nodes.iter().any(|n| n
            .str("Index Name")
            .is_some_and(|i| i.contains("customer_id"))),
        "{types:?}"
    );
    assert!(!types.iter().any(|t| t.contains("Seq Scan")), "{types:?}");
    assert!(
        after.rule("seq_scan_index_candidate").is_none(),
        "{:#?}",
        after.advice
    );

    // An index that exists but cannot serve the filter (a cast on the column) is named instead of
    // suggesting it again.
    let q = "select id from orders where customer_id::text = '7'";
    let got = h.explain(q, ExplainOptions::full()).await;
    let a = got
        .rule("seq_scan_index_candidate")
        .unwrap_or_else(|| panic!("{:#?}", got.advice));
    assert!(a.why.contains("already covers (customer_id)"), "{a:?}");
    assert!(
        a.suggestion
            .as_deref()
            .is_some_and(|s| s.starts_with("ANALYZE") && !s.contains("CREATE INDEX")),
        "{a:?}"
    );

    // LIKE with a prefix: a plain btree serves it only in the C collation; the suggestion uses
    // text_pattern_ops, and the index it makes is used.
    // A collation other than C (the test cluster's default), where a plain btree cannot serve LIKE.
    let collation = if psql(
        &name,
        "select count(*) from pg_collation where collname = 'und-x-icu'",
    ) == "1"
    {
        "und-x-icu"
    } else {
        "C.utf8"
    };
    h.run(&format!("create table words (w text collate \"{collation}\", pad text); insert into words select md5(g::text), 'x' from generate_series(1, 200000) g; analyze words"))
        .await;
    let q = "select * from words where w like 'ab%'";
    let got = h.explain(q, ExplainOptions::full()).await;
    let fix = got
        .rule("seq_scan_index_candidate")
        .and_then(|a| a.suggestion.clone())
        .unwrap_or_else(|| panic!("{:#?}\n{:?}", got.advice, got.node_types()));
    assert!(fix.contains("(w text_pattern_ops)"), "{fix}");
    h.run(&fix).await;
    let after = h.explain(q, ExplainOptions::full()).await;
    assert!(
        after
            .plan
            .nodes
            .iter()
            .any(|n| n.str("Index Name").is_some()),
        "{:?}",
        after.node_types()
    );
}

#[tokio::test]
async fn correlated_columns_give_a_misestimate_with_create_statistics() {
    let (_name, ci) = fresh_db("plan_estimate");
    let mut h = start(&ci).await;
    h.run(
        "create table pairs (a int, b int, pad text);
         insert into pairs select g % 100, g % 100, 'x' from generate_series(1, 100000) g;
         analyze pairs;",
    )
    .await;
    // a = b always: the planner multiplies two 1 % selectivities and expects 10 rows of 1,000.
    let got = h
        .explain(
            "select * from pairs where a = 7 and b = 7",
            ExplainOptions::full(),
        )
        .await;
    let a = got.rule("misestimate").unwrap_or_else(|| {
        panic!("{:#?}", got.advice);
    });
    assert!(a.seen.contains("more"), "{}", a.seen);
    let fix = a.suggestion.clone().expect("a fix");
    assert!(fix.contains("CREATE STATISTICS"), "{fix}");
    assert!(fix.contains("ANALYZE"), "{fix}");
    let n = &got.plan.nodes[a.node.expect("node")];
    assert!(n.m.misestimate.is_some_and(|f| f > 10.0), "{:?}", n.m);

    // The fix runs, and the estimate is then right.
    h.run(&fix).await;
    let after = h
        .explain(
            "select * from pairs where a = 7 and b = 7",
            ExplainOptions::full(),
        )
        .await;
    assert!(after.rule("misestimate").is_none(), "{:#?}", after.advice);
}

#[tokio::test]
async fn a_sort_on_disk_gets_a_work_mem_that_keeps_it_in_memory() {
    let (_name, ci) = fresh_db("plan_sort");
    let mut h = start(&ci).await;
    h.run(ORDERS).await;
    h.run("set work_mem = '64kB'; set max_parallel_workers_per_gather = 0")
        .await;
    let q = "select * from orders order by note";
    let got = h.explain(q, ExplainOptions::full()).await;
    let a = got
        .rule("sort_spill")
        .unwrap_or_else(|| panic!("{:#?}\n{:?}", got.advice, got.node_types()));
    let fix = a.suggestion.clone().expect("a SET work_mem");
    assert!(fix.starts_with("SET work_mem = '"), "{fix}");
    assert!(a.seen.contains("kB"), "{}", a.seen);
    h.run(&fix).await;
    let after = h.explain(q, ExplainOptions::full()).await;
    assert!(
        after.rule("sort_spill").is_none(),
        "{fix}: {:#?}",
        after.advice
    );
    let sort = after
        .plan
        .nodes
        .iter()
        .find(|n| n.node_type() == "Sort")
        .expect("a sort");
    assert_eq!(sort.str("Sort Space Type"), Some("Memory"), "{fix}");
}

#[tokio::test]
async fn analyze_of_writes_is_rolled_back() {
    let (name, ci) = fresh_db("plan_writes");
    let mut h = start(&ci).await;
    h.run("create table w (id int primary key, v int); insert into w select g, g from generate_series(1, 100) g")
        .await;
    for sql in [
        "insert into w select g, g from generate_series(101, 200) g",
        "update w set v = v + 1",
        "delete from w where id > 10",
        "with d as (delete from w returning *) select count(*) from d",
    ] {
        let got = h.explain(sql, ExplainOptions::full()).await;
        assert!(got.rolled_back, "{sql}");
        assert!(got.plan.is_analyze(), "{sql}");
        assert_eq!(h.tx_status().await, TxStatus::Idle, "{sql}");
        assert_eq!(
            psql(&name, "select count(*), sum(v) from w"),
            "100|5050",
            "{sql}"
        );
    }
    // Without ANALYZE nothing runs, and nothing is wrapped.
    let got = h
        .explain("delete from w", ExplainOptions::plan_only())
        .await;
    assert!(!got.rolled_back);
    assert!(!got.plan.is_analyze());
    assert_eq!(psql(&name, "select count(*) from w"), "100");
}

#[tokio::test]
async fn inside_an_open_transaction_a_savepoint_keeps_it_alive() {
    let (name, ci) = fresh_db("plan_tx");
    let mut h = start(&ci).await;
    h.run("create table w (id int primary key, v int); insert into w values (1, 1)")
        .await;
    h.run("begin; insert into w values (2, 2)").await;
    let got = h.explain("delete from w", ExplainOptions::full()).await;
    assert!(got.rolled_back);
    assert_eq!(h.tx_status().await, TxStatus::InTransaction);
    // A write that fails under ANALYZE does not break the user's transaction either.
    let err = h
        .explain_raw("insert into w values (1, 1)", ExplainOptions::full())
        .await
        .expect_err("duplicate key");
    assert!(err.to_string().contains("duplicate key"), "{err}");
    assert_eq!(h.tx_status().await, TxStatus::InTransaction);
    // Nor does a statement with an error explained without ANALYZE.
    let err = h
        .explain_raw("select * from no_such_table", ExplainOptions::plan_only())
        .await
        .expect_err("no such table");
    assert!(err.to_string().contains("no_such_table"), "{err}");
    assert_eq!(h.tx_status().await, TxStatus::InTransaction);
    h.run("commit").await;
    assert_eq!(h.tx_status().await, TxStatus::Idle);
    // The transaction's own insert was kept; the explained delete and insert were not.
    assert_eq!(
        psql(&name, "select string_agg(id::text, ',' order by id) from w"),
        "1,2"
    );
}

#[tokio::test]
async fn errors_come_back_readable() {
    let (_name, ci) = fresh_db("plan_errors");
    let mut h = start(&ci).await;
    let err = h
        .explain_raw("selec 1 frm", ExplainOptions::full())
        .await
        .expect_err("syntax error");
    let text = err.to_string();
    assert!(text.contains("syntax error"), "{text}");
    assert!(text.contains("42601"), "{text}");
    assert_eq!(h.tx_status().await, TxStatus::Idle);
    let err = h
        .explain_raw("explain select 1", ExplainOptions::full())
        .await
        .expect_err("explain of explain");
    assert!(err.to_string().contains("EXPLAIN already"), "{err}");
    let err = h
        .explain_raw("  ;", ExplainOptions::plan_only())
        .await
        .expect_err("empty");
    assert!(err.to_string().contains("empty"), "{err}");
    // The connection still works.
    let got = h.explain("select 1", ExplainOptions::full()).await;
    assert_eq!(got.plan.nodes.len(), 1);
}

#[tokio::test]
async fn cancel_stops_a_long_explain_analyze() {
    let (name, ci) = fresh_db("plan_cancel");
    let mut h = start(&ci).await;
    let id = h.requests.send(Request::Explain {
        sql: "select pg_sleep(30)".into(),
        options: ExplainOptions::full(),
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    let cancel = h.requests.send(Request::CancelRun);
    let replies = h.replies(id).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    match &replies[..] {
        [Err(e)] => assert!(e.is_cancel(), "{e}"),
        other => panic!("{other:?}"),
    }
    let ack = h.replies(cancel).await;
    assert!(matches!(ack[..], [Ok(Reply::CancelSent)]), "{ack:?}");
    assert_eq!(h.tx_status().await, TxStatus::Idle);
    // A write being explained when cancelled is rolled back too.
    let id = h.requests.send(Request::Explain {
        sql: "create table gone as select pg_sleep(30)::text as s".into(),
        options: ExplainOptions::full(),
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    h.requests.send(Request::CancelRun);
    let replies = h.replies(id).await;
    assert!(
        matches!(&replies[..], [Err(e)] if e.is_cancel()),
        "{replies:?}"
    );
    assert_eq!(h.tx_status().await, TxStatus::Idle);
    assert_eq!(psql(&name, "select to_regclass('gone') is null"), "t");
    let got = h.explain("select 1", ExplainOptions::full()).await;
    assert_eq!(got.plan.nodes.len(), 1);
}

// ---- `pgdeck explain`, the built binary with a clean environment ----

mod cli {
    use std::io::Write as _;
    use std::process::{Command, Output, Stdio};

    use super::super::common::{Scratch, cluster, fresh_db};
    use super::{ORDERS, psql};

    const CORPUS: &str = "/work/shared/corpus/pev2";

    fn pgdeck_stdin(args: &[&str], home: &std::path::Path, input: Option<&str>) -> Output {
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
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("run pgdeck");
        if let Some(input) = input {
            let mut stdin = child.stdin.take().expect("stdin");
            stdin.write_all(input.as_bytes()).expect("write stdin");
        }
        child.wait_with_output().expect("pgdeck output")
    }

    fn pgdeck(args: &[&str], home: &std::path::Path) -> Output {
        pgdeck_stdin(args, home, None)
    }

    fn text(o: &Output) -> (String, String) {
        (
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    }

    fn json(o: &Output) -> serde_json::Value {
        let (stdout, stderr) = text(o);
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}\n{stdout}\n{stderr}"))
    }

    #[test]
    fn explain_a_statement_as_text_and_json() {
        let (name, _) = fresh_db("plan_cli");
        psql(&name, ORDERS);
        let ci = cluster().conninfo(&name);
        let home = Scratch::new("plan_cli");
        let q = "select id from orders where customer_id = 42";

        let out = pgdeck(&["explain", &ci, q], home.path());
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
        assert!(stdout.contains("#0 "), "{stdout}");
        assert!(stdout.contains("orders"), "{stdout}");
        // Without ANALYZE there are no times, and the statement did not run.
        assert!(!stdout.contains("execution "), "{stdout}");

        let out = pgdeck(
            &["explain", &ci, "--analyze", "--format", "json", q],
            home.path(),
        );
        assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
        let v = json(&out);
        assert!(v["planning_ms"].as_f64().is_some(), "{v}");
        assert!(v["execution_ms"].as_f64().is_some_and(|x| x > 0.0), "{v}");
        let nodes = v["nodes"].as_array().expect("nodes");
        assert!(!nodes.is_empty());
        assert_eq!(nodes[0]["id"], 0);
        assert!(nodes[0]["parent"].is_null());
        for (i, n) in nodes.iter().enumerate() {
            assert_eq!(n["id"], i, "{n}");
            for k in [
                "node_type",
                "relation",
                "index",
                "inclusive_ms",
                "exclusive_ms",
                "rows_planned",
                "rows_actual",
                "loops",
                "misestimate",
            ] {
                assert!(n.get(k).is_some(), "{k} missing in {n}");
            }
            if i > 0 {
                assert!(
                    n["parent"].as_u64().is_some_and(|p| (p as usize) < i),
                    "{n}"
                );
            }
            assert!(n["inclusive_ms"].as_f64().is_some(), "{n}");
        }
        let scan = nodes
            .iter()
            .find(|n| n["relation"] == "orders")
            .expect("a node on orders");
        assert!(
            scan["node_type"]
                .as_str()
                .is_some_and(|t| t.contains("Scan")),
            "{scan}"
        );
        let advice = v["advice"].as_array().expect("advice");
        let ix = advice
            .iter()
            .find(|a| a["rule"] == "seq_scan_index_candidate")
            .unwrap_or_else(|| panic!("{v:#}"));
        assert!(
            ix["severity"].is_string() && ix["message"].is_string(),
            "{ix}"
        );
        assert!(
            ix["suggestion"]
                .as_str()
                .is_some_and(|s| s.contains("CREATE INDEX CONCURRENTLY")),
            "{ix}"
        );
        assert!(ix["node"].as_u64().is_some(), "{ix}");
    }

    #[test]
    fn fail_on_and_errors_give_the_exit_code() {
        let (name, _) = fresh_db("plan_cli_exit");
        psql(&name, ORDERS);
        let ci = cluster().conninfo(&name);
        let home = Scratch::new("plan_cli_exit");
        let bad = "select id from orders where customer_id = 42";
        let out = pgdeck(
            &["explain", &ci, "--analyze", "--fail-on", "warning", bad],
            home.path(),
        );
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
        assert!(stdout.contains("seq_scan_index_candidate"), "{stdout}");
        let out = pgdeck(
            &[
                "explain",
                &ci,
                "--analyze",
                "--fail-on",
                "critical",
                "select 1",
            ],
            home.path(),
        );
        assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
        // The same check without --fail-on succeeds.
        let out = pgdeck(&["explain", &ci, "--analyze", bad], home.path());
        assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));

        // A write under --analyze is rolled back, and says so.
        let out = pgdeck(
            &["explain", &ci, "--analyze", "-c", "delete from orders"],
            home.path(),
        );
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
        assert!(stderr.contains("ROLLBACK"), "{stderr}");
        assert!(stdout.contains("Delete"), "{stdout}");
        assert_eq!(psql(&name, "select count(*) from orders"), "200000");

        // Errors: exit 2 with the server's message, on stderr.
        let out = pgdeck(&["explain", &ci, "selec 1"], home.path());
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
        assert!(stderr.contains("syntax error"), "{stderr}");
        assert!(stdout.is_empty(), "{stdout}");
        let out = pgdeck(&["explain", &ci, "select * from nope"], home.path());
        assert_eq!(out.status.code(), Some(2));
        assert!(text(&out).1.contains("nope"), "{:?}", text(&out));
        let out = pgdeck(
            &["explain", "host=/nonexistent dbname=x", "select 1"],
            home.path(),
        );
        assert_eq!(out.status.code(), Some(2), "{:?}", text(&out));
    }

    #[test]
    fn explain_a_saved_plan_without_a_connection() {
        let home = Scratch::new("plan_cli_file");
        let file = format!("{CORPUS}/cte-exclusive-time/01.plan");
        let out = pgdeck(&["explain", "--file", &file], home.path());
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
        assert!(stdout.contains("execution 3.00 s"), "{stdout}");
        assert!(stdout.contains("#7 Result"), "{stdout}");
        assert!(stdout.contains("Advice:"), "{stdout}");

        let out = pgdeck(
            &["explain", "--file", &file, "--format", "json"],
            home.path(),
        );
        let v = json(&out);
        let nodes = v["nodes"].as_array().expect("nodes");
        assert_eq!(nodes.len(), 8, "{v:#}");
        assert_eq!(nodes[7]["node_type"], "Result");
        assert_eq!(nodes[7]["parent"], 6);
        assert_eq!(nodes[5]["relation"], "member_community_map");
        // Exclusive times add up to the execution time (pev2's rule), within rounding.
        let sum: f64 = nodes
            .iter()
            .filter_map(|n| n["exclusive_ms"].as_f64())
            .sum();
        let total = nodes[0]["inclusive_ms"].as_f64().expect("root time");
        assert!((sum - total).abs() <= 0.01 * total, "{sum} vs {total}");

        // --fail-on works on a saved plan too.
        let out = pgdeck(
            &["explain", "--file", &file, "--fail-on", "warning"],
            home.path(),
        );
        assert_eq!(out.status.code(), Some(1));
        let out = pgdeck(
            &["explain", "--file", &file, "--fail-on", "critical"],
            home.path(),
        );
        assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));

        // A text plan in a psql frame, from stdin.
        let framed = std::fs::read_to_string(format!(
            "{CORPUS}/11-psql-frames/text-2-aligned-unicode-double-double-double.plan"
        ))
        .expect("corpus file");
        let out = pgdeck_stdin(&["explain", "--file", "-"], home.path(), Some(&framed));
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
        assert!(stdout.contains("#0 "), "{stdout}");

        // Garbage, a missing file, and a statement given with --file: exit 2, readable.
        let out = pgdeck_stdin(
            &["explain", "--file", "-"],
            home.path(),
            Some("hello\nthis is not a plan\n"),
        );
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
        assert!(stderr.contains("line "), "{stderr}");
        let out = pgdeck(
            &["explain", "--file", "/nonexistent/plan.json"],
            home.path(),
        );
        assert_eq!(out.status.code(), Some(2));
        assert!(
            text(&out).1.contains("/nonexistent/plan.json"),
            "{:?}",
            text(&out)
        );
        let out = pgdeck(&["explain", "--file", &file, "select 1"], home.path());
        assert_eq!(out.status.code(), Some(2));
    }

    /// Before and after an index on a real server: the plans as psql prints them (text before,
    /// JSON after), compared by the model and by `pgdeck explain --file BEFORE --compare AFTER`.
    #[test]
    fn compare_a_plan_before_and_after_an_index() {
        let (name, _) = fresh_db("plan_compare");
        psql(
            &name,
            "create table events (id bigint, code int, payload text);
             insert into events select g, g, md5(g::text) from generate_series(1, 200000) g;
             analyze events;",
        );
        let q = "select * from events where code = 4242";
        let before = psql(&name, &format!("explain (analyze, buffers) {q}"));
        psql(&name, "create index events_code_idx on events (code)");
        let after = psql(
            &name,
            &format!("explain (analyze, buffers, format json) {q}"),
        );

        // The model: the scan on events is one node that changed from a Seq Scan to an Index Scan.
        let load = |text: &str| {
            let mut p = pgdeck::model::plan::parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
            pgdeck::model::plan::metrics::analyse(&mut p);
            p
        };
        let (b, a) = (load(&before), load(&after));
        let c = pgdeck::model::plan::diff::compare(&b, &a);
        let scan = c
            .matches
            .iter()
            .find(|m| b.nodes[m.before].str("Relation Name") == Some("events"))
            .unwrap_or_else(|| panic!("{c:#?}"));
        assert_eq!(b.nodes[scan.before].node_type(), "Seq Scan", "{before}");
        let idx = &a.nodes[scan.after];
        assert_eq!(idx.node_type(), "Index Scan", "{after}");
        assert_eq!(idx.str("Index Name"), Some("events_code_idx"));
        assert!(scan.changed);
        // The time ratio is the one of the two runs (whatever they were: no timing is asserted).
        let (tb, ta) = (
            b.execution_ms().expect("analysed"),
            a.execution_ms().expect("analysed"),
        );
        assert_eq!(c.totals.execution_ms.before, Some(tb));
        assert_eq!(c.totals.execution_ms.after, Some(ta));
        assert!((c.totals.execution_ms.ratio().expect("a ratio") - ta / tb).abs() < 1e-12);
        // Pages are not timing: the scan read the whole table, the index a handful.
        let (bb, ab) = (
            scan.buffers.before.expect("buffers before"),
            scan.buffers.after.expect("buffers after"),
        );
        assert!(bb > 100.0 && ab < 10.0, "{bb} → {ab}");
        assert!(
            c.totals.buffers.ratio().is_some_and(|r| r < 0.1),
            "{:?}",
            c.totals
        );

        // The headless twin, text and JSON.
        let home = Scratch::new("plan_compare");
        let (bf, af) = (
            home.path().join("before.txt"),
            home.path().join("after.json"),
        );
        std::fs::write(&bf, &before).expect("write before");
        std::fs::write(&af, &after).expect("write after");
        let (bf, af) = (bf.display().to_string(), af.display().to_string());
        let out = pgdeck(&["explain", "--file", &bf, "--compare", &af], home.path());
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
        let row = stdout
            .lines()
            .find(|l| l.contains("Seq Scan on events"))
            .unwrap_or_else(|| panic!("{stdout}"));
        assert!(
            row.contains("Index Scan using events_code_idx on events"),
            "{row}"
        );
        assert!(row.contains("≠ node changed"), "{row}");
        assert!(stdout.contains("execution "), "{stdout}");
        assert!(
            stdout
                .lines()
                .any(|l| l.trim_start().starts_with("buffers ") && l.contains("▼")),
            "{stdout}"
        );

        let out = pgdeck(
            &[
                "explain",
                "--file",
                &bf,
                "--compare",
                &af,
                "--format",
                "json",
            ],
            home.path(),
        );
        let v = json(&out);
        let m = v["matches"]
            .as_array()
            .expect("matches")
            .iter()
            .find(|m| m["relation"] == "events")
            .unwrap_or_else(|| panic!("{v:#}"));
        assert_eq!(m["before_type"], "Seq Scan", "{m}");
        assert_eq!(m["after_type"], "Index Scan", "{m}");
        assert_eq!(m["changed"], true, "{m}");
        for k in ["exclusive_ms", "rows", "loops", "buffers"] {
            assert!(
                m[k].get("before").is_some() && m[k].get("ratio").is_some(),
                "{k}: {m}"
            );
        }
        let r = v["totals"]["execution_ms"]["ratio"]
            .as_f64()
            .expect("a ratio");
        assert!((r - ta / tb).abs() < 1e-4, "{r} vs {}", ta / tb);

        // --compare needs --file, and both plans cannot come from stdin.
        let out = pgdeck(&["explain", "--compare", &af], home.path());
        assert_eq!(out.status.code(), Some(2), "{:?}", text(&out));
        let out = pgdeck(&["explain", "--file", "-", "--compare", "-"], home.path());
        assert_eq!(out.status.code(), Some(2), "{:?}", text(&out));
    }
}
