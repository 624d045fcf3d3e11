//! Advice rules EX-01…EX-24 of the diagnostics catalogue (§3.3), with their thresholds. Each item
//! says what was seen (the numbers), why it matters, and, where one exists, a concrete statement to
//! try: `CREATE INDEX CONCURRENTLY` on a filter's columns, `SET work_mem` sized from the disk use
//! reported, `ANALYZE` / `CREATE STATISTICS` for a misestimate, `VACUUM` for heap fetches. The
//! statements are text for the editor; nothing here runs anything.

use super::metrics::Direction;
use super::props::KeyRef;
use super::{K, Node, Plan};
use crate::model::ident::quote_ident;

/// How much an item matters (pev2's c-2/c-3/c-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// One piece of advice.
#[derive(Debug, Clone, PartialEq)]
pub struct Advice {
    /// The rule's snake_case name (`seq_scan_index_candidate`).
    pub rule: &'static str,
    pub severity: Severity,
    /// The node it is about, if any.
    pub node: Option<usize>,
    /// What was seen, with the numbers.
    pub seen: String,
    /// Why it matters.
    pub why: String,
    /// A statement to try (for the editor; never run by pgdeck).
    pub suggestion: Option<String>,
}

impl Context {
    /// What a connection said about the plan's tables (`None`: nothing known).
    pub fn from_indexes(indexes: Option<Vec<IndexInfo>>) -> Context {
        match indexes {
            Some(indexes) => Context {
                indexes,
                catalog_known: true,
            },
            None => Context::default(),
        }
    }
}

impl Advice {
    /// `seen` and `why` in one line.
    pub fn message(&self) -> String {
        format!("{} {}", self.seen, self.why)
    }
}

/// An existing index, for checking index suggestions (known when connected).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct IndexInfo {
    pub schema: String,
    pub table: String,
    pub name: String,
    /// Key columns in order (expressions as text).
    pub columns: Vec<String>,
}

/// What is known besides the plan.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Indexes of the tables in the plan; empty when not connected.
    pub indexes: Vec<IndexInfo>,
    /// Whether `indexes` was filled (connected): an empty list then means "no index".
    pub catalog_known: bool,
}

/// 10 / 40 / 90 % bands → severity.
fn band(share: f64) -> Option<Severity> {
    if share > 0.9 {
        Some(Severity::Critical)
    } else if share > 0.4 {
        Some(Severity::Warning)
    } else if share > 0.1 {
        Some(Severity::Info)
    } else {
        None
    }
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// Milliseconds as people read them.
pub fn fmt_ms(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else if ms >= 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.3} ms")
    }
}

/// Row counts: 1234567 → 1.2M.
pub fn fmt_count(x: f64) -> String {
    let a = x.abs();
    if a >= 1e9 {
        format!("{:.1}G", x / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", x / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k", x / 1e3)
    } else if x.fract() != 0.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.0}")
    }
}

/// A node as the advice names it: `Seq Scan on orders o (#4)`.
pub fn node_label(n: &Node) -> String {
    match n.target() {
        Some(t) if t.starts_with("using ") => format!("{} {} (#{})", n.display_type(), t, n.id),
        Some(t) => format!("{} on {} (#{})", n.display_type(), t, n.id),
        None => format!("{} (#{})", n.display_type(), n.id),
    }
}

/// [`node_label`], computed when displayed.
struct Label<'a>(&'a Node);

impl std::fmt::Display for Label<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&node_label(self.0))
    }
}

/// `schema.table` quoted, as a statement needs it.
fn qualified(n: &Node) -> Option<String> {
    let rel = n.str(K::RelationName)?;
    Some(match n.str(K::Schema) {
        Some(s) => format!("{}.{}", quote_ident(s), quote_ident(rel)),
        None => quote_ident(rel),
    })
}

/// A `work_mem` value that fits `kb` kilobytes, rounded up to a power of two in MB (at least 8MB).
pub fn work_mem_for(kb: f64) -> String {
    let mb = (kb / 1024.0).ceil().max(8.0);
    let mut p = 8.0;
    while p < mb && p < 1_048_576.0 {
        p *= 2.0;
    }
    if p >= 1024.0 {
        format!("{}GB", (p / 1024.0).ceil())
    } else {
        format!("{p}MB")
    }
}

/// The columns a filter compares with constants: equality columns first, then range columns.
/// `None` when the filter is no conjunction of simple comparisons.
pub fn filter_columns(filter: &str) -> Option<(Vec<String>, Vec<String>)> {
    let mut eq = Vec::new();
    let mut range = Vec::new();
    let body = strip_parens(filter.trim());
    for conj in split_and(body) {
        let c = strip_parens(conj.trim());
        let ops = [
            (" = ANY ", true),
            (" IS NULL", true),
            (" >= ", false),
            (" <= ", false),
            (" <> ", false),
            (" = ", true),
            (" > ", false),
            (" < ", false),
            (" ~~ ", false),
        ];
        let (left, is_eq) = ops
            .iter()
            .find_map(|(op, is_eq)| c.split_once(op).map(|(l, _)| (l, *is_eq)))?;
        if left.contains(" <> ") {
            return None;
        }
        let col = column_name(left)?;
        // `<>` and LIKE with a leading wildcard cannot use a btree well: skip them.
        if c.contains(" <> ") || c.contains("~~ '%") {
            continue;
        }
        let list = if is_eq { &mut eq } else { &mut range };
        if !list.contains(&col) {
            list.push(col);
        }
    }
    (!eq.is_empty() || !range.is_empty()).then_some((eq, range))
}

