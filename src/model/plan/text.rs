//! The text-format parser: EXPLAIN as psql prints it (after [`super::clean`]), into the same
//! properties the JSON format has, so both formats give comparable trees. Glues back lines a terminal
//! or mail client wrapped, finds depth from indentation (a tab is 4 columns), hangs `InitPlan`,
//! `SubPlan` and `CTE` children under their header, and reads the special lines (Buffers, I/O
//! Timings in every version's shape, WAL, sort, hash, memoize and hash-aggregate figures, workers,
//! triggers, JIT, Planning, Settings, Serialization). Anything it cannot read is an error naming the
//! line, never a panic.

use serde_json::{Map, Number, Value};

use std::borrow::Cow;

use super::clean::{Line, trim, trim_end, trim_start};
use super::props::PropSink;
use super::{K, Metrics, Node, ParseError, Plan, Props, Summary};

/// Keys whose text value is a comma list that the JSON format gives as an array.
const LIST_KEYS: &[&str] = &[
    "Output",
    "Sort Key",
    "Group Key",
    "Presorted Key",
    "Hash Key",
];

/// Top-level lines of a plan (never a continuation of a wrapped line).
const TOP_KEYS: &[&str] = &[
    "Planning Time:",
    "Execution Time:",
    "Total runtime:",
    "Planning:",
    "JIT:",
    "Trigger ",
    "Settings:",
    "Query Identifier:",
    "Serialization:",
    "Time:",
];

/// `s` starts with `prefix`, ASCII case ignored.
fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.as_bytes()
        .get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix.as_bytes()))
}

fn num(v: f64) -> Value {
    Number::from_f64(v).map_or(Value::Null, Value::Number)
}

/// A number, with a trailing unit (`kB`, `ms`) dropped.
fn parse_num(s: &str) -> Option<f64> {
    let t = s.trim();
    let t = t
        .strip_suffix("kB")
        .or_else(|| t.strip_suffix("ms"))
        .unwrap_or(t)
        .trim();
    if t.is_empty() || !t.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.') {
        return None;
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

fn scalar(s: &str) -> Value {
    let t = s.trim();
    match t {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => match t.parse::<f64>() {
            Ok(v) if v.is_finite() && t.starts_with(|c: char| c.is_ascii_digit() || c == '-') => {
                num(v)
            }
            _ => Value::String(t.to_string()),
        },
    }
}

/// Parenthesis depth outside of '...' literals and "..." identifiers, and the quote left open:
/// carried along a line as its wrapped pieces are glued back, so each piece is read once.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Parens {
    depth: i64,
    quote: Option<u8>,
}

impl Parens {
    /// The state after `s`. Bytes, not chars: quotes and parentheses are ASCII, and UTF-8 never
    /// has an ASCII byte inside a multi-byte character.
    fn scan(mut self, s: &str) -> Parens {
        for c in s.bytes() {
            match self.quote {
                Some(q) if c == q => self.quote = None,
                Some(_) => {}
                None => match c {
                    b'\'' | b'"' => self.quote = Some(c),
                    b'(' => self.depth += 1,
                    b')' => self.depth -= 1,
                    _ => {}
                },
            }
        }
        self
    }
}

/// Split a comma list at top-level commas (outside parentheses and quotes).
pub fn split_list(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i64;
    let mut quote: Option<char> = None;
    let mut cur = String::new();
    for c in s.chars() {
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
                cur.push(c);
            }
            None => match c {
                '\'' | '"' => {
                    quote = Some(c);
                    cur.push(c);
                }
                '(' | '[' => {
                    depth += 1;
                    cur.push(c);
                }
                ')' | ']' => {
                    depth -= 1;
                    cur.push(c);
                }
                ',' if depth <= 0 => {
                    out.push(cur.trim().to_string());
                    cur.clear();
                }
                _ => cur.push(c),
            },
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

fn indent_of(s: &str) -> usize {
    let mut n = 0;
    for c in s.chars() {
        match c {
            ' ' => n += 1,
            '\t' => n += 4,
            _ => break,
        }
    }
    n
}

/// pgAdmin and CSV copies quote each line.
fn unquote(s: &str) -> Cow<'_, str> {
    let t = trim_end(s);
    let lead = trim_start(t);
    if lead.len() >= 2
        && (lead.starts_with('"') && lead.ends_with('"')
            || lead.starts_with('\'') && lead.ends_with('\''))
    {
        let indent = &t[..t.len() - lead.len()];
        let inner = &lead[1..lead.len() - 1];
        return Cow::Owned(format!("{indent}{}", inner.replace("\"\"", "\"")));
    }
    if let Some(rest) = t.strip_suffix('"')
        && !rest.contains('"')
    {
        return Cow::Borrowed(rest);
    }
    Cow::Borrowed(s)
}

/// A plan line after [`join_wrapped`]: borrowed from the input unless it had to change.
struct Joined<'a> {
    no: usize,
    text: Cow<'a, str>,
}

