//! The history of executed statements: one JSON object per line in `<state>/history.jsonl`, appended
//! with a single `write` on a file opened with O_APPEND, so concurrent pgdeck processes and crashes
//! never interleave or tear a line in the middle of the file; a torn last line (power loss) is
//! skipped when reading. Password literals are masked before anything is written.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// One executed statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Seconds since the Unix epoch when it started.
    pub at: u64,
    pub sql: String,
    pub duration_ms: f64,
    pub rows: u64,
    pub database: String,
    pub ok: bool,
    /// SQLSTATE when it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sqlstate: Option<String>,
}

/// Most entries kept in memory for the search overlay.
pub const MAX_LOADED: usize = 10_000;

/// The history file under `state_dir`.
pub fn path(state_dir: &Path) -> PathBuf {
    state_dir.join("history.jsonl")
}

/// Append an entry (passwords masked).
pub fn append(state_dir: &Path, entry: &HistoryEntry) -> std::io::Result<()> {
    std::fs::create_dir_all(state_dir)?;
    let mut e = entry.clone();
    e.sql = mask_passwords(&e.sql);
    let mut line = serde_json::to_vec(&e).map_err(std::io::Error::other)?;
    line.push(b'\n');
    let mut f = super::private_file(std::fs::OpenOptions::new().create(true).append(true))
        .open(path(state_dir))?;
    // One write call per line: with O_APPEND the kernel places it whole at the end.
    f.write_all(&line)
}

/// Load the newest entries (oldest first), skipping lines that do not parse (a torn last line).
pub fn load(state_dir: &Path) -> Vec<HistoryEntry> {
    let Ok(text) = std::fs::read_to_string(path(state_dir)) else {
        return Vec::new();
    };
    let mut out: Vec<HistoryEntry> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    if out.len() > MAX_LOADED {
        out.drain(..out.len() - MAX_LOADED);
    }
    out
}

/// `PASSWORD 'secret'` (CREATE/ALTER ROLE/USER) becomes `PASSWORD '********'`.
pub fn mask_passwords(sql: &str) -> String {
    use crate::model::sql_lex::{Lexer, TokKind};
    let mut out = String::with_capacity(sql.len());
    let mut last = 0;
    let mut after_password = false;
    for tok in Lexer::new(sql) {
        match tok.kind {
            TokKind::Space | TokKind::LineComment | TokKind::BlockComment => continue,
            TokKind::Word if sql[tok.range.clone()].eq_ignore_ascii_case("password") => {
                after_password = true;
                continue;
            }
            TokKind::String | TokKind::DollarString if after_password => {
                out.push_str(&sql[last..tok.range.start]);
                out.push_str("'********'");
                last = tok.range.end;
            }
            _ => {}
        }
        after_password = false;
    }
    out.push_str(&sql[last..]);
    out
}

/// Fuzzy (subsequence, case-insensitive) match score of `query` in `text`; `None` when it does not
/// match. Higher is better: consecutive matches and matches at word starts count more.
pub fn fuzzy_score(query: &str, text: &str) -> Option<i64> {
    if query.is_empty() {
        return Some(0);
    }
    let q: Vec<char> = query.chars().flat_map(char::to_lowercase).collect();
    let mut qi = 0;
    let mut score = 0i64;
    let mut prev_match = false;
    let mut prev_char = ' ';
    for c in text.chars() {
        let lc = c.to_lowercase().next().unwrap_or(c);
        if qi < q.len() && lc == q[qi] {
            score += 1;
            if prev_match {
                score += 5;
            }
            if !prev_char.is_alphanumeric() {
                score += 3;
            }
            qi += 1;
            prev_match = true;
        } else {
            prev_match = false;
        }
        prev_char = c;
    }
    (qi == q.len()).then(|| score * 1000 - text.len().min(999) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(sql: &str) -> HistoryEntry {
        HistoryEntry {
            at: 1,
            sql: sql.into(),
            duration_ms: 1.5,
            rows: 3,
            database: "db".into(),
            ok: true,
            sqlstate: None,
        }
    }

    #[test]
    fn append_load_and_torn_last_line() {
        let d = std::env::temp_dir().join(format!("pgdeck-history-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        append(&d, &entry("select 1")).expect("append");
        append(&d, &entry("select\n2")).expect("append");
        // a crash in the middle of a write leaves a partial line
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(path(&d))
            .expect("open");
        f.write_all(b"{\"at\":3,\"sql\":\"sel").expect("torn write");
        let got = load(&d);
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].sql, "select\n2");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn passwords_are_masked() {
        assert_eq!(
            mask_passwords("ALTER ROLE bob PASSWORD 'hunter2'"),
            "ALTER ROLE bob PASSWORD '********'"
        );
        assert_eq!(
            mask_passwords("create user x with login password $$p'w$$ valid until 'x'"),
            "create user x with login password '********' valid until 'x'"
        );
        assert_eq!(mask_passwords("select 'password'"), "select 'password'");
    }

    #[test]
    fn fuzzy_prefers_tight_matches() {
        assert!(fuzzy_score("slu", "select * from users").is_some());
        assert!(fuzzy_score("xyz", "select 1").is_none());
        let tight = fuzzy_score("users", "select * from users").unwrap_or(0);
        let loose = fuzzy_score("users", "update s set e = r where s = 1").unwrap_or(0);
        assert!(tight > loose);
    }
}
