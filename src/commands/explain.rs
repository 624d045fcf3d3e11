//! `pgdeck explain`: the plan viewer's headless twin. Explains a statement on the server (`--analyze`
//! runs it, rolled back when it writes) or reads a saved plan (`--file`, no connection), then prints
//! the tree with per-node figures and the advice, as text or as the JSON document of issue 5. With
//! `--file BEFORE --compare AFTER`, the two plans compared instead (`model::plan::diff`). Same
//! model code as the pane. Exit 0, or 1 with `--fail-on` when advice reaches that severity, 2 on error.

use std::io::{Read, Write};
use std::process::ExitCode;

use anyhow::{Context as _, anyhow, bail};

use crate::cli::ConnArgs;
use crate::config::Config;
use crate::model::plan::advice::{self, Severity};
use crate::model::plan::statement::ExplainOptions;
use crate::model::plan::{self, diff, metrics, report};

/// The subcommand's arguments.
pub struct Opts {
    pub args: Vec<String>,
    pub command: Option<String>,
    pub file: Option<std::path::PathBuf>,
    /// The plan to compare the `--file` plan with.
    pub compare: Option<std::path::PathBuf>,
    pub analyze: bool,
    pub buffers: bool,
    pub json: bool,
    pub fail_on: Option<String>,
}

fn read_stdin() -> anyhow::Result<String> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .context("reading stdin")?;
    Ok(s)
}

/// A saved plan: a file, or stdin for `-`.
fn read_plan_file(path: &std::path::Path) -> anyhow::Result<String> {
    if path.as_os_str() == "-" {
        return read_stdin();
    }
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// A saved plan parsed and analysed; errors name the file.
fn load_plan(path: &std::path::Path) -> anyhow::Result<plan::Plan> {
    let text = read_plan_file(path)?;
    let mut p =
        plan::parse(&text).map_err(|e| anyhow!("cannot read the plan {}: {e}", path.display()))?;
    metrics::analyse(&mut p);
    Ok(p)
}

/// `--file BEFORE --compare AFTER`.
fn compare(
    before: &std::path::Path,
    after: &std::path::Path,
    json: bool,
) -> anyhow::Result<ExitCode> {
    if before.as_os_str() == "-" && after.as_os_str() == "-" {
        bail!("only one of the two plans can come from stdin");
    }
    let (b, a) = (load_plan(before)?, load_plan(after)?);
    let c = diff::compare(&b, &a);
    let mut out = std::io::stdout().lock();
    if json {
        let doc = report::comparison_json(&b, &a, &c);
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        write!(out, "{}", report::comparison_text(&b, &a, &c))?;
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn run(conn: &ConnArgs, config: &Config, opts: Opts) -> anyhow::Result<ExitCode> {
    if let (Some(before), Some(after)) = (&opts.file, &opts.compare) {
        if !opts.args.is_empty() || opts.command.is_some() {
            bail!("--compare compares two saved plans: give no statement with it");
        }
        return compare(before, after, opts.json);
    }
    let mut note = None;
    let mut ctx = advice::Context::default();
    let text = if let Some(path) = &opts.file {
        if !opts.args.is_empty() || opts.command.is_some() {
            bail!("--file analyses a saved plan: give no statement with it");
        }
        read_plan_file(path)?
    } else {
        let mut conn = conn.clone();
        let (conninfo, positional_sql) = match opts.args.as_slice() {
            [] => (None, None),
            [sql] if opts.command.is_none() => (None, Some(sql.clone())),
            [ci] => (Some(ci.clone()), None),
            [ci, sql] => (Some(ci.clone()), Some(sql.clone())),
            _ => bail!("too many arguments: pgdeck explain [CONNINFO] SQL"),
        };
        if conninfo.is_some() {
            conn.conninfo = conninfo;
        }
        let sql = match (opts.command.clone(), positional_sql) {
            (Some(_), Some(_)) => bail!("give the statement once: as an argument or with -c"),
            (Some(s), None) | (None, Some(s)) => s,
            (None, None) => read_stdin()?,
        };
        let (_target, mut conns, _settings) = crate::run::connect_headless(&conn, config).await?;
        let o = ExplainOptions {
            analyze: opts.analyze,
            buffers: opts.buffers,
            verbose: true,
            settings: true,
        };
        let explained =
            crate::db::explain::explain(&mut conns.work, &sql, o, conns.info.version_num)
                .await
                .map_err(|e| anyhow!("{e}"))?;
        if explained.rolled_back {
            note = Some("the statement writes: it ran inside BEGIN … ROLLBACK, nothing was kept");
        }
        ctx = advice::Context::from_indexes(explained.indexes);
        explained.json
    };
    let mut parsed = plan::parse(&text).map_err(|e| anyhow!("cannot read the plan: {e}"))?;
    metrics::analyse(&mut parsed);
    let items = advice::advise(&parsed, &ctx);
    if let Some(n) = note {
        let _ = writeln!(std::io::stderr(), "pgdeck: {n}");
    }
    let mut out = std::io::stdout().lock();
    if opts.json {
        let doc = report::json_report(&parsed, &items);
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        write!(out, "{}", report::text_report(&parsed, &items))?;
    }
    let threshold = match opts.fail_on.as_deref() {
        Some("info") => Some(Severity::Info),
        Some("warning") => Some(Severity::Warning),
        Some("critical") => Some(Severity::Critical),
        _ => None,
    };
    if let Some(t) = threshold
        && items.iter().any(|a| a.severity >= t)
    {
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
