//! What each command does, from parsed arguments to exit code. Everything that can fail before the
//! full-screen UI opens (config, keymap and theme typos, connection problems, the password prompt) is
//! settled here and printed to stderr, so the UI never opens only to show an error.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, anyhow};

use crate::app::{App, AppOptions};
use crate::cli::{Cli, Command, ConnArgs};
use crate::config::{self, Config};
use crate::conn::{self, ConnParams, ConnTarget, ConnectError, Environment};
use crate::db::{self, Connections, Settings, Worker};
use crate::keymap::Keymap;
use crate::theme::{ColorSupport, Theme, detect_color_support};
use crate::ui::status::{Level, StatusLine};

/// Run the command line; prints errors and returns the exit code.
pub async fn main(cli: Cli) -> ExitCode {
    match run(cli).await {
        Ok(code) => code,
        // stdout closed by the reader (`pgdeck ... | head`): not an error worth a message
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // Never eprintln!: it panics when stderr is gone (a dropped SSH session).
            let _ = writeln!(std::io::stderr(), "pgdeck: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// A line on stderr; a closed stderr is ignored rather than a panic.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config_dir = config::config_dir();
    let config = Config::load(config_dir.as_deref())?;
    match &cli.command {
        None => {
            let ui = UiSetup::load(&cli, &config, config_dir.as_deref())?;
            let (params, read_only) = connection_params(&cli.conn, &config)?;
            let mut target = conn::resolve(&params, &Environment::from_process())?;
            print_warnings(&target);
            let settings = settings(&config, read_only);
            let conns = connect_interactive(&mut target, &settings, &cli.conn).await?;
            run_tui(ui, &config, target, settings, conns, None, &cli.conn).await?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Demo {
            no_tui,
            no_workload,
        }) => {
            let ui = if *no_tui {
                None
            } else {
                Some(UiSetup::load(&cli, &config, config_dir.as_deref())?)
            };
            demo(ui, &config, *no_tui, *no_workload).await
        }
        Some(Command::Conninfo {
            conninfo: sub_conninfo,
            check,
            json,
        }) => {
            // `pgdeck conninfo CONNINFO` and `pgdeck CONNINFO conninfo` mean the same.
            let mut args = cli.conn.clone();
            if sub_conninfo.is_some() {
                args.conninfo = sub_conninfo.clone();
            }
            let (params, _) = connection_params(&args, &config)?;
            let mut target = conn::resolve(&params, &Environment::from_process())?;
            print_warnings(&target);
            crate::commands::conninfo::run(&mut target, &args, *check, *json).await
        }
        Some(Command::Query(q)) => {
            let mut args = cli.conn.clone();
            if q.conninfo.is_some() {
                args.conninfo = q.conninfo.clone();
            }
            crate::commands::query::run(&args, &config, q).await
        }
        Some(Command::Activity(a)) => {
            let mut args = cli.conn.clone();
            if a.conninfo.is_some() {
                args.conninfo = a.conninfo.clone();
            }
            crate::commands::activity::run(&args, &config, a).await
        }
        Some(Command::Check {
            conninfo: sub_conninfo,
            format,
            fail_on,
            schema,
            checks,
            groups,
            thresholds,
            hardware,
        }) => {
            let mut args = cli.conn.clone();
            if sub_conninfo.is_some() {
                args.conninfo = sub_conninfo.clone();
            }
            let opts = crate::commands::check::CheckOptions {
                format: *format,
                fail_on: *fail_on,
                schema: schema.clone(),
                checks: checks.clone(),
                groups: groups.clone(),
                thresholds: thresholds.clone(),
                hardware: hardware.spec(),
            };
            crate::commands::check::run(&args, &config, opts).await
        }
        Some(Command::Explain {
            args,
            command,
            file,
            compare,
            analyze,
            buffers,
            format,
            fail_on,
        }) => {
            let opts = crate::commands::explain::Opts {
                args: args.clone(),
                command: command.clone(),
                file: file.clone(),
                compare: compare.clone(),
                analyze: *analyze,
                buffers: *buffers,
                json: format == "json",
                fail_on: fail_on.clone(),
            };
            crate::commands::explain::run(&cli.conn, &config, opts).await
        }
        Some(Command::Ddl { args }) => crate::commands::ddl::run(&cli.conn, &config, args).await,
        Some(Command::Schema {
            args,
            format,
            migrations: true,
            ..
        }) => crate::commands::migrations::run(&cli.conn, &config, args, *format).await,
        Some(Command::Schema {
            args,
            format,
            system,
            ..
        }) => crate::commands::schema::run(&cli.conn, &config, args, *format, *system).await,
    }
}

/// Keymap and theme, loaded before connecting so a typo in them is reported first.
struct UiSetup {
    keymap: Keymap,
    theme: Theme,
}

impl UiSetup {
    fn load(cli: &Cli, config: &Config, dir: Option<&std::path::Path>) -> anyhow::Result<UiSetup> {
        let keymap = Keymap::load(dir)?;
        let name = cli.theme.as_deref().unwrap_or(&config.theme);
        let mut theme = Theme::load(name, dir)?;
        match detect_color_support() {
            ColorSupport::NoColor => theme = theme.no_color(),
            // A 256-colour theme on a 16-colour terminal draws garbage; fall back to the ansi16 one.
            ColorSupport::Ansi16 if theme.needs_256() => theme = Theme::load("ansi16", dir)?,
            _ => {}
        }
        Ok(UiSetup { keymap, theme })
    }
}

pub fn settings(config: &Config, read_only: bool) -> Settings {
    Settings {
        statement_timeout_ms: config.monitor.statement_timeout_ms,
        lock_timeout_ms: config.monitor.lock_timeout_ms,
        row_cap: config.results.row_cap,
        read_only,
    }
}

/// Resolve the connection options (profile, flags, CONNINFO, PG* environment), print warnings, and
/// open both connections, prompting for a password when needed. For headless subcommands.
pub async fn connect_headless(
    args: &ConnArgs,
    config: &Config,
) -> anyhow::Result<(ConnTarget, Connections, Settings)> {
    let (params, read_only) = connection_params(args, config)?;
    let mut target = conn::resolve(&params, &Environment::from_process())?;
    print_warnings(&target);
    let settings = settings(config, read_only);
    let conns = connect_interactive(&mut target, &settings, args).await?;
    Ok((target, conns, settings))
}

/// Connection parameters from, in rising priority: the profile, the flags, the CONNINFO argument (psql
/// gives a connection string in the dbname position precedence over earlier options).
pub fn connection_params(args: &ConnArgs, config: &Config) -> anyhow::Result<(ConnParams, bool)> {
    let mut params = ConnParams::new();
    let mut read_only = args.read_only;
    if let Some(name) = &args.profile {
        let profile = config.profiles.get(name).ok_or_else(|| {
            let known: Vec<&str> = config.profiles.keys().map(String::as_str).collect();
            anyhow!(
                "no profile named \"{name}\" in config.toml (known: {})",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )
        })?;
        if let Some(ci) = &profile.conninfo {
            let p = conn::parse_conninfo(ci)
                .with_context(|| format!("profile \"{name}\" in config.toml: conninfo"))?;
            params.merge_over(&p);
        }
        for (k, v) in &profile.params {
            params
                .set(k, v.clone())
                .with_context(|| format!("profile \"{name}\" in config.toml"))?;
        }
        read_only |= profile.read_only;
    }
    let flags = [
        ("host", &args.host),
        ("port", &args.port),
        ("user", &args.user),
        ("dbname", &args.dbname),
    ];
    for (k, v) in flags {
        if let Some(v) = v {
            params.set(k, v.clone())?;
        }
    }
    if let Some(ci) = &args.conninfo {
        params.merge_over(&conn::parse_conninfo(ci)?);
    }
    Ok((params, read_only))
}

pub fn print_warnings(target: &ConnTarget) {
    for w in &target.warnings {
        say!("pgdeck: warning: {w}");
    }
}

/// Ask for the password on the terminal, as psql does.
pub(crate) async fn prompt_password(target: &ConnTarget) -> anyhow::Result<conn::Secret> {
    let prompt = format!("Password for user {}: ", target.user);
    let pw = tokio::task::spawn_blocking(move || rpassword::prompt_password(prompt))
        .await
        .context("password prompt")?
        .context("reading the password from the terminal")?;
    Ok(conn::Secret::new(pw))
}

/// Open both connections; prompt for a password when the server asks for one and none is known
/// (never with -w, always first with -W).
pub async fn connect_interactive(
    target: &mut ConnTarget,
    settings: &Settings,
    args: &ConnArgs,
) -> anyhow::Result<Connections> {
    if args.force_password && target.password.is_none() {
        target.password = Some(prompt_password(target).await?);
    }
    let mut prompted = args.force_password;
    loop {
        match db::open(target, settings).await {
            Ok(c) => return Ok(c),
            Err(ConnectError::PasswordRequired { .. })
                if !prompted && !args.no_password && std::io::stdin().is_terminal() =>
            {
                target.password = Some(prompt_password(target).await?);
                prompted = true;
            }
            Err(e) => return Err(anyhow!(e)),
        }
    }
}

/// Safe mode: asked for with --safe, or the profile is marked production.
fn safe_mode(args: &ConnArgs, config: &Config) -> bool {
    args.safe
        || args
            .profile
            .as_ref()
            .and_then(|p| config.profiles.get(p))
            .is_some_and(|p| p.production)
}

async fn run_tui(
    ui: UiSetup,
    config: &Config,
    target: ConnTarget,
    settings: Settings,
    conns: Connections,
    banner: Option<String>,
    args: &ConnArgs,
) -> anyhow::Result<()> {
    let safe_mode = safe_mode(args, config);
    let info = conns.info.clone();
    // the settings recommendations: the stated hardware over this machine's when the server is on it
    let mut health = config.health.clone();
    health.tune = crate::hardware::resolve(
        crate::hardware::stated(config, args.profile.as_deref(), Default::default()),
        &target,
        conns.pooled,
        crate::hardware::read_machine,
    );
    let status = StatusLine {
        target: target.display(),
        version: info.short_version().to_string(),
        standby: info.in_recovery,
        read_only: info.read_only || settings.read_only,
        safe: safe_mode,
        tx_mode: config.transactions.mode(),
        connected: true,
        message: banner.map(|b| (Level::Info, b)),
        ..Default::default()
    };
    let (requests, mut events) = Worker::spawn(conns, target, settings);
    let mut app = App::new(AppOptions {
        keymap: ui.keymap,
        theme: ui.theme,
        requests,
        status,
        editor_text: String::new(),
        tab_width: config.editor.tab_width,
        activity_interval: Duration::from_millis(config.monitor.refresh_ms.clamp(500, 10_000)),
        confirm_quit: config.confirm.quit_with_open_transaction,
        state_dir: config::state_dir(),
        database: info.database.clone(),
        safe_mode,
    });
    app.set_health_config(health);
    crate::tui::run(&mut app, &mut events).await
}

async fn demo(
    ui: Option<UiSetup>,
    config: &Config,
    no_tui: bool,
    no_workload: bool,
) -> anyhow::Result<ExitCode> {
    say!("pgdeck demo: starting a throwaway PostgreSQL server and loading the demo database…");
    let started = std::time::Instant::now();
    // Ctrl-C while loading: the server (same process group) gets it too and stops; wait for the
    // start to finish or fail, then remove everything, instead of dying and leaving files behind.
    let start = crate::demo::Demo::start();
    tokio::pin!(start);
    let mut demo = tokio::select! {
        r = &mut start => r?,
        _ = tokio::signal::ctrl_c() => {
            say!("pgdeck demo: interrupted; removing the demo server…");
            if let Ok(d) = start.await {
                d.stop().await;
            }
            return Ok(ExitCode::from(130));
        }
    };
    if !no_workload {
        demo.start_workload()?;
    }
    let conninfo = demo.conninfo();
    say!(
        "pgdeck demo: ready in {:.1} s; everything is removed on exit",
        started.elapsed().as_secs_f64()
    );
    let result = match ui {
        None => {
            debug_assert!(no_tui);
            let mut out = std::io::stdout();
            writeln!(out, "{conninfo}")
                .and_then(|()| out.flush())
                .context("writing the connection string")?;
            say!("pgdeck demo: serving until Ctrl-C");
            wait_for_stop_signal().await
        }
        Some(ui) => {
            // The demo's target must not pick up the user's PG* variables (PGSSLMODE=require would fail).
            let params = conn::parse_conninfo(&conninfo)?;
            let env = Environment::from_vars(
                std::iter::empty(),
                std::env::var_os("HOME").map(Into::into),
                None,
            );
            let mut target = conn::resolve(&params, &env)?;
            let settings = settings(config, false);
            match connect_interactive(&mut target, &settings, &ConnArgs::default()).await {
                Ok(conns) => {
                    let banner = format!("demo database (removed on exit): {conninfo}");
                    run_tui(
                        ui,
                        config,
                        target,
                        settings,
                        conns,
                        Some(banner),
                        &ConnArgs::default(),
                    )
                    .await
                }
                Err(e) => Err(e),
            }
        }
    };
    tracing::info!("demo: the UI ended ({result:?}); stopping the server");
    demo.stop().await;
    tracing::info!("demo: stopped");
    result.map(|()| ExitCode::SUCCESS)
}

async fn wait_for_stop_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.context("waiting for Ctrl-C")?,
        _ = term.recv() => {}
        _ = hup.recv() => {}
    }
    Ok(())
}
