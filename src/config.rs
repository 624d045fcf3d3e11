//! Configuration: where pgdeck's files live (`config_dir`, `state_dir`), the one merge rule shared by
//! `config.toml`, `keymap.toml` and themes, the `ConfigError` all three report, and `Config` itself.
//!
//! The merge rule: parse the embedded default into a TOML table, parse the user's file into a table,
//! deep-merge the user's table over the default (tables merge key by key, any other value replaces),
//! then deserialize the result with unknown keys rejected. Before merging, the user's file is
//! deserialized on its own so that an error carries the user's line; the byte span toml reports is
//! mapped back to a key path with the spanned document, so a message names file, key and line.
//!
//! This module reads files and environment variables only. It must not print, open the terminal or
//! talk to a database: errors go back to the caller, which prints them before the full-screen UI
//! opens. Connection strings are checked for passwords textually, without the `conn` module.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, Visitor};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// The shipped defaults, merged under the user's `config.toml`.
const DEFAULT_CONFIG: &str = include_str!("../assets/config.default.toml");

/// How the embedded defaults are named in the (never expected) case that they fail to load.
const DEFAULT_ORIGIN: &str = "built-in assets/config.default.toml";

/// Overrides the config directory (tests, portable setups).
pub const CONFIG_DIR_ENV: &str = "PGDECK_CONFIG_DIR";
/// Overrides the state directory (history, editor autosave, logs).
pub const STATE_DIR_ENV: &str = "PGDECK_STATE_DIR";

/// Why a config, keymap or theme file could not be used. `Display` is a complete sentence naming the
/// file, the table and key, and the line when known, because it is printed as-is to stderr.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file exists but could not be read (permissions, not UTF-8, a directory...).
    #[error("{}: cannot read the file: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// Invalid TOML, an unknown key, or a value of the wrong kind.
    #[error("{file}: {}{message}{}", place(section.as_deref(), key.as_deref()), at_line(*line))]
    Invalid {
        /// The file (its path, or how an embedded default is named).
        file: String,
        /// The dotted table the problem is in (`editor`, `styles.base`), if not the top level.
        section: Option<String>,
        /// The key whose value is wrong; `None` when the key itself is the problem (it is named
        /// in `message`) or no key is involved.
        key: Option<String>,
        /// What is wrong.
        message: String,
        /// 1-based line in `file`.
        line: Option<usize>,
    },
    /// One chord bound to two actions of the same keymap section in the user's file.
    #[error(
        "{file}: [{section}] {chord} is bound to both {first} and {second}; \
         a key can do one thing per section{}",
        at_line(*line)
    )]
    Conflict {
        /// The keymap file.
        file: String,
        /// The keymap section.
        section: String,
        /// The chord, in canonical form.
        chord: String,
        /// The action bound first in the file.
        first: &'static str,
        /// The action bound later in the file.
        second: &'static str,
        /// Line of the later binding.
        line: Option<usize>,
    },
    /// A password in a connection profile.
    #[error(
        "{file}: [profiles.{profile}] {what}: passwords do not belong in config.toml; \
         put them in ~/.pgpass or the PGPASSWORD environment variable{}",
        at_line(*line)
    )]
    Password {
        /// The config file.
        file: String,
        /// The profile's name.
        profile: String,
        /// Where the password is (`password`, `the conninfo contains a password`).
        what: &'static str,
        /// Line of the offending key.
        line: Option<usize>,
    },
    /// A theme name that cannot be a file name in `themes/` (a slash, a leading dot...).
    #[error(
        "\"{name}\" is not a theme name: use dark, light, ansi16 or the name of a file in \
         <config dir>/themes/ without .toml"
    )]
    InvalidThemeName {
        /// The name given.
        name: String,
    },
    /// No shipped theme and no user theme file has this name.
    #[error("unknown theme \"{name}\": {} (available: {})", searched_text(searched.as_deref()), known.join(", "))]
    UnknownTheme {
        /// The requested name.
        name: String,
        /// The user theme file that was looked for, if there is a config dir.
        searched: Option<PathBuf>,
        /// Every theme that does exist.
        known: Vec<String>,
    },
}

fn place(section: Option<&str>, key: Option<&str>) -> String {
    let mut s = String::new();
    if let Some(sec) = section {
        s.push_str(&format!("[{sec}] "));
    }
    if let Some(k) = key {
        s.push_str(&format!("{k}: "));
    }
    s
}

fn at_line(line: Option<usize>) -> String {
    line.map(|l| format!(" (line {l})")).unwrap_or_default()
}

fn searched_text(searched: Option<&Path>) -> String {
    match searched {
        Some(p) => format!("it is not shipped and {} does not exist", p.display()),
        None => "it is not shipped and there is no config directory".to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Paths

/// The directory holding `config.toml`, `keymap.toml` and `themes/`: `PGDECK_CONFIG_DIR` if set and
/// non-empty, else the platform's config dir for pgdeck (`~/.config/pgdeck` on Linux). `None` when
/// there is no home directory to put it in.
pub fn config_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os(CONFIG_DIR_ENV).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    directories::ProjectDirs::from("dev", "pgdeck", "pgdeck").map(|p| p.config_dir().to_path_buf())
}

/// The directory for history, editor autosave and logs: `PGDECK_STATE_DIR` if set and non-empty,
/// else the platform's state dir (`~/.local/state/pgdeck` on Linux), else its local data dir
/// (macOS and Windows have no state dir). The caller creates it when it first writes there.
pub fn state_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os(STATE_DIR_ENV).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    let dirs = directories::ProjectDirs::from("dev", "pgdeck", "pgdeck")?;
    Some(
        dirs.state_dir()
            .unwrap_or_else(|| dirs.data_local_dir())
            .to_path_buf(),
    )
}

