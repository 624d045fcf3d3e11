//! The two error types of `conn`: [`ConnInfoError`] for connection parameters that cannot be
//! understood (parsing and resolution, before any network traffic) and [`ConnectError`] for a
//! connection attempt that failed. Each Display is one readable sentence naming the bad part (the
//! keyword, file, line, host or port). No message may contain a password: errors carry keyword
//! names, file names and line numbers, never a password value, and URIs are shown redacted.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// A connection string, parameter, environment variable or service file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConnInfoError {
    /// A keyword libpq does not know, e.g. a typo such as `sslmod`.
    #[error("unknown connection option \"{key}\"")]
    UnknownOption {
        /// The keyword as written.
        key: String,
    },
    /// A `postgres://` URI that does not parse. `uri` has any password replaced by `********`.
    #[error("invalid URI \"{uri}\": {reason}")]
    InvalidUri {
        /// The URI, redacted.
        uri: String,
        /// What is wrong, naming the offending part.
        reason: String,
    },
    /// A `key=value` string where a keyword is not followed by `=`.
    #[error("missing \"=\" after \"{key}\" in connection info string")]
    MissingEquals {
        /// The word that lacks its `=`.
        key: String,
    },
    /// A `key='value` string whose quote is never closed.
    #[error("unterminated quoted string in connection info string")]
    UnterminatedQuote,
    /// A value outside the keyword's allowed set, e.g. `sslmode=verify`.
    #[error("invalid {key} value \"{value}\"{hint}")]
    InvalidValue {
        /// The keyword.
        key: &'static str,
        /// The value as given (never used for passwords).
        value: String,
        /// Extra explanation, starting with `: ` when present.
        hint: String,
    },
    /// A value that must be an integer and is not.
    #[error("invalid integer value \"{value}\" for connection option \"{key}\"")]
    InvalidInteger {
        /// The keyword.
        key: &'static str,
        /// The value as given.
        value: String,
    },
    /// `host` and `hostaddr` list different numbers of entries.
    #[error("could not match {hosts} host names to {hostaddrs} hostaddr values")]
    HostCountMismatch {
        /// Entries in `host`.
        hosts: usize,
        /// Entries in `hostaddr`.
        hostaddrs: usize,
    },
    /// `port` lists more than one entry, but not one per host.
    #[error("could not match {ports} port numbers to {hosts} hosts")]
    PortCountMismatch {
        /// Entries in `port`.
        ports: usize,
        /// Number of hosts.
        hosts: usize,
    },
    /// A named service found in none of the service files.
    #[error("service \"{service}\" not found in {}", join_paths(.searched))]
    ServiceNotFound {
        /// The service name.
        service: String,
        /// The files looked at, in order (those that do not exist are marked so).
        searched: Vec<PathBuf>,
    },
    /// A service file that cannot be read.
    #[error("could not read service file \"{}\": {source}", .path.display())]
    ServiceFileRead {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A line of a service file that cannot be used.
    #[error("syntax error in service file \"{}\", line {line}: {reason}", .path.display())]
    ServiceFileSyntax {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong with the line.
        reason: String,
    },
    /// A parameter pgdeck accepts as a libpq keyword but cannot honour with this value.
    #[error("{key}={value} is not supported by pgdeck: {reason}")]
    Unsupported {
        /// The keyword.
        key: &'static str,
        /// The value as given.
        value: String,
        /// Why, and what to do instead.
        reason: String,
    },
    /// `sslrootcert=system` together with an sslmode weaker than verify-full (as libpq refuses).
    #[error(
        "weak sslmode \"{mode}\" may not be used with sslrootcert=system (use \"verify-full\")"
    )]
    WeakSslModeWithSystemRoots {
        /// The sslmode given.
        mode: String,
    },
    /// `sslnegotiation=direct` with an sslmode that allows plain connections (as libpq refuses).
    #[error(
        "weak sslmode \"{mode}\" may not be used with sslnegotiation=direct (use \"require\", \
         \"verify-ca\", or \"verify-full\")"
    )]
    WeakSslModeWithDirect {
        /// The sslmode given.
        mode: String,
    },
    /// No user name given and the operating-system user is unknown.
    #[error("could not determine the user name: give user= or set PGUSER")]
    NoUser,
}

