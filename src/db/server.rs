//! Facts about the server read once at connect, and the monitor connection's session settings.

use tokio_postgres::Client;

use super::{DbError, Settings};
use crate::model::server::{Extension, RoleInfo, ServerInfo};

const SERVER_INFO: &str = include_str!("sql/server_info.sql");
const EXTENSIONS: &str = include_str!("sql/extensions.sql");
const MONITOR_SETUP: &str = include_str!("sql/monitor_setup.sql");

/// Apply the monitor session settings (jit off, statement and lock timeouts).
pub async fn prepare_monitor(client: &Client, settings: &Settings) -> Result<(), DbError> {
    // The values are integers from our own config, so formatting them in is safe.
    let sql = MONITOR_SETUP
        .replace(
            "{statement_timeout_ms}",
            &settings.statement_timeout_ms.to_string(),
        )
        .replace("{lock_timeout_ms}", &settings.lock_timeout_ms.to_string());
    client.batch_execute(&sql).await?;
    Ok(())
}

/// The backend pid of a connection.
pub async fn backend_pid(client: &Client) -> Result<i32, DbError> {
    let row = client
        .query_typed_one("select pg_backend_pid()", &[])
        .await?;
    Ok(row.try_get(0)?)
}

/// Read the server facts and the monitor's own backend pid.
pub async fn server_info(client: &Client) -> Result<(ServerInfo, i32), DbError> {
    let row = client.query_typed_one(SERVER_INFO, &[]).await?;
    let ext_rows = client.query_typed(EXTENSIONS, &[]).await?;
    let mut extensions = Vec::with_capacity(ext_rows.len());
    for r in &ext_rows {
        extensions.push(Extension {
            name: r.try_get(0)?,
            version: r.try_get(1)?,
            schema: r.try_get(2)?,
        });
    }
    let version_num: i32 = row.try_get("version_num")?;
    let info = ServerInfo {
        version_num: u32::try_from(version_num).unwrap_or(0),
        version: row.try_get("version")?,
        in_recovery: row.try_get("in_recovery")?,
        database: row.try_get("database")?,
        user: row.try_get("user")?,
        role: RoleInfo {
            superuser: row.try_get("rolsuper")?,
            create_role: row.try_get("rolcreaterole")?,
            create_db: row.try_get("rolcreatedb")?,
            replication: row.try_get("rolreplication")?,
            bypass_rls: row.try_get("rolbypassrls")?,
            pg_monitor: row.try_get("pg_monitor")?,
            pg_signal_backend: row.try_get("pg_signal_backend")?,
        },
        read_only: row.try_get("read_only")?,
        extensions,
        started_at: row.try_get("started_at")?,
        stats_reset: row.try_get("stats_reset")?,
    };
    Ok((info, row.try_get("pid")?))
}
