//! The app: panes, focus, the modal, the status bar, and the routing from keys to actions to panes.
//! It never awaits the database: actions send requests and replies arrive later as events.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crossterm::event::{KeyEvent, KeyEventKind};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::action::Action;
use crate::db::{DbError, Reply, Request, RequestId, Requests, WorkerEvent};
use crate::event::Event;
use crate::keymap::{KeyChord, Keymap, Section};
use crate::model::txn::{TxMode, TxStatus};
use crate::state::{
    autosave,
    history::{self as hist, HistoryEntry},
};
use crate::theme::Theme;
use crate::ui::activity::ActivityPane;
use crate::ui::confirm::{Confirm, OnConfirm};
use crate::ui::editor::{EditorPane, Picked};
use crate::ui::grid::ResultsPane;
use crate::ui::health::HealthPane;
use crate::ui::history::{HistoryKey, HistorySearch};
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
    History(HistorySearch),
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
    /// Where buffers are autosaved and the history is kept; `None` keeps nothing (tests).
    pub state_dir: Option<PathBuf>,
    /// The database connected to, recorded in the history.
    pub database: String,
    /// Ask before UPDATE/DELETE without WHERE, DROP, TRUNCATE and ALTER.
    pub safe_mode: bool,
}

/// How often changed buffers are saved: a crash loses at most this much typing.
const AUTOSAVE_EVERY: Duration = Duration::from_secs(2);

/// A run started from the editor: what to record in the history when it ends.
struct EditorRun {
    id: RequestId,
    sql: String,
    started_at: u64,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
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
    editor_run: Option<EditorRun>,
    /// Which connections the worker last reported lost: the status bar says "disconnected" while
    /// either is.
    lost: (bool, bool),
    /// When the user first asked to cancel the running statement.
    cancel_asked: Option<std::time::Instant>,
    confirm_quit: bool,
    state_dir: Option<PathBuf>,
    database: String,
    history: Vec<HistoryEntry>,
    last_autosave: Instant,
    /// Text to put on the clipboard; the terminal loop sends it (OSC 52).
    clipboard: Option<String>,
    /// Names for completion, once loaded.
    completion_names: Option<std::sync::Arc<crate::model::completion::CatalogNames>>,
    completion_req: Option<RequestId>,
    safe_mode: bool,
    /// A run waiting for the user's confirmation (safe mode).
    pending_run: Option<(String, Option<Picked>)>,
    /// A database switch waiting for the user's confirmation (a statement runs or a transaction
    /// is open).
    pending_switch: Option<String>,
    /// The database switch in flight: its request and the database asked for.
    switch_req: Option<(RequestId, String)>,
}

impl App {
    /// Build the app; call [`App::start`] to send the first requests.
    pub fn new(opts: AppOptions) -> App {
        let mut startup_note = None;
        let restored = match opts.state_dir.as_deref().map(autosave::load) {
            Some(Ok(Some((buffers, current)))) => {
                Some(EditorPane::restore(buffers, current, opts.tab_width))
            }
            Some(Err(e)) => {
                startup_note = Some(format!("editor buffers not restored: {e:#}"));
                None
            }
            _ => None,
        };
        let mut editor = restored.unwrap_or_else(|| EditorPane::new(&opts.editor_text));
        editor.set_tab_width(opts.tab_width);
        let history = opts
            .state_dir
            .as_deref()
            .map(hist::load)
            .unwrap_or_default();
        let mut status = opts.status;
        if status.tx_mode != TxMode::default() {
            opts.requests.send(Request::SetTxMode(status.tx_mode));
        }
        if let Some(n) = startup_note {
            status.message = Some((Level::Warning, n));
        }
        App {
            keymap: opts.keymap,
            theme: opts.theme,
            requests: opts.requests,
            focus: PaneId::Editor,
            view: View::Query,
            schema: SchemaPane::default(),
            editor,
            results: ResultsPane::default(),
            plan: PlanPane::default(),
            activity: ActivityPane::new(opts.activity_interval),
            health: HealthPane::default(),
            status,
            modal: None,
            quit: false,
            tick: 0,
            editor_run: None,
            lost: (false, false),
            cancel_asked: None,
            confirm_quit: opts.confirm_quit,
            state_dir: opts.state_dir,
            database: opts.database,
            history,
            last_autosave: Instant::now(),
            clipboard: None,
            completion_names: None,
            completion_req: None,
            safe_mode: opts.safe_mode,
            pending_run: None,
            pending_switch: None,
            switch_req: None,
        }
    }

