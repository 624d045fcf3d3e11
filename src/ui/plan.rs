//! The plan pane: a plan's headline (times, slowest, costliest, largest node, worst misestimate),
//! the node tree with per-node exclusive time, a share bar coloured by heat, rows planned → actual
//! with the misestimate factor, loops and buffers; collapse/expand; the selected node's properties;
//! and the advice list, each item jumping to its node. The fix of an advice item goes to the editor
//! through the app (`use_suggestion`), never run from here. Parsing and analysis are the model's.
//! A plan can be pinned as "before" (`pin_plan`): the next plan shown (EXPLAIN from the editor, a
//! pasted or loaded plan) is then compared with it side by side ([`super::plan_compare`]), and
//! `next_view` switches between the comparison and the new plan alone.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{Handled, Pane, RenderCx};
use crate::action::Action;
use crate::db::explain::Explained;
use crate::db::{Reply, Request, RequestId, Requests, Response};
use crate::model::plan::advice::{self, Advice, fmt_ms};
use crate::model::plan::report::{headline, misestimate_mark, node_title};
use crate::model::plan::statement::ExplainOptions;
use crate::model::plan::{self, K, Plan, diff, metrics};

/// Which list the cursor keys move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    #[default]
    Tree,
    Advice,
}

/// A plan on screen.
pub struct Shown {
    pub plan: Plan,
    pub advice: Vec<Advice>,
    /// The statement explained, when it came from the editor.
    pub statement: Option<String>,
    pub rolled_back: bool,
}

/// The plan pinned as "before".
pub struct Pinned {
    pub plan: Plan,
    /// What it is, for the comparison's header: the statement's first line, or "pasted plan".
    pub label: String,
}

/// The first line of a statement, shortened, or what the plan is when there is none.
fn label_of(statement: Option<&str>) -> String {
    match statement.and_then(|s| s.lines().map(str::trim).find(|l| !l.is_empty())) {
        Some(l) if l.chars().count() > 60 => format!("{}…", l.chars().take(59).collect::<String>()),
        Some(l) => l.to_string(),
        None => "pasted plan".to_string(),
    }
}

/// The plan pane.
#[derive(Default)]
pub struct PlanPane {
    pub shown: Option<Shown>,
    waiting: Option<RequestId>,
    /// What is being explained (for the "explaining…" line and a re-run).
    pending: Option<String>,
    pub error: Option<String>,
    /// Selected node id.
    pub selected: usize,
    pub selected_advice: usize,
    pub focus: Focus,
    collapsed: std::collections::HashSet<usize>,
    scroll: usize,
    /// The "before" plan of a comparison.
    pub pinned: Option<Pinned>,
    /// The pinned plan compared with the plan shown (made when a plan arrives while pinned).
    pub comparison: Option<diff::Comparison>,
    /// Whether the comparison, rather than the plan alone, is on screen.
    pub comparing: bool,
    /// Selected row of the comparison, and its first row on screen.
    pub compare_row: usize,
    compare_scroll: usize,
}

impl PlanPane {
    /// Ask the worker to explain `sql`; the reply lands here.
    pub fn explain(&mut self, requests: &Requests, sql: String, options: ExplainOptions) {
        let id = requests.send(Request::Explain {
            sql: sql.clone(),
            options,
        });
        self.waiting = Some(id);
        self.pending = Some(sql);
        self.error = None;
    }

    /// Show a plan from text (pasted or loaded); errors name the line.
    pub fn show_text(&mut self, text: &str, statement: Option<String>, rolled_back: bool) {
        self.show_with(text, statement, rolled_back, &advice::Context::default());
    }

