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
    /// A partition's parent table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_oid: Option<u32>,
    /// A partition's bound: `FOR VALUES FROM (...) TO (...)`, `DEFAULT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition_bound: Option<String>,
}

/// A function, procedure or aggregate, with its signature.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Routine {
    pub oid: u32,
    pub name: String,
    /// Identity arguments: `a integer, b text`.
    pub arguments: String,
    /// Result type (`integer`, `SETOF record`, `TABLE(...)`); empty for procedures.
    pub result: String,
    /// `function`, `procedure`, `aggregate`, `window`.
    pub kind: &'static str,
}

impl Routine {
    /// `prokind` to a word.
    pub fn kind_word(prokind: &str) -> &'static str {
        match prokind {
            "p" => "procedure",
            "a" => "aggregate",
            "w" => "window",
            _ => "function",
        }
    }

    /// `name(arguments)`.
    pub fn signature(&self) -> String {
        format!("{}({})", self.name, self.arguments)
    }
}

/// A user-defined type: enum, domain, composite or range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TypeItem {
    pub oid: u32,
    pub name: String,
    /// `enum`, `domain`, `composite`, `range`.
    pub kind: &'static str,
    /// Enum labels, a domain's base type and constraints, composite attributes, range subtype.
    pub detail: String,
}

impl TypeItem {
    /// `typtype` to a word.
    pub fn kind_word(typtype: &str) -> &'static str {
        match typtype {
            "e" => "enum",
            "d" => "domain",
            "c" => "composite",
            _ => "range",
        }
    }
}

/// A trigger or policy, listed under its table's schema.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableMember {
    /// `trigger` or `policy`.
    pub kind: &'static str,
    pub schema_oid: u32,
    pub table_oid: u32,
    pub table: String,
    pub name: String,
    /// `disabled` for a trigger; the command for a policy.
    pub detail: String,
}

/// An extension, installed or available.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Extension {
    pub name: String,
    pub installed_version: Option<String>,
    pub default_version: Option<String>,
    pub schema: Option<String>,
    pub comment: Option<String>,
}

/// A role with its attributes and memberships.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleItem {
    pub name: String,
    /// `superuser`, `login`, `createdb`... the attributes it has.
    pub attributes: Vec<String>,
    pub connection_limit: i32,
    pub member_of: Vec<String>,
}

/// A database of the cluster, as the tree lists it (choosing another one reconnects to it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatabaseItem {
    pub name: String,
    /// The database pgdeck is connected to.
    pub current: bool,
    /// Connections are allowed and this role has the CONNECT privilege.
    pub can_connect: bool,
    pub comment: Option<String>,
}

/// A schema and its relations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Schema {
    pub oid: u32,
    pub name: String,
    /// `pg_catalog`, `information_schema`, `pg_toast`...
    pub system: bool,
    pub relations: Vec<Relation>,
    pub routines: Vec<Routine>,
    pub types: Vec<TypeItem>,
}

/// Everything the sidebar shows for one database.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SchemaTree {
    pub schemas: Vec<Schema>,
    pub extensions: Vec<Extension>,
    pub roles: Vec<RoleItem>,
    /// Triggers and policies of every user schema.
    pub members: Vec<TableMember>,
    /// The cluster's databases (not templates).
    pub databases: Vec<DatabaseItem>,
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

/// Fuzzy match as the browser's filter does it: the pattern's characters appear in `name` in order,
/// case-insensitively (`usrl` finds `user_roles`). An empty pattern matches everything.
pub fn fuzzy_match(pattern: &str, name: &str) -> bool {
    if pattern.is_empty() {
        return true;
    }
    let mut hay = name.chars().flat_map(char::to_lowercase);
    pattern
        .chars()
        .flat_map(char::to_lowercase)
        .all(|f| hay.any(|h| h == f))
}

impl SchemaTree {
    /// The tree with only what `pattern` matches (schemas kept when something in them matches or
    /// their own name does) and, unless `system`, without system schemas.
    pub fn filtered(&self, pattern: &str, system: bool) -> SchemaTree {
        let schemas = self
            .schemas
            .iter()
            .filter(|s| system || !s.system)
            .filter_map(|s| {
                let relations: Vec<Relation> = s
                    .relations
                    .iter()
                    .filter(|r| fuzzy_match(pattern, &r.name))
                    .cloned()
                    .collect();
                let routines: Vec<Routine> = s
                    .routines
                    .iter()
                    .filter(|r| fuzzy_match(pattern, &r.name))
                    .cloned()
                    .collect();
                let types: Vec<TypeItem> = s
                    .types
                    .iter()
                    .filter(|t| fuzzy_match(pattern, &t.name))
                    .cloned()
                    .collect();
                let empty = relations.is_empty() && routines.is_empty() && types.is_empty();
                if !pattern.is_empty() && empty && !fuzzy_match(pattern, &s.name) {
                    return None;
                }
                Some(Schema {
                    relations,
                    routines,
                    types,
                    ..s.clone()
                })
            })
            .collect();
        let extensions = self
            .extensions
            .iter()
            .filter(|e| fuzzy_match(pattern, &e.name))
            .cloned()
            .collect();
        let roles = self
            .roles
            .iter()
            .filter(|r| fuzzy_match(pattern, &r.name))
            .cloned()
            .collect();
        let members = self
            .members
            .iter()
            .filter(|m| fuzzy_match(pattern, &m.name))
            .cloned()
            .collect();
        let databases = self
            .databases
            .iter()
            .filter(|d| fuzzy_match(pattern, &d.name))
            .cloned()
            .collect();
        SchemaTree {
            schemas,
            extensions,
            roles,
            members,
            databases,
        }
    }