    /// Send the requests the first frame needs (the schema tree).
    pub fn start(&mut self) {
        self.schema.load(&self.requests);
        self.completion_req = Some(self.requests.send(Request::LoadCompletion));
    }

    /// The `[health]` thresholds of config.toml, for the health pane and the table detail's
    /// findings.
    pub fn set_health_config(&mut self, config: crate::model::health::HealthConfig) {
        self.health = HealthPane::new(config);
    }

    /// Recompute completion for the text around the cursor. `forced` (ctrl-space) opens the popup
    /// even before anything is typed; otherwise it opens after a `.` or two word characters.
    fn update_completion(&mut self, forced: bool) {
        let Some(names) = self.completion_names.clone() else {
            if forced {
                self.status.message = Some((
                    Level::Info,
                    "completion: the catalog is still loading".into(),
                ));
            }
            return;
        };
        let (stmt, cursor) = self.editor.statement_at_cursor();
        let c = crate::model::completion::complete(&names, &stmt, cursor);
        let typed = stmt[..cursor]
            .chars()
            .rev()
            .take_while(|ch| ch.is_alphanumeric() || *ch == '_')
            .count();
        let after_dot = stmt[..cursor].ends_with('.');
        if forced || self.editor.completion_open() || typed >= 2 || after_dot {
            if typed == 0 && !after_dot && !forced {
                self.editor.close_completion();
            } else {
                self.editor.set_completion(c);
            }
        }
    }

    /// Save the editor buffers if they changed (every 2 s, and on exit).
    pub fn autosave(&mut self) {
        self.last_autosave = Instant::now();
        let Some(dir) = self.state_dir.clone() else {
            return;
        };
        if !self.editor.dirty() {
            return;
        }
        let (buffers, current) = self.editor.snapshot();
        match autosave::save(&dir, &buffers, current) {
            Ok(()) => self.editor.mark_saved(),
            Err(e) => self.status.message = Some((Level::Error, format!("autosave failed: {e:#}"))),
        }
    }

    /// Everything to do before the process leaves: save the buffers.
    pub fn shutdown(&mut self) {
        self.autosave();
    }

    fn record_history(&mut self, run: &EditorRun, o: &crate::db::RunOutcome) {
        let entry = HistoryEntry {
            at: run.started_at,
            sql: run.sql.clone(),
            duration_ms: o.elapsed.as_secs_f64() * 1000.0,
            rows: o.rows,
            database: self.database.clone(),
            ok: o.error.is_none(),
            sqlstate: o
                .error
                .as_ref()
                .and_then(|e| e.sqlstate())
                .map(str::to_string),
        };
        if let Some(dir) = &self.state_dir
            && let Err(e) = hist::append(dir, &entry)
        {
            self.status.message = Some((Level::Warning, format!("history not saved: {e}")));
        }
        let mut entry = entry;
        entry.sql = hist::mask_passwords(&entry.sql);
        self.history.push(entry);
    }

    /// Whether anything is waiting for the server (the loop animates spinners then).
    pub fn busy(&self) -> bool {
        self.results.running() || self.status.busy
    }

    /// Text waiting to be copied to the clipboard.
    pub fn take_clipboard(&mut self) -> Option<String> {
        self.clipboard.take()
    }

