//! The resolved connection target: [`ConnTarget`] with every parameter decided, and the small
//! value types it is made of (hosts, sslmode, target_session_attrs...). It holds data and
//! formats it for people; it must not parse connection strings, read files or open sockets.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use super::error::ConnInfoError;
use super::secret::Secret;

/// Where a host entry points.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Host {
    /// A host name or IP address, reached over TCP.
    Tcp(String),
    /// A directory holding the server's Unix socket `.s.PGSQL.<port>`.
    Unix(PathBuf),
}

/// One entry of the host list.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HostSpec {
    /// The host as given (or defaulted). With `hostaddr` set, this name is only used for TLS
    /// name checks and the password file.
    pub host: Host,
    /// A numeric IP address to connect to instead of resolving `host`.
    pub hostaddr: Option<String>,
    /// The port (or the socket file's number).
    pub port: u16,
}

impl HostSpec {
    /// Whether the connection goes over a Unix socket (no `hostaddr` and a socket directory).
    pub fn is_unix_socket(&self) -> bool {
        self.hostaddr.is_none() && matches!(self.host, Host::Unix(_))
    }

    /// The host part for `user@host:port`: the name, `[v6]`, or the socket directory.
    pub fn host_display(&self) -> String {
        match &self.host {
            Host::Tcp(name) if name.contains(':') => format!("[{name}]"),
            Host::Tcp(name) => name.clone(),
            Host::Unix(dir) => dir.display().to_string(),
        }
    }
}

impl HostSpec {
    /// What to call this host in an error message: the socket file for a Unix socket
    /// (`/tmp/.s.PGSQL.5432`), and `host:port (address a.b.c.d)` when `hostaddr` is used.
    pub fn label(&self) -> String {
        match (&self.host, &self.hostaddr) {
            (Host::Unix(dir), None) => dir
                .join(format!(".s.PGSQL.{}", self.port))
                .display()
                .to_string(),
            (Host::Tcp(name), Some(addr)) if name != addr => {
                format!("{self} (address {addr})")
            }
            _ => self.to_string(),
        }
    }
}

impl fmt::Display for HostSpec {
    /// `host:port`, `[v6]:port`, or `/socket/dir:port`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host_display(), self.port)
    }
}

