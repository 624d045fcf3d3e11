//! Loading what a CREATE statement needs from the catalogs (one query per `sql/ddl/*.sql` file) into
//! `model::ddl` types; the rendering is `model::ddl`'s. Expressions come from the server's deparsers,
//! so their qualification follows the connection's `search_path`: `pgdeck ddl` sets it to
//! `pg_catalog` first (as pg_dump does) so every name outside pg_catalog comes out qualified.
//! Nothing here writes: every query is a catalog read.

// DbError carries the server's error fields by value, as the rest of db/ does; row readers return it.
#![allow(clippy::result_large_err)]

use tokio_postgres::{Client, Row};

use super::DbError;
use crate::model::ddl::{
    AggregateDef, ColumnDef, ConstraintDef, DdlRelKind, DomainConstraint, FunctionDef, GrantDef,
    IndexDef, NotNullDef, ObjectDef, PolicyDef, QualName, RelationDef, SequenceDef, StatisticsDef,
    TriggerDef, TypeAttribute, TypeDef,
};

const FIND_OBJECT: &str = include_str!("sql/ddl/find_object.sql");
const RELATION: &str = include_str!("sql/ddl/relation.sql");
const COLUMNS: &str = include_str!("sql/ddl/columns.sql");
const SEQUENCE: &str = include_str!("sql/ddl/sequence.sql");
const CONSTRAINTS: &str = include_str!("sql/ddl/constraints.sql");
const INDEXES: &str = include_str!("sql/ddl/indexes.sql");
const TRIGGERS: &str = include_str!("sql/ddl/triggers.sql");
const POLICIES: &str = include_str!("sql/ddl/policies.sql");
const STATISTICS: &str = include_str!("sql/ddl/statistics.sql");
const PARTITIONS: &str = include_str!("sql/ddl/partitions.sql");
const FUNCTION: &str = include_str!("sql/ddl/functions.sql");
const INDEX_TABLE: &str = include_str!("sql/ddl/index_table.sql");
const TYPE: &str = include_str!("sql/ddl/type.sql");
const AGGREGATE: &str = include_str!("sql/ddl/aggregate.sql");

/// An object a name designates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    /// `rel:r`, `rel:v`, `fn:f`, `type:e`...
    pub kind: String,
    pub oid: u32,
    pub name: QualName,
}

/// The objects called `name` (in `schema`, or visible on the search_path when `None`).
pub async fn find_objects(
    client: &Client,
    schema: Option<&str>,
    name: &str,
) -> Result<Vec<ObjectRef>, DbError> {
    let rows = client
        .query_typed(
            FIND_OBJECT,
            &[
                (&schema, tokio_postgres::types::Type::TEXT),
                (&name, tokio_postgres::types::Type::TEXT),
            ],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(ObjectRef {
                kind: r.try_get(0)?,
                oid: r.try_get(1)?,
                name: QualName::new(r.try_get::<_, String>(2)?, r.try_get::<_, String>(3)?),
            })
        })
        .collect()
}

/// The object is gone (dropped between listing and opening).
fn gone(what: &str, oid: u32) -> DbError {
    DbError::Other(format!(
        "{what} with oid {oid} no longer exists (dropped since it was listed?)"
    ))
}

async fn query_oid(client: &Client, sql: &str, oid: u32) -> Result<Vec<Row>, DbError> {
    Ok(client
        .query_typed(sql, &[(&oid, tokio_postgres::types::Type::OID)])
        .await?)
}

