//! Resolution: turns the parameters a user gave into a [`ConnTarget`], as libpq's
//! `conninfo_add_defaults` and `pqConnectOptions2` do. Precedence: explicit parameters > the
//! service file section > `PG*` environment variables > built-in defaults. All outside inputs
//! (environment variables, home directory, OS user, candidate socket and service-file paths)
//! come from an [`Environment`], so tests never touch the real home. It reads service files and
//! checks that files exist, but must not open network connections or read the password file's
//! contents (that happens per host in `connect`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::ConnInfoError;
use super::params::ConnParams;
use super::pgpass;
use super::secret::Secret;
use super::service;
use super::target::{
    ChannelBinding, ConnTarget, Host, HostSpec, SslMode, TargetSessionAttrs, TcpOptions,
    TlsOptions, TlsVersion,
};

/// The default port.
pub const DEFAULT_PORT: u16 = 5432;

/// Socket directories tried, in order, when no host is given: Debian's, then the upstream one.
pub const DEFAULT_SOCKET_DIRS: [&str; 2] = ["/var/run/postgresql", "/tmp"];

/// System service files used when PGSYSCONFDIR is unset: Debian's, then the upstream one.
pub const DEFAULT_SYSTEM_SERVICE_FILES: [&str; 2] = [
    "/etc/postgresql-common/pg_service.conf",
    "/etc/pg_service.conf",
];

/// Keyword → environment variable, from libpq's `PQconninfoOptions`.
const ENV_VARS: &[(&str, &str)] = &[
    ("user", "PGUSER"),
    ("password", "PGPASSWORD"),
    ("passfile", "PGPASSFILE"),
    ("channel_binding", "PGCHANNELBINDING"),
    ("connect_timeout", "PGCONNECT_TIMEOUT"),
    ("dbname", "PGDATABASE"),
    ("host", "PGHOST"),
    ("hostaddr", "PGHOSTADDR"),
    ("port", "PGPORT"),
    ("client_encoding", "PGCLIENTENCODING"),
    ("options", "PGOPTIONS"),
    ("application_name", "PGAPPNAME"),
    ("sslmode", "PGSSLMODE"),
    ("sslnegotiation", "PGSSLNEGOTIATION"),
    ("sslcompression", "PGSSLCOMPRESSION"),
    ("sslcert", "PGSSLCERT"),
    ("sslkey", "PGSSLKEY"),
    ("sslcertmode", "PGSSLCERTMODE"),
    ("sslrootcert", "PGSSLROOTCERT"),
    ("sslcrl", "PGSSLCRL"),
    ("sslcrldir", "PGSSLCRLDIR"),
    ("sslsni", "PGSSLSNI"),
    ("requirepeer", "PGREQUIREPEER"),
    ("require_auth", "PGREQUIREAUTH"),
    ("ssl_min_protocol_version", "PGSSLMINPROTOCOLVERSION"),
    ("ssl_max_protocol_version", "PGSSLMAXPROTOCOLVERSION"),
    ("gssencmode", "PGGSSENCMODE"),
    ("krbsrvname", "PGKRBSRVNAME"),
    ("gsslib", "PGGSSLIB"),
    ("gssdelegation", "PGGSSDELEGATION"),
    ("target_session_attrs", "PGTARGETSESSIONATTRS"),
    ("load_balance_hosts", "PGLOADBALANCEHOSTS"),
];

/// Where resolution reads its outside inputs; tests build one by hand so they never touch the
/// real HOME.
///
/// `Debug` prints `PGPASSWORD` as `********`.
#[derive(Clone)]
pub struct Environment {
    vars: HashMap<String, String>,
    /// The home directory (`~/.pgpass`, `~/.pg_service.conf`, `~/.postgresql/`).
    pub home: Option<PathBuf>,
    /// The operating-system user name (the default `user`).
    pub os_user: Option<String>,
    /// Candidate socket directories for the default host, in order.
    pub socket_dirs: Vec<PathBuf>,
    /// System service files to search when PGSYSCONFDIR is unset, in order.
    pub system_service_files: Vec<PathBuf>,
}

impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut vars: Vec<(&str, &str)> = self
            .vars
            .iter()
            .map(|(k, v)| {
                let v = if k == "PGPASSWORD" {
                    "********"
                } else {
                    v.as_str()
                };
                (k.as_str(), v)
            })
            .collect();
        vars.sort_unstable();
        f.debug_struct("Environment")
            .field("vars", &vars)
            .field("home", &self.home)
            .field("os_user", &self.os_user)
            .field("socket_dirs", &self.socket_dirs)
            .field("system_service_files", &self.system_service_files)
            .finish()
    }
}

impl Environment {
    /// The real process environment: `PG*` variables, `$HOME` (else the passwd entry) and the
    /// effective user's name.
    pub fn from_process() -> Self {
        let vars = std::env::vars().filter(|(k, _)| k.starts_with("PG"));
        let (home, os_user) = process_user();
        Self::from_vars(vars, home, os_user)
    }

