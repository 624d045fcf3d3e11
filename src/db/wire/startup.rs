//! Opening a wire session at one host: the socket (Unix, or TCP with libpq's keepalive settings),
//! TLS (SSLRequest or direct, with `conn::tls`'s rustls configuration), the startup packet, the
//! authentication exchange and the wait for the first ReadyForQuery. The host walk around it —
//! order, password file, sslmode fallbacks, timeouts, target_session_attrs, error mapping — is
//! `conn::connect_with`, through the [`Dialer`] implemented here. It must not decide any of that
//! policy itself.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use bytes::BytesMut;
use fallible_iterator::FallibleIterator;
use postgres_protocol::authentication::md5_hash;
use postgres_protocol::authentication::sasl::ScramSha256;
use postgres_protocol::message::backend::Message;
use postgres_protocol::message::frontend;
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpStream, UnixStream};
use tokio_rustls::TlsConnector;

use super::auth;
use super::cancel::{CancelAddr, CancelTls, WireCancel};
use super::io::{Channel, Stream};
use super::message::Fields;
use super::{BackendKey, Discard, Notice, TxStatus, WireConn};
use crate::conn::{
    self, AttemptError, ChannelBinding, ConnTarget, ConnectError, Dialer, Host, HostSpec, Secret,
    Step, TcpOptions, describe_io,
};

impl WireConn {
    /// Connects as libpq would (see `conn::connect` for the rules), with pgdeck's own protocol
    /// client. `app_name` is the `application_name` when the target sets none.
    pub async fn connect(target: &ConnTarget, app_name: &str) -> Result<WireConn, ConnectError> {
        let mut dialer = WireDialer {
            app_name,
            tls: None,
        };
        let reached = conn::connect_with(target, &mut dialer).await?;
        Ok(reached.session)
    }
}

/// The wire side of `conn::connect_with`.
struct WireDialer<'a> {
    app_name: &'a str,
    /// Built on first use, once per connect.
    tls: Option<Arc<ClientConfig>>,
}

impl Dialer for WireDialer<'_> {
    type Session = WireConn;

    async fn dial(
        &mut self,
        target: &ConnTarget,
        spec: &HostSpec,
        password: Option<&Secret>,
        step: Step,
    ) -> (Result<WireConn, AttemptError>, bool) {
        let mut tls_started = false;
        let result = self
            .open(target, spec, password, step, &mut tls_started)
            .await;
        (result, tls_started)
    }

    async fn first_value(
        &mut self,
        session: &mut WireConn,
        sql: &'static str,
    ) -> Result<Option<String>, AttemptError> {
        session.first_value(sql).await.map_err(|e| match e {
            crate::db::DbError::Server(s) => AttemptError::db(
                &s.sqlstate,
                &s.message,
                s.detail.as_deref(),
                s.hint.as_deref(),
            ),
            crate::db::DbError::ConnectionLost(m) => AttemptError::Network(m),
            other => AttemptError::Other(other.to_string()),
        })
    }
}

impl WireDialer<'_> {
    fn tls_config(&mut self, target: &ConnTarget) -> Result<Arc<ClientConfig>, AttemptError> {
        if let Some(c) = &self.tls {
            return Ok(c.clone());
        }
        let c = Arc::new(conn::tls::client_config(target).map_err(AttemptError::TlsSetup)?);
        self.tls = Some(c.clone());
        Ok(c)
    }

    async fn open(
        &mut self,
        target: &ConnTarget,
        spec: &HostSpec,
        password: Option<&Secret>,
        step: Step,
        tls_started: &mut bool,
    ) -> Result<WireConn, AttemptError> {
        let (stream, addr) = open_socket(spec, &target.tcp).await?;
        let mut cancel_tls = None;
        let (stream, server_cert) = match (step, stream) {
            (Step::Tls | Step::TlsIfSupported, Stream::Tcp(tcp)) => {
                let config = self.tls_config(target)?;
                let name = tls_server_name(spec)?;
                let direct = step == Step::Tls && target.tls_options.direct;
                match start_tls(tcp, &config, &name, direct, step == Step::Tls, tls_started).await?
                {
                    Tls::Encrypted(tls) => {
                        let cert = tls
                            .get_ref()
                            .1
                            .peer_certificates()
                            .and_then(|c| c.first())
                            .map(|c| c.to_vec());
                        cancel_tls = Some(CancelTls {
                            config,
                            name,
                            direct,
                        });
                        (Stream::Tls(tls), cert)
                    }
                    Tls::Refused(tcp) => (Stream::Tcp(tcp), None),
                }
            }
            // Unix sockets never use TLS (`conn` plans only plain steps for them).
            (_, stream) => (stream, None),
        };
        let tls = matches!(stream, Stream::Tls(_));
        let mut ch = Channel::new(stream);
        let app_name = target.application_name.as_deref().unwrap_or(self.app_name);
        let started = startup(&mut ch, target, password, app_name, server_cert.as_deref()).await?;
        let cancel = WireCancel::new(
            addr,
            started.key,
            cancel_tls,
            target.connect_timeout,
            spec.label(),
        );
        let mut session = WireConn {
            ch,
            host: spec.clone(),
            tls,
            params: started.params,
            key: started.key,
            cancel,
            tx: started.tx,
            lost: None,
            in_cycle: false,
            in_copy_in: false,
            pending: started.notices,
            columns: Vec::new(),
        };
        // A `-c client_encoding=...` in `options` wins over the startup parameter.
        session
            .keep_utf8(&mut Discard)
            .await
            .map_err(|e| AttemptError::Other(e.to_string()))?;
        Ok(session)
    }
}

