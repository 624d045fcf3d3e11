//! Live checks of `pgdeck::conn` against a throwaway PostgreSQL server that this test starts
//! itself: TCP on 127.0.0.1 with `ssl=on` and a CA made here with `openssl`, SCRAM passwords,
//! a client-certificate role, and a private Unix socket. Everything lives in one directory under
//! the system temp dir; a Drop guard stops the server (SIGINT, wait) and removes the directory
//! even when a check fails. Missing server binaries are a failure, not a skip.
//!
//! All checks run in one test against one server (a server start costs about half a second);
//! each check reports its own failure and the test fails listing all of them.

use std::fs;
use std::future::Future;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::pin::Pin;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "support/certs.rs"]
mod certs;
use certs::{make_ca, make_leaf};

use pgdeck::conn::{
    self, ConnTarget, ConnectError, Connected, Environment, SslMode, parse_conninfo, resolve,
};

const PASSWORD: &str = "s3cret-pw";
const ROLE: &str = "tester";
const CERT_ROLE: &str = "certuser";

/// The directory holding the PostgreSQL server programs: `PGDECK_PG_BIN`, else the newest
/// `/usr/lib/postgresql/<version>/bin` with `initdb` and `postgres`.
fn find_bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PGDECK_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut found: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").exists() && bin.join("postgres").exists()).then_some((version, bin))
        })
        .collect();
    found.sort();
    match found.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "PostgreSQL server binaries (initdb, postgres) not found under /usr/lib/postgresql/*/bin. \
             Install them (Debian/Ubuntu: `apt-get install -y postgresql-15 postgresql-contrib`) \
             or point PGDECK_PG_BIN at a directory holding initdb and postgres."
        ),
    }
}

