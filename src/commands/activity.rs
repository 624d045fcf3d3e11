//! `pgdeck activity`: the headless twin of the Activity pane. `--once` prints one snapshot (sessions,
//! the blocking forest, vitals) as text or JSON; `--cancel PID` / `--terminate PID` signal one session
//! with the pane's checks (re-check of `(pid, backend_start)`, never pgdeck's own connection), asking
//! first on a terminal unless `--yes`. Exit 0 ok or signalled, 1 not signalled, 2 error.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context, bail};
use serde::Serialize;

use crate::cli::{ActivityArgs, CheckFormat, ConnArgs};
use crate::config::Config;
use crate::db::activity::{self, ActivityQueries};
use crate::model::activity::{
    LockNode, Session, Signal, SignalOutcome, Snapshot, Vitals, blocks_count, lock_forest,
};
use crate::run::connect_headless;
use crate::ui::text::{duration, one_line_sql};

pub async fn run(args: &ConnArgs, config: &Config, a: &ActivityArgs) -> anyhow::Result<ExitCode> {
    let signal = match (a.cancel, a.terminate) {
        (Some(pid), None) => Some((Signal::Cancel, pid)),
        (None, Some(pid)) => Some((Signal::Terminate, pid)),
        (None, None) => None,
        (Some(_), Some(_)) => bail!("--cancel and --terminate exclude each other"),
    };
    if signal.is_none() && !a.once {
        bail!(
            "say what to do: --once (print one snapshot), --cancel PID or --terminate PID; \
             the live monitor is pgdeck's Activity view (alt-5)"
        );
    }
    let (_target, conns, _settings) = connect_headless(args, config).await?;
    let client = &conns.monitor.client;
    let q = ActivityQueries::new(&conns.info);
    match signal {
        None => {
            let snap = activity::snapshot(client, &q, &conns.own_pids)
                .await
                .context("could not read pg_stat_activity")?;
            let mut out = std::io::stdout().lock();
            match a.format {
                CheckFormat::Json => {
                    writeln!(out, "{}", serde_json::to_string_pretty(&json(&snap))?)?
                }
                CheckFormat::Text => write_text(&mut out, &snap)?,
            }
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Some((signal, pid)) => {
            let all = activity::sessions(client, &q, &conns.own_pids)
                .await
                .context("could not read pg_stat_activity")?;
            let Some(session) = all.iter().find(|s| s.pid == pid).cloned() else {
                say(&format!("pid {pid}: no such session"));
                return Ok(ExitCode::from(1));
            };
            let blocks = blocks_count(&lock_forest(&all), pid);
            if !a.yes {
                if !std::io::stdin().is_terminal() {
                    bail!(
                        "not asking on a non-terminal: add --yes to {} pid {pid}",
                        signal.verb()
                    );
                }
                say(&describe(&session, blocks));
                let _ = write!(std::io::stderr(), "{} it? [y/N] ", signal.verb());
                let _ = std::io::stderr().flush();
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line)?;
                if !matches!(line.trim(), "y" | "Y" | "yes") {
                    say("not signalled");
                    return Ok(ExitCode::from(1));
                }
            }
            let outcome = activity::signal(client, &session, signal, &conns.own_pids).await?;
            say(&outcome.describe(signal, pid));
            Ok(if outcome == SignalOutcome::Signalled {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

fn say(s: &str) {
    let _ = writeln!(std::io::stderr(), "{s}");
}

/// What the confirmation names: pid, user, application, query, transaction age, "blocks N".
pub fn describe(s: &Session, blocks: usize) -> String {
    format!(
        "pid {}  user {}  application {}\nquery: {}\ntransaction age: {}  blocks {blocks}",
        s.pid,
        s.user.as_deref().unwrap_or("-"),
        if s.application.is_empty() {
            "-"
        } else {
            &s.application
        },
        one_line_sql(&s.query),
        s.xact_age_s.map(duration).unwrap_or_else(|| "-".into()),
    )
}

#[derive(Serialize)]
struct JsonSession<'a> {
    pid: i32,
    leader_pid: Option<i32>,
    user: Option<&'a str>,
    database: Option<&'a str>,
    application: &'a str,
    client: Option<&'a str>,
    backend_type: &'a str,
    state: Option<&'a str>,
    wait_event_type: Option<&'a str>,
    wait_event: Option<&'a str>,
    xact_age_s: Option<f64>,
    query_age_s: Option<f64>,
    state_age_s: Option<f64>,
    blocked_by: &'a [i32],
    query: Option<&'a str>,
    own: bool,
}

#[derive(Serialize)]
struct JsonSummary<'a> {
    connections: i64,
    max_connections: i64,
    reserved_connections: i64,
    by_state: std::collections::BTreeMap<&'a str, i64>,
    waiting: usize,
    longest_xact_s: Option<f64>,
    oldest_xmin: Option<&'a crate::model::activity::XminHolder>,
    oldest_frozen_xid_age: Option<i64>,
    in_recovery: bool,
    standbys: &'a [crate::model::activity::Standby],
    standby_lag: Option<&'a crate::model::activity::StandbyLag>,
    slots: &'a [crate::model::activity::Slot],
    progress: &'a [crate::model::activity::Progress],
    counters: &'a crate::model::activity::DbCounters,
}

#[derive(Serialize)]
struct JsonSnapshot<'a> {
    sessions: Vec<JsonSession<'a>>,
    lock_tree: Vec<LockNode>,
    summary: JsonSummary<'a>,
}

fn json(snap: &Snapshot) -> JsonSnapshot<'_> {
    let v: &Vitals = &snap.vitals;
    let mut ordered: Vec<&Session> = snap.sessions.iter().collect();
    ordered.sort_by_key(|s| s.pid);
    JsonSnapshot {
        sessions: ordered
            .into_iter()
            .map(|s| JsonSession {
                pid: s.pid,
                leader_pid: s.leader_pid,
                user: s.user.as_deref(),
                database: s.database.as_deref(),
                application: &s.application,
                client: s.client.as_deref(),
                backend_type: &s.backend_type,
                state: s.state.as_deref(),
                wait_event_type: s.wait_event_type.as_deref(),
                wait_event: s.wait_event.as_deref(),
                xact_age_s: s.xact_age_s,
                query_age_s: s.query_age_s,
                state_age_s: s.state_age_s,
                blocked_by: &s.blocked_by,
                query: (!s.query.is_empty()).then_some(s.query.as_str()),
                own: s.own,
            })
            .collect(),
        lock_tree: lock_forest(&snap.sessions),
        summary: JsonSummary {
            connections: v.connections,
            max_connections: v.max_connections,
            reserved_connections: v.reserved_connections,
            by_state: v.by_state.iter().map(|(s, n)| (s.as_str(), *n)).collect(),
            waiting: snap.sessions.iter().filter(|s| s.is_waiting()).count(),
            longest_xact_s: v.longest_xact.map(|(_, s)| s),
            oldest_xmin: v.oldest_xmin.as_ref(),
            oldest_frozen_xid_age: v.oldest_frozen.as_ref().map(|(_, a)| *a),
            in_recovery: v.in_recovery,
            standbys: &v.standbys,
            standby_lag: v.standby_lag.as_ref(),
            slots: &v.slots,
            progress: &v.progress,
            counters: &v.counters,
        },
    }
}

fn write_text(out: &mut impl Write, snap: &Snapshot) -> std::io::Result<()> {
    let v = &snap.vitals;
    let states: Vec<String> = v.by_state.iter().map(|(s, n)| format!("{n} {s}")).collect();
    writeln!(
        out,
        "connections {}/{} (max_connections {} minus {} reserved): {}",
        v.connections,
        v.usable_connections(),
        v.max_connections,
        v.reserved_connections,
        states.join(", ")
    )?;
    if let Some((pid, s)) = v.longest_xact {
        writeln!(out, "longest transaction: pid {pid}, {}", duration(s))?;
    }
    if let Some(x) = &v.oldest_xmin {
        writeln!(
            out,
            "oldest xmin holder: {} {}, {} transactions behind",
            x.kind, x.name, x.age
        )?;
    }
    if let Some((db, age)) = &v.oldest_frozen {
        writeln!(
            out,
            "oldest datfrozenxid: {db}, age {age} ({:.1}% of the wraparound limit)",
            *age as f64 * 100.0 / crate::model::activity::WRAPAROUND_LIMIT as f64
        )?;
    }
    for p in &v.progress {
        let pct = p
            .fraction()
            .map(|f| format!("{:.0}%", f * 100.0))
            .unwrap_or_else(|| "?".into());
        writeln!(
            out,
            "progress: pid {} {} {} {} {pct}",
            p.pid,
            p.command,
            p.relation.as_deref().unwrap_or(""),
            p.phase.as_deref().unwrap_or("")
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{:>7}  {:<12} {:<12} {:<16} {:<20} {:<18} {:>10} {:>10}  {:<10} query",
        "pid",
        "user",
        "database",
        "application",
        "state",
        "wait",
        "xact age",
        "query age",
        "blocked by"
    )?;
    let rows = crate::model::activity::table_rows(
        &snap.sessions,
        &crate::model::activity::Filter::default(),
        crate::model::activity::SortKey::Pid,
        false,
    );
    for r in rows {
        let s = &snap.sessions[r.index];
        let age = |x: Option<f64>| x.map(duration).unwrap_or_default();
        let blocked: Vec<String> = s.blocked_by.iter().map(i32::to_string).collect();
        writeln!(
            out,
            "{:>7}{} {:<12} {:<12} {:<16} {:<20} {:<18} {:>10} {:>10}  {:<10} {}",
            if r.worker {
                format!("└{}", s.pid)
            } else {
                s.pid.to_string()
            },
            if s.own { "*" } else { " " },
            s.user.as_deref().unwrap_or(""),
            s.database.as_deref().unwrap_or(""),
            s.application,
            s.state.as_deref().unwrap_or(&s.backend_type),
            s.wait_label(),
            age(s.xact_age_s),
            age(s.query_age_s),
            blocked.join(","),
            one_line_sql(&s.query)
        )?;
    }
    let forest = lock_forest(&snap.sessions);
    if !forest.is_empty() {
        writeln!(out)?;
        writeln!(out, "blocking:")?;
        for (depth, n) in crate::model::activity::flatten(&forest) {
            let who = if n.prepared {
                "prepared transaction (pid 0)".to_string()
            } else {
                format!("pid {}", n.pid)
            };
            let wait = match (&n.mode, &n.relation) {
                (Some(m), Some(r)) => format!(" waits {m} on {r}"),
                (Some(m), None) => {
                    format!(" waits {m} ({})", n.locktype.as_deref().unwrap_or("lock"))
                }
                _ => String::new(),
            };
            let wait = if n.repeated {
                format!("{wait} (also under another blocker, shown above)")
            } else {
                wait
            };
            let blocks = if n.blocks_n > 0 {
                format!(" blocks {}", n.blocks_n)
            } else {
                String::new()
            };
            writeln!(
                out,
                "{}{who}{wait}{blocks}: {}",
                "  ".repeat(depth + 1),
                n.query.as_deref().map(one_line_sql).unwrap_or_default()
            )?;
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "{} sessions, {} waiting on locks",
        snap.sessions.len(),
        snap.sessions.iter().filter(|s| s.is_waiting()).count()
    )?;
    Ok(())
}
