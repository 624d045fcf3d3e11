//! Reads the history tables of schema-migration tools on the monitor connection: finds them (the
//! `migration_failed` check's SQL, by name in any schema), tells the tools apart and reads each one's
//! applied history with the SELECT `model::migrations` builds from the columns that exist. Nothing
//! here imports ratatui or crossterm.

use tokio_postgres::Client;
use tokio_postgres::types::Type;

use super::DbError;
use crate::model::ident::quote_ident;
use crate::model::migrations::{self, Entry, History, HistoryTable};

/// The tables by name, with their columns and whether this role may read them.
const TABLES: &str = include_str!("sql/health/migration_failed.sql");

/// The columns of one table (by schema and name; empty when there is no such table).
const COLUMNS: &str = "select array_agg(a.attname::text order by a.attnum) \
     from pg_attribute a join pg_class c on c.oid = a.attrelid \
     join pg_namespace n on n.oid = c.relnamespace \
     where n.nspname = $1 and c.relname = $2 and a.attnum > 0 and not a.attisdropped";

/// Entries of one history read at most (newest first).
pub const HISTORY_LIMIT: usize = 1000;

/// A history table found, and whether this role may read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub table: HistoryTable,
    pub readable: bool,
}

/// The history tables of this database (of one schema when given), in schema and name order.
pub async fn detect(client: &Client, schema: Option<&str>) -> Result<Vec<Found>, DbError> {
    let rows = client.query_typed(TABLES, &[(&schema, Type::TEXT)]).await?;
    let mut found = Vec::new();
    for row in rows {
        let schema: String = row.try_get(0)?;
        let table: String = row.try_get(1)?;
        let columns: Vec<String> = row.try_get(3)?;
        let readable: bool = row.try_get(4)?;
        if let Some(tool) = migrations::detect(&schema, &table, &columns) {
            found.push(Found {
                table: HistoryTable {
                    tool,
                    schema,
                    table,
                    columns,
                },
                readable,
            });
        }
    }
    Ok(found)
}

/// The newest `limit` entries of a history table, newest first.
pub async fn read(client: &Client, table: &HistoryTable, limit: usize) -> Result<History, DbError> {
    let rows = client.query_typed(&table.history_sql(limit), &[]).await?;
    let truncated = rows.len() > limit;
    let mut entries = Vec::with_capacity(rows.len().min(limit));
    for row in rows.iter().take(limit) {
        let mut texts: [Option<String>; 8] = Default::default();
        for (i, t) in texts.iter_mut().enumerate() {
            *t = row.try_get(i)?;
        }
        entries.push(Entry::from_texts(table.tool, texts));
    }
    Ok(History {
        table: table.clone(),
        entries,
        truncated,
    })
}

/// The history in `schema.table` (the schema browser opens one by name): its tool from its columns,
/// then its newest entries. An error when the table is gone or is no tool's history table.
pub async fn history(client: &Client, schema: &str, table: &str) -> Result<History, DbError> {
    let row = client
        .query_typed_one(COLUMNS, &[(&schema, Type::TEXT), (&table, Type::TEXT)])
        .await?;
    let columns: Vec<String> = row
        .try_get::<_, Option<Vec<String>>>(0)?
        .unwrap_or_default();
    let name = format!("{}.{}", quote_ident(schema), quote_ident(table));
    if columns.is_empty() {
        return Err(DbError::Other(format!("{name} no longer exists")));
    }
    let tool = migrations::detect(schema, table, &columns).ok_or_else(|| {
        DbError::Other(format!(
            "{name} does not have the columns of a known migration tool's history table"
        ))
    })?;
    let t = HistoryTable {
        tool,
        schema: schema.to_string(),
        table: table.to_string(),
        columns,
    };
    read(client, &t, HISTORY_LIMIT).await
}

/// Every detected history, read: for `pgdeck schema --migrations` and the health check. A table this
/// role may not read is an error naming it and the privilege it needs.
pub async fn histories(client: &Client, schema: Option<&str>) -> Result<Vec<History>, DbError> {
    let found = detect(client, schema).await?;
    let unreadable: Vec<String> = found
        .iter()
        .filter(|f| !f.readable)
        .map(|f| f.table.qualified())
        .collect();
    if !unreadable.is_empty() {
        return Err(DbError::Other(format!(
            "cannot read the migration history in {}: this role needs SELECT on {} (GRANT SELECT, or membership in pg_read_all_data on PostgreSQL 14+)",
            unreadable.join(", "),
            if unreadable.len() == 1 { "it" } else { "them" }
        )));
    }
    let mut out = Vec::with_capacity(found.len());
    for f in found {
        out.push(read(client, &f.table, HISTORY_LIMIT).await?);
    }
    Ok(out)
}
