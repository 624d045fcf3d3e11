//! The activity pane: a vitals header (connections gauge, rate sparklines, horizon, replication,
//! progress) over one of three views — the session table (sort, filters, pause, interval), the
//! blocking tree, the top statements — plus a details view of one session. Refreshes are requests to
//! the worker; replies arrive as events, so a slow or unreachable server never blocks the UI. Cancel,
//! terminate and the statistics reset go through the app's confirm modal ([`ActivityPane::take_confirm`]);
//! statements go into the editor, never run from here. No SQL and no driver here.

use super::list::{FilterKey, edit_filter};
use std::time::{Duration, Instant};

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Sparkline, Table, TableState, Wrap};

use super::grid::spinner;
use super::status::Level;
use super::text::{duration, one_line_sql, truncate, visible};
use super::{Handled, Pane, RenderCx};
use crate::action::Action;
use crate::db::{DbError, Reply, Request, RequestId, Requests, Response};
use crate::model::activity::{
    Filter, History, LockNode, RowRef, Session, Signal, SignalOutcome, Snapshot, SortKey,
    StatementOrder, TopStatement, WRAPAROUND_LIMIT, blocks_count, flatten, lock_forest,
    refuse_reason, sort_statements, table_rows,
};
use crate::model::health::bytes;

/// Refresh intervals `+` and `-` step through.
const INTERVALS_MS: [u64; 6] = [500, 1000, 2000, 3000, 5000, 10_000];
/// How often the top statements reload while shown.
const STATEMENTS_EVERY: Duration = Duration::from_secs(10);

/// Which view fills the pane under the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ActivityView {
    #[default]
    Sessions,
    Locks,
    Statements,
}

impl ActivityView {
    fn next(self) -> ActivityView {
        match self {
            ActivityView::Sessions => ActivityView::Locks,
            ActivityView::Locks => ActivityView::Statements,
            ActivityView::Statements => ActivityView::Sessions,
        }
    }

    fn title(self) -> &'static str {
        match self {
            ActivityView::Sessions => "Sessions",
            ActivityView::Locks => "Lock tree",
            ActivityView::Statements => "Top statements",
        }
    }
}

/// What waits for the user's yes.
#[derive(Debug, Clone, PartialEq)]
enum Pending {
    Signal(Box<Session>, Signal),
    ResetStatements,
}

/// The activity pane.
pub struct ActivityPane {
    snapshot: Option<Snapshot>,
    rows: Vec<RowRef>,
    forest: Vec<LockNode>,
    history: History,
    waiting: Option<RequestId>,
    statements_req: Option<RequestId>,
    signal_req: Option<RequestId>,
    reset_req: Option<RequestId>,
    statements: Option<Option<Vec<TopStatement>>>,
    statements_loaded: Option<Instant>,
    stmt_order: StatementOrder,
    error: Option<String>,
    reconnecting: bool,
    last_load: Option<Instant>,
    interval: Duration,
    paused: bool,
    view: ActivityView,
    details: bool,
    sort: SortKey,
    descending: bool,
    filter: Filter,
    filtering: bool,
    /// Selection by pid (sessions and lock views), so a refresh does not move it to another session.
    selected_pid: Option<i32>,
    selected: usize,
    stmt_selected: usize,
    page: usize,
    pending: Option<Pending>,
    confirm: Option<(String, Vec<String>)>,
    editor_sql: Option<String>,
    message: Option<(Level, String)>,
}

impl ActivityPane {
    /// A pane that refreshes every `interval`.
    pub fn new(interval: Duration) -> Self {
        ActivityPane {
            snapshot: None,
            rows: Vec::new(),
            forest: Vec::new(),
            history: History::new(150),
            waiting: None,
            statements_req: None,
            signal_req: None,
            reset_req: None,
            statements: None,
            statements_loaded: None,
            stmt_order: StatementOrder::default(),
            error: None,
            reconnecting: false,
            last_load: None,
            interval: interval.clamp(Duration::from_millis(500), Duration::from_secs(10)),
            paused: false,
            view: ActivityView::default(),
            details: false,
            sort: SortKey::default(),
            descending: true,
            filter: Filter::default(),
            filtering: false,
            selected_pid: None,
            selected: 0,
            stmt_selected: 0,
            page: 10,
            pending: None,
            confirm: None,
            editor_sql: None,
            message: None,
        }
    }

