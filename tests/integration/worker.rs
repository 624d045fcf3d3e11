//! The database worker against a real server: connections, server facts, user runs (streaming, errors,
//! transactions, cancel, row cap), the monitor connection's settings and reconnects.

use std::time::Duration;

use pgdeck::db::{
    self, Reply, Request, RequestId, Requests, RunOutcome, Settings, Worker, WorkerEvent,
};
use pgdeck::model::result_set::ResultSet;
use pgdeck::model::txn::TxStatus;
use tokio::sync::mpsc::UnboundedReceiver;

use super::common::{cluster, fresh_db, target};

struct Harness {
    requests: Requests,
    events: UnboundedReceiver<WorkerEvent>,
    info: pgdeck::model::server::ServerInfo,
    own_pids: Vec<i32>,
    /// Replies that arrived while waiting for another request's.
    stash: Vec<db::Response>,
}

async fn start(conninfo: &str, settings: Settings) -> Harness {
    let t = target(conninfo);
    let conns = db::open(&t, &settings).await.expect("open connections");
    let info = conns.info.clone();
    let own_pids = conns.own_pids.clone();
    let (requests, events) = Worker::spawn(conns, t, settings);
    Harness {
        requests,
        events,
        info,
        own_pids,
        stash: Vec::new(),
    }
}

/// Everything a run produced.
#[derive(Default)]
struct Run {
    sets: Vec<ResultSet>,
    counts: Vec<u64>,
    /// Command tags, one per completed statement.
    tags: Vec<String>,
    outcome: Option<RunOutcome>,
    /// Server notices as `SEVERITY: message`.
    notices: Vec<String>,
    /// Tags and notices interleaved as they arrived.
    order: Vec<String>,
    /// Replies of other kinds.
    other: Vec<String>,
}

impl Harness {
    async fn next_for(&mut self, id: RequestId) -> (Result<Reply, db::DbError>, bool) {
        if let Some(i) = self.stash.iter().position(|r| r.id == id) {
            let r = self.stash.remove(i);
            return (r.reply, r.last);
        }
        loop {
            let ev = tokio::time::timeout(Duration::from_secs(20), self.events.recv())
                .await
                .expect("reply within 20 s")
                .expect("worker alive");
            match ev {
                WorkerEvent::Response(r) if r.id == id => return (r.reply, r.last),
                WorkerEvent::Connection { message, .. } => {
                    eprintln!("connection event: {message}");
                }
                WorkerEvent::Response(r) => self.stash.push(r),
            }
        }
    }

    async fn run(&mut self, sql: &str) -> Run {
        let id = self.requests.send(Request::Run { sql: sql.into() });
        self.collect(id).await
    }

    async fn collect(&mut self, id: RequestId) -> Run {
        let mut run = Run::default();
        loop {
            let (reply, last) = self.next_for(id).await;
            match reply.expect("run replies are Ok; errors come in RunFinished") {
                Reply::ResultStarted { columns } => run.sets.push(ResultSet::new(columns)),
                Reply::Rows(b) => assert!(run.sets.last_mut().expect("a result set").append(b)),
                Reply::StatementDone { rows, tag, .. } => {
                    run.counts.push(rows);
                    run.order.push(tag.clone());
                    run.tags.push(tag);
                }
                Reply::Notice(n) => {
                    let text = format!("{}: {}", n.severity, n.message);
                    run.order.push(text.clone());
                    run.notices.push(text);
                }
                Reply::RunFinished(o) => run.outcome = Some(o),
                other => run.other.push(format!("{other:?}")),
            }
            if last {
                return run;
            }
        }
    }

    async fn request(&mut self, req: Request) -> Result<Reply, db::DbError> {
        let id = self.requests.send(req);
        self.next_for(id).await.0
    }
}

fn psql(db: &str, sql: &str) -> String {
    cluster().psql(db, sql).expect("psql")
}

