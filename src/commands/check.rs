//! `pgdeck check`: the health report for CI, the headless twin of the Health pane. Runs the same
//! `db::health` checks on a monitor connection and prints the findings as text or JSON. Exit 0 when
//! nothing is at or above `--fail-on`, 1 when something is, 2 on error (a check that could not run
//! included: a report with holes must not pass a CI gate).

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, bail};

use crate::cli::{CheckFormat, ConnArgs};
use crate::config::Config;
use crate::db::health::{self, HealthEvent};
use crate::model::health::{
    CheckError, Finding, HealthConfig, Report, Severity, Value, bytes, check, checks_of_groups,
    sort_findings,
};
use crate::run::connect_headless;

/// The parsed options of `pgdeck check`.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub format: CheckFormat,
    pub fail_on: Severity,
    pub schema: Option<String>,
    pub checks: Vec<String>,
    /// Groups whose checks run too (`--group`).
    pub groups: Vec<String>,
    pub thresholds: Vec<String>,
    /// The server's hardware from the command line (`--ram`, `--cpus`...).
    pub hardware: crate::model::tune::HardwareSpec,
}

impl CheckOptions {
    /// The checks to run: `--check` ids plus the checks of the `--group`s; empty means all.
    pub fn selected_checks(&self) -> anyhow::Result<Vec<String>> {
        let mut ids = self.checks.clone();
        for id in checks_of_groups(&self.groups).map_err(anyhow::Error::msg)? {
            if !ids.iter().any(|c| c == id) {
                ids.push(id.to_string());
            }
        }
        if ids.is_empty() && !self.groups.is_empty() {
            // an empty list means "every check"; a group without checks must not turn into that
            bail!("no checks in group {}", self.groups.join(", "));
        }
        Ok(ids)
    }
}

/// The health configuration: config.toml's `[health]` with the command line's thresholds over it.
pub fn health_config(config: &Config, opts: &CheckOptions) -> anyhow::Result<HealthConfig> {
    let mut cfg = config.health.clone();
    for t in &opts.thresholds {
        cfg.set(t).map_err(anyhow::Error::msg)?;
    }
    for c in &opts.checks {
        if check(c).is_none() {
            let ids: Vec<&str> = crate::model::health::CHECKS.iter().map(|c| c.id).collect();
            bail!("unknown check `{c}` (one of: {})", ids.join(", "));
        }
    }
    Ok(cfg)
}

pub async fn run(args: &ConnArgs, config: &Config, opts: CheckOptions) -> anyhow::Result<ExitCode> {
    let mut cfg = health_config(config, &opts)?;
    let only = opts.selected_checks()?;
    let (target, conns, _settings) = connect_headless(args, config).await?;
    let client = &conns.monitor.client;
    cfg.tune = crate::hardware::resolve(
        crate::hardware::stated(config, args.profile.as_deref(), opts.hardware),
        &target,
        conns.pooled,
        crate::hardware::read_machine,
    );
    let settings_run =
        opts.schema.is_none() && health::selected(&cfg, &only).iter().any(|c| c == "setting");
    let mut report = Report {
        server_version: String::new(),
        stats_reset: None,
        // where the hardware came from, or why its recommendations were skipped
        notes: if settings_run {
            cfg.tune.notes.clone()
        } else {
            Vec::new()
        },
        findings: Vec::new(),
        errors: Vec::new(),
    };
    let mut window = None;
    health::run(client, &cfg, opts.schema.as_deref(), &only, |ev| match ev {
        HealthEvent::Started { facts, .. } => {
            report.server_version = facts.server_version.clone();
            report.stats_reset = facts.window.stats_reset.clone();
            window = Some(facts.window);
        }
        HealthEvent::Check(outcome) => match outcome.result {
            Ok(mut f) => report.findings.append(&mut f),
            Err(message) => report.errors.push(CheckError {
                check: outcome.check,
                message,
            }),
        },
        HealthEvent::Finished { .. } => {}
    })
    .await
    .context("could not start the health report")?;
    sort_findings(&mut report.findings);

    let mut out = std::io::stdout().lock();
    match opts.format {
        CheckFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?,
        CheckFormat::Text => {
            let banner = window.map(|w| w.banner()).unwrap_or_default();
            write_text(&mut out, &report, &banner)?;
        }
    }
    out.flush()?;
    if !report.errors.is_empty() {
        return Ok(ExitCode::from(2));
    }
    if report.findings.iter().any(|f| f.severity >= opts.fail_on) {
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Evidence as `key value` pairs; byte counts for people.
pub fn evidence_text(f: &Finding) -> String {
    f.evidence
        .iter()
        .filter(|(_, v)| *v != Value::Null)
        .map(|(k, v)| match v {
            Value::Int(n) if k.ends_with("_bytes") => format!("{k} {}", bytes(*n)),
            _ => format!("{k} {v}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn write_text(out: &mut impl Write, report: &Report, banner: &str) -> std::io::Result<()> {
    writeln!(out, "PostgreSQL {}. {banner}", report.server_version)?;
    for n in &report.notes {
        writeln!(out, "Note: {n}.")?;
    }
    for f in &report.findings {
        writeln!(out)?;
        writeln!(
            out,
            "{:<8} {}  {}",
            f.severity.name().to_uppercase(),
            f.check,
            f.subject()
        )?;
        writeln!(out, "  {}", f.message)?;
        let ev = evidence_text(f);
        if !ev.is_empty() {
            writeln!(out, "  evidence: {ev}")?;
        }
        if let Some(fix) = &f.fix {
            for (i, line) in fix.lines().enumerate() {
                let lead = if i == 0 { "  fix: " } else { "       " };
                writeln!(out, "{lead}{line}")?;
            }
        }
    }
    for e in &report.errors {
        writeln!(out)?;
        writeln!(out, "ERROR    {}  could not run: {}", e.check, e.message)?;
    }
    let count = |s: Severity| report.findings.iter().filter(|f| f.severity == s).count();
    writeln!(out)?;
    writeln!(
        out,
        "{} findings: {} critical, {} warning, {} info; {} checks could not run",
        report.findings.len(),
        count(Severity::Critical),
        count(Severity::Warning),
        count(Severity::Info),
        report.errors.len()
    )?;
    Ok(())
}
