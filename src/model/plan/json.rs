//! The JSON-format parser: `EXPLAIN (FORMAT JSON)` output, bare or pasted from psql (frames already
//! cleaned), auto_explain's JSON, or pgAdmin's copy with doubled quotes. Node types are normalised
//! as the text parser writes them (`Aggregate` + `Strategy` → `HashAggregate`, `ModifyTable` +
//! `Operation` → `Update`), so both formats give comparable trees.

use serde_json::Value;

use super::clean::Line;
use super::{K, ParseError, Plan, Props};

/// Parse cleaned lines holding a JSON plan.
pub fn parse_lines(lines: &[Line]) -> Result<Plan, ParseError> {
    let text: String = lines.iter().map(|l| l.text).collect::<Vec<_>>().join("\n");
    let parsed = match read_str(&text) {
        Ok(p) => p,
        Err(first) => {
            // Cut from the first `[`/`{` line to the closing line at the same indentation (text
            // around the JSON), then try pgAdmin's doubled quotes.
            let cut = cut_block(lines);
            let attempt = cut.as_deref().and_then(|c| read_str(c).ok()).or_else(|| {
                let c = cut.as_deref().unwrap_or(&text).replace("\"\"", "\"");
                let c = c.trim().trim_matches('"');
                read_str(c).ok()
            });
            match attempt {
                Some(p) => p,
                None => {
                    let line = lines
                        .get(first.line().saturating_sub(1))
                        .map_or(0, |l| l.no);
                    return Err(ParseError::new(line, format!("invalid JSON plan: {first}")));
                }
            }
        }
    };
    parsed.map_err(|m| ParseError::new(lines.first().map_or(0, |l| l.no), m))
}

/// Read a whole JSON plan from text: `Err` when the text is no JSON, `Ok(Err)` when it is JSON but
/// no plan. The nodes are built as the reader goes (see [`reader`]): no `serde_json::Value` tree
/// of the whole plan is made and then taken apart.
pub fn read_str(text: &str) -> Result<Result<Plan, String>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let top = serde::de::DeserializeSeed::deserialize(reader::Top, &mut de)?;
    de.end()?;
    Ok(top.map(|mut plan| {
        for n in &mut plan.nodes {
            normalise(&mut n.props);
        }
        plan
    }))
}

