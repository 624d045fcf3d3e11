//! A plan node's properties, stored compactly. A node has 10 to 40 properties and a 5,000-node plan
//! is looked up some 300,000 times while it is analysed and advised; a `serde_json::Map` per node
//! (an index map of heap-allocated `String` keys, SipHash on each lookup) made key allocation,
//! hashing and freeing a third of the parse-and-analyse time. Here the keys EXPLAIN writes are a
//! 2-byte [`K`] (no allocation; compared as integers), any other key keeps its text, and the
//! properties sit in one vector in the order the plan gives them (as the JSON format lists them,
//! which [`Props::to_map`] keeps). Values stay `serde_json::Value`s: nested figures (`Workers`,
//! `Sort Space Disk`) and the JSON output need them.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use serde_json::{Map, Value};

/// Declares [`K`] with one variant per known key and its EXPLAIN name.
macro_rules! known_keys {
    ($($variant:ident = $name:literal,)*) => {
        /// A property key EXPLAIN writes (JSON format names).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[allow(clippy::upper_case_acronyms)]
        #[repr(u16)]
        pub enum K {
            $($variant,)*
        }

        impl K {
            /// Every known key.
            pub const ALL: &[K] = &[$(K::$variant,)*];

            /// The key as EXPLAIN names it (`Actual Rows`).
            pub fn name(self) -> &'static str {
                match self {
                    $(K::$variant => $name,)*
                }
            }
        }
    };
}

known_keys! {
    // Identity and place in the tree.
    NodeType = "Node Type",
    Strategy = "Strategy",
    PartialMode = "Partial Mode",
    Operation = "Operation",
    ParentRelationship = "Parent Relationship",
    SubplanName = "Subplan Name",
    CustomPlanProvider = "Custom Plan Provider",
    ParallelAware = "Parallel Aware",
    AsyncCapable = "Async Capable",
    RelationName = "Relation Name",
    Schema = "Schema",
    Alias = "Alias",
    IndexName = "Index Name",
    ScanDirection = "Scan Direction",
    FunctionName = "Function Name",
    CteName = "CTE Name",
    TuplestoreName = "Tuplestore Name",
    TableFunctionName = "Table Function Name",
    JoinType = "Join Type",
    InnerUnique = "Inner Unique",
    Command = "Command",
    // Estimates and actuals.
    StartupCost = "Startup Cost",
    TotalCost = "Total Cost",
    PlanRows = "Plan Rows",
    PlanWidth = "Plan Width",
    ActualStartupTime = "Actual Startup Time",
    ActualTotalTime = "Actual Total Time",
    ActualRows = "Actual Rows",
    ActualLoops = "Actual Loops",
    Disabled = "Disabled",
    // Expressions.
    Output = "Output",
    SortKey = "Sort Key",
    PresortedKey = "Presorted Key",
    GroupKey = "Group Key",
    GroupingSets = "Grouping Sets",
    HashKey = "Hash Key",
    IndexCond = "Index Cond",
    RecheckCond = "Recheck Cond",
    OrderBy = "Order By",
    Filter = "Filter",
    JoinFilter = "Join Filter",
    MergeCond = "Merge Cond",
    HashCond = "Hash Cond",
    TidCond = "TID Cond",
    OneTimeFilter = "One-Time Filter",
    RunCondition = "Run Condition",
    CacheKey = "Cache Key",
    CacheMode = "Cache Mode",
    FunctionCall = "Function Call",
    TableFunctionCall = "Table Function Call",
    RemoteSql = "Remote SQL",
    SamplingMethod = "Sampling Method",
    SamplingParameters = "Sampling Parameters",
    Repeatable = "Repeatable",
    Window = "Window",
    // Row and page figures.
    RowsRemovedByFilter = "Rows Removed by Filter",
    RowsRemovedByJoinFilter = "Rows Removed by Join Filter",
    RowsRemovedByIndexRecheck = "Rows Removed by Index Recheck",
    HeapFetches = "Heap Fetches",
    IndexSearches = "Index Searches",
    ExactHeapBlocks = "Exact Heap Blocks",
    LossyHeapBlocks = "Lossy Heap Blocks",
    SubplansRemoved = "Subplans Removed",
    // Sorts, hashes, aggregates, memoize.
    SortMethod = "Sort Method",
    SortSpaceUsed = "Sort Space Used",
    SortSpaceType = "Sort Space Type",
    FullSortGroups = "Full-sort Groups",
    PreSortedGroups = "Pre-sorted Groups",
    HashBuckets = "Hash Buckets",
    OriginalHashBuckets = "Original Hash Buckets",
    HashBatches = "Hash Batches",
    OriginalHashBatches = "Original Hash Batches",
    PeakMemoryUsage = "Peak Memory Usage",
    DiskUsage = "Disk Usage",
    HashAggBatches = "HashAgg Batches",
    PlannedPartitions = "Planned Partitions",
    CacheHits = "Cache Hits",
    CacheMisses = "Cache Misses",
    CacheEvictions = "Cache Evictions",
    CacheOverflows = "Cache Overflows",
    Storage = "Storage",
    MaximumStorage = "Maximum Storage",
    // Parallelism.
    WorkersPlanned = "Workers Planned",
    WorkersLaunched = "Workers Launched",
    Workers = "Workers",
    SingleCopy = "Single Copy",
    ParamsEvaluated = "Params Evaluated",
    // Buffers and I/O.
    SharedHitBlocks = "Shared Hit Blocks",
    SharedReadBlocks = "Shared Read Blocks",
    SharedDirtiedBlocks = "Shared Dirtied Blocks",
    SharedWrittenBlocks = "Shared Written Blocks",
    LocalHitBlocks = "Local Hit Blocks",
    LocalReadBlocks = "Local Read Blocks",
    LocalDirtiedBlocks = "Local Dirtied Blocks",
    LocalWrittenBlocks = "Local Written Blocks",
    TempHitBlocks = "Temp Hit Blocks",
    TempReadBlocks = "Temp Read Blocks",
    TempDirtiedBlocks = "Temp Dirtied Blocks",
    TempWrittenBlocks = "Temp Written Blocks",
    IoReadTime = "I/O Read Time",
    IoWriteTime = "I/O Write Time",
    SharedIoReadTime = "Shared I/O Read Time",
    SharedIoWriteTime = "Shared I/O Write Time",
    LocalIoReadTime = "Local I/O Read Time",
    LocalIoWriteTime = "Local I/O Write Time",
    TempIoReadTime = "Temp I/O Read Time",
    TempIoWriteTime = "Temp I/O Write Time",
    WalRecords = "WAL Records",
    WalFpi = "WAL FPI",
    WalBytes = "WAL Bytes",
    WalBuffersFull = "WAL Buffers Full",
    // Modify table.
    ConflictResolution = "Conflict Resolution",
    ConflictArbiterIndexes = "Conflict Arbiter Indexes",
    TuplesInserted = "Tuples Inserted",
    ConflictingTuples = "Conflicting Tuples",
    // The tree itself (JSON format).
    Plans = "Plans",
    Plan = "Plan",
}

