//! The results pane: the result sets of the last run, drawn as a grid that touches only the visible
//! window (a frame costs the same at a thousand rows and at a million), with a frozen header, row
//! numbers, a cell cursor, NULL drawn apart from '', a cell inspector (JSON pretty-printed),
//! search, a rectangular selection, copy in four formats, export to a file, and an expanded record
//! view like psql's `\x`. Every value reaches the screen through `visible()`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Clear, Paragraph, Row, Table, Wrap};

use super::text::{duration, truncate, visible, width};
use super::{Handled, Pane, RenderCx};
use crate::action::Action;
use crate::db::{DbError, Notice, Reply, RequestId, Requests, Response, RunOutcome};
use crate::model::export::{Format, RowWriter};
use crate::model::result_set::ResultSet;

/// How NULL is drawn (in the theme's `null` style), so it never looks like an empty string.
pub const NULL_MARKER: &str = "∅";
/// Rows looked at to size columns.
const WIDTH_SAMPLE_ROWS: usize = 1000;
/// The inspector shows at most this much of a value: wrapping a 40 MB value on every frame would
/// freeze the UI. `y` still copies all of it.
const INSPECT_MAX_BYTES: usize = 1 << 20;

/// Widest a column gets in the grid; the full value is for the cell inspector.
const MAX_COL_WIDTH: usize = 40;

/// One statement's outcome within a run.
#[derive(Debug, Default)]
struct Entry {
    /// Present when the statement returned rows. Shared with an export running in the background.
    set: Option<Arc<ResultSet>>,
    /// The server's row count, once the statement completed.
    rows: Option<u64>,
    /// The server's command tag (`UPDATE 3`, `CREATE TABLE`), once the statement completed.
    tag: Option<String>,
    elapsed: Option<Duration>,
    widths: Vec<usize>,
    sampled: usize,
}

impl Entry {
    fn refresh_widths(&mut self) {
        let Some(set) = &self.set else { return };
        if self.widths.len() != set.columns.len() {
            self.widths = set
                .columns
                .iter()
                .map(|c| width(&visible(&c.name)))
                .collect();
            self.sampled = 0;
        }
        let upto = set.len().min(WIDTH_SAMPLE_ROWS);
        for r in self.sampled..upto {
            for (c, w) in self.widths.iter_mut().enumerate() {
                let cw = match set.get(r, c) {
                    Some(v) => width(&visible(v)),
                    None => width(NULL_MARKER),
                };
                *w = (*w).max(cw).min(MAX_COL_WIDTH);
            }
        }
        self.sampled = upto;
    }
}

/// What a copy takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Cell,
    Row,
    Column,
    /// The marked rectangle, or everything when nothing is marked.
    Selection,
}

/// Something drawn over the grid that takes the keys while open.
#[derive(Debug, Clone, PartialEq)]
enum Overlay {
    Inspect {
        title: String,
        /// What is shown: the value (JSON pretty-printed), cut at [`INSPECT_MAX_BYTES`].
        text: String,
        /// Set when `text` is cut: the whole value's size in bytes.
        cut_from: Option<usize>,
        scroll: usize,
    },
    CopyScope,
    CopyFormat(Scope),
    Search(String),
    Export(String),
}

/// The results pane.
#[derive(Default)]
pub struct ResultsPane {
    waiting: Option<RequestId>,
    entries: Vec<Entry>,
    current: usize,
    outcome: Option<RunOutcome>,
    /// An error that is not a server error of the run (refused, not connected).
    notice: Option<String>,
    /// NOTICE/WARNING/INFO messages of the run, in order.
    server_notices: Vec<Notice>,
    row: usize,
    col: usize,
    top: usize,
    left_col: usize,
    page: usize,
    expanded: bool,
    mark: Option<(usize, usize)>,
    overlay: Option<Overlay>,
    last_search: String,
    /// Text for the clipboard, taken by the app.
    clipboard: Option<String>,
    /// A message for the status bar, taken by the app.
    message: Option<String>,
    export: Option<std::sync::mpsc::Receiver<Result<(PathBuf, u64), String>>>,
}

impl ResultsPane {
    /// A run started: forget the previous results and wait for `id`.
    pub fn begin_run(&mut self, id: RequestId) {
        *self = ResultsPane {
            waiting: Some(id),
            page: self.page,
            expanded: self.expanded,
            last_search: std::mem::take(&mut self.last_search),
            export: self.export.take(),
            ..Default::default()
        };
    }

    /// Whether a run is in progress.
    pub fn running(&self) -> bool {
        self.waiting.is_some()
    }

    /// The outcome of the last finished run.
    pub fn outcome(&self) -> Option<&RunOutcome> {
        self.outcome.as_ref()
    }