    /// [`Self::show_text`] with what is known of the tables (their indexes, when connected).
    fn show_with(
        &mut self,
        text: &str,
        statement: Option<String>,
        rolled_back: bool,
        ctx: &advice::Context,
    ) {
        match plan::parse(text) {
            Ok(mut p) => {
                metrics::analyse(&mut p);
                let advice = advice::advise(&p, ctx);
                self.shown = Some(Shown {
                    plan: p,
                    advice,
                    statement,
                    rolled_back,
                });
                self.error = None;
                self.selected = 0;
                self.selected_advice = 0;
                self.scroll = 0;
                self.collapsed.clear();
                if let (Some(pin), Some(shown)) = (&self.pinned, &self.shown) {
                    self.comparison = Some(diff::compare(&pin.plan, &shown.plan));
                    self.comparing = true;
                    self.compare_row = 0;
                    self.compare_scroll = 0;
                }
            }
            Err(e) => self.error = Some(format!("cannot read the plan: {e}")),
        }
    }

    pub fn show_explained(&mut self, e: Explained) {
        let ctx = advice::Context::from_indexes(e.indexes);
        self.show_with(&e.json, Some(e.statement), e.rolled_back, &ctx);
    }

    /// The fix of the selected advice item (for the editor).
    pub fn selected_suggestion(&self) -> Option<String> {
        let s = self.shown.as_ref()?;
        let fix = s.advice.get(self.selected_advice)?.suggestion.clone()?;
        // `EXPLAIN (...) <statement>`: with the statement when it is known.
        Some(match &s.statement {
            Some(stmt) if fix.contains("<statement>") => fix.replace("<statement>", stmt),
            _ => fix,
        })
    }

    /// Pin the plan shown as "before"; when one is pinned already, unpin it (and leave the
    /// comparison).
    pub fn toggle_pin(&mut self) {
        if self.pinned.take().is_some() {
            self.comparison = None;
            self.comparing = false;
            return;
        }
        if let Some(s) = &self.shown {
            self.pinned = Some(Pinned {
                plan: s.plan.clone(),
                label: label_of(s.statement.as_deref()),
            });
        }
    }

    /// The statement last explained, for a re-run.
    pub fn statement(&self) -> Option<String> {
        self.shown
            .as_ref()
            .and_then(|s| s.statement.clone())
            .or_else(|| self.pending.clone())
    }

    /// Node ids visible in the tree (collapsed subtrees hidden), in order.
    pub fn visible(&self) -> Vec<usize> {
        let Some(s) = &self.shown else {
            return Vec::new();
        };
        let mut out = Vec::with_capacity(s.plan.nodes.len());
        let mut hide_below: Option<usize> = None;
        for n in &s.plan.nodes {
            if let Some(d) = hide_below {
                if n.depth > d {
                    continue;
                }
                hide_below = None;
            }
            out.push(n.id);
            if self.collapsed.contains(&n.id) {
                hide_below = Some(n.depth);
            }
        }
        out
    }

    fn move_sel(&mut self, delta: isize) {
        if self.comparing
            && let Some(c) = &self.comparison
        {
            let n = c.rows.len();
            if n > 0 {
                self.compare_row =
                    (self.compare_row as isize + delta).clamp(0, n as isize - 1) as usize;
            }
            return;
        }
        match self.focus {
            Focus::Tree => {
                let vis = self.visible();
                if vis.is_empty() {
                    return;
                }
                let pos = vis.iter().position(|i| *i == self.selected).unwrap_or(0);
                let np = (pos as isize + delta).clamp(0, vis.len() as isize - 1) as usize;
                self.selected = vis[np];
            }
            Focus::Advice => {
                let n = self.shown.as_ref().map_or(0, |s| s.advice.len());
                if n > 0 {
                    self.selected_advice =
                        (self.selected_advice as isize + delta).clamp(0, n as isize - 1) as usize;
                }
            }
        }
    }
}

/// A bar of `width` cells filled to `share`.
fn bar(share: f64, width: usize) -> String {
    let eighths = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    let total = (share.clamp(0.0, 1.0) * width as f64 * 8.0).round() as usize;
    let mut s = "█".repeat(total / 8);
    s.push_str(eighths[total % 8]);
    let used = total / 8 + usize::from(!total.is_multiple_of(8));
    s.push_str(&" ".repeat(width.saturating_sub(used)));
    s
}

