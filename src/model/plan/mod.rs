//! EXPLAIN plans: the [`Plan`] tree, its parsers (JSON as `EXPLAIN (FORMAT JSON)` prints it, text as
//! psql prints it, in any frame style, wrapped or pasted), the derived metrics pev2 computes
//! (exclusive time, loops, misestimates, buffers) and the advice rules EX-01…EX-24 of the diagnostics
//! catalogue. Pure: no IO, no terminal, no driver; every function here is unit-tested on the pev2
//! corpus. Input from outside never panics: it parses or gives a [`ParseError`] naming the line.

pub mod advice;
pub mod clean;
pub mod diff;
pub mod json;
pub mod metrics;
pub mod props;
pub mod report;
pub mod statement;
pub mod text;

use serde_json::{Map, Value};

pub use advice::{Advice, Severity};
pub use metrics::{Metrics, Summary};
pub use props::{K, Props};

use props::AsKey;

/// A parse failure, with the 1-based line of the input where it was noticed (0 when no line applies).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl ParseError {
    pub fn new(line: usize, message: impl Into<String>) -> Self {
        ParseError {
            line,
            message: message.into(),
        }
    }
}

/// A property value as a number (JSON numbers, numeric strings, booleans as 1 / 0).
pub(crate) fn value_num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        _ => None,
    }
}

/// One plan node: its EXPLAIN properties (JSON key names, `Plans` taken out) and its place in the tree.
#[derive(Debug, Clone, Default)]
pub struct Node {
    /// Index in [`Plan::nodes`] (depth-first order, as the plan lists them).
    pub id: usize,
    pub parent: Option<usize>,
    pub children: Vec<usize>,
    /// Depth below the root (root = 0).
    pub depth: usize,
    /// The node's properties, keyed as EXPLAIN's JSON format names them (`Node Type`, `Actual Rows`...).
    pub props: Props,
    /// Derived figures, filled by [`metrics::analyse`].
    pub m: Metrics,
}

impl Node {
    /// A property as a number (JSON numbers, or numeric strings).
    pub fn num(&self, key: impl AsKey) -> Option<f64> {
        value_num(self.props.get(key)?)
    }

    /// A property as text (strings only).
    pub fn str(&self, key: impl AsKey) -> Option<&str> {
        self.props.get(key).and_then(Value::as_str)
    }

    pub fn flag(&self, key: impl AsKey) -> bool {
        matches!(self.props.get(key), Some(Value::Bool(true)))
    }

    pub fn node_type(&self) -> &str {
        self.str(K::NodeType).unwrap_or("?")
    }

    /// The type as psql prints it: `Hash Left Join`, `Parallel Seq Scan`, `Finalize HashAggregate`.
    pub fn display_type(&self) -> String {
        let mut t = String::new();
        if let Some(p) = self.str(K::PartialMode).filter(|p| *p != "Simple") {
            t.push_str(p);
            t.push(' ');
        }
        if self.flag(K::ParallelAware) {
            t.push_str("Parallel ");
        }
        if self.flag(K::AsyncCapable) && self.node_type().contains("Foreign") {
            t.push_str("Async ");
        }
        let base = self.node_type();
        match self.str(K::JoinType).filter(|j| *j != "Inner") {
            Some(j) if base.ends_with(" Join") => {
                t.push_str(&base[..base.len() - 5]);
                t.push(' ');
                t.push_str(j);
                t.push_str(" Join");
            }
            Some(j) if base == "Nested Loop" => {
                t.push_str(base);
                t.push(' ');
                t.push_str(j);
                t.push_str(" Join");
            }
            _ => t.push_str(base),
        }
        t
    }

    /// `users u`, `orders_pkey`, `generate_series`, `CTE x`: what the node reads, for the tree.
    pub fn target(&self) -> Option<String> {
        let rel = self
            .str(K::RelationName)
            .or_else(|| self.str(K::FunctionName))
            .or_else(|| self.str(K::CteName));
        let mut out = String::new();
        if let Some(i) = self.str(K::IndexName) {
            out.push_str("using ");
            out.push_str(i);
            if rel.is_some() {
                out.push_str(" on ");
            }
        }
        if let Some(r) = rel {
            if let Some(s) = self.str(K::Schema) {
                out.push_str(s);
                out.push('.');
            }
            out.push_str(r);
            if let Some(a) = self.str(K::Alias).filter(|a| *a != r) {
                out.push(' ');
                out.push_str(a);
            }
        } else if let Some(a) = self.str(K::Alias) {
            out.push_str(a);
        }
        (!out.is_empty()).then_some(out)
    }

    /// `InitPlan 1`, `SubPlan 2`, `CTE x`: the header the node hangs under, if any.
    pub fn subplan_name(&self) -> Option<&str> {
        self.str(K::SubplanName)
    }

    /// `InitPlan`, `SubPlan`, `Outer`, `Inner`, `Member`...
    pub fn relationship(&self) -> Option<&str> {
        self.str(K::ParentRelationship)
    }

    pub fn is_init_plan(&self) -> bool {
        self.relationship() == Some("InitPlan")
    }
}

