//! CREATE statements from catalog facts: the data the `db::ddl` loaders read (a table with its
//! columns, constraints, indexes, partitions, triggers, policies...) and the pure rendering of it as
//! SQL. Every identifier goes through [`quote_ident`]; every string through [`quote_literal`].
//! Expressions and definitions come from the server's own deparsers (`pg_get_expr`,
//! `pg_get_constraintdef`, `pg_get_indexdef`...), so this module only assembles them in an order that
//! recreates the object exactly: running a table's DDL in an empty database where its types exist
//! gives an object that `pg_dump -s` prints as it prints the original. No IO here.

use std::fmt::Write as _;

use serde::Serialize;

use super::ident::quote_ident;

/// A schema-qualified name, unquoted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct QualName {
    pub schema: String,
    pub name: String,
}

impl QualName {
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> QualName {
        QualName {
            schema: schema.into(),
            name: name.into(),
        }
    }

    /// `schema.name`, each part quoted when PostgreSQL's `quote_ident` would.
    pub fn quoted(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.name))
    }
}

/// `s` as an SQL string literal, as PostgreSQL's `quote_literal` writes it (`E''` when it holds a
/// backslash).
pub fn quote_literal(s: &str) -> String {
    let body = s.replace('\'', "''");
    if s.contains('\\') {
        format!("E'{}'", body.replace('\\', "\\\\"))
    } else {
        format!("'{body}'")
    }
}

/// Why an object name given on the command line cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("empty object name")]
    Empty,
    #[error("unterminated quoted identifier in {0}")]
    Unterminated(String),
    #[error("{0}: expected name or schema.name")]
    TooManyParts(String),
    #[error("{0}: unexpected character after a quoted identifier")]
    Garbage(String),
}

/// Parse `name` or `schema.name` as SQL reads it: unquoted parts fold to lower case, `"..."` parts
/// keep their case, `""` inside quotes is one quote. Returns (schema, name).
pub fn parse_object_name(input: &str) -> Result<(Option<String>, String), NameError> {
    let mut parts: Vec<String> = Vec::new();
    let mut chars = input.trim().chars().peekable();
    let mut current = String::new();
    let mut quoted_part = false;
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                if !current.is_empty() || quoted_part {
                    return Err(NameError::Garbage(input.to_string()));
                }
                loop {
                    match chars.next() {
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                            current.push('"');
                        }
                        Some('"') => break,
                        Some(ch) => current.push(ch),
                        None => return Err(NameError::Unterminated(input.to_string())),
                    }
                }
                quoted_part = true;
            }
            '.' => {
                if current.is_empty() && !quoted_part {
                    return Err(NameError::Empty);
                }
                parts.push(std::mem::take(&mut current));
                quoted_part = false;
            }
            _ if quoted_part => return Err(NameError::Garbage(input.to_string())),
            _ => current.push(c.to_ascii_lowercase()),
        }
    }
    if current.is_empty() && !quoted_part {
        return Err(NameError::Empty);
    }
    parts.push(current);
    match parts.len() {
        1 => Ok((None, parts.remove(0))),
        2 => {
            let name = parts.remove(1);
            Ok((Some(parts.remove(0)), name))
        }
        _ => Err(NameError::TooManyParts(input.to_string())),
    }
}

/// The kind of relation a DDL is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DdlRelKind {
    Table,
    PartitionedTable,
    View,
    MaterializedView,
    ForeignTable,
    Sequence,
    Index,
    PartitionedIndex,
}

impl DdlRelKind {
    /// From `pg_class.relkind`.
    pub fn from_relkind(c: &str) -> Option<DdlRelKind> {
        Some(match c {
            "r" => DdlRelKind::Table,
            "p" => DdlRelKind::PartitionedTable,
            "v" => DdlRelKind::View,
            "m" => DdlRelKind::MaterializedView,
            "f" => DdlRelKind::ForeignTable,
            "S" => DdlRelKind::Sequence,
            "i" => DdlRelKind::Index,
            "I" => DdlRelKind::PartitionedIndex,
            _ => return None,
        })
    }

    /// The word COMMENT ON and GRANT use for it.
    fn object_word(self) -> &'static str {
        match self {
            DdlRelKind::Table | DdlRelKind::PartitionedTable => "TABLE",
            DdlRelKind::View => "VIEW",
            DdlRelKind::MaterializedView => "MATERIALIZED VIEW",
            DdlRelKind::ForeignTable => "FOREIGN TABLE",
            DdlRelKind::Sequence => "SEQUENCE",
            DdlRelKind::Index | DdlRelKind::PartitionedIndex => "INDEX",
        }
    }
}

/// A column as the catalog describes it.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ColumnDef {
    pub name: String,
    /// `format_type` output: `character varying(20)`, `numeric(10,2)`, `public.mood[]`.
    pub type_name: String,
    pub not_null: bool,
    pub default_expr: Option<String>,
    /// `GENERATED ALWAYS AS (...) STORED` expression.
    pub generated_expr: Option<String>,
    /// `a` (ALWAYS), `d` (BY DEFAULT) or empty.
    pub identity: String,
    /// Already quoted (`pg_catalog."C"`), only when it differs from the type's.
    pub collation: Option<String>,
    /// False for columns a partition or child inherits.
    pub local: bool,
    pub comment: Option<String>,
    /// `attstattarget` when set (-1 or NULL means the default).
    pub stat_target: Option<i32>,
    pub storage: String,
    pub type_storage: String,
    pub compression: String,
    /// `attoptions` entries (`n_distinct=-1`).
    pub options: Vec<String>,
    /// A foreign table column's options (`column_name=id`).
    pub fdw_options: Vec<String>,
    /// Column privileges granted to roles other than the owner.
    pub grants: Vec<GrantDef>,
    /// The identity sequence (identity columns) or the owned sequence (serial columns).
    pub sequence: Option<SequenceDef>,
    /// The column's NOT NULL constraint, on servers that name them (PostgreSQL 18).
    pub not_null_constraint: Option<NotNullDef>,
}

/// A NOT NULL constraint as PostgreSQL 18 keeps it in `pg_constraint` (contype `n`): named,
/// inherited or local, possibly NO INHERIT or NOT VALID.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct NotNullDef {
    pub name: String,
    /// Declared on this table (not only inherited from a parent).
    pub local: bool,
    pub no_inherit: bool,
    pub validated: bool,
    pub comment: Option<String>,
    /// For a partition: the name of the parent's NOT NULL constraint on the same column, which
    /// `PARTITION OF` gives the partition.
    pub parent_name: Option<String>,
}

impl NotNullDef {
    /// `NOT NULL`, or `CONSTRAINT name NOT NULL` when the name is not the one PostgreSQL picks
    /// for `table`.`column` (`<table>_<column>_not_null`, as pg_dump decides; a name the server
    /// truncated to 63 bytes is written out), then `NO INHERIT`.
    fn clause(&self, table: &str, column: &str) -> String {
        let mut s = if self.name == format!("{table}_{column}_not_null") {
            "NOT NULL".to_string()
        } else {
            format!("CONSTRAINT {} NOT NULL", quote_ident(&self.name))
        };
        if self.no_inherit {
            s.push_str(" NO INHERIT");
        }
        s
    }
}

/// A sequence.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct SequenceDef {
    pub name: QualName,
    pub data_type: String,
    pub start: i64,
    pub increment: i64,
    pub min: i64,
    pub max: i64,
    pub cache: i64,
    pub cycle: bool,
    pub unlogged: bool,
    pub comment: Option<String>,
    /// The column owning it (`OWNED BY`), for a standalone sequence's DDL.
    pub owned_by: Option<(QualName, String)>,
    /// An identity column's sequence (the column creates it; its DDL is the table's).
    pub identity: bool,
}