    /// An environment with exactly these variables, home and OS user, and the default socket
    /// directories and system service files.
    pub fn from_vars(
        vars: impl IntoIterator<Item = (String, String)>,
        home: Option<PathBuf>,
        os_user: Option<String>,
    ) -> Self {
        Environment {
            vars: vars.into_iter().collect(),
            home,
            os_user,
            socket_dirs: if cfg!(unix) {
                DEFAULT_SOCKET_DIRS.iter().map(PathBuf::from).collect()
            } else {
                Vec::new()
            },
            system_service_files: DEFAULT_SYSTEM_SERVICE_FILES
                .iter()
                .map(PathBuf::from)
                .collect(),
        }
    }

    /// The value of an environment variable.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    fn home_file(&self, rel: &str) -> Option<PathBuf> {
        self.home.as_ref().map(|h| h.join(rel))
    }
}

#[cfg(unix)]
fn process_user() -> (Option<PathBuf>, Option<String>) {
    let entry = nix::unistd::User::from_uid(nix::unistd::geteuid())
        .ok()
        .flatten();
    // libpq prefers $HOME and falls back to the passwd entry.
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(|| entry.as_ref().map(|u| u.dir.clone()));
    let user = entry
        .map(|u| u.name)
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("LOGNAME").ok());
    (home, user)
}

#[cfg(not(unix))]
fn process_user() -> (Option<PathBuf>, Option<String>) {
    let home = std::env::var_os("APPDATA").map(|d| PathBuf::from(d).join("postgresql"));
    (home, std::env::var("USERNAME").ok())
}

/// Resolve as libpq: explicit params > the service (param `service` or PGSERVICE; user file
/// ~/.pg_service.conf or PGSERVICEFILE, then system file PGSYSCONFDIR/pg_service.conf, default
/// /etc/postgresql-common/pg_service.conf and /etc/pg_service.conf; a named service missing from
/// all is an error) > PG* environment > defaults (host: the first of /var/run/postgresql, /tmp
/// that holds a socket for the port, else the first that exists; port 5432; user = OS user;
/// dbname = user; sslmode prefer; sslrootcert ~/.postgresql/root.crt when it exists).
pub fn resolve(params: &ConnParams, env: &Environment) -> Result<ConnTarget, ConnInfoError> {
    let mut p = params.clone();
    let service = apply_service(&mut p, env)?;
    for (key, var) in ENV_VARS {
        if !p.contains(key)
            && let Some(value) = env.var(var)
        {
            p.set(key, value)?;
        }
    }
    // The deprecated PGREQUIRESSL, below PGSSLMODE (libpq since 9.3).
    if !p.contains("sslmode") && env.var("PGREQUIRESSL").is_some_and(|v| v.starts_with('1')) {
        p.set("sslmode", "require")?;
    }
    build_target(&p, env, service)
}

/// Fills unset parameters from the service section; returns the service name used.
fn apply_service(p: &mut ConnParams, env: &Environment) -> Result<Option<String>, ConnInfoError> {
    let name = match p.get_nonempty("service").or_else(|| env.var("PGSERVICE")) {
        Some(name) if !name.is_empty() => name.to_owned(),
        _ => return Ok(None),
    };
    // libpq's order: the user file (PGSERVICEFILE, else ~/.pg_service.conf), then the system
    // file (PGSYSCONFDIR/pg_service.conf, else the built-in places). Files that do not exist are
    // skipped, as in libpq; they are still named if the service is found nowhere.
    let mut candidates = Vec::new();
    match env.var("PGSERVICEFILE") {
        Some(f) => candidates.push(PathBuf::from(f)),
        None => candidates.extend(env.home_file(".pg_service.conf")),
    }
    match env.var("PGSYSCONFDIR") {
        Some(dir) => candidates.push(Path::new(dir).join("pg_service.conf")),
        None => candidates.extend(env.system_service_files.iter().cloned()),
    }
    let mut section = None;
    for file in &candidates {
        if !file.exists() {
            continue;
        }
        section = service::lookup_file(file, &name)?;
        if section.is_some() {
            break;
        }
    }
    let Some(values) = section else {
        return Err(ConnInfoError::ServiceNotFound {
            service: name,
            searched: candidates,
        });
    };
    for (key, value) in values {
        if !p.contains(key) {
            p.set(key, value)?;
        }
    }
    Ok(Some(name))
}

/// libpq's `pqParseIntParam`: optional surrounding whitespace, a 32-bit integer.
fn parse_int(key: &'static str, value: &str) -> Result<i32, ConnInfoError> {
    value
        .trim_matches(super::keyvalue::is_space)
        .parse::<i32>()
        .map_err(|_| ConnInfoError::InvalidInteger {
            key,
            value: value.to_owned(),
        })
}

fn seconds(key: &'static str, value: &str) -> Result<Option<Duration>, ConnInfoError> {
    let n = parse_int(key, value)?;
    Ok((n > 0).then(|| Duration::from_secs(n.unsigned_abs().into())))
}

fn parse_port(value: &str) -> Result<u16, ConnInfoError> {
    if value.is_empty() {
        return Ok(DEFAULT_PORT);
    }
    let n = parse_int("port", value)?;
    u16::try_from(n)
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ConnInfoError::InvalidValue {
            key: "port",
            value: value.to_owned(),
            hint: ": a port must be between 1 and 65535".into(),
        })
}

fn parse_bool01(key: &'static str, value: &str) -> Result<bool, ConnInfoError> {
    match value {
        "0" => Ok(false),
        "1" => Ok(true),
        _ => Err(ConnInfoError::InvalidValue {
            key,
            value: value.to_owned(),
            hint: ": expected 0 or 1".into(),
        }),
    }
}

