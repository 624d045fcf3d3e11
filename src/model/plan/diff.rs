//! Two analysed plans of the same statement compared (before/after an index, a setting, a
//! rewrite): which node of one is which node of the other, what changed per node (exclusive
//! time, rows, loops, buffers, the node type), the nodes only one side has, and the plan totals
//! with their ratios. Pure; the pane and `pgdeck explain --compare` show it.
//!
//! Matching, in three passes:
//! 1. Anchors: nodes that read something (a relation with its alias, a function, a CTE, a bitmap
//!    index) are the same node in both plans when they read the same thing, whatever the scan
//!    method: a Seq Scan on `t` replaced by an Index Scan on `t` is a changed node, not a removed
//!    and an added one. The k-th reader of a thing pairs with the k-th in plan order.
//! 2. Upwards: an inner node is the node of the other plan that is the lowest common ancestor of
//!    its matched descendants' partners (a Hash Join over `a` and `b` is the Nested Loop over `a`
//!    and `b`), if that one is free and of a compatible kind (both joins, both sorts...); when it
//!    is taken by a descendant's partner, the ancestors above it are tried, so a Sort above a join
//!    still finds the other Sort. A node left without partner (a Hash the new plan no longer
//!    needs) is only in its own plan.
//! 3. By name: an InitPlan, SubPlan or CTE with nothing matched below pairs with the one of the
//!    same name and type in the other plan, wherever it hangs.
//! 4. Downwards: what has no anchored descendants (a Result) pairs with a free child of the same
//!    kind under its parent's partner; two unmatched roots pair (same statement).
//!
//! Rows for a side-by-side view: both plans in their own order, a matched pair on one row when the
//! pairs can keep both orders (the longest such chain), each other node on a row of its own.

use serde::Serialize;

use super::{K, Node, Plan};

/// A figure in both plans.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Change {
    pub before: Option<f64>,
    pub after: Option<f64>,
}

/// Which way a figure went (for time: faster / slower).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    /// Within 10 %, or closer than [`NOISE`] (or both zero).
    Same,
    Lower,
    Higher,
    /// Missing on a side.
    Unknown,
}

/// Differences smaller than this are noise: 0.05 ms of time (EXPLAIN ANALYZE's timer overhead and
/// scheduling jitter are of that order), and less than any whole row, loop or buffer.
pub const NOISE: f64 = 0.05;

impl Change {
    pub fn new(before: Option<f64>, after: Option<f64>) -> Change {
        Change { before, after }
    }

    /// after / before; `None` when a side is missing or before is 0.
    pub fn ratio(&self) -> Option<f64> {
        match (self.before, self.after) {
            (Some(b), Some(a)) if b > 0.0 => Some(a / b),
            _ => None,
        }
    }

    /// Within 10 %, or closer than [`NOISE`] (a few microseconds of timer noise would otherwise read
    /// as "2.5× faster"; counts move by whole units, far above it), is the same.
    pub fn trend(&self) -> Trend {
        match (self.before, self.after) {
            (Some(b), Some(a)) => {
                let d = (a - b).abs();
                if d <= 0.1 * b.abs().max(a.abs()) || d < NOISE {
                    Trend::Same
                } else if a < b {
                    Trend::Lower
                } else {
                    Trend::Higher
                }
            }
            _ => Trend::Unknown,
        }
    }

    /// How many times the figure went down or up: before/after when lower, after/before when
    /// higher (`None` when from or to 0, or unknown).
    pub fn factor(&self) -> Option<f64> {
        let (b, a) = (self.before?, self.after?);
        if a <= 0.0 || b <= 0.0 {
            return None;
        }
        Some(if a < b { b / a } else { a / b })
    }
}

/// One node of the first plan paired with one of the second.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeMatch {
    pub before: usize,
    pub after: usize,
    /// The node type or what it reads with changed (`Seq Scan on t` → `Index Scan using i on t`).
    pub changed: bool,
    pub exclusive_ms: Change,
    /// Rows × loops (actual, else planned).
    pub rows: Change,
    pub loops: Change,
    /// Shared blocks hit + read, this node's own.
    pub buffers: Change,
    /// Whether the pair sits on one row of the side-by-side view (else each on its own).
    pub aligned: bool,
}

