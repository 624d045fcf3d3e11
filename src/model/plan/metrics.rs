//! Derived node metrics, following pev2's rules (diagnostics.md §3.2): inclusive time = per-loop
//! time × loops, divided among a Gather's processes (workers launched + 1) below it; exclusive time =
//! inclusive − the children's inclusive, InitPlans left out (a Result pays for its own); a node that
//! reads an InitPlan's output (`$n` or `InitPlan N`) loses that InitPlan's time; each CTE Scan loses
//! its share of the CTE's time. So the exclusive times of a plan add up to its total. Also: exclusive
//! cost, rows × loops, the misestimate factor and its direction, rows removed by filters, exclusive
//! buffers and I/O time, and the plan-wide maxima the headline shows.

use std::collections::HashMap;

use serde_json::Value;

use super::props::KeyRef;
use super::{K, Node, Plan};

/// Which way the planner was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    #[default]
    None,
    /// More rows than planned.
    Under,
    /// Fewer rows than planned.
    Over,
}

/// Figures derived for one node.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metrics {
    /// Processes sharing the node's work (1, or a Gather's workers launched + 1).
    pub processes: f64,
    pub inclusive_ms: Option<f64>,
    pub exclusive_ms: Option<f64>,
    /// Exclusive time as a fraction of the plan's total (0..=1).
    pub time_share: Option<f64>,
    pub exclusive_cost: f64,
    /// Exclusive cost as a fraction of the root's total cost.
    pub cost_share: f64,
    /// Actual rows × loops.
    pub rows_actual: Option<f64>,
    /// Planned rows × loops (per-loop when the plan has no loops).
    pub rows_planned: f64,
    /// max(actual/plan, plan/actual) per loop; an actual of 0 counts as 1 so it stays finite.
    pub misestimate: Option<f64>,
    pub direction: Direction,
    /// Rows removed by Filter, Join Filter and Index Recheck, × loops.
    pub rows_removed: f64,
    /// removed / (removed + returned), when anything was removed.
    pub removed_share: Option<f64>,
    pub loops: Option<f64>,
    pub never_executed: bool,
    /// Exclusive buffers.
    pub shared_hit: f64,
    pub shared_read: f64,
    pub shared_dirtied: f64,
    pub shared_written: f64,
    pub local_blocks: f64,
    pub temp_read: f64,
    pub temp_written: f64,
    /// Exclusive I/O read + write time, all scopes, ms.
    pub io_ms: f64,
}

/// Plan-wide figures for the headline.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Execution Time, else the root's inclusive time.
    pub total_ms: Option<f64>,
    pub planning_ms: Option<f64>,
    pub execution_ms: Option<f64>,
    pub slowest: Option<usize>,
    pub costliest: Option<usize>,
    pub largest: Option<usize>,
    pub worst_misestimate: Option<usize>,
    pub max_exclusive_ms: f64,
    pub max_exclusive_cost: f64,
    pub total_cost: f64,
    pub jit_ms: Option<f64>,
    pub trigger_ms: f64,
    pub temp_blocks: f64,
    pub shared_blocks: f64,
    pub sum_exclusive_ms: f64,
}

fn n(node: &Node, k: K) -> f64 {
    node.num(k).unwrap_or(0.0)
}

/// `$0`, `$1` from `InitPlan 1 (returns $0,$1)`; `InitPlan 1` itself (17+).
fn init_plan_tokens(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some((_, r)) = name.split_once("(returns ") {
        for t in r.trim_end_matches(')').split(',') {
            let t = t.trim();
            if !t.is_empty() {
                out.push(t.to_string());
            }
        }
    } else {
        let head: String = name
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        if head.starts_with("InitPlan ") {
            out.push(format!("({head})"));
        }
    }
    out
}

