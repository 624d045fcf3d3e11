//! The health pane: the health report. Findings arrive check by check (the monitor connection runs
//! them one at a time) and are listed under their group's heading (indexes, tables, maintenance,
//! security, migrations..., the group with the most severe finding first), then by severity and
//! check, with a filter on schema, table, object, check and group, a key that shows one group at a
//! time, the stats-window banner, the checks that could not run, and the selected finding's
//! evidence and fix SQL. `edit_fix` hands the fix to the editor, where it runs only when the
//! user runs it; this pane never runs SQL by itself. `show_settings` switches to the settings view
//! (`ui::settings`), which this pane holds and hands its keys and replies to while it is shown.

use super::list::{FilterKey, edit_filter};
use std::time::Duration;

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::grid::spinner;
use super::settings::SettingsView;
use super::text::{truncate, visible};
use super::{Handled, Pane, RenderCx};
use crate::action::Action;
use crate::db::health::{Facts, HealthEvent};
use crate::db::{Reply, Request, RequestId, Requests, Response};
use crate::keymap::Section;
use crate::model::health::{self, Finding, GROUPS, HealthConfig, Severity, Value, sort_findings};

/// The health pane.
#[derive(Default)]
pub struct HealthPane {
    config: HealthConfig,
    waiting: Option<RequestId>,
    started: bool,
    facts: Option<Facts>,
    /// Checks of the running or last report.
    planned: Vec<String>,
    /// Checks done: id, time taken, error when it could not run.
    done: Vec<(String, Duration, Option<String>)>,
    findings: Vec<Finding>,
    /// The report could not start.
    error: Option<String>,
    finished: Option<Duration>,
    filter: String,
    filtering: bool,
    /// Only the findings of this group (an index into [`GROUPS`]); all when `None`.
    group: Option<usize>,
    /// Index into the filtered findings.
    selected: usize,
    page: usize,
    /// A fix the app should put into the editor.
    fix_out: Option<String>,
    /// The user moved the selection: it stays on its finding while new ones sort in.
    moved: bool,
    /// The settings view, and whether it is shown instead of the findings.
    settings: SettingsView,
    showing_settings: bool,
    /// Only this table's findings (schema, table), as "open the table's findings" asks.
    table: Option<(String, String)>,
}

impl HealthPane {
    /// A pane with the `[health]` thresholds of config.toml.
    pub fn new(config: HealthConfig) -> Self {
        HealthPane {
            settings: SettingsView::new(config.tune.clone()),
            config,
            page: 10,
            ..Default::default()
        }
    }

    /// Whether the settings view is shown instead of the findings.
    pub fn showing_settings(&self) -> bool {
        self.showing_settings
    }

    /// The settings view, for tests.
    pub fn settings_view(&self) -> &SettingsView {
        &self.settings
    }

    /// Run the report the first time the pane is shown.
    pub fn start(&mut self, requests: &Requests) {
        if !self.started {
            self.run(requests);
        }
    }

    /// (Re-)run the report; a run in progress is superseded (its replies are dropped).
    pub fn run(&mut self, requests: &Requests) {
        self.started = true;
        self.moved = false;
        self.error = None;
        self.finished = None;
        self.done.clear();
        self.waiting = Some(requests.send(Request::RunHealth {
            config: Box::new(self.config.clone()),
            schema: None,
            only: Vec::new(),
        }));
    }

    /// Forget the report (it was of another database); the next time the pane is shown it runs
    /// again. The thresholds and the filter stay.
    pub fn reset(&mut self) {
        let config = std::mem::take(&mut self.config);
        *self = HealthPane {
            settings: SettingsView::new(config.tune.clone()),
            config,
            filter: std::mem::take(&mut self.filter),
            page: self.page,
            ..HealthPane::default()
        };
    }

    /// Show only the findings of one table (until `back`); the report runs if it has not yet.
    pub fn show_table(&mut self, schema: String, table: String) {
        self.table = Some((schema, table));
        self.filter.clear();
        self.filtering = false;
        self.selected = 0;
        self.moved = false;
    }

    /// The table the pane is narrowed to.
    pub fn table_filter(&self) -> Option<&(String, String)> {
        self.table.as_ref()
    }

