//! Server parameters: a `pg_settings` row in human form (sizes and durations from their units, where
//! the value comes from), how a change applies (reload or restart), the `ALTER SYSTEM` statement that
//! makes it, and the `setting` findings of the health report: risks that hold on any hardware, and
//! values far from what [`tune::targets`] gives for the stated hardware. Pure: `db::settings` reads
//! the rows, `crate::hardware` finds the hardware.

use std::fmt;

use super::health::{Finding, Severity, Value};
use super::ident::quote_ident;
use super::tune::{self, Hardware, Target, TargetValue, format_size};

/// One row of `pg_settings`, as this role sees it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Setting {
    pub name: String,
    /// The current value in `unit`s (`16384` with unit `8kB`).
    pub setting: String,
    pub unit: Option<String>,
    /// bool, integer, real, string, enum.
    pub vartype: String,
    /// postmaster, sighup, superuser, user, backend, superuser-backend, internal.
    pub context: String,
    /// default, configuration file, command line, database, user, database user, client, session,
    /// environment variable, override.
    pub source: String,
    /// Hidden (NULL) unless the role is a superuser or has pg_read_all_settings.
    pub sourcefile: Option<String>,
    pub sourceline: Option<i32>,
    pub boot_val: Option<String>,
    pub reset_val: Option<String>,
    pub pending_restart: bool,
    pub short_desc: String,
    pub category: String,
}

/// How a changed value takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Apply {
    /// `SELECT pg_reload_conf()`.
    Reload,
    /// A reload, and only sessions started afterwards see it.
    ReloadNewSessions,
    /// A server restart.
    Restart,
    /// Fixed at build or initdb time.
    Fixed,
}

impl Apply {
    pub fn name(self) -> &'static str {
        match self {
            Apply::Reload => "reload",
            Apply::ReloadNewSessions => "reload (new sessions)",
            Apply::Restart => "restart",
            Apply::Fixed => "cannot change",
        }
    }

    /// The line after `ALTER SYSTEM` that makes it take effect.
    fn line(self) -> &'static str {
        match self {
            Apply::Reload => "SELECT pg_reload_conf();",
            Apply::ReloadNewSessions => {
                "SELECT pg_reload_conf();  -- sessions started afterwards get it"
            }
            Apply::Restart => {
                "-- takes effect after a server restart (pg_ctl restart, or systemctl restart postgresql)"
            }
            Apply::Fixed => {
                "-- fixed when the server was built or initialised: ALTER SYSTEM cannot change it"
            }
        }
    }
}

/// What a unit measures, and its size in the base unit (bytes or milliseconds).
fn unit_factor(unit: Option<&str>) -> Option<(bool, f64)> {
    Some(match unit? {
        "B" => (true, 1.0),
        "kB" => (true, 1024.0),
        "8kB" => (true, 8192.0),
        "16kB" => (true, 16384.0),
        "32kB" => (true, 32768.0),
        "MB" => (true, 1024.0 * 1024.0),
        "GB" => (true, 1024.0 * 1024.0 * 1024.0),
        "ms" => (false, 1.0),
        "s" => (false, 1000.0),
        "min" => (false, 60_000.0),
        "h" => (false, 3_600_000.0),
        "d" => (false, 86_400_000.0),
        _ => return None,
    })
}

/// A duration in milliseconds the way PostgreSQL prints it: the largest unit that holds it exactly.
pub fn format_ms(ms: i64) -> String {
    if ms == 0 {
        return "0".into();
    }
    for (unit, m) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("min", 60_000),
        ("s", 1000),
    ] {
        if ms % m == 0 {
            return format!("{}{unit}", ms / m);
        }
    }
    format!("{ms}ms")
}

/// A value for an SQL string literal.
fn literal(v: &str) -> String {
    format!("'{}'", v.replace('\'', "''"))
}

