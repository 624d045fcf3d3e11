//! The history search overlay (ctrl-r): type to filter the executed statements with a fuzzy match,
//! newest first; enter puts the chosen statement into the editor (it is not run).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, List, ListItem, ListState, Paragraph};

use super::RenderCx;
use super::layout::centered;
use super::text::{duration, one_line_sql, truncate, visible};
use crate::state::history::{HistoryEntry, fuzzy_score};

/// The overlay's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistorySearch {
    pub query: String,
    pub selected: usize,
}

/// What a key did to the overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryKey {
    /// Keep the overlay open.
    Stay,
    Close,
    /// Put this statement into the editor.
    Accept(String),
}

impl HistorySearch {
    /// Indices into `entries` that match the query, best first (newest first among equals).
    pub fn matches(&self, entries: &[HistoryEntry]) -> Vec<usize> {
        let mut scored: Vec<(i64, usize)> = entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| fuzzy_score(&self.query, &e.sql).map(|s| (s, i)))
            .collect();
        if self.query.is_empty() {
            scored.sort_by_key(|s| std::cmp::Reverse(s.1));
        } else {
            scored.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
        }
        // the same statement run many times shows once
        let mut seen = std::collections::HashSet::new();
        scored
            .into_iter()
            .map(|(_, i)| i)
            .filter(|&i| seen.insert(entries[i].sql.trim()))
            .collect()
    }

    /// Handle a key.
    pub fn key(&mut self, key: KeyEvent, entries: &[HistoryEntry]) -> HistoryKey {
        match key.code {
            KeyCode::Esc => return HistoryKey::Close,
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                return HistoryKey::Close;
            }
            KeyCode::Enter => {
                let m = self.matches(entries);
                return match m.get(self.selected) {
                    Some(&i) => HistoryKey::Accept(entries[i].sql.clone()),
                    None => HistoryKey::Close,
                };
            }
            KeyCode::Up => self.selected = self.selected.saturating_sub(1),
            // ctrl-r again moves to the next older match, as in a shell
            KeyCode::Down => self.selected += 1,
            KeyCode::Char('r') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.selected += 1
            }
            KeyCode::Backspace => {
                self.query.pop();
                self.selected = 0;
            }
            KeyCode::Char(c)
                if !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                self.query.push(c);
                self.selected = 0;
            }
            _ => {}
        }
        let n = self.matches(entries).len();
        self.selected = self.selected.min(n.saturating_sub(1));
        HistoryKey::Stay
    }

    /// Draw the overlay.
    pub fn render(
        &self,
        frame: &mut Frame,
        area: Rect,
        cx: &RenderCx,
        entries: &[HistoryEntry],
        now: u64,
    ) {
        let box_area = centered(
            area,
            area.width.saturating_sub(6).max(40),
            area.height.saturating_sub(4).max(8),
        );
        frame.render_widget(Clear, box_area);
        let block =
            cx.block(" History (type to search, enter puts it into the editor, esc closes) ");
        let inner = block.inner(box_area);
        frame.render_widget(block, box_area);
        if inner.height < 2 {
            return;
        }
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled("search: ", cx.theme.accent),
                Span::raw(visible(&self.query).into_owned()),
                Span::styled("▏", cx.theme.accent),
            ])),
            Rect::new(inner.x, inner.y, inner.width, 1),
        );
        let list_area = Rect::new(inner.x, inner.y + 1, inner.width, inner.height - 1);
        let matches = self.matches(entries);
        if matches.is_empty() {
            let msg = if entries.is_empty() {
                "no history yet"
            } else {
                "nothing matches"
            };
            frame.render_widget(Paragraph::new(Line::styled(msg, cx.theme.muted)), list_area);
            return;
        }
        let w = inner.width as usize;
        let items: Vec<ListItem> = matches
            .iter()
            .map(|&i| {
                let e = &entries[i];
                let ago = duration(now.saturating_sub(e.at) as f64);
                let meta = format!(
                    "{} {:>10} ago {:>9} {:>7} rows ",
                    if e.ok { " " } else { "✗" },
                    ago,
                    duration(e.duration_ms / 1000.0),
                    e.rows
                );
                let sql_w = w.saturating_sub(meta.chars().count());
                let style = if e.ok { cx.theme.base } else { cx.theme.error };
                ListItem::new(Line::from(vec![
                    Span::styled(meta, cx.theme.muted),
                    Span::styled(truncate(&one_line_sql(&e.sql), sql_w).into_owned(), style),
                ]))
            })
            .collect();
        let mut state = ListState::default();
        state.select(Some(self.selected.min(items.len() - 1)));
        frame.render_stateful_widget(
            List::new(items).highlight_style(cx.theme.selection),
            list_area,
            &mut state,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(sql: &str, at: u64) -> HistoryEntry {
        HistoryEntry {
            at,
            sql: sql.into(),
            duration_ms: 1.0,
            rows: 1,
            database: "d".into(),
            ok: true,
            sqlstate: None,
        }
    }

    fn k(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn newest_first_deduplicated_then_fuzzy() {
        let entries = vec![
            e("select 1", 1),
            e("select * from users", 2),
            e("select 1", 3),
        ];
        let mut h = HistorySearch::default();
        assert_eq!(h.matches(&entries), vec![2, 1]);
        for c in "usr".chars() {
            h.key(k(KeyCode::Char(c)), &entries);
        }
        assert_eq!(h.matches(&entries), vec![1]);
        assert_eq!(
            h.key(k(KeyCode::Enter), &entries),
            HistoryKey::Accept("select * from users".into())
        );
        assert_eq!(h.key(k(KeyCode::Esc), &entries), HistoryKey::Close);
    }
}
