//! The query editor: a tui-textarea buffer. It knows which statement is under the cursor (or selected)
//! and where a server error position lands in the buffer; running it is the app's job.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use tui_textarea::{CursorMove, TextArea};

use super::{Handled, Pane, RenderCx};
use crate::action::Action;
use crate::db::{RequestId, Requests, Response};
use crate::model::sql_split;

/// A statement picked for running: its text and where it starts in the buffer (byte offset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picked {
    pub sql: String,
    pub offset: usize,
}

/// The editor pane.
pub struct EditorPane {
    area: TextArea<'static>,
    /// The last statement sent, to map an error position back into the buffer.
    last_run: Option<Picked>,
}

impl Default for EditorPane {
    fn default() -> Self {
        Self::new("")
    }
}

impl EditorPane {
    /// An editor holding `text`.
    pub fn new(text: &str) -> Self {
        let lines: Vec<String> = text.split('\n').map(str::to_string).collect();
        let mut area = TextArea::new(lines);
        area.set_tab_length(4);
        EditorPane {
            area,
            last_run: None,
        }
    }

    /// The whole buffer.
    pub fn text(&self) -> String {
        self.area.lines().join("\n")
    }

    /// Replace the buffer, cursor at the end.
    pub fn set_text(&mut self, text: &str) {
        let mut area = TextArea::new(text.split('\n').map(str::to_string).collect());
        area.set_tab_length(self.area.tab_length());
        area.move_cursor(CursorMove::Bottom);
        area.move_cursor(CursorMove::End);
        self.area = area;
    }

    /// Set the tab width from the config.
    pub fn set_tab_width(&mut self, w: u8) {
        self.area.set_tab_length(w.max(1));
    }

    /// The selection if there is one, else the statement under the cursor. `None` for an empty buffer.
    pub fn pick_statement(&self) -> Option<Picked> {
        let text = self.text();
        if let Some(((r1, c1), (r2, c2))) = self.area.selection_range() {
            let a = byte_offset(self.area.lines(), r1, c1);
            let b = byte_offset(self.area.lines(), r2, c2);
            let sel = text.get(a..b)?;
            if !sel.trim().is_empty() {
                return Some(Picked {
                    sql: sel.to_string(),
                    offset: a,
                });
            }
        }
        let (row, col) = (self.area.cursor().0, self.area.cursor().1);
        let cursor = byte_offset(self.area.lines(), row, col);
        let stmt = sql_split::statement_at(&text, cursor)?;
        Some(Picked {
            sql: stmt.text(&text).to_string(),
            offset: stmt.range.start,
        })
    }

    /// Remember what was sent, for [`EditorPane::place_error`].
    pub fn ran(&mut self, picked: Picked) {
        self.last_run = Some(picked);
    }

    /// Move the cursor to a server error position: `position` is the 1-based character index in the
    /// text sent, which began `text_offset` bytes into the picked statement.
    pub fn place_error(&mut self, position: u32, text_offset: usize) {
        let Some(run) = &self.last_run else { return };
        let Some(sent) = run.sql.get(text_offset..) else {
            return;
        };
        let idx = (position as usize).saturating_sub(1);
        let in_sent = sent.char_indices().nth(idx).map_or(sent.len(), |(b, _)| b);
        let target = run.offset + text_offset + in_sent;
        let (row, col) = row_col(self.area.lines(), target);
        self.area.move_cursor(CursorMove::Jump(
            u16::try_from(row).unwrap_or(u16::MAX),
            u16::try_from(col).unwrap_or(u16::MAX),
        ));
    }

    /// Cursor as (row, column in characters), for tests and the status bar.
    pub fn cursor(&self) -> (usize, usize) {
        (self.area.cursor().0, self.area.cursor().1)
    }
}

/// Byte offset of (row, char column) in lines joined by `\n`.
fn byte_offset(lines: &[String], row: usize, col: usize) -> usize {
    let mut off = 0;
    for l in lines.iter().take(row) {
        off += l.len() + 1;
    }
    if let Some(line) = lines.get(row) {
        off += line.char_indices().nth(col).map_or(line.len(), |(b, _)| b);
    }
    off
}