/// Glue wrapped lines back: a line continues the previous when the previous has unbalanced
/// parentheses, or when it sits left of the plan's own left margin, or (margin 0) at the margin
/// without being a top-level line.
fn join_wrapped<'a>(lines: &[Line<'a>]) -> Vec<Joined<'a>> {
    let texts: Vec<Cow<str>> = lines
        .iter()
        .map(|l| match unquote(l.text) {
            t if t.contains('\t') => Cow::Owned(t.replace('\t', "    ")),
            t => t,
        })
        .collect();
    // Text before the plan (the statement, a psql prompt, a note) is skipped: the plan starts at the
    // first line that, with the pieces a wrap made of it, reads as a node.
    let start = (0..texts.len())
        .find(|&i| {
            let mut cand: Cow<str> = Cow::Borrowed(&texts[i]);
            let mut parens = Parens::default().scan(&cand);
            let mut j = i;
            while parens.depth > 0 && j + 1 < texts.len() && j - i < 24 {
                j += 1;
                cand.to_mut().push_str(&texts[j]);
                parens = parens.scan(&texts[j]);
            }
            let t = trim(&cand);
            let t = t.strip_prefix("->").map_or(t, trim_start);
            split_node_line(trim_end(t)).is_some()
        })
        .unwrap_or(0);
    let mut out: Vec<Joined> = Vec::new();
    // The parenthesis state at the end of the last line of `out`.
    let mut parens = Parens::default();
    let mut base: Option<usize> = None;
    for (l, text) in lines.iter().zip(texts).skip(start) {
        let ind = indent_of(&text);
        let trimmed = trim_start(&text);
        if let Some(prev) = out.last_mut() {
            let b = base.unwrap_or(0);
            let new_node = trimmed.starts_with("->");
            let unbalanced = parens.depth > 0 || trim_end(&prev.text).ends_with(',');
            let left_of_margin = ind < b;
            let at_zero_margin = b == 0
                && ind == 0
                && !TOP_KEYS.iter().any(|k| starts_with_ignore_case(trimmed, k))
                && !trimmed.starts_with("Worker ")
                && !trimmed.starts_with("--");
            let figures_follow = trimmed.starts_with("(cost=")
                || trimmed.starts_with("(actual ")
                || trimmed.starts_with("(never executed)");
            if !new_node && (unbalanced || left_of_margin || at_zero_margin || figures_follow) {
                parens = parens.scan(&text);
                prev.text.to_mut().push_str(&text);
                continue;
            }
        } else {
            base = Some(ind);
        }
        parens = Parens::default().scan(&text);
        out.push(Joined { no: l.no, text });
    }
    for l in &mut out {
        match &mut l.text {
            Cow::Borrowed(t) => *t = trim_end(t),
            Cow::Owned(t) => t.truncate(trim_end(t).len()),
        }
    }
    out
}

/// The parenthesised figures after a node's type.
#[derive(Default)]
struct Figures {
    cost: Option<(f64, f64, f64, f64)>,
    actual_time: Option<(f64, f64)>,
    actual: Option<(f64, f64)>,
    never: bool,
}

/// Split a node line into its type text and figures; `None` when it is no node line.
fn split_node_line(s: &str) -> Option<(&str, Figures)> {
    // The first `(` that opens figures (one pass over the line, not one search per kind).
    let pos = s.match_indices('(').map(|(i, _)| i).find(|&i| {
        let r = &s[i..];
        r.starts_with("(cost=") || r.starts_with("(actual ") || r.starts_with("(never executed)")
    })?;
    let type_text = trim(&s[..pos]);
    if type_text.is_empty() {
        return None;
    }
    let mut f = Figures::default();
    let mut rest = &s[pos..];
    while !rest.is_empty() {
        rest = trim_start(rest);
        if rest.is_empty() {
            break;
        }
        let inner_end = rest.find(')')?;
        let inner = rest.get(1..inner_end)?;
        rest = &rest[inner_end + 1..];
        if inner == "never executed" {
            f.never = true;
            continue;
        }
        // `cost=1..2 rows=3 width=4`, `actual time=1..2 rows=3 loops=1`; the last of a repeated
        // key counts.
        let mut kv = Figs::default();
        let mut is_actual = false;
        for part in inner.split_whitespace() {
            if part == "actual" {
                is_actual = true;
                continue;
            }
            let (k, v) = part.split_once('=')?;
            match k {
                "cost" => kv.cost = Some(v),
                "rows" => kv.rows = Some(v),
                "width" => kv.width = Some(v),
                "time" => kv.time = Some(v),
                "loops" => kv.loops = Some(v),
                _ => {}
            }
        }
        if let Some(cost) = kv.cost {
            let (a, b) = cost.split_once("..")?;
            let rows = kv.rows.and_then(|r| r.parse().ok()).unwrap_or(0.0);
            let width = kv.width.and_then(|r| r.parse().ok()).unwrap_or(0.0);
            f.cost = Some((a.parse().ok()?, b.parse().ok()?, rows, width));
        } else if is_actual {
            if let Some(t) = kv.time {
                let (a, b) = t.split_once("..")?;
                f.actual_time = Some((a.parse().ok()?, b.parse().ok()?));
            }
            let rows = kv.rows?.parse().ok()?;
            let loops = kv.loops?.parse().ok()?;
            f.actual = Some((rows, loops));
        } else {
            return None;
        }
    }
    Some((type_text, f))
}