fn join_paths(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        return "any service file (no home directory and no system file configured)".to_owned();
    }
    paths
        .iter()
        .map(|p| {
            if p.exists() {
                p.display().to_string()
            } else {
                format!("{} (does not exist)", p.display())
            }
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

/// One host that could not be used, and why (for [`ConnectError::Unreachable`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostAttempt {
    /// `host:port`, `[v6addr]:port` or the socket file path.
    pub host: String,
    /// Why this host was given up on (refused, timed out, read-only, starting up...).
    pub reason: String,
}

/// A failed connection attempt, sorted by what the user can do about it.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The server asked for a password and none is known (from parameters, PGPASSWORD or the
    /// password file). The caller may prompt for one, set `ConnTarget::password`, and retry.
    #[error("the server at {host} asks for a password for user \"{user}\" and none was given")]
    PasswordRequired {
        /// The host that asked.
        host: String,
        /// The user name sent.
        user: String,
    },
    /// Authentication was refused: wrong password (SQLSTATE 28P01) or no pg_hba.conf entry /
    /// role not permitted (28000). `message` is the server's own text.
    #[error(
        "authentication failed for user \"{user}\" at {host}: {message}{}",
        passfile_note(.passfile)
    )]
    AuthFailed {
        /// The host that refused.
        host: String,
        /// The user name sent.
        user: String,
        /// SQLSTATE, `28P01` or `28000`.
        sqlstate: String,
        /// The server's message.
        message: String,
        /// The password file the (wrong) password came from, if it came from one.
        passfile: Option<PathBuf>,
    },
    /// No host could be reached (refused, timed out, name not resolved, starting up, or not of
    /// the wanted kind for `target_session_attrs`). One entry per host tried.
    #[error("could not connect to {}", unreachable_list(.attempts))]
    Unreachable {
        /// Each host tried with its reason, in the order tried.
        attempts: Vec<HostAttempt>,
    },
    /// TLS could not be set up: certificate rejected, server without SSL under `require`,
    /// missing or unreadable certificate and key files.
    #[error("TLS with {host} failed: {reason}")]
    Tls {
        /// The host involved.
        host: String,
        /// What went wrong.
        reason: String,
    },
    /// Any other refusal by the server (database does not exist, too many connections...).
    /// `connect` starts `message` with the host, e.g. `the server at db:5432 refused the
    /// connection: database "x" does not exist`.
    #[error("{message}{}", sqlstate_note(.sqlstate))]
    Server {
        /// What happened, naming the host, with the server's message (and its detail and hint).
        message: String,
        /// SQLSTATE when the server sent one.
        sqlstate: Option<String>,
    },
    /// The target cannot be used as given (e.g. an empty host list).
    #[error("invalid connection settings: {reason}")]
    Config {
        /// What is wrong.
        reason: String,
    },
}

fn passfile_note(passfile: &Option<PathBuf>) -> String {
    match passfile {
        Some(p) => format!(" (password retrieved from file \"{}\")", p.display()),
        None => String::new(),
    }
}

fn sqlstate_note(sqlstate: &Option<String>) -> String {
    match sqlstate {
        Some(code) => format!(" (SQLSTATE {code})"),
        None => String::new(),
    }
}

fn unreachable_list(attempts: &[HostAttempt]) -> String {
    if attempts.is_empty() {
        return "any host: no host to try".to_owned();
    }
    let parts: Vec<String> = attempts.iter().map(|a| a.to_string()).collect();
    if parts.len() == 1 {
        parts.join("")
    } else {
        format!("any host: {}", parts.join("; "))
    }
}

impl fmt::Display for HostAttempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.host, self.reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_bad_part() {
        let e = ConnInfoError::UnknownOption {
            key: "sslmod".into(),
        };
        assert_eq!(e.to_string(), "unknown connection option \"sslmod\"");
        let e = ConnInfoError::InvalidValue {
            key: "sslmode",
            value: "verify".into(),
            hint: String::new(),
        };
        assert_eq!(e.to_string(), "invalid sslmode value \"verify\"");
        let e = ConnInfoError::ServiceNotFound {
            service: "foo".into(),
            searched: vec![
                "/home/u/.pg_service.conf".into(),
                "/etc/postgresql-common/pg_service.conf".into(),
            ],
        };
        assert_eq!(
            e.to_string(),
            "service \"foo\" not found in /home/u/.pg_service.conf (does not exist) or \
             /etc/postgresql-common/pg_service.conf (does not exist)"
        );
    }

    #[test]
    fn unreachable_lists_every_host() {
        let e = ConnectError::Unreachable {
            attempts: vec![
                HostAttempt {
                    host: "a:5432".into(),
                    reason: "connection refused".into(),
                },
                HostAttempt {
                    host: "b:5433".into(),
                    reason: "timeout expired".into(),
                },
            ],
        };
        assert_eq!(
            e.to_string(),
            "could not connect to any host: a:5432: connection refused; b:5433: timeout expired"
        );
        let e = ConnectError::Unreachable {
            attempts: vec![HostAttempt {
                host: "a:5432".into(),
                reason: "refused".into(),
            }],
        };
        assert_eq!(e.to_string(), "could not connect to a:5432: refused");
    }

    #[test]
    fn auth_failure_mentions_the_password_file() {
        let e = ConnectError::AuthFailed {
            host: "db:5432".into(),
            user: "u".into(),
            sqlstate: "28P01".into(),
            message: "password authentication failed for user \"u\"".into(),
            passfile: Some("/home/u/.pgpass".into()),
        };
        assert_eq!(
            e.to_string(),
            "authentication failed for user \"u\" at db:5432: password authentication failed \
             for user \"u\" (password retrieved from file \"/home/u/.pgpass\")"
        );
    }
}
