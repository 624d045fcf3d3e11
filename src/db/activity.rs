//! Activity queries on the monitor connection: sessions with their lock waits, server vitals, top
//! statements, and the cancel/terminate statement that re-checks `(pid, backend_start)`. Runs in
//! autocommit, so every poll sees a fresh statistics snapshot (reference/diagnostics.md §2.6a). The
//! query variants are picked from the server version and the installed pg_stat_statements version
//! ([`ActivityQueries::new`]); nothing here formats outside input into SQL.

use tokio_postgres::Client;
use tokio_postgres::types::Type;

use super::DbError;
use crate::model::activity::{
    DbCounters, LockWait, Progress, Session, Signal, SignalOutcome, Slot, Snapshot, Standby,
    StandbyLag, TopStatement, Vitals, XminHolder, complete_vitals, ext_version, may_have_progress,
    refuse_reason,
};
use crate::model::server::ServerInfo;

const SESSIONS: &str = include_str!("sql/activity/sessions.sql");
const VITALS: &str = include_str!("sql/activity/vitals.sql");
const XMIN_HOLDER: &str = include_str!("sql/activity/xmin_holder.sql");
const STANDBYS: &str = include_str!("sql/activity/standbys.sql");
const STANDBY_LAG: &str = include_str!("sql/activity/standby_lag.sql");
const SLOTS: &str = include_str!("sql/activity/slots.sql");
const PROGRESS: &str = include_str!("sql/activity/progress.sql");
const PROGRESS_COPY: &str = include_str!("sql/activity/progress_copy.sql");
const STATEMENTS: &str = include_str!("sql/activity/statements.sql");
const STATEMENTS_RESET: &str = include_str!("sql/activity/statements_reset.sql");
const SIGNAL: &str = include_str!("sql/activity/signal.sql");

/// Drop the `-- what it returns` comment line (it holds `{placeholder}` names itself).
fn body(sql: &str) -> &str {
    match sql.split_once('\n') {
        Some((first, rest)) if first.starts_with("--") => rest,
        _ => sql,
    }
}

/// The activity queries for one server, chosen once from its version and extensions.
#[derive(Debug, Clone)]
pub struct ActivityQueries {
    sessions: String,
    progress: String,
    /// `None` when pg_stat_statements is not installed in the connected database.
    statements: Option<String>,
    statements_reset: Option<String>,
}

impl ActivityQueries {
    /// Variants for `info`: `query_id` and `waitstart` from 14, `pg_stat_progress_copy` from 14,
    /// pg_stat_statements columns by the installed extension version (1.8 renamed `total_time`).
    pub fn new(info: &ServerInfo) -> ActivityQueries {
        let v14 = info.version_num >= 140000;
        let sessions = body(SESSIONS)
            .replace("{query_id}", if v14 { "a.query_id" } else { "null::int8" })
            .replace(
                "{waitstart}",
                if v14 {
                    "l.waitstart"
                } else {
                    "null::timestamptz"
                },
            );
        let progress = body(PROGRESS).replace("{copy}", if v14 { body(PROGRESS_COPY) } else { "" });
        let (statements, statements_reset) = match info.extension("pg_stat_statements") {
            Some(ext) => {
                let schema = crate::cluster::quote_ident(&ext.schema);
                let (total, mean) = if ext_version(&ext.version) >= (1, 8) {
                    (
                        "s.total_plan_time + s.total_exec_time",
                        "(s.total_plan_time + s.total_exec_time) / nullif(s.calls, 0)",
                    )
                } else {
                    ("s.total_time", "s.mean_time")
                };
                (
                    Some(
                        body(STATEMENTS)
                            .replace("{schema}", &schema)
                            .replace("{total}", total)
                            .replace("{mean}", mean),
                    ),
                    Some(body(STATEMENTS_RESET).replace("{schema}", &schema)),
                )
            }
            None => (None, None),
        };
        ActivityQueries {
            sessions,
            progress,
            statements,
            statements_reset,
        }
    }