impl SequenceDef {
    /// The options every CREATE SEQUENCE and identity clause writes explicitly.
    fn options(&self) -> String {
        format!(
            "START WITH {} INCREMENT BY {} MINVALUE {} MAXVALUE {} CACHE {}{}",
            self.start,
            self.increment,
            self.min,
            self.max,
            self.cache,
            if self.cycle { " CYCLE" } else { "" }
        )
    }

    /// `CREATE SEQUENCE ...;`
    pub fn create_statement(&self) -> String {
        format!(
            "CREATE {}SEQUENCE {} AS {} {};\n",
            if self.unlogged { "UNLOGGED " } else { "" },
            self.name.quoted(),
            self.data_type,
            self.options()
        )
    }
}

/// A table constraint (not NOT NULL).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConstraintDef {
    pub name: String,
    /// `p`, `u`, `x`, `c`, `f`.
    pub kind: String,
    /// `pg_get_constraintdef` output, with `NOT VALID` when not validated.
    pub definition: String,
    pub local: bool,
    /// Cloned from the parent partitioned table's constraint.
    pub from_parent: bool,
    pub comment: Option<String>,
}

impl ConstraintDef {
    fn not_valid(&self) -> bool {
        self.definition.ends_with(" NOT VALID")
    }
}

/// An index of a table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndexDef {
    pub name: String,
    /// `pg_get_indexdef` output (schema-qualified, `ON ONLY` for a partitioned table).
    pub definition: String,
    /// A primary key, unique or exclusion constraint owns it (created with the constraint).
    pub constraint_index: bool,
    /// The partitioned index this one is a partition of.
    pub parent: Option<QualName>,
    pub clustered: bool,
    pub replica_identity: bool,
    pub comment: Option<String>,
}

/// A trigger.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TriggerDef {
    pub name: String,
    /// `pg_get_triggerdef` output.
    pub definition: String,
    /// `tgenabled`: `O` (origin, the default), `D`, `R`, `A`.
    pub enabled: String,
    pub from_parent: bool,
    pub comment: Option<String>,
}

/// A row-level security policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyDef {
    pub name: String,
    pub permissive: bool,
    /// `*`, `r`, `a`, `w`, `d`.
    pub command: String,
    /// Role names; empty means PUBLIC.
    pub roles: Vec<String>,
    pub using_expr: Option<String>,
    pub check_expr: Option<String>,
    pub comment: Option<String>,
}

/// An extended statistics object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatisticsDef {
    /// Quoted and qualified.
    pub name: String,
    pub definition: String,
    pub stat_target: Option<i32>,
    pub comment: Option<String>,
}

/// One privilege granted on a relation to a role other than its owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct GrantDef {
    /// `None` is PUBLIC.
    pub grantee: Option<String>,
    pub privilege: String,
    pub grantable: bool,
}

/// A relation with everything its DDL needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelationDef {
    pub name: QualName,
    pub kind: DdlRelKind,
    pub unlogged: bool,
    /// Storage parameters (`fillfactor=70`).
    pub options: Vec<String>,
    /// The TOAST table's storage parameters, without the `toast.` prefix.
    pub toast_options: Vec<String>,
    /// A table access method other than heap.
    pub access_method: Option<String>,
    pub tablespace: Option<String>,
    /// `pg_get_partkeydef`: `RANGE (created_at)`.
    pub partition_key: Option<String>,
    /// `FOR VALUES FROM (...) TO (...)` or `DEFAULT`.
    pub partition_bound: Option<String>,
    pub parent: Option<QualName>,
    pub rls: bool,
    pub rls_forced: bool,
    /// `d`, `n`, `f`, `i`.
    pub replica_identity: String,
    /// Views and materialized views: `pg_get_viewdef`.
    pub view_definition: Option<String>,
    pub populated: bool,
    pub comment: Option<String>,
    pub owner: String,
    /// The server names NOT NULL constraints (PostgreSQL 18): columns carry
    /// [`ColumnDef::not_null_constraint`] and the DDL writes those names instead of bare NOT NULL.
    pub named_not_null: bool,
    /// The owner is the role reading the catalogs: no `OWNER TO` is written (the role running
    /// the DDL owns what it creates).
    pub owned_by_me: bool,
    /// Parents of a table that inherits (not a partition), quoted and qualified.
    pub inherits: Vec<String>,
    /// A typed table's composite type (`CREATE TABLE t OF type`), as `format_type` writes it.
    pub of_type: Option<String>,
    /// A foreign table's server.
    pub foreign_server: Option<String>,
    /// A foreign table's options (`schema_name=remote`).
    pub foreign_options: Vec<String>,
    pub grants: Vec<GrantDef>,
    pub columns: Vec<ColumnDef>,
    pub constraints: Vec<ConstraintDef>,
    pub indexes: Vec<IndexDef>,
    pub triggers: Vec<TriggerDef>,
    pub policies: Vec<PolicyDef>,
    pub statistics: Vec<StatisticsDef>,
    /// Partitions at every level below this table, parents before children.
    pub partitions: Vec<RelationDef>,
    /// For a sequence relation: its settings.
    pub sequence: Option<SequenceDef>,
}

impl RelationDef {
    /// An empty relation of this kind (the loaders fill it).
    pub fn new(name: QualName, kind: DdlRelKind) -> RelationDef {
        RelationDef {
            name,
            kind,
            unlogged: false,
            options: Vec::new(),
            toast_options: Vec::new(),
            access_method: None,
            tablespace: None,
            partition_key: None,
            partition_bound: None,
            parent: None,
            rls: false,
            rls_forced: false,
            replica_identity: "d".into(),
            view_definition: None,
            populated: true,
            comment: None,
            named_not_null: false,
            owner: String::new(),
            owned_by_me: true,
            inherits: Vec::new(),
            of_type: None,
            foreign_server: None,
            foreign_options: Vec::new(),
            grants: Vec::new(),
            columns: Vec::new(),
            constraints: Vec::new(),
            indexes: Vec::new(),
            triggers: Vec::new(),
            policies: Vec::new(),
            statistics: Vec::new(),
            partitions: Vec::new(),
            sequence: None,
        }
    }
}

/// A function, procedure or aggregate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunctionDef {
    pub name: QualName,
    /// `f`, `p`, `a`, `w`.
    pub kind: String,
    /// `pg_get_functiondef` output; `None` for aggregates.
    pub definition: Option<String>,
    /// Identity arguments, for COMMENT ON.
    pub arguments: String,
    pub comment: Option<String>,
    /// An aggregate's definition (the server has no deparser for them).
    pub aggregate: Option<Box<AggregateDef>>,
}

/// What CREATE AGGREGATE takes, from `pg_aggregate`. Function and type names are as the
/// catalog session's search_path writes them (qualified under `pgdeck ddl`'s `pg_catalog`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct AggregateDef {
    /// `pg_get_function_arguments`: `integer`, `double precision ORDER BY double precision`;
    /// empty for an aggregate over `*`.
    pub arguments: String,
    /// `n` normal, `o` ordered-set, `h` hypothetical-set.
    pub kind: String,
    pub sfunc: String,
    pub stype: String,
    pub sspace: i32,
    pub finalfunc: Option<String>,
    pub finalfunc_extra: bool,
    /// `r` READ_ONLY, `s` SHAREABLE, `w` READ_WRITE.
    pub finalfunc_modify: String,
    pub combinefunc: Option<String>,
    pub serialfunc: Option<String>,
    pub deserialfunc: Option<String>,
    pub initcond: Option<String>,
    pub msfunc: Option<String>,
    pub minvfunc: Option<String>,
    pub mstype: Option<String>,
    pub msspace: i32,
    pub mfinalfunc: Option<String>,
    pub mfinalfunc_extra: bool,
    pub mfinalfunc_modify: String,
    pub minitcond: Option<String>,
    /// `OPERATOR(schema.op)`.
    pub sortop: Option<String>,
    /// `proparallel`: `s`, `r` or `u`.
    pub parallel: String,
}

