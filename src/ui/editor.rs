//! The query editor: several named buffers (tabs) of SQL, each a tui-textarea with line numbers,
//! undo/redo and PostgreSQL highlighting; find and replace; the statement under the cursor (or the
//! selection) picked for running; a server error position mapped back to the cursor. Running and
//! saving are the app's job: this pane only holds text and says what to run.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use tui_textarea::{CursorMove, TextArea};

use super::highlight::{self, LineSpans};
use super::text::{truncate, visible};
use super::{Handled, Pane, RenderCx};
use crate::action::Action;
use crate::db::{RequestId, Requests, Response};
use crate::keymap::Section;
use crate::model::completion::{Completion, Item};
use crate::model::sql_split;
use crate::state::autosave::SavedBuffer;

/// A statement picked for running: its text and where it starts in the buffer (byte offset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picked {
    pub sql: String,
    pub offset: usize,
}

/// One tab of the editor.
struct Buffer {
    name: String,
    area: TextArea<'static>,
    /// Bumped on every edit: drives highlighting and autosave.
    version: u64,
    highlighted: Option<(u64, LineSpans)>,
}

impl Buffer {
    fn new(name: String, text: &str, tab_width: u8) -> Buffer {
        let mut area = TextArea::new(text.split('\n').map(str::to_string).collect());
        area.set_tab_length(tab_width.max(1));
        Buffer {
            name,
            area,
            version: 1,
            highlighted: None,
        }
    }

    fn text(&self) -> String {
        self.area.lines().join("\n")
    }
}

/// A one-line prompt shown at the bottom of the editor.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Prompt {
    Find(String),
    Replace {
        find: String,
        with: String,
        /// Typing goes into `with` (after tab).
        on_with: bool,
    },
    Rename(String),
}

/// The editor pane.
pub struct EditorPane {
    buffers: Vec<Buffer>,
    current: usize,
    /// The last statement sent, to map an error position back into the buffer.
    last_run: Option<(usize, Picked)>,
    prompt: Option<Prompt>,
    /// Last find text, for find next/previous.
    last_find: String,
    /// Sum of buffer versions at the last save.
    saved_stamp: u64,
    tab_width: u8,
    /// A short message shown in the prompt row (e.g. "3 replaced").
    note: Option<String>,
    created: usize,
    popup: Option<Popup>,
}

/// The completion popup.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Popup {
    items: Vec<Item>,
    selected: usize,
    replace_chars: usize,
}

impl Default for EditorPane {
    fn default() -> Self {
        Self::new("")
    }
}

impl EditorPane {
    /// An editor with one buffer holding `text`.
    pub fn new(text: &str) -> Self {
        EditorPane {
            buffers: vec![Buffer::new("query1".into(), text, 4)],
            current: 0,
            last_run: None,
            prompt: None,
            last_find: String::new(),
            saved_stamp: 0,
            tab_width: 4,
            note: None,
            created: 1,
            popup: None,
        }
    }

    /// An editor restored from saved buffers.
    pub fn restore(saved: Vec<SavedBuffer>, current: usize, tab_width: u8) -> Self {
        let mut e = EditorPane::new("");
        e.tab_width = tab_width;
        if !saved.is_empty() {
            e.buffers = saved
                .into_iter()
                .map(|b| {
                    let mut buf = Buffer::new(b.name, &b.text, tab_width);
                    buf.area.move_cursor(CursorMove::Jump(
                        u16::try_from(b.cursor.0).unwrap_or(u16::MAX),
                        u16::try_from(b.cursor.1).unwrap_or(u16::MAX),
                    ));
                    buf
                })
                .collect();
            e.current = current.min(e.buffers.len() - 1);
            e.created = e.buffers.len();
        }
        e.saved_stamp = e.stamp();
        e
    }

    fn buf(&self) -> &Buffer {
        &self.buffers[self.current]
    }

    fn buf_mut(&mut self) -> &mut Buffer {
        &mut self.buffers[self.current]
    }