/// Plan totals in both plans.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Totals {
    pub execution_ms: Change,
    pub planning_ms: Change,
    /// Shared blocks hit + read of the whole plan.
    pub buffers: Change,
    /// Temporary blocks read + written.
    pub temp_blocks: Change,
    pub total_cost: Change,
}

/// A row of the side-by-side view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Row {
    pub before: Option<usize>,
    pub after: Option<usize>,
}

/// The comparison of two plans.
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    /// In the first plan's order.
    pub matches: Vec<NodeMatch>,
    /// Per node of the first plan, its entry in `matches`.
    pub before_match: Vec<Option<usize>>,
    /// Per node of the second plan, its entry in `matches`.
    pub after_match: Vec<Option<usize>>,
    pub only_before: Vec<usize>,
    pub only_after: Vec<usize>,
    pub rows: Vec<Row>,
    pub totals: Totals,
}

impl Comparison {
    /// The match a row shows, if its node(s) have one.
    pub fn row_match(&self, row: &Row) -> Option<&NodeMatch> {
        let i = match (row.before, row.after) {
            (Some(b), _) => self.before_match.get(b).copied().flatten(),
            (None, Some(a)) => self.after_match.get(a).copied().flatten(),
            (None, None) => None,
        }?;
        self.matches.get(i)
    }

    /// The partner in the second plan of a node of the first.
    pub fn partner_of_before(&self, id: usize) -> Option<usize> {
        let i = self.before_match.get(id).copied().flatten()?;
        Some(self.matches[i].after)
    }

    /// The partner in the first plan of a node of the second.
    pub fn partner_of_after(&self, id: usize) -> Option<usize> {
        let i = self.after_match.get(id).copied().flatten()?;
        Some(self.matches[i].before)
    }
}

/// What a node reads, as the matcher compares it: the relation with its alias (the alias
/// defaults to the name, as the JSON format writes it and the text format leaves out), a
/// function, a CTE, a bitmap index.
fn identity(n: &Node) -> Option<String> {
    let alias = n.str(K::Alias);
    let with_alias = |kind: &str, schema: Option<&str>, name: &str| {
        let mut s = String::with_capacity(kind.len() + name.len() + 8);
        s.push_str(kind);
        if let Some(sc) = schema {
            s.push_str(sc);
            s.push('.');
        }
        s.push_str(name);
        s.push(' ');
        s.push_str(alias.unwrap_or(name));
        s
    };
    if let Some(r) = n.str(K::RelationName) {
        return Some(with_alias("rel:", n.str(K::Schema), r));
    }
    if let Some(f) = n.str(K::FunctionName) {
        return Some(with_alias("fn:", None, f));
    }
    if let Some(c) = n.str(K::CteName) {
        return Some(with_alias("cte:", None, c));
    }
    if n.node_type() == "Bitmap Index Scan"
        && let Some(i) = n.str(K::IndexName)
    {
        return Some(format!("idx:{i}"));
    }
    None
}

/// The family of a node type, for pairing nodes whose method changed.
fn family(t: &str) -> &str {
    match t {
        "Hash Join" | "Merge Join" | "Nested Loop" => "join",
        "Aggregate" | "GroupAggregate" | "HashAggregate" | "MixedAggregate" => "aggregate",
        "Sort" | "Incremental Sort" => "sort",
        "Gather" | "Gather Merge" => "gather",
        "Append" | "Merge Append" => "append",
        "Seq Scan" | "Index Scan" | "Index Only Scan" | "Bitmap Heap Scan" | "Tid Scan"
        | "Tid Range Scan" | "Sample Scan" => "scan",
        other => other,
    }
}

fn compatible(a: &Node, b: &Node) -> bool {
    family(a.node_type()) == family(b.node_type())
}

/// Depth-first helpers on one plan.
struct Tree<'a> {
    plan: &'a Plan,
}

impl Tree<'_> {
    fn parent(&self, i: usize) -> Option<usize> {
        self.plan.nodes[i].parent
    }

    fn depth(&self, i: usize) -> usize {
        self.plan.nodes[i].depth
    }

    fn lca(&self, mut a: usize, mut b: usize) -> usize {
        while self.depth(a) > self.depth(b) {
            a = self.parent(a).unwrap_or(a);
        }
        while self.depth(b) > self.depth(a) {
            b = self.parent(b).unwrap_or(b);
        }
        while a != b {
            match (self.parent(a), self.parent(b)) {
                (Some(pa), Some(pb)) => {
                    a = pa;
                    b = pb;
                }
                // Two roots: not one tree (cannot happen in a parsed plan).
                _ => return a,
            }
        }
        a
    }
}

