//! The async connect, following libpq's `PQconnectPoll`: hosts are tried in order (or shuffled
//! for `load_balance_hosts=random`); a host that cannot be reached, times out
//! (`connect_timeout` covers the whole attempt on one host), is starting up (57P03) or is not of
//! the wanted kind (`target_session_attrs`) is skipped; any other refusal — authentication,
//! TLS, database missing — ends the attempt at once, as in libpq. Per host it looks up the
//! password file (when no password is known) and applies the sslmode fallbacks (allow: plain,
//! then TLS; prefer: TLS, then plain). It owns the network side and must not parse parameters or
//! prompt; a missing password comes back as [`ConnectError::PasswordRequired`] for the caller.
//! These rules live in [`connect_with`], generic over a [`Dialer`] that opens one session per
//! attempt: tokio-postgres here (`PgDialer`), pgdeck's own client in `db::wire`.

use std::error::Error as _;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::StreamExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;
use tokio_postgres::config::{ChannelBinding as PgChannelBinding, SslMode as PgSslMode};
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::{AsyncMessage, Client, Config, Connection, NoTls, SimpleQueryMessage, Socket};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::error::{ConnectError, HostAttempt};
use super::pgpass;
use super::resolve::DEFAULT_SOCKET_DIRS;
use super::secret::Secret;
use super::target::{ChannelBinding, ConnTarget, Host, HostSpec, SslMode, TargetSessionAttrs};
use super::tls;

/// A live session. Dropping `client` closes the connection, after which `task` ends.
pub struct Connected {
    /// The driver's client handle.
    pub client: Client,
    /// Spawned driver of the `Connection`; ends when the connection closes.
    pub task: JoinHandle<()>,
    /// The host that accepted.
    pub host: HostSpec,
    /// Whether the session is encrypted.
    pub tls: bool,
}

/// Connect to the first host that accepts, honouring sslmode fallbacks (allow: plain then TLS;
/// prefer: TLS then plain), the .pgpass lookup for that host (when no password is known),
/// connect_timeout per host, and target_session_attrs (any, read-write, read-only, primary,
/// standby, prefer-standby — checked with `SHOW transaction_read_only` /
/// `pg_is_in_recovery()` after connecting, as libpq does). `application_name`: if the target
/// sets none, `app_name` is used (e.g. "pgdeck" or "pgdeck monitor"). Notices and notifications
/// are dropped; use [`connect_with_messages`] to receive them.
pub async fn connect(target: &ConnTarget, app_name: &str) -> Result<Connected, ConnectError> {
    connect_inner(target, app_name, None).await
}

/// As [`connect`], but the driver task forwards every notice and notification the server sends
/// (during the session, not during the connection checks) to `messages`.
pub async fn connect_with_messages(
    target: &ConnTarget,
    app_name: &str,
    messages: UnboundedSender<AsyncMessage>,
) -> Result<Connected, ConnectError> {
    connect_inner(target, app_name, Some(messages)).await
}

async fn connect_inner(
    target: &ConnTarget,
    app_name: &str,
    messages: Option<UnboundedSender<AsyncMessage>>,
) -> Result<Connected, ConnectError> {
    let mut dialer = PgDialer {
        app_name,
        connector: None,
        messages,
    };
    let reached = connect_with(target, &mut dialer).await?;
    let (client, task) = reached.session;
    Ok(Connected {
        client,
        task,
        host: reached.host,
        tls: reached.tls,
    })
}

/// What kind of server one pass over the host list accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Want {
    Any,
    ReadWrite,
    ReadOnly,
    Primary,
    Standby,
}

/// How one host's attempt ended, when it did not succeed.
enum Failure {
    /// Try the next host (libpq's `try_next_host`).
    Next(String),
    /// Give up on the whole list.
    Fatal(ConnectError),
}

/// The driver-specific part of a connection attempt: opening one session at one host for one
/// sslmode step, and running the one-value queries of the target_session_attrs check. Everything
/// else — host order, password file, sslmode fallbacks, timeouts, error classification — is
/// decided once, in [`connect_with`], for every driver pgdeck uses (tokio-postgres for the
/// monitor connection, `db::wire` for the work connection).
pub(crate) trait Dialer {
    /// An open, authenticated session.
    type Session: Send;

