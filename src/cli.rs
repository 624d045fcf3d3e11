//! Command-line interface: psql-like connection flags, the TUI by default, and headless subcommands
//! that print the same analysis as the panes. stdout carries data only; messages go to stderr.
//! Exit codes: 0 ok, 1 findings at or above `--fail-on`, 2 error.

use clap::{Args, Parser, Subcommand};

/// pgdeck: a PostgreSQL workbench for the terminal.
#[derive(Debug, Parser)]
#[command(name = "pgdeck", version, about, disable_help_flag = true)]
pub struct Cli {
    #[command(flatten)]
    pub conn: ConnArgs,

    /// Theme: dark, light, ansi16, or one of yours (overrides config.toml).
    #[arg(long, global = true)]
    pub theme: Option<String>,

    /// Print help.
    #[arg(long, action = clap::ArgAction::Help, global = true)]
    pub help: Option<bool>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Connection options, as psql spells them. A CONNINFO string's values override the flags, as in psql.
#[derive(Debug, Args, Clone, Default)]
pub struct ConnArgs {
    /// A `postgres://` URI, a `key=value` connection string, or a database name.
    #[arg(value_name = "CONNINFO")]
    pub conninfo: Option<String>,
    /// Database server host or socket directory.
    #[arg(short = 'h', long = "host", global = true)]
    pub host: Option<String>,
    /// Database server port.
    #[arg(short = 'p', long = "port", global = true)]
    pub port: Option<String>,
    /// Database user name.
    #[arg(short = 'U', long = "username", global = true)]
    pub user: Option<String>,
    /// Database name.
    #[arg(short = 'd', long = "dbname", global = true)]
    pub dbname: Option<String>,
    /// Never prompt for a password.
    #[arg(
        short = 'w',
        long = "no-password",
        global = true,
        conflicts_with = "force_password"
    )]
    pub no_password: bool,
    /// Prompt for a password before connecting.
    #[arg(short = 'W', long = "password", global = true)]
    pub force_password: bool,
    /// A connection profile from config.toml.
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// Open the session read-only (default_transaction_read_only = on).
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Safe mode: ask before UPDATE/DELETE without WHERE, DROP, TRUNCATE and ALTER (on by default
    /// for profiles marked `production`).
    #[arg(long, global = true)]
    pub safe: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a throwaway PostgreSQL server with a demo database and open pgdeck on it.
    Demo {
        /// Do not open the UI: print the demo's connection string and keep the server up until Ctrl-C.
        #[arg(long)]
        no_tui: bool,
        /// Do not run the background workload.
        #[arg(long)]
        no_workload: bool,
    },
    /// Show how the connection options resolve (host, port, user, database, sslmode, password source)
    /// and, with --check, connect and show what pgdeck learns about the server.
    Conninfo {
        /// A `postgres://` URI, a `key=value` connection string, or a database name.
        #[arg(value_name = "CONNINFO")]
        conninfo: Option<String>,
        /// Connect and report the server version, role and extensions.
        #[arg(long)]
        check: bool,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Run SQL and stream the results to stdout (table, CSV as `psql --csv` prints it, JSON,
    /// Markdown, TSV). Stops at the first error (stderr, exit code 2).
    Query(QueryArgs),
    /// Run the health report (the Health pane's checks: indexes, tables, maintenance, settings...)
    /// and print the findings with their evidence and fix SQL. The settings recommendations use the
    /// hardware given below, config.toml's [hardware], or this machine's when the server is on it. Exit 0 when nothing is at or above --fail-on, 1 when something is,
    /// 2 on error (including a check that could not run).
    Check {
        /// A `postgres://` URI, a `key=value` connection string, or a database name.
        #[arg(value_name = "CONNINFO")]
        conninfo: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: CheckFormat,
        /// Exit 1 when a finding has this severity or a higher one.
        #[arg(long, value_name = "SEVERITY", default_value = "warning")]
        fail_on: crate::model::health::Severity,
        /// Only this schema.
        #[arg(long, value_name = "S")]
        schema: Option<String>,
        /// Only these checks (ids as in the report; repeat or separate with commas).
        #[arg(long = "check", value_name = "ID", value_delimiter = ',')]
        checks: Vec<String>,
        /// Only the checks of these groups: indexes, tables, maintenance, settings, security,
        /// migrations (repeat or separate with commas). With --check, the union of both.
        #[arg(long = "group", value_name = "GROUP", value_delimiter = ',')]
        groups: Vec<String>,
        /// Override a threshold of config.toml's [health], e.g. `--threshold unused_index_scans=10`.
        #[arg(long = "threshold", value_name = "NAME=VALUE")]
        thresholds: Vec<String>,
        #[command(flatten)]
        hardware: HardwareArgs,
    },
    /// Show a statement's plan with per-node figures and advice (EXPLAIN on the server), or analyse a
    /// plan saved in a file (`--file`, JSON or text as psql prints it; no connection needed).
    Explain {
        /// [CONNINFO] SQL: the statement to explain, after an optional connection string. Without
        /// it, `-c`, or stdin.
        #[arg(value_name = "ARGS", num_args = 0..=2)]
        args: Vec<String>,
        /// The statement to explain.
        #[arg(short = 'c', long = "command", value_name = "SQL")]
        command: Option<String>,
        /// Analyse a saved plan (JSON or text; `-` reads stdin) instead of asking a server.
        #[arg(long, value_name = "PLAN")]
        file: Option<std::path::PathBuf>,
        /// Compare the --file plan (before) with this one (after, JSON or text; `-` reads
        /// stdin): nodes matched, what changed (node type, time, rows, loops, buffers), nodes
        /// only in one plan, and the totals with their ratios.
        #[arg(
            long,
            value_name = "PLAN",
            requires = "file",
            conflicts_with = "fail_on"
        )]
        compare: Option<std::path::PathBuf>,
        /// Run the statement (EXPLAIN ANALYZE); a statement that writes is rolled back.
        #[arg(long)]
        analyze: bool,
        /// Buffer counts (implied by --analyze).
        #[arg(long)]
        buffers: bool,
        /// Output: text or json.
        #[arg(long, value_name = "FORMAT", default_value = "text", value_parser = ["text", "json"])]
        format: String,
        /// Exit 1 when an advice item is at or above this severity (info, warning, critical).
        #[arg(long, value_name = "SEVERITY", value_parser = ["info", "warning", "critical"])]
        fail_on: Option<String>,
    },
    /// Print the schema tree: schemas, tables (partitions under their parent, with bounds), views,
    /// materialized views, foreign tables, sequences, functions with signatures, types; PATTERN
    /// keeps objects whose name matches it (fuzzy, as the browser's filter).
    Schema {
        /// [CONNINFO] [PATTERN]: an optional connection string, then an optional filter.
        #[arg(value_name = "ARGS", num_args = 0..=2)]
        args: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: CheckFormat,
        /// Include pg_catalog and information_schema.
        #[arg(long)]
        system: bool,
        /// Print the applied history of every migration tool's table found (Flyway, Prisma,
        /// golang-migrate, Rails, Alembic, Django, Knex, goose, Sqitch) instead of the tree; PATTERN
        /// is then a schema name.
        #[arg(long)]
        migrations: bool,
    },
    /// Print the CREATE statements of one object: OBJECT is `name` or `schema.name`, quoted parts
    /// allowed (`app."Odd Name"`). A table's DDL includes its partitions, constraints, indexes,
    /// triggers, policies and comments.
    Ddl {
        /// [CONNINFO] OBJECT
        #[arg(value_name = "ARGS", num_args = 1..=2, required = true)]
        args: Vec<String>,
    },
    /// The activity monitor without the UI: print one snapshot (sessions, lock tree, vitals) with
    /// --once, or cancel/terminate one session with the same checks as the Activity pane (the
    /// `(pid, backend_start)` re-check, never pgdeck's own connection). Exit 0 ok / signalled, 1 not
    /// signalled (not permitted, already gone, refused, declined), 2 error.
    Activity(ActivityArgs),
}

