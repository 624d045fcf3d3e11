//! What `pgdeck explain` prints: the JSON document of the issue (`planning_ms`, `execution_ms`,
//! `nodes` in plan order, `advice`) and the text tree with per-node figures and the advice list.
//! Shared by the headless command and its tests; the pane draws the same figures its own way.

use std::fmt::Write as _;

use serde::Serialize;

use super::advice::{Advice, fmt_count, fmt_ms};
use super::diff::{Change, Comparison, NodeMatch, Totals, Trend};
use super::metrics::Direction;
use super::{K, Node, Plan};

#[derive(Debug, Serialize)]
pub struct JsonNode {
    pub id: usize,
    pub parent: Option<usize>,
    pub node_type: String,
    pub relation: Option<String>,
    pub index: Option<String>,
    pub inclusive_ms: Option<f64>,
    pub exclusive_ms: Option<f64>,
    pub rows_planned: f64,
    pub rows_actual: Option<f64>,
    pub loops: Option<f64>,
    pub misestimate: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct JsonAdvice {
    pub rule: &'static str,
    pub severity: &'static str,
    pub node: Option<usize>,
    pub message: String,
    pub suggestion: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct JsonReport {
    pub planning_ms: Option<f64>,
    pub execution_ms: Option<f64>,
    pub nodes: Vec<JsonNode>,
    pub advice: Vec<JsonAdvice>,
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The JSON report. Rows are per loop as EXPLAIN gives them; times are totals over loops.
pub fn json_report(plan: &Plan, advice: &[Advice]) -> JsonReport {
    JsonReport {
        planning_ms: plan.planning_ms(),
        execution_ms: plan.execution_ms(),
        nodes: plan
            .nodes
            .iter()
            .map(|n| JsonNode {
                id: n.id,
                parent: n.parent,
                node_type: n.node_type().to_string(),
                relation: n.str(K::RelationName).map(str::to_string),
                index: n.str(K::IndexName).map(str::to_string),
                inclusive_ms: n.m.inclusive_ms.map(round3),
                exclusive_ms: n.m.exclusive_ms.map(round3),
                rows_planned: n.num(K::PlanRows).unwrap_or(0.0),
                rows_actual: n.num(K::ActualRows),
                loops: n.num(K::ActualLoops),
                misestimate: n.m.misestimate.map(|f| (f * 100.0).round() / 100.0),
            })
            .collect(),
        advice: advice
            .iter()
            .map(|a| JsonAdvice {
                rule: a.rule,
                severity: a.severity.label(),
                node: a.node,
                message: a.message(),
                suggestion: a.suggestion.clone(),
            })
            .collect(),
    }
}

/// `↑12×` / `↓3×` / empty.
pub fn misestimate_mark(n: &Node) -> String {
    match (n.m.misestimate, n.m.direction) {
        (Some(f), Direction::Under) if f >= 2.0 => format!("↑{}×", fmt_factor(f)),
        (Some(f), Direction::Over) if f >= 2.0 => format!("↓{}×", fmt_factor(f)),
        _ => String::new(),
    }
}

fn fmt_factor(f: f64) -> String {
    if f >= 100.0 {
        fmt_count(f.round())
    } else {
        format!("{f:.0}")
    }
}

/// One node's figures on a line: `12.3 ms 45% | rows 10 → 5000 ↑500× | loops 2 | buf 10h 3r`.
pub fn node_figures(n: &Node) -> String {
    let mut s = String::new();
    if n.m.never_executed {
        s.push_str("never executed");
        return s;
    }
    if let Some(e) = n.m.exclusive_ms {
        let _ = write!(s, "{}", fmt_ms(e));
        if let Some(sh) = n.m.time_share {
            let _ = write!(s, " {:>3.0}%", sh * 100.0);
        }
        s.push_str(" | ");
    } else {
        let _ = write!(s, "cost {:.2} | ", n.num(K::TotalCost).unwrap_or(0.0));
    }
    let _ = write!(s, "rows {}", fmt_count(n.num(K::PlanRows).unwrap_or(0.0)));
    if let Some(a) = n.num(K::ActualRows) {
        let _ = write!(s, " → {}", fmt_count(a));
        let mark = misestimate_mark(n);
        if !mark.is_empty() {
            let _ = write!(s, " {mark}");
        }
    }
    if let Some(l) = n.m.loops.filter(|l| *l != 1.0) {
        let _ = write!(s, " | loops {}", fmt_count(l));
    }
    let blocks = n.m.shared_hit + n.m.shared_read;
    if blocks > 0.0 || n.m.temp_read + n.m.temp_written > 0.0 {
        let _ = write!(
            s,
            " | buffers {} hit {} read",
            fmt_count(n.m.shared_hit),
            fmt_count(n.m.shared_read)
        );
        if n.m.temp_read + n.m.temp_written > 0.0 {
            let _ = write!(s, " {} temp", fmt_count(n.m.temp_read + n.m.temp_written));
        }
    }
    s
}

/// The first line of a node in a tree: `Seq Scan on users u`.
pub fn node_title(n: &Node) -> String {
    match n.target() {
        Some(t) if t.starts_with("using ") => format!("{} {t}", n.display_type()),
        Some(t) => format!("{} on {t}", n.display_type()),
        None => n.display_type(),
    }
}

/// The text report: headline, tree, advice.
pub fn text_report(plan: &Plan, advice: &[Advice]) -> String {
    let mut out = String::new();
    for line in headline(plan) {
        let _ = writeln!(out, "{line}");
    }
    out.push('\n');
    for n in &plan.nodes {
        let indent = "  ".repeat(n.depth);
        if let Some(h) = n.subplan_name() {
            let _ = writeln!(out, "{indent}[{h}]");
        }
        let _ = writeln!(
            out,
            "{indent}#{} {}  ({})",
            n.id,
            node_title(n),
            node_figures(n)
        );
    }
    if !advice.is_empty() {
        let _ = writeln!(out, "\nAdvice:");
        for a in advice {
            let node = a.node.map(|n| format!(" #{n}")).unwrap_or_default();
            let _ = writeln!(
                out,
                "- [{}] {}{node}: {}",
                a.severity.label(),
                a.rule,
                a.message()
            );
            if let Some(s) = &a.suggestion {
                for l in s.lines() {
                    let _ = writeln!(out, "    {l}");
                }
            }
        }
    }
    out
}

/// The headline facts: times, slowest, costliest and largest node, worst misestimate, JIT, triggers.
pub fn headline(plan: &Plan) -> Vec<String> {
    let s = &plan.summary;
    let mut out = Vec::new();
    let mut times = Vec::new();
    if let Some(e) = s.execution_ms {
        times.push(format!("execution {}", fmt_ms(e)));
    }
    if let Some(p) = s.planning_ms {
        times.push(format!("planning {}", fmt_ms(p)));
    }
    if let Some(j) = s.jit_ms {
        times.push(format!("JIT {}", fmt_ms(j)));
    }
    if s.trigger_ms > 0.0 {
        times.push(format!("triggers {}", fmt_ms(s.trigger_ms)));
    }
    if times.is_empty() {
        times.push(format!("estimated cost {:.2} (no ANALYZE)", s.total_cost));
    }
    out.push(times.join(" · "));
    let name = |id: Option<usize>| {
        id.and_then(|i| plan.nodes.get(i))
            .map(|n| format!("#{} {}", n.id, node_title(n)))
    };
    let mut facts = Vec::new();
    if let Some(n) = name(s.slowest).filter(|_| s.max_exclusive_ms > 0.0) {
        facts.push(format!("slowest {n} ({})", fmt_ms(s.max_exclusive_ms)));
    }
    if let Some(n) = name(s.costliest) {
        facts.push(format!("costliest {n} ({:.0})", s.max_exclusive_cost));
    }
    if let Some(n) = name(s.largest) {
        facts.push(format!("largest {n}"));
    }
    if let Some(i) = s.worst_misestimate
        && let Some(node) = plan.nodes.get(i)
    {
        facts.push(format!(
            "worst estimate #{} {} {}",
            node.id,
            node_title(node),
            misestimate_mark(node)
        ));
    }
    out.extend(facts);
    out
}

/// A change as people read it: `▼ 12× faster`, `▲ 3.1× slower`, `=`, `▲ from 0`; `lower` and
/// `higher` name the direction (`faster`/`slower`, `fewer`/`more`). Symbols as well as colours,
/// so it reads without colour.
pub fn trend_mark(c: &Change, lower: &str, higher: &str) -> String {
    match c.trend() {
        Trend::Same => "=".to_string(),
        Trend::Unknown => String::new(),
        t => {
            let (sym, word) = if t == Trend::Lower {
                ("▼", lower)
            } else {
                ("▲", higher)
            };
            match c.factor() {
                Some(f) => format!("{sym} {}× {word}", fmt_ratio(f)),
                None if c.before == Some(0.0) => format!("{sym} {word}, from 0"),
                None => format!("{sym} {word}, to 0"),
            }
        }
    }
}

/// `1.5`, `12`, `1.2k`.
pub fn fmt_ratio(f: f64) -> String {
    if f < 10.0 {
        format!("{f:.1}")
    } else {
        fmt_count(f.round())
    }
}

fn fmt_change(c: &Change, fmt: fn(f64) -> String) -> String {
    let side = |x: Option<f64>| x.map_or("?".to_string(), fmt);
    format!("{} → {}", side(c.before), side(c.after))
}

/// A node's title for a comparison: `#3 Seq Scan on t`, the subplan name first.
fn compare_title(n: &Node) -> String {
    match n.subplan_name() {
        Some(sp) => format!("#{} [{sp}] {}", n.id, node_title(n)),
        None => format!("#{} {}", n.id, node_title(n)),
    }
}

/// Exclusive time, else cost.
fn node_time(n: &Node) -> String {
    match (n.m.never_executed, n.m.exclusive_ms) {
        (true, _) => "never executed".into(),
        (_, Some(e)) => fmt_ms(e),
        _ => format!("cost {:.0}", n.m.exclusive_cost),
    }
}

/// What changed in a matched pair, beside the time: type, rows, loops, buffers.
pub fn match_notes(m: &NodeMatch) -> Vec<String> {
    let mut out = Vec::new();
    if m.changed {
        out.push("≠ node changed".to_string());
    }
    if m.rows.trend() != Trend::Same && m.rows.trend() != Trend::Unknown {
        out.push(format!("rows {}", fmt_change(&m.rows, fmt_count)));
    }
    if m.loops.trend() != Trend::Same && m.loops.trend() != Trend::Unknown {
        out.push(format!("loops {}", fmt_change(&m.loops, fmt_count)));
    }
    if m.buffers.trend() != Trend::Same && m.buffers.trend() != Trend::Unknown {
        out.push(format!(
            "buffers {} ({})",
            fmt_change(&m.buffers, fmt_count),
            trend_mark(&m.buffers, "fewer", "more")
        ));
    }
    out
}

/// The plan totals compared, one line each with its change: `execution 95.1 ms → 0.080 ms
/// ▼ 1.2k× faster`.
pub fn totals_lines(t: &Totals) -> Vec<(String, Change)> {
    let mut out = Vec::new();
    let mut line = |name: &str, c: &Change, fmt: fn(f64) -> String, lower, higher| {
        if c.before.is_some() || c.after.is_some() {
            out.push((
                format!(
                    "{name} {}  {}",
                    fmt_change(c, fmt),
                    trend_mark(c, lower, higher)
                ),
                *c,
            ));
        }
    };
    line("execution", &t.execution_ms, fmt_ms, "faster", "slower");
    line("planning", &t.planning_ms, fmt_ms, "faster", "slower");
    line("buffers", &t.buffers, fmt_count, "fewer", "more");
    if t.temp_blocks.before.unwrap_or(0.0) + t.temp_blocks.after.unwrap_or(0.0) > 0.0 {
        line("temp blocks", &t.temp_blocks, fmt_count, "fewer", "more");
    }
    out
}

/// Cut `s` to `w` columns (with `…`) and pad it to them.
fn fit(s: &str, w: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    let total = unicode_width::UnicodeWidthStr::width(s);
    for c in s.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + cw > w.saturating_sub(usize::from(total > w)) {
            break;
        }
        out.push(c);
        used += cw;
    }
    if total > w && w > 0 {
        out.push('…');
        used += 1;
    }
    out.push_str(&" ".repeat(w.saturating_sub(used)));
    out
}

/// The text comparison: totals, then both trees side by side, a matched pair on one row, with
/// what changed.
pub fn comparison_text(before: &Plan, after: &Plan, c: &Comparison) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Before → after");
    for (l, _) in totals_lines(&c.totals) {
        let _ = writeln!(out, "  {l}");
    }
    let _ = writeln!(
        out,
        "  {} nodes matched ({} changed), {} only before, {} only after",
        c.matches.len(),
        c.matches.iter().filter(|m| m.changed).count(),
        c.only_before.len(),
        c.only_after.len()
    );
    out.push('\n');
    let title = |n: &Node| format!("{}{}", "  ".repeat(n.depth.min(12)), compare_title(n));
    // As wide as the widest title on a side needs, within 30..=64 columns, plus the time.
    let widest = |p: &Plan| {
        p.nodes
            .iter()
            .map(|n| unicode_width::UnicodeWidthStr::width(title(n).as_str()))
            .max()
            .unwrap_or(0)
    };
    let tw = widest(before).max(widest(after)).clamp(19, 53);
    let w = tw + 11;
    let side = |p: &Plan, id: Option<usize>| match id {
        Some(i) => {
            let n = &p.nodes[i];
            format!("{} {:>10}", fit(&title(n), tw), node_time(n))
        }
        None => " ".repeat(w),
    };
    let _ = writeln!(out, "{} │ {} │ change", fit("before", w), fit("after", w));
    for row in &c.rows {
        let change = match (row.before, row.after, c.row_match(row)) {
            (Some(_), Some(_), Some(m)) => {
                let mut parts = vec![trend_mark(&m.exclusive_ms, "faster", "slower")];
                parts.extend(match_notes(m));
                parts.retain(|p| !p.is_empty());
                parts.join("; ")
            }
            (Some(_), None, Some(m)) => format!("↕ is after #{}", m.after),
            (None, Some(_), Some(m)) => format!("↕ is before #{}", m.before),
            (Some(_), None, None) => "− only before".to_string(),
            (None, Some(_), None) => "+ only after".to_string(),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "{} │ {} │ {change}",
            side(before, row.before),
            side(after, row.after)
        );
    }
    out
}

#[derive(Debug, Serialize)]
pub struct JsonChange {
    pub before: Option<f64>,
    pub after: Option<f64>,
    /// after / before (null when unknown or before is 0).
    pub ratio: Option<f64>,
}

impl JsonChange {
    fn of(c: &Change) -> JsonChange {
        let r = |x: Option<f64>| x.map(round3);
        JsonChange {
            before: r(c.before),
            after: r(c.after),
            ratio: c.ratio().map(|x| (x * 10_000.0).round() / 10_000.0),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct JsonMatch {
    pub before: usize,
    pub after: usize,
    pub before_type: String,
    pub after_type: String,
    /// `Seq Scan on orders o`, `Index Scan using orders_pkey on orders o`.
    pub before_title: String,
    pub after_title: String,
    pub relation: Option<String>,
    pub changed: bool,
    pub exclusive_ms: JsonChange,
    pub rows: JsonChange,
    pub loops: JsonChange,
    pub buffers: JsonChange,
}

#[derive(Debug, Serialize)]
pub struct JsonOnly {
    pub id: usize,
    pub node_type: String,
    pub title: String,
    pub relation: Option<String>,
    pub exclusive_ms: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct JsonTotals {
    pub execution_ms: JsonChange,
    pub planning_ms: JsonChange,
    pub buffers: JsonChange,
    pub temp_blocks: JsonChange,
    pub total_cost: JsonChange,
}

/// What `pgdeck explain --compare --format json` prints.
#[derive(Debug, Serialize)]
pub struct JsonComparison {
    pub totals: JsonTotals,
    pub matches: Vec<JsonMatch>,
    pub only_before: Vec<JsonOnly>,
    pub only_after: Vec<JsonOnly>,
}

pub fn comparison_json(before: &Plan, after: &Plan, c: &Comparison) -> JsonComparison {
    let only = |p: &Plan, ids: &[usize]| {
        ids.iter()
            .map(|&i| {
                let n = &p.nodes[i];
                JsonOnly {
                    id: i,
                    node_type: n.display_type(),
                    title: node_title(n),
                    relation: n.str(K::RelationName).map(str::to_string),
                    exclusive_ms: n.m.exclusive_ms.map(round3),
                }
            })
            .collect()
    };
    let t = &c.totals;
    JsonComparison {
        totals: JsonTotals {
            execution_ms: JsonChange::of(&t.execution_ms),
            planning_ms: JsonChange::of(&t.planning_ms),
            buffers: JsonChange::of(&t.buffers),
            temp_blocks: JsonChange::of(&t.temp_blocks),
            total_cost: JsonChange::of(&t.total_cost),
        },
        matches: c
            .matches
            .iter()
            .map(|m| {
                let (x, y) = (&before.nodes[m.before], &after.nodes[m.after]);
                JsonMatch {
                    before: m.before,
                    after: m.after,
                    before_type: x.display_type(),
                    after_type: y.display_type(),
                    before_title: node_title(x),
                    after_title: node_title(y),
                    relation: y
                        .str(K::RelationName)
                        .or_else(|| x.str(K::RelationName))
                        .map(str::to_string),
                    changed: m.changed,
                    exclusive_ms: JsonChange::of(&m.exclusive_ms),
                    rows: JsonChange::of(&m.rows),
                    loops: JsonChange::of(&m.loops),
                    buffers: JsonChange::of(&m.buffers),
                }
            })
            .collect(),
        only_before: only(before, &c.only_before),
        only_after: only(after, &c.only_after),
    }
}
