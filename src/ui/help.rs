//! The help overlay, generated from the live keymap so it never lies about a binding.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::RenderCx;
use super::layout::centered;
use crate::keymap::{Keymap, Section};

/// Sections in the order the overlay lists them, with their headings.
const SECTIONS: &[(Section, &str)] = &[
    (Section::Global, "Everywhere"),
    (Section::Navigation, "Outside text entry"),
    (Section::Editor, "Query editor"),
    (Section::Results, "Results"),
    (Section::Schema, "Schema browser"),
    (Section::Plan, "Plan"),
    (Section::Activity, "Activity"),
    (Section::Health, "Health"),
    (Section::List, "Lists and trees"),
    (Section::Modal, "Dialogs"),
];

/// The overlay's lines: a heading per section, then `keys  description` per bound action.
pub fn lines(keymap: &Keymap) -> Vec<(Option<String>, String)> {
    let mut out = Vec::new();
    for &(section, heading) in SECTIONS {
        let bindings: Vec<_> = keymap
            .bindings(section)
            .into_iter()
            .filter(|(_, keys)| !keys.is_empty())
            .collect();
        if bindings.is_empty() {
            continue;
        }
        out.push((None, heading.to_string()));
        for (action, keys) in bindings {
            let keys = keys
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            out.push((Some(keys), action.describe().to_string()));
        }
    }
    out
}

/// Draw the overlay; `scroll` is the first line shown (clamped and written back).
pub fn render(frame: &mut Frame, area: Rect, cx: &RenderCx, scroll: &mut usize) {
    let all = lines(cx.keymap);
    let box_area = centered(area, 100, area.height.saturating_sub(2));
    frame.render_widget(Clear, box_area);
    let block = cx.block(" Help — keys (scroll with ↑/↓, close with esc) ");
    let inner = block.inner(box_area);
    frame.render_widget(block, box_area);
    let h = inner.height as usize;
    *scroll = (*scroll).min(all.len().saturating_sub(h));
    let key_w = all
        .iter()
        .filter_map(|(k, _)| k.as_ref().map(|k| k.chars().count()))
        .max()
        .unwrap_or(0)
        .min(28);
    let text: Vec<Line> = all
        .iter()
        .skip(*scroll)
        .take(h)
        .map(|(keys, what)| match keys {
            None => Line::styled(what.clone(), cx.theme.title_focused),
            Some(k) => Line::from(vec![
                Span::styled(format!("  {k:<key_w$}  "), cx.theme.status_key),
                Span::styled(what.clone(), cx.theme.base),
            ]),
        })
        .collect();
    frame.render_widget(Paragraph::new(text), inner);
}
