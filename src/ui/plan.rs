//! The plan pane. The foundation draws the frame and says what the pane is for; the plan viewer
//! (parsing, metrics, advice) is built on top of it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use super::{Handled, Pane, RenderCx};
use crate::action::Action;
use crate::db::{RequestId, Requests, Response};

/// The plan pane (empty until the plan viewer lands).
#[derive(Default)]
pub struct PlanPane;

impl Pane for PlanPane {
    fn update(&mut self, _action: Action, _requests: &Requests) -> Handled {
        Handled::No
    }
    fn waits_for(&self, _id: RequestId) -> bool {
        false
    }
    fn on_reply(&mut self, _response: Response) {}
    fn render(&mut self, frame: &mut Frame, area: Rect, cx: &RenderCx) {
        let block = cx.block(" Plan ");
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let text = vec![
            Line::raw(""),
            Line::styled("No plan to show.", cx.theme.muted),
            Line::styled(
                "The plan viewer (EXPLAIN from the editor, pasted plans, advice) is not part of this build yet.",
                cx.theme.muted,
            ),
        ];
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), inner);
    }
}
