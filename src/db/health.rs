//! Runs the health checks on the monitor connection (its `statement_timeout` and `lock_timeout` bound
//! every check), one statement per check, reporting each as it completes. A check that fails (a
//! permission, a timeout, a lock) is reported with its error and the others go on. Rows become
//! findings through `model::health`; where the pgstattuple extension is installed and readable, bloat
//! candidates are measured too. Nothing here imports ratatui or crossterm.

use std::time::{Duration, Instant};

use tokio_postgres::types::Type;
use tokio_postgres::{Client, Row};

use super::DbError;
use crate::model::health::{self, Finding, HealthConfig, RawRow, StatsWindow, Value};
use crate::model::ident::quote_ident;

/// The SQL of every check, by id (`db/sql/health/<id>.sql`).
const SQL: &[(&str, &str)] = &[
    (
        "invalid_index",
        include_str!("sql/health/invalid_index.sql"),
    ),
    (
        "duplicate_index",
        include_str!("sql/health/duplicate_index.sql"),
    ),
    (
        "redundant_index",
        include_str!("sql/health/redundant_index.sql"),
    ),
    (
        "fk_without_index",
        include_str!("sql/health/fk_without_index.sql"),
    ),
    (
        "no_primary_key",
        include_str!("sql/health/no_primary_key.sql"),
    ),
    (
        "btree_on_array",
        include_str!("sql/health/btree_on_array.sql"),
    ),
    (
        "not_valid_constraint",
        include_str!("sql/health/not_valid_constraint.sql"),
    ),
    (
        "fk_type_mismatch",
        include_str!("sql/health/fk_type_mismatch.sql"),
    ),
    (
        "sequence_exhaustion",
        include_str!("sql/health/sequence_exhaustion.sql"),
    ),
    (
        "xid_wraparound",
        include_str!("sql/health/xid_wraparound.sql"),
    ),
    (
        "index_with_nulls",
        include_str!("sql/health/index_with_nulls.sql"),
    ),
    ("unused_index", include_str!("sql/health/unused_index.sql")),
    ("dead_tuples", include_str!("sql/health/dead_tuples.sql")),
    (
        "seq_scan_heavy",
        include_str!("sql/health/seq_scan_heavy.sql"),
    ),
    (
        "autovacuum_disabled",
        include_str!("sql/health/autovacuum_disabled.sql"),
    ),
    (
        "superuser_login",
        include_str!("sql/health/superuser_login.sql"),
    ),
    (
        "public_create",
        include_str!("sql/health/public_create.sql"),
    ),
    (
        "security_definer_search_path",
        include_str!("sql/health/security_definer_search_path.sql"),
    ),
    (
        "rls_without_policy",
        include_str!("sql/health/rls_without_policy.sql"),
    ),
    ("password_md5", include_str!("sql/health/password_md5.sql")),
    (
        "extension_outdated",
        include_str!("sql/health/extension_outdated.sql"),
    ),
    (
        "migration_failed",
        include_str!("sql/health/migration_failed.sql"),
    ),
    (
        "replication_slot_inactive",
        include_str!("sql/health/replication_slot_inactive.sql"),
    ),
    (
        "never_analyzed",
        include_str!("sql/health/never_analyzed.sql"),
    ),
    (
        "checkpoint_pressure",
        include_str!("sql/health/checkpoint_pressure.sql"),
    ),
    ("temp_spill", include_str!("sql/health/temp_spill.sql")),
    (
        "archive_failing",
        include_str!("sql/health/archive_failing.sql"),
    ),
    ("index_bloat", include_str!("sql/health/index_bloat.sql")),
    ("table_bloat", include_str!("sql/health/table_bloat.sql")),
    ("setting", include_str!("sql/health/setting.sql")),
];

const FACTS: &str = "select current_setting('server_version_num')::int4, \
     current_setting('server_version'), \
     (select stats_reset::text from pg_stat_database where datname = current_database()), \
     pg_postmaster_start_time()::text, \
     (select n.nspname::text from pg_extension e join pg_namespace n on n.oid = e.extnamespace \
      where e.extname = 'pgstattuple')";

/// Bloat candidates measured with pgstattuple per check, at most (each measurement reads the relation).
const MAX_MEASURED: usize = 20;

/// The SQL of a check for a server version: `{last_idx_scan}`-style placeholders become the column on
/// versions that have it and NULL before; the checkpoint counters come from pg_stat_checkpointer on
/// 17+ (restartpoints on a standby) and pg_stat_bgwriter before; `{table:COND}` (where a check can
/// narrow its own scan to one table) becomes `true`.
pub fn sql_for(check: &str, version_num: u32) -> Option<String> {
    sql_scoped(check, version_num, None)
}