/// Calls `f` with every `$n` (all its digits: `$1` is not `$10`) and every `(InitPlan n)` in a
/// property's text (strings, and strings in arrays), the tokens [`init_plan_tokens`] gives.
fn for_each_token(v: &Value, f: &mut impl FnMut(&str)) {
    match v {
        Value::String(s) => {
            let b = s.as_bytes();
            let digits =
                |from: usize| from + b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
            let mut i = 0;
            while i < b.len() {
                if b[i] == b'$' {
                    let end = digits(i + 1);
                    if end > i + 1 {
                        f(&s[i..end]);
                        i = end;
                        continue;
                    }
                } else if b[i] == b'(' && b[i..].starts_with(b"(InitPlan ") {
                    let from = i + "(InitPlan ".len();
                    let end = digits(from);
                    if end > from && b.get(end) == Some(&b')') {
                        f(&s[i..=end]);
                        i = end + 1;
                        continue;
                    }
                }
                i += 1;
            }
        }
        Value::Array(a) => a.iter().for_each(|x| for_each_token(x, f)),
        _ => {}
    }
}

/// The properties [`analyse`] reads, taken from a node in one pass over its map: on a 5,000-node
/// plan, one lookup per key and per use (string compares in a B-tree) cost more than the rest.
#[derive(Debug, Default)]
struct Raw {
    loops: Option<f64>,
    total_time: Option<f64>,
    has_total_time: bool,
    plan_rows: f64,
    actual_rows: Option<f64>,
    removed_per_loop: f64,
    total_cost: f64,
    buffers: [f64; 7],
    io_ms: f64,
    /// Workers launched, else planned.
    workers: Option<f64>,
    is_result: bool,
    /// Hangs under a `Subplan Name` (InitPlan, SubPlan, CTE).
    subplan: bool,
    cte: bool,
    init_plan: bool,
}

fn raw(node: &Node) -> Raw {
    let mut r = Raw::default();
    let (mut launched, mut planned) = (None, None);
    for (k, v) in node.props.entries() {
        let KeyRef::Known(k) = k else { continue };
        let x = || super::value_num(v);
        let x0 = || super::value_num(v).unwrap_or(0.0);
        match k {
            K::ActualLoops => r.loops = x(),
            K::ActualTotalTime => {
                r.has_total_time = true;
                r.total_time = v.as_f64();
            }
            K::PlanRows => r.plan_rows = x0(),
            K::ActualRows => r.actual_rows = x(),
            K::RowsRemovedByFilter | K::RowsRemovedByJoinFilter | K::RowsRemovedByIndexRecheck => {
                r.removed_per_loop += x0()
            }
            K::TotalCost => r.total_cost = x0(),
            K::WorkersLaunched => launched = x(),
            K::WorkersPlanned => planned = x(),
            K::NodeType => r.is_result = v.as_str() == Some("Result"),
            K::SubplanName => {
                r.subplan = v.is_string();
                r.cte = v.as_str().is_some_and(|s| s.starts_with("CTE "));
            }
            K::ParentRelationship => r.init_plan = v.as_str() == Some("InitPlan"),
            K::SharedHitBlocks => r.buffers[0] = x0(),
            K::SharedReadBlocks => r.buffers[1] = x0(),
            K::SharedDirtiedBlocks => r.buffers[2] = x0(),
            K::SharedWrittenBlocks => r.buffers[3] = x0(),
            K::LocalReadBlocks => r.buffers[4] = x0(),
            K::TempReadBlocks => r.buffers[5] = x0(),
            K::TempWrittenBlocks => r.buffers[6] = x0(),
            K::IoReadTime
            | K::IoWriteTime
            | K::SharedIoReadTime
            | K::SharedIoWriteTime
            | K::LocalIoReadTime
            | K::LocalIoWriteTime
            | K::TempIoReadTime
            | K::TempIoWriteTime => r.io_ms += x0(),
            _ => {}
        }
    }
    r.workers = launched.or(planned);
    r
}