fn parse_tls_version(key: &'static str, value: &str) -> Result<Option<TlsVersion>, ConnInfoError> {
    match value.to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "tlsv1.2" => Ok(Some(TlsVersion::Tls12)),
        "tlsv1.3" => Ok(Some(TlsVersion::Tls13)),
        "tlsv1" | "tlsv1.1" => Err(ConnInfoError::Unsupported {
            key,
            value: value.to_owned(),
            reason: "pgdeck's TLS library speaks only TLSv1.2 and TLSv1.3".into(),
        }),
        _ => Err(ConnInfoError::InvalidValue {
            key,
            value: value.to_owned(),
            hint: ": expected TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3".into(),
        }),
    }
}

fn unsupported(key: &'static str, value: &str, reason: &str) -> ConnInfoError {
    ConnInfoError::Unsupported {
        key,
        value: value.to_owned(),
        reason: reason.to_owned(),
    }
}

/// Split a comma list as libpq does (an empty string is one empty element).
fn split_list(s: &str) -> Vec<&str> {
    s.split(',').collect()
}

/// The host to use when none is given: the first candidate directory holding a socket for
/// `port`, else the first that exists, else the first candidate; `localhost` without any.
pub fn default_host(env: &Environment, port: u16) -> Host {
    let socket = format!(".s.PGSQL.{port}");
    let dirs = &env.socket_dirs;
    if let Some(dir) = dirs.iter().find(|d| d.join(&socket).exists()) {
        return Host::Unix(dir.clone());
    }
    match dirs.iter().find(|d| d.is_dir()).or(dirs.first()) {
        Some(dir) => Host::Unix(dir.clone()),
        None => Host::Tcp("localhost".into()),
    }
}

fn build_hosts(p: &ConnParams, env: &Environment) -> Result<Vec<HostSpec>, ConnInfoError> {
    let hostaddrs = p.get_nonempty("hostaddr").map(split_list);
    let hosts = p.get_nonempty("host").map(split_list);
    let count = match (&hostaddrs, &hosts) {
        (Some(a), _) => a.len(),
        (None, Some(h)) => h.len(),
        (None, None) => 1,
    };
    if let (Some(a), Some(h)) = (&hostaddrs, &hosts)
        && a.len() != h.len()
    {
        return Err(ConnInfoError::HostCountMismatch {
            hosts: h.len(),
            hostaddrs: a.len(),
        });
    }
    let ports: Vec<u16> = match p.get_nonempty("port") {
        None => vec![DEFAULT_PORT; count],
        Some(list) => {
            let ports = split_list(list)
                .into_iter()
                .map(parse_port)
                .collect::<Result<Vec<_>, _>>()?;
            match ports.len() {
                1 => vec![ports[0]; count],
                n if n == count => ports,
                n => {
                    return Err(ConnInfoError::PortCountMismatch {
                        ports: n,
                        hosts: count,
                    });
                }
            }
        }
    };
    let mut specs = Vec::with_capacity(count);
    for (i, port) in ports.into_iter().enumerate() {
        let hostaddr = hostaddrs
            .as_ref()
            .and_then(|a| a.get(i))
            .filter(|a| !a.is_empty());
        if let Some(addr) = hostaddr
            && addr.parse::<IpAddr>().is_err()
        {
            return Err(ConnInfoError::InvalidValue {
                key: "hostaddr",
                value: (*addr).to_owned(),
                hint: ": expected a numeric IPv4 or IPv6 address".into(),
            });
        }
        let name = hosts
            .as_ref()
            .and_then(|h| h.get(i))
            .filter(|h| !h.is_empty());
        let host = match (name, hostaddr) {
            // libpq: a leading '/' makes a socket directory (Linux '@' abstract sockets are
            // not supported by the driver).
            (Some(name), _) if name.starts_with('/') => Host::Unix(PathBuf::from(name)),
            (Some(name), _) => Host::Tcp((*name).to_owned()),
            (None, Some(addr)) => Host::Tcp((*addr).to_owned()),
            (None, None) => default_host(env, port),
        };
        specs.push(HostSpec {
            host,
            hostaddr: hostaddr.map(|a| (*a).to_owned()),
            port,
        });
    }
    Ok(specs)
}