    /// Called on every tick while the pane is shown: refresh when the interval has passed and no
    /// request is in flight (a slow server never gets a pile of queued refreshes).
    pub fn tick(&mut self, requests: &Requests) {
        if self.view == ActivityView::Statements
            && self.statements_req.is_none()
            && self
                .statements_loaded
                .is_none_or(|t| t.elapsed() >= STATEMENTS_EVERY)
        {
            self.load_statements(requests);
        }
        if self.waiting.is_some() || (self.paused && self.snapshot.is_some()) {
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

    fn load_statements(&mut self, requests: &Requests) {
        self.statements_req = Some(requests.send(Request::LoadTopStatements));
        self.statements_loaded = Some(Instant::now());
    }

    /// Sessions shown (for tests).
    pub fn sessions(&self) -> &[Session] {
        self.snapshot
            .as_ref()
            .map(|s| s.sessions.as_slice())
            .unwrap_or(&[])
    }

    /// The current view (for tests).
    pub fn view(&self) -> ActivityView {
        self.view
    }

    /// Refreshing is paused.
    pub fn paused(&self) -> bool {
        self.paused
    }

    /// The refresh interval.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// A confirmation the app should show: (title, body). Answered with [`ActivityPane::confirmed`]
    /// or [`ActivityPane::dismissed`].
    pub fn take_confirm(&mut self) -> Option<(String, Vec<String>)> {
        self.confirm.take()
    }

    /// SQL the app should put into the editor (never run).
    pub fn take_editor_sql(&mut self) -> Option<String> {
        self.editor_sql.take()
    }

    /// A line for the status bar.
    pub fn take_message(&mut self) -> Option<(Level, String)> {
        self.message.take()
    }

    /// The user said yes: send the pending signal or reset.
    pub fn confirmed(&mut self, requests: &Requests) {
        match self.pending.take() {
            Some(Pending::Signal(session, signal)) => {
                self.signal_req = Some(requests.send(Request::SignalSession { session, signal }));
            }
            Some(Pending::ResetStatements) => {
                self.reset_req = Some(requests.send(Request::ResetStatements));
            }
            None => {}
        }
    }

    /// The user said no.
    pub fn dismissed(&mut self) {
        self.pending = None;
    }

    fn rebuild(&mut self) {
        let sessions = self
            .snapshot
            .as_ref()
            .map(|s| s.sessions.as_slice())
            .unwrap_or(&[]);
        let rows = table_rows(sessions, &self.filter, self.sort, self.descending);
        let forest = lock_forest(sessions);
        self.rows = rows;
        self.forest = forest;
        self.reselect();
    }

    /// Keep the selection on the same pid after a refresh or a filter change.
    fn reselect(&mut self) {
        let len = self.list_len();
        if let Some(pid) = self.selected_pid
            && let Some(i) = self.pids().iter().position(|p| *p == pid)
        {
            self.selected = i;
        }
        self.selected = self.selected.min(len.saturating_sub(1));
        self.selected_pid = self.pids().get(self.selected).copied();
    }

    fn pids(&self) -> Vec<i32> {
        match self.view {
            ActivityView::Locks => flatten(&self.forest).iter().map(|(_, n)| n.pid).collect(),
            _ => {
                let ss = self.sessions();
                self.rows.iter().map(|r| ss[r.index].pid).collect()
            }
        }
    }

    fn list_len(&self) -> usize {
        match self.view {
            ActivityView::Sessions => self.rows.len(),
            ActivityView::Locks => flatten(&self.forest).len(),
            ActivityView::Statements => self.stmt_list().len(),
        }
    }

    fn stmt_list(&self) -> &[TopStatement] {
        match &self.statements {
            Some(Some(l)) => l,
            _ => &[],
        }
    }

    fn selected_session(&self) -> Option<&Session> {
        let pid = self.selected_pid?;
        self.sessions().iter().find(|s| s.pid == pid)
    }

    fn ask_signal(&mut self, signal: Signal) {
        let Some(pid) = self.selected_pid else {
            self.message = Some((Level::Info, "no session selected".into()));
            return;
        };
        let session = match self.selected_session() {
            Some(s) => s.clone(),
            None if pid == 0 => Session {
                pid: 0,
                ..Session::default()
            },
            None => {
                self.message = Some((Level::Info, format!("pid {pid} is no longer listed")));
                return;
            }
        };
        if let Some(why) = refuse_reason(&session, &[]) {
            self.message = Some((Level::Warning, format!("pid {pid}: {why}")));
            return;
        }
        let blocks = blocks_count(&self.forest, pid);
        let verb = match signal {
            Signal::Cancel => "Cancel the running statement of",
            Signal::Terminate => "Terminate",
        };
        let mut body = vec![
            format!(
                "{verb} pid {pid}, user {}, application {}?",
                session.user.as_deref().unwrap_or("-"),
                if session.application.is_empty() {
                    "-"
                } else {
                    &session.application
                }
            ),
            String::new(),
            format!(
                "query: {}",
                truncate(&one_line_sql(&session.query), 300).into_owned()
            ),
            format!(
                "transaction age: {}   state: {}   blocks {blocks}",
                session
                    .xact_age_s
                    .map(duration)
                    .unwrap_or_else(|| "-".into()),
                session.state.as_deref().unwrap_or("-"),
            ),
        ];
        if signal == Signal::Cancel
            && session
                .state
                .as_deref()
                .is_some_and(|s| s.starts_with("idle in transaction"))
        {
            body.push(
                "It is idle in a transaction: a cancel does not release its locks; terminate does."
                    .into(),
            );
        }
        if signal == Signal::Terminate {
            body.push("Its open transaction rolls back and the client is disconnected.".into());
        }
        let title = match signal {
            Signal::Cancel => "Cancel statement",
            Signal::Terminate => "Terminate session",
        };
        self.pending = Some(Pending::Signal(Box::new(session), signal));
        self.confirm = Some((title.into(), body));
    }

    fn statement_action(&mut self, action: Action) {
        let Some(st) = self.stmt_list().get(self.stmt_selected) else {
            self.message = Some((Level::Info, "no statement selected".into()));
            return;
        };
        let q = st.query.trim().trim_end_matches(';').to_string();
        self.editor_sql = Some(match action {
            Action::ExplainStatement => format!(
                "-- pg_stat_statements shows parameters as $1, $2...: put values in before running\nexplain {q};"
            ),
            _ => format!("{q};"),
        });
    }

    fn set_interval(&mut self, up: bool) {
        let ms = self.interval.as_millis() as u64;
        let i = INTERVALS_MS.iter().position(|&x| x >= ms).unwrap_or(2);
        let i = if up {
            (i + 1).min(INTERVALS_MS.len() - 1)
        } else {
            i.saturating_sub(1)
        };
        self.interval = Duration::from_millis(INTERVALS_MS[i]);
        self.message = Some((
            Level::Info,
            format!("refresh every {}", duration(self.interval.as_secs_f64())),
        ));
    }
}

fn age(s: Option<f64>) -> String {
    s.map(duration).unwrap_or_default()
}

fn fmt_rate(x: f64) -> String {
    if x >= 1_000_000.0 {
        format!("{:.1}M", x / 1_000_000.0)
    } else if x >= 10_000.0 {
        format!("{:.0}k", x / 1000.0)
    } else if x >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

fn text_bar(frac: f64, width: usize) -> String {
    let full = ((frac.clamp(0.0, 1.0) * width as f64).round() as usize).min(width);
    format!("{}{}", "█".repeat(full), "░".repeat(width - full))
}

impl Pane for ActivityPane {
    fn update(&mut self, action: Action, requests: &Requests) -> Handled {
        if !self.details {
            let len = self.list_len();
            let sel = if self.view == ActivityView::Statements {
                &mut self.stmt_selected
            } else {
                &mut self.selected
            };
            if super::list::move_selection(sel, action, len, self.page) {
                if self.view != ActivityView::Statements {
                    self.selected_pid = self.pids().get(self.selected).copied();
                }
                return Handled::Yes;
            }
        }
        match action {
            Action::Refresh => {
                self.load(requests);
                if self.view == ActivityView::Statements {
                    self.load_statements(requests);
                }
            }
            Action::Select if self.view != ActivityView::Statements => {
                self.details = !self.details && self.selected_session().is_some()
            }
            Action::Select => self.statement_action(Action::OpenInEditor),
            Action::Back if self.details => self.details = false,
            Action::Back if !self.filter.text.is_empty() => {
                self.filter.text.clear();
                self.rebuild();
            }
            Action::Filter => {
                self.filtering = true;
                self.view = ActivityView::Sessions;
                self.details = false;
                self.reselect();
            }
            Action::NextView => {
                self.view = self.view.next();
                self.details = false;
                if self.view == ActivityView::Statements && self.statements_req.is_none() {
                    self.load_statements(requests);
                }
                self.reselect();
            }
            Action::CycleSort if self.view == ActivityView::Statements => {
                self.stmt_order = self.stmt_order.next();
                if let Some(Some(l)) = &mut self.statements {
                    sort_statements(l, self.stmt_order);
                }
            }
            Action::CycleSort => {
                self.sort = self.sort.next();
                self.descending = self.sort.natural_descending();
                self.rebuild();
            }
            Action::ReverseSort => {
                self.descending = !self.descending;
                self.rebuild();
            }
            Action::ToggleIdle => {
                self.filter.hide_idle = !self.filter.hide_idle;
                self.rebuild();
            }
            Action::ToggleWaiting => {
                self.filter.only_waiting = !self.filter.only_waiting;
                self.rebuild();
            }
            Action::Pause => {
                self.paused = !self.paused;
                if !self.paused {
                    self.tick(requests);
                }
            }
            Action::IntervalUp => self.set_interval(true),
            Action::IntervalDown => self.set_interval(false),
            Action::CancelSession if self.view != ActivityView::Statements => {
                self.ask_signal(Signal::Cancel)
            }
            Action::TerminateSession if self.view != ActivityView::Statements => {
                self.ask_signal(Signal::Terminate)
            }
            Action::OpenInEditor | Action::ExplainStatement
                if self.view == ActivityView::Statements =>
            {
                self.statement_action(action)
            }
            Action::OpenInEditor | Action::ExplainStatement => {
                if let Some(s) = self.selected_session()
                    && !s.hidden()
                    && !s.query.trim().is_empty()
                {
                    let q = s.query.trim().trim_end_matches(';').to_string();
                    self.editor_sql = Some(if action == Action::ExplainStatement {
                        format!("explain {q};")
                    } else {
                        format!("{q};")
                    });
                }
            }
            Action::ResetStatements if self.view == ActivityView::Statements => {
                if matches!(self.statements, Some(None)) {
                    self.message =
                        Some((Level::Info, "pg_stat_statements is not installed".into()));
                } else {
                    self.pending = Some(Pending::ResetStatements);
                    self.confirm = Some((
                        "Reset statistics".into(),
                        vec![
                            "Reset pg_stat_statements for the whole server?".into(),
                            "Every statement's counters start again from zero.".into(),
                        ],
                    ));
                }
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn text_entry(&self) -> bool {
        self.filtering
    }

    fn input_first(&self) -> bool {
        self.filtering
    }

    fn input(&mut self, key: KeyEvent) -> bool {
        if !self.filtering {
            return false;
        }
        match edit_filter(&mut self.filter.text, key) {
            FilterKey::Cleared | FilterKey::Kept => self.filtering = false,
            FilterKey::Erased | FilterKey::Typed => {}
            FilterKey::Up | FilterKey::Down | FilterKey::Other => return false,
        }
        self.rebuild();
        true
    }

    fn is_list(&self) -> bool {
        true
    }

    fn waits_for(&self, id: RequestId) -> bool {
        [
            self.waiting,
            self.statements_req,
            self.signal_req,
            self.reset_req,
        ]
        .contains(&Some(id))
    }

    fn on_reply(&mut self, response: Response) {
        let id = Some(response.id);
        if response.last {
            if self.waiting == id {
                self.waiting = None;
            }
            if self.statements_req == id {
                self.statements_req = None;
            }
            if self.signal_req == id {
                self.signal_req = None;
            }
            if self.reset_req == id {
                self.reset_req = None;
            }
        }
        match response.reply {
            Ok(Reply::Activity(snap)) => {
                self.error = None;
                if self.reconnecting {
                    self.message = Some((Level::Info, "monitor connection is back".into()));
                }
                self.reconnecting = false;
                self.history.push(snap.vitals.at_s, snap.vitals.counters);
                self.snapshot = Some(*snap);
                self.rebuild();
            }
            Ok(Reply::TopStatements(list)) => {
                self.statements = Some(list.map(|mut l| {
                    sort_statements(&mut l, self.stmt_order);
                    l
                }));
                self.stmt_selected = self
                    .stmt_selected
                    .min(self.stmt_list().len().saturating_sub(1));
            }
            Ok(Reply::StatementsReset) => {
                self.message = Some((Level::Info, "pg_stat_statements was reset".into()));
                self.statements_loaded = None;
            }
            Ok(Reply::Signalled {
                pid,
                signal,
                outcome,
            }) => {
                let level = match outcome {
                    SignalOutcome::Signalled => Level::Info,
                    _ => Level::Warning,
                };
                self.message = Some((level, outcome.describe(signal, pid)));
                // show the effect at once
                self.last_load = None;
            }
            Ok(_) => {}
            Err(e) => {
                let lost = matches!(e, DbError::ConnectionLost(_) | DbError::NotConnected(_));
                if lost {
                    self.reconnecting = true;
                    // retry on the next interval; the worker reconnects the monitor connection
                }
                if self.signal_req.is_none() && self.reset_req.is_none() && id != self.waiting {
                    self.message = Some((Level::Error, e.to_string()));
                }
                self.error = Some(e.to_string());
            }
        }
    }

    fn render(&mut self, frame: &mut Frame, area: Rect, cx: &RenderCx) {
        let mut title = vec![Span::raw(" Activity ")];
        for v in [
            ActivityView::Sessions,
            ActivityView::Locks,
            ActivityView::Statements,
        ] {
            let style = if v == self.view {
                cx.theme.title_focused
            } else {
                cx.theme.muted
            };
            let label = if v == ActivityView::Locks && !self.forest.is_empty() {
                format!("[{} {}] ", v.title(), self.forest.len())
            } else {
                format!("[{}] ", v.title())
            };
            title.push(Span::styled(label, style));
        }
        let mut flags = vec![format!("every {}", duration(self.interval.as_secs_f64()))];
        if self.view == ActivityView::Statements {
            flags.push(format!("by {}", self.stmt_order.name()));
        } else {
            flags.push(format!(
                "by {} {}",
                self.sort.name(),
                if self.descending { "↓" } else { "↑" }
            ));
        }
        if self.filter.hide_idle {
            flags.push("idle hidden".into());
        }
        if self.filter.only_waiting {
            flags.push("waiting only".into());
        }
        title.push(Span::styled(
            format!("{} ", flags.join(" · ")),
            cx.theme.muted,
        ));
        if self.paused {
            title.push(Span::styled("PAUSED ", cx.theme.warning));
        }
        if self.reconnecting {
            title.push(Span::styled("reconnecting… ", cx.theme.warning));
        }
        if self.waiting.is_some() || self.statements_req.is_some() {
            title.push(Span::styled(
                format!("{} ", spinner(cx.tick)),
                cx.theme.spinner,
            ));
        }
        let block = cx.block(Line::from(title));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        if inner.height == 0 || inner.width < 10 {
            return;
        }
        let mut y = inner.y;
        let bottom = inner.y + inner.height;
        let line = |frame: &mut Frame, l: Line, y: &mut u16| {
            if *y < bottom {
                frame.render_widget(
                    Paragraph::new(l).style(cx.theme.base),
                    Rect::new(inner.x, *y, inner.width, 1),
                );
                *y += 1;
            }
        };
        if let Some(e) = &self.error {
            let msg = if self.reconnecting {
                format!("monitor connection lost, reconnecting… ({e})")
            } else {
                e.clone()
            };
            line(
                frame,
                Line::styled(visible(&msg).into_owned(), cx.theme.error),
                &mut y,
            );
        }
        if self.filtering || !self.filter.text.is_empty() {
            let cursor = if self.filtering { "▏" } else { "" };
            line(
                frame,
                Line::from(vec![
                    Span::styled("filter: ", cx.theme.accent),
                    Span::raw(format!("{}{cursor}", visible(&self.filter.text))),
                    Span::styled(
                        "   (words, or db:NAME user:NAME app:NAME; esc clears)",
                        cx.theme.muted,
                    ),
                ]),
                &mut y,
            );
        }
        // the vitals header: full when there is room, one line when tight, none when tiny
        let room = bottom.saturating_sub(y);
        let header_lines = if room >= 16 {
            4
        } else if room >= 8 {
            1
        } else {
            0
        };
        if header_lines > 0
            && let Some(snap) = &self.snapshot
        {
            let v = &snap.vitals;
            let waiting = snap.sessions.iter().filter(|s| s.is_waiting()).count();
            let mut spans = vec![
                Span::styled("conn ", cx.theme.header),
                Span::styled(
                    text_bar(v.connection_ratio(), 16),
                    if v.connection_ratio() >= 0.9 {
                        cx.theme.error
                    } else if v.connection_ratio() >= 0.75 {
                        cx.theme.warning
                    } else {
                        cx.theme.bar
                    },
                ),
                Span::raw(format!(" {}/{} ", v.connections, v.usable_connections())),
            ];
            for (st, style) in [
                ("active", cx.theme.state_active),
                ("idle", cx.theme.state_idle),
                ("idle in transaction", cx.theme.state_idle_in_tx),
                ("idle in transaction (aborted)", cx.theme.error),
            ] {
                let n = v.in_state(st);
                if n > 0 || st == "active" {
                    spans.push(Span::styled(format!("{n} {st}  "), style));
                }
            }
            if waiting > 0 {
                spans.push(Span::styled(
                    format!("{waiting} waiting on locks  "),
                    cx.theme.state_waiting,
                ));
            }
            if header_lines == 1 {
                if let Some(r) = self.history.latest() {
                    spans.push(Span::styled(
                        format!("tps {}", fmt_rate(r.tps)),
                        cx.theme.muted,
                    ));
                }
                line(frame, Line::from(spans), &mut y);
            } else {
                line(frame, Line::from(spans), &mut y);
                // sparklines: tps, hit ratio, tuples written
                if y < bottom {
                    let third = inner.width / 3;
                    let r = self.history.latest().copied().unwrap_or_default();
                    let series: [(String, Vec<u64>); 3] = [
                        (
                            format!(
                                "tps {} (c {} r {}) ",
                                fmt_rate(r.tps),
                                fmt_rate(r.commits_s),
                                fmt_rate(r.rollbacks_s)
                            ),
                            self.history.series(|r| r.tps, 10.0),
                        ),
                        (
                            format!(
                                "hit {} ",
                                r.hit_ratio
                                    .map(|h| format!("{:.1}%", h * 100.0))
                                    .unwrap_or_else(|| "-".into())
                            ),
                            self.history
                                .series(|r| r.hit_ratio.unwrap_or(1.0) * 1000.0 - 900.0, 1.0),
                        ),
                        (
                            format!("rows r {} w {} ", fmt_rate(r.reads_s), fmt_rate(r.writes_s)),
                            self.history.series(|r| r.reads_s + r.writes_s, 1.0),
                        ),
                    ];
                    for (i, (label, data)) in series.iter().enumerate() {
                        let x = inner.x + third * i as u16;
                        let w = if i == 2 {
                            inner.width - third * 2
                        } else {
                            third
                        };
                        let lw = (super::text::width(label) as u16).min(w);
                        frame.render_widget(
                            Paragraph::new(Span::styled(label.clone(), cx.theme.muted)),
                            Rect::new(x, y, lw, 1),
                        );
                        let sw = w.saturating_sub(lw + 1);
                        if sw > 0 {
                            let n = usize::from(sw);
                            let tail = &data[data.len().saturating_sub(n)..];
                            frame.render_widget(
                                Sparkline::default().data(tail).style(cx.theme.bar),
                                Rect::new(x + lw, y, sw, 1),
                            );
                        }
                    }
                    y += 1;
                }
                // horizon line
                let mut h: Vec<Span> = Vec::new();
                if let Some((pid, s)) = v.longest_xact {
                    h.push(Span::raw(format!(
                        "longest xact pid {pid} {}  ",
                        duration(s)
                    )));
                }
                if let Some(x) = &v.oldest_xmin {
                    h.push(Span::raw(format!(
                        "xmin held by {} {} (age {})  ",
                        x.kind, x.name, x.age
                    )));
                }
                if let Some((db, a)) = &v.oldest_frozen {
                    let pct = *a as f64 * 100.0 / WRAPAROUND_LIMIT as f64;
                    h.push(Span::styled(
                        format!("frozenxid {db} {a} ({pct:.1}% of wraparound)  "),
                        if pct > 50.0 {
                            cx.theme.error
                        } else if pct > 10.0 {
                            cx.theme.warning
                        } else {
                            cx.theme.base
                        },
                    ));
                }
                if let Some(r) = self.history.latest() {
                    h.push(Span::styled(
                        format!(
                            "deadlocks +{}  temp +{} files {}",
                            r.deadlocks,
                            r.temp_files,
                            bytes(r.temp_bytes)
                        ),
                        if r.deadlocks > 0 {
                            cx.theme.error
                        } else {
                            cx.theme.muted
                        },
                    ));
                }
                line(frame, Line::from(h), &mut y);
                // replication, slots, progress
                let mut r: Vec<Span> = Vec::new();
                for s in &v.standbys {
                    r.push(Span::raw(format!(
                        "standby {} {} lag w {} f {} r {}  ",
                        s.name,
                        s.state.as_deref().unwrap_or("?"),
                        age(s.write_lag_s),
                        age(s.flush_lag_s),
                        age(s.replay_lag_s)
                    )));
                }
                if let Some(l) = &v.standby_lag {
                    r.push(Span::raw(format!(
                        "standby: receive-replay {}  replay lag {}  ",
                        l.receive_replay_bytes.map(bytes).unwrap_or_default(),
                        age(l.replay_lag_s)
                    )));
                }
                for s in &v.slots {
                    r.push(Span::styled(
                        format!(
                            "slot {} {}{}  ",
                            s.name,
                            s.retained_bytes.map(bytes).unwrap_or_default(),
                            if s.active { "" } else { " inactive" }
                        ),
                        if s.active {
                            cx.theme.base
                        } else {
                            cx.theme.warning
                        },
                    ));
                }
                for p in &v.progress {
                    r.push(Span::raw(format!(
                        "{} {} {} ",
                        p.command,
                        p.relation.as_deref().unwrap_or(""),
                        p.phase.as_deref().unwrap_or("")
                    )));
                    match p.fraction() {
                        Some(f) => {
                            r.push(Span::styled(text_bar(f, 10), cx.theme.bar));
                            r.push(Span::raw(format!(" {:.0}%  ", f * 100.0)));
                        }
                        None => r.push(Span::raw("  ")),
                    }
                }
                if r.is_empty() {
                    r.push(Span::styled(
                        "no standbys, no slots, no VACUUM/ANALYZE/CREATE INDEX/CLUSTER/COPY/base backup running",
                        cx.theme.muted,
                    ));
                }
                line(frame, Line::from(r), &mut y);
            }
        }
        let body = Rect::new(inner.x, y, inner.width, bottom.saturating_sub(y));
        if body.height == 0 {
            return;
        }
        if self.snapshot.is_none() && self.view != ActivityView::Statements {
            frame.render_widget(
                Paragraph::new(Line::styled("loading…", cx.theme.muted)),
                body,
            );
            return;
        }
        if self.details {
            self.render_details(frame, body, cx);
            return;
        }
        match self.view {
            ActivityView::Sessions => self.render_sessions(frame, body, cx),
            ActivityView::Locks => self.render_locks(frame, body, cx),
            ActivityView::Statements => self.render_statements(frame, body, cx),
        }
    }
}

/// The first visible row so that `selected` is on screen.
fn window(selected: usize, len: usize, page: usize) -> usize {
    if len <= page {
        0
    } else {
        selected
            .saturating_sub(page.saturating_sub(1))
            .min(len - page)
    }
}

impl ActivityPane {
    fn state_style(s: &Session, cx: &RenderCx) -> Style {
        match s.state.as_deref() {
            _ if s.is_waiting() => cx.theme.state_waiting,
            Some("active") => cx.theme.state_active,
            Some(st) if st.ends_with("(aborted)") => cx.theme.error,
            Some(st) if st.starts_with("idle in transaction") => cx.theme.state_idle_in_tx,
            _ => cx.theme.state_idle,
        }
    }

    fn render_sessions(&mut self, frame: &mut Frame, area: Rect, cx: &RenderCx) {
        // Columns by importance: on narrow windows the least useful go first; the query takes the rest.
        const COLS: [(&str, u16, u8, Option<SortKey>); 11] = [
            ("pid", 8, 0, Some(SortKey::Pid)),
            ("user", 10, 5, Some(SortKey::User)),
            ("database", 10, 7, Some(SortKey::Database)),
            ("application", 14, 3, Some(SortKey::Application)),
            ("state", 19, 0, Some(SortKey::State)),
            ("wait", 16, 4, Some(SortKey::Wait)),
            ("xact age", 10, 1, Some(SortKey::XactAge)),
            ("query age", 10, 2, Some(SortKey::QueryAge)),
            ("state age", 10, 6, Some(SortKey::StateAge)),
            ("blocked by", 10, 1, Some(SortKey::BlockedBy)),
            ("client", 15, 8, None),
        ];
        const MIN_QUERY: u16 = 20;
        let used = |shown: &[usize]| -> u16 { shown.iter().map(|&i| COLS[i].1 + 1).sum() };
        let mut shown: Vec<usize> = (0..COLS.len()).collect();
        while used(&shown) + MIN_QUERY > area.width {
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
        let query_w = usize::from(area.width.saturating_sub(used(&shown)).max(10));
        let arrow = if self.descending { "↓" } else { "↑" };
        let header = Row::new(
            shown
                .iter()
                .map(|&i| {
                    if COLS[i].3 == Some(self.sort) {
                        Cell::from(format!("{}{arrow}", COLS[i].0))
                    } else {
                        Cell::from(COLS[i].0)
                    }
                })
                .chain(std::iter::once(Cell::from(
                    if self.sort == SortKey::Query {
                        format!("query{arrow}")
                    } else {
                        "query".to_string()
                    },
                )))
                .collect::<Vec<_>>(),
        )
        .style(cx.theme.header);
        self.page = usize::from(area.height.saturating_sub(1)).max(1);
        let sessions = self
            .snapshot
            .as_ref()
            .map(|s| s.sessions.as_slice())
            .unwrap_or(&[]);
        if self.rows.is_empty() {
            let what = if self.filter.is_empty() {
                "no sessions visible".to_string()
            } else {
                format!("no session matches the filter ({} hidden)", sessions.len())
            };
            frame.render_widget(
                Table::new(Vec::<Row>::new(), [Constraint::Min(1)]).header(header),
                area,
            );
            if area.height > 1 {
                frame.render_widget(
                    Paragraph::new(Line::styled(what, cx.theme.muted)),
                    Rect::new(area.x, area.y + 1, area.width, 1),
                );
            }
            return;
        }
        let offset = window(self.selected, self.rows.len(), self.page);
        let end = (offset + self.page).min(self.rows.len());
        let rows = self.rows[offset..end].iter().map(|r| {
            let s = &sessions[r.index];
            let state = s.state.clone().unwrap_or_else(|| s.backend_type.clone());
            let state_style = Self::state_style(s, cx);
            let cell = |i: usize| -> Cell {
                let w = usize::from(COLS[i].1);
                let text = match i {
                    0 => {
                        let mark = if s.own { "*" } else { "" };
                        if r.worker {
                            format!("└{}{mark}", s.pid)
                        } else {
                            format!("{}{mark}", s.pid)
                        }
                    }
                    1 => visible(s.user.as_deref().unwrap_or("")).into_owned(),
                    2 => visible(s.database.as_deref().unwrap_or("")).into_owned(),
                    3 => visible(&s.application).into_owned(),
                    4 => {
                        return Cell::from(Span::styled(
                            truncate(&state, w).into_owned(),
                            state_style,
                        ));
                    }
                    5 => s.wait_label(),
                    6 => age(s.xact_age_s),
                    7 => age(s.query_age_s),
                    8 => age(s.state_age_s),
                    9 => s
                        .blocked_by
                        .iter()
                        .map(i32::to_string)
                        .collect::<Vec<_>>()
                        .join(","),
                    _ => visible(s.client.as_deref().unwrap_or("")).into_owned(),
                };
                Cell::from(truncate(&text, w).into_owned())
            };
            let query = one_line_sql(&s.query);
            let qcell = if s.hidden() {
                Cell::from(Span::styled(query, cx.theme.muted))
            } else {
                Cell::from(truncate(&query, query_w).into_owned())
            };
            let row = Row::new(
                shown
                    .iter()
                    .map(|&i| cell(i))
                    .chain(std::iter::once(qcell))
                    .collect::<Vec<_>>(),
            );
            if s.own {
                row.style(cx.theme.muted)
            } else {
                row
            }
        });
        let widths: Vec<Constraint> = shown
            .iter()
            .map(|&i| Constraint::Length(COLS[i].1))
            .chain(std::iter::once(Constraint::Min(10)))
            .collect();
        let mut state = TableState::default();
        state.select(Some(self.selected - offset));
        let table = Table::new(rows, widths)
            .header(header)
            .row_highlight_style(if cx.focused {
                cx.theme.selection
            } else {
                cx.theme.base
            });
        frame.render_stateful_widget(table, area, &mut state);
    }

    fn render_locks(&mut self, frame: &mut Frame, area: Rect, cx: &RenderCx) {
        self.page = usize::from(area.height).max(1);
        let flat = flatten(&self.forest);
        if flat.is_empty() {
            frame.render_widget(
                Paragraph::new(Line::styled(
                    "no session waits on a lock held by another",
                    cx.theme.muted,
                )),
                area,
            );
            return;
        }
        let offset = window(self.selected, flat.len(), self.page);
        let mut lines = Vec::new();
        for (i, (depth, n)) in flat.iter().enumerate().skip(offset).take(self.page) {
            let mut spans = vec![Span::raw(if *depth == 0 {
                String::new()
            } else {
                format!("{}└─ ", "   ".repeat(depth - 1))
            })];
            if n.prepared {
                spans.push(Span::styled(
                    "prepared transaction (pid 0)",
                    cx.theme.state_idle_in_tx,
                ));
            } else {
                spans.push(Span::styled(format!("pid {}", n.pid), cx.theme.header));
                spans.push(Span::raw(format!(" {} ", n.user.as_deref().unwrap_or(""))));
                let st = n.state.as_deref().unwrap_or("?");
                let style = if n.mode.is_some() {
                    cx.theme.state_waiting
                } else if st.starts_with("idle in transaction") {
                    cx.theme.state_idle_in_tx
                } else {
                    cx.theme.state_active
                };
                spans.push(Span::styled(st.to_string(), style));
            }
            if let Some(m) = &n.mode {
                spans.push(Span::styled(
                    format!(
                        " waits {m}{} {}",
                        match (&n.relation, &n.locktype) {
                            (Some(r), _) => format!(" on {r}"),
                            (None, Some(t)) => format!(" ({t})"),
                            _ => String::new(),
                        },
                        age(n.wait_s)
                    ),
                    cx.theme.state_waiting,
                ));
            } else if let Some(x) = n.xact_age_s {
                spans.push(Span::raw(format!(" xact {}", duration(x))));
            }
            if n.blocks_n > 0 {
                spans.push(Span::styled(
                    format!(" blocks {}", n.blocks_n),
                    cx.theme.error,
                ));
            }
            if n.repeated && n.blocks_n > 0 {
                spans.push(Span::styled(" (chain shown above)", cx.theme.muted));
            }
            if let Some(q) = &n.query {
                spans.push(Span::styled(
                    format!("  {}", one_line_sql(q)),
                    cx.theme.muted,
                ));
            }
            let mut l = Line::from(spans);
            if i == self.selected && cx.focused {
                l = l.style(cx.theme.selection);
            }
            lines.push(l);
        }
        frame.render_widget(Paragraph::new(lines), area);
    }

    fn render_statements(&mut self, frame: &mut Frame, area: Rect, cx: &RenderCx) {
        self.page = usize::from(area.height.saturating_sub(1)).max(1);
        let list = match &self.statements {
            None => {
                frame.render_widget(
                    Paragraph::new(Line::styled("loading…", cx.theme.muted)),
                    area,
                );
                return;
            }
            Some(None) => {
                frame.render_widget(
                    Paragraph::new(vec![
                        Line::raw("pg_stat_statements is not installed in this database."),
                        Line::styled(
                            "It needs shared_preload_libraries = 'pg_stat_statements' and CREATE EXTENSION pg_stat_statements.",
                            cx.theme.muted,
                        ),
                    ])
                    .wrap(Wrap { trim: true }),
                    area,
                );
                return;
            }
            Some(Some(l)) => l,
        };
        let head = |name: &str, o: StatementOrder| {
            if o == self.stmt_order {
                Cell::from(format!("{name}↓"))
            } else {
                Cell::from(name.to_string())
            }
        };
        let header = Row::new(vec![
            head("calls", StatementOrder::Calls),
            head("total", StatementOrder::TotalTime),
            head("mean", StatementOrder::MeanTime),
            head("rows", StatementOrder::Rows),
            head("hit %", StatementOrder::HitRatio),
            head("temp blk", StatementOrder::TempBlocks),
            Cell::from("query"),
        ])
        .style(cx.theme.header);
        let offset = window(self.stmt_selected, list.len(), self.page);
        let qw = usize::from(area.width.saturating_sub(62).max(10));
        let rows = list.iter().skip(offset).take(self.page).map(|s| {
            Row::new(vec![
                Cell::from(s.calls.to_string()),
                Cell::from(duration(s.total_ms / 1000.0)),
                Cell::from(duration(s.mean_ms / 1000.0)),
                Cell::from(s.rows.to_string()),
                Cell::from(
                    s.hit_ratio
                        .map(|h| format!("{:.1}", h * 100.0))
                        .unwrap_or_default(),
                ),
                Cell::from(s.temp_blks.to_string()),
                Cell::from(truncate(&one_line_sql(&s.query), qw).into_owned()),
            ])
        });
        let widths = [
            Constraint::Length(9),
            Constraint::Length(11),
            Constraint::Length(11),
            Constraint::Length(9),
            Constraint::Length(6),
            Constraint::Length(9),
            Constraint::Min(10),
        ];
        let mut state = TableState::default();
        if !list.is_empty() {
            state.select(Some(self.stmt_selected - offset));
        }
        frame.render_stateful_widget(
            Table::new(rows, widths)
                .header(header)
                .row_highlight_style(if cx.focused {
                    cx.theme.selection
                } else {
                    cx.theme.base
                }),
            area,
            &mut state,
        );
    }

    fn render_details(&mut self, frame: &mut Frame, area: Rect, cx: &RenderCx) {
        let Some(s) = self.selected_session().cloned() else {
            self.details = false;
            return;
        };
        let field = |k: &str, v: String| {
            Line::from(vec![
                Span::styled(format!("{k:<16}"), cx.theme.header),
                Span::raw(visible(&v).into_owned()),
            ])
        };
        let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        let blocks = blocks_count(&self.forest, s.pid);
        let mut lines = vec![
            field(
                "pid",
                format!(
                    "{}{}{}",
                    s.pid,
                    if s.own {
                        "  (pgdeck's own connection)"
                    } else {
                        ""
                    },
                    s.leader_pid
                        .filter(|l| *l != s.pid)
                        .map(|l| format!("  parallel worker of {l}"))
                        .unwrap_or_default()
                ),
            ),
            field("user", opt(&s.user)),
            field("database", opt(&s.database)),
            field("application", s.application.clone()),
            field("client", opt(&s.client)),
            field("backend type", s.backend_type.clone()),
            field("state", opt(&s.state)),
            field("wait", s.wait_label()),
            field("xact age", age(s.xact_age_s)),
            field("query age", age(s.query_age_s)),
            field("state age", age(s.state_age_s)),
            field(
                "blocked by",
                s.blocked_by
                    .iter()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            field("blocks", blocks.to_string()),
        ];
        if let Some(l) = &s.lock {
            lines.push(field(
                "waits for",
                format!(
                    "{} {} on {} for {}",
                    l.mode,
                    l.locktype,
                    l.relation.as_deref().unwrap_or("-"),
                    age(l.wait_s)
                ),
            ));
        }
        if let Some(q) = s.query_id {
            lines.push(field("query id", q.to_string()));
        }
        lines.push(Line::raw(""));
        let spans = super::highlight::classify(&s.query);
        for (i, text) in s.query.split('\n').enumerate() {
            let mut out = Vec::new();
            let mut at = 0;
            for (range, class) in spans.get(i).map(Vec::as_slice).unwrap_or(&[]) {
                if range.start > at && range.start <= text.len() {
                    out.push(Span::raw(visible(&text[at..range.start]).into_owned()));
                }
                if range.end <= text.len() && range.start < range.end {
                    out.push(Span::styled(
                        visible(&text[range.start..range.end]).into_owned(),
                        class.style(cx.theme),
                    ));
                    at = range.end;
                }
            }
            if at < text.len() {
                out.push(Span::raw(visible(&text[at..]).into_owned()));
            }
            lines.push(Line::from(out));
        }
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .style(cx.theme.base),
            area,
        );
    }
}