    /// Collect what panes asked of the app: clipboard text, status messages.
    fn collect_effects(&mut self) {
        let mut too_big = None;
        if let Some(t) = self.results.take_clipboard() {
            if t.len() > crate::clipboard::OSC52_MAX_BYTES {
                too_big = Some(t.len());
            }
            self.clipboard = Some(t);
        }
        if let Some(m) = self.results.take_message() {
            self.status.message = Some((Level::Info, m));
        }
        if let Some(t) = self.schema.take_clipboard() {
            self.clipboard = Some(t);
        }
        if let Some(m) = self.schema.take_message() {
            self.status.message = Some((Level::Info, m));
        }
        if let Some(sql) = self.schema.take_editor_text() {
            // a SELECT generated once the columns arrived
            self.editor.append_statement(&sql);
            self.status.message = Some((
                Level::Info,
                "in the editor; it runs only when you run it".into(),
            ));
        }
        if let Some(n) = too_big {
            self.status.message = Some((
                Level::Warning,
                format!(
                    "{:.1} MB is too much for the terminal clipboard (OSC 52 carries 1 MB); a local \
                     clipboard tool got it if there is one, else export the result with ctrl-s",
                    n as f64 / (1u64 << 20) as f64
                ),
            ));
        }
    }

    /// React to one event.
    pub fn on_event(&mut self, event: Event) {
        self.handle_event(event);
        self.collect_effects();
    }

