//! Activity queries on the monitor connection. Runs in autocommit, so every poll sees a fresh
//! statistics snapshot (see reference/diagnostics.md §2.6a).

use tokio_postgres::Client;
use tokio_postgres::types::Type;

use super::DbError;
use crate::model::activity::Session;

const ACTIVITY: &str = include_str!("sql/activity.sql");

/// Every session of the cluster visible to this role. `own_pids` marks pgdeck's own connections.
pub async fn sessions(client: &Client, own_pids: &[i32]) -> Result<Vec<Session>, DbError> {
    let rows = client
        .query_typed(ACTIVITY, &[(&own_pids, Type::INT4_ARRAY)])
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(Session {
            pid: r.try_get("pid")?,
            user: r.try_get("usename")?,
            database: r.try_get("datname")?,
            application: r.try_get("application")?,
            client: r.try_get("client")?,
            backend_type: r.try_get("backend_type")?,
            state: r.try_get("state")?,
            wait_event_type: r.try_get("wait_event_type")?,
            wait_event: r.try_get("wait_event")?,
            xact_age_s: r.try_get("xact_age_s")?,
            query_age_s: r.try_get("query_age_s")?,
            blocked_by: r.try_get("blocked_by")?,
            query: r.try_get("query")?,
            own: r.try_get::<_, Option<bool>>("own")?.unwrap_or(false),
        });
    }
    Ok(out)
}