#[tokio::test]
async fn connect_reads_server_facts_and_sets_up_the_monitor() {
    let (name, ci) = fresh_db("facts");
    let h = start(&ci, Settings::default()).await;
    assert!(h.info.version_num >= 130000, "{:?}", h.info);
    assert_eq!(h.info.major(), cluster().bin().major);
    assert_eq!(h.info.database, name);
    assert_eq!(h.info.user, "postgres");
    assert!(h.info.role.superuser && h.info.role.pg_monitor);
    assert!(!h.info.in_recovery);
    assert!(h.info.extensions.iter().any(|e| e.name == "plpgsql"));
    assert_eq!(h.own_pids.len(), 2);

    // The monitor connection carries its name and limits; check them from the server's side.
    let out = psql(
        &name,
        &format!(
            "select application_name from pg_stat_activity where pid in ({}, {}) order by pid = {} desc",
            h.own_pids[0], h.own_pids[1], h.own_pids[0]
        ),
    );
    let names: Vec<&str> = out
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(names, vec!["pgdeck", "pgdeck monitor"], "{out}");
}

#[tokio::test]
async fn monitor_session_has_timeouts_and_no_jit() {
    let (_name, ci) = fresh_db("monitor");
    let t = target(&ci);
    let settings = Settings {
        statement_timeout_ms: 1234,
        lock_timeout_ms: 56,
        ..Default::default()
    };
    let conns = db::open(&t, &settings).await.expect("open");
    let c = &conns.monitor.client;
    let show = |name: &'static str| async move {
        let r = c.simple_query(&format!("show {name}")).await.expect("show");
        r.into_iter()
            .find_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_string),
                _ => None,
            })
            .expect("a value")
    };
    assert_eq!(show("statement_timeout").await, "1234ms");
    assert_eq!(show("lock_timeout").await, "56ms");
    assert_eq!(show("jit").await, "off");
}

#[tokio::test]
async fn runs_stream_rows_with_nulls_and_several_statements() {
    let (_name, ci) = fresh_db("run");
    let mut h = start(&ci, Settings::default()).await;
    let run = h
        .run("select 1 as a, null::text as b, '' as c; create table t(x int); insert into t select generate_series(1, 5000); select x from t order by x")
        .await;
    let o = run.outcome.expect("finished");
    assert!(o.error.is_none(), "{:?}", o.error);
    assert_eq!(o.completed, 4);
    assert_eq!(run.counts, vec![1, 0, 5000, 5000]);
    assert_eq!(
        run.tags,
        vec!["SELECT 1", "CREATE TABLE", "INSERT 0 5000", "SELECT 5000"]
    );
    // Column type OIDs: int4, text, text; then int4.
    let oids: Vec<u32> = run.sets[0].columns.iter().map(|c| c.type_oid).collect();
    assert_eq!(oids, vec![23, 25, 25]);
    assert_eq!(run.sets.len(), 2);
    let first = &run.sets[0];
    assert_eq!(first.get(0, 0), Some("1"));
    assert!(first.is_null(0, 1));
    assert_eq!(first.get(0, 2), Some(""));
    assert!(!first.is_null(0, 2));
    let second = &run.sets[1];
    assert_eq!(second.len(), 5000);
    assert_eq!(second.get(4999, 0), Some("5000"));
    assert_eq!(o.rows, 5001);
}

#[tokio::test]
async fn errors_keep_sqlstate_position_detail_and_transactions_are_tracked() {
    let (_name, ci) = fresh_db("errors");
    let mut h = start(&ci, Settings::default()).await;
    let run = h.run("select nope from pg_class").await;
    let o = run.outcome.expect("finished");
    let e = o.error.expect("an error");
    let s = e.server().expect("server error");
    assert_eq!(s.sqlstate, "42703");
    assert_eq!(s.position, Some(8));
    assert_eq!(o.tx, TxStatus::Idle);

    let o = h.run("begin").await.outcome.expect("finished");
    assert_eq!(o.tx, TxStatus::InTransaction);
    let o = h.run("select 1/0").await.outcome.expect("finished");
    assert_eq!(o.error.as_ref().and_then(|e| e.sqlstate()), Some("22012"));
    assert_eq!(o.tx, TxStatus::Failed);
    let o = h.run("select 1").await.outcome.expect("finished");
    assert_eq!(o.error.as_ref().and_then(|e| e.sqlstate()), Some("25P02"));
    assert_eq!(o.tx, TxStatus::Failed);
    let o = h.run("rollback").await.outcome.expect("finished");
    assert_eq!(o.tx, TxStatus::Idle);
    // an error in a multi-statement implicit transaction leaves no block open
    let o = h
        .run("create table a(x int); select 1/0; create table b(x int)")
        .await
        .outcome
        .expect("finished");
    assert_eq!(o.tx, TxStatus::Idle);
    let o = h
        .run("select count(*) from pg_class where relname = 'a'")
        .await;
    assert_eq!(
        o.sets[0].get(0, 0),
        Some("0"),
        "the implicit transaction was rolled back"
    );
}