impl AggregateDef {
    /// The arguments as CREATE/COMMENT ON AGGREGATE write them (`*` for none).
    fn signature(&self) -> &str {
        if self.arguments.is_empty() {
            "*"
        } else {
            &self.arguments
        }
    }

    /// `CREATE AGGREGATE name(args) (...)`, options in pg_dump's order, each only when it is not
    /// the default.
    fn create_statement(&self, name: &QualName) -> String {
        let modify = |m: &str| match m {
            "s" => "SHAREABLE",
            "w" => "READ_WRITE",
            _ => "READ_ONLY",
        };
        // the final function's default mode: READ_ONLY, READ_WRITE for ordered-set aggregates
        let default_modify = if self.kind == "n" { "r" } else { "w" };
        let mut opts = vec![
            format!("SFUNC = {}", self.sfunc),
            format!("STYPE = {}", self.stype),
        ];
        if self.sspace != 0 {
            opts.push(format!("SSPACE = {}", self.sspace));
        }
        if let Some(i) = &self.initcond {
            opts.push(format!("INITCOND = {}", quote_literal(i)));
        }
        if let Some(f) = &self.finalfunc {
            opts.push(format!("FINALFUNC = {f}"));
            if self.finalfunc_extra {
                opts.push("FINALFUNC_EXTRA".into());
            }
            if self.finalfunc_modify != default_modify {
                opts.push(format!(
                    "FINALFUNC_MODIFY = {}",
                    modify(&self.finalfunc_modify)
                ));
            }
        }
        for (word, f) in [
            ("COMBINEFUNC", &self.combinefunc),
            ("SERIALFUNC", &self.serialfunc),
            ("DESERIALFUNC", &self.deserialfunc),
            ("MSFUNC", &self.msfunc),
            ("MINVFUNC", &self.minvfunc),
            ("MSTYPE", &self.mstype),
        ] {
            if let Some(f) = f {
                opts.push(format!("{word} = {f}"));
            }
        }
        if self.msspace != 0 {
            opts.push(format!("MSSPACE = {}", self.msspace));
        }
        if let Some(i) = &self.minitcond {
            opts.push(format!("MINITCOND = {}", quote_literal(i)));
        }
        if let Some(f) = &self.mfinalfunc {
            opts.push(format!("MFINALFUNC = {f}"));
            if self.mfinalfunc_extra {
                opts.push("MFINALFUNC_EXTRA".into());
            }
            if self.mfinalfunc_modify != default_modify {
                opts.push(format!(
                    "MFINALFUNC_MODIFY = {}",
                    modify(&self.mfinalfunc_modify)
                ));
            }
        }
        if let Some(op) = &self.sortop {
            opts.push(format!("SORTOP = {op}"));
        }
        if self.kind == "h" {
            opts.push("HYPOTHETICAL".into());
        }
        match self.parallel.as_str() {
            "s" => opts.push("PARALLEL = safe".into()),
            "r" => opts.push("PARALLEL = restricted".into()),
            _ => {}
        }
        format!(
            "CREATE AGGREGATE {}({}) (\n    {}\n);\n",
            name.quoted(),
            self.signature(),
            opts.join(",\n    ")
        )
    }
}

/// An attribute of a composite type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct TypeAttribute {
    pub name: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub collation: Option<String>,
}

/// A CHECK constraint of a domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct DomainConstraint {
    pub name: String,
    pub definition: String,
}

/// A user-defined type: enum, domain, composite or range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TypeDef {
    pub name: QualName,
    /// `e`, `d`, `c`, `r`.
    pub kind: String,
    pub labels: Vec<String>,
    pub base_type: Option<String>,
    pub default_expr: Option<String>,
    pub not_null: bool,
    pub collation: Option<String>,
    pub constraints: Vec<DomainConstraint>,
    pub attributes: Vec<TypeAttribute>,
    pub range_subtype: Option<String>,
    pub comment: Option<String>,
    /// A domain's NOT NULL constraint name (PostgreSQL 17 and later).
    pub not_null_name: Option<String>,
}

/// Any object pgdeck writes DDL for.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "object", rename_all = "snake_case")]
pub enum ObjectDef {
    Relation(Box<RelationDef>),
    Function(FunctionDef),
    Type(TypeDef),
}

impl ObjectDef {
    /// The SQL that recreates it.
    pub fn ddl(&self) -> String {
        match self {
            ObjectDef::Relation(r) => relation_ddl(r),
            ObjectDef::Function(f) => function_ddl(f),
            ObjectDef::Type(t) => type_ddl(t),
        }
    }
}

fn options_list(options: &[String], toast: &[String]) -> Vec<String> {
    let one = |prefix: &str, o: &String| match o.split_once('=') {
        Some((k, v)) => format!("{prefix}{k}={}", quote_literal(v)),
        None => format!("{prefix}{o}"),
    };
    options
        .iter()
        .map(|o| one("", o))
        .chain(toast.iter().map(|o| one("toast.", o)))
        .collect()
}

/// `OPTIONS (key 'value', ...)` of foreign tables and their columns.
fn fdw_options(options: &[String]) -> String {
    let items: Vec<String> = options
        .iter()
        .map(|o| match o.split_once('=') {
            Some((k, v)) => format!("{} {}", quote_ident(k), quote_literal(v)),
            None => quote_ident(o),
        })
        .collect();
    format!("OPTIONS ({})", items.join(", "))
}

fn comment_on(out: &mut String, what: &str, comment: &Option<String>) {
    if let Some(c) = comment {
        let _ = writeln!(out, "COMMENT ON {what} IS {};", quote_literal(c));
    }
}

fn ensure_semicolon(def: &str) -> String {
    let t = def.trim_end();
    if t.ends_with(';') {
        format!("{t}\n")
    } else {
        format!("{t};\n")
    }
}

/// Whether a table's constraints can sit inside its CREATE TABLE (a plain table, not a partition).
fn inline_constraints(rel: &RelationDef) -> bool {
    rel.kind == DdlRelKind::Table && rel.parent.is_none()
}

/// The NOT NULL clause of a column defined in this CREATE TABLE. On PostgreSQL 18 it is the
/// column's own constraint (with its name when not the default) and nothing when the constraint is
/// only inherited (the parent brings it) or NOT VALID (added after); before 18 it is `attnotnull`.
fn not_null_clause(rel: &RelationDef, col: &ColumnDef) -> Option<String> {
    if !rel.named_not_null {
        return col.not_null.then(|| "NOT NULL".to_string());
    }
    let nn = col.not_null_constraint.as_ref()?;
    (nn.local && nn.validated).then(|| nn.clause(&rel.name.name, &col.name))
}

fn column_line(rel: &RelationDef, col: &ColumnDef) -> String {
    let mut line = format!("    {} {}", quote_ident(&col.name), col.type_name);
    if !col.fdw_options.is_empty() {
        let _ = write!(line, " {}", fdw_options(&col.fdw_options));
    }
    if let Some(c) = &col.collation {
        let _ = write!(line, " COLLATE {c}");
    }
    if let Some(g) = &col.generated_expr {
        let _ = write!(line, " GENERATED ALWAYS AS ({g}) STORED");
    }
    if !col.identity.is_empty()
        && let Some(seq) = &col.sequence
    {
        let _ = write!(
            line,
            " GENERATED {} AS IDENTITY (SEQUENCE NAME {} {})",
            if col.identity == "a" {
                "ALWAYS"
            } else {
                "BY DEFAULT"
            },
            seq.name.quoted(),
            seq.options()
        );
    }
    if let Some(d) = &col.default_expr {
        let _ = write!(line, " DEFAULT {d}");
    }
    if let Some(nn) = not_null_clause(rel, col) {
        let _ = write!(line, " {nn}");
    }
    line
}

