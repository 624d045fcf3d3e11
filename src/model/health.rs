//! Index and table health: the catalogue of checks, their thresholds, and the rules that turn the rows
//! a check's SQL returns into [`Finding`]s with evidence, a reason and fix SQL. Pure: no IO; the SQL
//! lives in `db/sql/health/` and `db::health` runs it. Fix SQL quotes every identifier with
//! [`quote_ident`] and only uses statements that are safe on a live server (CONCURRENTLY variants,
//! VALIDATE CONSTRAINT, VACUUM); a finding whose only fix takes heavy locks has no fix, and says why.

use std::fmt;

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

use super::ident::quote_ident;

/// How much a finding matters. Ordered: `Info < Warning < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "info" => Ok(Severity::Info),
            "warning" => Ok(Severity::Warning),
            "critical" => Ok(Severity::Critical),
            _ => Err(format!(
                "unknown severity `{s}` (info, warning or critical)"
            )),
        }
    }
}

/// A check of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckInfo {
    /// Stable id, also the SQL file name (`db/sql/health/<id>.sql`).
    pub id: &'static str,
    /// A few words for headings.
    pub title: &'static str,
    /// Why it matters, in one or two sentences.
    pub why: &'static str,
    /// Based on cumulative statistics (counters since the last reset, per node), not on the catalog.
    pub usage_based: bool,
    /// The group it belongs to (one of [`GROUPS`]): `pgdeck check --group` picks by it and the Health
    /// pane heads its findings with it.
    pub group: &'static str,
}

/// The finding groups, in report order: id and a heading.
pub const GROUPS: &[(&str, &str)] = &[
    ("indexes", "Indexes"),
    ("tables", "Tables and constraints"),
    ("maintenance", "Maintenance"),
    ("settings", "Settings"),
    ("security", "Security"),
    ("migrations", "Migrations"),
];

/// The heading of a group id (the id itself when unknown).
pub fn group_title(group: &str) -> &str {
    GROUPS
        .iter()
        .find(|(id, _)| *id == group)
        .map(|(_, title)| *title)
        .unwrap_or(group)
}

/// The ids of the checks of these groups, in run order; an unknown group is an error naming the known ones.
pub fn checks_of_groups(groups: &[String]) -> Result<Vec<&'static str>, String> {
    for g in groups {
        if !GROUPS.iter().any(|(id, _)| id == g) {
            let ids: Vec<&str> = GROUPS.iter().map(|(id, _)| *id).collect();
            return Err(format!("unknown group `{g}` (one of: {})", ids.join(", ")));
        }
    }
    Ok(CHECKS
        .iter()
        .filter(|c| groups.iter().any(|g| g == c.group))
        .map(|c| c.id)
        .collect())
}

/// Every check, in the order they run: catalog-only checks first (fast, so the first findings show
/// at once), statistics and estimates after.
pub const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        id: "invalid_index",
        title: "invalid indexes",
        why: "An invalid index is never used by queries but is still updated on every write (and a unique one can still reject rows).",
        usage_based: false,
        group: "indexes",
    },
    CheckInfo {
        id: "duplicate_index",
        title: "duplicate indexes",
        why: "An identical index doubles the write cost and the space for nothing: every query it could serve, its twin serves.",
        usage_based: false,
        group: "indexes",
    },
    CheckInfo {
        id: "redundant_index",
        title: "redundant indexes",
        why: "The wider index serves the same lookups through its leading columns; the narrower one only costs writes and space.",
        usage_based: false,
        group: "indexes",
    },
    CheckInfo {
        id: "fk_without_index",
        title: "foreign keys without an index",
        why: "Deleting or updating a referenced row makes PostgreSQL look for referencing rows; without an index that is a sequential scan of the referencing table, under lock.",
        usage_based: false,
        group: "indexes",
    },
    CheckInfo {
        id: "no_primary_key",
        title: "tables without a primary key",
        why: "Rows cannot be addressed one by one, tools and ORMs assume a key, and logical replication cannot replicate updates and deletes without one.",
        usage_based: false,
        group: "tables",
    },
    CheckInfo {
        id: "btree_on_array",
        title: "B-tree indexes on arrays",
        why: "A B-tree on an array column only serves whole-array equality; containment (@>, &&) needs GIN, and large arrays can exceed the B-tree entry size limit.",
        usage_based: false,
        group: "indexes",
    },
    CheckInfo {
        id: "not_valid_constraint",
        title: "constraints never validated",
        why: "A NOT VALID constraint only checks new rows: old rows may break it, and the planner cannot rely on it.",
        usage_based: false,
        group: "tables",
    },
    CheckInfo {
        id: "fk_type_mismatch",
        title: "foreign keys with mismatched types",
        why: "Joins and the foreign key's own checks compare values of different types, which costs casts and can stop index use.",
        usage_based: false,
        group: "tables",
    },
    CheckInfo {
        id: "sequence_exhaustion",
        title: "sequences near their limit",
        why: "When a sequence (or the column it feeds) reaches its maximum, every insert fails until the type is widened.",
        usage_based: false,
        group: "tables",
    },
    CheckInfo {
        id: "xid_wraparound",
        title: "transaction id wraparound",
        why: "When the oldest unfrozen transaction id nears 2^31 the server forces aggressive vacuums, and close to the limit it stops accepting writes.",
        usage_based: false,
        group: "maintenance",
    },
    CheckInfo {
        id: "autovacuum_disabled",
        title: "autovacuum switched off",
        why: "A table with autovacuum off is never vacuumed or analyzed by the server: dead rows pile up, statistics go stale, and only the forced anti-wraparound vacuum still comes.",
        usage_based: false,
        group: "maintenance",
    },
    CheckInfo {
        id: "superuser_login",
        title: "login roles with superuser",
        why: "A superuser bypasses every permission check and row security and can run programs as the server's OS user: every login that has it is a key to the whole machine.",
        usage_based: false,
        group: "security",
    },
    CheckInfo {
        id: "public_create",
        title: "schemas every role may create in",
        why: "Where every role may create objects, one can plant functions or operators that match other roles' unqualified calls and run code with their rights (CVE-2018-1058).",
        usage_based: false,
        group: "security",
    },
    CheckInfo {
        id: "security_definer_search_path",
        title: "SECURITY DEFINER without a fixed search_path",
        why: "A SECURITY DEFINER function runs with its owner's rights but resolves unqualified names through the caller's search_path, which the caller controls.",
        usage_based: false,
        group: "security",
    },
    CheckInfo {
        id: "rls_without_policy",
        title: "row security on without a policy",
        why: "With row level security on and no policy, every role but the owner (superusers and BYPASSRLS roles aside) sees no rows and can change none: usually a half-finished setup.",
        usage_based: false,
        group: "security",
    },
    CheckInfo {
        id: "password_md5",
        title: "MD5 password hashes",
        why: "MD5 password hashes are deprecated (PostgreSQL 18 warns when one is set) and the stored hash is enough to log in through md5 authentication; SCRAM hashes are not.",
        usage_based: false,
        group: "security",
    },
    CheckInfo {
        id: "extension_outdated",
        title: "extensions behind their package",
        why: "After a package or pg_upgrade the extension's library is new but its SQL objects stay at the old version until ALTER EXTENSION ... UPDATE: fixes and new functions are missing.",
        usage_based: false,
        group: "security",
    },
    CheckInfo {
        id: "migration_failed",
        title: "failed schema migrations",
        why: "A failed or dirty entry in a migration tool's history blocks the next deploy, and the migration may have left part of its changes behind.",
        usage_based: false,
        group: "migrations",
    },
    CheckInfo {
        id: "replication_slot_inactive",
        title: "inactive replication slots",
        why: "An inactive slot makes the server keep every WAL segment its consumer has not read, and a logical slot holds back vacuum too: pg_wal grows until the disk fills.",
        usage_based: false,
        group: "maintenance",
    },
    CheckInfo {
        id: "index_with_nulls",
        title: "indexes mostly on NULLs",
        why: "Most entries of the index are NULLs that queries rarely look for; a partial index WHERE col IS NOT NULL is smaller and cheaper to maintain.",
        usage_based: false,
        group: "indexes",
    },
    CheckInfo {
        id: "unused_index",
        title: "unused indexes",
        why: "An index that queries do not use still costs every insert and update, vacuum time and cache space.",
        usage_based: true,
        group: "indexes",
    },
    CheckInfo {
        id: "dead_tuples",
        title: "dead tuples",
        why: "Dead row versions make scans read more pages than needed and grow the table until vacuum reclaims them.",
        usage_based: true,
        group: "maintenance",
    },
    CheckInfo {
        id: "seq_scan_heavy",
        title: "tables read by sequential scans",
        why: "A large table read mostly by sequential scans may be missing an index; EXPLAIN the frequent queries to confirm.",
        usage_based: true,
        group: "tables",
    },
    CheckInfo {
        id: "never_analyzed",
        title: "tables never analyzed",
        why: "Without statistics the planner guesses row counts and value distributions, and plans over the table can be far off.",
        usage_based: true,
        group: "maintenance",
    },
    CheckInfo {
        id: "checkpoint_pressure",
        title: "checkpoints forced by WAL volume",
        why: "A checkpoint requested because WAL reached max_wal_size comes before its time: it flushes every dirty buffer at once and the full-page writes after it swell WAL further.",
        usage_based: true,
        group: "maintenance",
    },
    CheckInfo {
        id: "temp_spill",
        title: "queries spilling to temporary files",
        why: "Sorts and hashes larger than work_mem write temporary files: disk I/O where memory would do, and a sign of queries that read more than they need.",
        usage_based: true,
        group: "maintenance",
    },
    CheckInfo {
        id: "archive_failing",
        title: "WAL archiving failing",
        why: "WAL segments wait in pg_wal until archive_command succeeds: while it fails, pg_wal grows until the disk fills, and backups lack the segments point-in-time recovery needs.",
        usage_based: true,
        group: "maintenance",
    },
    CheckInfo {
        id: "index_bloat",
        title: "index bloat",
        why: "A bloated index is larger than its contents need: more pages to read and cache. Estimates overstate bloat after B-tree deduplication (13+).",
        usage_based: false,
        group: "indexes",
    },
    CheckInfo {
        id: "table_bloat",
        title: "table bloat",
        why: "Free space inside a table makes scans read more pages; VACUUM makes it reusable but does not give it back.",
        usage_based: false,
        group: "tables",
    },
    CheckInfo {
        id: "setting",
        title: "server settings",
        why: "A server parameter that risks the data or the server on any hardware, or one far from what the stated hardware calls for (PGTune's rules).",
        usage_based: false,
        group: "settings",
    },
];

/// The check with this id.
pub fn check(id: &str) -> Option<&'static CheckInfo> {
    CHECKS.iter().find(|c| c.id == id)
}