fn build_target(
    p: &ConnParams,
    env: &Environment,
    service: Option<String>,
) -> Result<ConnTarget, ConnInfoError> {
    let mut warnings = Vec::new();
    let hosts = build_hosts(p, env)?;

    let user = match p.get_nonempty("user") {
        Some(u) => u.to_owned(),
        None => env
            .os_user
            .clone()
            .filter(|u| !u.is_empty())
            .ok_or(ConnInfoError::NoUser)?,
    };
    let dbname = p
        .get_nonempty("dbname")
        .map_or_else(|| user.clone(), str::to_owned);
    let password = p.get_nonempty("password").map(Secret::new);
    let passfile = match p.get_nonempty("passfile") {
        Some(f) => PathBuf::from(f),
        None => env.home_file(".pgpass").unwrap_or_default(),
    };
    if password.is_none()
        && let Err(e) = pgpass::check_file(&passfile)
    {
        warnings.push(e.to_string());
    }

    // sslrootcert=system strengthens the *default* sslmode to verify-full, and refuses weaker
    // explicit modes (libpq 16+).
    let sslrootcert_param = p.get_nonempty("sslrootcert");
    let system_roots = sslrootcert_param == Some("system");
    let sslmode = match p.get_nonempty("sslmode") {
        Some(m) => {
            let mode = SslMode::parse(m)?;
            if system_roots && mode != SslMode::VerifyFull {
                return Err(ConnInfoError::WeakSslModeWithSystemRoots { mode: m.to_owned() });
            }
            mode
        }
        None if system_roots => SslMode::VerifyFull,
        None => SslMode::Prefer,
    };
    let verify = matches!(sslmode, SslMode::VerifyCa | SslMode::VerifyFull);
    let sslrootcert = match sslrootcert_param {
        Some(f) => Some(PathBuf::from(f)),
        None => env
            .home_file(".postgresql/root.crt")
            .filter(|f| verify || f.exists()),
    };
    let sslcert = match p.get_nonempty("sslcert") {
        Some(f) => Some(PathBuf::from(f)),
        None => env
            .home_file(".postgresql/postgresql.crt")
            .filter(|f| f.exists()),
    };
    let sslkey = match p.get_nonempty("sslkey") {
        Some(f) => Some(PathBuf::from(f)),
        None if sslcert.is_some() => env.home_file(".postgresql/postgresql.key"),
        None => None,
    };

    let application_name = p
        .get_nonempty("application_name")
        .or_else(|| p.get_nonempty("fallback_application_name"))
        .map(str::to_owned);
    let connect_timeout = match p.get_nonempty("connect_timeout") {
        // libpq: zero or negative waits forever; under 2 s becomes 2 s.
        Some(v) => seconds("connect_timeout", v)?.map(|d| d.max(Duration::from_secs(2))),
        None => None,
    };
    let options = p.get_nonempty("options").map(str::to_owned);
    let target_session_attrs = match p.get_nonempty("target_session_attrs") {
        Some(v) => TargetSessionAttrs::parse(v)?,
        None => TargetSessionAttrs::Any,
    };
    let channel_binding = match p.get_nonempty("channel_binding") {
        Some(v) => ChannelBinding::parse(v)?,
        None => ChannelBinding::Prefer,
    };
    let load_balance_random = match p.get_nonempty("load_balance_hosts") {
        None | Some("disable") => false,
        Some("random") => true,
        Some(v) => {
            return Err(ConnInfoError::InvalidValue {
                key: "load_balance_hosts",
                value: v.to_owned(),
                hint: ": expected disable or random".into(),
            });
        }
    };

    let mut tcp = TcpOptions::default();
    if let Some(v) = p.get_nonempty("keepalives") {
        tcp.keepalives = parse_int("keepalives", v)? != 0;
    }
    if let Some(v) = p.get_nonempty("keepalives_idle") {
        tcp.keepalives_idle = seconds("keepalives_idle", v)?;
    }
    if let Some(v) = p.get_nonempty("keepalives_interval") {
        tcp.keepalives_interval = seconds("keepalives_interval", v)?;
    }
    if let Some(v) = p.get_nonempty("keepalives_count") {
        tcp.keepalives_count = u32::try_from(parse_int("keepalives_count", v)?).ok();
    }
    if let Some(v) = p.get_nonempty("tcp_user_timeout") {
        let ms = parse_int("tcp_user_timeout", v)?;
        tcp.user_timeout = (ms > 0).then(|| Duration::from_millis(ms.unsigned_abs().into()));
    }

    let mut tls_options = TlsOptions {
        sslcrl: match p.get_nonempty("sslcrl") {
            Some(f) => Some(PathBuf::from(f)),
            None => env.home_file(".postgresql/root.crl").filter(|f| f.exists()),
        },
        ..TlsOptions::default()
    };
    if let Some(v) = p.get_nonempty("ssl_min_protocol_version") {
        // TLSv1 and TLSv1.1 as a minimum just mean "whatever the library allows".
        tls_options.min_version = match v.to_ascii_lowercase().as_str() {
            "tlsv1" | "tlsv1.1" => TlsVersion::Tls12,
            _ => parse_tls_version("ssl_min_protocol_version", v)?.unwrap_or(TlsVersion::Tls12),
        };
    }
    if let Some(v) = p.get_nonempty("ssl_max_protocol_version") {
        tls_options.max_version = parse_tls_version("ssl_max_protocol_version", v)?;
    }
    if tls_options
        .max_version
        .is_some_and(|max| max < tls_options.min_version)
    {
        return Err(ConnInfoError::InvalidValue {
            key: "ssl_max_protocol_version",
            value: p
                .get("ssl_max_protocol_version")
                .unwrap_or_default()
                .to_owned(),
            hint: ": invalid SSL protocol version range".into(),
        });
    }
    if let Some(v) = p.get_nonempty("sslsni") {
        tls_options.sni = parse_bool01("sslsni", v)?;
    }
    match p.get_nonempty("sslcertmode") {
        None | Some("allow") => {}
        Some("disable") => tls_options.send_client_cert = false,
        Some("require") => {
            return Err(unsupported(
                "sslcertmode",
                "require",
                "pgdeck cannot tell whether the server asked for a client certificate",
            ));
        }
        Some(v) => {
            return Err(ConnInfoError::InvalidValue {
                key: "sslcertmode",
                value: v.to_owned(),
                hint: ": expected disable, allow or require".into(),
            });
        }
    }
    match p.get_nonempty("sslnegotiation") {
        None | Some("postgres") => {}
        Some("direct") => {
            if !matches!(
                sslmode,
                SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull
            ) {
                return Err(ConnInfoError::WeakSslModeWithDirect {
                    mode: sslmode.to_string(),
                });
            }
            tls_options.direct = true;
        }
        Some(v) => {
            return Err(ConnInfoError::InvalidValue {
                key: "sslnegotiation",
                value: v.to_owned(),
                hint: ": expected postgres or direct".into(),
            });
        }
    }

    check_unsupported(p, &mut warnings)?;

    Ok(ConnTarget {
        hosts,
        user,
        dbname,
        password,
        passfile,
        sslmode,
        sslrootcert,
        sslcert,
        sslkey,
        application_name,
        connect_timeout,
        options,
        target_session_attrs,
        service,
        warnings,
        channel_binding,
        load_balance_random,
        tcp,
        tls_options,
    })
}