    /// The result set on screen, if any.
    pub fn current_set(&self) -> Option<&ResultSet> {
        self.entries
            .get(self.current)
            .and_then(|e| e.set.as_deref())
    }

    /// Show a message in place of results (e.g. the run was refused).
    pub fn show_notice(&mut self, msg: impl Into<String>) {
        self.notice = Some(msg.into());
    }

    /// The selected cell (row, column).
    pub fn cursor(&self) -> (usize, usize) {
        (self.row, self.col)
    }

    /// Whether the expanded record view is on.
    pub fn expanded(&self) -> bool {
        self.expanded
    }

    /// Toggle the expanded record view.
    pub fn toggle_expanded(&mut self) -> bool {
        self.expanded = !self.expanded;
        self.expanded
    }

    /// Text the user asked to copy; the app sends it to the clipboard.
    pub fn take_clipboard(&mut self) -> Option<String> {
        self.clipboard.take()
    }

    /// A message for the status bar (export finished, search wrapped...).
    pub fn take_message(&mut self) -> Option<String> {
        if let Some(rx) = &self.export
            && let Ok(r) = rx.try_recv()
        {
            self.export = None;
            self.message = Some(match r {
                Ok((path, rows)) => format!("exported {rows} rows to {}", path.display()),
                Err(e) => format!("export failed: {e}"),
            });
        }
        self.message.take()
    }

    fn rows_in_current(&self) -> usize {
        self.current_set().map_or(0, ResultSet::len)
    }

    fn ncols(&self) -> usize {
        self.current_set().map_or(0, |s| s.columns.len())
    }

    fn move_row(&mut self, delta: isize) {
        let n = self.rows_in_current();
        if n == 0 {
            return;
        }
        self.row = self.row.saturating_add_signed(delta).min(n - 1);
    }

    fn inspect(&mut self) {
        let Some(set) = self.current_set() else {
            return;
        };
        let Some(col) = set.columns.get(self.col) else {
            return;
        };
        let title = format!(" {} · row {} ", visible(&col.name), self.row + 1);
        let (text, cut_from) = match set.get(self.row, self.col) {
            None if set.is_null(self.row, self.col) => ("NULL (SQL null)".to_string(), None),
            None => return,
            Some(v) if v.len() > INSPECT_MAX_BYTES => {
                let mut end = INSPECT_MAX_BYTES;
                while !v.is_char_boundary(end) {
                    end -= 1;
                }
                (v[..end].to_string(), Some(v.len()))
            }
            Some(v) => (pretty(v), None),
        };
        self.overlay = Some(Overlay::Inspect {
            title,
            text,
            cut_from,
            scroll: 0,
        });
    }

    /// Rows and columns covered by a copy of `scope`.
    fn span(&self, scope: Scope) -> (std::ops::Range<usize>, std::ops::Range<usize>) {
        let (nr, nc) = (self.rows_in_current(), self.ncols());
        match scope {
            Scope::Cell => (self.row..self.row + 1, self.col..self.col + 1),
            Scope::Row => (self.row..self.row + 1, 0..nc),
            Scope::Column => (0..nr, self.col..self.col + 1),
            Scope::Selection => match self.mark {
                Some((r, c)) => (
                    r.min(self.row)..r.max(self.row) + 1,
                    c.min(self.col)..c.max(self.col) + 1,
                ),
                None => (0..nr, 0..nc),
            },
        }
    }

    fn copy(&mut self, scope: Scope, format: Format) {
        let Some(set) = self.current_set() else {
            return;
        };
        let (rows, cols) = self.span(scope);
        // a single cell copies its raw value: what the user sees in the inspector
        if scope == Scope::Cell && format == Format::Tsv {
            self.clipboard = Some(set.get(self.row, self.col).unwrap_or("").to_string());
            self.message = Some("copied the cell".into());
            return;
        }
        let names = cols.clone().map(|c| set.columns[c].name.clone()).collect();
        let mut w = RowWriter::new(Vec::new(), format, names);
        let mut ok = w.header().is_ok();
        for r in rows.clone() {
            ok &= w.row(cols.clone().map(|c| set.get(r, c))).is_ok();
        }
        match w.finish() {
            Ok(bytes) if ok => {
                self.clipboard = Some(String::from_utf8_lossy(&bytes).into_owned());
                self.message = Some(format!(
                    "copied {} row{} × {} column{} as {}",
                    rows.len(),
                    if rows.len() == 1 { "" } else { "s" },
                    cols.len(),
                    if cols.len() == 1 { "" } else { "s" },
                    format.extension()
                ));
            }
            _ => self.message = Some("copy failed".into()),
        }
        self.mark = None;
    }

