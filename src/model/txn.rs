//! The transaction state of the work connection as the user knows it from psql's prompt: idle, in a
//! transaction block, or in a failed block. The server reports it in every ReadyForQuery message
//! (`db::wire` reads it); this module only names the states and must not guess them from SQL text.

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

#[cfg(test)]
mod tests {
    use super::*;

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