/// FNV-1a: the key table is built from our own constants, so no hash flooding to defend against,
/// and short keys hash in a few nanoseconds.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

fn table() -> &'static HashMap<&'static str, K, BuildHasherDefault<Fnv>> {
    static TABLE: OnceLock<HashMap<&'static str, K, BuildHasherDefault<Fnv>>> = OnceLock::new();
    TABLE.get_or_init(|| K::ALL.iter().map(|k| (k.name(), *k)).collect())
}

impl K {
    /// The known key with this name, if it is one.
    pub fn lookup(name: &str) -> Option<K> {
        table().get(name).copied()
    }
}

/// A property key: a known one, or the text of any other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    Known(K),
    Other(Box<str>),
}

impl Key {
    pub fn new(name: &str) -> Key {
        K::lookup(name).map_or_else(|| Key::Other(name.into()), Key::Known)
    }

    pub fn as_str(&self) -> &str {
        match self {
            Key::Known(k) => k.name(),
            Key::Other(s) => s,
        }
    }

    fn as_ref(&self) -> KeyRef<'_> {
        match self {
            Key::Known(k) => KeyRef::Known(*k),
            Key::Other(s) => KeyRef::Other(s),
        }
    }
}

impl From<K> for Key {
    fn from(k: K) -> Key {
        Key::Known(k)
    }
}

/// A key as stored in [`Props`], borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRef<'a> {
    Known(K),
    Other(&'a str),
}

impl<'a> KeyRef<'a> {
    pub fn as_str(self) -> &'a str {
        match self {
            KeyRef::Known(k) => k.name(),
            KeyRef::Other(s) => s,
        }
    }
}