    /// pg_stat_statements is installed.
    pub fn has_statements(&self) -> bool {
        self.statements.is_some()
    }
}

/// Every session of the cluster visible to this role. `own_pids` marks pgdeck's own connections.
pub async fn sessions(
    client: &Client,
    q: &ActivityQueries,
    own_pids: &[i32],
) -> Result<Vec<Session>, DbError> {
    let rows = client
        .query_typed(&q.sessions, &[(&own_pids, Type::INT4_ARRAY)])
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let lock_mode: Option<String> = r.try_get("lock_mode")?;
        let lock = match lock_mode {
            Some(mode) => Some(LockWait {
                locktype: r
                    .try_get::<_, Option<String>>("lock_type")?
                    .unwrap_or_default(),
                mode,
                relation: r.try_get("lock_relation")?,
                wait_s: r.try_get("lock_wait_s")?,
            }),
            None => None,
        };
        out.push(Session {
            pid: r.try_get("pid")?,
            leader_pid: r.try_get("leader_pid")?,
            user: r.try_get("usename")?,
            database: r.try_get("datname")?,
            application: r.try_get("application")?,
            client: r.try_get("client")?,
            backend_type: r.try_get("backend_type")?,
            state: r.try_get("state")?,
            wait_event_type: r.try_get("wait_event_type")?,
            wait_event: r.try_get("wait_event")?,
            backend_start_us: r.try_get("backend_start_us")?,
            xact_age_s: r.try_get("xact_age_s")?,
            query_age_s: r.try_get("query_age_s")?,
            state_age_s: r.try_get("state_age_s")?,
            query_id: r.try_get("query_id")?,
            xmin_age: r.try_get("xmin_age")?,
            blocked_by: r
                .try_get::<_, Option<Vec<i32>>>("blocked_by")?
                .unwrap_or_default(),
            lock,
            query: r.try_get("query")?,
            own: r.try_get::<_, Option<bool>>("own")?.unwrap_or(false),
        });
    }
    Ok(out)
}

/// The vitals that do not come from the session list: settings and counters, the slot or prepared
/// transaction holding the xmin horizon, slots and progress (sent together: tokio-postgres pipelines
/// them on the one connection). [`snapshot`] completes them from the sessions.
pub async fn vitals(client: &Client) -> Result<Vitals, DbError> {
    let (main, xmin, slots) = tokio::join!(
        client.query_typed_one(body(VITALS), &[]),
        client.query_typed(body(XMIN_HOLDER), &[]),
        client.query_typed(body(SLOTS), &[]),
    );
    let r = main?;
    let in_recovery: bool = r.try_get("in_recovery")?;
    let frozen_db: Option<String> = r.try_get("frozen_db")?;
    let frozen_age: Option<i64> = r.try_get("frozen_age")?;
    let mut v = Vitals {
        at_s: r.try_get("at_s")?,
        max_connections: r.try_get("max_connections")?,
        reserved_connections: r.try_get("reserved_connections")?,
        by_state: Vec::new(),
        connections: 0,
        counters: DbCounters {
            xact_commit: r.try_get("xact_commit")?,
            xact_rollback: r.try_get("xact_rollback")?,
            tup_returned: r.try_get("tup_returned")?,
            tup_fetched: r.try_get("tup_fetched")?,
            tup_inserted: r.try_get("tup_inserted")?,
            tup_updated: r.try_get("tup_updated")?,
            tup_deleted: r.try_get("tup_deleted")?,
            blks_read: r.try_get("blks_read")?,
            blks_hit: r.try_get("blks_hit")?,
            deadlocks: r.try_get("deadlocks")?,
            temp_files: r.try_get("temp_files")?,
            temp_bytes: r.try_get("temp_bytes")?,
        },
        longest_xact: None,
        oldest_xmin: None,
        oldest_frozen: frozen_db.zip(frozen_age),
        in_recovery,
        standbys: Vec::new(),
        standby_lag: None,
        slots: Vec::new(),
        progress: Vec::new(),
    };
    if let Some(x) = xmin?.first() {
        v.oldest_xmin = Some(XminHolder {
            kind: x.try_get("kind")?,
            name: x.try_get("name")?,
            age: x.try_get::<_, Option<i64>>("age")?.unwrap_or(0),
        });
    }
    for s in &slots? {
        v.slots.push(Slot {
            name: s.try_get("name")?,
            kind: s.try_get::<_, Option<String>>("kind")?.unwrap_or_default(),
            active: s.try_get("active")?,
            retained_bytes: s.try_get("retained_bytes")?,
        });
    }
    if in_recovery {
        let l = client.query_typed_one(body(STANDBY_LAG), &[]).await?;
        v.standby_lag = Some(StandbyLag {
            receive_replay_bytes: l.try_get("receive_replay_bytes")?,
            replay_lag_s: l.try_get("replay_lag_s")?,
        });
    }
    Ok(v)
}