/// [`object_def`] written as `pgdeck ddl` and pg_dump write it: inside a read-only transaction
/// whose `search_path` is `pg_catalog` alone, so every name outside pg_catalog comes out
/// schema-qualified and the DDL runs the same under any search_path. `SET LOCAL` keeps the
/// settings to the transaction (safe behind a pooler), but `client` must not carry other
/// requests meanwhile: they would run inside it. The transaction is always rolled back; on an
/// error the lock holder, if any, is named.
pub async fn object_def_qualified(
    client: &Client,
    obj: &ObjectRef,
    statement_timeout_ms: u64,
    lock_timeout_ms: u64,
) -> Result<ObjectDef, DbError> {
    // the values are integers from pgdeck's own config
    client
        .batch_execute(&format!(
            "begin read only; set local search_path = pg_catalog; set local jit = off; \
             set local statement_timeout = '{statement_timeout_ms}ms'; \
             set local lock_timeout = '{lock_timeout_ms}ms'"
        ))
        .await?;
    let def = object_def(client, obj).await;
    let ended = client.batch_execute("rollback").await;
    match (def, ended) {
        (Ok(d), Ok(())) => Ok(d),
        (Ok(_), Err(e)) => Err(e.into()),
        (Err(e), _) => Err(super::detail::explain_lock_timeout(client, obj.oid, e).await),
    }
}

/// Load the object a reference names.
pub async fn object_def(client: &Client, obj: &ObjectRef) -> Result<ObjectDef, DbError> {
    if obj.kind.starts_with("rel:") {
        Ok(ObjectDef::Relation(Box::new(
            relation_def(client, obj.oid).await?,
        )))
    } else if obj.kind.starts_with("fn:") {
        Ok(ObjectDef::Function(function_def(client, obj.oid).await?))
    } else {
        Ok(ObjectDef::Type(type_def(client, obj.oid).await?))
    }
}

fn opt_qual(row: &Row, schema: &str, name: &str) -> Result<Option<QualName>, DbError> {
    let s: Option<String> = row.try_get(schema)?;
    let n: Option<String> = row.try_get(name)?;
    Ok(s.zip(n).map(|(s, n)| QualName::new(s, n)))
}

/// A relation with its columns, constraints, indexes, triggers, policies, statistics and (for a
/// partitioned table) its partitions at every level.
pub async fn relation_def(client: &Client, oid: u32) -> Result<RelationDef, DbError> {
    let version: i32 = client
        .query_typed_one("select current_setting('server_version_num')::int4", &[])
        .await?
        .try_get(0)?;
    let mut rel = one_relation(client, oid, version).await?;
    if rel.kind == DdlRelKind::PartitionedTable {
        let rows = query_oid(client, PARTITIONS, oid).await?;
        for r in &rows {
            let part_oid: u32 = r.try_get(0)?;
            rel.partitions
                .push(one_relation(client, part_oid, version).await?);
        }
    }
    Ok(rel)
}

