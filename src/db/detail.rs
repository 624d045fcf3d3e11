//! The schema browser's table detail, loaded on the monitor connection (so `statement_timeout` and
//! `lock_timeout` bound it): overview with sizes and activity, columns with statistics, constraints
//! and incoming foreign keys, indexes with figures, triggers/policies/grants/dependents. A table
//! locked exclusively by another session makes the size functions wait; `lock_timeout` fires and the
//! error names the pid holding the lock (the DDL loader, whose `pg_get_expr` calls take the same
//! lock, uses [`explain_lock_timeout`] too). Also the exact row count, with the same bounds.

// DbError carries the server's error fields by value, as the rest of db/ does; row readers return it.
#![allow(clippy::result_large_err)]

use tokio_postgres::Client;
use tokio_postgres::types::Type;

use super::DbError;
use crate::model::ident::quote_ident;
use crate::model::table_detail::{
    Activity, DetailColumn, DetailConstraint, DetailExtra, DetailIndex, TableDetail,
};

const OVERVIEW: &str = include_str!("sql/detail/overview.sql");
const COLUMNS: &str = include_str!("sql/detail/columns.sql");
const INDEXES: &str = include_str!("sql/detail/indexes.sql");
const CONSTRAINTS: &str = include_str!("sql/detail/constraints.sql");
const EXTRAS: &str = include_str!("sql/detail/extras.sql");
const LOCK_HOLDERS: &str = include_str!("sql/detail/lock_holders.sql");

/// SQLSTATE 55P03: lock_timeout fired.
const LOCK_NOT_AVAILABLE: &str = "55P03";

/// Load a table's detail. A lock timeout becomes an error naming the sessions holding the lock.
pub async fn table_detail(client: &Client, oid: u32) -> Result<TableDetail, DbError> {
    match load(client, oid).await {
        Err(e) if e.sqlstate() == Some(LOCK_NOT_AVAILABLE) => Err(locked(client, oid, e).await),
        other => other,
    }
}

/// A lock-timeout error on a relation, rewritten to say who holds the lock; other errors as they are.
pub async fn explain_lock_timeout(client: &Client, oid: u32, e: DbError) -> DbError {
    if e.sqlstate() == Some(LOCK_NOT_AVAILABLE) {
        locked(client, oid, e).await
    } else {
        e
    }
}

/// The lock-timeout error, rewritten to say who holds the lock.
async fn locked(client: &Client, oid: u32, original: DbError) -> DbError {
    let Ok(rows) = client.query_typed(LOCK_HOLDERS, &[(&oid, Type::OID)]).await else {
        return original;
    };
    let holders: Vec<String> = rows
        .iter()
        .filter_map(|r| {
            let pid: i32 = r.try_get(0).ok()?;
            let mode: String = r.try_get(1).ok()?;
            let state: String = r.try_get(2).ok()?;
            let query: String = r.try_get(3).ok()?;
            Some(format!(
                "pid {pid} holds {mode} ({state}: {})",
                query.split_whitespace().collect::<Vec<_>>().join(" ")
            ))
        })
        .collect();
    if holders.is_empty() {
        return original;
    }
    DbError::Other(format!(
        "the table is locked; gave up after lock_timeout: {}",
        holders.join("; ")
    ))
}

