//! psql meta-commands (`\d`, `\dt`, `\df`...) answered from the catalog on the monitor connection,
//! as result sets the results grid shows like any other. Patterns are bound as parameters.

use tokio_postgres::Client;
use tokio_postgres::types::{ToSql, Type};

use super::DbError;
use crate::model::psql_meta::{Meta, Pattern};
use crate::model::result_set::{Column, RowBatch};

const RELATIONS: &str = include_str!("sql/psql/relations.sql");
const INDEXES: &str = include_str!("sql/psql/indexes.sql");
const FUNCTIONS: &str = include_str!("sql/psql/functions.sql");
const SCHEMAS: &str = include_str!("sql/psql/schemas.sql");
const ROLES: &str = include_str!("sql/psql/roles.sql");
const DATABASES: &str = include_str!("sql/psql/databases.sql");
const FIND_RELATION: &str = include_str!("sql/psql/find_relation.sql");
const DESCRIBE_COLUMNS: &str = include_str!("sql/psql/describe_columns.sql");
const DESCRIBE_FOOTER: &str = include_str!("sql/psql/describe_footer.sql");

/// One result set of a meta-command.
pub struct MetaResult {
    pub columns: Vec<Column>,
    pub rows: RowBatch,
}

/// Run a catalog meta-command. `\x` and `\conninfo` are the app's and never reach here.
pub async fn run(client: &Client, meta: &Meta) -> Result<Vec<MetaResult>, DbError> {
    let pattern: &Option<Pattern> = match meta {
        Meta::Describe(p)
        | Meta::Relations { pattern: p, .. }
        | Meta::Functions { pattern: p, .. }
        | Meta::Schemas { pattern: p, .. }
        | Meta::Roles { pattern: p }
        | Meta::Databases { pattern: p } => p,
        Meta::Expanded(_) | Meta::ConnInfo | Meta::Set(_) => &None,
    };
    let schema = pattern.as_ref().and_then(|p| p.schema.clone());
    let name = pattern.as_ref().map(|p| p.name.clone());
    match meta {
        Meta::Relations { kinds, system, .. } if kinds.contains('i') => {
            one(
                client,
                INDEXES,
                &[
                    (&schema, Type::TEXT),
                    (&name, Type::TEXT),
                    (system, Type::BOOL),
                ],
            )
            .await
        }
        Meta::Relations { kinds, system, .. } => {
            let kinds = kinds.to_string();
            one(
                client,
                RELATIONS,
                &[
                    (&kinds, Type::TEXT),
                    (&schema, Type::TEXT),
                    (&name, Type::TEXT),
                    (system, Type::BOOL),
                ],
            )
            .await
        }
        Meta::Functions { system, .. } => {
            one(
                client,
                FUNCTIONS,
                &[
                    (&schema, Type::TEXT),
                    (&name, Type::TEXT),
                    (system, Type::BOOL),
                ],
            )
            .await
        }
        Meta::Schemas { system, .. } => {
            // `\dn` takes a plain name pattern: a dotted one means schema.name elsewhere
            let pat = name.or(schema);
            one(client, SCHEMAS, &[(&pat, Type::TEXT), (system, Type::BOOL)]).await
        }
        Meta::Roles { .. } => one(client, ROLES, &[(&name, Type::TEXT)]).await,
        Meta::Databases { .. } => one(client, DATABASES, &[(&name, Type::TEXT)]).await,
        Meta::Describe(_) => {
            let Some(name) = name else {
                return Ok(Vec::new());
            };
            let found = client
                .query_typed(FIND_RELATION, &[(&schema, Type::TEXT), (&name, Type::TEXT)])
                .await?;
            let Some(row) = found.first() else {
                return Err(DbError::Refused(
                    "Did not find any relation with that name.".into(),
                ));
            };
            let oid: u32 = row.try_get(0)?;
            let mut out = one(client, DESCRIBE_COLUMNS, &[(&oid, Type::OID)]).await?;
            let footer = one(client, DESCRIBE_FOOTER, &[(&oid, Type::OID)]).await?;
            // the footer is a second result set only when there is something in it
            out.extend(footer.into_iter().filter(|r| r.rows.rows() > 0));
            Ok(out)
        }
        Meta::Expanded(_) | Meta::ConnInfo | Meta::Set(_) => Ok(Vec::new()),
    }
}

/// Run one catalog query whose columns are all text; the column names come from the statement.
async fn one(
    client: &Client,
    sql: &str,
    params: &[(&(dyn ToSql + Sync), Type)],
) -> Result<Vec<MetaResult>, DbError> {
    let rows = client.query_typed(sql, params).await?;
    let stmt_cols: Vec<Column> = match rows.first() {
        Some(r) => r
            .columns()
            .iter()
            .map(|c| Column {
                name: c.name().to_string(),
                type_oid: c.type_().oid(),
            })
            .collect(),
        None => {
            // no rows: ask the server for the column names without running anything
            let stmt = client
                .prepare_typed(sql, &params.iter().map(|p| p.1.clone()).collect::<Vec<_>>())
                .await?;
            stmt.columns()
                .iter()
                .map(|c| Column {
                    name: c.name().to_string(),
                    type_oid: c.type_().oid(),
                })
                .collect()
        }
    };
    let mut batch = RowBatch::new(stmt_cols.len());
    for r in &rows {
        let mut cells: Vec<Option<String>> = Vec::with_capacity(stmt_cols.len());
        for i in 0..stmt_cols.len() {
            cells.push(r.try_get::<_, Option<String>>(i)?);
        }
        batch.push_row(cells.iter().map(|c| c.as_deref()));
    }
    Ok(vec![MetaResult {
        columns: stmt_cols,
        rows: batch,
    }])
}