    /// One attempt at `spec` as `step` says (plain, TLS, or TLS if the server has it), sending
    /// `password` if the server asks for one. The flag says whether TLS was started (even when
    /// the attempt then failed): the sslmode fallback rules depend on it.
    fn dial(
        &mut self,
        target: &ConnTarget,
        spec: &HostSpec,
        password: Option<&Secret>,
        step: Step,
    ) -> impl Future<Output = (Result<Self::Session, AttemptError>, bool)> + Send;

    /// Run `sql` (one of libpq's target_session_attrs checks) and return the first column of
    /// its first row.
    fn first_value(
        &mut self,
        session: &mut Self::Session,
        sql: &'static str,
    ) -> impl Future<Output = Result<Option<String>, AttemptError>> + Send;
}

/// A session that [`connect_with`] accepted, and where.
pub(crate) struct Reached<S> {
    /// The driver's session.
    pub session: S,
    /// The host that accepted.
    pub host: HostSpec,
    /// Whether the session is encrypted.
    pub tls: bool,
}

/// Walk the host list as libpq's `PQconnectPoll` does, opening sessions with `dialer`: passes
/// for target_session_attrs, host order, password per host, sslmode steps with their
/// fallbacks, connect_timeout per host, and the mapping of failures to [`ConnectError`].
pub(crate) async fn connect_with<D: Dialer>(
    target: &ConnTarget,
    dialer: &mut D,
) -> Result<Reached<D::Session>, ConnectError> {
    if target.hosts.is_empty() {
        return Err(ConnectError::Config {
            reason: "no host to connect to".into(),
        });
    }
    let passes: &[Want] = match target.target_session_attrs {
        TargetSessionAttrs::Any => &[Want::Any],
        TargetSessionAttrs::ReadWrite => &[Want::ReadWrite],
        TargetSessionAttrs::ReadOnly => &[Want::ReadOnly],
        TargetSessionAttrs::Primary => &[Want::Primary],
        TargetSessionAttrs::Standby => &[Want::Standby],
        // libpq: a first pass for a standby, then a second accepting any server.
        TargetSessionAttrs::PreferStandby => &[Want::Standby, Want::Any],
    };
    let order = host_order(target);
    let mut attempts = Vec::new();
    for &want in passes {
        for &i in &order {
            let spec = &target.hosts[i];
            match connect_host(target, spec, want, dialer).await {
                Ok(reached) => return Ok(reached),
                Err(Failure::Next(reason)) => attempts.push(HostAttempt {
                    host: spec.label(),
                    reason,
                }),
                Err(Failure::Fatal(e)) => return Err(e),
            }
        }
    }
    Err(ConnectError::Unreachable { attempts })
}

/// The order to try the hosts in: as listed, or shuffled for `load_balance_hosts=random`.
fn host_order(target: &ConnTarget) -> Vec<usize> {
    let mut order: Vec<usize> = (0..target.hosts.len()).collect();
    if target.load_balance_random {
        // RandomState is seeded randomly per instance: enough to spread load, no extra crate.
        let seed = std::collections::hash_map::RandomState::new();
        for i in (1..order.len()).rev() {
            let mut h = seed.build_hasher();
            h.write_usize(i);
            let j = (h.finish() % (i as u64 + 1)) as usize;
            order.swap(i, j);
        }
    }
    order
}

/// The password to send to `spec`: the target's, else the password file's entry for this host.
/// The second value names the file when the password came from it.
fn password_for(target: &ConnTarget, spec: &HostSpec) -> (Option<Secret>, Option<PathBuf>) {
    if let Some(p) = target.password.as_ref().filter(|p| !p.is_empty()) {
        return (Some(p.clone()), None);
    }
    let host = match &spec.host {
        Host::Tcp(name) => name.clone(),
        Host::Unix(dir) => dir.to_string_lossy().into_owned(),
    };
    let defaults: Vec<&Path> = DEFAULT_SOCKET_DIRS.iter().map(Path::new).collect();
    let key = pgpass::host_key(&host, &defaults);
    match pgpass::lookup(
        &target.passfile,
        key,
        spec.port,
        &target.dbname,
        &target.user,
    ) {
        // libpq treats an empty password as none.
        Ok(Some(pw)) if !pw.is_empty() => (Some(Secret::new(pw)), Some(target.passfile.clone())),
        // An unusable file was already reported among the target's warnings.
        _ => (None, None),
    }
}