/// The uid/gid to run the server as: the `postgres` user when we are root (PostgreSQL refuses
/// to run as root), else ourselves.
fn server_ids() -> Option<(u32, u32)> {
    if !nix::unistd::geteuid().is_root() {
        return None;
    }
    let user = nix::unistd::User::from_name("postgres")
        .ok()
        .flatten()
        .unwrap_or_else(|| {
            panic!("running as root needs a `postgres` OS user to run the server as")
        });
    Some((user.uid.as_raw(), user.gid.as_raw()))
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("could not run {what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// The throwaway server. Dropping it stops the server and removes its directory.
struct Server {
    dir: PathBuf,
    child: Option<Child>,
    port: u16,
}

impl Server {
    /// With `tls`, the server has `ssl=on` with a CA and certificates made here; without, it runs
    /// on any server build (some PyPI builds of older majors have no SSL).
    fn start(tls_on: bool) -> Server {
        let bin = find_bin_dir();
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "pgdeck-conn-live-{}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("sock")).unwrap();
        fs::create_dir_all(dir.join("tls")).unwrap();
        fs::create_dir_all(dir.join("home")).unwrap();
        // The guard exists from here on, so a failing step below still cleans up.
        let mut server = Server {
            dir: dir.clone(),
            child: None,
            port: free_port(),
        };
        let ids = server_ids();

        let tls = dir.join("tls");
        if tls_on {
            make_ca(&tls, "ca");
            make_ca(&tls, "otherca");
            make_leaf(
                &tls,
                "server",
                "localhost",
                "ca",
                "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
                 keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
            );
            make_leaf(
                &tls,
                "client",
                CERT_ROLE,
                "ca",
                "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n\
                 extendedKeyUsage=clientAuth\n",
            );
            for key in ["ca.key", "otherca.key", "server.key", "client.key"] {
                fs::set_permissions(tls.join(key), fs::Permissions::from_mode(0o600)).unwrap();
            }
        }

        // Everything the server touches belongs to the server user, mode 0700.
        if let Some((uid, gid)) = ids {
            for path in [&dir, &dir.join("sock"), &tls] {
                std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap();
            }
            for f in ["ca.crt", "server.crt", "server.key"] {
                if tls_on {
                    std::os::unix::fs::chown(tls.join(f), Some(uid), Some(gid)).unwrap();
                }
            }
        }
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();

        let as_server = |cmd: &mut Command| {
            if let Some((uid, gid)) = ids {
                cmd.uid(uid).gid(gid);
            }
        };
        let data = dir.join("data");
        let mut initdb = Command::new(bin.join("initdb"));
        initdb.args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"]);
        initdb.arg("--no-sync");
        // --no-instructions came with PostgreSQL 14
        let help = Command::new(bin.join("initdb"))
            .arg("--help")
            .output()
            .unwrap();
        if String::from_utf8_lossy(&help.stdout).contains("--no-instructions") {
            initdb.arg("--no-instructions");
        }
        initdb.arg("-D").arg(&data);
        as_server(&mut initdb);
        run(&mut initdb, "initdb");

        let hba = if tls_on {
            format!(
                "local all postgres trust\n\
                 hostssl all {CERT_ROLE} 127.0.0.1/32 cert\n\
                 hostssl all {ROLE} 127.0.0.1/32 scram-sha-256\n\
                 host all {ROLE} 127.0.0.1/32 scram-sha-256\n"
            )
        } else {
            format!(
                "local all postgres trust\n\
                 host all {ROLE} 127.0.0.1/32 scram-sha-256\n"
            )
        };
        fs::write(data.join("pg_hba.conf"), hba).unwrap();

        let log = fs::File::create(dir.join("postgres.log")).unwrap();
        let mut postgres = Command::new(bin.join("postgres"));
        postgres
            .arg("-D")
            .arg(&data)
            .arg("-k")
            .arg(dir.join("sock"));
        postgres.args(["-p", &server.port.to_string()]);
        postgres.args(["-c", "listen_addresses=127.0.0.1"]);
        if tls_on {
            postgres.args(["-c", "ssl=on"]);
            postgres.arg("-c").arg(format!(
                "ssl_cert_file={}",
                tls.join("server.crt").display()
            ));
            postgres
                .arg("-c")
                .arg(format!("ssl_key_file={}", tls.join("server.key").display()));
            postgres
                .arg("-c")
                .arg(format!("ssl_ca_file={}", tls.join("ca.crt").display()));
        }
        postgres.args(["-c", "fsync=off", "-c", "max_connections=40"]);
        postgres
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        as_server(&mut postgres);
        server.child = Some(postgres.spawn().expect("could not start postgres"));
        server
    }

    fn socket_dir(&self) -> PathBuf {
        self.dir.join("sock")
    }

    fn tls_file(&self, name: &str) -> String {
        self.dir.join("tls").join(name).display().to_string()
    }

    fn home(&self) -> PathBuf {
        self.dir.join("home")
    }

    /// An environment with no PG* variables, this test's home, OS user `tester`.
    fn env(&self) -> Environment {
        Environment::from_vars(Vec::new(), Some(self.home()), Some(ROLE.into()))
    }

    /// Resolve `conninfo` (plus host/port of the TCP listener unless it names them).
    fn target(&self, conninfo: &str) -> ConnTarget {
        let mut params = parse_conninfo(&format!("host=127.0.0.1 port={}", self.port)).unwrap();
        params.merge_over(&parse_conninfo(conninfo).unwrap());
        resolve(&params, &self.env()).unwrap_or_else(|e| panic!("{conninfo}: {e}"))
    }

    fn log(&self) -> String {
        fs::read_to_string(self.dir.join("postgres.log")).unwrap_or_default()
    }

    /// Waits until the server accepts a superuser connection on its socket, then creates the
    /// test roles through pgdeck's own connect (unix socket, trust).
    async fn ready(&self) {
        let target = resolve(
            &parse_conninfo(&format!(
                "host={} port={} user=postgres dbname=postgres",
                self.socket_dir().display(),
                self.port
            ))
            .unwrap(),
            &self.env(),
        )
        .unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        let admin = loop {
            match conn::connect(&target, "pgdeck-test").await {
                Ok(c) => break c,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Err(e) => panic!("server did not come up: {e}\n{}", self.log()),
            }
        };
        admin
            .client
            .batch_execute(&format!(
                "set password_encryption = 'scram-sha-256'; create role {ROLE} login password '{PASSWORD}'; create role {CERT_ROLE} login"
            ))
            .await
            .unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pid = nix::unistd::Pid::from_raw(child.id() as i32);
            // SIGINT = fast shutdown.
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT);
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                match child.try_wait() {
                    Ok(Some(_)) | Err(_) => break,
                    Ok(None) if Instant::now() > deadline => {
                        let _ = child.kill();
                        let _ = child.wait();
                        break;
                    }
                    Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

type CheckResult = Result<(), String>;
type Check<'a> = Pin<Box<dyn Future<Output = CheckResult> + 'a>>;

macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(format!($($fmt)+));
        }
    };
}

async fn connect(target: &ConnTarget) -> Result<Connected, ConnectError> {
    conn::connect(target, "pgdeck-live").await
}

async fn one_value(c: &Connected, sql: &str) -> Result<String, String> {
    let rows = c
        .client
        .simple_query(sql)
        .await
        .map_err(|e| format!("{sql}: {e}"))?;
    rows.iter()
        .find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_owned),
            _ => None,
        })
        .ok_or_else(|| format!("{sql}: no row"))
}

