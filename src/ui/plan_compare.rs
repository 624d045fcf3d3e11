//! The plan pane's side-by-side view: the pinned plan ("before") and the plan shown ("after") as
//! two trees, a matched pair of nodes on one row, each node only one plan has on a row of its own,
//! and per row what changed: faster/slower with the factor (▼/▲, and the theme's good/bad colours),
//! a changed node type (≠), only before (−) / only after (+). The plan totals with their ratios
//! on top, the selected row's figures below. Symbols carry the meaning, so it reads with NO_COLOR.
//! The comparison itself is `model::plan::diff`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::RenderCx;
use crate::action::Action;
use crate::keymap::Section;
use crate::model::plan::advice::fmt_ms;
use crate::model::plan::diff::{Change, Comparison, Row, Trend};
use crate::model::plan::report::{match_notes, node_title, totals_lines, trend_mark};
use crate::model::plan::{K, Node, Plan};
use crate::theme::Theme;

/// What the view draws from.
pub struct CompareView<'a> {
    pub before: &'a Plan,
    pub before_label: &'a str,
    pub after: &'a Plan,
    pub after_label: &'a str,
    pub comparison: &'a Comparison,
    /// Selected row, and the first row on screen (kept in view here).
    pub selected: usize,
    pub scroll: &'a mut usize,
}

/// The style of a change: lower is good news for time and buffers.
fn trend_style(th: &Theme, c: &Change) -> Style {
    match c.trend() {
        Trend::Lower => th.ok,
        Trend::Higher => th.error,
        Trend::Same | Trend::Unknown => th.muted,
    }
}

fn width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// Cut `s` to `w` columns (a cut shows as `…`) and pad it to them.
fn fit(s: &str, w: usize) -> String {
    let cut = width(s) > w;
    let room = if cut { w.saturating_sub(1) } else { w };
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + cw > room {
            break;
        }
        out.push(c);
        used += cw;
    }
    if cut && w > 0 {
        out.push('…');
        used += 1;
    }
    out.push_str(&" ".repeat(w.saturating_sub(used)));
    out
}

fn time_of(n: &Node) -> String {
    match (n.m.never_executed, n.m.exclusive_ms) {
        (true, _) => "never".into(),
        (_, Some(e)) => fmt_ms(e),
        _ => format!("cost {:.0}", n.m.exclusive_cost),
    }
}

/// A node's title as its side shows it: indented as in its tree, under its subplan name. Short
/// (the type and the relation's bare name, no schema or index) in a narrow pane: the selected
/// row's details line has the full titles.
fn title_of(n: &Node, short: bool) -> String {
    let mut title = "  ".repeat(n.depth.min(20));
    if let Some(sp) = n.subplan_name() {
        title.push_str(&format!("[{sp}] "));
    }
    let rel = n
        .str(K::Alias)
        .or_else(|| n.str(K::RelationName))
        .or_else(|| n.str(K::FunctionName))
        .or_else(|| n.str(K::CteName));
    match rel {
        Some(r) if short => {
            title.push_str(&n.display_type());
            title.push_str(" on ");
            title.push_str(r);
        }
        _ => title.push_str(&node_title(n)),
    }
    title
}

/// Columns a side needs to show a node whole: title, a blank, time.
fn need(plan: &Plan, id: Option<usize>, short: bool) -> usize {
    id.and_then(|i| plan.nodes.get(i))
        .map_or(0, |n| width(&title_of(n, short)) + 1 + width(&time_of(n)))
}

/// One side of a row: the node's title, cut to fit, its exclusive time at the right (left out
/// when a narrow side cannot have both: the details line below has it).
fn side(plan: &Plan, id: Option<usize>, w: usize, short: bool) -> String {
    let Some(n) = id.and_then(|i| plan.nodes.get(i)) else {
        return " ".repeat(w);
    };
    let time = time_of(n);
    let tw = width(&time) + 1;
    let title = title_of(n, short);
    if w < 40 && width(&title) + tw > w {
        return fit(&title, w);
    }
    format!("{}{:>tw$}", fit(&title, w.saturating_sub(tw)), time)
}

