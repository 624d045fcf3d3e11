//! Throwaway PostgreSQL servers for the test suites and for `pgdeck demo`.
//!
//! Owns: finding the server binaries ([`PgBin`]), creating a private temp dir per cluster
//! (`pgdeck-<ownerpid>-<n>` under the temp root), `initdb` (or copying a template data dir), running
//! the postmaster as a child process on a private unix socket, stopping it and removing the dir, and
//! sweeping the dirs and orphaned postmasters that crashed runs left behind.
//!
//! Must not: touch any server it did not start (the sweep only stops a postmaster whose working
//! directory is the data dir of a `pgdeck-<pid>-<n>` dir whose owner process is gone), use
//! `su`/`runuser` (they swallow signals; privileges are dropped with `CommandExt::uid/gid`), or know
//! anything about pgdeck's UI, catalog or health queries.

use std::ffi::OsString;
use std::fs::{self, OpenOptions};
use std::future::Future;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use nix::errno::Errno;
use nix::sys::signal::{Signal, kill};
use nix::unistd::{Gid, Pid, Uid, User};

/// The superuser every cluster is initialised with (`initdb -U postgres`).
pub const SUPERUSER: &str = "postgres";

/// Environment variable naming a directory that holds `initdb` and `postgres`; it wins over the search.
pub const PG_BIN_ENV: &str = "PGDECK_PG_BIN";

/// Environment variable naming the directory the cluster dirs are created in.
pub const TEMP_ROOT_ENV: &str = "PGDECK_TEST_TMP";

/// How to get server binaries; every "not found" error ends with it. Tests fail with it; they never
/// skip.
const INSTALL_HOW: &str = "Install them: on Debian/Ubuntu `apt-get install -y postgresql \
     postgresql-contrib` (Debian puts them in /usr/lib/postgresql/<major>/bin, which is searched), \
     on Fedora `dnf install postgresql-server postgresql-contrib`, on macOS `brew install \
     postgresql`; or set PGDECK_PG_BIN to a directory holding initdb and postgres.";

/// Prefix of every cluster dir under the temp root; the stale sweep recognises dirs by it.
const DIR_PREFIX: &str = "pgdeck-";

/// Entries a cluster dir may hold. The sweep leaves alone any dir holding something else, in case a
/// stranger's dir happens to match the name pattern.
const DIR_ENTRIES: [&str; 4] = ["data", "sock", "postgres.log", "initdb.log"];

/// Port used when the cluster listens on its private socket only: the port then merely names the
/// socket file, so every cluster can use the same one.
const SOCKET_ONLY_PORT: u16 = 5432;

/// Longest unix socket path the kernel accepts (`sun_path` minus the trailing NUL).
#[cfg(target_os = "linux")]
const SOCKET_PATH_MAX: usize = 107;
#[cfg(not(target_os = "linux"))]
const SOCKET_PATH_MAX: usize = 103;

const READY_TIMEOUT: Duration = Duration::from_secs(30);
const READY_POLL: Duration = Duration::from_millis(5);

/// SQLSTATE 57P03 (cannot_connect_now): "the database system is starting up".
const CANNOT_CONNECT_NOW: &str = "57P03";

/// Numbers the cluster dirs of this process.
static NEXT_DIR: AtomicU32 = AtomicU32::new(0);

// ------------------------------------------------------------------------------------------------
// Binaries

/// A directory of PostgreSQL server binaries and the version they report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgBin {
    /// The directory holding `initdb` and `postgres` (symlinks resolved, so `psql` and `../lib` are
    /// found next to the real binaries).
    pub dir: PathBuf,
    /// Major version: 15 for 15.18, 9 for 9.6.24.
    pub major: u32,
    /// What `postgres --version` reports after "(PostgreSQL) ", e.g. `15.18 (Debian 15.18-0+deb12u1)`.
    pub version: String,
}

impl PgBin {
    /// Find the server binaries: `$PGDECK_PG_BIN` if set (and then only there), else the newest
    /// major found in `$PATH`, `pg_config --bindir`, `/usr/lib/postgresql/*/bin` and
    /// `/usr/local/pgsql/bin`. The error says how to install them.
    pub fn find() -> Result<PgBin> {
        if let Some(dir) = std::env::var_os(PG_BIN_ENV).filter(|d| !d.is_empty()) {
            let dir = PathBuf::from(dir);
            return PgBin::at(&dir).with_context(|| {
                format!(
                    "{PG_BIN_ENV}={} is not usable (unset it to search $PATH and the usual \
                     places). {INSTALL_HOW}",
                    dir.display()
                )
            });
        }
        let mut best: Option<PgBin> = None;
        for dir in candidate_dirs() {
            let Ok(found) = PgBin::at(&dir) else { continue };
            let newer = match &best {
                None => true,
                Some(b) => version_key(&found) > version_key(b),
            };
            if newer {
                best = Some(found);
            }
        }
        best.ok_or_else(|| {
            anyhow!(
                "PostgreSQL server binaries (initdb and postgres) were not found in $PATH, \
                 `pg_config --bindir`, /usr/lib/postgresql/*/bin or /usr/local/pgsql/bin. \
                 {INSTALL_HOW}"
            )
        })
    }

