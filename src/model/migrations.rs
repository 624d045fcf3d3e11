//! Migration history tables of the common schema-migration tools: which tool a table belongs to (by
//! its name and columns), the SELECT that reads its applied history from the columns that exist, the
//! state of each entry, and the entries that are failures (`migration_failed` in the health report).
//! Pure: no IO; `db::migrations` runs the SQL built here. Every identifier in that SQL is quoted with
//! [`quote_ident`], so a history table in a schema named `x"; drop table y; --` reads like any other.

use serde::Serialize;

use super::health::{RawRow, Value};
use super::ident::quote_ident;
use super::table_detail::LineKind;
use super::text::{visible, width};

/// A schema-migration tool whose history table pgdeck knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tool {
    Alembic,
    Flyway,
    Prisma,
    Rails,
    GolangMigrate,
    Django,
    Knex,
    Goose,
    Sqitch,
}

impl Tool {
    /// The tool's name as people write it.
    pub fn name(self) -> &'static str {
        match self {
            Tool::Alembic => "Alembic",
            Tool::Flyway => "Flyway",
            Tool::Prisma => "Prisma",
            Tool::Rails => "Rails",
            Tool::GolangMigrate => "golang-migrate",
            Tool::Django => "Django",
            Tool::Knex => "Knex",
            Tool::Goose => "goose",
            Tool::Sqitch => "Sqitch",
        }
    }

    /// Which columns of its history table mean what. Column names are the tools' own.
    fn layout(self) -> Layout {
        let none = Layout::default();
        match self {
            // only the current head(s): Alembic keeps no history in the database
            Tool::Alembic => Layout {
                key: Some("version_num"),
                version: Some("version_num"),
                order: Some("version_num"),
                ..none
            },
            Tool::Flyway => Layout {
                key: Some("installed_rank"),
                version: Some("version"),
                description: Some("description"),
                applied_at: Some("installed_on"),
                applied_by: Some("installed_by"),
                status: Some("success"),
                detail: Some("script"),
                order: Some("installed_rank"),
                ..none
            },
            Tool::Prisma => Layout {
                key: Some("id"),
                version: Some("migration_name"),
                applied_at: Some("started_at"),
                status: Some("finished_at"),
                status2: Some("rolled_back_at"),
                // on a failure Prisma writes the error here
                detail: Some("logs"),
                order: Some("started_at"),
                ..none
            },
            Tool::Rails => Layout {
                key: Some("version"),
                version: Some("version"),
                order: Some("version"),
                ..none
            },
            Tool::GolangMigrate => Layout {
                key: Some("version"),
                version: Some("version"),
                status: Some("dirty"),
                order: Some("version"),
                ..none
            },
            Tool::Django => Layout {
                key: Some("id"),
                version: Some("name"),
                description: Some("app"),
                applied_at: Some("applied"),
                order: Some("id"),
                ..none
            },
            Tool::Knex => Layout {
                key: Some("id"),
                version: Some("name"),
                description: Some("batch"),
                applied_at: Some("migration_time"),
                order: Some("id"),
                ..none
            },
            Tool::Goose => Layout {
                key: Some("id"),
                version: Some("version_id"),
                applied_at: Some("tstamp"),
                status: Some("is_applied"),
                order: Some("id"),
                ..none
            },
            Tool::Sqitch => Layout {
                key: Some("change_id"),
                version: Some("change"),
                description: Some("note"),
                applied_at: Some("committed_at"),
                applied_by: Some("committer_name"),
                detail: Some("project"),
                order: Some("committed_at"),
                ..none
            },
        }
    }
}

/// Columns of a history table by meaning; `None` where the tool has no such column.
#[derive(Debug, Clone, Copy, Default)]
struct Layout {
    /// What identifies a row (for the fix SQL).
    key: Option<&'static str>,
    version: Option<&'static str>,
    description: Option<&'static str>,
    applied_at: Option<&'static str>,
    applied_by: Option<&'static str>,
    /// The column the entry's state comes from (success, finished_at, dirty, is_applied).
    status: Option<&'static str>,
    /// A second one (Prisma's rolled_back_at).
    status2: Option<&'static str>,
    /// Something more to show (Flyway's script, Prisma's logs, Sqitch's project).
    detail: Option<&'static str>,
    order: Option<&'static str>,
}