    fn stamp(&self) -> u64 {
        self.buffers.iter().map(|b| b.version).sum::<u64>()
            + self.buffers.len() as u64 * 1_000_003
            + self.current as u64
    }

    /// Whether something changed since the last [`EditorPane::mark_saved`].
    pub fn dirty(&self) -> bool {
        self.stamp() != self.saved_stamp
    }

    /// Record that the current state was saved.
    pub fn mark_saved(&mut self) {
        self.saved_stamp = self.stamp();
    }

    /// Every buffer, for saving.
    pub fn snapshot(&self) -> (Vec<SavedBuffer>, usize) {
        let bufs = self
            .buffers
            .iter()
            .map(|b| SavedBuffer {
                name: b.name.clone(),
                text: b.text(),
                cursor: (b.area.cursor().0, b.area.cursor().1),
            })
            .collect();
        (bufs, self.current)
    }

    /// The current buffer's text.
    pub fn text(&self) -> String {
        self.buf().text()
    }

    /// Names of the buffers and which is current.
    pub fn tabs(&self) -> (Vec<&str>, usize) {
        (
            self.buffers.iter().map(|b| b.name.as_str()).collect(),
            self.current,
        )
    }

    /// Replace the current buffer's text, cursor at the end.
    pub fn set_text(&mut self, text: &str) {
        let b = self.buf_mut();
        b.area.select_all();
        b.area.cut();
        b.area.insert_str(text);
        b.version += 1;
    }

    /// Put suggested SQL at the end of the current buffer, after a blank line, with the cursor on
    /// it: suggestions are never run by themselves.
    pub fn append_statement(&mut self, sql: &str) {
        let b = self.buf_mut();
        b.area.move_cursor(CursorMove::Bottom);
        b.area.move_cursor(CursorMove::End);
        // the last line with code: a fix that ends in a comment line (`-- needs a restart`) after
        // its `;` is already ended
        let last = b
            .area
            .lines()
            .iter()
            .rev()
            .find(|l| {
                let t = l.trim();
                !t.is_empty() && !t.starts_with("--")
            })
            .map(|l| l.trim_end().to_string());
        // The statement before must end, or the two run as one ("syntax error at CREATE").
        let sep = match last {
            None => "",
            Some(l) if l.ends_with(';') => "\n\n",
            Some(l) if l.contains("--") => "\n;\n\n",
            Some(_) => ";\n\n",
        };
        b.area.insert_str(sep);
        let (row, _) = (b.area.cursor().0, b.area.cursor().1);
        b.area.insert_str(sql);
        b.area
            .move_cursor(CursorMove::Jump(u16::try_from(row).unwrap_or(u16::MAX), 0));
        b.version += 1;
    }

    /// Set the tab width from the config.
    pub fn set_tab_width(&mut self, w: u8) {
        self.tab_width = w.max(1);
        for b in &mut self.buffers {
            b.area.set_tab_length(self.tab_width);
        }
    }

    /// The selection if there is one, else the statement under the cursor. `None` for an empty buffer.
    pub fn pick_statement(&self) -> Option<Picked> {
        let b = self.buf();
        let text = b.text();
        if let Some(((r1, c1), (r2, c2))) = b.area.selection_range() {
            let a = byte_offset(b.area.lines(), r1, c1);
            let e = byte_offset(b.area.lines(), r2, c2);
            let sel = text.get(a..e)?;
            if !sel.trim().is_empty() {
                return Some(Picked {
                    sql: sel.to_string(),
                    offset: a,
                });
            }
        }
        let (row, col) = (b.area.cursor().0, b.area.cursor().1);
        let cursor = byte_offset(b.area.lines(), row, col);
        let stmt = sql_split::statement_at(&text, cursor)?;
        Some(Picked {
            sql: stmt.text(&text).to_string(),
            offset: stmt.range.start,
        })
    }