macro_rules! keyword_enum {
    ($(#[$doc:meta])* $name:ident, $key:literal { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// The libpq keyword value.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Parses the libpq keyword value; the error names the keyword and value.
            pub fn parse(value: &str) -> Result<Self, ConnInfoError> {
                match value {
                    $($text => Ok($name::$variant),)+
                    _ => Err(ConnInfoError::InvalidValue {
                        key: $key,
                        value: value.to_owned(),
                        hint: format!(": expected one of {}", [$($text),+].join(", ")),
                    }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

keyword_enum!(
    /// libpq's `sslmode`.
    SslMode, "sslmode" {
        /// Never TLS.
        Disable = "disable",
        /// Plain first; TLS if the server refuses the plain connection.
        Allow = "allow",
        /// TLS first; plain if the server has no SSL or refuses the TLS session.
        Prefer = "prefer",
        /// TLS without certificate checks (unless a root certificate file exists: then as
        /// verify-ca).
        Require = "require",
        /// TLS; the certificate chain must lead to a trusted root. The host name is not checked.
        VerifyCa = "verify-ca",
        /// TLS; chain and host name are checked.
        VerifyFull = "verify-full",
    }
);

keyword_enum!(
    /// libpq's `target_session_attrs`: which kind of server is acceptable.
    TargetSessionAttrs, "target_session_attrs" {
        /// Any server.
        Any = "any",
        /// `SHOW transaction_read_only` must be `off`.
        ReadWrite = "read-write",
        /// `SHOW transaction_read_only` must be `on`.
        ReadOnly = "read-only",
        /// `pg_is_in_recovery()` must be false.
        Primary = "primary",
        /// `pg_is_in_recovery()` must be true.
        Standby = "standby",
        /// A standby if any host is one, else any server.
        PreferStandby = "prefer-standby",
    }
);

keyword_enum!(
    /// libpq's `channel_binding` (SCRAM-SHA-256-PLUS over TLS).
    ChannelBinding, "channel_binding" {
        /// Never use channel binding.
        Disable = "disable",
        /// Use it when the server offers it.
        Prefer = "prefer",
        /// Fail unless the server uses it.
        Require = "require",
    }
);

/// TLS protocol versions pgdeck can speak (rustls has no TLS 1.0 or 1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TlsVersion {
    /// TLS 1.2.
    Tls12,
    /// TLS 1.3.
    Tls13,
}

/// TCP settings (keepalives, user timeout). Ignored for Unix sockets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcpOptions {
    /// `keepalives` (default on).
    pub keepalives: bool,
    /// `keepalives_idle`.
    pub keepalives_idle: Option<Duration>,
    /// `keepalives_interval`.
    pub keepalives_interval: Option<Duration>,
    /// `keepalives_count`.
    pub keepalives_count: Option<u32>,
    /// `tcp_user_timeout` (milliseconds in libpq).
    pub user_timeout: Option<Duration>,
}

impl Default for TcpOptions {
    fn default() -> Self {
        TcpOptions {
            keepalives: true,
            keepalives_idle: None,
            keepalives_interval: None,
            keepalives_count: None,
            user_timeout: None,
        }
    }
}

/// TLS settings beyond sslmode and the certificate files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsOptions {
    /// `sslcrl`: certificate revocation list file (PEM), checked when the chain is verified.
    pub sslcrl: Option<PathBuf>,
    /// `ssl_min_protocol_version` (default TLS 1.2).
    pub min_version: TlsVersion,
    /// `ssl_max_protocol_version`.
    pub max_version: Option<TlsVersion>,
    /// `sslsni`: send the host name in the TLS handshake (default on).
    pub sni: bool,
    /// `sslcertmode=disable`: never send a client certificate.
    pub send_client_cert: bool,
    /// `sslnegotiation=direct`: start TLS at once (PostgreSQL 17+), without SSLRequest.
    pub direct: bool,
}

impl Default for TlsOptions {
    fn default() -> Self {
        TlsOptions {
            sslcrl: None,
            min_version: TlsVersion::Tls12,
            max_version: None,
            sni: true,
            send_client_cert: true,
            direct: false,
        }
    }
}

/// The fully resolved target: every parameter decided, ready to connect. The password is a
/// [`Secret`] whose `Debug`/`Display` print `********`.
#[derive(Clone, Debug)]
pub struct ConnTarget {
    /// One per host in the comma list, in order.
    pub hosts: Vec<HostSpec>,
    /// The role to connect as.
    pub user: String,
    /// The database.
    pub dbname: String,
    /// From parameters or PGPASSWORD only; the password file is read per host at connect time.
    pub password: Option<Secret>,
    /// The password file (`passfile`, PGPASSFILE or `~/.pgpass`); empty when there is no home.
    pub passfile: PathBuf,
    /// The sslmode.
    pub sslmode: SslMode,
    /// Root certificates (`sslrootcert`; `system` means the OS store). Defaults to
    /// `~/.postgresql/root.crt` when that exists, or when sslmode is verify-* (so that its
    /// absence is reported by name).
    pub sslrootcert: Option<PathBuf>,
    /// Client certificate (`sslcert`, default `~/.postgresql/postgresql.crt` when present).
    pub sslcert: Option<PathBuf>,
    /// Client key (`sslkey`, default `~/.postgresql/postgresql.key`).
    pub sslkey: Option<PathBuf>,
    /// `application_name` (or `fallback_application_name`); `None` lets `connect` use its own.
    pub application_name: Option<String>,
    /// Per-host limit for the whole connection attempt; `None` waits forever.
    pub connect_timeout: Option<Duration>,
    /// Server options sent at startup (`-c name=value ...`).
    pub options: Option<String>,
    /// Which kind of server is acceptable.
    pub target_session_attrs: TargetSessionAttrs,
    /// The service the settings came from, if any.
    pub service: Option<String>,
    /// Non-fatal problems found while resolving (e.g. an insecure password file), for the user.
    pub warnings: Vec<String>,
    /// `channel_binding`.
    pub channel_binding: ChannelBinding,
    /// `load_balance_hosts=random`: try the hosts in random order.
    pub load_balance_random: bool,
    /// TCP settings.
    pub tcp: TcpOptions,
    /// TLS settings beyond the above.
    pub tls_options: TlsOptions,
}

impl ConnTarget {
    /// `user@host:port/dbname` for the status bar (the first host; socket dirs shown as the
    /// path). Never the password.
    pub fn display(&self) -> String {
        match self.hosts.first() {
            Some(h) => format!(
                "{}@{}:{}/{}",
                self.user,
                h.host_display(),
                h.port,
                self.dbname
            ),
            None => format!("{}@/{}", self.user, self.dbname),
        }
    }

    /// Whether `sslrootcert=system` (the operating system's trusted roots) is in effect.
    pub fn uses_system_roots(&self) -> bool {
        self.sslrootcert.as_deref() == Some(std::path::Path::new("system"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_parse_and_name_bad_values() {
        assert_eq!(SslMode::parse("verify-full").unwrap(), SslMode::VerifyFull);
        let e = SslMode::parse("verify").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("invalid sslmode value \"verify\""),
            "{e}"
        );
        assert_eq!(
            TargetSessionAttrs::parse("prefer-standby")
                .unwrap()
                .to_string(),
            "prefer-standby"
        );
        assert!(TargetSessionAttrs::parse("master").is_err());
    }

    #[test]
    fn host_labels() {
        let tcp = HostSpec {
            host: Host::Tcp("db".into()),
            hostaddr: None,
            port: 5432,
        };
        assert_eq!(tcp.to_string(), "db:5432");
        let v6 = HostSpec {
            host: Host::Tcp("::1".into()),
            hostaddr: None,
            port: 5433,
        };
        assert_eq!(v6.to_string(), "[::1]:5433");
        let sock = HostSpec {
            host: Host::Unix("/tmp".into()),
            hostaddr: None,
            port: 5432,
        };
        assert_eq!(sock.to_string(), "/tmp:5432");
        assert_eq!(sock.label(), "/tmp/.s.PGSQL.5432");
        assert!(sock.is_unix_socket());
        let via = HostSpec {
            host: Host::Tcp("db".into()),
            hostaddr: Some("10.0.0.1".into()),
            port: 5432,
        };
        assert_eq!(via.to_string(), "db:5432");
        assert_eq!(via.label(), "db:5432 (address 10.0.0.1)");
    }
}