    fn handle_event(&mut self, event: Event) {
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
        if let Some(Modal::History(h)) = self.modal.as_mut() {
            match h.key(key, &self.history) {
                HistoryKey::Stay => {}
                HistoryKey::Close => self.modal = None,
                HistoryKey::Accept(sql) => {
                    self.modal = None;
                    self.editor.append_statement(&sql);
                    self.focus_pane(PaneId::Editor);
                }
            }
            return;
        }
        let chord = KeyChord::from_event(&key);
        if let Some(modal) = self.modal.clone() {
            self.on_modal_key(modal, &chord);
            return;
        }
        if self.focus == PaneId::Editor
            && self.modal.is_none()
            && self.editor.completion_open()
            && self.editor.completion_key(key)
        {
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
            let changed = self.pane_mut(self.focus).input(key);
            if self.focus == PaneId::Editor {
                if changed {
                    self.update_completion(false);
                } else {
                    // cursor moves close the popup
                    self.editor.close_completion();
                }
            }
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
                    OnConfirm::CloseBuffer => self.editor.close_current(),
                    OnConfirm::RunPending => {
                        if let Some((sql, picked)) = self.pending_run.take() {
                            self.send_run(sql, picked);
                        }
                    }
                    OnConfirm::Activity => self.activity.confirmed(&self.requests),
                    OnConfirm::SwitchDatabase => {
                        if let Some(db) = self.pending_switch.take() {
                            self.send_switch(db);
                        }
                    }
                }
            }
            (Modal::Confirm(_), Some(Action::Dismiss)) => {
                self.modal = None;
                self.pending_run = None;
                self.pending_switch = None;
                self.activity.dismissed();
            }
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
            Action::RunStatement => self.run_from_editor(false),
            Action::Explain | Action::ExplainAnalyze => self.explain_from_editor(action),
            Action::UseSuggestion if self.focus == PaneId::Plan => {
                match self.plan.selected_suggestion() {
                    Some(fix) => {
                        self.editor.append_statement(&fix);
                        self.focus_pane(PaneId::Editor);
                        self.status.message = Some((
                            Level::Info,
                            "the fix is in the editor; it has not been run".into(),
                        ));
                    }
                    None => {
                        self.status.message = Some((
                            Level::Info,
                            "this advice item has no statement to try".into(),
                        ))
                    }
                }
            }
            Action::RunAll => self.run_from_editor(true),
            Action::HistorySearch => self.modal = Some(Modal::History(HistorySearch::default())),
            Action::Complete => self.update_completion(true),
            Action::CloseBuffer if self.editor.current_has_text() => {
                let (names, cur) = self.editor.tabs();
                self.modal = Some(Modal::Confirm(Confirm {
                    title: "Close tab".into(),
                    body: vec![
                        format!(
                            "Close the tab \"{}\"? Its text is not saved anywhere else.",
                            names[cur]
                        ),
                        "(The statement history keeps what was run.)".into(),
                    ],
                    on_confirm: OnConfirm::CloseBuffer,
                }));
            }
            Action::CloseBuffer => self.editor.close_current(),
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
                if focus == PaneId::Activity {
                    self.after_activity();
                }
                // the detail is drawn over the Query view: show that view, whichever was up
                if focus == PaneId::Schema && self.schema.detail_open() {
                    self.view = View::Query;
                }
                if focus == PaneId::Schema
                    && let Some(db) = self.schema.take_switch()
                {
                    self.ask_switch(db);
                }
                if let Some((oid, schema, table)) = self.schema.take_findings_wanted() {
                    self.load_table_findings(oid, schema, table);
                }
                if let Some((schema, table)) = self.schema.take_open_findings() {
                    self.health.show_table(schema, table);
                    self.focus_pane(PaneId::Health);
                }
                if let Some(sql) = self.schema.take_editor_text() {
                    self.editor.append_statement(&sql);
                    self.schema.close_detail();
                    self.focus_pane(PaneId::Editor);
                    self.status.message = Some((
                        Level::Info,
                        "in the editor; it runs only when you run it".into(),
                    ));
                }
                if handled == Handled::Yes
                    && focus == PaneId::Health
                    && let Some(sql) = self.health.take_fix()
                {
                    self.editor.append_statement(&sql);
                    self.focus_pane(PaneId::Editor);
                    self.status.message = Some((
                        Level::Info,
                        "the fix is in the editor; it runs only when you run it".into(),
                    ));
                }
            }
        }
    }

    /// Carry out what the activity pane asked for: a confirmation, SQL for the editor, a message.
    fn after_activity(&mut self) {
        if let Some((title, body)) = self.activity.take_confirm() {
            self.modal = Some(Modal::Confirm(Confirm {
                title,
                body,
                on_confirm: OnConfirm::Activity,
            }));
        }
        if let Some(sql) = self.activity.take_editor_sql() {
            self.editor.append_statement(&sql);
            self.focus_pane(PaneId::Editor);
            self.status.message = Some((
                Level::Info,
                "the statement is in the editor; it runs only when you run it".into(),
            ));
        }
        if let Some(m) = self.activity.take_message() {
            self.status.message = Some(m);
        }
    }

    fn focus_pane(&mut self, p: PaneId) {
        self.focus = p;
        if p != PaneId::Editor {
            // a popup left open would float over the editor while keys go elsewhere
            self.editor.close_popup();
        }
        if p != PaneId::Schema {
            self.view = p.view();
        }
        if p == PaneId::Activity {
            self.activity.tick(&self.requests);
        }
        if p == PaneId::Health {
            self.health.start(&self.requests);
        }
    }

    /// The health findings of a table whose detail opened: from the last complete health report
    /// when there is one (no query), else the checks run for that table on the monitor
    /// connection; the detail shows them when they arrive.
    fn load_table_findings(&mut self, oid: u32, schema: String, table: String) {
        match self.health.report_findings(&schema, &table) {
            Some(findings) => self.schema.set_findings(oid, findings, Vec::new(), true),
            None => {
                let id = self.requests.send(Request::LoadTableFindings {
                    oid,
                    schema,
                    table,
                    config: Box::new(self.health.config().clone()),
                });
                self.schema.findings_requested(id);
            }
        }
    }

    /// Switch both connections to database `db`; when a statement runs or a transaction is open
    /// on the work connection, say what switching does to it and ask first.
    fn ask_switch(&mut self, db: String) {
        if self.switch_req.is_some() {
            self.status.message =
                Some((Level::Info, "a database switch is already under way".into()));
            return;
        }
        let running = self.results.running();
        let open_tx = self.status.tx != TxStatus::Idle;
        if !running && !open_tx {
            self.send_switch(db);
            return;
        }
        let mut body = Vec::new();
        if running {
            body.push("A statement is still running; switching cancels it.".to_string());
        }
        if open_tx {
            body.push(format!(
                "The session is {}: switching closes the connection, which rolls the \
                 transaction back.",
                self.status.tx.label()
            ));
        }
        body.push(format!(
            "Reconnect to database {}? (The editor text stays.)",
            crate::model::ident::quote_ident(&db)
        ));
        self.pending_switch = Some(db);
        self.modal = Some(Modal::Confirm(Confirm {
            title: "Switch database".into(),
            body,
            on_confirm: OnConfirm::SwitchDatabase,
        }));
    }

    fn send_switch(&mut self, db: String) {
        let id = self
            .requests
            .send(Request::SwitchDatabase { dbname: db.clone() });
        self.status.message = Some((
            Level::Info,
            format!(
                "connecting to database {}…",
                crate::model::ident::quote_ident(&db)
            ),
        ));
        self.switch_req = Some((id, db));
    }

    /// The answer to a database switch: on success everything loaded from the old database
    /// (tree, completion names, health report) is loaded again from the new one; the editor and
    /// the results on screen stay. On failure the old connections are still in use.
    fn on_switched(&mut self, reply: Result<Reply, DbError>, db: String) {
        match reply {
            Ok(Reply::Switched {
                target,
                info,
                read_only,
            }) => {
                self.status.target = target;
                self.status.version = info.short_version().to_string();
                self.status.standby = info.in_recovery;
                self.status.read_only = read_only;
                self.status.tx = TxStatus::Idle;
                self.lost = (false, false);
                self.status.connected = true;
                self.database = info.database.clone();
                self.schema.reset(&self.requests);
                self.completion_names = None;
                self.completion_req = Some(self.requests.send(Request::LoadCompletion));
                self.health.reset();
                if self.view == View::Health {
                    self.health.start(&self.requests);
                }
                if self.view == View::Activity {
                    self.activity.tick(&self.requests);
                }
                self.status.message = Some((
                    Level::Info,
                    format!(
                        "connected to database {} (work and monitor connections)",
                        crate::model::ident::quote_ident(&info.database)
                    ),
                ));
            }
            Ok(_) => {}
            Err(e) => {
                self.status.message = Some((
                    Level::Error,
                    format!(
                        "{}; still connected to {}",
                        short_error(&e),
                        crate::model::ident::quote_ident(&self.database)
                    ),
                ));
                tracing::info!("switch to {db} failed: {e}");
            }
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

    /// EXPLAIN (ctrl-e) or EXPLAIN ANALYZE (alt-e) of the statement under the cursor; from the plan
    /// pane, of the statement it shows.
    fn explain_from_editor(&mut self, action: Action) {
        // A plan pasted into the editor (JSON, or text as psql prints it) is shown as it is: no
        // server needed, nothing run.
        if self.focus != PaneId::Plan {
            let text = self.editor.text();
            if crate::model::plan::is_plan(&text) {
                self.plan.show_text(&text, None, false);
                self.focus_pane(PaneId::Plan);
                self.status.message = Some((
                    Level::Info,
                    "the editor holds a plan: shown as pasted, nothing was sent to the server"
                        .into(),
                ));
                return;
            }
        }
        let sql = if self.focus == PaneId::Plan {
            self.plan.statement()
        } else {
            self.editor.pick_statement().map(|p| p.sql)
        };
        let Some(sql) = sql.filter(|s| !s.trim().is_empty()) else {
            self.status.message = Some((
                Level::Info,
                "nothing to explain: the editor is empty".into(),
            ));
            return;
        };
        let options = if action == Action::ExplainAnalyze {
            crate::model::plan::statement::ExplainOptions::full()
        } else {
            crate::model::plan::statement::ExplainOptions::plan_only()
        };
        self.plan.explain(&self.requests, sql, options);
        self.focus_pane(PaneId::Plan);
    }

    fn run_from_editor(&mut self, all: bool) {
        let picked = if all {
            self.editor.pick_all()
        } else {
            self.editor.pick_statement()
        };
        match picked {
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
        if self.safe_mode {
            let risks = crate::model::safety::risks(&sql);
            if !risks.is_empty() {
                let mut body = vec!["Safe mode: this will run".to_string(), String::new()];
                for r in &risks {
                    body.push(format!("  {}", crate::ui::text::one_line_sql(&r.statement)));
                    body.push(format!("  → {}", r.reason));
                }
                body.push(String::new());
                body.push("Run it?".into());
                self.pending_run = Some((sql, from_editor));
                self.modal = Some(Modal::Confirm(Confirm {
                    title: "Confirm".into(),
                    body,
                    on_confirm: OnConfirm::RunPending,
                }));
                return;
            }
        }
        self.send_run(sql, from_editor);
    }

    /// `\set AUTOCOMMIT off` and friends: change the mode for later runs, or show it.
    fn set_variable(&mut self, set: Option<(crate::model::psql_meta::SetVar, bool)>) {
        use crate::model::psql_meta::SetVar;
        let onoff = |b: bool| if b { "on" } else { "off" };
        let mut mode = self.status.tx_mode;
        match set {
            None => {}
            Some((SetVar::Autocommit, on)) => mode.autocommit = on,
            Some((SetVar::OnErrorRollback, on)) => mode.on_error_rollback = on,
        }
        if mode != self.status.tx_mode {
            self.status.tx_mode = mode;
            self.requests.send(Request::SetTxMode(mode));
        }
        let mut text = format!(
            "AUTOCOMMIT {}, ON_ERROR_ROLLBACK {}",
            onoff(mode.autocommit),
            onoff(mode.on_error_rollback)
        );
        if matches!(set, Some((SetVar::Autocommit, true))) && self.status.tx != TxStatus::Idle {
            // psql does the same: the open transaction is not committed by the switch.
            text.push_str("; the open transaction stays open until COMMIT or ROLLBACK");
        }
        self.status.message = Some((Level::Info, text));
    }

    fn send_run(&mut self, sql: String, from_editor: Option<Picked>) {
        // A lone psql meta-command: \x and \conninfo are answered here, the catalog ones by the
        // monitor connection; either way the results pane shows them like a statement.
        let stmts = crate::model::sql_split::split(&sql);
        let meta = match stmts.as_slice() {
            [one] if one.meta => Some(crate::model::psql_meta::parse(one.text(&sql))),
            _ => None,
        };
        let request = match meta {
            None => Request::Run { sql: sql.clone() },
            Some(Err(e)) => {
                self.status.message = Some((Level::Error, e));
                return;
            }
            Some(Ok(crate::model::psql_meta::Meta::Expanded(on))) => {
                let now = match on {
                    Some(v) if v != self.results.expanded() => self.results.toggle_expanded(),
                    Some(v) => v,
                    None => self.results.toggle_expanded(),
                };
                self.status.message = Some((
                    Level::Info,
                    format!("Expanded display is {}.", if now { "on" } else { "off" }),
                ));
                return;
            }
            Some(Ok(crate::model::psql_meta::Meta::Set(set))) => {
                self.set_variable(set);
                return;
            }
            Some(Ok(crate::model::psql_meta::Meta::ConnInfo)) => {
                self.status.message = Some((
                    Level::Info,
                    format!(
                        "connected as {} (PostgreSQL {}, {}{})",
                        self.status.target,
                        self.status.version,
                        if self.status.standby {
                            "standby"
                        } else {
                            "primary"
                        },
                        if self.status.read_only {
                            ", read-only"
                        } else {
                            ""
                        }
                    ),
                ));
                return;
            }
            Some(Ok(meta)) => Request::Meta { meta },
        };
        let id = self.requests.send(request);
        self.results.begin_run(id);
        self.editor_run = from_editor.is_some().then(|| EditorRun {
            id,
            sql,
            started_at: unix_now(),
        });
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
            self.cancel_asked.get_or_insert(std::time::Instant::now());
        } else if self.focus != PaneId::Editor {
            self.status.message = Some((Level::Info, "nothing is running".into()));
        }
    }

    fn on_tick(&mut self) {
        self.tick = self.tick.wrapping_add(1);
        // A cancel the server does not act on (its backend stopped, the network gone): say what
        // the next ctrl-c does.
        if let Some(at) = self.cancel_asked {
            if !self.results.running() {
                self.cancel_asked = None;
            } else if at.elapsed() >= std::time::Duration::from_secs(3) {
                self.status.message = Some((
                    Level::Warning,
                    "the server has not answered the cancel; ctrl-c again stops waiting and \
                     reopens the connection"
                        .into(),
                ));
            }
        }
        if self.last_autosave.elapsed() >= AUTOSAVE_EVERY {
            self.autosave();
        }
        if self.view == View::Activity {
            self.activity.tick(&self.requests);
        }
    }

    fn on_worker(&mut self, event: WorkerEvent) {
        match event {
            WorkerEvent::Connection {
                which,
                message,
                connected,
            } => {
                match which {
                    crate::db::Which::Work => {
                        self.lost.0 = !connected;
                        // a new session: whatever transaction there was is gone
                        if connected {
                            self.status.tx = TxStatus::Idle;
                        }
                    }
                    crate::db::Which::Monitor => self.lost.1 = !connected,
                }
                self.status.connected = !self.lost.0 && !self.lost.1;
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
                        let from_editor = self.editor_run.as_ref().is_some_and(|r| r.id == resp.id);
                        if let Some(pos) = o
                            .error
                            .as_ref()
                            .and_then(|e| e.server())
                            .and_then(|s| s.position)
                            && from_editor
                        {
                            self.editor.place_error(pos, o.text_offset);
                        }
                        if from_editor && let Some(run) = self.editor_run.take() {
                            self.record_history(&run, o);
                            if is_ddl(&run.sql) {
                                // the catalog changed: the tree and the completion names follow it
                                self.schema.load(&self.requests);
                                self.completion_req =
                                    Some(self.requests.send(Request::LoadCompletion));
                            }
                        }
                        if let Some(DbError::ConnectionLost(_)) = &o.error {
                            self.status.connected = false;
                        }
                    } else if let Err(e) = &resp.reply {
                        self.status.busy = false;
                        self.status.message = Some((Level::Error, short_error(e)));
                    }
                    self.results.on_reply(resp);
                } else if let Some((id, db)) = self.switch_req.clone()
                    && id == resp.id
                {
                    self.switch_req = None;
                    self.on_switched(resp.reply, db);
                } else if self.completion_req == Some(resp.id) {
                    self.completion_req = None;
                    match resp.reply {
                        Ok(Reply::Completion(names)) => {
                            self.completion_names = Some(std::sync::Arc::new(names))
                        }
                        Err(e) => {
                            self.status.message =
                                Some((Level::Warning, format!("completion names not loaded: {e}")))
                        }
                        _ => {}
                    }
                } else if self.schema.waits_for(resp.id) {
                    self.schema.on_reply(resp);
                } else if self.plan.waits_for(resp.id) {
                    self.plan.on_reply(resp);
                } else if self.activity.waits_for(resp.id) {
                    self.activity.on_reply(resp);
                    self.after_activity();
                } else if self.health.waits_for(resp.id) {
                    self.health.on_reply(resp);
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
            View::Query if self.schema.detail_open() && focus == PaneId::Schema => {
                self.schema
                    .render_detail(frame, l.main, &cx(focus == PaneId::Schema));
            }
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
            Some(Modal::History(h)) => {
                let cx = RenderCx {
                    theme: &self.theme,
                    keymap: &self.keymap,
                    focused: true,
                    tick,
                };
                h.render(frame, area, &cx, &self.history, unix_now());
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

/// Whether any statement of `sql` changes the catalog.
fn is_ddl(sql: &str) -> bool {
    crate::model::sql_split::split(sql).iter().any(|st| {
        let w = crate::model::sql_split::leading_words(st.text(sql), 1);
        matches!(
            w.first().map(String::as_str),
            Some(
                "CREATE" | "ALTER" | "DROP" | "COMMENT" | "GRANT" | "REVOKE" | "IMPORT" | "REINDEX"
            )
        )
    })
}

/// One line for the status bar.
fn short_error(e: &DbError) -> String {
    match e.server() {
        Some(s) => format!("{}: {}", s.severity, s.message),
        None => e.to_string(),
    }
}