/// PostgreSQL 18, a partition: the column spec (`col CONSTRAINT x NOT NULL`) its CREATE ...
/// PARTITION OF needs when `PARTITION OF` alone would not give it this constraint (the parent has
/// none on that column, or one with another name).
fn partition_not_null_spec(rel: &RelationDef, col: &ColumnDef) -> Option<String> {
    let nn = col.not_null_constraint.as_ref()?;
    if !rel.named_not_null || !nn.validated || nn.parent_name.as_deref() == Some(nn.name.as_str()) {
        return None;
    }
    Some(format!(
        "    {} {}",
        quote_ident(&col.name),
        nn.clause(&rel.name.name, &col.name)
    ))
}

/// PostgreSQL 18, an inheritance child: the table constraint (`CONSTRAINT x NOT NULL col`) for a
/// column it inherits but holds a NOT NULL of its own on.
fn inherited_column_not_null(rel: &RelationDef, col: &ColumnDef) -> Option<String> {
    let nn = col.not_null_constraint.as_ref()?;
    if !rel.named_not_null || col.local || !nn.local || !nn.validated {
        return None;
    }
    let named = nn.name != format!("{}_{}_not_null", rel.name.name, col.name);
    Some(format!(
        "    {}NOT NULL {}{}",
        if named {
            format!("CONSTRAINT {} ", quote_ident(&nn.name))
        } else {
            String::new()
        },
        quote_ident(&col.name),
        if nn.no_inherit { " NO INHERIT" } else { "" }
    ))
}

/// The table constraints written inside a plain table's CREATE TABLE.
fn inline_constraint_lines(rel: &RelationDef) -> Vec<String> {
    if !inline_constraints(rel) {
        return Vec::new();
    }
    rel.constraints
        .iter()
        .filter(|c| c.local && !c.from_parent && !c.not_valid())
        .map(|c| format!("    CONSTRAINT {} {}", quote_ident(&c.name), c.definition))
        .collect()
}

/// A typed table's column: `col WITH OPTIONS DEFAULT ... NOT NULL`, when it has a default or a
/// NOT NULL of its own (type, collation and the rest come from the type).
fn typed_column_spec(rel: &RelationDef, col: &ColumnDef) -> Option<String> {
    let mut spec = String::new();
    if let Some(d) = &col.default_expr {
        let _ = write!(spec, " DEFAULT {d}");
    }
    if let Some(nn) = not_null_clause(rel, col) {
        let _ = write!(spec, " {nn}");
    }
    (!spec.is_empty()).then(|| format!("    {} WITH OPTIONS{spec}", quote_ident(&col.name)))
}

fn create_table(out: &mut String, rel: &RelationDef) {
    let name = rel.name.quoted();
    let foreign = rel.kind == DdlRelKind::ForeignTable;
    let _ = write!(
        out,
        "CREATE {}{}TABLE {name}",
        if rel.unlogged { "UNLOGGED " } else { "" },
        if foreign { "FOREIGN " } else { "" },
    );
    if let (Some(parent), Some(bound)) = (&rel.parent, &rel.partition_bound) {
        let _ = write!(out, " PARTITION OF {}", parent.quoted());
        let specs: Vec<String> = rel
            .columns
            .iter()
            .filter_map(|c| partition_not_null_spec(rel, c))
            .collect();
        if !specs.is_empty() {
            let _ = write!(out, " (\n{}\n)", specs.join(",\n"));
        }
        let _ = write!(out, "\n{bound}");
    } else if let Some(of_type) = &rel.of_type {
        // a typed table's columns come from its type: only their own defaults and NOT NULL
        let _ = write!(out, " OF {of_type}");
        let mut lines: Vec<String> = rel
            .columns
            .iter()
            .filter_map(|c| typed_column_spec(rel, c))
            .collect();
        lines.extend(inline_constraint_lines(rel));
        if !lines.is_empty() {
            let _ = write!(out, " (\n{}\n)", lines.join(",\n"));
        }
    } else {
        // inherited columns' own NOT NULL constraints in column order, as pg_dump writes them
        let mut lines: Vec<String> = rel
            .columns
            .iter()
            .filter_map(|c| {
                if c.local {
                    Some(column_line(rel, c))
                } else {
                    inherited_column_not_null(rel, c)
                }
            })
            .collect();
        lines.extend(inline_constraint_lines(rel));
        let _ = write!(out, " (\n{}\n)", lines.join(",\n"));
        if !rel.inherits.is_empty() {
            let _ = write!(out, "\nINHERITS ({})", rel.inherits.join(", "));
        }
    }
    if let Some(key) = &rel.partition_key {
        let _ = write!(out, "\nPARTITION BY {key}");
    }
    if let Some(server) = &rel.foreign_server {
        let _ = write!(out, "\nSERVER {}", quote_ident(server));
        if !rel.foreign_options.is_empty() {
            let _ = write!(out, "\n{}", fdw_options(&rel.foreign_options));
        }
    }
    if let Some(am) = &rel.access_method {
        let _ = write!(out, "\nUSING {}", quote_ident(am));
    }
    let opts = options_list(&rel.options, &rel.toast_options);
    if !opts.is_empty() {
        let _ = write!(out, "\nWITH ({})", opts.join(", "));
    }
    if let Some(ts) = &rel.tablespace {
        let _ = write!(out, "\nTABLESPACE {}", quote_ident(ts));
    }
    out.push_str(";\n");
}

/// Column settings that live outside CREATE TABLE: defaults and NOT NULL a partition has of its
/// own, statistics targets, storage, compression, options.
fn column_alters(out: &mut String, rel: &RelationDef) {
    let name = rel.name.quoted();
    for col in &rel.columns {
        let cname = quote_ident(&col.name);
        // Partitions and inheritance children get these columns from the parent; their own
        // defaults and NOT NULL are set after (setting an inherited one again changes nothing).
        if rel.parent.is_some() || !col.local {
            if let Some(d) = &col.default_expr {
                let _ = writeln!(
                    out,
                    "ALTER TABLE ONLY {name} ALTER COLUMN {cname} SET DEFAULT {d};"
                );
            }
            // PostgreSQL 18 writes these in the CREATE TABLE, with their names
            if col.not_null && !rel.named_not_null {
                let _ = writeln!(
                    out,
                    "ALTER TABLE ONLY {name} ALTER COLUMN {cname} SET NOT NULL;"
                );
            }
        }
        if let Some(t) = col.stat_target.filter(|t| *t >= 0) {
            let _ = writeln!(
                out,
                "ALTER TABLE ONLY {name} ALTER COLUMN {cname} SET STATISTICS {t};"
            );
        }
        if col.storage != col.type_storage && !col.storage.is_empty() {
            let word = match col.storage.as_str() {
                "p" => "PLAIN",
                "e" => "EXTERNAL",
                "m" => "MAIN",
                _ => "EXTENDED",
            };
            let _ = writeln!(
                out,
                "ALTER TABLE ONLY {name} ALTER COLUMN {cname} SET STORAGE {word};"
            );
        }
        match col.compression.as_str() {
            "p" => {
                let _ = writeln!(
                    out,
                    "ALTER TABLE ONLY {name} ALTER COLUMN {cname} SET COMPRESSION pglz;"
                );
            }
            "l" => {
                let _ = writeln!(
                    out,
                    "ALTER TABLE ONLY {name} ALTER COLUMN {cname} SET COMPRESSION lz4;"
                );
            }
            _ => {}
        }
        if !col.options.is_empty() {
            let _ = writeln!(
                out,
                "ALTER TABLE ONLY {name} ALTER COLUMN {cname} SET ({});",
                options_list(&col.options, &[]).join(", ")
            );
        }
    }
}