/// Opens the socket to `spec`: the Unix socket file, or each address of the host in turn.
async fn open_socket(
    spec: &HostSpec,
    tcp: &TcpOptions,
) -> Result<(Stream, CancelAddr), AttemptError> {
    let addrs: Vec<SocketAddr> = match (&spec.host, &spec.hostaddr) {
        (Host::Unix(dir), None) => {
            let path: PathBuf = dir.join(format!(".s.PGSQL.{}", spec.port));
            return match UnixStream::connect(&path).await {
                Ok(s) => Ok((Stream::Unix(s), CancelAddr::Unix(path))),
                Err(e) => Err(AttemptError::Network(describe_io(&e))),
            };
        }
        (_, Some(addr)) => {
            let ip: IpAddr = addr
                .parse()
                .map_err(|_| AttemptError::Config(format!("invalid hostaddr \"{addr}\"")))?;
            vec![SocketAddr::new(ip, spec.port)]
        }
        (Host::Tcp(name), None) => tokio::net::lookup_host((name.as_str(), spec.port))
            .await
            .map_err(|e| {
                AttemptError::Network(format!(
                    "could not translate host name \"{name}\" to address: {e}"
                ))
            })?
            .collect(),
    };
    // libpq tries every address of a host before giving up on it.
    let mut last = None;
    for addr in &addrs {
        match TcpStream::connect(addr).await {
            Ok(s) => {
                tune_tcp(&s, tcp).map_err(|e| {
                    AttemptError::Network(format!("could not set socket options: {e}"))
                })?;
                return Ok((Stream::Tcp(s), CancelAddr::Tcp(*addr)));
            }
            Err(e) => last = Some(e),
        }
    }
    Err(AttemptError::Network(match last {
        Some(e) => describe_io(&e),
        None => "the host name resolved to no address".into(),
    }))
}

/// TCP_NODELAY (small messages go out at once, as libpq sets it) and libpq's keepalive and user
/// timeout settings.
fn tune_tcp(stream: &TcpStream, options: &TcpOptions) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let sock = socket2::SockRef::from(stream);
    if options.keepalives {
        let mut keepalive = socket2::TcpKeepalive::new();
        if let Some(d) = options.keepalives_idle {
            keepalive = keepalive.with_time(d);
        }
        if let Some(d) = options.keepalives_interval {
            keepalive = keepalive.with_interval(d);
        }
        #[cfg(any(target_os = "linux", target_os = "macos", target_os = "freebsd"))]
        if let Some(n) = options.keepalives_count {
            keepalive = keepalive.with_retries(n);
        }
        sock.set_tcp_keepalive(&keepalive)?;
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if let Some(d) = options.user_timeout {
        sock.set_tcp_user_timeout(Some(d))?;
    }
    Ok(())
}

/// The name the server certificate must carry (and SNI sends): the host name, or the address
/// when only `hostaddr` names the server.
fn tls_server_name(spec: &HostSpec) -> Result<ServerName<'static>, AttemptError> {
    let name = match (&spec.host, &spec.hostaddr) {
        (Host::Tcp(name), _) => name.clone(),
        (Host::Unix(_), Some(addr)) => addr.clone(),
        (Host::Unix(dir), None) => dir.display().to_string(),
    };
    ServerName::try_from(name.clone()).map_err(|e| {
        AttemptError::TlsSetup(format!(
            "\"{name}\" cannot be checked as a TLS server name: {e}"
        ))
    })
}

/// How TLS negotiation ended.
pub(super) enum Tls {
    Encrypted(Box<tokio_rustls::client::TlsStream<TcpStream>>),
    /// The server answered `N` and TLS was only preferred: go on unencrypted on the same socket.
    Refused(TcpStream),
}

