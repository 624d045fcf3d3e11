//! A table's detail as the schema browser shows it: columns with statistics, constraints, indexes
//! with size, scans and validity, foreign keys in and out, triggers, policies, grants, dependents,
//! sizes, row estimate and activity. Data plus its rendering as text lines; no IO.

use serde::Serialize;

use super::ident::quote_ident;

/// A column with its pg_stats figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DetailColumn {
    pub name: String,
    pub type_name: String,
    pub not_null: bool,
    pub default_expr: Option<String>,
    /// `a` (always), `d` (by default) or empty.
    pub identity: String,
    pub generated_expr: Option<String>,
    pub collation: Option<String>,
    pub comment: Option<String>,
    pub null_frac: Option<f64>,
    pub n_distinct: Option<f64>,
}

/// An index with its figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DetailIndex {
    pub name: String,
    pub definition: String,
    pub method: String,
    pub unique: bool,
    pub primary: bool,
    pub predicate: Option<String>,
    pub include_columns: i32,
    pub bytes: i64,
    pub scans: i64,
    pub valid: bool,
    pub ready: bool,
}

/// A constraint of the table, or a foreign key of another table pointing at it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DetailConstraint {
    /// False for a foreign key of another table that references this one.
    pub own: bool,
    /// `p`, `u`, `x`, `c`, `f`.
    pub kind: String,
    pub name: String,
    /// The referenced table (own FK) or the referencing one (incoming).
    pub other_table: Option<String>,
    pub definition: String,
    pub validated: bool,
}

/// A trigger, policy, grant or dependent object, as one line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DetailExtra {
    /// `trigger`, `policy`, `grant`, `dependent`.
    pub kind: String,
    pub name: String,
    pub detail: String,
}

/// `pg_stat_all_tables` figures (absent when the statistics collector has none).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Activity {
    pub seq_scan: Option<i64>,
    pub seq_tup_read: Option<i64>,
    pub idx_scan: Option<i64>,
    pub n_live_tup: Option<i64>,
    pub n_dead_tup: Option<i64>,
    pub n_tup_ins: Option<i64>,
    pub n_tup_upd: Option<i64>,
    pub n_tup_del: Option<i64>,
    pub last_vacuum: Option<String>,
    pub last_autovacuum: Option<String>,
    pub last_analyze: Option<String>,
    pub last_autoanalyze: Option<String>,
}

/// Everything the detail view shows for one table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableDetail {
    pub oid: u32,
    pub schema: String,
    pub name: String,
    pub relkind: String,
    /// `reltuples` (-1: never analyzed).
    pub estimated_rows: f64,
    /// The exact count, once asked for.
    pub exact_rows: Option<i64>,
    pub heap_bytes: i64,
    pub toast_bytes: i64,
    pub index_bytes: i64,
    pub total_bytes: i64,
    pub rls: bool,
    pub rls_forced: bool,
    pub comment: Option<String>,
    pub activity: Activity,
    pub columns: Vec<DetailColumn>,
    pub constraints: Vec<DetailConstraint>,
    pub indexes: Vec<DetailIndex>,
    pub extras: Vec<DetailExtra>,
}

/// Bytes as psql's `pg_size_pretty` writes them.
pub fn pretty_bytes(n: i64) -> String {
    const UNITS: [&str; 5] = ["bytes", "kB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v.abs() >= 10240.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    format!("{} {}", v.round() as i64, UNITS[u])
}

/// How a line of the detail is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Title,
    Section,
    Text,
    /// Something to notice: an invalid index, a NOT VALID constraint, a never-used index.
    Warn,
}

