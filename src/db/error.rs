//! `DbError`: what went wrong with a database request, as plain data the UI can show without importing
//! the driver. Server errors keep SQLSTATE, message, detail, hint, context and position.

use serde::Serialize;

/// An error reported by the server (an ErrorResponse), field by field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerError {
    pub severity: String,
    /// Five-character SQLSTATE, e.g. `42P01`.
    pub sqlstate: String,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    /// Where the error happened (PL/pgSQL call stack, SQL function...).
    pub context: Option<String>,
    /// 1-based character position in the statement text that was sent, when the server gives one.
    pub position: Option<u32>,
}

/// A NoticeResponse: a NOTICE, WARNING, INFO... the server sends along with results (`RAISE
/// NOTICE`, "table does not exist, skipping"). Same fields as [`ServerError`]; it does not end the
/// statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// As the server words it (may be localized), e.g. `NOTICE`, `WARNING`.
    pub severity: String,
    /// Five-character SQLSTATE, e.g. `01000` for a warning, `00000` for a plain notice.
    pub sqlstate: String,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
    /// Where it was raised (PL/pgSQL call stack...).
    pub context: Option<String>,
    /// 1-based character position in the statement text that was sent, when the server gives one.
    pub position: Option<u32>,
}

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DbError {
    #[error("{}: {} (SQLSTATE {})", .0.severity, .0.message, .0.sqlstate)]
    Server(ServerError),
    /// The connection broke while the request ran (server restart, backend terminated, network).
    #[error("connection lost: {0}")]
    ConnectionLost(String),
    /// There is no usable connection and reconnecting failed.
    #[error("not connected: {0}")]
    NotConnected(String),
    /// The server did not answer in time although its own timeouts should have fired: it is
    /// stopped, swamped, or the network is gone.
    #[error("no answer from the server within {0} s; it may be stopped or overloaded")]
    NoAnswer(u64),
    /// The request was refused before reaching the server (e.g. a statement is already running).
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Other(String),
}

impl DbError {
    /// The server error, when this is one.
    pub fn server(&self) -> Option<&ServerError> {
        match self {
            DbError::Server(s) => Some(s),
            _ => None,
        }
    }

    /// SQLSTATE, when the server sent one.
    pub fn sqlstate(&self) -> Option<&str> {
        self.server().map(|s| s.sqlstate.as_str())
    }

    /// True for `57014 query_canceled` (a cancel request or statement_timeout).
    pub fn is_cancel(&self) -> bool {
        self.sqlstate() == Some("57014")
    }
}

impl From<tokio_postgres::Error> for DbError {
    fn from(e: tokio_postgres::Error) -> Self {
        DbError::from(&e)
    }
}

impl From<&tokio_postgres::Error> for DbError {
    fn from(e: &tokio_postgres::Error) -> Self {
        if let Some(db) = e.as_db_error() {
            let position = match db.position() {
                Some(tokio_postgres::error::ErrorPosition::Original(p)) => Some(*p),
                _ => None,
            };
            return DbError::Server(ServerError {
                severity: db.severity().to_string(),
                sqlstate: db.code().code().to_string(),
                message: db.message().to_string(),
                detail: db.detail().map(str::to_string),
                hint: db.hint().map(str::to_string),
                context: db.where_().map(str::to_string),
                position,
            });
        }
        if e.is_closed() {
            return DbError::ConnectionLost("the server closed the connection".into());
        }
        // I/O errors (connection reset, broken pipe) surface without a DbError; keep the whole chain.
        let mut msg = e.to_string();
        let mut src = std::error::Error::source(e);
        while let Some(s) = src {
            let s_msg = s.to_string();
            if !msg.contains(&s_msg) {
                msg.push_str(": ");
                msg.push_str(&s_msg);
            }
            src = s.source();
        }
        if msg.contains("connection") || msg.contains("broken pipe") || msg.contains("reset") {
            DbError::ConnectionLost(msg)
        } else {
            DbError::Other(msg)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_severity_message_and_sqlstate() {
        let e = DbError::Server(ServerError {
            severity: "ERROR".into(),
            sqlstate: "42P01".into(),
            message: "relation \"nope\" does not exist".into(),
            detail: None,
            hint: None,
            context: None,
            position: Some(15),
        });
        assert_eq!(
            e.to_string(),
            "ERROR: relation \"nope\" does not exist (SQLSTATE 42P01)"
        );
        assert_eq!(e.sqlstate(), Some("42P01"));
        assert!(!e.is_cancel());
    }
}