fn unique_constraints(out: &mut String, rel: &RelationDef) {
    if inline_constraints(rel) {
        return;
    }
    for c in &rel.constraints {
        if matches!(c.kind.as_str(), "p" | "u" | "x") {
            let _ = writeln!(
                out,
                "ALTER TABLE ONLY {} ADD CONSTRAINT {} {};",
                rel.name.quoted(),
                quote_ident(&c.name),
                c.definition
            );
        }
    }
}

fn other_constraints(out: &mut String, rel: &RelationDef, kind: &str) {
    for c in &rel.constraints {
        if c.kind != kind || c.from_parent || !c.local {
            continue;
        }
        if inline_constraints(rel) && !c.not_valid() {
            continue;
        }
        // A partitioned table's CHECK and FOREIGN KEY constraints reach its partitions.
        let only = if rel.kind == DdlRelKind::PartitionedTable {
            ""
        } else {
            "ONLY "
        };
        let _ = writeln!(
            out,
            "ALTER TABLE {only}{} ADD CONSTRAINT {} {};",
            rel.name.quoted(),
            quote_ident(&c.name),
            c.definition
        );
    }
}

/// PostgreSQL 18: NOT VALID NOT NULL constraints, added after the table as pg_dump does (without
/// ONLY: children created later inherit them as they did the original's).
fn invalid_not_nulls(out: &mut String, rel: &RelationDef) {
    if !rel.named_not_null {
        return;
    }
    for col in &rel.columns {
        if let Some(nn) = &col.not_null_constraint
            && nn.local
            && !nn.validated
        {
            let _ = writeln!(
                out,
                "ALTER TABLE {} ADD CONSTRAINT {} NOT NULL {}{} NOT VALID;",
                rel.name.quoted(),
                quote_ident(&nn.name),
                quote_ident(&col.name),
                if nn.no_inherit { " NO INHERIT" } else { "" }
            );
        }
    }
}

fn index_statements(out: &mut String, rel: &RelationDef) {
    for i in &rel.indexes {
        if !i.constraint_index {
            out.push_str(&ensure_semicolon(&i.definition));
        }
    }
}

fn index_attachments(out: &mut String, rel: &RelationDef) {
    for i in &rel.indexes {
        if let Some(parent) = &i.parent {
            let _ = writeln!(
                out,
                "ALTER INDEX {} ATTACH PARTITION {};",
                parent.quoted(),
                QualName::new(&rel.name.schema, &i.name).quoted()
            );
        }
    }
}

fn triggers(out: &mut String, rel: &RelationDef) {
    for t in rel.triggers.iter().filter(|t| !t.from_parent) {
        out.push_str(&ensure_semicolon(&t.definition));
        let state = match t.enabled.as_str() {
            "D" => Some("DISABLE TRIGGER"),
            "R" => Some("ENABLE REPLICA TRIGGER"),
            "A" => Some("ENABLE ALWAYS TRIGGER"),
            _ => None,
        };
        if let Some(s) = state {
            let _ = writeln!(
                out,
                "ALTER TABLE {} {s} {};",
                rel.name.quoted(),
                quote_ident(&t.name)
            );
        }
    }
}

fn security(out: &mut String, rel: &RelationDef) {
    let name = rel.name.quoted();
    if rel.rls {
        let _ = writeln!(out, "ALTER TABLE {name} ENABLE ROW LEVEL SECURITY;");
    }
    if rel.rls_forced {
        let _ = writeln!(out, "ALTER TABLE {name} FORCE ROW LEVEL SECURITY;");
    }
    for p in &rel.policies {
        let _ = write!(out, "CREATE POLICY {} ON {name}", quote_ident(&p.name));
        if !p.permissive {
            out.push_str(" AS RESTRICTIVE");
        }
        let cmd = match p.command.as_str() {
            "r" => Some("SELECT"),
            "a" => Some("INSERT"),
            "w" => Some("UPDATE"),
            "d" => Some("DELETE"),
            _ => None,
        };
        if let Some(c) = cmd {
            let _ = write!(out, " FOR {c}");
        }
        if !p.roles.is_empty() {
            let roles: Vec<String> = p.roles.iter().map(|r| quote_ident(r)).collect();
            let _ = write!(out, " TO {}", roles.join(", "));
        }
        if let Some(u) = &p.using_expr {
            let _ = write!(out, " USING ({u})");
        }
        if let Some(c) = &p.check_expr {
            let _ = write!(out, " WITH CHECK ({c})");
        }
        out.push_str(";\n");
    }
}

fn statistics(out: &mut String, rel: &RelationDef) {
    for s in &rel.statistics {
        out.push_str(&ensure_semicolon(&s.definition));
        if let Some(t) = s.stat_target.filter(|t| *t >= 0) {
            let _ = writeln!(out, "ALTER STATISTICS {} SET STATISTICS {t};", s.name);
        }
    }
}

fn table_settings(out: &mut String, rel: &RelationDef) {
    let name = rel.name.quoted();
    // Only tables have a replica identity to set (foreign tables report `n`).
    let identity = if matches!(rel.kind, DdlRelKind::Table | DdlRelKind::PartitionedTable) {
        rel.replica_identity.as_str()
    } else {
        "d"
    };
    match identity {
        "f" => {
            let _ = writeln!(out, "ALTER TABLE ONLY {name} REPLICA IDENTITY FULL;");
        }
        "n" => {
            let _ = writeln!(out, "ALTER TABLE ONLY {name} REPLICA IDENTITY NOTHING;");
        }
        "i" => {
            if let Some(i) = rel.indexes.iter().find(|i| i.replica_identity) {
                let _ = writeln!(
                    out,
                    "ALTER TABLE ONLY {name} REPLICA IDENTITY USING INDEX {};",
                    quote_ident(&i.name)
                );
            }
        }
        _ => {}
    }
    if let Some(i) = rel.indexes.iter().find(|i| i.clustered) {
        let _ = writeln!(
            out,
            "ALTER TABLE ONLY {name} CLUSTER ON {};",
            quote_ident(&i.name)
        );
    }
}

fn comments(out: &mut String, rel: &RelationDef) {
    let name = rel.name.quoted();
    comment_on(
        out,
        &format!("{} {name}", rel.kind.object_word()),
        &rel.comment,
    );
    for c in &rel.columns {
        comment_on(
            out,
            &format!("COLUMN {name}.{}", quote_ident(&c.name)),
            &c.comment,
        );
    }
    for c in rel
        .constraints
        .iter()
        .filter(|c| !c.from_parent || matches!(c.kind.as_str(), "p" | "u" | "x"))
    {
        comment_on(
            out,
            &format!("CONSTRAINT {} ON {name}", quote_ident(&c.name)),
            &c.comment,
        );
    }
    // PostgreSQL 18's NOT NULL constraints: each table's row has its own comment
    for nn in rel
        .columns
        .iter()
        .filter_map(|c| c.not_null_constraint.as_ref())
    {
        comment_on(
            out,
            &format!("CONSTRAINT {} ON {name}", quote_ident(&nn.name)),
            &nn.comment,
        );
    }
    for i in &rel.indexes {
        comment_on(
            out,
            &format!(
                "INDEX {}",
                QualName::new(&rel.name.schema, &i.name).quoted()
            ),
            &i.comment,
        );
    }
    for t in rel.triggers.iter().filter(|t| !t.from_parent) {
        comment_on(
            out,
            &format!("TRIGGER {} ON {name}", quote_ident(&t.name)),
            &t.comment,
        );
    }
    for p in &rel.policies {
        comment_on(
            out,
            &format!("POLICY {} ON {name}", quote_ident(&p.name)),
            &p.comment,
        );
    }
    for s in &rel.statistics {
        comment_on(out, &format!("STATISTICS {}", s.name), &s.comment);
    }
}