/// How to split `avail` columns between two sides that need `l` and `r`: each gets what it
/// needs when both fit; else the one that needs less than half gets it, the other the rest.
fn split(avail: usize, l: usize, r: usize) -> (usize, usize) {
    let half = avail / 2;
    if l + r <= avail || l <= half {
        (l.min(avail), avail.saturating_sub(l))
    } else if r <= half {
        (avail - r, r)
    } else {
        (half, avail - half)
    }
}

/// The change column of a row, and its style; `compact` drops the words for narrow windows
/// (the symbols stay).
fn change_of(th: &Theme, c: &Comparison, row: &Row, compact: bool) -> (String, Style) {
    match (row.before, row.after, c.row_match(row)) {
        (Some(_), Some(_), Some(m)) => {
            let mut s = trend_mark(&m.exclusive_ms, "faster", "slower");
            if compact {
                // `▼ 12× faster` → `▼12×`
                s = s
                    .replace(" faster", "")
                    .replace(" slower", "")
                    .replace(", from 0", "")
                    .replace(", to 0", "")
                    .replace(' ', "");
            }
            if m.changed {
                s = if compact {
                    format!("≠{s}")
                } else {
                    format!("≠ {s}")
                };
            }
            let style = if m.exclusive_ms.trend() == Trend::Same && m.changed {
                th.warning
            } else {
                trend_style(th, &m.exclusive_ms)
            };
            (s, style)
        }
        (Some(_), None, Some(m)) => (format!("↕ after #{}", m.after), th.muted),
        (None, Some(_), Some(m)) => (format!("↕ before #{}", m.before), th.muted),
        (Some(_), None, None) if compact => ("−".into(), th.muted),
        (None, Some(_), None) if compact => ("+".into(), th.accent),
        (Some(_), None, None) => ("− only before".into(), th.muted),
        (None, Some(_), None) => ("+ only after".into(), th.accent),
        _ => (String::new(), th.muted),
    }
}

