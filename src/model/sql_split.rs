//! Splits SQL text into statements the way psql does: semicolons inside quotes, quoted identifiers,
//! dollar-quoted bodies, comments, parentheses and `BEGIN ATOMIC ... END` bodies do not end a statement.
//! Lines starting with a backslash (psql meta-commands such as `\d users`) are statements of their own that
//! end at the end of the line. Pure text work: no IO, no knowledge of the server.

use std::ops::Range;

use super::sql_lex::{Lexer, TokKind};

/// One statement of a buffer: its byte range in the original text (trimmed of surrounding whitespace,
/// including the terminating semicolon when there is one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub range: Range<usize>,
    /// Whether the statement is a psql meta-command (`\d`, `\x`...), not SQL for the server.
    pub meta: bool,
}

impl Statement {
    /// The statement's text within `sql`.
    pub fn text<'a>(&self, sql: &'a str) -> &'a str {
        &sql[self.range.clone()]
    }
}

/// Split `sql` into statements. Empty statements (only whitespace, comments or a lone `;`) are dropped.
pub fn split(sql: &str) -> Vec<Statement> {
    let mut out = Vec::new();
    let mut start = 0usize;
    let mut has_content = false;
    let mut paren_depth = 0i32;
    let mut begin_depth = 0i32;
    // The words seen so far in this statement, to recognise `BEGIN ATOMIC` and keep plain `BEGIN;` apart.
    let mut prev_word_begin = false;
    for tok in Lexer::new(sql) {
        match tok.kind {
            TokKind::Space | TokKind::LineComment | TokKind::BlockComment => continue,
            TokKind::Meta => {
                // A meta-command ends the statement before it (as psql sends the buffer first).
                if has_content {
                    push(&mut out, sql, start..tok.range.start, false);
                }
                push(&mut out, sql, tok.range.clone(), true);
                start = tok.range.end;
                has_content = false;
                paren_depth = 0;
                begin_depth = 0;
                prev_word_begin = false;
                continue;
            }
            TokKind::Semicolon if paren_depth <= 0 && begin_depth <= 0 => {
                if has_content {
                    push(&mut out, sql, start..tok.range.end, false);
                }
                start = tok.range.end;
                has_content = false;
                paren_depth = 0;
                begin_depth = 0;
                prev_word_begin = false;
                continue;
            }
            TokKind::Open => paren_depth += 1,
            TokKind::Close => paren_depth -= 1,
            TokKind::Word => {
                let w = &sql[tok.range.clone()];
                let opens_atomic = prev_word_begin && w.eq_ignore_ascii_case("atomic");
                // CASE ... END inside an atomic body must not close the body.
                let opens_case = begin_depth > 0 && w.eq_ignore_ascii_case("case");
                if opens_atomic || opens_case {
                    begin_depth += 1;
                } else if begin_depth > 0 && w.eq_ignore_ascii_case("end") {
                    begin_depth -= 1;
                }
                prev_word_begin = w.eq_ignore_ascii_case("begin");
                has_content = true;
                continue;
            }
            _ => {}
        }
        prev_word_begin = false;
        has_content = true;
    }
    if has_content {
        push(&mut out, sql, start..sql.len(), false);
    }
    out
}

/// The statement that holds byte offset `cursor`, or the nearest one before it when the cursor sits in
/// whitespace after a statement (as users expect after typing `select 1;` and pressing run).
pub fn statement_at(sql: &str, cursor: usize) -> Option<Statement> {
    let stmts = split(sql);
    if let Some(s) = stmts
        .iter()
        .find(|s| s.range.start <= cursor && cursor <= s.range.end)
    {
        return Some(s.clone());
    }
    stmts
        .iter()
        .rev()
        .find(|s| s.range.end <= cursor)
        .or_else(|| stmts.first())
        .cloned()
}

/// The first keywords of a statement, upper-cased, skipping comments and opening parentheses: enough to
/// tell `BEGIN`, `COMMIT`, `ROLLBACK TO SAVEPOINT`, `PREPARE TRANSACTION` and friends apart.
pub fn leading_words(stmt: &str, n: usize) -> Vec<String> {
    let mut words = Vec::new();
    for tok in Lexer::new(stmt) {
        match tok.kind {
            TokKind::Space | TokKind::LineComment | TokKind::BlockComment | TokKind::Open => {
                continue;
            }
            TokKind::Word => {
                words.push(stmt[tok.range].to_ascii_uppercase());
                if words.len() == n {
                    break;
                }
            }
            _ => break,
        }
    }
    words
}

fn push(out: &mut Vec<Statement>, sql: &str, range: Range<usize>, meta: bool) {
    let text = &sql[range.clone()];
    let lead = text.len() - text.trim_start().len();
    let trail = text.len() - text.trim_end().len();
    let r = range.start + lead..range.end - trail;
    if r.start < r.end && (meta || has_sql(&sql[r.clone()])) {
        out.push(Statement { range: r, meta });
    }
}