    /// The whole buffer, for run-all. `None` when it holds only whitespace.
    pub fn pick_all(&self) -> Option<Picked> {
        let text = self.text();
        (!text.trim().is_empty()).then_some(Picked {
            sql: text,
            offset: 0,
        })
    }

    /// Remember what was sent, for [`EditorPane::place_error`].
    pub fn ran(&mut self, picked: Picked) {
        self.last_run = Some((self.current, picked));
    }

    /// Move the cursor to a server error position: `position` is the 1-based character index in the
    /// text sent, which began `text_offset` bytes into the picked statement.
    pub fn place_error(&mut self, position: u32, text_offset: usize) {
        let Some((buffer, run)) = &self.last_run else {
            return;
        };
        let Some(sent) = run.sql.get(text_offset..) else {
            return;
        };
        let idx = (position as usize).saturating_sub(1);
        let in_sent = sent.char_indices().nth(idx).map_or(sent.len(), |(b, _)| b);
        let target = run.offset + text_offset + in_sent;
        let buffer = *buffer;
        let Some(b) = self.buffers.get_mut(buffer) else {
            return;
        };
        self.current = buffer;
        let (row, col) = row_col(b.area.lines(), target);
        b.area.move_cursor(CursorMove::Jump(
            u16::try_from(row).unwrap_or(u16::MAX),
            u16::try_from(col).unwrap_or(u16::MAX),
        ));
    }

    /// Cursor as (row, column in characters).
    pub fn cursor(&self) -> (usize, usize) {
        (self.buf().area.cursor().0, self.buf().area.cursor().1)
    }

    /// Whether the current buffer holds text (closing it would lose something).
    pub fn current_has_text(&self) -> bool {
        !self.text().trim().is_empty()
    }

    /// Close the current buffer (the app asks first when it holds text). The last buffer is emptied
    /// instead of closed.
    pub fn close_current(&mut self) {
        if self.buffers.len() == 1 {
            self.set_text("");
            return;
        }
        self.buffers.remove(self.current);
        if self.current >= self.buffers.len() {
            self.current = self.buffers.len() - 1;
        }
        if let Some((b, _)) = &self.last_run
            && *b >= self.buffers.len()
        {
            self.last_run = None;
        }
    }

    /// The statement around the cursor and the cursor's byte offset in it, for completion.
    pub fn statement_at_cursor(&self) -> (String, usize) {
        let b = self.buf();
        let text = b.text();
        let (row, col) = (b.area.cursor().0, b.area.cursor().1);
        let cursor = byte_offset(b.area.lines(), row, col);
        // the statement is cut at the cursor's statement boundaries, keeping the text after it
        let stmts = sql_split::split(&text);
        let range = stmts
            .iter()
            .find(|s| s.range.start <= cursor && cursor <= s.range.end)
            .map(|s| s.range.clone())
            .unwrap_or_else(|| {
                let start = stmts
                    .iter()
                    .rev()
                    .find(|s| s.range.end <= cursor)
                    .map_or(0, |s| s.range.end);
                start..cursor
            });
        let start = range.start.min(cursor);
        let end = range.end.max(cursor);
        (text[start..end].to_string(), cursor - start)
    }

    /// Show completion candidates (an empty list closes the popup).
    pub fn set_completion(&mut self, c: Completion) {
        let keep = self
            .popup
            .as_ref()
            .map(|p| p.items.get(p.selected).cloned());
        self.popup = (!c.items.is_empty()).then(|| {
            // keep the same item selected while the list narrows
            let selected = keep
                .flatten()
                .and_then(|it| c.items.iter().position(|i| *i == it))
                .unwrap_or(0);
            Popup {
                items: c.items,
                selected,
                replace_chars: c.replace_chars,
            }
        });
    }

    /// Close the completion popup (the editor lost the focus).
    pub fn close_popup(&mut self) {
        self.popup = None;
    }

    /// Whether the completion popup is open.
    pub fn completion_open(&self) -> bool {
        self.popup.is_some()
    }