/// Compute every node's metrics and the plan summary.
pub fn analyse(plan: &mut Plan) {
    let count = plan.nodes.len();
    if count == 0 {
        return;
    }
    let raws: Vec<Raw> = plan.nodes.iter().map(raw).collect();
    // Processes: passed down from a Gather to its non-subplan descendants. Nodes are in DFS order, so
    // a parent is always computed before its children.
    for i in 0..count {
        let inherited = match plan.nodes[i].parent {
            Some(p) => match raws[p].workers {
                Some(w) if !raws[i].subplan => w + 1.0,
                _ if raws[i].subplan => 1.0,
                _ => plan.nodes[p].m.processes,
            },
            None => 1.0,
        };
        plan.nodes[i].m.processes = inherited.max(1.0);
    }
    // Per-node figures that need no children.
    for (node, r) in plan.nodes.iter_mut().zip(&raws) {
        let loops = r.loops;
        let plan_rows = r.plan_rows;
        let m = &mut node.m;
        m.loops = loops;
        m.never_executed = loops == Some(0.0);
        if let (true, Some(l)) = (r.has_total_time, loops) {
            m.inclusive_ms = Some(r.total_time.unwrap_or(0.0) * l / m.processes);
        }
        let l = loops.unwrap_or(1.0);
        m.rows_planned = plan_rows * l.max(if loops.is_some() { 0.0 } else { 1.0 });
        if let Some(actual) = r.actual_rows {
            m.rows_actual = Some(actual * l);
            if l > 0.0 {
                let a = actual.max(1.0);
                let p = plan_rows.max(1.0);
                let (f, d) = if a > p {
                    (a / p, Direction::Under)
                } else if p > a {
                    (p / a, Direction::Over)
                } else {
                    (1.0, Direction::None)
                };
                m.misestimate = Some(f);
                m.direction = d;
            }
            let removed = r.removed_per_loop * l;
            m.rows_removed = removed;
            if removed > 0.0 {
                m.removed_share = Some(removed / (removed + actual * l));
            }
        }
    }
    // Exclusive time, cost, buffers: subtract children.
    for i in 0..count {
        let r = &raws[i];
        let mut child_ms = 0.0;
        let mut child_cost = 0.0;
        let mut b = [0.0f64; 8];
        for &c in &plan.nodes[i].children {
            let ch = &raws[c];
            if !ch.init_plan || (r.is_result && !ch.cte) {
                child_ms += plan.nodes[c].m.inclusive_ms.unwrap_or(0.0);
            }
            // Unlike time, an InitPlan's cost is part of its parent's: take it out too.
            child_cost += ch.total_cost;
            if !ch.subplan {
                for (slot, v) in ch.buffers.iter().enumerate() {
                    b[slot] += v;
                }
                b[7] += ch.io_ms;
            }
        }
        let m = &mut plan.nodes[i].m;
        m.exclusive_ms = m.inclusive_ms.map(|t| (t - child_ms).max(0.0));
        m.exclusive_cost = (r.total_cost - child_cost).max(0.0);
        let own = |slot: usize| (r.buffers[slot] - b[slot]).max(0.0);
        m.shared_hit = own(0);
        m.shared_read = own(1);
        m.shared_dirtied = own(2);
        m.shared_written = own(3);
        m.local_blocks = own(4);
        m.temp_read = own(5);
        m.temp_written = own(6);
        m.io_ms = (r.io_ms - b[7]).max(0.0);
    }
    // InitPlan correction: the nodes that read an InitPlan's output lose its time. One pass over
    // the plan's texts finds every `$n` and `(InitPlan n)` they mention (a pass per InitPlan was
    // quadratic: a plan with an InitPlan at each of 500 levels took 100 ms).
    let mut ips: Vec<(f64, std::ops::Range<usize>)> = Vec::new();
    let mut by_token: HashMap<String, Vec<usize>> = HashMap::new();
    for i in 0..count {
        let ip = &plan.nodes[i];
        let Some(name) = ip.subplan_name() else {
            continue;
        };
        if !raws[i].init_plan || raws[i].cte {
            continue;
        }
        if ip.parent.is_some_and(|p| raws[p].is_result) {
            continue; // the Result already paid for it
        }
        let Some(t) = ip.m.inclusive_ms else { continue };
        let tokens = init_plan_tokens(name);
        if tokens.is_empty() {
            continue;
        }
        let k = ips.len();
        ips.push((t, subtree(plan, i)));
        for tok in tokens {
            let users = by_token.entry(tok).or_default();
            if !users.contains(&k) {
                users.push(k);
            }
        }
    }
    if !ips.is_empty() {
        let mut cut: Vec<(usize, f64)> = Vec::new();
        let mut seen: Vec<usize> = Vec::new();
        for (j, node) in plan.nodes.iter().enumerate() {
            seen.clear();
            for (k, v) in node.props.entries() {
                if k == KeyRef::Known(K::SubplanName) {
                    continue;
                }
                for_each_token(v, &mut |tok| {
                    for &ip in by_token.get(tok).into_iter().flatten() {
                        if !ips[ip].1.contains(&j) && !seen.contains(&ip) {
                            seen.push(ip);
                        }
                    }
                });
            }
            cut.extend(seen.iter().map(|&ip| (j, ips[ip].0)));
        }
        for (j, t) in cut {
            if let Some(e) = plan.nodes[j].m.exclusive_ms.as_mut() {
                *e = (*e - t).max(0.0);
            }
        }
    }
    // CTE correction: each CTE Scan loses its share of the CTE's time.
    let mut scans_of: HashMap<&str, Vec<usize>> = HashMap::new();
    for (j, nd) in plan.nodes.iter().enumerate() {
        if nd.node_type() == "CTE Scan"
            && let Some(name) = nd.str(K::CteName)
        {
            scans_of.entry(name).or_default().push(j);
        }
    }
    let mut cut: Vec<(usize, f64)> = Vec::new();
    for i in 0..count {
        let Some(cte) = plan.nodes[i]
            .subplan_name()
            .and_then(|s| s.strip_prefix("CTE "))
            .map(str::trim)
        else {
            continue;
        };
        let Some(t) = plan.nodes[i].m.inclusive_ms else {
            continue;
        };
        let scans = scans_of.get(cte).map(Vec::as_slice).unwrap_or(&[]);
        let sum: f64 = scans
            .iter()
            .map(|&j| plan.nodes[j].m.inclusive_ms.unwrap_or(0.0))
            .sum();
        if sum <= 0.0 {
            continue;
        }
        for &j in scans {
            let share = plan.nodes[j].m.inclusive_ms.unwrap_or(0.0) / sum;
            cut.push((j, t.min(sum) * share));
        }
    }
    drop(scans_of);
    for (j, t) in cut {
        if let Some(e) = plan.nodes[j].m.exclusive_ms.as_mut() {
            *e = (*e - t).max(0.0);
        }
    }
    summarise(plan);
}