/// The table names pgdeck looks for, in any schema (Sqitch: `changes` in schema `sqitch`).
pub const TABLE_NAMES: &[&str] = &[
    "alembic_version",
    "flyway_schema_history",
    "_prisma_migrations",
    "schema_migrations",
    "django_migrations",
    "knex_migrations",
    "goose_db_version",
];

/// What a table's name alone says: the tool (or tools) whose history it may be. `schema_migrations` is
/// Rails' or golang-migrate's; the columns decide ([`detect`]).
pub fn guess_by_name(schema: &str, table: &str) -> Option<&'static str> {
    Some(match table {
        "alembic_version" => "Alembic",
        "flyway_schema_history" => "Flyway",
        "_prisma_migrations" => "Prisma",
        "schema_migrations" => "Rails or golang-migrate",
        "django_migrations" => "Django",
        "knex_migrations" => "Knex",
        "goose_db_version" => "goose",
        "changes" if schema == "sqitch" => "Sqitch",
        _ => return None,
    })
}

/// The tool whose history table this is, from its schema, name and columns; `None` when the name is
/// not one of the tools' or the columns a tool always writes are missing (a table of the same name
/// that is something else).
pub fn detect(schema: &str, table: &str, columns: &[String]) -> Option<Tool> {
    let has = |c: &str| columns.iter().any(|x| x == c);
    let tool = match table {
        "alembic_version" if has("version_num") => Tool::Alembic,
        "flyway_schema_history" if has("success") && has("installed_rank") => Tool::Flyway,
        "_prisma_migrations" if has("migration_name") && has("finished_at") => Tool::Prisma,
        // golang-migrate: version + dirty; Rails (and dbmate): version only
        "schema_migrations" if has("version") && has("dirty") => Tool::GolangMigrate,
        "schema_migrations" if has("version") => Tool::Rails,
        "django_migrations" if has("app") && has("name") => Tool::Django,
        "knex_migrations" if has("name") && has("batch") => Tool::Knex,
        "goose_db_version" if has("version_id") && has("is_applied") => Tool::Goose,
        "changes" if schema == "sqitch" && has("change_id") && has("change") => Tool::Sqitch,
        _ => return None,
    };
    Some(tool)
}

/// A history table found in the database.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryTable {
    pub tool: Tool,
    pub schema: String,
    pub table: String,
    /// Its columns, in order.
    pub columns: Vec<String>,
}

impl HistoryTable {
    /// `schema.table`, quoted as SQL needs.
    pub fn qualified(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.table))
    }

    fn has(&self, c: &str) -> bool {
        self.columns.iter().any(|x| x == c)
    }

    /// A column of the layout as `text`, or NULL when this table lacks it.
    fn text_of(&self, col: Option<&str>) -> String {
        match col {
            Some(c) if self.has(c) => format!("{}::text", quote_ident(c)),
            _ => "null::text".to_string(),
        }
    }

    /// The SELECT of the newest `limit` entries, newest first. Its columns, all text: key, version,
    /// description, applied_at, applied_by, status, status2, detail (see [`Entry::from_texts`]).
    pub fn history_sql(&self, limit: usize) -> String {
        let l = self.tool.layout();
        let cols = [
            l.key,
            l.version,
            l.description,
            l.applied_at,
            l.applied_by,
            l.status,
            l.status2,
            l.detail,
        ]
        .map(|c| self.text_of(c))
        .join(", ");
        let order = match l.order {
            Some(c) if self.has(c) => format!(" order by {} desc nulls first", quote_ident(c)),
            _ => String::new(),
        };
        // fetch one more than asked: whether the history goes on is then known
        format!(
            "select {cols} from {}{order} limit {}",
            self.qualified(),
            limit + 1
        )
    }
}

/// What became of one entry of the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryState {
    Applied,
    /// Flyway `success = false`.
    Failed,
    /// Prisma `finished_at` NULL without `rolled_back_at`: failed, or running now.
    Unfinished,
    /// Prisma `rolled_back_at` set (a failure resolved with `migrate resolve --rolled-back`).
    RolledBack,
    /// golang-migrate `dirty = true`.
    Dirty,
    /// goose `is_applied = false`: the record of a `goose down`, not a failure.
    Reverted,
}