    fn start_export(&mut self, path: String) {
        let Some(entry) = self.entries.get(self.current) else {
            return;
        };
        let Some(set) = entry.set.clone() else {
            self.message = Some("nothing to export: this statement returned no rows".into());
            return;
        };
        let path = expand_home(path.trim());
        let format = path
            .extension()
            .and_then(|e| e.to_str())
            .and_then(Format::from_name)
            .unwrap_or(Format::Csv);
        let (tx, rx) = std::sync::mpsc::channel();
        self.export = Some(rx);
        self.message = Some(format!("exporting to {}…", path.display()));
        // Writing a million rows takes a moment: a thread streams them to the file while the UI goes on.
        std::thread::spawn(move || {
            let r = export_to(&path, format, &set).map(|n| (path.clone(), n));
            let _ = tx.send(r.map_err(|e| e.to_string()));
        });
    }

    fn search(&mut self, forward: bool) {
        let q = self.last_search.to_lowercase();
        let Some(set) = self.current_set() else {
            return;
        };
        if q.is_empty() || set.is_empty() {
            return;
        }
        let (nr, nc) = (set.len(), set.columns.len().max(1));
        let total = nr * nc;
        let start = self.row * nc + self.col;
        let found = (1..=total).find_map(|step| {
            let i = if forward {
                (start + step) % total
            } else {
                (start + total - step % total) % total
            };
            let (r, c) = (i / nc, i % nc);
            set.get(r, c)
                .is_some_and(|v| v.to_lowercase().contains(&q))
                .then_some((r, c))
        });
        match found {
            Some((r, c)) => {
                self.row = r;
                self.col = c;
            }
            None => self.message = Some(format!("not found: {}", self.last_search)),
        }
    }

    fn overlay_key(&mut self, key: KeyEvent) -> bool {
        let Some(overlay) = self.overlay.clone() else {
            return false;
        };
        let plain = !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        match (overlay, key.code) {
            (_, KeyCode::Esc) => self.overlay = None,
            (
                Overlay::Inspect {
                    title,
                    text,
                    cut_from,
                    scroll,
                },
                code,
            ) => {
                let scroll = match code {
                    KeyCode::Down | KeyCode::Char('j') => scroll + 1,
                    KeyCode::Up | KeyCode::Char('k') => scroll.saturating_sub(1),
                    KeyCode::PageDown => scroll + 10,
                    KeyCode::PageUp => scroll.saturating_sub(10),
                    KeyCode::Char('y') => {
                        // a cut value is copied whole, as the server sent it
                        let full = match cut_from {
                            Some(_) => self
                                .current_set()
                                .and_then(|set| set.get(self.row, self.col).map(str::to_string)),
                            None => None,
                        };
                        self.clipboard = Some(full.unwrap_or_else(|| text.clone()));
                        self.message = Some("copied the value".into());
                        scroll
                    }
                    KeyCode::Enter | KeyCode::Char('q') => {
                        self.overlay = None;
                        return true;
                    }
                    _ => scroll,
                };
                self.overlay = Some(Overlay::Inspect {
                    title,
                    text,
                    cut_from,
                    scroll,
                });
            }
            (Overlay::CopyScope, KeyCode::Char(c)) if plain => {
                let scope = match c {
                    'c' => Scope::Cell,
                    'r' => Scope::Row,
                    'l' => Scope::Column,
                    'a' | 's' => Scope::Selection,
                    _ => return true,
                };
                self.overlay = Some(Overlay::CopyFormat(scope));
            }
            (Overlay::CopyFormat(scope), KeyCode::Char(c)) if plain => {
                let format = match c {
                    't' => Format::Tsv,
                    'c' => Format::Csv,
                    'j' => Format::Json,
                    'm' => Format::Markdown,
                    _ => return true,
                };
                self.overlay = None;
                self.copy(scope, format);
            }
            (Overlay::Search(mut q) | Overlay::Export(mut q), code) => {
                let is_search = matches!(self.overlay, Some(Overlay::Search(_)));
                match code {
                    KeyCode::Enter => {
                        self.overlay = None;
                        if is_search {
                            self.last_search = q;
                            self.search(true);
                        } else {
                            self.start_export(q);
                        }
                        return true;
                    }
                    KeyCode::Backspace => {
                        q.pop();
                    }
                    KeyCode::Char(c) if plain => q.push(c),
                    _ => {}
                }
                self.overlay = Some(if is_search {
                    Overlay::Search(q)
                } else {
                    Overlay::Export(q)
                });
            }
            _ => {}
        }
        true
    }
}

