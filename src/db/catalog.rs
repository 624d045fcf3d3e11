//! Catalog queries for the schema browser, on the monitor connection.

use tokio_postgres::Client;

use super::DbError;
use crate::model::catalog::{
    DatabaseItem, Extension, RelKind, Relation, RoleItem, Routine, Schema, SchemaTree, TableMember,
    TypeItem,
};

const SCHEMA_TREE: &str = include_str!("sql/schema_tree.sql");
const SCHEMA_ROUTINES: &str = include_str!("sql/schema_routines.sql");
const SCHEMA_TYPES: &str = include_str!("sql/schema_types.sql");
const SCHEMA_EXTENSIONS: &str = include_str!("sql/schema_extensions.sql");
const SCHEMA_ROLES: &str = include_str!("sql/schema_roles.sql");
const SCHEMA_MEMBERS: &str = include_str!("sql/schema_members.sql");
const SCHEMA_DATABASES: &str = include_str!("sql/schema_databases.sql");
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

/// Load every schema with its relations, routines and types, plus triggers, policies, extensions,
/// roles and the cluster's databases (seven queries sent together on the one connection,
/// pipelined).
#[allow(clippy::result_large_err)] // DbError is large by design (the server's fields)
pub async fn schema_tree(client: &Client) -> Result<SchemaTree, DbError> {
    let (rows, routines, types, extensions, roles, members, databases) = tokio::try_join!(
        client.query_typed(SCHEMA_TREE, &[]),
        client.query_typed(SCHEMA_ROUTINES, &[]),
        client.query_typed(SCHEMA_TYPES, &[]),
        client.query_typed(SCHEMA_EXTENSIONS, &[]),
        client.query_typed(SCHEMA_ROLES, &[]),
        client.query_typed(SCHEMA_MEMBERS, &[]),
        client.query_typed(SCHEMA_DATABASES, &[]),
    )?;
    let mut schemas: Vec<Schema> = Vec::new();
    for row in &rows {
        let schema_oid: u32 = row.try_get("schema_oid")?;
        if schemas.last().is_none_or(|s| s.oid != schema_oid) {
            schemas.push(Schema {
                oid: schema_oid,
                name: row.try_get("schema_name")?,
                system: row.try_get("system")?,
                relations: Vec::new(),
                routines: Vec::new(),
                types: Vec::new(),
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
                parent_oid: row.try_get("parent_oid")?,
                partition_bound: row.try_get("partition_bound")?,
            });
        }
    }
    let index: std::collections::HashMap<u32, usize> = schemas
        .iter()
        .enumerate()
        .map(|(i, s)| (s.oid, i))
        .collect();
    for r in &routines {
        let schema_oid: u32 = r.try_get("schema_oid")?;
        let Some(&i) = index.get(&schema_oid) else {
            continue;
        };
        let kind: String = r.try_get("kind")?;
        schemas[i].routines.push(Routine {
            oid: r.try_get("oid")?,
            name: r.try_get("name")?,
            arguments: r.try_get("arguments")?,
            result: r.try_get("result")?,
            kind: Routine::kind_word(&kind),
        });
    }
    for r in &types {
        let schema_oid: u32 = r.try_get("schema_oid")?;
        let Some(&i) = index.get(&schema_oid) else {
            continue;
        };
        let kind: String = r.try_get("kind")?;
        schemas[i].types.push(TypeItem {
            oid: r.try_get("oid")?,
            name: r.try_get("name")?,
            kind: TypeItem::kind_word(&kind),
            detail: r
                .try_get::<_, Option<String>>("detail")?
                .unwrap_or_default(),
        });
    }
    let extensions = extensions
        .iter()
        .map(|r| {
            Ok(Extension {
                name: r.try_get(0)?,
                installed_version: r.try_get(1)?,
                default_version: r.try_get(2)?,
                schema: r.try_get(3)?,
                comment: r.try_get(4)?,
            })
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    let roles = roles
        .iter()
        .map(|r| {
            let mut attributes = Vec::new();
            for a in [
                "superuser",
                "login",
                "createdb",
                "createrole",
                "replication",
                "bypassrls",
            ] {
                if r.try_get::<_, bool>(a)? {
                    attributes.push(a.to_string());
                }
            }
            Ok(RoleItem {
                name: r.try_get("name")?,
                attributes,
                connection_limit: r.try_get("connection_limit")?,
                member_of: r.try_get("member_of")?,
            })
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    // User schemas first (public leading), system schemas last, as a browser is used.
    schemas.sort_by(|a, b| {
        (a.system, a.name != "public", &a.name).cmp(&(b.system, b.name != "public", &b.name))
    });
    let members = members
        .iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            Ok(TableMember {
                kind: if kind == "trigger" {
                    "trigger"
                } else {
                    "policy"
                },
                schema_oid: r.try_get("schema_oid")?,
                table_oid: r.try_get("table_oid")?,
                table: r.try_get("table_name")?,
                name: r.try_get("name")?,
                detail: r.try_get("detail")?,
            })
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    let databases = databases
        .iter()
        .map(|r| {
            Ok(DatabaseItem {
                name: r.try_get("name")?,
                current: r.try_get("current")?,
                can_connect: r.try_get("can_connect")?,
                comment: r.try_get("comment")?,
            })
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    Ok(SchemaTree {
        schemas,
        extensions,
        roles,
        members,
        databases,
    })
}
