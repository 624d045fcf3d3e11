//! `Event`: what happened — a terminal event, a tick, a worker event, a signal. The app loop turns each
//! into state changes; only keys become actions.

use crate::db::WorkerEvent;

/// Everything the app loop reacts to.
#[derive(Debug, Clone)]
pub enum Event {
    Terminal(crossterm::event::Event),
    /// Time passed (spinners, refresh intervals).
    Tick,
    Worker(WorkerEvent),
    /// The terminal went away (SIGHUP) or we were asked to stop (SIGTERM): save and leave.
    Hangup,
}
