//! What `pgdeck explain` prints: the JSON document of the issue (`planning_ms`, `execution_ms`,
//! `nodes` in plan order, `advice`) and the text tree with per-node figures and the advice list.
//! Shared by the headless command and its tests; the pane draws the same figures its own way.

use std::fmt::Write as _;

use serde::Serialize;

use super::advice::{Advice, fmt_count, fmt_ms};
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