/// Read a user file that may legitimately be absent: `Ok(None)` when it does not exist.
pub(crate) fn read_optional(path: &Path) -> Result<Option<String>, ConfigError> {
    match std::fs::read_to_string(path) {
        // Editors on Windows like to start UTF-8 files with a byte-order mark; TOML does not.
        Ok(text) => Ok(Some(match text.strip_prefix('\u{feff}') {
            Some(rest) => rest.to_string(),
            None => text,
        })),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ConfigError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// The merge rule and error locations, shared with keymap.rs and theme.rs

/// Where in a TOML text something is: the key path, whether the position is on the last key itself
/// (an unknown key) rather than its value, and the 1-based line.
#[derive(Debug, Default, Clone)]
pub(crate) struct Location {
    pub path: Vec<String>,
    pub on_key: bool,
    pub line: Option<usize>,
}

/// 1-based line of a byte offset (counted in bytes, so any offset is safe).
pub(crate) fn line_at(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Map a byte offset in `text` back to the key path it falls on.
pub(crate) fn locate(text: &str, offset: usize) -> Location {
    let line = Some(line_at(text, offset));
    let Ok(doc) = DeTable::parse(text) else {
        return Location {
            line,
            ..Location::default()
        };
    };
    let mut path = Vec::new();
    match find_in_table(doc.get_ref(), offset, &mut path) {
        Some(on_key) => Location { path, on_key, line },
        None => Location {
            line,
            ..Location::default()
        },
    }
}

fn find_in_table(table: &DeTable<'_>, pos: usize, path: &mut Vec<String>) -> Option<bool> {
    for (k, v) in table.iter() {
        path.push(k.get_ref().to_string());
        if k.span().contains(&pos) {
            return Some(true);
        }
        if let Some(found) = find_in_value(v, pos, path) {
            return Some(found);
        }
        path.pop();
    }
    None
}

fn find_in_value(v: &Spanned<DeValue<'_>>, pos: usize, path: &mut Vec<String>) -> Option<bool> {
    match v.get_ref() {
        DeValue::Table(t) => {
            if let Some(found) = find_in_table(t, pos, path) {
                return Some(found);
            }
        }
        DeValue::Array(items) => {
            // Arrays of tables: report the key of the array, not an index.
            for item in items.iter() {
                if let DeValue::Table(t) = item.get_ref()
                    && let Some(found) = find_in_table(t, pos, path)
                {
                    return Some(found);
                }
            }
        }
        _ => {}
    }
    v.span().contains(&pos).then_some(false)
}

/// The line of the value (or, failing that, the key) at `path` in `text`, if the text sets it.
pub(crate) fn line_of_path(text: &str, path: &[&str]) -> Option<usize> {
    let doc = DeTable::parse(text).ok()?;
    let (last, parents) = path.split_last()?;
    let mut table = doc.get_ref();
    for p in parents {
        table = table.get(*p)?.get_ref().as_table()?;
    }
    let (key, value) = table.iter().find(|(k, _)| k.get_ref() == last)?;
    let span = if value.span().is_empty() {
        key.span()
    } else {
        value.span()
    };
    Some(line_at(text, span.start))
}

/// The line of the key at `path` (for errors about a key as a whole: a duplicate binding).
pub(crate) fn line_of_key(text: &str, path: &[&str]) -> Option<usize> {
    let doc = DeTable::parse(text).ok()?;
    let (last, parents) = path.split_last()?;
    let mut table = doc.get_ref();
    for p in parents {
        table = table.get(*p)?.get_ref().as_table()?;
    }
    let (key, _) = table.iter().find(|(k, _)| k.get_ref() == last)?;
    Some(line_at(text, key.span().start))
}

/// A TOML key path written the way a TOML header would (`profiles."my db"`).
pub(crate) fn dotted<S: AsRef<str>>(path: &[S]) -> String {
    path.iter()
        .map(|p| {
            let p = p.as_ref();
            let bare = !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if bare {
                p.to_string()
            } else {
                format!("{p:?}")
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Escape control characters so an error message cannot drive the terminal it is printed on.
pub(crate) fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() && c != '\n' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// serde's "unknown field `x`, expected one of `a`, `b`" in the words of a config file.
fn humanize(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some((name, tail)) = rest.split_once('`')
    {
        let tail = tail.trim_start_matches(',').trim().replace('`', "");
        if tail.is_empty() || tail.starts_with("there are no fields") {
            format!("unknown key \"{name}\"")
        } else {
            format!("unknown key \"{name}\" ({tail})")
        }
    } else {
        message.to_string()
    }
}

/// An `Invalid` error at a location: the key path splits into the table (shown as `[a.b]`) and the
/// key whose value is wrong (left out when the key itself is wrong; the message names it).
pub(crate) fn invalid_at(origin: &str, loc: &Location, message: &str) -> ConfigError {
    let (table, key) = match loc.path.split_last() {
        Some((last, parents)) => (parents, (!loc.on_key).then(|| dotted(&[last]))),
        None => (&loc.path[..], None),
    };
    ConfigError::Invalid {
        file: sanitize(origin),
        section: (!table.is_empty()).then(|| sanitize(&dotted(table))),
        key: key.map(|k| sanitize(&k)),
        message: sanitize(message),
        line: loc.line,
    }
}

/// A toml error against the user's own text, located and worded for the user.
pub(crate) fn toml_error(origin: &str, text: &str, err: &toml::de::Error) -> ConfigError {
    let loc = match err.span() {
        Some(span) => locate(text, span.start),
        None => Location::default(),
    };
    invalid_at(origin, &loc, &humanize(err.message()))
}

/// Parse a file into a plain table; a syntax error names file and line.
pub(crate) fn parse_table(text: &str, origin: &str) -> Result<toml::Table, ConfigError> {
    toml::from_str::<toml::Table>(text).map_err(|e| {
        let line = e.span().map(|s| line_at(text, s.start));
        ConfigError::Invalid {
            file: sanitize(origin),
            section: None,
            key: None,
            message: sanitize(&format!("invalid TOML: {}", e.message())),
            line,
        }
    })
}

/// Deserialize the user's text on its own, so errors carry the user's lines.
pub(crate) fn deserialize_user<T: DeserializeOwned>(
    text: &str,
    origin: &str,
) -> Result<T, ConfigError> {
    // A syntax error first, worded as such; then the typed pass.
    parse_table(text, origin)?;
    toml::from_str::<T>(text).map_err(|e| toml_error(origin, text, &e))
}

/// Deep-merge `over` into `base`: tables merge key by key, recursively; any other value replaces.
pub(crate) fn merge_tables(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge_tables(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// Deserialize a merged table. The user's part was validated on its own already, so a failure here
/// is a clash between default and user values, reported without a line.
pub(crate) fn from_merged<T: DeserializeOwned>(
    table: toml::Table,
    origin: &str,
) -> Result<T, ConfigError> {
    table.try_into::<T>().map_err(|e| ConfigError::Invalid {
        file: sanitize(origin),
        section: None,
        key: None,
        message: sanitize(&format!(
            "{} (after merging with the defaults)",
            humanize(e.message())
        )),
        line: None,
    })
}

// ---------------------------------------------------------------------------------------------
// Config

/// The editor's settings.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(
    deny_unknown_fields,
    default,
    expecting = "an [editor] table such as { tab_width = 4 }"
)]
pub struct EditorConfig {
    /// Columns a tab indents by (spaces are inserted). 1 to 16.
    pub tab_width: u8,
}

impl Default for EditorConfig {
    fn default() -> Self {
        EditorConfig { tab_width: 4 }
    }
}

/// How user statements run, as psql's AUTOCOMMIT and ON_ERROR_ROLLBACK. `\set AUTOCOMMIT off`
/// and `\set ON_ERROR_ROLLBACK on` in the editor change them for the session.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(
    deny_unknown_fields,
    default,
    expecting = "a [transactions] table such as { autocommit = true, on_error_rollback = false }"
)]
pub struct TransactionsConfig {
    /// false: manual commit, a statement run outside a transaction opens one (BEGIN).
    pub autocommit: bool,
    /// Inside a transaction, roll back to a savepoint taken before each run when it fails.
    pub on_error_rollback: bool,
}

impl Default for TransactionsConfig {
    fn default() -> Self {
        TransactionsConfig {
            autocommit: true,
            on_error_rollback: false,
        }
    }
}

impl TransactionsConfig {
    /// As the worker's mode.
    pub fn mode(&self) -> crate::model::txn::TxMode {
        crate::model::txn::TxMode {
            autocommit: self.autocommit,
            on_error_rollback: self.on_error_rollback,
        }
    }
}

/// The results grid's settings.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(
    deny_unknown_fields,
    default,
    expecting = "a [results] table such as { row_cap = 1000000 }"
)]
pub struct ResultsConfig {
    /// Rows read before pgdeck stops reading, cancels the statement and says so. At least 1.
    pub row_cap: u64,
}

impl Default for ResultsConfig {
    fn default() -> Self {
        ResultsConfig { row_cap: 1_000_000 }
    }
}

/// The monitor connection's settings (catalog, activity, health).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(
    deny_unknown_fields,
    default,
    expecting = "a [monitor] table such as { refresh_ms = 2000 }"
)]
pub struct MonitorConfig {
    /// Activity refresh interval in milliseconds.
    pub refresh_ms: u64,
    /// `statement_timeout` of the monitor connection, in milliseconds.
    pub statement_timeout_ms: u64,
    /// `lock_timeout` of the monitor connection, in milliseconds.
    pub lock_timeout_ms: u64,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        MonitorConfig {
            refresh_ms: 2000,
            statement_timeout_ms: 5000,
            lock_timeout_ms: 100,
        }
    }
}

