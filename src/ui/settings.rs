//! The settings view, shown inside the health pane (`show_settings`): every `pg_settings` row this
//! role can see, its value in human form (8kB pages as sizes, milliseconds as durations), where the
//! value comes from (the file and line when the role may see them, ALTER SYSTEM, a role or database
//! setting, the command line), changed-from-default values highlighted, pending restarts flagged,
//! a search that narrows as you type, the selected parameter's description, and next to the value
//! the recommendation for the hardware (or the risk) when there is one. `edit_fix` hands that
//! recommendation's ALTER SYSTEM to the editor; this view never runs SQL by itself.

use std::collections::HashMap;

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::grid::spinner;
use super::list::{FilterKey, edit_filter};
use super::text::{truncate, visible, width};
use super::{Handled, RenderCx};
use crate::action::Action;
use crate::db::settings::SettingsSnapshot;
use crate::db::{Reply, Request, RequestId, Requests, Response};
use crate::keymap::Section;
use crate::model::health::{Finding, Severity};
use crate::model::settings::{self, Recommendation, Setting, TuneContext};

/// The settings view's state.
#[derive(Default)]
pub struct SettingsView {
    tune: TuneContext,
    waiting: Option<RequestId>,
    started: bool,
    snapshot: Option<SettingsSnapshot>,
    error: Option<String>,
    /// The target for the hardware, by parameter name.
    recs: HashMap<String, Recommendation>,
    /// The `setting` finding about a parameter, by name (risks and far targets).
    findings: HashMap<String, Finding>,
    filter: String,
    filtering: bool,
    changed_only: bool,
    selected: usize,
    page: usize,
    fix_out: Option<String>,
}

/// `s` cut or padded to exactly `w` columns.
fn pad(s: &str, w: usize) -> String {
    let t = truncate(s, w);
    let n = width(&t);
    format!("{t}{}", " ".repeat(w.saturating_sub(n)))
}

impl SettingsView {
    /// A view that rules with this hardware context (the health pane's).
    pub fn new(tune: TuneContext) -> Self {
        SettingsView {
            tune,
            page: 10,
            ..Default::default()
        }
    }

    /// Load the parameters the first time the view is shown.
    pub fn start(&mut self, requests: &Requests) {
        if !self.started {
            self.load(requests);
        }
    }

    /// (Re)load the parameters.
    pub fn load(&mut self, requests: &Requests) {
        self.started = true;
        self.error = None;
        self.waiting = Some(requests.send(Request::LoadSettings));
    }

    pub fn waits_for(&self, id: RequestId) -> bool {
        self.waiting == Some(id)
    }

    /// Whether a filter is being typed.
    pub fn filtering(&self) -> bool {
        self.filtering
    }

    /// Whether a filter narrows the list (typed or kept).
    pub fn has_filter(&self) -> bool {
        !self.filter.is_empty() || self.filtering
    }

    /// The fix the user asked to edit, once.
    pub fn take_fix(&mut self) -> Option<String> {
        self.fix_out.take()
    }

    fn settings(&self) -> &[Setting] {
        self.snapshot.as_ref().map_or(&[], |s| &s.settings)
    }

