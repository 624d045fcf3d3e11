//! Connecting exactly as libpq does. tokio-postgres's own connection-string parser rejects much
//! of what psql users write (`sslmode=verify-ca|verify-full|allow`, `sslrootcert`, `sslcert`,
//! `sslkey`, `passfile`, `service`), so pgdeck resolves connection parameters itself and hands
//! tokio-postgres a `Config` per host plus its own rustls connector.
//!
//! The path through the module:
//! 1. [`parse_conninfo`] reads a CONNINFO argument (URI, `key=value` string or bare database
//!    name) into [`ConnParams`]; flags and profiles build `ConnParams` directly and combine with
//!    [`ConnParams::merge_over`].
//! 2. [`resolve`] applies the service file, the `PG*` environment and the defaults, reading all
//!    outside inputs from an [`Environment`], and yields a [`ConnTarget`].
//! 3. [`connect`] walks the host list with the sslmode fallbacks, password file and
//!    target_session_attrs, and returns a [`Connected`] session or a [`ConnectError`]. The walk
//!    itself is driver-neutral (`connect_with` over a `Dialer`): `db::wire`, pgdeck's own
//!    protocol client for the work connection, reuses it with its own transport.
//! 4. [`cancel`] sends a cancel request for such a session (TLS or not, as the session).
//!
//! This module owns connection parameters, TLS policy and the connection handshake. It must not
//! prompt (a missing password is [`ConnectError::PasswordRequired`]), print, or run user SQL;
//! and no password may ever appear in its Debug/Display output or errors.

mod cancel;
mod connect;
mod error;
mod keyvalue;
mod params;
pub mod pgpass;
mod resolve;
mod secret;
pub mod service;
mod target;
pub mod tls;
mod uri;

pub use cancel::cancel;
pub(crate) use connect::{AttemptError, Dialer, Step, connect_with, describe_io};
pub use connect::{Connected, connect, connect_with_messages};
pub use error::{ConnInfoError, ConnectError, HostAttempt};
pub use keyvalue::{parse_keyvalue, quote_value, render_keyvalue};
pub use params::{ConnParams, KEYWORDS};
pub use resolve::{
    DEFAULT_PORT, DEFAULT_SOCKET_DIRS, DEFAULT_SYSTEM_SERVICE_FILES, Environment, default_host,
    resolve,
};
pub use secret::Secret;
pub use target::{
    ChannelBinding, ConnTarget, Host, HostSpec, SslMode, TargetSessionAttrs, TcpOptions,
    TlsOptions, TlsVersion,
};
pub use uri::{is_uri, parse_uri, redact_uri};

/// Parse a CONNINFO argument the way psql does: `postgres://` or `postgresql://` URI, a
/// `key=value` string (quoting with single quotes, backslash escapes), or — if neither (no `=`
/// in it) — a bare database name. An empty string gives an empty set.
pub fn parse_conninfo(s: &str) -> Result<ConnParams, ConnInfoError> {
    if is_uri(s) {
        parse_uri(s)
    } else if s.contains('=') {
        parse_keyvalue(s)
    } else {
        let mut params = ConnParams::new();
        if !s.is_empty() {
            params.set("dbname", s)?;
        }
        Ok(params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn three_forms() {
        let p = parse_conninfo("postgresql://h/db").unwrap();
        assert_eq!(p.get("host"), Some("h"));
        let p = parse_conninfo("host=h dbname=db").unwrap();
        assert_eq!(p.get("dbname"), Some("db"));
        let p = parse_conninfo("mydb").unwrap();
        assert_eq!(p.get("dbname"), Some("mydb"));
        assert_eq!(p.get("host"), None);
        assert!(parse_conninfo("").unwrap().is_empty());
    }

    proptest! {
        #[test]
        fn parse_conninfo_never_panics(s in any::<String>()) {
            let _ = parse_conninfo(&s);
        }

        #[test]
        fn parse_conninfo_never_panics_on_uri_like_input(s in "postgres(ql)?://[ -~]{0,40}") {
            let _ = parse_conninfo(&s);
        }
    }
}