    /// Keys for the open popup: up/down choose, tab/enter accept, esc closes. Returns whether the key
    /// was used; other keys go on to the text (and the app recomputes the list).
    pub fn completion_key(&mut self, key: KeyEvent) -> bool {
        let Some(p) = self.popup.as_mut() else {
            return false;
        };
        match key.code {
            KeyCode::Up => p.selected = p.selected.checked_sub(1).unwrap_or(p.items.len() - 1),
            KeyCode::Down => p.selected = (p.selected + 1) % p.items.len(),
            KeyCode::Esc => self.popup = None,
            KeyCode::Tab | KeyCode::Enter => {
                let p = self.popup.take().expect("checked above");
                if let Some(item) = p.items.get(p.selected) {
                    let insert = item.insert.clone();
                    self.replace_before_cursor(p.replace_chars, &insert);
                }
            }
            _ => return false,
        }
        true
    }

    /// Close the popup.
    pub fn close_completion(&mut self) {
        self.popup = None;
    }

    /// The word before the cursor and its start column, for completion.
    pub fn word_before_cursor(&self) -> (String, usize) {
        let b = self.buf();
        let (row, col) = (b.area.cursor().0, b.area.cursor().1);
        let line = b.area.lines().get(row).map(String::as_str).unwrap_or("");
        let chars: Vec<char> = line.chars().take(col).collect();
        let start = chars
            .iter()
            .rposition(|c| !(c.is_alphanumeric() || *c == '_' || *c == '$' || *c == '"'))
            .map_or(0, |i| i + 1);
        (chars[start..].iter().collect(), start)
    }

    /// The buffer text up to the cursor (completion reads the context from it).
    pub fn text_before_cursor(&self) -> String {
        let b = self.buf();
        let (row, col) = (b.area.cursor().0, b.area.cursor().1);
        let text = b.text();
        let off = byte_offset(b.area.lines(), row, col);
        text.get(..off).unwrap_or("").to_string()
    }

    /// Replace the `n` characters before the cursor with `with` (accepting a completion).
    pub fn replace_before_cursor(&mut self, n: usize, with: &str) {
        let b = self.buf_mut();
        for _ in 0..n {
            b.area.delete_char();
        }
        b.area.insert_str(with);
        b.version += 1;
    }

    fn find(&mut self, forward: bool) {
        if self.last_find.is_empty() {
            return;
        }
        let pattern = format!("(?i){}", regex_escape(&self.last_find));
        let b = self.buf_mut();
        if b.area.set_search_pattern(&pattern).is_err() {
            return;
        }
        let found = if forward {
            b.area.search_forward(false)
        } else {
            b.area.search_back(false)
        };
        self.note = (!found).then(|| format!("not found: {}", self.last_find));
    }

    fn replace_all(&mut self, find: &str, with: &str) {
        if find.is_empty() {
            return;
        }
        let cursor = self.cursor();
        let b = self.buf_mut();
        // (row, char column) of every match; the prompt is one line, so matches never span lines
        let mut hits: Vec<(usize, usize)> = Vec::new();
        for (row, line) in b.area.lines().iter().enumerate() {
            for (byte, _) in line.match_indices(find) {
                hits.push((row, line[..byte].chars().count()));
            }
        }
        let n_chars = find.chars().count();
        // Replace from the end so earlier positions stay valid; each replacement is its own edit,
        // so undo never passes through an emptied buffer.
        for &(row, col) in hits.iter().rev() {
            b.area.move_cursor(CursorMove::Jump(
                u16::try_from(row).unwrap_or(u16::MAX),
                u16::try_from(col).unwrap_or(u16::MAX),
            ));
            b.area.delete_str(n_chars);
            b.area.insert_str(with);
        }
        b.area.move_cursor(CursorMove::Jump(
            u16::try_from(cursor.0).unwrap_or(u16::MAX),
            u16::try_from(cursor.1).unwrap_or(u16::MAX),
        ));
        if !hits.is_empty() {
            b.version += 1;
        }
        self.note = Some(format!("{} replaced", hits.len()));
    }