/// The database server's hardware, for the settings recommendations (over config.toml's
/// `[hardware]` and what pgdeck reads from this machine when the server is on it).
#[derive(Debug, Args, Clone, Default)]
pub struct HardwareArgs {
    /// The server's RAM: 16GB, 512MB, 1TB (units count in 1024s).
    #[arg(long, value_name = "SIZE", value_parser = crate::model::tune::parse_size, help_heading = "Hardware")]
    pub ram: Option<u64>,
    /// The server's CPU count.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), help_heading = "Hardware")]
    pub cpus: Option<u32>,
    /// The server's storage: ssd, hdd, san (or network), nvme.
    #[arg(long, value_name = "KIND", value_parser = parse_storage, help_heading = "Hardware")]
    pub storage: Option<crate::model::tune::Storage>,
    /// What the server mostly does: web, oltp, dw (data warehouse), desktop, mixed.
    #[arg(long, value_name = "KIND", value_parser = parse_workload, help_heading = "Hardware")]
    pub workload: Option<crate::model::tune::Workload>,
    /// Connections the applications open (default: PGTune's count for the workload).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), help_heading = "Hardware")]
    pub max_connections: Option<u32>,
    /// Do not read RAM, CPUs and storage from this machine even when the server is on it (a tunnel
    /// to a remote server looks local).
    #[arg(long, help_heading = "Hardware")]
    pub no_detect_hardware: bool,
}

