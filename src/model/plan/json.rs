//! The JSON-format parser: `EXPLAIN (FORMAT JSON)` output, bare or pasted from psql (frames already
//! cleaned), auto_explain's JSON, or pgAdmin's copy with doubled quotes. Node types are normalised
//! as the text parser writes them (`Aggregate` + `Strategy` → `HashAggregate`, `ModifyTable` +
//! `Operation` → `Update`), so both formats give comparable trees.

use serde_json::{Map, Value};

use super::clean::Line;
use super::{ParseError, Plan};

/// Parse cleaned lines holding a JSON plan.
pub fn parse_lines(lines: &[Line]) -> Result<Plan, ParseError> {
    let text: String = lines
        .iter()
        .map(|l| l.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let value = match serde_json::from_str::<Value>(&text) {
        Ok(v) => v,
        Err(first) => {
            // Cut from the first `[`/`{` line to the closing line at the same indentation (text
            // around the JSON), then try pgAdmin's doubled quotes.
            let cut = cut_block(lines);
            let attempt = cut
                .as_deref()
                .and_then(|c| serde_json::from_str::<Value>(c).ok())
                .or_else(|| {
                    let c = cut.as_deref().unwrap_or(&text).replace("\"\"", "\"");
                    let c = c.trim().trim_matches('"');
                    serde_json::from_str::<Value>(c).ok()
                });
            match attempt {
                Some(v) => v,
                None => {
                    let line = lines
                        .get(first.line().saturating_sub(1))
                        .map_or(0, |l| l.no);
                    return Err(ParseError::new(line, format!("invalid JSON plan: {first}")));
                }
            }
        }
    };
    from_value(value).map_err(|m| ParseError::new(lines.first().map_or(0, |l| l.no), m))
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
            .map(|l| l.text.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

/// A plan from a parsed JSON value (`[{"Plan": ...}]`, `{"Plan": ...}` or a bare node).
pub fn from_value(value: Value) -> Result<Plan, String> {
    let top = match value {
        Value::Array(mut a) => {
            if a.is_empty() {
                return Err("the JSON array is empty: expected [{\"Plan\": ...}]".into());
            }
            a.swap_remove(0)
        }
        v => v,
    };
    let Value::Object(mut top) = top else {
        return Err("expected a JSON object with a \"Plan\" key".into());
    };
    let root = match top.shift_remove("Plan") {
        Some(Value::Object(o)) => o,
        Some(_) => return Err("\"Plan\" is not an object".into()),
        None if top.contains_key("Node Type") => std::mem::take(&mut top),
        None => {
            return Err(
                "no \"Plan\" key in the JSON: is this EXPLAIN (FORMAT JSON) output?".into(),
            );
        }
    };
    let mut plan = Plan::from_tree(root, top);
    for n in &mut plan.nodes {
        normalise(&mut n.props);
    }
    Ok(plan)
}

/// Node types as the text format names them.
fn normalise(p: &mut Map<String, Value>) {
    let t = p.get("Node Type").and_then(Value::as_str).unwrap_or("");
    let new = match t {
        "Aggregate" => match p.get("Strategy").and_then(Value::as_str) {
            Some("Sorted") => Some("GroupAggregate".to_string()),
            Some("Hashed") => Some("HashAggregate".to_string()),
            Some("Mixed") => Some("MixedAggregate".to_string()),
            _ => None,
        },
        "ModifyTable" => p
            .get("Operation")
            .and_then(Value::as_str)
            .map(str::to_string),
        _ => None,
    };
    if let Some(n) = new {
        p.insert("Node Type".into(), Value::String(n));
    }
    if !p.contains_key("Node Type") {
        p.insert("Node Type".into(), Value::String("?".into()));
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
