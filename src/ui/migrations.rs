//! A schema-migration tool's applied history as the schema browser shows it: the `migrations` node a
//! detected history table gets under its schema, and the lines of the history (version, description,
//! when, by whom, state; failures marked and their logged error under them) drawn in the detail area.
//! Reading the history is `db::migrations`' job; this module only lays it out.

use super::text::{truncate, visible, width};
use crate::model::ident::quote_ident;
use crate::model::migrations::{EntryState, History, Tool, guess_by_name};
use crate::model::table_detail::LineKind;

/// The label of the `migrations` node of a table, when its name is a tool's history table's.
pub fn node_label(schema: &str, table: &str) -> Option<String> {
    guess_by_name(schema, table).map(|tools| format!("migrations: {tools}"))
}

/// `s` cut or padded to exactly `w` columns.
fn cell(s: &str, w: usize) -> String {
    let s = truncate(s, w);
    let pad = w.saturating_sub(width(&s));
    format!("{s}{}", " ".repeat(pad))
}

/// The history as detail lines: a title, a header, one line per entry (newest first), failures as
/// warnings with their logged error below.
pub fn history_lines(h: &History) -> Vec<(LineKind, String)> {
    let t = &h.table;
    let problems = h.entries.iter().filter(|e| e.state.is_problem()).count();
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
                format!(", {problems} not applied cleanly (see pgdeck check --group migrations)")
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
    let widest =
        |f: &dyn Fn(&crate::model::migrations::Entry) -> String, min: usize, max: usize| {
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
        let kind = if e.state.is_problem() {
            LineKind::Warn
        } else {
            LineKind::Text
        };
        out.push((kind, line.trim_end().to_string()));
        // Prisma logs the error of a failed migration: its first line says what went wrong
        if e.state.is_problem()
            && let Some(first) = e
                .detail
                .as_deref()
                .and_then(|d| d.lines().map(str::trim).find(|l| !l.is_empty()))
        {
            out.push((LineKind::Warn, format!("  {}", visible(first))));
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

/// `2026-01-12 09:00:00+00` → `2026-01-12 09:00`.
fn short_time(t: &str) -> String {
    t.get(..16).unwrap_or(t).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::migrations::{Entry, HistoryTable};

    fn entry(version: &str, state: EntryState, detail: Option<&str>) -> Entry {
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
                entry("1.2", EntryState::Failed, Some("\nERROR: boom\nat line 3")),
                entry("1.1", EntryState::Applied, None),
            ],
            truncated: true,
        };
        let lines = history_lines(&h);
        assert_eq!(
            lines[0],
            (
                LineKind::Title,
                "Flyway history in \"My App\".flyway_schema_history, newest first".into()
            )
        );
        assert_eq!(lines[1].0, LineKind::Warn);
        assert!(
            lines[1].1.starts_with("2 entries, 1 not applied cleanly"),
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
        assert_eq!(
            node_label("public", "_prisma_migrations").as_deref(),
            Some("migrations: Prisma")
        );
        assert_eq!(node_label("public", "users"), None);
    }
}