/// The first `limit` display lines of `text` wrapped at `width` columns: newlines break lines, every
/// other control character is shown as an escape, long lines are cut at the width.
fn wrap_window(text: &str, width: usize, limit: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    for line in text.split('\n') {
        let line = visible(line);
        let mut cur = String::new();
        let mut w = 0;
        for c in line.chars() {
            let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
            if w + cw > width && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
                w = 0;
                if out.len() >= limit {
                    return out;
                }
            }
            cur.push(c);
            w += cw;
        }
        out.push(cur);
        if out.len() >= limit {
            return out;
        }
    }
    out
}

fn human_bytes(n: usize) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MB", n as f64 / (1u64 << 20) as f64)
    } else {
        format!("{:.0} kB", n as f64 / 1024.0)
    }
}

/// JSON values pretty-printed; anything else as it is.
fn pretty(v: &str) -> String {
    let t = v.trim_start();
    if (t.starts_with('{') || t.starts_with('['))
        && let Ok(j) = serde_json::from_str::<serde_json::Value>(v)
        && let Ok(p) = serde_json::to_string_pretty(&j)
    {
        return p;
    }
    v.to_string()
}

fn expand_home(p: &str) -> PathBuf {
    match (p.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(p),
    }
}

/// Stream `set` to `path` in `format`; returns the number of rows written.
fn export_to(path: &std::path::Path, format: Format, set: &ResultSet) -> std::io::Result<u64> {
    let file = std::fs::File::create(path)?;
    let names = set.columns.iter().map(|c| c.name.clone()).collect();
    let mut w = RowWriter::new(std::io::BufWriter::new(file), format, names);
    w.header()?;
    for r in 0..set.len() {
        w.row((0..set.columns.len()).map(|c| set.get(r, c)))?;
    }
    w.finish()?;
    Ok(set.len() as u64)
}

