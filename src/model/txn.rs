//! The transaction state of the work connection as the user knows it from psql's prompt: idle, in a
//! transaction block, or in a failed block. The server reports it in every ReadyForQuery message
//! (`db::wire` reads it); this module names the states and never guesses them from SQL text. It also
//! holds the manual-commit rules (psql's AUTOCOMMIT off and ON_ERROR_ROLLBACK): which statements get
//! an implicit BEGIN, and which must not run inside a savepoint.

/// Transaction state shown in the status bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TxStatus {
    #[default]
    Idle,
    InTransaction,
    Failed,
}

impl TxStatus {
    /// The state a ReadyForQuery status byte reports: `I` idle, `T` in a transaction block, `E` in
    /// a failed transaction block. `None` for any other byte (a protocol error).
    pub fn from_ready_status(byte: u8) -> Option<TxStatus> {
        match byte {
            b'I' => Some(TxStatus::Idle),
            b'T' => Some(TxStatus::InTransaction),
            b'E' => Some(TxStatus::Failed),
            _ => None,
        }
    }

    /// The word the status bar shows.
    pub fn label(self) -> &'static str {
        match self {
            TxStatus::Idle => "idle",
            TxStatus::InTransaction => "in transaction",
            TxStatus::Failed => "failed transaction",
        }
    }
}

/// How the work connection runs user statements, as psql's `AUTOCOMMIT` and `ON_ERROR_ROLLBACK`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxMode {
    /// Off: a statement run while idle first opens a transaction (`BEGIN`), which stays open until
    /// the user commits or rolls back.
    pub autocommit: bool,
    /// Inside a transaction, each run is wrapped in a savepoint; an error rolls back to it, so the
    /// transaction survives the mistake.
    pub on_error_rollback: bool,
}

impl Default for TxMode {
    fn default() -> Self {
        TxMode {
            autocommit: true,
            on_error_rollback: false,
        }
    }
}

/// The first words of `stmt` in upper case; comments, whitespace, parentheses and commas skipped
/// (so `REINDEX (VERBOSE, CONCURRENTLY) ...` shows its options).
fn words(stmt: &str, n: usize) -> Vec<String> {
    use super::sql_lex::{Lexer, TokKind};
    let mut out = Vec::new();
    for tok in Lexer::new(stmt) {
        match tok.kind {
            TokKind::Word => {
                out.push(stmt[tok.range].to_ascii_uppercase());
                if out.len() == n {
                    break;
                }
            }
            TokKind::Space
            | TokKind::LineComment
            | TokKind::BlockComment
            | TokKind::Open
            | TokKind::Close
            | TokKind::Punct => {}
            _ => break,
        }
    }
    out
}

/// Whether `stmt` begins, ends or marks a transaction itself (BEGIN, COMMIT, SAVEPOINT, PREPARE
/// TRANSACTION...): manual-commit mode adds nothing around it.
pub fn controls_transaction(stmt: &str) -> bool {
    let w = words(stmt, 2);
    match w.first().map(String::as_str) {
        Some("BEGIN" | "START" | "COMMIT" | "END" | "ROLLBACK" | "ABORT" | "SAVEPOINT") => true,
        Some("RELEASE") => true,
        Some("PREPARE") => w.get(1).is_some_and(|x| x == "TRANSACTION"),
        _ => false,
    }
}

/// Whether `stmt` cannot run inside a transaction block, so manual-commit mode must not open one
/// for it (psql's list: VACUUM, CREATE/DROP DATABASE and TABLESPACE, ALTER SYSTEM, the CONCURRENTLY
/// index commands, REINDEX DATABASE/SYSTEM, CLUSTER without a table, DISCARD ALL).
pub fn cannot_run_in_transaction(stmt: &str) -> bool {
    let w = words(stmt, 6);
    let at = |i: usize| w.get(i).map(String::as_str).unwrap_or("");
    match at(0) {
        "VACUUM" => true,
        "CLUSTER" => at(1).is_empty() || at(1) == "VERBOSE" && at(2).is_empty(),
        "CREATE" | "DROP" => match at(1) {
            "DATABASE" | "TABLESPACE" => true,
            "INDEX" => at(2) == "CONCURRENTLY",
            "UNIQUE" => at(2) == "INDEX" && at(3) == "CONCURRENTLY",
            _ => false,
        },
        "ALTER" => at(1) == "SYSTEM",
        // options in parentheses are skipped by the word reader: `REINDEX (VERBOSE) DATABASE d`
        "REINDEX" => w
            .iter()
            .any(|x| matches!(x.as_str(), "DATABASE" | "SYSTEM" | "CONCURRENTLY")),
        "DISCARD" => at(1) == "ALL",
        _ => false,
    }
}

/// Whether manual-commit mode opens a transaction before running these statements while idle.
pub fn wants_implicit_begin(statements: &[&str]) -> bool {
    match statements.first() {
        Some(first) => !controls_transaction(first) && !cannot_run_in_transaction(first),
        None => false,
    }
}

/// Whether a run inside a transaction may be wrapped in an ON_ERROR_ROLLBACK savepoint: not when it
/// controls the transaction itself or holds a statement that cannot run in one.
pub fn savepoint_allowed(statements: &[&str]) -> bool {
    !statements.is_empty()
        && statements
            .iter()
            .all(|s| !controls_transaction(s) && !cannot_run_in_transaction(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implicit_begin_follows_psql() {
        for yes in [
            "select 1",
            "update t set a = 1",
            "create index i on t(a)",
            "-- c\ninsert into t values (1)",
        ] {
            assert!(wants_implicit_begin(&[yes]), "{yes}");
        }
        for no in [
            "begin",
            "START TRANSACTION",
            "commit",
            "end",
            "rollback",
            "savepoint a",
            "release a",
            "prepare transaction 'x'",
            "vacuum t",
            "create database d",
            "drop tablespace x",
            "create index concurrently i on t(a)",
            "create unique index concurrently i on t(a)",
            "drop index concurrently i",
            "reindex database d",
            "reindex (verbose) table concurrently t",
            "reindex table concurrently t",
            "alter system set work_mem = '1MB'",
            "cluster",
            "discard all",
        ] {
            assert!(!wants_implicit_begin(&[no]), "{no}");
        }
        assert!(!wants_implicit_begin(&[]));
        // PREPARE of a statement is not PREPARE TRANSACTION
        assert!(wants_implicit_begin(&["prepare q as select 1"]));
        assert!(wants_implicit_begin(&["cluster t using i"]));
    }

    #[test]
    fn savepoints_wrap_only_plain_statements() {
        assert!(savepoint_allowed(&["insert into t values (1)", "select 1"]));
        assert!(!savepoint_allowed(&["insert into t values (1)", "commit"]));
        assert!(!savepoint_allowed(&["vacuum"]));
        assert!(!savepoint_allowed(&[]));
    }

    #[test]
    fn ready_for_query_bytes() {
        assert_eq!(TxStatus::from_ready_status(b'I'), Some(TxStatus::Idle));
        assert_eq!(
            TxStatus::from_ready_status(b'T'),
            Some(TxStatus::InTransaction)
        );
        assert_eq!(TxStatus::from_ready_status(b'E'), Some(TxStatus::Failed));
        assert_eq!(TxStatus::from_ready_status(b'X'), None);
    }
}