/// Draw the comparison into `area` (the pane's inside).
pub fn render(frame: &mut Frame, area: Rect, cx: &RenderCx, v: CompareView) {
    let th = cx.theme;
    let c = v.comparison;
    let mut head: Vec<Line> = vec![Line::from(vec![
        Span::styled("Comparing ", th.accent),
        Span::styled("before: ", th.muted),
        Span::raw(v.before_label.to_string()),
        Span::styled(" (pinned)  →  after: ", th.muted),
        Span::raw(v.after_label.to_string()),
    ])];
    for (l, ch) in totals_lines(&c.totals) {
        head.push(Line::styled(l, trend_style(th, &ch)));
    }
    let mut counts = vec![Span::styled(
        format!(
            "{} matched ({} changed) · {} only before · {} only after   ",
            c.matches.len(),
            c.matches.iter().filter(|m| m.changed).count(),
            c.only_before.len(),
            c.only_after.len()
        ),
        th.muted,
    )];
    counts.extend(cx.hint(Section::Plan, Action::NextView, "the new plan alone"));
    counts.extend(cx.hint(Section::Plan, Action::PinPlan, "unpin"));
    head.push(Line::from(counts));

    let details_h: u16 = if area.height >= 16 { 3 } else { 0 };
    let head_h = (head.len() as u16).min(area.height.saturating_sub(3 + details_h));
    let [top, mid, bottom] = Layout::vertical([
        Constraint::Length(head_h),
        Constraint::Min(2),
        Constraint::Length(details_h),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(head), top);

    // Columns: before │ after │ change, sized to what the rows on screen need; in a narrow
    // pane the change column keeps its symbols only, so the titles keep the room.
    let h = (mid.height as usize).saturating_sub(1);
    if v.selected < *v.scroll {
        *v.scroll = v.selected;
    } else if h > 0 && v.selected >= *v.scroll + h {
        *v.scroll = v.selected + 1 - h;
    }
    let on_screen: Vec<(usize, &Row)> = c.rows.iter().enumerate().skip(*v.scroll).take(h).collect();
    let total = mid.width as usize;
    let compact = total < 100;
    let sep_w = if compact { 1 } else { 3 };
    let changes: Vec<(String, Style)> = on_screen
        .iter()
        .map(|(_, r)| change_of(th, c, r, compact))
        .collect();
    let change_need = changes
        .iter()
        .map(|(s, _)| width(s))
        .chain([width("change")])
        .max()
        .unwrap_or(0);
    let change_w = change_need
        .min(if compact { 10 } else { 30 })
        .min(total / 3);
    let avail = total.saturating_sub(change_w + 2 * sep_w);
    let need_l = on_screen
        .iter()
        .map(|(_, r)| need(v.before, r.before, compact))
        .max()
        .unwrap_or(0);
    let need_r = on_screen
        .iter()
        .map(|(_, r)| need(v.after, r.after, compact))
        .max()
        .unwrap_or(0);
    let (lw, rw) = split(avail, need_l.max(6), need_r.max(5));
    let sep = Span::styled(if compact { "│" } else { " │ " }, th.muted);
    let header = Line::from(vec![
        Span::styled(fit("before", lw), th.header),
        sep.clone(),
        Span::styled(fit("after", rw), th.header),
        sep.clone(),
        Span::styled(fit("change", change_w), th.header),
    ]);
    let mut lines = vec![header];
    for ((i, row), (change, cstyle)) in on_screen.into_iter().zip(changes) {
        let sel = if i == v.selected {
            th.selection
        } else {
            Style::default()
        };
        let left_style = if row.after.is_none() && c.row_match(row).is_none() {
            th.muted.patch(sel)
        } else {
            sel
        };
        lines.push(Line::from(vec![
            Span::styled(side(v.before, row.before, lw, compact), left_style),
            sep.clone(),
            Span::styled(side(v.after, row.after, rw, compact), sel),
            sep.clone(),
            Span::styled(fit(&change, change_w), cstyle),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), mid);

    // The selected row's figures.
    if details_h > 0
        && let Some(row) = c.rows.get(v.selected)
    {
        let name = |p: &Plan, id: Option<usize>| {
            id.and_then(|i| p.nodes.get(i))
                .map(|n| format!("#{} {}", n.id, node_title(n)))
        };
        let mut d: Vec<Line> = Vec::new();
        match (c.row_match(row), row.before, row.after) {
            (Some(m), _, _) => {
                d.push(Line::styled(
                    format!(
                        "{} → {}",
                        name(v.before, Some(m.before)).unwrap_or_default(),
                        name(v.after, Some(m.after)).unwrap_or_default()
                    ),
                    th.header,
                ));
                let mut figs = vec![Span::styled(
                    format!(
                        "time {} → {} {}",
                        m.exclusive_ms.before.map_or("?".into(), fmt_ms),
                        m.exclusive_ms.after.map_or("?".into(), fmt_ms),
                        trend_mark(&m.exclusive_ms, "faster", "slower")
                    ),
                    trend_style(th, &m.exclusive_ms),
                )];
                let notes = match_notes(m);
                if !notes.is_empty() {
                    figs.push(Span::styled(format!("  {}", notes.join(" · ")), th.muted));
                }
                d.push(Line::from(figs));
            }
            (None, Some(b), None) => d.push(Line::styled(
                format!(
                    "{}: only in the plan before ({})",
                    name(v.before, Some(b)).unwrap_or_default(),
                    v.before.nodes.get(b).map(time_of).unwrap_or_default()
                ),
                th.muted,
            )),
            (None, None, Some(a)) => d.push(Line::styled(
                format!(
                    "{}: only in the plan after ({})",
                    name(v.after, Some(a)).unwrap_or_default(),
                    v.after.nodes.get(a).map(time_of).unwrap_or_default()
                ),
                th.accent,
            )),
            _ => {}
        }
        frame.render_widget(Paragraph::new(d).wrap(Wrap { trim: false }), bottom);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sides_get_what_they_need_then_share() {
        assert_eq!(
            split(100, 30, 40),
            (30, 70),
            "both fit: the rest goes right"
        );
        assert_eq!(split(60, 20, 70), (20, 40), "the short side keeps its need");
        assert_eq!(split(60, 70, 20), (40, 20));
        assert_eq!(split(60, 50, 50), (30, 30));
        assert_eq!(split(0, 5, 5), (0, 0));
    }

    #[test]
    fn fit_cuts_visibly_and_pads() {
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("ab", 4), "ab  ");
        assert_eq!(fit("abc", 0), "");
    }
}