/// `ALTER ... OWNER TO` when someone other than the reading role owns it.
fn owner(out: &mut String, rel: &RelationDef) {
    if rel.owned_by_me || rel.owner.is_empty() {
        return;
    }
    let word = match rel.kind {
        DdlRelKind::View => "VIEW",
        DdlRelKind::MaterializedView => "MATERIALIZED VIEW",
        DdlRelKind::Sequence => "SEQUENCE",
        DdlRelKind::ForeignTable => "FOREIGN TABLE",
        DdlRelKind::Index | DdlRelKind::PartitionedIndex => return,
        DdlRelKind::Table | DdlRelKind::PartitionedTable => "TABLE",
    };
    let _ = writeln!(
        out,
        "ALTER {word} {} OWNER TO {};",
        rel.name.quoted(),
        quote_ident(&rel.owner)
    );
}

fn grants(out: &mut String, rel: &RelationDef) {
    owner(out, rel);
    let word = match rel.kind {
        DdlRelKind::Sequence => "SEQUENCE",
        _ => "TABLE",
    };
    let one = |out: &mut String, g: &GrantDef, column: Option<&str>| {
        let grantee = g
            .grantee
            .as_deref()
            .map(quote_ident)
            .unwrap_or_else(|| "PUBLIC".into());
        let _ = writeln!(
            out,
            "GRANT {}{} ON {word} {} TO {grantee}{};",
            g.privilege,
            column
                .map(|c| format!(" ({})", quote_ident(c)))
                .unwrap_or_default(),
            rel.name.quoted(),
            if g.grantable {
                " WITH GRANT OPTION"
            } else {
                ""
            }
        );
    };
    for g in &rel.grants {
        one(out, g, None);
    }
    for c in &rel.columns {
        for g in &c.grants {
            one(out, g, Some(&c.name));
        }
    }
}

/// Sequences serial columns own: created before the table, owned after it.
fn serial_sequences(rel: &RelationDef) -> impl Iterator<Item = (&ColumnDef, &SequenceDef)> {
    rel.columns
        .iter()
        .filter(|c| c.identity.is_empty())
        .filter_map(|c| c.sequence.as_ref().map(|s| (c, s)))
}

fn table_ddl(rel: &RelationDef) -> String {
    let all: Vec<&RelationDef> = std::iter::once(rel).chain(rel.partitions.iter()).collect();
    let mut out = String::new();
    for r in &all {
        for (_, seq) in serial_sequences(r) {
            out.push_str(&seq.create_statement());
        }
    }
    for r in &all {
        create_table(&mut out, r);
    }
    let mut rest = String::new();
    for r in &all {
        column_alters(&mut rest, r);
    }
    for r in &all {
        unique_constraints(&mut rest, r);
    }
    for r in &all {
        index_statements(&mut rest, r);
    }
    for r in &all {
        index_attachments(&mut rest, r);
    }
    for r in &all {
        other_constraints(&mut rest, r, "c");
        invalid_not_nulls(&mut rest, r);
    }
    for r in &all {
        other_constraints(&mut rest, r, "f");
    }
    for r in &all {
        triggers(&mut rest, r);
        security(&mut rest, r);
        statistics(&mut rest, r);
        table_settings(&mut rest, r);
    }
    for r in &all {
        for (col, seq) in serial_sequences(r) {
            let _ = writeln!(
                rest,
                "ALTER SEQUENCE {} OWNED BY {}.{};",
                seq.name.quoted(),
                r.name.quoted(),
                quote_ident(&col.name)
            );
            comment_on(
                &mut rest,
                &format!("SEQUENCE {}", seq.name.quoted()),
                &seq.comment,
            );
        }
        for seq in r
            .columns
            .iter()
            .filter(|c| !c.identity.is_empty())
            .filter_map(|c| c.sequence.as_ref())
        {
            comment_on(
                &mut rest,
                &format!("SEQUENCE {}", seq.name.quoted()),
                &seq.comment,
            );
        }
        comments(&mut rest, r);
        grants(&mut rest, r);
    }
    if !rest.is_empty() {
        out.push('\n');
        out.push_str(&rest);
    }
    out
}

