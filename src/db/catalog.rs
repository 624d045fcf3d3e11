//! Catalog queries for the schema browser, on the monitor connection.

use tokio_postgres::Client;

use super::DbError;
use crate::model::catalog::{RelKind, Relation, Schema, SchemaTree};

const SCHEMA_TREE: &str = include_str!("sql/schema_tree.sql");
const COMPLETION_NAMES: &str = include_str!("sql/completion_names.sql");

/// Names for editor completion.
pub async fn completion_names(
    client: &Client,
) -> Result<crate::model::completion::CatalogNames, DbError> {
    use crate::model::completion::{CatalogNames, RelName};
    let rows = client.query_typed(COMPLETION_NAMES, &[]).await?;
    let mut names = CatalogNames::default();
    for r in &rows {
        let kind: String = r.try_get(0)?;
        let schema: String = r.try_get(1)?;
        let rel: Option<String> = r.try_get(2)?;
        let name: String = r.try_get(3)?;
        let visible: bool = r.try_get(4)?;
        match kind.as_str() {
            "s" => names.schemas.push(name),
            "r" => names.relations.push(RelName {
                schema,
                name,
                visible,
            }),
            "c" => names
                .columns
                .entry((schema, rel.unwrap_or_default()))
                .or_default()
                .push(name),
            "f" => names.functions.push(RelName {
                schema,
                name,
                visible,
            }),
            _ => names.types.push(name),
        }
    }
    Ok(names)
}

/// Load every schema with its relations in one query.
pub async fn schema_tree(client: &Client) -> Result<SchemaTree, DbError> {
    let rows = client.query_typed(SCHEMA_TREE, &[]).await?;
    let mut schemas: Vec<Schema> = Vec::new();
    for row in &rows {
        let schema_oid: u32 = row.try_get("schema_oid")?;
        if schemas.last().is_none_or(|s| s.oid != schema_oid) {
            schemas.push(Schema {
                oid: schema_oid,
                name: row.try_get("schema_name")?,
                system: row.try_get("system")?,
                relations: Vec::new(),
            });
        }
        let Some(rel_oid) = row.try_get::<_, Option<u32>>("rel_oid")? else {
            continue;
        };
        let relkind: String = row.try_get("relkind")?;
        let Some(kind) = RelKind::from_relkind(&relkind) else {
            continue;
        };
        if let Some(schema) = schemas.last_mut() {
            schema.relations.push(Relation {
                oid: rel_oid,
                name: row.try_get("rel_name")?,
                kind,
                is_partition: row.try_get("is_partition")?,
                estimated_rows: row.try_get("estimated_rows")?,
                readable: row.try_get("readable")?,
            });
        }
    }
    // User schemas first (public leading), system schemas last, as a browser is used.
    schemas.sort_by(|a, b| {
        (a.system, a.name != "public", &a.name).cmp(&(b.system, b.name != "public", &b.name))
    });
    Ok(SchemaTree { schemas })
}