/// [`sql_for`], with `{table:COND}` as COND (its `$table` the parameter numbered `table_param`)
/// when a one-table run passes one, so the check reads only that table's rows where it can.
fn sql_scoped(check: &str, version_num: u32, table_param: Option<usize>) -> Option<String> {
    let mut sql = sql_unscoped(check, version_num)?;
    while let Some(start) = sql.find("{table:") {
        let Some(len) = sql[start..].find('}') else {
            break;
        };
        let cond = &sql[start + "{table:".len()..start + len];
        let with = match table_param {
            Some(n) => cond.replace("$table", &format!("${n}::text")),
            None => "true".to_string(),
        };
        sql.replace_range(start..start + len + 1, &with);
    }
    Some(sql)
}

fn sql_unscoped(check: &str, version_num: u32) -> Option<String> {
    let sql = SQL.iter().find(|(id, _)| *id == check)?.1;
    let v16 = version_num >= 160000;
    let v17 = version_num >= 170000;
    let (timed, requested, view) = if v17 {
        (
            "case when pg_is_in_recovery() then k.restartpoints_timed else k.num_timed end",
            "case when pg_is_in_recovery() then k.restartpoints_req else k.num_requested end",
            "pg_stat_checkpointer",
        )
    } else {
        (
            "k.checkpoints_timed",
            "k.checkpoints_req",
            "pg_stat_bgwriter",
        )
    };
    let sql = sql
        .replace("{checkpoints_timed}", timed)
        .replace("{checkpoints_requested}", requested)
        .replace("{checkpoint_view}", view)
        .replace(
            "{inactive_since}",
            if v17 {
                "s.inactive_since::text"
            } else {
                "null::text"
            },
        );
    Some(
        sql.replace(
            "{last_idx_scan}",
            if v16 {
                "s.last_idx_scan::text"
            } else {
                "null::text"
            },
        )
        .replace(
            "{last_seq_scan}",
            if v16 {
                "s.last_seq_scan::text"
            } else {
                "null::text"
            },
        ),
    )
}

/// What the checks need to know about the server, read when a report starts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Facts {
    pub version_num: u32,
    pub server_version: String,
    pub window: StatsWindow,
    /// Schema of the pgstattuple extension, when installed.
    pub pgstattuple: Option<String>,
}

/// One check done.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckOutcome {
    pub check: String,
    pub elapsed: Duration,
    /// The findings, or why the check could not run.
    pub result: Result<Vec<Finding>, String>,
}

/// Progress of a report, in order: `Started`, one `Check` per check, `Finished`.
#[derive(Debug, Clone, PartialEq)]
pub enum HealthEvent {
    Started { facts: Facts, checks: Vec<String> },
    Check(CheckOutcome),
    Finished { elapsed: Duration },
}

/// Read the server facts the report needs.
pub async fn facts(client: &Client) -> Result<Facts, DbError> {
    let row = client.query_typed_one(FACTS, &[]).await?;
    let v: i32 = row.try_get(0)?;
    Ok(Facts {
        version_num: u32::try_from(v).unwrap_or(0),
        server_version: row.try_get(1)?,
        window: StatsWindow {
            stats_reset: row.try_get(2)?,
            started_at: row.try_get(3)?,
        },
        pgstattuple: row.try_get(4)?,
    })
}

/// The checks to run: `only` (validated ids) or all of the catalogue, minus the skipped ones.
pub fn selected(config: &HealthConfig, only: &[String]) -> Vec<String> {
    health::CHECKS
        .iter()
        .map(|c| c.id)
        .filter(|id| only.is_empty() || only.iter().any(|o| o == id))
        .filter(|id| config.runs(id))
        .map(str::to_string)
        .collect()
}

/// Run the report: `emit` gets `Started`, each check's outcome as it completes, then `Finished`. Fails
/// only when the server facts cannot be read; a failing check is reported in its outcome.
pub async fn run(
    client: &Client,
    config: &HealthConfig,
    schema: Option<&str>,
    only: &[String],
    mut emit: impl FnMut(HealthEvent),
) -> Result<(), DbError> {
    let started = Instant::now();
    let facts = facts(client).await?;
    let checks = selected(config, only);
    emit(HealthEvent::Started {
        facts: facts.clone(),
        checks: checks.clone(),
    });
    for check in &checks {
        let t = Instant::now();
        let result = run_check(client, check, &facts, config, schema, None)
            .await
            .map_err(|e| e.to_string());
        emit(HealthEvent::Check(CheckOutcome {
            check: check.clone(),
            elapsed: t.elapsed(),
            result,
        }));
    }
    emit(HealthEvent::Finished {
        elapsed: started.elapsed(),
    });
    Ok(())
}