/// The `key=value` pairs of a figures group that are read.
#[derive(Default)]
struct Figs<'a> {
    cost: Option<&'a str>,
    rows: Option<&'a str>,
    width: Option<&'a str>,
    time: Option<&'a str>,
    loops: Option<&'a str>,
}

fn strip_ident_quotes(s: &str) -> String {
    s.trim().trim_matches('"').to_string()
}

/// Fill `props` from a node type text such as `Index Scan Backward using i on s.t x`.
fn parse_type(type_text: &str, props: &mut Props) {
    let mut t = type_text.trim();
    for (prefix, key) in [("Parallel ", K::ParallelAware), ("Async ", K::AsyncCapable)] {
        if let Some(r) = t.strip_prefix(prefix) {
            props.insert(key, Value::Bool(true));
            t = r;
        }
    }
    for mode in ["Finalize ", "Partial ", "Simple "] {
        if let Some(r) = t.strip_prefix(mode) {
            props.insert(K::PartialMode, Value::String(mode.trim().into()));
            t = r;
        }
    }
    let (head, using, on) = {
        let (head, after_using) = match t.split_once(" using ") {
            Some((h, u)) => (h, Some(u)),
            None => (t, None),
        };
        match after_using {
            Some(u) => match u.split_once(" on ") {
                Some((idx, rel)) => (head, Some(idx), Some(rel)),
                None => (head, Some(u), None),
            },
            None => match head.split_once(" on ") {
                Some((h, rel)) => (h, None, Some(rel)),
                None => (head, None, None),
            },
        }
    };
    let mut node_type = head.trim().to_string();
    if let Some(h) = node_type.strip_suffix(" Backward") {
        props.insert(K::ScanDirection, "Backward".into());
        node_type = h.to_string();
    } else if let Some(h) = node_type.strip_suffix(" Forward") {
        props.insert(K::ScanDirection, "Forward".into());
        node_type = h.to_string();
    } else if node_type == "Index Scan" || node_type == "Index Only Scan" {
        props.insert(K::ScanDirection, "Forward".into());
    }
    // Joins: `Hash Left Join` is `Hash Join` with Join Type Left, as in the JSON format.
    for algo in ["Hash", "Merge", "Nested Loop"] {
        if let Some(rest) = node_type.strip_prefix(algo) {
            let rest = rest.trim();
            let join = rest.strip_suffix("Join").map(str::trim);
            if (rest.is_empty() && algo == "Nested Loop") || join.is_some() {
                let kind = join.filter(|j| !j.is_empty()).unwrap_or("Inner");
                props.insert(K::JoinType, Value::String(kind.to_string()));
                node_type = if algo == "Nested Loop" {
                    "Nested Loop".into()
                } else {
                    format!("{algo} Join")
                };
                break;
            }
        }
    }
    if let Some(alias) = node_type.strip_prefix("Subquery Scan ") {
        props.insert(K::Alias, Value::String(strip_ident_quotes(alias)));
        node_type = "Subquery Scan".into();
    }
    if matches!(node_type.as_str(), "Insert" | "Update" | "Delete" | "Merge") {
        props.insert(K::Operation, Value::String(node_type.clone()));
    }
    if let Some(idx) = using {
        props.insert(K::IndexName, Value::String(strip_ident_quotes(idx)));
    }
    if let Some(rel) = on {
        let rel = rel.trim();
        let (name, alias) = match rel.rsplit_once(' ') {
            Some((n, a)) if !n.ends_with(',') => (n.trim(), Some(a)),
            _ => (rel, None),
        };
        let name_key = match node_type.as_str() {
            "Function Scan" | "Table Function Scan" => K::FunctionName,
            "CTE Scan" | "WorkTable Scan" => K::CteName,
            "Bitmap Index Scan" => K::IndexName,
            "Subquery Scan" | "Values Scan" | "Result" => K::Alias,
            _ => K::RelationName,
        };
        let (schema, bare) = match name.split_once('.') {
            Some((s, n)) if name_key == K::RelationName && !name.starts_with('"') => (Some(s), n),
            _ => (None, name),
        };
        if let Some(s) = schema {
            props.insert(K::Schema, Value::String(strip_ident_quotes(s)));
        }
        props.insert(name_key, Value::String(strip_ident_quotes(bare)));
        if let Some(a) = alias {
            props.insert(K::Alias, Value::String(strip_ident_quotes(a)));
        }
    }
    props.insert(K::NodeType, Value::String(node_type));
}

fn set_num(o: &mut impl PropSink, k: K, v: f64) {
    o.put(k, num(v));
}

/// A figure under a name of its own (plan-level properties, triggers, `Planning`).
fn map_num(o: &mut Map<String, Value>, k: &str, v: f64) {
    o.insert(k.into(), num(v));
}

