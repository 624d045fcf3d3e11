//! Rows of pg_stat_activity as the activity pane lists them. The full monitor (blocking trees, vitals)
//! grows here; the foundation needs the session list.

use serde::Serialize;

/// One server process from pg_stat_activity.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Session {
    pub pid: i32,
    pub user: Option<String>,
    pub database: Option<String>,
    pub application: String,
    pub client: Option<String>,
    pub backend_type: String,
    /// `active`, `idle`, `idle in transaction`... `None` for background processes.
    pub state: Option<String>,
    pub wait_event_type: Option<String>,
    pub wait_event: Option<String>,
    /// Seconds since the transaction started.
    pub xact_age_s: Option<f64>,
    /// Seconds since the current/last query started.
    pub query_age_s: Option<f64>,
    pub blocked_by: Vec<i32>,
    /// The query text, or `<insufficient privilege>` as the server says it.
    pub query: String,
    /// One of pgdeck's own connections.
    pub own: bool,
}