/// Which actions ask before they happen.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(
    deny_unknown_fields,
    default,
    expecting = "a [confirm] table such as { quit_with_open_transaction = true }"
)]
pub struct ConfirmConfig {
    /// Ask before quitting with a transaction open or a statement running.
    pub quit_with_open_transaction: bool,
}

impl Default for ConfirmConfig {
    fn default() -> Self {
        ConfirmConfig {
            quit_with_open_transaction: true,
        }
    }
}

/// A named connection profile. Never holds a password: those live in `~/.pgpass` or `PGPASSWORD`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    /// A connection URI or key=value string, as psql takes.
    pub conninfo: Option<String>,
    /// libpq keywords given one per key (`host`, `port`, `sslmode`...), applied over `conninfo`.
    pub params: BTreeMap<String, String>,
    /// Open the session read-only.
    pub read_only: bool,
    /// Safe mode: confirm destructive statements.
    pub production: bool,
    /// Status-bar accent colour for this profile (a theme colour: name, 0-255 or #rrggbb).
    pub color: Option<String>,
    /// The server's hardware, over config.toml's `[hardware]` (the settings recommendations).
    pub hardware: Option<crate::model::tune::HardwareSpec>,
}

/// The libpq connection keywords ("Parameter Key Words" in the libpq docs, PostgreSQL 18) a
/// profile may set, minus `password`. The deprecated `requiressl` is gone from libpq and left out.
pub const LIBPQ_KEYWORDS: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "passfile",
    "require_auth",
    "channel_binding",
    "connect_timeout",
    "client_encoding",
    "options",
    "application_name",
    "fallback_application_name",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "replication",
    "gssencmode",
    "sslmode",
    "sslnegotiation",
    "sslcompression",
    "sslcert",
    "sslkey",
    "sslkeylogfile",
    "sslpassword",
    "sslcertmode",
    "sslrootcert",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "requirepeer",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "min_protocol_version",
    "max_protocol_version",
    "krbsrvname",
    "gsslib",
    "gssdelegation",
    "scram_client_key",
    "scram_server_key",
    "service",
    "target_session_attrs",
    "load_balance_hosts",
    "oauth_issuer",
    "oauth_client_id",
    "oauth_client_secret",
    "oauth_scope",
];

