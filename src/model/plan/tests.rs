//! Corpus tests: every plan of `../shared/corpus/pev2/` parses to its expected structure (a subset
//! match, as pev2 checks it), the psql frame variants give the same tree, and the exclusive times of
//! the CTE plans add up to the total. Plus a property test: no input makes a parser panic.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde_json::Value;

use super::*;

fn corpus() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    for cand in [
        here.join("../shared/corpus/pev2"),
        PathBuf::from("/work/shared/corpus/pev2"),
    ] {
        if cand.is_dir() {
            return cand;
        }
    }
    panic!("the pev2 corpus is missing: expected ../shared/corpus/pev2 next to the repository");
}

fn read(p: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned()
}

/// pev2's text parser names some joins its own way; compare node types after this.
fn canonical_type(t: &str) -> String {
    let t = t.trim();
    if let Some(rest) = t.strip_prefix("Subquery Scan ") {
        let _ = rest;
        return "Subquery Scan".into();
    }
    let t = t
        .replace(" Semi Join", " Join")
        .replace(" Anti Join", " Join");
    if t == "Nested Loop Join" {
        return "Nested Loop".into();
    }
    t
}

fn as_num(v: &Value) -> Option<f64> {
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

fn num_eq(a: &Value, b: &Value) -> bool {
    match (as_num(a), as_num(b)) {
        (Some(x), Some(y)) => (x - y).abs() < 1e-6,
        _ => false,
    }
}

/// Whether `got` contains every key/value of `want` (pev2's `toMatchObject`); `*`-keys are pev2's own
/// derived figures and skipped. Returns the path of the first difference.
fn subset(want: &Value, got: &Value, path: &str) -> Result<(), String> {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                if k.starts_with('*') {
                    continue;
                }
                let p = format!("{path}/{k}");
                let Some(gv) = g.get(k) else {
                    return Err(format!("{p}: missing (want {wv})"));
                };
                if k == "Relation Name" {
                    // pev2 keeps `schema.table` in the name; the JSON format splits it into Schema.
                    let w = wv.as_str().unwrap_or("");
                    let last = w.rsplit_once(".\"").map_or(w, |(_, r)| r);
                    let last = if last == w {
                        w.rsplit('.').next().unwrap_or(w)
                    } else {
                        last
                    };
                    if last.trim_matches('"') != gv.as_str().unwrap_or("") {
                        return Err(format!("{p}: want {wv}, got {gv}"));
                    }
                    continue;
                }
                if k == "Node Type" {
                    let (a, b) = (
                        canonical_type(wv.as_str().unwrap_or("")),
                        canonical_type(gv.as_str().unwrap_or("")),
                    );
                    if a != b {
                        return Err(format!("{p}: want {a}, got {b}"));
                    }
                    continue;
                }
                subset(wv, gv, &p)?;
            }
            Ok(())
        }
        (Value::Array(w), Value::Array(g)) => {
            if w.len() != g.len() {
                return Err(format!("{path}: want {} items, got {}", w.len(), g.len()));
            }
            for (i, (a, b)) in w.iter().zip(g).enumerate() {
                subset(a, b, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        (Value::Number(_), _) | (Value::String(_), Value::Number(_)) if num_eq(want, got) => Ok(()),
        (Value::String(a), Value::String(b)) if a.trim().trim_matches('"') == b.trim() => Ok(()),
        // pev2's text parser keeps some lists (Output) as text; we give arrays as the JSON format does.
        (Value::String(a), Value::Array(b))
            if b.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ")
                == a.trim() =>
        {
            Ok(())
        }
        _ if want == got => Ok(()),
        _ => Err(format!("{path}: want {want}, got {got}")),
    }
}

fn check_pairs(dir: &str, plan_suffix: &str, expect_suffix: &str) {
    let d = corpus().join(dir);
    let mut failures = Vec::new();
    let mut count = 0;
    let mut names: Vec<_> = std::fs::read_dir(&d)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(plan_suffix))
        .collect();
    names.sort();
    for name in names {
        let stem = &name[..name.len() - plan_suffix.len()];
        let expect_path = d.join(format!("{stem}{expect_suffix}"));
        if !expect_path.exists() {
            continue;
        }
        count += 1;
        let input = read(&d.join(&name));
        let want: Value = match serde_json::from_str(&read(&expect_path)) {
            Ok(v) => v,
            Err(e) => panic!("{}: {e}", expect_path.display()),
        };
        match parse(&input) {
            Ok(p) => {
                let got = p.to_json();
                // Some expectations are a bare node: compare with the root node.
                let got = if want.get("Plan").is_none() && want.get("Node Type").is_some() {
                    got.get("Plan").cloned().unwrap_or(Value::Null)
                } else if want.get("Plan").is_none() {
                    let mut merged = got.get("Plan").cloned().unwrap_or(Value::Null);
                    if let (Value::Object(m), Value::Object(top)) = (&mut merged, &got) {
                        for (k, v) in top {
                            m.entry(k.clone()).or_insert(v.clone());
                        }
                    }
                    merged
                } else {
                    got
                };
                if let Err(e) = subset(&want, &got, "") {
                    failures.push(format!("{dir}/{name}: {e}"));
                }
            }
            Err(e) => failures.push(format!("{dir}/{name}: parse error {e}")),
        }
    }
    assert!(count > 0, "no plans in {dir}");
    assert!(
        failures.is_empty(),
        "{} of {count} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn corpus_from_text() {
    check_pairs("from-text", "-plan", "-expect");
}

#[test]
fn corpus_line_wrapped() {
    check_pairs("12-line-wrapped-plans", "-plan", "-expect");
}

#[test]
fn corpus_io_timings() {
    check_pairs("21-io-timings", ".plan", ".expect");
}

/// The same plan in every psql border/linestyle (and DBeaver) gives the same tree.
#[test]
fn corpus_psql_frames() {
    let d = corpus().join("11-psql-frames");
    let mut shapes = Vec::new();
    for e in std::fs::read_dir(&d).unwrap().filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().into_owned();
        let plan = parse(&read(&e.path())).unwrap_or_else(|err| panic!("{name}: {err}"));
        let shape: Vec<(usize, String, Option<String>)> = plan
            .nodes
            .iter()
            .map(|n| (n.depth, n.node_type().to_string(), n.target()))
            .collect();
        assert!(plan.execution_ms().is_some(), "{name}: no execution time");
        shapes.push((name, shape));
    }
    let dbeaver = shapes
        .iter()
        .position(|(n, _)| n.contains("dbeaver"))
        .unwrap();
    let (_, reference) = shapes
        .iter()
        .find(|(n, _)| n.starts_with("text-2"))
        .cloned()
        .unwrap();
    assert_eq!(reference.len(), 3);
    for (i, (name, shape)) in shapes.iter().enumerate() {
        if i != dbeaver {
            assert_eq!(shape, &reference, "{name}");
        }
    }
}