/// Ids of the subtree rooted at `i` (DFS order makes it a contiguous range).
fn subtree(plan: &Plan, i: usize) -> std::ops::Range<usize> {
    let depth = plan.nodes[i].depth;
    let end = plan.nodes[i + 1..]
        .iter()
        .position(|n| n.depth <= depth)
        .map_or(plan.nodes.len(), |p| i + 1 + p);
    i..end
}

fn summarise(plan: &mut Plan) {
    let execution = plan.execution_ms();
    let root_total = plan.nodes[0].m.inclusive_ms;
    let total = execution.or(root_total);
    let total_cost = plan.nodes[0].num(K::TotalCost).unwrap_or(0.0);
    let mut s = Summary {
        total_ms: total,
        planning_ms: plan.planning_ms(),
        execution_ms: execution,
        total_cost,
        ..Summary::default()
    };
    let mut worst = 1.0;
    let mut largest = -1.0;
    for node in &mut plan.nodes {
        let m = &mut node.m;
        if let (Some(e), Some(t)) = (m.exclusive_ms, total)
            && t > 0.0
        {
            m.time_share = Some((e / t).min(1.0));
        }
        if total_cost > 0.0 {
            m.cost_share = (m.exclusive_cost / total_cost).min(1.0);
        }
    }
    for node in &plan.nodes {
        let m = &node.m;
        if let Some(e) = m.exclusive_ms {
            s.sum_exclusive_ms += e;
            if e > s.max_exclusive_ms || s.slowest.is_none() {
                s.max_exclusive_ms = e.max(s.max_exclusive_ms);
                s.slowest = Some(node.id);
            }
        }
        if m.exclusive_cost > s.max_exclusive_cost || s.costliest.is_none() {
            s.max_exclusive_cost = m.exclusive_cost.max(s.max_exclusive_cost);
            s.costliest = Some(node.id);
        }
        if let Some(r) = m.rows_actual
            && r > largest
        {
            largest = r;
            s.largest = Some(node.id);
        }
        // On a tie the later node wins: in a chain that passes a wrong estimate up, that is where
        // it starts.
        if let Some(f) = m.misestimate
            && (f > worst || f == worst && s.worst_misestimate.is_some())
        {
            worst = f;
            s.worst_misestimate = Some(node.id);
        }
        s.temp_blocks += m.temp_read + m.temp_written;
    }
    if s.largest.is_none() {
        // No ANALYZE: the largest planned.
        s.largest = plan
            .nodes
            .iter()
            .max_by(|a, b| a.m.rows_planned.total_cmp(&b.m.rows_planned))
            .map(|n| n.id);
    }
    let root = &plan.nodes[0];
    s.shared_blocks = n(root, K::SharedHitBlocks) + n(root, K::SharedReadBlocks);
    s.jit_ms = plan
        .props
        .get("JIT")
        .and_then(|j| j.get("Timing"))
        .and_then(|t| t.get("Total"))
        .and_then(Value::as_f64);
    s.trigger_ms = plan
        .props
        .get("Triggers")
        .and_then(Value::as_array)
        .map_or(0.0, |ts| {
            ts.iter()
                .filter_map(|t| t.get("Time").and_then(Value::as_f64))
                .sum()
        });
    plan.summary = s;
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    /// pev2's 02-actual-duration-loops oracle.
    #[test]
    fn loops_multiply_per_loop_time() {
        let text = "\
Nested Loop  (cost=0.00..10.00 rows=1 width=4) (actual time=0.100..10.198 rows=402 loops=1)
  ->  Seq Scan on a  (cost=0.00..1.00 rows=1 width=4) (actual time=0.010..0.058 rows=402 loops=1)
  ->  Materialize  (cost=0.00..1.00 rows=1 width=4) (actual time=0.001..0.008 rows=1 loops=402)
        ->  Seq Scan on b  (cost=0.00..1.00 rows=1 width=4) (actual time=0.010..0.015 rows=1 loops=1)
";
        let mut p = parse(text).unwrap();
        analyse(&mut p);
        let mat = 0.008 * 402.0 - 0.015;
        assert!(close(p.nodes[2].m.exclusive_ms.unwrap(), mat));
        assert!(close(
            p.nodes[0].m.exclusive_ms.unwrap(),
            10.198 - (mat + 0.015) - 0.058
        ));
    }

    #[test]
    fn gather_divides_by_processes() {
        let text = "\
Gather  (cost=0.00..10.00 rows=1 width=4) (actual time=0.1..30.0 rows=3 loops=1)
  Workers Planned: 2
  Workers Launched: 2
  ->  Parallel Seq Scan on a  (cost=0.00..1.00 rows=1 width=4) (actual time=0.010..27.0 rows=1 loops=3)
";
        let mut p = parse(text).unwrap();
        analyse(&mut p);
        assert!(close(p.nodes[1].m.inclusive_ms.unwrap(), 27.0));
        assert!(close(p.nodes[0].m.exclusive_ms.unwrap(), 3.0));
    }

    #[test]
    fn misestimate_direction() {
        let mut p = parse(
            "Seq Scan on t  (cost=0.00..1.00 rows=10 width=4) (actual time=0.1..0.2 rows=5000 loops=2)",
        )
        .unwrap();
        analyse(&mut p);
        assert_eq!(p.nodes[0].m.misestimate, Some(500.0));
        assert_eq!(p.nodes[0].m.direction, Direction::Under);
        assert_eq!(p.nodes[0].m.rows_actual, Some(10000.0));
    }

    #[test]
    fn init_plan_tokens_both_spellings() {
        assert_eq!(
            init_plan_tokens("InitPlan 1 (returns $0,$1)"),
            vec!["$0", "$1"]
        );
        assert_eq!(init_plan_tokens("InitPlan 2"), vec!["(InitPlan 2)"]);
        let found = |s: &str| {
            let mut v = Vec::new();
            for_each_token(&Value::String(s.into()), &mut |t| v.push(t.to_string()));
            v
        };
        assert_eq!(found("(x = $1)"), vec!["$1"]);
        assert_eq!(found("(x = $10) AND y > $2 + $"), vec!["$10", "$2"]);
        assert_eq!(
            found("((InitPlan 1).col1 = a) OR (InitPlan 12) OR (InitPlan x)"),
            vec!["(InitPlan 1)", "(InitPlan 12)"]
        );
    }
}