/// pgdeck's own profile keys, besides the libpq keywords.
const PROFILE_KEYS: &[&str] = &["conninfo", "read_only", "production", "color", "hardware"];

const PASSWORD_HINT: &str = "passwords do not belong in config.toml; put them in ~/.pgpass or the \
                             PGPASSWORD environment variable";

/// True when a connection string carries a password: `user:secret@` or `?password=` in a URI, or a
/// `password=` keyword in key=value form. Textual on purpose (no dependency on the conn parser);
/// it errs on the side of refusing, e.g. `options='-c password=x'` is refused too.
pub fn conninfo_has_password(conninfo: &str) -> bool {
    let lower = conninfo.trim_start().to_ascii_lowercase();
    let uri = lower
        .strip_prefix("postgresql://")
        .or_else(|| lower.strip_prefix("postgres://"));
    if let Some(rest) = uri {
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..end];
        if let Some(at) = authority.rfind('@')
            && let Some((_, pw)) = authority[..at].split_once(':')
            && !pw.is_empty()
        {
            return true;
        }
        if let Some(q) = rest.find('?') {
            let query = &rest[q + 1..];
            let query = query.split('#').next().unwrap_or_default();
            return query
                .split('&')
                .any(|pair| pair.split('=').next().unwrap_or_default().trim() == "password");
        }
        return false;
    }
    // key=value: `password` at the start or after whitespace, then optional spaces and `=`.
    let bytes = lower.as_bytes();
    let mut from = 0;
    while let Some(i) = lower[from..].find("password").map(|i| i + from) {
        let starts_word = i == 0 || bytes[i - 1].is_ascii_whitespace();
        let after = lower[i + "password".len()..].trim_start();
        if starts_word && after.starts_with('=') {
            return true;
        }
        from = i + "password".len();
    }
    false
}

/// A profile key, rejected at the key (so the error points at it) when it is not allowed.
enum ProfileKey {
    Conninfo,
    ReadOnly,
    Production,
    Color,
    Hardware,
    Param(String),
}

impl<'de> Deserialize<'de> for ProfileKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let k = String::deserialize(d)?;
        match k.as_str() {
            "conninfo" => Ok(ProfileKey::Conninfo),
            "read_only" => Ok(ProfileKey::ReadOnly),
            "production" => Ok(ProfileKey::Production),
            "color" => Ok(ProfileKey::Color),
            "hardware" => Ok(ProfileKey::Hardware),
            "password" => Err(de::Error::custom(PASSWORD_HINT)),
            p if LIBPQ_KEYWORDS.contains(&p) => Ok(ProfileKey::Param(k)),
            _ => Err(de::Error::custom(format!(
                "unknown key \"{k}\" in a profile (expected {} or a libpq keyword such as host, \
                 port, user, dbname, sslmode, service)",
                PROFILE_KEYS.join(", ")
            ))),
        }
    }
}

/// A libpq parameter value: TOML strings and integers (`port = 5432`) are both accepted.
struct ParamValue(String);