impl TableDetail {
    /// `schema.name`, quoted.
    pub fn qualified(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.name))
    }

    /// The detail as lines, section by section.
    pub fn lines(&self) -> Vec<(LineKind, String)> {
        use LineKind::*;
        let mut out: Vec<(LineKind, String)> = Vec::new();
        out.push((Title, self.qualified()));
        if let Some(c) = &self.comment {
            out.push((Text, format!("  {c}")));
        }
        let rows = match self.exact_rows {
            Some(n) => format!("{n} rows (exact)"),
            None if self.estimated_rows < 0.0 => "rows: never analyzed".to_string(),
            None => format!("~{} rows (estimate)", self.estimated_rows.round() as i64),
        };
        out.push((Text, rows));
        out.push((
            Text,
            format!(
                "size {} total: heap {}, toast {}, indexes {}",
                pretty_bytes(self.total_bytes),
                pretty_bytes(self.heap_bytes),
                pretty_bytes(self.toast_bytes),
                pretty_bytes(self.index_bytes)
            ),
        ));
        if self.rls {
            out.push((
                Text,
                format!(
                    "row level security enabled{}",
                    if self.rls_forced {
                        ", forced for the owner"
                    } else {
                        ""
                    }
                ),
            ));
        }
        out.push((Section, format!("Columns ({})", self.columns.len())));
        for c in &self.columns {
            let mut s = format!("  {} {}", quote_ident(&c.name), c.type_name);
            if let Some(co) = &c.collation {
                s.push_str(&format!(" collate {}", quote_ident(co)));
            }
            if c.not_null {
                s.push_str(" not null");
            }
            match c.identity.as_str() {
                "a" => s.push_str(" identity always"),
                "d" => s.push_str(" identity by default"),
                _ => {}
            }
            if let Some(g) = &c.generated_expr {
                s.push_str(&format!(" generated ({g})"));
            }
            if let Some(d) = &c.default_expr {
                s.push_str(&format!(" default {d}"));
            }
            if let Some(nf) = c.null_frac {
                s.push_str(&format!("  nulls {:.0}%", nf * 100.0));
            }
            if let Some(nd) = c.n_distinct {
                if nd < 0.0 {
                    s.push_str(&format!(" distinct {:.0}% of rows", -nd * 100.0));
                } else {
                    s.push_str(&format!(" distinct {nd}"));
                }
            }
            if let Some(cm) = &c.comment {
                s.push_str(&format!("  -- {cm}"));
            }
            out.push((Text, s));
        }
        let own: Vec<&DetailConstraint> = self.constraints.iter().filter(|c| c.own).collect();
        if !own.is_empty() {
            out.push((Section, format!("Constraints ({})", own.len())));
            for c in own {
                let kind = if c.validated { Text } else { Warn };
                out.push((kind, format!("  {} {}", quote_ident(&c.name), c.definition)));
            }
        }
        out.push((Section, format!("Indexes ({})", self.indexes.len())));
        for i in &self.indexes {
            let mut flags = Vec::new();
            if i.primary {
                flags.push("primary".to_string());
            } else if i.unique {
                flags.push("unique".to_string());
            }
            if i.predicate.is_some() {
                flags.push("partial".into());
            }
            if i.include_columns > 0 {
                flags.push(format!("{} included", i.include_columns));
            }
            if !i.valid {
                flags.push("INVALID".into());
            }
            if !i.ready {
                flags.push("not ready".into());
            }
            let kind = if !i.valid || !i.ready { Warn } else { Text };
            out.push((
                kind,
                format!(
                    "  {} {} {} scans {}{}",
                    quote_ident(&i.name),
                    i.method,
                    pretty_bytes(i.bytes),
                    i.scans,
                    if flags.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", flags.join(", "))
                    }
                ),
            ));
            out.push((Text, format!("    {}", i.definition)));
        }
        let fk_out: Vec<&DetailConstraint> = self
            .constraints
            .iter()
            .filter(|c| c.own && c.kind == "f")
            .collect();
        let fk_in: Vec<&DetailConstraint> = self.constraints.iter().filter(|c| !c.own).collect();
        if !fk_out.is_empty() || !fk_in.is_empty() {
            out.push((Section, "Foreign keys".into()));
            for c in fk_out {
                out.push((
                    Text,
                    format!(
                        "  → {} via {}",
                        c.other_table.as_deref().unwrap_or("?"),
                        quote_ident(&c.name)
                    ),
                ));
            }
            for c in fk_in {
                out.push((
                    Text,
                    format!(
                        "  ← {} via {}: {}",
                        c.other_table.as_deref().unwrap_or("?"),
                        quote_ident(&c.name),
                        c.definition
                    ),
                ));
            }
        }
        for (kind, title) in [
            ("trigger", "Triggers"),
            ("policy", "Policies"),
            ("grant", "Grants"),
            ("dependent", "Depend on it"),
        ] {
            let items: Vec<&DetailExtra> = self.extras.iter().filter(|e| e.kind == kind).collect();
            if items.is_empty() {
                continue;
            }
            out.push((Section, format!("{title} ({})", items.len())));
            for e in items {
                out.push((Text, format!("  {}: {}", e.name, e.detail)));
            }
        }
        let a = &self.activity;
        let n = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_else(|| "-".into());
        let t = |v: &Option<String>| v.clone().unwrap_or_else(|| "never".into());
        out.push((Section, "Activity".into()));
        out.push((
            Text,
            format!(
                "  scans: {} sequential ({} rows read), {} by index",
                n(a.seq_scan),
                n(a.seq_tup_read),
                n(a.idx_scan)
            ),
        ));
        out.push((
            Text,
            format!(
                "  tuples: {} live, {} dead; {} inserted, {} updated, {} deleted",
                n(a.n_live_tup),
                n(a.n_dead_tup),
                n(a.n_tup_ins),
                n(a.n_tup_upd),
                n(a.n_tup_del)
            ),
        ));
        out.push((
            Text,
            format!(
                "  vacuum {} (auto {}), analyze {} (auto {})",
                t(&a.last_vacuum),
                t(&a.last_autovacuum),
                t(&a.last_analyze),
                t(&a.last_autoanalyze)
            ),
        ));
        out
    }

    /// `SELECT` with every column, quoted, for the editor.
    pub fn select_all_columns(&self) -> String {
        let cols: Vec<String> = self.columns.iter().map(|c| quote_ident(&c.name)).collect();
        format!(
            "select {}\nfrom {}\nlimit 100;",
            if cols.is_empty() {
                "*".to_string()
            } else {
                cols.join(",\n       ")
            },
            self.qualified()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detail() -> TableDetail {
        TableDetail {
            oid: 1,
            schema: "app".into(),
            name: "Odd Name".into(),
            relkind: "r".into(),
            estimated_rows: 1200.0,
            exact_rows: None,
            heap_bytes: 8192,
            toast_bytes: 0,
            index_bytes: 16384,
            total_bytes: 24576,
            rls: true,
            rls_forced: false,
            comment: None,
            activity: Activity::default(),
            columns: vec![DetailColumn {
                name: "Select".into(),
                type_name: "text".into(),
                not_null: true,
                default_expr: None,
                identity: String::new(),
                generated_expr: None,
                collation: None,
                comment: None,
                null_frac: Some(0.25),
                n_distinct: Some(-0.5),
            }],
            constraints: vec![],
            indexes: vec![DetailIndex {
                name: "odd_idx".into(),
                definition: "CREATE INDEX odd_idx ...".into(),
                method: "btree".into(),
                unique: false,
                primary: false,
                predicate: None,
                include_columns: 0,
                bytes: 16384,
                scans: 0,
                valid: false,
                ready: true,
            }],
            extras: vec![],
        }
    }

    #[test]
    fn lines_flag_invalid_indexes_and_show_stats() {
        let lines = detail().lines();
        assert_eq!(lines[0], (LineKind::Title, "app.\"Odd Name\"".into()));
        assert!(lines.contains(&(
            LineKind::Text,
            "  \"Select\" text not null  nulls 25% distinct 50% of rows".into()
        )));
        assert!(
            lines.iter().any(
                |(k, l)| *k == LineKind::Warn && l == "  odd_idx btree 16 kB scans 0 (INVALID)"
            )
        );
    }

    #[test]
    fn select_quotes_every_column() {
        assert_eq!(
            detail().select_all_columns(),
            "select \"Select\"\nfrom app.\"Odd Name\"\nlimit 100;"
        );
    }

    #[test]
    fn sizes_like_pg_size_pretty() {
        assert_eq!(pretty_bytes(8192), "8192 bytes");
        assert_eq!(pretty_bytes(16384), "16 kB");
        assert_eq!(pretty_bytes(50 * 1024 * 1024), "50 MB");
    }
}