/// A parsed plan: nodes in depth-first order (root first) and the plan-level properties.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub nodes: Vec<Node>,
    /// Plan-level properties: `Planning Time`, `Execution Time`, `Triggers`, `JIT`, `Settings`,
    /// `Planning` (buffers), `Serialization`, `Query Identifier`...
    pub props: Map<String, Value>,
    /// Derived plan-wide figures, filled by [`metrics::analyse`].
    pub summary: Summary,
}

impl Plan {
    pub fn root(&self) -> Option<&Node> {
        self.nodes.first()
    }

    pub fn num(&self, key: &str) -> Option<f64> {
        self.props.get(key).and_then(Value::as_f64)
    }

    /// Planning time in ms.
    pub fn planning_ms(&self) -> Option<f64> {
        self.num("Planning Time")
    }

    /// Execution time in ms (`Total runtime` before 9.4).
    pub fn execution_ms(&self) -> Option<f64> {
        self.num("Execution Time")
            .or_else(|| self.num("Total Runtime"))
    }

    /// Whether the plan has actual figures (EXPLAIN ANALYZE).
    pub fn is_analyze(&self) -> bool {
        self.nodes
            .iter()
            .any(|n| n.props.contains_key(K::ActualLoops))
    }

    /// Build a plan from a JSON tree node (`{"Node Type": ..., "Plans": [...]}`) and the top-level
    /// properties. Nested `Plans` arrays become children; `Workers` stay properties.
    pub fn from_tree(root: Map<String, Value>, props: Map<String, Value>) -> Plan {
        let mut plan = Plan {
            nodes: Vec::new(),
            props,
            summary: Summary::default(),
        };
        // Iterative, so that a pathological depth cannot overflow the stack.
        let mut stack: Vec<(Map<String, Value>, Option<usize>, usize)> = vec![(root, None, 0)];
        while let Some((mut props, parent, depth)) = stack.pop() {
            let id = plan.nodes.len();
            let children = match props.shift_remove(K::Plans.name()) {
                Some(Value::Array(a)) => a,
                _ => Vec::new(),
            };
            if let Some(p) = parent {
                plan.nodes[p].children.push(id);
            }
            plan.nodes.push(Node {
                id,
                parent,
                children: Vec::new(),
                depth,
                props: Props::from_map(props),
                m: Metrics::default(),
            });
            for c in children.into_iter().rev() {
                if let Value::Object(o) = c {
                    stack.push((o, Some(id), depth + 1));
                }
            }
        }
        plan
    }

    /// The plan back as EXPLAIN JSON (`{"Plan": {..., "Plans": [...]}, "Planning Time": ...}`).
    pub fn to_json(&self) -> Value {
        fn build(plan: &Plan, id: usize) -> Value {
            let n = &plan.nodes[id];
            let mut o = n.props.to_map();
            if !n.children.is_empty() {
                let kids = n.children.iter().map(|c| build(plan, *c)).collect();
                o.insert("Plans".into(), Value::Array(kids));
            }
            Value::Object(o)
        }
        let mut top = Map::new();
        if !self.nodes.is_empty() {
            top.insert("Plan".into(), build(self, 0));
        }
        for (k, v) in &self.props {
            top.insert(k.clone(), v.clone());
        }
        Value::Object(top)
    }
}

/// Parse a plan pasted or loaded from a file: JSON (`EXPLAIN (FORMAT JSON)`, with or without psql's
/// frame) or text as psql prints it. Metrics and advice are not computed; see [`analyse`].
pub fn parse(input: &str) -> Result<Plan, ParseError> {
    // Plain JSON (what the server, auto_explain or a .json file gives) is read as it is: the
    // clean-up only ever removes text that is no JSON (frames, `+` marks, footers, comments), so
    // a valid JSON plan reads the same either way, without a copy of every line. Anything else,
    // or a failure, takes the way below, which also words the errors.
    if input.trim_start().starts_with(['[', '{'])
        && let Ok(Ok(plan)) = json::read_str(input)
    {
        return Ok(plan);
    }
    let lines = clean::clean(input);
    if clean::looks_like_json(&lines) {
        return json::parse_lines(&lines);
    }
    match text::parse_lines(&lines) {
        Ok(p) => Ok(p),
        Err(e) if clean::has_json_block(&lines) => json::parse_lines(&lines).map_err(|_| e),
        Err(e) => Err(e),
    }
}

/// Whether `input` is a plan rather than a statement: it parses to at least one node. A
/// statement never does (the text parser wants a node line with its figures, the JSON parser a
/// `Plan`).
pub fn is_plan(input: &str) -> bool {
    let t = input.trim_start();
    !t.is_empty() && parse(t).is_ok_and(|p| !p.nodes.is_empty())
}

/// Parse and analyse: metrics filled in, advice computed.
pub fn parse_and_analyse(input: &str) -> Result<(Plan, Vec<Advice>), ParseError> {
    let mut plan = parse(input)?;
    metrics::analyse(&mut plan);
    let advice = advice::advise(&plan, &advice::Context::default());
    Ok((plan, advice))
}

#[cfg(test)]
mod tests;