/// SSLRequest (or, `direct`, an immediate handshake as PostgreSQL 17+ accepts) and the TLS
/// handshake. `required`: an `N` answer is an error instead of [`Tls::Refused`].
pub(super) async fn start_tls(
    mut tcp: TcpStream,
    config: &Arc<ClientConfig>,
    name: &ServerName<'static>,
    direct: bool,
    required: bool,
    started: &mut bool,
) -> Result<Tls, AttemptError> {
    if !direct {
        let mut buf = BytesMut::with_capacity(8);
        frontend::ssl_request(&mut buf);
        tcp.write_all(&buf)
            .await
            .map_err(|e| AttemptError::Network(describe_io(&e)))?;
        // One byte, read straight from the socket: nothing the server sends before the handshake
        // may be taken as protocol data (CVE-2021-23222).
        let mut answer = [0u8; 1];
        tokio::io::AsyncReadExt::read_exact(&mut tcp, &mut answer)
            .await
            .map_err(|e| AttemptError::Network(describe_io(&e)))?;
        match answer[0] {
            b'S' => {}
            b'N' if required => {
                return Err(AttemptError::Tls(
                    "server does not support SSL, but SSL was required".into(),
                ));
            }
            b'N' => return Ok(Tls::Refused(tcp)),
            other => {
                return Err(AttemptError::Other(format!(
                    "received invalid response to SSL negotiation: {:?}",
                    other as char
                )));
            }
        }
    }
    *started = true;
    TlsConnector::from(config.clone())
        .connect(name.clone(), tcp)
        .await
        .map(|s| Tls::Encrypted(Box::new(s)))
        .map_err(|e| AttemptError::Tls(e.to_string()))
}

/// What the server told us during startup.
struct Started {
    params: BTreeMap<String, String>,
    key: Option<BackendKey>,
    tx: TxStatus,
    notices: Vec<Notice>,
}

/// The startup packet, authentication, and the messages up to the first ReadyForQuery.
async fn startup(
    ch: &mut Channel,
    target: &ConnTarget,
    password: Option<&Secret>,
    app_name: &str,
    server_cert: Option<&[u8]>,
) -> Result<Started, AttemptError> {
    let mut params: Vec<(&str, &str)> = vec![
        ("user", &target.user),
        ("database", &target.dbname),
        // pgdeck reads every value as UTF-8; the server converts from the database encoding.
        ("client_encoding", "UTF8"),
        ("application_name", app_name),
    ];
    if let Some(options) = &target.options {
        params.push(("options", options));
    }
    frontend::startup_message(params, &mut ch.wbuf)
        .map_err(|e| AttemptError::Config(format!("cannot send the startup packet: {e}")))?;
    send(ch).await?;

    let mut notices = Vec::new();
    authenticate(ch, target, password, server_cert, &mut notices).await?;

    let mut started = Started {
        params: BTreeMap::new(),
        key: None,
        tx: TxStatus::Idle,
        notices,
    };
    loop {
        match next_message(ch).await? {
            Message::ParameterStatus(body) => {
                if let (Ok(name), Ok(value)) = (body.name(), body.value()) {
                    started.params.insert(name.to_owned(), value.to_owned());
                }
            }
            Message::BackendKeyData(body) => {
                started.key = Some(BackendKey {
                    pid: body.process_id(),
                    secret: body.secret_key(),
                });
            }
            Message::NoticeResponse(body) => started.notices.push(
                Fields::parse(body.fields())
                    .map_err(protocol)?
                    .into_notice(),
            ),
            Message::ErrorResponse(body) => return Err(server_refusal(body.fields())?),
            Message::ReadyForQuery(body) => {
                started.tx = TxStatus::from_ready_status(body.status()).unwrap_or_default();
                return Ok(started);
            }
            _ => {
                return Err(protocol(
                    "an unexpected message after authentication".into(),
                ));
            }
        }
    }
}

