//! The database side of pgdeck. The UI holds a [`Requests`] (a sender, nothing more) and receives
//! [`WorkerEvent`]s; a [`Worker`] task owns the two connections and does the work:
//!
//! - **work**: the user's statements, one at a time, over pgdeck's own protocol client ([`wire`]), with a
//!   cancel handle and the transaction state the server reports;
//! - **monitor**: catalog, activity and health queries, with `application_name`, `statement_timeout`,
//!   `lock_timeout` and `jit=off`, in autocommit, so a long user query or a held lock never freezes them.
//!
//! Nothing here imports ratatui or crossterm.

pub mod activity;
pub mod catalog;
pub mod ddl;
pub mod detail;
pub mod error;
pub mod explain;
pub mod health;
pub mod migrations;
pub mod psql;
pub mod server;
pub mod session;
pub mod settings;
pub mod wire;

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio_postgres::Client;

use wire::{WireCancel, WireConn};

pub use error::{DbError, Notice, ServerError};

use crate::conn::{self, ConnTarget, Connected};
use crate::model::catalog::SchemaTree;
use crate::model::result_set::{Column, RowBatch};
use crate::model::server::ServerInfo;
use crate::model::txn::TxStatus;

/// Identifies a request; replies carry it so a pane can drop replies it no longer waits for.
pub type RequestId = u64;

/// Work the UI asks for. Requests carry no connection objects: the worker owns those.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Run user SQL on the work connection (one or several statements, simple query protocol).
    Run { sql: String },
    /// Cancel whatever runs on the work connection (a cancel request to the server).
    CancelRun,
    /// How later runs treat transactions (manual commit, on-error rollback). No reply.
    SetTxMode(crate::model::txn::TxMode),
    /// Load the schema tree on the monitor connection.
    LoadSchema,
    /// Load a table's detail on the monitor connection (a locked table fails after lock_timeout with
    /// the holder's pid). Answered with [`Reply::TableDetail`].
    LoadTableDetail { oid: u32 },
    /// Load an object's DDL on the monitor connection (`kind` as `db::ddl::ObjectRef::kind`).
    /// Answered with [`Reply::Ddl`].
    LoadDdl { oid: u32, kind: String },
    /// Exact `count(*)` of a table on the monitor connection (bounded by its statement_timeout).
    /// Answered with [`Reply::RowCount`].
    CountRows {
        oid: u32,
        schema: String,
        name: String,
    },
    /// Load one activity snapshot (sessions with lock waits, vitals) on the monitor connection.
    LoadActivity,
    /// Load the top statements of pg_stat_statements on the monitor connection.
    LoadTopStatements,
    /// Reset pg_stat_statements (the user confirmed).
    ResetStatements,
    /// Cancel or terminate a session, re-checking its `(pid, backend_start)`; never pgdeck's own.
    SignalSession {
        session: Box<crate::model::activity::Session>,
        signal: crate::model::activity::Signal,
    },
    /// Load the names editor completion offers, on the monitor connection.
    LoadCompletion,
    /// Read a migration tool's history table (`schema.table`) on the monitor connection. Answered
    /// with [`Reply::Migrations`].
    LoadMigrations { schema: String, table: String },
    /// A psql catalog meta-command (`\d users`), answered on the monitor connection with the same
    /// replies as a run.
    Meta { meta: crate::model::psql_meta::Meta },
    /// Run the health report on the monitor connection, check by check; the replies are
    /// [`Reply::Health`] events, the last one `Finished`. `only` empty means every check.
    RunHealth {
        /// Boxed: thresholds and hardware make it the largest request by far.
        config: Box<crate::model::health::HealthConfig>,
        schema: Option<String>,
        only: Vec<String>,
    },
    /// Load every server parameter (pg_settings) and the facts its fixes need, on the monitor
    /// connection. Answered with [`Reply::Settings`].
    LoadSettings,
    /// Run the health checks for one table on the monitor connection (for its detail view).
    /// Answered with [`Reply::TableFindings`].
    LoadTableFindings {
        oid: u32,
        schema: String,
        table: String,
        config: Box<crate::model::health::HealthConfig>,
    },
    /// Reconnect both connections to another database of the same server (same hosts, role,
    /// credentials and settings). The new connections are opened first: when that fails the old
    /// ones stay and the reply is the error. A running statement is cancelled and an open
    /// transaction rolled back (the UI asks first). Answered with [`Reply::Switched`].
    SwitchDatabase { dbname: String },
    /// EXPLAIN a statement on the work connection (under ANALYZE, a statement that writes runs inside
    /// BEGIN … ROLLBACK). Answered with [`Reply::Plan`].
    Explain {
        sql: String,
        options: crate::model::plan::statement::ExplainOptions,
    },
}

