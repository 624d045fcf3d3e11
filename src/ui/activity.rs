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
        let n = self.sessions.len();
        match action {
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(n.saturating_sub(1)),
            Action::PageUp => self.selected = self.selected.saturating_sub(self.page),
            Action::PageDown => {
                self.selected = (self.selected + self.page).min(n.saturating_sub(1))
            }
            Action::Top => self.selected = 0,
            Action::Bottom => self.selected = n.saturating_sub(1),
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
            Ok(Reply::Activity(s)) => {
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
        let query_w =
            (table_area.width as usize).saturating_sub(8 + 12 + 20 + 21 + 18 + 10 + 10 + 7);
        let header = Row::new([
            "pid",
            "user",
            "application",
            "state",
            "wait",
            "xact age",
            "query age",
            "blocked",
            "query",
        ])
        .style(cx.theme.header);
        let rows = self.sessions.iter().map(|s| {
            let state = s.state.clone().unwrap_or_else(|| s.backend_type.clone());
            let state_style = match s.state.as_deref() {
                Some("active") if !s.blocked_by.is_empty() => cx.theme.state_waiting,
                Some("active") => cx.theme.state_active,
                Some(st) if st.starts_with("idle in transaction") => cx.theme.state_idle_in_tx,
                _ => cx.theme.state_idle,
            };
            let wait = match (&s.wait_event_type, &s.wait_event) {
                (Some(t), Some(e)) => format!("{t}:{e}"),
                _ => String::new(),
            };
            let pid = if s.own {
                format!("{}*", s.pid)
            } else {
                s.pid.to_string()
            };
            let blocked = s
                .blocked_by
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let query = visible(&s.query).replace("\\n", " ");
            Row::new(vec![
                Cell::from(pid),
                Cell::from(truncate(&visible(s.user.as_deref().unwrap_or("")), 12).into_owned()),
                Cell::from(truncate(&visible(&s.application), 20).into_owned()),
                Cell::from(Span::styled(truncate(&state, 21).into_owned(), state_style)),
                Cell::from(truncate(&wait, 18).into_owned()),
                Cell::from(age(s.xact_age_s)),
                Cell::from(age(s.query_age_s)),
                Cell::from(blocked),
                Cell::from(truncate(&query, query_w.max(10)).into_owned()),
            ])
        });
        let widths = [
            Constraint::Length(8),
            Constraint::Length(12),
            Constraint::Length(20),
            Constraint::Length(21),
            Constraint::Length(18),
            Constraint::Length(10),
            Constraint::Length(10),
            Constraint::Length(7),
            Constraint::Min(10),
        ];
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
