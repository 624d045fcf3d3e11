//! Building the EXPLAIN statement pgdeck runs for a user statement: the options the server supports
//! (ANALYZE, BUFFERS, VERBOSE, SETTINGS 12+, WAL 13+ for writes, GENERIC_PLAN 16+ for `$1` statements
//! without ANALYZE), and whether the statement writes, in which case ANALYZE runs it inside
//! BEGIN … ROLLBACK. Pure text work; `db::explain` runs it.

use crate::model::sql_lex::{Lexer, TokKind};
use crate::model::sql_split::leading_words;

/// The EXPLAIN options asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExplainOptions {
    pub analyze: bool,
    pub buffers: bool,
    pub verbose: bool,
    pub settings: bool,
}

impl ExplainOptions {
    /// What `alt-e` asks for: everything useful.
    pub fn full() -> Self {
        ExplainOptions {
            analyze: true,
            buffers: true,
            verbose: true,
            settings: true,
        }
    }

    /// What `ctrl-e` asks for: the plan without running the statement.
    pub fn plan_only() -> Self {
        ExplainOptions {
            analyze: false,
            buffers: false,
            verbose: true,
            settings: true,
        }
    }
}

/// What to send and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExplainStatement {
    /// `EXPLAIN (…, FORMAT JSON) <statement>`.
    pub sql: String,
    /// The statement changes data and ANALYZE runs it: wrap in BEGIN … ROLLBACK.
    pub rollback: bool,
}

/// Whether a statement may change data (anything but a plain query; data-modifying CTEs and
/// `FOR UPDATE` count as writes).
pub fn statement_writes(sql: &str) -> bool {
    let lead = leading_words(sql, 1);
    let first = lead.first().map(String::as_str).unwrap_or("");
    if !matches!(first, "SELECT" | "WITH" | "VALUES" | "TABLE" | "SHOW") {
        return true;
    }
    Lexer::new(sql).any(|t| {
        t.kind == TokKind::Word
            && matches!(
                sql[t.range].to_ascii_uppercase().as_str(),
                "INSERT" | "UPDATE" | "DELETE" | "MERGE" | "INTO"
            )
    })
}

/// Whether the statement has `$n` parameters (outside strings and comments).
pub fn has_parameters(sql: &str) -> bool {
    Lexer::new(sql).any(|t| t.kind == TokKind::Param)
}

/// Build the EXPLAIN for `statement` on a server of `version_num`. Errors: empty, or already an
/// EXPLAIN.
pub fn build(
    statement: &str,
    opts: ExplainOptions,
    version_num: u32,
) -> Result<ExplainStatement, String> {
    let stmt = statement.trim().trim_end_matches(';').trim_end();
    if stmt.is_empty() {
        return Err("nothing to explain: the statement is empty".into());
    }
    if leading_words(stmt, 1).first().map(String::as_str) == Some("EXPLAIN") {
        return Err(
            "the statement is an EXPLAIN already: run it, or explain the statement inside".into(),
        );
    }
    let writes = statement_writes(stmt);
    let mut o = Vec::new();
    if opts.analyze {
        o.push("ANALYZE");
    }
    if opts.buffers || opts.analyze {
        o.push("BUFFERS");
    }
    if opts.verbose {
        o.push("VERBOSE");
    }
    if opts.settings && version_num >= 120000 {
        o.push("SETTINGS");
    }
    if opts.analyze && writes && version_num >= 130000 {
        o.push("WAL");
    }
    if !opts.analyze && version_num >= 160000 && has_parameters(stmt) {
        o.push("GENERIC_PLAN");
    }
    o.push("FORMAT JSON");
    Ok(ExplainStatement {
        sql: format!("EXPLAIN ({}) {stmt}", o.join(", ")),
        rollback: opts.analyze && writes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_detected() {
        assert!(!statement_writes("select * from t where a = 1"));
        assert!(statement_writes("delete from t"));
        assert!(statement_writes(
            "with x as (delete from t returning *) select * from x"
        ));
        assert!(statement_writes("select * into t2 from t"));
        assert!(!statement_writes("select 'delete from t'"));
    }

    #[test]
    fn options_by_version() {
        let e = build("update t set a = 1;", ExplainOptions::full(), 170000).unwrap();
        assert_eq!(
            e.sql,
            "EXPLAIN (ANALYZE, BUFFERS, VERBOSE, SETTINGS, WAL, FORMAT JSON) update t set a = 1"
        );
        assert!(e.rollback);
        let e = build("select $1::int", ExplainOptions::plan_only(), 160000).unwrap();
        assert!(e.sql.contains("GENERIC_PLAN"));
        assert!(!e.rollback);
        let e = build("select 1", ExplainOptions::plan_only(), 110000).unwrap();
        assert_eq!(e.sql, "EXPLAIN (VERBOSE, FORMAT JSON) select 1");
        assert!(build("explain select 1", ExplainOptions::full(), 170000).is_err());
        assert!(build("  ; ", ExplainOptions::full(), 170000).is_err());
    }
}