/// Whether EXPLAIN gave buffer counts for the node (BUFFERS).
fn has_buffers(n: &Node) -> bool {
    n.props.contains_key(K::SharedHitBlocks) || n.props.contains_key(K::SharedReadBlocks)
}

/// The node's own shared blocks hit + read, when counted.
fn buffers(n: &Node) -> Option<f64> {
    has_buffers(n).then_some(n.m.shared_hit + n.m.shared_read)
}

/// The plan's shared blocks hit + read: the root's (which include everything below), else, when
/// only some nodes were counted, the sum of their own.
fn plan_buffers(p: &Plan) -> Option<f64> {
    let root = p.root()?;
    if has_buffers(root) {
        return Some(p.summary.shared_blocks);
    }
    p.nodes.iter().any(has_buffers).then(|| {
        p.nodes
            .iter()
            .filter(|n| has_buffers(n))
            .map(|n| n.m.shared_hit + n.m.shared_read)
            .sum()
    })
}

/// Rows × loops: actual when known, else planned.
fn rows(n: &Node) -> Option<f64> {
    n.m.rows_actual.or(Some(n.m.rows_planned))
}

/// Compare two analysed plans ([`super::metrics::analyse`] must have run on both).
pub fn compare(before: &Plan, after: &Plan) -> Comparison {
    let (nb, na) = (before.nodes.len(), after.nodes.len());
    let mut b2a: Vec<Option<usize>> = vec![None; nb];
    let mut a2b: Vec<Option<usize>> = vec![None; na];
    let ta = Tree { plan: after };
    let ends = subtree_ends(before);

    // 1. Anchors.
    let mut readers: std::collections::HashMap<String, (Vec<usize>, Vec<usize>)> =
        std::collections::HashMap::new();
    for n in &before.nodes {
        if let Some(k) = identity(n) {
            readers.entry(k).or_default().0.push(n.id);
        }
    }
    for n in &after.nodes {
        if let Some(k) = identity(n) {
            readers.entry(k).or_default().1.push(n.id);
        }
    }
    for (bs, as_) in readers.values() {
        for (&b, &a) in bs.iter().zip(as_) {
            b2a[b] = Some(a);
            a2b[a] = Some(b);
        }
    }

    // 2. Upwards. Children have larger ids than their parent (depth-first order), so going down
    // the ids sees every node after its descendants. `lca_below[i]`: the lowest common ancestor,
    // in the second plan, of the partners of i's matched descendants.
    let mut up: Vec<Option<usize>> = vec![None; nb];
    for i in (0..nb).rev() {
        let x = &before.nodes[i];
        let mut l: Option<usize> = None;
        for &c in &x.children {
            if let Some(cl) = up[c] {
                l = Some(l.map_or(cl, |l| ta.lca(l, cl)));
            }
        }
        if b2a[i].is_none()
            && let Some(mut cand) = l
        {
            loop {
                if a2b[cand].is_none() {
                    if compatible(x, &after.nodes[cand]) {
                        b2a[i] = Some(cand);
                        a2b[cand] = Some(i);
                    }
                    break;
                }
                // Taken: by the partner of one of x's descendants, climb; else give up.
                let taken_by = a2b[cand].unwrap_or(i);
                if !(i < taken_by && taken_by < ends[i]) {
                    break;
                }
                match ta.parent(cand) {
                    Some(p) => cand = p,
                    None => break,
                }
            }
        }
        // What this subtree maps to, for the parent: the partner, else the descendants' LCA.
        up[i] = match (b2a[i], l) {
            (Some(a), Some(l)) => Some(ta.lca(a, l)),
            (Some(a), None) => Some(a),
            (None, l) => l,
        };
    }

    // 3. By name: an InitPlan, SubPlan or CTE whose name (and type) is unique on both sides is
    // the same one, wherever it moved (from a scan up to a new Gather).
    let named_b = named(before, &b2a);
    let named_a = named(after, &a2b);
    for (k, bs) in &named_b {
        let b = bs[0];
        if up[b].is_none()
            && let Some(as_) = named_a.get(k)
            && !has_matched_below(after, &a2b, as_[0])
        {
            b2a[b] = Some(as_[0]);
            a2b[as_[0]] = Some(b);
        }
    }

    // 4. Downwards.
    if nb > 0 && na > 0 && b2a[0].is_none() && a2b[0].is_none() {
        b2a[0] = Some(0);
        a2b[0] = Some(0);
    }
    // Only nodes with nothing matched below them pair here: the others have had their chance
    // upwards, and pairing them by kind alone would pair a Hash over `b` with a Hash over `a`.
    // (What this pass matches has nothing matched below, so it changes this for no free node.)
    let mut matched_below_a = vec![false; na];
    for d in (1..na).rev() {
        if let Some(p) = after.nodes[d].parent {
            matched_below_a[p] |= matched_below_a[d] || a2b[d].is_some();
        }
    }
    for i in 0..nb {
        let Some(pa) = b2a[i] else { continue };
        let kids_b = &before.nodes[i].children;
        let kids_a = &after.nodes[pa].children;
        // Same subplan name and type first (`InitPlan 1` ↔ `InitPlan 1`), then same type, then
        // compatible kinds.
        for pass in 0..3 {
            for &c in kids_b {
                if b2a[c].is_some() || up[c].is_some() {
                    continue;
                }
                let x = &before.nodes[c];
                let found = kids_a.iter().copied().find(|&d| {
                    let y = &after.nodes[d];
                    a2b[d].is_none()
                        && !matched_below_a[d]
                        && match pass {
                            0 => {
                                x.node_type() == y.node_type()
                                    && x.subplan_name() == y.subplan_name()
                            }
                            1 => x.node_type() == y.node_type(),
                            _ => compatible(x, y) && identity(x).is_none() && identity(y).is_none(),
                        }
                });
                if let Some(d) = found {
                    b2a[c] = Some(d);
                    a2b[d] = Some(c);
                }
            }
        }
    }

    // Matches, in the first plan's order, and the rows.
    let mut matches = Vec::new();
    let mut before_match = vec![None; nb];
    let mut after_match = vec![None; na];
    for (b, a) in b2a.iter().enumerate() {
        let Some(a) = *a else { continue };
        let (x, y) = (&before.nodes[b], &after.nodes[a]);
        before_match[b] = Some(matches.len());
        after_match[a] = Some(matches.len());
        matches.push(NodeMatch {
            before: b,
            after: a,
            changed: x.display_type() != y.display_type() || x.target() != y.target(),
            exclusive_ms: Change::new(x.m.exclusive_ms, y.m.exclusive_ms),
            rows: Change::new(rows(x), rows(y)),
            loops: Change::new(x.m.loops, y.m.loops),
            buffers: Change::new(buffers(x), buffers(y)),
            aligned: false,
        });
    }
    for i in longest_chain(&matches) {
        matches[i].aligned = true;
    }
    let mut rows = Vec::with_capacity(nb.max(na));
    let (mut i, mut j) = (0, 0);
    for m in matches.iter().filter(|m| m.aligned) {
        rows.extend((i..m.before).map(|b| Row {
            before: Some(b),
            after: None,
        }));
        rows.extend((j..m.after).map(|a| Row {
            before: None,
            after: Some(a),
        }));
        rows.push(Row {
            before: Some(m.before),
            after: Some(m.after),
        });
        i = m.before + 1;
        j = m.after + 1;
    }
    rows.extend((i..nb).map(|b| Row {
        before: Some(b),
        after: None,
    }));
    rows.extend((j..na).map(|a| Row {
        before: None,
        after: Some(a),
    }));

    let (sb, sa) = (&before.summary, &after.summary);
    let counted = |p: &Plan, x: f64| p.nodes.iter().any(has_buffers).then_some(x);
    let totals = Totals {
        execution_ms: Change::new(sb.total_ms, sa.total_ms),
        planning_ms: Change::new(sb.planning_ms, sa.planning_ms),
        buffers: Change::new(plan_buffers(before), plan_buffers(after)),
        temp_blocks: Change::new(
            counted(before, sb.temp_blocks),
            counted(after, sa.temp_blocks),
        ),
        total_cost: Change::new(Some(sb.total_cost), Some(sa.total_cost)),
    };
    Comparison {
        only_before: (0..nb).filter(|&b| b2a[b].is_none()).collect(),
        only_after: (0..na).filter(|&a| a2b[a].is_none()).collect(),
        matches,
        before_match,
        after_match,
        rows,
        totals,
    }
}