/// Running maintenance commands from pg_stat_progress_*.
async fn progress(client: &Client, q: &ActivityQueries, v: &mut Vitals) -> Result<(), DbError> {
    for p in &client.query_typed(&q.progress, &[]).await? {
        v.progress.push(Progress {
            pid: p.try_get(0)?,
            command: p.try_get::<_, Option<String>>(1)?.unwrap_or_default(),
            phase: p.try_get(2)?,
            relation: p.try_get(3)?,
            done: p.try_get(4)?,
            total: p.try_get(5)?,
        });
    }
    Ok(())
}

/// One refresh: sessions and vitals, pipelined.
pub async fn snapshot(
    client: &Client,
    q: &ActivityQueries,
    own_pids: &[i32],
) -> Result<Snapshot, DbError> {
    let (sessions, vitals) = tokio::join!(sessions(client, q, own_pids), vitals(client));
    let (sessions, mut vitals) = (sessions?, vitals?);
    complete_vitals(&mut vitals, &sessions);
    if may_have_progress(&sessions) {
        progress(client, q, &mut vitals).await?;
    }
    // pg_stat_replication scans the backends again: only when there is a WAL sender to show
    if sessions.iter().any(|s| s.backend_type == "walsender") {
        for s in &client.query_typed(body(STANDBYS), &[]).await? {
            vitals.standbys.push(Standby {
                name: s.try_get("name")?,
                client: s.try_get("client")?,
                state: s.try_get("state")?,
                write_lag_s: s.try_get("write_lag_s")?,
                flush_lag_s: s.try_get("flush_lag_s")?,
                replay_lag_s: s.try_get("replay_lag_s")?,
            });
        }
    }
    Ok(Snapshot { sessions, vitals })
}

/// The top statements by total time (the pane re-sorts them); `Ok(None)` when pg_stat_statements is
/// not installed.
pub async fn top_statements(
    client: &Client,
    q: &ActivityQueries,
    limit: i64,
) -> Result<Option<Vec<TopStatement>>, DbError> {
    let Some(sql) = &q.statements else {
        return Ok(None);
    };
    let rows = client.query_typed(sql, &[(&limit, Type::INT8)]).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(TopStatement {
            queryid: r.try_get("queryid")?,
            user: r.try_get("user")?,
            database: r.try_get("database")?,
            query: r.try_get::<_, Option<String>>("query")?.unwrap_or_default(),
            calls: r.try_get("calls")?,
            total_ms: r.try_get::<_, Option<f64>>("total_ms")?.unwrap_or(0.0),
            mean_ms: r.try_get::<_, Option<f64>>("mean_ms")?.unwrap_or(0.0),
            rows: r.try_get("rows")?,
            hit_ratio: r.try_get("hit_ratio")?,
            temp_blks: r.try_get("temp_blks")?,
        });
    }
    Ok(Some(out))
}