/// True when the text holds something other than comments, whitespace and semicolons.
fn has_sql(text: &str) -> bool {
    for tok in Lexer::new(text) {
        match tok.kind {
            TokKind::Space | TokKind::LineComment | TokKind::BlockComment | TokKind::Semicolon => {}
            _ => return true,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<&str> {
        split(sql).iter().map(|s| s.text(sql)).collect()
    }

    #[test]
    fn splits_on_semicolons_outside_quotes() {
        assert_eq!(
            texts("select 1; select 'a;b';\nselect \"x;y\" from t"),
            vec!["select 1;", "select 'a;b';", "select \"x;y\" from t"]
        );
    }

    #[test]
    fn doubled_quotes_and_e_strings() {
        assert_eq!(
            texts("select 'it''s;'; select E'a\\';b'; select 2"),
            vec!["select 'it''s;';", "select E'a\\';b';", "select 2"]
        );
        // a plain string does not treat backslash as an escape (standard_conforming_strings)
        assert_eq!(
            texts("select 'C:\\'; select 3"),
            vec!["select 'C:\\';", "select 3"]
        );
    }

    #[test]
    fn dollar_quotes_and_parameters() {
        let sql = "create function f() returns int as $$ select 1; $$ language sql; select $tag$ a;$$;b $tag$; select $1;";
        assert_eq!(
            texts(sql),
            vec![
                "create function f() returns int as $$ select 1; $$ language sql;",
                "select $tag$ a;$$;b $tag$;",
                "select $1;"
            ]
        );
    }

    #[test]
    fn comments_nested_and_line() {
        let sql = "/* a; /* b; */ c; */ select 1; -- x; y\nselect 2;";
        assert_eq!(
            texts(sql),
            vec!["/* a; /* b; */ c; */ select 1;", "-- x; y\nselect 2;"]
        );
        assert!(texts("-- only a comment;\n  ;  ").is_empty());
    }

    #[test]
    fn begin_atomic_bodies_keep_their_semicolons() {
        let sql = "create function f(a int) returns int language sql begin atomic select 1; select case when a > 0 then 1 else 2 end; end; select 5;";
        assert_eq!(
            texts(sql),
            vec![
                "create function f(a int) returns int language sql begin atomic select 1; select case when a > 0 then 1 else 2 end; end;",
                "select 5;"
            ]
        );
        // a transaction BEGIN is an ordinary statement
        assert_eq!(
            texts("begin; select 1; commit;"),
            vec!["begin;", "select 1;", "commit;"]
        );
    }

    #[test]
    fn meta_commands_are_their_own_statements() {
        let sql = "select 1\n\\d users\nselect 2;";
        let st = split(sql);
        assert_eq!(texts(sql), vec!["select 1", "\\d users", "select 2;"]);
        assert!(st[1].meta && !st[0].meta);
    }

    #[test]
    fn statement_under_cursor() {
        let sql = "select 1;\nselect 2;\n\n";
        let at = |c| statement_at(sql, c).map(|s| s.text(sql).to_string());
        assert_eq!(at(0).as_deref(), Some("select 1;"));
        assert_eq!(at(12).as_deref(), Some("select 2;"));
        assert_eq!(at(sql.len()).as_deref(), Some("select 2;"));
        assert_eq!(statement_at("", 0), None);
    }

    #[test]
    fn leading_words_skip_comments() {
        assert_eq!(
            leading_words("/* x */ rollback to savepoint a", 3),
            vec!["ROLLBACK", "TO", "SAVEPOINT"]
        );
        assert_eq!(leading_words("(select 1)", 1), vec!["SELECT"]);
    }

    #[test]
    fn multibyte_text_keeps_char_boundaries() {
        let sql = "select '日本;語'; select «x»; select 'é'";
        assert_eq!(
            texts(sql),
            vec!["select '日本;語';", "select «x»;", "select 'é'"]
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_ranges_are_in_bounds(s in "\\PC*") {
            for st in split(&s) {
                proptest::prop_assert!(st.range.end <= s.len());
                proptest::prop_assert!(s.is_char_boundary(st.range.start) && s.is_char_boundary(st.range.end));
            }
            let _ = statement_at(&s, s.len() / 2);
        }

        #[test]
        fn joining_simple_statements_round_trips(parts in proptest::collection::vec("[a-z0-9 ']{1,12}", 1..6)) {
            // statements made of words and balanced quotes split back into the same pieces
            let parts: Vec<String> = parts.into_iter()
                .map(|p| p.replace('\'', "''"))
                .map(|p| format!("select '{p}' as x;"))
                .collect();
            let sql = parts.join("\n");
            let got: Vec<&str> = split(&sql).iter().map(|s| s.text(&sql)).collect();
            proptest::prop_assert_eq!(got, parts.iter().map(String::as_str).collect::<Vec<_>>());
        }
    }
}