/// Nodes under a subplan name, by (name, type), kept when the pair is unique and unmatched.
fn named<'p>(
    p: &'p Plan,
    matched: &[Option<usize>],
) -> std::collections::HashMap<(&'p str, &'p str), Vec<usize>> {
    let mut m: std::collections::HashMap<(&str, &str), Vec<usize>> =
        std::collections::HashMap::new();
    for n in &p.nodes {
        if let Some(s) = n.subplan_name() {
            m.entry((s, n.node_type())).or_default().push(n.id);
        }
    }
    m.retain(|_, v| v.len() == 1 && matched[v[0]].is_none());
    m
}

/// Whether a node of `plan` has a matched node below it.
fn has_matched_below(plan: &Plan, matched: &[Option<usize>], i: usize) -> bool {
    let mut stack: Vec<usize> = plan.nodes[i].children.clone();
    while let Some(c) = stack.pop() {
        if matched[c].is_some() {
            return true;
        }
        stack.extend(&plan.nodes[c].children);
    }
    false
}

/// Per node, the id just past its subtree (depth-first order makes a subtree the range
/// `i..end`).
fn subtree_ends(plan: &Plan) -> Vec<usize> {
    let n = plan.nodes.len();
    let mut ends = vec![n; n];
    let mut open: Vec<usize> = Vec::new();
    for node in &plan.nodes {
        while open
            .last()
            .is_some_and(|&o| plan.nodes[o].depth >= node.depth)
        {
            if let Some(o) = open.pop() {
                ends[o] = node.id;
            }
        }
        open.push(node.id);
    }
    ends
}