/// Position of a check in [`CHECKS`] (unknown ids sort last).
pub fn check_order(id: &str) -> usize {
    CHECKS
        .iter()
        .position(|c| c.id == id)
        .unwrap_or(CHECKS.len())
}

/// A value of evidence: the numbers (and names) behind a finding.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Num(f64),
    Text(String),
    List(Vec<String>),
}

impl Value {
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Num(f) if f.is_finite() => Some(*f as i64),
            _ => None,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Num(f) => Some(*f),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("—"),
            Value::Bool(b) => write!(f, "{}", if *b { "yes" } else { "no" }),
            Value::Int(i) => write!(f, "{i}"),
            Value::Num(n) if n.fract() == 0.0 && n.abs() < 1e15 => write!(f, "{n:.0}"),
            Value::Num(n) => write!(f, "{n:.2}"),
            Value::Text(s) => f.write_str(s),
            Value::List(l) => f.write_str(&l.join(", ")),
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_none(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::Num(n) if n.is_finite() => s.serialize_f64((n * 100.0).round() / 100.0),
            Value::Num(_) => s.serialize_none(),
            Value::Text(t) => s.serialize_str(t),
            Value::List(l) => l.serialize(s),
        }
    }
}

/// One row of a check's SQL: who it is about and the named values it returned.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawRow {
    pub schema: String,
    pub table: Option<String>,
    pub object: Option<String>,
    pub values: Vec<(String, Value)>,
}

impl RawRow {
    pub fn get(&self, name: &str) -> &Value {
        self.values
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
            .unwrap_or(&Value::Null)
    }
    fn i64(&self, name: &str) -> Option<i64> {
        self.get(name).as_i64()
    }
    fn f64(&self, name: &str) -> Option<f64> {
        self.get(name).as_f64()
    }
    fn text(&self, name: &str) -> Option<&str> {
        self.get(name).as_str()
    }
    fn flag(&self, name: &str) -> bool {
        self.get(name).as_bool().unwrap_or(false)
    }
    fn list(&self, name: &str) -> Vec<String> {
        match self.get(name) {
            Value::List(l) => l.clone(),
            _ => Vec::new(),
        }
    }
}

/// A problem found by a check. Serialised with its check's `group` after `check`.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub check: String,
    pub severity: Severity,
    /// Schema of the table or object (empty for cluster-wide objects such as databases).
    pub schema: String,
    /// Unqualified table name.
    pub table: Option<String>,
    /// Unqualified index, constraint or sequence name (or database name).
    pub object: Option<String>,
    pub evidence: Vec<(String, Value)>,
    pub message: String,
    pub fix: Option<String>,
}

/// The evidence pairs as a JSON object, in their order.
struct EvidenceMap<'a>(&'a [(String, Value)]);

impl Serialize for EvidenceMap<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl Serialize for Finding {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Finding", 9)?;
        st.serialize_field("check", &self.check)?;
        st.serialize_field("group", self.group())?;
        st.serialize_field("severity", &self.severity)?;
        st.serialize_field("schema", &self.schema)?;
        st.serialize_field("table", &self.table)?;
        st.serialize_field("object", &self.object)?;
        st.serialize_field("evidence", &EvidenceMap(&self.evidence))?;
        st.serialize_field("message", &self.message)?;
        st.serialize_field("fix", &self.fix)?;
        st.end()
    }
}

impl Finding {
    /// What the finding is about, for display: `schema.table.object`, quoted where needed.
    pub fn subject(&self) -> String {
        let mut parts = Vec::new();
        if !self.schema.is_empty() {
            parts.push(quote_ident(&self.schema));
        }
        if let Some(t) = &self.table {
            parts.push(quote_ident(t));
        }
        if let Some(o) = &self.object {
            parts.push(quote_ident(o));
        }
        parts.join(".")
    }

    /// The group of its check (`indexes`, `settings`, ...).
    pub fn group(&self) -> &'static str {
        check(&self.check).map(|c| c.group).unwrap_or("")
    }

    /// Why this kind of finding matters.
    pub fn why(&self) -> &'static str {
        check(&self.check).map(|c| c.why).unwrap_or("")
    }
}

/// A check that could not run (permissions, timeout, a lock).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckError {
    pub check: String,
    pub message: String,
}

/// The whole report, as `pgdeck check --format json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub server_version: String,
    pub stats_reset: Option<String>,
    /// What the reader should know about the report as a whole: where the hardware for the settings
    /// recommendations came from, or why they were skipped.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    pub findings: Vec<Finding>,
    pub errors: Vec<CheckError>,
}

/// Most severe first, then in catalogue order, then by name.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| check_order(&a.check).cmp(&check_order(&b.check)))
            .then_with(|| a.schema.cmp(&b.schema))
            .then_with(|| a.table.cmp(&b.table))
            .then_with(|| a.object.cmp(&b.object))
    });
}

/// Thresholds and exclusions: the `[health]` section of config.toml, and `--threshold NAME=VALUE`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(
    deny_unknown_fields,
    default,
    expecting = "a [health] table such as { unused_index_scans = 50 }"
)]
pub struct HealthConfig {
    /// unused_index: fewer scans than this since the statistics reset.
    pub unused_index_scans: i64,
    /// index_with_nulls: share of NULLs in the first column, percent.
    pub null_frac_pct: f64,
    /// index_bloat, table_bloat: bloat percent...
    pub bloat_pct: f64,
    /// ...and at least this many bytes of bloat.
    pub bloat_min_bytes: i64,
    /// dead_tuples: dead share of all tuples, percent...
    pub dead_tuples_pct: f64,
    /// ...and at least this many dead tuples.
    pub dead_tuples_min: i64,
    /// seq_scan_heavy: tables of at least this many rows...
    pub seq_scan_min_rows: i64,
    /// ...with at least this many sequential scans (and more than index scans).
    pub seq_scan_min: i64,
    /// sequence_exhaustion: at most this percent of values left.
    pub sequence_left_pct: f64,
    /// xid_wraparound: transaction id age as a percent of 2^31.
    pub xid_age_pct: f64,
    /// never_analyzed: tables of at least this many rows (autovacuum leaves small tables alone,
    /// and a few rows are planned well enough without statistics).
    pub analyze_min_rows: i64,
    /// checkpoint_pressure: requested checkpoints as a percent of all...
    pub checkpoint_req_pct: f64,
    /// ...counted over at least this many checkpoints (a fresh server is not judged).
    pub checkpoint_min: i64,
    /// temp_spill: temporary bytes a database writes per day (averaged over at least a day).
    pub temp_bytes_per_day: i64,
    /// replication_slot_inactive: WAL retained by an inactive slot from which it is critical.
    pub slot_retained_bytes: i64,
    /// Schemas whose objects are never reported.
    pub exclude_schemas: Vec<String>,
    /// Checks that are not run.
    pub skip_checks: Vec<String>,
    /// The hardware for the `setting` check and where it came from: not part of `[health]`, filled
    /// in from `[hardware]`, the profile, the command line or the machine itself.
    #[serde(skip)]
    pub tune: super::settings::TuneContext,
}

impl Default for HealthConfig {
    fn default() -> Self {
        HealthConfig {
            unused_index_scans: 50,
            null_frac_pct: 50.0,
            bloat_pct: 30.0,
            bloat_min_bytes: 1024 * 1024,
            dead_tuples_pct: 20.0,
            dead_tuples_min: 10_000,
            seq_scan_min_rows: 10_000,
            seq_scan_min: 50,
            sequence_left_pct: 10.0,
            xid_age_pct: 50.0,
            analyze_min_rows: 1000,
            checkpoint_req_pct: 30.0,
            checkpoint_min: 10,
            temp_bytes_per_day: 1 << 30,
            slot_retained_bytes: 10 << 30,
            exclude_schemas: Vec::new(),
            skip_checks: Vec::new(),
            tune: Default::default(),
        }
    }
}

/// Names `--threshold` accepts.
pub const THRESHOLD_NAMES: &[&str] = &[
    "unused_index_scans",
    "null_frac_pct",
    "bloat_pct",
    "bloat_min_bytes",
    "dead_tuples_pct",
    "dead_tuples_min",
    "seq_scan_min_rows",
    "seq_scan_min",
    "sequence_left_pct",
    "xid_age_pct",
    "analyze_min_rows",
    "checkpoint_req_pct",
    "checkpoint_min",
    "temp_bytes_per_day",
    "slot_retained_bytes",
];

impl HealthConfig {
    /// Set a threshold from `NAME=VALUE` (the command line).
    pub fn set(&mut self, assignment: &str) -> Result<(), String> {
        let (name, value) = assignment
            .split_once('=')
            .ok_or_else(|| format!("`{assignment}`: expected NAME=VALUE"))?;
        let (name, value) = (name.trim(), value.trim());
        let int = || {
            value
                .replace('_', "")
                .parse::<i64>()
                .map_err(|_| format!("{name}: `{value}` is not a whole number"))
        };
        let num = || {
            value
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("{name}: `{value}` is not a number"))
        };
        match name {
            "unused_index_scans" => self.unused_index_scans = int()?,
            "null_frac_pct" => self.null_frac_pct = num()?,
            "bloat_pct" => self.bloat_pct = num()?,
            "bloat_min_bytes" => self.bloat_min_bytes = int()?,
            "dead_tuples_pct" => self.dead_tuples_pct = num()?,
            "dead_tuples_min" => self.dead_tuples_min = int()?,
            "seq_scan_min_rows" => self.seq_scan_min_rows = int()?,
            "seq_scan_min" => self.seq_scan_min = int()?,
            "sequence_left_pct" => self.sequence_left_pct = num()?,
            "xid_age_pct" => self.xid_age_pct = num()?,
            "analyze_min_rows" => self.analyze_min_rows = int()?,
            "checkpoint_req_pct" => self.checkpoint_req_pct = num()?,
            "checkpoint_min" => self.checkpoint_min = int()?,
            "temp_bytes_per_day" => self.temp_bytes_per_day = int()?,
            "slot_retained_bytes" => self.slot_retained_bytes = int()?,
            _ => {
                return Err(format!(
                    "unknown threshold `{name}` (one of: {})",
                    THRESHOLD_NAMES.join(", ")
                ));
            }
        }
        Ok(())
    }

    /// Whether a check runs under this configuration.
    pub fn runs(&self, check: &str) -> bool {
        !self.skip_checks.iter().any(|c| c == check)
    }
}

/// Since when the usage counters count: `pg_stat_database.stats_reset`, or the server start when they
/// were never reset.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StatsWindow {
    pub stats_reset: Option<String>,
    pub started_at: Option<String>,
}

impl StatsWindow {
    /// "since the statistics reset at …" / "since … (statistics never reset)".
    pub fn since(&self) -> String {
        match (&self.stats_reset, &self.started_at) {
            (Some(r), _) => format!("since the statistics reset at {r}"),
            (None, Some(s)) => format!("since the server started at {s} (statistics never reset)"),
            (None, None) => "since the statistics were last reset (never reset)".to_string(),
        }
    }

