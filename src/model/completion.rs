//! Completion candidates for the editor, from the names in the catalog and the statement around the
//! cursor: relations after FROM/JOIN/UPDATE/INTO, columns of the tables in scope (aliases resolved)
//! after `alias.` and in expressions, objects of a schema after `schema.`, types after `::`,
//! keywords everywhere. Pure and fast: it runs on every keystroke while the popup is open.

use std::collections::HashMap;

use serde::Serialize;

use super::ident::quote_ident;
use super::sql_keywords::{KEYWORDS, TYPES};
use super::sql_lex::{Lexer, TokKind};

/// Names loaded from the catalog for completion.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CatalogNames {
    pub schemas: Vec<String>,
    pub relations: Vec<RelName>,
    /// Columns by (schema, relation), in column order.
    pub columns: HashMap<(String, String), Vec<String>>,
    pub functions: Vec<RelName>,
    pub types: Vec<String>,
}

/// A schema-qualified name and whether the search_path makes it visible unqualified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RelName {
    pub schema: String,
    pub name: String,
    pub visible: bool,
}

/// What a candidate is (shown in the popup).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Keyword,
    Schema,
    Relation,
    Column,
    Function,
    Type,
}

impl Kind {
    /// A short tag for the popup.
    pub fn tag(self) -> &'static str {
        match self {
            Kind::Keyword => "kw",
            Kind::Schema => "schema",
            Kind::Relation => "table",
            Kind::Column => "column",
            Kind::Function => "fn",
            Kind::Type => "type",
        }
    }
}

/// A candidate: what to show and what to insert in place of the typed word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub label: String,
    pub insert: String,
    pub kind: Kind,
}

/// The candidates for the word before the cursor.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Completion {
    /// Characters of the typed word (after any `qualifier.`) that the insert replaces.
    pub replace_chars: usize,
    pub items: Vec<Item>,
}

/// At most this many candidates are offered.
const MAX_ITEMS: usize = 60;

/// A table reference in the statement: (schema, name, alias).
#[derive(Debug, Clone, PartialEq, Eq)]
struct TableRef {
    schema: Option<String>,
    name: String,
    alias: Option<String>,
}

/// Unquote an identifier token: `"My Col"` → `My Col`, `Users` → `users`.
fn ident_value(tok: &str) -> String {
    if let Some(inner) = tok.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        inner.replace("\"\"", "\"")
    } else {
        tok.to_lowercase()
    }
}

/// Candidates for the cursor at byte `cursor` of `statement` (the current statement's text).
pub fn complete(names: &CatalogNames, statement: &str, cursor: usize) -> Completion {
    let cursor = cursor.min(statement.len());
    let before = &statement[..cursor];
    let toks: Vec<_> = Lexer::new(before)
        .filter(|t| {
            !matches!(
                t.kind,
                TokKind::Space | TokKind::LineComment | TokKind::BlockComment
            )
        })
        .collect();
    // Inside a string, comment or quoted body nothing is offered.
    if let Some(last) = toks.last()
        && last.range.end == before.len()
        && matches!(last.kind, TokKind::String | TokKind::DollarString)
    {
        return Completion::default();
    }
    if Lexer::new(before).last().is_some_and(|t| {
        t.range.end == before.len()
            && matches!(t.kind, TokKind::LineComment | TokKind::BlockComment)
    }) {
        return Completion::default();
    }
    // The word being typed: a trailing Word (or nothing after a `.`), with its qualifier.
    let (prefix, prefix_tok_count) = match toks.last() {
        Some(t)
            if t.range.end == before.len()
                && matches!(t.kind, TokKind::Word | TokKind::QuotedIdent) =>
        {
            (ident_value(&before[t.range.clone()]), 1)
        }
        _ => (String::new(), 0),
    };
    let raw_prefix_len = if prefix_tok_count == 1 {
        toks.last()
            .map_or(0, |t| before[t.range.clone()].chars().count())
    } else {
        0
    };
    let rest = &toks[..toks.len() - prefix_tok_count];
    let qualifier = match rest {
        [.., q, dot]
            if before[dot.range.clone()] == *"."
                && matches!(q.kind, TokKind::Word | TokKind::QuotedIdent) =>
        {
            Some(ident_value(&before[q.range.clone()]))
        }
        _ => None,
    };
    let prev_word = rest
        .iter()
        .rev()
        .find(|t| {
            t.kind == TokKind::Word || t.kind == TokKind::Operator || t.kind == TokKind::Punct
        })
        .map(|t| before[t.range.clone()].to_lowercase());
    let scope = tables_in(statement);
    let mut items: Vec<Item> = Vec::new();
    let matches = |s: &str| s.to_lowercase().starts_with(&prefix);

    if let Some(q) = &qualifier {
        // alias or table → its columns
        if let Some(t) = scope
            .iter()
            .find(|t| t.alias.as_deref() == Some(q.as_str()) || t.name == *q)
        {
            for c in columns_of(names, t) {
                if matches(c) {
                    items.push(item(c, Kind::Column));
                }
            }
        }
        // schema → its relations and functions
        if names.schemas.iter().any(|s| s == q) {
            for r in names.relations.iter().filter(|r| r.schema == *q) {
                if matches(&r.name) {
                    items.push(item(&r.name, Kind::Relation));
                }
            }
            for f in names.functions.iter().filter(|f| f.schema == *q) {
                if matches(&f.name) {
                    items.push(item(&f.name, Kind::Function));
                }
            }
        }
    } else if prev_word.as_deref() == Some("::") {
        for t in names
            .types
            .iter()
            .map(String::as_str)
            .chain(TYPES.iter().copied())
        {
            if matches(t) {
                items.push(item(t, Kind::Type));
            }
        }
    } else if matches!(
        prev_word.as_deref(),
        Some("from" | "join" | "update" | "into" | "table" | "truncate" | "only")
    ) || (prev_word.as_deref() == Some(",") && in_from_list(rest, before))
    {
        for r in names.relations.iter().filter(|r| r.visible) {
            if matches(&r.name) {
                items.push(item(&r.name, Kind::Relation));
            }
        }
        for s in &names.schemas {
            if matches(s) && !s.starts_with("pg_") {
                items.push(Item {
                    label: format!("{s}."),
                    insert: format!("{}.", quote_ident(s)),
                    kind: Kind::Schema,
                });
            }
        }
    } else {
        // expressions and statement starts: columns of the tables in scope, functions, keywords
        for t in &scope {
            for c in columns_of(names, t) {
                if matches(c) && !items.iter().any(|i| i.label == *c) {
                    items.push(item(c, Kind::Column));
                }
            }
        }
        if !prefix.is_empty() {
            for f in names.functions.iter().filter(|f| f.visible) {
                if matches(&f.name) && !items.iter().any(|i| i.label == f.name) {
                    items.push(item(&f.name, Kind::Function));
                }
            }
            for k in KEYWORDS {
                if k.starts_with(prefix.as_str()) && *k != prefix {
                    items.push(Item {
                        label: k.to_string(),
                        insert: k.to_string(),
                        kind: Kind::Keyword,
                    });
                }
            }
        }
    }
    // exact prefix case matches and shorter names first within a kind keeps the list predictable
    items.truncate(MAX_ITEMS);
    Completion {
        replace_chars: raw_prefix_len,
        items,
    }
}

