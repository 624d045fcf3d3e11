//! The activity pane: the sessions of the server, refreshed on an interval while the pane is shown.
//! This is the foundation's list; blocking trees, vitals and actions grow here.

use std::time::{Duration, Instant};

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};

use super::grid::spinner;
use super::text::{duration, truncate, visible};
use super::{Handled, Pane, RenderCx};
use crate::action::Action;
use crate::db::{Reply, Request, RequestId, Requests, Response};
use crate::model::activity::Session;

/// The activity pane.
pub struct ActivityPane {
    sessions: Vec<Session>,
    waiting: Option<RequestId>,
    error: Option<String>,
    last_load: Option<Instant>,
    interval: Duration,
    selected: usize,
    state: TableState,
    page: usize,
}

impl ActivityPane {
    /// A pane that refreshes every `interval`.
    pub fn new(interval: Duration) -> Self {
        ActivityPane {
            sessions: Vec::new(),
            waiting: None,
            error: None,
            last_load: None,
            interval,
            selected: 0,
            state: TableState::default(),
            page: 10,
        }
    }

    /// Called on every tick while the pane is shown: refresh when the interval has passed and no
    /// request is in flight (a slow server never gets a pile of queued refreshes).
    pub fn tick(&mut self, requests: &Requests) {
        if self.waiting.is_some() {
            return;
        }
        if self.last_load.is_none_or(|t| t.elapsed() >= self.interval) {
            self.load(requests);
        }
    }

    fn load(&mut self, requests: &Requests) {
        self.waiting = Some(requests.send(Request::LoadActivity));
        self.last_load = Some(Instant::now());
    }

    /// Sessions shown (for tests).
    pub fn sessions(&self) -> &[Session] {
        &self.sessions
    }
}

fn age(s: Option<f64>) -> String {
    s.map(duration).unwrap_or_default()
}

impl Pane for ActivityPane {
    fn update(&mut self, action: Action, requests: &Requests) -> Handled {
        if super::list::move_selection(&mut self.selected, action, self.sessions.len(), self.page) {
            return Handled::Yes;
        }
        match action {
            Action::Refresh => self.load(requests),
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
            Ok(Reply::Activity(snap)) => {
                let s = snap.sessions;
                self.error = None;
                self.sessions = s;
                self.selected = self.selected.min(self.sessions.len().saturating_sub(1));
            }
            Ok(_) => {}
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    fn render(&mut self, frame: &mut Frame, area: Rect, cx: &RenderCx) {
        let active = self
            .sessions
            .iter()
            .filter(|s| s.state.as_deref() == Some("active"))
            .count();
        let waiting = self
            .sessions
            .iter()
            .filter(|s| !s.blocked_by.is_empty())
            .count();
        let mut title = vec![
            Span::raw(" Activity "),
            Span::styled(
                format!(
                    "{} sessions, {active} active, {waiting} waiting on locks ",
                    self.sessions.len()
                ),
                cx.theme.muted,
            ),
        ];
        if self.waiting.is_some() {
            title.push(Span::styled(
                format!("{} ", spinner(cx.tick)),
                cx.theme.spinner,
            ));
        }
        let block = cx.block(Line::from(title));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let mut table_area = inner;
        if let Some(e) = &self.error {
            frame.render_widget(
                Paragraph::new(Line::styled(visible(e).into_owned(), cx.theme.error)),
                Rect::new(inner.x, inner.y, inner.width, 1.min(inner.height)),
            );
            table_area = Rect::new(
                inner.x,
                inner.y + 1,
                inner.width,
                inner.height.saturating_sub(1),
            );
        }
        // Columns by importance: on narrow windows the least useful go first; the query takes the rest.
        const COLS: [(&str, u16, u8); 8] = [
            ("pid", 8, 0),
            ("user", 10, 5),
            ("application", 16, 3),
            ("state", 19, 0),
            ("wait", 16, 4),
            ("xact age", 10, 1),
            ("query age", 10, 2),
            ("blocked by", 10, 1),
        ];
        const MIN_QUERY: u16 = 20;
        let used = |shown: &[usize]| -> u16 { shown.iter().map(|&i| COLS[i].1 + 1).sum() };
        let mut shown: Vec<usize> = (0..COLS.len()).collect();
        while used(&shown) + MIN_QUERY > table_area.width {
            let Some(worst) = shown
                .iter()
                .copied()
                .filter(|&i| COLS[i].2 > 0)
                .max_by_key(|&i| COLS[i].2)
            else {
                break;
            };
            shown.retain(|&i| i != worst);
        }
        let query_w = usize::from(table_area.width.saturating_sub(used(&shown)).max(10));
        let header = Row::new(
            shown
                .iter()
                .map(|&i| Cell::from(COLS[i].0))
                .chain(std::iter::once(Cell::from("query")))
                .collect::<Vec<_>>(),
        )
        .style(cx.theme.header);
        let rows = self.sessions.iter().map(|s| {
            let state = s.state.clone().unwrap_or_else(|| s.backend_type.clone());
            let state_style = match s.state.as_deref() {
                Some("active") if !s.blocked_by.is_empty() => cx.theme.state_waiting,
                Some("active") => cx.theme.state_active,
                Some(st) if st.starts_with("idle in transaction") => cx.theme.state_idle_in_tx,
                _ => cx.theme.state_idle,
            };
            let cell = |i: usize| -> Cell {
                let w = usize::from(COLS[i].1);
                let text = match i {
                    0 if s.own => format!("{}*", s.pid),
                    0 => s.pid.to_string(),
                    1 => visible(s.user.as_deref().unwrap_or("")).into_owned(),
                    2 => visible(&s.application).into_owned(),
                    3 => {
                        return Cell::from(Span::styled(
                            truncate(&state, w).into_owned(),
                            state_style,
                        ));
                    }
                    4 => match (&s.wait_event_type, &s.wait_event) {
                        (Some(t), Some(e)) => format!("{t}:{e}"),
                        _ => String::new(),
                    },
                    5 => age(s.xact_age_s),
                    6 => age(s.query_age_s),
                    _ => s
                        .blocked_by
                        .iter()
                        .map(i32::to_string)
                        .collect::<Vec<_>>()
                        .join(","),
                };
                Cell::from(truncate(&text, w).into_owned())
            };
            let query = super::text::one_line_sql(&s.query);
            Row::new(
                shown
                    .iter()
                    .map(|&i| cell(i))
                    .chain(std::iter::once(Cell::from(
                        truncate(&query, query_w).into_owned(),
                    )))
                    .collect::<Vec<_>>(),
            )
        });
        let widths: Vec<Constraint> = shown
            .iter()
            .map(|&i| Constraint::Length(COLS[i].1))
            .chain(std::iter::once(Constraint::Min(10)))
            .collect();
        self.page = table_area.height.saturating_sub(1).max(1) as usize;
        self.state.select(if self.sessions.is_empty() {
            None
        } else {
            Some(self.selected)
        });
        let table = Table::new(rows, widths)
            .header(header)
            .row_highlight_style(if cx.focused {
                cx.theme.selection
            } else {
                cx.theme.base
            });
        frame.render_stateful_widget(table, table_area, &mut self.state);
    }
}
