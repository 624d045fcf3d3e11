//! pgdeck's own PostgreSQL frontend for the **work** connection, built on `postgres-protocol`'s
//! message encoding and its md5/SCRAM helpers. tokio-postgres's simple-query API hides what a SQL
//! workbench must show: each statement's command tag, the transaction status of ReadyForQuery,
//! column type OIDs, notices in order with the results, COPY data; and it allocates per row. Here
//! every backend message of a simple-query cycle goes, in order, to a [`QuerySink`], data rows as
//! views into the receive buffer.
//!
//! - [`WireConn::connect`] reuses `conn` for every decision libpq makes (host list, password file,
//!   sslmode fallbacks, connect_timeout, target_session_attrs, error wording) through
//!   `conn::connect_with`, and adds the transport: TCP (keepalives as libpq) or Unix socket, TLS
//!   with `conn::tls`'s rustls configuration, the startup packet (`client_encoding=UTF8`) and
//!   authentication (trust, cleartext, md5, SCRAM-SHA-256, SCRAM-SHA-256-PLUS).
//! - [`WireConn::simple_query`] runs one Query message and returns the server's [`TxStatus`].
//! - [`WireCancel`] sends a CancelRequest on a new connection to the same address.
//!
//! It owns the work connection's protocol state. It must not decide connection policy (that is
//! `conn`), touch the UI, re-run a statement after a broken connection, or use the extended query
//! protocol (user SQL goes through the simple protocol so that it works behind PgBouncer's
//! transaction pooling). The monitor connection stays on tokio-postgres.

mod auth;
mod cancel;
mod io;
mod message;
mod query;
mod startup;
mod tag;

use std::collections::BTreeMap;

use bytes::BytesMut;
use postgres_protocol::message::frontend;
use tokio::io::AsyncWriteExt;

pub use cancel::WireCancel;
pub use message::{Cells, ColumnDesc, DataRow, Notification};
pub use query::{CopyFormat, CopyIn, Discard, NO_COPY_SOURCE, QuerySink};
pub use tag::{CommandTag, parse_tag};

pub use crate::db::error::{Notice, ServerError};
pub use crate::model::txn::TxStatus;

use crate::conn::HostSpec;
use io::{Channel, Stream};

/// Why a request on a [`WireConn`] failed (server errors of statements are not failures: they go
/// to the sink, and the connection stays usable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// The connection is gone: end of stream, reset, or the server ended the session (a FATAL
    /// error such as 57P01 from `pg_terminate_backend`, kept in `server`). Whatever was running
    /// was interrupted; nothing is re-run. Every later request gets this error again.
    #[error("connection lost: {reason}")]
    ConnectionLost {
        /// What happened, in words.
        reason: String,
        /// The server's last word, when it sent one (boxed: errors stay small to pass around).
        server: Option<Box<ServerError>>,
    },
    /// The server sent something that breaks the protocol. The connection has been given up.
    #[error("protocol error: {0}; the connection was closed")]
    Protocol(String),
    /// The request was not sent because it cannot be (e.g. a NUL character in the SQL text); the
    /// connection is fine.
    #[error("{0}")]
    Refused(String),
}

impl From<WireError> for crate::db::DbError {
    fn from(e: WireError) -> Self {
        match e {
            WireError::ConnectionLost { reason, .. } => crate::db::DbError::ConnectionLost(reason),
            WireError::Protocol(m) => {
                crate::db::DbError::ConnectionLost(format!("protocol error: {m}"))
            }
            WireError::Refused(m) => crate::db::DbError::Refused(m),
        }
    }
}

/// The cancel key of BackendKeyData.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BackendKey {
    pub pid: i32,
    pub secret: i32,
}

/// One open session. Not `Clone`; a statement runs with `&mut self`, one at a time. Dropping it
/// sends Terminate (on a task of the current tokio runtime) so the server logs a clean exit.
pub struct WireConn {
    ch: Channel,
    host: HostSpec,
    tls: bool,
    /// ParameterStatus values: server_version, client_encoding, DateStyle, TimeZone,
    /// integer_datetimes, standard_conforming_strings, application_name...
    params: BTreeMap<String, String>,
    key: Option<BackendKey>,
    cancel: WireCancel,
    tx: TxStatus,
    /// Set once the connection is unusable: the error every later request gets.
    lost: Option<WireError>,
    /// A Query was sent and its ReadyForQuery not yet read: a caller dropped a
    /// [`WireConn::simple_query`] future midway. The next query first reads the rest.
    in_cycle: bool,
    /// COPY data was being sent when that happened: the server still waits for CopyDone/Fail.
    in_copy_in: bool,
    /// Notices that arrived outside a statement (at startup, while idle); the next
    /// [`WireConn::simple_query`] hands them to its sink first.
    pending: Vec<Notice>,
    /// The current result's columns, reused between results.
    columns: Vec<ColumnDesc>,
}

impl WireConn {
    /// The host that accepted the connection.
    pub fn host(&self) -> &HostSpec {
        &self.host
    }