/// Whether the session is encrypted, asked of the server.
async fn server_says_ssl(c: &Connected) -> Result<bool, String> {
    Ok(one_value(
        c,
        "select ssl from pg_stat_ssl where pid = pg_backend_pid()",
    )
    .await?
        == "t")
}

async fn scram_login(s: &Server) -> CheckResult {
    let t = s.target(&format!(
        "user={ROLE} dbname=postgres password={PASSWORD} sslmode=disable"
    ));
    let c = connect(&t).await.map_err(|e| e.to_string())?;
    ensure!(
        !c.tls && !server_says_ssl(&c).await?,
        "sslmode=disable used TLS"
    );
    ensure!(
        one_value(&c, "select current_user").await? == ROLE,
        "wrong user"
    );
    ensure!(
        one_value(&c, "show application_name").await? == "pgdeck-live",
        "application_name was not the caller's"
    );
    ensure!(c.host.port == s.port, "Connected.host is {}", c.host);
    // A notice is swallowed, not printed, and the session goes on.
    c.client
        .batch_execute("do $$ begin raise notice 'hello from the server'; end $$")
        .await
        .map_err(|e| e.to_string())?;
    let t = s.target(&format!(
        "user={ROLE} dbname=postgres password={PASSWORD} application_name=mine \
         options='-c search_path=abc'"
    ));
    let c = connect(&t).await.map_err(|e| e.to_string())?;
    ensure!(
        one_value(&c, "show application_name").await? == "mine",
        "explicit application_name lost"
    );
    ensure!(
        one_value(&c, "show search_path").await? == "abc",
        "options not sent"
    );
    Ok(())
}

async fn pgpass_login(s: &Server) -> CheckResult {
    let dir = s.home().join("pgpass-check");
    fs::create_dir_all(&dir).unwrap();
    let passfile = dir.join("pgpass");
    fs::write(
        &passfile,
        format!(
            "# a comment\nother:*:*:*:nope\n127.0.0.1:{}:*:{ROLE}:{PASSWORD}\n",
            s.port
        ),
    )
    .unwrap();
    fs::set_permissions(&passfile, fs::Permissions::from_mode(0o600)).unwrap();
    let t = s.target(&format!(
        "user={ROLE} dbname=postgres passfile={}",
        passfile.display()
    ));
    ensure!(t.password.is_none(), "password should come from the file");
    let c = connect(&t).await.map_err(|e| e.to_string())?;
    ensure!(
        one_value(&c, "select current_user").await? == ROLE,
        "wrong user"
    );
    // The same file readable by others is ignored, with a warning, so no password is known.
    fs::set_permissions(&passfile, fs::Permissions::from_mode(0o644)).unwrap();
    let t = s.target(&format!(
        "user={ROLE} dbname=postgres passfile={}",
        passfile.display()
    ));
    ensure!(
        t.warnings
            .iter()
            .any(|w| w.contains("group or world access")),
        "no warning: {:?}",
        t.warnings
    );
    match connect(&t).await {
        Err(ConnectError::PasswordRequired { .. }) => Ok(()),
        Err(e) => Err(format!(
            "insecure pgpass: expected PasswordRequired, got {e}"
        )),
        Ok(_) => Err("insecure pgpass was used".into()),
    }
}