    /// The binaries in `dir`, which must hold both `initdb` and `postgres`.
    pub fn at(dir: &Path) -> Result<PgBin> {
        let postgres = dir.join("postgres");
        for name in ["initdb", "postgres"] {
            if !is_executable(&dir.join(name)) {
                bail!("{} has no executable `{name}`", dir.display());
            }
        }
        // /usr/local/bin/postgres may be a symlink into /usr/lib/postgresql/15/bin; the real dir
        // also holds psql and pg_config, and ../lib holds the extensions.
        let dir = match fs::canonicalize(&postgres) {
            Ok(real) => match real.parent() {
                Some(real_dir) if is_executable(&real_dir.join("initdb")) => real_dir.to_path_buf(),
                _ => dir.to_path_buf(),
            },
            Err(_) => dir.to_path_buf(),
        };
        let bin = dir.join("postgres");
        let out = Command::new(&bin)
            .arg("--version")
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running {} --version", bin.display()))?;
        if !out.status.success() {
            bail!("{} --version failed: {}", bin.display(), out.status);
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let (major, version) = parse_version(&text).ok_or_else(|| {
            anyhow!(
                "cannot read a version in `{}` from {} --version",
                text.trim(),
                bin.display()
            )
        })?;
        Ok(PgBin {
            dir,
            major,
            version,
        })
    }

    /// `psql` next to the server binaries, else the one on `$PATH`.
    pub fn psql(&self) -> PathBuf {
        let local = self.dir.join("psql");
        if is_executable(&local) {
            local
        } else {
            PathBuf::from("psql")
        }
    }

    /// Where the server loads extension libraries from: `pg_config --pkglibdir` of this installation
    /// when it has a pg_config, else `../lib/postgresql` or `../lib` when they exist.
    pub fn pkglibdir(&self) -> Option<PathBuf> {
        let pg_config = self.dir.join("pg_config");
        if is_executable(&pg_config)
            && let Ok(out) = Command::new(&pg_config).arg("--pkglibdir").output()
            && out.status.success()
        {
            let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
            if dir.is_dir() {
                return Some(dir);
            }
        }
        let parent = self.dir.parent()?;
        [parent.join("lib/postgresql"), parent.join("lib")]
            .into_iter()
            .find(|d| d.is_dir())
    }

    /// Whether the `pg_stat_statements` library is installed (so it can be preloaded).
    pub fn has_pg_stat_statements(&self) -> bool {
        self.pkglibdir().is_some_and(|d| {
            ["pg_stat_statements.so", "pg_stat_statements.dylib"]
                .iter()
                .any(|f| d.join(f).is_file())
        })
    }
}

/// Orders candidates: major first, then the numeric parts of the version (15.18 > 15.4).
fn version_key(bin: &PgBin) -> (u32, Vec<u32>) {
    let numbers = bin
        .version
        .split(|c: char| !c.is_ascii_digit() && c != '.')
        .next()
        .unwrap_or("")
        .split('.')
        .filter_map(|p| p.parse().ok())
        .collect();
    (bin.major, numbers)
}

/// Parse `postgres --version` output: `postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)` gives
/// `(15, "15.18 (Debian 15.18-0+deb12u1)")`; `17beta1` gives 17.
fn parse_version(text: &str) -> Option<(u32, String)> {
    let line = text.lines().next()?.trim();
    let rest = match line.find("(PostgreSQL)") {
        Some(i) => line[i + "(PostgreSQL)".len()..].trim(),
        None => line.rsplit_once(' ').map(|(_, v)| v).unwrap_or(line),
    };
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    let major = digits.parse().ok()?;
    Some((major, rest.to_string()))
}

/// Directories to look in, in order: `$PATH`, `pg_config --bindir`, Debian's per-major dirs, and
/// the source install default.
fn candidate_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Ok(out) = Command::new("pg_config")
        .arg("--bindir")
        .stdin(Stdio::null())
        .output()
        && out.status.success()
    {
        dirs.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    }
    if let Ok(entries) = fs::read_dir("/usr/lib/postgresql") {
        let mut debian: Vec<PathBuf> = entries.flatten().map(|e| e.path().join("bin")).collect();
        debian.sort();
        dirs.extend(debian);
    }
    dirs.push(PathBuf::from("/usr/local/pgsql/bin"));
    dirs
}

fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

// ------------------------------------------------------------------------------------------------
// Options

/// How to set up a [`TempCluster`]. Build with `ClusterOptions::default()` and the builder methods.
/// The default: unix socket only, pg_stat_statements preloaded when the library is installed, a
/// fresh cluster (a copy of this process's initdb template).
#[derive(Debug, Clone, Default)]
pub struct ClusterOptions {
    settings: Vec<(String, String)>,
    listen_tcp: bool,
    /// Inverted so that the derived default preloads.
    skip_pg_stat_statements: bool,
    hba_lines: Vec<String>,
    template: Option<PathBuf>,
    bin: Option<PgBin>,
}

impl ClusterOptions {
    /// An extra `-c key=value` for the server; it comes after pgdeck's own, so it wins over them.
    pub fn setting(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.settings.push((key.into(), value.into()));
        self
    }

    /// Listen on 127.0.0.1 as well, on a free port (see [`TempCluster::tcp_port`]).
    pub fn tcp(mut self, listen_tcp: bool) -> Self {
        self.listen_tcp = listen_tcp;
        self
    }

    /// Preload pg_stat_statements (default true; ignored when the library is not installed).
    pub fn preload_pg_stat_statements(mut self, preload: bool) -> Self {
        self.skip_pg_stat_statements = !preload;
        self
    }

    /// Lines for pg_hba.conf, written at its top before the server starts. pg_hba.conf is read
    /// first match first, so these lines take precedence over initdb's `trust` lines, which stay
    /// below them (the superuser keeps connecting unless a line here says otherwise).
    pub fn hba_lines(mut self, lines: Vec<String>) -> Self {
        self.hba_lines = lines;
        self
    }

    /// Copy this data dir (`cp -a`) instead of running initdb: much faster. It must come from the
    /// same major version and have been shut down cleanly.
    pub fn template(mut self, data_dir: impl Into<PathBuf>) -> Self {
        self.template = Some(data_dir.into());
        self
    }

    /// Use these binaries instead of calling [`PgBin::find`].
    pub fn bin(mut self, bin: PgBin) -> Self {
        self.bin = Some(bin);
        self
    }
}

// ------------------------------------------------------------------------------------------------
// The cluster

/// The OS user the server runs as when pgdeck runs as root (PostgreSQL refuses to run as root).
#[derive(Debug, Clone)]
struct RunAs {
    name: String,
    uid: Uid,
    gid: Gid,
}

#[derive(Debug, Default)]
struct State {
    child: Option<Child>,
    removed: bool,
}

/// A PostgreSQL server in a private temp dir, listening on a private unix socket. Dropping it stops
/// the server (fast shutdown) and removes the dir.
#[derive(Debug)]
pub struct TempCluster {
    bin: PgBin,
    dir: PathBuf,
    data_dir: PathBuf,
    socket_dir: PathBuf,
    port: u16,
    listen_tcp: bool,
    run_as: Option<RunAs>,
    server_args: Vec<OsString>,
    state: Mutex<State>,
}