/// `shared hit=1 read=2, local ..., temp read=3 written=4` into `Shared Hit Blocks`...
fn parse_buffers(v: &str, o: &mut impl PropSink) {
    for scope_part in v.split(',') {
        let mut words = scope_part.split_whitespace();
        let Some(scope) = words.next() else { continue };
        // hit, read, dirtied, written
        let keys = match scope {
            "shared" => [
                K::SharedHitBlocks,
                K::SharedReadBlocks,
                K::SharedDirtiedBlocks,
                K::SharedWrittenBlocks,
            ],
            "local" => [
                K::LocalHitBlocks,
                K::LocalReadBlocks,
                K::LocalDirtiedBlocks,
                K::LocalWrittenBlocks,
            ],
            "temp" => [
                K::TempHitBlocks,
                K::TempReadBlocks,
                K::TempDirtiedBlocks,
                K::TempWrittenBlocks,
            ],
            _ => continue,
        };
        for k in keys {
            o.put_default(k, num(0.0));
        }
        for w in words {
            if let Some((k, n)) = w.split_once('=')
                && let Some(n) = parse_num(n)
            {
                let k = match k {
                    "hit" => keys[0],
                    "read" => keys[1],
                    "dirtied" => keys[2],
                    "written" => keys[3],
                    _ => continue,
                };
                set_num(o, k, n);
            }
        }
    }
}

/// `I/O Timings` in its three shapes (before 15, 15–16, 17+).
fn parse_io_timings(v: &str, o: &mut impl PropSink) {
    // (read, write) per prefix
    const IO: [K; 2] = [K::IoReadTime, K::IoWriteTime];
    const SHARED: [K; 2] = [K::SharedIoReadTime, K::SharedIoWriteTime];
    const LOCAL: [K; 2] = [K::LocalIoReadTime, K::LocalIoWriteTime];
    const TEMP: [K; 2] = [K::TempIoReadTime, K::TempIoWriteTime];
    for part in v.split(',') {
        let mut words: Vec<&str> = part.split_whitespace().collect();
        let scope = match words.first() {
            Some(w) if !w.contains('=') => {
                let s = *w;
                words.remove(0);
                s
            }
            _ => "",
        };
        let prefix = match scope {
            "" | "shared/local" => IO,
            "shared" => SHARED,
            "local" => LOCAL,
            "temp" => TEMP,
            _ => continue,
        };
        match scope {
            "shared" | "local" => {
                for p in [SHARED, LOCAL, TEMP] {
                    o.put_default(p[0], num(0.0));
                    o.put_default(p[1], num(0.0));
                }
            }
            "temp" if !o.has(K::SharedIoReadTime) => {
                for p in [IO, TEMP] {
                    o.put_default(p[0], num(0.0));
                    o.put_default(p[1], num(0.0));
                }
            }
            _ => {
                o.put_default(prefix[0], num(0.0));
                o.put_default(prefix[1], num(0.0));
            }
        }
        for w in words {
            if let Some((k, n)) = w.split_once('=')
                && let Some(n) = parse_num(n)
            {
                let k = match k {
                    "read" => prefix[0],
                    "write" => prefix[1],
                    _ => continue,
                };
                set_num(o, k, n);
            }
        }
    }
}

/// Split `A: 1  B: 2kB  C: x` into pairs (two or more blanks separate them).
fn pairs(s: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for seg in s.split("  ").map(str::trim).filter(|x| !x.is_empty()) {
        match seg.split_once(": ") {
            Some((k, v)) if is_key(k) => out.push((k.to_string(), v.trim().to_string())),
            _ => match out.last_mut() {
                Some(last) => {
                    last.1.push(' ');
                    last.1.push_str(seg);
                }
                None => out.push((seg.trim_end_matches(':').to_string(), String::new())),
            },
        }
    }
    out
}

fn is_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() < 60
        && k.starts_with(|c: char| c.is_ascii_alphabetic())
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '/' | '_' | '.'))
}

/// The pairs of an incremental sort group line into the JSON shape.
fn sort_groups(pairs: &[(String, String)]) -> Value {
    let mut o = Map::new();
    let mut mem = Map::new();
    let mut disk = Map::new();
    for (k, v) in pairs.iter().skip(1) {
        match k.as_str() {
            "Sort Method" | "Sort Methods" => {
                let methods: Vec<Value> = v
                    .split(',')
                    .map(|m| Value::String(m.trim().to_string()))
                    .collect();
                o.insert("Sort Methods Used".into(), Value::Array(methods));
            }
            "Average Memory" => {
                mem.insert(
                    "Average Sort Space Used".into(),
                    num(parse_num(v).unwrap_or(0.0)),
                );
            }
            "Peak Memory" => {
                mem.insert(
                    "Peak Sort Space Used".into(),
                    num(parse_num(v).unwrap_or(0.0)),
                );
            }
            "Average Disk" => {
                disk.insert(
                    "Average Sort Space Used".into(),
                    num(parse_num(v).unwrap_or(0.0)),
                );
            }
            "Peak Disk" => {
                disk.insert(
                    "Peak Sort Space Used".into(),
                    num(parse_num(v).unwrap_or(0.0)),
                );
            }
            _ => {}
        }
    }
    if let Some((_, v)) = pairs.first() {
        o.insert("Group Count".into(), num(parse_num(v).unwrap_or(0.0)));
    }
    if !mem.is_empty() {
        o.insert("Sort Space Memory".into(), Value::Object(mem));
    }
    if !disk.is_empty() {
        o.insert("Sort Space Disk".into(), Value::Object(disk));
    }
    Value::Object(o)
}