async fn wrong_password(s: &Server) -> CheckResult {
    let t = s.target(&format!("user={ROLE} dbname=postgres password=wrong"));
    match connect(&t).await {
        Err(e @ ConnectError::AuthFailed { .. }) => {
            let msg = e.to_string();
            ensure!(
                msg.contains("password authentication failed"),
                "message does not say so: {msg}"
            );
            ensure!(!msg.contains("wrong"), "message shows the password: {msg}");
            Ok(())
        }
        Err(e) => Err(format!("expected AuthFailed, got {e:?}")),
        Ok(_) => Err("wrong password accepted".into()),
    }
}

async fn no_password(s: &Server) -> CheckResult {
    let t = s.target(&format!("user={ROLE} dbname=postgres"));
    match connect(&t).await {
        Err(ConnectError::PasswordRequired { user, host }) => {
            ensure!(user == ROLE, "user {user}");
            ensure!(host == format!("127.0.0.1:{}", s.port), "host {host}");
            Ok(())
        }
        Err(e) => Err(format!("expected PasswordRequired, got {e:?}")),
        Ok(_) => Err("connected without a password".into()),
    }
}

async fn unreachable(s: &Server) -> CheckResult {
    let closed = free_port();
    let t = s.target(&format!(
        "port={closed} user={ROLE} password={PASSWORD} connect_timeout=3"
    ));
    let started = Instant::now();
    let r = connect(&t).await;
    let took = started.elapsed();
    ensure!(took < Duration::from_secs(4), "took {took:?}");
    match r {
        Err(e @ ConnectError::Unreachable { .. }) => {
            let msg = e.to_string();
            ensure!(
                msg.contains(&format!("127.0.0.1:{closed}")),
                "host:port not named: {msg}"
            );
            Ok(())
        }
        Err(e) => Err(format!("expected Unreachable, got {e:?}")),
        Ok(_) => Err("connected to a closed port".into()),
    }
}

async fn second_host_of_a_list(s: &Server) -> CheckResult {
    let closed = free_port();
    let t = s.target(&format!(
        "host=127.0.0.1,localhost port={closed},{} user={ROLE} password={PASSWORD} dbname=postgres",
        s.port
    ));
    let c = connect(&t).await.map_err(|e| e.to_string())?;
    ensure!(
        c.host.to_string() == format!("localhost:{}", s.port),
        "{}",
        c.host
    );
    Ok(())
}

async fn missing_database(s: &Server) -> CheckResult {
    match connect(&s.target(&format!("user={ROLE} password={PASSWORD} dbname=nosuchdb"))).await {
        Err(ConnectError::Server { message, sqlstate }) => {
            ensure!(
                sqlstate.as_deref() == Some("3D000"),
                "sqlstate {sqlstate:?}"
            );
            ensure!(message.contains("nosuchdb"), "{message}");
            Ok(())
        }
        Err(e) => Err(format!("expected Server, got {e:?}")),
        Ok(_) => Err("connected to a missing database".into()),
    }
}

async fn tls_modes(s: &Server) -> CheckResult {
    let base = format!("user={ROLE} password={PASSWORD} dbname=postgres");
    let ca = s.tls_file("ca.crt");
    let cases = [
        (format!("{base} sslmode=require"), "require"),
        (format!("{base} sslmode=prefer"), "prefer"),
        (
            format!("{base} sslmode=verify-ca sslrootcert={ca}"),
            "verify-ca",
        ),
        (
            format!("{base} sslmode=verify-full sslrootcert={ca} host=localhost"),
            "verify-full by name",
        ),
        (
            format!("{base} sslmode=verify-full sslrootcert={ca}"),
            "verify-full by IP",
        ),
        // verify-ca ignores the name: a wrong one is fine when the chain is good.
        (
            format!("{base} sslmode=verify-ca sslrootcert={ca} host=wronghost hostaddr=127.0.0.1"),
            "verify-ca with a wrong name",
        ),
        (
            format!("{base} sslmode=require channel_binding=require"),
            "SCRAM-SHA-256-PLUS",
        ),
    ];
    for (conninfo, what) in &cases {
        let c = connect(&s.target(conninfo))
            .await
            .map_err(|e| format!("{what}: {e}"))?;
        ensure!(c.tls, "{what}: Connected.tls is false");
        ensure!(server_says_ssl(&c).await?, "{what}: server sees no SSL");
    }
    // allow starts without TLS and the server accepts that.
    let c = connect(&s.target(&format!("{base} sslmode=allow")))
        .await
        .map_err(|e| format!("allow: {e}"))?;
    ensure!(!c.tls && !server_says_ssl(&c).await?, "allow used TLS");
    Ok(())
}