/// One connection attempt at a host, as far as TLS goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// No TLS.
    Plain,
    /// TLS required: the server must answer the SSLRequest with `S` (or, with
    /// `sslnegotiation=direct`, the handshake starts at once).
    Tls,
    /// libpq's `prefer`: ask for TLS, continue unencrypted on the same socket if the server
    /// answers `N`.
    TlsIfSupported,
}

/// The attempts libpq makes at one host for an sslmode, in order.
fn steps(sslmode: SslMode, unix_socket: bool) -> &'static [Step] {
    // No TLS over Unix sockets, whatever the sslmode (libpq does the same).
    if unix_socket {
        return &[Step::Plain];
    }
    match sslmode {
        SslMode::Disable => &[Step::Plain],
        SslMode::Allow => &[Step::Plain, Step::Tls],
        SslMode::Prefer => &[Step::TlsIfSupported, Step::Plain],
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => &[Step::Tls],
    }
}

async fn connect_host<D: Dialer>(
    target: &ConnTarget,
    spec: &HostSpec,
    want: Want,
    dialer: &mut D,
) -> Result<Reached<D::Session>, Failure> {
    let (password, from_file) = password_for(target, spec);
    let plan = steps(target.sslmode, spec.is_unix_socket());
    let work = async {
        let mut earlier: Option<AttemptError> = None;
        for (n, &step) in plan.iter().enumerate() {
            let (result, tls) = dialer.dial(target, spec, password.as_ref(), step).await;
            let mut session = match result {
                Ok(session) => session,
                Err(e) if n + 1 < plan.len() && e.allows_sslmode_retry(step, tls) => {
                    earlier = Some(e);
                    continue;
                }
                Err(e) => {
                    let e = AttemptError::more_telling(earlier.take(), e);
                    return Err(classify(e, target, spec, from_file.as_deref()));
                }
            };
            let Some((sql, expected, refusal)) = server_check(want) else {
                return Ok(Reached {
                    session,
                    host: spec.clone(),
                    tls,
                });
            };
            return match dialer.first_value(&mut session, sql).await {
                Ok(value) if value.as_deref() == Some(expected) => Ok(Reached {
                    session,
                    host: spec.clone(),
                    tls,
                }),
                // Dropping the session ends it politely.
                Ok(_) => Err(Failure::Next(refusal.to_owned())),
                Err(e) => Err(classify(e, target, spec, None)),
            };
        }
        Err(Failure::Fatal(ConnectError::Config {
            reason: "no connection attempt planned".into(),
        }))
    };
    match target.connect_timeout {
        Some(limit) => match tokio::time::timeout(limit, work).await {
            Ok(result) => result,
            Err(_) => Err(Failure::Next(format!(
                "timeout expired after {} s",
                limit.as_secs()
            ))),
        },
        None => work.await,
    }
}

/// libpq's CONNECTION_CHECK_TARGET: the query, the value the wanted kind of server gives, and
/// the reason to skip a server that gives another; `None` when any server will do.
fn server_check(want: Want) -> Option<(&'static str, &'static str, &'static str)> {
    match want {
        Want::Any => None,
        Want::ReadWrite => Some(("SHOW transaction_read_only", "off", "session is read-only")),
        Want::ReadOnly => Some((
            "SHOW transaction_read_only",
            "on",
            "session is not read-only",
        )),
        Want::Primary => Some((
            "SELECT pg_catalog.pg_is_in_recovery()",
            "f",
            "server is in hot standby mode",
        )),
        Want::Standby => Some((
            "SELECT pg_catalog.pg_is_in_recovery()",
            "t",
            "server is not in hot standby mode",
        )),
    }
}

/// The tokio-postgres side of [`connect_with`]: a `Config` per attempt and the rustls connector
/// (built once per connect, on first use).
struct PgDialer<'a> {
    app_name: &'a str,
    connector: Option<MakeRustlsConnect>,
    messages: Option<UnboundedSender<AsyncMessage>>,
}