/// The findings of every check for one table (the table detail's), and the checks that could not
/// run with why.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TableFindings {
    pub findings: Vec<Finding>,
    pub failed: Vec<(String, String)>,
}

/// Run the report's checks for one table only: each check's rows are cut to the table before any
/// definition is deparsed or bloat measured, so this costs a fraction of a report.
pub async fn table_findings(
    client: &Client,
    config: &HealthConfig,
    schema: &str,
    table: &str,
) -> Result<TableFindings, DbError> {
    let facts = facts(client).await?;
    let mut out = TableFindings::default();
    for check in selected(config, &[]) {
        match run_check(client, &check, &facts, config, Some(schema), Some(table)).await {
            Ok(mut f) => out.findings.append(&mut f),
            Err(e) => out.failed.push((check, e.to_string())),
        }
    }
    health::sort_findings(&mut out.findings);
    Ok(out)
}

/// A check's SQL cut to one table: its first three columns are schema, table and object whatever
/// their names, so the check runs as a subquery whose columns are renamed and filtered; `param` is
/// the number of the table parameter.
fn for_table(sql: &str, param: usize) -> String {
    let body = sql.trim().trim_end_matches(';');
    format!(
        "select * from (\n{body}\n) as pgdeck_check(pgdeck_schema, pgdeck_table, pgdeck_object) \
         where pgdeck_table = ${param}::text"
    )
}

/// Run one check and evaluate its rows; `table` (with `schema`) keeps only that table's rows.
pub async fn run_check(
    client: &Client,
    check: &str,
    facts: &Facts,
    config: &HealthConfig,
    schema: Option<&str>,
    table: Option<&str>,
) -> Result<Vec<Finding>, DbError> {
    if check == "setting" {
        // server-wide: no schema or table holds a parameter, so a narrowed report has none
        if schema.is_some() || table.is_some() {
            return Ok(Vec::new());
        }
        // reads pg_settings whole and rules on the parameters together
        return super::settings::check(client, &config.tune, facts.version_num).await;
    }
    if check == "migration_failed" {
        let mut found = migration_failures(client, facts, config, schema).await?;
        if let Some(t) = table {
            found.retain(|f| f.table.as_deref() == Some(t));
        }
        return Ok(found);
    }
    let bloat = matches!(check, "index_bloat" | "table_bloat");
    let table_param = if bloat { 3 } else { 2 };
    let mut sql = sql_scoped(check, facts.version_num, table.map(|_| table_param))
        .ok_or_else(|| DbError::Other(format!("unknown check `{check}`")))?;
    if table.is_some() {
        // checks that cannot narrow their own scan are cut to the table at the end
        sql = for_table(&sql, table_param);
    }
    let mut params: Vec<(&(dyn tokio_postgres::types::ToSql + Sync), Type)> =
        vec![(&schema, Type::TEXT)];
    if bloat {
        params.push((&config.bloat_min_bytes, Type::INT8));
    }
    if let Some(t) = &table {
        params.push((t, Type::TEXT));
    }
    let rows = client
        .query_typed(&sql, &params)
        .await
        .map_err(|e| privilege_error(check, DbError::from(e)))?;
    let mut findings = Vec::new();
    let mut measured = 0;
    for row in &rows {
        let mut raw = raw_row(row)?;
        let lazies: Vec<(String, Value)> = raw
            .values
            .extract_if(.., |(k, _)| k.starts_with("lazy_"))
            .collect();
        let Some(mut finding) = health::evaluate(check, &raw, config, &facts.window) else {
            continue;
        };
        if !lazies.is_empty() {
            for (name, oid) in lazies {
                let Some(oid) = oid.as_i64() else { continue };
                let (key, value) = deparse(client, &name, oid).await;
                raw.values.push((key, value));
            }
            match health::evaluate(check, &raw, config, &facts.window) {
                Some(f) => finding = f,
                None => continue,
            }
        }
        if let (Some(ext), true) = (
            &facts.pgstattuple,
            matches!(check, "index_bloat" | "table_bloat") && measured < MAX_MEASURED,
        ) {
            measured += 1;
            match measure(client, ext, check, &raw).await {
                Ok(pct) => raw
                    .values
                    .push(("measured_bloat_pct".into(), Value::Num(pct))),
                Err(e) => raw
                    .values
                    .push(("measure_error".into(), Value::Text(e.to_string()))),
            }
            match health::evaluate(check, &raw, config, &facts.window) {
                Some(f) => finding = f,
                None => continue,
            }
        }
        findings.push(finding);
    }
    Ok(findings)
}