/// A parameter name for `SET`: bare where it is a plain (case-insensitive) identifier, each dotted
/// part quoted otherwise.
pub fn guc_name(name: &str) -> String {
    name.split('.')
        .map(|part| {
            let plain = part
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if plain {
                part.to_string()
            } else {
                quote_ident(part)
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

impl Setting {
    /// The server's value: the current one, except where this session SET its own (pgdeck's monitor
    /// connection sets statement_timeout and a few others), then the value before that.
    pub fn value(&self) -> &str {
        match (&*self.source, &self.reset_val) {
            ("session", Some(r)) => r,
            _ => &self.setting,
        }
    }

    /// Whether the value is a size (bytes) rather than a duration or a plain number.
    pub fn is_size(&self) -> bool {
        unit_factor(self.unit.as_deref()).is_some_and(|(size, _)| size)
    }

    /// The value as a number in base units: bytes for sizes, milliseconds for durations, else the
    /// plain number. Negative sentinels (-1 for "off" or "automatic") stay as they are.
    pub fn number(&self) -> Option<f64> {
        let v: f64 = self.value().trim().parse().ok()?;
        if v < 0.0 {
            return Some(v);
        }
        Some(match unit_factor(self.unit.as_deref()) {
            Some((_, f)) => v * f,
            None => v,
        })
    }

    /// The value for people: `128MB` rather than `16384` 8kB pages, `1min` rather than `60` s.
    pub fn human(&self) -> String {
        let v = self.value();
        match (self.number(), unit_factor(self.unit.as_deref())) {
            (Some(n), Some(_)) if n < 0.0 => v.to_string(),
            (Some(0.0), Some((true, _))) => "0".into(),
            (Some(n), Some((true, _))) => format_size(n as u64),
            (Some(n), Some((false, _))) => format_ms(n as i64),
            _ if v.is_empty() => "''".into(),
            _ => v.to_string(),
        }
    }

    /// Changed from the built-in default (values the server or initdb set count as defaults).
    pub fn changed(&self) -> bool {
        if matches!(&*self.source, "default" | "override") {
            return false;
        }
        let boot = self.boot_val.as_deref().unwrap_or("");
        match (self.value().parse::<f64>(), boot.parse::<f64>()) {
            (Ok(a), Ok(b)) => a != b,
            _ => !self.value().eq_ignore_ascii_case(boot),
        }
    }

    /// How a change takes effect, from `context`.
    pub fn apply(&self) -> Apply {
        match &*self.context {
            "postmaster" => Apply::Restart,
            "backend" | "superuser-backend" => Apply::ReloadNewSessions,
            "internal" => Apply::Fixed,
            _ => Apply::Reload,
        }
    }

    /// Where the value comes from, in words: `default`, `/etc/postgresql/postgresql.conf:127`,
    /// `ALTER SYSTEM (postgresql.auto.conf)`, `ALTER ROLE`...
    pub fn origin(&self) -> String {
        let at = |f: &str| match self.sourceline {
            Some(l) => format!("{f}:{l}"),
            None => f.to_string(),
        };
        match (&*self.source, &self.sourcefile) {
            ("configuration file", Some(f)) if f.ends_with("postgresql.auto.conf") => {
                "ALTER SYSTEM (postgresql.auto.conf)".into()
            }
            ("configuration file", Some(f)) => at(f),
            ("configuration file", None) => {
                "a configuration file (which one is hidden from this role)".into()
            }
            ("command line", _) => "the server's command line (-c)".into(),
            ("database", _) => "ALTER DATABASE (this database)".into(),
            ("user", _) => "ALTER ROLE (this role)".into(),
            ("database user", _) => "ALTER ROLE ... IN DATABASE (this role here)".into(),
            ("client", _) => "the connection's options (PGOPTIONS)".into(),
            ("session", _) => "the server's value (pgdeck's monitor session overrides it)".into(),
            ("override", _) => "set by the server itself".into(),
            (s, _) => s.to_string(),
        }
    }

    /// The statements that give this parameter `value` server-wide, or where it is set (a database
    /// or role setting wins over ALTER SYSTEM, so that is what to change then), with the line that
    /// makes it take effect.
    pub fn fix(&self, value: &str, facts: &SettingsFacts) -> String {
        let name = guc_name(&self.name);
        let v = literal(value);
        match &*self.source {
            "database" => format!(
                "-- set for this database, which wins over the server-wide value\nALTER DATABASE {} SET {name} = {v};\n-- sessions started afterwards get it",
                quote_ident(&facts.database)
            ),
            "user" => format!(
                "-- set for this role, which wins over the server-wide value\nALTER ROLE {} SET {name} = {v};\n-- sessions started afterwards get it",
                quote_ident(&facts.user)
            ),
            "database user" => format!(
                "-- set for this role in this database, which wins over the server-wide value\nALTER ROLE {} IN DATABASE {} SET {name} = {v};\n-- sessions started afterwards get it",
                quote_ident(&facts.user),
                quote_ident(&facts.database)
            ),
            source => {
                let mut s = String::new();
                if source == "command line" {
                    s.push_str(&format!(
                        "-- {} is given on the server's command line (-c {}={}), which ALTER SYSTEM does not override: remove it there too\n",
                        self.name,
                        self.name,
                        self.value()
                    ));
                }
                s.push_str(&format!("ALTER SYSTEM SET {name} = {v};\n"));
                s.push_str(self.apply().line());
                s
            }
        }
    }
}

/// Facts besides pg_settings that the `setting` findings use.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SettingsFacts {
    pub database: String,
    pub user: String,
    /// Client backends connected now (of those this role can see).
    pub client_connections: i64,
    /// Sessions idle in a transaction for longer than [`IDLE_IN_TX_SUGGESTED_MS`].
    pub idle_in_tx_long: i64,
    /// Seconds the oldest of them has been idle in its transaction.
    pub idle_in_tx_oldest_s: Option<f64>,
}

/// The idle_in_transaction_session_timeout pgdeck suggests: long enough for a person at a prompt,
/// short enough that a forgotten transaction does not hold locks and stop vacuum for hours.
pub const IDLE_IN_TX_SUGGESTED: &str = "10min";
pub const IDLE_IN_TX_SUGGESTED_MS: i64 = 600_000;

/// RAM per connection below which max_connections counts as high with no pooler in front.
pub const RAM_PER_CONNECTION: u64 = 32 * 1024 * 1024;

/// max_connections above this is "high" for `ram_bytes`: one connection per 32 MB of RAM, and
/// never below the default of 100.
pub fn max_connections_limit(ram_bytes: u64) -> u64 {
    (ram_bytes / RAM_PER_CONNECTION).max(100)
}

/// What pgdeck knows about the hardware for the `setting` findings: the profile (stated or read
/// from this machine), what to tell the user about where it came from, and whether pgdeck itself
/// reached the server through a pooler.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TuneContext {
    pub hardware: Option<Hardware>,
    /// Where the hardware came from, or why recommendations were skipped (for the report's notes).
    pub notes: Vec<String>,
    /// pgdeck's connections reach the server through a pooler in transaction mode.
    pub pooled: bool,
}

/// The note when no hardware is known.
pub fn skipped_note() -> String {
    "hardware recommendations skipped: the server is not on this machine and no hardware was given. \
     State it with `pgdeck check --ram 16GB --cpus 8 --storage ssd --workload oltp`, or in \
     config.toml under [hardware] (or [profiles.NAME.hardware]) as ram = \"16GB\", cpus = 8, \
     storage = \"ssd\", workload = \"oltp\""
        .into()
}

/// A tuned parameter: its value now next to the target for the hardware.
#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    pub name: String,
    /// The value now, for people.
    pub current: String,
    /// The value now in base units (bytes, plain numbers).
    pub current_number: Option<f64>,
    pub target: Target,
    /// Outside 0.5x to 2x of the target.
    pub far: bool,
    pub apply: Apply,
    /// The ALTER SYSTEM statement and its reload or restart line.
    pub fix: String,
    pub source: String,
}

/// Whether `current` is far from `target`: outside 0.5x to 2x (or one of them zero or negative and
/// the other not).
pub fn far_from(current: f64, target: f64) -> bool {
    if current <= 0.0 || target <= 0.0 {
        return (current <= 0.0) != (target <= 0.0);
    }
    let r = current / target;
    !(0.5..=2.0).contains(&r)
}

/// The tuned parameters this server shows, each with its target for `hw`.
pub fn recommendations(
    settings: &[Setting],
    hw: &Hardware,
    pg_major: u32,
    facts: &SettingsFacts,
) -> Vec<Recommendation> {
    tune::targets(hw, pg_major)
        .into_iter()
        .filter_map(|t| {
            let s = settings.iter().find(|s| s.name == t.name)?;
            let current_number = s.number();
            let far = current_number.is_none_or(|c| far_from(c, t.value.number()));
            Some(Recommendation {
                name: s.name.clone(),
                current: s.human(),
                current_number,
                far,
                apply: s.apply(),
                fix: s.fix(&t.value.to_string(), facts),
                source: s.origin(),
                target: t,
            })
        })
        .collect()
}

/// A finding of check `setting` about parameter `name`.
fn finding(
    name: &str,
    severity: Severity,
    evidence: Vec<(&str, Value)>,
    message: String,
    fix: Option<String>,
) -> Finding {
    Finding {
        check: "setting".into(),
        severity,
        schema: String::new(),
        table: None,
        object: Some(name.to_string()),
        evidence: evidence
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        message,
        fix,
    }
}

fn base_evidence(s: &Setting) -> Vec<(&'static str, Value)> {
    vec![
        ("current", Value::Text(s.human())),
        ("source", Value::Text(s.origin())),
        ("applies", Value::Text(s.apply().name().into())),
    ]
}

impl fmt::Display for Apply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The risks that hold on any hardware (max_connections needs the RAM).
fn risks(settings: &[Setting], facts: &SettingsFacts, ctx: &TuneContext) -> Vec<Finding> {
    let get = |n: &str| settings.iter().find(|s| s.name == n);
    let off = |n: &str| get(n).filter(|s| s.value() == "off");
    let mut out = Vec::new();
    let critical_off: [(&str, &str); 4] = [
        (
            "fsync",
            "fsync is off: PostgreSQL does not wait for the disk to confirm its writes, so an OS crash or a power loss can leave the database corrupted beyond repair, not just missing its last transactions. Only for data you can rebuild (a test server, a bulk load you can redo)",
        ),
        (
            "full_page_writes",
            "full_page_writes is off: a page half written when the server or OS crashes (a torn page) cannot be repaired from the WAL, which means silent corruption, unless the file system guarantees atomic 8kB writes (ZFS does)",
        ),
        (
            "autovacuum",
            "autovacuum is off: dead rows pile up and tables bloat, statistics go stale, and nothing freezes old transaction ids until forced anti-wraparound vacuums start late and all at once; in the end the server stops accepting writes to protect itself",
        ),
        (
            "track_counts",
            "track_counts is off: autovacuum decides what to vacuum and analyze from these counters, so with them off it does nothing, and pg_stat_user_tables stays empty",
        ),
    ];
    for (name, message) in critical_off {
        if let Some(s) = off(name) {
            out.push(finding(
                name,
                Severity::Critical,
                base_evidence(s),
                message.to_string(),
                Some(s.fix("on", facts)),
            ));
        }
    }
    if let Some(s) = off("synchronous_commit") {
        out.push(finding(
            "synchronous_commit",
            Severity::Info,
            base_evidence(s),
            "synchronous_commit is off: a commit returns before its WAL reaches the disk, so a crash loses the last transactions the clients were told had committed (up to three times wal_writer_delay, about 0.6 s by default). It trades those for speed; it does not corrupt anything, the database stays consistent. Fine for data you can redo; else keep it on and turn it off per transaction (SET LOCAL synchronous_commit = off) where speed matters".into(),
            Some(s.fix("on", facts)),
        ));
    }
    if let (Some(s), Some(hw)) = (get("max_connections"), &ctx.hardware)
        && !ctx.pooled
        && let Some(n) = s.number()
    {
        let limit = max_connections_limit(hw.ram_bytes);
        if n > limit as f64 {
            let suggest = ((limit / 50) * 50).max(100);
            let mut ev = base_evidence(s);
            ev.push(("ram", Value::Text(format_size(hw.ram_bytes))));
            ev.push(("high_above", Value::Int(limit as i64)));
            ev.push(("connected_now", Value::Int(facts.client_connections)));
            let fix = format!(
                "-- first put a pooler in front (PgBouncer in transaction mode: a few dozen server connections serve thousands of clients), then:\n{}",
                s.fix(&suggest.to_string(), facts)
            );
            out.push(finding(
                "max_connections",
                Severity::Warning,
                ev,
                format!(
                    "max_connections is {n} for {} of RAM with no pooler in front (pgdeck reached the server directly). \"High\" here means more than one connection per 32MB of RAM ({limit}): each connection is a process that holds a few MB of its own and work_mem for every sort or hash it runs, so a burst of busy connections can exhaust the memory, and beyond a few active queries per CPU they only wait on each other. A pooler such as PgBouncer keeps the server side small; if the applications already use one, lower max_connections to what it opens",
                    format_size(hw.ram_bytes)
                ),
                Some(fix),
            ));
        }
    }
    if let Some(s) = get("idle_in_transaction_session_timeout")
        && s.number() == Some(0.0)
    {
        let long = facts.idle_in_tx_long;
        let mut ev = base_evidence(s);
        ev.push(("suggested", Value::Text(IDLE_IN_TX_SUGGESTED.into())));
        ev.push(("idle_in_transaction_over_10min", Value::Int(long)));
        if let Some(o) = facts.idle_in_tx_oldest_s {
            ev.push(("oldest_idle_in_transaction_s", Value::Num(o)));
        }
        let (severity, now) = if long > 0 {
            (
                Severity::Warning,
                format!(
                    "; right now {long} session{} {} been idle in a transaction for more than 10 minutes",
                    if long == 1 { "" } else { "s" },
                    if long == 1 { "has" } else { "have" }
                ),
            )
        } else {
            (Severity::Info, String::new())
        };
        out.push(finding(
            "idle_in_transaction_session_timeout",
            severity,
            ev,
            format!(
                "idle_in_transaction_session_timeout is 0 (no limit): a session that opens a transaction and stops (a crashed worker, a forgotten psql) keeps its locks and holds back vacuum until someone ends it{now}. {IDLE_IN_TX_SUGGESTED} ends such sessions and leaves room for people at a prompt; set it lower for applications that never pause mid-transaction"
            ),
            Some(s.fix(IDLE_IN_TX_SUGGESTED, facts)),
        ));
    }
    if let Some(s) = get("shared_preload_libraries") {
        let libs: Vec<&str> = s
            .value()
            .split(',')
            .map(|l| l.trim().trim_matches('"'))
            .filter(|l| !l.is_empty())
            .collect();
        if !libs.contains(&"pg_stat_statements") {
            let mut list = libs.clone();
            list.push("pg_stat_statements");
            let fix = format!(
                "-- the list replaces the current one ({}), so it keeps what is there\n{}\n-- then, in each database that should show the statistics:\nCREATE EXTENSION IF NOT EXISTS pg_stat_statements;",
                if libs.is_empty() {
                    "empty".to_string()
                } else {
                    libs.join(", ")
                },
                s.fix(&list.join(", "), facts)
            );
            out.push(finding(
                "shared_preload_libraries",
                Severity::Info,
                base_evidence(s),
                "pg_stat_statements is not preloaded: without it nobody can tell which queries take the server's time (the Activity view's top statements and most tuning start there). Loading it needs a restart; its cost is small".into(),
                Some(fix),
            ));
        }
    }
    out
}

/// Every `setting` finding: the risks, then, when the hardware is known, each tuned parameter far
/// from its target.
pub fn findings(
    settings: &[Setting],
    facts: &SettingsFacts,
    ctx: &TuneContext,
    pg_major: u32,
) -> Vec<Finding> {
    let mut out = risks(settings, facts, ctx);
    let Some(hw) = &ctx.hardware else {
        return out;
    };
    for r in recommendations(settings, hw, pg_major, facts) {
        if !r.far {
            continue;
        }
        let mut ev = vec![
            ("current", Value::Text(r.current.clone())),
            ("recommended", Value::Text(r.target.value.to_string())),
        ];
        if let Some(c) = r.current_number {
            ev.push(("current_value", number_value(c, r.target.value)));
        }
        ev.push((
            "recommended_value",
            number_value(r.target.value.number(), r.target.value),
        ));
        if matches!(r.target.value, TargetValue::Bytes(_)) {
            ev.push(("unit", Value::Text("bytes".into())));
        }
        ev.push(("source", Value::Text(r.source.clone())));
        ev.push(("applies", Value::Text(r.apply.name().into())));
        ev.push(("hardware", Value::Text(hw.to_string())));
        out.push(finding(
            &r.name,
            Severity::Warning,
            ev,
            format!(
                "{} is {}; for {hw} PGTune's rule gives {}: {}",
                r.name, r.current, r.target.value, r.target.why
            ),
            Some(r.fix),
        ));
    }
    out
}

fn number_value(n: f64, like: TargetValue) -> Value {
    match like {
        TargetValue::Real(_) => Value::Num(n),
        _ => Value::Int(n as i64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tune::{Storage, Workload};

    fn s(name: &str, setting: &str, unit: Option<&str>, context: &str, source: &str) -> Setting {
        Setting {
            name: name.into(),
            setting: setting.into(),
            unit: unit.map(str::to_string),
            vartype: "integer".into(),
            context: context.into(),
            source: source.into(),
            boot_val: Some(setting.into()),
            reset_val: Some(setting.into()),
            ..Default::default()
        }
    }

    fn facts() -> SettingsFacts {
        SettingsFacts {
            database: "app".into(),
            user: "me".into(),
            ..Default::default()
        }
    }

    fn hw16() -> Hardware {
        Hardware {
            ram_bytes: 16 << 30,
            cpus: Some(8),
            storage: Storage::Ssd,
            workload: Workload::Oltp,
            max_connections: None,
        }
    }

    fn ctx(hw: Option<Hardware>) -> TuneContext {
        TuneContext {
            hardware: hw,
            ..Default::default()
        }
    }

    #[test]
    fn values_convert_with_their_unit() {
        let sb = s(
            "shared_buffers",
            "16384",
            Some("8kB"),
            "postmaster",
            "configuration file",
        );
        assert_eq!(sb.number(), Some(128.0 * 1024.0 * 1024.0));
        assert_eq!(sb.human(), "128MB");
        assert!(sb.is_size());
        let wal = s("max_wal_size", "1024", Some("MB"), "sighup", "default");
        assert_eq!(wal.human(), "1GB");
        let nap = s("autovacuum_naptime", "60", Some("s"), "sighup", "default");
        assert_eq!(nap.number(), Some(60_000.0));
        assert_eq!(nap.human(), "1min");
        let rot = s("log_rotation_age", "1440", Some("min"), "sighup", "default");
        assert_eq!(rot.human(), "1d");
        let st = s("statement_timeout", "0", Some("ms"), "user", "default");
        assert_eq!(st.human(), "0");
        let dl = s(
            "deadlock_timeout",
            "1500",
            Some("ms"),
            "superuser",
            "default",
        );
        assert_eq!(dl.human(), "1500ms");
        let tfl = s("temp_file_limit", "-1", Some("kB"), "superuser", "default");
        assert_eq!(tfl.human(), "-1");
        assert_eq!(tfl.number(), Some(-1.0));
        let wm = s("work_mem", "13617", Some("kB"), "user", "default");
        assert_eq!(wm.human(), "13617kB");
        let mut spl = s(
            "shared_preload_libraries",
            "",
            None,
            "postmaster",
            "default",
        );
        spl.vartype = "string".into();
        assert_eq!(spl.human(), "''");
    }

    #[test]
    fn a_session_value_shows_the_servers_value() {
        let mut t = s(
            "idle_in_transaction_session_timeout",
            "60000",
            Some("ms"),
            "user",
            "session",
        );
        t.reset_val = Some("0".into());
        assert_eq!(t.value(), "0");
        assert_eq!(t.human(), "0");
    }

    #[test]
    fn changed_ignores_defaults_and_equal_values() {
        let mut wal = s("wal_buffers", "512", Some("8kB"), "postmaster", "default");
        wal.boot_val = Some("-1".into());
        assert!(!wal.changed(), "auto-tuned at start, still the default");
        let mut mc = s(
            "max_connections",
            "100",
            None,
            "postmaster",
            "configuration file",
        );
        assert!(!mc.changed(), "initdb wrote the default into the file");
        mc.setting = "500".into();
        assert!(mc.changed());
        let mut f = s("fsync", "off", None, "sighup", "command line");
        f.boot_val = Some("on".into());
        assert!(f.changed());
    }

    #[test]
    fn where_a_value_comes_from() {
        let mut a = s("work_mem", "8192", Some("kB"), "user", "configuration file");
        a.sourcefile = Some("/var/lib/postgresql/data/postgresql.auto.conf".into());
        a.sourceline = Some(3);
        assert_eq!(a.origin(), "ALTER SYSTEM (postgresql.auto.conf)");
        a.sourcefile = Some("/etc/postgresql/15/main/postgresql.conf".into());
        assert_eq!(a.origin(), "/etc/postgresql/15/main/postgresql.conf:3");
        a.sourcefile = None;
        assert!(a.origin().contains("hidden"), "{}", a.origin());
        a.source = "database".into();
        assert!(a.origin().contains("ALTER DATABASE"));
    }

    #[test]
    fn fixes_name_reload_or_restart_and_the_place_that_wins() {
        let sb = s(
            "shared_buffers",
            "16384",
            Some("8kB"),
            "postmaster",
            "default",
        );
        let fix = sb.fix("4GB", &facts());
        assert!(
            fix.starts_with("ALTER SYSTEM SET shared_buffers = '4GB';"),
            "{fix}"
        );
        assert!(fix.contains("restart"), "{fix}");
        let wm = s("work_mem", "4096", Some("kB"), "user", "configuration file");
        assert_eq!(
            wm.fix("16MB", &facts()),
            "ALTER SYSTEM SET work_mem = '16MB';\nSELECT pg_reload_conf();"
        );
        let db = s("work_mem", "4096", Some("kB"), "user", "database");
        assert!(
            db.fix("16MB", &facts())
                .contains("ALTER DATABASE app SET work_mem = '16MB';")
        );
        let role = s("work_mem", "4096", Some("kB"), "user", "database user");
        assert!(
            role.fix("16MB", &facts())
                .contains("ALTER ROLE me IN DATABASE app SET work_mem = '16MB';")
        );
        let cl = s("fsync", "off", None, "sighup", "command line");
        let fix = cl.fix("on", &facts());
        assert!(fix.contains("-c fsync=off"), "{fix}");
        assert!(fix.contains("ALTER SYSTEM SET fsync = 'on';\nSELECT pg_reload_conf();"));
        // quoting: values and odd names
        let odd = s("my.Odd-name", "x", None, "user", "default");
        assert_eq!(
            odd.fix("it's", &facts()).lines().next(),
            Some("ALTER SYSTEM SET my.\"Odd-name\" = 'it''s';")
        );
    }

    #[test]
    fn far_means_outside_half_to_double() {
        assert!(!far_from(100.0, 100.0));
        assert!(!far_from(50.0, 100.0));
        assert!(!far_from(200.0, 100.0));
        assert!(far_from(49.0, 100.0));
        assert!(far_from(201.0, 100.0));
        assert!(far_from(0.0, 4.0));
        assert!(!far_from(0.0, 0.0));
        assert!(far_from(-1.0, 8.0));
        assert!(far_from(4.0, 1.1));
    }

    fn server(overrides: &[(&str, &str)]) -> Vec<Setting> {
        // PostgreSQL 15 defaults, as pg_settings shows them
        let mut v = vec![
            s(
                "shared_buffers",
                "16384",
                Some("8kB"),
                "postmaster",
                "configuration file",
            ),
            s(
                "effective_cache_size",
                "524288",
                Some("8kB"),
                "user",
                "default",
            ),
            s(
                "maintenance_work_mem",
                "65536",
                Some("kB"),
                "user",
                "default",
            ),
            s(
                "checkpoint_completion_target",
                "0.9",
                None,
                "sighup",
                "default",
            ),
            s("wal_buffers", "512", Some("8kB"), "postmaster", "default"),
            s("default_statistics_target", "100", None, "user", "default"),
            s("random_page_cost", "4", None, "user", "default"),
            s("effective_io_concurrency", "1", None, "user", "default"),
            s("work_mem", "4096", Some("kB"), "user", "default"),
            s(
                "min_wal_size",
                "80",
                Some("MB"),
                "sighup",
                "configuration file",
            ),
            s(
                "max_wal_size",
                "1024",
                Some("MB"),
                "sighup",
                "configuration file",
            ),
            s("max_worker_processes", "8", None, "postmaster", "default"),
            s(
                "max_parallel_workers_per_gather",
                "2",
                None,
                "user",
                "default",
            ),
            s("max_parallel_workers", "8", None, "user", "default"),
            s(
                "max_parallel_maintenance_workers",
                "2",
                None,
                "user",
                "default",
            ),
            s(
                "max_connections",
                "100",
                None,
                "postmaster",
                "configuration file",
            ),
            s("fsync", "on", None, "sighup", "default"),
            s("full_page_writes", "on", None, "sighup", "default"),
            s("autovacuum", "on", None, "sighup", "default"),
            s("track_counts", "on", None, "superuser", "default"),
            s("synchronous_commit", "on", None, "user", "default"),
            s(
                "idle_in_transaction_session_timeout",
                "600000",
                Some("ms"),
                "user",
                "configuration file",
            ),
            s(
                "shared_preload_libraries",
                "pg_stat_statements",
                None,
                "postmaster",
                "configuration file",
            ),
        ];
        for (k, val) in overrides {
            if let Some(x) = v.iter_mut().find(|x| x.name == *k) {
                x.setting = val.to_string();
                x.reset_val = Some(val.to_string());
            }
        }
        v
    }

    fn objects(f: &[Finding]) -> Vec<&str> {
        f.iter().filter_map(|f| f.object.as_deref()).collect()
    }

    #[test]
    fn a_safe_server_without_hardware_has_no_findings() {
        assert!(findings(&server(&[]), &facts(), &ctx(None), 15).is_empty());
    }

    #[test]
    fn risks_hold_without_hardware() {
        let f = findings(
            &server(&[
                ("fsync", "off"),
                ("full_page_writes", "off"),
                ("autovacuum", "off"),
                ("track_counts", "off"),
                ("synchronous_commit", "off"),
                ("idle_in_transaction_session_timeout", "0"),
                ("shared_preload_libraries", "auto_explain"),
                ("max_connections", "5000"),
            ]),
            &facts(),
            &ctx(None),
            15,
        );
        let sev = |o: &str| {
            f.iter()
                .find(|x| x.object.as_deref() == Some(o))
                .map(|x| x.severity)
        };
        assert_eq!(sev("fsync"), Some(Severity::Critical));
        assert_eq!(sev("full_page_writes"), Some(Severity::Critical));
        assert_eq!(sev("autovacuum"), Some(Severity::Critical));
        assert_eq!(sev("track_counts"), Some(Severity::Critical));
        assert_eq!(sev("synchronous_commit"), Some(Severity::Info));
        assert_eq!(
            sev("idle_in_transaction_session_timeout"),
            Some(Severity::Info)
        );
        assert_eq!(sev("shared_preload_libraries"), Some(Severity::Info));
        // max_connections needs the RAM
        assert_eq!(sev("max_connections"), None);
        for x in &f {
            assert_eq!(x.check, "setting");
            assert_eq!(x.group(), "settings");
            assert_eq!(x.schema, "");
            assert!(x.table.is_none());
            assert!(x.fix.is_some(), "{}", x.message);
        }
        let sc = f
            .iter()
            .find(|x| x.object.as_deref() == Some("synchronous_commit"))
            .expect("sc");
        assert!(sc.message.contains("does not corrupt"), "{}", sc.message);
        let spl = f
            .iter()
            .find(|x| x.object.as_deref() == Some("shared_preload_libraries"))
            .and_then(|x| x.fix.clone())
            .expect("fix");
        assert!(
            spl.contains(
                "ALTER SYSTEM SET shared_preload_libraries = 'auto_explain, pg_stat_statements';"
            ),
            "{spl}"
        );
        assert!(spl.contains("restart"), "{spl}");
        let idle = f
            .iter()
            .find(|x| x.object.as_deref() == Some("idle_in_transaction_session_timeout"))
            .and_then(|x| x.fix.clone())
            .expect("fix");
        assert!(
            idle.contains("= '10min';\nSELECT pg_reload_conf();"),
            "{idle}"
        );
    }

    #[test]
    fn idle_sessions_now_make_the_timeout_a_warning() {
        let mut fa = facts();
        fa.idle_in_tx_long = 2;
        fa.idle_in_tx_oldest_s = Some(4000.0);
        let f = findings(
            &server(&[("idle_in_transaction_session_timeout", "0")]),
            &fa,
            &ctx(None),
            15,
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Warning);
        assert!(
            f[0].message.contains("2 sessions have been idle"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn max_connections_is_high_per_32mb_of_ram_unless_pooled() {
        assert_eq!(max_connections_limit(16 << 30), 512);
        assert_eq!(max_connections_limit(1 << 30), 100);
        let srv = server(&[("max_connections", "1000")]);
        let mut c = ctx(Some(hw16()));
        let f = findings(&srv, &facts(), &c, 15);
        let mc = f
            .iter()
            .find(|x| x.object.as_deref() == Some("max_connections"))
            .expect("high for 16GB");
        assert_eq!(mc.severity, Severity::Warning);
        assert!(mc.message.contains("PgBouncer"), "{}", mc.message);
        assert!(
            mc.fix
                .as_deref()
                .is_some_and(|x| x.contains("'500'") && x.contains("restart"))
        );
        c.pooled = true;
        let f = findings(&srv, &facts(), &c, 15);
        assert!(!objects(&f).contains(&"max_connections"));
        let f = findings(
            &server(&[("max_connections", "400")]),
            &facts(),
            &ctx(Some(hw16())),
            15,
        );
        assert!(!objects(&f).contains(&"max_connections"));
    }

    #[test]
    fn far_values_are_warnings_with_the_target_and_its_fix() {
        let f = findings(&server(&[]), &facts(), &ctx(Some(hw16())), 15);
        // PG 15 defaults on 16GB/8 CPUs/ssd/oltp: these are outside 0.5x-2x
        let mut far = objects(&f);
        far.sort_unstable();
        assert_eq!(
            far,
            [
                "effective_cache_size",
                "effective_io_concurrency",
                "maintenance_work_mem",
                "max_wal_size",
                "min_wal_size",
                "random_page_cost",
                "shared_buffers",
                "wal_buffers",
                "work_mem",
            ]
        );
        let sb = f
            .iter()
            .find(|x| x.object.as_deref() == Some("shared_buffers"))
            .expect("shared_buffers");
        assert_eq!(sb.severity, Severity::Warning);
        let ev = |k: &str| {
            sb.evidence
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(ev("current"), Some(Value::Text("128MB".into())));
        assert_eq!(ev("recommended"), Some(Value::Text("4GB".into())));
        assert_eq!(ev("recommended_value"), Some(Value::Int(4 << 30)));
        assert_eq!(ev("current_value"), Some(Value::Int(128 << 20)));
        assert_eq!(ev("applies"), Some(Value::Text("restart".into())));
        assert!(
            sb.fix
                .as_deref()
                .is_some_and(|x| x.starts_with("ALTER SYSTEM SET shared_buffers = '4GB';"))
        );
        assert!(
            sb.message.contains("a quarter of the 16GB"),
            "{}",
            sb.message
        );
        // near values are no finding: checkpoint_completion_target 0.9, statistics 100, workers 8
        for near in [
            "checkpoint_completion_target",
            "default_statistics_target",
            "max_worker_processes",
        ] {
            assert!(!objects(&f).contains(&near), "{near}");
        }
        // all recommendations, near ones too, for the settings view
        let recs = recommendations(&server(&[]), &hw16(), 15, &facts());
        assert_eq!(recs.len(), 15);
        let mwp = recs
            .iter()
            .find(|r| r.name == "max_worker_processes")
            .expect("mwp");
        assert!(!mwp.far);
        assert_eq!(mwp.apply, Apply::Restart);
    }
}