async fn tls_refusals(s: &Server) -> CheckResult {
    let base = format!("user={ROLE} password={PASSWORD} dbname=postgres");
    let ca = s.tls_file("ca.crt");
    let other = s.tls_file("otherca.crt");
    let cases = [
        (
            format!(
                "{base} sslmode=verify-full sslrootcert={ca} host=wronghost hostaddr=127.0.0.1"
            ),
            "verify-full with a wrong host name",
            "wronghost",
        ),
        (
            format!("{base} sslmode=verify-ca sslrootcert={other}"),
            "verify-ca with a wrong CA",
            "UnknownIssuer",
        ),
        // require with a root certificate file present checks the chain, as libpq.
        (
            format!("{base} sslmode=require sslrootcert={other}"),
            "require with a wrong root.crt",
            "UnknownIssuer",
        ),
        (
            format!(
                "{base} sslmode=verify-full sslrootcert={}",
                s.tls_file("none.crt")
            ),
            "verify-full with a missing root file",
            "none.crt\" does not exist",
        ),
    ];
    for (conninfo, what, needle) in &cases {
        match connect(&s.target(conninfo)).await {
            Err(e @ ConnectError::Tls { .. }) => {
                let msg = e.to_string();
                ensure!(msg.contains(needle), "{what}: {msg}");
            }
            Err(e) => return Err(format!("{what}: expected Tls, got {e:?}")),
            Ok(_) => return Err(format!("{what}: connected")),
        }
    }
    // prefer falls back to plain when the TLS session fails its certificate check.
    let c = connect(&s.target(&format!("{base} sslmode=prefer sslrootcert={other}")))
        .await
        .map_err(|e| format!("prefer with a wrong CA: {e}"))?;
    ensure!(!c.tls, "prefer with a wrong CA: still TLS");
    Ok(())
}

async fn client_certificate(s: &Server) -> CheckResult {
    // The key must be private to its owner, as libpq demands.
    let t = s.target(&format!(
        "user={CERT_ROLE} dbname=postgres sslmode=verify-full host=localhost sslrootcert={} \
         sslcert={} sslkey={}",
        s.tls_file("ca.crt"),
        s.tls_file("client.crt"),
        s.tls_file("client.key")
    ));
    let c = connect(&t).await.map_err(|e| format!("cert login: {e}"))?;
    ensure!(
        one_value(&c, "select current_user").await? == CERT_ROLE,
        "wrong user"
    );
    Ok(())
}

async fn target_session_attrs(s: &Server) -> CheckResult {
    let base = format!("user={ROLE} password={PASSWORD} dbname=postgres");
    for ok in ["any", "read-write", "primary", "prefer-standby"] {
        connect(&s.target(&format!("{base} target_session_attrs={ok}")))
            .await
            .map_err(|e| format!("{ok}: {e}"))?;
    }
    for (bad, why) in [
        ("read-only", "session is not read-only"),
        ("standby", "server is not in hot standby mode"),
    ] {
        match connect(&s.target(&format!("{base} target_session_attrs={bad}"))).await {
            Err(e @ ConnectError::Unreachable { .. }) => {
                ensure!(e.to_string().contains(why), "{bad}: {e}");
            }
            Err(e) => return Err(format!("{bad}: expected Unreachable, got {e:?}")),
            Ok(_) => return Err(format!("{bad}: accepted a primary")),
        }
    }
    Ok(())
}

async fn unix_socket(s: &Server) -> CheckResult {
    // sslmode=require does not apply to a Unix socket (libpq).
    let t = resolve(
        &parse_conninfo(&format!(
            "host={} port={} user=postgres dbname=postgres sslmode=require",
            s.socket_dir().display(),
            s.port
        ))
        .unwrap(),
        &s.env(),
    )
    .map_err(|e| e.to_string())?;
    let c = connect(&t).await.map_err(|e| e.to_string())?;
    ensure!(!c.tls, "TLS over a Unix socket");
    ensure!(
        c.host.to_string() == format!("{}:{}", s.socket_dir().display(), s.port),
        "{}",
        c.host
    );
    cancel_during_sleep(&c, &t, "unix socket").await
}