impl Dialer for PgDialer<'_> {
    type Session = (Client, JoinHandle<()>);

    async fn dial(
        &mut self,
        target: &ConnTarget,
        spec: &HostSpec,
        password: Option<&Secret>,
        step: Step,
    ) -> (Result<Self::Session, AttemptError>, bool) {
        let config = match base_config(target, spec, password, self.app_name, step) {
            Ok(config) => config,
            Err(reason) => return (Err(AttemptError::Config(reason)), false),
        };
        let used_tls = Arc::new(AtomicBool::new(false));
        let result = if step == Step::Plain {
            attempt(&config, NoTls, self.messages.clone()).await
        } else {
            match cached_connector(target, &mut self.connector) {
                Ok(tls) => {
                    let tls = TrackedTls {
                        inner: tls,
                        used: used_tls.clone(),
                    };
                    attempt(&config, tls, self.messages.clone()).await
                }
                Err(reason) => Err(AttemptError::TlsSetup(reason)),
            }
        };
        (result, used_tls.load(Ordering::SeqCst))
    }

    async fn first_value(
        &mut self,
        session: &mut Self::Session,
        sql: &'static str,
    ) -> Result<Option<String>, AttemptError> {
        let rows = session
            .0
            .simple_query(sql)
            .await
            .map_err(|e| AttemptError::from_pg(&e))?;
        Ok(rows.iter().find_map(|m| match m {
            SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
            _ => None,
        }))
    }
}

fn cached_connector(
    target: &ConnTarget,
    cache: &mut Option<MakeRustlsConnect>,
) -> Result<MakeRustlsConnect, String> {
    if let Some(c) = cache {
        return Ok(c.clone());
    }
    let c = tls::connector(target)?;
    *cache = Some(c.clone());
    Ok(c)
}

/// The rustls connector, recording whether a TLS handshake was started. Under `prefer` the
/// driver itself decides (from the server's answer to SSLRequest) whether TLS is used, and this
/// is how pgdeck learns the outcome.
struct TrackedTls {
    inner: MakeRustlsConnect,
    used: Arc<AtomicBool>,
}

impl MakeTlsConnect<Socket> for TrackedTls {
    type Stream = <MakeRustlsConnect as MakeTlsConnect<Socket>>::Stream;
    type TlsConnect = TrackedConnect<<MakeRustlsConnect as MakeTlsConnect<Socket>>::TlsConnect>;
    type Error = <MakeRustlsConnect as MakeTlsConnect<Socket>>::Error;

    fn make_tls_connect(&mut self, domain: &str) -> Result<Self::TlsConnect, Self::Error> {
        Ok(TrackedConnect {
            inner: <MakeRustlsConnect as MakeTlsConnect<Socket>>::make_tls_connect(
                &mut self.inner,
                domain,
            )?,
            used: self.used.clone(),
        })
    }
}

/// One handshake of [`TrackedTls`].
struct TrackedConnect<C> {
    inner: C,
    used: Arc<AtomicBool>,
}

impl<C: TlsConnect<Socket>> TlsConnect<Socket> for TrackedConnect<C> {
    type Stream = C::Stream;
    type Error = C::Error;
    type Future = C::Future;

    fn connect(self, stream: Socket) -> Self::Future {
        // Called only after the server agreed to TLS (answered `S`).
        self.used.store(true, Ordering::SeqCst);
        self.inner.connect(stream)
    }
}

/// The tokio-postgres configuration for one attempt at one host.
fn base_config(
    target: &ConnTarget,
    spec: &HostSpec,
    password: Option<&Secret>,
    app_name: &str,
    step: Step,
) -> Result<Config, String> {
    let mut c = Config::new();
    c.user(&target.user).dbname(&target.dbname);
    if let Some(p) = password {
        c.password(p.expose());
    }
    if let Some(o) = &target.options {
        c.options(o);
    }
    c.application_name(target.application_name.as_deref().unwrap_or(app_name));
    match (&spec.host, &spec.hostaddr) {
        (Host::Unix(dir), None) => {
            c.host_path(dir);
        }
        (host, Some(addr)) => {
            let ip = addr
                .parse()
                .map_err(|_| format!("invalid hostaddr \"{addr}\""))?;
            // The name (for TLS checks) is the host when it is one, else the address itself.
            let name = match host {
                Host::Tcp(name) => name.as_str(),
                Host::Unix(_) => addr.as_str(),
            };
            c.host(name).hostaddr(ip);
        }
        (Host::Tcp(name), None) => {
            c.host(name);
        }
    }
    c.port(spec.port);
    c.ssl_mode(match step {
        Step::Plain => PgSslMode::Disable,
        Step::Tls => PgSslMode::Require,
        Step::TlsIfSupported => PgSslMode::Prefer,
    });
    // Also kept in the cancel token, so that a cancel request cannot hang on the network
    // forever either.
    if let Some(limit) = target.connect_timeout {
        c.connect_timeout(limit);
    }
    if step == Step::Tls && target.tls_options.direct {
        c.ssl_negotiation(tokio_postgres::config::SslNegotiation::Direct);
    }
    c.channel_binding(match target.channel_binding {
        ChannelBinding::Disable => PgChannelBinding::Disable,
        ChannelBinding::Prefer => PgChannelBinding::Prefer,
        ChannelBinding::Require => PgChannelBinding::Require,
    });
    c.keepalives(target.tcp.keepalives);
    if let Some(d) = target.tcp.keepalives_idle {
        c.keepalives_idle(d);
    }
    if let Some(d) = target.tcp.keepalives_interval {
        c.keepalives_interval(d);
    }
    if let Some(n) = target.tcp.keepalives_count {
        c.keepalives_retries(n);
    }
    if let Some(d) = target.tcp.user_timeout {
        c.tcp_user_timeout(d);
    }
    Ok(c)
}

