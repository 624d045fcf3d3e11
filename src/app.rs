//! The app: panes, focus, the modal, the status bar, and the routing from keys to actions to panes.
//! It never awaits the database: actions send requests and replies arrive later as events.

use std::time::Duration;

use crossterm::event::{KeyEvent, KeyEventKind};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::action::Action;
use crate::db::{DbError, Reply, Request, RequestId, Requests, WorkerEvent};
use crate::event::Event;
use crate::keymap::{KeyChord, Keymap, Section};
use crate::model::txn::TxStatus;
use crate::theme::Theme;
use crate::ui::activity::ActivityPane;
use crate::ui::confirm::{Confirm, OnConfirm};
use crate::ui::editor::{EditorPane, Picked};
use crate::ui::grid::ResultsPane;
use crate::ui::health::HealthPane;
use crate::ui::layout::{self, MIN_HEIGHT, MIN_WIDTH};
use crate::ui::plan::PlanPane;
use crate::ui::schema::SchemaPane;
use crate::ui::status::{Level, StatusLine};
use crate::ui::{Handled, Pane, PaneId, RenderCx, View, help};

/// A dialog over the panes; while one is open, keys go to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Modal {
    Help { scroll: usize },
    Confirm(Confirm),
}

/// What the app needs to start.
pub struct AppOptions {
    pub keymap: Keymap,
    pub theme: Theme,
    pub requests: Requests,
    pub status: StatusLine,
    pub editor_text: String,
    pub tab_width: u8,
    pub activity_interval: Duration,
    /// Ask before quitting with a running statement or an open transaction.
    pub confirm_quit: bool,
}

/// The whole UI state.
pub struct App {
    pub keymap: Keymap,
    pub theme: Theme,
    requests: Requests,
    pub focus: PaneId,
    pub view: View,
    pub schema: SchemaPane,
    pub editor: EditorPane,
    pub results: ResultsPane,
    pub plan: PlanPane,
    pub activity: ActivityPane,
    pub health: HealthPane,
    pub status: StatusLine,
    pub modal: Option<Modal>,
    pub quit: bool,
    tick: u64,
    /// The run started from the editor (its error positions map back into the buffer).
    editor_run: Option<RequestId>,
    confirm_quit: bool,
}

impl App {
    /// Build the app; call [`App::start`] to send the first requests.
    pub fn new(opts: AppOptions) -> App {
        let mut editor = EditorPane::new(&opts.editor_text);
        editor.set_tab_width(opts.tab_width);
        App {
            keymap: opts.keymap,
            theme: opts.theme,
            requests: opts.requests,
            focus: PaneId::Editor,
            view: View::Query,
            schema: SchemaPane::default(),
            editor,
            results: ResultsPane::default(),
            plan: PlanPane,
            activity: ActivityPane::new(opts.activity_interval),
            health: HealthPane,
            status: opts.status,
            modal: None,
            quit: false,
            tick: 0,
            editor_run: None,
            confirm_quit: opts.confirm_quit,
        }
    }

    /// Send the requests the first frame needs (the schema tree).
    pub fn start(&mut self) {
        self.schema.load(&self.requests);
    }

    /// Whether anything is waiting for the server (the loop animates spinners then).
    pub fn busy(&self) -> bool {
        self.results.running() || self.status.busy
    }

    /// React to one event.
    pub fn on_event(&mut self, event: Event) {
        match event {
            Event::Terminal(crossterm::event::Event::Key(k)) => self.on_key(k),
            Event::Terminal(crossterm::event::Event::Paste(text)) => {
                if self.pane(self.focus).text_entry() {
                    for c in text.chars() {
                        let code = if c == '\n' {
                            crossterm::event::KeyCode::Enter
                        } else {
                            crossterm::event::KeyCode::Char(c)
                        };
                        let key = KeyEvent::new(code, crossterm::event::KeyModifiers::NONE);
                        self.pane_mut(self.focus).input(key);
                    }
                }
            }
            Event::Terminal(_) => {}
            Event::Tick => self.on_tick(),
            Event::Worker(w) => self.on_worker(w),
            Event::Hangup => self.quit = true,
        }
    }