    /// Indices of the rows shown: the filter on name, description and category, and changed-only.
    fn shown(&self) -> Vec<usize> {
        let needle = self.filter.to_lowercase();
        self.settings()
            .iter()
            .enumerate()
            .filter(|(_, s)| !self.changed_only || s.changed() || s.pending_restart)
            .filter(|(_, s)| {
                needle.is_empty()
                    || s.name.to_lowercase().contains(&needle)
                    || s.short_desc.to_lowercase().contains(&needle)
                    || s.category.to_lowercase().contains(&needle)
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// Names shown (after the filter), for tests.
    pub fn visible_names(&self) -> Vec<&str> {
        self.shown()
            .into_iter()
            .map(|i| self.settings()[i].name.as_str())
            .collect()
    }

    fn selected_setting(&self) -> Option<&Setting> {
        self.shown()
            .get(self.selected)
            .map(|&i| &self.settings()[i])
    }

    fn clamp(&mut self) {
        let n = self.shown().len();
        self.selected = self.selected.min(n.saturating_sub(1));
    }

    /// The fix of the selected parameter: its finding's, else its recommendation's.
    fn selected_fix(&self) -> Option<String> {
        let s = self.selected_setting()?;
        if let Some(f) = self.findings.get(&s.name) {
            let fix = f.fix.as_ref()?;
            return Some(format!(
                "-- {} setting: {}\n{fix}",
                f.severity.name(),
                s.name
            ));
        }
        let r = self.recs.get(&s.name)?;
        Some(format!(
            "-- {}: {} now, {} recommended for {}\n{}",
            s.name,
            r.current,
            r.target.value,
            self.tune
                .hardware
                .map(|h| h.to_string())
                .unwrap_or_default(),
            r.fix
        ))
    }

    pub fn update(&mut self, action: Action, requests: &Requests) -> Handled {
        let n = self.shown().len();
        if super::list::move_selection(&mut self.selected, action, n, self.page) {
            return Handled::Yes;
        }
        match action {
            Action::Refresh => self.load(requests),
            Action::EditFix | Action::Select => self.fix_out = self.selected_fix(),
            Action::Filter => self.filtering = true,
            Action::ChangedOnly => {
                self.changed_only = !self.changed_only;
                self.selected = 0;
            }
            Action::Back => {
                self.filter.clear();
                self.filtering = false;
                self.clamp();
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }

    pub fn input(&mut self, key: KeyEvent) -> bool {
        if !self.filtering {
            return false;
        }
        match edit_filter(&mut self.filter, key) {
            FilterKey::Cleared | FilterKey::Kept => self.filtering = false,
            FilterKey::Erased | FilterKey::Typed => self.selected = 0,
            FilterKey::Up => self.selected = self.selected.saturating_sub(1),
            FilterKey::Down => self.selected += 1,
            FilterKey::Other => return false,
        }
        self.clamp();
        true
    }

    pub fn on_reply(&mut self, response: Response) {
        if response.last {
            self.waiting = None;
        }
        match response.reply {
            Ok(Reply::Settings(snapshot)) => self.show(*snapshot),
            Ok(_) => {}
            Err(e) => self.error = Some(e.to_string()),
        }
        self.clamp();
    }

    /// Take a snapshot: rule on it with the hardware context.
    pub fn show(&mut self, snapshot: SettingsSnapshot) {
        let major = snapshot.version_num / 10000;
        self.recs = match &self.tune.hardware {
            Some(hw) => settings::recommendations(&snapshot.settings, hw, major, &snapshot.facts)
                .into_iter()
                .map(|r| (r.name.clone(), r))
                .collect(),
            None => HashMap::new(),
        };
        self.findings = settings::findings(&snapshot.settings, &snapshot.facts, &self.tune, major)
            .into_iter()
            .filter_map(|f| Some((f.object.clone()?, f)))
            .collect();
        self.snapshot = Some(snapshot);
        self.error = None;
    }

    /// What goes next to a value: the recommended value, or the risk's word.
    fn advice(&self, s: &Setting, cx: &RenderCx) -> (String, Style) {
        if let Some(f) = self.findings.get(&s.name) {
            let style = match f.severity {
                Severity::Critical => cx.theme.error,
                Severity::Warning => cx.theme.warning,
                Severity::Info => cx.theme.info,
            };
            let text = match self.recs.get(&s.name) {
                Some(r) => format!("→ {}", r.target.value),
                None => f.severity.name().to_string(),
            };
            return (text, style);
        }
        match self.recs.get(&s.name) {
            Some(r) => (format!("≈ {}", r.target.value), cx.theme.muted),
            None => (String::new(), cx.theme.muted),
        }
    }

    pub fn render(&mut self, frame: &mut Frame, area: Rect, cx: &RenderCx) {
        let all = self.settings();
        let changed = all.iter().filter(|s| s.changed()).count();
        let pending = all.iter().filter(|s| s.pending_restart).count();
        let mut title = vec![
            Span::raw(" Health › Settings "),
            Span::styled(
                format!(
                    "{} parameters, {changed} changed, {pending} pending restart ",
                    all.len()
                ),
                cx.theme.muted,
            ),
        ];
        if self.waiting.is_some() {
            title.push(Span::styled(
                format!("{} loading ", spinner(cx.tick)),
                cx.theme.spinner,
            ));
        }
        let block = cx.block(Line::from(title));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        if inner.height == 0 || inner.width == 0 {
            return;
        }
        let w = inner.width as usize;
        let mut head: Vec<Line> = Vec::new();
        if let Some(e) = &self.error {
            head.push(Line::styled(
                truncate(
                    &format!("The settings could not be read: {}", visible(e)),
                    w,
                )
                .into_owned(),
                cx.theme.error,
            ));
        }
        for n in &self.tune.notes {
            for l in super::health::wrap_words(n, w).into_iter().take(3) {
                head.push(Line::styled(l, cx.theme.muted));
            }
        }
        let mut keys = Vec::new();
        keys.extend(cx.hint(Section::List, Action::Filter, "search"));
        keys.extend(cx.hint(
            Section::Health,
            Action::ChangedOnly,
            if self.changed_only {
                "all parameters"
            } else {
                "changed only"
            },
        ));
        keys.extend(cx.hint(Section::Health, Action::EditFix, "fix into the editor"));
        keys.extend(cx.hint(Section::Health, Action::ShowSettings, "findings"));
        head.push(Line::from(keys));
        head.extend(super::list::filter_line(
            "search",
            &self.filter,
            self.filtering,
            cx.theme,
        ));
        let rest = super::list::render_head(frame, inner, head);
        if rest.height == 0 {
            return;
        }
        let shown = self.shown();
        if shown.is_empty() {
            let msg = if self.waiting.is_some() {
                "Reading pg_settings…"
            } else if self.snapshot.is_none() {
                ""
            } else {
                "No parameter matches."
            };
            super::list::render_empty(frame, rest, msg, cx.theme);
            return;
        }
        let (list, detail) = super::list::list_and_detail(rest, 14);

        // columns: marker, name, value, advice, source
        let longest = shown
            .iter()
            .map(|&i| width(&self.settings()[i].name))
            .max()
            .unwrap_or(0);
        let name_w = longest.clamp(12, 40).min(w * 36 / 100);
        let value_w = 12;
        let advice_w = 12;
        let source_w = w.saturating_sub(2 + name_w + 1 + value_w + 1 + advice_w + 1);
        let mut lines = vec![Line::styled(
            format!(
                "  {} {} {} {}",
                pad("parameter", name_w),
                pad("value", value_w),
                pad("advice", advice_w),
                pad("source", source_w)
            ),
            cx.theme.header,
        )];
        let h = (list.height as usize).saturating_sub(1);
        self.page = h.saturating_sub(1).max(1);
        let offset = self
            .selected
            .saturating_sub(h.saturating_sub(1) / 2)
            .min(shown.len().saturating_sub(h));
        let all = self.settings();
        for (pos, &i) in shown.iter().enumerate().skip(offset).take(h) {
            let s = &all[i];
            let selected = pos == self.selected;
            let row_style = if selected && cx.focused {
                cx.theme.selection
            } else if selected {
                cx.theme.accent
            } else {
                cx.theme.base
            };
            let (marker, marker_style) = if s.pending_restart {
                ("↻ ", cx.theme.warning)
            } else if s.changed() {
                ("• ", cx.theme.accent)
            } else {
                ("  ", cx.theme.muted)
            };
            let value_style = if selected {
                row_style
            } else if s.changed() {
                cx.theme.accent
            } else {
                cx.theme.base
            };
            let (advice, advice_style) = self.advice(s, cx);
            lines.push(Line::from(vec![
                Span::styled(marker, if selected { row_style } else { marker_style }),
                Span::styled(format!("{} ", pad(&s.name, name_w)), row_style),
                Span::styled(
                    format!("{} ", pad(&visible(&s.human()), value_w)),
                    value_style,
                ),
                Span::styled(
                    format!("{} ", pad(&advice, advice_w)),
                    if selected { row_style } else { advice_style },
                ),
                Span::styled(
                    pad(&visible(&short_origin(s)), source_w),
                    if selected { row_style } else { cx.theme.muted },
                ),
            ]));
        }
        frame.render_widget(Paragraph::new(lines), list);
        if detail.height == 0 {
            return;
        }
        let Some(s) = self.selected_setting() else {
            return;
        };
        let mut d: Vec<Line> = vec![
            Line::from(vec![
                Span::styled(format!("{}  ", s.name), cx.theme.header),
                Span::raw(visible(&s.short_desc).into_owned()),
            ]),
            Line::styled(
                format!(
                    "{} · {} · default {} · a change needs a {}",
                    s.category,
                    s.vartype,
                    default_human(s),
                    s.apply().name()
                ),
                cx.theme.muted,
            ),
            Line::from(vec![
                Span::styled("value ", cx.theme.muted),
                Span::raw(visible(&s.human()).into_owned()),
                Span::styled("  from ", cx.theme.muted),
                Span::raw(visible(&s.origin()).into_owned()),
            ]),
        ];
        if s.pending_restart {
            d.push(Line::styled(
                "the configuration files hold a new value that waits for a server restart",
                cx.theme.warning,
            ));
        }
        if let Some(f) = self.findings.get(&s.name) {
            let style = match f.severity {
                Severity::Critical => cx.theme.error,
                Severity::Warning => cx.theme.warning,
                Severity::Info => cx.theme.info,
            };
            d.push(Line::from(vec![
                Span::styled(format!("{} ", f.severity.name()), style),
                Span::raw(visible(&f.message).into_owned()),
            ]));
        } else if let Some(r) = self.recs.get(&s.name) {
            d.push(Line::from(vec![
                Span::styled(
                    format!("recommended {} (within 0.5x-2x of it): ", r.target.value),
                    cx.theme.muted,
                ),
                Span::raw(r.target.why.clone()),
            ]));
        }
        if let Some(fix) = self.selected_fix() {
            let mut hint = vec![Span::styled("fix ", cx.theme.header)];
            hint.extend(cx.hint(Section::Health, Action::EditFix, "puts it in the editor"));
            d.push(Line::from(hint));
            for l in fix.lines().skip(1) {
                d.push(Line::styled(
                    visible(l).into_owned(),
                    cx.theme.syntax_keyword,
                ));
            }
        }
        frame.render_widget(Paragraph::new(d).wrap(Wrap { trim: false }), detail);
    }
}

/// Where the value comes from, short enough for a column: a configuration file by its name and line
/// (the details below the list give the whole path).
fn short_origin(s: &Setting) -> String {
    match (&*s.source, &s.sourcefile) {
        ("configuration file", Some(f)) if f.ends_with("postgresql.auto.conf") => {
            "ALTER SYSTEM".into()
        }
        ("configuration file", Some(f)) => {
            let name = f.rsplit('/').next().unwrap_or(f);
            match s.sourceline {
                Some(l) => format!("{name}:{l}"),
                None => name.to_string(),
            }
        }
        ("configuration file", None) => "config file (hidden)".into(),
        ("command line", _) => "command line (-c)".into(),
        ("database", _) => "ALTER DATABASE".into(),
        ("user", _) => "ALTER ROLE".into(),
        ("database user", _) => "ALTER ROLE IN DATABASE".into(),
        ("session", _) => "server (session overrides)".into(),
        _ => s.origin(),
    }
}

/// The built-in default in human form.
fn default_human(s: &Setting) -> String {
    let Some(boot) = &s.boot_val else {
        return "unknown".into();
    };
    let d = Setting {
        setting: boot.clone(),
        source: "default".into(),
        unit: s.unit.clone(),
        ..Default::default()
    };
    match boot.as_str() {
        "-1" if s.unit.is_some() => "-1 (automatic or off)".into(),
        _ => d.human(),
    }
}