fn view_ddl(rel: &RelationDef) -> String {
    let mut out = String::new();
    let name = rel.name.quoted();
    let body = rel
        .view_definition
        .as_deref()
        .unwrap_or("")
        .trim()
        .trim_end_matches(';')
        .to_string();
    let opts = options_list(&rel.options, &[]);
    let with = if opts.is_empty() {
        String::new()
    } else {
        format!(" WITH ({})", opts.join(", "))
    };
    if rel.kind == DdlRelKind::MaterializedView {
        let am = rel
            .access_method
            .as_deref()
            .map(|a| format!(" USING {}", quote_ident(a)))
            .unwrap_or_default();
        let ts = rel
            .tablespace
            .as_deref()
            .map(|t| format!(" TABLESPACE {}", quote_ident(t)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "CREATE MATERIALIZED VIEW {name}{am}{with}{ts} AS\n{body}\nWITH {}DATA;",
            if rel.populated { "" } else { "NO " }
        );
        let mut rest = String::new();
        index_statements(&mut rest, rel);
        table_settings(&mut rest, rel);
        comments(&mut rest, rel);
        grants(&mut rest, rel);
        if !rest.is_empty() {
            out.push('\n');
            out.push_str(&rest);
        }
    } else {
        let _ = writeln!(out, "CREATE VIEW {name}{with} AS\n{body};");
        let mut rest = String::new();
        for c in &rel.columns {
            if let Some(d) = &c.default_expr {
                let _ = writeln!(
                    rest,
                    "ALTER VIEW {name} ALTER COLUMN {} SET DEFAULT {d};",
                    quote_ident(&c.name)
                );
            }
        }
        triggers(&mut rest, rel);
        comments(&mut rest, rel);
        grants(&mut rest, rel);
        if !rest.is_empty() {
            out.push('\n');
            out.push_str(&rest);
        }
    }
    out
}

fn sequence_ddl(rel: &RelationDef) -> String {
    let mut out = String::new();
    if let Some(seq) = &rel.sequence {
        if seq.identity
            && let Some((table, column)) = &seq.owned_by
        {
            let _ = writeln!(
                out,
                "-- the identity sequence of {}.{}: the table's DDL creates it with these options",
                table.quoted(),
                quote_ident(column)
            );
            let _ = write!(out, "-- ");
            out.push_str(&seq.create_statement());
            return out;
        }
        out.push_str(&seq.create_statement());
        if let Some((table, column)) = &seq.owned_by {
            let _ = writeln!(
                out,
                "ALTER SEQUENCE {} OWNED BY {}.{};",
                seq.name.quoted(),
                table.quoted(),
                quote_ident(column)
            );
        }
    }
    comments(&mut out, rel);
    grants(&mut out, rel);
    out
}

/// The DDL of a relation (table with its partitions, view, materialized view, sequence, index).
pub fn relation_ddl(rel: &RelationDef) -> String {
    match rel.kind {
        DdlRelKind::Table | DdlRelKind::PartitionedTable | DdlRelKind::ForeignTable => {
            table_ddl(rel)
        }
        DdlRelKind::View | DdlRelKind::MaterializedView => view_ddl(rel),
        DdlRelKind::Sequence => sequence_ddl(rel),
        DdlRelKind::Index | DdlRelKind::PartitionedIndex => {
            let mut out = String::new();
            for i in &rel.indexes {
                out.push_str(&ensure_semicolon(&i.definition));
                if let Some(p) = &i.parent {
                    let _ = writeln!(
                        out,
                        "ALTER INDEX {} ATTACH PARTITION {};",
                        p.quoted(),
                        rel.name.quoted()
                    );
                }
            }
            comment_on(
                &mut out,
                &format!("INDEX {}", rel.name.quoted()),
                &rel.comment,
            );
            out
        }
    }
}

/// The DDL of a function or procedure (`pg_get_functiondef`), or of an aggregate (assembled from
/// `pg_aggregate`: the server has no deparser for them), with its comment.
pub fn function_ddl(f: &FunctionDef) -> String {
    let mut out = String::new();
    if let Some(agg) = &f.aggregate {
        out.push_str(&agg.create_statement(&f.name));
        // COMMENT ON AGGREGATE takes the arguments as written (ORDER BY included), `*` for none
        let args = if f.arguments.is_empty() {
            "*"
        } else {
            &f.arguments
        };
        comment_on(
            &mut out,
            &format!("AGGREGATE {}({args})", f.name.quoted()),
            &f.comment,
        );
        return out;
    }
    let Some(def) = &f.definition else {
        let _ = writeln!(
            out,
            "-- {}({}): the server gave no definition",
            f.name.quoted(),
            f.arguments
        );
        return out;
    };
    out.push_str(&ensure_semicolon(def));
    let word = if f.kind == "p" {
        "PROCEDURE"
    } else {
        "FUNCTION"
    };
    comment_on(
        &mut out,
        &format!("{word} {}({})", f.name.quoted(), f.arguments),
        &f.comment,
    );
    out
}

/// The DDL of an enum, domain, composite or range type.
pub fn type_ddl(t: &TypeDef) -> String {
    let mut out = String::new();
    let name = t.name.quoted();
    let word = match t.kind.as_str() {
        "e" => {
            let labels: Vec<String> = t.labels.iter().map(|l| quote_literal(l)).collect();
            let _ = writeln!(out, "CREATE TYPE {name} AS ENUM ({});", labels.join(", "));
            "TYPE"
        }
        "d" => {
            let _ = write!(
                out,
                "CREATE DOMAIN {name} AS {}",
                t.base_type.as_deref().unwrap_or("text")
            );
            if let Some(c) = &t.collation {
                let _ = write!(out, " COLLATE {c}");
            }
            if let Some(d) = &t.default_expr {
                let _ = write!(out, " DEFAULT {d}");
            }
            if t.not_null {
                // PostgreSQL 17 and later name it; the default is `<domain>_not_null`
                match &t.not_null_name {
                    Some(n) if *n != format!("{}_not_null", t.name.name) => {
                        let _ = write!(out, " CONSTRAINT {} NOT NULL", quote_ident(n));
                    }
                    _ => out.push_str(" NOT NULL"),
                }
            }
            for c in &t.constraints {
                let _ = write!(
                    out,
                    "\n    CONSTRAINT {} {}",
                    quote_ident(&c.name),
                    c.definition
                );
            }
            out.push_str(";\n");
            "DOMAIN"
        }
        "c" => {
            let attrs: Vec<String> = t
                .attributes
                .iter()
                .map(|a| {
                    let mut s = format!("    {} {}", quote_ident(&a.name), a.type_name);
                    if let Some(c) = &a.collation {
                        let _ = write!(s, " COLLATE {c}");
                    }
                    s
                })
                .collect();
            let _ = writeln!(out, "CREATE TYPE {name} AS (\n{}\n);", attrs.join(",\n"));
            "TYPE"
        }
        "r" => {
            let _ = writeln!(
                out,
                "CREATE TYPE {name} AS RANGE (subtype = {});",
                t.range_subtype.as_deref().unwrap_or("unknown")
            );
            "TYPE"
        }
        other => {
            let _ = writeln!(out, "-- type {name} (typtype {other}) is not supported");
            return out;
        }
    };
    comment_on(&mut out, &format!("{word} {name}"), &t.comment);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_object_names_like_sql() {
        assert_eq!(parse_object_name("users"), Ok((None, "users".into())));
        assert_eq!(parse_object_name("Users"), Ok((None, "users".into())));
        assert_eq!(
            parse_object_name("app.\"Odd Name\""),
            Ok((Some("app".into()), "Odd Name".into()))
        );
        assert_eq!(
            parse_object_name("\"a.b\".\"x\"\"y\""),
            Ok((Some("a.b".into()), "x\"y".into()))
        );
        assert_eq!(
            parse_object_name("\"日本\".t"),
            Ok((Some("日本".into()), "t".into()))
        );
        assert!(matches!(
            parse_object_name("a.b.c"),
            Err(NameError::TooManyParts(_))
        ));
        assert!(matches!(
            parse_object_name("\"abc"),
            Err(NameError::Unterminated(_))
        ));
        assert!(matches!(parse_object_name(""), Err(NameError::Empty)));
        assert!(matches!(parse_object_name("a."), Err(NameError::Empty)));
        assert!(matches!(
            parse_object_name("\"a\"b"),
            Err(NameError::Garbage(_))
        ));
    }

    #[test]
    fn quotes_literals_like_postgres() {
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal("a\\b"), "E'a\\\\b'");
        assert_eq!(quote_literal(""), "''");
    }

    fn col(name: &str, ty: &str) -> ColumnDef {
        ColumnDef {
            name: name.into(),
            type_name: ty.into(),
            local: true,
            storage: "x".into(),
            type_storage: "x".into(),
            ..ColumnDef::default()
        }
    }

    #[test]
    fn table_with_identity_constraints_and_comments() {
        let mut t = RelationDef::new(QualName::new("app", "Odd Name"), DdlRelKind::Table);
        let mut id = col("id", "bigint");
        id.not_null = true;
        id.identity = "a".into();
        id.sequence = Some(SequenceDef {
            name: QualName::new("app", "Odd Name_id_seq"),
            data_type: "bigint".into(),
            start: 1,
            increment: 1,
            min: 1,
            max: i64::MAX,
            cache: 1,
            ..SequenceDef::default()
        });
        let mut note = col("Note", "text");
        note.collation = Some("pg_catalog.\"C\"".into());
        note.comment = Some("it's".into());
        note.stat_target = Some(500);
        t.columns = vec![id, note];
        t.constraints = vec![
            ConstraintDef {
                name: "pk".into(),
                kind: "p".into(),
                definition: "PRIMARY KEY (id)".into(),
                local: true,
                from_parent: false,
                comment: None,
            },
            ConstraintDef {
                name: "note_len".into(),
                kind: "c".into(),
                definition: "CHECK (length(\"Note\") < 10) NOT VALID".into(),
                local: true,
                from_parent: false,
                comment: None,
            },
        ];
        t.options = vec!["fillfactor=70".into()];
        t.unlogged = true;
        t.rls = true;
        let ddl = relation_ddl(&t);
        let expected = "CREATE UNLOGGED TABLE app.\"Odd Name\" (\n    id bigint GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME app.\"Odd Name_id_seq\" START WITH 1 INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 CACHE 1) NOT NULL,\n    \"Note\" text COLLATE pg_catalog.\"C\",\n    CONSTRAINT pk PRIMARY KEY (id)\n)\nWITH (fillfactor='70');\n\nALTER TABLE ONLY app.\"Odd Name\" ALTER COLUMN \"Note\" SET STATISTICS 500;\nALTER TABLE ONLY app.\"Odd Name\" ADD CONSTRAINT note_len CHECK (length(\"Note\") < 10) NOT VALID;\nALTER TABLE app.\"Odd Name\" ENABLE ROW LEVEL SECURITY;\nCOMMENT ON COLUMN app.\"Odd Name\".\"Note\" IS 'it''s';\n";
        assert_eq!(ddl, expected, "\n{ddl}");
    }

    #[test]
    fn partitioned_table_attaches_partition_indexes() {
        let mut p = RelationDef::new(QualName::new("public", "m"), DdlRelKind::PartitionedTable);
        p.partition_key = Some("RANGE (at)".into());
        p.columns = vec![col("at", "date")];
        p.indexes = vec![IndexDef {
            name: "m_at_idx".into(),
            definition: "CREATE INDEX m_at_idx ON ONLY public.m USING btree (at)".into(),
            constraint_index: false,
            parent: None,
            clustered: false,
            replica_identity: false,
            comment: None,
        }];
        let mut part = RelationDef::new(QualName::new("public", "m_2024"), DdlRelKind::Table);
        part.parent = Some(QualName::new("public", "m"));
        part.partition_bound = Some("FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')".into());
        let mut inherited = col("at", "date");
        inherited.local = false;
        part.columns = vec![inherited];
        part.indexes = vec![IndexDef {
            name: "m_2024_at_idx".into(),
            definition: "CREATE INDEX m_2024_at_idx ON public.m_2024 USING btree (at)".into(),
            constraint_index: false,
            parent: Some(QualName::new("public", "m_at_idx")),
            clustered: false,
            replica_identity: false,
            comment: None,
        }];
        p.partitions = vec![part];
        let ddl = relation_ddl(&p);
        assert!(ddl.starts_with("CREATE TABLE public.m (\n    at date\n)\nPARTITION BY RANGE (at);\nCREATE TABLE public.m_2024 PARTITION OF public.m\nFOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\n"), "{ddl}");
        assert!(
            ddl.contains("ALTER INDEX public.m_at_idx ATTACH PARTITION public.m_2024_at_idx;"),
            "{ddl}"
        );
    }

    fn nn(name: &str, local: bool) -> Option<NotNullDef> {
        Some(NotNullDef {
            name: name.into(),
            local,
            validated: true,
            ..NotNullDef::default()
        })
    }

    /// PostgreSQL 18: NOT NULL constraints keep their names (bare NOT NULL when the name is the
    /// default), inherited-only ones are left to the parent, a child's own one on an inherited
    /// column is a table constraint, a partition names the ones PARTITION OF would not give it,
    /// NOT VALID ones come after the table.
    #[test]
    fn named_not_null_constraints() {
        let mut t = RelationDef::new(QualName::new("app", "T x"), DdlRelKind::Table);
        t.named_not_null = true;
        t.inherits = vec!["app.base".into()];
        let mut a = col("a", "integer");
        a.not_null = true;
        a.not_null_constraint = nn("T x_a_not_null", true);
        let mut b = col("b", "integer");
        b.not_null = true;
        b.not_null_constraint = nn("b; nn", true);
        if let Some(n) = b.not_null_constraint.as_mut() {
            n.no_inherit = true;
        }
        let mut inherited = col("id", "integer");
        inherited.local = false;
        inherited.not_null = true;
        inherited.not_null_constraint = nn("base_id_not_null", false);
        let mut own = col("note", "text");
        own.local = false;
        own.not_null = true;
        own.not_null_constraint = nn("mine", true);
        let mut invalid = col("c", "integer");
        invalid.not_null_constraint = nn("c_nn", true);
        if let Some(n) = invalid.not_null_constraint.as_mut() {
            n.validated = false;
        }
        t.columns = vec![inherited, own, a, b, invalid];
        let ddl = relation_ddl(&t);
        assert_eq!(
            ddl,
            "CREATE TABLE app.\"T x\" (\n    CONSTRAINT mine NOT NULL note,\n    a integer NOT NULL,\n    b integer CONSTRAINT \"b; nn\" NOT NULL NO INHERIT,\n    c integer\n)\nINHERITS (app.base);\n\nALTER TABLE app.\"T x\" ADD CONSTRAINT c_nn NOT NULL c NOT VALID;\n",
            "\n{ddl}"
        );

        let mut part = RelationDef::new(QualName::new("app", "p1"), DdlRelKind::Table);
        part.named_not_null = true;
        part.parent = Some(QualName::new("app", "p"));
        part.partition_bound = Some("FOR VALUES IN (1)".into());
        let mut same = col("a", "integer");
        same.local = false;
        same.not_null = true;
        same.not_null_constraint = nn("p_a_not_null", false);
        if let Some(n) = same.not_null_constraint.as_mut() {
            n.parent_name = Some("p_a_not_null".into());
        }
        let mut other = col("b", "integer");
        other.local = false;
        other.not_null = true;
        other.not_null_constraint = nn("p1_b_not_null", false);
        if let Some(n) = other.not_null_constraint.as_mut() {
            n.parent_name = Some("p_b_not_null".into());
        }
        part.columns = vec![same, other];
        assert_eq!(
            relation_ddl(&part),
            "CREATE TABLE app.p1 PARTITION OF app.p (\n    b NOT NULL\n)\nFOR VALUES IN (1);\n"
        );
    }

    #[test]
    fn typed_tables_and_aggregates() {
        let mut t = RelationDef::new(QualName::new("app", "T"), DdlRelKind::Table);
        t.of_type = Some("app.\"Pair\"".into());
        let mut a = col("a", "integer");
        a.not_null = true;
        a.default_expr = Some("1".into());
        t.columns = vec![a, col("b", "text")];
        assert_eq!(
            relation_ddl(&t),
            "CREATE TABLE app.\"T\" OF app.\"Pair\" (\n    a WITH OPTIONS DEFAULT 1 NOT NULL\n);\n"
        );
        t.columns[0].default_expr = None;
        t.columns[0].not_null = false;
        assert_eq!(
            relation_ddl(&t),
            "CREATE TABLE app.\"T\" OF app.\"Pair\";\n"
        );

        let f = FunctionDef {
            name: QualName::new("app", "Agg; x"),
            kind: "a".into(),
            definition: None,
            arguments: String::new(),
            comment: Some("it's".into()),
            aggregate: Some(Box::new(AggregateDef {
                kind: "n".into(),
                sfunc: "app.step".into(),
                stype: "internal".into(),
                sspace: 64,
                finalfunc: Some("app.fin".into()),
                finalfunc_modify: "s".into(),
                mfinalfunc_modify: "r".into(),
                initcond: Some("{a'b}".into()),
                parallel: "r".into(),
                ..AggregateDef::default()
            })),
        };
        assert_eq!(
            function_ddl(&f),
            "CREATE AGGREGATE app.\"Agg; x\"(*) (\n    SFUNC = app.step,\n    STYPE = internal,\n    SSPACE = 64,\n    INITCOND = '{a''b}',\n    FINALFUNC = app.fin,\n    FINALFUNC_MODIFY = SHAREABLE,\n    PARALLEL = restricted\n);\nCOMMENT ON AGGREGATE app.\"Agg; x\"(*) IS 'it''s';\n"
        );
    }

    #[test]
    fn enum_and_domain_types() {
        let t = TypeDef {
            name: QualName::new("public", "Mood"),
            kind: "e".into(),
            labels: vec!["sad".into(), "it's ok".into()],
            base_type: None,
            default_expr: None,
            not_null: false,
            collation: None,
            constraints: vec![],
            attributes: vec![],
            range_subtype: None,
            comment: None,
            not_null_name: None,
        };
        assert_eq!(
            type_ddl(&t),
            "CREATE TYPE public.\"Mood\" AS ENUM ('sad', 'it''s ok');\n"
        );
    }
}
