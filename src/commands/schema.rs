//! `pgdeck schema [CONNINFO] [--format text|json] [PATTERN]`: the schema browser's tree, printed.
//! Same `db::catalog::schema_tree` load and `model::catalog` filter (fuzzy, like the browser's `/`)
//! as the pane; system schemas only with `--system`.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{anyhow, bail};

use crate::cli::{CheckFormat, ConnArgs};
use crate::config::Config;

pub async fn run(
    conn: &ConnArgs,
    config: &Config,
    args: &[String],
    format: CheckFormat,
    system: bool,
) -> anyhow::Result<ExitCode> {
    let (conn, pattern) = conn_and_pattern(conn, args)?;
    let (_target, conns, _settings) = crate::run::connect_headless(&conn, config).await?;
    let tree = crate::db::catalog::schema_tree(&conns.monitor.client)
        .await
        .map_err(|e| anyhow!("{e}"))?
        .filtered(&pattern, system);
    let mut out = std::io::stdout().lock();
    match format {
        CheckFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&tree)?)?,
        CheckFormat::Text => write!(out, "{}", tree.to_text())?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The connection and the pattern of `pgdeck schema [CONNINFO] [PATTERN]`.
pub fn conn_and_pattern(conn: &ConnArgs, args: &[String]) -> anyhow::Result<(ConnArgs, String)> {
    let mut conn = conn.clone();
    let pattern = match args {
        [] => String::new(),
        // One argument is a pattern unless the global CONNINFO is unset and it looks like one.
        [one] if conn.conninfo.is_none() && looks_like_conninfo(one) => {
            conn.conninfo = Some(one.clone());
            String::new()
        }
        [one] => one.clone(),
        [ci, pattern] => {
            conn.conninfo = Some(ci.clone());
            pattern.clone()
        }
        _ => bail!("usage: pgdeck schema [CONNINFO] [PATTERN]"),
    };
    Ok((conn, pattern))
}

/// A URI or a `key=value` string (a bare word is a pattern, not a database name).
fn looks_like_conninfo(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://") || s.contains('=')
}