/// Read one `Key: value` line (possibly several pairs) into `o`. Returns false when the line is
/// no property.
fn parse_property(content: &str, o: &mut impl PropSink) -> bool {
    let Some((key, value)) = content.split_once(':') else {
        return false;
    };
    let key = key.trim();
    if !is_key(key) {
        return false;
    }
    let value = value.trim();
    match key {
        "Buffers" => parse_buffers(value, o),
        "I/O Timings" => parse_io_timings(value, o),
        "WAL" => {
            for w in value.split_whitespace() {
                if let Some((k, n)) = w.split_once('=')
                    && let Some(n) = parse_num(n)
                {
                    let k = match k {
                        "records" => K::WalRecords,
                        "fpi" => K::WalFpi,
                        "bytes" => K::WalBytes,
                        "buffers full" | "full" => K::WalBuffersFull,
                        _ => continue,
                    };
                    set_num(o, k, n);
                }
            }
        }
        "Heap Blocks" => {
            for w in value.split_whitespace() {
                if let Some((k, n)) = w.split_once('=')
                    && let Some(n) = parse_num(n)
                {
                    let k = match k {
                        "exact" => K::ExactHeapBlocks,
                        "lossy" => K::LossyHeapBlocks,
                        _ => continue,
                    };
                    set_num(o, k, n);
                }
            }
        }
        "Full-sort Groups" | "Pre-sorted Groups" => {
            let ps = pairs(content);
            o.put_named(key, sort_groups(&ps));
        }
        _ if LIST_KEYS.contains(&key) => {
            let items = split_list(value).into_iter().map(Value::String).collect();
            o.put_named(key, Value::Array(items));
        }
        _ => {
            // Most lines hold one pair (`Filter: ...`); several pairs are separated by two blanks.
            if !content.contains("  ") {
                o.put_named(key, scalar(value));
                return true;
            }
            let ps = pairs(content);
            if ps.len() <= 1 {
                o.put_named(key, scalar(value));
                return true;
            }
            let first = ps[0].0.clone();
            let has_buckets = ps.iter().any(|(k, _)| k == "Buckets");
            for (k, v) in ps {
                match k.as_str() {
                    "Sort Method" => {
                        o.put(K::SortMethod, Value::String(v));
                    }
                    "Memory" | "Disk" if first == "Sort Method" => {
                        o.put(K::SortSpaceType, Value::String(k.clone()));
                        set_num(o, K::SortSpaceUsed, parse_num(&v).unwrap_or(0.0));
                    }
                    "Buckets" | "Batches" if has_buckets => {
                        let (now, orig) = match v.split_once("(originally") {
                            Some((n, orig)) => (n, orig.trim_end_matches(')')),
                            None => (v.as_str(), v.as_str()),
                        };
                        let (key, original) = if k == "Buckets" {
                            (K::HashBuckets, K::OriginalHashBuckets)
                        } else {
                            (K::HashBatches, K::OriginalHashBatches)
                        };
                        set_num(o, key, parse_num(now).unwrap_or(0.0));
                        set_num(o, original, parse_num(orig).unwrap_or(0.0));
                    }
                    "Batches" => set_num(o, K::HashAggBatches, parse_num(&v).unwrap_or(0.0)),
                    "Memory Usage" => set_num(o, K::PeakMemoryUsage, parse_num(&v).unwrap_or(0.0)),
                    "Hits" | "Misses" | "Evictions" | "Overflows" => {
                        let key = match k.as_str() {
                            "Hits" => K::CacheHits,
                            "Misses" => K::CacheMisses,
                            "Evictions" => K::CacheEvictions,
                            _ => K::CacheOverflows,
                        };
                        set_num(o, key, parse_num(&v).unwrap_or(0.0))
                    }
                    _ => {
                        let val = match parse_num(&v) {
                            Some(n) => num(n),
                            None => scalar(&v),
                        };
                        o.put_named(&k, val);
                    }
                }
            }
        }
    }
    true
}

/// `Options: Inlining false, ...` / `Timing: Generation 0.3 ms, ... Total 2.4 ms`.
fn parse_jit_line(content: &str, jit: &mut Map<String, Value>) -> bool {
    let Some((key, value)) = content.split_once(':') else {
        return false;
    };
    match key.trim() {
        "Options" | "Timing" => {
            let mut o = Map::new();
            for item in split_list(value) {
                // `Generation 1.2 ms (Deform 0.3 ms)` (17+): keep the main figure.
                let item = item.split(" (").next().unwrap_or(&item);
                let mut words = item.split_whitespace();
                let Some(name) = words.next() else { continue };
                let v = words.next().unwrap_or("");
                let val = match v {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    _ => num(parse_num(v).unwrap_or(0.0)),
                };
                o.insert(name.to_string(), val);
            }
            jit.insert(key.trim().to_string(), Value::Object(o));
            true
        }
        _ => parse_property(content, jit),
    }
}

/// What the indentation stack holds.
#[derive(Clone, Copy)]
enum Elem {
    Node(usize),
    /// `InitPlan 1 (returns $0)`, `SubPlan 2`, `CTE x` under a node; the header text is in `names`.
    Header {
        owner: usize,
        name: usize,
    },
    /// `Worker N:` under a node: deeper lines go to that worker.
    Worker {
        node: usize,
        index: usize,
    },
}