/// One relation; `version` is `server_version_num`, which decides the catalog columns read and
/// whether NOT NULL constraints have names (PostgreSQL 18).
async fn one_relation(client: &Client, oid: u32, version: i32) -> Result<RelationDef, DbError> {
    let rows = query_oid(client, RELATION, oid).await?;
    let row = rows.first().ok_or_else(|| gone("relation", oid))?;
    let relkind: String = row.try_get("relkind")?;
    let kind = DdlRelKind::from_relkind(&relkind)
        .ok_or_else(|| DbError::Other(format!("no DDL for relations of kind {relkind}")))?;
    let mut rel = RelationDef::new(
        QualName::new(
            row.try_get::<_, String>("schema")?,
            row.try_get::<_, String>("name")?,
        ),
        kind,
    );
    rel.unlogged = row.try_get::<_, String>("persistence")? == "u";
    rel.options = row.try_get("options")?;
    rel.toast_options = row.try_get("toast_options")?;
    rel.access_method = row.try_get("access_method")?;
    rel.tablespace = row.try_get("tablespace")?;
    rel.partition_key = row.try_get("partition_key")?;
    rel.partition_bound = row.try_get("partition_bound")?;
    rel.parent = opt_qual(row, "parent_schema", "parent_name")?;
    rel.rls = row.try_get("rls")?;
    rel.rls_forced = row.try_get("rls_forced")?;
    rel.replica_identity = row.try_get("replica_identity")?;
    rel.view_definition = row.try_get("view_definition")?;
    rel.populated = row.try_get("populated")?;
    rel.comment = row.try_get("comment")?;
    rel.named_not_null = version >= 180000;
    rel.owner = row.try_get("owner")?;
    rel.owned_by_me = row.try_get("owned_by_me")?;
    rel.foreign_server = row.try_get("foreign_server")?;
    rel.inherits = row.try_get("inherits")?;
    rel.foreign_options = row.try_get("foreign_options")?;
    rel.of_type = row.try_get("of_type")?;
    let grants: String = row.try_get("grants")?;
    rel.grants = serde_json::from_str::<Vec<GrantDef>>(&grants)
        .map_err(|e| DbError::Other(format!("reading the grants of {}: {e}", rel.name.quoted())))?;

    match kind {
        DdlRelKind::Sequence => {
            rel.sequence = Some(sequence_def(client, oid).await?);
            return Ok(rel);
        }
        DdlRelKind::Index | DdlRelKind::PartitionedIndex => {
            rel.indexes = index_of(client, oid).await?;
            return Ok(rel);
        }
        _ => {}
    }
    rel.columns = columns(client, oid, version).await?;
    if matches!(
        kind,
        DdlRelKind::Table | DdlRelKind::PartitionedTable | DdlRelKind::ForeignTable
    ) {
        rel.constraints = constraints(client, oid).await?;
        rel.policies = policies(client, oid).await?;
    }
    if kind != DdlRelKind::View {
        rel.indexes = indexes(client, oid).await?;
        rel.statistics = statistics(client, oid).await?;
    }
    rel.triggers = triggers(client, oid).await?;
    Ok(rel)
}

async fn columns(client: &Client, oid: u32, version: i32) -> Result<Vec<ColumnDef>, DbError> {
    // pg_attribute.attcompression came with PostgreSQL 14: older servers have no column compression.
    let sql = if version < 140000 {
        std::borrow::Cow::Owned(COLUMNS.replace("a.attcompression::text", "''::text"))
    } else {
        std::borrow::Cow::Borrowed(COLUMNS)
    };
    let rows = query_oid(client, &sql, oid).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let seq_oid: Option<u32> = r.try_get("sequence_oid")?;
        let sequence = match seq_oid {
            Some(s) => Some(sequence_def(client, s).await?),
            None => None,
        };
        let grants: String = r.try_get("grants")?;
        let grants = serde_json::from_str::<Vec<GrantDef>>(&grants)
            .map_err(|e| DbError::Other(format!("reading column grants: {e}")))?;
        let not_null_constraint = match r.try_get::<_, Option<String>>("nn_name")? {
            Some(name) => Some(NotNullDef {
                name,
                local: r.try_get("nn_local")?,
                no_inherit: r.try_get("nn_no_inherit")?,
                validated: r.try_get("nn_validated")?,
                comment: r.try_get("nn_comment")?,
                parent_name: r.try_get("nn_parent_name")?,
            }),
            None => None,
        };
        out.push(ColumnDef {
            not_null_constraint,
            grants,
            name: r.try_get("name")?,
            type_name: r.try_get("type")?,
            not_null: r.try_get("not_null")?,
            default_expr: r.try_get("default_expr")?,
            generated_expr: r.try_get("generated_expr")?,
            identity: r.try_get("identity")?,
            collation: r.try_get("collation")?,
            local: r.try_get("local")?,
            comment: r.try_get("comment")?,
            stat_target: r.try_get("stat_target")?,
            storage: r.try_get("storage")?,
            type_storage: r.try_get("type_storage")?,
            compression: r.try_get("compression")?,
            options: r.try_get("options")?,
            fdw_options: r.try_get("fdw_options")?,
            sequence,
        });
    }
    Ok(out)
}

