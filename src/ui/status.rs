//! The status bar: who and where (user@host:port/db), server version, primary/standby, transaction
//! state, read-only, the last statement's time and rows, a spinner while waiting, and messages.
//! On a narrow window the least important parts give way first: key hints, then the version, then
//! the target is shortened; the transaction state and the read-only flag always stay.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::RenderCx;
use super::grid::spinner;
use super::text::{duration, truncate, visible, width};
use crate::action::Action;
use crate::keymap::Section;
use crate::model::txn::{TxMode, TxStatus};

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
    /// Safe mode asks before destructive statements.
    pub safe: bool,
    pub tx: TxStatus,
    /// Manual commit and on-error rollback, shown when not psql's defaults.
    pub tx_mode: TxMode,
    pub connected: bool,
    /// Elapsed seconds and rows of the last run.
    pub last_run: Option<(f64, u64)>,
    pub busy: bool,
    pub message: Option<(Level, String)>,
}

/// A piece of the bar; lower `keep` gives way first when space runs out.
struct Part {
    text: String,
    style: Style,
    keep: u8,
}

impl StatusLine {
    /// Draw into a one-line area.
    pub fn render(&self, frame: &mut Frame, area: Rect, cx: &RenderCx) {
        let t = cx.theme;
        let avail = area.width as usize;
        let target = format!(" {} ", visible(&self.target));
        let mut parts: Vec<Part> = Vec::new();
        if !self.connected {
            parts.push(Part {
                text: " disconnected ".into(),
                style: t.error,
                keep: 9,
            });
        }
        parts.push(Part {
            text: format!(
                " PG {} {} ",
                self.version,
                if self.standby { "standby" } else { "primary" }
            ),
            style: t.muted,
            keep: 2,
        });
        if self.read_only {
            parts.push(Part {
                text: " read-only ".into(),
                style: t.warning,
                keep: 9,
            });
        }
        let tx_style = match self.tx {
            TxStatus::Idle => t.muted,
            TxStatus::InTransaction => t.warning,
            TxStatus::Failed => t.error,
        };
        parts.push(Part {
            text: format!(" {} ", self.tx.label()),
            style: tx_style,
            keep: 9,
        });
        if !self.tx_mode.autocommit {
            parts.push(Part {
                text: " manual commit ".into(),
                style: t.warning,
                keep: 9,
            });
        }
        if self.tx_mode.on_error_rollback {
            parts.push(Part {
                text: " on-error rollback ".into(),
                style: t.muted,
                keep: 5,
            });
        }
        if self.busy {
            parts.push(Part {
                text: format!(" {} ", spinner(cx.tick)),
                style: t.spinner,
                keep: 8,
            });
        } else if let Some((secs, rows)) = self.last_run {
            parts.push(Part {
                text: format!(
                    " {} · {rows} row{} ",
                    duration(secs),
                    if rows == 1 { "" } else { "s" }
                ),
                style: t.muted,
                keep: 4,
            });
        }
        let hints: Vec<Span> = [
            cx.hint(Section::Global, Action::Help, "help"),
            cx.hint(Section::Global, Action::Quit, "quit"),
        ]
        .concat();
        let hints_w: usize = hints.iter().map(|s| width(&s.content)).sum();

        // Drop parts until the essentials fit next to at least a short target.
        let min_target = 12.min(width(&target));
        let used = |parts: &[Part]| parts.iter().map(|p| width(&p.text)).sum::<usize>();
        let mut show_hints = true;
        while used(&parts) + min_target + if show_hints { hints_w } else { 0 } > avail {
            if show_hints {
                show_hints = false;
                continue;
            }
            match parts
                .iter()
                .enumerate()
                .filter(|(_, p)| p.keep < 9)
                .min_by_key(|(_, p)| p.keep)
            {
                Some((i, _)) => {
                    parts.remove(i);
                }
                None => break,
            }
        }
        let right_w = if show_hints { hints_w } else { 0 };
        // A message needs room more than the full target does: the target is shortened for it.
        let target_cap = if self.message.is_some() {
            24.max(min_target)
        } else {
            usize::MAX
        };
        let target_w = avail.saturating_sub(used(&parts) + right_w).min(target_cap);
        let mut spans = vec![Span::styled(
            truncate(&target, target_w).into_owned(),
            t.status_bar,
        )];
        spans.extend(parts.into_iter().map(|p| Span::styled(p.text, p.style)));
        let mut left_w: usize = spans.iter().map(|s| width(&s.content)).sum();
        if let Some((level, msg)) = &self.message {
            let style = match level {
                Level::Info => t.info,
                Level::Warning => t.warning,
                Level::Error => t.error,
            };
            let room = avail.saturating_sub(left_w + right_w + 1);
            if room > 8 {
                let m = format!(" {}", truncate(&visible(msg).replace("\\n", " "), room - 1));
                left_w += width(&m);
                spans.push(Span::styled(m, style));
            }
        }
        spans.push(Span::raw(
            " ".repeat(avail.saturating_sub(left_w + right_w)),
        ));
        if show_hints {
            spans.extend(hints);
        }
        frame.render_widget(Paragraph::new(Line::from(spans)).style(t.status_bar), area);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keymap::Keymap;
    use crate::theme::Theme;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    #[test]
    fn a_message_is_shown_beside_a_long_target() {
        let status = StatusLine {
            target: "postgres@/tmp/pgdeck-8760-0/sock:5432/pgdeck_demo".into(),
            version: "15.18".into(),
            connected: true,
            message: Some((Level::Warning, "copy too large for the terminal".into())),
            ..Default::default()
        };
        let line = draw(&status, 120);
        assert!(line.contains("copy too large"), "{line}");
        assert!(line.contains("postgres@/tmp/"), "{line}");
    }

    fn draw(status: &StatusLine, w: u16) -> String {
        let theme = Theme::load("dark", None).expect("theme");
        let keymap = Keymap::default_keymap();
        let cx = RenderCx {
            theme: &theme,
            keymap: &keymap,
            focused: false,
            tick: 0,
        };
        let mut term = Terminal::new(TestBackend::new(w, 1)).expect("terminal");
        term.draw(|f| status.render(f, f.area(), &cx))
            .expect("draw");
        term.backend()
            .buffer()
            .content()
            .iter()
            .map(|c| c.symbol())
            .collect()
    }

    #[test]
    fn narrow_bars_keep_the_transaction_state_and_read_only_flag() {
        let s = StatusLine {
            target: "postgres@/tmp/a/very/long/socket/directory/path:5432/some_database".into(),
            version: "15.18".into(),
            tx: TxStatus::Failed,
            read_only: true,
            connected: true,
            last_run: Some((0.012, 3)),
            ..Default::default()
        };
        let wide = draw(&s, 200);
        assert!(
            wide.contains("PG 15.18 primary") && wide.contains("f1 help"),
            "{wide}"
        );
        let narrow = draw(&s, 60);
        assert!(narrow.contains("failed transaction"), "{narrow}");
        assert!(narrow.contains("read-only"), "{narrow}");
        assert!(narrow.contains("postgres@"), "{narrow}");
        assert!(!narrow.contains("f1 help"), "{narrow}");
    }
}
