//! Hardware-aware targets for the server parameters, in the manner of PGTune (le0pard/pgtune): the
//! hardware profile (RAM, CPUs, storage, workload), the sizes people type for it (`16GB`), and the
//! value each tuned parameter should have on it, with the rule behind it in one sentence.
//!
//! The rules follow PGTune's `src/features/configuration/configurationSlice.js` (the version with
//! the 4 MB work_mem floor, the 8 GB maintenance_work_mem cap and NVMe storage), for Linux: pgdeck
//! does not ask for the OS. They were read for their facts and written here anew; the unit tests
//! compare our output with the values PGTune gives for the same inputs. Pure: reading the machine's
//! own RAM and disks is `crate::hardware`'s job; comparing with the server is `model::settings`'.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer};

/// How the data is stored: it sets the planner's cost of a random read and how many reads to issue
/// ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    Ssd,
    Hdd,
    /// Network storage (SAN, cloud block volumes).
    San,
    Nvme,
}

impl Storage {
    pub const NAMES: &'static str = "ssd, hdd, san (or network), nvme";

    pub fn name(self) -> &'static str {
        match self {
            Storage::Ssd => "ssd",
            Storage::Hdd => "hdd",
            Storage::San => "san",
            Storage::Nvme => "nvme",
        }
    }
}

impl std::str::FromStr for Storage {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ssd" => Ok(Storage::Ssd),
            "hdd" => Ok(Storage::Hdd),
            "san" | "network" => Ok(Storage::San),
            "nvme" => Ok(Storage::Nvme),
            _ => Err(format!(
                "unknown storage `{s}` (one of: {})",
                Storage::NAMES
            )),
        }
    }
}

/// What the server mostly does (PGTune's "DB type").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// Web application: many short queries.
    Web,
    /// Online transaction processing.
    Oltp,
    /// Data warehouse: few, large analytical queries.
    Dw,
    /// A developer's or desktop application's database, sharing the machine.
    Desktop,
    /// Mixed.
    Mixed,
}

impl Workload {
    pub const NAMES: &'static str = "web, oltp, dw (data warehouse), desktop, mixed";

    pub fn name(self) -> &'static str {
        match self {
            Workload::Web => "web",
            Workload::Oltp => "oltp",
            Workload::Dw => "dw",
            Workload::Desktop => "desktop",
            Workload::Mixed => "mixed",
        }
    }

    /// The connection count PGTune assumes when none is given.
    pub fn default_connections(self) -> u32 {
        match self {
            Workload::Web => 200,
            Workload::Oltp => 300,
            Workload::Dw => 40,
            Workload::Desktop => 20,
            Workload::Mixed => 100,
        }
    }
}

impl std::str::FromStr for Workload {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "web" => Ok(Workload::Web),
            "oltp" => Ok(Workload::Oltp),
            "dw" | "datawarehouse" | "data-warehouse" | "warehouse" => Ok(Workload::Dw),
            "desktop" => Ok(Workload::Desktop),
            "mixed" => Ok(Workload::Mixed),
            _ => Err(format!(
                "unknown workload `{s}` (one of: {})",
                Workload::NAMES
            )),
        }
    }
}

/// Deserialize through `FromStr`, so a config file gets the same words and messages as the command
/// line.
fn from_str_de<'de, D: Deserializer<'de>, T: std::str::FromStr<Err = String>>(
    d: D,
) -> Result<T, D::Error> {
    let s = String::deserialize(d)?;
    s.parse().map_err(de::Error::custom)
}

impl<'de> Deserialize<'de> for Storage {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        from_str_de(d)
    }
}

impl<'de> Deserialize<'de> for Workload {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        from_str_de(d)
    }
}

/// A size in a config file: a string with a unit (`"16GB"`), parsed by [`parse_size`].
fn size_de<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    struct V;
    impl de::Visitor<'_> for V {
        type Value = Option<u64>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a size with a unit, such as \"16GB\"")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<u64>, E> {
            parse_size(v).map(Some).map_err(E::custom)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Option<u64>, E> {
            Err(E::custom(format!(
                "{v} has no unit: write it as a string with one, e.g. \"16GB\""
            )))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<u64>, E> {
            self.visit_i64(v as i64)
        }
    }
    d.deserialize_any(V)
}

/// Hardware as stated somewhere (config.toml's `[hardware]`, a profile's `hardware` table, the
/// command line, the machine itself): any part may be missing. Later sources fill in or override
/// earlier ones with [`HardwareSpec::over`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(
    deny_unknown_fields,
    default,
    expecting = "a hardware table such as { ram = \"16GB\", cpus = 8, storage = \"ssd\", workload = \"oltp\" }"
)]
pub struct HardwareSpec {
    /// RAM in bytes (`ram = "16GB"` in a file).
    #[serde(deserialize_with = "size_de")]
    pub ram: Option<u64>,
    pub cpus: Option<u32>,
    pub storage: Option<Storage>,
    pub workload: Option<Workload>,
    pub max_connections: Option<u32>,
    /// Read RAM, CPUs and storage from this machine when the server is on it (default true).
    pub detect: Option<bool>,
}

impl HardwareSpec {
    /// `self` with every part `over` states replacing ours.
    pub fn over(self, over: HardwareSpec) -> HardwareSpec {
        HardwareSpec {
            ram: over.ram.or(self.ram),
            cpus: over.cpus.or(self.cpus),
            storage: over.storage.or(self.storage),
            workload: over.workload.or(self.workload),
            max_connections: over.max_connections.or(self.max_connections),
            detect: over.detect.or(self.detect),
        }
    }