/// Columns compared with LIKE and a fixed prefix (`title ~~ 'abc%'`): a plain btree serves
/// LIKE only in the C collation, `text_pattern_ops` in any.
fn like_prefix_columns(filter: &str) -> Vec<String> {
    let mut out = Vec::new();
    for conj in split_and(strip_parens(filter.trim())) {
        let c = strip_parens(conj.trim());
        if let Some((left, right)) = c.split_once(" ~~ ")
            && right.trim_start().starts_with('\'')
            && !right.trim_start().starts_with("'%")
            && !right.trim_start().starts_with("'_")
            && let Some(col) = column_name(left)
        {
            out.push(col);
        }
    }
    out
}

/// Index key columns for `cols` of `filter`, quoted, LIKE columns with `text_pattern_ops`.
fn index_columns(cols: &[String], filter: &str) -> Vec<String> {
    let likes = like_prefix_columns(filter);
    cols.iter()
        .map(|c| {
            if likes.contains(c) {
                format!("{} text_pattern_ops", quote_ident(c))
            } else {
                quote_ident(c)
            }
        })
        .collect()
}

fn strip_parens(s: &str) -> &str {
    let mut s = s.trim();
    while s.starts_with('(') && s.ends_with(')') && matched_outer(s) {
        s = s[1..s.len() - 1].trim();
    }
    s
}

/// Whether the first `(` closes at the last character.
fn matched_outer(s: &str) -> bool {
    let mut depth = 0;
    let mut quote = false;
    for (i, c) in s.char_indices() {
        match c {
            '\'' => quote = !quote,
            '(' if !quote => depth += 1,
            ')' if !quote => {
                depth -= 1;
                if depth == 0 && i != s.len() - 1 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

fn split_and(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut quote = false;
    let mut start = 0;
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => quote = !quote,
            b'(' if !quote => depth += 1,
            b')' if !quote => depth -= 1,
            b' ' if !quote && depth == 0 && s[i..].starts_with(" AND ") => {
                out.push(&s[start..i]);
                i += 5;
                start = i;
                continue;
            }
            b' ' if !quote && depth == 0 && s[i..].starts_with(" OR ") => {
                return vec![]; // a disjunction: no simple index
            }
            _ => {}
        }
        i += 1;
    }
    out.push(&s[start..]);
    out
}

/// `(t.status)::text` → `status`; `created_at` → `created_at`; expressions → None.
fn column_name(left: &str) -> Option<String> {
    let mut l = left.trim();
    if let Some((a, _)) = l.split_once("::") {
        l = a;
    }
    let l = l.trim().trim_start_matches('(').trim_end_matches(')');
    let l = l.rsplit('.').next().unwrap_or(l);
    let unq = l.trim_matches('"');
    if unq.is_empty() {
        return None;
    }
    let simple = l.starts_with('"')
        || unq
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
            && !unq.starts_with(|c: char| c.is_ascii_digit());
    simple.then(|| unq.to_string())
}

/// Whether an existing index leads with `cols` (in order).
fn covered_by<'a>(ctx: &'a Context, n: &Node, cols: &[String]) -> Option<&'a IndexInfo> {
    let rel = n.str(K::RelationName)?;
    ctx.indexes.iter().find(|ix| {
        ix.table == rel
            && n.str(K::Schema).is_none_or(|s| s == ix.schema)
            && ix.columns.len() >= cols.len()
            && ix.columns.iter().zip(cols).all(|(a, b)| a == b)
    })
}

