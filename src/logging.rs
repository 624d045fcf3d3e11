//! Logging to a file, only when `PGDECK_LOG` is set (to a file path, or `1` for the state directory):
//! nothing may be printed while the full-screen UI is up.

use std::path::PathBuf;

/// Keeps the log writer alive; logs are flushed when it is dropped.
pub struct LogGuard(#[allow(dead_code)] Option<tracing_appender::non_blocking::WorkerGuard>);

/// Start file logging if `PGDECK_LOG` asks for it. The filter comes from `PGDECK_LOG_LEVEL`
/// (`info` by default, tracing-subscriber's env-filter syntax).
pub fn init() -> LogGuard {
    let Some(spec) = std::env::var_os("PGDECK_LOG") else {
        return LogGuard(None);
    };
    let path = if spec == "1" {
        crate::config::state_dir().map(|d| d.join("pgdeck.log"))
    } else {
        Some(PathBuf::from(spec))
    };
    let Some(path) = path else {
        return LogGuard(None);
    };
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    // owner-only: the log names servers, users and statements
    let file =
        match crate::state::private_file(std::fs::OpenOptions::new().create(true).append(true))
            .open(&path)
        {
            Ok(f) => f,
            Err(e) => {
                eprintln!("pgdeck: cannot open the log file {}: {e}", path.display());
                return LogGuard(None);
            }
        };
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter = tracing_subscriber::EnvFilter::try_from_env("PGDECK_LOG_LEVEL")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init();
    LogGuard(Some(guard))
}