impl Pane for ResultsPane {
    fn update(&mut self, action: Action, _requests: &Requests) -> Handled {
        let page = self.page.max(1) as isize;
        let ncols = self.ncols();
        match action {
            Action::Up => self.move_row(-1),
            Action::Down => self.move_row(1),
            Action::PageUp => self.move_row(-page),
            Action::PageDown => self.move_row(page),
            Action::Top => self.row = 0,
            Action::Bottom => self.row = self.rows_in_current().saturating_sub(1),
            Action::Left => self.col = self.col.saturating_sub(1),
            Action::Right => self.col = (self.col + 1).min(ncols.saturating_sub(1)),
            Action::Select => self.inspect(),
            Action::Filter => self.overlay = Some(Overlay::Search(self.last_search.clone())),
            Action::FindNext => self.search(true),
            Action::FindPrev => self.search(false),
            Action::Copy if self.current_set().is_some() => self.overlay = Some(Overlay::CopyScope),
            Action::Export if self.current_set().is_some() => {
                let default = format!(
                    "~/pgdeck-result-{}.csv",
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_secs())
                );
                self.overlay = Some(Overlay::Export(default));
            }
            Action::ToggleExpanded => {
                self.expanded = !self.expanded;
            }
            Action::Mark => {
                self.mark = match self.mark {
                    Some(_) => None,
                    None => Some((self.row, self.col)),
                }
            }
            Action::Back if self.mark.is_some() => self.mark = None,
            // next result set of a multi-statement run
            Action::Toggle if self.entries.len() > 1 => {
                self.current = (self.current + 1) % self.entries.len();
                self.row = 0;
                self.col = 0;
                self.top = 0;
                self.left_col = 0;
                self.mark = None;
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn is_list(&self) -> bool {
        true
    }

    fn text_entry(&self) -> bool {
        self.overlay.is_some()
    }

    fn input_first(&self) -> bool {
        self.overlay.is_some()
    }

    fn input(&mut self, key: KeyEvent) -> bool {
        self.overlay_key(key)
    }

    fn waits_for(&self, id: RequestId) -> bool {
        self.waiting == Some(id)
    }

    fn on_reply(&mut self, response: Response) {
        if response.last {
            self.waiting = None;
        }
        match response.reply {
            Ok(Reply::ResultStarted { columns }) => {
                self.entries.push(Entry {
                    set: Some(Arc::new(ResultSet::new(columns))),
                    ..Default::default()
                });
                // Show the first result set while later ones arrive; users read top-down.
                if self.entries.len() == 1 {
                    self.current = 0;
                }
            }
            Ok(Reply::Rows(batch)) => {
                if let Some(e) = self.entries.last_mut()
                    && let Some(set) = e.set.as_mut().and_then(Arc::get_mut)
                {
                    set.append(batch);
                    if e.sampled < WIDTH_SAMPLE_ROWS {
                        e.refresh_widths();
                    }
                }
            }
            Ok(Reply::StatementDone { rows, elapsed, tag }) => match self.entries.last_mut() {
                Some(e) if e.set.is_some() && e.rows.is_none() => {
                    e.rows = Some(rows);
                    e.tag = Some(tag);
                    e.elapsed = Some(elapsed);
                }
                _ => self.entries.push(Entry {
                    rows: Some(rows),
                    tag: Some(tag),
                    elapsed: Some(elapsed),
                    ..Default::default()
                }),
            },
            Ok(Reply::Notice(n)) => self.server_notices.push(n),
            Ok(Reply::RunFinished(outcome)) => {
                // After a multi-statement run, show the last result that has rows.
                if let Some(i) = self.entries.iter().rposition(|e| e.set.is_some()) {
                    self.current = i;
                }
                self.outcome = Some(outcome);
            }
            Ok(_) => {}
            Err(e) => self.notice = Some(e.to_string()),
        }
    }

    fn render(&mut self, frame: &mut Frame, area: Rect, cx: &RenderCx) {
        let mut title = vec![Span::raw(" Results ")];
        if self.entries.len() > 1 {
            title.push(Span::styled(
                format!("{}/{} ", self.current + 1, self.entries.len()),
                cx.theme.accent,
            ));
        }
        if let Some(set) = self.current_set() {
            title.push(Span::styled(format!("{} rows ", set.len()), cx.theme.muted));
            if !set.is_empty() {
                title.push(Span::styled(
                    format!("· r{} c{} ", self.row + 1, self.col + 1),
                    cx.theme.muted,
                ));
            }
        }
        if self.expanded {
            title.push(Span::styled("expanded ", cx.theme.accent));
        }
        if self.mark.is_some() {
            title.push(Span::styled("selecting ", cx.theme.accent));
        }
        if self.waiting.is_some() {
            title.push(Span::styled(
                format!("{} running ", spinner(cx.tick)),
                cx.theme.spinner,
            ));
        }
        let block = cx.block(Line::from(title));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        if inner.height == 0 || inner.width == 0 {
            return;
        }

        // Error or notice first: it is what the user must read.
        let mut msg_lines: Vec<Line> = Vec::new();
        if let Some(n) = &self.notice {
            msg_lines.push(Line::styled(visible(n).into_owned(), cx.theme.warning));
        }
        // The last few server notices, oldest first (a loop of RAISE NOTICE must not hide the grid).
        const SHOWN_NOTICES: usize = 3;
        let hidden = self.server_notices.len().saturating_sub(SHOWN_NOTICES);
        if hidden > 0 {
            msg_lines.push(Line::styled(
                format!("({hidden} earlier notices)"),
                cx.theme.muted,
            ));
        }
        for n in &self.server_notices[hidden..] {
            msg_lines.push(Line::styled(
                visible(&format!("{}: {}", n.severity, n.message)).into_owned(),
                cx.theme.muted,
            ));
        }
        if let Some(err) = self.outcome.as_ref().and_then(|o| o.error.as_ref()) {
            msg_lines.extend(error_lines(err, cx));
        }
        if let Some(o) = &self.outcome
            && o.capped
        {
            msg_lines.push(Line::styled(
                format!(
                    "Stopped at the row cap ({} rows): the statement was cancelled; the rows shown are the first ones.",
                    o.rows
                ),
                cx.theme.warning,
            ));
        }
        let mut grid_area = inner;
        if !msg_lines.is_empty() {
            let h = (msg_lines.len() as u16 + 1).min(inner.height);
            frame.render_widget(
                Paragraph::new(msg_lines).wrap(Wrap { trim: false }),
                Rect::new(inner.x, inner.y, inner.width, h),
            );
            grid_area = Rect::new(
                inner.x,
                inner.y + h,
                inner.width,
                inner.height.saturating_sub(h),
            );
        }
        // A prompt row at the bottom for search and export.
        let prompt = match &self.overlay {
            Some(Overlay::Search(q)) => Some(format!("search: {q}▏  (enter: find, esc: cancel)")),
            Some(Overlay::Export(p)) => Some(format!(
                "export to: {p}▏  (.csv .json .md .tsv; enter: write, esc: cancel)"
            )),
            Some(Overlay::CopyScope) => {
                Some("copy: c cell · r row · l column · a selection (or all) · esc cancel".into())
            }
            Some(Overlay::CopyFormat(_)) => {
                Some("as: t tsv · c csv · j json · m markdown · esc cancel".into())
            }
            _ => None,
        };
        if let Some(p) = prompt
            && grid_area.height > 1
        {
            let y = grid_area.y + grid_area.height - 1;
            frame.render_widget(
                Paragraph::new(Line::styled(visible(&p).into_owned(), cx.theme.accent)),
                Rect::new(grid_area.x, y, grid_area.width, 1),
            );
            grid_area.height -= 1;
        }
        if grid_area.height == 0 {
            return;
        }

        let Some(entry) = self.entries.get(self.current) else {
            if self.waiting.is_none() && self.outcome.is_none() && self.notice.is_none() {
                let hint = Line::from(cx.hint(
                    crate::keymap::Section::Editor,
                    Action::RunStatement,
                    "runs the statement under the cursor",
                ));
                frame.render_widget(Paragraph::new(vec![Line::raw(""), hint]), grid_area);
            }
            return;
        };
        let Some(set) = entry.set.clone() else {
            // statements without rows: list what each did
            let lines: Vec<Line> = self
                .entries
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let what = match &e.tag {
                        Some(tag) => visible(tag).into_owned(),
                        None => format!(
                            "{} row{}",
                            e.rows.unwrap_or(0),
                            if e.rows == Some(1) { "" } else { "s" }
                        ),
                    };
                    Line::from(format!(
                        "statement {}: {what}{}",
                        i + 1,
                        e.elapsed
                            .map(|d| format!(" ({})", duration(d.as_secs_f64())))
                            .unwrap_or_default()
                    ))
                })
                .collect();
            frame.render_widget(Paragraph::new(lines), grid_area);
            return;
        };
        let widths = entry.widths.clone();
        self.row = self.row.min(set.len().saturating_sub(1));
        self.col = self.col.min(set.columns.len().saturating_sub(1));
        if self.expanded {
            self.render_expanded(frame, grid_area, cx, &set);
        } else {
            self.render_grid(frame, grid_area, cx, &set, &widths);
        }
        if let Some(Overlay::Inspect {
            title,
            text,
            cut_from,
            scroll,
        }) = &mut self.overlay
        {
            let r = Rect::new(
                area.x + 2,
                area.y + 1,
                area.width.saturating_sub(4),
                area.height.saturating_sub(2),
            );
            frame.render_widget(Clear, r);
            let b = cx.block(Line::from(format!(
                "{}(↑↓ scroll, y copy, esc close) ",
                title
            )));
            let inner = b.inner(r);
            frame.render_widget(b, r);
            let mut height = inner.height as usize;
            let mut lines: Vec<Line> = Vec::new();
            if let Some(total) = cut_from {
                lines.push(Line::styled(
                    format!(
                        "showing the first {} of {}; y copies the whole value",
                        human_bytes(text.len()),
                        human_bytes(*total)
                    ),
                    cx.theme.muted,
                ));
                height = height.saturating_sub(1);
            }
            // Wrap only as far as the window reaches: a long value costs what is shown.
            let wrapped = wrap_window(text, inner.width as usize, *scroll + height);
            *scroll = (*scroll).min(wrapped.len().saturating_sub(1));
            lines.extend(
                wrapped
                    .into_iter()
                    .skip(*scroll)
                    .take(height)
                    .map(Line::raw),
            );
            frame.render_widget(Paragraph::new(lines), inner);
        }
    }
}