/// Compute the advice for an analysed plan, most severe first (plan order within a severity).
pub fn advise(plan: &Plan, ctx: &Context) -> Vec<Advice> {
    let mut out = Vec::new();
    if plan.nodes.is_empty() {
        return out;
    }
    let analyze = plan.is_analyze();
    let s = &plan.summary;
    let total = s.total_ms;
    // A run of a few milliseconds in all: shares are still shown, but nothing in it is more than
    // information (a "critical" 1 ms of planning is not what a DBA would lead with).
    let tiny = total.unwrap_or(f64::MAX) + s.planning_ms.unwrap_or(0.0) < 10.0;
    let cap = |sev: Severity| if tiny { sev.min(Severity::Info) } else { sev };
    let mut spilled = std::collections::HashSet::new();
    for n in &plan.nodes {
        let m = &n.m;
        // Formatted only when an item is made: most nodes get none.
        let label = Label(n);
        let push = |out: &mut Vec<Advice>,
                    rule: &'static str,
                    sev: Severity,
                    seen: String,
                    why: &str,
                    sug: Option<String>| {
            out.push(Advice {
                rule,
                severity: sev,
                node: Some(n.id),
                seen,
                why: why.to_string(),
                suggestion: sug,
            });
        };
        // EX-01 slow_node
        if let (Some(share), Some(e)) = (m.time_share, m.exclusive_ms)
            && let Some(sev) = band(share)
        {
            push(
                &mut out,
                "slow_node",
                cap(sev),
                format!(
                    "{label} takes {} of the run ({} exclusive).",
                    pct(share),
                    fmt_ms(e)
                ),
                "Most of the time is spent here: this is the node to make cheaper.",
                None,
            );
        }
        // EX-02 costly_node
        if let Some(sev) = band(m.cost_share) {
            let sev = if analyze { Severity::Info } else { sev };
            if !analyze || m.cost_share > 0.4 && m.time_share.is_none_or(|t| t <= 0.1) {
                push(
                    &mut out,
                    "costly_node",
                    sev,
                    format!(
                        "{label} carries {} of the plan's cost ({:.0} of {:.0}).",
                        pct(m.cost_share),
                        m.exclusive_cost,
                        s.total_cost
                    ),
                    "The planner expects most of the work here.",
                    None,
                );
            }
        }
        // EX-03 misestimate, said where it starts: a node that only passes on a child's wrong
        // estimate (same direction, less than twice worse) is left out, as a DBA would.
        let inherited = |f: f64| {
            n.children.iter().any(|c| {
                let cm = &plan.nodes[*c].m;
                cm.direction == m.direction && cm.misestimate.is_some_and(|cf| cf * 2.0 >= f)
            })
        };
        if let Some(f) = m.misestimate
            && f > 10.0
            && !m.never_executed
            && !inherited(f)
        {
            let sev = if f > 1000.0 {
                Severity::Critical
            } else if f > 100.0 {
                Severity::Warning
            } else {
                Severity::Info
            };
            let dir = match m.direction {
                Direction::Under => "more",
                _ => "fewer",
            };
            let suggestion = misestimate_fix(plan, n);
            push(
                &mut out,
                "misestimate",
                sev,
                format!(
                    "{label}: planned {} rows per loop, got {} ({f:.0}× {dir}).",
                    fmt_count(n.num(K::PlanRows).unwrap_or(0.0)),
                    fmt_count(n.num(K::ActualRows).unwrap_or(0.0)),
                ),
                "Wrong row counts make the planner choose the wrong join method and order.",
                suggestion,
            );
        }
        // EX-04 filter_waste / EX-20 seq_scan_index_candidate
        if let Some(share) = m.removed_share
            && share > 0.5
            && m.rows_removed >= 100.0
        {
            let sev = if share > 0.9 {
                Severity::Critical
            } else {
                Severity::Warning
            };
            let filter = n
                .str(K::Filter)
                .or_else(|| n.str(K::JoinFilter))
                .unwrap_or("");
            let is_seq = n.node_type() == "Seq Scan";
            let slow = m.time_share.is_some_and(|t| t >= 0.1);
            let index = qualified(n).and_then(|rel| {
                let (eq, range) = filter_columns(n.str(K::Filter)?)?;
                let mut cols = eq;
                if let Some(r) = range.into_iter().next() {
                    cols.push(r);
                }
                Some((rel, cols))
            });
            let seen = format!(
                "{label} reads {} rows and throws away {} ({}) with {}.",
                fmt_count(m.rows_removed + m.rows_actual.unwrap_or(0.0)),
                fmt_count(m.rows_removed),
                pct(share),
                if filter.is_empty() {
                    "its filter"
                } else {
                    filter
                }
            );
            match index {
                Some((rel, cols)) if is_seq && share >= 0.9 && slow => {
                    let quoted = index_columns(&cols, filter);
                    let stmt = format!(
                        "CREATE INDEX CONCURRENTLY ON {rel} ({});",
                        quoted.join(", ")
                    );
                    let (why, sug) = match covered_by(ctx, n, &cols) {
                        Some(ix) => (
                            format!(
                                "Index {} already covers ({}) but was not used: check that the types match and that the table is analysed.",
                                ix.name,
                                cols.join(", ")
                            ),
                            Some(format!("ANALYZE {rel};")),
                        ),
                        None => (
                            "A sequential scan that keeps few rows: an index on the filter's columns lets the server read only those."
                                .to_string(),
                            Some(stmt),
                        ),
                    };
                    out.push(Advice {
                        rule: "seq_scan_index_candidate",
                        severity: sev,
                        node: Some(n.id),
                        seen,
                        why,
                        suggestion: sug,
                    });
                }
                other => {
                    let sug = other.map(|(rel, cols)| {
                        let quoted = index_columns(&cols, filter);
                        format!(
                            "CREATE INDEX CONCURRENTLY ON {rel} ({});",
                            quoted.join(", ")
                        )
                    });
                    push(
                        &mut out,
                        "filter_waste",
                        sev,
                        seen,
                        "Rows read and thrown away cost time: an index (or partial index) on the filter's columns, or moving the condition into the index condition, avoids reading them.",
                        sug,
                    );
                }
            }
        }
        // EX-05 heap_fetches
        if n.node_type() == "Index Only Scan"
            && let Some(h) = n.num(K::HeapFetches)
            && h > 0.0
        {
            let l = m.loops.unwrap_or(1.0).max(1.0);
            let denom = m.rows_actual.unwrap_or(0.0) + m.rows_removed;
            let ratio = if denom > 0.0 { h * l / denom } else { 1.0 };
            let sev = if ratio > 0.9 {
                Severity::Critical
            } else if ratio > 0.4 {
                Severity::Warning
            } else {
                Severity::Info
            };
            push(
                &mut out,
                "heap_fetches",
                sev,
                format!(
                    "{label} went to the table for {} of its rows ({} heap fetches).",
                    pct(ratio.min(1.0)),
                    fmt_count(h * l)
                ),
                "An index-only scan visits the heap for pages not marked all-visible; VACUUM refreshes the visibility map.",
                qualified(n).map(|r| format!("VACUUM (ANALYZE) {r};")),
            );
        }
        // EX-06 hash_batches
        if let Some(b) = n.num(K::HashBatches)
            && b > 1.0
        {
            let orig = n.num(K::OriginalHashBatches).unwrap_or(b);
            let mem = n.num(K::PeakMemoryUsage).unwrap_or(0.0);
            spilled.insert(n.id);
            let mut seen = format!(
                "{label} split its hash table into {b:.0} batches (peak memory {mem:.0} kB)."
            );
            if orig < b {
                seen.push_str(&format!(
                    " It planned {orig:.0}: the row estimate was too low."
                ));
            }
            push(
                &mut out,
                "hash_batches",
                Severity::Warning,
                seen,
                "Batches beyond the first are written to temporary files and read back. Hash memory is work_mem × hash_mem_multiplier.",
                Some(format!("SET work_mem = '{}';", work_mem_for(mem * b))),
            );
        }
        // EX-07 hashagg_spill
        let disk = n.num(K::DiskUsage).unwrap_or(0.0);
        // The figures first: a substring search on every node's type is the dearer test.
        if (n.num(K::HashAggBatches).unwrap_or(0.0) > 1.0 || disk > 0.0)
            && n.node_type().contains("Aggregate")
        {
            spilled.insert(n.id);
            let mem = n.num(K::PeakMemoryUsage).unwrap_or(0.0);
            push(
                &mut out,
                "hashagg_spill",
                Severity::Warning,
                format!(
                    "{label} spilled to disk: {disk:.0} kB on disk in {:.0} batches, {mem:.0} kB in memory.",
                    n.num(K::HashAggBatches).unwrap_or(1.0)
                ),
                "The hash aggregate did not fit in work_mem × hash_mem_multiplier.",
                Some(format!("SET work_mem = '{}';", work_mem_for(disk + mem))),
            );
        }
        // EX-08 sort_spill
        let sort_disk = n.str(K::SortSpaceType) == Some("Disk")
            || n.str(K::SortMethod)
                .is_some_and(|s| s.starts_with("external"));
        let group_disk = [K::FullSortGroups, K::PreSortedGroups]
            .iter()
            .filter_map(|k| n.props.get(*k))
            .filter_map(|g| g.get("Sort Space Disk"))
            .filter_map(|d| d.get("Peak Sort Space Used").and_then(|v| v.as_f64()))
            .fold(0.0, f64::max);
        if sort_disk || group_disk > 0.0 {
            spilled.insert(n.id);
            let kb = n.num(K::SortSpaceUsed).unwrap_or(0.0).max(group_disk);
            push(
                &mut out,
                "sort_spill",
                Severity::Warning,
                format!(
                    "{label} sorted on disk ({}, {kb:.0} kB).",
                    n.str(K::SortMethod).unwrap_or("external")
                ),
                "A sort that does not fit in work_mem writes temporary files; an in-memory sort needs two to three times the disk figure (PostgreSQL 15 made sorts leaner). An index that gives the order avoids the sort.",
                // 3×: on 13 and 14, twice the disk figure was seen to spill still (version matrix)
                Some(format!("SET work_mem = '{}';", work_mem_for(kb * 3.0))),
            );
        }
        // EX-16 lossy_bitmap
        if let Some(l) = n.num(K::LossyHeapBlocks)
            && l > 0.0
        {
            let exact = n.num(K::ExactHeapBlocks).unwrap_or(0.0);
            push(
                &mut out,
                "lossy_bitmap",
                Severity::Warning,
                format!("{label} went lossy: {l:.0} lossy heap blocks, {exact:.0} exact."),
                "A lossy bitmap remembers pages, not rows, so every row of those pages is rechecked. The bitmap did not fit in work_mem.",
                Some(format!(
                    "SET work_mem = '{}';",
                    work_mem_for((l + exact) * 8.0 / 1024.0 * 64.0)
                )),
            );
        }
        // EX-19 memoize_pressure
        if n.node_type() == "Memoize" {
            let ev = n.num(K::CacheEvictions).unwrap_or(0.0);
            let ov = n.num(K::CacheOverflows).unwrap_or(0.0);
            if ev > 0.0 || ov > 0.0 {
                let hits = n.num(K::CacheHits).unwrap_or(0.0);
                let misses = n.num(K::CacheMisses).unwrap_or(0.0);
                let ratio = if hits + misses > 0.0 {
                    hits / (hits + misses)
                } else {
                    0.0
                };
                push(
                    &mut out,
                    "memoize_pressure",
                    Severity::Warning,
                    format!(
                        "{label} evicted {ev:.0} entries and overflowed {ov:.0} times (hit ratio {}).",
                        pct(ratio)
                    ),
                    "The memoize cache is too small for the distinct keys: entries are thrown out and recomputed.",
                    Some(format!(
                        "SET work_mem = '{}';",
                        work_mem_for(n.num(K::PeakMemoryUsage).unwrap_or(4096.0) * 4.0)
                    )),
                );
            }
        }
        // EX-13 workers_short
        if let (Some(p), Some(l)) = (n.num(K::WorkersPlanned), n.num(K::WorkersLaunched))
            && l < p
        {
            push(
                &mut out,
                "workers_short",
                Severity::Warning,
                format!("{label} planned {p:.0} parallel workers but launched {l:.0}."),
                "The pool of parallel workers was exhausted (max_parallel_workers, max_worker_processes), so the leader did more of the work than planned.",
                Some("SHOW max_parallel_workers;\nSHOW max_worker_processes;".into()),
            );
        }
        // EX-14 never_executed (only the top of a never-executed subtree)
        if m.never_executed && n.parent.is_none_or(|p| !plan.nodes[p].m.never_executed) {
            push(
                &mut out,
                "never_executed",
                Severity::Info,
                format!("{label} was never executed."),
                "Its subtree was skipped at run time (partition pruning, an empty outer side, a LIMIT reached): its figures are zero.",
                None,
            );
        }
        // EX-15 disabled_node
        let disabled = n.flag(K::Disabled)
            || n.num(K::StartupCost).unwrap_or(0.0) >= 1e10
                && !n
                    .children
                    .iter()
                    .any(|c| plan.nodes[*c].num(K::TotalCost).unwrap_or(0.0) >= 1e10);
        if disabled {
            let setting = enable_setting(n.node_type());
            push(
                &mut out,
                "disabled_node",
                Severity::Warning,
                format!("{label} uses a plan method that is disabled."),
                "The planner had no other way, or an enable_* setting is off for this session: check the Settings.",
                setting.map(|s| format!("RESET {s};")),
            );
        }
        // EX-17 cache_miss
        let blocks = m.shared_hit + m.shared_read;
        if blocks > 100.0 && m.shared_read / blocks > 0.1 && m.time_share.is_some_and(|t| t > 0.1) {
            let io = if m.io_ms > 0.0 {
                format!(", {} waiting for reads", fmt_ms(m.io_ms))
            } else {
                String::new()
            };
            push(
                &mut out,
                "cache_miss",
                if m.shared_read / blocks > 0.5 {
                    Severity::Warning
                } else {
                    Severity::Info
                },
                format!(
                    "{label} read {} of its {} blocks from disk or the OS cache{io}.",
                    pct(m.shared_read / blocks),
                    fmt_count(blocks)
                ),
                "Reads outside shared_buffers are slower; a second run is often faster. A smaller working set (an index, fewer columns) or more shared_buffers helps.",
                qualified(n).map(|r| {
                    format!(
                        "CREATE EXTENSION IF NOT EXISTS pg_prewarm;\nSELECT pg_prewarm('{}');",
                        r.replace('\'', "''")
                    )
                }),
            );
        }
        // EX-18 read_efficiency
        if let Some(rows) = m.rows_actual
            && blocks > 1000.0
            && blocks / rows.max(1.0) > 10.0
            && m.time_share.is_some_and(|t| t > 0.1)
            && n.str(K::RelationName).is_some()
        {
            push(
                &mut out,
                "read_efficiency",
                Severity::Info,
                format!(
                    "{label} read {} blocks for {} rows ({:.0} blocks per row).",
                    fmt_count(blocks),
                    fmt_count(rows),
                    blocks / rows.max(1.0)
                ),
                "Many pages per useful row: bloat, poor locality, or a filter applied after reading. Check the table's bloat in the health pane.",
                qualified(n).map(|r| format!("VACUUM (VERBOSE, ANALYZE) {r};")),
            );
        }
        // EX-21 loop_amplification
        if let (Some(l), Some(inc)) = (m.loops, m.inclusive_ms)
            && l >= 100.0
            && n.parent.is_some_and(|p| {
                let par = &plan.nodes[p];
                par.node_type() == "Nested Loop" && par.children.get(1) == Some(&n.id)
            })
            && total.is_some_and(|t| t > 0.0 && inc / t > 0.1)
        {
            let t = total.unwrap_or(1.0);
            push(
                &mut out,
                "loop_amplification",
                if inc / t > 0.4 {
                    Severity::Warning
                } else {
                    Severity::Info
                },
                format!(
                    "{label} ran {} times inside a Nested Loop: {} per loop, {} in all ({}).",
                    fmt_count(l),
                    fmt_ms(n.num(K::ActualTotalTime).unwrap_or(0.0)),
                    fmt_ms(inc),
                    pct(inc / t)
                ),
                "The inner side of a nested loop runs once per outer row. If the outer rows were under-estimated, ANALYZE; a hash or merge join, or an index on the join key, may be cheaper.",
                None,
            );
        }
        // EX-22 index_searches
        if let Some(searches) = n.num(K::IndexSearches) {
            let per = searches / m.loops.unwrap_or(1.0).max(1.0);
            if per > 10.0 {
                push(
                    &mut out,
                    "index_searches",
                    Severity::Info,
                    format!("{label} descended the index {per:.0} times per loop."),
                    "Many descents come from = ANY(array) lists or skip scans over a leading column with many values; an index whose leading column is the equality column needs one.",
                    None,
                );
            }
        }
        // EX-23 cte_materialized
        if n.node_type() == "CTE Scan" {
            let name = n.str(K::CteName).unwrap_or("?");
            let scans = plan
                .nodes
                .iter()
                .filter(|x| x.node_type() == "CTE Scan" && x.str(K::CteName) == Some(name))
                .count();
            if scans == 1 {
                push(
                    &mut out,
                    "cte_materialized",
                    Severity::Info,
                    format!("{label} reads CTE {name}, computed once and stored."),
                    "A CTE referenced once can be inlined so that conditions reach its tables (PostgreSQL 12+).",
                    Some(format!(
                        "-- in the statement: WITH {} AS NOT MATERIALIZED (...)",
                        quote_ident(name)
                    )),
                );
            }
        }
    }
    // EX-09 temp_io on nodes no spill rule explains.
    for n in &plan.nodes {
        let t = n.m.temp_read + n.m.temp_written;
        if t > 0.0 && !spilled.contains(&n.id) {
            out.push(Advice {
                rule: "temp_io",
                severity: Severity::Info,
                node: Some(n.id),
                seen: format!(
                    "{} read {:.0} and wrote {:.0} temporary blocks ({} MB).",
                    node_label(n),
                    n.m.temp_read,
                    n.m.temp_written,
                    (t * 8.0 / 1024.0).ceil()
                ),
                why: "Temporary files mean something did not fit in memory.".into(),
                suggestion: Some(format!(
                    "SET work_mem = '{}';",
                    work_mem_for(t.max(n.m.temp_written) * 8.0)
                )),
            });
        }
    }
    let exec = s.execution_ms;
    // EX-10 planning_share
    if let (Some(p), Some(e)) = (s.planning_ms, exec)
        && e > 0.0
        && p >= 1.0
        && let Some(sev) = band(p / e)
    {
        out.push(Advice {
            rule: "planning_share",
            severity: cap(sev),
            node: None,
            seen: format!(
                "Planning took {} against {} of execution ({}).",
                fmt_ms(p),
                fmt_ms(e),
                pct(p / e)
            ),
            why: "Planning dominates: many joins or partitions, or catalog reads. A prepared statement plans once.".into(),
            suggestion: Some("SET plan_cache_mode = 'force_generic_plan';  -- for prepared statements".into()),
        });
    }
    // EX-11 jit_share
    if let (Some(j), Some(e)) = (s.jit_ms, exec)
        && e > 0.0
        && let Some(sev) = band(j / e)
    {
        out.push(Advice {
            rule: "jit_share",
            severity: sev,
            node: None,
            seen: format!("JIT compilation took {} of {} ({}).", fmt_ms(j), fmt_ms(e), pct(j / e)),
            why: "JIT pays off on long analytical queries; on short ones compiling costs more than it saves.".into(),
            suggestion: Some("SET jit = off;".into()),
        });
    }
    // EX-12 trigger_share
    if let Some(e) = exec
        && e > 0.0
        && s.trigger_ms > 0.0
        && let Some(sev) = band(s.trigger_ms / e)
    {
        let triggers = plan
            .props
            .get("Triggers")
            .and_then(|t| t.as_array())
            .cloned()
            .unwrap_or_default();
        let slowest = triggers.iter().max_by(|a, b| {
            let ta = a.get("Time").and_then(|v| v.as_f64()).unwrap_or(0.0);
            let tb = b.get("Time").and_then(|v| v.as_f64()).unwrap_or(0.0);
            ta.total_cmp(&tb)
        });
        let name = slowest
            .and_then(|t| t.get("Trigger Name").and_then(|v| v.as_str()))
            .unwrap_or("?");
        let fk = slowest
            .and_then(|t| t.get("Constraint Name").and_then(|v| v.as_str()))
            .or_else(|| name.starts_with("RI_ConstraintTrigger").then_some(name));
        let (why, sug) = match fk {
            Some(c) => (
                "A foreign-key check is slow: deleting or updating a parent row scans the child table when the child's foreign-key columns have no index.".to_string(),
                Some(format!(
                    "-- the referencing table and columns of {c}:\nSELECT conrelid::regclass AS child_table, array_agg(a.attname ORDER BY k.n) AS columns\nFROM pg_constraint c\nCROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, n)\nJOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum\nWHERE c.conname = '{}'\nGROUP BY conrelid;\n-- then: CREATE INDEX CONCURRENTLY ON <child_table> (<columns>);",
                    c.replace('\'', "''")
                )),
            ),
            None => ("Triggers run once per row; their time is on top of the plan's.".to_string(), None),
        };
        out.push(Advice {
            rule: "trigger_share",
            severity: sev,
            node: None,
            seen: format!(
                "Triggers took {} of {} ({}); the slowest is {name}.",
                fmt_ms(s.trigger_ms),
                fmt_ms(e),
                pct(s.trigger_ms / e)
            ),
            why,
            suggestion: sug,
        });
    }
    // EX-24 missing_options
    let mut missing = Vec::new();
    if !analyze {
        missing.push("ANALYZE (no actual times or rows)");
    } else {
        let has_buffers = plan.nodes.iter().any(|n| {
            n.props.contains_key(K::SharedHitBlocks) || n.props.contains_key(K::SharedReadBlocks)
        });
        if !has_buffers {
            missing.push("BUFFERS (no buffer counts)");
        } else {
            let reads = plan
                .nodes
                .iter()
                .any(|n| n.num(K::SharedReadBlocks).unwrap_or(0.0) > 0.0);
            // Any `... I/O Read Time` key: the known ones compared as ids (a substring search
            // over every key of every node was a fifth of the advice time on a large plan).
            let io = plan.nodes.iter().any(|n| {
                n.props.entries().any(|(k, _)| match k {
                    KeyRef::Known(k) => matches!(
                        k,
                        K::IoReadTime
                            | K::SharedIoReadTime
                            | K::LocalIoReadTime
                            | K::TempIoReadTime
                    ),
                    KeyRef::Other(s) => s.contains("I/O Read Time"),
                })
            });
            if reads && !io {
                missing.push("I/O timings (track_io_timing is off)");
            }
        }
        let gather_without_workers = plan.nodes.iter().any(|n| {
            n.num(K::WorkersLaunched).unwrap_or(0.0) > 0.0
                && !plan.nodes.iter().any(|x| x.props.contains_key(K::Workers))
        });
        if gather_without_workers {
            missing.push("VERBOSE (no per-worker figures)");
        }
    }
    if !missing.is_empty() {
        let track = missing.iter().any(|m| m.starts_with("I/O"));
        out.push(Advice {
            rule: "missing_options",
            severity: Severity::Info,
            node: None,
            seen: format!("The plan lacks {}.", missing.join(", ")),
            why: "Without them some figures and advice are unavailable. ANALYZE runs the statement: pgdeck wraps writing statements in BEGIN … ROLLBACK.".into(),
            suggestion: Some(if track {
                "SET track_io_timing = on;\n-- then: EXPLAIN (ANALYZE, BUFFERS, VERBOSE, SETTINGS) <statement>".into()
            } else {
                "EXPLAIN (ANALYZE, BUFFERS, VERBOSE, SETTINGS) <statement>".into()
            }),
        });
    }
    out.sort_by_key(|a| std::cmp::Reverse(a.severity));
    out
}

