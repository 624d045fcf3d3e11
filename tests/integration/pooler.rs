//! Through PgBouncer in transaction pooling mode, started by the test in front of the test
//! cluster: pgdeck sees that its two connections share a server session and leaves session
//! settings alone (the monitor's statement_timeout must never reach the user's statements), user
//! statements and `pgdeck query` work, and --read-only is refused with a reason.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pgdeck::db::{self, Reply, Request, Settings, Worker, WorkerEvent};

use super::common::{Scratch, cluster, fresh_db, target};

/// A PgBouncer process of this test; killed when dropped.
struct Bouncer {
    child: Child,
    port: u16,
    _dir: Scratch,
}

impl Drop for Bouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pgbouncer_bin() -> PathBuf {
    for p in ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"] {
        if Path::new(p).exists() {
            return PathBuf::from(p);
        }
    }
    panic!("pgbouncer is not installed: `apt-get install -y pgbouncer` (.ci/run does it)");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

fn start_bouncer(dbname: &str) -> Bouncer {
    let dir = Scratch::new("pgbouncer");
    let port = free_port();
    let c = cluster();
    let ini = dir.path().join("pgbouncer.ini");
    std::fs::write(dir.path().join("users.txt"), "\"postgres\" \"\"\n").expect("users");
    std::fs::write(
        &ini,
        format!(
            "[databases]\n{dbname} = host={} port={} dbname={dbname}\n\n[pgbouncer]\n\
             listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n\
             auth_type = trust\nauth_file = {}\npool_mode = transaction\n\
             ignore_startup_parameters = extra_float_digits,options\nlogfile = {}\n",
            c.socket_dir().display(),
            c.port(),
            dir.path().join("users.txt").display(),
            dir.path().join("pgbouncer.log").display(),
        ),
    )
    .expect("ini");
    let mut cmd = Command::new(pgbouncer_bin());
    cmd.arg(&ini).stdout(Stdio::null()).stderr(Stdio::null());
    // pgbouncer refuses to run as root; run it as the server's OS user then.
    if let Some(user) = c.server_os_user() {
        let out = Command::new("chown")
            .args(["-R", user])
            .arg(dir.path())
            .output()
            .expect("chown");
        assert!(out.status.success());
        cmd = Command::new("runuser");
        cmd.args(["-u", user, "--"])
            .arg(pgbouncer_bin())
            .arg(&ini)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
    }
    let child = cmd.spawn().expect("start pgbouncer");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "pgbouncer did not listen: {}",
            std::fs::read_to_string(dir.path().join("pgbouncer.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Bouncer {
        child,
        port,
        _dir: dir,
    }
}

#[tokio::test]
async fn behind_pgbouncer_session_settings_never_leak_to_user_statements() {
    let (name, _) = fresh_db("pooler");
    let b = start_bouncer(&name);
    let ci = format!(
        "host=127.0.0.1 port={} user=postgres dbname={name} sslmode=disable",
        b.port
    );
    let t = target(&ci);
    let conns = db::open(&t, &Settings::default())
        .await
        .expect("open through pgbouncer");
    assert!(conns.pooled, "the shared server session is noticed");
    let (requests, mut events) = Worker::spawn(conns, t.clone(), Settings::default());
    let id = requests.send(Request::Run {
        sql: "show statement_timeout; select 40 + 2".into(),
    });
    let mut sets: Vec<pgdeck::model::result_set::ResultSet> = Vec::new();
    let mut error = None;
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(20), events.recv())
            .await
            .expect("a reply")
            .expect("worker alive");
        let WorkerEvent::Response(r) = ev else {
            continue;
        };
        if r.id != id {
            continue;
        }
        match r.reply.expect("run replies") {
            Reply::ResultStarted { columns } => {
                sets.push(pgdeck::model::result_set::ResultSet::new(columns))
            }
            Reply::Rows(batch) => {
                assert!(sets.last_mut().expect("a result").append(batch));
            }
            Reply::RunFinished(o) => error = o.error,
            _ => {}
        }
        if r.last {
            break;
        }
    }
    assert!(error.is_none(), "{error:?}");
    let values: Vec<&str> = sets.iter().filter_map(|s| s.get(0, 0)).collect();
    assert_eq!(values, vec!["0", "42"], "no 5 s timeout leaked");

    // The headless twin works through the pooler as well.
    let home = Scratch::new("pooler_home");
    let out = Command::new(env!("CARGO_BIN_EXE_pgdeck"))
        .args([
            "query",
            &ci,
            "--csv",
            "-c",
            "select 1 as one; show lock_timeout",
        ])
        .env("HOME", home.path())
        .env("PGDECK_CONFIG_DIR", home.path().join("config"))
        .env_remove("PGHOST")
        .env_remove("PGPORT")
        .output()
        .expect("pgdeck query");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "one\n1\nlock_timeout\n0\n"
    );

    // --read-only cannot be kept on a pooled session: refused, with the reason.
    let ro = Settings {
        read_only: true,
        ..Settings::default()
    };
    let err = match db::open(&t, &ro).await {
        Ok(_) => panic!("--read-only behind a pooler must be refused"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("transaction mode"), "{err}");
}