    /// The banner for usage-based findings.
    pub fn banner(&self) -> String {
        format!(
            "Usage counts {}; this node only: replicas keep their own counters.",
            self.since()
        )
    }
}

fn qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", quote_ident(schema), quote_ident(name))
}

/// Bytes for people: "1.2 MiB".
pub fn bytes(n: i64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v.abs() >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} bytes")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// The largest value a column or sequence type holds, for the integer types.
fn type_max(type_name: &str) -> Option<i128> {
    match type_name {
        "smallint" => Some(i16::MAX as i128),
        "integer" => Some(i32::MAX as i128),
        "bigint" => Some(i64::MAX as i128),
        _ => None,
    }
}

/// How far a sequence is from its limit, given the column type it feeds.
#[derive(Debug, Clone, PartialEq)]
pub struct SequenceRoom {
    /// Percent of the range left.
    pub left_pct: f64,
    /// Values left before the limit.
    pub values_left: i128,
    /// The limit is the column's type, not the sequence's own maximum.
    pub column_is_limit: bool,
}

/// Room left in a sequence: `None` for cycling or never-used sequences.
pub fn sequence_room(
    last: i64,
    min: i64,
    max: i64,
    increment: i64,
    cycle: bool,
    column_type: Option<&str>,
) -> Option<SequenceRoom> {
    if cycle || increment == 0 {
        return None;
    }
    let col_max = column_type.and_then(type_max);
    let (last, min, max) = (last as i128, min as i128, max as i128);
    if increment > 0 {
        let limit = col_max.map_or(max, |c| c.min(max));
        let span = (limit - min).max(1);
        let left = (limit - last).max(0);
        Some(SequenceRoom {
            left_pct: left as f64 * 100.0 / span as f64,
            values_left: left,
            column_is_limit: col_max.is_some_and(|c| c <= max),
        })
    } else {
        let col_min = col_max.map(|c| -c - 1);
        let limit = col_min.map_or(min, |c| c.max(min));
        let span = (max - limit).max(1);
        let left = (last - limit).max(0);
        Some(SequenceRoom {
            left_pct: left as f64 * 100.0 / span as f64,
            values_left: left,
            column_is_limit: col_min.is_some_and(|c| c >= min),
        })
    }
}

/// A size as a setting value, rounded up: whole gigabytes from 1 GB on, else multiples of 64 MB
/// (`4GB`, `192MB`).
pub fn size_setting(bytes: f64) -> String {
    const MB: f64 = 1024.0 * 1024.0;
    let mb = (bytes / MB).max(1.0);
    if mb >= 1024.0 {
        format!("{:.0}GB", (mb / 1024.0).ceil())
    } else {
        format!("{:.0}MB", ((mb / 64.0).ceil() * 64.0).max(64.0))
    }
}

/// A size as PostgreSQL shows a setting: `1GB`, `32MB`, or in kB.
fn setting_text(bytes: i64) -> String {
    const MB: i64 = 1024 * 1024;
    if bytes > 0 && bytes % (1024 * MB) == 0 {
        format!("{}GB", bytes / (1024 * MB))
    } else if bytes > 0 && bytes % MB == 0 {
        format!("{}MB", bytes / MB)
    } else {
        format!("{}kB", bytes / 1024)
    }
}

/// A work_mem value: the next power of two in megabytes (`64MB`).
fn work_mem_setting(bytes: f64) -> String {
    let mb = (bytes / (1024.0 * 1024.0)).max(1.0);
    let mut p: u64 = 1;
    while (p as f64) < mb && p < (1 << 20) {
        p *= 2;
    }
    format!("{p}MB")
}

/// `a` is an older extension version than `b` ("1.9" < "1.10"); `None` when the versions do not
/// compare as dotted numbers.
fn version_older(a: &str, b: &str) -> Option<bool> {
    let parse = |v: &str| {
        v.split('.')
            .map(|p| p.parse::<u64>().ok())
            .collect::<Option<Vec<u64>>>()
    };
    Some(parse(a)? < parse(b)?)
}

/// "since the statistics reset at …" from a view's own `stats_reset`.
fn since_reset(reset: Option<&str>) -> String {
    match reset {
        Some(r) => format!("since the statistics reset at {}", r.get(..19).unwrap_or(r)),
        None => "since the statistics began (never reset)".to_string(),
    }
}

/// The evidence columns of a row, minus the ones that only serve the rules.
fn evidence(row: &RawRow, hide: &[&str]) -> Vec<(String, Value)> {
    row.values
        .iter()
        .filter(|(k, _)| !hide.contains(&k.as_str()))
        .cloned()
        .collect()
}