    /// The thresholds the report runs with.
    pub fn config(&self) -> &HealthConfig {
        &self.config
    }

    /// One table's findings from the last complete report, if there is one (a report still
    /// running, or one that could not start, gives `None`).
    pub fn report_findings(&self, schema: &str, table: &str) -> Option<Vec<Finding>> {
        if self.finished.is_none() || self.error.is_some() {
            return None;
        }
        Some(
            self.findings
                .iter()
                .filter(|f| f.schema == schema && f.table.as_deref() == Some(table))
                .cloned()
                .collect(),
        )
    }

    /// The fix the user asked to edit, once (from the findings or the settings view).
    pub fn take_fix(&mut self) -> Option<String> {
        self.fix_out.take().or_else(|| self.settings.take_fix())
    }

    /// Findings shown (after the filter), for tests.
    pub fn visible_findings(&self) -> Vec<&Finding> {
        self.filtered()
            .into_iter()
            .map(|i| &self.findings[i])
            .collect()
    }

    /// Whether a report is running.
    pub fn running(&self) -> bool {
        self.waiting.is_some()
    }

    /// The group shown alone (its id), if one is.
    pub fn group_shown(&self) -> Option<&'static str> {
        self.group.map(|g| GROUPS[g].0)
    }

    /// Sort the findings for display: by group, the group with the most severe finding first (then
    /// in [`GROUPS`] order), and within a group as [`sort_findings`] does.
    fn sort(&mut self) {
        sort_findings(&mut self.findings);
        let rank = |g: &str| {
            GROUPS
                .iter()
                .position(|(id, _)| *id == g)
                .unwrap_or(GROUPS.len())
        };
        let mut worst = vec![Severity::Info; GROUPS.len() + 1];
        for f in &self.findings {
            let r = rank(f.group());
            worst[r] = worst[r].max(f.severity);
        }
        self.findings.sort_by_key(|f| {
            let r = rank(f.group());
            (std::cmp::Reverse(worst[r]), r)
        });
    }

    fn filtered(&self) -> Vec<usize> {
        let needle = self.filter.to_lowercase();
        let group = self.group_shown();
        self.findings
            .iter()
            .enumerate()
            .filter(|(_, f)| group.is_none_or(|g| f.group() == g))
            .filter(|(_, f)| {
                self.table
                    .as_ref()
                    .is_none_or(|(s, t)| f.schema == *s && f.table.as_deref() == Some(t))
            })
            .filter(|(_, f)| {
                needle.is_empty()
                    || f.group().contains(&needle)
                    || health::group_title(f.group())
                        .to_lowercase()
                        .contains(&needle)
                    || f.schema.to_lowercase().contains(&needle)
                    || f.table
                        .as_deref()
                        .is_some_and(|t| t.to_lowercase().contains(&needle))
                    || f.object
                        .as_deref()
                        .is_some_and(|o| o.to_lowercase().contains(&needle))
                    || f.check.contains(&needle)
                    || f.subject().to_lowercase().contains(&needle)
            })
            .map(|(i, _)| i)
            .collect()
    }

    fn selected_finding(&self) -> Option<&Finding> {
        self.filtered()
            .get(self.selected)
            .map(|&i| &self.findings[i])
    }

    fn clamp(&mut self) {
        let n = self.filtered().len();
        self.selected = self.selected.min(n.saturating_sub(1));
    }
}

/// Break `text` into lines of at most `width` columns at spaces (a longer word gets a line of its own).
pub(super) fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        if !cur.is_empty() && super::text::width(&cur) + 1 + super::text::width(word) > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// `2026-12-04 14:58:29.871081+00` → `2026-12-04 14:58:29`.
fn short_time(t: &str) -> &str {
    t.get(..19).unwrap_or(t)
}

fn severity_style(cx: &RenderCx, s: Severity) -> Style {
    match s {
        Severity::Critical => cx.theme.error,
        Severity::Warning => cx.theme.warning,
        Severity::Info => cx.theme.info,
    }
}