    fn pane(&self, id: PaneId) -> &dyn Pane {
        match id {
            PaneId::Schema => &self.schema,
            PaneId::Editor => &self.editor,
            PaneId::Results => &self.results,
            PaneId::Plan => &self.plan,
            PaneId::Activity => &self.activity,
            PaneId::Health => &self.health,
        }
    }

    fn pane_mut(&mut self, id: PaneId) -> &mut dyn Pane {
        match id {
            PaneId::Schema => &mut self.schema,
            PaneId::Editor => &mut self.editor,
            PaneId::Results => &mut self.results,
            PaneId::Plan => &mut self.plan,
            PaneId::Activity => &mut self.activity,
            PaneId::Health => &mut self.health,
        }
    }

    /// Resolve a key to an action in the documented order: modal; the focused pane's section; `[list]`
    /// for list panes (not while typing into them); `[global]`; then the pane's text field when it takes
    /// text, else `[navigation]`. A filter being typed takes keys right after `[global]`.
    pub fn on_key(&mut self, key: KeyEvent) {
        if key.kind == KeyEventKind::Release {
            return;
        }
        let chord = KeyChord::from_event(&key);
        if let Some(modal) = self.modal.clone() {
            self.on_modal_key(modal, &chord);
            return;
        }
        if self.pane(self.focus).input_first() {
            // Global keys (quit, help, focus) still work while typing a filter.
            if let Some(a) = self.keymap.lookup(Section::Global, &chord) {
                self.dispatch(a);
                return;
            }
            if self.pane_mut(self.focus).input(key) {
                return;
            }
        }
        let pane = self.pane(self.focus);
        let text_entry = pane.text_entry();
        let is_list = pane.is_list();
        let section = self.focus.section();
        let action = self
            .keymap
            .lookup(section, &chord)
            .or_else(|| {
                (is_list && !text_entry)
                    .then(|| self.keymap.lookup(Section::List, &chord))
                    .flatten()
            })
            .or_else(|| self.keymap.lookup(Section::Global, &chord));
        if let Some(a) = action {
            self.dispatch(a);
        } else if text_entry {
            self.pane_mut(self.focus).input(key);
        } else if let Some(a) = self.keymap.lookup(Section::Navigation, &chord) {
            self.dispatch(a);
        }
    }

    fn on_modal_key(&mut self, modal: Modal, chord: &KeyChord) {
        let action = self
            .keymap
            .lookup(Section::Modal, chord)
            .or_else(|| self.keymap.lookup(Section::Global, chord));
        match (modal, action) {
            (Modal::Help { scroll }, Some(Action::Up)) => {
                self.modal = Some(Modal::Help {
                    scroll: scroll.saturating_sub(1),
                })
            }
            (Modal::Help { scroll }, Some(Action::Down)) => {
                self.modal = Some(Modal::Help { scroll: scroll + 1 })
            }
            (Modal::Help { .. }, Some(Action::Dismiss | Action::Help | Action::Back)) => {
                self.modal = None
            }
            (Modal::Help { .. }, Some(Action::Quit)) => {
                self.modal = None;
                self.dispatch(Action::Quit);
            }
            (Modal::Confirm(c), Some(Action::Confirm)) => {
                self.modal = None;
                match c.on_confirm {
                    OnConfirm::Quit => self.quit = true,
                }
            }
            (Modal::Confirm(_), Some(Action::Dismiss)) => self.modal = None,
            _ => {}
        }
    }