impl EntryState {
    pub fn name(self) -> &'static str {
        match self {
            EntryState::Applied => "applied",
            EntryState::Failed => "failed",
            EntryState::Unfinished => "unfinished",
            EntryState::RolledBack => "rolled back",
            EntryState::Dirty => "dirty",
            EntryState::Reverted => "reverted",
        }
    }

    /// Whether the entry did not apply cleanly (a reverted goose entry did: it is a rollback record).
    pub fn is_problem(self) -> bool {
        matches!(
            self,
            EntryState::Failed
                | EntryState::Unfinished
                | EntryState::RolledBack
                | EntryState::Dirty
        )
    }
}

/// One entry of a tool's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// The row's identity (installed_rank, id, version...), as text.
    pub key: Option<String>,
    pub version: Option<String>,
    pub description: Option<String>,
    pub applied_at: Option<String>,
    pub applied_by: Option<String>,
    pub state: EntryState,
    /// Prisma: when it was marked rolled back.
    pub rolled_back_at: Option<String>,
    /// Flyway's script, Prisma's logs, Sqitch's project.
    pub detail: Option<String>,
}

/// PostgreSQL's `bool::text`.
fn is_true(v: &Option<String>) -> bool {
    v.as_deref() == Some("true")
}

impl Entry {
    /// An entry from the texts of a [`HistoryTable::history_sql`] row, in its column order.
    pub fn from_texts(tool: Tool, texts: [Option<String>; 8]) -> Entry {
        let [
            key,
            version,
            description,
            applied_at,
            applied_by,
            status,
            status2,
            detail,
        ] = texts;
        let state = match tool {
            Tool::Flyway if status.as_deref() == Some("false") => EntryState::Failed,
            Tool::Prisma if status2.is_some() => EntryState::RolledBack,
            Tool::Prisma if status.is_none() => EntryState::Unfinished,
            Tool::GolangMigrate if is_true(&status) => EntryState::Dirty,
            Tool::Goose if status.as_deref() == Some("false") => EntryState::Reverted,
            _ => EntryState::Applied,
        };
        let (applied_at, rolled_back_at) = match tool {
            // Prisma: finished_at is when it was applied; started_at only when it never finished
            Tool::Prisma => (status.or(applied_at), status2),
            _ => (applied_at, None),
        };
        Entry {
            key,
            version,
            description,
            applied_at,
            applied_by,
            state,
            rolled_back_at,
            detail,
        }
    }
}

/// A history table and its newest entries, newest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct History {
    pub table: HistoryTable,
    pub entries: Vec<Entry>,
    /// There are older entries than these.
    pub truncated: bool,
}

/// The entries that are failures now, newest first. A Prisma migration marked rolled back counts
/// only while no later attempt of the same migration finished (then it was retried and applied).
pub fn failures(tool: Tool, entries: &[Entry]) -> Vec<&Entry> {
    entries
        .iter()
        .enumerate()
        .filter(|(i, e)| match e.state {
            EntryState::Failed | EntryState::Unfinished | EntryState::Dirty => true,
            EntryState::RolledBack => {
                tool == Tool::Prisma
                    // entries are newest first: a retry sits before this one
                    && !entries[..*i].iter().any(|later| {
                        later.version == e.version && later.state == EntryState::Applied
                    })
            }
            EntryState::Applied | EntryState::Reverted => false,
        })
        .map(|(_, e)| e)
        .collect()
}

/// The line of a logged failure that says what went wrong: the server's `ERROR:` line when there is
/// one (Prisma's logs start with "Database error:" and end with a stack), else the first line.
pub fn error_line(log: &str) -> Option<&str> {
    let mut lines = log.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.clone().next();
    lines
        .find(|l| l.starts_with("ERROR:") || l.contains(" ERROR: "))
        .or(first)
}

/// The rows `migration_failed` evaluates: one per failure of this table's history.
pub fn failure_rows(history: &History) -> Vec<RawRow> {
    let t = &history.table;
    failures(t.tool, &history.entries)
        .into_iter()
        .map(|e| {
            let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::Text);
            let detail = e
                .detail
                .as_deref()
                .and_then(error_line)
                .map(|l| Value::Text(l.chars().take(300).collect()))
                .unwrap_or(Value::Null);
            RawRow {
                schema: t.schema.clone(),
                table: Some(t.table.clone()),
                object: e.version.clone().or_else(|| e.key.clone()),
                values: vec![
                    ("tool".into(), Value::Text(t.tool.name().into())),
                    ("state".into(), Value::Text(e.state.name().into())),
                    ("description".into(), text(&e.description)),
                    ("applied_at".into(), text(&e.applied_at)),
                    ("applied_by".into(), text(&e.applied_by)),
                    ("rolled_back_at".into(), text(&e.rolled_back_at)),
                    ("detail".into(), detail),
                    ("key".into(), text(&e.key)),
                ],
            }
        })
        .collect()
}