/// `enable_*` setting behind a node type.
fn enable_setting(t: &str) -> Option<&'static str> {
    Some(match t {
        "Seq Scan" => "enable_seqscan",
        "Index Scan" => "enable_indexscan",
        "Index Only Scan" => "enable_indexonlyscan",
        "Bitmap Heap Scan" | "Bitmap Index Scan" => "enable_bitmapscan",
        "Nested Loop" => "enable_nestloop",
        "Hash Join" => "enable_hashjoin",
        "Merge Join" => "enable_mergejoin",
        "Sort" => "enable_sort",
        "Incremental Sort" => "enable_incremental_sort",
        "HashAggregate" => "enable_hashagg",
        "Materialize" => "enable_material",
        "Memoize" => "enable_memoize",
        "Gather Merge" => "enable_gathermerge",
        "Tid Scan" => "enable_tidscan",
        _ => return None,
    })
}

/// `ANALYZE t;` for the tables under a node; `CREATE STATISTICS` when a scan filters on several
/// columns of one table (correlated columns).
fn misestimate_fix(plan: &Plan, n: &Node) -> Option<String> {
    let mut tables: Vec<String> = Vec::new();
    let mut stats = None;
    let range = {
        let d = n.depth;
        let end = plan.nodes[n.id + 1..]
            .iter()
            .position(|x| x.depth <= d)
            .map_or(plan.nodes.len(), |p| n.id + 1 + p);
        n.id..end
    };
    for x in &plan.nodes[range] {
        if let Some(q) = qualified(x) {
            if !tables.contains(&q) {
                tables.push(q.clone());
            }
            if stats.is_none()
                && x.id == n.id
                && let Some(f) = x.str(K::Filter).or_else(|| x.str(K::IndexCond))
                && let Some((eq, range)) = filter_columns(f)
            {
                let cols: Vec<String> = eq.into_iter().chain(range).collect();
                if cols.len() >= 2 {
                    let quoted: Vec<String> = cols.iter().map(|c| quote_ident(c)).collect();
                    let rel = x.str(K::RelationName).unwrap_or("t");
                    stats = Some(format!(
                        "CREATE STATISTICS {} (dependencies, ndistinct, mcv) ON {} FROM {q};",
                        quote_ident(&format!("{rel}_{}_stats", cols.join("_"))),
                        quoted.join(", ")
                    ));
                }
            }
        }
    }
    if tables.is_empty() {
        return None;
    }
    let mut s: Vec<String> = Vec::new();
    if let Some(st) = stats {
        s.push(st);
    }
    s.extend(tables.iter().take(4).map(|t| format!("ANALYZE {t};")));
    Some(s.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_of_a_few_ms_gives_no_critical_advice() {
        let plan = |exec: f64, planning: f64| {
            format!(
                r#"[{{"Plan": {{"Node Type": "Seq Scan", "Relation Name": "t", "Total Cost": 9,
                "Plan Rows": 1, "Actual Total Time": {exec}, "Actual Rows": 1, "Actual Loops": 1}},
                "Planning Time": {planning}, "Execution Time": {exec}}}]"#
            )
        };
        let sev = |text: String, rule: &str| {
            let (_, advice) = crate::model::plan::parse_and_analyse(&text).unwrap();
            advice.iter().find(|a| a.rule == rule).map(|a| a.severity)
        };
        assert_eq!(sev(plan(0.12, 1.2), "planning_share"), Some(Severity::Info));
        assert_eq!(sev(plan(0.12, 1.2), "slow_node"), Some(Severity::Info));
        assert_eq!(
            sev(plan(120.0, 1200.0), "planning_share"),
            Some(Severity::Critical)
        );
        assert_eq!(sev(plan(120.0, 1.0), "slow_node"), Some(Severity::Critical));
    }

    #[test]
    fn like_with_a_prefix_gets_text_pattern_ops() {
        let f = "(((p.title)::text ~~ 'Post 1%'::text) AND (p.author_id = 3))";
        assert_eq!(
            index_columns(&["author_id".into(), "title".into()], f),
            vec!["author_id", "title text_pattern_ops"]
        );
        assert!(like_prefix_columns("(title ~~ '%x'::text)").is_empty());
        assert!(like_prefix_columns("(title = 'x'::text)").is_empty());
    }

    #[test]
    fn a_misestimate_is_reported_where_it_starts() {
        let json = r#"[{"Plan": {"Node Type": "Sort", "Total Cost": 10, "Plan Rows": 10,
          "Actual Total Time": 5, "Actual Rows": 200, "Actual Loops": 1,
          "Plans": [{"Node Type": "Seq Scan", "Relation Name": "t", "Total Cost": 9,
            "Plan Rows": 10, "Actual Total Time": 4, "Actual Rows": 200, "Actual Loops": 1,
            "Filter": "((a = 1) AND (b = 1))", "Rows Removed by Filter": 50}]}}]"#;
        let (plan, advice) = crate::model::plan::parse_and_analyse(json).unwrap();
        let nodes: Vec<Option<usize>> = advice
            .iter()
            .filter(|a| a.rule == "misestimate")
            .map(|a| a.node)
            .collect();
        assert_eq!(nodes, vec![Some(1)], "{advice:#?}");
        assert!(plan.nodes[0].m.misestimate.is_some());
        let fix = advice
            .iter()
            .find(|a| a.rule == "misestimate")
            .and_then(|a| a.suggestion.clone())
            .unwrap();
        assert!(
            fix.contains("CREATE STATISTICS") && fix.contains(" ON a, b FROM t;"),
            "{fix}"
        );
    }

    #[test]
    fn filter_columns_simple_and_multi() {
        assert_eq!(
            filter_columns("(username = 'depesz'::text)"),
            Some((vec!["username".to_string()], vec![]))
        );
        assert_eq!(
            filter_columns(
                "((status = 'x'::text) AND (created_at > '2024-01-01'::date) AND (o.customer_id = 42))"
            ),
            Some((
                vec!["status".to_string(), "customer_id".to_string()],
                vec!["created_at".to_string()]
            ))
        );
        assert_eq!(filter_columns("((a = 1) OR (b = 2))"), None);
        assert_eq!(filter_columns("(lower(email) = 'x'::text)"), None);
    }

    #[test]
    fn work_mem_rounds_up() {
        assert_eq!(work_mem_for(31752.0), "32MB");
        assert_eq!(work_mem_for(100.0), "8MB");
        assert_eq!(work_mem_for(3.0 * 1024.0 * 1024.0), "4GB");
    }
}