async fn attempt<T>(
    config: &Config,
    tls: T,
    messages: Option<UnboundedSender<AsyncMessage>>,
) -> Result<(Client, JoinHandle<()>), AttemptError>
where
    T: MakeTlsConnect<Socket>,
    T::Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    match config.connect(tls).await {
        Ok((client, connection)) => Ok((client, spawn_driver(connection, messages))),
        Err(e) => Err(AttemptError::from_pg(&e)),
    }
}

/// Drives the connection until it closes, forwarding notices and notifications if asked.
fn spawn_driver<S, T>(
    mut connection: Connection<S, T>,
    messages: Option<UnboundedSender<AsyncMessage>>,
) -> JoinHandle<()>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        let mut stream = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(item) = stream.next().await {
            match item {
                Ok(message) => match &messages {
                    // A receiver that went away must not stop the session.
                    Some(tx) => {
                        let _ = tx.send(message);
                    }
                    // Never printed: stderr belongs to the terminal UI. The log file only.
                    None => log_message(&message),
                },
                // The client sees the failure on its next request; nothing to report here.
                Err(e) => {
                    tracing::debug!("connection closed: {e}");
                    break;
                }
            }
        }
    })
}

fn log_message(message: &AsyncMessage) {
    match message {
        AsyncMessage::Notice(notice) => {
            tracing::debug!(
                "server {}: {} (SQLSTATE {})",
                notice.severity(),
                notice.message(),
                notice.code().code()
            );
        }
        AsyncMessage::Notification(n) => {
            tracing::debug!("notification on channel {:?} ignored", n.channel());
        }
        _ => {}
    }
}

/// One failed attempt, reduced to what the fallback rules and the error mapping need.
#[derive(Debug)]
pub(crate) enum AttemptError {
    /// The server wants a password and none was given (tokio-postgres: Config "password
    /// missing").
    PasswordMissing,
    /// The socket could not be opened or broke (refused, unreachable, DNS, EOF).
    Network(String),
    /// The server sent an error: SQLSTATE and readable message.
    Db { code: String, message: String },
    /// The TLS handshake failed, or the server has no SSL under require.
    Tls(String),
    /// The TLS configuration could not be built (certificate or key files).
    TlsSetup(String),
    /// Anything else the driver reported.
    Other(String),
    /// The settings cannot be turned into an attempt (e.g. a `hostaddr` that is no address).
    Config(String),
}

impl AttemptError {
    /// Classifies a tokio-postgres 0.7 error. Its kinds are private, so this relies on the
    /// error's cause and on the fixed texts of `Error`'s Display for the kinds involved.
    pub(super) fn from_pg(e: &tokio_postgres::Error) -> Self {
        if let Some(db) = e.as_db_error() {
            return AttemptError::db(db.code().code(), db.message(), db.detail(), db.hint());
        }
        let top = e.to_string();
        let cause = e.source();
        let cause_text = cause.map(|c| c.to_string());
        // connect_raw.rs returns Error::config("password missing") when the server asks for a
        // password (cleartext, MD5 or SCRAM) and Config::password is None.
        if top == "invalid configuration" && cause_text.as_deref() == Some("password missing") {
            return AttemptError::PasswordMissing;
        }
        if top == "error performing TLS handshake" {
            return match cause_text.as_deref() {
                Some("server does not support TLS") => {
                    AttemptError::Tls("server does not support SSL, but SSL was required".into())
                }
                Some(text) => AttemptError::Tls(text.to_owned()),
                None => AttemptError::Tls(top),
            };
        }
        if let Some(io) = cause.and_then(|c| c.downcast_ref::<io::Error>()) {
            return AttemptError::Network(describe_io(io));
        }
        if e.is_closed() {
            return AttemptError::Network("server closed the connection unexpectedly".into());
        }
        if top == "timeout waiting for server" {
            return AttemptError::Network("timeout expired".into());
        }
        AttemptError::Other(match cause_text {
            Some(c) => format!("{top}: {c}"),
            None => top,
        })
    }