/// The authentication exchange, up to AuthenticationOk.
async fn authenticate(
    ch: &mut Channel,
    target: &ConnTarget,
    password: Option<&Secret>,
    server_cert: Option<&[u8]>,
    notices: &mut Vec<Notice>,
) -> Result<(), AttemptError> {
    let require_binding = target.channel_binding == ChannelBinding::Require;
    let mut scram: Option<ScramSha256> = None;
    let mut bound = false;
    loop {
        match next_message(ch).await? {
            Message::AuthenticationOk => {
                if require_binding && !bound {
                    return Err(AttemptError::Other(
                        "channel binding required, but server authenticated client without \
                         channel binding"
                            .into(),
                    ));
                }
                return Ok(());
            }
            Message::AuthenticationCleartextPassword => {
                refuse_without_binding(require_binding)?;
                let pw = password.ok_or(AttemptError::PasswordMissing)?;
                frontend::password_message(pw.expose().as_bytes(), &mut ch.wbuf)
                    .map_err(|e| AttemptError::Config(format!("cannot send the password: {e}")))?;
                send(ch).await?;
            }
            Message::AuthenticationMd5Password(body) => {
                refuse_without_binding(require_binding)?;
                let pw = password.ok_or(AttemptError::PasswordMissing)?;
                let hash = md5_hash(target.user.as_bytes(), pw.expose().as_bytes(), body.salt());
                frontend::password_message(hash.as_bytes(), &mut ch.wbuf)
                    .map_err(|e| AttemptError::Config(format!("cannot send the password: {e}")))?;
                send(ch).await?;
            }
            Message::AuthenticationSasl(body) => {
                let mut offered = Vec::new();
                let mut mechanisms = body.mechanisms();
                while let Some(m) = mechanisms
                    .next()
                    .map_err(|e| protocol(format!("bad SASL mechanism list: {e}")))?
                {
                    offered.push(m.to_owned());
                }
                let choice = auth::choose(&offered, server_cert, target.channel_binding)
                    .map_err(AttemptError::Other)?;
                let pw = password.ok_or(AttemptError::PasswordMissing)?;
                let exchange = ScramSha256::new(pw.expose().as_bytes(), choice.binding);
                frontend::sasl_initial_response(choice.mechanism, exchange.message(), &mut ch.wbuf)
                    .map_err(|e| AttemptError::Other(format!("cannot send SASL response: {e}")))?;
                send(ch).await?;
                bound = choice.bound;
                scram = Some(exchange);
            }
            Message::AuthenticationSaslContinue(body) => {
                let exchange = scram
                    .as_mut()
                    .ok_or_else(|| protocol("SASL continuation without a SASL exchange".into()))?;
                exchange.update(body.data()).map_err(|e| {
                    AttemptError::Other(format!("SCRAM authentication failed: {e}"))
                })?;
                frontend::sasl_response(exchange.message(), &mut ch.wbuf)
                    .map_err(|e| AttemptError::Other(format!("cannot send SASL response: {e}")))?;
                send(ch).await?;
            }
            Message::AuthenticationSaslFinal(body) => {
                let exchange = scram
                    .as_mut()
                    .ok_or_else(|| protocol("SASL final message without a SASL exchange".into()))?;
                // Checks the server's signature: it proves the server knows the password.
                exchange.finish(body.data()).map_err(|e| {
                    AttemptError::Other(format!(
                        "the server's SCRAM signature is not valid ({e}); it may not be the \
                         server it claims to be"
                    ))
                })?;
            }
            Message::AuthenticationKerberosV5 => return Err(unsupported("Kerberos V5")),
            Message::AuthenticationScmCredential => return Err(unsupported("SCM credential")),
            Message::AuthenticationGss | Message::AuthenticationGssContinue(_) => {
                return Err(unsupported("GSSAPI"));
            }
            Message::AuthenticationSspi => return Err(unsupported("SSPI")),
            Message::NoticeResponse(body) => notices.push(
                Fields::parse(body.fields())
                    .map_err(protocol)?
                    .into_notice(),
            ),
            Message::ErrorResponse(body) => return Err(server_refusal(body.fields())?),
            _ => {
                return Err(protocol(
                    "an unexpected message during authentication".into(),
                ));
            }
        }
    }
}

/// libpq refuses a password exchange that cannot bind when `channel_binding=require`.
fn refuse_without_binding(require_binding: bool) -> Result<(), AttemptError> {
    if require_binding {
        return Err(AttemptError::Other(
            "channel binding required but not supported by server's authentication request".into(),
        ));
    }
    Ok(())
}

fn unsupported(method: &str) -> AttemptError {
    AttemptError::Other(format!(
        "the server asks for {method} authentication, which pgdeck does not support"
    ))
}

fn protocol(what: String) -> AttemptError {
    AttemptError::Other(format!("protocol error: {what}"))
}

fn server_refusal(
    fields: postgres_protocol::message::backend::ErrorFields<'_>,
) -> Result<AttemptError, AttemptError> {
    let f = Fields::parse(fields).map_err(protocol)?;
    let e = f.into_error();
    Ok(AttemptError::db(
        &e.sqlstate,
        &e.message,
        e.detail.as_deref(),
        e.hint.as_deref(),
    ))
}

async fn send(ch: &mut Channel) -> Result<(), AttemptError> {
    ch.send()
        .await
        .map_err(|e| AttemptError::Network(describe_io(&e)))
}

/// The next whole message, waiting for the network as needed.
async fn next_message(ch: &mut Channel) -> Result<Message, AttemptError> {
    loop {
        if let Some(m) = Message::parse(&mut ch.rbuf).map_err(|e| protocol(e.to_string()))? {
            return Ok(m);
        }
        match ch.fill(0).await {
            Ok(0) => {
                return Err(AttemptError::Network(
                    "server closed the connection unexpectedly".into(),
                ));
            }
            Ok(_) => {}
            Err(e) => return Err(AttemptError::Network(describe_io(&e))),
        }
    }
}
