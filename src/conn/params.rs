//! The parsed parameter set: [`ConnParams`], a libpq keyword → value map as the user gave it
//! (connection string, command-line flags or a saved profile), and the list of keywords libpq
//! knows. It validates keywords only; values are checked by `resolve`, because the same value can
//! also arrive from the environment or a service file. It must not read the environment or disk.

use std::collections::BTreeMap;
use std::fmt;

use super::error::ConnInfoError;

/// Every connection keyword of libpq 17 (`PQconninfoOptions` in fe-connect.c, plus
/// `sslnegotiation`). A keyword outside this list is an error, as in libpq.
pub const KEYWORDS: &[&str] = &[
    "service",
    "user",
    "password",
    "passfile",
    "channel_binding",
    "connect_timeout",
    "dbname",
    "host",
    "hostaddr",
    "port",
    "client_encoding",
    "options",
    "application_name",
    "fallback_application_name",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "sslmode",
    "sslnegotiation",
    "sslcompression",
    "sslcert",
    "sslkey",
    "sslcertmode",
    "sslpassword",
    "sslrootcert",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "requirepeer",
    "require_auth",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "gssencmode",
    "krbsrvname",
    "gsslib",
    "gssdelegation",
    "replication",
    "target_session_attrs",
    "load_balance_hosts",
];

/// Keywords whose values are secrets and must never be printed.
const SECRET_KEYWORDS: &[&str] = &["password", "sslpassword"];

/// The canonical `&'static str` for a known keyword, or `None`.
pub fn keyword(key: &str) -> Option<&'static str> {
    KEYWORDS.iter().copied().find(|k| *k == key)
}

/// A libpq keyword → value set, as given (connection string, flags or profile). Keys are libpq
/// keywords (host, hostaddr, port, dbname, user, password, passfile, service, sslmode,
/// sslrootcert, sslcert, sslkey, application_name, fallback_application_name, connect_timeout,
/// options, target_session_attrs, channel_binding, keepalives, keepalives_idle, ...). Unknown
/// keywords are an error naming them, as in libpq.
///
/// A value may be the empty string: as in libpq, an explicitly empty value counts as "set", so
/// the environment does not fill it, and resolution then applies the built-in default.
/// `Debug` prints `********` for `password` and `sslpassword`.
#[derive(Clone, Default, PartialEq)]
pub struct ConnParams {
    values: BTreeMap<&'static str, String>,
}

impl ConnParams {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value`, replacing any earlier value. The keyword must be a libpq keyword;
    /// the legacy `requiressl=1|0` becomes `sslmode=require|prefer`, as libpq does.
    pub fn set(&mut self, key: &str, value: impl Into<String>) -> Result<(), ConnInfoError> {
        let value = value.into();
        if key == "requiressl" {
            let mode = if value.starts_with('1') {
                "require"
            } else {
                "prefer"
            };
            self.values.insert("sslmode", mode.to_owned());
            return Ok(());
        }
        let key = keyword(key).ok_or_else(|| ConnInfoError::UnknownOption { key: key.into() })?;
        self.values.insert(key, value);
        Ok(())
    }

    /// The value of `key`, if set (possibly to the empty string).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// The value of `key` when set to something non-empty.
    pub fn get_nonempty(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.is_empty())
    }

    /// Whether `key` is set at all (even to the empty string).
    pub fn contains(&self, key: &str) -> bool {
        self.values.contains_key(key)
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<String> {
        self.values.remove(key)
    }

    /// Values from `other` override ours (used for: flags, then the conninfo string over them,
    /// as psql does).
    pub fn merge_over(&mut self, other: &ConnParams) {
        for (k, v) in &other.values {
            self.values.insert(k, v.clone());
        }
    }

    /// The set keywords and their values, in keyword order. Values include secrets.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.values.iter().map(|(k, v)| (*k, v.as_str()))
    }

    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

impl fmt::Debug for ConnParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (k, v) in &self.values {
            if SECRET_KEYWORDS.contains(k) {
                map.entry(k, &"********");
            } else {
                map.entry(k, v);
            }
        }
        map.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keyword_is_named() {
        let mut p = ConnParams::new();
        let err = p.set("sslmod", "require").unwrap_err();
        assert_eq!(err.to_string(), "unknown connection option \"sslmod\"");
        assert!(p.is_empty());
    }

    #[test]
    fn set_get_and_empty_values() {
        let mut p = ConnParams::new();
        p.set("host", "db1").unwrap();
        p.set("dbname", "").unwrap();
        assert_eq!(p.get("host"), Some("db1"));
        assert_eq!(p.get("dbname"), Some(""));
        assert_eq!(p.get_nonempty("dbname"), None);
        assert!(p.contains("dbname"));
        assert_eq!(p.get("port"), None);
    }

    #[test]
    fn requiressl_maps_to_sslmode() {
        let mut p = ConnParams::new();
        p.set("requiressl", "1").unwrap();
        assert_eq!(p.get("sslmode"), Some("require"));
        p.set("requiressl", "0").unwrap();
        assert_eq!(p.get("sslmode"), Some("prefer"));
    }

    #[test]
    fn merge_over_lets_the_other_win() {
        let mut flags = ConnParams::new();
        flags.set("host", "a").unwrap();
        flags.set("port", "5433").unwrap();
        let mut conninfo = ConnParams::new();
        conninfo.set("host", "b").unwrap();
        flags.merge_over(&conninfo);
        assert_eq!(flags.get("host"), Some("b"));
        assert_eq!(flags.get("port"), Some("5433"));
    }

    #[test]
    fn debug_hides_passwords() {
        let mut p = ConnParams::new();
        p.set("password", "hunter2").unwrap();
        p.set("sslpassword", "keypass").unwrap();
        p.set("user", "alice").unwrap();
        let s = format!("{p:?}");
        assert!(!s.contains("hunter2") && !s.contains("keypass"), "{s}");
        assert!(s.contains("alice"));
    }
}