fn item(name: &str, kind: Kind) -> Item {
    Item {
        label: name.to_string(),
        insert: quote_ident(name),
        kind,
    }
}

fn columns_of<'a>(names: &'a CatalogNames, t: &TableRef) -> impl Iterator<Item = &'a String> + 'a {
    // unqualified: the visible relation of that name (first in search_path order)
    let schema = t.schema.clone().or_else(|| {
        names
            .relations
            .iter()
            .find(|r| r.name == t.name && r.visible)
            .map(|r| r.schema.clone())
    });
    schema
        .and_then(|s| names.columns.get(&(s, t.name.clone())))
        .into_iter()
        .flatten()
}

/// Whether the last keyword before a `,` is FROM (a comma-separated table list).
fn in_from_list(rest: &[super::sql_lex::Tok], before: &str) -> bool {
    let mut depth = 0i32;
    for t in rest.iter().rev() {
        match t.kind {
            TokKind::Close => depth += 1,
            TokKind::Open => depth -= 1,
            TokKind::Word if depth == 0 => {
                let w = before[t.range.clone()].to_lowercase();
                if w == "from" {
                    return true;
                }
                if matches!(
                    w.as_str(),
                    "select" | "where" | "set" | "on" | "group" | "order" | "by" | "having"
                ) {
                    return false;
                }
            }
            _ => {}
        }
    }
    false
}