/// A check refused for want of a privilege says which one (42501 insufficient_privilege).
fn privilege_error(check: &str, e: DbError) -> DbError {
    if e.sqlstate() != Some("42501") {
        return e;
    }
    match check {
        "password_md5" => DbError::Other(
            "skipped: password hashes are in pg_authid, which only superusers may read; run the report as a superuser to check them".into(),
        ),
        _ => e,
    }
}

/// `migration_failed`: every detected history read, its failures evaluated.
async fn migration_failures(
    client: &Client,
    facts: &Facts,
    config: &HealthConfig,
    schema: Option<&str>,
) -> Result<Vec<Finding>, DbError> {
    let mut findings = Vec::new();
    for history in super::migrations::histories(client, schema).await? {
        for raw in crate::model::migrations::failure_rows(&history) {
            if let Some(f) = health::evaluate("migration_failed", &raw, config, &facts.window) {
                findings.push(f);
            }
        }
    }
    Ok(findings)
}

/// Deparse a `lazy_*` column (an oid) into the value it names: index or constraint definitions, an
/// index's key or INCLUDE columns. These functions lock the table; on a lock timeout (or any error)
/// the value is NULL and `detail_unavailable` says why, and the rest of the report goes on.
async fn deparse(client: &Client, lazy: &str, oid: i64) -> (String, Value) {
    const COLUMNS: &str = "select string_agg(pg_get_indexdef(i.indexrelid, k, true), ', ' order by k) \
         from pg_index i, generate_series";
    let (key, sql) = match lazy {
        "lazy_indexdef" => ("definition", "select pg_get_indexdef($1::oid)".to_string()),
        "lazy_covering_indexdef" => (
            "covering_definition",
            "select pg_get_indexdef($1::oid)".to_string(),
        ),
        "lazy_constraintdef" => (
            "definition",
            "select pg_get_constraintdef($1::oid)".to_string(),
        ),
        "lazy_key_columns" => (
            "key_columns",
            format!("{COLUMNS}(1, i.indnkeyatts) k where i.indexrelid = $1::oid"),
        ),
        "lazy_include_columns" => (
            "include_columns",
            format!("{COLUMNS}(i.indnkeyatts + 1, i.indnatts) k where i.indexrelid = $1::oid"),
        ),
        other => return (other.to_string(), Value::Null),
    };
    let result = client
        .query_typed_one(&sql, &[(&oid, Type::INT8)])
        .await
        .and_then(|row| row.try_get::<_, Option<String>>(0));
    match result {
        Ok(v) => (key.to_string(), v.map_or(Value::Null, Value::Text)),
        Err(e) => (
            "detail_unavailable".to_string(),
            Value::Text(DbError::from(e).to_string()),
        ),
    }
}

/// Measure a bloat candidate with pgstattuple: `pgstatindex()` leaf density against the fillfactor for
/// a B-tree, `pgstattuple_approx()` free and dead space for a table. Percent of the relation.
async fn measure(client: &Client, ext: &str, check: &str, raw: &RawRow) -> Result<f64, DbError> {
    let name = match (check, &raw.object, &raw.table) {
        ("index_bloat", Some(o), _) => format!("{}.{}", quote_ident(&raw.schema), quote_ident(o)),
        (_, _, Some(t)) => format!("{}.{}", quote_ident(&raw.schema), quote_ident(t)),
        _ => return Err(DbError::Other("nothing to measure".into())),
    };
    let fillfactor = raw.get("fillfactor").as_f64().unwrap_or(90.0).max(10.0);
    let ext = quote_ident(ext);
    if check == "index_bloat" {
        let sql =
            format!("select avg_leaf_density::float8 from {ext}.pgstatindex($1::text::regclass)");
        let row = client.query_typed_one(&sql, &[(&name, Type::TEXT)]).await?;
        let density: f64 = row.try_get(0)?;
        if density.is_nan() {
            return Ok(0.0);
        }
        Ok((100.0 - density * 100.0 / fillfactor).clamp(0.0, 100.0))
    } else {
        let sql = format!(
            "select (approx_free_percent + dead_tuple_percent)::float8 from {ext}.pgstattuple_approx($1::text::regclass)"
        );
        let row = client.query_typed_one(&sql, &[(&name, Type::TEXT)]).await?;
        let free: f64 = row.try_get(0)?;
        // free space the fillfactor reserves on purpose is not bloat
        Ok((free - (100.0 - fillfactor)).clamp(0.0, 100.0))
    }
}

