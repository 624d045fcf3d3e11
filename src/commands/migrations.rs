//! `pgdeck schema --migrations [CONNINFO] [SCHEMA]`: the applied history of every migration tool's
//! history table found (the schema browser's `migrations` nodes), as text or JSON. Same
//! `db::migrations` reading and `model::migrations` layout as the browser. Failures are reported, not
//! judged: `pgdeck check --group migrations` is the gate.

use std::io::Write;
use std::process::ExitCode;

use anyhow::anyhow;

use crate::cli::{CheckFormat, ConnArgs};
use crate::config::Config;

pub async fn run(
    conn: &ConnArgs,
    config: &Config,
    args: &[String],
    format: CheckFormat,
) -> anyhow::Result<ExitCode> {
    let (conn, schema) = super::schema::conn_and_pattern(conn, args)?;
    let (_target, conns, _settings) = crate::run::connect_headless(&conn, config).await?;
    let schema = (!schema.is_empty()).then_some(schema);
    let histories = crate::db::migrations::histories(&conns.monitor.client, schema.as_deref())
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let mut out = std::io::stdout().lock();
    match format {
        CheckFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&histories)?)?,
        CheckFormat::Text => {
            if histories.is_empty() {
                eprintln!("no migration history table found");
            }
            for (i, h) in histories.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                for (_, line) in h.lines() {
                    writeln!(out, "{line}")?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