    /// Whether anything about the machine is stated.
    pub fn is_empty(&self) -> bool {
        self.ram.is_none()
            && self.cpus.is_none()
            && self.storage.is_none()
            && self.workload.is_none()
            && self.max_connections.is_none()
    }

    /// A complete profile, when the RAM is known: storage defaults to ssd and the workload to web,
    /// PGTune's defaults.
    pub fn complete(&self) -> Option<Hardware> {
        Some(Hardware {
            ram_bytes: self.ram?,
            cpus: self.cpus.filter(|c| *c > 0),
            storage: self.storage.unwrap_or(Storage::Ssd),
            workload: self.workload.unwrap_or(Workload::Web),
            max_connections: self.max_connections.filter(|c| *c > 0),
        })
    }
}

/// The machine the server runs on and what it is for: the input of [`targets`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hardware {
    pub ram_bytes: u64,
    /// Unknown: the parallel-query settings are left alone (as PGTune does).
    pub cpus: Option<u32>,
    pub storage: Storage,
    pub workload: Workload,
    /// Connections the applications open; unknown: PGTune's count for the workload.
    pub max_connections: Option<u32>,
}

impl Hardware {
    /// The connection count the work_mem rule divides by.
    pub fn connections(&self) -> u32 {
        self.max_connections
            .unwrap_or_else(|| self.workload.default_connections())
    }
}

impl fmt::Display for Hardware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} RAM", human_size(self.ram_bytes))?;
        if let Some(c) = self.cpus {
            write!(f, ", {c} CPU{}", if c == 1 { "" } else { "s" })?;
        }
        write!(
            f,
            ", {} storage, {} workload",
            self.storage.name(),
            self.workload.name()
        )?;
        if let Some(c) = self.max_connections {
            write!(f, ", {c} connections")?;
        }
        Ok(())
    }
}

const KB: u64 = 1024;
const MB: u64 = 1024 * KB;
const GB: u64 = 1024 * MB;
const TB: u64 = 1024 * GB;

/// Parse a size as people write it: `16GB`, `512 MB`, `1.5TB`, `64GiB`, `8g`. Units count in 1024s,
/// as PostgreSQL and PGTune do; a number without a unit is refused (bytes or gigabytes?).
pub fn parse_size(input: &str) -> Result<u64, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err("empty size: write it with a unit, e.g. 16GB or 512MB".into());
    }
    if s.starts_with('-') {
        return Err(format!("`{input}`: a size cannot be negative"));
    }
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(s.len());
    let (number, unit) = (s[..split].replace('_', ""), s[split..].trim());
    let mult = match unit.to_ascii_lowercase().as_str() {
        "" => {
            return Err(format!(
                "`{input}` has no unit: write 16GB, 512MB, 1TB (units count in 1024s)"
            ));
        }
        "b" | "byte" | "bytes" => 1,
        "k" | "kb" | "kib" => KB,
        "m" | "mb" | "mib" => MB,
        "g" | "gb" | "gib" => GB,
        "t" | "tb" | "tib" => TB,
        _ => {
            return Err(format!(
                "`{input}`: unknown unit `{unit}` (use B, kB, MB, GB or TB, e.g. 16GB)"
            ));
        }
    };
    let (int, frac) = number.split_once('.').unwrap_or((&number, ""));
    if int.is_empty() && frac.is_empty() || frac.contains('.') {
        return Err(format!(
            "`{input}` is not a size: expected a number then a unit, e.g. 16GB"
        ));
    }
    let too_big = || format!("`{input}` is too large");
    let whole: u64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| too_big())?
    };
    let mut bytes = whole.checked_mul(mult).ok_or_else(too_big)?;
    if !frac.is_empty() {
        // fixed point on the digits given (at most 18 count), so 1.5GB is exact
        let digits = &frac[..frac.len().min(18)];
        let f: u128 = digits.parse().map_err(|_| too_big())?;
        let scale = 10u128.pow(digits.len() as u32);
        let part = f * u128::from(mult) / scale;
        bytes = bytes
            .checked_add(u64::try_from(part).map_err(|_| too_big())?)
            .ok_or_else(too_big)?;
    }
    if bytes == 0 {
        return Err(format!("`{input}`: a size must be more than zero"));
    }
    Ok(bytes)
}

/// A size the way PostgreSQL and PGTune print it: the largest unit that holds it exactly (`4GB`,
/// `16MB`, `13617kB`, `100B`). Also what `ALTER SYSTEM` takes.
pub fn format_size(bytes: u64) -> String {
    for (unit, m) in [("TB", TB), ("GB", GB), ("MB", MB), ("kB", KB)] {
        if bytes >= m && bytes.is_multiple_of(m) {
            return format!("{}{unit}", bytes / m);
        }
    }
    format!("{bytes}B")
}

/// A size for reading rather than for PostgreSQL: exact when it is (`16GB`), else one decimal in
/// the largest unit (`23.5GB` for the RAM a machine reports).
pub fn human_size(bytes: u64) -> String {
    let exact = format_size(bytes);
    if bytes < MB || ["TB", "GB", "MB"].iter().any(|u| exact.ends_with(u)) {
        return exact;
    }
    for (unit, m) in [("TB", TB), ("GB", GB), ("MB", MB)] {
        if bytes >= m {
            return format!("{:.1}{unit}", bytes as f64 / m as f64);
        }
    }
    exact
}

/// Where each part of the hardware came from, for the note that says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HardwareOrigin {
    /// Read from this machine.
    pub machine: HardwareSpec,
    /// Stated by the user (config.toml, the profile, the command line), already merged.
    pub stated: HardwareSpec,
}