/// The tables a statement names after FROM, JOIN, UPDATE and INTO, with their aliases.
fn tables_in(statement: &str) -> Vec<TableRef> {
    let toks: Vec<_> = Lexer::new(statement)
        .filter(|t| {
            !matches!(
                t.kind,
                TokKind::Space | TokKind::LineComment | TokKind::BlockComment
            )
        })
        .collect();
    let text = |i: usize| &statement[toks[i].range.clone()];
    let is_name = |i: usize| {
        toks.get(i)
            .is_some_and(|t| matches!(t.kind, TokKind::Word | TokKind::QuotedIdent))
    };
    let mut out = Vec::new();
    let mut i = 0;
    let mut in_from = false;
    while i < toks.len() {
        let lw = text(i).to_lowercase();
        let starts_ref = matches!(lw.as_str(), "from" | "join" | "update" | "into")
            || (in_from && text(i) == ",");
        if toks[i].kind == TokKind::Word
            && matches!(
                lw.as_str(),
                "where"
                    | "group"
                    | "order"
                    | "having"
                    | "limit"
                    | "on"
                    | "set"
                    | "select"
                    | "returning"
                    | "union"
            )
        {
            in_from = false;
        }
        if starts_ref {
            in_from = lw == "from" || lw == "," || lw == "join";
            let mut j = i + 1;
            if toks
                .get(j)
                .is_some_and(|t| statement[t.range.clone()].eq_ignore_ascii_case("only"))
            {
                j += 1;
            }
            if is_name(j)
                && !(toks[j].kind == TokKind::Word
                    && super::sql_keywords::is_keyword(text(j))
                    && text(j).eq_ignore_ascii_case("lateral"))
            {
                let first = ident_value(text(j));
                let (schema, name, mut k) = if toks
                    .get(j + 1)
                    .is_some_and(|t| &statement[t.range.clone()] == ".")
                    && is_name(j + 2)
                {
                    (Some(first), ident_value(text(j + 2)), j + 3)
                } else {
                    (None, first, j + 1)
                };
                if toks
                    .get(k)
                    .is_some_and(|t| statement[t.range.clone()].eq_ignore_ascii_case("as"))
                {
                    k += 1;
                }
                let alias = (is_name(k)
                    && !(toks[k].kind == TokKind::Word
                        && super::sql_keywords::is_keyword(text(k))))
                .then(|| ident_value(text(k)));
                out.push(TableRef {
                    schema,
                    name,
                    alias,
                });
                i = k;
                continue;
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> CatalogNames {
        let rel = |schema: &str, name: &str, visible| RelName {
            schema: schema.into(),
            name: name.into(),
            visible,
        };
        let mut columns = HashMap::new();
        columns.insert(
            ("public".into(), "users".into()),
            vec!["id".into(), "email".into(), "Display Name".into()],
        );
        columns.insert(
            ("shop".into(), "orders".into()),
            vec!["id".into(), "user_id".into(), "total".into()],
        );
        CatalogNames {
            schemas: vec!["public".into(), "shop".into(), "pg_catalog".into()],
            relations: vec![
                rel("public", "users", true),
                rel("shop", "orders", false),
                rel("public", "user_roles", true),
            ],
            columns,
            functions: vec![
                rel("pg_catalog", "upper", true),
                rel("shop", "order_total", false),
            ],
            types: vec!["role_kind".into()],
        }
    }

    fn labels(sql: &str) -> Vec<String> {
        complete(&names(), sql, sql.len())
            .items
            .into_iter()
            .map(|i| i.label)
            .collect()
    }

    #[test]
    fn relations_after_from_and_join() {
        assert_eq!(labels("select * from us"), vec!["users", "user_roles"]);
        assert_eq!(labels("select * from users u join sh"), vec!["shop."]);
        assert_eq!(labels("select * from shop."), vec!["orders", "order_total"]);
    }

    #[test]
    fn columns_through_aliases_and_in_scope() {
        let sql = "select o.  from shop.orders o join users u on u.id = o.user_id";
        let cursor = "select o.".len();
        let got: Vec<String> = complete(&names(), sql, cursor)
            .items
            .into_iter()
            .map(|i| i.label)
            .collect();
        assert_eq!(got, vec!["id", "user_id", "total"]);
        let got = labels("select * from users u where u.em");
        assert_eq!(got, vec!["email"]);
        let c = complete(&names(), "select * from users where dis", 29);
        assert_eq!(c.items[0].insert, "\"Display Name\"", "quoted when needed");
        assert_eq!(c.replace_chars, 3);
        let c = complete(&names(), "select up from users", "select up".len());
        assert_eq!(c.items[0].label, "upper");
        assert!(
            c.items
                .iter()
                .any(|i| i.label == "update" && i.kind == Kind::Keyword)
        );
        let got = labels("select e");
        assert!(got.contains(&"else".to_string()) && got.contains(&"end".to_string()));
    }

    #[test]
    fn types_after_cast_and_nothing_inside_strings() {
        let got = labels("select x::ro");
        assert_eq!(got, vec!["role_kind"]);
        assert!(labels("select 'fro").is_empty());
        assert!(labels("select 1 -- fro").is_empty());
    }

    #[test]
    fn scope_extraction() {
        let t = tables_in(
            "update shop.orders as o set total = 1 from users u, public.user_roles where o.id = 1",
        );
        assert_eq!(t.len(), 3);
        assert_eq!(
            t[0],
            TableRef {
                schema: Some("shop".into()),
                name: "orders".into(),
                alias: Some("o".into())
            }
        );
        assert_eq!(t[1].alias.as_deref(), Some("u"));
        assert_eq!(
            t[2],
            TableRef {
                schema: Some("public".into()),
                name: "user_roles".into(),
                alias: None
            }
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,80}", cut in 0usize..100) {
            let cut = s.char_indices().map(|(i, _)| i).chain(std::iter::once(s.len())).nth(cut % (s.chars().count() + 1)).unwrap_or(0);
            let _ = complete(&names(), &s, cut);
        }
    }
}