/// Plan-level blocks whose indented lines belong to them.
#[derive(Clone, Copy, PartialEq)]
enum Block {
    Planning,
    Jit,
}

/// Parse cleaned text lines into a plan.
pub fn parse_lines(lines: &[Line]) -> Result<Plan, ParseError> {
    let lines = join_wrapped(lines);
    let mut nodes: Vec<Node> = Vec::new();
    let mut headers: Vec<String> = Vec::new();
    let mut props = Map::new();
    let mut stack: Vec<(usize, Elem)> = Vec::new();
    let mut block: Option<(Block, usize)> = None;
    let mut triggers: Vec<Value> = Vec::new();
    for line in &lines {
        let ind = indent_of(&line.text);
        let content = trim(&line.text);
        if content.is_empty() || content.starts_with("-- ") || content == "--" {
            continue;
        }
        if let Some((b, bind)) = block {
            if ind > bind {
                let key = match b {
                    Block::Planning => "Planning",
                    Block::Jit => "JIT",
                };
                let mut o = match props.shift_remove(key) {
                    Some(Value::Object(o)) => o,
                    _ => Map::new(),
                };
                let ok = match b {
                    Block::Planning => {
                        if let Some(v) = content.strip_prefix("Memory:") {
                            for w in v.split_whitespace() {
                                if let Some((k, n)) = w.split_once('=') {
                                    let k = match k {
                                        "used" => "Memory Used",
                                        "allocated" => "Memory Allocated",
                                        _ => continue,
                                    };
                                    map_num(&mut o, k, parse_num(n).unwrap_or(0.0));
                                }
                            }
                            true
                        } else {
                            parse_property(content, &mut o)
                        }
                    }
                    Block::Jit => parse_jit_line(content, &mut o),
                };
                props.insert(key.into(), Value::Object(o));
                if !ok {
                    return Err(ParseError::new(
                        line.no,
                        format!("cannot read \"{}\"", short(content)),
                    ));
                }
                continue;
            }
            block = None;
        }
        let arrow = content.starts_with("->");
        let body = if arrow {
            content.trim_start_matches("->").trim_start()
        } else {
            content
        };
        // Node line?
        if let Some((type_text, f)) = split_node_line(body) {
            let mut p = Props::new();
            p.insert(K::ParallelAware, Value::Bool(false));
            p.insert(K::AsyncCapable, Value::Bool(false));
            parse_type(type_text, &mut p);
            if let Some((s, t, rows, width)) = f.cost {
                set_num(&mut p, K::StartupCost, s);
                set_num(&mut p, K::TotalCost, t);
                set_num(&mut p, K::PlanRows, rows);
                set_num(&mut p, K::PlanWidth, width);
            }
            if let Some((a, b)) = f.actual_time {
                set_num(&mut p, K::ActualStartupTime, a);
                set_num(&mut p, K::ActualTotalTime, b);
            }
            if let Some((rows, loops)) = f.actual {
                set_num(&mut p, K::ActualRows, rows);
                set_num(&mut p, K::ActualLoops, loops);
            }
            if f.never {
                for k in [
                    K::ActualStartupTime,
                    K::ActualTotalTime,
                    K::ActualRows,
                    K::ActualLoops,
                ] {
                    set_num(&mut p, k, 0.0);
                }
            }
            while stack.last().is_some_and(|(d, _)| *d >= ind) {
                stack.pop();
            }
            let id = nodes.len();
            let (parent, depth) = match stack.last() {
                None if nodes.is_empty() => (None, 0),
                None => {
                    return Err(ParseError::new(
                        line.no,
                        "a second plan root: this line is not indented under the first plan",
                    ));
                }
                Some((_, Elem::Node(p))) | Some((_, Elem::Worker { node: p, .. })) => {
                    (Some(*p), nodes[*p].depth + 1)
                }
                Some((_, Elem::Header { owner, name })) => {
                    let h = &headers[*name];
                    let rel = if h.starts_with("SubPlan") {
                        "SubPlan"
                    } else {
                        "InitPlan"
                    };
                    p.insert(K::ParentRelationship, Value::String(rel.into()));
                    p.insert(K::SubplanName, Value::String(h.clone()));
                    (Some(*owner), nodes[*owner].depth + 1)
                }
            };
            if let Some(par) = parent {
                nodes[par].children.push(id);
            }
            nodes.push(Node {
                id,
                parent,
                children: Vec::new(),
                depth,
                props: p,
                m: Metrics::default(),
            });
            stack.push((ind, Elem::Node(id)));
            continue;
        }
        if arrow {
            return Err(ParseError::new(
                line.no,
                format!(
                    "a plan node without figures: \"{}\" (expected (cost=...) or (actual ...))",
                    short(content)
                ),
            ));
        }
        while stack.last().is_some_and(|(d, _)| *d >= ind) {
            stack.pop();
        }
        let root_indent = stack.first().map_or(ind, |(d, _)| *d);
        let always_top = [
            "Planning Time:",
            "Execution Time:",
            "Total runtime:",
            "Settings:",
            "Query Identifier:",
            "Serialization:",
            "Planning:",
        ]
        .iter()
        .any(|k| starts_with_ignore_case(content, k))
            || content == "JIT:" && ind <= root_indent + 1;
        if always_top {
            stack.clear();
        }
        let top = stack.last().map(|(_, e)| *e);
        // SubPlan / InitPlan / CTE headers.
        let is_header = (content.starts_with("SubPlan") || content.starts_with("InitPlan"))
            && !content.contains(':')
            || (content.starts_with("CTE ") && !content.contains(':'));
        if is_header {
            let owner = match top {
                Some(Elem::Node(n)) => n,
                Some(Elem::Header { owner, .. }) | Some(Elem::Worker { node: owner, .. }) => owner,
                None => {
                    return Err(ParseError::new(
                        line.no,
                        format!("\"{}\" outside any plan node", short(content)),
                    ));
                }
            };
            headers.push(content.to_string());
            stack.push((
                ind,
                Elem::Header {
                    owner,
                    name: headers.len() - 1,
                },
            ));
            continue;
        }
        if nodes.is_empty() {
            return Err(ParseError::new(
                line.no,
                format!(
                    "expected a plan node such as \"Seq Scan on t  (cost=...)\", found \"{}\"",
                    short(content)
                ),
            ));
        }
        // Worker lines.
        if let Some(rest) = content.strip_prefix("Worker ")
            && let Some((n, after)) = rest.split_once(':')
            && let Ok(wn) = n.trim().parse::<u32>()
        {
            let node = match top {
                Some(Elem::Node(n)) | Some(Elem::Worker { node: n, .. }) => n,
                Some(Elem::Header { owner, .. }) => owner,
                None => 0,
            };
            let workers = nodes[node]
                .props
                .get_or_insert_with(K::Workers, || Value::Array(Vec::new()));
            let Value::Array(list) = workers else {
                continue;
            };
            let index = match list
                .iter()
                .position(|w| w.get("Worker Number").and_then(Value::as_f64) == Some(f64::from(wn)))
            {
                Some(i) => i,
                None => {
                    let mut w = Map::new();
                    map_num(&mut w, "Worker Number", f64::from(wn));
                    list.push(Value::Object(w));
                    list.len() - 1
                }
            };
            let after = after.trim();
            if let Some(Value::Object(w)) = list.get_mut(index)
                && !after.is_empty()
            {
                if after.starts_with("actual") || after.starts_with("never") {
                    let (figs, tail) = match after.find(')') {
                        Some(_) => (after, ""),
                        None => (after, ""),
                    };
                    let wrapped = format!("x ({figs})");
                    if let Some((_, f)) = split_node_line(&wrapped) {
                        if let Some((a, b)) = f.actual_time {
                            set_num(w, K::ActualStartupTime, a);
                            set_num(w, K::ActualTotalTime, b);
                        }
                        if let Some((r, l)) = f.actual {
                            set_num(w, K::ActualRows, r);
                            set_num(w, K::ActualLoops, l);
                        }
                    } else {
                        // `actual time=... rows=... loops=...  Buffers: ...` style tails
                        let mut parts = after.splitn(2, "  ");
                        let figs = parts.next().unwrap_or("");
                        if let Some((_, f)) = split_node_line(&format!("x ({figs})")) {
                            if let Some((a, b)) = f.actual_time {
                                set_num(w, K::ActualStartupTime, a);
                                set_num(w, K::ActualTotalTime, b);
                            }
                            if let Some((r, l)) = f.actual {
                                set_num(w, K::ActualRows, r);
                                set_num(w, K::ActualLoops, l);
                            }
                        }
                        if let Some(rest) = parts.next() {
                            parse_property(rest.trim(), w);
                        }
                    }
                    let _ = tail;
                } else {
                    parse_property(after, w);
                }
            }
            stack.push((ind, Elem::Worker { node, index }));
            continue;
        }
        // Triggers.
        if let Some(rest) = content.strip_prefix("Trigger ")
            && let Some((name, figs)) = rest.rsplit_once(": time=")
        {
            let mut t = Map::new();
            let (name, rel) = match name.rsplit_once(" on ") {
                Some((n, r)) => (n, Some(r)),
                None => (name, None),
            };
            if let Some(c) = name.strip_prefix("for constraint ") {
                t.insert("Constraint Name".into(), Value::String(c.to_string()));
                t.insert("Trigger Name".into(), Value::String(c.to_string()));
            } else {
                t.insert("Trigger Name".into(), Value::String(name.to_string()));
            }
            if let Some(r) = rel {
                t.insert("Relation".into(), Value::String(r.to_string()));
            }
            let mut words = figs.split_whitespace();
            if let Some(time) = words.next().and_then(parse_num) {
                map_num(&mut t, "Time", time);
            }
            for w in words {
                if let Some(c) = w.strip_prefix("calls=").and_then(parse_num) {
                    map_num(&mut t, "Calls", c);
                }
            }
            triggers.push(Value::Object(t));
            continue;
        }
        match top {
            // Plan-level lines.
            None => {
                if content == "Planning:" {
                    block = Some((Block::Planning, ind));
                    props.insert("Planning".into(), Value::Object(Map::new()));
                    continue;
                }
                if content == "JIT:" {
                    block = Some((Block::Jit, ind));
                    props.insert("JIT".into(), Value::Object(Map::new()));
                    continue;
                }
                let Some((key, value)) = content.split_once(':') else {
                    return Err(ParseError::new(
                        line.no,
                        format!("cannot read \"{}\"", short(content)),
                    ));
                };
                let value = value.trim();
                match key.trim() {
                    "Planning Time" | "Planning time" => {
                        map_num(&mut props, "Planning Time", parse_num(value).unwrap_or(0.0));
                    }
                    "Execution Time" | "Execution time" => {
                        map_num(
                            &mut props,
                            "Execution Time",
                            parse_num(value).unwrap_or(0.0),
                        );
                    }
                    "Total runtime" | "Total Runtime" => {
                        map_num(&mut props, "Total Runtime", parse_num(value).unwrap_or(0.0))
                    }
                    "Settings" => {
                        let mut s = Map::new();
                        for item in split_list(value) {
                            if let Some((k, v)) = item.split_once(" = ") {
                                s.insert(
                                    k.trim().to_string(),
                                    Value::String(v.trim().trim_matches('\'').to_string()),
                                );
                            }
                        }
                        props.insert("Settings".into(), Value::Object(s));
                    }
                    "Serialization" => {
                        let mut s = Map::new();
                        for w in value.split_whitespace() {
                            if let Some((k, v)) = w.split_once('=') {
                                match k {
                                    "time" => map_num(&mut s, "Time", parse_num(v).unwrap_or(0.0)),
                                    "output" => map_num(
                                        &mut s,
                                        "Output Volume",
                                        parse_num(v).unwrap_or(0.0),
                                    ),
                                    "format" => {
                                        s.insert("Format".into(), Value::String(v.to_string()));
                                    }
                                    _ => {}
                                }
                            }
                        }
                        props.insert("Serialization".into(), Value::Object(s));
                    }
                    _ => {
                        if !parse_property(content, &mut props) {
                            return Err(ParseError::new(
                                line.no,
                                format!("cannot read \"{}\"", short(content)),
                            ));
                        }
                    }
                }
            }
            Some(Elem::Node(n)) | Some(Elem::Header { owner: n, .. }) => {
                if !parse_property(content, &mut nodes[n].props) {
                    return Err(ParseError::new(
                        line.no,
                        format!("cannot read \"{}\"", short(content)),
                    ));
                }
            }
            Some(Elem::Worker { node, index }) => {
                if let Some(Value::Array(list)) = nodes[node].props.get_mut("Workers")
                    && let Some(Value::Object(w)) = list.get_mut(index)
                    && !parse_property(content, w)
                {
                    return Err(ParseError::new(
                        line.no,
                        format!("cannot read \"{}\"", short(content)),
                    ));
                }
            }
        }
    }
    if nodes.is_empty() {
        return Err(ParseError::new(
            lines.last().map_or(0, |l| l.no),
            "no plan found: expected EXPLAIN output (text or JSON)",
        ));
    }
    if !triggers.is_empty() {
        props.insert("Triggers".into(), Value::Array(triggers));
    }
    Ok(Plan {
        nodes,
        props,
        summary: Summary::default(),
    })
}