/// A sequence's settings.
pub async fn sequence_def(client: &Client, oid: u32) -> Result<SequenceDef, DbError> {
    let rows = query_oid(client, SEQUENCE, oid).await?;
    let r = rows.first().ok_or_else(|| gone("sequence", oid))?;
    Ok(SequenceDef {
        name: QualName::new(
            r.try_get::<_, String>("schema")?,
            r.try_get::<_, String>("name")?,
        ),
        data_type: r.try_get("data_type")?,
        start: r.try_get("start")?,
        increment: r.try_get("increment")?,
        min: r.try_get("min")?,
        max: r.try_get("max")?,
        cache: r.try_get("cache")?,
        cycle: r.try_get("cycle")?,
        unlogged: r.try_get::<_, String>("persistence")? == "u",
        comment: r.try_get("comment")?,
        identity: r.try_get("identity")?,
        owned_by: opt_qual(r, "owner_schema", "owner_table")?
            .zip(r.try_get::<_, Option<String>>("owner_column")?),
    })
}

async fn constraints(client: &Client, oid: u32) -> Result<Vec<ConstraintDef>, DbError> {
    let rows = query_oid(client, CONSTRAINTS, oid).await?;
    rows.iter()
        .map(|r| {
            Ok(ConstraintDef {
                name: r.try_get("name")?,
                kind: r.try_get("kind")?,
                definition: r.try_get("definition")?,
                local: r.try_get("local")?,
                from_parent: r.try_get("from_parent")?,
                comment: r.try_get("comment")?,
            })
        })
        .collect()
}

fn index_row(r: &Row) -> Result<IndexDef, DbError> {
    Ok(IndexDef {
        name: r.try_get("name")?,
        definition: r.try_get("definition")?,
        constraint_index: r.try_get("constraint_index")?,
        parent: opt_qual(r, "parent_schema", "parent_name")?,
        clustered: r.try_get("clustered")?,
        replica_identity: r.try_get("replica_identity")?,
        comment: r.try_get("comment")?,
    })
}

async fn indexes(client: &Client, oid: u32) -> Result<Vec<IndexDef>, DbError> {
    let rows = query_oid(client, INDEXES, oid).await?;
    rows.iter().map(index_row).collect()
}

/// One index (for the DDL of an index on its own): the rows of its table, filtered to it.
async fn index_of(client: &Client, index_oid: u32) -> Result<Vec<IndexDef>, DbError> {
    let rows = query_oid(client, INDEX_TABLE, index_oid).await?;
    let row = rows.first().ok_or_else(|| gone("index", index_oid))?;
    let table: u32 = row.try_get("table_oid")?;
    let name: String = row.try_get("name")?;
    Ok(indexes(client, table)
        .await?
        .into_iter()
        .filter(|i| i.name == name)
        .collect())
}

async fn triggers(client: &Client, oid: u32) -> Result<Vec<TriggerDef>, DbError> {
    let rows = query_oid(client, TRIGGERS, oid).await?;
    rows.iter()
        .map(|r| {
            Ok(TriggerDef {
                name: r.try_get("name")?,
                definition: r.try_get("definition")?,
                enabled: r.try_get("enabled")?,
                from_parent: r.try_get("from_parent")?,
                comment: r.try_get("comment")?,
            })
        })
        .collect()
}

async fn policies(client: &Client, oid: u32) -> Result<Vec<PolicyDef>, DbError> {
    let rows = query_oid(client, POLICIES, oid).await?;
    rows.iter()
        .map(|r| {
            Ok(PolicyDef {
                name: r.try_get("name")?,
                permissive: r.try_get("permissive")?,
                command: r.try_get("command")?,
                roles: r.try_get("roles")?,
                using_expr: r.try_get("using_expr")?,
                check_expr: r.try_get("check_expr")?,
                comment: r.try_get("comment")?,
            })
        })
        .collect()
}