/// One sentence on where the hardware came from: what was read from this machine, what was stated,
/// what was assumed. `how` says why the machine counts as the server's (`over a unix socket`).
pub fn hardware_note(origin: &HardwareOrigin, hw: &Hardware, how: &str) -> String {
    let mut read = Vec::new();
    let mut stated = Vec::new();
    let mut assumed = Vec::new();
    let m = &origin.machine;
    let st = &origin.stated;
    let mut put = |from_user: bool, from_machine: bool, text: String| {
        if from_user {
            stated.push(text);
        } else if from_machine {
            read.push(text);
        } else {
            assumed.push(text);
        }
    };
    put(
        st.ram.is_some(),
        m.ram.is_some(),
        format!("{} RAM", human_size(hw.ram_bytes)),
    );
    if let Some(c) = hw.cpus {
        put(st.cpus.is_some(), m.cpus.is_some(), format!("{c} CPUs"));
    }
    put(
        st.storage.is_some(),
        m.storage.is_some(),
        format!("{} storage", hw.storage.name()),
    );
    put(
        st.workload.is_some(),
        false,
        format!("{} workload", hw.workload.name()),
    );
    if let Some(c) = hw.max_connections {
        stated.push(format!("{c} connections"));
    }
    let mut parts = Vec::new();
    if !read.is_empty() {
        parts.push(format!(
            "hardware read from this machine ({how}): {}",
            read.join(", ")
        ));
    }
    if !stated.is_empty() {
        parts.push(format!("stated: {}", stated.join(", ")));
    }
    if !assumed.is_empty() {
        parts.push(format!(
            "assumed (PGTune's defaults): {}",
            assumed.join(", ")
        ));
    }
    let mut note = parts.join("; ");
    if !read.is_empty() || !assumed.is_empty() {
        note.push_str(
            ". State what differs with --ram, --cpus, --storage, --workload or config.toml's [hardware]",
        );
    }
    if hw.cpus.is_none() {
        note.push_str(". Without a CPU count the parallel-query settings are left alone");
    }
    note
}

/// A tuned parameter's target value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TargetValue {
    Bytes(u64),
    Int(i64),
    Real(f64),
}

impl TargetValue {
    /// The value in the units [`crate::model::settings::Setting::number`] uses (bytes, plain numbers).
    pub fn number(self) -> f64 {
        match self {
            TargetValue::Bytes(b) => b as f64,
            TargetValue::Int(i) => i as f64,
            TargetValue::Real(r) => r,
        }
    }
}

impl fmt::Display for TargetValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetValue::Bytes(b) => f.write_str(&format_size(*b)),
            TargetValue::Int(i) => write!(f, "{i}"),
            TargetValue::Real(r) => write!(f, "{r}"),
        }
    }
}

/// What one parameter should be on the given hardware, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub name: &'static str,
    pub value: TargetValue,
    /// The rule, in one sentence.
    pub why: String,
}

/// The parameters [`targets`] may give, in PGTune's order.
pub const TUNED: &[&str] = &[
    "shared_buffers",
    "effective_cache_size",
    "maintenance_work_mem",
    "checkpoint_completion_target",
    "wal_buffers",
    "default_statistics_target",
    "random_page_cost",
    "effective_io_concurrency",
    "work_mem",
    "min_wal_size",
    "max_wal_size",
    "max_worker_processes",
    "max_parallel_workers_per_gather",
    "max_parallel_workers",
    "max_parallel_maintenance_workers",
];

/// PGTune works in kB: round the RAM down to whole kB first so our floors match its own.
fn kb(bytes: u64) -> u64 {
    bytes / KB
}

/// The parallel-query settings: none under 4 CPUs or when the count is unknown.
fn parallel(hw: &Hardware, pg_major: u32) -> Vec<Target> {
    let Some(cpus) = hw.cpus.filter(|c| *c >= 4) else {
        return Vec::new();
    };
    let half = cpus.div_ceil(2);
    let per_gather = if hw.workload == Workload::Dw {
        half
    } else {
        half.min(4)
    };
    let mut t = vec![
        Target {
            name: "max_worker_processes",
            value: TargetValue::Int(i64::from(cpus)),
            why: format!("one background worker per CPU ({cpus})."),
        },
        Target {
            name: "max_parallel_workers_per_gather",
            value: TargetValue::Int(i64::from(per_gather)),
            why: if hw.workload == Workload::Dw {
                format!("half the CPUs may help one analytical query ({per_gather}).")
            } else {
                format!(
                    "half the CPUs, at most 4, per query ({per_gather}): beyond that workers add little for short queries."
                )
            },
        },
    ];
    if pg_major >= 10 {
        t.push(Target {
            name: "max_parallel_workers",
            value: TargetValue::Int(i64::from(cpus)),
            why: format!("parallel workers across all queries: one per CPU ({cpus})."),
        });
    }
    if pg_major >= 11 {
        let m = half.min(4);
        t.push(Target {
            name: "max_parallel_maintenance_workers",
            value: TargetValue::Int(i64::from(m)),
            why: format!("half the CPUs, at most 4, for CREATE INDEX and VACUUM ({m})."),
        });
    }
    t
}