/// A reply to a request. `Run` produces several: result starts, row batches, statement ends, then
/// `RunFinished`.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A statement of the run returned a row description: a new result set begins.
    ResultStarted {
        columns: Vec<Column>,
    },
    /// More rows for the current result set.
    Rows(RowBatch),
    /// One statement of the run completed; `rows` is the server's row count for it (0 when its tag
    /// carries none), `tag` the server's command tag (`UPDATE 3`, `CREATE TABLE`, `SELECT 5`).
    StatementDone {
        rows: u64,
        elapsed: Duration,
        tag: String,
    },
    /// A NOTICE, WARNING or INFO message from the server, in order with the run's other replies.
    Notice(Notice),
    /// The run is over: successfully, with an error, cancelled, or cut at the row cap.
    RunFinished(RunOutcome),
    /// The cancel request reached the server.
    CancelSent,
    Schema(SchemaTree),
    TableDetail(Box<crate::model::table_detail::TableDetail>),
    Ddl {
        oid: u32,
        text: String,
    },
    RowCount {
        oid: u32,
        count: i64,
    },
    Activity(Box<crate::model::activity::Snapshot>),
    /// Top statements; `None` when pg_stat_statements is not installed in this database.
    TopStatements(Option<Vec<crate::model::activity::TopStatement>>),
    /// pg_stat_statements was reset.
    StatementsReset,
    /// What came of a cancel/terminate.
    Signalled {
        pid: i32,
        signal: crate::model::activity::Signal,
        outcome: crate::model::activity::SignalOutcome,
    },
    Completion(crate::model::completion::CatalogNames),
    /// A migration tool's applied history, newest first.
    Migrations(Box<crate::model::migrations::History>),
    /// Progress of a health report.
    Health(health::HealthEvent),
    /// Every server parameter this role can see.
    Settings(Box<settings::SettingsSnapshot>),
    /// The EXPLAIN (FORMAT JSON) output of a statement.
    Plan(explain::Explained),
    /// The health findings of one table.
    TableFindings {
        oid: u32,
        findings: health::TableFindings,
    },
    /// Both connections now reach this database.
    Switched {
        /// `user@host:port/dbname` for the status bar.
        target: String,
        info: Box<ServerInfo>,
        /// The session is read-only (the server's setting or `--read-only`).
        read_only: bool,
    },
}

/// How a run ended.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub error: Option<DbError>,
    /// Transaction state after the run, as the server reported it (ReadyForQuery).
    pub tx: TxStatus,
    pub elapsed: Duration,
    /// Statements that completed.
    pub completed: usize,
    /// Rows received in total (all result sets).
    pub rows: u64,
    /// The run was stopped at the row cap (the statement was cancelled on purpose).
    pub capped: bool,
    /// Byte offset in the submitted text where the text sent to the server begins: the editor adds it to
    /// an error position to place the cursor.
    pub text_offset: usize,
}

/// A reply, addressed to the request that caused it.
#[derive(Debug, Clone)]
pub struct Response {
    pub id: RequestId,
    pub reply: Result<Reply, DbError>,
    /// The last reply this request will get.
    pub last: bool,
}

/// What the worker tells the UI.
#[derive(Debug, Clone)]
pub enum WorkerEvent {
    Response(Response),
    /// Something happened to a connection that the status bar should say (lost, reconnected).
    Connection {
        which: Which,
        message: String,
        connected: bool,
    },
}

/// Which of the two connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Work,
    Monitor,
}

/// The UI's handle: sends requests, hands out ids. Cloning is cheap.
#[derive(Debug, Clone)]
pub struct Requests {
    tx: mpsc::UnboundedSender<(RequestId, Request)>,
    next: Arc<std::sync::atomic::AtomicU64>,
}

impl Requests {
    /// Queue a request; returns its id at once (never waits for the database).
    pub fn send(&self, request: Request) -> RequestId {
        let id = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // A closed channel means the worker is gone (shutting down); the UI learns it from the events side.
        let _ = self.tx.send((id, request));
        id
    }

    /// A handle whose requests go nowhere, with a receiver to inspect them: for UI tests.
    pub fn detached() -> (Requests, mpsc::UnboundedReceiver<(RequestId, Request)>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (
            Requests {
                tx,
                next: Arc::new(std::sync::atomic::AtomicU64::new(1)),
            },
            rx,
        )
    }
}

/// Settings of the worker, from config and flags.
#[derive(Debug, Clone)]
pub struct Settings {
    pub statement_timeout_ms: u64,
    pub lock_timeout_ms: u64,
    /// Stop reading a result past this many rows (cancel and say so).
    pub row_cap: u64,
    /// Start the work connection with `default_transaction_read_only = on`.
    pub read_only: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            statement_timeout_ms: 5000,
            lock_timeout_ms: 100,
            row_cap: 1_000_000,
            read_only: false,
        }
    }
}

/// Both connections, opened and checked, plus what was learned about the server.
pub struct Connections {
    pub work: WireConn,
    pub monitor: Connected,
    pub info: ServerInfo,
    /// Backend pids of the two connections (so the activity view can mark them and never signal them).
    pub own_pids: Vec<i32>,
    /// Both connections reach the same server session: a pooler in transaction mode (PgBouncer).
    /// Session settings are then left alone (they would leak to other clients).
    pub pooled: bool,
}