async fn load(client: &Client, oid: u32) -> Result<TableDetail, DbError> {
    let p = [(
        &oid as &(dyn tokio_postgres::types::ToSql + Sync),
        Type::OID,
    )];
    // Catalog-only reads first; the overview's size functions are the ones that take a lock.
    let (columns, constraints, extras) = tokio::try_join!(
        client.query_typed(COLUMNS, &p),
        client.query_typed(CONSTRAINTS, &p),
        client.query_typed(EXTRAS, &p),
    )?;
    let overview = client.query_typed(OVERVIEW, &p).await?;
    let indexes = client.query_typed(INDEXES, &p).await?;
    let o = overview.first().ok_or_else(|| {
        DbError::Other(format!(
            "the table with oid {oid} no longer exists (dropped since the tree was loaded?)"
        ))
    })?;
    let mut d = TableDetail {
        oid,
        schema: o.try_get("schema")?,
        name: o.try_get("name")?,
        relkind: o.try_get("relkind")?,
        estimated_rows: o.try_get("reltuples")?,
        exact_rows: None,
        heap_bytes: o.try_get("heap_bytes")?,
        toast_bytes: o.try_get("toast_bytes")?,
        index_bytes: o.try_get("index_bytes")?,
        total_bytes: o.try_get("total_bytes")?,
        rls: o.try_get("rls")?,
        rls_forced: o.try_get("rls_forced")?,
        comment: o.try_get("comment")?,
        activity: Activity {
            seq_scan: o.try_get("seq_scan")?,
            seq_tup_read: o.try_get("seq_tup_read")?,
            idx_scan: o.try_get("idx_scan")?,
            n_live_tup: o.try_get("n_live_tup")?,
            n_dead_tup: o.try_get("n_dead_tup")?,
            n_tup_ins: o.try_get("n_tup_ins")?,
            n_tup_upd: o.try_get("n_tup_upd")?,
            n_tup_del: o.try_get("n_tup_del")?,
            last_vacuum: o.try_get("last_vacuum")?,
            last_autovacuum: o.try_get("last_autovacuum")?,
            last_analyze: o.try_get("last_analyze")?,
            last_autoanalyze: o.try_get("last_autoanalyze")?,
        },
        columns: Vec::new(),
        constraints: Vec::new(),
        indexes: Vec::new(),
        extras: Vec::new(),
    };
    for r in &columns {
        d.columns.push(DetailColumn {
            name: r.try_get("name")?,
            type_name: r.try_get("type")?,
            not_null: r.try_get("not_null")?,
            default_expr: r.try_get("default_expr")?,
            identity: r.try_get("identity")?,
            generated_expr: r.try_get("generated_expr")?,
            collation: r.try_get("collation")?,
            comment: r.try_get("comment")?,
            null_frac: r.try_get("null_frac")?,
            n_distinct: r.try_get("n_distinct")?,
        });
    }
    for r in &constraints {
        d.constraints.push(DetailConstraint {
            own: r.try_get::<_, String>("direction")? == "own",
            kind: r.try_get("kind")?,
            name: r.try_get("name")?,
            other_table: r.try_get("other_table")?,
            definition: r.try_get("definition")?,
            validated: r.try_get("validated")?,
        });
    }
    for r in &indexes {
        d.indexes.push(DetailIndex {
            name: r.try_get("name")?,
            definition: r.try_get("definition")?,
            method: r.try_get("method")?,
            unique: r.try_get("is_unique")?,
            primary: r.try_get("is_primary")?,
            predicate: r.try_get("predicate")?,
            include_columns: r.try_get("include_columns")?,
            bytes: r.try_get("bytes")?,
            scans: r.try_get("scans")?,
            valid: r.try_get("valid")?,
            ready: r.try_get("ready")?,
        });
    }
    for r in &extras {
        d.extras.push(DetailExtra {
            kind: r.try_get("kind")?,
            name: r.try_get("name")?,
            detail: r.try_get("detail")?,
        });
    }
    Ok(d)
}

/// `count(*)` of a table, on the monitor connection (its `statement_timeout` cuts a count that takes
/// too long). The name is built from the catalog's names with `quote_ident`, never from user text.
pub async fn count_rows(client: &Client, schema: &str, name: &str) -> Result<i64, DbError> {
    let sql = format!(
        "select count(*) from {}.{}",
        quote_ident(schema),
        quote_ident(name)
    );
    let rows = client.query_typed(&sql, &[]).await?;
    let row = rows
        .first()
        .ok_or_else(|| DbError::Other("count(*) returned no row".into()))?;
    Ok(row.try_get(0)?)
}
