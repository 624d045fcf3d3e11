//! Cancel requests for a wire session: a CancelRequest (backend pid and secret key) on a new, short
//! connection to the address the session uses. Over TCP it is encrypted when the session is, the
//! way libpq 17's `PQcancelCreate` does (libpq 16 and older always sent it in the clear, which the
//! server also accepts); over a Unix socket it is plain. It owns that one request and must not
//! retry it or touch the session.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use postgres_protocol::message::frontend;
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};

use super::BackendKey;
use super::io::Stream;
use super::startup::{Tls, start_tls};
use crate::conn::{AttemptError, ConnectError, HostAttempt, describe_io};

/// Where the session's socket goes.
#[derive(Clone, Debug)]
pub(super) enum CancelAddr {
    /// The address that accepted the session (not the host name: a name may resolve elsewhere).
    Tcp(SocketAddr),
    /// The socket file.
    Unix(PathBuf),
}

/// How the session's TLS was set up, to do the same for the cancel request.
#[derive(Clone)]
pub(super) struct CancelTls {
    pub config: Arc<ClientConfig>,
    pub name: ServerName<'static>,
    pub direct: bool,
}

struct Inner {
    addr: CancelAddr,
    key: Option<BackendKey>,
    tls: Option<CancelTls>,
    timeout: Option<Duration>,
    /// The host as error messages name it.
    label: String,
}

/// Cancels the statement running on one wire session. Cheap to clone; `Send + Sync`, so any
/// task can hold one while the session itself is busy.
#[derive(Clone)]
pub struct WireCancel {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for WireCancel {
    /// Never prints the secret key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WireCancel")
            .field("host", &self.inner.label)
            .field("pid", &self.inner.key.map(|k| k.pid))
            .field("tls", &self.inner.tls.is_some())
            .finish()
    }
}

impl WireCancel {
    pub(super) fn new(
        addr: CancelAddr,
        key: Option<BackendKey>,
        tls: Option<CancelTls>,
        timeout: Option<Duration>,
        label: String,
    ) -> Self {
        WireCancel {
            inner: Arc::new(Inner {
                addr,
                key,
                tls,
                timeout,
                label,
            }),
        }
    }

    /// Sends the cancel request and waits until the server has taken it (it closes the
    /// connection then). Bounded by the target's `connect_timeout` when it has one. Success
    /// means the request was delivered, not that a statement was running: a request that
    /// arrives before the statement starts cancels nothing.
    pub async fn cancel(&self) -> Result<(), ConnectError> {
        let inner = &self.inner;
        let Some(key) = inner.key else {
            return Err(ConnectError::Server {
                message: format!(
                    "the server at {} gave no cancel key for this session, so its statements \
                     cannot be cancelled",
                    inner.label
                ),
                sqlstate: None,
            });
        };
        let work = self.send(key);
        let result = match inner.timeout {
            Some(limit) => match tokio::time::timeout(limit, work).await {
                Ok(r) => r,
                Err(_) => Err(AttemptError::Network(format!(
                    "timeout expired after {} s",
                    limit.as_secs()
                ))),
            },
            None => work.await,
        };
        result.map_err(|e| self.error(e))
    }

    async fn send(&self, key: BackendKey) -> Result<(), AttemptError> {
        let inner = &self.inner;
        let mut stream = match &inner.addr {
            CancelAddr::Unix(path) => Stream::Unix(
                UnixStream::connect(path)
                    .await
                    .map_err(|e| AttemptError::Network(describe_io(&e)))?,
            ),
            CancelAddr::Tcp(addr) => {
                let tcp = TcpStream::connect(addr)
                    .await
                    .map_err(|e| AttemptError::Network(describe_io(&e)))?;
                let _ = tcp.set_nodelay(true);
                match &inner.tls {
                    None => Stream::Tcp(tcp),
                    Some(t) => {
                        let mut started = false;
                        match start_tls(tcp, &t.config, &t.name, t.direct, true, &mut started)
                            .await?
                        {
                            Tls::Encrypted(s) => Stream::Tls(s),
                            Tls::Refused(s) => Stream::Tcp(s),
                        }
                    }
                }
            }
        };
        let mut buf = BytesMut::with_capacity(16);
        frontend::cancel_request(key.pid, key.secret, &mut buf);
        stream
            .write_all(&buf)
            .await
            .map_err(|e| AttemptError::Network(describe_io(&e)))?;
        stream
            .flush()
            .await
            .map_err(|e| AttemptError::Network(describe_io(&e)))?;
        // The server answers nothing and closes once it has signalled the backend; waiting for
        // that makes "sent" mean "taken". How the close looks (EOF, TLS without close_notify,
        // reset) does not matter.
        let mut byte = [0u8; 1];
        let _ = stream.read(&mut byte).await;
        Ok(())
    }

    fn error(&self, e: AttemptError) -> ConnectError {
        let host = self.inner.label.clone();
        match e {
            AttemptError::Network(reason) => ConnectError::Unreachable {
                attempts: vec![HostAttempt {
                    host,
                    reason: format!("{reason} (sending the cancel request)"),
                }],
            },
            AttemptError::Tls(reason) | AttemptError::TlsSetup(reason) => {
                ConnectError::Tls { host, reason }
            }
            AttemptError::Db { code, message } => ConnectError::Server {
                message: format!("the server at {host} refused the cancel request: {message}"),
                sqlstate: Some(code),
            },
            AttemptError::Other(why) | AttemptError::Config(why) => ConnectError::Server {
                message: format!("sending the cancel request to {host} failed: {why}"),
                sqlstate: None,
            },
            // A cancel request never authenticates.
            AttemptError::PasswordMissing => ConnectError::Server {
                message: format!("sending the cancel request to {host} failed"),
                sqlstate: None,
            },
        }
    }
}
