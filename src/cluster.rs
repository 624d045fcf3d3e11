//! `TempCluster`: a throwaway PostgreSQL server for the test suites, the benchmarks and `pgdeck demo`.
//! It finds server binaries, runs `initdb` into a temporary directory (as the `postgres` OS user when we
//! are root, since PostgreSQL refuses to run as root), starts the server on a private unix socket and
//! removes everything when dropped. It never touches a server it did not start.
//!
//! The server stays in the caller's process group, so a Ctrl-C in the terminal reaches it too and it
//! shuts down fast (SIGINT); directories left by a crashed run are swept at the next start.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};

/// How to install the server when no binaries are found.
const INSTALL_HINT: &str = "no PostgreSQL server binaries (initdb, postgres) found: install them with \
    `sudo apt-get install -y postgresql postgresql-contrib` (Debian/Ubuntu), or set PGDECK_PG_BIN to a \
    directory holding initdb and postgres";

/// A PostgreSQL installation's bin directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgBin {
    pub dir: PathBuf,
    pub major: u32,
    /// `postgres --version` output's version part, e.g. "15.18".
    pub version: String,
}

impl PgBin {
    /// Find server binaries: `PGDECK_PG_BIN` first; else PATH, `pg_config --bindir`,
    /// `/usr/lib/postgresql/*/bin`, `/usr/local/pgsql/bin`, newest major first.
    pub fn find() -> anyhow::Result<PgBin> {
        if let Some(dir) = std::env::var_os("PGDECK_PG_BIN") {
            let dir = PathBuf::from(dir);
            return PgBin::at(&dir)
                .with_context(|| format!("PGDECK_PG_BIN={} is not usable", dir.display()));
        }
        let mut candidates: Vec<PathBuf> = Vec::new();
        if let Some(path) = std::env::var_os("PATH") {
            candidates.extend(std::env::split_paths(&path));
        }
        if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
            && out.status.success()
        {
            candidates.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
        }
        if let Ok(entries) = fs::read_dir("/usr/lib/postgresql") {
            for e in entries.flatten() {
                candidates.push(e.path().join("bin"));
            }
        }
        candidates.push(PathBuf::from("/usr/local/pgsql/bin"));
        // Follow symlinks (some images link initdb/postgres into /usr/local/bin) to the real
        // installation, where psql, pg_config and the libraries live too.
        let mut dirs: Vec<PathBuf> = candidates
            .iter()
            .filter(|d| d.join("initdb").is_file() && d.join("postgres").is_file())
            .filter_map(|d| fs::canonicalize(d.join("postgres")).ok())
            .filter_map(|p| p.parent().map(Path::to_path_buf))
            .collect();
        dirs.dedup();
        let mut found: Vec<PgBin> = dirs.iter().filter_map(|d| PgBin::at(d).ok()).collect();
        found.sort_by(|a, b| {
            b.major
                .cmp(&a.major)
                .then_with(|| b.version.cmp(&a.version))
        });
        found
            .into_iter()
            .next()
            .ok_or_else(|| anyhow!(INSTALL_HINT))
    }

    /// Check a directory and read its version.
    pub fn at(dir: &Path) -> anyhow::Result<PgBin> {
        for tool in ["initdb", "postgres"] {
            if !dir.join(tool).is_file() {
                bail!("{} has no {tool}", dir.display());
            }
        }
        let out = Command::new(dir.join("postgres"))
            .arg("--version")
            .output()
            .with_context(|| format!("running {}/postgres --version", dir.display()))?;
        let text = String::from_utf8_lossy(&out.stdout);
        let (major, version) = parse_version(&text)
            .ok_or_else(|| anyhow!("cannot read the version from {:?}", text.trim()))?;
        Ok(PgBin {
            dir: dir.to_path_buf(),
            major,
            version,
        })
    }

    fn tool(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// This installation's psql, or the one on PATH.
    pub fn psql(&self) -> PathBuf {
        let p = self.tool("psql");
        if p.is_file() {
            p
        } else {
            PathBuf::from("psql")
        }
    }

    /// Whether pg_stat_statements can be preloaded (its library exists next to this installation).
    fn has_pg_stat_statements(&self) -> bool {
        let mut dirs = vec![self.dir.join("../lib"), self.dir.join("../lib/postgresql")];
        if let Ok(out) = Command::new(self.tool("pg_config"))
            .arg("--pkglibdir")
            .output()
            && out.status.success()
        {
            dirs.insert(
                0,
                PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()),
            );
        }
        dirs.iter()
            .any(|d| d.join("pg_stat_statements.so").is_file())
    }
}