/// (row, char column) of a byte offset in lines joined by `\n`; clamps to the end.
fn row_col(lines: &[String], mut off: usize) -> (usize, usize) {
    for (r, l) in lines.iter().enumerate() {
        if off <= l.len() {
            let col = l.char_indices().take_while(|(b, _)| *b < off).count();
            return (r, col);
        }
        off -= l.len() + 1;
    }
    let last = lines.len().saturating_sub(1);
    (last, lines.get(last).map_or(0, |l| l.chars().count()))
}

impl Pane for EditorPane {
    fn update(&mut self, _action: Action, _requests: &Requests) -> Handled {
        Handled::No
    }

    fn text_entry(&self) -> bool {
        true
    }

    fn input(&mut self, key: KeyEvent) -> bool {
        self.area.input(key)
    }

    fn waits_for(&self, _id: RequestId) -> bool {
        false
    }

    fn on_reply(&mut self, _response: Response) {}

    fn render(&mut self, frame: &mut Frame, area: Rect, cx: &RenderCx) {
        let (row, col) = self.cursor();
        let title = Line::from(format!(" Query  {}:{} ", row + 1, col + 1));
        self.area.set_block(cx.block(title));
        self.area.set_style(cx.theme.base);
        self.area.set_line_number_style(cx.theme.line_number);
        self.area
            .set_cursor_line_style(ratatui::style::Style::default());
        self.area.set_placeholder_style(cx.theme.muted);
        // The hint names the key actually bound, so a user keymap never makes it lie.
        let run_key = cx
            .keymap
            .keys_for(crate::keymap::Section::Editor, Action::RunStatement)
            .first()
            .map(ToString::to_string);
        let placeholder = match run_key {
            Some(k) => format!("Type SQL here; {k} runs the statement under the cursor"),
            None => "Type SQL here".to_string(),
        };
        if self.area.placeholder_text() != placeholder {
            self.area.set_placeholder_text(placeholder);
        }
        // Show the cursor only where keys go.
        self.area.set_cursor_style(if cx.focused {
            cx.theme.selection
        } else {
            ratatui::style::Style::default()
        });
        frame.render_widget(&self.area, area);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<String> {
        s.split('\n').map(str::to_string).collect()
    }

    #[test]
    fn offsets_and_positions_round_trip() {
        let l = lines("select 1;\nselect 'é', x\nfrom t;");
        assert_eq!(byte_offset(&l, 0, 0), 0);
        assert_eq!(byte_offset(&l, 1, 0), 10);
        assert_eq!(byte_offset(&l, 1, 10), 21); // after 'é' (2 bytes)
        for off in [0, 5, 10, 21, 24, 28] {
            let (r, c) = row_col(&l, off);
            assert_eq!(byte_offset(&l, r, c), off, "offset {off}");
        }
        assert_eq!(row_col(&l, 999), (2, 7));
    }

    #[test]
    fn picks_the_statement_under_the_cursor() {
        let mut e = EditorPane::new("select 1;\nselect 2;");
        e.area.move_cursor(CursorMove::Jump(1, 3));
        let p = e.pick_statement().expect("a statement");
        assert_eq!(p.sql, "select 2;");
        assert_eq!(p.offset, 10);
        assert_eq!(EditorPane::new("  ").pick_statement(), None);
    }

    #[test]
    fn error_position_moves_the_cursor_in_multibyte_text() {
        let mut e = EditorPane::new("select 1;\nselect '日本', nope from t;");
        e.area.move_cursor(CursorMove::Jump(1, 0));
        let p = e.pick_statement().expect("statement");
        e.ran(p);
        // the server counts characters: "select '日本', " is 14 chars, so `nope` is at 15
        e.place_error(15, 0);
        assert_eq!(e.cursor(), (1, 14));
    }
}
