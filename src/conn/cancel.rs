//! Cancel requests: asking the server to stop the statement running on a connection made by
//! [`connect`](super::connect). A cancel request travels on a new, short connection to the same
//! address, encrypted the same way as the session (the driver's `CancelToken` remembers whether
//! the session used TLS and where it went); a Unix-socket session cancels without TLS. It owns
//! that one request and must not retry it, close the session, or touch the session's client.

use tokio_postgres::{CancelToken, NoTls};

use super::connect::AttemptError;
use super::error::{ConnectError, HostAttempt};
use super::target::ConnTarget;
use super::tls;

/// Send a cancel request for a connection made by `connect` (over TLS when the connection's
/// sslmode needs it; a unix-socket connection uses no TLS). The request is bounded by the
/// target's `connect_timeout`, like libpq's; without one it waits as long as the network does.
/// Success means the request was delivered, not that a statement was running.
pub async fn cancel(token: &CancelToken, target: &ConnTarget) -> Result<(), ConnectError> {
    let work = async {
        match tls::connector(target) {
            Ok(connector) => token.cancel_query(connector).await,
            // The certificate settings cannot be loaded any more (a file vanished since the
            // connect). That only matters if the session is encrypted: try without TLS, which
            // works for plain sessions, and report the TLS problem if it does not.
            Err(reason) => match token.cancel_query(NoTls).await {
                Ok(()) => Ok(()),
                Err(_) => {
                    return Err(ConnectError::Tls {
                        host: server_name(target),
                        reason,
                    });
                }
            },
        }
        .map_err(|e| cancel_error(&e, target))
    };
    match target.connect_timeout {
        Some(limit) => tokio::time::timeout(limit, work).await.unwrap_or_else(|_| {
            Err(ConnectError::Unreachable {
                attempts: vec![HostAttempt {
                    host: server_name(target),
                    reason: format!(
                        "timeout expired after {} s while sending the cancel request",
                        limit.as_secs()
                    ),
                }],
            })
        }),
        None => work.await,
    }
}

/// The token does not say which host of the list the session is on; name the only one, or say
/// "the server".
fn server_name(target: &ConnTarget) -> String {
    match target.hosts.as_slice() {
        [one] => one.label(),
        _ => "the server".to_owned(),
    }
}

fn cancel_error(e: &tokio_postgres::Error, target: &ConnTarget) -> ConnectError {
    let host = server_name(target);
    match AttemptError::from_pg(e) {
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
        AttemptError::PasswordMissing | AttemptError::Other(_) | AttemptError::Config(_) => {
            ConnectError::Server {
                message: format!("sending the cancel request to {host} failed: {e}"),
                sqlstate: None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conn::{Environment, parse_conninfo, resolve};

    fn target(conninfo: &str) -> ConnTarget {
        let mut env = Environment::from_vars(Vec::new(), None, Some("u".into()));
        env.socket_dirs.clear();
        env.system_service_files.clear();
        resolve(&parse_conninfo(conninfo).unwrap(), &env).unwrap()
    }

    #[test]
    fn names_the_host_when_there_is_one() {
        assert_eq!(server_name(&target("host=db port=5433")), "db:5433");
        assert_eq!(server_name(&target("host=a,b")), "the server");
        assert_eq!(
            server_name(&target("host=/tmp/s port=5")),
            "/tmp/s/.s.PGSQL.5"
        );
    }
}