    /// Carry out an action: app-level ones here, the rest by the focused pane.
    pub fn dispatch(&mut self, action: Action) {
        if let Some(p) = PaneId::from_focus_action(action) {
            self.focus_pane(p);
            return;
        }
        match action {
            Action::Quit => self.request_quit(),
            Action::Help => self.modal = Some(Modal::Help { scroll: 0 }),
            Action::NextPane | Action::PrevPane => {
                let order = PaneId::ORDER;
                let i = order.iter().position(|p| *p == self.focus).unwrap_or(0);
                let n = order.len();
                let next = if action == Action::NextPane {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                self.focus_pane(order[next]);
            }
            Action::RunStatement => self.run_from_editor(),
            Action::CancelStatement => self.cancel_run(),
            other => {
                let focus = self.focus;
                let requests = self.requests.clone();
                let handled = self.pane_mut(focus).update(other, &requests);
                if handled == Handled::Yes
                    && focus == PaneId::Schema
                    && let Some(sql) = self.schema.take_preview()
                {
                    self.run(sql, None);
                }
            }
        }
    }

    fn focus_pane(&mut self, p: PaneId) {
        self.focus = p;
        if p != PaneId::Schema {
            self.view = p.view();
        }
        if p == PaneId::Activity {
            self.activity.tick(&self.requests);
        }
    }

    fn request_quit(&mut self) {
        let running = self.results.running();
        let open_tx = self.status.tx != TxStatus::Idle;
        if self.confirm_quit && (running || open_tx) {
            let mut body = Vec::new();
            if running {
                body.push("A statement is still running; quitting cancels it.".to_string());
            }
            if open_tx {
                body.push(format!(
                    "The session is {}: quitting rolls the transaction back.",
                    self.status.tx.label()
                ));
            }
            body.push("Quit pgdeck?".to_string());
            self.modal = Some(Modal::Confirm(Confirm {
                title: "Quit".into(),
                body,
                on_confirm: OnConfirm::Quit,
            }));
        } else {
            self.quit = true;
        }
    }

    fn run_from_editor(&mut self) {
        match self.editor.pick_statement() {
            Some(picked) => {
                let sql = picked.sql.clone();
                self.run(sql, Some(picked));
            }
            None => {
                self.status.message =
                    Some((Level::Info, "nothing to run: the editor is empty".into()))
            }
        }
    }

    fn run(&mut self, sql: String, from_editor: Option<Picked>) {
        if self.results.running() {
            let hint = self
                .keymap
                .keys_for(Section::Editor, Action::CancelStatement)
                .first()
                .map(|k| format!(" ({k} cancels it)"))
                .unwrap_or_default();
            self.status.message = Some((
                Level::Warning,
                format!("a statement is already running{hint}"),
            ));
            return;
        }
        let id = self.requests.send(Request::Run { sql });
        self.results.begin_run(id);
        self.editor_run = from_editor.is_some().then_some(id);
        if let Some(p) = from_editor {
            self.editor.ran(p);
        }
        self.status.busy = true;
        self.status.message = None;
    }

    fn cancel_run(&mut self) {
        if self.results.running() {
            self.requests.send(Request::CancelRun);
            self.status.message = Some((Level::Info, "cancel requested…".into()));
        } else if self.focus != PaneId::Editor {
            self.status.message = Some((Level::Info, "nothing is running".into()));
        }
    }

    fn on_tick(&mut self) {
        self.tick = self.tick.wrapping_add(1);
        if self.view == View::Activity {
            self.activity.tick(&self.requests);
        }
    }

    fn on_worker(&mut self, event: WorkerEvent) {
        match event {
            WorkerEvent::Connection {
                message, connected, ..
            } => {
                self.status.connected = connected;
                let level = if connected {
                    Level::Warning
                } else {
                    Level::Error
                };
                self.status.message = Some((level, message));
            }
            WorkerEvent::Response(resp) => {
                if self.results.waits_for(resp.id) {
                    if let Ok(Reply::RunFinished(o)) = &resp.reply {
                        self.status.busy = false;
                        self.status.tx = o.tx;
                        self.status.last_run = Some((o.elapsed.as_secs_f64(), o.rows));
                        self.status.message = match &o.error {
                            Some(e) => Some((Level::Error, short_error(e))),
                            None if o.capped => Some((
                                Level::Warning,
                                format!("stopped at the row cap of {} rows", o.rows),
                            )),
                            None => None,
                        };
                        if let Some(pos) = o
                            .error
                            .as_ref()
                            .and_then(|e| e.server())
                            .and_then(|s| s.position)
                            && self.editor_run == Some(resp.id)
                        {
                            self.editor.place_error(pos, o.text_offset);
                        }
                        if let Some(DbError::ConnectionLost(_)) = &o.error {
                            self.status.connected = false;
                        }
                    } else if let Err(e) = &resp.reply {
                        self.status.busy = false;
                        self.status.message = Some((Level::Error, short_error(e)));
                    }
                    self.results.on_reply(resp);
                } else if self.schema.waits_for(resp.id) {
                    self.schema.on_reply(resp);
                } else if self.activity.waits_for(resp.id) {
                    self.activity.on_reply(resp);
                } else if let Err(e) = resp.reply {
                    // replies nobody waits for: a cancel that found nothing, or a stale refresh
                    self.status.message = Some((Level::Info, e.to_string()));
                } else if let Ok(Reply::CancelSent) = resp.reply {
                    self.status.message = Some((Level::Info, "cancel request sent".into()));
                }
            }
        }
    }

    /// Draw the whole screen.
    pub fn render(&mut self, frame: &mut Frame) {
        let area = frame.area();
        let Some(l) = layout::shell(area) else {
            let msg = format!(
                "window too small: {}×{} (pgdeck needs at least {MIN_WIDTH}×{MIN_HEIGHT})",
                area.width, area.height
            );
            frame.render_widget(
                Paragraph::new(msg)
                    .wrap(ratatui::widgets::Wrap { trim: true })
                    .style(self.theme.warning),
                area,
            );
            return;
        };
        let tick = self.tick;
        let cx = |focused: bool| RenderCx {
            theme: &self.theme,
            keymap: &self.keymap,
            focused,
            tick,
        };
        let focus = self.focus;
        self.schema
            .render(frame, l.sidebar, &cx(focus == PaneId::Schema));
        render_tabs(frame, l.tabs, self.view, &cx(false));
        match self.view {
            View::Query => {
                let (ed, res) = layout::query_split(l.main);
                self.editor.render(frame, ed, &cx(focus == PaneId::Editor));
                self.results
                    .render(frame, res, &cx(focus == PaneId::Results));
            }
            View::Plan => self.plan.render(frame, l.main, &cx(focus == PaneId::Plan)),
            View::Activity => self
                .activity
                .render(frame, l.main, &cx(focus == PaneId::Activity)),
            View::Health => self
                .health
                .render(frame, l.main, &cx(focus == PaneId::Health)),
        }
        self.status.render(frame, l.status, &cx(false));
        match &mut self.modal {
            Some(Modal::Help { scroll }) => {
                let mut s = *scroll;
                let cx = RenderCx {
                    theme: &self.theme,
                    keymap: &self.keymap,
                    focused: true,
                    tick,
                };
                help::render(frame, area, &cx, &mut s);
                *scroll = s;
            }
            Some(Modal::Confirm(c)) => {
                let cx = RenderCx {
                    theme: &self.theme,
                    keymap: &self.keymap,
                    focused: true,
                    tick,
                };
                c.render(frame, area, &cx);
            }
            None => {}
        }
    }
}

/// The tab line over the main area: one tab per view with the key that focuses it.
fn render_tabs(frame: &mut Frame, area: Rect, current: View, cx: &RenderCx) {
    let mut spans = Vec::new();
    for v in View::ALL {
        let key = cx
            .keymap
            .keys_for(Section::Global, v.main_pane().focus_action())
            .first()
            .map(|k| format!("{k} "))
            .unwrap_or_default();
        let style = if v == current {
            cx.theme.title_focused
        } else {
            cx.theme.muted
        };
        spans.push(Span::styled(format!(" {key}"), cx.theme.status_key));
        spans.push(Span::styled(format!("{} ", v.title()), style));
        spans.push(Span::raw(" "));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(cx.theme.base), area);
}

/// One line for the status bar.
fn short_error(e: &DbError) -> String {
    match e.server() {
        Some(s) => format!("{}: {}", s.severity, s.message),
        None => e.to_string(),
    }
}