    /// A server's ErrorResponse: the message with its detail and hint in parentheses.
    pub(crate) fn db(code: &str, message: &str, detail: Option<&str>, hint: Option<&str>) -> Self {
        let mut message = message.to_owned();
        if let Some(detail) = detail {
            message.push_str(&format!(" ({detail})"));
        }
        if let Some(hint) = hint {
            message.push_str(&format!(" (hint: {hint})"));
        }
        AttemptError::Db {
            code: code.to_owned(),
            message,
        }
    }

    /// Whether libpq would make the next attempt of the plan after this failure. `prefer`
    /// retries without TLS after a failed handshake or a server error on the TLS session (but
    /// not when the server said it has no SSL: the driver then already went on unencrypted);
    /// `allow` retries with TLS after a server error on the plain session.
    fn allows_sslmode_retry(&self, step: Step, tls_used: bool) -> bool {
        match (self, step) {
            (AttemptError::Tls(_) | AttemptError::TlsSetup(_), Step::TlsIfSupported) => true,
            (AttemptError::Db { .. }, Step::TlsIfSupported) => tls_used,
            (AttemptError::Db { .. }, Step::Plain) => true,
            _ => false,
        }
    }

    /// Of two failures on one host (first and fallback attempt), the one that tells the user
    /// more: a server's own refusal beats a "no pg_hba.conf entry for this encryption" (28000),
    /// which beats a TLS failure, which beats the rest; on a tie the later one.
    fn more_telling(earlier: Option<AttemptError>, later: AttemptError) -> AttemptError {
        fn rank(e: &AttemptError) -> u8 {
            match e {
                AttemptError::Db { code, .. } if code == "28000" => 2,
                AttemptError::Db { .. } => 3,
                AttemptError::Tls(_) | AttemptError::TlsSetup(_) => 1,
                _ => 0,
            }
        }
        match earlier {
            Some(e) if rank(&e) > rank(&later) => e,
            _ => later,
        }
    }
}

/// A network error in the words libpq users know.
pub(crate) fn describe_io(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => {
            "connection refused (is the server running and accepting connections there?)".into()
        }
        io::ErrorKind::NotFound => {
            "no such socket file (is the server running locally with this socket directory \
             and port?)"
                .into()
        }
        io::ErrorKind::TimedOut => "connection timed out".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        io::ErrorKind::UnexpectedEof => "server closed the connection unexpectedly".into(),
        _ => e.to_string(),
    }
}

