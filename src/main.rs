//! The `pgdeck` binary: parse arguments and hand over to the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = pgdeck::cli::Cli::parse();
    let _log_guard = pgdeck::logging::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pgdeck: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let code = runtime.block_on(pgdeck::run::main(cli));
    // Connections and workload tasks end with the runtime; don't wait for lingering blocking reads.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    code
}