/// `s` cut or padded to exactly `w` columns.
fn cell(s: &str, w: usize) -> String {
    let mut out = String::new();
    if width(s) <= w {
        out.push_str(s);
    } else if w > 0 {
        for c in s.chars() {
            if width(&out) + width(c.encode_utf8(&mut [0; 4])) > w - 1 {
                break;
            }
            out.push(c);
        }
        out.push('…');
    }
    let pad = w.saturating_sub(width(&out));
    format!("{out}{}", " ".repeat(pad))
}

impl History {
    /// The history as detail lines (the schema browser's view, `pgdeck schema --migrations`): a
    /// title, the count, a header, one line per entry (newest first), failures as warnings with
    /// their logged error below.
    pub fn lines(&self) -> Vec<(LineKind, String)> {
        let h = self;
        let t = &h.table;
        // failures now: a Prisma migration retried since it was rolled back is history
        let current = failures(t.tool, &h.entries);
        let is_current = |e: &Entry| current.iter().any(|c| std::ptr::eq(*c, e));
        let problems = current.len();
        let mut out = vec![(
            LineKind::Title,
            format!(
                "{} history in {}.{}, newest first",
                t.tool.name(),
                quote_ident(&t.schema),
                quote_ident(&t.table),
            ),
        )];
        out.push((
            if problems > 0 {
                LineKind::Warn
            } else {
                LineKind::Text
            },
            format!(
                "{} entr{}{}",
                h.entries.len(),
                if h.entries.len() == 1 { "y" } else { "ies" },
                if problems > 0 {
                    format!(
                        ", {problems} failed or not finished (see pgdeck check --group migrations)"
                    )
                } else {
                    String::new()
                }
            ),
        ));
        match t.tool {
        Tool::Alembic => out.push((
            LineKind::Text,
            "Alembic keeps only the current revision in the database; the history is in the migration scripts.".into(),
        )),
        Tool::Rails => out.push((
            LineKind::Text,
            "Rails records only the versions applied, not when or by whom.".into(),
        )),
        Tool::Goose => out.push((
            LineKind::Text,
            "goose writes a row for every up and down: a reverted row records a rollback, not a failure.".into(),
        )),
        _ => {}
    }
        if h.entries.is_empty() {
            out.push((LineKind::Text, "no entries".into()));
            return out;
        }
        let text = |v: &Option<String>| visible(v.as_deref().unwrap_or("")).into_owned();
        // columns as wide as their widest value, within limits
        let widest = |f: &dyn Fn(&Entry) -> String, min: usize, max: usize| {
            h.entries
                .iter()
                .map(|e| width(&f(e)))
                .max()
                .unwrap_or(0)
                .clamp(min, max)
        };
        let wv = widest(&|e| text(&e.version), 7, 36);
        let wd = widest(&|e| text(&e.description), 11, 40);
        let wa = widest(&|e| short_time(&text(&e.applied_at)), 10, 19);
        let wb = widest(&|e| text(&e.applied_by), 2, 24);
        out.push((
            LineKind::Section,
            format!(
                "{} {} {} {} state",
                cell("version", wv),
                cell("description", wd),
                cell("applied at", wa),
                cell("by", wb)
            ),
        ));
        for e in &h.entries {
            let state = match (e.state, &e.rolled_back_at) {
                (EntryState::RolledBack, Some(at)) => {
                    format!("rolled back {}", short_time(&visible(at)))
                }
                (s, _) => s.name().to_string(),
            };
            let line = format!(
                "{} {} {} {} {state}",
                cell(&text(&e.version), wv),
                cell(&text(&e.description), wd),
                cell(&short_time(&text(&e.applied_at)), wa),
                cell(&text(&e.applied_by), wb)
            );
            let kind = if is_current(e) {
                LineKind::Warn
            } else {
                LineKind::Text
            };
            out.push((kind, line.trim_end().to_string()));
            // the logged error of a failure (Prisma's logs; Flyway's script name)
            if e.state.is_problem()
                && let Some(first) = e.detail.as_deref().and_then(error_line)
            {
                out.push((kind, format!("  {}", visible(first))));
            }
        }
        if h.truncated {
            out.push((
                LineKind::Text,
                format!("… older entries not shown (the newest {})", h.entries.len()),
            ));
        }
        out
    }
}

