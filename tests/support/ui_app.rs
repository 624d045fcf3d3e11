//! What the UI tests share: an `App` on fixture settings with a detached request channel, the
//! screen rendered into ratatui's TestBackend as text, and the requests the app sent.

use std::time::Duration;

use pgdeck::app::{App, AppOptions};
use pgdeck::db::{Request, RequestId, Requests};
use pgdeck::keymap::Keymap;
use pgdeck::theme::Theme;
use pgdeck::ui::status::StatusLine;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc::UnboundedReceiver;

/// The requests the app sent, in order.
pub type Sent = UnboundedReceiver<(RequestId, Request)>;

/// An app connected to nothing, with this keymap, the dark theme and no state directory.
pub fn app_with(keymap: Keymap) -> (App, Sent) {
    let (requests, rx) = Requests::detached();
    let app = App::new(AppOptions {
        keymap,
        theme: Theme::load("dark", None).expect("dark theme"),
        requests,
        status: StatusLine {
            target: "alice@/tmp:5432/shop".into(),
            version: "15.18".into(),
            connected: true,
            ..Default::default()
        },
        editor_text: String::new(),
        tab_width: 4,
        activity_interval: Duration::from_secs(2),
        confirm_quit: true,
        state_dir: None,
        database: "shop".into(),
        safe_mode: false,
    });
    (app, rx)
}

/// The app drawn at `w`×`h`, one line of text per row.
pub fn screen(app: &mut App, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    term.draw(|f| app.render(f)).expect("draw");
    let buf = term.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        let mut skip = 0;
        for x in 0..w {
            // a wide character fills two cells; the second holds nothing of its own
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = buf[(x, y)].symbol();
            skip = unicode_width::UnicodeWidthStr::width(sym).saturating_sub(1);
            out.push_str(sym);
        }
        out.push('\n');
    }
    out
}

/// Everything sent since the last call.
pub fn drain(rx: &mut Sent) -> Vec<(RequestId, Request)> {
    let mut v = Vec::new();
    while let Ok(x) = rx.try_recv() {
        v.push(x);
    }
    v
}