async fn cancel_over_tls(s: &Server) -> CheckResult {
    let t = s.target(&format!(
        "user={ROLE} password={PASSWORD} dbname=postgres sslmode=verify-full host=localhost \
         sslrootcert={}",
        s.tls_file("ca.crt")
    ));
    ensure!(t.sslmode == SslMode::VerifyFull, "sslmode");
    let c = connect(&t).await.map_err(|e| e.to_string())?;
    ensure!(c.tls, "not TLS");
    cancel_during_sleep(&c, &t, "TLS").await
}

async fn cancel_during_sleep(c: &Connected, t: &ConnTarget, what: &str) -> CheckResult {
    let token = c.client.cancel_token();
    let started = Instant::now();
    let sleeper = c.client.simple_query("select pg_sleep(10)");
    let canceller = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        conn::cancel(&token, t).await
    };
    let (slept, cancelled) = tokio::join!(sleeper, canceller);
    cancelled.map_err(|e| format!("{what}: cancel failed: {e}"))?;
    let took = started.elapsed();
    match slept {
        Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::QUERY_CANCELED) => {}
        other => return Err(format!("{what}: expected 57014, got {other:?}")),
    }
    ensure!(
        took < Duration::from_secs(3),
        "{what}: cancel took {took:?}"
    );
    // The session survives a cancel.
    ensure!(
        one_value(c, "select 2").await? == "2",
        "{what}: session dead"
    );
    Ok(())
}

/// Run `checks` against `server`, each with a 20 s limit; panic with every failure and the server log.
async fn run_checks(server: &Server, checks: Vec<(&str, Check<'_>)>) {
    let started = Instant::now();
    let mut failures = Vec::new();
    for (name, check) in checks {
        let t = Instant::now();
        match tokio::time::timeout(Duration::from_secs(20), check).await {
            Ok(Ok(())) => eprintln!("ok   {name} ({:?})", t.elapsed()),
            Ok(Err(e)) => failures.push(format!("{name}: {e}")),
            Err(_) => failures.push(format!("{name}: no answer within 20 s")),
        }
    }
    eprintln!("all checks: {:?}", started.elapsed());
    if !failures.is_empty() {
        let log = server.log();
        panic!(
            "{} check(s) failed:\n  {}\n--- server log ---\n{log}",
            failures.len(),
            failures.join("\n  ")
        );
    }
}

/// Password logins, host lists, errors and sockets: no TLS, so every server build runs them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_connections() {
    let server = Server::start(false);
    server.ready().await;
    let checks: Vec<(&str, Check<'_>)> = vec![
        ("scram password login", Box::pin(scram_login(&server))),
        ("password file login", Box::pin(pgpass_login(&server))),
        ("wrong password", Box::pin(wrong_password(&server))),
        ("no password", Box::pin(no_password(&server))),
        ("unreachable port", Box::pin(unreachable(&server))),
        (
            "second host of a list",
            Box::pin(second_host_of_a_list(&server)),
        ),
        ("missing database", Box::pin(missing_database(&server))),
        (
            "target_session_attrs",
            Box::pin(target_session_attrs(&server)),
        ),
        ("unix socket", Box::pin(unix_socket(&server))),
    ];
    run_checks(&server, checks).await;
}

/// sslmode semantics, certificate checks, client certificates and cancel over TLS: needs a server
/// built with SSL (scripts/test-matrix shows n/a for builds without).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_tls_connections() {
    let server = Server::start(true);
    server.ready().await;
    let checks: Vec<(&str, Check<'_>)> = vec![
        ("TLS modes", Box::pin(tls_modes(&server))),
        ("TLS refusals", Box::pin(tls_refusals(&server))),
        ("client certificate", Box::pin(client_certificate(&server))),
        ("cancel over TLS", Box::pin(cancel_over_tls(&server))),
    ];
    run_checks(&server, checks).await;
}