/// Exclusive times add up to the total (pev2's cte-exclusive-time invariant, ±1 %).
#[test]
fn corpus_exclusive_times_add_up() {
    let d = corpus().join("cte-exclusive-time");
    for e in std::fs::read_dir(&d).unwrap().filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().into_owned();
        let mut plan = parse(&read(&e.path())).unwrap_or_else(|err| panic!("{name}: {err}"));
        metrics::analyse(&mut plan);
        let root = plan.nodes[0].m.inclusive_ms.unwrap();
        let sum = plan.summary.sum_exclusive_ms;
        assert!(
            (sum - root).abs() <= root * 0.01,
            "{name}: Σ exclusive {sum} vs root total {root}"
        );
    }
}

/// Every corpus plan analyses and advises without panicking, and the JSON parse of a JSON frame
/// variant equals its text twin's advice rules.
#[test]
fn corpus_analyse_and_advise() {
    let root = corpus();
    let mut n = 0;
    for dir in [
        "from-text",
        "12-line-wrapped-plans",
        "21-io-timings",
        "cte-exclusive-time",
        "11-psql-frames",
    ] {
        for e in std::fs::read_dir(root.join(dir))
            .unwrap()
            .filter_map(|e| e.ok())
        {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.contains("expect") {
                continue;
            }
            let (plan, advice) = parse_and_analyse(&read(&e.path())).unwrap();
            let _ = report::text_report(&plan, &advice);
            n += 1;
        }
    }
    assert!(n > 90);
}

/// Every corpus plan compared with itself: each node is its own partner, on its own row, and
/// nothing changed. And a plan compared with its twin in the other format (psql frame variants
/// of one plan, text and JSON) matches node for node.
#[test]
fn corpus_plans_compare_with_themselves() {
    let root = corpus();
    let mut n = 0;
    for dir in [
        "from-text",
        "12-line-wrapped-plans",
        "21-io-timings",
        "cte-exclusive-time",
        "11-psql-frames",
    ] {
        for e in std::fs::read_dir(root.join(dir))
            .unwrap()
            .filter_map(|e| e.ok())
        {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.contains("expect") {
                continue;
            }
            let (plan, _) = parse_and_analyse(&read(&e.path())).unwrap();
            let c = diff::compare(&plan, &plan);
            assert_eq!(c.matches.len(), plan.nodes.len(), "{dir}/{name}");
            assert!(
                c.matches
                    .iter()
                    .all(|m| m.before == m.after && m.aligned && !m.changed),
                "{dir}/{name}"
            );
            assert_eq!(c.rows.len(), plan.nodes.len(), "{dir}/{name}");
            n += 1;
        }
    }
    assert!(n > 90);
    let frames = root.join("11-psql-frames");
    let text = parse_and_analyse(&read(
        &frames.join("text-0-aligned-ascii-double-double-double.plan"),
    ))
    .unwrap()
    .0;
    let json = parse_and_analyse(&read(
        &frames.join("json-0-aligned-ascii-double-double-double.plan"),
    ))
    .unwrap()
    .0;
    assert_eq!(text.nodes.len(), json.nodes.len());
    let c = diff::compare(&text, &json);
    assert!(c.only_before.is_empty() && c.only_after.is_empty(), "{c:?}");
    assert!(c.matches.iter().all(|m| m.before == m.after && m.aligned));
}