    /// The tree as indented text: schemas, object groups with counts, partitions under their parent
    /// with their bounds, routines with signatures, types with their details; names quoted as SQL
    /// would need them.
    pub fn to_text(&self) -> String {
        use super::ident::quote_ident;
        use std::fmt::Write as _;
        let mut out = String::new();
        for s in &self.schemas {
            let _ = writeln!(out, "{}", quote_ident(&s.name));
            let present: std::collections::HashSet<u32> =
                s.relations.iter().map(|r| r.oid).collect();
            let mut orders: Vec<u8> = s.relations.iter().map(|r| r.kind.group_order()).collect();
            orders.sort_unstable();
            orders.dedup();
            for g in orders {
                let members: Vec<&Relation> = s
                    .relations
                    .iter()
                    .filter(|r| r.kind.group_order() == g)
                    .collect();
                let label = members.first().map(|r| r.kind.group_label()).unwrap_or("");
                let _ = writeln!(out, "  {label} ({})", members.len());
                // Partitions print under their parent when it is listed too.
                let top = members
                    .iter()
                    .filter(|r| !r.parent_oid.is_some_and(|p| present.contains(&p)));
                for r in top {
                    relation_line(&mut out, s, r, 2, &present);
                }
            }
            if !s.routines.is_empty() {
                let _ = writeln!(out, "  functions ({})", s.routines.len());
                for r in &s.routines {
                    let mut line = format!("    {}({})", quote_ident(&r.name), r.arguments);
                    if !r.result.is_empty() {
                        let _ = write!(line, " → {}", r.result);
                    }
                    if r.kind != "function" {
                        let _ = write!(line, "  [{}]", r.kind);
                    }
                    let _ = writeln!(out, "{line}");
                }
            }
            for (kind, label) in [("trigger", "triggers"), ("policy", "policies")] {
                let items: Vec<&TableMember> = self
                    .members
                    .iter()
                    .filter(|m| m.schema_oid == s.oid && m.kind == kind)
                    .collect();
                if items.is_empty() {
                    continue;
                }
                let _ = writeln!(out, "  {label} ({})", items.len());
                for m in items {
                    let _ = writeln!(
                        out,
                        "    {} on {}{}",
                        quote_ident(&m.name),
                        quote_ident(&m.table),
                        if m.detail.is_empty() {
                            String::new()
                        } else {
                            format!("  {}", m.detail)
                        }
                    );
                }
            }
            if !s.types.is_empty() {
                let _ = writeln!(out, "  types ({})", s.types.len());
                for t in &s.types {
                    let _ = writeln!(out, "    {}  {} {}", quote_ident(&t.name), t.kind, t.detail);
                }
            }
        }
        if !self.extensions.is_empty() {
            let _ = writeln!(out, "extensions ({})", self.extensions.len());
            for e in &self.extensions {
                match &e.installed_version {
                    Some(v) => {
                        let avail = e.default_version.as_deref().unwrap_or("?");
                        let _ = writeln!(
                            out,
                            "  {} {v} installed in {} (available {avail})",
                            e.name,
                            e.schema.as_deref().unwrap_or("?")
                        );
                    }
                    None => {
                        let _ = writeln!(
                            out,
                            "  {} {} available",
                            e.name,
                            e.default_version.as_deref().unwrap_or("?")
                        );
                    }
                }
            }
        }
        if !self.roles.is_empty() {
            let _ = writeln!(out, "roles ({})", self.roles.len());
            for r in &self.roles {
                let mut line = format!("  {}", quote_ident(&r.name));
                if !r.attributes.is_empty() {
                    let _ = write!(line, "  {}", r.attributes.join(", "));
                }
                if !r.member_of.is_empty() {
                    let _ = write!(line, "  member of {}", r.member_of.join(", "));
                }
                let _ = writeln!(out, "{line}");
            }
        }
        if !self.databases.is_empty() {
            let _ = writeln!(out, "databases ({})", self.databases.len());
            for d in &self.databases {
                let mut line = format!("  {}", quote_ident(&d.name));
                if d.current {
                    line.push_str("  (connected)");
                }
                if !d.can_connect {
                    line.push_str("  (no CONNECT)");
                }
                let _ = writeln!(out, "{line}");
            }
        }
        out
    }
}

fn relation_line(
    out: &mut String,
    s: &Schema,
    r: &Relation,
    depth: usize,
    present: &std::collections::HashSet<u32>,
) {
    use std::fmt::Write as _;
    let mut line = format!(
        "{}{}",
        "  ".repeat(depth),
        super::ident::quote_ident(&r.name)
    );
    if r.kind == RelKind::PartitionedTable {
        line.push_str("  partitioned");
    }
    if let Some(b) = &r.partition_bound {
        let _ = write!(line, "  {b}");
    }
    if matches!(r.kind, RelKind::Table | RelKind::MaterializedView) {
        let _ = write!(line, "  ~{} rows", r.estimated_rows.round() as u64);
    }
    if !r.readable {
        line.push_str("  (no SELECT privilege)");
    }
    let _ = writeln!(out, "{line}");
    if r.kind == RelKind::PartitionedTable && depth < 12 {
        for child in s
            .relations
            .iter()
            .filter(|c| c.parent_oid == Some(r.oid) && present.contains(&c.oid))
        {
            relation_line(out, s, child, depth + 1, present);
        }
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