/// What can name a property in a lookup: a [`K`] (compared as an integer) or any text.
pub trait AsKey {
    fn key_ref(&self) -> KeyRef<'_>;
}

impl AsKey for K {
    fn key_ref(&self) -> KeyRef<'_> {
        KeyRef::Known(*self)
    }
}

impl AsKey for &str {
    fn key_ref(&self) -> KeyRef<'_> {
        match K::lookup(self) {
            Some(k) => KeyRef::Known(k),
            None => KeyRef::Other(self),
        }
    }
}

impl AsKey for Key {
    fn key_ref(&self) -> KeyRef<'_> {
        self.as_ref()
    }
}

/// Number of known keys: codes below it are a [`K`], codes from it on index `Props::names`.
const KNOWN: u32 = K::ALL.len() as u32;

/// A node's properties in the order the plan gives them. The keys are one 4-byte code each, in
/// their own vector, so a lookup scans a few dozen bytes: a known key's code is its [`K`], any
/// other key's is `KNOWN` + its index in `names` (a removed one keeps its name there, reused if
/// it comes back).
#[derive(Debug, Clone, Default)]
pub struct Props {
    codes: Vec<u32>,
    values: Vec<Value>,
    names: Vec<Box<str>>,
}

impl PartialEq for Props {
    fn eq(&self, other: &Props) -> bool {
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a == b)
    }
}

impl Props {
    pub fn new() -> Props {
        Props {
            codes: Vec::with_capacity(16),
            values: Vec::with_capacity(16),
            names: Vec::new(),
        }
    }

    /// The code `key` has here, if its name is known to this map.
    fn code(&self, key: KeyRef) -> Option<u32> {
        match key {
            KeyRef::Known(k) => Some(k as u32),
            KeyRef::Other(s) => self
                .names
                .iter()
                .position(|n| **n == *s)
                .map(|i| KNOWN + i as u32),
        }
    }

    fn position(&self, key: KeyRef) -> Option<usize> {
        let code = self.code(key)?;
        self.codes.iter().position(|c| *c == code)
    }

    fn key_of(&self, code: u32) -> KeyRef<'_> {
        match code.checked_sub(KNOWN) {
            None => KeyRef::Known(K::ALL[code as usize]),
            Some(i) => KeyRef::Other(&self.names[i as usize]),
        }
    }

    pub fn get(&self, key: impl AsKey) -> Option<&Value> {
        self.position(key.key_ref()).map(|i| &self.values[i])
    }

    pub fn get_mut(&mut self, key: impl AsKey) -> Option<&mut Value> {
        self.position(key.key_ref()).map(|i| &mut self.values[i])
    }

    pub fn contains_key(&self, key: impl AsKey) -> bool {
        self.position(key.key_ref()).is_some()
    }

    /// Append an entry whose key is absent; returns its index.
    fn push(&mut self, key: KeyRef, value: Value) -> usize {
        let code = match self.code(key) {
            Some(c) => c,
            None => {
                self.names.push(key.as_str().into());
                KNOWN + (self.names.len() - 1) as u32
            }
        };
        self.codes.push(code);
        self.values.push(value);
        self.values.len() - 1
    }

    /// Set a property; an existing one keeps its place (as a JSON map does).
    pub fn insert(&mut self, key: impl AsKey, value: Value) -> Option<Value> {
        let key = key.key_ref();
        match self.position(key) {
            Some(i) => Some(std::mem::replace(&mut self.values[i], value)),
            None => {
                self.push(key, value);
                None
            }
        }
    }

    /// The property, inserted with `default()` first when absent.
    pub fn get_or_insert_with(
        &mut self,
        key: impl AsKey,
        default: impl FnOnce() -> Value,
    ) -> &mut Value {
        let key = key.key_ref();
        let i = match self.position(key) {
            Some(i) => i,
            None => self.push(key, default()),
        };
        &mut self.values[i]
    }

    /// Remove a property, keeping the order of the others.
    pub fn shift_remove(&mut self, key: impl AsKey) -> Option<Value> {
        let i = self.position(key.key_ref())?;
        self.codes.remove(i);
        Some(self.values.remove(i))
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// (name, value) in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries().map(|(k, v)| (k.as_str(), v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries().map(|(k, _)| k.as_str())
    }

    /// The entries with their keys as stored: a `match` on [`KeyRef::Known`] reads several
    /// properties in one pass.
    pub fn entries(&self) -> impl Iterator<Item = (KeyRef<'_>, &Value)> {
        self.codes
            .iter()
            .zip(&self.values)
            .map(|(c, v)| (self.key_of(*c), v))
    }

    /// As a JSON map, in order.
    pub fn to_map(&self) -> Map<String, Value> {
        self.iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    pub fn from_map(map: Map<String, Value>) -> Props {
        let mut p = Props::new();
        for (k, v) in map {
            // A map's keys are unique: append.
            p.push(k.as_str().key_ref(), v);
        }
        p
    }
}

