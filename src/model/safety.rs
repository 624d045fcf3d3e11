//! Safe mode: which statements ask for confirmation before they run — UPDATE or DELETE without a
//! WHERE clause, DROP, TRUNCATE and ALTER. Found from the tokens, at the statement's top level, so a
//! WHERE inside a subquery or a CTE does not count for the outer UPDATE.

use super::sql_lex::{Lexer, TokKind};
use super::sql_split;

/// A statement that needs confirmation, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Risk {
    pub statement: String,
    pub reason: &'static str,
}

/// The statements of `sql` that safe mode asks about.
pub fn risks(sql: &str) -> Vec<Risk> {
    sql_split::split(sql)
        .iter()
        .filter(|s| !s.meta)
        .filter_map(|s| {
            let text = s.text(sql);
            reason(text).map(|reason| Risk {
                statement: text.to_string(),
                reason,
            })
        })
        .collect()
}

fn reason(stmt: &str) -> Option<&'static str> {
    let toks: Vec<(TokKind, String)> = Lexer::new(stmt)
        .filter(|t| {
            !matches!(
                t.kind,
                TokKind::Space | TokKind::LineComment | TokKind::BlockComment
            )
        })
        .map(|t| (t.kind, stmt[t.range].to_ascii_uppercase()))
        .collect();
    scan(&toks)
}

/// The reason for one statement's tokens: its top-level verb, and the verbs of data-modifying
/// CTEs (`WITH x AS (DELETE ...)`) inside it, which run whatever the outer statement is.
fn scan(toks: &[(TokKind, String)]) -> Option<&'static str> {
    let mut verb: Option<&str> = None;
    let mut has_where = false;
    let mut i = 0;
    while i < toks.len() {
        let (kind, text) = (&toks[i].0, toks[i].1.as_str());
        match kind {
            TokKind::Open => {
                // a parenthesized part is judged on its own (subquery, CTE body); its WHERE does
                // not count for the outer statement
                let end = closing(toks, i);
                if let Some(r) = scan(&toks[(i + 1).min(end)..end]) {
                    return Some(r);
                }
                i = end + 1;
                continue;
            }
            TokKind::Word => match (verb, text) {
                (None, "UPDATE" | "DELETE" | "DROP" | "TRUNCATE" | "ALTER") => verb = Some(text),
                (None, "SELECT" | "INSERT" | "VALUES" | "TABLE" | "MERGE") => verb = Some("OTHER"),
                (Some(_), "WHERE") => has_where = true,
                _ => {}
            },
            _ => {}
        }
        i += 1;
    }
    match verb {
        Some("UPDATE") if !has_where => Some("UPDATE without WHERE changes every row"),
        Some("DELETE") if !has_where => Some("DELETE without WHERE removes every row"),
        Some("DROP") => Some("DROP removes the object and its data"),
        Some("TRUNCATE") => Some("TRUNCATE removes every row"),
        Some("ALTER") => Some("ALTER changes the schema (and may lock the table)"),
        _ => None,
    }
}

/// Index of the `)` closing the `(` at `open` (or the end).
fn closing(toks: &[(TokKind, String)], open: usize) -> usize {
    let mut depth = 0;
    for (i, (kind, _)) in toks.iter().enumerate().skip(open) {
        match kind {
            TokKind::Open => depth += 1,
            TokKind::Close => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    toks.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reasons(sql: &str) -> Vec<&'static str> {
        risks(sql).into_iter().map(|r| r.reason).collect()
    }

    #[test]
    fn flags_what_safe_mode_asks_about() {
        assert_eq!(
            reasons("update t set a = 1"),
            vec!["UPDATE without WHERE changes every row"]
        );
        assert!(reasons("update t set a = 1 where id = 2").is_empty());
        assert_eq!(
            reasons("delete from t"),
            vec!["DELETE without WHERE removes every row"]
        );
        assert!(reasons("delete from t where x in (select 1)").is_empty());
        // a WHERE in a subquery does not protect the outer statement
        assert_eq!(
            reasons("update t set a = (select b from u where u.id = 1)").len(),
            1
        );
        assert_eq!(
            reasons("with x as (select 1 where true) delete from t").len(),
            1
        );
        // a data-modifying CTE runs whatever the outer statement is
        assert_eq!(
            reasons("with x as (delete from t returning *) select * from x").len(),
            1
        );
        assert!(
            reasons("with x as (delete from t where id = 1 returning *) select * from x")
                .is_empty()
        );
        assert_eq!(
            reasons("drop table t; select 1; truncate u; alter table v add c int").len(),
            3
        );
        assert!(reasons("select 'drop table t'").is_empty());
        assert!(reasons("-- delete from t\nselect 1").is_empty());
        assert!(reasons("insert into t select * from u").is_empty());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC*") {
            let _ = risks(&s);
        }
    }
}