/// Turn a row of check `check` into a finding, or `None` when it stays under the thresholds.
pub fn evaluate(
    check: &str,
    row: &RawRow,
    cfg: &HealthConfig,
    window: &StatsWindow,
) -> Option<Finding> {
    if cfg.exclude_schemas.contains(&row.schema) {
        return None;
    }
    let schema = row.schema.as_str();
    let table = row.table.as_deref().unwrap_or("");
    let object = row.object.as_deref().unwrap_or("");
    let q_table = qualified(schema, table);
    let q_object = qualified(schema, object);
    let drop_index = |partitioned: bool| {
        if partitioned {
            format!(
                "-- a partitioned index cannot be dropped concurrently: this takes a brief ACCESS EXCLUSIVE lock\nDROP INDEX {q_object};"
            )
        } else {
            format!("DROP INDEX CONCURRENTLY {q_object};")
        }
    };
    let mut ev = evidence(row, &[]);
    let (severity, message, fix) = match check {
        "invalid_index" => {
            let unique = row.flag("is_unique");
            (
                Severity::Warning,
                format!(
                    "index {} on {} is invalid, left by a failed concurrent build: queries never use it but every write still updates it{}. Drop it, or rebuild it with REINDEX INDEX CONCURRENTLY {} if it is needed.",
                    quote_ident(object),
                    quote_ident(table),
                    if unique {
                        ", and as a unique index it can still reject rows"
                    } else {
                        ""
                    },
                    q_object
                ),
                Some(format!("DROP INDEX CONCURRENTLY IF EXISTS {q_object};")),
            )
        }
        "duplicate_index" => {
            let keep = row.text("keep_index").unwrap_or("?");
            let constraint = row.flag("backs_constraint");
            let message = format!(
                "index {} on {} is identical to {} (same columns, opclasses, collations and predicate); keep {}{}",
                quote_ident(object),
                quote_ident(table),
                quote_ident(keep),
                quote_ident(keep),
                if constraint {
                    ". Both back constraints: drop the redundant constraint with ALTER TABLE … DROP CONSTRAINT"
                } else {
                    " and drop this one"
                }
            );
            let fix = (!constraint).then(|| drop_index(row.flag("partitioned")));
            (Severity::Warning, message, fix)
        }
        "redundant_index" => {
            let by = row.text("covered_by").unwrap_or("?");
            (
                Severity::Warning,
                format!(
                    "index {} on {} is covered by {}: its key columns are a leading prefix of that index, which serves the same lookups",
                    quote_ident(object),
                    quote_ident(table),
                    quote_ident(by)
                ),
                Some(drop_index(row.flag("partitioned"))),
            )
        }
        "unused_index" => {
            let scans = row.i64("scans").unwrap_or(0);
            if scans >= cfg.unused_index_scans {
                return None;
            }
            let size = row.i64("size_bytes").unwrap_or(0);
            ev.push((
                "stats_since".into(),
                match (&window.stats_reset, &window.started_at) {
                    (Some(r), _) => Value::Text(r.clone()),
                    (None, Some(s)) => Value::Text(format!("{s} (never reset)")),
                    _ => Value::Text("never reset".into()),
                },
            ));
            (
                Severity::Info,
                format!(
                    "index {} on {} ({}) was scanned {scans} time{} {}; this node only: replicas keep their own counters, check them before dropping it",
                    quote_ident(object),
                    quote_ident(table),
                    bytes(size),
                    if scans == 1 { "" } else { "s" },
                    window.since()
                ),
                Some(drop_index(row.flag("partitioned"))),
            )
        }
        "fk_without_index" => {
            let cols = row.list("columns");
            let quoted: Vec<String> = cols.iter().map(|c| quote_ident(c)).collect();
            let referenced = row.text("referenced_table").unwrap_or("?");
            let fix = if row.flag("partitioned") {
                format!(
                    "-- a partitioned table cannot be indexed concurrently: this blocks writes while it builds\nCREATE INDEX ON {q_table} ({});",
                    quoted.join(", ")
                )
            } else {
                format!(
                    "CREATE INDEX CONCURRENTLY ON {q_table} ({});",
                    quoted.join(", ")
                )
            };
            (
                Severity::Warning,
                format!(
                    "foreign key {} of {} ({}) references {referenced}, but no index starts with these columns: every delete or key update on {referenced} scans {}",
                    quote_ident(object),
                    quote_ident(table),
                    quoted.join(", "),
                    quote_ident(table)
                ),
                Some(fix),
            )
        }
        "no_primary_key" => {
            let unique = row.flag("has_unique_index");
            (
                Severity::Warning,
                format!(
                    "table {} has no primary key: rows cannot be addressed one by one and logical replication cannot replicate its updates and deletes{}",
                    q_table,
                    if unique {
                        ". It has a unique index: ALTER TABLE … ADD PRIMARY KEY USING INDEX can promote it (the columns must be NOT NULL)"
                    } else {
                        ". Adding one validates every row under a lock: plan it"
                    }
                ),
                None,
            )
        }
        "btree_on_array" => {
            let col = row.text("column_name").unwrap_or("?");
            let fix = if row.flag("enforces_constraint") {
                None
            } else if row.flag("single_plain_column") && !row.flag("partitioned") {
                Some(format!(
                    "CREATE INDEX CONCURRENTLY ON {q_table} USING gin ({});\nDROP INDEX CONCURRENTLY {q_object};",
                    quote_ident(col)
                ))
            } else {
                Some(drop_index(row.flag("partitioned")))
            };
            (
                Severity::Warning,
                format!(
                    "index {} on {} is a B-tree over the array column {}: it cannot serve @> or && searches (they need GIN)",
                    quote_ident(object),
                    quote_ident(table),
                    quote_ident(col)
                ),
                fix,
            )
        }
        "index_with_nulls" => {
            let frac = row.f64("null_frac").unwrap_or(0.0);
            if frac * 100.0 < cfg.null_frac_pct {
                return None;
            }
            let col = row.text("column_name").unwrap_or("?");
            let method = row.text("method").unwrap_or("btree");
            let include = row
                .text("include_columns")
                .map(|i| format!(" INCLUDE ({i})"))
                .unwrap_or_default();
            // the key columns come deparsed by the server; without them (a locked table) no fix
            let fix = row.text("key_columns").map(|keys| {
                format!(
                    "CREATE INDEX CONCURRENTLY ON {q_table} USING {method} ({keys}){include} WHERE {} IS NOT NULL;\nDROP INDEX CONCURRENTLY {q_object};",
                    quote_ident(col)
                )
            });
            (
                Severity::Info,
                format!(
                    "{:.0}% of the rows have NULL in {}, the first column of index {}: if queries never look for NULLs, a partial index WHERE {} IS NOT NULL is smaller",
                    frac * 100.0,
                    quote_ident(col),
                    quote_ident(object),
                    quote_ident(col)
                ),
                fix,
            )
        }
        "index_bloat" | "table_bloat" => {
            let pct = row.f64("bloat_pct").unwrap_or(0.0);
            let bloat = row.i64("bloat_bytes").unwrap_or(0);
            let size = row.i64("size_bytes").unwrap_or(0);
            let measured = row.f64("measured_bloat_pct");
            // a measurement beats the estimate: deduplicated B-trees and TOAST fool the estimate
            let decisive = measured.unwrap_or(pct);
            let decisive_bytes = measured.map_or(bloat, |m| (size as f64 * m / 100.0) as i64);
            if decisive < cfg.bloat_pct || decisive_bytes < cfg.bloat_min_bytes {
                return None;
            }
            let figures = match measured {
                Some(m) => format!("estimated {pct:.0}% ({}), measured {m:.0}%", bytes(bloat)),
                None => format!("estimated {pct:.0}% ({}, not measured)", bytes(bloat)),
            };
            if check == "index_bloat" {
                (
                    Severity::Warning,
                    format!(
                        "index {} on {} is {} with {figures} bloat; estimates overstate it after B-tree deduplication (13+)",
                        quote_ident(object),
                        quote_ident(table),
                        bytes(size)
                    ),
                    Some(format!("REINDEX INDEX CONCURRENTLY {q_object};")),
                )
            } else {
                (
                    Severity::Warning,
                    format!(
                        "table {} is {} with {figures} bloat. VACUUM makes the space reusable but does not shrink the file; pg_repack or VACUUM FULL (which locks the table) give it back",
                        q_table,
                        bytes(size)
                    ),
                    Some(format!("VACUUM (ANALYZE) {q_table};")),
                )
            }
        }
        "dead_tuples" => {
            let dead = row.i64("dead_tuples").unwrap_or(0);
            let live = row.i64("live_tuples").unwrap_or(0);
            let pct = if dead + live > 0 {
                dead as f64 * 100.0 / (dead + live) as f64
            } else {
                0.0
            };
            if dead < cfg.dead_tuples_min || pct < cfg.dead_tuples_pct {
                return None;
            }
            let last = row
                .text("last_autovacuum")
                .or(row.text("last_vacuum"))
                .map(|t| format!("last vacuumed {t}"))
                .unwrap_or_else(|| "never vacuumed".into());
            ev.push(("dead_pct".into(), Value::Num(pct)));
            (
                Severity::Warning,
                format!(
                    "table {} has {dead} dead tuples ({pct:.0}% of all) and was {last} (counts {}; this node only)",
                    q_table,
                    window.since()
                ),
                Some(format!("VACUUM (ANALYZE) {q_table};")),
            )
        }
        "seq_scan_heavy" => {
            let seq = row.i64("seq_scans").unwrap_or(0);
            let idx = row.i64("index_scans").unwrap_or(0);
            let rows = row.i64("rows").unwrap_or(0);
            if rows < cfg.seq_scan_min_rows || seq < cfg.seq_scan_min || seq <= idx {
                return None;
            }
            (
                Severity::Info,
                format!(
                    "table {} ({rows} rows) was read by {seq} sequential scans and {idx} index scans {}; this node only, replicas keep their own counters. EXPLAIN its frequent queries to see which index is missing",
                    q_table,
                    window.since()
                ),
                None,
            )
        }
        "sequence_exhaustion" => {
            let last = row.i64("last_value")?;
            let room = sequence_room(
                last,
                row.i64("min_value").unwrap_or(1),
                row.i64("max_value").unwrap_or(i64::MAX),
                row.i64("increment").unwrap_or(1),
                row.flag("cycle"),
                row.text("column_type"),
            )?;
            if room.left_pct > cfg.sequence_left_pct {
                return None;
            }
            let severity = if room.left_pct <= cfg.sequence_left_pct / 2.0 {
                Severity::Critical
            } else {
                Severity::Warning
            };
            ev.push(("left_pct".into(), Value::Num(room.left_pct)));
            ev.push(("values_left".into(), Value::Num(room.values_left as f64)));
            let column = row.text("column_name");
            let fed = match column {
                Some(c) => format!(
                    " feeding {}.{} ({})",
                    quote_ident(table),
                    quote_ident(c),
                    row.text("column_type").unwrap_or("?")
                ),
                None => String::new(),
            };
            let (note, fix) = if room.column_is_limit {
                (
                    format!(
                        ". The column's type is the limit: ALTER TABLE {q_table} ALTER COLUMN {} TYPE bigint rewrites the table under an ACCESS EXCLUSIVE lock, so plan it (or add a bigint column and backfill), then ALTER SEQUENCE {q_object} AS bigint",
                        quote_ident(column.unwrap_or("?"))
                    ),
                    None,
                )
            } else {
                let bound = if row.i64("increment").unwrap_or(1) > 0 {
                    "NO MAXVALUE"
                } else {
                    "NO MINVALUE"
                };
                (
                    String::new(),
                    Some(format!("ALTER SEQUENCE {q_object} AS bigint {bound};")),
                )
            };
            (
                severity,
                format!(
                    "sequence {}{fed} has {:.1}% of its values left ({} values); inserts fail when it runs out{note}",
                    quote_ident(object),
                    room.left_pct,
                    room.values_left
                ),
                fix,
            )
        }
        "xid_wraparound" => {
            let xid = row.i64("xid_age").unwrap_or(0);
            let mxid = row.i64("mxid_age").unwrap_or(0);
            let pct = xid.max(mxid) as f64 * 100.0 / 2_147_483_648.0;
            if pct < cfg.xid_age_pct {
                return None;
            }
            let severity = if pct >= (cfg.xid_age_pct + 100.0) / 2.0 {
                Severity::Critical
            } else {
                Severity::Warning
            };
            ev.push(("age_pct".into(), Value::Num(pct)));
            if row.text("kind") == Some("database") {
                (
                    severity,
                    format!(
                        "database {} has an unfrozen transaction id age of {xid} (multixact {mxid}), {pct:.0}% of the way to wraparound; run VACUUM (FREEZE) in it (vacuumdb --freeze)",
                        quote_ident(object)
                    ),
                    None,
                )
            } else {
                (
                    severity,
                    format!(
                        "table {} has an unfrozen transaction id age of {xid} (multixact {mxid}), {pct:.0}% of the way to wraparound",
                        q_table
                    ),
                    Some(format!("VACUUM (FREEZE, ANALYZE) {q_table};")),
                )
            }
        }
        "not_valid_constraint" => (
            Severity::Warning,
            format!(
                "{} constraint {} on {} was added NOT VALID and never validated: existing rows may break it. VALIDATE takes only a SHARE UPDATE EXCLUSIVE lock, and fails naming a row that breaks it",
                row.text("kind").unwrap_or("check"),
                quote_ident(object),
                quote_ident(table)
            ),
            Some(format!(
                "ALTER TABLE {q_table} VALIDATE CONSTRAINT {};",
                quote_ident(object)
            )),
        ),
        "fk_type_mismatch" => (
            Severity::Warning,
            format!(
                "foreign key {} of {} joins columns of different types ({}): comparisons need casts. Changing a column's type rewrites the table under an ACCESS EXCLUSIVE lock, so plan it",
                quote_ident(object),
                quote_ident(table),
                row.text("mismatched_columns").unwrap_or("?")
            ),
            None,
        ),

        "checkpoint_pressure" => {
            let timed = row.i64("checkpoints_timed").unwrap_or(0);
            let requested = row.i64("checkpoints_requested").unwrap_or(0);
            let total = timed + requested;
            if total == 0 || total < cfg.checkpoint_min {
                return None;
            }
            let pct = requested as f64 * 100.0 / total as f64;
            if pct < cfg.checkpoint_req_pct {
                return None;
            }
            let max_wal = row.i64("max_wal_size_bytes").unwrap_or(1 << 30);
            let timeout = row.f64("checkpoint_timeout_s").unwrap_or(300.0).max(1.0);
            // checkpoints per checkpoint_timeout: how many times more WAL than max_wal_size a
            // timeout's worth of work writes. At least double it, at most 8x in one step.
            let per_timeout = row
                .f64("seconds_counted")
                .filter(|s| *s > 0.0)
                .map(|s| total as f64 * timeout / s);
            let factor = per_timeout.unwrap_or(2.0).clamp(2.0, 8.0);
            let target = size_setting(max_wal as f64 * factor);
            ev.push(("requested_pct".into(), Value::Num(pct)));
            if let Some(p) = per_timeout {
                ev.push(("checkpoints_per_timeout".into(), Value::Num(p)));
            }
            ev.push((
                "recommended_max_wal_size".into(),
                Value::Text(target.clone()),
            ));
            let standby = if row.flag("in_recovery") {
                " (restartpoints: this is a standby)"
            } else {
                ""
            };
            (
                Severity::Warning,
                format!(
                    "{requested} of {total} checkpoints{standby} ({pct:.0}%) {} were requested rather than timed: WAL reached max_wal_size ({}) before checkpoint_timeout ({timeout:.0} s) ran out, or CHECKPOINT was run by hand. Each one flushes every dirty buffer at once and the full-page writes after it swell WAL. Raise max_wal_size to {target} (a reload applies it); it bounds pg_wal's size, so check the disk has room",
                    since_reset(row.text("stats_reset")),
                    setting_text(max_wal)
                ),
                Some(format!(
                    "ALTER SYSTEM SET max_wal_size = '{target}';\nSELECT pg_reload_conf();"
                )),
            )
        }
        "temp_spill" => {
            let temp = row.i64("temp_bytes").unwrap_or(0);
            let files = row.i64("temp_files").unwrap_or(0);
            let days = (row.f64("seconds_counted").unwrap_or(0.0) / 86_400.0).max(1.0);
            let per_day = temp as f64 / days;
            if temp <= 0 || per_day < cfg.temp_bytes_per_day as f64 {
                return None;
            }
            let avg = if files > 0 { temp / files } else { temp };
            let work_mem = row.i64("work_mem_bytes").unwrap_or(4 << 20).max(64 << 10);
            // memory for a spill of the average size, at least twice the current value; past
            // 256MB the queries need changing more than the memory does
            let want = (avg as f64)
                .max(work_mem as f64 * 2.0)
                .min((256u64 << 20).max(work_mem as u64 * 2) as f64);
            let target = work_mem_setting(want);
            ev.push(("temp_bytes_per_day".into(), Value::Num(per_day)));
            ev.push(("recommended_work_mem".into(), Value::Text(target.clone())));
            (
                Severity::Info,
                format!(
                    "database {} wrote {} to {files} temporary files {} (about {} a day, {} a file): sorts and hashes larger than work_mem ({}) spill to disk. Find the queries with pg_stat_statements (temp_blks_written) or log_temp_files; raising work_mem to {target} for this database, or better for the roles that run them, keeps spills of the average size in memory. work_mem is allowed per sort or hash of each query in each connection: size it against the RAM",
                    quote_ident(object),
                    bytes(temp),
                    since_reset(row.text("stats_reset")),
                    bytes(per_day as i64),
                    bytes(avg),
                    setting_text(work_mem)
                ),
                Some(format!(
                    "-- applies to new sessions; ALTER ROLE ... SET work_mem narrows it to the roles that spill\nALTER DATABASE {} SET work_mem = '{target}';",
                    quote_ident(object)
                )),
            )
        }
        "autovacuum_disabled" => {
            let table_off = row.flag("table_off");
            let toast_off = row.flag("toast_off");
            let mut opts = Vec::new();
            if table_off {
                opts.push("autovacuum_enabled");
            }
            if toast_off {
                opts.push("toast.autovacuum_enabled");
            }
            if opts.is_empty() {
                return None;
            }
            let matview = row.text("kind") == Some("materialized view");
            let last = |k: &str, what: &str| match row.text(k) {
                Some(t) => format!("last {what} {}", t.get(..19).unwrap_or(t)),
                None => format!("never {what}"),
            };
            (
                Severity::Warning,
                format!(
                    "autovacuum is switched off for {}{q_table} ({} = off in its storage options): its dead rows pile up and its statistics go stale until someone runs VACUUM and ANALYZE by hand; only the anti-wraparound vacuum still comes. {} dead tuples, {}, {}. If it was switched off for a bulk load, switch it back on",
                    if matview { "materialized view " } else { "" },
                    opts.join(" and "),
                    row.i64("dead_tuples").unwrap_or(0),
                    last("last_vacuum", "vacuumed"),
                    last("last_analyze", "analyzed")
                ),
                Some(format!(
                    "ALTER {} {q_table} RESET ({});",
                    if matview {
                        "MATERIALIZED VIEW"
                    } else {
                        "TABLE"
                    },
                    opts.join(", ")
                )),
            )
        }
        "never_analyzed" => {
            let rows = row.i64("rows").unwrap_or(0);
            if rows <= 0 || rows < cfg.analyze_min_rows {
                return None;
            }
            let kind = row.text("kind").unwrap_or("table");
            let partitioned = kind == "partitioned table";
            let note = if partitioned {
                ". Autovacuum never analyzes a partitioned table itself, only its partitions: ANALYZE it after loading data or large changes (it samples the partitions)"
            } else {
                ""
            };
            let unreadable = if row.get("stats_readable").as_bool() == Some(false) {
                " (its column statistics are not readable by this role: judged by the analyze times, which a statistics reset clears)"
            } else {
                ""
            };
            (
                Severity::Warning,
                format!(
                    "{kind} {q_table} has about {rows} rows and was never analyzed: the planner has no statistics for it and guesses row counts, so plans over it can be far off{note}{unreadable}"
                ),
                Some(format!("ANALYZE {q_table};")),
            )
        }
        "archive_failing" => {
            let failed = row.i64("failed_count").unwrap_or(0);
            if failed <= 0 {
                return None;
            }
            let archived = match row.text("last_archived_time") {
                Some(t) => format!("nothing archived since {}", t.get(..19).unwrap_or(t)),
                None => "nothing archived yet".to_string(),
            };
            (
                Severity::Critical,
                format!(
                    "WAL archiving is failing: {failed} failed attempts {}, the last on segment {} at {}, and {archived}. Segments wait in pg_wal until archiving succeeds, so pg_wal grows until the disk fills, and backups lack the WAL point-in-time recovery needs. The server log has the archive command's error",
                    since_reset(row.text("stats_reset")),
                    if object.is_empty() { "?" } else { object },
                    row.text("last_failed_time")
                        .map(|t| t.get(..19).unwrap_or(t))
                        .unwrap_or("?")
                ),
                None,
            )
        }
        "replication_slot_inactive" => {
            let kind = row.text("slot_type").unwrap_or("replication");
            let drop = format!(
                "-- dropping a slot loses its consumer's position: a replica or subscriber still using it must be re-seeded or given a new slot\nSELECT pg_drop_replication_slot({});",
                super::ddl::quote_literal(object)
            );
            if row.text("wal_status") == Some("lost") {
                (
                    Severity::Warning,
                    format!(
                        "{kind} slot {} is inactive and invalidated (wal_status lost): the WAL its consumer needs is gone, so it can never resume from this slot. Drop it",
                        quote_ident(object)
                    ),
                    Some(drop),
                )
            } else {
                let retained = row.i64("retained_bytes")?;
                let critical = retained >= cfg.slot_retained_bytes
                    || row.text("wal_status") == Some("unreserved");
                let horizon = row
                    .i64("xmin_age")
                    .into_iter()
                    .chain(row.i64("catalog_xmin_age"))
                    .max()
                    .map(|age| {
                        format!(
                            ", and it holds back vacuum's horizon by {age} transactions, so dead rows{} cannot be removed",
                            if row.i64("xmin_age").is_some() {
                                ""
                            } else {
                                " of the system catalogs"
                            }
                        )
                    })
                    .unwrap_or_default();
                let since = row
                    .text("inactive_since")
                    .map(|t| format!(" since {}", t.get(..19).unwrap_or(t)))
                    .unwrap_or_default();
                (
                    if critical {
                        Severity::Critical
                    } else {
                        Severity::Warning
                    },
                    format!(
                        "{kind} slot {} is inactive{since} and holds {} of WAL{}: the server keeps every segment from the slot's restart point on until its consumer reads them, so pg_wal grows until the disk fills{horizon}. Drop it if its replica or subscriber is gone",
                        quote_ident(object),
                        bytes(retained),
                        if row.flag("in_recovery") {
                            " (measured from this standby's replay position)"
                        } else {
                            ""
                        }
                    ),
                    Some(drop),
                )
            }
        }
        "superuser_login" => {
            let sessions = row.i64("sessions").unwrap_or(0);
            (
                Severity::Warning,
                format!(
                    "role {} can log in as a superuser{}: it bypasses every permission check and row security, reads and writes any file the server can, and runs programs as the server's OS user. Keep superuser for administration by the bootstrap role; give people and applications roles with just what they need (pg_monitor, pg_read_all_data, ownership of their objects)",
                    quote_ident(object),
                    if sessions > 0 {
                        format!(" ({sessions} sessions now)")
                    } else {
                        String::new()
                    }
                ),
                Some(format!(
                    "-- grant the role what it needs without superuser first: NOSUPERUSER breaks whatever relied on it\nALTER ROLE {} NOSUPERUSER;",
                    quote_ident(object)
                )),
            )
        }
        "public_create" => {
            let s = quote_ident(schema);
            (
                Severity::Warning,
                format!(
                    "every role (PUBLIC) may create objects in schema {s}{}: one can plant functions or operators there that match other roles' unqualified calls more closely than the built-in ones, and run code with their rights (CVE-2018-1058)",
                    if schema == "public" {
                        ", the default before PostgreSQL 15 that pg_upgrade keeps"
                    } else {
                        ""
                    }
                ),
                Some(format!(
                    "-- grant CREATE to the roles that need it first (GRANT CREATE ON SCHEMA {s} TO app_owner)\nREVOKE CREATE ON SCHEMA {s} FROM PUBLIC;"
                )),
            )
        }
        "security_definer_search_path" => {
            let args = row.text("arguments").unwrap_or("");
            let procedure = row.text("kind") == Some("procedure");
            let owner = row.text("owner").unwrap_or("?");
            let superuser = row.flag("owner_superuser");
            let public = row.flag("public_execute");
            let word = if procedure { "procedure" } else { "function" };
            (
                if superuser && public {
                    Severity::Critical
                } else {
                    Severity::Warning
                },
                format!(
                    "SECURITY DEFINER {word} {q_object}({args}) runs with the rights of {}{} but has no fixed search_path: a caller can put their own schema or temporary tables first on the path, and its unqualified names then resolve to the caller's objects, run with the owner's rights{}",
                    quote_ident(owner),
                    if superuser { ", a superuser," } else { "" },
                    if public {
                        ". Every role may execute it"
                    } else {
                        ""
                    }
                ),
                Some(format!(
                    "-- list only schemas untrusted roles cannot create objects in, pg_temp last\nALTER {} {q_object}({args}) SET search_path = {}, pg_temp;",
                    word.to_uppercase(),
                    quote_ident(schema)
                )),
            )
        }
        "rls_without_policy" => {
            let forced = row.flag("forced");
            (
                Severity::Warning,
                format!(
                    "row level security is on for {q_table} but it has no policy: every role but its owner{} sees no rows and can change none (superusers and BYPASSRLS roles aside). Write the policies it needs, or switch row security off if it was switched on by mistake",
                    if forced {
                        " (and, as it is FORCEd, the owner too)"
                    } else {
                        ""
                    }
                ),
                Some(format!(
                    "-- either write the policies it needs, for example:\n-- CREATE POLICY own_rows ON {q_table} FOR ALL TO some_role USING (owner_col = current_user);\n-- or, if row security was switched on by mistake (every role with a grant then sees every row):\n-- ALTER TABLE {q_table} DISABLE ROW LEVEL SECURITY;"
                )),
            )
        }
        "password_md5" => {
            let q = quote_ident(object);
            (
                Severity::Warning,
                format!(
                    "role {q}'s password is stored as an MD5 hash{}: MD5 is deprecated (PostgreSQL 18 warns when one is set) and the stored hash alone is enough to log in through md5 authentication. Set the password again under password_encryption = 'scram-sha-256' (the default since 14), then use scram-sha-256 in pg_hba.conf",
                    if row.get("can_login").as_bool() == Some(false) {
                        " (it cannot log in now)"
                    } else {
                        ""
                    }
                ),
                Some(format!(
                    "SET password_encryption = 'scram-sha-256';\n-- then set the password again; psql's \\password {q} does it without the text reaching the server's logs\n-- ALTER ROLE {q} PASSWORD '...';"
                )),
            )
        }
        "extension_outdated" => {
            let installed = row.text("installed_version").unwrap_or("?");
            let default = row.text("default_version").unwrap_or("?");
            if version_older(installed, default) == Some(false) {
                // installed newer than the package's default on purpose: not outdated
                return None;
            }
            let path = row.flag("update_path");
            (
                Severity::Info,
                format!(
                    "extension {} is at version {installed} while the server's package provides {default}: its library is new but its SQL objects are not, so fixes and new functions are missing (common after pg_upgrade or a package upgrade){}",
                    quote_ident(object),
                    if path {
                        ""
                    } else {
                        ". The package ships no update path from this version: see the extension's upgrade notes"
                    }
                ),
                path.then(|| {
                    format!(
                        "-- read the extension's release notes: the update script may lock the objects it changes\nALTER EXTENSION {} UPDATE;",
                        quote_ident(object)
                    )
                }),
            )
        }
        "migration_failed" => migration_finding(row, &q_table, object)?,
        _ => return None,
    };
    let message = match row.text("detail_unavailable") {
        Some(e) => format!("{message} (details unavailable: {e})"),
        None => message,
    };
    Some(Finding {
        check: check.to_string(),
        severity,
        schema: row.schema.clone(),
        table: row.table.clone(),
        object: row.object.clone(),
        evidence: std::mem::take(&mut ev),
        message,
        fix,
    })
}