fn parse_storage(s: &str) -> Result<crate::model::tune::Storage, String> {
    s.parse()
}

fn parse_workload(s: &str) -> Result<crate::model::tune::Workload, String> {
    s.parse()
}

impl HardwareArgs {
    /// The flags as a partial hardware profile.
    pub fn spec(&self) -> crate::model::tune::HardwareSpec {
        crate::model::tune::HardwareSpec {
            ram: self.ram,
            cpus: self.cpus,
            storage: self.storage,
            workload: self.workload,
            max_connections: self.max_connections,
            detect: self.no_detect_hardware.then_some(false),
        }
    }
}

/// `pgdeck activity`.
#[derive(Debug, Args, Clone)]
pub struct ActivityArgs {
    /// A `postgres://` URI, a `key=value` connection string, or a database name.
    #[arg(value_name = "CONNINFO")]
    pub conninfo: Option<String>,
    /// Print one snapshot and exit.
    #[arg(long)]
    pub once: bool,
    /// Output format of --once.
    #[arg(long, value_enum, default_value = "text")]
    pub format: CheckFormat,
    /// Cancel the running statement of this session.
    #[arg(long, value_name = "PID", conflicts_with_all = ["terminate", "once"])]
    pub cancel: Option<i32>,
    /// Terminate this session (its transaction rolls back).
    #[arg(long, value_name = "PID", conflicts_with = "once")]
    pub terminate: Option<i32>,
    /// Do not ask before signalling.
    #[arg(short = 'y', long)]
    pub yes: bool,
}

/// `pgdeck query`: where the SQL comes from and how results are printed.
#[derive(Debug, Args, Clone)]
pub struct QueryArgs {
    /// A `postgres://` URI, a `key=value` connection string, or a database name.
    #[arg(value_name = "CONNINFO")]
    pub conninfo: Option<String>,
    /// SQL to run; each -c is sent as one query string (its statements run in one implicit
    /// transaction, as with psql -c). May be repeated.
    #[arg(
        short = 'c',
        long = "command",
        value_name = "SQL",
        conflicts_with = "file"
    )]
    pub command: Vec<String>,
    /// A file of SQL statements, run one statement at a time ("-" is stdin). May be repeated.
    /// Without -c and -f, statements are read from stdin.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Vec<std::path::PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = QueryFormat::Table)]
    pub format: QueryFormat,
    /// Same as --format csv (psql's flag).
    #[arg(long, conflicts_with = "format")]
    pub csv: bool,
    /// Run everything in one transaction (BEGIN ... COMMIT; an error rolls all of it back).
    #[arg(short = '1', long)]
    pub single_transaction: bool,
    /// Do not print command tags such as `UPDATE 3` (psql -q).
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

/// Output formats of `pgdeck query`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum QueryFormat {
    /// Aligned columns like psql's default output.
    Table,
    /// Byte for byte what `psql --csv` prints.
    Csv,
    /// One JSON array of objects per result; numbers, booleans and json values keep their type.
    Json,
    /// A Markdown table per result.
    Markdown,
    /// Tab-separated, with COPY text escapes.
    Tsv,
}

/// How `pgdeck check` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
}