/// `postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)` → (15, "15.18"); also "16beta1", "9.6.24".
fn parse_version(s: &str) -> Option<(u32, String)> {
    let rest = s.split("(PostgreSQL)").nth(1)?.trim();
    let version: String = rest.split_whitespace().next()?.to_string();
    let digits: String = version.chars().take_while(char::is_ascii_digit).collect();
    let major: u32 = digits.parse().ok()?;
    Some((major, version))
}

/// Options for [`TempCluster::start`].
#[derive(Debug, Clone, Default)]
pub struct ClusterOptions {
    settings: Vec<(String, String)>,
    tcp: bool,
    no_pg_stat_statements: bool,
    hba_lines: Vec<String>,
    template: Option<PathBuf>,
}

impl ClusterOptions {
    /// An extra `-c name=value` server setting.
    pub fn setting(mut self, name: &str, value: &str) -> Self {
        self.settings.push((name.into(), value.into()));
        self
    }
    /// Also listen on 127.0.0.1 (a free port).
    pub fn tcp(mut self, on: bool) -> Self {
        self.tcp = on;
        self
    }
    /// Preload pg_stat_statements when available (the default).
    pub fn preload_pg_stat_statements(mut self, on: bool) -> Self {
        self.no_pg_stat_statements = !on;
        self
    }
    /// Lines put at the top of pg_hba.conf (e.g. `local all pw_user scram-sha-256`).
    pub fn hba_lines(mut self, lines: Vec<String>) -> Self {
        self.hba_lines = lines;
        self
    }
    /// Copy this data directory instead of running initdb.
    pub fn template(mut self, dir: PathBuf) -> Self {
        self.template = Some(dir);
        self
    }
}

/// A running throwaway server. Dropping it stops the server and removes its directory.
pub struct TempCluster {
    bin: PgBin,
    root: PathBuf,
    data: PathBuf,
    socket: PathBuf,
    port: u16,
    tcp_port: Option<u16>,
    args: Vec<String>,
    run_as: Option<(u32, u32)>,
    child: Option<Child>,
}

static SEQ: AtomicUsize = AtomicUsize::new(0);

