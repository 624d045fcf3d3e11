//! The results pane: the result sets of the last run, drawn as a grid that touches only the visible
//! window, with a frozen header, row numbers, horizontal scrolling, and NULL drawn apart from ''.

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

use super::text::{duration, truncate, visible, width};
use super::{Handled, Pane, RenderCx};
use crate::action::Action;
use crate::db::{DbError, Reply, RequestId, Requests, Response, RunOutcome};
use crate::model::result_set::ResultSet;

/// How NULL is drawn (in the theme's `null` style), so it never looks like an empty string.
pub const NULL_MARKER: &str = "∅";
/// Rows looked at to size columns.
const WIDTH_SAMPLE_ROWS: usize = 1000;
/// Widest a column gets in the grid; the full value is for the cell inspector.
const MAX_COL_WIDTH: usize = 40;

/// One statement's outcome within a run.
#[derive(Debug, Default)]
struct Entry {
    /// Present when the statement returned rows.
    set: Option<ResultSet>,
    /// The server's row count, once the statement completed.
    rows: Option<u64>,
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

/// The results pane.
#[derive(Default)]
pub struct ResultsPane {
    waiting: Option<RequestId>,
    entries: Vec<Entry>,
    current: usize,
    outcome: Option<RunOutcome>,
    /// An error that is not a server error of the run (refused, not connected).
    notice: Option<String>,
    row: usize,
    top: usize,
    left_col: usize,
    page: usize,
}

impl ResultsPane {
    /// A run started: forget the previous results and wait for `id`.
    pub fn begin_run(&mut self, id: RequestId) {
        *self = ResultsPane {
            waiting: Some(id),
            page: self.page,
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
        self.entries.get(self.current).and_then(|e| e.set.as_ref())
    }

    /// Show a message in place of results (e.g. the run was refused).
    pub fn show_notice(&mut self, msg: impl Into<String>) {
        self.notice = Some(msg.into());
    }

    fn rows_in_current(&self) -> usize {
        self.current_set().map_or(0, ResultSet::len)
    }

    fn move_row(&mut self, delta: isize) {
        let n = self.rows_in_current();
        if n == 0 {
            return;
        }
        self.row = self.row.saturating_add_signed(delta).min(n - 1);
    }

    fn ncols(&self) -> usize {
        self.current_set().map_or(0, |s| s.columns.len())
    }
}

impl Pane for ResultsPane {
    fn update(&mut self, action: Action, _requests: &Requests) -> Handled {
        let page = self.page.max(1) as isize;
        match action {
            Action::Up => self.move_row(-1),
            Action::Down => self.move_row(1),
            Action::PageUp => self.move_row(-page),
            Action::PageDown => self.move_row(page),
            Action::Top => self.row = 0,
            Action::Bottom => self.row = self.rows_in_current().saturating_sub(1),
            Action::Left => self.left_col = self.left_col.saturating_sub(1),
            Action::Right => {
                if self.left_col + 1 < self.ncols() {
                    self.left_col += 1;
                }
            }
            // next result set of a multi-statement run
            Action::Toggle | Action::Select if self.entries.len() > 1 => {
                self.current = (self.current + 1) % self.entries.len();
                self.row = 0;
                self.top = 0;
                self.left_col = 0;
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn is_list(&self) -> bool {
        true
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
                    set: Some(ResultSet::new(columns)),
                    ..Default::default()
                });
                // Show the first result set while later ones arrive; users read top-down.
                if self.entries.len() == 1 {
                    self.current = 0;
                }
            }
            Ok(Reply::Rows(batch)) => {
                if let Some(e) = self.entries.last_mut()
                    && let Some(set) = e.set.as_mut()
                {
                    set.append(batch);
                    if e.sampled < WIDTH_SAMPLE_ROWS {
                        e.refresh_widths();
                    }
                }
            }
            Ok(Reply::StatementDone { rows, elapsed }) => match self.entries.last_mut() {
                Some(e) if e.set.is_some() && e.rows.is_none() => {
                    e.rows = Some(rows);
                    e.elapsed = Some(elapsed);
                }
                _ => self.entries.push(Entry {
                    rows: Some(rows),
                    elapsed: Some(elapsed),
                    ..Default::default()
                }),
            },
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
            let msg_area = Rect::new(inner.x, inner.y, inner.width, h);
            frame.render_widget(
                Paragraph::new(msg_lines).wrap(Wrap { trim: false }),
                msg_area,
            );
            grid_area = Rect::new(
                inner.x,
                inner.y + h,
                inner.width,
                inner.height.saturating_sub(h),
            );
        }
        if grid_area.height == 0 {
            return;
        }

        let Some(entry) = self.entries.get(self.current) else {
            if self.waiting.is_none() && self.outcome.is_none() && self.notice.is_none() {
                let hint = Line::from(
                    [cx.hint(
                        crate::keymap::Section::Editor,
                        Action::RunStatement,
                        "runs the statement under the cursor",
                    )]
                    .concat(),
                );
                frame.render_widget(Paragraph::new(vec![Line::raw(""), hint]), grid_area);
            }
            return;
        };
        let Some(set) = entry.set.as_ref() else {
            // statements without rows: list what each did
            let lines: Vec<Line> = self
                .entries
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    Line::from(format!(
                        "statement {}: {} row{}{}",
                        i + 1,
                        e.rows.unwrap_or(0),
                        if e.rows == Some(1) { "" } else { "s" },
                        e.elapsed
                            .map(|d| format!(" ({})", duration(d.as_secs_f64())))
                            .unwrap_or_default()
                    ))
                })
                .collect();
            frame.render_widget(Paragraph::new(lines), grid_area);
            return;
        };

        // Vertical window: keep the selected row visible.
        let body_h = grid_area.height.saturating_sub(1) as usize;
        self.page = body_h.max(1);
        if self.row < self.top {
            self.top = self.row;
        } else if body_h > 0 && self.row >= self.top + body_h {
            self.top = self.row + 1 - body_h;
        }
        let end = (self.top + body_h).min(set.len());

        // Horizontal window: the columns from `left_col` that fit.
        let rownum_w = width(&set.len().max(1).to_string()).max(3);
        let mut avail = (grid_area.width as usize).saturating_sub(rownum_w + 1);
        let mut cols = Vec::new();
        for c in self.left_col..set.columns.len() {
            let w = entry.widths.get(c).copied().unwrap_or(8).max(1);
            if w + 1 > avail {
                if cols.is_empty() {
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
                    Cell::from(truncate(&visible(&set.columns[c].name), w).into_owned())
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
                cells.push(match set.get(r, c) {
                    Some(v) => Cell::from(truncate(&visible(v), w).into_owned()),
                    None => Cell::from(Span::styled(NULL_MARKER, cx.theme.null)),
                });
            }
            let row = Row::new(cells);
            if r == self.row && cx.focused {
                row.style(cx.theme.selection)
            } else {
                row
            }
        });
        let widths: Vec<Constraint> = std::iter::once(Constraint::Length(rownum_w as u16))
            .chain(cols.iter().map(|&(_, w)| Constraint::Length(w as u16)))
            .collect();
        let table = Table::new(rows, widths).header(header).column_spacing(1);
        frame.render_widget(table, grid_area);
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