impl ResultsPane {
    fn in_mark(&self, r: usize, c: usize) -> bool {
        match self.mark {
            Some((mr, mc)) => {
                (mr.min(self.row)..=mr.max(self.row)).contains(&r)
                    && (mc.min(self.col)..=mc.max(self.col)).contains(&c)
            }
            None => false,
        }
    }

    fn render_grid(
        &mut self,
        frame: &mut Frame,
        area: Rect,
        cx: &RenderCx,
        set: &ResultSet,
        widths: &[usize],
    ) {
        // Vertical window: keep the selected row visible.
        let body_h = area.height.saturating_sub(1) as usize;
        self.page = body_h.max(1);
        if self.row < self.top {
            self.top = self.row;
        } else if body_h > 0 && self.row >= self.top + body_h {
            self.top = self.row + 1 - body_h;
        }
        let end = (self.top + body_h).min(set.len());

        // Horizontal window: the columns from `left_col` that fit, keeping the cursor's in view.
        let rownum_w = width(&set.len().max(1).to_string()).max(3);
        let avail_total = (area.width as usize).saturating_sub(rownum_w + 1);
        let col_w = |c: usize| widths.get(c).copied().unwrap_or(8).max(1);
        if self.col < self.left_col {
            self.left_col = self.col;
        }
        loop {
            let used: usize = (self.left_col..=self.col).map(|c| col_w(c) + 1).sum();
            if used <= avail_total || self.left_col >= self.col {
                break;
            }
            self.left_col += 1;
        }
        let mut avail = avail_total;
        let mut cols = Vec::new();
        for c in self.left_col..set.columns.len() {
            let w = col_w(c);
            if w + 1 > avail {
                if avail > 4 {
                    cols.push((c, avail - 1));
                } else if cols.is_empty() {
                    cols.push((c, avail.saturating_sub(1).max(1)));
                }
                break;
            }
            avail -= w + 1;
            cols.push((c, w));
        }

        let header = Row::new(
            std::iter::once(Cell::from("#"))
                .chain(cols.iter().map(|&(c, w)| {
                    let style = if c == self.col && cx.focused {
                        cx.theme.title_focused
                    } else {
                        cx.theme.header
                    };
                    Cell::from(Span::styled(
                        truncate(&visible(&set.columns[c].name), w).into_owned(),
                        style,
                    ))
                }))
                .collect::<Vec<_>>(),
        )
        .style(cx.theme.header);
        let rows = (self.top..end).map(|r| {
            let mut cells = vec![Cell::from(Span::styled(
                (r + 1).to_string(),
                cx.theme.line_number,
            ))];
            for &(c, w) in &cols {
                let mut cell = match set.get(r, c) {
                    Some(v) => Cell::from(truncate(&visible(v), w).into_owned()),
                    None => Cell::from(Span::styled(NULL_MARKER, cx.theme.null)),
                };
                if cx.focused && ((r == self.row && c == self.col) || self.in_mark(r, c)) {
                    cell = cell.style(cx.theme.selection);
                }
                cells.push(cell);
            }
            Row::new(cells)
        });
        let constraints: Vec<Constraint> = std::iter::once(Constraint::Length(rownum_w as u16))
            .chain(cols.iter().map(|&(_, w)| Constraint::Length(w as u16)))
            .collect();
        let table = Table::new(rows, constraints)
            .header(header)
            .column_spacing(1);
        frame.render_widget(table, area);
    }