#[test]
fn seq_scan_advice_has_create_index() {
    let text = "\
 Nested Loop  (cost=0.00..2017.80 rows=15 width=133) (actual time=0.035..2.219 rows=15 loops=1)
   ->  Seq Scan on users u  (cost=0.00..41.40 rows=1 width=129) (actual time=0.013..0.091 rows=1 loops=1)
         Filter: (username = 'depesz'::text)
         Rows Removed by Filter: 1231
   ->  Seq Scan on part_0 p  (cost=0.00..1976.25 rows=15 width=17) (actual time=0.021..2.125 rows=15 loops=1)
         Filter: (added_by = 'depesz'::text)
         Rows Removed by Filter: 13205
 Planning Time: 0.040 ms
 Execution Time: 2.228 ms
";
    let (plan, advice) = parse_and_analyse(text).unwrap();
    assert_eq!(plan.nodes.len(), 3);
    let ix = advice
        .iter()
        .find(|a| a.rule == "seq_scan_index_candidate")
        .expect("index advice");
    assert_eq!(ix.node, Some(2));
    assert_eq!(
        ix.suggestion.as_deref(),
        Some("CREATE INDEX CONCURRENTLY ON part_0 (added_by);")
    );
}

#[test]
fn sort_spill_suggests_work_mem() {
    let text = "\
Sort  (cost=1.00..2.00 rows=100000 width=4) (actual time=50.0..80.0 rows=100000 loops=1)
  Sort Key: a
  Sort Method: external merge  Disk: 10000kB
  ->  Seq Scan on t  (cost=0.00..1.00 rows=100000 width=4) (actual time=0.01..10.0 rows=100000 loops=1)
Execution Time: 81.0 ms
";
    let (_, advice) = parse_and_analyse(text).unwrap();
    let a = advice.iter().find(|a| a.rule == "sort_spill").unwrap();
    // 3 × 10,000 kB, rounded up to a power of two in MB
    assert_eq!(a.suggestion.as_deref(), Some("SET work_mem = '32MB';"));
}

#[test]
fn garbage_is_an_error_with_a_line() {
    let e = parse("hello\nworld").unwrap_err();
    assert_eq!(e.line, 1);
    let e =
        parse("Seq Scan on t  (cost=0.00..1.00 rows=1 width=4)\n  ->  what is this\n").unwrap_err();
    assert_eq!(e.line, 2, "{e}");
    assert!(parse("").is_err());
    assert!(parse("[]").is_err());
}

#[test]
fn truncated_plans_are_errors_or_partial_never_panics() {
    let text = read(&corpus().join("from-text/10-plan"));
    for cut in (0..text.len()).step_by(7) {
        if text.is_char_boundary(cut) {
            let _ = parse_and_analyse(&text[..cut]);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn text_parser_never_panics(s in "(?s).{0,400}") {
        let _ = parse_and_analyse(&s);
    }

    #[test]
    fn plan_like_lines_never_panic(lines in proptest::collection::vec(
        prop_oneof![
            Just("Seq Scan on t  (cost=0.00..1.00 rows=1 width=4) (actual time=0.1..0.2 rows=1 loops=1)".to_string()),
            Just("  ->  Hash Join  (cost=1..2 rows=3 width=4)".to_string()),
            Just("    InitPlan 1 (returns $0)".to_string()),
            Just("  CTE x".to_string()),
            Just("    Buffers: shared hit=1 read=2, temp read=3".to_string()),
            Just("    Sort Method: external merge  Disk: 10kB".to_string()),
            Just("Planning Time: 1.0 ms".to_string()),
            Just("JIT:".to_string()),
            Just("  Worker 0:  actual time=0.1..0.2 rows=1 loops=1".to_string()),
            Just("(never executed)".to_string()),
            "[ (){}\\[\\]a-z:=.0-9>-]{0,40}",
        ], 0..30)) {
        let _ = parse_and_analyse(&lines.join("\n"));
    }

    #[test]
    fn json_parser_never_panics(s in "[\\[\\]{}\",:0-9a-zA-Z \n]{0,200}") {
        let _ = parse_and_analyse(&s);
        let wrapped = format!("[{{\"Plan\": {s}}}]");
        let _ = parse_and_analyse(&wrapped);
    }
}

#[test]
fn statements_are_not_plans_and_pasted_plans_are() {
    for sql in [
        "",
        "select 1",
        "select * from t where a = 1 order by b",
        "with x as (select 1) select * from x;\nselect 2;",
        "insert into t values (1, '{\"Plan\": 1}')",
        "[1, 2]",
        "{\"a\": 1}",
        "Seq Scan on t",
    ] {
        assert!(!is_plan(sql), "{sql}");
    }
    for f in [
        "cte-exclusive-time/01.plan",
        "11-psql-frames/text-2-aligned-unicode-double-double-double.plan",
        "11-psql-frames/json-0-aligned-ascii-double-double-double.plan",
    ] {
        assert!(is_plan(&read(&corpus().join(f))), "{f}");
    }
    assert!(is_plan(
        "Seq Scan on t  (cost=0.00..35.50 rows=2550 width=4)"
    ));
}