impl Pane for HealthPane {
    fn update(&mut self, action: Action, requests: &Requests) -> Handled {
        if action == Action::ShowSettings {
            self.showing_settings = !self.showing_settings;
            if self.showing_settings {
                self.settings.start(requests);
            }
            return Handled::Yes;
        }
        if self.showing_settings {
            // esc with nothing to clear goes back to the findings
            if action == Action::Back && !self.settings.has_filter() {
                self.showing_settings = false;
                return Handled::Yes;
            }
            return self.settings.update(action, requests);
        }
        let n = self.filtered().len();
        if super::list::move_selection(&mut self.selected, action, n, self.page) {
            self.moved = true;
            return Handled::Yes;
        }
        match action {
            Action::Refresh => self.run(requests),
            Action::EditFix | Action::Select => {
                self.fix_out = self.selected_finding().and_then(|f| {
                    f.fix.as_ref().map(|fix| {
                        format!(
                            "-- {} {}: {}\n{fix}",
                            f.severity.name(),
                            f.check,
                            f.subject()
                        )
                    })
                });
            }
            Action::Filter => self.filtering = true,
            Action::CycleGroup => {
                self.group = match self.group {
                    None => Some(0),
                    Some(g) if g + 1 < GROUPS.len() => Some(g + 1),
                    Some(_) => None,
                };
                self.selected = 0;
                self.moved = false;
            }
            Action::Back => {
                self.filter.clear();
                self.table = None;
                self.filtering = false;
                self.group = None;
                self.clamp();
            }
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn text_entry(&self) -> bool {
        if self.showing_settings {
            return self.settings.filtering();
        }
        self.filtering
    }

    fn input_first(&self) -> bool {
        self.text_entry()
    }

    fn input(&mut self, key: KeyEvent) -> bool {
        if self.showing_settings {
            return self.settings.input(key);
        }
        if !self.filtering {
            return false;
        }
        match edit_filter(&mut self.filter, key) {
            FilterKey::Cleared | FilterKey::Kept => self.filtering = false,
            FilterKey::Erased => {}
            FilterKey::Typed => self.selected = 0,
            FilterKey::Up => self.selected = self.selected.saturating_sub(1),
            FilterKey::Down => self.selected += 1,
            FilterKey::Other => return false,
        }
        self.clamp();
        true
    }

    fn is_list(&self) -> bool {
        true
    }

    fn waits_for(&self, id: RequestId) -> bool {
        self.waiting == Some(id) || self.settings.waits_for(id)
    }

    fn on_reply(&mut self, response: Response) {
        if self.settings.waits_for(response.id) {
            self.settings.on_reply(response);
            return;
        }
        if response.last {
            self.waiting = None;
        }
        match response.reply {
            Ok(Reply::Health(HealthEvent::Started { facts, checks })) => {
                self.facts = Some(facts);
                self.planned = checks;
                self.findings.clear();
                self.selected = 0;
            }
            Ok(Reply::Health(HealthEvent::Check(outcome))) => {
                let error = match outcome.result {
                    Ok(mut f) => {
                        // keep the selection on the same finding as new ones sort in
                        let current = self.selected_finding().cloned();
                        self.findings.append(&mut f);
                        self.sort();
                        if let Some(cur) = current.filter(|_| self.moved) {
                            let vis = self.filtered();
                            if let Some(p) = vis.iter().position(|&i| self.findings[i] == cur) {
                                self.selected = p;
                            }
                        }
                        None
                    }
                    Err(e) => Some(e),
                };
                self.done.push((outcome.check, outcome.elapsed, error));
            }
            Ok(Reply::Health(HealthEvent::Finished { elapsed })) => self.finished = Some(elapsed),
            Ok(_) => {}
            Err(e) => self.error = Some(e.to_string()),
        }
        self.clamp();
    }

    fn render(&mut self, frame: &mut Frame, area: Rect, cx: &RenderCx) {
        if self.showing_settings {
            self.settings.render(frame, area, cx);
            return;
        }
        let count = |s: Severity| self.findings.iter().filter(|f| f.severity == s).count();
        let mut title = vec![
            Span::raw(" Health "),
            Span::styled(
                format!(
                    "{} critical, {} warning, {} info ",
                    count(Severity::Critical),
                    count(Severity::Warning),
                    count(Severity::Info)
                ),
                cx.theme.muted,
            ),
        ];
        if self.waiting.is_some() {
            title.push(Span::styled(
                format!(
                    "{} check {}/{} ",
                    spinner(cx.tick),
                    (self.done.len() + 1).min(self.planned.len().max(1)),
                    self.planned.len()
                ),
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
        if !self.started {
            head.push(Line::styled(
                "The report runs when this pane is first shown.",
                cx.theme.muted,
            ));
        }
        if let Some(e) = &self.error {
            head.push(Line::styled(
                truncate(&format!("The report could not run: {}", visible(e)), w).into_owned(),
                cx.theme.error,
            ));
        }
        if let Some(f) = &self.facts {
            let status = match self.finished {
                Some(d) => format!(
                    "PostgreSQL {}, {} checks in {:.1} s. ",
                    f.server_version.split_whitespace().next().unwrap_or(""),
                    self.done.len(),
                    d.as_secs_f64()
                ),
                None => format!(
                    "PostgreSQL {}, running check {} of {}. ",
                    f.server_version.split_whitespace().next().unwrap_or(""),
                    (self.done.len() + 1).min(self.planned.len()),
                    self.planned.len()
                ),
            };
            head.push(Line::styled(status, cx.theme.muted));
            let since = match (&f.window.stats_reset, &f.window.started_at) {
                (Some(r), _) => format!("since the stats reset at {}", short_time(r)),
                (None, Some(s)) => {
                    format!("since the server start at {} (never reset)", short_time(s))
                }
                _ => "since the server start (never reset)".to_string(),
            };
            let banner =
                format!("Usage counts {since}; this node only: replicas keep their own counters.");
            for l in wrap_words(&banner, w) {
                head.push(Line::styled(l, cx.theme.muted));
            }
            if self.planned.iter().any(|c| c == "setting") {
                // where the hardware came from, or why its recommendations were skipped
                for n in &self.config.tune.notes {
                    for l in wrap_words(n, w).into_iter().take(3) {
                        head.push(Line::styled(l, cx.theme.muted));
                    }
                }
            }
        }
        let mut keys = cx.hint(Section::Health, Action::ShowSettings, "settings view");
        keys.extend(cx.hint(Section::Health, Action::EditFix, "fix into the editor"));
        if !keys.is_empty() {
            head.push(Line::from(keys));
        }
        for (check, _, err) in &self.done {
            if let Some(e) = err {
                let text = format!("{check}: could not run: {}", visible(e));
                for l in wrap_words(&text, w).into_iter().take(3) {
                    head.push(Line::styled(l, cx.theme.error));
                }
            }
        }
        if let Some(g) = self.group {
            let mut line = vec![
                Span::styled("group: ", cx.theme.accent),
                Span::raw(format!("{} only  ", GROUPS[g].1)),
            ];
            line.extend(cx.hint(Section::Health, Action::CycleGroup, "next group"));
            head.push(Line::from(line));
        }
        if let Some((s, t)) = &self.table {
            let mut line = vec![
                Span::styled("table: ", cx.theme.accent),
                Span::raw(format!(
                    "{}.{}  ",
                    visible(&crate::model::ident::quote_ident(s)),
                    visible(&crate::model::ident::quote_ident(t))
                )),
            ];
            line.extend(cx.hint(Section::List, Action::Back, "shows every table"));
            head.push(Line::from(line));
        }
        head.extend(super::list::filter_line(
            "filter",
            &self.filter,
            self.filtering,
            cx.theme,
        ));
        let rest = super::list::render_head(frame, inner, head);
        if rest.height == 0 {
            return;
        }
        let vis = self.filtered();
        if vis.is_empty() {
            let msg = if self.waiting.is_some() {
                "No findings yet…".to_string()
            } else if !self.started {
                String::new()
            } else if self.findings.is_empty() {
                "No findings: every check passed.".to_string()
            } else if let (Some(g), true) = (self.group, self.filter.is_empty()) {
                format!("No findings in {}.", GROUPS[g].1)
            } else if self.table.is_some() && self.filter.is_empty() {
                "No findings for this table.".to_string()
            } else {
                "No finding matches the filter.".to_string()
            };
            super::list::render_empty(frame, rest, &msg, cx.theme);
            return;
        }
        // list on top, the selected finding's details below
        let (list, detail) = super::list::list_and_detail(rest, 12);

        // lines: a heading per finding group, under it one per (severity, check), then its findings
        let mut lines: Vec<(Option<usize>, Line)> = Vec::new();
        let mut selected_line = 0;
        let mut prev: Option<(Severity, &str)> = None;
        let mut prev_group: Option<&str> = None;
        for (pos, &i) in vis.iter().enumerate() {
            let f = &self.findings[i];
            if prev_group != Some(f.group()) {
                let n = vis
                    .iter()
                    .filter(|&&j| self.findings[j].group() == f.group())
                    .count();
                lines.push((
                    None,
                    Line::styled(
                        format!("── {} ({n})", health::group_title(f.group())),
                        cx.theme.title,
                    ),
                ));
                prev_group = Some(f.group());
                prev = None;
            }
            if prev != Some((f.severity, f.check.as_str())) {
                let n = vis
                    .iter()
                    .filter(|&&j| {
                        self.findings[j].severity == f.severity && self.findings[j].check == f.check
                    })
                    .count();
                let title = health::check(&f.check).map_or(f.check.as_str(), |c| c.title);
                lines.push((
                    None,
                    Line::from(vec![
                        Span::styled(
                            format!("{:<9}", f.severity.name().to_uppercase()),
                            severity_style(cx, f.severity),
                        ),
                        Span::styled(format!("{title} ({n})"), cx.theme.header),
                    ]),
                ));
                prev = Some((f.severity, f.check.as_str()));
            }
            if pos == self.selected {
                selected_line = lines.len();
            }
            let text = truncate(&format!("  {}", f.subject()), w).into_owned();
            let style = if pos == self.selected && cx.focused {
                cx.theme.selection
            } else if pos == self.selected {
                cx.theme.accent
            } else {
                cx.theme.base
            };
            lines.push((Some(pos), Line::styled(text, style)));
        }
        let h = list.height as usize;
        self.page = h.saturating_sub(1).max(1);
        let offset = selected_line.saturating_sub(h.saturating_sub(1) / 2);
        let offset = offset.min(lines.len().saturating_sub(h));
        let shown: Vec<Line> = lines
            .into_iter()
            .skip(offset)
            .take(h)
            .map(|(_, l)| l)
            .collect();
        frame.render_widget(Paragraph::new(shown), list);

        if detail.height == 0 {
            return;
        }
        let Some(f) = self.selected_finding() else {
            return;
        };
        let mut d: Vec<Line> = vec![
            Line::from(vec![
                Span::styled(
                    format!("{} ", f.severity.name()),
                    severity_style(cx, f.severity),
                ),
                Span::styled(format!("{}  ", f.check), cx.theme.header),
                Span::raw(f.subject()),
            ]),
            Line::raw(visible(&f.message).into_owned()),
            Line::styled(f.why().to_string(), cx.theme.muted),
        ];
        let ev: Vec<Span> = f
            .evidence
            .iter()
            .filter(|(_, v)| *v != Value::Null)
            .flat_map(|(k, v)| {
                let v = match v {
                    Value::Int(n) if k.ends_with("_bytes") => health::bytes(*n),
                    v => v.to_string(),
                };
                [
                    Span::styled(format!("{k} "), cx.theme.muted),
                    Span::raw(format!("{}  ", visible(&v))),
                ]
            })
            .collect();
        if !ev.is_empty() {
            d.push(Line::from(ev));
        }
        match &f.fix {
            Some(fix) => {
                let mut hint = vec![Span::styled("fix ", cx.theme.header)];
                hint.extend(cx.hint(Section::Health, Action::EditFix, "puts it in the editor"));
                d.push(Line::from(hint));
                for l in fix.lines() {
                    d.push(Line::styled(
                        visible(l).into_owned(),
                        cx.theme.syntax_keyword,
                    ));
                }
            }
            None => d.push(Line::styled(
                "no fix SQL: see the message for what to plan",
                cx.theme.muted,
            )),
        }
        frame.render_widget(Paragraph::new(d).wrap(Wrap { trim: false }), detail);
    }
}