    /// psql's `\x`: one record after another, `column | value`, from the selected row down.
    fn render_expanded(&mut self, frame: &mut Frame, area: Rect, cx: &RenderCx, set: &ResultSet) {
        self.page = 1;
        let name_w = set
            .columns
            .iter()
            .map(|c| width(&visible(&c.name)))
            .max()
            .unwrap_or(1)
            .min(30);
        let value_w = (area.width as usize).saturating_sub(name_w + 3).max(1);
        let mut lines: Vec<Line> = Vec::new();
        let mut r = self.row;
        while lines.len() < area.height as usize && r < set.len() {
            let head = format!("-[ RECORD {} ]", r + 1);
            let pad = (area.width as usize).saturating_sub(width(&head));
            lines.push(Line::styled(
                format!("{head}{}", "-".repeat(pad)),
                cx.theme.header,
            ));
            for (c, col) in set.columns.iter().enumerate() {
                let name = truncate(&visible(&col.name), name_w).into_owned();
                let name_pad = name_w.saturating_sub(width(&name));
                let value: Span = match set.get(r, c) {
                    Some(v) => Span::raw(truncate(&visible(v), value_w).into_owned()),
                    None => Span::styled(NULL_MARKER, cx.theme.null),
                };
                let style = if r == self.row && c == self.col && cx.focused {
                    cx.theme.selection
                } else {
                    cx.theme.base
                };
                lines.push(Line::from(vec![
                    Span::styled(format!("{name}{} | ", " ".repeat(name_pad)), cx.theme.muted),
                    value.patch_style(style),
                ]));
            }
            r += 1;
        }
        frame.render_widget(Paragraph::new(lines), area);
    }
}

fn error_lines<'a>(err: &DbError, cx: &RenderCx) -> Vec<Line<'a>> {
    let mut out = Vec::new();
    match err.server() {
        Some(s) => {
            out.push(Line::styled(
                format!("{}: {}  [{}]", s.severity, visible(&s.message), s.sqlstate),
                cx.theme.error,
            ));
            for (label, v) in [
                ("DETAIL", &s.detail),
                ("HINT", &s.hint),
                ("CONTEXT", &s.context),
            ] {
                if let Some(v) = v {
                    out.push(Line::styled(
                        format!("{label}: {}", visible(v)),
                        cx.theme.muted,
                    ));
                }
            }
        }
        None => out.push(Line::styled(
            visible(&err.to_string()).into_owned(),
            cx.theme.error,
        )),
    }
    out
}