/// The target of every tuned parameter for this hardware and server major version (PGTune's rules
/// for Linux; see the module docs).
pub fn targets(hw: &Hardware, pg_major: u32) -> Vec<Target> {
    use Workload::*;
    let total = kb(hw.ram_bytes);
    let w = hw.workload;
    let ram = human_size(hw.ram_bytes);
    let shared = match w {
        Desktop => total / 16,
        _ => total / 4,
    };
    let cache = match w {
        Desktop => total / 4,
        _ => total * 3 / 4,
    };
    let maintenance = match w {
        Dw => total / 8,
        _ => total / 16,
    }
    .min(8 * GB / KB);
    // 3% of shared_buffers, at most 16MB (rounded up to 16MB from 14MB), at least 32kB
    let mut wal = (shared * 3 / 100).min(16 * KB);
    if wal > 14 * KB {
        wal = 16 * KB;
    }
    let wal = wal.max(32);
    let parallel = parallel(hw, pg_major);
    let workers = parallel
        .first()
        .and_then(|t| match t.value {
            TargetValue::Int(n) if n > 0 => Some(n as u64),
            _ => None,
        })
        .unwrap_or(8);
    let conns = u64::from(hw.connections());
    // (RAM - shared_buffers) / ((connections + workers) * 3): every connection may run a few sorts or
    // hashes at once; dw and mixed halve it, desktop takes a sixth
    let per = (total.saturating_sub(shared)) as f64 / ((conns + workers) * 3) as f64;
    let work = match w {
        Web | Oltp => per,
        Dw | Mixed => per / 2.0,
        Desktop => per / 6.0,
    }
    .floor() as u64;
    let work = work.max(4 * KB);
    let (min_wal, max_wal) = match w {
        Web | Mixed => (GB, 4 * GB),
        Oltp => (2 * GB, 8 * GB),
        Dw => (4 * GB, 16 * GB),
        Desktop => (100 * MB, 2 * GB),
    };
    let conns_said = match hw.max_connections {
        Some(c) => format!("{c} connections"),
        None => format!("{conns} connections (PGTune's count for {})", w.name()),
    };
    let mut t = vec![
        Target {
            name: "shared_buffers",
            value: TargetValue::Bytes(shared * KB),
            why: if w == Desktop {
                format!("a sixteenth of the {ram} of RAM on a machine shared with other programs.")
            } else {
                format!(
                    "a quarter of the {ram} of RAM for PostgreSQL's own cache; the OS page cache uses the rest."
                )
            },
        },
        Target {
            name: "effective_cache_size",
            value: TargetValue::Bytes(cache * KB),
            why: format!(
                "how much of the {ram} of RAM the planner may count on for caching (shared_buffers plus the OS cache): {}.",
                if w == Desktop { "a quarter" } else { "three quarters" }
            ),
        },
        Target {
            name: "maintenance_work_mem",
            value: TargetValue::Bytes(maintenance * KB),
            why: format!(
                "memory for VACUUM and CREATE INDEX: {} of RAM, at most 8GB.",
                if w == Dw { "an eighth" } else { "a sixteenth" }
            ),
        },
        Target {
            name: "checkpoint_completion_target",
            value: TargetValue::Real(0.9),
            why: "spread checkpoint writes over 90% of the interval instead of bursting them (the default since PostgreSQL 14).".into(),
        },
        Target {
            name: "wal_buffers",
            value: TargetValue::Bytes(wal * KB),
            why: "3% of shared_buffers, at most 16MB: WAL written between flushes.".into(),
        },
        Target {
            name: "default_statistics_target",
            value: TargetValue::Int(if w == Dw { 500 } else { 100 }),
            why: if w == Dw {
                "finer statistics for the large, varied queries of a data warehouse.".into()
            } else {
                "the default sample size suits this workload.".into()
            },
        },
        Target {
            name: "random_page_cost",
            value: TargetValue::Real(if hw.storage == Storage::Hdd { 4.0 } else { 1.1 }),
            why: if hw.storage == Storage::Hdd {
                "on spinning disks a random read costs about 4 sequential ones.".into()
            } else {
                format!(
                    "on {} a random read costs about as much as a sequential one, so index scans should look cheap.",
                    hw.storage.name()
                )
            },
        },
        Target {
            name: "effective_io_concurrency",
            value: TargetValue::Int(match hw.storage {
                Storage::Hdd => 2,
                Storage::Ssd => 200,
                Storage::San => 300,
                Storage::Nvme => 1000,
            }),
            why: format!(
                "how many reads {} storage serves at once (bitmap heap scans prefetch that many).",
                hw.storage.name()
            ),
        },
        Target {
            name: "work_mem",
            value: TargetValue::Bytes(work * KB),
            why: format!(
                "(RAM - shared_buffers) / ((connections + workers) x 3) for {conns_said} and {workers} workers{}, at least 4MB: per sort or hash, several per query.",
                match w {
                    Dw | Mixed => ", halved for long queries",
                    Desktop => ", a sixth on a shared machine",
                    _ => "",
                }
            ),
        },
        Target {
            name: "min_wal_size",
            value: TargetValue::Bytes(min_wal),
            why: format!("WAL kept for reuse, sized for a {} write load.", w.name()),
        },
        Target {
            name: "max_wal_size",
            value: TargetValue::Bytes(max_wal),
            why: format!(
                "WAL between checkpoints, sized for a {} write load: too small forces checkpoints early.",
                w.name()
            ),
        },
    ];
    t.extend(parallel);
    t
}

// -------------------------------------------------------------------------------------------------
// Reading the machine (the parsing half; `crate::hardware` reads the files)