/// The longest set of matches whose second-plan ids increase with the first-plan ids (which
/// `matches` is sorted by): those can share rows. Patience sorting, O(n log n).
fn longest_chain(matches: &[NodeMatch]) -> Vec<usize> {
    // tails[k]: index in `matches` of the smallest tail of a chain of length k + 1.
    let mut tails: Vec<usize> = Vec::new();
    let mut prev: Vec<Option<usize>> = vec![None; matches.len()];
    for (i, m) in matches.iter().enumerate() {
        let k = tails.partition_point(|&t| matches[t].after < m.after);
        if k > 0 {
            prev[i] = Some(tails[k - 1]);
        }
        if k == tails.len() {
            tails.push(i);
        } else {
            tails[k] = i;
        }
    }
    let mut out = Vec::with_capacity(tails.len());
    let mut cur = tails.last().copied();
    while let Some(i) = cur {
        out.push(i);
        cur = prev[i];
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::super::{metrics, parse};
    use super::*;

    fn analysed(text: &str) -> Plan {
        let mut p = parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        metrics::analyse(&mut p);
        p
    }

    /// (before type, after type) per row, `-` for an empty side.
    fn rows(c: &Comparison, b: &Plan, a: &Plan) -> Vec<(String, String)> {
        let name = |p: &Plan, i: Option<usize>| {
            i.map_or("-".to_string(), |i| {
                super::super::report::node_title(&p.nodes[i])
            })
        };
        c.rows
            .iter()
            .map(|r| (name(b, r.before), name(a, r.after)))
            .collect()
    }

    const BEFORE_INDEX: &str = "\
Limit  (cost=1000.00..1000.10 rows=10 width=8) (actual time=95.000..95.010 rows=10 loops=1)
  Buffers: shared hit=100 read=4300
  ->  Sort  (cost=1000.00..1000.50 rows=200 width=8) (actual time=94.990..94.995 rows=10 loops=1)
        Sort Key: created_at DESC
        Sort Method: top-N heapsort  Memory: 25kB
        Buffers: shared hit=100 read=4300
        ->  Seq Scan on orders o  (cost=0.00..990.00 rows=200 width=8) (actual time=0.020..94.000 rows=210 loops=1)
              Filter: (customer_id = 42)
              Rows Removed by Filter: 99790
              Buffers: shared hit=100 read=4300
Planning Time: 0.200 ms
Execution Time: 95.100 ms
";

    const AFTER_INDEX: &str = "\
Limit  (cost=0.42..8.00 rows=10 width=8) (actual time=0.030..0.060 rows=10 loops=1)
  Buffers: shared hit=13
  ->  Index Scan Backward using orders_customer_id_created_at_idx on orders o  (cost=0.42..150.00 rows=200 width=8) (actual time=0.028..0.055 rows=10 loops=1)
        Index Cond: (customer_id = 42)
        Buffers: shared hit=13
Planning Time: 0.300 ms
Execution Time: 0.080 ms
";

    #[test]
    fn a_seq_scan_replaced_by_an_index_scan_is_one_changed_node() {
        let (b, a) = (analysed(BEFORE_INDEX), analysed(AFTER_INDEX));
        let c = compare(&b, &a);
        assert_eq!(
            rows(&c, &b, &a),
            vec![
                ("Limit".into(), "Limit".into()),
                ("Sort".into(), "-".into()),
                (
                    "Seq Scan on orders o".into(),
                    "Index Scan using orders_customer_id_created_at_idx on orders o".into()
                ),
            ]
        );
        assert_eq!(c.only_before, vec![1], "the Sort is gone");
        assert!(c.only_after.is_empty());
        let scan = &c.matches[c.before_match[2].unwrap()];
        assert_eq!((scan.before, scan.after), (2, 1));
        assert!(scan.changed);
        assert_eq!(scan.exclusive_ms.trend(), Trend::Lower);
        assert_eq!(scan.buffers, Change::new(Some(4400.0), Some(13.0)));
        assert!(
            !c.matches[c.before_match[0].unwrap()].changed,
            "Limit is Limit"
        );
        let t = &c.totals;
        assert_eq!(t.execution_ms, Change::new(Some(95.1), Some(0.08)));
        assert!((t.execution_ms.ratio().unwrap() - 0.08 / 95.1).abs() < 1e-12);
        assert!((t.execution_ms.factor().unwrap() - 95.1 / 0.08).abs() < 1e-9);
        assert_eq!(t.buffers, Change::new(Some(4400.0), Some(13.0)));
        assert_eq!(t.planning_ms.trend(), Trend::Higher);
    }

    const HASH_JOIN: &str = "\
Hash Join  (cost=10.00..50.00 rows=100 width=8) (actual time=1.000..20.000 rows=100 loops=1)
  Hash Cond: (a.bid = b.id)
  ->  Seq Scan on a  (cost=0.00..20.00 rows=100 width=8) (actual time=0.010..2.000 rows=100 loops=1)
  ->  Hash  (cost=8.00..8.00 rows=1000 width=4) (actual time=9.000..9.000 rows=1000 loops=1)
        ->  Seq Scan on b  (cost=0.00..8.00 rows=1000 width=4) (actual time=0.010..5.000 rows=1000 loops=1)
Execution Time: 20.100 ms
";

    const NESTED_LOOP: &str = "\
Nested Loop  (cost=0.29..40.00 rows=100 width=8) (actual time=0.020..3.000 rows=100 loops=1)
  ->  Seq Scan on a  (cost=0.00..20.00 rows=100 width=8) (actual time=0.010..2.000 rows=100 loops=1)
  ->  Index Scan using b_pkey on b  (cost=0.29..0.30 rows=1 width=4) (actual time=0.005..0.005 rows=1 loops=100)
        Index Cond: (id = a.bid)
Execution Time: 3.100 ms
";

    #[test]
    fn a_join_method_change_keeps_its_inputs_and_drops_the_hash() {
        let (b, a) = (analysed(HASH_JOIN), analysed(NESTED_LOOP));
        let c = compare(&b, &a);
        assert_eq!(c.partner_of_before(0), Some(0), "the join is the join");
        assert!(c.matches[0].changed);
        assert_eq!(c.partner_of_before(1), Some(1), "a is a");
        assert_eq!(c.partner_of_before(3), Some(2), "b's scan is b's scan");
        assert_eq!(c.only_before, vec![2], "the Hash");
        let inner = &c.matches[c.before_match[3].unwrap()];
        assert_eq!(inner.loops, Change::new(Some(1.0), Some(100.0)));
        assert_eq!(inner.loops.trend(), Trend::Higher);
        // And the other way round: the Hash is new.
        let c = compare(&a, &b);
        assert_eq!(c.only_after, vec![2]);
        assert_eq!(c.partner_of_before(2), Some(3));
        assert_eq!(
            rows(&c, &a, &b).len(),
            4,
            "three aligned rows and the new Hash"
        );
    }

    #[test]
    fn the_same_plan_matches_itself_row_by_row() {
        let (b, a) = (analysed(HASH_JOIN), analysed(HASH_JOIN));
        let c = compare(&b, &a);
        assert!(c.only_before.is_empty() && c.only_after.is_empty());
        assert!(
            c.matches
                .iter()
                .all(|m| !m.changed && m.aligned && m.before == m.after)
        );
        assert_eq!(c.rows.len(), 4);
        assert!(
            c.matches
                .iter()
                .all(|m| m.exclusive_ms.trend() == Trend::Same)
        );
    }

    #[test]
    fn swapped_join_sides_are_matched_but_not_aligned() {
        let swapped = "\
Hash Join  (cost=10.00..50.00 rows=100 width=8) (actual time=1.000..20.000 rows=100 loops=1)
  Hash Cond: (a.bid = b.id)
  ->  Seq Scan on b  (cost=0.00..8.00 rows=1000 width=4) (actual time=0.010..5.000 rows=1000 loops=1)
  ->  Hash  (cost=8.00..8.00 rows=100 width=4) (actual time=9.000..9.000 rows=100 loops=1)
        ->  Seq Scan on a  (cost=0.00..20.00 rows=100 width=8) (actual time=0.010..2.000 rows=100 loops=1)
Execution Time: 20.100 ms
";
        let (b, a) = (analysed(HASH_JOIN), analysed(swapped));
        let c = compare(&b, &a);
        assert_eq!(c.partner_of_before(1), Some(3), "a");
        assert_eq!(c.partner_of_before(3), Some(1), "b");
        // The Hash over b is not the Hash over a.
        assert_eq!(c.only_before, vec![2]);
        assert_eq!(c.only_after, vec![2]);
        let aligned = c.matches.iter().filter(|m| m.aligned).count();
        assert_eq!(
            aligned, 2,
            "the join and one scan share rows; the other scan cannot"
        );
        // Every node is on exactly one row per side.
        let lefts: Vec<usize> = c.rows.iter().filter_map(|r| r.before).collect();
        let rights: Vec<usize> = c.rows.iter().filter_map(|r| r.after).collect();
        assert_eq!(lefts, (0..b.nodes.len()).collect::<Vec<_>>());
        assert_eq!(rights, (0..a.nodes.len()).collect::<Vec<_>>());
    }

    #[test]
    fn init_plans_pair_by_name_and_a_new_wrapper_is_only_after() {
        let before = "\
Seq Scan on t  (cost=0.02..10.00 rows=5 width=4) (actual time=0.010..5.000 rows=5 loops=1)
  Filter: (x > $0)
  InitPlan 1 (returns $0)
    ->  Result  (cost=0.00..0.01 rows=1 width=4) (actual time=0.001..0.001 rows=1 loops=1)
Execution Time: 5.100 ms
";
        let after = "\
Gather  (cost=1000.02..2000.00 rows=5 width=4) (actual time=0.500..2.000 rows=5 loops=1)
  Workers Planned: 2
  Workers Launched: 2
  InitPlan 1 (returns $0)
    ->  Result  (cost=0.00..0.01 rows=1 width=4) (actual time=0.001..0.001 rows=1 loops=1)
  ->  Parallel Seq Scan on t  (cost=0.00..10.00 rows=2 width=4) (actual time=0.010..1.000 rows=2 loops=3)
        Filter: (x > $0)
Execution Time: 2.100 ms
";
        let (b, a) = (analysed(before), analysed(after));
        let c = compare(&b, &a);
        assert_eq!(c.partner_of_before(0), Some(2), "the scan on t");
        assert!(
            c.matches[c.before_match[0].unwrap()].changed,
            "now parallel"
        );
        assert_eq!(c.only_after, vec![0], "the Gather is new");
        // The InitPlan moved from the scan to the Gather: found by its name.
        assert_eq!(c.partner_of_before(1), Some(1));
        assert!(c.only_before.is_empty());
    }

    #[test]
    fn results_without_readers_pair_under_their_parents() {
        let before = "\
Append  (cost=0.00..0.04 rows=2 width=4) (actual time=0.001..0.010 rows=2 loops=1)
  ->  Result  (cost=0.00..0.01 rows=1 width=4) (actual time=0.001..0.001 rows=1 loops=1)
  ->  Result  (cost=0.00..0.01 rows=1 width=4) (actual time=0.001..0.001 rows=1 loops=1)
";
        let after = "\
Append  (cost=0.00..0.04 rows=3 width=4) (actual time=0.001..0.010 rows=3 loops=1)
  ->  Result  (cost=0.00..0.01 rows=1 width=4) (actual time=0.001..0.001 rows=1 loops=1)
  ->  Result  (cost=0.00..0.01 rows=1 width=4) (actual time=0.001..0.001 rows=1 loops=1)
  ->  Result  (cost=0.00..0.01 rows=1 width=4) (actual time=0.001..0.001 rows=1 loops=1)
";
        let (b, a) = (analysed(before), analysed(after));
        let c = compare(&b, &a);
        assert_eq!(
            (0..3).map(|i| c.partner_of_before(i)).collect::<Vec<_>>(),
            vec![Some(0), Some(1), Some(2)]
        );
        assert_eq!(c.only_after, vec![3]);
    }

    #[test]
    fn ratios_and_trends() {
        let ch = Change::new(Some(100.0), Some(25.0));
        assert_eq!(ch.ratio(), Some(0.25));
        assert_eq!(ch.factor(), Some(4.0));
        assert_eq!(ch.trend(), Trend::Lower);
        assert_eq!(Change::new(Some(10.0), Some(10.5)).trend(), Trend::Same);
        // microseconds of timer noise are not "2.5x faster"
        assert_eq!(Change::new(Some(0.010), Some(0.004)).trend(), Trend::Same);
        assert_eq!(Change::new(Some(0.2), Some(0.08)).trend(), Trend::Lower);
        assert_eq!(Change::new(Some(1.0), Some(2.0)).trend(), Trend::Higher);
        assert_eq!(Change::new(Some(0.0), Some(3.0)).ratio(), None);
        assert_eq!(Change::new(Some(0.0), Some(3.0)).trend(), Trend::Higher);
        assert_eq!(Change::new(Some(0.0), Some(0.0)).trend(), Trend::Same);
        assert_eq!(Change::new(None, Some(3.0)).trend(), Trend::Unknown);
    }

    #[test]
    fn a_large_plan_compares_with_itself_quickly_enough_to_not_matter() {
        // 3,000 nodes deep and wide: every pass is linear or near it (a quadratic one would take
        // seconds here in a debug build).
        let mut s = String::new();
        for i in 0..1500 {
            let pad = " ".repeat(i * 2);
            s.push_str(&format!(
                "{pad}->  Nested Loop  (cost=0.00..1.00 rows=1 width=4) (actual time=0.010..1.000 rows=1 loops=1)\n{pad}      ->  Seq Scan on t{i}  (cost=0.00..1.00 rows=1 width=4) (actual time=0.010..0.100 rows=1 loops=1)\n"
            ));
        }
        let s = s
            .trim_start()
            .trim_start_matches("->")
            .trim_start()
            .to_string();
        let p = analysed(&s);
        let c = compare(&p, &p);
        assert_eq!(c.matches.len(), p.nodes.len());
        assert!(c.matches.iter().all(|m| m.aligned));
    }

    #[test]
    fn the_longest_chain_keeps_both_orders() {
        let m = |before, after| NodeMatch {
            before,
            after,
            changed: false,
            exclusive_ms: Change::default(),
            rows: Change::default(),
            loops: Change::default(),
            buffers: Change::default(),
            aligned: false,
        };
        let ms = vec![m(0, 0), m(1, 3), m(2, 1), m(3, 2), m(4, 4)];
        assert_eq!(longest_chain(&ms), vec![0, 2, 3, 4]);
    }
}
