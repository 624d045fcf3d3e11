//! The schema tree as the sidebar shows it: schemas and the relations in them. Loaded in one query at
//! connect so the first frame can show it; details are loaded lazily by later requests.

use serde::Serialize;

/// The kind of a relation (`pg_class.relkind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RelKind {
    Table,
    PartitionedTable,
    View,
    MaterializedView,
    ForeignTable,
    Sequence,
}

impl RelKind {
    /// From `pg_class.relkind`; `None` for kinds the tree does not list (indexes, TOAST, composite types).
    pub fn from_relkind(c: &str) -> Option<RelKind> {
        Some(match c {
            "r" => RelKind::Table,
            "p" => RelKind::PartitionedTable,
            "v" => RelKind::View,
            "m" => RelKind::MaterializedView,
            "f" => RelKind::ForeignTable,
            "S" => RelKind::Sequence,
            _ => return None,
        })
    }

    /// The group the tree shows this kind under.
    pub fn group_label(self) -> &'static str {
        match self {
            RelKind::Table | RelKind::PartitionedTable => "tables",
            RelKind::View => "views",
            RelKind::MaterializedView => "materialized views",
            RelKind::ForeignTable => "foreign tables",
            RelKind::Sequence => "sequences",
        }
    }

    /// Order of the groups in the tree.
    pub fn group_order(self) -> u8 {
        match self {
            RelKind::Table | RelKind::PartitionedTable => 0,
            RelKind::View => 1,
            RelKind::MaterializedView => 2,
            RelKind::ForeignTable => 3,
            RelKind::Sequence => 4,
        }
    }
}

/// A relation in the tree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Relation {
    pub oid: u32,
    pub name: String,
    pub kind: RelKind,
    /// Whether this is a partition of another table (shown nested under its parent in the schema issue).
    pub is_partition: bool,
    /// `pg_class.reltuples`, clamped at 0 (-1 means never analyzed since PG 14).
    pub estimated_rows: f64,
    /// Whether the current user may SELECT from it.
    pub readable: bool,
}

/// A schema and its relations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Schema {
    pub oid: u32,
    pub name: String,
    /// `pg_catalog`, `information_schema`, `pg_toast`...
    pub system: bool,
    pub relations: Vec<Relation>,
}

/// Everything the sidebar shows for one database.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SchemaTree {
    pub schemas: Vec<Schema>,
}

impl SchemaTree {
    /// Number of tables (including partitioned ones) across user schemas.
    pub fn table_count(&self) -> usize {
        self.schemas
            .iter()
            .filter(|s| !s.system)
            .flat_map(|s| &s.relations)
            .filter(|r| r.kind.group_order() == 0)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relkind_mapping() {
        assert_eq!(RelKind::from_relkind("r"), Some(RelKind::Table));
        assert_eq!(RelKind::from_relkind("p"), Some(RelKind::PartitionedTable));
        assert_eq!(RelKind::from_relkind("i"), None);
        assert_eq!(RelKind::PartitionedTable.group_label(), "tables");
    }
}