/// A result row as the model takes it: schema, table, object, then named values.
fn raw_row(row: &Row) -> Result<RawRow, tokio_postgres::Error> {
    let mut raw = RawRow {
        schema: row.try_get::<_, Option<String>>(0)?.unwrap_or_default(),
        table: row.try_get(1)?,
        object: row.try_get(2)?,
        values: Vec::with_capacity(row.len().saturating_sub(3)),
    };
    for (i, col) in row.columns().iter().enumerate().skip(3) {
        let t = col.type_();
        let v = if *t == Type::INT2 {
            row.try_get::<_, Option<i16>>(i)?
                .map(|v| Value::Int(i64::from(v)))
        } else if *t == Type::INT4 {
            row.try_get::<_, Option<i32>>(i)?
                .map(|v| Value::Int(i64::from(v)))
        } else if *t == Type::INT8 {
            row.try_get::<_, Option<i64>>(i)?.map(Value::Int)
        } else if *t == Type::FLOAT4 {
            row.try_get::<_, Option<f32>>(i)?
                .map(|v| Value::Num(f64::from(v)))
        } else if *t == Type::FLOAT8 {
            row.try_get::<_, Option<f64>>(i)?.map(Value::Num)
        } else if *t == Type::BOOL {
            row.try_get::<_, Option<bool>>(i)?.map(Value::Bool)
        } else if *t == Type::TEXT_ARRAY || *t == Type::NAME_ARRAY {
            row.try_get::<_, Option<Vec<String>>>(i)?.map(Value::List)
        } else {
            row.try_get::<_, Option<String>>(i)?.map(Value::Text)
        };
        raw.values
            .push((col.name().to_string(), v.unwrap_or(Value::Null)));
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_check_has_sql_with_a_header_line() {
        for c in health::CHECKS {
            let sql = sql_for(c.id, 150000).unwrap_or_else(|| panic!("no SQL for {}", c.id));
            assert!(sql.starts_with("-- "), "{} lacks its header line", c.id);
            assert!(sql.contains("Params: "), "{} header names no params", c.id);
            assert!(!sql.contains('{'), "{} has an unreplaced placeholder", c.id);
        }
        assert_eq!(SQL.len(), health::CHECKS.len());
    }

    #[test]
    fn a_check_cut_to_one_table_filters_its_second_column() {
        let sql = for_table("select 1 as s, 'a' as t, null as o;\n", 2);
        assert_eq!(
            sql,
            "select * from (\nselect 1 as s, 'a' as t, null as o\n) as pgdeck_check(pgdeck_schema, pgdeck_table, pgdeck_object) where pgdeck_table = $2::text"
        );
    }

    #[test]
    fn table_placeholders_are_true_in_a_report_and_a_filter_for_one_table() {
        let all = sql_for("redundant_index", 150000).expect("sql");
        assert!(all.contains("and true\n"), "{all}");
        let one = sql_scoped("redundant_index", 150000, Some(2)).expect("sql");
        assert!(one.contains("and t.relname = $2::text\n"), "{one}");
        let unused = sql_scoped("unused_index", 150000, Some(2)).expect("sql");
        assert!(
            unused.contains("where r.relname = $2::text)") && !unused.contains("$table"),
            "{unused}"
        );
    }

    #[test]
    fn version_branches() {
        let old = sql_for("unused_index", 150000).expect("sql");
        let new = sql_for("unused_index", 160000).expect("sql");
        assert!(old.contains("null::text as last_scan"));
        assert!(new.contains("s.last_idx_scan::text as last_scan"));
        let c16 = sql_for("checkpoint_pressure", 160000).expect("sql");
        assert!(c16.contains("from pg_stat_bgwriter k") && c16.contains("k.checkpoints_req"));
        let c17 = sql_for("checkpoint_pressure", 170000).expect("sql");
        assert!(c17.contains("from pg_stat_checkpointer k") && c17.contains("k.num_requested"));
        assert!(
            c17.contains("k.restartpoints_req"),
            "a standby counts restartpoints"
        );
        let slots = sql_for("replication_slot_inactive", 180000).expect("sql");
        assert!(slots.contains("s.inactive_since::text as inactive_since"));
        for c in health::CHECKS {
            let sql = sql_for(c.id, 180000).expect("sql");
            assert!(
                !sql.contains('{'),
                "{} has an unreplaced placeholder on 18",
                c.id
            );
        }
    }
}