/// `2026-01-12 09:00:00+00` → `2026-01-12 09:00`.
fn short_time(t: &str) -> String {
    t.get(..16).unwrap_or(t).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(c: &[&str]) -> Vec<String> {
        c.iter().map(|s| s.to_string()).collect()
    }

    fn table(tool: Tool, schema: &str, name: &str, c: &[&str]) -> HistoryTable {
        HistoryTable {
            tool,
            schema: schema.into(),
            table: name.into(),
            columns: cols(c),
        }
    }

    #[test]
    fn tools_are_told_apart_by_name_and_columns() {
        let flyway = cols(&[
            "installed_rank",
            "version",
            "description",
            "type",
            "script",
            "checksum",
            "installed_by",
            "installed_on",
            "execution_time",
            "success",
        ]);
        assert_eq!(
            detect("public", "flyway_schema_history", &flyway),
            Some(Tool::Flyway)
        );
        assert_eq!(
            detect("app", "schema_migrations", &cols(&["version", "dirty"])),
            Some(Tool::GolangMigrate)
        );
        assert_eq!(
            detect("app", "schema_migrations", &cols(&["version"])),
            Some(Tool::Rails)
        );
        assert_eq!(
            detect(
                "sqitch",
                "changes",
                &cols(&["change_id", "change", "project"])
            ),
            Some(Tool::Sqitch)
        );
        // a user table called `changes` elsewhere is not Sqitch's
        assert_eq!(
            detect("public", "changes", &cols(&["change_id", "change"])),
            None
        );
        // the right name with the wrong columns is something else
        assert_eq!(
            detect("public", "flyway_schema_history", &cols(&["id"])),
            None
        );
        assert_eq!(guess_by_name("x", "goose_db_version"), Some("goose"));
        assert_eq!(guess_by_name("x", "orders"), None);
    }

    #[test]
    fn history_sql_uses_only_existing_columns_and_quotes_them() {
        // an old Flyway table without installed_by; a hostile schema name
        let t = table(
            Tool::Flyway,
            "x\"; drop table y; --",
            "flyway_schema_history",
            &["installed_rank", "version", "description", "success"],
        );
        let sql = t.history_sql(100);
        assert_eq!(
            sql,
            "select installed_rank::text, version::text, description::text, null::text, \
             null::text, success::text, null::text, null::text \
             from \"x\"\"; drop table y; --\".flyway_schema_history \
             order by installed_rank desc nulls first limit 101"
        );
        // Django: no key column of the layout missing, the app as the description
        let t = table(
            Tool::Django,
            "Odd",
            "django_migrations",
            &["id", "app", "name", "applied"],
        );
        assert!(
            t.history_sql(10)
                .starts_with("select id::text, name::text, app::text, applied::text"),
            "{}",
            t.history_sql(10)
        );
    }

    fn entry(tool: Tool, version: &str, status: Option<&str>, status2: Option<&str>) -> Entry {
        Entry::from_texts(
            tool,
            [
                Some(version.into()),
                Some(version.into()),
                None,
                Some("2026-01-01".into()),
                None,
                status.map(str::to_string),
                status2.map(str::to_string),
                None,
            ],
        )
    }

    #[test]
    fn the_error_line_of_a_log() {
        let prisma = "Database error:\nERROR: column \"total\" already exists\n\nDbError { severity: \"ERROR\" }";
        assert_eq!(
            error_line(prisma),
            Some("ERROR: column \"total\" already exists")
        );
        assert_eq!(error_line("\n  boom\nmore"), Some("boom"));
        assert_eq!(error_line(" \n"), None);
    }

    #[test]
    fn states_by_tool() {
        assert_eq!(
            entry(Tool::Flyway, "1", Some("false"), None).state,
            EntryState::Failed
        );
        assert_eq!(
            entry(Tool::Flyway, "1", Some("true"), None).state,
            EntryState::Applied
        );
        assert_eq!(
            entry(Tool::Prisma, "a", None, None).state,
            EntryState::Unfinished
        );
        assert_eq!(
            entry(Tool::Prisma, "a", Some("2026-01-02"), None).applied_at,
            Some("2026-01-02".into())
        );
        assert_eq!(
            entry(Tool::Prisma, "a", None, Some("2026-01-03")).state,
            EntryState::RolledBack
        );
        assert_eq!(
            entry(Tool::GolangMigrate, "7", Some("true"), None).state,
            EntryState::Dirty
        );
        assert_eq!(
            entry(Tool::Goose, "7", Some("false"), None).state,
            EntryState::Reverted
        );
        assert!(!EntryState::Reverted.is_problem());
        // Rails has no state column: applied
        assert_eq!(
            entry(Tool::Rails, "2024", None, None).state,
            EntryState::Applied
        );
    }

    #[test]
    fn failures_skip_rollback_records_and_retried_prisma_migrations() {
        // newest first: `b` rolled back then retried and applied; `c` rolled back, never retried
        let entries = vec![
            entry(Tool::Prisma, "b", Some("2026-01-05"), None),
            entry(Tool::Prisma, "c", None, Some("2026-01-04")),
            entry(Tool::Prisma, "b", None, Some("2026-01-03")),
            entry(Tool::Prisma, "d", None, None),
        ];
        let f: Vec<&str> = failures(Tool::Prisma, &entries)
            .iter()
            .filter_map(|e| e.version.as_deref())
            .collect();
        assert_eq!(f, ["c", "d"]);
        let goose = vec![
            entry(Tool::Goose, "3", Some("false"), None),
            entry(Tool::Goose, "3", Some("true"), None),
        ];
        assert!(failures(Tool::Goose, &goose).is_empty());
        let h = History {
            table: table(
                Tool::GolangMigrate,
                "public",
                "schema_migrations",
                &["version", "dirty"],
            ),
            entries: vec![entry(Tool::GolangMigrate, "20260101", Some("true"), None)],
            truncated: false,
        };
        let rows = failure_rows(&h);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].object.as_deref(), Some("20260101"));
        assert_eq!(rows[0].get("state"), &Value::Text("dirty".into()));
        assert_eq!(rows[0].get("tool"), &Value::Text("golang-migrate".into()));
    }

    fn listed(version: &str, state: EntryState, detail: Option<&str>) -> Entry {
        Entry {
            key: Some(version.into()),
            version: Some(version.into()),
            description: Some("add \u{1b}[2Jemail index".into()),
            applied_at: Some("2026-01-12 09:00:00.123+00".into()),
            applied_by: Some("deploy".into()),
            state,
            rolled_back_at: None,
            detail: detail.map(str::to_string),
        }
    }

    #[test]
    fn failures_are_warnings_with_their_error_and_control_characters_are_escaped() {
        let h = History {
            table: HistoryTable {
                tool: Tool::Flyway,
                schema: "My App".into(),
                table: "flyway_schema_history".into(),
                columns: vec![],
            },
            entries: vec![
                listed("1.2", EntryState::Failed, Some("\nERROR: boom\nat line 3")),
                listed("1.1", EntryState::Applied, None),
            ],
            truncated: true,
        };
        let lines = h.lines();
        assert_eq!(
            lines[0],
            (
                LineKind::Title,
                "Flyway history in \"My App\".flyway_schema_history, newest first".into()
            )
        );
        assert_eq!(lines[1].0, LineKind::Warn);
        assert!(
            lines[1]
                .1
                .starts_with("2 entries, 1 failed or not finished"),
            "{:?}",
            lines[1]
        );
        let lines = lines[1..].to_vec();
        assert_eq!(lines[1].0, LineKind::Section);
        assert!(lines[1].1.starts_with("version "), "{:?}", lines[1]);
        assert_eq!(lines[2].0, LineKind::Warn);
        assert!(
            lines[2].1.starts_with("1.2 ") && lines[2].1.ends_with("deploy failed"),
            "{:?}",
            lines[2]
        );
        assert!(lines[2].1.contains("2026-01-12 09:00 "), "{:?}", lines[2]);
        assert!(!lines[2].1.contains('\u{1b}'), "{:?}", lines[2]);
        assert_eq!(lines[3], (LineKind::Warn, "  ERROR: boom".into()));
        assert_eq!(lines[4].0, LineKind::Text);
        assert!(lines.last().is_some_and(|l| l.1.contains("older entries")));
    }
}
