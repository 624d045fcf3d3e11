//! Derived node metrics, following pev2's rules (diagnostics.md §3.2): inclusive time = per-loop
//! time × loops, divided among a Gather's processes (workers launched + 1) below it; exclusive time =
//! inclusive − the children's inclusive, InitPlans left out (a Result pays for its own); a node that
//! reads an InitPlan's output (`$n` or `InitPlan N`) loses that InitPlan's time; each CTE Scan loses
//! its share of the CTE's time. So the exclusive times of a plan add up to its total. Also: exclusive
//! cost, rows × loops, the misestimate factor and its direction, rows removed by filters, exclusive
//! buffers and I/O time, and the plan-wide maxima the headline shows.

use serde_json::Value;

use super::{Node, Plan};

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

fn n(node: &Node, k: &str) -> f64 {
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

/// Whether `hay` mentions `token` (`$1` must not match `$10`).
fn mentions(hay: &str, token: &str) -> bool {
    let mut from = 0;
    while let Some(pos) = hay[from..].find(token) {
        let end = from + pos + token.len();
        let next = hay[end..].chars().next();
        if !(token.starts_with('$') && next.is_some_and(|c| c.is_ascii_digit())) {
            return true;
        }
        from = end;
    }
    false
}

fn value_mentions(v: &Value, token: &str) -> bool {
    match v {
        Value::String(s) => mentions(s, token),
        Value::Array(a) => a.iter().any(|x| value_mentions(x, token)),
        _ => false,
    }
}

/// Compute every node's metrics and the plan summary.
pub fn analyse(plan: &mut Plan) {
    let count = plan.nodes.len();
    if count == 0 {
        return;
    }
    // Processes: passed down from a Gather to its non-subplan descendants. Nodes are in DFS order, so
    // a parent is always computed before its children.
    for i in 0..count {
        let inherited = match plan.nodes[i].parent {
            Some(p) => {
                let parent = &plan.nodes[p];
                let child = &plan.nodes[i];
                let launched = parent
                    .num("Workers Launched")
                    .or_else(|| parent.num("Workers Planned"));
                match launched {
                    Some(w) if child.subplan_name().is_none() => w + 1.0,
                    _ if child.subplan_name().is_some() => 1.0,
                    _ => parent.m.processes,
                }
            }
            None => 1.0,
        };
        plan.nodes[i].m.processes = inherited.max(1.0);
    }
    // Per-node figures that need no children.
    for node in &mut plan.nodes {
        let loops = node.num("Actual Loops");
        let total_time = node.props.get("Actual Total Time").and_then(Value::as_f64);
        let has_total_time = node.props.contains_key("Actual Total Time");
        let plan_rows = n(node, "Plan Rows");
        let actual_rows = node.num("Actual Rows");
        let removed_per_loop = n(node, "Rows Removed by Filter")
            + n(node, "Rows Removed by Join Filter")
            + n(node, "Rows Removed by Index Recheck");
        let m = &mut node.m;
        m.loops = loops;
        m.never_executed = loops == Some(0.0);
        if let (true, Some(l)) = (has_total_time, loops) {
            m.inclusive_ms = Some(total_time.unwrap_or(0.0) * l / m.processes);
        }
        let l = loops.unwrap_or(1.0);
        m.rows_planned = plan_rows * l.max(if loops.is_some() { 0.0 } else { 1.0 });
        if let Some(actual) = actual_rows {
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
            let removed = removed_per_loop * l;
            m.rows_removed = removed;
            if removed > 0.0 {
                m.removed_share = Some(removed / (removed + actual * l));
            }
        }
    }
    // Exclusive time, cost, buffers: subtract children.
    for i in 0..count {
        let node = &plan.nodes[i];
        let is_result = node.node_type() == "Result";
        let mut child_ms = 0.0;
        let mut child_cost = 0.0;
        let mut b = [0.0f64; 8];
        for &c in &node.children {
            let ch = &plan.nodes[c];
            let cte = ch.subplan_name().is_some_and(|s| s.starts_with("CTE "));
            if !ch.is_init_plan() || (is_result && !cte) {
                child_ms += ch.m.inclusive_ms.unwrap_or(0.0);
            }
            // Unlike time, an InitPlan's cost is part of its parent's: take it out too.
            child_cost += n(ch, "Total Cost");
            if ch.subplan_name().is_none() {
                for (slot, k) in BUFFER_KEYS.iter().enumerate() {
                    b[slot] += n(ch, k);
                }
                b[7] += io_ms(ch);
            }
        }
        let node = &plan.nodes[i];
        let excl_ms = node.m.inclusive_ms.map(|t| (t - child_ms).max(0.0));
        let excl_cost = (n(node, "Total Cost") - child_cost).max(0.0);
        let mut own = [0.0f64; 8];
        for (slot, k) in BUFFER_KEYS.iter().enumerate() {
            own[slot] = (n(node, k) - b[slot]).max(0.0);
        }
        own[7] = (io_ms(node) - b[7]).max(0.0);
        let m = &mut plan.nodes[i].m;
        m.exclusive_ms = excl_ms;
        m.exclusive_cost = excl_cost;
        m.shared_hit = own[0];
        m.shared_read = own[1];
        m.shared_dirtied = own[2];
        m.shared_written = own[3];
        m.local_blocks = own[4];
        m.temp_read = own[5];
        m.temp_written = own[6];
        m.io_ms = own[7];
    }
    // InitPlan correction: the nodes that read an InitPlan's output lose its time.
    for i in 0..count {
        let ip = &plan.nodes[i];
        let Some(name) = ip.subplan_name() else {
            continue;
        };
        if !ip.is_init_plan() || name.starts_with("CTE ") {
            continue;
        }
        if ip
            .parent
            .is_some_and(|p| plan.nodes[p].node_type() == "Result")
        {
            continue; // the Result already paid for it
        }
        let Some(t) = ip.m.inclusive_ms else { continue };
        let tokens = init_plan_tokens(name);
        if tokens.is_empty() {
            continue;
        }
        let inside = subtree(plan, i);
        let users: Vec<usize> = (0..count)
            .filter(|j| !inside.contains(j))
            .filter(|&j| {
                let node = &plan.nodes[j];
                node.props.iter().any(|(k, v)| {
                    k != "Subplan Name" && tokens.iter().any(|tok| value_mentions(v, tok))
                })
            })
            .collect();
        for u in users {
            if let Some(e) = plan.nodes[u].m.exclusive_ms.as_mut() {
                *e = (*e - t).max(0.0);
            }
        }
    }
    // CTE correction: each CTE Scan loses its share of the CTE's time.
    for i in 0..count {
        let Some(cte) = plan.nodes[i]
            .subplan_name()
            .and_then(|s| s.strip_prefix("CTE "))
            .map(|s| s.trim().to_string())
        else {
            continue;
        };
        let Some(t) = plan.nodes[i].m.inclusive_ms else {
            continue;
        };
        let scans: Vec<usize> = (0..count)
            .filter(|&j| {
                let nd = &plan.nodes[j];
                nd.node_type() == "CTE Scan" && nd.str("CTE Name") == Some(cte.as_str())
            })
            .collect();
        let sum: f64 = scans
            .iter()
            .map(|&j| plan.nodes[j].m.inclusive_ms.unwrap_or(0.0))
            .sum();
        if sum <= 0.0 {
            continue;
        }
        for j in scans {
            let share = plan.nodes[j].m.inclusive_ms.unwrap_or(0.0) / sum;
            if let Some(e) = plan.nodes[j].m.exclusive_ms.as_mut() {
                *e = (*e - t.min(sum) * share).max(0.0);
            }
        }
    }
    summarise(plan);
}

const BUFFER_KEYS: [&str; 7] = [
    "Shared Hit Blocks",
    "Shared Read Blocks",
    "Shared Dirtied Blocks",
    "Shared Written Blocks",
    "Local Read Blocks",
    "Temp Read Blocks",
    "Temp Written Blocks",
];

fn io_ms(node: &Node) -> f64 {
    [
        "I/O Read Time",
        "I/O Write Time",
        "Shared I/O Read Time",
        "Shared I/O Write Time",
        "Local I/O Read Time",
        "Local I/O Write Time",
        "Temp I/O Read Time",
        "Temp I/O Write Time",
    ]
    .iter()
    .map(|k| n(node, k))
    .sum()
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
    let total_cost = plan.nodes[0].num("Total Cost").unwrap_or(0.0);
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
        if let Some(f) = m.misestimate
            && f > worst
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
    s.shared_blocks = n(root, "Shared Hit Blocks") + n(root, "Shared Read Blocks");
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
        assert!(mentions("(x = $1)", "$1"));
        assert!(!mentions("(x = $10)", "$1"));
    }
}
