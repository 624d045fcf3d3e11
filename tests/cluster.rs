//! Integration tests of `TempCluster` against real PostgreSQL binaries. They never skip: without
//! binaries they fail with the message that says how to install them.

use std::path::PathBuf;
use std::process::Command;

use pgdeck::cluster::{ClusterOptions, TempCluster, shared_for_tests};
use tokio_postgres::NoTls;

/// Re-runs of this test binary act as helper processes when this variable is set.
const HELPER_ENV: &str = "PGDECK_CLUSTER_TEST_HELPER";

fn start(opts: ClusterOptions) -> TempCluster {
    TempCluster::start(opts).unwrap_or_else(|e| panic!("{e:#}"))
}

async fn connect(conninfo: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(conninfo, NoTls)
        .await
        .unwrap_or_else(|e| panic!("connecting to {conninfo}: {e}"));
    tokio::spawn(connection);
    client
}

/// Alive and not a zombie (an orphan reaped late by init lingers as one).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit_once(')')
            .is_some_and(|(_, r)| r.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn start_query_create_restart_drop() {
    let mut cluster = start(ClusterOptions::default());
    let dir = cluster.dir().to_path_buf();
    assert!(cluster.data_dir().join("PG_VERSION").is_file());
    assert!(
        cluster
            .socket_dir()
            .join(format!(".s.PGSQL.{}", cluster.port()))
            .exists()
    );
    assert_eq!(cluster.tcp_port(), None);
    assert_eq!(cluster.superuser(), "postgres");
    let pid = cluster.postmaster_pid().expect("server runs");

    // As root, the server runs as the postgres OS user.
    if nix::unistd::geteuid().is_root() {
        let owner = std::os::unix::fs::MetadataExt::uid(
            &std::fs::metadata(format!("/proc/{pid}")).expect("postmaster in /proc"),
        );
        let postgres = nix::unistd::User::from_name("postgres")
            .unwrap()
            .expect("user postgres");
        assert_eq!(owner, postgres.uid.as_raw());
        assert_eq!(cluster.server_os_user(), Some("postgres"));
    }

    let client = connect(&cluster.conninfo("postgres")).await;
    let one: i32 = client.query_one("select 1", &[]).await.unwrap().get(0);
    assert_eq!(one, 1);
    drop(client);

    let hostile = r#"x"; drop table y; --"#;
    tokio::task::block_in_place(|| cluster.create_database(hostile)).unwrap();
    let client = connect(&cluster.conninfo(hostile)).await;
    let name: String = client
        .query_one("select current_database()", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(name, hostile);
    client
        .batch_execute("create table kept (v text); insert into kept values ('before')")
        .await
        .unwrap();
    drop(client);

    assert!(
        cluster
            .conninfo(hostile)
            .ends_with(r#"dbname='x"; drop table y; --'"#),
        "{}",
        cluster.conninfo(hostile)
    );
    let out = cluster.psql(
        "postgres",
        "select count(*) from pg_database where datname like 'x%';",
    );
    assert_eq!(out.unwrap(), "1\n", "psql sees the new database");
    // Unaligned, tuples only; a last statement without a semicolon runs too.
    assert_eq!(cluster.psql("postgres", "select 40 + 2").unwrap(), "42\n");
    let out = cluster.psql(
        hostile,
        "insert into kept values ('psql'); select count(*) from kept",
    );
    assert_eq!(out.unwrap().trim(), "2");
    let err = cluster
        .psql("postgres", "select * from no_such_table;")
        .unwrap_err();
    assert!(format!("{err:#}").contains("no_such_table"), "{err:#}");

    let port = cluster.port();
    tokio::task::block_in_place(|| cluster.restart()).unwrap();
    let new_pid = cluster.postmaster_pid().expect("server runs again");
    assert_ne!(new_pid, pid);
    assert!(!alive(pid), "the old postmaster is gone");
    assert_eq!(cluster.port(), port);
    let client = connect(&cluster.conninfo(hostile)).await;
    let v: String = client
        .query_one("select v from kept order by v limit 1", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(v, "before");
    drop(client);

    drop(cluster);
    assert!(!dir.exists(), "drop removes {}", dir.display());
    assert!(!alive(new_pid), "drop stops the postmaster");
}

#[tokio::test(flavor = "multi_thread")]
async fn tcp_settings_and_hba() {
    let hba = vec![
        "host all alice 127.0.0.1/32 scram-sha-256".to_string(),
        "local all alice scram-sha-256".to_string(),
    ];
    let cluster = start(
        ClusterOptions::default()
            .tcp(true)
            .setting("work_mem", "12MB")
            .setting("application_name", "from options")
            // PostgreSQL 13 still stores md5 by default, which a scram-sha-256 hba line refuses
            .setting("password_encryption", "scram-sha-256")
            .hba_lines(hba),
    );
    let port = cluster.tcp_port().expect("tcp port");
    assert_eq!(port, cluster.port());
    cluster
        .psql("postgres", "create role alice login password 'secret';")
        .unwrap();

    let client = connect(&cluster.conninfo("postgres")).await;
    let work_mem: String = client.query_one("show work_mem", &[]).await.unwrap().get(0);
    assert_eq!(work_mem, "12MB");
    let preload: String = client
        .query_one("show shared_preload_libraries", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        preload.contains("pg_stat_statements"),
        cluster.bin().has_pg_stat_statements()
    );

    let good = format!("host=127.0.0.1 port={port} user=alice password=secret dbname=postgres");
    let alice = connect(&good).await;
    let who: String = alice
        .query_one("select current_user::text", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(who, "alice");
    let bad = format!("host=127.0.0.1 port={port} user=alice password=wrong dbname=postgres");
    let err = tokio_postgres::connect(&bad, NoTls)
        .await
        .err()
        .expect("wrong password fails");
    let code = err.as_db_error().map(|e| e.code().clone());
    assert_eq!(
        code,
        Some(tokio_postgres::error::SqlState::INVALID_PASSWORD),
        "{err:?}"
    );

    // Over the socket too: without the password, trust no longer applies to alice.
    let socket = cluster
        .conninfo("postgres")
        .replace("user=postgres", "user=alice");
    let err = tokio_postgres::connect(&socket, NoTls)
        .await
        .err()
        .expect("no password fails");
    // tokio-postgres refuses on its side: the server asked for a password it does not have.
    assert!(format!("{err:?}").contains("password missing"), "{err:?}");
    let alice = connect(&format!("{socket} password=secret")).await;
    let one: i32 = alice.query_one("select 1", &[]).await.unwrap().get(0);
    assert_eq!(one, 1);
    // The superuser still gets in without one.
    connect(&cluster.conninfo("postgres")).await;
}

#[test]
fn template_copy_and_no_preload() {
    let mut source = start(ClusterOptions::default());
    source
        .psql("postgres", "create table t as select 42 as answer;")
        .unwrap();
    source.stop_server().unwrap();
    let copy = start(
        ClusterOptions::default()
            .template(source.data_dir())
            .preload_pg_stat_statements(false)
            .bin(source.bin().clone()),
    );
    let out = copy.psql("postgres", "select answer from t;").unwrap();
    assert_eq!(out.trim(), "42");
    let preload = copy.psql("postgres", "show shared_preload_libraries;");
    assert_eq!(preload.unwrap().trim(), "");
    assert_ne!(copy.dir(), source.dir());
}

#[test]
fn shared_cluster_answers() {
    let cluster = shared_for_tests();
    assert!(cluster.tcp_port().is_some());
    let out = cluster.psql("postgres", "select 1 + 1;").unwrap();
    assert_eq!(out.trim(), "2");
    assert!(std::ptr::eq(cluster, shared_for_tests()));
}

/// Runs this test binary again as a helper process in `mode` and returns its stdout.
fn run_helper(mode: &str, env: &[(&str, &str)]) -> (bool, String, String) {
    let exe = std::env::current_exe().expect("test binary path");
    let out = Command::new(exe)
        .args([
            "--exact",
            "helper_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(HELPER_ENV, mode)
        .envs(env.iter().copied())
        .output()
        .expect("running the helper process");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

fn field(output: &str, key: &str) -> String {
    output
        .lines()
        .find_map(|l| l.split_once(&format!("{key}=")).map(|(_, v)| v))
        .unwrap_or_else(|| panic!("no {key}= in helper output:\n{output}"))
        .to_string()
}

/// Not a test of its own: the body of the helper processes the tests below start.
#[test]
fn helper_process() {
    let Ok(mode) = std::env::var(HELPER_ENV) else {
        return;
    };
    match mode.as_str() {
        // Start a cluster and die without Drop, leaving an orphaned postmaster and its dir.
        "orphan" => {
            let cluster = start(ClusterOptions::default());
            println!("DIR={}", cluster.dir().display());
            println!("PID={}", cluster.postmaster_pid().unwrap());
            std::mem::forget(cluster);
            std::process::exit(0);
        }
        // Use the shared cluster and exit: the atexit hook must clean up.
        "shared" => {
            let cluster = shared_for_tests();
            println!("DIR={}", cluster.dir().display());
            println!("PID={}", cluster.postmaster_pid().unwrap());
        }
        "shared-missing" => {
            shared_for_tests();
        }
        "start" => match TempCluster::start(ClusterOptions::default()) {
            Ok(_) => println!("STARTED"),
            Err(e) => println!("ERROR={e:#}"),
        },
        other => panic!("unknown helper mode {other}"),
    }
}

#[test]
fn orphans_of_crashed_runs_are_swept() {
    let (ok, out, err) = run_helper("orphan", &[]);
    assert!(ok, "helper failed:\n{out}\n{err}");
    let dir = PathBuf::from(field(&out, "DIR"));
    let pid: u32 = field(&out, "PID").parse().unwrap();
    assert!(
        dir.exists() && alive(pid),
        "the helper left an orphaned server behind"
    );

    // Any start sweeps the temp root.
    let cluster = start(ClusterOptions::default());
    assert!(!dir.exists(), "{} was swept", dir.display());
    assert!(!alive(pid), "the orphaned postmaster {pid} was stopped");
    assert!(cluster.dir().exists());
}

#[test]
fn shared_cluster_is_removed_at_exit() {
    let (ok, out, err) = run_helper("shared", &[]);
    assert!(ok, "helper failed:\n{out}\n{err}");
    let dir = PathBuf::from(field(&out, "DIR"));
    let pid: u32 = field(&out, "PID").parse().unwrap();
    assert!(!dir.exists(), "the atexit hook removed {}", dir.display());
    assert!(!alive(pid), "the atexit hook stopped postmaster {pid}");
}

#[test]
fn bad_pg_bin_is_reported() {
    let empty = std::env::temp_dir().join(format!("pgdeck-test-empty-bin-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let (ok, out, err) = run_helper("start", &[("PGDECK_PG_BIN", empty.to_str().unwrap())]);
    std::fs::remove_dir_all(&empty).unwrap();
    assert!(ok, "helper failed:\n{out}\n{err}");
    let message = field(&out, "ERROR");
    assert!(message.contains("PGDECK_PG_BIN"), "{message}");
    assert!(message.contains("initdb"), "{message}");
}

#[test]
fn missing_binaries_fail_with_the_install_message() {
    let empty = std::env::temp_dir().join(format!("pgdeck-test-no-bin-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let (ok, out, err) = run_helper(
        "shared-missing",
        &[("PGDECK_PG_BIN", empty.to_str().unwrap())],
    );
    std::fs::remove_dir_all(&empty).unwrap();
    assert!(!ok, "the helper must fail, not skip:\n{out}\n{err}");
    let text = format!("{out}{err}");
    assert!(
        text.contains("apt-get install -y postgresql postgresql-contrib"),
        "{text}"
    );
}

/// Prints how long starts take (`cargo test --test cluster start_timings -- --nocapture`): the
/// first start of a process pays for initdb, later ones copy its template.
#[test]
fn start_timings() {
    for i in 0..4 {
        let t = std::time::Instant::now();
        let mut cluster = start(ClusterOptions::default());
        let started = t.elapsed();
        let t = std::time::Instant::now();
        cluster.stop();
        eprintln!(
            "cluster {i}: start {:.0} ms, stop {:.0} ms",
            started.as_secs_f64() * 1e3,
            t.elapsed().as_secs_f64() * 1e3
        );
    }
}

#[test]
fn stop_is_idempotent() {
    let mut cluster = start(ClusterOptions::default());
    let dir = cluster.dir().to_path_buf();
    cluster.stop();
    assert!(!dir.exists());
    cluster.stop();
    assert_eq!(cluster.postmaster_pid(), None);
    assert!(
        cluster.restart().is_err(),
        "a removed cluster cannot restart"
    );
}