impl TempCluster {
    /// initdb (or copy a template), start the server and wait until it accepts connections.
    pub fn start(opts: ClusterOptions) -> anyhow::Result<TempCluster> {
        let bin = PgBin::find()?;
        let tmp_root = std::env::var_os("PGDECK_TEST_TMP")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        sweep_stale(&tmp_root);
        let run_as = server_user()?;
        let root = tmp_root.join(format!(
            "pgdeck-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).with_context(|| format!("creating {}", root.display()))?;
        let mut cluster = TempCluster {
            data: root.join("data"),
            socket: root.join("sock"),
            root,
            bin,
            port: 5432,
            tcp_port: None,
            args: Vec::new(),
            run_as,
            child: None,
        };
        // From here on, Drop cleans up whatever happens.
        cluster.init(&opts)?;
        cluster.args = cluster.server_args(&opts)?;
        cluster.launch()?;
        Ok(cluster)
    }

    fn init(&mut self, opts: &ClusterOptions) -> anyhow::Result<()> {
        fs::create_dir_all(&self.socket)?;
        // The server user must traverse the root and write the socket dir; nobody else needs access.
        fs::set_permissions(&self.root, fs::Permissions::from_mode(0o711))?;
        fs::set_permissions(&self.socket, fs::Permissions::from_mode(0o700))?;
        self.chown(&self.root)?;
        self.chown(&self.socket)?;
        match &opts.template {
            Some(t) => {
                let st = Command::new("cp")
                    .arg("-a")
                    .arg(t)
                    .arg(&self.data)
                    .status()
                    .context("running cp -a for the template data directory")?;
                if !st.success() {
                    bail!("copying the template {} failed", t.display());
                }
                let _ = fs::remove_file(self.data.join("postmaster.pid"));
                self.chown_recursive(&self.data)?;
            }
            None => {
                let out = self
                    .command(&self.bin.tool("initdb"))
                    .arg("-D")
                    .arg(&self.data)
                    .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"])
                    .args(["--no-sync", "--no-instructions"])
                    .stdin(Stdio::null())
                    .output()
                    .context("running initdb")?;
                if !out.status.success() {
                    bail!(
                        "initdb failed: {}",
                        String::from_utf8_lossy(&out.stderr).trim()
                    );
                }
            }
        }
        if !opts.hba_lines.is_empty() {
            let hba = self.data.join("pg_hba.conf");
            let old =
                fs::read_to_string(&hba).with_context(|| format!("reading {}", hba.display()))?;
            let new = format!("{}\n{old}", opts.hba_lines.join("\n"));
            fs::write(&hba, new).with_context(|| format!("writing {}", hba.display()))?;
        }
        Ok(())
    }

    fn server_args(&mut self, opts: &ClusterOptions) -> anyhow::Result<Vec<String>> {
        let mut args = vec![
            "-D".to_string(),
            self.data.display().to_string(),
            "-k".into(),
            self.socket.display().to_string(),
        ];
        let socket_file = self.socket.join(".s.PGSQL.65535");
        if socket_file.as_os_str().len() > 107 {
            bail!(
                "the socket path {} is too long for a unix socket (107 bytes); set PGDECK_TEST_TMP to a shorter directory",
                socket_file.display()
            );
        }
        if opts.tcp {
            let port = free_tcp_port()?;
            self.tcp_port = Some(port);
            self.port = port;
            args.extend(["-c".into(), "listen_addresses=127.0.0.1".into()]);
        } else {
            args.extend(["-c".into(), "listen_addresses=".into()]);
        }
        args.extend(["-p".into(), self.port.to_string()]);
        let mut settings: Vec<(String, String)> = vec![
            ("fsync".into(), "off".into()),
            ("synchronous_commit".into(), "off".into()),
            ("full_page_writes".into(), "off".into()),
            ("max_connections".into(), "100".into()),
            ("logging_collector".into(), "off".into()),
        ];
        if !opts.no_pg_stat_statements && self.bin.has_pg_stat_statements() {
            settings.push((
                "shared_preload_libraries".into(),
                "pg_stat_statements".into(),
            ));
        }
        settings.extend(opts.settings.iter().cloned());
        for (k, v) in settings {
            args.push("-c".into());
            args.push(format!("{k}={v}"));
        }
        Ok(args)
    }

    fn launch(&mut self) -> anyhow::Result<()> {
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .with_context(|| format!("opening {}", self.log_path().display()))?;
        self.chown(&self.log_path())?;
        let log2 = log.try_clone()?;
        let child = self
            .command(&self.bin.tool("postgres"))
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .spawn()
            .context("starting postgres")?;
        self.child = Some(child);
        self.wait_ready()
    }

    /// Poll the socket until the server accepts connections (or exits, or 30 s pass).
    fn wait_ready(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let socket_file = self.socket.join(format!(".s.PGSQL.{}", self.port));
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                bail!(
                    "postgres exited ({status}) while starting; its log says:\n{}",
                    self.log_tail()
                );
            }
            if socket_file.exists() && self.accepts_connections() {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "postgres did not accept connections within 30 s; its log says:\n{}",
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// A startup-packet round trip through `pg_isready` would spawn a process per poll; reading the
    /// postmaster.pid status line ("ready") is what pg_ctl does and costs nothing.
    fn accepts_connections(&self) -> bool {
        fs::read_to_string(self.data.join("postmaster.pid"))
            .map(|s| s.lines().nth(7).is_some_and(|l| l.trim() == "ready"))
            .unwrap_or(false)
    }

    fn log_tail(&self) -> String {
        let text = fs::read_to_string(self.log_path()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        if let Some((uid, gid)) = self.run_as {
            // std drops the supplementary groups when the parent is root and uid/gid are set.
            cmd.uid(uid).gid(gid);
        }
        // A user's PG* variables must not leak into our server or our psql.
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("PG") {
                cmd.env_remove(&k);
            }
        }
        cmd
    }

    fn chown(&self, path: &Path) -> anyhow::Result<()> {
        if let Some((uid, gid)) = self.run_as {
            nix::unistd::chown(
                path,
                Some(nix::unistd::Uid::from_raw(uid)),
                Some(nix::unistd::Gid::from_raw(gid)),
            )
            .with_context(|| format!("chown {}", path.display()))?;
        }
        Ok(())
    }

    fn chown_recursive(&self, path: &Path) -> anyhow::Result<()> {
        if self.run_as.is_none() {
            return Ok(());
        }
        self.chown(path)?;
        if path.is_dir() {
            for e in fs::read_dir(path)? {
                self.chown_recursive(&e?.path())?;
            }
        }
        Ok(())
    }

    /// The unix socket directory.
    pub fn socket_dir(&self) -> &Path {
        &self.socket
    }
    /// The port (names the socket file; also the TCP port when TCP is on).
    pub fn port(&self) -> u16 {
        self.port
    }
    /// The TCP port on 127.0.0.1, when started with `tcp(true)`.
    pub fn tcp_port(&self) -> Option<u16> {
        self.tcp_port
    }
    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data
    }
    /// The installation this cluster runs.
    pub fn bin(&self) -> &PgBin {
        &self.bin
    }
    /// The server's log file.
    pub fn log_path(&self) -> PathBuf {
        self.root.join("postgres.log")
    }
    /// The superuser name.
    pub fn superuser(&self) -> &str {
        "postgres"
    }
    /// A key=value connection string for `dbname` over the socket, as the superuser.
    pub fn conninfo(&self, dbname: &str) -> String {
        format!(
            "host={} port={} user=postgres dbname={}",
            quote_value(&self.socket.display().to_string()),
            self.port,
            quote_value(dbname)
        )
    }

    /// Run SQL with the installation's psql as the superuser; returns stdout (unaligned, tuples only).
    /// Blocking, but safe inside a tokio runtime: it only waits for a child process.
    pub fn psql(&self, dbname: &str, sql: &str) -> anyhow::Result<String> {
        let psql = self.bin.psql();
        let out = self
            .command(&psql)
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
            .arg("-h")
            .arg(&self.socket)
            .arg("-p")
            .arg(self.port.to_string())
            .args(["-U", "postgres", "-d", dbname, "-c", sql])
            .stdin(Stdio::null())
            .output()
            .context("running psql")?;
        if !out.status.success() {
            bail!(
                "psql failed on database {dbname:?}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Create a database (the name is quoted, so any name works).
    pub fn create_database(&self, name: &str) -> anyhow::Result<()> {
        self.psql(
            "postgres",
            &format!("create database \"{}\"", name.replace('"', "\"\"")),
        )
        .map(|_| ())
    }

    /// The postmaster's pid while it runs.
    pub fn postmaster_pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Stop the server (fast shutdown), keeping the data directory.
    fn shutdown(&mut self) {
        if let Some(mut child) = self.child.take() {
            if let Ok(pid) = i32::try_from(child.id()) {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGINT,
                );
            }
            // Fast shutdown takes milliseconds; give up waiting (and kill) after 30 s.
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                match child.try_wait() {
                    Ok(Some(_)) | Err(_) => break,
                    Ok(None) if Instant::now() > deadline => {
                        let _ = child.kill();
                        let _ = child.wait();
                        break;
                    }
                    Ok(None) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        }
    }

    /// Stop the server and keep the data, then start it again on the same socket and port.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.shutdown();
        self.launch()
    }

    /// Stop the server and remove its directory. Idempotent.
    pub fn stop(&mut self) {
        self.shutdown();
        if self.root.exists() {
            let _ = fs::remove_dir_all(&self.root);
        }
    }
}

impl Drop for TempCluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Quote a key=value connection string value when it needs it.
fn quote_value(v: &str) -> String {
    if !v.is_empty()
        && !v
            .chars()
            .any(|c| c.is_whitespace() || c == '\'' || c == '\\')
    {
        v.to_string()
    } else {
        format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

/// uid/gid to run the server as: `None` when we are not root; the `postgres` user (or `nobody`) when root.
fn server_user() -> anyhow::Result<Option<(u32, u32)>> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(None);
    }
    for name in ["postgres", "nobody"] {
        if let Ok(Some(u)) = nix::unistd::User::from_name(name) {
            return Ok(Some((u.uid.as_raw(), u.gid.as_raw())));
        }
    }
    bail!("running as root, but there is no `postgres` or `nobody` user to run the server as")
}

fn free_tcp_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free TCP port")?;
    Ok(l.local_addr()?.port())
}

/// Remove directories of earlier runs whose owning process is gone, stopping their server if it still
/// runs (only when that process really is a postgres).
fn sweep_stale(tmp_root: &Path) {
    let Ok(entries) = fs::read_dir(tmp_root) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(owner) = stale_owner(&name) else {
            continue;
        };
        if Path::new(&format!("/proc/{owner}")).exists() {
            continue;
        }
        let dir = e.path();
        if let Ok(pidfile) = fs::read_to_string(dir.join("data/postmaster.pid"))
            && let Some(pid) = pidfile
                .lines()
                .next()
                .and_then(|l| l.trim().parse::<i32>().ok())
        {
            let comm = fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            if comm.trim() == "postgres" {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGQUIT,
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let _ = fs::remove_dir_all(&dir);
    }
}

/// `pgdeck-<pid>-<n>` → pid.
fn stale_owner(name: &OsStr) -> Option<u32> {
    let s = name.to_str()?;
    let mut parts = s.strip_prefix("pgdeck-")?.split('-');
    let pid = parts.next()?.parse().ok()?;
    parts.next()?.parse::<usize>().ok()?;
    parts.next().is_none().then_some(pid)
}

/// The cluster shared by every test of one test binary: started on first use (with TCP on), stopped and
/// removed when the process exits. Panics with the install hint when no server binaries exist, so a
/// test fails rather than skips.
pub fn shared_for_tests() -> &'static TempCluster {
    static SHARED: OnceLock<TempCluster> = OnceLock::new();
    static STOP_ROOT: OnceLock<(PathBuf, u32)> = OnceLock::new();
    extern "C" fn stop_at_exit() {
        // Statics are never dropped: stop the server by its pid and remove the directory here.
        if let Some((root, pid)) = STOP_ROOT.get() {
            if let Ok(pid) = i32::try_from(*pid) {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGINT,
                );
                let pidfile = root.join("data/postmaster.pid");
                let deadline = Instant::now() + Duration::from_secs(10);
                while pidfile.exists() && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
            let _ = fs::remove_dir_all(root);
        }
    }
    SHARED.get_or_init(|| {
        let c = match TempCluster::start(ClusterOptions::default().tcp(true)) {
            Ok(c) => c,
            Err(e) => panic!("cannot start the test cluster: {e:#}"),
        };
        if let Some(pid) = c.postmaster_pid() {
            let _ = STOP_ROOT.set((c.root.clone(), pid));
            // SAFETY: registering a plain extern "C" fn with no arguments.
            unsafe {
                libc::atexit(stop_at_exit);
            }
        }
        c
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse() {
        assert_eq!(
            parse_version("postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n"),
            Some((15, "15.18".into()))
        );
        assert_eq!(
            parse_version("postgres (PostgreSQL) 18.1"),
            Some((18, "18.1".into()))
        );
        assert_eq!(
            parse_version("postgres (PostgreSQL) 16beta1"),
            Some((16, "16beta1".into()))
        );
        assert_eq!(parse_version("something else"), None);
    }

    #[test]
    fn stale_dir_names() {
        assert_eq!(stale_owner(OsStr::new("pgdeck-1234-0")), Some(1234));
        assert_eq!(stale_owner(OsStr::new("pgdeck-1234")), None);
        assert_eq!(stale_owner(OsStr::new("pgdeck-bench-config-1")), None);
        assert_eq!(stale_owner(OsStr::new("other-1-2")), None);
    }

    #[test]
    fn conninfo_values_are_quoted_when_needed() {
        assert_eq!(quote_value("/tmp/x"), "/tmp/x");
        assert_eq!(quote_value("a b"), "'a b'");
        assert_eq!(quote_value("it's"), "'it\\'s'");
        assert_eq!(quote_value(""), "''");
    }
}