/// A frame of the spinner shown while waiting.
pub fn spinner(tick: u64) -> &'static str {
    const FRAMES: [&str; 8] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧"];
    FRAMES[(tick % FRAMES.len() as u64) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::result_set::{Column, RowBatch};

    fn pane_with(rows: &[[Option<&str>; 2]]) -> ResultsPane {
        let mut p = ResultsPane::default();
        p.begin_run(1);
        p.on_reply(Response {
            id: 1,
            reply: Ok(Reply::ResultStarted {
                columns: vec![Column::named("a"), Column::named("b")],
            }),
            last: false,
        });
        let mut b = RowBatch::new(2);
        for r in rows {
            b.push_row(r.iter().copied());
        }
        p.on_reply(Response {
            id: 1,
            reply: Ok(Reply::Rows(b)),
            last: false,
        });
        p
    }

    fn key(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn copy_scopes_and_formats() {
        let (req, _rx) = Requests::detached();
        let mut p = pane_with(&[[Some("1"), Some("x,y")], [Some("2"), None]]);
        p.update(Action::Copy, &req);
        p.input(key('r'));
        p.input(key('c'));
        assert_eq!(p.take_clipboard().as_deref(), Some("a,b\n1,\"x,y\"\n"));
        p.update(Action::Right, &req);
        p.update(Action::Copy, &req);
        p.input(key('l'));
        p.input(key('j'));
        let json: serde_json::Value =
            serde_json::from_str(&p.take_clipboard().expect("copied")).expect("json");
        assert_eq!(json, serde_json::json!([{"b": "x,y"}, {"b": null}]));
        p.update(Action::Copy, &req);
        p.input(key('c'));
        p.input(key('t'));
        assert_eq!(
            p.take_clipboard().as_deref(),
            Some("x,y"),
            "a cell copies its raw value"
        );
        // a marked rectangle
        p.update(Action::Left, &req);
        p.update(Action::Mark, &req);
        p.update(Action::Down, &req);
        p.update(Action::Copy, &req);
        p.input(key('a'));
        p.input(key('m'));
        assert_eq!(
            p.take_clipboard().as_deref(),
            Some("| a |\n|---|\n| 1 |\n| 2 |\n")
        );
    }

    #[test]
    fn search_wraps_and_inspect_pretty_prints_json() {
        let (req, _rx) = Requests::detached();
        let mut p = pane_with(&[
            [Some("1"), Some("{\"k\": [1, 2]}")],
            [Some("needle"), Some("x")],
        ]);
        p.update(Action::Filter, &req);
        for c in "NEED".chars() {
            p.input(key(c));
        }
        p.input(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
        assert_eq!(p.cursor(), (1, 0));
        p.update(Action::FindNext, &req);
        assert_eq!(
            p.cursor(),
            (1, 0),
            "the only match, found again after wrapping"
        );
        p.update(Action::Top, &req);
        p.update(Action::Right, &req);
        p.update(Action::Select, &req);
        match &p.overlay {
            Some(Overlay::Inspect { text, .. }) => {
                assert!(text.contains("\"k\": [\n    1,"), "{text}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_huge_value_opens_cut_in_the_inspector_and_copies_whole() {
        let (req, _rx) = Requests::detached();
        let huge = "ab".repeat(3 << 20);
        let mut p = pane_with(&[[Some("1"), Some(huge.as_str())]]);
        p.update(Action::Top, &req);
        p.update(Action::Right, &req);
        p.update(Action::Select, &req);
        match &p.overlay {
            Some(Overlay::Inspect { text, cut_from, .. }) => {
                assert_eq!(text.len(), INSPECT_MAX_BYTES);
                assert_eq!(*cut_from, Some(huge.len()));
            }
            other => panic!("{other:?}"),
        }
        p.input(key('y'));
        assert_eq!(p.clipboard.as_deref().map(str::len), Some(huge.len()));
    }

    #[test]
    fn wrapping_stops_at_the_window_and_escapes_controls() {
        assert_eq!(wrap_window("abcdef", 4, 10), vec!["abcd", "ef"]);
        assert_eq!(wrap_window("a\nb\x1bc", 10, 10), vec!["a", "b\\ec"]);
        assert_eq!(wrap_window("日本語", 4, 10), vec!["日本", "語"]);
        assert_eq!(wrap_window(&"x".repeat(1000), 10, 3).len(), 3);
    }

    #[test]
    fn export_streams_to_a_file() {
        let (req, _rx) = Requests::detached();
        let mut p = pane_with(&[[Some("1"), Some("a")], [Some("2"), None]]);
        let path = std::env::temp_dir().join(format!("pgdeck-export-{}.csv", std::process::id()));
        p.update(Action::Export, &req);
        p.overlay = Some(Overlay::Export(path.display().to_string()));
        p.input(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
        let mut msg = None;
        for _ in 0..200 {
            msg = p.take_message().filter(|m| m.starts_with("exported"));
            if msg.is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(msg.is_some_and(|m| m.contains("2 rows")));
        assert_eq!(
            std::fs::read_to_string(&path).expect("file"),
            "a,b\n1,a\n2,\n"
        );
        let _ = std::fs::remove_file(&path);
    }
}