fn classify(
    e: AttemptError,
    target: &ConnTarget,
    spec: &HostSpec,
    passfile: Option<&Path>,
) -> Failure {
    let host = spec.label();
    match e {
        AttemptError::PasswordMissing => Failure::Fatal(ConnectError::PasswordRequired {
            host,
            user: target.user.clone(),
        }),
        AttemptError::Network(reason) => Failure::Next(reason),
        // "the database system is starting up" and friends: libpq tries the next host.
        AttemptError::Db { code, message } if code == "57P03" => Failure::Next(message),
        AttemptError::Db { code, message } if code == "28P01" || code == "28000" => {
            // libpq names the password file only for a wrong password (28P01).
            let passfile = passfile.filter(|_| code == "28P01").map(Path::to_path_buf);
            Failure::Fatal(ConnectError::AuthFailed {
                host,
                user: target.user.clone(),
                sqlstate: code,
                message,
                passfile,
            })
        }
        AttemptError::Db { code, message } => Failure::Fatal(ConnectError::Server {
            message: format!("the server at {host} refused the connection: {message}"),
            sqlstate: Some(code),
        }),
        AttemptError::Tls(reason) | AttemptError::TlsSetup(reason) => {
            Failure::Fatal(ConnectError::Tls { host, reason })
        }
        AttemptError::Other(message) => Failure::Fatal(ConnectError::Server {
            message: format!("connecting to {host} failed: {message}"),
            sqlstate: None,
        }),
        AttemptError::Config(reason) => Failure::Fatal(ConnectError::Config { reason }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conn::{Environment, parse_conninfo, resolve};
    use std::time::{Duration, Instant};

    fn target(conninfo: &str) -> ConnTarget {
        let mut env = Environment::from_vars(Vec::new(), None, Some("u".into()));
        env.socket_dirs.clear();
        env.system_service_files.clear();
        resolve(&parse_conninfo(conninfo).unwrap(), &env).unwrap()
    }

    /// A local TCP port with nothing listening (bound, then released).
    fn closed_port() -> u16 {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    }

    #[tokio::test]
    async fn refused_hosts_are_all_listed() {
        let (a, b) = (closed_port(), closed_port());
        let t = target(&format!(
            "host=127.0.0.1,127.0.0.1 port={a},{b} sslmode=disable"
        ));
        let err = connect(&t, "pgdeck-test").await.err().unwrap();
        let ConnectError::Unreachable { attempts } = &err else {
            panic!("{err}")
        };
        assert_eq!(attempts.len(), 2);
        assert_eq!(attempts[0].host, format!("127.0.0.1:{a}"));
        assert!(
            attempts[0].reason.starts_with("connection refused"),
            "{err}"
        );
        assert!(err.to_string().contains(&format!("127.0.0.1:{b}")), "{err}");
    }

    #[tokio::test]
    async fn missing_socket_is_reported_by_path() {
        let dir = std::env::temp_dir().join(format!("pgdeck-nosock-{}", std::process::id()));
        let t = target(&format!("host={} port=5999", dir.display()));
        let err = connect(&t, "pgdeck-test").await.err().unwrap();
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("{}/.s.PGSQL.5999", dir.display())),
            "{msg}"
        );
        assert!(msg.contains("no such socket file"), "{msg}");
    }

    #[tokio::test]
    async fn silent_server_times_out_per_host() {
        // A listener that accepts but never answers: only connect_timeout ends the attempt.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let keep = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((s, _)) = listener.accept().await {
                held.push(s);
            }
        });
        let t = target(&format!(
            "host=127.0.0.1 port={port} connect_timeout=1 sslmode=disable"
        ));
        assert_eq!(t.connect_timeout, Some(Duration::from_secs(2)));
        let started = Instant::now();
        let err = connect(&t, "pgdeck-test").await.err().unwrap();
        let took = started.elapsed();
        assert!(
            took >= Duration::from_secs(2) && took < Duration::from_secs(5),
            "{took:?}"
        );
        assert!(
            err.to_string().contains("timeout expired after 2 s"),
            "{err}"
        );
        keep.abort();
    }

    #[test]
    fn fallback_rules() {
        let db = |code: &str| AttemptError::Db {
            code: code.into(),
            message: "m".into(),
        };
        let prefer = Step::TlsIfSupported;
        // prefer: retry plain after a TLS failure or a server error on the TLS session...
        assert!(AttemptError::Tls("x".into()).allows_sslmode_retry(prefer, true));
        assert!(AttemptError::TlsSetup("x".into()).allows_sslmode_retry(prefer, false));
        assert!(db("28000").allows_sslmode_retry(prefer, true));
        // ... but not when the server had no SSL and the session was already plain.
        assert!(!db("28000").allows_sslmode_retry(prefer, false));
        // allow: retry TLS after a server error only.
        assert!(db("28000").allows_sslmode_retry(Step::Plain, false));
        assert!(!AttemptError::Network("refused".into()).allows_sslmode_retry(Step::Plain, false));
        assert!(!AttemptError::Network("refused".into()).allows_sslmode_retry(prefer, true));
        assert!(!AttemptError::PasswordMissing.allows_sslmode_retry(prefer, true));
        assert!(!AttemptError::PasswordMissing.allows_sslmode_retry(Step::Plain, false));
        // The plans themselves.
        assert_eq!(steps(SslMode::Prefer, true), &[Step::Plain]);
        assert_eq!(steps(SslMode::VerifyFull, true), &[Step::Plain]);
        assert_eq!(steps(SslMode::Allow, false), &[Step::Plain, Step::Tls]);
        assert_eq!(
            steps(SslMode::Prefer, false),
            &[Step::TlsIfSupported, Step::Plain]
        );
        assert_eq!(steps(SslMode::Require, false), &[Step::Tls]);
        assert_eq!(steps(SslMode::Disable, false), &[Step::Plain]);
        // The more telling error of two.
        let e = AttemptError::more_telling(Some(db("28P01")), db("28000"));
        assert!(matches!(e, AttemptError::Db { code, .. } if code == "28P01"));
        let e = AttemptError::more_telling(Some(db("28000")), AttemptError::Tls("t".into()));
        assert!(matches!(e, AttemptError::Db { code, .. } if code == "28000"));
        let e = AttemptError::more_telling(Some(AttemptError::Tls("t".into())), db("3D000"));
        assert!(matches!(e, AttemptError::Db { code, .. } if code == "3D000"));
    }

    #[test]
    fn classification() {
        let t = target("host=db user=alice");
        let spec = &t.hosts[0];
        let pf = Path::new("/home/alice/.pgpass");
        let f = classify(AttemptError::PasswordMissing, &t, spec, None);
        assert!(matches!(
            f,
            Failure::Fatal(ConnectError::PasswordRequired { .. })
        ));
        let wrong = AttemptError::Db {
            code: "28P01".into(),
            message: "bad".into(),
        };
        let Failure::Fatal(e) = classify(wrong, &t, spec, Some(pf)) else {
            panic!()
        };
        assert!(
            e.to_string()
                .ends_with("(password retrieved from file \"/home/alice/.pgpass\")")
        );
        let hba = AttemptError::Db {
            code: "28000".into(),
            message: "no pg_hba.conf entry".into(),
        };
        let Failure::Fatal(e) = classify(hba, &t, spec, Some(pf)) else {
            panic!()
        };
        assert!(!e.to_string().contains(".pgpass"), "{e}");
        let starting = AttemptError::Db {
            code: "57P03".into(),
            message: "starting up".into(),
        };
        assert!(matches!(
            classify(starting, &t, spec, None),
            Failure::Next(_)
        ));
        let nodb = AttemptError::Db {
            code: "3D000".into(),
            message: "database \"x\" does not exist".into(),
        };
        let Failure::Fatal(e) = classify(nodb, &t, spec, None) else {
            panic!()
        };
        assert_eq!(
            e.to_string(),
            "the server at db:5432 refused the connection: database \"x\" does not exist \
             (SQLSTATE 3D000)"
        );
    }

    #[test]
    fn load_balancing_keeps_every_host() {
        let t = target("host=a,b,c,d,e load_balance_hosts=random");
        let mut order = host_order(&t);
        order.sort_unstable();
        assert_eq!(order, vec![0, 1, 2, 3, 4]);
        assert_eq!(host_order(&target("host=a,b,c")), vec![0, 1, 2]);
    }

    #[cfg(unix)]
    #[test]
    fn password_file_lookup_per_host() {
        use std::os::unix::fs::PermissionsExt;
        let path =
            std::env::temp_dir().join(format!("pgdeck-connect-pgpass-{}", std::process::id()));
        std::fs::write(&path, "a:5432:*:u:pw-a\nlocalhost:5432:*:u:pw-sock\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let t = target(&format!(
            "host=a,b,/var/run/postgresql passfile={}",
            path.display()
        ));
        let (pw, from) = password_for(&t, &t.hosts[0]);
        assert_eq!(pw.as_ref().map(Secret::expose), Some("pw-a"));
        assert_eq!(from.as_deref(), Some(path.as_path()));
        assert!(password_for(&t, &t.hosts[1]).0.is_none());
        let (pw, _) = password_for(&t, &t.hosts[2]);
        assert_eq!(pw.as_ref().map(Secret::expose), Some("pw-sock"));
        // A password given explicitly wins and the file is not named.
        let t = target(&format!(
            "host=a password=given passfile={}",
            path.display()
        ));
        let (pw, from) = password_for(&t, &t.hosts[0]);
        assert_eq!(pw.as_ref().map(Secret::expose), Some("given"));
        assert!(from.is_none());
        std::fs::remove_file(&path).unwrap();
    }
}