async fn statistics(client: &Client, oid: u32) -> Result<Vec<StatisticsDef>, DbError> {
    let rows = query_oid(client, STATISTICS, oid).await?;
    rows.iter()
        .map(|r| {
            Ok(StatisticsDef {
                name: r.try_get("name")?,
                definition: r.try_get("definition")?,
                stat_target: r.try_get("stat_target")?,
                comment: r.try_get("comment")?,
            })
        })
        .collect()
}

/// A function or procedure.
pub async fn function_def(client: &Client, oid: u32) -> Result<FunctionDef, DbError> {
    let rows = query_oid(client, FUNCTION, oid).await?;
    let r = rows.first().ok_or_else(|| gone("function", oid))?;
    let kind: String = r.try_get("kind")?;
    let aggregate = if kind == "a" {
        Some(Box::new(aggregate_def(client, oid).await?))
    } else {
        None
    };
    Ok(FunctionDef {
        name: QualName::new(
            r.try_get::<_, String>("schema")?,
            r.try_get::<_, String>("name")?,
        ),
        kind,
        definition: r.try_get("definition")?,
        arguments: r.try_get("arguments")?,
        comment: r.try_get("comment")?,
        aggregate,
    })
}

/// An aggregate's definition.
async fn aggregate_def(client: &Client, oid: u32) -> Result<AggregateDef, DbError> {
    let rows = query_oid(client, AGGREGATE, oid).await?;
    let r = rows.first().ok_or_else(|| gone("aggregate", oid))?;
    Ok(AggregateDef {
        arguments: r.try_get("arguments")?,
        kind: r.try_get("agg_kind")?,
        sfunc: r.try_get("sfunc")?,
        stype: r.try_get("stype")?,
        sspace: r.try_get("sspace")?,
        finalfunc: r.try_get("finalfunc")?,
        finalfunc_extra: r.try_get("finalfunc_extra")?,
        finalfunc_modify: r.try_get("finalfunc_modify")?,
        combinefunc: r.try_get("combinefunc")?,
        serialfunc: r.try_get("serialfunc")?,
        deserialfunc: r.try_get("deserialfunc")?,
        initcond: r.try_get("initcond")?,
        msfunc: r.try_get("msfunc")?,
        minvfunc: r.try_get("minvfunc")?,
        mstype: r.try_get("mstype")?,
        msspace: r.try_get("msspace")?,
        mfinalfunc: r.try_get("mfinalfunc")?,
        mfinalfunc_extra: r.try_get("mfinalfunc_extra")?,
        mfinalfunc_modify: r.try_get("mfinalfunc_modify")?,
        minitcond: r.try_get("minitcond")?,
        sortop: r.try_get("sortop")?,
        parallel: r.try_get("parallel")?,
    })
}

/// An enum, domain, composite or range type.
pub async fn type_def(client: &Client, oid: u32) -> Result<TypeDef, DbError> {
    let rows = query_oid(client, TYPE, oid).await?;
    let r = rows.first().ok_or_else(|| gone("type", oid))?;
    let name = QualName::new(
        r.try_get::<_, String>("schema")?,
        r.try_get::<_, String>("name")?,
    );
    let constraints: String = r.try_get("constraints")?;
    let attributes: String = r.try_get("attributes")?;
    let bad = |e: serde_json::Error| DbError::Other(format!("reading type {}: {e}", name.quoted()));
    Ok(TypeDef {
        kind: r.try_get("kind")?,
        labels: r.try_get("labels")?,
        base_type: r.try_get("base_type")?,
        default_expr: r.try_get("default_expr")?,
        not_null: r.try_get("not_null")?,
        collation: r.try_get("collation")?,
        constraints: serde_json::from_str::<Vec<DomainConstraint>>(&constraints).map_err(bad)?,
        attributes: serde_json::from_str::<Vec<TypeAttribute>>(&attributes).map_err(bad)?,
        range_subtype: r.try_get("range_subtype")?,
        comment: r.try_get("comment")?,
        not_null_name: r.try_get("not_null_name")?,
        name,
    })
}
