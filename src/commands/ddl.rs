//! `pgdeck ddl [CONNINFO] OBJECT`: print the CREATE statements of one object (table with its
//! partitions, indexes, constraints, triggers, policies and comments; view; materialized view;
//! sequence; index; function or procedure, every overload; enum, domain, composite or range type).
//! The monitor connection's `search_path` is set to `pg_catalog` first, as pg_dump does, so every
//! other name comes out schema-qualified and the DDL runs the same under any search_path.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{anyhow, bail};

use crate::cli::ConnArgs;
use crate::config::Config;
use crate::db::ddl;
use crate::model::ddl::parse_object_name;

pub async fn run(conn: &ConnArgs, config: &Config, args: &[String]) -> anyhow::Result<ExitCode> {
    let mut conn = conn.clone();
    let object = match args {
        [object] => object.clone(),
        [ci, object] => {
            conn.conninfo = Some(ci.clone());
            object.clone()
        }
        _ => bail!("usage: pgdeck ddl [CONNINFO] OBJECT"),
    };
    let (schema, name) = parse_object_name(&object)?;
    let (_target, conns, _settings) = crate::run::connect_headless(&conn, config).await?;
    let client = &conns.monitor.client;
    // Objects are looked up on the user's search_path, then written with every name qualified.
    let found = ddl::find_objects(client, schema.as_deref(), &name)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    if found.is_empty() {
        bail!("no table, view, sequence, index, function or type named {object}");
    }
    client
        .batch_execute("set search_path = pg_catalog")
        .await
        .map_err(|e| anyhow!("setting search_path: {e}"))?;
    let mut out = std::io::stdout().lock();
    for (i, obj) in found.iter().enumerate() {
        let def = ddl::object_def(client, obj)
            .await
            .map_err(|e| anyhow!("{}: {e}", obj.name.quoted()))?;
        if i > 0 {
            writeln!(out)?;
        }
        write!(out, "{}", def.ddl())?;
    }
    Ok(ExitCode::SUCCESS)
}