impl TempCluster {
    /// Create the dir, initdb (or copy the template), start the server and wait until it accepts
    /// connections. Blocking: about 0.5 s with initdb, under 0.2 s from a template.
    pub fn start(opts: ClusterOptions) -> Result<TempCluster> {
        let bin = match opts.bin.clone() {
            Some(bin) => bin,
            None => PgBin::find()?,
        };
        let run_as = server_user()?;
        let root = choose_temp_root(run_as.as_ref())?;
        sweep_stale(&root);
        let dir = create_cluster_dir(&root, run_as.as_ref())?;
        // From here on the struct exists, so an early return drops it and Drop removes the dir.
        let mut cluster = TempCluster {
            data_dir: dir.join("data"),
            socket_dir: dir.join("sock"),
            dir,
            bin,
            port: SOCKET_ONLY_PORT,
            listen_tcp: opts.listen_tcp,
            run_as,
            server_args: Vec::new(),
            state: Mutex::new(State::default()),
        };
        cluster.make_socket_dir()?;
        match &opts.template {
            Some(template) => cluster.copy_template(template)?,
            None => cluster.init_data_dir(&root)?,
        }
        if !opts.hba_lines.is_empty() {
            prepend_hba(&cluster.data_dir, &opts.hba_lines)?;
        }
        let preload = !opts.skip_pg_stat_statements && cluster.bin.has_pg_stat_statements();
        // A free TCP port can be taken by someone else before the server binds it: retry then.
        let attempts = if opts.listen_tcp { 3 } else { 1 };
        for attempt in 1..=attempts {
            if opts.listen_tcp {
                cluster.port = free_tcp_port()?;
            }
            cluster.server_args = server_args(&ServerArgs {
                data_dir: &cluster.data_dir,
                socket_dir: &cluster.socket_dir,
                port: cluster.port,
                listen_tcp: opts.listen_tcp,
                preload_pg_stat_statements: preload,
                settings: &opts.settings,
            });
            match cluster.start_server() {
                Ok(()) => break,
                Err(e) if attempt < attempts && cluster.log_tail().contains("already in use") => {
                    tracing::debug!("port {} was taken, retrying: {e:#}", cluster.port);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(cluster)
    }

    /// The directory holding the server's unix socket (`host=` in a conninfo).
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// The server port: it names the socket file and, with TCP, is the TCP port too.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The TCP port on 127.0.0.1 when the cluster was started with `tcp(true)`.
    pub fn tcp_port(&self) -> Option<u16> {
        self.listen_tcp.then_some(self.port)
    }

    /// The data directory (`PGDATA`).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The cluster's own temp dir (`pgdeck-<pid>-<n>`), holding data, socket and logs. Removed by
    /// [`TempCluster::stop`].
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The binaries the cluster runs on.
    pub fn bin(&self) -> &PgBin {
        &self.bin
    }

    /// The server's log file (stdout and stderr of the postmaster).
    pub fn log_path(&self) -> PathBuf {
        self.dir.join("postgres.log")
    }

    /// The superuser's name: `postgres`.
    pub fn superuser(&self) -> &str {
        SUPERUSER
    }

    /// The OS user the server runs as when pgdeck runs as root; `None` means the current user.
    pub fn server_os_user(&self) -> Option<&str> {
        self.run_as.as_ref().map(|r| r.name.as_str())
    }

    /// A key=value conninfo for `dbname` as the superuser over the unix socket, values quoted when
    /// they need it.
    pub fn conninfo(&self, dbname: &str) -> String {
        format!(
            "host={} port={} user={} dbname={}",
            quote_conninfo_value(&self.socket_dir.to_string_lossy()),
            self.port,
            SUPERUSER,
            quote_conninfo_value(dbname)
        )
    }

    /// `CREATE DATABASE` with `name` quoted as an identifier. Blocking: it runs a short-lived
    /// connection on its own runtime and thread, so it also works when called inside a runtime.
    pub fn create_database(&self, name: &str) -> Result<()> {
        let conninfo = self.conninfo("postgres");
        let sql = format!("CREATE DATABASE {}", quote_ident(name));
        block_on_own_runtime(async move {
            let (client, connection) = tokio_postgres::connect(&conninfo, tokio_postgres::NoTls)
                .await
                .with_context(|| format!("connecting to {conninfo}"))?;
            let conn_task = tokio::spawn(connection);
            let result = client.batch_execute(&sql).await;
            drop(client);
            // The connection ends once the client is gone; its own error, if any, adds nothing.
            let _ = conn_task.await;
            result.with_context(|| format!("running `{sql}`"))
        })
    }

    /// Run `sql` (fed on stdin, so several statements and backslash commands work) through this
    /// installation's `psql -X -q -A -t -v ON_ERROR_STOP=1` against `dbname` as the superuser over
    /// the socket, and return its stdout: unaligned, tuples only, so `select 40 + 2` gives `42\n`.
    /// Blocking, and needs no runtime. The error holds psql's stderr.
    pub fn psql(&self, dbname: &str, sql: &str) -> Result<String> {
        let psql = self.bin.psql();
        let mut cmd = Command::new(&psql);
        cmd.args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d"])
            .arg(self.conninfo(dbname))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // PGOPTIONS, PGSSLMODE and friends from the caller's environment must not change the result.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("PG") {
                cmd.env_remove(key);
            }
        }
        let mut child = cmd
            .spawn()
            .with_context(|| format!("running {}", psql.display()))?;
        let mut stdin = child.stdin.take().context("psql stdin was not captured")?;
        let input = sql.to_owned();
        // Write from a thread: psql may fill its stdout pipe before it has read all of its input.
        let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
        let out = child
            .wait_with_output()
            .with_context(|| format!("waiting for {}", psql.display()))?;
        // A write error (psql stopped reading after an error) shows up in the exit status anyway.
        let _ = writer.join();
        if !out.status.success() {
            bail!(
                "{} -d {dbname} failed ({}): {}",
                psql.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Stop the server (SIGINT: fast shutdown), wait for it and remove the dir. Idempotent.
    pub fn stop(&mut self) {
        self.shutdown(true);
    }

    /// Stop the server, keeping the data, and start it again on the same socket and port.
    pub fn restart(&mut self) -> Result<()> {
        self.stop_server()?;
        self.start_server()
    }

    /// The postmaster's process id while the server runs.
    pub fn postmaster_pid(&self) -> Option<u32> {
        self.lock_state().child.as_ref().map(Child::id)
    }

    /// Stop the server but keep the dir: the data dir is then a clean copy source (for
    /// [`ClusterOptions::template`]) until [`TempCluster::start_server`].
    pub fn stop_server(&mut self) -> Result<()> {
        let mut state = self.lock_state();
        if state.removed {
            bail!("cluster {} was stopped and removed", self.dir.display());
        }
        stop_child(&mut state, true);
        Ok(())
    }

    /// Start the server on the existing data dir and wait until it accepts connections (a no-op
    /// while it runs).
    pub fn start_server(&mut self) -> Result<()> {
        let mut state = self.lock_state();
        if state.removed {
            bail!("cluster {} was stopped and removed", self.dir.display());
        }
        if state.child.is_some() {
            return Ok(());
        }
        let log_path = self.log_path();
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .with_context(|| format!("opening {}", log_path.display()))?;
        let log_err = log
            .try_clone()
            .with_context(|| format!("cloning {}", log_path.display()))?;
        let postgres = self.bin.dir.join("postgres");
        let mut cmd = Command::new(&postgres);
        cmd.args(&self.server_args).stdout(log).stderr(log_err);
        self.as_server_user(&mut cmd);
        // No process_group(): the postmaster stays in the caller's process group, so a Ctrl-C in
        // the terminal reaches it too and it does a fast shutdown even if pgdeck dies before its
        // Drop runs. (No PR_SET_PDEATHSIG either: it fires when the *thread* that spawned the
        // server exits, which would kill the shared test cluster when its first test finishes.)
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {}", postgres.display()))?;
        state.child = Some(child);
        drop(state);
        self.wait_ready()
    }

    fn lock_state(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves State consistent; carry on.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stop and remove; `&self` so the atexit hook of the shared cluster can call it. `log` is
    /// false there: thread-locals (which tracing may use) are already gone at exit.
    fn shutdown(&self, log: bool) {
        let mut state = self.lock_state();
        stop_child(&mut state, log);
        if !state.removed {
            state.removed = true;
            if let Err(e) = fs::remove_dir_all(&self.dir)
                && e.kind() != std::io::ErrorKind::NotFound
                && log
            {
                tracing::warn!("removing cluster dir {}: {e}", self.dir.display());
            }
        }
    }

    /// Poll the socket until the server accepts connections; fail early when it exits.
    fn wait_ready(&self) -> Result<()> {
        let socket = self.socket_dir.join(format!(".s.PGSQL.{}", self.port));
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            {
                let mut state = self.lock_state();
                let Some(child) = state.child.as_mut() else {
                    bail!("the server of {} is not running", self.dir.display());
                };
                if let Some(status) = child.try_wait().context("waiting for postgres")? {
                    state.child = None;
                    bail!(
                        "postgres exited ({status}) before accepting connections; the end of {}:\n{}",
                        self.log_path().display(),
                        self.log_tail()
                    );
                }
            }
            if probe_ready(&socket) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "postgres did not accept connections on {} within {} s; the end of {}:\n{}",
                    socket.display(),
                    READY_TIMEOUT.as_secs(),
                    self.log_path().display(),
                    self.log_tail()
                );
            }
            std::thread::sleep(READY_POLL);
        }
    }

    fn log_tail(&self) -> String {
        let text = fs::read_to_string(self.log_path()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    fn as_server_user(&self, cmd: &mut Command) {
        as_server_user(cmd, &self.dir, self.run_as.as_ref());
    }

    fn make_socket_dir(&self) -> Result<()> {
        fs::DirBuilder::new()
            .mode(0o700)
            .create(&self.socket_dir)
            .with_context(|| format!("creating {}", self.socket_dir.display()))?;
        if let Some(r) = &self.run_as {
            std::os::unix::fs::lchown(&self.socket_dir, Some(r.uid.as_raw()), Some(r.gid.as_raw()))
                .with_context(|| format!("chown {} {}", r.name, self.socket_dir.display()))?;
        }
        Ok(())
    }

    fn initdb(&self) -> Result<()> {
        run_initdb(&self.bin, &self.data_dir, &self.dir, self.run_as.as_ref())
    }

    /// A fresh data dir: initdb for the first cluster of the process, a copy of the process's
    /// initdb template for later ones (a copy is the fast path: ~70 ms instead of ~400 ms on a
    /// typical disk), initdb again on any problem with the template.
    fn init_data_dir(&self, root: &Path) -> Result<()> {
        let template = match process_template(&self.bin, root, self.run_as.as_ref()) {
            Ok(Some(template)) => template,
            Ok(None) => return self.initdb(),
            Err(e) => {
                tracing::warn!("no initdb template, running initdb for this cluster: {e:#}");
                return self.initdb();
            }
        };
        match self.copy_template(&template) {
            Ok(()) => Ok(()),
            Err(e) => {
                tracing::warn!("copying the initdb template failed, running initdb: {e:#}");
                if self.data_dir.exists() {
                    fs::remove_dir_all(&self.data_dir)
                        .with_context(|| format!("removing {}", self.data_dir.display()))?;
                }
                self.initdb()
            }
        }
    }

    fn copy_template(&self, template: &Path) -> Result<()> {
        let version_file = template.join("PG_VERSION");
        let version = fs::read_to_string(&version_file)
            .with_context(|| format!("reading {}", version_file.display()))?;
        if self.bin.major >= 10 && version.trim() != self.bin.major.to_string() {
            bail!(
                "template {} is for PostgreSQL {}, the binaries in {} are {}",
                template.display(),
                version.trim(),
                self.bin.dir.display(),
                self.bin.major
            );
        }
        let out = Command::new("cp")
            .arg("-a")
            .arg(template)
            .arg(&self.data_dir)
            .output()
            .context("running cp -a")?;
        if !out.status.success() {
            bail!(
                "cp -a {} {} failed: {}",
                template.display(),
                self.data_dir.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        // A copy taken from a running server would make the postmaster refuse to start.
        for stale in ["postmaster.pid", "postmaster.opts"] {
            let path = self.data_dir.join(stale);
            if path.exists() {
                fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
            }
        }
        if let Some(r) = &self.run_as {
            let meta = fs::metadata(&self.data_dir)
                .with_context(|| format!("reading {}", self.data_dir.display()))?;
            if meta.uid() != r.uid.as_raw() || meta.gid() != r.gid.as_raw() {
                chown_tree(&self.data_dir, r)?;
            }
        }
        // The server insists on 0700 (or 0750) for its data dir.
        fs::set_permissions(&self.data_dir, fs::Permissions::from_mode(0o700))
            .with_context(|| format!("chmod 700 {}", self.data_dir.display()))?;
        Ok(())
    }
}

impl Drop for TempCluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Common setup of initdb and postgres: the server user, a working dir it can enter, no stdin.
fn as_server_user(cmd: &mut Command, cwd: &Path, run_as: Option<&RunAs>) {
    cmd.current_dir(cwd).stdin(Stdio::null());
    // These would only matter when -D/-p are absent, but keep the children deterministic.
    for key in ["PGDATA", "PGPORT", "PGHOST", "PGOPTIONS"] {
        cmd.env_remove(key);
    }
    if let Some(run_as) = run_as {
        // std drops the supplementary groups too when the parent is root.
        cmd.uid(run_as.uid.as_raw()).gid(run_as.gid.as_raw());
    }
}

/// `initdb` into `data_dir` (which must not exist yet; its parent `cwd` must be the server user's).
fn run_initdb(bin: &PgBin, data_dir: &Path, cwd: &Path, run_as: Option<&RunAs>) -> Result<()> {
    let initdb = bin.dir.join("initdb");
    let mut cmd = Command::new(&initdb);
    cmd.arg("-D").arg(data_dir).args([
        "--no-sync",
        "-E",
        "UTF8",
        "--locale=C",
        "-U",
        SUPERUSER,
        "--auth=trust",
    ]);
    if bin.major >= 14 {
        cmd.arg("--no-instructions");
    }
    as_server_user(&mut cmd, cwd, run_as);
    let out = cmd
        .output()
        .with_context(|| format!("running {}", initdb.display()))?;
    if !out.status.success() {
        bail!(
            "{} -D {} failed ({}): {}{}",
            initdb.display(),
            data_dir.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout).trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// The initdb templates of this process, per bin dir: `None` after the first cluster (which ran
/// initdb itself), then the template's cluster dir. Made lazily because most processes (a test
/// binary using only the shared cluster, `pgdeck demo`) start one cluster, and for them a template
/// would only add a copy.
static TEMPLATES: Mutex<Vec<(PathBuf, Option<PathBuf>)>> = Mutex::new(Vec::new());

/// The data dir to copy for a new cluster on `bin`, or `None` when this is the process's first
/// cluster and it should run initdb itself. The second call makes the template, in a
/// `pgdeck-<pid>-<n>` dir (so a crashed run's template is swept like its clusters). The lock is
/// held during initdb: concurrent starts wait for one initdb instead of running several.
fn process_template(bin: &PgBin, root: &Path, run_as: Option<&RunAs>) -> Result<Option<PathBuf>> {
    let mut templates = TEMPLATES.lock().unwrap_or_else(PoisonError::into_inner);
    // A template that vanished (a /tmp cleaner in a long-running process) is made again.
    templates.retain(|(_, dir)| {
        dir.as_ref()
            .is_none_or(|d| d.join("data").join("PG_VERSION").is_file())
    });
    match templates.iter().find(|(b, _)| *b == bin.dir) {
        None => {
            templates.push((bin.dir.clone(), None));
            return Ok(None);
        }
        Some((_, Some(dir))) => return Ok(Some(dir.join("data"))),
        Some((_, None)) => {}
    }
    let dir = create_cluster_dir(root, run_as)?;
    let data = dir.join("data");
    if let Err(e) = run_initdb(bin, &data, &dir, run_as) {
        let _ = fs::remove_dir_all(&dir);
        return Err(e);
    }
    static HOOKED: OnceLock<()> = OnceLock::new();
    HOOKED.get_or_init(|| {
        // SAFETY: atexit only records a plain function pointer.
        if unsafe { libc::atexit(remove_templates) } != 0 {
            tracing::warn!("atexit failed; the next cluster start sweeps the initdb template");
        }
    });
    templates.retain(|(b, _)| *b != bin.dir);
    templates.push((bin.dir.clone(), Some(dir)));
    Ok(Some(data))
}

/// At exit: remove the initdb templates. `try_lock`, because exit may come from a thread that holds
/// the lock; the sweep of a later run removes what is left.
extern "C" fn remove_templates() {
    if let Ok(templates) = TEMPLATES.try_lock() {
        for dir in templates.iter().filter_map(|(_, dir)| dir.as_ref()) {
            let _ = fs::remove_dir_all(dir);
        }
    }
}

/// SIGINT (fast shutdown) and wait; SIGQUIT, then SIGKILL, if the server does not go away.
fn stop_child(state: &mut State, log: bool) {
    let Some(mut child) = state.child.take() else {
        return;
    };
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    let Ok(raw) = i32::try_from(child.id()) else {
        let _ = child.kill();
        let _ = child.wait();
        return;
    };
    let pid = Pid::from_raw(raw);
    for (signal, patience) in [
        (Signal::SIGINT, Duration::from_secs(20)),
        (Signal::SIGQUIT, Duration::from_secs(5)),
    ] {
        let _ = kill(pid, signal);
        let deadline = Instant::now() + patience;
        while Instant::now() < deadline {
            match child.try_wait() {
                Ok(Some(_)) | Err(_) => return,
                Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            }
        }
        if log {
            tracing::warn!("postgres {raw} ignored {signal}");
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Ask the socket for a session the way a client would and read the first reply: an
/// authentication request, or any error other than "starting up", means the server accepts
/// connections. Speaking the startup packet by hand needs no runtime and works whatever
/// authentication pg_hba.conf asks for.
fn probe_ready(socket: &Path) -> bool {
    let Ok(mut stream) = UnixStream::connect(socket) else {
        return false;
    };
    let timeout = Some(Duration::from_secs(2));
    if stream.set_read_timeout(timeout).is_err() || stream.set_write_timeout(timeout).is_err() {
        return false;
    }
    if stream
        .write_all(&startup_message(SUPERUSER, "postgres"))
        .is_err()
    {
        return false;
    }
    let mut header = [0u8; 5];
    if stream.read_exact(&mut header).is_err() {
        return false;
    }
    let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
    match header[0] {
        b'R' => {
            // Terminate, so the backend logs no "unexpected EOF".
            let _ = stream.write_all(&[b'X', 0, 0, 0, 4]);
            true
        }
        b'E' if (4..65536).contains(&len) => {
            let mut body = vec![0u8; len - 4];
            stream.read_exact(&mut body).is_ok()
                && error_sqlstate(&body).is_some_and(|code| code != CANNOT_CONNECT_NOW)
        }
        _ => false,
    }
}

/// A protocol 3.0 StartupMessage.
fn startup_message(user: &str, database: &str) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&196_608u32.to_be_bytes());
    for (k, v) in [("user", user), ("database", database)] {
        body.extend_from_slice(k.as_bytes());
        body.push(0);
        body.extend_from_slice(v.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut msg = ((body.len() + 4) as u32).to_be_bytes().to_vec();
    msg.extend_from_slice(&body);
    msg
}

/// The SQLSTATE field (`C`) of an ErrorResponse body.
fn error_sqlstate(body: &[u8]) -> Option<String> {
    let mut rest = body;
    while let Some((&field, tail)) = rest.split_first() {
        if field == 0 {
            return None;
        }
        let end = tail.iter().position(|&b| b == 0)?;
        if field == b'C' {
            return Some(String::from_utf8_lossy(&tail[..end]).into_owned());
        }
        rest = &tail[end + 1..];
    }
    None
}

/// What goes on the postgres command line.
struct ServerArgs<'a> {
    data_dir: &'a Path,
    socket_dir: &'a Path,
    port: u16,
    listen_tcp: bool,
    preload_pg_stat_statements: bool,
    settings: &'a [(String, String)],
}

fn server_args(a: &ServerArgs<'_>) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec![
        "-D".into(),
        a.data_dir.into(),
        "-k".into(),
        a.socket_dir.into(),
        "-p".into(),
        a.port.to_string().into(),
    ];
    let listen = if a.listen_tcp { "127.0.0.1" } else { "" };
    let mut settings = vec![
        ("listen_addresses", listen),
        // Durability is worthless for a throwaway cluster; these make loads several times faster.
        ("fsync", "off"),
        ("synchronous_commit", "off"),
        ("full_page_writes", "off"),
        ("max_connections", "100"),
    ];
    if a.preload_pg_stat_statements {
        settings.push(("shared_preload_libraries", "pg_stat_statements"));
    }
    let extra = a.settings.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    for (key, value) in settings.into_iter().chain(extra) {
        args.push("-c".into());
        args.push(format!("{key}={value}").into());
    }
    args
}

// ------------------------------------------------------------------------------------------------
// Dirs, users, the stale sweep

fn server_user() -> Result<Option<RunAs>> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(None);
    }
    for name in ["postgres", "nobody"] {
        let user = User::from_name(name).with_context(|| format!("looking up OS user {name}"))?;
        if let Some(u) = user {
            return Ok(Some(RunAs {
                name: name.to_string(),
                uid: u.uid,
                gid: u.gid,
            }));
        }
    }
    bail!(
        "pgdeck runs as root, PostgreSQL refuses to run as root, and neither OS user `postgres` \
         nor `nobody` exists: create one (`useradd --system postgres`) or run as a normal user"
    )
}

/// The temp root: `$PGDECK_TEST_TMP` if set (and then only it), else the system temp dir, else
/// `/tmp`. It must leave room for the socket path and be traversable by the server user.
fn choose_temp_root(run_as: Option<&RunAs>) -> Result<PathBuf> {
    let explicit = std::env::var_os(TEMP_ROOT_ENV).filter(|v| !v.is_empty());
    let candidates = match &explicit {
        Some(dir) => vec![PathBuf::from(dir)],
        None => vec![std::env::temp_dir(), PathBuf::from("/tmp")],
    };
    let mut problems = Vec::new();
    for candidate in candidates {
        if explicit.is_some() {
            fs::create_dir_all(&candidate)
                .with_context(|| format!("creating {TEMP_ROOT_ENV}={}", candidate.display()))?;
        }
        let root = match fs::canonicalize(&candidate) {
            Ok(root) => root,
            Err(e) => {
                problems.push(format!("{}: {e}", candidate.display()));
                continue;
            }
        };
        if !socket_path_fits(&root, std::process::id()) {
            problems.push(format!(
                "{}: too long for the socket path (at most {SOCKET_PATH_MAX} bytes)",
                root.display()
            ));
            continue;
        }
        if let Some(r) = run_as
            && let Some(blocked) = first_untraversable(&root, r)
        {
            problems.push(format!(
                "{}: OS user {} cannot enter {}",
                root.display(),
                r.name,
                blocked.display()
            ));
            continue;
        }
        return Ok(root);
    }
    bail!(
        "no usable directory for a temporary PostgreSQL cluster ({}); set {TEMP_ROOT_ENV} to a short \
         directory every user can enter, such as /tmp",
        problems.join("; ")
    )
}

/// Whether `<root>/pgdeck-<pid>-<n>/sock/.s.PGSQL.<port>` fits, with room for large n and port.
fn socket_path_fits(root: &Path, pid: u32) -> bool {
    let longest = root
        .join(format!("{DIR_PREFIX}{pid}-999999"))
        .join("sock")
        .join(".s.PGSQL.65535");
    longest.as_os_str().len() <= SOCKET_PATH_MAX
}

/// The first of `path` and its ancestors the server user cannot traverse.
fn first_untraversable(path: &Path, r: &RunAs) -> Option<PathBuf> {
    path.ancestors().find_map(|p| {
        let meta = fs::metadata(p).ok()?;
        let ok = can_traverse(
            meta.mode(),
            meta.uid(),
            meta.gid(),
            r.uid.as_raw(),
            r.gid.as_raw(),
        );
        (!ok).then(|| p.to_path_buf())
    })
}

/// Unix permission check for search (x) on a directory, owner then group then others. Only the
/// primary group counts: std drops supplementary groups when it switches user from root.
fn can_traverse(mode: u32, owner: u32, group: u32, uid: u32, gid: u32) -> bool {
    if uid == owner {
        mode & 0o100 != 0
    } else if gid == group {
        mode & 0o010 != 0
    } else {
        mode & 0o001 != 0
    }
}

fn create_cluster_dir(root: &Path, run_as: Option<&RunAs>) -> Result<PathBuf> {
    let pid = std::process::id();
    loop {
        let n = NEXT_DIR.fetch_add(1, Ordering::Relaxed);
        let dir = root.join(format!("{DIR_PREFIX}{pid}-{n}"));
        match fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => {
                if let Some(r) = run_as {
                    std::os::unix::fs::lchown(&dir, Some(r.uid.as_raw()), Some(r.gid.as_raw()))
                        .with_context(|| format!("chown {} {}", r.name, dir.display()))?;
                }
                return Ok(dir);
            }
            // Left by an earlier process that had our pid: take the next number.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("creating {}", dir.display())),
        }
    }
}

fn chown_tree(path: &Path, r: &RunAs) -> Result<()> {
    std::os::unix::fs::lchown(path, Some(r.uid.as_raw()), Some(r.gid.as_raw()))
        .with_context(|| format!("chown {} {}", r.name, path.display()))?;
    let meta = fs::symlink_metadata(path).with_context(|| format!("reading {}", path.display()))?;
    if meta.is_dir() {
        for entry in fs::read_dir(path).with_context(|| format!("listing {}", path.display()))? {
            let entry = entry.with_context(|| format!("listing {}", path.display()))?;
            chown_tree(&entry.path(), r)?;
        }
    }
    Ok(())
}

/// Write `lines` at the top of pg_hba.conf (first match wins, so they take precedence).
fn prepend_hba(data_dir: &Path, lines: &[String]) -> Result<()> {
    let path = data_dir.join("pg_hba.conf");
    let old = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let new = format!(
        "# pgdeck TempCluster: ClusterOptions::hba_lines\n{}\n\n# initdb's defaults\n{old}",
        lines.join("\n")
    );
    fs::write(&path, new).with_context(|| format!("writing {}", path.display()))
}

fn free_tcp_port() -> Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).context("finding a free TCP port")?;
    Ok(listener
        .local_addr()
        .context("finding a free TCP port")?
        .port())
}

/// `pgdeck-<pid>-<n>` gives `(pid, n)`.
fn parse_dir_name(name: &str) -> Option<(u32, u32)> {
    let (pid, n) = name.strip_prefix(DIR_PREFIX)?.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(pid) || !digits(n) {
        return None;
    }
    Some((pid.parse().ok()?, n.parse().ok()?))
}

/// Remove the cluster dirs of processes that died without cleaning up, stopping their orphaned
/// postmasters first. Never fails: a dir it cannot handle is logged and left alone.
pub fn sweep_stale(root: &Path) {
    let Ok(entries) = fs::read_dir(root) else {
        return;
    };
    let me = std::process::id();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some((owner, _)) = parse_dir_name(&name.to_string_lossy()) else {
            continue;
        };
        let path = entry.path();
        if owner == me || pid_alive(owner as i32) || !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let Ok(contents) = fs::read_dir(&path) else {
            continue;
        };
        let foreign = contents.flatten().any(|e| {
            let n = e.file_name();
            !DIR_ENTRIES
                .iter()
                .any(|known| n.to_string_lossy() == *known)
        });
        if foreign {
            tracing::warn!(
                "not sweeping {}: it holds files pgdeck does not make",
                path.display()
            );
            continue;
        }
        if !stop_orphan_postmaster(&path.join("data")) {
            tracing::warn!("not sweeping {}: a process still uses it", path.display());
            continue;
        }
        match fs::remove_dir_all(&path) {
            Ok(()) => tracing::info!("removed stale cluster dir {}", path.display()),
            Err(e) => tracing::warn!("removing stale cluster dir {}: {e}", path.display()),
        }
    }
}

/// Stop the postmaster named in `data/postmaster.pid` if it still runs. Returns whether the dir is
/// now free (no postmaster, or it stopped).
fn stop_orphan_postmaster(data_dir: &Path) -> bool {
    let pid_file = data_dir.join("postmaster.pid");
    let Ok(text) = fs::read_to_string(&pid_file) else {
        return true;
    };
    let Some(pid) = text
        .lines()
        .next()
        .and_then(|l| l.trim().parse::<i32>().ok())
    else {
        return true;
    };
    if !pid_alive(pid) {
        return true;
    }
    if !is_postmaster_of(pid, data_dir) {
        // The pid was reused by an unrelated process: the postmaster itself is gone.
        return true;
    }
    for (signal, patience) in [
        (Signal::SIGINT, Duration::from_secs(10)),
        (Signal::SIGQUIT, Duration::from_secs(3)),
        (Signal::SIGKILL, Duration::from_secs(3)),
    ] {
        if kill(Pid::from_raw(pid), signal).is_err() {
            return !pid_alive(pid);
        }
        let deadline = Instant::now() + patience;
        while Instant::now() < deadline {
            // An orphan is reaped by init, which may take a while; once postmaster.pid is gone
            // the server has finished shutting down.
            if !pid_alive(pid) || !pid_file.exists() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    false
}

/// A postmaster changes into its data dir, so its cwd identifies the cluster it serves.
#[cfg(target_os = "linux")]
fn is_postmaster_of(pid: i32, data_dir: &Path) -> bool {
    let comm = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    let cwd = fs::read_link(format!("/proc/{pid}/cwd"));
    let data = fs::canonicalize(data_dir);
    matches!(comm.trim(), "postgres" | "postmaster")
        && matches!((cwd, data), (Ok(a), Ok(b)) if a == b)
}

/// Without /proc we cannot tell an orphaned postmaster from a stranger that reused its pid, so
/// never signal it.
#[cfg(not(target_os = "linux"))]
fn is_postmaster_of(_pid: i32, _data_dir: &Path) -> bool {
    false
}

/// Whether a process exists and is not a zombie.
pub(crate) fn pid_alive(pid: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    match kill(Pid::from_raw(pid), None) {
        Ok(()) | Err(Errno::EPERM) => !is_zombie(pid),
        Err(_) => false,
    }
}

fn is_zombie(pid: i32) -> bool {
    // "pid (comm) S ...": comm may hold spaces and parentheses, so read the state after the last ')'.
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

// ------------------------------------------------------------------------------------------------
// Quoting and helpers

/// A conninfo value, single-quoted with backslash escapes when it is empty or holds whitespace,
/// quotes or backslashes (libpq's rules, which tokio-postgres follows).
pub fn quote_conninfo_value(value: &str) -> String {
    let plain = !value.is_empty()
        && !value
            .chars()
            .any(|c| c.is_whitespace() || c == '\'' || c == '\\');
    if plain {
        return value.to_string();
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\'' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// An SQL identifier, always double-quoted with inner quotes doubled (like `quote_ident`, minus
/// the optimisation of leaving simple names bare).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Run a future on a fresh current-thread runtime on its own thread, so blocking callers work both
/// inside and outside a tokio runtime.
fn block_on_own_runtime<T, F>(fut: F) -> Result<T>
where
    T: Send,
    F: Future<Output = Result<T>> + Send,
{
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .context("building a tokio runtime")?;
                runtime.block_on(fut)
            })
            .join()
            .map_err(|_| anyhow!("the database helper thread panicked"))?
    })
}

// ------------------------------------------------------------------------------------------------
// The shared test cluster

static SHARED: OnceLock<Result<TempCluster, String>> = OnceLock::new();

/// One cluster per test process (socket and TCP), started on first use and stopped, with its dir
/// removed, when the process exits (an `atexit` hook: statics are never dropped). If it cannot
/// start, every caller gets the same error.
pub fn try_shared_for_tests() -> Result<&'static TempCluster> {
    let shared = SHARED.get_or_init(|| {
        let cluster = TempCluster::start(ClusterOptions::default().tcp(true))
            .map_err(|e| format!("{e:#}"))?;
        // SAFETY: atexit only records a plain function pointer; the hook touches nothing but the
        // static above.
        let registered = unsafe { libc::atexit(stop_shared_cluster) };
        if registered != 0 {
            tracing::warn!("atexit failed; the next cluster start sweeps this one's dir");
        }
        Ok(cluster)
    });
    shared.as_ref().map_err(|e| anyhow!("{e}"))
}

/// [`try_shared_for_tests`] for test code: panics with the error (which says how to install
/// PostgreSQL when the binaries are missing).
pub fn shared_for_tests() -> &'static TempCluster {
    match try_shared_for_tests() {
        Ok(cluster) => cluster,
        Err(e) => panic!("the shared test cluster did not start: {e:#}"),
    }
}

extern "C" fn stop_shared_cluster() {
    if let Some(Ok(cluster)) = SHARED.get() {
        cluster.shutdown(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions() {
        let debian = "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n";
        assert_eq!(
            parse_version(debian),
            Some((15, "15.18 (Debian 15.18-0+deb12u1)".into()))
        );
        assert_eq!(
            parse_version("postgres (PostgreSQL) 18.0"),
            Some((18, "18.0".into()))
        );
        assert_eq!(
            parse_version("postgres (PostgreSQL) 9.6.24"),
            Some((9, "9.6.24".into()))
        );
        assert_eq!(
            parse_version("postgres (PostgreSQL) 17beta1"),
            Some((17, "17beta1".into()))
        );
        assert_eq!(
            parse_version("postgres 16devel"),
            Some((16, "16devel".into()))
        );
        assert_eq!(parse_version("garbage"), None);
        assert_eq!(parse_version(""), None);
    }

    #[test]
    fn newest_version_wins() {
        let bin = |major, version: &str| PgBin {
            dir: PathBuf::new(),
            major,
            version: version.into(),
        };
        assert!(version_key(&bin(16, "16.1")) > version_key(&bin(15, "15.18")));
        assert!(version_key(&bin(15, "15.18 (Debian)")) > version_key(&bin(15, "15.4")));
        assert!(version_key(&bin(18, "18beta1")) > version_key(&bin(17, "17.10")));
    }

    #[test]
    fn socket_path_limit() {
        assert!(socket_path_fits(Path::new("/tmp"), 4_194_304));
        let long = PathBuf::from(format!("/{}", "d".repeat(70)));
        assert!(!socket_path_fits(&long, 4_194_304));
        // "/tmp/" + k bytes + "/pgdeck-4194304-999999/sock/.s.PGSQL.65535" is 47 + k bytes.
        let edge = PathBuf::from(format!("/tmp/{}", "e".repeat(SOCKET_PATH_MAX - 47)));
        assert!(socket_path_fits(&edge, 4_194_304));
        let over = PathBuf::from(format!("/tmp/{}", "e".repeat(SOCKET_PATH_MAX - 46)));
        assert!(!socket_path_fits(&over, 4_194_304));
    }

    #[test]
    fn traversal_rules() {
        // root's home, 0700: the postgres user (101) cannot enter it.
        assert!(!can_traverse(0o40700, 0, 0, 101, 104));
        assert!(can_traverse(0o41777, 0, 0, 101, 104)); // /tmp
        assert!(can_traverse(0o40750, 0, 104, 101, 104)); // group postgres
        assert!(!can_traverse(0o40750, 0, 0, 101, 104));
        assert!(can_traverse(0o40700, 101, 104, 101, 104)); // own dir
        assert!(!can_traverse(0o40607, 101, 104, 101, 104)); // owner bits win over others
    }

    #[test]
    fn dir_names() {
        assert_eq!(parse_dir_name("pgdeck-1234-0"), Some((1234, 0)));
        assert_eq!(parse_dir_name("pgdeck-1-17"), Some((1, 17)));
        assert_eq!(parse_dir_name("pgdeck-x-1"), None);
        assert_eq!(parse_dir_name("pgdeck-12-"), None);
        assert_eq!(parse_dir_name("pgdeck-12-3-4"), None);
        assert_eq!(parse_dir_name("pgdeck-cache"), None);
        assert_eq!(parse_dir_name("other-12-3"), None);
    }

    #[test]
    fn conninfo_quoting() {
        assert_eq!(
            quote_conninfo_value("/tmp/pgdeck-1-0/sock"),
            "/tmp/pgdeck-1-0/sock"
        );
        assert_eq!(quote_conninfo_value(""), "''");
        assert_eq!(quote_conninfo_value("my db"), "'my db'");
        assert_eq!(quote_conninfo_value(r"it's\x"), r"'it\'s\\x'");
        let config: tokio_postgres::Config = format!(
            "host=/s dbname={}",
            quote_conninfo_value(r#"x"; drop 'y' \z"#)
        )
        .parse()
        .expect("quoted conninfo parses");
        assert_eq!(config.get_dbname(), Some(r#"x"; drop 'y' \z"#));
    }

    #[test]
    fn identifier_quoting() {
        assert_eq!(quote_ident("users"), "\"users\"");
        assert_eq!(
            quote_ident(r#"x"; drop table y; --"#),
            r#""x""; drop table y; --""#
        );
    }

    #[test]
    fn startup_packet_and_errors() {
        let msg = startup_message("postgres", "postgres");
        assert_eq!(
            u32::from_be_bytes([msg[0], msg[1], msg[2], msg[3]]) as usize,
            msg.len()
        );
        assert_eq!(&msg[4..8], &196_608u32.to_be_bytes());
        assert!(msg.ends_with(b"database\0postgres\0\0"));
        let body = b"SFATAL\0VFATAL\0C57P03\0Mthe database system is starting up\0\0";
        assert_eq!(error_sqlstate(body).as_deref(), Some("57P03"));
        assert_eq!(error_sqlstate(b"SFATAL\0\0"), None);
        assert_eq!(error_sqlstate(b"C28000"), None);
    }

    #[test]
    fn command_line() {
        let settings = vec![("work_mem".to_string(), "64MB".to_string())];
        let args = server_args(&ServerArgs {
            data_dir: Path::new("/t/data"),
            socket_dir: Path::new("/t/sock"),
            port: 5432,
            listen_tcp: false,
            preload_pg_stat_statements: true,
            settings: &settings,
        });
        let args: Vec<String> = args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(args[..6], ["-D", "/t/data", "-k", "/t/sock", "-p", "5432"]);
        assert!(args.contains(&"listen_addresses=".to_string()));
        assert!(args.contains(&"shared_preload_libraries=pg_stat_statements".to_string()));
        assert_eq!(args.last().map(String::as_str), Some("work_mem=64MB"));
        let tcp = server_args(&ServerArgs {
            data_dir: Path::new("/d"),
            socket_dir: Path::new("/s"),
            port: 40000,
            listen_tcp: true,
            preload_pg_stat_statements: false,
            settings: &[],
        });
        let tcp: Vec<String> = tcp
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert!(tcp.contains(&"listen_addresses=127.0.0.1".to_string()));
        assert!(
            !tcp.iter()
                .any(|a| a.starts_with("shared_preload_libraries"))
        );
    }
}