/// How often lost connections are looked for and reopened (the reconnect after a server restart
/// takes at most about this long once the server accepts connections again).
const WATCH_EVERY: Duration = Duration::from_secs(1);

/// A cancel the server has not acted on after this long, asked for again, abandons the run.
const ABANDON_AFTER: Duration = Duration::from_secs(3);

/// How long a database switch waits for the new connections, and for a cancelled statement to end.
const SWITCH_WAIT: Duration = Duration::from_secs(15);

/// How long after the monitor's statement_timeout a request is given up on the client side.
const NO_ANSWER_GRACE: Duration = Duration::from_secs(3);

/// Application names pgdeck's connections carry.
pub const WORK_APP_NAME: &str = "pgdeck";
pub const MONITOR_APP_NAME: &str = "pgdeck monitor";

/// Open the work and monitor connections concurrently and read the server facts.
pub async fn open(
    target: &ConnTarget,
    settings: &Settings,
) -> Result<Connections, conn::ConnectError> {
    let (work, monitor) = tokio::join!(
        WireConn::connect(target, WORK_APP_NAME),
        conn::connect(target, MONITOR_APP_NAME)
    );
    let (mut work, monitor) = (work?, monitor?);
    let setup = |e: DbError| conn::ConnectError::Server {
        message: format!("setting up the session failed: {e}"),
        sqlstate: e.sqlstate().map(str::to_string),
    };
    // Behind a pooler in transaction mode (PgBouncer) both connections reach the same server
    // session, and a session SET would apply to whoever the pooler hands it to next: the user's
    // statements would run with the monitor's 5 s statement_timeout. Seen there: skip the SETs;
    // the monitor's requests still give up on the client side (NO_ANSWER_GRACE).
    let monitor_server_pid = server::backend_pid(&monitor.client).await.map_err(setup)?;
    let work_server_pid: Option<i32> = work
        .first_value("select pg_backend_pid()")
        .await
        .map_err(setup)?
        .and_then(|v| v.parse().ok());
    let pooled = work_server_pid == Some(monitor_server_pid);
    if pooled {
        tracing::info!("both connections share server session {monitor_server_pid}: a pooler");
        if settings.read_only {
            return Err(conn::ConnectError::Server {
                message: "--read-only cannot be kept behind a connection pooler in transaction \
                          mode: its SET would apply to other clients' sessions. Connect to the \
                          server directly, or give the role default_transaction_read_only"
                    .into(),
                sqlstate: None,
            });
        }
    } else {
        server::prepare_monitor(&monitor.client, settings)
            .await
            .map_err(setup)?;
    }
    if settings.read_only {
        work.batch_execute("set default_transaction_read_only = on")
            .await
            .map_err(setup)?;
    }
    let (info, monitor_pid) = server::server_info(&monitor.client).await.map_err(setup)?;
    let work_pid = work_pid(&mut work).await.map_err(setup)?;
    Ok(Connections {
        work,
        monitor,
        info,
        own_pids: vec![work_pid, monitor_pid],
        pooled,
    })
}

/// The task that owns the connections. Created with [`Worker::spawn`].
pub struct Worker {
    target: ConnTarget,
    settings: Settings,
    /// Locked by a run for its whole duration.
    work: Arc<tokio::sync::Mutex<WireConn>>,
    /// The work connection's cancel handle, usable while a run holds the connection.
    work_cancel: WireCancel,
    monitor: Arc<Client>,
    /// The connection DDL is written on (opened at the first DDL asked for): each load runs in a
    /// transaction of its own with `search_path = pg_catalog`, which the shared monitor connection
    /// cannot host. The lock keeps one load at a time on it.
    ddl: Option<Arc<tokio::sync::Mutex<Client>>>,
    own_pids: Vec<i32>,
    /// `server_version_num`, for the EXPLAIN options the server knows.
    version_num: u32,
    /// Activity query variants for this server's version and extensions.
    activity_q: Arc<activity::ActivityQueries>,
    tx_status: Arc<std::sync::Mutex<TxStatus>>,
    /// Manual commit and on-error rollback, for the next runs.
    tx_mode: crate::model::txn::TxMode,
    /// Id of the running user statement, if one runs.
    running: Arc<std::sync::Mutex<Option<RequestId>>>,
    events: mpsc::UnboundedSender<WorkerEvent>,
    /// Behind a transaction-mode pooler: no session SETs on reconnect either.
    pooled: bool,
    /// The running statement's task, so that it can be abandoned when the server stops answering.
    run_task: Option<(RequestId, tokio::task::JoinHandle<()>)>,
    /// When a cancel was first sent for the current run.
    cancel_sent: Option<(RequestId, Instant)>,
    /// A reconnect of the work / monitor connection failed and was reported; later failures are
    /// not reported again until it is back.
    work_lost: bool,
    monitor_lost: bool,
}

