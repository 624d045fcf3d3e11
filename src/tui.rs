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
    // Our hook runs after ratatui's restore (ratatui::init chains the previous hook), so it only has to
    // undo what we add on top: keyboard enhancement and bracketed paste.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(stdout(), PopKeyboardEnhancementFlags, DisableBracketedPaste);
        previous(info);
    }));
    let mut terminal = ratatui::try_init()?;
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
    if enhanced {
        let _ = execute!(stdout(), PopKeyboardEnhancementFlags);
    }
    let _ = execute!(stdout(), DisableBracketedPaste);
    ratatui::restore();
    result
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
        if dirty {
            terminal.draw(|f| app.render(f))?;
        }
        let event = tokio::select! {
            ev = input.next() => match ev {
                Some(Ok(ev)) => Event::Terminal(ev),
                Some(Err(e)) => return Err(anyhow::anyhow!("reading the terminal failed: {e}")),
                // stdin closed: the terminal is gone
                None => Event::Hangup,
            },
            Some(ev) = events.recv() => Event::Worker(ev),
            _ = tick.tick() => Event::Tick,
            _ = hangup.recv() => Event::Hangup,
            _ = terminate.recv() => Event::Hangup,
        };
        // Ticks redraw only when something animates; everything else may change the screen.
        dirty = !matches!(event, Event::Tick) || app.busy();
        app.on_event(event);
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