/// A line shortened for an error message.
fn short(s: &str) -> String {
    let mut out: String = s.chars().take(60).collect();
    if s.chars().count() > 60 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_types() {
        let mut p = Props::new();
        parse_type("Index Scan Backward using idx on public.t x", &mut p);
        assert_eq!(p["Node Type"], "Index Scan");
        assert_eq!(p["Scan Direction"], "Backward");
        assert_eq!(p["Index Name"], "idx");
        assert_eq!(p["Schema"], "public");
        assert_eq!(p["Relation Name"], "t");
        assert_eq!(p["Alias"], "x");
        let mut p = Props::new();
        parse_type("Nested Loop Left Join", &mut p);
        assert_eq!(p["Node Type"], "Nested Loop");
        assert_eq!(p["Join Type"], "Left");
        let mut p = Props::new();
        parse_type("Parallel Hash Semi Join", &mut p);
        assert_eq!(p["Node Type"], "Hash Join");
        assert_eq!(p["Join Type"], "Semi");
        assert_eq!(p["Parallel Aware"], true);
    }

    #[test]
    fn split_list_respects_parentheses() {
        assert_eq!(split_list("a, (b, c), 'x,y'"), vec!["a", "(b, c)", "'x,y'"]);
    }

    #[test]
    fn fractional_rows_pg18() {
        let lines = super::super::clean::clean(
            "Seq Scan on t  (cost=0.00..1.00 rows=1 width=4) (actual time=0.01..0.02 rows=3.33 loops=3)\n  Index Searches: 2\n  Disabled: true",
        );
        let plan = parse_lines(&lines).unwrap();
        assert_eq!(plan.nodes[0].num("Actual Rows"), Some(3.33));
        assert_eq!(plan.nodes[0].num("Index Searches"), Some(2.0));
        assert!(plan.nodes[0].flag("Disabled"));
    }
}