impl Worker {
    /// Start the worker on a tokio runtime; returns the UI's handle and the event stream.
    pub fn spawn(
        conns: Connections,
        target: ConnTarget,
        settings: Settings,
    ) -> (Requests, mpsc::UnboundedReceiver<WorkerEvent>) {
        let (req_tx, req_rx) = mpsc::unbounded_channel();
        let (ev_tx, ev_rx) = mpsc::unbounded_channel();
        let worker = Worker {
            target,
            settings,
            work_cancel: conns.work.cancel_handle(),
            work: Arc::new(tokio::sync::Mutex::new(conns.work)),
            monitor: Arc::new(conns.monitor.client),
            ddl: None,
            own_pids: conns.own_pids,
            version_num: conns.info.version_num,
            activity_q: Arc::new(activity::ActivityQueries::new(&conns.info)),
            tx_status: Arc::default(),
            tx_mode: crate::model::txn::TxMode::default(),
            running: Arc::default(),
            events: ev_tx,
            work_lost: false,
            monitor_lost: false,
            run_task: None,
            cancel_sent: None,
            pooled: conns.pooled,
        };
        tokio::spawn(worker.run(req_rx));
        let requests = Requests {
            tx: req_tx,
            next: Arc::new(std::sync::atomic::AtomicU64::new(1)),
        };
        (requests, ev_rx)
    }

    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<(RequestId, Request)>) {
        let mut watch = tokio::time::interval(WATCH_EVERY);
        watch.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let (id, req) = tokio::select! {
                r = rx.recv() => match r {
                    Some(r) => r,
                    None => break,
                },
                _ = watch.tick() => {
                    // Bounded, so requests (a cancel above all) never wait long behind it.
                    let _ = tokio::time::timeout(WATCH_EVERY, self.watch_connections()).await;
                    continue;
                }
            };
            match req {
                Request::Run { sql } => self.start_run(id, sql).await,
                Request::CancelRun => self.cancel(id).await,
                Request::SetTxMode(mode) => self.tx_mode = mode,
                Request::Explain { sql, options } => self.start_explain(id, sql, options),
                Request::SwitchDatabase { dbname } => self.switch_database(id, dbname).await,
                Request::LoadSchema => {
                    let client = self.monitor_client(id).await;
                    self.spawn_monitor(id, client, |c| async move {
                        catalog::schema_tree(&c).await.map(Reply::Schema)
                    });
                }
                Request::LoadTableDetail { oid } => {
                    let client = self.monitor_client(id).await;
                    self.spawn_monitor(id, client, move |c| async move {
                        detail::table_detail(&c, oid)
                            .await
                            .map(|d| Reply::TableDetail(Box::new(d)))
                    });
                }
                Request::LoadDdl { oid, kind } => {
                    let Some(ddl) = self.ddl_client(id).await else {
                        continue;
                    };
                    let (st, lt) = (
                        self.settings.statement_timeout_ms,
                        self.settings.lock_timeout_ms,
                    );
                    let limit = self.no_answer_limit();
                    let events = self.events.clone();
                    tokio::spawn(async move {
                        let obj = ddl::ObjectRef {
                            kind,
                            oid,
                            name: Default::default(),
                        };
                        let load = async {
                            let c = ddl.lock().await;
                            ddl::object_def_qualified(&c, &obj, st, lt)
                                .await
                                .map(|d| Reply::Ddl { oid, text: d.ddl() })
                        };
                        let reply = match tokio::time::timeout(limit, load).await {
                            Ok(r) => r,
                            Err(_) => Err(DbError::NoAnswer(limit.as_secs())),
                        };
                        let _ = events.send(WorkerEvent::Response(Response {
                            id,
                            reply,
                            last: true,
                        }));
                    });
                }
                Request::CountRows { oid, schema, name } => {
                    let client = self.monitor_client(id).await;
                    self.spawn_monitor(id, client, move |c| async move {
                        detail::count_rows(&c, &schema, &name)
                            .await
                            .map(|count| Reply::RowCount { oid, count })
                    });
                }
                Request::Meta { meta } => {
                    let client = self.monitor_client(id).await;
                    let Some(client) = client else { continue };
                    let events = self.events.clone();
                    let tx = self.tx_status.lock().map(|t| *t).unwrap_or_default();
                    tokio::spawn(async move {
                        let started = Instant::now();
                        let send = |reply: Reply, last: bool| {
                            let _ = events.send(WorkerEvent::Response(Response {
                                id,
                                reply: Ok(reply),
                                last,
                            }));
                        };
                        let mut outcome = RunOutcome {
                            error: None,
                            tx,
                            elapsed: Duration::ZERO,
                            completed: 0,
                            rows: 0,
                            capped: false,
                            text_offset: 0,
                        };
                        match psql::run(&client, &meta).await {
                            Ok(results) => {
                                for r in results {
                                    let n = r.rows.rows() as u64;
                                    send(Reply::ResultStarted { columns: r.columns }, false);
                                    send(Reply::Rows(r.rows), false);
                                    send(
                                        Reply::StatementDone {
                                            rows: n,
                                            elapsed: started.elapsed(),
                                            tag: format!("SELECT {n}"),
                                        },
                                        false,
                                    );
                                    outcome.completed += 1;
                                    outcome.rows += n;
                                }
                            }
                            Err(e) => outcome.error = Some(e),
                        }
                        outcome.elapsed = started.elapsed();
                        send(Reply::RunFinished(outcome), true);
                    });
                }
                Request::LoadCompletion => {
                    let client = self.monitor_client(id).await;
                    self.spawn_monitor(id, client, |c| async move {
                        catalog::completion_names(&c).await.map(Reply::Completion)
                    });
                }
                Request::LoadMigrations { schema, table } => {
                    let client = self.monitor_client(id).await;
                    self.spawn_monitor(id, client, move |c| async move {
                        migrations::history(&c, &schema, &table)
                            .await
                            .map(|h| Reply::Migrations(Box::new(h)))
                    });
                }
                Request::RunHealth {
                    config,
                    schema,
                    only,
                } => {
                    let Some(client) = self.monitor_client(id).await else {
                        continue;
                    };
                    let events = self.events.clone();
                    tokio::spawn(async move {
                        let send = |reply: Result<Reply, DbError>, last: bool| {
                            let _ =
                                events.send(WorkerEvent::Response(Response { id, reply, last }));
                        };
                        let result =
                            health::run(&client, &config, schema.as_deref(), &only, |ev| {
                                let last = matches!(ev, health::HealthEvent::Finished { .. });
                                send(Ok(Reply::Health(ev)), last);
                            })
                            .await;
                        if let Err(e) = result {
                            send(Err(e), true);
                        }
                    });
                }
                Request::LoadSettings => {
                    let client = self.monitor_client(id).await;
                    self.spawn_monitor(id, client, |c| async move {
                        settings::snapshot(&c)
                            .await
                            .map(|s| Reply::Settings(Box::new(s)))
                    });
                }
                Request::LoadTableFindings {
                    oid,
                    schema,
                    table,
                    config,
                } => {
                    // like a report: one statement per check, each bounded by statement_timeout
                    let Some(client) = self.monitor_client(id).await else {
                        continue;
                    };
                    let events = self.events.clone();
                    tokio::spawn(async move {
                        let reply = health::table_findings(&client, &config, &schema, &table)
                            .await
                            .map(|findings| Reply::TableFindings { oid, findings });
                        let _ = events.send(WorkerEvent::Response(Response {
                            id,
                            reply,
                            last: true,
                        }));
                    });
                }
                Request::LoadActivity => {
                    let client = self.monitor_client(id).await;
                    let pids = self.own_pids.clone();
                    let q = self.activity_q.clone();
                    self.spawn_monitor(id, client, move |c| async move {
                        activity::snapshot(&c, &q, &pids)
                            .await
                            .map(|s| Reply::Activity(Box::new(s)))
                    });
                }
                Request::LoadTopStatements => {
                    let client = self.monitor_client(id).await;
                    let q = self.activity_q.clone();
                    self.spawn_monitor(id, client, move |c| async move {
                        activity::top_statements(&c, &q, 200)
                            .await
                            .map(Reply::TopStatements)
                    });
                }
                Request::ResetStatements => {
                    let client = self.monitor_client(id).await;
                    let q = self.activity_q.clone();
                    self.spawn_monitor(id, client, move |c| async move {
                        activity::reset_statements(&c, &q)
                            .await
                            .map(|()| Reply::StatementsReset)
                    });
                }
                Request::SignalSession { session, signal } => {
                    let client = self.monitor_client(id).await;
                    let pids = self.own_pids.clone();
                    self.spawn_monitor(id, client, move |c| async move {
                        activity::signal(&c, &session, signal, &pids)
                            .await
                            .map(|outcome| Reply::Signalled {
                                pid: session.pid,
                                signal,
                                outcome,
                            })
                    });
                }
            }
        }
        // The UI dropped its handle: leave; dropping the clients closes the connections.
    }

    fn reply(&self, id: RequestId, reply: Result<Reply, DbError>, last: bool) {
        let _ = self
            .events
            .send(WorkerEvent::Response(Response { id, reply, last }));
    }

    /// How long a monitor request waits for the server: its statement_timeout, then a grace.
    fn no_answer_limit(&self) -> Duration {
        let timeout = match self.settings.statement_timeout_ms {
            0 => Duration::from_secs(60),
            ms => Duration::from_millis(ms),
        };
        timeout + NO_ANSWER_GRACE
    }

    /// The DDL connection, opened on first use and again when it was lost; its pid joins
    /// pgdeck's own (never signalled from the activity view). On failure the request is answered
    /// with the error and `None` is returned.
    async fn ddl_client(&mut self, id: RequestId) -> Option<Arc<tokio::sync::Mutex<Client>>> {
        // (a load in progress holds the lock: the connection is in use, so not lost)
        let lost = self
            .ddl
            .as_ref()
            .is_some_and(|d| d.try_lock().is_ok_and(|c| c.is_closed()));
        if lost {
            self.ddl = None;
        }
        if let Some(d) = &self.ddl {
            return Some(d.clone());
        }
        match conn::connect(&self.target, MONITOR_APP_NAME).await {
            Ok(c) => {
                if let Ok(pid) = server::backend_pid(&c.client).await {
                    self.own_pids.truncate(2);
                    self.own_pids.push(pid);
                }
                let d = Arc::new(tokio::sync::Mutex::new(c.client));
                self.ddl = Some(d.clone());
                Some(d)
            }
            Err(e) => {
                self.reply(id, Err(DbError::NotConnected(e.to_string())), true);
                None
            }
        }
    }

    /// Run a monitor query on its own task so requests never queue behind each other in the worker.
    fn spawn_monitor<F, Fut>(&self, id: RequestId, client: Option<Arc<Client>>, f: F)
    where
        F: FnOnce(Arc<Client>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<Reply, DbError>> + Send,
    {
        let Some(client) = client else { return };
        let events = self.events.clone();
        // statement_timeout ends a slow monitor query on the server; a server that does not run at
        // all (SIGSTOP, a dead network) never sends that error, so the client gives up a little later.
        let timeout = match self.settings.statement_timeout_ms {
            0 => Duration::from_secs(60),
            ms => Duration::from_millis(ms),
        };
        let limit = timeout + NO_ANSWER_GRACE;
        tokio::spawn(async move {
            let reply = match tokio::time::timeout(limit, f(client)).await {
                Ok(reply) => reply,
                Err(_) => Err(DbError::NoAnswer(limit.as_secs())),
            };
            let _ = events.send(WorkerEvent::Response(Response {
                id,
                reply,
                last: true,
            }));
        });
    }

    /// The monitor client, reconnecting once when the old connection is gone. On failure the request is
    /// answered with the error and `None` is returned.
    async fn monitor_client(&mut self, id: RequestId) -> Option<Arc<Client>> {
        if !self.monitor.is_closed() {
            return Some(self.monitor.clone());
        }
        match conn::connect(&self.target, MONITOR_APP_NAME).await {
            Ok(c) => {
                if !self.pooled
                    && let Err(e) = server::prepare_monitor(&c.client, &self.settings).await
                {
                    self.reply(id, Err(e), true);
                    return None;
                }
                if let Ok(pid) = server::backend_pid(&c.client).await {
                    self.own_pids[1] = pid;
                }
                self.monitor = Arc::new(c.client);
                self.notify(
                    Which::Monitor,
                    "monitor connection re-established".into(),
                    true,
                );
                Some(self.monitor.clone())
            }
            Err(e) => {
                self.notify(
                    Which::Monitor,
                    format!("monitor connection lost: {e}"),
                    false,
                );
                self.reply(id, Err(DbError::NotConnected(e.to_string())), true);
                None
            }
        }
    }

    /// Opens a new work connection in place of a lost one; says so either way. The error is the
    /// reason it could not connect.
    async fn replace_work(&mut self, work: &mut WireConn) -> Result<(), String> {
        match WireConn::connect(&self.target, WORK_APP_NAME).await {
            Ok(mut c) => {
                if self.settings.read_only {
                    let _ = c
                        .batch_execute("set default_transaction_read_only = on")
                        .await;
                }
                if let Ok(pid) = work_pid(&mut c).await {
                    self.own_pids[0] = pid;
                }
                self.work_cancel = c.cancel_handle();
                *work = c;
                let was_in_tx = self
                    .tx_status
                    .lock()
                    .map(|mut s| std::mem::replace(&mut *s, TxStatus::Idle) != TxStatus::Idle)
                    .unwrap_or(false);
                self.work_lost = false;
                self.notify(
                    Which::Work,
                    if was_in_tx {
                        "the connection was lost and has been re-established; the open \
                         transaction was rolled back by the server"
                            .into()
                    } else {
                        "the connection was lost and has been re-established".into()
                    },
                    true,
                );
                Ok(())
            }
            Err(e) => {
                if !self.work_lost {
                    self.notify(
                        Which::Work,
                        format!("connection lost: {e}; reconnecting…"),
                        false,
                    );
                }
                self.work_lost = true;
                Err(e.to_string())
            }
        }
    }

    /// Every second: a connection found dead while idle (server restart, backend terminated) is
    /// reopened by itself, so the status bar recovers without the user running anything. A work
    /// connection busy with a run is left alone: the run reports what happens to it.
    async fn watch_connections(&mut self) {
        if self.monitor.is_closed() {
            match conn::connect(&self.target, MONITOR_APP_NAME).await {
                Ok(c)
                    if self.pooled
                        || server::prepare_monitor(&c.client, &self.settings)
                            .await
                            .is_ok() =>
                {
                    if let Ok(pid) = server::backend_pid(&c.client).await {
                        self.own_pids[1] = pid;
                    }
                    self.monitor = Arc::new(c.client);
                    self.monitor_lost = false;
                    self.notify(
                        Which::Monitor,
                        "monitor connection re-established".into(),
                        true,
                    );
                }
                Ok(_) => {}
                Err(e) => {
                    if !self.monitor_lost {
                        self.notify(
                            Which::Monitor,
                            format!("monitor connection lost: {e}; reconnecting…"),
                            false,
                        );
                    }
                    self.monitor_lost = true;
                }
            }
        }
        let idle = self.running.lock().map(|r| r.is_none()).unwrap_or(false);
        if !idle {
            return;
        }
        let work = self.work.clone();
        let Ok(mut work) = work.try_lock() else {
            return;
        };
        if work.check_alive().is_err() {
            let _ = self.replace_work(&mut work).await;
        }
    }

    /// The server ignored a cancel for [`ABANDON_AFTER`] (its backend is stopped or the network is
    /// gone) and the user asked again: stop waiting. The run's task is dropped, its connection
    /// closed and replaced, and the run reported as interrupted (never re-run); the rows it received
    /// stay on screen.
    async fn abandon_run(&mut self, id: RequestId, run_id: RequestId) {
        if let Some((rid, task)) = self.run_task.take() {
            if rid == run_id {
                task.abort();
                // the task holds the connection's lock until it is gone
                let _ = task.await;
            } else {
                self.run_task = Some((rid, task));
            }
        }
        let waited = self
            .cancel_sent
            .take()
            .map_or(0, |(_, at)| at.elapsed().as_secs());
        if let Ok(mut r) = self.running.lock() {
            *r = None;
        }
        let work = self.work.clone();
        let mut conn = work.lock().await;
        let replaced =
            tokio::time::timeout(Duration::from_secs(10), self.replace_work(&mut conn)).await;
        drop(conn);
        let reconnected = matches!(replaced, Ok(Ok(())));
        let outcome = RunOutcome {
            error: Some(DbError::ConnectionLost(format!(
                "the server did not answer the cancel request for {waited} s, so pgdeck stopped \
                 waiting and closed the connection{}; the statement may still be running on the \
                 server and was not re-run",
                if reconnected {
                    " (a new one is open)"
                } else {
                    ""
                }
            ))),
            tx: TxStatus::Idle,
            elapsed: Duration::ZERO,
            completed: 0,
            rows: 0,
            capped: false,
            text_offset: 0,
        };
        if let Ok(mut s) = self.tx_status.lock() {
            *s = TxStatus::Idle;
        }
        self.reply(run_id, Ok(Reply::RunFinished(outcome)), true);
        self.reply(id, Ok(Reply::CancelSent), true);
    }

    /// Both connections to database `dbname`: opened (and set up as at startup) before the old
    /// ones are let go, so a database that refuses the connection changes nothing. A run still
    /// going is cancelled first and given [`SWITCH_WAIT`] to end, then abandoned; closing the old
    /// work connection rolls back its open transaction.
    async fn switch_database(&mut self, id: RequestId, dbname: String) {
        let mut target = self.target.clone();
        target.dbname = dbname.clone();
        let conns = match tokio::time::timeout(SWITCH_WAIT, open(&target, &self.settings)).await {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                self.reply(
                    id,
                    Err(DbError::NotConnected(format!(
                        "could not connect to database {dbname}: {e}"
                    ))),
                    true,
                );
                return;
            }
            Err(_) => {
                self.reply(
                    id,
                    Err(DbError::NotConnected(format!(
                        "database {dbname} did not accept the connection within {} s",
                        SWITCH_WAIT.as_secs()
                    ))),
                    true,
                );
                return;
            }
        };
        if self.running.lock().map(|r| r.is_some()).unwrap_or(false) {
            let _ = self.work_cancel.cancel().await;
            let ended = async {
                while self.running.lock().map(|r| r.is_some()).unwrap_or(false) {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            };
            if tokio::time::timeout(SWITCH_WAIT, ended).await.is_err()
                && let Some((_, task)) = self.run_task.take()
            {
                // the server ignores the cancel: stop waiting for that run; its connection goes
                task.abort();
                let _ = task.await;
                if let Ok(mut r) = self.running.lock() {
                    *r = None;
                }
            }
        }
        self.run_task = None;
        self.cancel_sent = None;
        let Connections {
            work,
            monitor,
            info,
            own_pids,
            pooled,
        } = conns;
        self.work_cancel = work.cancel_handle();
        // dropping the old connection closes it; the server rolls back what it had open
        *self.work.lock().await = work;
        self.monitor = Arc::new(monitor.client);
        // the DDL connection reopens in the new database when next needed
        self.ddl = None;
        self.own_pids = own_pids;
        self.version_num = info.version_num;
        self.activity_q = Arc::new(activity::ActivityQueries::new(&info));
        self.pooled = pooled;
        self.work_lost = false;
        self.monitor_lost = false;
        if let Ok(mut s) = self.tx_status.lock() {
            *s = TxStatus::Idle;
        }
        // the transaction mode (manual commit, on-error rollback) is pgdeck's and carries over
        self.target = target;
        self.reply(
            id,
            Ok(Reply::Switched {
                target: self.target.display(),
                read_only: info.read_only || self.settings.read_only,
                info: Box::new(info),
            }),
            true,
        );
    }

    fn notify(&self, which: Which, message: String, connected: bool) {
        let _ = self.events.send(WorkerEvent::Connection {
            which,
            message,
            connected,
        });
    }

    async fn start_run(&mut self, id: RequestId, sql: String) {
        if self.running.lock().map(|r| r.is_some()).unwrap_or(false) {
            self.reply(
                id,
                Err(DbError::Refused(
                    "a statement is already running; cancel it first (ctrl-c)".into(),
                )),
                true,
            );
            return;
        }
        // No run holds the connection now (`running` is clear), so the lock is free.
        let work_conn = self.work.clone();
        let mut work = work_conn.lock().await;
        // A connection that died while idle is replaced before the run; one that dies during the
        // run is reported by the run and never re-run.
        if work.check_alive().is_err()
            && let Err(e) = self.replace_work(&mut work).await
        {
            self.reply(id, Err(DbError::NotConnected(e)), true);
            return;
        }
        drop(work);
        if let Ok(mut r) = self.running.lock() {
            *r = Some(id);
        }
        let ctx = session::RunContext {
            id,
            conn: self.work.clone(),
            events: self.events.clone(),
            tx_status: self.tx_status.clone(),
            running: self.running.clone(),
            row_cap: self.settings.row_cap,
            mode: self.tx_mode,
            cancel: CancelHandle {
                wire: self.work_cancel.clone(),
            },
        };
        self.run_task = Some((id, tokio::spawn(session::run(ctx, sql, Instant::now()))));
    }

    /// EXPLAIN on the work connection, on its own task; cancellable like a run.
    fn start_explain(
        &mut self,
        id: RequestId,
        sql: String,
        options: crate::model::plan::statement::ExplainOptions,
    ) {
        let busy = self
            .running
            .lock()
            .map(|mut r| {
                if r.is_some() {
                    true
                } else {
                    *r = Some(id);
                    false
                }
            })
            .unwrap_or(true);
        if busy {
            self.reply(
                id,
                Err(DbError::Refused(
                    "a statement is already running; cancel it first (ctrl-c)".into(),
                )),
                true,
            );
            return;
        }
        let work = self.work.clone();
        let events = self.events.clone();
        let running = self.running.clone();
        let tx_status = self.tx_status.clone();
        let version = self.version_num;
        tokio::spawn(async move {
            let mut conn = work.lock().await;
            let reply = explain::explain(&mut conn, &sql, options, version)
                .await
                .map(Reply::Plan);
            if let Ok(mut t) = tx_status.lock() {
                *t = conn.tx_status();
            }
            drop(conn);
            if let Ok(mut r) = running.lock() {
                *r = None;
            }
            let _ = events.send(WorkerEvent::Response(Response {
                id,
                reply,
                last: true,
            }));
        });
    }

    async fn cancel(&mut self, id: RequestId) {
        let Some(run_id) = self.running.lock().ok().and_then(|r| *r) else {
            self.reply(id, Err(DbError::Refused("nothing is running".into())), true);
            return;
        };
        match self.cancel_sent {
            Some((rid, at)) if rid == run_id && at.elapsed() >= ABANDON_AFTER => {
                self.abandon_run(id, run_id).await;
                return;
            }
            Some((rid, _)) if rid == run_id => {}
            _ => self.cancel_sent = Some((run_id, Instant::now())),
        }
        let handle = CancelHandle {
            wire: self.work_cancel.clone(),
        };
        let events = self.events.clone();
        let running = self.running.clone();
        tokio::spawn(async move {
            // A cancel that reaches the server before the statement does is lost (the backend is
            // still idle). So while the same run is still going, ask again a few times.
            let mut reply = handle.cancel().await.map(|()| Reply::CancelSent);
            for _ in 0..3 {
                if reply.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
                if running.lock().ok().and_then(|r| *r) != Some(run_id) {
                    break;
                }
                reply = handle.cancel().await.map(|()| Reply::CancelSent);
            }
            let _ = events.send(WorkerEvent::Response(Response {
                id,
                reply,
                last: true,
            }));
        });
    }
}

/// What it takes to send a cancel request for the work connection.
#[derive(Clone)]
pub struct CancelHandle {
    wire: WireCancel,
}

impl CancelHandle {
    /// Send the cancel request (a separate short connection to the server, as libpq does).
    pub async fn cancel(&self) -> Result<(), DbError> {
        self.wire
            .cancel()
            .await
            .map_err(|e| DbError::Other(format!("could not send the cancel request: {e}")))
    }
}

/// The work session's backend pid: from BackendKeyData, else asked of the server.
async fn work_pid(work: &mut WireConn) -> Result<i32, DbError> {
    if let Some(pid) = work.backend_pid() {
        return Ok(pid);
    }
    work.first_value("select pg_backend_pid()")
        .await?
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| DbError::Other("the server did not say its backend pid".into()))
}
