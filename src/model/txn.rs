//! The transaction state of the work connection as the user knows it from psql's prompt: idle, in a
//! transaction block, or in a failed block. tokio-postgres does not expose the ReadyForQuery status byte,
//! so the state is derived from what ran: the leading keywords of each statement that completed and
//! whether the batch ended in an error. The rules follow the server's: an error inside an explicit block
//! fails it; an error in an implicit (multi-statement) transaction rolls it back and leaves no block.

use super::sql_split::leading_words;

/// Transaction state shown in the status bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TxStatus {
    #[default]
    Idle,
    InTransaction,
    Failed,
}

impl TxStatus {
    /// The word the status bar shows.
    pub fn label(self) -> &'static str {
        match self {
            TxStatus::Idle => "idle",
            TxStatus::InTransaction => "in transaction",
            TxStatus::Failed => "failed transaction",
        }
    }
}

/// The state after one statement completed successfully, given the state before it.
pub fn after_success(before: TxStatus, statement: &str) -> TxStatus {
    let w = leading_words(statement, 3);
    let w: Vec<&str> = w.iter().map(String::as_str).collect();
    match w.as_slice() {
        ["BEGIN", ..] | ["START", "TRANSACTION", ..] => TxStatus::InTransaction,
        ["COMMIT", "PREPARED", ..] | ["ROLLBACK", "PREPARED", ..] => before,
        ["COMMIT", ..] | ["END", ..] | ["ABORT", ..] => TxStatus::Idle,
        ["ROLLBACK", "TO", ..] => match before {
            TxStatus::Idle => TxStatus::Idle,
            _ => TxStatus::InTransaction,
        },
        ["ROLLBACK", ..] => TxStatus::Idle,
        ["PREPARE", "TRANSACTION", ..] => TxStatus::Idle,
        _ => match before {
            // Only ROLLBACK/COMMIT succeed in a failed block, and those are handled above.
            TxStatus::Failed => TxStatus::Failed,
            other => other,
        },
    }
}

/// The state after a batch whose first `completed` statements succeeded and whose next one failed.
pub fn after_error(before_batch: TxStatus, statements: &[&str], completed: usize) -> TxStatus {
    let mut state = before_batch;
    for s in statements.iter().take(completed) {
        state = after_success(state, s);
    }
    match state {
        TxStatus::Idle => TxStatus::Idle,
        TxStatus::InTransaction | TxStatus::Failed => TxStatus::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TxStatus::*;

    #[test]
    fn explicit_blocks() {
        assert_eq!(after_success(Idle, "begin"), InTransaction);
        assert_eq!(
            after_success(Idle, "START TRANSACTION ISOLATION LEVEL SERIALIZABLE"),
            InTransaction
        );
        assert_eq!(after_success(InTransaction, "select 1"), InTransaction);
        assert_eq!(after_success(InTransaction, "commit"), Idle);
        assert_eq!(after_success(InTransaction, "end"), Idle);
        assert_eq!(
            after_success(InTransaction, "PREPARE TRANSACTION 'x'"),
            Idle
        );
        assert_eq!(after_success(Idle, "commit prepared 'x'"), Idle);
    }

    #[test]
    fn failed_blocks_recover_by_rollback_or_savepoint() {
        assert_eq!(after_success(Failed, "rollback"), Idle);
        assert_eq!(after_success(Failed, "commit"), Idle);
        assert_eq!(
            after_success(Failed, "rollback to savepoint a"),
            InTransaction
        );
        assert_eq!(
            after_success(Failed, "/* c */ ROLLBACK TO a"),
            InTransaction
        );
    }

    #[test]
    fn errors_fail_explicit_blocks_only() {
        assert_eq!(after_error(Idle, &["select 1/0"], 0), Idle);
        assert_eq!(after_error(InTransaction, &["select 1/0"], 0), Failed);
        assert_eq!(after_error(Idle, &["begin", "select 1/0"], 1), Failed);
        assert_eq!(
            after_error(Idle, &["begin", "commit", "select 1/0"], 2),
            Idle
        );
    }
}