    fn new_buffer(&mut self) {
        self.created += 1;
        let mut name = format!("query{}", self.created);
        while self.buffers.iter().any(|b| b.name == name) {
            self.created += 1;
            name = format!("query{}", self.created);
        }
        self.buffers.push(Buffer::new(name, "", self.tab_width));
        self.current = self.buffers.len() - 1;
    }

    fn prompt_input(&mut self, key: KeyEvent) -> bool {
        let Some(prompt) = self.prompt.as_mut() else {
            return false;
        };
        let field: &mut String = match prompt {
            Prompt::Find(s) | Prompt::Rename(s) => s,
            Prompt::Replace {
                find,
                with,
                on_with,
            } => {
                if *on_with {
                    with
                } else {
                    find
                }
            }
        };
        match key.code {
            KeyCode::Esc => self.prompt = None,
            KeyCode::Backspace => {
                field.pop();
            }
            KeyCode::Tab | KeyCode::BackTab => {
                if let Prompt::Replace { on_with, .. } = prompt {
                    *on_with = !*on_with;
                }
            }
            KeyCode::Char(c)
                if !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                field.push(c);
            }
            KeyCode::Enter => match self.prompt.take() {
                Some(Prompt::Find(q)) => {
                    self.last_find = q;
                    self.find(true);
                }
                Some(Prompt::Replace { find, with, .. }) => self.replace_all(&find, &with),
                Some(Prompt::Rename(name)) => {
                    let name = name.trim();
                    if !name.is_empty() {
                        self.buf_mut().name = name.to_string();
                        self.buf_mut().version += 1;
                    }
                }
                None => {}
            },
            _ => return false,
        }
        true
    }
}

/// Draw the completion list below the cursor (above when there is no room below).
fn render_popup(frame: &mut Frame, area: Rect, x: u16, y: u16, popup: &Popup, cx: &RenderCx) {
    use ratatui::widgets::{Clear, List, ListItem, ListState};
    let label_w = popup
        .items
        .iter()
        .map(|i| super::text::width(&i.label))
        .max()
        .unwrap_or(4)
        .min(40);
    let w = (label_w + 10) as u16;
    let h = (popup.items.len().min(8) + 2) as u16;
    let frame_area = frame.area();
    let below = y + 1 + h <= frame_area.y + frame_area.height;
    let top = if below { y + 1 } else { y.saturating_sub(h) };
    let left = x
        .min((frame_area.x + frame_area.width).saturating_sub(w))
        .max(area.x.saturating_sub(1));
    let r = Rect::new(left, top, w.min(frame_area.width), h).intersection(frame_area);
    if r.height < 3 {
        return;
    }
    frame.render_widget(Clear, r);
    let items: Vec<ListItem> = popup
        .items
        .iter()
        .map(|i| {
            let label = truncate(&visible(&i.label), label_w).into_owned();
            let pad = label_w.saturating_sub(super::text::width(&label));
            ListItem::new(Line::from(vec![
                Span::raw(format!("{label}{} ", " ".repeat(pad))),
                Span::styled(i.kind.tag(), cx.theme.muted),
            ]))
        })
        .collect();
    let mut state = ListState::default();
    state.select(Some(popup.selected));
    let list = List::new(items)
        .block(
            ratatui::widgets::Block::bordered()
                .border_style(cx.theme.border_focused)
                .style(cx.theme.base),
        )
        .highlight_style(cx.theme.selection);
    frame.render_stateful_widget(list, r, &mut state);
}