/// Severity, message and fix of a failed migration (a row of `model::migrations::failure_rows`).
fn migration_finding(
    row: &RawRow,
    q_table: &str,
    version: &str,
) -> Option<(Severity, String, Option<String>)> {
    use super::ddl::quote_literal;
    let tool = row.text("tool").unwrap_or("?");
    let state = row.text("state").unwrap_or("?");
    let key = quote_literal(row.text("key").unwrap_or(version));
    let when = |k: &str| {
        row.text(k)
            .map(|t| t.get(..19).unwrap_or(t).to_string())
            .unwrap_or_else(|| "?".into())
    };
    let error = row
        .text("detail")
        .map(|d| format!(" The logged error: {d}"))
        .unwrap_or_default();
    Some(match (tool, state) {
        // Critical: the tool refuses to run the next deploy, and the schema may be half changed
        ("Flyway", "failed") => (
            Severity::Critical,
            format!(
                "Flyway migration {version} ({}) failed (success = false in {q_table}, installed {} by {}): Flyway refuses to migrate until it is repaired. PostgreSQL rolls back a failed migration that ran in a transaction, so this one ran outside one and may have left part of its changes. Compare the schema with its script, undo or finish it by hand, then run flyway repair (it deletes failed entries)",
                row.text("description").unwrap_or("?"),
                when("applied_at"),
                row.text("applied_by").unwrap_or("?")
            ),
            Some(format!(
                "-- flyway repair does this; first undo or finish by hand what the migration did
DELETE FROM {q_table} WHERE installed_rank = {key} AND NOT success;"
            )),
        ),
        ("Prisma", "unfinished") => (
            Severity::Critical,
            format!(
                "Prisma migration {version} started at {} and never finished (finished_at is NULL in {q_table}): prisma migrate deploy stops with P3009 until it is resolved, and it may be half applied. Unless it is running right now, compare the schema with it, then run prisma migrate resolve --rolled-back {version} (after undoing it) or --applied {version} (after finishing it by hand).{error}",
                when("applied_at")
            ),
            Some(format!(
                "-- prisma migrate resolve --rolled-back does this, after you undo what the migration applied
UPDATE {q_table} SET rolled_back_at = now() WHERE id = {key} AND finished_at IS NULL;"
            )),
        ),
        // Warning: resolved as rolled back; the next deploy applies it again
        ("Prisma", "rolled back") => (
            Severity::Warning,
            format!(
                "Prisma migration {version} failed and was marked rolled back at {}, and has not been applied since: the next prisma migrate deploy runs it again, and fails again unless its cause was fixed.{error}",
                when("rolled_back_at")
            ),
            None,
        ),
        ("golang-migrate", "dirty") => (
            Severity::Critical,
            format!(
                "golang-migrate version {version} is dirty in {q_table}: the migration to it failed part way and migrate refuses to run until the version is forced. Compare the schema with the migration's up script, finish or undo it by hand, then run migrate force with the version the schema now matches"
            ),
            Some(format!(
                "-- migrate force does this: keep this version if you finished the migration by hand, put the previous one if you undid it
UPDATE {q_table} SET dirty = false WHERE version = {key};"
            )),
        ),
        _ => (
            Severity::Warning,
            format!("{tool} migration {version} in {q_table} is {state}"),
            None,
        ),
    })
}