impl<'de> Deserialize<'de> for ParamValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ParamValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or an integer")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ParamValue, E> {
                Ok(ParamValue(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ParamValue, E> {
                Ok(ParamValue(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ParamValue, E> {
                Ok(ParamValue(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A colour name checked against the theme colour syntax.
struct ColorName(String);

impl<'de> Deserialize<'de> for ColorName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        crate::theme::parse_color(&s).map_err(de::Error::custom)?;
        Ok(ColorName(s))
    }
}

/// A conninfo string, refused when it carries a password.
struct Conninfo(String);

impl<'de> Deserialize<'de> for Conninfo {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if conninfo_has_password(&s) {
            return Err(de::Error::custom(format!(
                "the connection string contains a password; {PASSWORD_HINT}"
            )));
        }
        Ok(Conninfo(s))
    }
}

impl<'de> Deserialize<'de> for Profile {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Profile;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a profile table (conninfo, libpq keywords, read_only, production, color, hardware)",
                )
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Profile, A::Error> {
                let mut p = Profile::default();
                while let Some(key) = map.next_key::<ProfileKey>()? {
                    match key {
                        ProfileKey::Conninfo => p.conninfo = Some(map.next_value::<Conninfo>()?.0),
                        ProfileKey::ReadOnly => p.read_only = map.next_value()?,
                        ProfileKey::Production => p.production = map.next_value()?,
                        ProfileKey::Color => p.color = Some(map.next_value::<ColorName>()?.0),
                        ProfileKey::Hardware => p.hardware = Some(map.next_value()?),
                        ProfileKey::Param(k) => {
                            let v = map.next_value::<ParamValue>()?;
                            p.params.insert(k, v.0);
                        }
                    }
                }
                Ok(p)
            }
        }
        d.deserialize_map(V)
    }
}

/// pgdeck's settings: `assets/config.default.toml` with the user's `config.toml` merged over it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "a table of settings")]
pub struct Config {
    /// Theme name: shipped (`dark`, `light`, `ansi16`) or a file in `<config dir>/themes/`.
    pub theme: String,
    /// Query editor.
    pub editor: EditorConfig,
    /// Results grid.
    pub results: ResultsConfig,
    /// Autocommit and on-error rollback.
    pub transactions: TransactionsConfig,
    /// Monitor connection and activity refresh.
    pub monitor: MonitorConfig,
    /// Confirmations.
    pub confirm: ConfirmConfig,
    /// Health report thresholds and exclusions.
    pub health: crate::model::health::HealthConfig,
    /// The database server's hardware, for the settings recommendations (a profile's `hardware`
    /// table overrides it, the command line both).
    pub hardware: crate::model::tune::HardwareSpec,
    /// Named connection profiles.
    pub profiles: BTreeMap<String, Profile>,
}

/// The documented defaults. `assets/config.default.toml` says the same (a test holds them equal);
/// serde needs these for keys a user's file leaves out when it is checked on its own.
impl Default for Config {
    fn default() -> Self {
        Config {
            theme: "dark".to_string(),
            editor: EditorConfig::default(),
            results: ResultsConfig::default(),
            transactions: TransactionsConfig::default(),
            monitor: MonitorConfig::default(),
            confirm: ConfirmConfig::default(),
            health: crate::model::health::HealthConfig::default(),
            hardware: crate::model::tune::HardwareSpec::default(),
            profiles: BTreeMap::new(),
        }
    }
}

impl Config {
    /// The defaults merged with `<config_dir>/config.toml` when that file exists. `None` (no config
    /// dir) gives the defaults. A theme named in the file must exist (shipped or user).
    pub fn load(config_dir: Option<&Path>) -> Result<Config, ConfigError> {
        let Some(dir) = config_dir else {
            return Config::from_toml_str("", DEFAULT_ORIGIN);
        };
        let path = dir.join("config.toml");
        let Some(text) = read_optional(&path)? else {
            return Config::from_toml_str("", DEFAULT_ORIGIN);
        };
        let origin = path.display().to_string();
        let config = Config::from_toml_str(&text, &origin)?;
        let names = crate::theme::Theme::names_in(Some(dir));
        if !names.contains(&config.theme) {
            return Err(ConfigError::Invalid {
                file: sanitize(&origin),
                section: None,
                key: Some("theme".into()),
                message: sanitize(&format!(
                    "unknown theme \"{}\" (available: {})",
                    config.theme,
                    names.join(", ")
                )),
                line: line_of_path(&text, &["theme"]),
            });
        }
        Ok(config)
    }

    /// The defaults merged with `user` (the text of a config.toml); `origin` names it in errors.
    pub fn from_toml_str(user: &str, origin: &str) -> Result<Config, ConfigError> {
        // Passwords first: their message is more useful than "unknown key".
        check_passwords(user, origin)?;
        deserialize_user::<Config>(user, origin)?;
        let mut merged = parse_table(DEFAULT_CONFIG, DEFAULT_ORIGIN)?;
        merge_tables(&mut merged, parse_table(user, origin)?);
        let config: Config = from_merged(merged, origin)?;
        config.validate(user, origin)?;
        Ok(config)
    }

    /// Range checks serde cannot express.
    fn validate(&self, user: &str, origin: &str) -> Result<(), ConfigError> {
        let bad = |path: &[&str], message: String| ConfigError::Invalid {
            file: sanitize(origin),
            section: (path.len() > 1).then(|| dotted(&path[..path.len() - 1])),
            key: path.last().map(|k| k.to_string()),
            message: sanitize(&message),
            line: line_of_path(user, path),
        };
        if !crate::theme::is_plain_name(&self.theme) {
            return Err(bad(
                &["theme"],
                format!(
                    "\"{}\" is not a theme name (a file name without .toml, no slashes)",
                    self.theme
                ),
            ));
        }
        if !(1..=16).contains(&self.editor.tab_width) {
            return Err(bad(
                &["editor", "tab_width"],
                format!("{} is out of range (1 to 16)", self.editor.tab_width),
            ));
        }
        if self.results.row_cap == 0 {
            return Err(bad(
                &["results", "row_cap"],
                "must be at least 1".to_string(),
            ));
        }
        for check in &self.health.skip_checks {
            if crate::model::health::check(check).is_none() {
                return Err(bad(
                    &["health", "skip_checks"],
                    format!("unknown check \"{check}\""),
                ));
            }
        }
        if self.monitor.refresh_ms < 100 {
            return Err(bad(
                &["monitor", "refresh_ms"],
                format!("{} is too short (at least 100)", self.monitor.refresh_ms),
            ));
        }
        Ok(())
    }
}

/// Refuse a `password` key, or a password inside `conninfo`, in any profile of the user's text.
fn check_passwords(text: &str, origin: &str) -> Result<(), ConfigError> {
    // Syntax errors are reported by the typed pass with a better message.
    let Ok(doc) = DeTable::parse(text) else {
        return Ok(());
    };
    let Some(profiles) = doc
        .get_ref()
        .get("profiles")
        .and_then(|p| p.get_ref().as_table())
    else {
        return Ok(());
    };
    for (name, profile) in profiles.iter() {
        let Some(profile) = profile.get_ref().as_table() else {
            continue;
        };
        for (k, v) in profile.iter() {
            let what = match (k.get_ref().as_ref(), v.get_ref().as_str()) {
                ("password", _) => "password",
                ("conninfo", Some(ci)) if conninfo_has_password(ci) => {
                    "the conninfo contains a password"
                }
                _ => continue,
            };
            return Err(ConfigError::Password {
                file: sanitize(origin),
                profile: sanitize(&dotted(&[name.get_ref().as_ref() as &str])),
                what,
                line: Some(line_at(text, k.span().start)),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hardware_in_its_table_and_in_profiles() {
        use crate::model::tune::{Storage, Workload};
        let c = Config::from_toml_str(
            "[hardware]\nram = \"16GB\"\ncpus = 8\nstorage = \"network\"\nworkload = \"OLTP\"\n\n\
             [profiles.big]\nhost = \"db\"\nhardware = { ram = \"1TB\", workload = \"dw\" }\n",
            "config.toml",
        )
        .expect("valid hardware");
        assert_eq!(c.hardware.ram, Some(16 << 30));
        assert_eq!(c.hardware.cpus, Some(8));
        assert_eq!(c.hardware.storage, Some(Storage::San));
        assert_eq!(c.hardware.workload, Some(Workload::Oltp));
        let big = c.profiles["big"].hardware.expect("profile hardware");
        assert_eq!(big.ram, Some(1 << 40));
        let merged = c.hardware.over(big);
        assert_eq!(merged.ram, Some(1 << 40));
        assert_eq!(merged.cpus, Some(8));
        assert_eq!(merged.workload, Some(Workload::Dw));
        for (text, says) in [
            (
                "[hardware]\nram = \"16XB\"\n",
                "config.toml: [hardware] ram: `16XB`: unknown unit",
            ),
            ("[hardware]\nram = 16\n", "[hardware] ram: 16 has no unit"),
            (
                "[hardware]\nstorage = \"tape\"\n",
                "[hardware] storage: unknown storage `tape`",
            ),
            (
                "[hardware]\nrma = \"1GB\"\n",
                "[hardware] unknown key \"rma\"",
            ),
            (
                "[profiles.x]\nhardware = { cpu = 2 }\n",
                "[profiles.x.hardware] unknown key \"cpu\"",
            ),
        ] {
            let e = Config::from_toml_str(text, "config.toml").expect_err(text);
            let s = e.to_string();
            assert!(s.contains(says), "{text}: {s}");
            assert!(s.contains("(line "), "{s}");
        }
    }

    #[test]
    fn shipped_default_config_parses_and_matches_the_documented_defaults() {
        let table = parse_table(DEFAULT_CONFIG, DEFAULT_ORIGIN).expect("default parses as TOML");
        let from_file: Config = from_merged(table, DEFAULT_ORIGIN).expect("default deserializes");
        assert_eq!(from_file, Config::default());
        let c = Config::from_toml_str("", "config.toml").expect("defaults");
        assert_eq!(c.theme, "dark");
        assert_eq!(c.editor.tab_width, 4);
        assert_eq!(c.results.row_cap, 1_000_000);
        assert_eq!(c.monitor.refresh_ms, 2000);
        assert_eq!(c.monitor.statement_timeout_ms, 5000);
        assert_eq!(c.monitor.lock_timeout_ms, 100);
        assert!(c.confirm.quit_with_open_transaction);
        assert!(c.profiles.is_empty());
        assert_eq!(c.health.unused_index_scans, 50);
    }

    #[test]
    fn health_thresholds_merge_and_typos_are_errors() {
        let c = Config::from_toml_str(
            "[health]\nbloat_pct = 40.0\nexclude_schemas = [\"audit\"]\n",
            "/h/config.toml",
        )
        .expect("valid");
        assert_eq!(c.health.bloat_pct, 40.0);
        assert_eq!(c.health.exclude_schemas, ["audit"]);
        assert_eq!(c.health.dead_tuples_min, 10_000);
        let e = Config::from_toml_str("[health]\nbloat = 1\n", "/h/config.toml").expect_err("typo");
        assert!(e.to_string().contains("bloat"), "{e}");
        let e = Config::from_toml_str("[health]\nskip_checks = [\"nope\"]\n", "/h/config.toml")
            .expect_err("unknown check");
        assert!(e.to_string().contains("nope"), "{e}");
    }

    #[test]
    fn user_values_merge_over_the_defaults() {
        let c = Config::from_toml_str(
            "theme = \"light\"\n[monitor]\nrefresh_ms = 500\n",
            "config.toml",
        )
        .expect("valid");
        assert_eq!(c.theme, "light");
        assert_eq!(c.monitor.refresh_ms, 500);
        // the rest of [monitor] still comes from the defaults
        assert_eq!(c.monitor.statement_timeout_ms, 5000);
        assert_eq!(c.editor.tab_width, 4);
    }

    #[test]
    fn unknown_key_names_file_table_key_and_line() {
        let e =
            Config::from_toml_str("[monitor]\nrefresh = 1\n", "/h/config.toml").expect_err("typo");
        let s = e.to_string();
        assert!(
            s.starts_with("/h/config.toml: [monitor] unknown key \"refresh\""),
            "{s}"
        );
        assert!(s.contains("refresh_ms"), "lists the known keys: {s}");
        assert!(s.ends_with("(line 2)"), "{s}");

        let e = Config::from_toml_str("\n\ntheem = \"dark\"\n", "config.toml").expect_err("typo");
        assert!(e.to_string().contains("unknown key \"theem\""), "{e}");
        assert!(e.to_string().contains("(line 3)"), "{e}");

        let e = Config::from_toml_str("[edtor]\n", "config.toml").expect_err("typo");
        assert!(e.to_string().contains("unknown key \"edtor\""), "{e}");
    }

    #[test]
    fn wrong_types_and_ranges_name_the_key() {
        let e = Config::from_toml_str("[editor]\ntab_width = \"four\"\n", "config.toml")
            .expect_err("type");
        let s = e.to_string();
        assert!(
            s.starts_with("config.toml: [editor] tab_width: invalid type"),
            "{s}"
        );
        assert!(s.ends_with("(line 2)"), "{s}");

        let e =
            Config::from_toml_str("[editor]\ntab_width = 0\n", "config.toml").expect_err("range");
        assert_eq!(
            e.to_string(),
            "config.toml: [editor] tab_width: 0 is out of range (1 to 16) (line 2)"
        );
        let e = Config::from_toml_str("theme = \"../x\"\n", "config.toml").expect_err("path");
        assert!(e.to_string().contains("theme:"), "{e}");
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let e =
            Config::from_toml_str("[editor\ntab_width = 2\n", "config.toml").expect_err("syntax");
        let s = e.to_string();
        assert!(s.starts_with("config.toml: invalid TOML"), "{s}");
        assert!(s.contains("(line 1)"), "{s}");
    }

    #[test]
    fn profiles_take_conninfo_libpq_keywords_and_pgdeck_keys() {
        let c = Config::from_toml_str(
            r#"
[profiles.prod]
conninfo = "postgres://app@db.example.com/app?sslmode=verify-full"
production = true
color = "red"

[profiles.report]
host = "db2"
port = 5433
user = "report"
sslmode = "require"
read_only = true
"#,
            "config.toml",
        )
        .expect("valid profiles");
        let prod = &c.profiles["prod"];
        assert!(prod.production && !prod.read_only);
        assert_eq!(prod.color.as_deref(), Some("red"));
        assert!(
            prod.conninfo
                .as_deref()
                .is_some_and(|s| s.contains("db.example.com"))
        );
        let report = &c.profiles["report"];
        assert!(report.read_only);
        assert_eq!(report.params["port"], "5433");
        assert_eq!(report.params["host"], "db2");
        assert_eq!(report.params.len(), 4);
    }

    #[test]
    fn unknown_profile_key_and_bad_colour_are_errors() {
        let e =
            Config::from_toml_str("[profiles.x]\nhots = \"a\"\n", "config.toml").expect_err("typo");
        let s = e.to_string();
        assert!(
            s.starts_with("config.toml: [profiles.x] unknown key \"hots\""),
            "{s}"
        );
        assert!(s.ends_with("(line 2)"), "{s}");
        let e = Config::from_toml_str("[profiles.x]\ncolor = \"bleu\"\n", "config.toml")
            .expect_err("colour");
        assert!(
            e.to_string().contains("[profiles.x] color: unknown colour"),
            "{e}"
        );
    }

    #[test]
    fn a_password_key_in_a_profile_is_refused_with_the_reason() {
        let e = Config::from_toml_str(
            "[profiles.prod]\nhost = \"db\"\npassword = \"hunter2\"\n",
            "/home/u/.config/pgdeck/config.toml",
        )
        .expect_err("password");
        assert!(matches!(e, ConfigError::Password { .. }), "{e:?}");
        let s = e.to_string();
        assert_eq!(
            s,
            "/home/u/.config/pgdeck/config.toml: [profiles.prod] password: passwords do not \
             belong in config.toml; put them in ~/.pgpass or the PGPASSWORD environment variable \
             (line 3)"
        );
        assert!(!s.contains("hunter2"));
    }

    #[test]
    fn a_password_inside_a_conninfo_is_refused() {
        for ci in [
            "postgres://app:s3cret@db/app",
            "postgresql://app:s3cret@db1,db2/app?sslmode=require",
            "postgres://app@db/app?sslmode=require&password=s3cret",
            "host=db user=app password=s3cret",
            "host=db password = 's3cret'",
            "PASSWORD=x",
        ] {
            let text = format!("[profiles.p]\nconninfo = {ci:?}\n");
            let e = Config::from_toml_str(&text, "config.toml").expect_err(ci);
            let s = e.to_string();
            assert!(
                s.contains("[profiles.p]") && s.contains("~/.pgpass"),
                "{ci}: {s}"
            );
            assert!(s.contains("(line 2)"), "{s}");
            assert!(!s.contains("s3cret"), "{s}");
        }
        for ok in [
            "postgres://app@db/app",
            "postgres://db:5432/app",
            "postgres://app@[::1]:5432/app",
            "host=db user=app sslpassword=keypass",
            "host=db passfile=/x/pgpass",
            "service=prod",
        ] {
            assert!(!conninfo_has_password(ok), "{ok}");
        }
    }

    #[test]
    fn passwords_are_refused_however_the_profile_is_written() {
        for text in [
            "profiles.prod.password = \"x\"\n",
            "profiles = { prod = { host = \"db\", password = \"x\" } }\n",
            "[profiles]\nprod = { password = \"x\" }\n",
            "[profiles.prod]\nconninfo = 'postgres://u:x@db/app'\n",
        ] {
            let e = Config::from_toml_str(text, "/c/config.toml").expect_err(text);
            assert!(matches!(e, ConfigError::Password { .. }), "{text}: {e:?}");
            let s = e.to_string();
            assert!(
                s.starts_with("/c/config.toml: [profiles.prod] ") && s.contains("~/.pgpass"),
                "{text}: {s}"
            );
        }
    }

    #[test]
    fn the_merged_path_refuses_passwords_too() {
        // Even without the spanned pre-check, the Profile deserializer refuses them.
        let t: Result<Profile, _> = toml::from_str("password = \"x\"\n");
        assert!(t.is_err());
        let t: Result<Profile, _> = toml::from_str("conninfo = \"postgres://a:b@h/d\"\n");
        assert!(t.is_err());
    }

    #[test]
    fn load_reads_the_dir_and_checks_the_theme_name() {
        let dir = std::env::temp_dir().join(format!("pgdeck-config-test-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("themes")).expect("mkdir");
        // No file: defaults.
        let c = Config::load(Some(&dir)).expect("defaults");
        assert_eq!(c, Config::default());
        std::fs::write(dir.join("config.toml"), "\u{feff}[editor]\ntab_width = 2\n").expect("bom");
        assert_eq!(
            Config::load(Some(&dir))
                .expect("a BOM is skipped")
                .editor
                .tab_width,
            2
        );
        std::fs::write(dir.join("config.toml"), "theme = \"mine\"\n").expect("write");
        let e = Config::load(Some(&dir)).expect_err("no such theme");
        let s = e.to_string();
        assert!(
            s.contains("config.toml: theme: unknown theme \"mine\""),
            "{s}"
        );
        assert!(s.contains("(line 1)"), "{s}");
        std::fs::write(dir.join("themes/mine.toml"), "base = \"light\"\n").expect("write");
        assert_eq!(
            Config::load(Some(&dir)).expect("theme exists").theme,
            "mine"
        );
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(Config::load(None).expect("no dir"), Config::default());
    }

    #[test]
    fn locate_finds_keys_in_tables_inline_tables_and_dotted_keys() {
        let text = "a = 1\n[b]\nc = { d = 2, e = \"x\" }\nf.g = 3\n";
        let pos = text.find("e =").expect("e");
        let loc = locate(text, pos);
        assert_eq!(loc.path, ["b", "c", "e"]);
        assert!(loc.on_key);
        assert_eq!(loc.line, Some(3));
        let pos = text.find("\"x\"").expect("x");
        let loc = locate(text, pos);
        assert_eq!(loc.path, ["b", "c", "e"]);
        assert!(!loc.on_key);
        let pos = text.find("g =").expect("g");
        assert_eq!(locate(text, pos).path, ["b", "f", "g"]);
        assert_eq!(line_of_path(text, &["b", "f", "g"]), Some(4));
        assert_eq!(dotted(&["profiles", "my db"]), "profiles.\"my db\"");
    }

    #[test]
    fn merge_is_deep_for_tables_and_replaces_everything_else() {
        let mut base: toml::Table =
            toml::from_str("a = [1, 2]\n[t]\nx = 1\ny = 2\n[t.u]\nz = 3\n").expect("base");
        let over: toml::Table = toml::from_str("a = []\n[t]\ny = 5\n[t.u]\nw = 4\n").expect("over");
        merge_tables(&mut base, over);
        let want: toml::Table =
            toml::from_str("a = []\n[t]\nx = 1\ny = 5\n[t.u]\nz = 3\nw = 4\n").expect("want");
        assert_eq!(base, want);
    }

    #[test]
    fn control_characters_in_keys_are_escaped_in_messages() {
        let e = Config::from_toml_str("\"\\u001b[2J\" = 1\n", "config.toml").expect_err("key");
        assert!(!e.to_string().contains('\u{1b}'), "{e}");
    }

    mod prop {
        use super::super::*;
        use proptest::prelude::*;

        fn key() -> impl Strategy<Value = String> {
            prop_oneof![
                Just("theme".to_string()),
                Just("editor".to_string()),
                Just("tab_width".to_string()),
                Just("results".to_string()),
                Just("row_cap".to_string()),
                Just("monitor".to_string()),
                Just("refresh_ms".to_string()),
                Just("confirm".to_string()),
                Just("profiles".to_string()),
                Just("conninfo".to_string()),
                Just("password".to_string()),
                Just("host".to_string()),
                Just("color".to_string()),
                Just("read_only".to_string()),
                "\\PC{0,8}",
            ]
        }

        fn value() -> impl Strategy<Value = toml::Value> {
            let leaf = prop_oneof![
                any::<i64>().prop_map(toml::Value::Integer),
                any::<bool>().prop_map(toml::Value::Boolean),
                any::<f64>().prop_map(toml::Value::Float),
                prop_oneof![
                    Just("postgres://a:b@h/d".to_string()),
                    Just("red".to_string()),
                    Just("dark".to_string()),
                    "\\PC{0,12}",
                ]
                .prop_map(toml::Value::String),
            ];
            leaf.prop_recursive(3, 24, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(toml::Value::Array),
                    prop::collection::btree_map(key(), inner, 0..4)
                        .prop_map(|m| toml::Value::Table(m.into_iter().collect())),
                ]
            })
        }

        proptest! {
            #[test]
            fn from_toml_str_never_panics_on_arbitrary_text(s in "\\PC{0,200}") {
                let _ = Config::from_toml_str(&s, "config.toml");
            }

            #[test]
            fn from_toml_str_never_panics_on_arbitrary_toml(
                m in prop::collection::btree_map(key(), value(), 0..6)
            ) {
                let table: toml::Table = m.into_iter().collect();
                if let Ok(text) = toml::to_string(&table) {
                    let _ = Config::from_toml_str(&text, "config.toml");
                }
            }

            #[test]
            fn conninfo_check_never_panics(s in "\\PC{0,80}") {
                let _ = conninfo_has_password(&s);
            }
        }
    }
}