impl std::ops::Index<&str> for Props {
    type Output = Value;

    /// Panics when absent, as `serde_json::Map` does: for tests.
    fn index(&self, key: &str) -> &Value {
        match self.get(key) {
            Some(v) => v,
            None => panic!("no property {key:?}"),
        }
    }
}

/// Where the text parser writes properties: a node's [`Props`], or a JSON map (plan-level
/// properties, a worker's figures, the `Planning` and `JIT` blocks).
pub trait PropSink {
    fn put(&mut self, key: K, value: Value);
    /// Any key, by name (keys read from the plan's text).
    fn put_named(&mut self, key: &str, value: Value);
    fn has(&self, key: K) -> bool;
    /// Insert unless present.
    fn put_default(&mut self, key: K, value: Value) {
        if !self.has(key) {
            self.put(key, value);
        }
    }
}

impl PropSink for Props {
    fn put(&mut self, key: K, value: Value) {
        self.insert(key, value);
    }

    fn put_named(&mut self, key: &str, value: Value) {
        self.insert(key, value);
    }

    fn has(&self, key: K) -> bool {
        self.contains_key(key)
    }
}

impl PropSink for Map<String, Value> {
    fn put(&mut self, key: K, value: Value) {
        self.insert(key.name().to_string(), value);
    }

    fn put_named(&mut self, key: &str, value: Value) {
        self.insert(key.to_string(), value);
    }

    fn has(&self, key: K) -> bool {
        self.contains_key(key.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_names_are_unique_and_found() {
        assert_eq!(table().len(), K::ALL.len(), "two variants share a name");
        for k in K::ALL {
            assert_eq!(K::lookup(k.name()), Some(*k));
        }
        assert_eq!(K::lookup("Actual Rows"), Some(K::ActualRows));
        assert_eq!(K::lookup("actual rows"), None);
    }

    #[test]
    fn order_is_kept_and_replacing_keeps_the_place() {
        let mut p = Props::new();
        p.insert(K::NodeType, Value::from("Seq Scan"));
        p.insert("Custom Thing", Value::from(1));
        p.insert("Actual Rows", Value::from(2));
        p.insert(K::NodeType, Value::from("Index Scan"));
        let keys: Vec<&str> = p.keys().collect();
        assert_eq!(keys, vec!["Node Type", "Custom Thing", "Actual Rows"]);
        assert_eq!(p["Node Type"], "Index Scan");
        assert_eq!(p.get(K::ActualRows), Some(&Value::from(2)));
        assert_eq!(p.get("Custom Thing"), Some(&Value::from(1)));
        assert_eq!(p.shift_remove("Custom Thing"), Some(Value::from(1)));
        let map = p.to_map();
        assert_eq!(
            map.keys().collect::<Vec<_>>(),
            vec!["Node Type", "Actual Rows"]
        );
        assert_eq!(Props::from_map(map), p);
        // A removed key of its own that comes back is found again.
        p.insert("Custom Thing", Value::from(3));
        p.shift_remove("Custom Thing");
        p.insert("Custom Thing", Value::from(4));
        assert_eq!(p.get("Custom Thing"), Some(&Value::from(4)));
        assert_eq!(p.len(), 3);
    }

    #[test]
    fn the_io_read_time_keys() {
        // advice's missing_options compares these as ids, in place of a substring search.
        let io: Vec<K> = K::ALL
            .iter()
            .copied()
            .filter(|k| k.name().contains("I/O Read Time"))
            .collect();
        assert_eq!(
            io,
            [
                K::IoReadTime,
                K::SharedIoReadTime,
                K::LocalIoReadTime,
                K::TempIoReadTime
            ]
        );
    }
}