/// Reset pg_stat_statements (the caller has asked the user).
pub async fn reset_statements(client: &Client, q: &ActivityQueries) -> Result<(), DbError> {
    let Some(sql) = &q.statements_reset else {
        return Err(DbError::Refused(
            "pg_stat_statements is not installed in this database".into(),
        ));
    };
    client.query_typed(sql, &[]).await?;
    Ok(())
}

/// Cancel or terminate `target`, re-checking `(pid, backend_start)` in the same statement and never
/// one of `own_pids`. Permission errors are an outcome, not an error.
pub async fn signal(
    client: &Client,
    target: &Session,
    signal: Signal,
    own_pids: &[i32],
) -> Result<SignalOutcome, DbError> {
    if let Some(why) = refuse_reason(target, own_pids) {
        return Ok(SignalOutcome::Refused(why));
    }
    let Some(start) = target.backend_start_us else {
        return Ok(SignalOutcome::Refused("no start time".into()));
    };
    let f = match signal {
        Signal::Cancel => "pg_cancel_backend",
        Signal::Terminate => "pg_terminate_backend",
    };
    let sql = body(SIGNAL).replace("{fn}", f);
    match client
        .query_typed_one(&sql, &[(&target.pid, Type::INT4), (&start, Type::INT8)])
        .await
    {
        Ok(row) => {
            let outcome: String = row.try_get(0)?;
            Ok(match outcome.as_str() {
                "signalled" => SignalOutcome::Signalled,
                "gone" => SignalOutcome::AlreadyGone,
                // false: the process is no PostgreSQL backend any more (it ended meanwhile)
                _ => SignalOutcome::AlreadyGone,
            })
        }
        Err(e) => {
            let e = DbError::from(e);
            if e.sqlstate() == Some("42501") {
                let msg = e
                    .server()
                    .map(|s| s.message.clone())
                    .unwrap_or_else(|| e.to_string());
                Ok(SignalOutcome::NotPermitted(msg))
            } else {
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::server::Extension;

    fn info(version_num: u32, pgss: Option<&str>) -> ServerInfo {
        ServerInfo {
            version_num,
            extensions: pgss
                .map(|v| {
                    vec![Extension {
                        name: "pg_stat_statements".into(),
                        version: v.into(),
                        schema: "Odd \"Schema\"".into(),
                    }]
                })
                .unwrap_or_default(),
            ..ServerInfo::default()
        }
    }

    #[test]
    fn variants_follow_the_server_and_extension_versions() {
        let q13 = ActivityQueries::new(&info(130012, Some("1.7")));
        assert!(!q13.sessions.contains("a.query_id") && !q13.sessions.contains("l.waitstart"));
        assert!(!q13.progress.contains("pg_stat_progress_copy"));
        let st = q13.statements.as_deref().expect("pgss");
        assert!(st.contains("s.total_time") && !st.contains("total_exec_time"));
        assert!(
            st.contains("\"Odd \"\"Schema\"\"\".pg_stat_statements"),
            "{st}"
        );

        let q17 = ActivityQueries::new(&info(170002, Some("1.11")));
        assert!(q17.sessions.contains("a.query_id") && q17.sessions.contains("l.waitstart"));
        assert!(q17.progress.contains("pg_stat_progress_copy"));
        let st = q17.statements.as_deref().expect("pgss");
        assert!(st.contains("total_exec_time") && !st.contains("s.total_time"));
        for sql in [
            q13.sessions.as_str(),
            q13.progress.as_str(),
            q17.sessions.as_str(),
            q17.progress.as_str(),
            st,
        ] {
            for placeholder in ["{query_id}", "{waitstart}", "{copy}", "{schema}", "{total}"] {
                assert!(!sql.contains(placeholder), "{placeholder} left in {sql}");
            }
        }
        assert!(!ActivityQueries::new(&info(150000, None)).has_statements());
    }
}