#[cfg(test)]
mod tests {

    #[test]
    fn every_check_is_in_a_known_group_and_groups_select_their_checks() {
        for c in CHECKS {
            assert!(
                GROUPS.iter().any(|(g, _)| *g == c.group),
                "{} in unknown group {}",
                c.id,
                c.group
            );
        }
        let ids = checks_of_groups(&["maintenance".to_string()]).expect("known group");
        assert!(ids.contains(&"xid_wraparound"), "{ids:?}");
        assert!(!ids.contains(&"duplicate_index"), "{ids:?}");
        let err = checks_of_groups(&["nope".to_string()]).expect_err("unknown group");
        assert!(err.contains("unknown group `nope`"), "{err}");
        assert_eq!(group_title("security"), "Security");
    }

    use super::*;

    fn row(schema: &str, table: &str, object: Option<&str>, values: Vec<(&str, Value)>) -> RawRow {
        RawRow {
            schema: schema.into(),
            table: Some(table.into()),
            object: object.map(str::to_string),
            values: values
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        }
    }

    fn eval(check: &str, r: &RawRow) -> Option<Finding> {
        evaluate(check, r, &HealthConfig::default(), &StatsWindow::default())
    }

    #[test]
    fn every_check_has_a_sql_file_name_and_unique_id() {
        let mut ids: Vec<&str> = CHECKS.iter().map(|c| c.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), CHECKS.len());
        assert_eq!(CHECKS.len(), 30);
    }

    #[test]
    fn severity_orders_and_parses() {
        assert!(Severity::Info < Severity::Warning && Severity::Warning < Severity::Critical);
        assert_eq!("WARNING".parse::<Severity>(), Ok(Severity::Warning));
        assert!("fatal".parse::<Severity>().is_err());
    }

    #[test]
    fn fix_sql_quotes_identifiers() {
        let r = row(
            "My Schema",
            "order",
            Some("x\"; drop table y; --"),
            vec![("keep_index", Value::Text("ok_idx".into()))],
        );
        let f = eval("duplicate_index", &r).expect("finding");
        assert_eq!(
            f.fix.as_deref(),
            Some("DROP INDEX CONCURRENTLY \"My Schema\".\"x\"\"; drop table y; --\";")
        );
        assert_eq!(
            f.subject(),
            "\"My Schema\".\"order\".\"x\"\"; drop table y; --\""
        );
    }

    #[test]
    fn duplicate_backing_a_constraint_has_no_fix() {
        let r = row(
            "public",
            "t",
            Some("t_a_key"),
            vec![
                ("keep_index", Value::Text("t_pkey".into())),
                ("backs_constraint", Value::Bool(true)),
            ],
        );
        let f = eval("duplicate_index", &r).expect("finding");
        assert!(f.fix.is_none());
        assert!(f.message.contains("DROP CONSTRAINT"), "{}", f.message);
    }

    #[test]
    fn fk_fix_creates_a_concurrent_index_on_the_fk_columns() {
        let r = row(
            "public",
            "Comments",
            Some("comments_user_id_fkey"),
            vec![
                (
                    "columns",
                    Value::List(vec!["user_id".into(), "Tenant".into()]),
                ),
                ("referenced_table", Value::Text("users".into())),
                ("partitioned", Value::Bool(false)),
            ],
        );
        let f = eval("fk_without_index", &r).expect("finding");
        assert_eq!(
            f.fix.as_deref(),
            Some("CREATE INDEX CONCURRENTLY ON public.\"Comments\" (user_id, \"Tenant\");")
        );
        assert_eq!(f.severity, Severity::Warning);
    }

    #[test]
    fn unused_index_respects_the_scan_threshold_and_names_the_window() {
        let mut r = row(
            "public",
            "t",
            Some("t_a_idx"),
            vec![("scans", Value::Int(49)), ("size_bytes", Value::Int(8192))],
        );
        let window = StatsWindow {
            stats_reset: None,
            started_at: Some("2026-01-01 00:00:00+00".into()),
        };
        let f = evaluate("unused_index", &r, &HealthConfig::default(), &window).expect("finding");
        assert!(f.message.contains("never reset"), "{}", f.message);
        assert!(f.message.contains("replicas"), "{}", f.message);
        assert_eq!(f.severity, Severity::Info);
        r.values[0].1 = Value::Int(50);
        assert!(evaluate("unused_index", &r, &HealthConfig::default(), &window).is_none());
    }

    #[test]
    fn sequence_room_uses_the_smaller_of_sequence_and_column() {
        // an integer column fed by a bigint sequence: the column is the limit
        let r = sequence_room(2_040_109_465, 1, i64::MAX, 1, false, Some("integer")).expect("room");
        assert!(r.column_is_limit);
        assert!((r.left_pct - 5.0).abs() < 0.1, "{}", r.left_pct);
        // an integer sequence feeding an integer column: widening the sequence alone does not help
        let r = sequence_room(2_000_000_000, 1, i32::MAX as i64, 1, false, Some("integer"))
            .expect("room");
        assert!(r.column_is_limit);
        // a smallint sequence with no column
        let r = sequence_room(32_000, 1, 32_767, 1, false, None).expect("room");
        assert!(!r.column_is_limit);
        assert!(r.left_pct < 3.0);
        // descending
        let r = sequence_room(
            -2_000_000_000,
            -2_147_483_648,
            -1,
            -1,
            false,
            Some("integer"),
        )
        .expect("room");
        assert!(r.left_pct < 7.0, "{}", r.left_pct);
        assert!(sequence_room(5, 1, 10, 1, true, None).is_none());
    }

    #[test]
    fn sequence_findings_by_limit() {
        let base = |col: Option<&str>, max: i64, last: i64| {
            let mut v = vec![
                ("last_value", Value::Int(last)),
                ("min_value", Value::Int(1)),
                ("max_value", Value::Int(max)),
                ("increment", Value::Int(1)),
                ("cycle", Value::Bool(false)),
            ];
            if let Some(c) = col {
                v.push(("column_name", Value::Text("id".into())));
                v.push(("column_type", Value::Text(c.into())));
            }
            row("shop", "invoices", Some("invoices_id_seq"), v)
        };
        let f = eval(
            "sequence_exhaustion",
            &base(Some("integer"), i64::MAX, 2_040_109_465),
        )
        .expect("finding");
        assert_eq!(f.severity, Severity::Critical);
        assert!(f.fix.is_none());
        assert!(f.message.contains("ALTER COLUMN"), "{}", f.message);
        let f = eval("sequence_exhaustion", &base(None, 32_767, 30_000)).expect("finding");
        assert_eq!(f.severity, Severity::Warning);
        assert_eq!(
            f.fix.as_deref(),
            Some("ALTER SEQUENCE shop.invoices_id_seq AS bigint NO MAXVALUE;")
        );
        assert!(eval("sequence_exhaustion", &base(None, 32_767, 100)).is_none());
        // never used: last_value NULL
        let mut r = base(None, 32_767, 0);
        r.values[0].1 = Value::Null;
        assert!(eval("sequence_exhaustion", &r).is_none());
    }

    #[test]
    fn bloat_needs_both_percent_and_bytes_and_prefers_the_measurement() {
        let r = |pct: f64, bytes: i64, measured: Option<f64>| {
            let mut v = vec![
                ("bloat_pct", Value::Num(pct)),
                ("bloat_bytes", Value::Int(bytes)),
                ("size_bytes", Value::Int(bytes * 2)),
            ];
            if let Some(m) = measured {
                v.push(("measured_bloat_pct", Value::Num(m)));
            }
            row("public", "t", Some("t_idx"), v)
        };
        assert!(eval("index_bloat", &r(50.0, 4 << 20, None)).is_some());
        assert!(eval("index_bloat", &r(50.0, 100_000, None)).is_none());
        assert!(eval("index_bloat", &r(20.0, 4 << 20, None)).is_none());
        assert!(eval("index_bloat", &r(50.0, 4 << 20, Some(5.0))).is_none());
        let f = eval("index_bloat", &r(50.0, 4 << 20, Some(45.0))).expect("finding");
        assert!(f.message.contains("measured 45%"), "{}", f.message);
        assert_eq!(
            f.fix.as_deref(),
            Some("REINDEX INDEX CONCURRENTLY public.t_idx;")
        );
        let f = eval("table_bloat", &r(50.0, 4 << 20, None)).expect("finding");
        assert_eq!(f.fix.as_deref(), Some("VACUUM (ANALYZE) public.t;"));
    }

    #[test]
    fn dead_tuples_and_seq_scans_thresholds() {
        let d = |dead: i64, live: i64| {
            row(
                "shop",
                "inventory",
                None,
                vec![
                    ("dead_tuples", Value::Int(dead)),
                    ("live_tuples", Value::Int(live)),
                ],
            )
        };
        assert!(eval("dead_tuples", &d(22_000, 16_000)).is_some());
        assert!(eval("dead_tuples", &d(9_000, 1_000)).is_none());
        assert!(eval("dead_tuples", &d(20_000, 200_000)).is_none());
        let s = |seq: i64, idx: i64, rows: i64| {
            row(
                "public",
                "t",
                None,
                vec![
                    ("seq_scans", Value::Int(seq)),
                    ("index_scans", Value::Int(idx)),
                    ("rows", Value::Int(rows)),
                ],
            )
        };
        assert!(eval("seq_scan_heavy", &s(60, 10, 20_000)).is_some());
        assert!(eval("seq_scan_heavy", &s(60, 100, 20_000)).is_none());
        assert!(eval("seq_scan_heavy", &s(60, 10, 2_000)).is_none());
        assert!(eval("seq_scan_heavy", &s(40, 10, 20_000)).is_none());
    }

    #[test]
    fn xid_age_severity() {
        let r = |age: i64| {
            row(
                "public",
                "t",
                None,
                vec![
                    ("kind", Value::Text("table".into())),
                    ("xid_age", Value::Int(age)),
                    ("mxid_age", Value::Int(0)),
                ],
            )
        };
        assert!(eval("xid_wraparound", &r(200_000_000)).is_none());
        assert_eq!(
            eval("xid_wraparound", &r(1_200_000_000)).map(|f| f.severity),
            Some(Severity::Warning)
        );
        assert_eq!(
            eval("xid_wraparound", &r(1_700_000_000)).map(|f| f.severity),
            Some(Severity::Critical)
        );
    }

    #[test]
    fn excluded_schemas_and_thresholds_from_the_command_line() {
        let mut cfg = HealthConfig::default();
        cfg.set("unused_index_scans=5").expect("set");
        assert_eq!(cfg.unused_index_scans, 5);
        cfg.set("bloat_pct = 12.5").expect("set");
        assert_eq!(cfg.bloat_pct, 12.5);
        assert!(cfg.set("bloat=1").is_err());
        assert!(cfg.set("bloat_pct").is_err());
        assert!(cfg.set("dead_tuples_min=x").is_err());
        cfg.exclude_schemas = vec!["audit".into()];
        let r = row("audit", "t", None, vec![]);
        assert!(evaluate("no_primary_key", &r, &cfg, &StatsWindow::default()).is_none());
    }

    #[test]
    fn findings_sort_most_severe_first_then_catalogue_order() {
        let f = |check: &str, sev: Severity| Finding {
            check: check.into(),
            severity: sev,
            schema: "public".into(),
            table: None,
            object: None,
            evidence: vec![],
            message: String::new(),
            fix: None,
        };
        let mut v = vec![
            f("unused_index", Severity::Info),
            f("duplicate_index", Severity::Warning),
            f("invalid_index", Severity::Warning),
            f("sequence_exhaustion", Severity::Critical),
        ];
        sort_findings(&mut v);
        let ids: Vec<&str> = v.iter().map(|f| f.check.as_str()).collect();
        assert_eq!(
            ids,
            [
                "sequence_exhaustion",
                "invalid_index",
                "duplicate_index",
                "unused_index"
            ]
        );
    }

    #[test]
    fn json_shape() {
        let f = Finding {
            check: "invalid_index".into(),
            severity: Severity::Warning,
            schema: "public".into(),
            table: Some("t".into()),
            object: Some("i".into()),
            evidence: vec![
                ("size_bytes".into(), Value::Int(8192)),
                ("ratio".into(), Value::Num(0.123_456)),
                ("cols".into(), Value::List(vec!["a".into()])),
                ("last".into(), Value::Null),
            ],
            message: "m".into(),
            fix: None,
        };
        let v = serde_json::to_value(&f).expect("json");
        assert_eq!(v["severity"], "warning");
        assert_eq!(v["evidence"]["size_bytes"], 8192);
        assert_eq!(v["evidence"]["ratio"], 0.12);
        assert_eq!(v["evidence"]["cols"][0], "a");
        assert!(v["evidence"]["last"].is_null());
        assert!(v["fix"].is_null());
    }

    /// A row about no table (cluster- or database-wide findings, roles, functions).
    fn obj(schema: &str, object: &str, values: Vec<(&str, Value)>) -> RawRow {
        RawRow {
            schema: schema.into(),
            table: None,
            object: Some(object.into()),
            values: values
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        }
    }

    #[test]
    fn checkpoint_pressure_needs_enough_checkpoints_and_recommends_a_bigger_max_wal_size() {
        let r = |timed: i64, req: i64, secs: Option<f64>| {
            let mut v = vec![
                ("checkpoints_timed", Value::Int(timed)),
                ("checkpoints_requested", Value::Int(req)),
                ("max_wal_size_bytes", Value::Int(1 << 30)),
                ("checkpoint_timeout_s", Value::Num(300.0)),
                (
                    "stats_reset",
                    Value::Text("2026-12-01 10:00:00.1+00".into()),
                ),
            ];
            if let Some(s) = secs {
                v.push(("seconds_counted", Value::Num(s)));
            }
            obj("", "max_wal_size", v)
        };
        // a fresh server: 3 requested of 4 is not judged
        assert!(eval("checkpoint_pressure", &r(1, 3, Some(600.0))).is_none());
        // mostly timed: fine
        assert!(eval("checkpoint_pressure", &r(90, 10, Some(30_000.0))).is_none());
        // 40 of 100 requested over 100 timeouts' time: 1 checkpoint per timeout, so double it
        let f = eval("checkpoint_pressure", &r(60, 40, Some(30_000.0))).expect("finding");
        assert_eq!(f.severity, Severity::Warning);
        assert_eq!(
            f.fix.as_deref(),
            Some("ALTER SYSTEM SET max_wal_size = '2GB';\nSELECT pg_reload_conf();")
        );
        assert!(f.message.contains("40 of 100 checkpoints"), "{}", f.message);
        assert!(f.message.contains("max_wal_size (1GB)"), "{}", f.message);
        assert!(f.message.contains("2026-12-01 10:00:00"), "{}", f.message);
        // 3 checkpoints per timeout: three times the WAL
        let f = eval("checkpoint_pressure", &r(10, 290, Some(30_000.0))).expect("finding");
        assert!(
            f.fix.as_deref().is_some_and(|x| x.contains("'3GB'")),
            "{f:?}"
        );
        // a burst is capped at 8x in one step
        let f = eval("checkpoint_pressure", &r(0, 50, Some(60.0))).expect("finding");
        assert!(
            f.fix.as_deref().is_some_and(|x| x.contains("'8GB'")),
            "{f:?}"
        );
        // the minimum is a threshold
        let mut cfg = HealthConfig::default();
        cfg.set("checkpoint_min=1000").expect("set");
        assert!(
            evaluate(
                "checkpoint_pressure",
                &r(10, 290, None),
                &cfg,
                &StatsWindow::default()
            )
            .is_none()
        );
    }

    #[test]
    fn setting_sizes_round_up() {
        assert_eq!(size_setting(32.0 * 1024.0 * 1024.0), "64MB");
        assert_eq!(size_setting(130.0 * 1024.0 * 1024.0), "192MB");
        assert_eq!(size_setting(2.5 * 1024.0 * 1024.0 * 1024.0), "3GB");
        assert_eq!(work_mem_setting(5.0 * 1024.0 * 1024.0), "8MB");
        assert_eq!(setting_text(32 << 20), "32MB");
        assert_eq!(setting_text(4 << 30), "4GB");
        assert_eq!(setting_text(64 << 10), "64kB");
        assert_eq!(version_older("1.9", "1.10"), Some(true));
        assert_eq!(version_older("1.10", "1.4"), Some(false));
        assert_eq!(version_older("2.0beta", "2.0"), None);
    }

    #[test]
    fn temp_spill_is_a_daily_rate_over_at_least_a_day_with_a_quoted_fix() {
        let r = |bytes: i64, files: i64, secs: f64| {
            obj(
                "",
                "App DB",
                vec![
                    ("temp_files", Value::Int(files)),
                    ("temp_bytes", Value::Int(bytes)),
                    ("seconds_counted", Value::Num(secs)),
                    ("work_mem_bytes", Value::Int(4 << 20)),
                ],
            )
        };
        // 512 MiB in an hour counts as 512 MiB a day: under 1 GiB
        assert!(eval("temp_spill", &r(512 << 20, 10, 3600.0)).is_none());
        // 20 GiB over 10 days
        let f = eval("temp_spill", &r(20 << 30, 1000, 864_000.0)).expect("finding");
        assert_eq!(f.severity, Severity::Info);
        assert!(f.message.contains("\"App DB\""), "{}", f.message);
        // 20 MiB a file: 32MB
        assert!(
            f.fix
                .as_deref()
                .is_some_and(|x| x.ends_with("ALTER DATABASE \"App DB\" SET work_mem = '32MB';")),
            "{:?}",
            f.fix
        );
        // huge spills: capped at 256MB
        let f = eval("temp_spill", &r(200 << 30, 10, 864_000.0)).expect("finding");
        assert!(f.fix.as_deref().is_some_and(|x| x.contains("'256MB'")));
    }

    #[test]
    fn autovacuum_disabled_resets_the_options_that_are_off() {
        let r = |kind: &str, table_off: bool, toast_off: bool| {
            row(
                "Odd",
                "x\"y",
                None,
                vec![
                    ("kind", Value::Text(kind.into())),
                    ("table_off", Value::Bool(table_off)),
                    ("toast_off", Value::Bool(toast_off)),
                    ("dead_tuples", Value::Int(5)),
                ],
            )
        };
        let f = eval("autovacuum_disabled", &r("table", true, true)).expect("finding");
        assert_eq!(
            f.fix.as_deref(),
            Some(
                "ALTER TABLE \"Odd\".\"x\"\"y\" RESET (autovacuum_enabled, toast.autovacuum_enabled);"
            )
        );
        assert!(f.message.contains("never vacuumed"), "{}", f.message);
        let f = eval("autovacuum_disabled", &r("materialized view", false, true)).expect("m");
        assert_eq!(
            f.fix.as_deref(),
            Some("ALTER MATERIALIZED VIEW \"Odd\".\"x\"\"y\" RESET (toast.autovacuum_enabled);")
        );
        assert!(eval("autovacuum_disabled", &r("table", false, false)).is_none());
    }

    #[test]
    fn never_analyzed_needs_rows_and_explains_partitioned_tables() {
        let r = |kind: &str, rows: i64| {
            row(
                "public",
                "events",
                None,
                vec![
                    ("kind", Value::Text(kind.into())),
                    ("rows", Value::Int(rows)),
                    ("stats_readable", Value::Bool(false)),
                ],
            )
        };
        assert!(eval("never_analyzed", &r("table", 0)).is_none());
        // a few rows: planned well enough without statistics, and autovacuum leaves them alone
        assert!(eval("never_analyzed", &r("table", 999)).is_none());
        let f = eval("never_analyzed", &r("partitioned table", 5000)).expect("finding");
        assert_eq!(f.fix.as_deref(), Some("ANALYZE public.events;"));
        assert!(
            f.message.contains("never analyzes a partitioned"),
            "{}",
            f.message
        );
        assert!(
            f.message.contains("not readable by this role"),
            "{}",
            f.message
        );
    }

    #[test]
    fn archive_and_slots() {
        let a = obj(
            "",
            "000000010000000000000003",
            vec![
                ("failed_count", Value::Int(6)),
                (
                    "last_failed_time",
                    Value::Text("2026-12-04 10:00:00.5+00".into()),
                ),
                ("last_archived_time", Value::Null),
            ],
        );
        let f = eval("archive_failing", &a).expect("finding");
        assert_eq!(f.severity, Severity::Critical);
        assert!(f.message.contains("nothing archived yet"), "{}", f.message);
        assert!(f.fix.is_none());

        let slot = |retained: Option<i64>, status: &str| {
            let mut v = vec![
                ("slot_type", Value::Text("logical".into())),
                ("wal_status", Value::Text(status.into())),
                ("catalog_xmin_age", Value::Int(1234)),
            ];
            if let Some(r) = retained {
                v.push(("retained_bytes", Value::Int(r)));
            }
            obj("", "old_sub'x", v)
        };
        let f = eval(
            "replication_slot_inactive",
            &slot(Some(3 << 20), "reserved"),
        )
        .expect("f");
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.message.contains("3.0 MiB"), "{}", f.message);
        assert!(f.message.contains("system catalogs"), "{}", f.message);
        assert!(
            f.fix.as_deref().is_some_and(|x| x.starts_with("-- ")
                && x.ends_with("SELECT pg_drop_replication_slot('old_sub''x');")),
            "{:?}",
            f.fix
        );
        let f = eval(
            "replication_slot_inactive",
            &slot(Some(11 << 30), "extended"),
        )
        .expect("f");
        assert_eq!(f.severity, Severity::Critical);
        let f = eval("replication_slot_inactive", &slot(None, "lost")).expect("lost");
        assert!(f.message.contains("invalidated"), "{}", f.message);
        // a slot that never reserved WAL holds nothing
        assert!(eval("replication_slot_inactive", &slot(None, "reserved")).is_none());
    }

    #[test]
    fn security_fixes_quote_hostile_names() {
        let evil = "x\"; drop table y; --";
        let f = eval("superuser_login", &obj("", evil, vec![])).expect("superuser");
        assert!(
            f.fix.as_deref().is_some_and(
                |x| x.ends_with("ALTER ROLE \"x\"\"; drop table y; --\" NOSUPERUSER;")
            ),
            "{:?}",
            f.fix
        );
        let p = RawRow {
            schema: evil.into(),
            ..Default::default()
        };
        let f = eval("public_create", &p).expect("public_create");
        assert!(
            f.fix
                .as_deref()
                .is_some_and(|x| x
                    .ends_with("REVOKE CREATE ON SCHEMA \"x\"\"; drop table y; --\" FROM PUBLIC;")),
            "{:?}",
            f.fix
        );
        assert!(!f.message.contains("before PostgreSQL 15"));
        let public = RawRow {
            schema: "public".into(),
            ..Default::default()
        };
        let f = eval("public_create", &public).expect("public");
        assert!(f.message.contains("before PostgreSQL 15"), "{}", f.message);

        let sd = |superuser: bool, public: bool, kind: &str| {
            obj(
                "My Schema",
                "Do It",
                vec![
                    // the server deparses the arguments, quoting as needed
                    ("arguments", Value::Text("a integer, \"b c\" text".into())),
                    ("kind", Value::Text(kind.into())),
                    ("owner", Value::Text("postgres".into())),
                    ("owner_superuser", Value::Bool(superuser)),
                    ("public_execute", Value::Bool(public)),
                ],
            )
        };
        let f = eval("security_definer_search_path", &sd(true, true, "function")).expect("sd");
        assert_eq!(f.severity, Severity::Critical);
        assert!(
            f.fix.as_deref().is_some_and(|x| x.ends_with(
                "ALTER FUNCTION \"My Schema\".\"Do It\"(a integer, \"b c\" text) SET search_path = \"My Schema\", pg_temp;"
            )),
            "{:?}",
            f.fix
        );
        let f = eval(
            "security_definer_search_path",
            &sd(false, true, "procedure"),
        )
        .expect("p");
        assert_eq!(f.severity, Severity::Warning);
        assert!(
            f.fix
                .as_deref()
                .is_some_and(|x| x.contains("ALTER PROCEDURE"))
        );

        let r = row(
            "public",
            "Secrets",
            None,
            vec![("forced", Value::Bool(true))],
        );
        let f = eval("rls_without_policy", &r).expect("rls");
        assert!(f.message.contains("FORCEd"), "{}", f.message);
        // nothing runnable: every line of the template is a comment
        assert!(
            f.fix
                .as_deref()
                .is_some_and(|x| x.lines().all(|l| l.starts_with("--"))
                    && x.contains("ON public.\"Secrets\"")),
            "{:?}",
            f.fix
        );

        let f = eval(
            "password_md5",
            &obj("", "Old App", vec![("can_login", Value::Bool(true))]),
        )
        .expect("md5");
        let fix = f.fix.as_deref().unwrap_or("");
        assert!(
            fix.starts_with("SET password_encryption = 'scram-sha-256';"),
            "{fix}"
        );
        // the only statement that is not a comment is the SET: no placeholder password is ever run
        assert_eq!(
            fix.lines().filter(|l| !l.starts_with("--")).count(),
            1,
            "{fix}"
        );
        assert!(fix.contains("\\password \"Old App\""), "{fix}");
    }

    #[test]
    fn extension_outdated_only_when_behind_and_fix_only_with_a_path() {
        let r = |installed: &str, default: &str, path: bool| {
            obj(
                "public",
                "pg_stat_statements",
                vec![
                    ("installed_version", Value::Text(installed.into())),
                    ("default_version", Value::Text(default.into())),
                    ("update_path", Value::Bool(path)),
                ],
            )
        };
        let f = eval("extension_outdated", &r("1.4", "1.10", true)).expect("behind");
        assert_eq!(f.severity, Severity::Info);
        assert!(
            f.fix
                .as_deref()
                .is_some_and(|x| x.ends_with("ALTER EXTENSION pg_stat_statements UPDATE;"))
        );
        assert!(eval("extension_outdated", &r("1.11", "1.10", false)).is_none());
        let f = eval("extension_outdated", &r("1.4", "1.10", false)).expect("no path");
        assert!(f.fix.is_none());
        assert!(f.message.contains("no update path"), "{}", f.message);
    }

    #[test]
    fn migration_failures_by_tool() {
        let m = |tool: &str, state: &str, version: &str| {
            row(
                "app",
                "history",
                Some(version),
                vec![
                    ("tool", Value::Text(tool.into())),
                    ("state", Value::Text(state.into())),
                    ("description", Value::Text("add users".into())),
                    ("applied_at", Value::Text("2026-01-01 10:00:00.1".into())),
                    ("applied_by", Value::Text("deploy".into())),
                    ("detail", Value::Text("ERROR: column exists".into())),
                    ("key", Value::Text("4'2".into())),
                ],
            )
        };
        let f = eval("migration_failed", &m("Flyway", "failed", "1.3")).expect("flyway");
        assert_eq!(f.severity, Severity::Critical);
        assert_eq!(f.group(), "migrations");
        assert!(
            f.fix.as_deref().is_some_and(|x| x.ends_with(
                "DELETE FROM app.history WHERE installed_rank = '4''2' AND NOT success;"
            )),
            "{:?}",
            f.fix
        );
        let f = eval(
            "migration_failed",
            &m("Prisma", "unfinished", "20260101_init"),
        )
        .expect("p");
        assert_eq!(f.severity, Severity::Critical);
        assert!(f.message.contains("P3009"), "{}", f.message);
        assert!(f.message.contains("ERROR: column exists"), "{}", f.message);
        let f = eval(
            "migration_failed",
            &m("Prisma", "rolled back", "20260101_init"),
        )
        .expect("r");
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.fix.is_none());
        let f = eval("migration_failed", &m("golang-migrate", "dirty", "7")).expect("dirty");
        assert_eq!(f.severity, Severity::Critical);
        assert!(
            f.fix.as_deref().is_some_and(
                |x| x.ends_with("UPDATE app.history SET dirty = false WHERE version = '4''2';")
            ),
            "{:?}",
            f.fix
        );
    }

    #[test]
    fn bytes_are_human() {
        assert_eq!(bytes(512), "512 bytes");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(3 << 20), "3.0 MiB");
    }
}
