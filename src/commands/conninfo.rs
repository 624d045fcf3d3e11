//! `pgdeck conninfo`: how the connection options resolve and, with `--check`, what pgdeck learns about
//! the server. The headless twin of the status bar; never prints a password.

use std::io::Write;
use std::process::ExitCode;

use anyhow::bail;

use crate::cli::ConnArgs;
use crate::conn::ConnTarget;
use crate::db::Settings;
use crate::run::connect_interactive;

/// What `pgdeck conninfo` prints.
#[derive(serde::Serialize)]
struct ConninfoReport {
    target: String,
    hosts: Vec<String>,
    user: String,
    dbname: String,
    sslmode: String,
    password: &'static str,
    passfile: String,
    service: Option<String>,
    application_name: Option<String>,
    warnings: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    server: Option<crate::model::server::ServerInfo>,
}

pub async fn run(
    target: &mut ConnTarget,
    args: &ConnArgs,
    check: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let mut report = ConninfoReport {
        target: target.display(),
        hosts: target.hosts.iter().map(|h| h.to_string()).collect(),
        user: target.user.clone(),
        dbname: target.dbname.clone(),
        sslmode: target.sslmode.to_string(),
        password: if target.password.is_some() {
            "given"
        } else {
            "none given (the password file is looked up when connecting)"
        },
        passfile: target.passfile.display().to_string(),
        service: target.service.clone(),
        application_name: target.application_name.clone(),
        warnings: target.warnings.clone(),
        server: None,
    };
    if check {
        let conns = connect_interactive(target, &Settings::default(), args).await?;
        report.server = Some(conns.info);
    }
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(out, "target       {}", report.target)?;
    writeln!(out, "hosts        {}", report.hosts.join(", "))?;
    writeln!(out, "user         {}", report.user)?;
    writeln!(out, "dbname       {}", report.dbname)?;
    writeln!(out, "sslmode      {}", report.sslmode)?;
    writeln!(out, "password     {}", report.password)?;
    writeln!(out, "passfile     {}", report.passfile)?;
    if let Some(s) = &report.service {
        writeln!(out, "service      {s}")?;
    }
    if let Some(s) = &report.server {
        writeln!(
            out,
            "server       PostgreSQL {} ({})",
            s.version,
            s.role_label()
        )?;
        writeln!(out, "connected as {} to {}", s.user, s.database)?;
        let mut attrs = Vec::new();
        if s.role.superuser {
            attrs.push("superuser");
        }
        if s.role.pg_monitor {
            attrs.push("pg_monitor");
        }
        if s.read_only {
            attrs.push("read-only");
        }
        if !attrs.is_empty() {
            writeln!(out, "role         {}", attrs.join(", "))?;
        }
        let ext: Vec<String> = s
            .extensions
            .iter()
            .map(|e| format!("{} {}", e.name, e.version))
            .collect();
        writeln!(out, "extensions   {}", ext.join(", "))?;
    }
    if report.hosts.is_empty() {
        bail!("no host to connect to");
    }
    Ok(ExitCode::SUCCESS)
}