/// Scroll so that row `pos` is inside a window of `h` rows from `scroll`.
fn keep_in_view(scroll: &mut usize, pos: usize, h: usize) {
    if pos < *scroll {
        *scroll = pos;
    } else if h > 0 && pos >= *scroll + h {
        *scroll = pos + 1 - h;
    }
}

fn text_width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// Which of a tree row's figures are shown, richest first: a narrow tree drops the bar and the
/// buffers, then rows and loops, before it cuts a node's label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Figures {
    Full,
    NoBar,
    Lean,
    TimeOnly,
}

/// One node's line in the tree: its label, and what its figures are made of.
struct TreeRow {
    title: String,
    share: f64,
    time: String,
    rows: String,
    loops: String,
    bufs: String,
}

impl TreeRow {
    fn figures(&self, kind: Figures) -> String {
        let (time, share) = (&self.time, self.share * 100.0);
        match kind {
            Figures::Full => format!(
                " {time:>10} {} {share:>3.0}% {}{}{}",
                bar(self.share, 6),
                self.rows,
                self.loops,
                self.bufs
            ),
            Figures::NoBar => format!(" {time:>10} {share:>3.0}% {}{}", self.rows, self.loops),
            Figures::Lean => format!(" {time:>10} {share:>3.0}%"),
            Figures::TimeOnly => format!(" {time}"),
        }
    }
}

fn tree_row(n: &plan::Node, collapsed: bool) -> TreeRow {
    let fold = if n.children.is_empty() {
        "  "
    } else if collapsed {
        "▸ "
    } else {
        "▾ "
    };
    let mut title = String::new();
    title.push_str(&"  ".repeat(n.depth.min(30)));
    title.push_str(fold);
    if let Some(sp) = n.subplan_name() {
        title.push_str(&format!("[{sp}] "));
    }
    title.push_str(&node_title(n));
    let time = match (n.m.never_executed, n.m.exclusive_ms) {
        (true, _) => "never executed".to_string(),
        (_, Some(e)) => fmt_ms(e),
        _ => format!("cost {:.0}", n.m.exclusive_cost),
    };
    let rows = match n.num(K::ActualRows) {
        Some(a) => format!(
            "{} → {} {}",
            advice::fmt_count(n.num(K::PlanRows).unwrap_or(0.0)),
            advice::fmt_count(a),
            misestimate_mark(n)
        ),
        None => advice::fmt_count(n.num(K::PlanRows).unwrap_or(0.0)),
    };
    let loops =
        n.m.loops
            .filter(|l| *l > 1.0)
            .map(|l| format!(" ×{}", advice::fmt_count(l)))
            .unwrap_or_default();
    let bufs = n.m.shared_hit + n.m.shared_read;
    let bufs = if bufs > 0.0 {
        format!(" {}b", advice::fmt_count(bufs))
    } else {
        String::new()
    };
    TreeRow {
        title,
        share: n.m.time_share.unwrap_or(n.m.cost_share),
        time,
        rows,
        loops,
        bufs,
    }
}

/// The colour of a node's figures: its share of the run.
fn heat_style(th: &crate::theme::Theme, share: f64) -> Style {
    if share > 0.9 {
        th.severity_critical
    } else if share > 0.4 {
        th.severity_warning
    } else if share > 0.1 {
        th.severity_info
    } else {
        th.muted
    }
}

