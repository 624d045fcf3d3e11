//! The status bar: who and where (user@host:port/db), server version, primary/standby, transaction
//! state, read-only, the last statement's time and rows, a spinner while waiting, and messages.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::RenderCx;
use super::grid::spinner;
use super::text::{duration, truncate, visible, width};
use crate::action::Action;
use crate::keymap::Section;
use crate::model::txn::TxStatus;

/// Severity of a status message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warning,
    Error,
}

/// What the status bar shows; the app keeps it up to date.
#[derive(Debug, Clone, Default)]
pub struct StatusLine {
    pub target: String,
    pub version: String,
    pub standby: bool,
    pub read_only: bool,
    pub tx: TxStatus,
    pub connected: bool,
    /// Elapsed seconds and rows of the last run.
    pub last_run: Option<(f64, u64)>,
    pub busy: bool,
    pub message: Option<(Level, String)>,
}

impl StatusLine {
    /// Draw into a one-line area.
    pub fn render(&self, frame: &mut Frame, area: Rect, cx: &RenderCx) {
        let t = cx.theme;
        let mut left: Vec<Span> = vec![Span::styled(
            format!(" {} ", visible(&self.target)),
            t.status_bar,
        )];
        if !self.connected {
            left.push(Span::styled(" disconnected ", t.error));
        }
        left.push(Span::styled(
            format!(
                " PG {} {} ",
                self.version,
                if self.standby { "standby" } else { "primary" }
            ),
            t.muted,
        ));
        if self.read_only {
            left.push(Span::styled(" read-only ", t.warning));
        }
        let tx_style = match self.tx {
            TxStatus::Idle => t.muted,
            TxStatus::InTransaction => t.warning,
            TxStatus::Failed => t.error,
        };
        left.push(Span::styled(format!(" {} ", self.tx.label()), tx_style));
        if self.busy {
            left.push(Span::styled(format!(" {} ", spinner(cx.tick)), t.spinner));
        } else if let Some((secs, rows)) = self.last_run {
            left.push(Span::styled(
                format!(
                    " {} · {rows} row{} ",
                    duration(secs),
                    if rows == 1 { "" } else { "s" }
                ),
                t.muted,
            ));
        }
        let mut right: Vec<Span> = Vec::new();
        right.extend(cx.hint(Section::Global, Action::Help, "help"));
        right.extend(cx.hint(Section::Global, Action::Quit, "quit"));
        let used: usize = left
            .iter()
            .chain(right.iter())
            .map(|s| width(&s.content))
            .sum();
        let avail = (area.width as usize).saturating_sub(used + 1);
        if let Some((level, msg)) = &self.message {
            let style = match level {
                Level::Info => t.info,
                Level::Warning => t.warning,
                Level::Error => t.error,
            };
            let m = visible(msg).replace("\\n", " ");
            left.push(Span::styled(
                format!(" {}", truncate(&m, avail.saturating_sub(1))),
                style,
            ));
        }
        let used: usize = left
            .iter()
            .chain(right.iter())
            .map(|s| width(&s.content))
            .sum();
        let pad = (area.width as usize).saturating_sub(used);
        // On narrow windows the hints go first; the connection and state matter more.
        if pad == 0 && used > area.width as usize {
            right.clear();
        }
        left.push(Span::raw(" ".repeat(pad)));
        left.extend(right);
        frame.render_widget(Paragraph::new(Line::from(left)).style(t.status_bar), area);
    }
}