#[tokio::test]
async fn cancel_stops_a_running_statement_quickly() {
    let (_name, ci) = fresh_db("cancel");
    let mut h = start(&ci, Settings::default()).await;
    let id = h.requests.send(Request::Run {
        sql: "select pg_sleep(30)".into(),
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    let cancel_id = h.requests.send(Request::CancelRun);
    let run = h.collect(id).await;
    let elapsed = started.elapsed();
    let o = run.outcome.expect("finished");
    assert!(
        o.error.as_ref().is_some_and(|e| e.is_cancel()),
        "{:?}",
        o.error
    );
    assert!(elapsed < Duration::from_secs(5), "cancel took {elapsed:?}");
    let (ack, _) = h.next_for(cancel_id).await;
    assert!(matches!(ack, Ok(Reply::CancelSent)), "{ack:?}");
    // the connection is usable afterwards
    let o = h.run("select 2").await;
    assert_eq!(o.sets[0].get(0, 0), Some("2"));
}

#[tokio::test]
async fn the_row_cap_stops_reading_and_says_so() {
    let (_name, ci) = fresh_db("cap");
    let settings = Settings {
        row_cap: 1000,
        ..Default::default()
    };
    let mut h = start(&ci, settings).await;
    let run = h
        .run("select g, repeat('x', 100) from generate_series(1, 5000000) g")
        .await;
    let o = run.outcome.expect("finished");
    assert!(o.capped, "{o:?}");
    assert!(
        o.error.is_none(),
        "our own cancel is not an error: {:?}",
        o.error
    );
    let got = run.sets[0].len() as u64;
    assert!((1000..5_000_000).contains(&got), "{got} rows kept");
    let o = h.run("select 3").await;
    assert_eq!(o.sets[0].get(0, 0), Some("3"));
}

#[tokio::test]
async fn schema_tree_and_activity_come_from_the_monitor() {
    let (name, ci) = fresh_db("tree");
    psql(
        &name,
        "create schema shop; create table shop.\"Order Items\"(id int); create view shop.v as select 1; \
         create sequence shop.s; create table public.users(id int primary key);",
    );
    let mut h = start(&ci, Settings::default()).await;
    let Ok(Reply::Schema(tree)) = h.request(Request::LoadSchema).await else {
        panic!("schema reply")
    };
    assert_eq!(tree.schemas[0].name, "public");
    let shop = tree
        .schemas
        .iter()
        .find(|s| s.name == "shop")
        .expect("shop schema");
    let names: Vec<&str> = shop.relations.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, vec!["Order Items", "s", "v"]);
    assert!(
        tree.schemas
            .iter()
            .any(|s| s.name == "pg_catalog" && s.system)
    );
    assert_eq!(tree.table_count(), 2);

    let Ok(Reply::Activity(snap)) = h.request(Request::LoadActivity).await else {
        panic!("activity reply")
    };
    let sessions = &snap.sessions;
    let own: Vec<i32> = sessions.iter().filter(|s| s.own).map(|s| s.pid).collect();
    assert_eq!(own.len(), 2, "both of pgdeck's sessions are marked");
    assert!(own.iter().all(|p| h.own_pids.contains(p)));
}

#[tokio::test]
async fn a_terminated_work_connection_reconnects_on_the_next_run() {
    let (name, ci) = fresh_db("reconnect");
    let mut h = start(&ci, Settings::default()).await;
    let o = h.run("select pg_backend_pid()").await;
    let pid = o.sets[0].get(0, 0).expect("pid").to_string();
    psql(&name, &format!("select pg_terminate_backend({pid})"));
    // give the connection task a moment to see the socket close
    tokio::time::sleep(Duration::from_millis(300)).await;
    let o = h.run("select 41 + 1").await;
    assert!(
        o.outcome.as_ref().is_some_and(|o| o.error.is_none()),
        "{:?}",
        o.outcome
    );
    assert_eq!(o.sets[0].get(0, 0), Some("42"));
}

#[tokio::test]
async fn psql_meta_commands_answer_from_the_catalog() {
    use pgdeck::model::psql_meta::parse;
    let (name, ci) = fresh_db("meta");
    psql(
        &name,
        "create schema shop; create table public.users(id int primary key, email text not null default 'x', \
         name varchar(20) collate \"C\"); create table shop.orders(id int generated always as identity, \
         user_id int references users(id)); create index on shop.orders(user_id); \
         create function add1(int) returns int language sql as 'select $1 + 1';",
    );
    let mut h = start(&ci, Settings::default()).await;
    let requests = h.requests.clone();
    let meta = |line: &str| {
        let m = parse(line).expect("parses");
        requests.send(Request::Meta { meta: m })
    };
    let id = meta("\\d users");
    let run = h.collect(id).await;
    assert!(
        run.outcome.as_ref().is_some_and(|o| o.error.is_none()),
        "{:?}",
        run.outcome
    );
    let cols = &run.sets[0];
    assert_eq!(cols.columns[0].name, "Column");
    assert_eq!(cols.get(1, 0), Some("email"));
    assert_eq!(cols.get(1, 3), Some("not null"));
    assert_eq!(cols.get(1, 4), Some("'x'::text"));
    assert_eq!(cols.get(2, 1), Some("character varying(20)"));
    assert_eq!(cols.get(2, 2), Some("C"));
    let footer = &run.sets[1];
    let kinds: Vec<&str> = (0..footer.len()).filter_map(|r| footer.get(r, 0)).collect();
    assert!(
        kinds.contains(&"index") && kinds.contains(&"referenced by"),
        "{kinds:?}"
    );

    // \dt follows the search_path like psql; a schema in the pattern reaches others
    let id = meta("\\dt");
    let run = h.collect(id).await;
    let names: Vec<&str> = (0..run.sets[0].len())
        .filter_map(|r| run.sets[0].get(r, 1))
        .collect();
    assert_eq!(names, vec!["users"]);
    let id = meta("\\dt shop.*");
    let run = h.collect(id).await;
    assert_eq!(run.sets[0].get(0, 1), Some("orders"));
    let id = meta("\\di shop.*");
    let run = h.collect(id).await;
    assert_eq!(run.sets[0].get(0, 4), Some("orders"));
    let id = meta("\\df add*");
    let run = h.collect(id).await;
    assert_eq!(run.sets[0].get(0, 3), Some("integer"));
    let id = meta("\\dn");
    let run = h.collect(id).await;
    let names: Vec<&str> = (0..run.sets[0].len())
        .filter_map(|r| run.sets[0].get(r, 0))
        .collect();
    assert!(
        names.contains(&"shop") && names.contains(&"public"),
        "{names:?}"
    );
    let id = meta("\\l");
    let run = h.collect(id).await;
    let dbs: Vec<&str> = (0..run.sets[0].len())
        .filter_map(|r| run.sets[0].get(r, 0))
        .collect();
    assert!(dbs.contains(&name.as_str()), "{dbs:?}");
    // nothing matches: an empty list with the right columns, not an error
    let id = meta("\\dt nothing_here");
    let run = h.collect(id).await;
    assert!(run.sets[0].is_empty());
    assert_eq!(run.sets[0].columns[1].name, "Name");
    let id = meta("\\d no_such_table");
    let run = h.collect(id).await;
    assert!(
        run.outcome
            .and_then(|o| o.error)
            .is_some_and(|e| e.to_string().contains("Did not find"))
    );
}

#[tokio::test]
async fn tags_and_notices_arrive_in_order_and_tx_state_is_the_servers() {
    let (_name, ci) = fresh_db("tags");
    let mut h = start(&ci, Settings::default()).await;
    let run = h
        .run(
            "create table p(id int, n int); insert into p select g, 0 from generate_series(1, 5) g; \
             do $$ begin raise notice 'between'; end $$; update p set n = n + 1 where id < 4; \
             drop table if exists nothing_here",
        )
        .await;
    let o = run.outcome.expect("finished");
    assert!(o.error.is_none(), "{:?}", o.error);
    assert_eq!(
        run.order,
        vec![
            "CREATE TABLE",
            "INSERT 0 5",
            "NOTICE: between",
            "DO",
            "UPDATE 3",
            "NOTICE: table \"nothing_here\" does not exist, skipping",
            "DROP TABLE"
        ]
    );
    assert_eq!(run.counts, vec![0, 5, 0, 3, 0]);
    // SAVEPOINT / ROLLBACK TO inside a block: the state is what the server says.
    let o = h.run("begin; savepoint s").await.outcome.expect("finished");
    assert_eq!(o.tx, TxStatus::InTransaction);
    let o = h.run("select 1/0").await.outcome.expect("finished");
    assert_eq!(o.tx, TxStatus::Failed);
    let run = h.run("rollback to savepoint s").await;
    assert_eq!(run.tags, vec!["ROLLBACK"]);
    assert_eq!(run.outcome.expect("finished").tx, TxStatus::InTransaction);
    let o = h.run("commit").await.outcome.expect("finished");
    assert_eq!(o.tx, TxStatus::Idle);
    // What a guess from keywords got wrong: COMMIT AND CHAIN starts the next block at once.
    let run = h.run("begin; commit and chain").await;
    assert_eq!(run.tags, vec!["BEGIN", "COMMIT"]);
    assert_eq!(run.outcome.expect("finished").tx, TxStatus::InTransaction);
    let o = h.run("rollback").await.outcome.expect("finished");
    assert_eq!(o.tx, TxStatus::Idle);
}

#[tokio::test]
async fn a_backend_terminated_mid_run_is_reported_not_rerun() {
    let (name, ci) = fresh_db("killrun");
    let mut h = start(&ci, Settings::default()).await;
    let work_pid = h.own_pids[0];
    let id = h.requests.send(Request::Run {
        sql: "create table marker(x int); insert into marker values (1); select pg_sleep(30)"
            .into(),
    });
    // wait until the work session sleeps, then end it from outside
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let state = psql(
            &name,
            &format!("select wait_event from pg_stat_activity where pid = {work_pid}"),
        );
        if state.trim() == "PgSleep" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never slept");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    psql(&name, &format!("select pg_terminate_backend({work_pid})"));
    let run = h.collect(id).await;
    let o = run.outcome.expect("finished");
    let Some(db::DbError::ConnectionLost(m)) = &o.error else {
        panic!("{:?}", o.error)
    };
    assert!(
        m.contains("57P01") && m.contains("has not been re-run"),
        "{m}"
    );
    assert_eq!(o.tx, TxStatus::Idle);
    assert_eq!(run.tags, vec!["CREATE TABLE", "INSERT 0 1"]);
    // The next run gets a new session; the interrupted batch was not run again (its implicit
    // transaction died with the session).
    let run = h.run("select to_regclass('marker') is null").await;
    assert_eq!(run.sets[0].get(0, 0), Some("t"));
}

/// Sends a mode change; it has no reply, so the next run shows its effect.
fn set_mode(h: &mut Harness, autocommit: bool, on_error_rollback: bool) {
    h.requests
        .send(Request::SetTxMode(pgdeck::model::txn::TxMode {
            autocommit,
            on_error_rollback,
        }));
}

#[tokio::test]
async fn manual_commit_opens_a_transaction_that_the_user_ends() {
    let (name, ci) = fresh_db("manual_commit");
    psql(&name, "create table t(a int)");
    let mut h = start(&ci, Settings::default()).await;
    set_mode(&mut h, false, false);

    let r = h.run("insert into t values (1)").await;
    let o = r.outcome.expect("outcome");
    assert!(o.error.is_none(), "{:?}", o.error);
    assert_eq!(
        o.tx,
        TxStatus::InTransaction,
        "manual commit opened a transaction"
    );
    // Another session does not see the row yet.
    assert_eq!(psql(&name, "select count(*) from t").trim(), "0");
    let r = h.run("commit").await;
    assert_eq!(r.outcome.expect("outcome").tx, TxStatus::Idle);
    assert_eq!(psql(&name, "select count(*) from t").trim(), "1");

    // Statements that cannot run in a transaction get no BEGIN.
    let r = h.run("vacuum t").await;
    let o = r.outcome.expect("outcome");
    assert!(
        o.error.is_none(),
        "VACUUM must not be wrapped: {:?}",
        o.error
    );
    assert_eq!(o.tx, TxStatus::Idle);

    // An explicit ROLLBACK undoes the implicit transaction's work.
    h.run("delete from t").await;
    let r = h.run("rollback").await;
    assert_eq!(r.outcome.expect("outcome").tx, TxStatus::Idle);
    assert_eq!(psql(&name, "select count(*) from t").trim(), "1");

    // Back to autocommit: each statement commits on its own.
    set_mode(&mut h, true, false);
    let r = h.run("insert into t values (2)").await;
    assert_eq!(r.outcome.expect("outcome").tx, TxStatus::Idle);
    assert_eq!(psql(&name, "select count(*) from t").trim(), "2");
}

#[tokio::test]
async fn on_error_rollback_keeps_the_transaction_alive() {
    let (name, ci) = fresh_db("on_error_rollback");
    psql(&name, "create table t(a int primary key)");
    let mut h = start(&ci, Settings::default()).await;
    set_mode(&mut h, true, true);

    h.run("begin").await;
    let r = h.run("insert into t values (1)").await;
    assert_eq!(r.outcome.expect("outcome").tx, TxStatus::InTransaction);
    // A failing run: its effects are rolled back, the transaction is not lost.
    let r = h
        .run("insert into t values (2); insert into t values (1)")
        .await;
    let o = r.outcome.expect("outcome");
    let e = o.error.expect("duplicate key error");
    assert_eq!(e.sqlstate(), Some("23505"));
    assert_eq!(o.tx, TxStatus::InTransaction, "not a failed transaction");
    assert!(
        r.notices.iter().any(|n| n.contains("on-error rollback")),
        "{:?}",
        r.notices
    );
    let r = h.run("commit").await;
    assert_eq!(r.outcome.expect("outcome").tx, TxStatus::Idle);
    // Row 1 from before the error survives; row 2 from the failed run does not.
    assert_eq!(
        psql(&name, "select string_agg(a::text, ',') from t").trim(),
        "1"
    );

    // Without the option the same mistake fails the transaction.
    set_mode(&mut h, true, false);
    h.run("begin").await;
    let r = h.run("insert into t values (1)").await;
    assert_eq!(r.outcome.expect("outcome").tx, TxStatus::Failed);
    h.run("rollback").await;

    // Manual commit and on-error rollback together: the implicit transaction survives too.
    set_mode(&mut h, false, true);
    let r = h.run("insert into t values (5)").await;
    assert_eq!(r.outcome.expect("outcome").tx, TxStatus::InTransaction);
    let r = h.run("select 1/0").await;
    assert_eq!(r.outcome.expect("outcome").tx, TxStatus::InTransaction);
    h.run("commit").await;
    assert_eq!(
        psql(&name, "select string_agg(a::text, ',' order by a) from t").trim(),
        "1,5"
    );
}

impl Harness {
    /// Waits for the worker to say that both connections are back, skipping other events;
    /// returns the messages it sent on the way.
    async fn until_both_reconnected(&mut self, within: Duration) -> Vec<String> {
        let mut messages = Vec::new();
        let (mut work, mut monitor) = (false, false);
        let deadline = tokio::time::Instant::now() + within;
        while !(work && monitor) {
            let ev = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .unwrap_or_else(|_| panic!("no reconnect within {within:?}; saw {messages:?}"))
                .expect("worker alive");
            match ev {
                WorkerEvent::Connection {
                    which,
                    message,
                    connected,
                } => {
                    messages.push(format!("{which:?}: {message}"));
                    match which {
                        db::Which::Work => work = connected,
                        db::Which::Monitor => monitor = connected,
                    }
                }
                WorkerEvent::Response(r) => self.stash.push(r),
            }
        }
        messages
    }
}

#[tokio::test]
async fn after_a_server_restart_both_connections_come_back_by_themselves() {
    use pgdeck::cluster::{ClusterOptions, TempCluster};
    let mut own = TempCluster::start(ClusterOptions::default().preload_pg_stat_statements(false))
        .expect("a cluster of this test's own");
    own.create_database("restart").expect("database");
    let mut h = start(&own.conninfo("restart"), Settings::default()).await;
    h.run("begin").await;
    own.restart().expect("restart the server");
    let back = std::time::Instant::now();
    // Nothing is asked of the worker: it notices and reconnects on its own.
    let messages = h.until_both_reconnected(Duration::from_secs(10)).await;
    let took = back.elapsed();
    eprintln!("reconnected {took:?} after the server accepted connections again: {messages:?}");
    assert!(
        took <= Duration::from_millis(2500),
        "reconnect took {took:?}: {messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("Work:") && m.contains("transaction was rolled back")),
        "the lost transaction is mentioned: {messages:?}"
    );
    let r = h.run("select 6 * 7").await;
    assert!(
        r.outcome.as_ref().is_some_and(|o| o.error.is_none()),
        "{:?}",
        r.outcome
    );
    assert_eq!(r.sets[0].get(0, 0), Some("42"));
    assert_eq!(r.outcome.expect("outcome").tx, TxStatus::Idle);
}

#[tokio::test]
async fn terminated_backends_are_replaced_without_a_request() {
    let (name, ci) = fresh_db("terminated_both");
    let mut h = start(&ci, Settings::default()).await;
    let pids = h.own_pids.clone();
    psql(
        &name,
        &format!(
            "select pg_terminate_backend(pid) from pg_stat_activity where pid in ({}, {})",
            pids[0], pids[1]
        ),
    );
    let messages = h.until_both_reconnected(Duration::from_secs(10)).await;
    assert!(
        messages.iter().any(|m| m.contains("re-established")),
        "{messages:?}"
    );
    let r = h.run("select 1").await;
    assert!(
        r.outcome.as_ref().is_some_and(|o| o.error.is_none()),
        "{:?}",
        r.outcome
    );
}

/// SIGSTOP/SIGCONT to a server process (the tests may run as root and the server as postgres).
fn signal(pid: i32, sig: i32) {
    // SAFETY: kill(2) with a pid read from the server; a wrong pid only fails.
    let r = unsafe { libc::kill(pid, sig) };
    assert_eq!(r, 0, "kill({pid}, {sig})");
}

#[tokio::test]
async fn a_stopped_backend_never_freezes_the_worker() {
    let (name, ci) = fresh_db("sigstop");
    let settings = Settings {
        statement_timeout_ms: 1000,
        ..Settings::default()
    };
    let mut h = start(&ci, settings).await;
    let (work_pid, monitor_pid) = (h.own_pids[0], h.own_pids[1]);

    // The monitor's backend stops: the request fails with a timeout instead of hanging.
    signal(monitor_pid, libc::SIGSTOP);
    let started = std::time::Instant::now();
    let reply = h.request(Request::LoadActivity).await;
    signal(monitor_pid, libc::SIGCONT);
    let err = reply.expect_err("no answer from a stopped backend");
    assert!(matches!(err, db::DbError::NoAnswer(_)), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );

    // The work connection's backend stops in the middle of a statement: cancel cannot reach it;
    // asking again after a few seconds abandons the run and opens a new connection.
    let id = h.requests.send(Request::Run {
        sql: "select pg_sleep(30) as stopped_marker".into(),
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    signal(work_pid, libc::SIGSTOP);
    h.requests.send(Request::CancelRun);
    tokio::time::sleep(Duration::from_millis(3200)).await;
    h.requests.send(Request::CancelRun);
    let run = tokio::time::timeout(Duration::from_secs(15), h.collect(id))
        .await
        .expect("the run ends once abandoned");
    signal(work_pid, libc::SIGCONT);
    let o = run.outcome.expect("outcome");
    let e = o.error.expect("reported as interrupted");
    assert!(e.to_string().contains("did not answer the cancel"), "{e}");
    let r = h.run("select 'alive'").await;
    assert!(
        r.outcome.as_ref().is_some_and(|o| o.error.is_none()),
        "{:?}",
        r.outcome
    );
    assert_eq!(r.sets[0].get(0, 0), Some("alive"));
    // the abandoned backend goes away once it runs again and finds its client gone
    let _ = name;
}