impl Pane for PlanPane {
    fn update(&mut self, action: Action, _requests: &Requests) -> Handled {
        if self.shown.is_none() {
            return Handled::No;
        }
        match action {
            Action::Up => self.move_sel(-1),
            Action::Down => self.move_sel(1),
            Action::PageUp => self.move_sel(-10),
            Action::PageDown => self.move_sel(10),
            Action::Top => self.move_sel(-1_000_000),
            Action::Bottom => self.move_sel(1_000_000),
            Action::PinPlan => self.toggle_pin(),
            Action::NextView if self.comparison.is_some() => self.comparing = !self.comparing,
            // In the comparison, enter opens the row's node of the new plan alone.
            Action::Select if self.comparing => {
                let after = self
                    .comparison
                    .as_ref()
                    .and_then(|c| c.rows.get(self.compare_row))
                    .and_then(|r| r.after);
                if let Some(a) = after {
                    self.comparing = false;
                    self.focus = Focus::Tree;
                    self.selected = a;
                    if let Some(s) = &self.shown {
                        let mut p = s.plan.nodes.get(a).and_then(|n| n.parent);
                        while let Some(i) = p {
                            self.collapsed.remove(&i);
                            p = s.plan.nodes[i].parent;
                        }
                    }
                }
            }
            _ if self.comparing
                && matches!(
                    action,
                    Action::Right | Action::Left | Action::Back | Action::Toggle | Action::Select
                ) => {}
            Action::Right => self.focus = Focus::Advice,
            Action::Left | Action::Back => self.focus = Focus::Tree,
            Action::Toggle => {
                if !self.collapsed.remove(&self.selected) {
                    self.collapsed.insert(self.selected);
                }
            }
            Action::Select => {
                if self.focus == Focus::Advice
                    && let Some(node) = self
                        .shown
                        .as_ref()
                        .and_then(|s| s.advice.get(self.selected_advice))
                        .and_then(|a| a.node)
                {
                    // Expand the ancestors so the node is visible.
                    if let Some(s) = &self.shown {
                        let mut p = s.plan.nodes.get(node).and_then(|n| n.parent);
                        while let Some(i) = p {
                            self.collapsed.remove(&i);
                            p = s.plan.nodes[i].parent;
                        }
                    }
                    self.selected = node;
                    self.focus = Focus::Tree;
                }
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
            Ok(Reply::Plan(e)) => self.show_explained(e),
            Ok(_) => {}
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    fn render(&mut self, frame: &mut Frame, area: Rect, cx: &RenderCx) {
        let block = cx.block(" Plan ");
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let th = cx.theme;
        let Some(shown) = &self.shown else {
            let mut text = vec![Line::raw("")];
            if let Some(sql) = self.pending.as_ref().filter(|_| self.waiting.is_some()) {
                text.push(Line::styled(
                    format!("Explaining: {}", sql.lines().next().unwrap_or("")),
                    th.muted,
                ));
            } else {
                text.push(Line::styled("No plan to show.", th.muted));
            }
            if let Some(e) = &self.error {
                text.push(Line::styled(e.clone(), th.error));
            }
            let mut hint = vec![Span::styled("In the editor: ", th.muted)];
            hint.extend(cx.hint(crate::keymap::Section::Editor, Action::Explain, "explain"));
            hint.extend(cx.hint(
                crate::keymap::Section::Editor,
                Action::ExplainAnalyze,
                "explain analyze (writes are rolled back)",
            ));
            text.push(Line::from(hint));
            frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), inner);
            return;
        };
        if self.comparing
            && let (Some(c), Some(pin)) = (&self.comparison, &self.pinned)
        {
            let after_label = label_of(shown.statement.as_deref());
            super::plan_compare::render(
                frame,
                inner,
                cx,
                super::plan_compare::CompareView {
                    before: &pin.plan,
                    before_label: &pin.label,
                    after: &shown.plan,
                    after_label: &after_label,
                    comparison: c,
                    selected: self.compare_row,
                    scroll: &mut self.compare_scroll,
                },
            );
            return;
        }
        let head = headline(&shown.plan);
        let mut head_lines: Vec<Line> = Vec::new();
        if shown.rolled_back {
            head_lines.push(Line::styled(
                "The statement writes: it ran inside BEGIN … ROLLBACK; nothing was kept.",
                th.warning,
            ));
        }
        if let Some(e) = &self.error {
            head_lines.push(Line::styled(e.clone(), th.error));
        }
        if let Some(pin) = &self.pinned {
            head_lines.push(Line::styled(
                format!("Pinned as before: {}", pin.label),
                th.accent,
            ));
            let mut l = Vec::new();
            if self.comparison.is_some() {
                l.extend(cx.hint(
                    crate::keymap::Section::Plan,
                    Action::NextView,
                    "the comparison",
                ));
            } else {
                l.push(Span::styled(
                    "The next plan (EXPLAIN, or a pasted plan) is compared with it.  ",
                    th.muted,
                ));
            }
            l.extend(cx.hint(crate::keymap::Section::Plan, Action::PinPlan, "unpin"));
            head_lines.push(Line::from(l));
        }
        for (i, h) in head.iter().enumerate() {
            head_lines.push(Line::styled(
                h.clone(),
                if i == 0 { th.accent } else { th.muted },
            ));
        }
        // The tree comes first: in a short window the advice list and the headline give up
        // rows to it.
        let mut advice_h = (shown.advice.len() as u16 + 1).clamp(2, 9);
        if inner.height < 30 {
            advice_h = advice_h.min((inner.height / 4).max(2));
        }
        let head_h =
            (head_lines.len() as u16).min(inner.height.saturating_sub(advice_h + 6).max(1));
        let [top, mid, bottom] = Layout::vertical([
            Constraint::Length(head_h),
            Constraint::Min(3),
            Constraint::Length(advice_h),
        ])
        .areas(inner);
        frame.render_widget(Paragraph::new(head_lines), top);

        // Tree: only the visible window is built, so a 5,000-node plan scrolls as fast as a small
        // one. What its rows need decides the layout: the details panel sits beside the tree only
        // when the tree keeps room for its labels and figures; else it goes below the tree (or,
        // in a short window, is left out: the tree's labels win).
        let vis = self.visible();
        let pos = vis.iter().position(|i| *i == self.selected).unwrap_or(0);
        keep_in_view(&mut self.scroll, pos, mid.height as usize);
        let window_start = self.scroll;
        let window: Vec<usize> = vis
            .iter()
            .skip(self.scroll)
            .take(mid.height as usize)
            .copied()
            .collect();
        let rows: Vec<TreeRow> = window
            .iter()
            .map(|&id| tree_row(&shown.plan.nodes[id], self.collapsed.contains(&id)))
            .collect();
        let title_need = rows.iter().map(|r| text_width(&r.title)).max().unwrap_or(0);
        let figures_need = rows
            .iter()
            .map(|r| text_width(&r.figures(Figures::Full)))
            .max()
            .unwrap_or(0);
        const DETAILS_MIN: usize = 30;
        let beside = mid.width as usize >= title_need + 1 + figures_need + 1 + DETAILS_MIN;
        let (tree_area, detail_area) = if beside {
            let tree_w = (title_need + 1 + figures_need)
                .max(mid.width as usize * 55 / 100)
                .min(mid.width as usize - DETAILS_MIN - 1) as u16;
            let [t, d] = Layout::horizontal([Constraint::Length(tree_w), Constraint::Min(0)])
                .spacing(1)
                .areas(mid);
            (t, Some(d))
        } else if mid.height >= 9 {
            let details_h = (mid.height / 3).min(12);
            let [t, d] =
                Layout::vertical([Constraint::Min(3), Constraint::Length(details_h)]).areas(mid);
            (t, Some(d))
        } else {
            (mid, None)
        };
        let h = tree_area.height as usize;
        // A shorter tree (details below) may scroll further: still inside `window`.
        keep_in_view(&mut self.scroll, pos, h);
        let width = tree_area.width as usize;
        // The richest figures that leave the labels whole; the leanest when none does.
        let kind = [
            Figures::Full,
            Figures::NoBar,
            Figures::Lean,
            Figures::TimeOnly,
        ]
        .into_iter()
        .find(|k| {
            rows.iter()
                .map(|r| text_width(&r.figures(*k)))
                .max()
                .unwrap_or(0)
                + title_need
                < width
        })
        .unwrap_or(Figures::TimeOnly);
        let built: Vec<(usize, &TreeRow, String)> = window
            .iter()
            .zip(&rows)
            .skip(self.scroll - window_start)
            .take(h)
            .map(|(&id, r)| (id, r, r.figures(kind)))
            .collect();
        // One column for the figures, as wide as the widest on screen, so that they line up.
        let right_w = built.iter().map(|r| text_width(&r.2)).max().unwrap_or(0);
        let title_w = width.saturating_sub(right_w).max(8.min(width));
        let mut lines = Vec::with_capacity(built.len());
        for (id, row, right) in built {
            let mut t = String::new();
            let mut tw = 0;
            for c in row.title.chars() {
                let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
                if tw + cw > title_w {
                    break;
                }
                t.push(c);
                tw += cw;
            }
            t.push_str(&" ".repeat(title_w.saturating_sub(tw)));
            let style = if id == self.selected {
                th.selection
            } else {
                Style::default()
            };
            let heat = heat_style(th, row.share);
            lines.push(Line::from(vec![
                Span::styled(t, style),
                Span::styled(right, heat),
            ]));
        }
        frame.render_widget(Paragraph::new(lines), tree_area);

        // Details of the selected node: derived figures first, then every property.
        if let Some(detail_area) = detail_area
            && let Some(n) = shown.plan.nodes.get(self.selected)
        {
            let mut d: Vec<Line> = vec![Line::styled(
                format!("#{} {}", n.id, node_title(n)),
                th.header,
            )];
            let m = &n.m;
            if let Some(i) = m.inclusive_ms {
                d.push(Line::raw(format!(
                    "time {} incl, {} excl",
                    fmt_ms(i),
                    fmt_ms(m.exclusive_ms.unwrap_or(0.0))
                )));
            }
            if let Some(f) = m.misestimate {
                let dir = match m.direction {
                    metrics::Direction::Under => Some("more than planned"),
                    metrics::Direction::Over => Some("fewer than planned"),
                    metrics::Direction::None => None,
                };
                if let Some(dir) = dir {
                    d.push(Line::raw(format!("rows {f:.1}× {dir}")));
                }
            }
            if m.rows_removed > 0.0 {
                d.push(Line::raw(format!(
                    "rows removed {}",
                    advice::fmt_count(m.rows_removed)
                )));
            }
            // In the order EXPLAIN gives them (plan::Props keeps it), as psql shows them.
            for (k, v) in n.props.iter() {
                let text = match v {
                    serde_json::Value::String(s) => s.clone(),
                    // `Sort Key`, `Output`, `Group Key`: one item after the other, as psql shows them.
                    serde_json::Value::Array(items) if items.iter().all(|i| i.is_string()) => items
                        .iter()
                        .filter_map(serde_json::Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", "),
                    other => other.to_string(),
                };
                d.push(Line::from(vec![
                    Span::styled(format!("{k}: "), th.muted),
                    Span::raw(text),
                ]));
            }
            frame.render_widget(Paragraph::new(d).wrap(Wrap { trim: false }), detail_area);
        }

        // Advice list.
        let mut a_lines = vec![Line::styled(
            format!(
                "Advice ({}){}",
                shown.advice.len(),
                if self.focus == Focus::Advice {
                    "  enter: go to node  e: fix into editor"
                } else {
                    "  →: select advice"
                }
            ),
            th.header,
        )];
        let ah = bottom.height.saturating_sub(1) as usize;
        let start = self.selected_advice.saturating_sub(ah.saturating_sub(1));
        for (i, a) in shown.advice.iter().enumerate().skip(start).take(ah) {
            let sev = match a.severity {
                advice::Severity::Critical => th.severity_critical,
                advice::Severity::Warning => th.severity_warning,
                advice::Severity::Info => th.severity_info,
            };
            let sel = self.focus == Focus::Advice && i == self.selected_advice;
            // The fix marker goes first: a long line is cut at the pane's edge.
            let fix = if a.suggestion.is_some() {
                "[fix] "
            } else {
                "      "
            };
            a_lines.push(Line::from(vec![
                Span::styled(format!("{:<8} ", a.severity.label()), sev),
                Span::styled(fix, th.accent),
                Span::styled(
                    format!("{}: {}", a.rule, a.seen),
                    if sel { th.selection } else { Style::default() },
                ),
            ]));
        }
        frame.render_widget(Paragraph::new(a_lines), bottom);
    }
}