fn cut_block(lines: &[Line]) -> Option<String> {
    let (start, prefix) = lines.iter().enumerate().find_map(|(i, l)| {
        let t = l.text.trim_end();
        let body = t.trim_start();
        (body == "[" || body == "{").then(|| (i, t[..t.len() - body.len()].to_string()))
    })?;
    let end = lines.iter().enumerate().skip(start).find_map(|(i, l)| {
        let t = l.text.trim_end();
        let rest = t.strip_prefix(prefix.as_str())?;
        (rest.starts_with(']') || rest.starts_with('}')).then_some(i)
    })?;
    Some(
        lines[start..=end]
            .iter()
            .map(|l| l.text)
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

/// A plan from a parsed JSON value (`[{"Plan": ...}]`, `{"Plan": ...}` or a bare node).
pub fn from_value(value: Value) -> Result<Plan, String> {
    let top = match value {
        Value::Array(mut a) => {
            if a.is_empty() {
                return Err(EMPTY_ARRAY.into());
            }
            a.swap_remove(0)
        }
        v => v,
    };
    let Value::Object(mut top) = top else {
        return Err(NOT_AN_OBJECT.into());
    };
    let root = match top.shift_remove("Plan") {
        Some(Value::Object(o)) => o,
        Some(_) => return Err(PLAN_NOT_AN_OBJECT.into()),
        None if top.contains_key("Node Type") => std::mem::take(&mut top),
        None => return Err(NO_PLAN_KEY.into()),
    };
    let mut plan = Plan::from_tree(root, top);
    for n in &mut plan.nodes {
        normalise(&mut n.props);
    }
    Ok(plan)
}

const EMPTY_ARRAY: &str = "the JSON array is empty: expected [{\"Plan\": ...}]";
const NOT_AN_OBJECT: &str = "expected a JSON object with a \"Plan\" key";
const PLAN_NOT_AN_OBJECT: &str = "\"Plan\" is not an object";
const NO_PLAN_KEY: &str = "no \"Plan\" key in the JSON: is this EXPLAIN (FORMAT JSON) output?";

/// Node types as the text format names them.
fn normalise(p: &mut Props) {
    let t = p.get(K::NodeType).and_then(Value::as_str).unwrap_or("");
    let new = match t {
        "Aggregate" => match p.get(K::Strategy).and_then(Value::as_str) {
            Some("Sorted") => Some("GroupAggregate".to_string()),
            Some("Hashed") => Some("HashAggregate".to_string()),
            Some("Mixed") => Some("MixedAggregate".to_string()),
            _ => None,
        },
        "ModifyTable" => p
            .get(K::Operation)
            .and_then(Value::as_str)
            .map(str::to_string),
        _ => None,
    };
    if let Some(n) = new {
        p.insert(K::NodeType, Value::String(n));
    }
    if !p.contains_key(K::NodeType) {
        p.insert(K::NodeType, Value::String("?".into()));
    }
}

/// Serde seeds that read `EXPLAIN (FORMAT JSON)` straight into [`Plan`] nodes, in the order the
/// plan lists them, with the same outcome as reading a `Value` and walking it
/// ([`from_value`]): the first element of a top-level array, `Plan` or a bare node, nested
/// `Plans` as children (elements that are no object skipped, a `Plans` that is no array
/// ignored), a repeated key replacing the earlier value in place.
mod reader {
    use std::fmt;

    use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use serde_json::{Map, Value};

    use super::super::props::Key;
    use super::super::{K, Metrics, Node, Plan, Props, Summary};
    use super::{EMPTY_ARRAY, NO_PLAN_KEY, NOT_AN_OBJECT, PLAN_NOT_AN_OBJECT};

    /// A key, interned without allocating when it is one EXPLAIN writes.
    struct KeySeed;

    impl<'de> DeserializeSeed<'de> for KeySeed {
        type Value = Key;

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
            d.deserialize_str(self)
        }
    }

    impl Visitor<'_> for KeySeed {
        type Value = Key;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a key")
        }

        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Key, E> {
            Ok(Key::new(v))
        }
    }

    /// Implements every non-map, non-sequence visit as "accept and ignore".
    macro_rules! ignore_scalars {
        () => {
            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Self::Value::default())
            }
            fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Self::Value::default())
            }
            fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Self::Value::default())
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Self::Value::default())
            }
            fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Self::Value::default())
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
                Ok(Self::Value::default())
            }
            fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
                Ok(Self::Value::default())
            }
        };
    }

    /// One node object (and its subtree), appended to `nodes`. Reports whether the value was an
    /// object (a node) at all.
    struct NodeSeed<'a> {
        nodes: &'a mut Vec<Node>,
        parent: Option<usize>,
        depth: usize,
    }

    impl<'de> DeserializeSeed<'de> for NodeSeed<'_> {
        type Value = bool;

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for NodeSeed<'_> {
        type Value = bool;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a plan node")
        }

        ignore_scalars!();

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(false)
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
            let id = self.nodes.len();
            if let Some(p) = self.parent {
                self.nodes[p].children.push(id);
            }
            self.nodes.push(Node {
                id,
                parent: self.parent,
                children: Vec::new(),
                depth: self.depth,
                props: Props::new(),
                m: Metrics::default(),
            });
            while let Some(key) = map.next_key_seed(KeySeed)? {
                if key == Key::Known(K::Plans) {
                    map.next_value_seed(ChildrenSeed {
                        nodes: self.nodes,
                        parent: id,
                        depth: self.depth + 1,
                    })?;
                    continue;
                }
                let value: Value = map.next_value()?;
                self.nodes[id].props.insert(key, value);
            }
            Ok(true)
        }
    }

    /// A node's `Plans`: an array of nodes; anything else is ignored.
    struct ChildrenSeed<'a> {
        nodes: &'a mut Vec<Node>,
        parent: usize,
        depth: usize,
    }

    impl<'de> DeserializeSeed<'de> for ChildrenSeed<'_> {
        type Value = ();

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for ChildrenSeed<'_> {
        type Value = ();

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list of plan nodes")
        }

        ignore_scalars!();

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(())
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            loop {
                let seed = NodeSeed {
                    nodes: &mut *self.nodes,
                    parent: Some(self.parent),
                    depth: self.depth,
                };
                if seq.next_element_seed(seed)?.is_none() {
                    return Ok(());
                }
            }
        }
    }

    /// The whole document: `[{"Plan": ..., "Planning Time": ...}]`, the object alone, or a bare node.
    pub struct Top;

    impl<'de> DeserializeSeed<'de> for Top {
        type Value = Result<Plan, String>;

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(TopVisitor { in_array: false })
        }
    }

    struct TopVisitor {
        in_array: bool,
    }

    impl<'de> DeserializeSeed<'de> for TopVisitor {
        type Value = Result<Plan, String>;

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for TopVisitor {
        type Value = Result<Plan, String>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an EXPLAIN (FORMAT JSON) plan")
        }

        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(Err(NOT_AN_OBJECT.into()))
        }
        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(Err(NOT_AN_OBJECT.into()))
        }
        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(Err(NOT_AN_OBJECT.into()))
        }
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(Err(NOT_AN_OBJECT.into()))
        }
        fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok(Err(NOT_AN_OBJECT.into()))
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(Err(NOT_AN_OBJECT.into()))
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            if self.in_array {
                // `[[...]]`: a nested array is no object.
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                return Ok(Err(NOT_AN_OBJECT.into()));
            }
            let first = seq.next_element_seed(TopVisitor { in_array: true })?;
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(first.unwrap_or_else(|| Err(EMPTY_ARRAY.into())))
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut nodes: Vec<Node> = Vec::new();
            let mut has_plan = false;
            let mut plan_is_object = false;
            let mut top = Map::new();
            while let Some(key) = map.next_key_seed(KeySeed)? {
                if key == Key::Known(K::Plan) {
                    // A repeated "Plan" replaces the earlier one, as in a JSON map.
                    nodes.clear();
                    has_plan = true;
                    plan_is_object = map.next_value_seed(NodeSeed {
                        nodes: &mut nodes,
                        parent: None,
                        depth: 0,
                    })?;
                    continue;
                }
                let value: Value = map.next_value()?;
                top.insert(key.as_str().to_string(), value);
            }
            if has_plan {
                if !plan_is_object {
                    return Ok(Err(PLAN_NOT_AN_OBJECT.into()));
                }
                return Ok(Ok(Plan {
                    nodes,
                    props: top,
                    summary: Summary::default(),
                }));
            }
            if top.contains_key("Node Type") {
                return Ok(Ok(Plan::from_tree(top, Map::new())));
            }
            Ok(Err(NO_PLAN_KEY.into()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;

    #[test]
    fn aggregate_strategy_is_normalised() {
        let plan = parse(r#"[{"Plan": {"Node Type": "Aggregate", "Strategy": "Hashed", "Total Cost": 1.0, "Plans": [{"Node Type": "ModifyTable", "Operation": "Update"}]}}]"#).unwrap();
        assert_eq!(plan.nodes[0].node_type(), "HashAggregate");
        assert_eq!(plan.nodes[1].node_type(), "Update");
        assert_eq!(plan.nodes[1].parent, Some(0));
    }

    #[test]
    fn garbage_json_names_the_line() {
        let e = parse("[\n  {\n    \"Plan\": {\n      \"Node Type\": \n").unwrap_err();
        assert!(e.line >= 3, "{e}");
    }
}