/// Refuses settings pgdeck cannot honour where ignoring them would weaken security or change
/// what the user asked for, and warns about harmless ones.
fn check_unsupported(p: &ConnParams, warnings: &mut Vec<String>) -> Result<(), ConnInfoError> {
    if let Some(v) = p.get_nonempty("gssencmode") {
        match v {
            "disable" | "prefer" => {}
            "require" => {
                return Err(unsupported("gssencmode", v, "pgdeck has no GSSAPI support"));
            }
            _ => {
                return Err(ConnInfoError::InvalidValue {
                    key: "gssencmode",
                    value: v.to_owned(),
                    hint: ": expected disable, prefer or require".into(),
                });
            }
        }
    }
    if let Some(v) = p.get_nonempty("sslcrldir") {
        return Err(unsupported(
            "sslcrldir",
            v,
            "give a single PEM file with sslcrl instead",
        ));
    }
    if p.get_nonempty("sslpassword").is_some() {
        return Err(unsupported(
            "sslpassword",
            "********",
            "encrypted client keys are not supported; decrypt the key file",
        ));
    }
    if let Some(v) = p.get_nonempty("requirepeer") {
        return Err(unsupported(
            "requirepeer",
            v,
            "the peer user of a socket cannot be checked",
        ));
    }
    if let Some(v) = p.get_nonempty("require_auth") {
        return Err(unsupported(
            "require_auth",
            v,
            "authentication methods cannot be restricted",
        ));
    }
    if let Some(v) = p.get_nonempty("replication")
        && !matches!(v, "0" | "false" | "off" | "no")
    {
        return Err(unsupported(
            "replication",
            v,
            "pgdeck opens normal sessions only",
        ));
    }
    if let Some(v) = p.get_nonempty("client_encoding")
        && !v.eq_ignore_ascii_case("utf8")
        && !v.eq_ignore_ascii_case("utf-8")
        && v != "auto"
    {
        warnings.push(format!(
            "client_encoding={v} ignored: pgdeck always uses UTF8"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conn::parse_conninfo;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A fresh directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> Self {
            static N: AtomicUsize = AtomicUsize::new(0);
            let dir = std::env::temp_dir().join(format!(
                "pgdeck-resolve-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// An environment whose home, socket dirs and system service files all live in `dir`.
    fn env_in(dir: &Path, vars: &[(&str, &str)]) -> Environment {
        let mut env = Environment::from_vars(
            vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
            Some(dir.join("home")),
            Some("osuser".into()),
        );
        env.socket_dirs = vec![dir.join("run"), dir.join("tmp")];
        env.system_service_files = vec![dir.join("etc/pg_service.conf")];
        env
    }

    fn resolve_str(conninfo: &str, env: &Environment) -> Result<ConnTarget, ConnInfoError> {
        resolve(&parse_conninfo(conninfo).unwrap(), env)
    }

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn environment_debug_hides_pgpassword() {
        let env = Environment::from_vars(
            vec![
                ("PGPASSWORD".to_owned(), "hunter2".to_owned()),
                ("PGUSER".to_owned(), "u".to_owned()),
            ],
            None,
            None,
        );
        let s = format!("{env:?}");
        assert!(!s.contains("hunter2"), "{s}");
        assert!(s.contains("PGUSER"), "{s}");
    }

    #[test]
    fn defaults() {
        let d = TempDir::new();
        let env = env_in(&d.0, &[]);
        let t = resolve(&ConnParams::new(), &env).unwrap();
        assert_eq!(t.user, "osuser");
        assert_eq!(t.dbname, "osuser");
        assert_eq!(t.hosts.len(), 1);
        assert_eq!(t.hosts[0].port, 5432);
        assert_eq!(t.sslmode, SslMode::Prefer);
        assert_eq!(t.target_session_attrs, TargetSessionAttrs::Any);
        assert_eq!(t.passfile, d.0.join("home/.pgpass"));
        assert_eq!(t.sslrootcert, None, "no root.crt in home");
        assert!(t.password.is_none());
        assert!(t.warnings.is_empty(), "{:?}", t.warnings);
    }

    #[test]
    fn default_host_prefers_the_directory_with_a_socket() {
        let d = TempDir::new();
        let env = env_in(&d.0, &[]);
        // Neither directory exists: the first candidate.
        assert_eq!(default_host(&env, 5432), Host::Unix(d.0.join("run")));
        // Only the second exists: that one.
        std::fs::create_dir_all(d.0.join("tmp")).unwrap();
        assert_eq!(default_host(&env, 5432), Host::Unix(d.0.join("tmp")));
        // Both exist, the second holds the socket for 5433 only.
        std::fs::create_dir_all(d.0.join("run")).unwrap();
        write(&d.0.join("tmp/.s.PGSQL.5433"), "");
        assert_eq!(default_host(&env, 5432), Host::Unix(d.0.join("run")));
        assert_eq!(default_host(&env, 5433), Host::Unix(d.0.join("tmp")));
        let t = resolve_str("port=5433", &env).unwrap();
        assert_eq!(t.hosts[0].host, Host::Unix(d.0.join("tmp")));
        let mut none = env.clone();
        none.socket_dirs.clear();
        assert_eq!(default_host(&none, 5432), Host::Tcp("localhost".into()));
    }

    #[test]
    fn explicit_beats_environment_beats_defaults() {
        let d = TempDir::new();
        let env = env_in(
            &d.0,
            &[
                ("PGHOST", "envhost"),
                ("PGPORT", "6000"),
                ("PGUSER", "envuser"),
                ("PGDATABASE", "envdb"),
                ("PGPASSWORD", "envpw"),
                ("PGSSLMODE", "require"),
                ("PGAPPNAME", "envapp"),
                ("PGCONNECT_TIMEOUT", "7"),
                ("PGOPTIONS", "-c work_mem=1MB"),
                ("PGTARGETSESSIONATTRS", "read-write"),
                ("PGPASSFILE", "/x/pgpass"),
            ],
        );
        let t = resolve_str("host=cli dbname=clidb", &env).unwrap();
        assert_eq!(t.hosts[0].host, Host::Tcp("cli".into()));
        assert_eq!(t.hosts[0].port, 6000);
        assert_eq!(t.user, "envuser");
        assert_eq!(t.dbname, "clidb");
        assert_eq!(t.password.as_ref().map(Secret::expose), Some("envpw"));
        assert_eq!(t.sslmode, SslMode::Require);
        assert_eq!(t.application_name.as_deref(), Some("envapp"));
        assert_eq!(t.connect_timeout, Some(Duration::from_secs(7)));
        assert_eq!(t.options.as_deref(), Some("-c work_mem=1MB"));
        assert_eq!(t.target_session_attrs, TargetSessionAttrs::ReadWrite);
        assert_eq!(t.passfile, PathBuf::from("/x/pgpass"));
    }

    #[test]
    fn explicit_empty_value_blocks_the_environment() {
        let d = TempDir::new();
        let env = env_in(&d.0, &[("PGDATABASE", "envdb"), ("PGHOST", "envhost")]);
        let t = resolve_str("dbname='' host=''", &env).unwrap();
        assert_eq!(
            t.dbname, "osuser",
            "empty dbname means the default, not PGDATABASE"
        );
        assert!(matches!(t.hosts[0].host, Host::Unix(_)));
    }

    #[test]
    fn multiple_hosts_and_ports() {
        let d = TempDir::new();
        let env = env_in(&d.0, &[]);
        let t = resolve_str("host=a,b port=5433", &env).unwrap();
        assert_eq!(
            t.hosts.iter().map(|h| h.port).collect::<Vec<_>>(),
            vec![5433, 5433]
        );
        let t = resolve_str("host=a,b,/sock port=1,2,3", &env).unwrap();
        assert_eq!(
            t.hosts[1],
            HostSpec {
                host: Host::Tcp("b".into()),
                hostaddr: None,
                port: 2
            }
        );
        assert_eq!(t.hosts[2].host, Host::Unix("/sock".into()));
        let e = resolve_str("host=a,b,c port=1,2", &env).unwrap_err();
        assert_eq!(e.to_string(), "could not match 2 port numbers to 3 hosts");
        // An empty entry means the default host or port.
        let t = resolve_str("host=a, port=,7", &env).unwrap();
        assert_eq!(t.hosts[0].port, 5432);
        assert!(matches!(t.hosts[1].host, Host::Unix(_)));
        assert_eq!(t.hosts[1].port, 7);
    }

    #[test]
    fn hostaddr() {
        let d = TempDir::new();
        let env = env_in(&d.0, &[]);
        let t = resolve_str("host=db.example.com hostaddr=10.0.0.5", &env).unwrap();
        assert_eq!(t.hosts[0].host, Host::Tcp("db.example.com".into()));
        assert_eq!(t.hosts[0].hostaddr.as_deref(), Some("10.0.0.5"));
        let t = resolve_str("hostaddr=::1", &env).unwrap();
        assert_eq!(t.hosts[0].host, Host::Tcp("::1".into()));
        let e = resolve_str("host=a,b hostaddr=1.1.1.1", &env).unwrap_err();
        assert_eq!(
            e.to_string(),
            "could not match 2 host names to 1 hostaddr values"
        );
        let e = resolve_str("hostaddr=db.example.com", &env).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("invalid hostaddr value \"db.example.com\""),
            "{e}"
        );
    }

    #[test]
    fn bad_values_are_named() {
        let d = TempDir::new();
        let env = env_in(&d.0, &[]);
        let e = resolve_str("sslmode=verify", &env).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("invalid sslmode value \"verify\""),
            "{e}"
        );
        let e = resolve_str("port=abc", &env).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid integer value \"abc\" for connection option \"port\""
        );
        let e = resolve_str("port=70000", &env).unwrap_err();
        assert!(
            e.to_string().starts_with("invalid port value \"70000\""),
            "{e}"
        );
        let e = resolve_str("target_session_attrs=master", &env).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("invalid target_session_attrs value"),
            "{e}"
        );
        let env = env_in(&d.0, &[("PGSSLMODE", "bogus")]);
        let e = resolve(&ConnParams::new(), &env).unwrap_err();
        assert!(
            e.to_string().starts_with("invalid sslmode value \"bogus\""),
            "{e}"
        );
    }

    #[test]
    fn connect_timeout_rules() {
        let d = TempDir::new();
        let env = env_in(&d.0, &[]);
        let t = |s: &str| resolve_str(s, &env).unwrap().connect_timeout;
        assert_eq!(t("connect_timeout=0"), None);
        assert_eq!(t("connect_timeout=-5"), None);
        assert_eq!(t("connect_timeout=1"), Some(Duration::from_secs(2)));
        assert_eq!(t("connect_timeout=' 10 '"), Some(Duration::from_secs(10)));
        let e = resolve_str("connect_timeout=10s", &env).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid integer value \"10s\" for connection option \"connect_timeout\""
        );
    }

    #[test]
    fn service_file_fills_only_unset_parameters() {
        let d = TempDir::new();
        let home = d.0.join("home");
        write(
            &home.join(".pg_service.conf"),
            "[prod]\nhost=prodhost\nport=6543\ndbname=proddb\nuser=svcuser\n",
        );
        let env = env_in(&d.0, &[("PGUSER", "envuser"), ("PGHOST", "envhost")]);
        let t = resolve_str("service=prod dbname=mine", &env).unwrap();
        assert_eq!(t.service.as_deref(), Some("prod"));
        assert_eq!(t.dbname, "mine", "explicit beats the service");
        assert_eq!(
            t.hosts[0].host,
            Host::Tcp("prodhost".into()),
            "service beats PGHOST"
        );
        assert_eq!(t.hosts[0].port, 6543);
        assert_eq!(t.user, "svcuser", "service beats PGUSER");
        // PGSERVICE names the service too.
        let env = env_in(&d.0, &[("PGSERVICE", "prod")]);
        let t = resolve(&ConnParams::new(), &env).unwrap();
        assert_eq!(t.dbname, "proddb");
    }

    #[test]
    fn service_files_in_order() {
        let d = TempDir::new();
        write(&d.0.join("home/.pg_service.conf"), "[a]\nhost=userfile\n");
        write(
            &d.0.join("etc/pg_service.conf"),
            "[a]\nhost=system\n[b]\nhost=sysb\n",
        );
        let env = env_in(&d.0, &[]);
        assert_eq!(
            resolve_str("service=a", &env).unwrap().hosts[0].host,
            Host::Tcp("userfile".into())
        );
        assert_eq!(
            resolve_str("service=b", &env).unwrap().hosts[0].host,
            Host::Tcp("sysb".into())
        );
        // PGSERVICEFILE replaces ~/.pg_service.conf; PGSYSCONFDIR replaces the system file.
        write(&d.0.join("custom.conf"), "[a]\nhost=custom\n");
        write(&d.0.join("sysconf/pg_service.conf"), "[c]\nhost=sysconf\n");
        let custom = d.0.join("custom.conf");
        let sysconf = d.0.join("sysconf");
        let env = env_in(
            &d.0,
            &[
                ("PGSERVICEFILE", custom.to_str().unwrap()),
                ("PGSYSCONFDIR", sysconf.to_str().unwrap()),
            ],
        );
        assert_eq!(
            resolve_str("service=a", &env).unwrap().hosts[0].host,
            Host::Tcp("custom".into())
        );
        assert_eq!(
            resolve_str("service=c", &env).unwrap().hosts[0].host,
            Host::Tcp("sysconf".into())
        );
        assert!(
            resolve_str("service=b", &env).is_err(),
            "the default system file is not read"
        );
    }

    #[test]
    fn missing_service_names_the_files() {
        let d = TempDir::new();
        write(&d.0.join("home/.pg_service.conf"), "[a]\nhost=x\n");
        write(&d.0.join("etc/pg_service.conf"), "[b]\nhost=y\n");
        let env = env_in(&d.0, &[]);
        let e = resolve_str("service=foo", &env).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "service \"foo\" not found in {} or {}",
                d.0.join("home/.pg_service.conf").display(),
                d.0.join("etc/pg_service.conf").display()
            )
        );
        // A PGSERVICEFILE that does not exist is skipped (libpq), and named as missing.
        let missing = d.0.join("nope.conf");
        let env = env_in(&d.0, &[("PGSERVICEFILE", missing.to_str().unwrap())]);
        let e = resolve_str("service=a", &env).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "service \"a\" not found in {} (does not exist) or {}",
                missing.display(),
                d.0.join("etc/pg_service.conf").display()
            )
        );
        assert_eq!(
            resolve_str("service=b", &env).unwrap().hosts[0].host,
            Host::Tcp("y".into())
        );
    }

    #[cfg(unix)]
    #[test]
    fn insecure_password_file_gives_a_warning() {
        use std::os::unix::fs::PermissionsExt;
        let d = TempDir::new();
        let pgpass = d.0.join("home/.pgpass");
        write(&pgpass, "*:*:*:*:pw\n");
        std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o644)).unwrap();
        let env = env_in(&d.0, &[]);
        let t = resolve(&ConnParams::new(), &env).unwrap();
        assert_eq!(t.warnings.len(), 1);
        assert!(t.warnings[0].contains("permissions should be u=rw (0600) or less"));
        // Not checked when a password is given (the file will not be read).
        let t = resolve_str("password=x", &env).unwrap();
        assert!(t.warnings.is_empty());
    }

    #[test]
    fn ssl_files_and_modes() {
        let d = TempDir::new();
        let env = env_in(&d.0, &[]);
        // verify-* without root.crt still points at the default file so connect can name it.
        let t = resolve_str("sslmode=verify-ca", &env).unwrap();
        assert_eq!(t.sslrootcert, Some(d.0.join("home/.postgresql/root.crt")));
        write(&d.0.join("home/.postgresql/root.crt"), "x");
        write(&d.0.join("home/.postgresql/postgresql.crt"), "x");
        let t = resolve(&ConnParams::new(), &env).unwrap();
        assert_eq!(t.sslrootcert, Some(d.0.join("home/.postgresql/root.crt")));
        assert_eq!(t.sslcert, Some(d.0.join("home/.postgresql/postgresql.crt")));
        assert_eq!(t.sslkey, Some(d.0.join("home/.postgresql/postgresql.key")));
        let t = resolve_str("sslrootcert=/ca.pem sslcert=/c.pem sslkey=/k.pem", &env).unwrap();
        assert_eq!(t.sslrootcert, Some(PathBuf::from("/ca.pem")));
        assert_eq!(t.sslkey, Some(PathBuf::from("/k.pem")));
    }

    #[test]
    fn sslrootcert_system() {
        let d = TempDir::new();
        let env = env_in(&d.0, &[]);
        let t = resolve_str("sslrootcert=system", &env).unwrap();
        assert_eq!(t.sslmode, SslMode::VerifyFull);
        assert!(t.uses_system_roots());
        let e = resolve_str("sslrootcert=system sslmode=require", &env).unwrap_err();
        assert!(e.to_string().contains("weak sslmode \"require\""), "{e}");
    }

    #[test]
    fn unsupported_settings_are_refused() {
        let d = TempDir::new();
        let env = env_in(&d.0, &[]);
        for s in [
            "gssencmode=require",
            "sslcrldir=/x",
            "requirepeer=postgres",
            "replication=database",
        ] {
            let e = resolve_str(s, &env).unwrap_err();
            assert!(
                e.to_string().contains("not supported by pgdeck"),
                "{s}: {e}"
            );
        }
        let e = resolve_str("sslpassword=hunter2", &env).unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        let t = resolve_str("gssencmode=prefer client_encoding=LATIN1", &env).unwrap();
        assert_eq!(t.warnings.len(), 1);
        let e = resolve_str("sslnegotiation=direct", &env).unwrap_err();
        assert!(e.to_string().contains("weak sslmode \"prefer\""), "{e}");
        assert!(
            resolve_str("sslnegotiation=direct sslmode=require", &env)
                .unwrap()
                .tls_options
                .direct
        );
    }

    #[test]
    fn application_name_and_fallback() {
        let d = TempDir::new();
        let env = env_in(&d.0, &[]);
        let t = resolve_str("fallback_application_name=fb", &env).unwrap();
        assert_eq!(t.application_name.as_deref(), Some("fb"));
        let t = resolve_str("fallback_application_name=fb application_name=app", &env).unwrap();
        assert_eq!(t.application_name.as_deref(), Some("app"));
        assert_eq!(
            resolve(&ConnParams::new(), &env).unwrap().application_name,
            None
        );
    }

    #[test]
    fn no_user_anywhere() {
        let mut env = Environment::from_vars(Vec::new(), None, None);
        env.socket_dirs.clear();
        let e = resolve(&ConnParams::new(), &env).unwrap_err();
        assert!(matches!(e, ConnInfoError::NoUser));
    }

    #[test]
    fn display_never_shows_the_password() {
        let d = TempDir::new();
        let env = env_in(&d.0, &[]);
        let t = resolve_str("postgresql://alice:hunter2@db:5433/app", &env).unwrap();
        assert_eq!(t.display(), "alice@db:5433/app");
        assert!(!format!("{t:?}").contains("hunter2"));
        let t = resolve_str("host=/var/run/postgresql user=bob dbname=x", &env).unwrap();
        assert_eq!(t.display(), "bob@/var/run/postgresql:5432/x");
        let t = resolve_str("host=::1 user=bob dbname=x", &env).unwrap();
        assert_eq!(t.display(), "bob@[::1]:5432/x");
    }
}