/// Escape regex metacharacters so a find text matches literally.
fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
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
    fn update(&mut self, action: Action, _requests: &Requests) -> Handled {
        self.note = None;
        match action {
            Action::Undo => {
                if self.buf_mut().area.undo() {
                    self.buf_mut().version += 1;
                }
            }
            Action::Redo => {
                if self.buf_mut().area.redo() {
                    self.buf_mut().version += 1;
                }
            }
            Action::Find => self.prompt = Some(Prompt::Find(self.last_find.clone())),
            Action::FindNext => self.find(true),
            Action::FindPrev => self.find(false),
            Action::Replace => {
                self.prompt = Some(Prompt::Replace {
                    find: self.last_find.clone(),
                    with: String::new(),
                    on_with: false,
                })
            }
            Action::NewBuffer => self.new_buffer(),
            Action::NextBuffer => self.current = (self.current + 1) % self.buffers.len(),
            Action::PrevBuffer => {
                self.current = (self.current + self.buffers.len() - 1) % self.buffers.len()
            }
            Action::RenameBuffer => self.prompt = Some(Prompt::Rename(self.buf().name.clone())),
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn text_entry(&self) -> bool {
        true
    }

    fn input_first(&self) -> bool {
        self.prompt.is_some()
    }

    fn input(&mut self, key: KeyEvent) -> bool {
        if self.prompt.is_some() {
            return self.prompt_input(key);
        }
        self.note = None;
        let b = self.buf_mut();
        let changed = b.area.input(key);
        if changed {
            b.version += 1;
        }
        changed
    }

    fn waits_for(&self, _id: RequestId) -> bool {
        false
    }

    fn on_reply(&mut self, _response: Response) {}

    fn render(&mut self, frame: &mut Frame, area: Rect, cx: &RenderCx) {
        let (row, col) = self.cursor();
        // Title: the tabs, the current one marked, then the cursor position.
        let mut title: Vec<Span> = vec![Span::raw(" ")];
        let room = area.width.saturating_sub(20) as usize;
        let mut used = 0;
        for (i, b) in self.buffers.iter().enumerate() {
            let name = truncate(&visible(&b.name), 16).into_owned();
            used += name.chars().count() + 3;
            if used > room && i != self.current {
                continue;
            }
            let style = if i == self.current {
                cx.theme.title_focused
            } else {
                cx.theme.muted
            };
            title.push(Span::styled(
                if i == self.current {
                    format!("[{name}]")
                } else {
                    name
                },
                style,
            ));
            title.push(Span::raw(" "));
        }
        title.push(Span::styled(
            format!(" {}:{} ", row + 1, col + 1),
            cx.theme.muted,
        ));
        let block = cx.block(Line::from(title));
        let inner = block.inner(area);
        let prompt_line = self.prompt.as_ref().map(|p| match p {
            Prompt::Find(q) => format!("find: {q}▏  (enter: next, esc: close)"),
            Prompt::Replace {
                find,
                with,
                on_with,
            } => format!(
                "replace: {find}{}  with: {with}{}  (tab: switch, enter: replace all)",
                if *on_with { "" } else { "▏" },
                if *on_with { "▏" } else { "" }
            ),
            Prompt::Rename(n) => format!("tab name: {n}▏  (enter: rename, esc: cancel)"),
        });
        let status_row = prompt_line.clone().or_else(|| self.note.clone());
        let text_area = if status_row.is_some() && area.height > 3 {
            Rect::new(area.x, area.y, area.width, area.height - 1)
        } else {
            area
        };

        let tab_width = self.tab_width;
        let b = &mut self.buffers[self.current];
        b.area.set_block(block.clone());
        b.area.set_style(cx.theme.base);
        b.area.set_line_number_style(cx.theme.line_number);
        b.area
            .set_cursor_line_style(ratatui::style::Style::default());
        b.area.set_placeholder_style(cx.theme.muted);
        b.area.set_search_style(cx.theme.selection);
        b.area.set_selection_style(cx.theme.selection);
        // The hint names the key actually bound, so a user keymap never makes it lie.
        let run_key = cx
            .keymap
            .keys_for(Section::Editor, Action::RunStatement)
            .first()
            .map(ToString::to_string);
        let placeholder = match run_key {
            Some(k) => format!("Type SQL here; {k} runs the statement under the cursor"),
            None => "Type SQL here".to_string(),
        };
        if b.area.placeholder_text() != placeholder {
            b.area.set_placeholder_text(placeholder);
        }
        // Show the cursor only where keys go.
        b.area.set_cursor_style(if cx.focused {
            cx.theme.selection
        } else {
            ratatui::style::Style::default()
        });
        frame.render_widget(&b.area, text_area);
        // Highlighting: classify when the text changed, paint the visible lines.
        if b.highlighted.as_ref().is_none_or(|(v, _)| *v != b.version) {
            b.highlighted = Some((b.version, highlight::classify(&b.text())));
        }
        if !b.area.is_empty()
            && let Some((_, spans)) = &b.highlighted
        {
            let (top_row, top_col) = b.area.scroll_offset();
            let vp = highlight::Viewport {
                inner: block.inner(text_area),
                top_row: top_row as usize,
                top_col: top_col as usize,
                gutter: b.area.line_number_width() as usize,
                tab_len: tab_width as usize,
            };
            highlight::paint(frame.buffer_mut(), &vp, b.area.lines(), spans, cx.theme);
        }
        if let Some(popup) = &self.popup
            && cx.focused
        {
            let b = &self.buffers[self.current];
            let (top_row, top_col) = b.area.scroll_offset();
            let inner_text = block.inner(text_area);
            let (row, col) = (b.area.cursor().0, b.area.cursor().1);
            let line = b.area.lines().get(row).map(String::as_str).unwrap_or("");
            let mut dcol = 0usize;
            for ch in line.chars().take(col) {
                dcol += if ch == '\t' {
                    tab_width as usize - dcol % tab_width.max(1) as usize
                } else {
                    unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0)
                };
            }
            let x = (inner_text.x as usize + b.area.line_number_width() as usize + dcol)
                .saturating_sub(top_col as usize + popup.replace_chars);
            let y = inner_text.y as usize + row.saturating_sub(top_row as usize);
            render_popup(frame, inner_text, x as u16, y as u16, popup, cx);
        }
        if let Some(line) = status_row
            && text_area.height < area.height
        {
            let y = area.y + area.height - 1;
            let r = Rect::new(inner.x, y - 1, inner.width, 1);
            let style = if prompt_line.is_some() {
                cx.theme.accent
            } else {
                cx.theme.muted
            };
            frame.render_widget(
                Paragraph::new(Line::styled(visible(&line).into_owned(), style)),
                r,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<String> {
        s.split('\n').map(str::to_string).collect()
    }

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
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
        e.buf_mut().area.move_cursor(CursorMove::Jump(1, 3));
        let p = e.pick_statement().expect("a statement");
        assert_eq!(p.sql, "select 2;");
        assert_eq!(p.offset, 10);
        assert_eq!(EditorPane::new("  ").pick_statement(), None);
        assert_eq!(
            e.pick_all().map(|p| p.sql),
            Some("select 1;\nselect 2;".into())
        );
    }

    #[test]
    fn error_position_moves_the_cursor_in_multibyte_text() {
        let mut e = EditorPane::new("select 1;\nselect '日本', nope from t;");
        e.buf_mut().area.move_cursor(CursorMove::Jump(1, 0));
        let p = e.pick_statement().expect("statement");
        e.ran(p);
        // the server counts characters: "select '日本', " is 14 chars, so `nope` is at 15
        e.place_error(15, 0);
        assert_eq!(e.cursor(), (1, 14));
    }

    #[test]
    fn buffers_open_switch_rename_close_and_round_trip_through_autosave() {
        let (req, _rx) = Requests::detached();
        let mut e = EditorPane::new("select 1");
        e.update(Action::NewBuffer, &req);
        assert_eq!(e.tabs(), (vec!["query1", "query2"], 1));
        for c in "select 2".chars() {
            e.input(key(KeyCode::Char(c)));
        }
        e.update(Action::RenameBuffer, &req);
        for _ in 0.."query2".len() {
            e.input(key(KeyCode::Backspace));
        }
        for c in "report".chars() {
            e.input(key(KeyCode::Char(c)));
        }
        e.input(key(KeyCode::Enter));
        assert_eq!(e.tabs(), (vec!["query1", "report"], 1));
        e.update(Action::PrevBuffer, &req);
        assert_eq!(e.text(), "select 1");
        let (saved, cur) = e.snapshot();
        let restored = EditorPane::restore(saved, cur, 4);
        assert_eq!(restored.tabs(), (vec!["query1", "report"], 0));
        assert!(!restored.dirty());
        e.update(Action::NextBuffer, &req);
        e.close_current();
        assert_eq!(e.tabs(), (vec!["query1"], 0));
        e.close_current();
        assert_eq!(e.text(), "", "the last buffer is emptied, not closed");
    }

    #[test]
    fn find_and_replace_all() {
        let (req, _rx) = Requests::detached();
        let mut e = EditorPane::new("select a from t;\nselect A, a.b from a;");
        e.update(Action::Replace, &req);
        e.input(key(KeyCode::Char('a')));
        e.input(key(KeyCode::Tab));
        for c in "x".chars() {
            e.input(key(KeyCode::Char(c)));
        }
        e.input(key(KeyCode::Enter));
        assert_eq!(e.text(), "select x from t;\nselect A, x.b from x;");
        assert!(e.dirty());
        // each replacement is a delete and an insert: six undos bring the text back, and no step
        // on the way loses more than the one match
        for _ in 0..6 {
            e.update(Action::Undo, &req);
            assert!(e.text().len() >= "select  from t;\nselect A, x.b from x;".len());
        }
        assert_eq!(e.text(), "select a from t;\nselect A, a.b from a;");
        e.update(Action::Find, &req);
        for c in "from".chars() {
            e.input(key(KeyCode::Char(c)));
        }
        e.input(key(KeyCode::Enter));
        assert_eq!(e.cursor(), (0, 9));
        e.update(Action::FindNext, &req);
        assert_eq!(e.cursor(), (1, 14));
    }

    #[test]
    fn suggestions_are_appended_after_a_blank_line() {
        let mut e = EditorPane::new("select 1;");
        e.append_statement("create index concurrently on t (a);");
        assert_eq!(e.text(), "select 1;\n\ncreate index concurrently on t (a);");
        assert_eq!(e.cursor(), (2, 0));
        let p = e.pick_statement().expect("statement");
        assert_eq!(p.sql, "create index concurrently on t (a);");

        // A statement without its `;` is ended first, or both would run as one.
        let mut e = EditorPane::new("select * from t where a = 1\n\n");
        e.append_statement("create index on t (a);");
        assert_eq!(
            e.text(),
            "select * from t where a = 1\n\n;\n\ncreate index on t (a);"
        );
        assert_eq!(
            e.pick_statement().expect("statement").sql,
            "create index on t (a);"
        );
        let mut e = EditorPane::new("select 1 -- one");
        e.append_statement("select 2;");
        assert_eq!(e.text(), "select 1 -- one\n;\n\nselect 2;");
        assert_eq!(e.pick_statement().expect("statement").sql, "select 2;");

        // A fix that ends with a comment after its `;` needs no stray `;` after it.
        let mut e =
            EditorPane::new("ALTER SYSTEM SET fsync = on;\n-- takes effect after a reload\n");
        e.append_statement("select 3;");
        assert_eq!(
            e.text(),
            "ALTER SYSTEM SET fsync = on;\n-- takes effect after a reload\n\n\nselect 3;"
        );
        // (the comment line goes with the statement after it, as the splitter reads comments)
        let picked = e.pick_statement().expect("statement").sql;
        assert!(
            picked.ends_with("select 3;") && !picked.contains("ALTER"),
            "{picked}"
        );
    }
}