/// RAM as the kernel reports it, rounded to what was installed: MemTotal leaves out what the
/// firmware and kernel reserve (a 16GB machine reports about 15.6GB), so round to the nearest GB
/// from 1.5GB up, to the nearest 64MB below. The targets then come out as PGTune gives them for the
/// RAM people would type.
pub fn round_ram(bytes: u64) -> u64 {
    let step = if bytes >= GB + GB / 2 { GB } else { 64 * MB };
    (((bytes + step / 2) / step) * step).max(step)
}

/// `MemTotal` of a `/proc/meminfo` text, in bytes.
pub fn meminfo_total(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let mut parts = line["MemTotal:".len()..].split_whitespace();
    let n: u64 = parts.next()?.parse().ok()?;
    match parts.next() {
        Some("kB") => n.checked_mul(KB),
        None => Some(n),
        Some(_) => None,
    }
}

/// The storage kind of the machine's disks from `(device name, rotational flag)` pairs as
/// `/sys/block/*/queue/rotational` gives them. Virtual devices (loop, ram, zram, device-mapper,
/// optical) are left out, and so are a VM's paravirtual disks (virtio `vd*`, Xen `xvd*`), whose flag
/// says nothing about the storage behind them (virtio disks claim to spin by default); `None` when the
/// disks left disagree or there are none.
pub fn storage_from_block_devices(devices: &[(String, bool)]) -> Option<Storage> {
    let real: Vec<&(String, bool)> = devices
        .iter()
        .filter(|(name, _)| {
            ![
                "loop", "ram", "zram", "dm-", "sr", "fd", "md", "nbd", "vd", "xvd",
            ]
            .iter()
            .any(|p| name.starts_with(p))
        })
        .collect();
    if real.is_empty() {
        return None;
    }
    if real.iter().all(|(_, rotational)| *rotational) {
        return Some(Storage::Hdd);
    }
    if real.iter().any(|(_, rotational)| *rotational) {
        return None;
    }
    if real.iter().all(|(name, _)| name.starts_with("nvme")) {
        Some(Storage::Nvme)
    } else {
        Some(Storage::Ssd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hw(ram: &str, cpus: Option<u32>, storage: Storage, workload: Workload) -> Hardware {
        Hardware {
            ram_bytes: parse_size(ram).expect("size"),
            cpus,
            storage,
            workload,
            max_connections: None,
        }
    }

    /// name -> printed value, as PGTune prints its postgresql.conf (sizes in kB, MB or GB).
    fn printed(hw: &Hardware, pg: u32) -> Vec<(&'static str, String)> {
        targets(hw, pg)
            .into_iter()
            .map(|t| (t.name, t.value.to_string()))
            .collect()
    }

    fn expect(hw: &Hardware, pg: u32, want: &[(&str, &str)]) {
        let got = printed(hw, pg);
        let names: Vec<&str> = got.iter().map(|(n, _)| *n).collect();
        let want_names: Vec<&str> = want.iter().map(|(n, _)| *n).collect();
        assert_eq!(names.len(), want_names.len(), "{got:?}");
        for (name, value) in want {
            let ours = got.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
            assert_eq!(ours, Some(*value), "{name} for {hw}");
        }
    }

    // The expected values below are what PGTune prints for the same inputs (Linux), worked out from
    // le0pard/pgtune src/features/configuration/configurationSlice.js (selectSharedBuffers,
    // selectEffectiveCacheSize, selectMaintenanceWorkMem, selectCheckpointSegments, selectWalBuffers,
    // selectDefaultStatisticsTarget, selectRandomPageCost, selectEffectiveIoConcurrency,
    // selectParallelSettings, selectWorkMem) and its formatValue in
    // src/common/components/configurationView/index.jsx.

    #[test]
    fn pgtune_16gb_8cpu_ssd_oltp() {
        // work_mem: (16777216 - 4194304) kB / ((300 + 8) * 3) = 13617.87 -> 13617kB
        expect(
            &hw("16GB", Some(8), Storage::Ssd, Workload::Oltp),
            16,
            &[
                ("shared_buffers", "4GB"),
                ("effective_cache_size", "12GB"),
                ("maintenance_work_mem", "1GB"),
                ("checkpoint_completion_target", "0.9"),
                ("wal_buffers", "16MB"),
                ("default_statistics_target", "100"),
                ("random_page_cost", "1.1"),
                ("effective_io_concurrency", "200"),
                ("work_mem", "13617kB"),
                ("min_wal_size", "2GB"),
                ("max_wal_size", "8GB"),
                ("max_worker_processes", "8"),
                ("max_parallel_workers_per_gather", "4"),
                ("max_parallel_workers", "8"),
                ("max_parallel_maintenance_workers", "4"),
            ],
        );
    }

    #[test]
    fn pgtune_4gb_2cpu_hdd_web() {
        // under 4 CPUs: no parallel settings, work_mem counts PGTune's default of 8 workers:
        // (4194304 - 1048576) / ((200 + 8) * 3) = 5041.2 -> 5041kB
        expect(
            &hw("4GB", Some(2), Storage::Hdd, Workload::Web),
            15,
            &[
                ("shared_buffers", "1GB"),
                ("effective_cache_size", "3GB"),
                ("maintenance_work_mem", "256MB"),
                ("checkpoint_completion_target", "0.9"),
                ("wal_buffers", "16MB"),
                ("default_statistics_target", "100"),
                ("random_page_cost", "4"),
                ("effective_io_concurrency", "2"),
                ("work_mem", "5041kB"),
                ("min_wal_size", "1GB"),
                ("max_wal_size", "4GB"),
            ],
        );
    }

    #[test]
    fn pgtune_64gb_32cpu_san_dw() {
        // maintenance_work_mem 64GB/8 = 8GB hits the 8GB cap; per gather is not capped for dw;
        // work_mem (67108864 - 16777216) / ((40 + 32) * 3) / 2 = 116508.4 -> 116508kB
        expect(
            &hw("64GB", Some(32), Storage::San, Workload::Dw),
            17,
            &[
                ("shared_buffers", "16GB"),
                ("effective_cache_size", "48GB"),
                ("maintenance_work_mem", "8GB"),
                ("checkpoint_completion_target", "0.9"),
                ("wal_buffers", "16MB"),
                ("default_statistics_target", "500"),
                ("random_page_cost", "1.1"),
                ("effective_io_concurrency", "300"),
                ("work_mem", "116508kB"),
                ("min_wal_size", "4GB"),
                ("max_wal_size", "16GB"),
                ("max_worker_processes", "32"),
                ("max_parallel_workers_per_gather", "16"),
                ("max_parallel_workers", "32"),
                ("max_parallel_maintenance_workers", "4"),
            ],
        );
    }

    #[test]
    fn pgtune_2gb_desktop_without_cpu_count() {
        // wal_buffers 3% of 131072kB = 3932kB; work_mem (2097152 - 131072) / ((20 + 8) * 3) / 6 =
        // 3900.9 -> under the 4MB floor -> 4MB
        expect(
            &hw("2GB", None, Storage::Ssd, Workload::Desktop),
            14,
            &[
                ("shared_buffers", "128MB"),
                ("effective_cache_size", "512MB"),
                ("maintenance_work_mem", "128MB"),
                ("checkpoint_completion_target", "0.9"),
                ("wal_buffers", "3932kB"),
                ("default_statistics_target", "100"),
                ("random_page_cost", "1.1"),
                ("effective_io_concurrency", "200"),
                ("work_mem", "4MB"),
                ("min_wal_size", "100MB"),
                ("max_wal_size", "2GB"),
            ],
        );
    }

    #[test]
    fn pgtune_256gb_4cpu_nvme_mixed_500_connections() {
        // maintenance 256GB/16 = 16GB -> 8GB cap; work_mem (268435456 - 67108864) / ((500 + 4) * 3)
        // / 2 = 66576.3 -> 66576kB
        let mut h = hw("256GB", Some(4), Storage::Nvme, Workload::Mixed);
        h.max_connections = Some(500);
        expect(
            &h,
            18,
            &[
                ("shared_buffers", "64GB"),
                ("effective_cache_size", "192GB"),
                ("maintenance_work_mem", "8GB"),
                ("checkpoint_completion_target", "0.9"),
                ("wal_buffers", "16MB"),
                ("default_statistics_target", "100"),
                ("random_page_cost", "1.1"),
                ("effective_io_concurrency", "1000"),
                ("work_mem", "66576kB"),
                ("min_wal_size", "1GB"),
                ("max_wal_size", "4GB"),
                ("max_worker_processes", "4"),
                ("max_parallel_workers_per_gather", "2"),
                ("max_parallel_workers", "4"),
                ("max_parallel_maintenance_workers", "2"),
            ],
        );
    }

    fn value(hw: &Hardware, pg: u32, name: &str) -> Option<TargetValue> {
        targets(hw, pg)
            .into_iter()
            .find(|t| t.name == name)
            .map(|t| t.value)
    }

    // PGTune's own spec cases, src/features/configuration/__tests__/configurationSlice.test.js.
    #[test]
    fn pgtune_spec_cases() {
        // selectWorkMem: 4GB web, 9999 connections, 4 CPUs floors at 4MB (4096 kB)
        let mut h = hw("4GB", Some(4), Storage::Ssd, Workload::Web);
        h.max_connections = Some(9999);
        assert_eq!(
            value(&h, 15, "work_mem"),
            Some(TargetValue::Bytes(4096 * KB))
        );
        // selectWorkMem (Windows PG18 case, where Linux gives the same): 256GB web, 20 connections,
        // 4 CPUs "evaluates to 2796202" kB
        let mut h = hw("256GB", Some(4), Storage::Ssd, Workload::Web);
        h.max_connections = Some(20);
        assert_eq!(
            value(&h, 18, "work_mem"),
            Some(TargetValue::Bytes(2_796_202 * KB))
        );
        // selectMaintenanceWorkMem: 256GB web caps at 8388608 kB; 16GB web gives 1048576 kB
        let h = hw("256GB", None, Storage::Ssd, Workload::Web);
        assert_eq!(
            value(&h, 17, "maintenance_work_mem"),
            Some(TargetValue::Bytes(8_388_608 * KB))
        );
        let h = hw("16GB", None, Storage::Ssd, Workload::Web);
        assert_eq!(
            value(&h, 15, "maintenance_work_mem"),
            Some(TargetValue::Bytes(1_048_576 * KB))
        );
        // selectParallelSettings
        let par = |cpus: u32, pg: u32, w: Workload| -> Vec<(&'static str, String)> {
            parallel(&hw("16GB", Some(cpus), Storage::Ssd, w), pg)
                .into_iter()
                .map(|t| (t.name, t.value.to_string()))
                .collect()
        };
        assert!(par(1, 14, Workload::Web).is_empty());
        assert_eq!(
            par(12, 13, Workload::Web),
            [
                ("max_worker_processes", "12".to_string()),
                ("max_parallel_workers_per_gather", "4".into()),
                ("max_parallel_workers", "12".into()),
                ("max_parallel_maintenance_workers", "4".into()),
            ]
        );
        assert_eq!(
            par(12, 10, Workload::Web),
            [
                ("max_worker_processes", "12".to_string()),
                ("max_parallel_workers_per_gather", "4".into()),
                ("max_parallel_workers", "12".into()),
            ]
        );
        assert_eq!(
            par(31, 12, Workload::Dw),
            [
                ("max_worker_processes", "31".to_string()),
                ("max_parallel_workers_per_gather", "16".into()),
                ("max_parallel_workers", "31".into()),
                ("max_parallel_maintenance_workers", "4".into()),
            ]
        );
        // selectRandomPageCost / selectEffectiveIoConcurrency / selectDefaultStatisticsTarget
        for (s, rpc, eio) in [
            (Storage::Hdd, 4.0, 2),
            (Storage::Ssd, 1.1, 200),
            (Storage::San, 1.1, 300),
            (Storage::Nvme, 1.1, 1000),
        ] {
            let h = hw("8GB", None, s, Workload::Web);
            assert_eq!(
                value(&h, 16, "random_page_cost"),
                Some(TargetValue::Real(rpc))
            );
            assert_eq!(
                value(&h, 16, "effective_io_concurrency"),
                Some(TargetValue::Int(eio))
            );
        }
        // selectMaxConnections
        for (w, c) in [
            (Workload::Web, 200),
            (Workload::Oltp, 300),
            (Workload::Dw, 40),
            (Workload::Desktop, 20),
            (Workload::Mixed, 100),
        ] {
            assert_eq!(w.default_connections(), c);
            let stats = if w == Workload::Dw { 500 } else { 100 };
            assert_eq!(
                value(
                    &hw("8GB", None, Storage::Ssd, w),
                    16,
                    "default_statistics_target"
                ),
                Some(TargetValue::Int(stats))
            );
        }
    }

    #[test]
    fn wal_buffers_rounds_up_near_16mb_and_has_a_floor() {
        // shared_buffers 480MB (1920MB RAM): 3% = 14745kB, over 14MB: 16MB
        let h = hw("1920MB", None, Storage::Ssd, Workload::Web);
        assert_eq!(
            value(&h, 16, "wal_buffers"),
            Some(TargetValue::Bytes(16 * MB))
        );
        // 64MB RAM: shared_buffers 16MB, 3% = 491kB
        let h = hw("64MB", None, Storage::Ssd, Workload::Web);
        assert_eq!(
            value(&h, 16, "wal_buffers"),
            Some(TargetValue::Bytes(491 * KB))
        );
        // 1MB RAM (absurd, but no panic): the 32kB floor
        let h = hw("1MB", None, Storage::Ssd, Workload::Web);
        assert_eq!(
            value(&h, 16, "wal_buffers"),
            Some(TargetValue::Bytes(32 * KB))
        );
    }

    #[test]
    fn every_target_is_a_tuned_parameter_with_a_reason() {
        let h = hw("16GB", Some(8), Storage::Ssd, Workload::Oltp);
        let t = targets(&h, 17);
        assert_eq!(t.len(), TUNED.len());
        for x in &t {
            assert!(TUNED.contains(&x.name), "{}", x.name);
            assert!(x.why.ends_with('.'), "{}: {}", x.name, x.why);
        }
    }

    #[test]
    fn sizes_parse_with_units_and_clear_errors() {
        assert_eq!(parse_size("16GB"), Ok(16 * GB));
        assert_eq!(parse_size("512MB"), Ok(512 * MB));
        assert_eq!(parse_size("1TB"), Ok(TB));
        assert_eq!(parse_size(" 16 gib "), Ok(16 * GB));
        assert_eq!(parse_size("8g"), Ok(8 * GB));
        assert_eq!(parse_size("1.5GB"), Ok(GB + GB / 2));
        assert_eq!(parse_size("2048kB"), Ok(2 * MB));
        assert_eq!(parse_size("100B"), Ok(100));
        for (bad, says) in [
            ("", "empty"),
            ("16", "no unit"),
            ("16XB", "unknown unit `XB`"),
            ("-4GB", "negative"),
            ("GB", "not a size"),
            ("0GB", "more than zero"),
            ("1.2.3GB", "not a size"),
            ("99999999999999999999GB", "too large"),
            ("20000000TB", "too large"),
        ] {
            let e = parse_size(bad).expect_err(bad);
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn sizes_print_like_postgresql() {
        assert_eq!(format_size(4 * GB), "4GB");
        assert_eq!(format_size(16 * MB), "16MB");
        assert_eq!(format_size(13617 * KB), "13617kB");
        assert_eq!(format_size(100), "100B");
        assert_eq!(format_size(2 * TB), "2TB");
        assert_eq!(format_size(GB + 512 * MB), "1536MB");
    }

    #[test]
    fn the_note_says_what_was_read_stated_and_assumed() {
        let machine = HardwareSpec {
            ram: Some(24_683_792 * KB),
            cpus: Some(2),
            storage: Some(Storage::Hdd),
            ..Default::default()
        };
        let stated = HardwareSpec {
            cpus: Some(8),
            ..Default::default()
        };
        let merged = machine.over(stated);
        let hw = merged.complete().expect("ram known");
        assert_eq!(hw.cpus, Some(8));
        let note = hardware_note(
            &HardwareOrigin { machine, stated },
            &hw,
            "over a unix socket",
        );
        assert_eq!(
            note,
            "hardware read from this machine (over a unix socket): 23.5GB RAM, hdd storage; \
             stated: 8 CPUs; assumed (PGTune's defaults): web workload. State what differs with \
             --ram, --cpus, --storage, --workload or config.toml's [hardware]"
        );
        let all = HardwareSpec {
            ram: Some(16 * GB),
            cpus: None,
            storage: Some(Storage::Ssd),
            workload: Some(Workload::Oltp),
            ..Default::default()
        };
        let hw = all.complete().expect("complete");
        let note = hardware_note(
            &HardwareOrigin {
                machine: HardwareSpec::default(),
                stated: all,
            },
            &hw,
            "",
        );
        assert_eq!(
            note,
            "stated: 16GB RAM, ssd storage, oltp workload. Without a CPU count the parallel-query settings are left alone"
        );
        assert!(HardwareSpec::default().complete().is_none());
        assert_eq!(human_size(16 * GB), "16GB");
        assert_eq!(human_size(512 * MB), "512MB");
        assert_eq!(human_size(24_683_792 * KB), "23.5GB");
        assert_eq!(round_ram(24_683_792 * KB), 24 * GB);
        assert_eq!(round_ram(16_318_412 * KB), 16 * GB);
        assert_eq!(round_ram(2_000 * MB), 2 * GB);
        assert_eq!(round_ram(1_000 * MB), 1024 * MB);
        assert_eq!(round_ram(1_950 * MB), 2 * GB);
        assert_eq!(round_ram(10 * MB), 64 * MB);
    }

    #[test]
    fn names_parse() {
        assert_eq!("network".parse::<Storage>(), Ok(Storage::San));
        assert_eq!("NVMe".parse::<Storage>(), Ok(Storage::Nvme));
        assert!("tape".parse::<Storage>().unwrap_err().contains("ssd, hdd"));
        assert_eq!("OLTP".parse::<Workload>(), Ok(Workload::Oltp));
        assert_eq!("data-warehouse".parse::<Workload>(), Ok(Workload::Dw));
        assert!(
            "batch"
                .parse::<Workload>()
                .unwrap_err()
                .contains("web, oltp")
        );
    }

    #[test]
    fn machine_facts_parse() {
        let mem = "MemTotal:       16318412 kB\nMemFree:         1234 kB\n";
        assert_eq!(meminfo_total(mem), Some(16_318_412 * KB));
        assert_eq!(meminfo_total("MemFree: 3 kB\n"), None);
        let d = |v: &[(&str, bool)]| -> Vec<(String, bool)> {
            v.iter().map(|(n, r)| (n.to_string(), *r)).collect()
        };
        assert_eq!(
            storage_from_block_devices(&d(&[("sda", false), ("loop0", true)])),
            Some(Storage::Ssd)
        );
        assert_eq!(
            storage_from_block_devices(&d(&[("nvme0n1", false), ("zram0", false)])),
            Some(Storage::Nvme)
        );
        assert_eq!(
            storage_from_block_devices(&d(&[("sda", true)])),
            Some(Storage::Hdd)
        );
        assert_eq!(
            storage_from_block_devices(&d(&[("sda", true), ("nvme0n1", false)])),
            None
        );
        assert_eq!(storage_from_block_devices(&d(&[("loop0", false)])), None);
        // a VM's virtio disk says it spins whatever backs it: unknown
        assert_eq!(
            storage_from_block_devices(&d(&[("vda", true), ("zram0", false)])),
            None
        );
    }

    mod prop {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(500))]

            #[test]
            fn any_text_parses_or_errs_without_panicking(s in "\\PC{0,24}") {
                let _ = parse_size(&s);
            }

            #[test]
            fn number_and_unit_give_the_product(
                n in 1u64..1_000_000,
                unit in prop::sample::select(vec![
                    ("B", 1u64), ("kB", KB), ("KB", KB), ("k", KB), ("MB", MB), ("mb", MB),
                    ("MiB", MB), ("GB", GB), ("G", GB), ("GiB", GB), ("TB", TB), ("tb", TB),
                ]),
                space in prop::bool::ANY,
            ) {
                let text = format!("{n}{}{}", if space { " " } else { "" }, unit.0);
                prop_assert_eq!(parse_size(&text), Ok(n * unit.1));
            }

            #[test]
            fn printed_sizes_parse_back(b in 1u64..(1u64 << 50)) {
                prop_assert_eq!(parse_size(&format_size(b)), Ok(b));
            }

            #[test]
            fn sizes_are_never_zero_or_negative(s in "-?[0-9]{0,4}(\\.[0-9]{0,3})?[a-zA-Z]{0,3}") {
                if let Ok(b) = parse_size(&s) {
                    prop_assert!(b > 0);
                    prop_assert!(!s.starts_with('-'));
                }
            }

            #[test]
            fn targets_hold_for_any_hardware(
                ram in (64u64 * MB)..(4 * TB),
                cpus in prop::option::of(1u32..256),
                conns in prop::option::of(1u32..20_000),
                w in prop::sample::select(vec![Workload::Web, Workload::Oltp, Workload::Dw, Workload::Desktop, Workload::Mixed]),
            ) {
                let h = Hardware { ram_bytes: ram, cpus, storage: Storage::Ssd, workload: w, max_connections: conns };
                let t = targets(&h, 17);
                let get = |n: &str| t.iter().find(|x| x.name == n).map(|x| x.value.number()).unwrap_or(-1.0);
                prop_assert!(get("shared_buffers") < ram as f64);
                prop_assert!(get("work_mem") >= (4 * MB) as f64);
                prop_assert!(get("maintenance_work_mem") <= (8 * GB) as f64);
                prop_assert!(get("wal_buffers") <= (16 * MB) as f64);
            }
        }
    }
}
