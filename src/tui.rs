//! The terminal: entering and leaving the full-screen mode on every path (including panics), and the
//! event loop that feeds the app and draws it. Nothing is printed while the alternate screen is up.

use std::io::stdout;
use std::time::Duration;

use crossterm::event::{
    DisableBracketedPaste, EnableBracketedPaste, EventStream, KeyboardEnhancementFlags,
    PopKeyboardEnhancementFlags, PushKeyboardEnhancementFlags,
};
use crossterm::execute;
use futures_util::StreamExt;
use ratatui::DefaultTerminal;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use crate::app::App;
use crate::db::WorkerEvent;
use crate::event::Event;

/// How often the loop wakes without input: spinners and refresh intervals need no finer grain.
const TICK: Duration = Duration::from_millis(125);

/// Run the app full-screen until it quits. The terminal is restored on every exit path.
pub async fn run(
    app: &mut App,
    events: &mut mpsc::UnboundedReceiver<WorkerEvent>,
) -> anyhow::Result<()> {
    install_panic_hook();
    crossterm::terminal::enable_raw_mode()?;
    execute!(stdout(), crossterm::terminal::EnterAlternateScreen)?;
    let mut terminal = ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(stdout()))?;
    // ctrl-enter reaches us only with the kitty keyboard protocol; ask for it where the terminal has it.
    let enhanced = matches!(
        crossterm::terminal::supports_keyboard_enhancement(),
        Ok(true)
    );
    if enhanced {
        let _ = execute!(
            stdout(),
            PushKeyboardEnhancementFlags(KeyboardEnhancementFlags::DISAMBIGUATE_ESCAPE_CODES)
        );
    }
    let _ = execute!(stdout(), EnableBracketedPaste);
    let result = event_loop(&mut terminal, app, events).await;
    // Save the buffers whatever ended the loop (quit, hangup, error).
    app.shutdown();
    tracing::debug!("event loop ended: {result:?}");
    restore();
    // ratatui's Terminal shows the cursor on drop and eprintln!s when that fails, which panics when
    // the terminal (and stderr) is gone. Show it here; if that fails, the terminal is gone: forget
    // the Terminal instead of dropping it.
    if terminal.show_cursor().is_err() {
        std::mem::forget(terminal);
    }
    result
}

/// Leave raw mode and the alternate screen, ignoring errors: the terminal may be gone (SSH dropped),
/// and reporting that anywhere would only fail again. (ratatui's own `restore` prints with
/// `eprintln!`, which panics when stderr is closed; inside a panic hook that aborts the process and
/// skips every cleanup, including stopping the demo server.)
fn restore() {
    let _ = execute!(stdout(), PopKeyboardEnhancementFlags, DisableBracketedPaste);
    let _ = ratatui::try_restore();
}

/// On a panic: restore the terminal, log the panic (the log file is the only place a full-screen UI
/// can report to), then let the default hook print it on the restored terminal.
fn install_panic_hook() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            tracing::error!(
                "panic: {info}\n{}",
                std::backtrace::Backtrace::force_capture()
            );
            previous(info);
        }));
    });
}

async fn event_loop(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    events: &mut mpsc::UnboundedReceiver<WorkerEvent>,
) -> anyhow::Result<()> {
    let mut input = EventStream::new();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut hangup = signal(SignalKind::hangup())?;
    let mut terminate = signal(SignalKind::terminate())?;
    app.start();
    let mut dirty = true;
    loop {
        if dirty && let Err(e) = terminal.draw(|f| app.render(f)) {
            if terminal_gone(&e) {
                tracing::info!("the terminal went away ({e}); leaving");
                return Ok(());
            }
            return Err(e.into());
        }
        let event = tokio::select! {
            ev = input.next() => match ev {
                Some(Ok(ev)) => Event::Terminal(ev),
                Some(Err(e)) if terminal_gone(&e) => Event::Hangup,
                Some(Err(e)) => return Err(anyhow::anyhow!("reading the terminal failed: {e}")),
                // stdin closed: the terminal is gone
                None => Event::Hangup,
            },
            Some(ev) = events.recv() => Event::Worker(ev),
            _ = tick.tick() => Event::Tick,
            _ = hangup.recv() => {
                tracing::info!("SIGHUP: the terminal went away; leaving");
                Event::Hangup
            }
            _ = terminate.recv() => Event::Hangup,
        };
        // Ticks redraw only when something animates; everything else may change the screen.
        dirty = !matches!(event, Event::Tick) || app.busy();
        app.on_event(event);
        if let Some(text) = app.take_clipboard() {
            crate::clipboard::copy(&text);
        }
        // Take whatever else is queued before drawing, so a burst of row batches costs one frame.
        while let Ok(ev) = events.try_recv() {
            app.on_event(Event::Worker(ev));
            dirty = true;
        }
        if app.quit {
            return Ok(());
        }
    }
}

/// Errors that mean the terminal is gone (hung up, closed pty), not that something is broken.
fn terminal_gone(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{BrokenPipe, ConnectionReset, UnexpectedEof};
    matches!(e.kind(), BrokenPipe | ConnectionReset | UnexpectedEof)
        || e.raw_os_error() == Some(nix::libc::EIO)
}
