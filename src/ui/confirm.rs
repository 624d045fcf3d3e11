//! The one confirmation modal: says exactly what will happen and waits for yes or no.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::RenderCx;
use super::layout::centered;
use super::text::visible;
use crate::action::Action;
use crate::keymap::Section;

/// What a confirmed dialog does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnConfirm {
    Quit,
    CloseBuffer,
    /// Run the statement held by the app (safe mode asked first).
    RunPending,
    /// The activity pane's pending cancel/terminate or statistics reset.
    Activity,
    /// Reconnect to the database the app holds (chosen in the schema tree).
    SwitchDatabase,
}

/// An open confirmation dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    pub title: String,
    pub body: Vec<String>,
    pub on_confirm: OnConfirm,
}

impl Confirm {
    /// Draw the dialog over `area`.
    pub fn render(&self, frame: &mut Frame, area: Rect, cx: &RenderCx) {
        let w = area.width.saturating_sub(4).clamp(20, 76);
        // Wrapped body lines + a blank line + the key hints + borders.
        let inner_w = usize::from(w.saturating_sub(2)).max(1);
        let body_h: usize = self
            .body
            .iter()
            .map(|l| super::text::width(l).div_ceil(inner_w).max(1))
            .sum();
        let h = u16::try_from(body_h + 4)
            .unwrap_or(u16::MAX)
            .min(area.height);
        let box_area = centered(area, w, h);
        frame.render_widget(Clear, box_area);
        let block = cx.block(format!(" {} ", self.title));
        let inner = block.inner(box_area);
        frame.render_widget(block, box_area);
        let mut text: Vec<Line> = self
            .body
            .iter()
            .map(|l| Line::styled(visible(l).into_owned(), cx.theme.base))
            .collect();
        text.push(Line::raw(""));
        let mut hints = cx.hint(Section::Modal, Action::Confirm, "yes");
        hints.extend(cx.hint(Section::Modal, Action::Dismiss, "no"));
        text.push(Line::from(hints));
        frame.render_widget(
            Paragraph::new(text)
                .wrap(Wrap { trim: false })
                .style(cx.theme.base),
            inner,
        );
    }
}