    /// Whether the session is encrypted.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// A run-time parameter as last reported by ParameterStatus (`server_version`,
    /// `client_encoding`, `DateStyle`, `TimeZone`, `integer_datetimes`,
    /// `standard_conforming_strings`, ...).
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// `server_version` as the server reports it, e.g. `15.18 (Debian 15.18-0+deb12u1)`.
    pub fn server_version(&self) -> Option<&str> {
        self.parameter("server_version")
    }

    /// The server process id from BackendKeyData (`pg_backend_pid()` on a direct connection).
    pub fn backend_pid(&self) -> Option<i32> {
        self.key.map(|k| k.pid)
    }

    /// The transaction status of the last ReadyForQuery.
    pub fn tx_status(&self) -> TxStatus {
        self.tx
    }

    /// A handle that cancels whatever this session runs, usable from any task.
    pub fn cancel_handle(&self) -> WireCancel {
        self.cancel.clone()
    }

    /// Whether the connection is known to be gone (a request failed with
    /// [`WireError::ConnectionLost`] or [`WireError::Protocol`], or [`WireConn::check_alive`]
    /// found it closed).
    pub fn is_closed(&self) -> bool {
        self.lost.is_some()
    }

    /// Looks, without waiting, at what the server sent while the session was idle: notices are
    /// kept for the next statement, parameter changes recorded; end of stream or a FATAL error
    /// (the backend was terminated, the server shut down) marks the connection lost. Call it
    /// before a statement to tell "the connection died while idle" (reconnect and run) from "it
    /// died while running" (report, never re-run).
    pub fn check_alive(&mut self) -> Result<(), WireError> {
        self.usable()?;
        if self.in_cycle {
            // The rest of an abandoned query is still coming; the next query reads it.
            return Ok(());
        }
        let mut eof = false;
        // Bounded: a flood of notifications must not keep us here.
        for _ in 0..64 {
            match self.ch.fill_now(0) {
                None => break,
                Some(Ok(0)) => {
                    eof = true;
                    break;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(self.lose(crate::conn::describe_io(&e), None)),
            }
        }
        // Messages first: a FATAL error says more than the end of stream that follows it.
        self.idle_messages()?;
        if eof {
            return Err(self.lose(
                "the server closed the connection while it was idle".into(),
                None,
            ));
        }
        Ok(())
    }

    /// Ends the session politely: Terminate, then close the socket.
    pub async fn terminate(mut self) {
        if self.lost.is_some() {
            return;
        }
        let mut stream = std::mem::replace(&mut self.ch.stream, Stream::Closed);
        self.lost = Some(WireError::ConnectionLost {
            reason: "the session was ended".into(),
            server: None,
        });
        send_terminate(&mut stream).await;
    }

    /// Fails with the stored error once the connection is gone.
    fn usable(&self) -> Result<(), WireError> {
        match &self.lost {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    /// Marks the connection lost and returns the error to report.
    fn lose(&mut self, reason: String, server: Option<ServerError>) -> WireError {
        let e = WireError::ConnectionLost {
            reason,
            server: server.map(Box::new),
        };
        self.lost = Some(e.clone());
        e
    }

    /// Marks the connection unusable after a protocol violation.
    fn protocol_error(&mut self, what: String) -> WireError {
        let e = WireError::Protocol(what);
        self.lost = Some(e.clone());
        e
    }
}

impl Drop for WireConn {
    fn drop(&mut self) {
        if self.lost.is_some() {
            return;
        }
        let mut stream = std::mem::replace(&mut self.ch.stream, Stream::Closed);
        // Drop cannot wait for the network; the Terminate goes out on a task. Outside a runtime
        // (or while it shuts down) the socket just closes, which the server also handles.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { send_terminate(&mut stream).await });
        }
    }
}

async fn send_terminate(stream: &mut Stream) {
    let mut buf = BytesMut::with_capacity(5);
    frontend::terminate(&mut buf);
    // The session ends either way; nothing to report if the socket is already gone.
    let _ = stream.write_all(&buf).await;
    let _ = stream.flush().await;
    let _ = stream.shutdown().await;
}

/// The protocol's name for a backend message type byte (for error texts).
fn message_name(tag: u8) -> String {
    let name = match tag {
        b'R' => "Authentication",
        b'K' => "BackendKeyData",
        b'2' => "BindComplete",
        b'3' => "CloseComplete",
        b'C' => "CommandComplete",
        b'd' => "CopyData",
        b'c' => "CopyDone",
        b'G' => "CopyInResponse",
        b'H' => "CopyOutResponse",
        b'W' => "CopyBothResponse",
        b'D' => "DataRow",
        b'I' => "EmptyQueryResponse",
        b'E' => "ErrorResponse",
        b'v' => "NegotiateProtocolVersion",
        b'n' => "NoData",
        b'N' => "NoticeResponse",
        b'A' => "NotificationResponse",
        b't' => "ParameterDescription",
        b'S' => "ParameterStatus",
        b'1' => "ParseComplete",
        b's' => "PortalSuspended",
        b'Z' => "ReadyForQuery",
        b'T' => "RowDescription",
        _ => return format!("message type {:?}", tag as char),
    };
    name.to_owned()
}
