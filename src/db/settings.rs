//! Server parameters on the monitor connection: every `pg_settings` row this role can see (the
//! Settings view), and the `setting` check of the health report (risks, and the tuned parameters
//! against the hardware, ruled by `model::settings`). Works for any role: pg_settings is readable
//! by all, it only hides the source file and superuser-only parameters. Nothing here imports
//! ratatui or crossterm.

use tokio_postgres::Client;

use super::DbError;
use crate::model::health::Finding;
use crate::model::settings::{self, Setting, SettingsFacts, TuneContext};

const SETTINGS: &str = include_str!("sql/health/setting.sql");
const FACTS: &str = include_str!("sql/settings/facts.sql");

/// Every parameter this role can see, with the facts the findings and fixes need.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SettingsSnapshot {
    pub settings: Vec<Setting>,
    pub facts: SettingsFacts,
    /// `server_version_num`.
    pub version_num: u32,
}

/// Read every row of pg_settings.
pub async fn load_settings(client: &Client) -> Result<Vec<Setting>, DbError> {
    let rows = client.query_typed(SETTINGS, &[]).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(Setting {
            name: r.try_get(0)?,
            setting: r.try_get::<_, Option<String>>(1)?.unwrap_or_default(),
            unit: r.try_get(2)?,
            vartype: r.try_get::<_, Option<String>>(3)?.unwrap_or_default(),
            context: r.try_get::<_, Option<String>>(4)?.unwrap_or_default(),
            source: r.try_get::<_, Option<String>>(5)?.unwrap_or_default(),
            sourcefile: r.try_get(6)?,
            sourceline: r.try_get(7)?,
            boot_val: r.try_get(8)?,
            reset_val: r.try_get(9)?,
            pending_restart: r.try_get::<_, Option<bool>>(10)?.unwrap_or(false),
            short_desc: r.try_get(11)?,
            category: r.try_get(12)?,
        });
    }
    Ok(out)
}

/// Read the database, role, connection counts and long idle transactions.
pub async fn load_facts(client: &Client) -> Result<SettingsFacts, DbError> {
    let r = client.query_typed_one(FACTS, &[]).await?;
    Ok(SettingsFacts {
        database: r.try_get(0)?,
        user: r.try_get(1)?,
        client_connections: r.try_get::<_, Option<i64>>(2)?.unwrap_or(0),
        idle_in_tx_long: r.try_get::<_, Option<i64>>(3)?.unwrap_or(0),
        idle_in_tx_oldest_s: r.try_get(4)?,
    })
}

/// The Settings view's data: every parameter and the facts.
pub async fn snapshot(client: &Client) -> Result<SettingsSnapshot, DbError> {
    let settings = load_settings(client).await?;
    let facts = load_facts(client).await?;
    let v: String = client
        .query_typed_one("select current_setting('server_version_num')", &[])
        .await?
        .try_get(0)?;
    Ok(SettingsSnapshot {
        settings,
        facts,
        version_num: v.parse().unwrap_or(0),
    })
}

/// The `setting` check: the risks, and with the hardware known the parameters far from their target.
pub async fn check(
    client: &Client,
    ctx: &TuneContext,
    version_num: u32,
) -> Result<Vec<Finding>, DbError> {
    let all = load_settings(client).await?;
    let facts = load_facts(client).await?;
    Ok(settings::findings(&all, &facts, ctx, version_num / 10000))
}
