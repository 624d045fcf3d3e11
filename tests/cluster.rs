//! TempCluster against the real binaries: start, query, hostile database names, restart, cleanup, and
//! the server running as an unprivileged user when the tests run as root.

use pgdeck::cluster::{ClusterOptions, TempCluster};

#[test]
fn starts_queries_restarts_and_cleans_up() {
    let mut c = TempCluster::start(ClusterOptions::default()).expect("start cluster");
    assert_eq!(
        c.psql("postgres", "select 40 + 2").expect("psql").trim(),
        "42"
    );
    let hostile = "x\"; drop table y; --";
    c.create_database(hostile)
        .expect("create database with a hostile name");
    c.psql(
        hostile,
        "create table kept(v int); insert into kept values (7)",
    )
    .expect("psql into it");
    assert!(
        c.conninfo(hostile)
            .contains("dbname='x\"; drop table y; --'")
    );

    let pid = c.postmaster_pid().expect("running");
    if nix::unistd::geteuid().is_root() {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
        let uid_line = status
            .lines()
            .find(|l| l.starts_with("Uid:"))
            .expect("Uid line");
        assert!(
            !uid_line.split_whitespace().nth(1).is_some_and(|u| u == "0"),
            "server runs as root: {uid_line}"
        );
    }

    c.restart().expect("restart");
    assert_ne!(c.postmaster_pid(), Some(pid));
    assert_eq!(
        c.psql(hostile, "select v from kept")
            .expect("data survives")
            .trim(),
        "7"
    );

    let dir = c.data_dir().to_path_buf();
    let new_pid = c.postmaster_pid().expect("running");
    drop(c);
    assert!(!dir.exists(), "directory removed");
    assert!(
        !std::path::Path::new(&format!("/proc/{new_pid}")).exists(),
        "postmaster gone"
    );
}

#[test]
fn hba_lines_make_a_role_need_its_password() {
    let c = TempCluster::start(
        ClusterOptions::default().hba_lines(vec!["local all pw_user scram-sha-256".into()]),
    )
    .expect("start cluster");
    c.psql("postgres", "create role pw_user login password 'right'")
        .expect("role");
    let psql = c.bin().psql();
    let try_login = |pw: &str| {
        std::process::Command::new(&psql)
            .args(["-X", "-w", "-c", "select 1"])
            .arg("-h")
            .arg(c.socket_dir())
            .args([
                "-p",
                &c.port().to_string(),
                "-U",
                "pw_user",
                "-d",
                "postgres",
            ])
            .env("PGPASSWORD", pw)
            .output()
            .expect("run psql")
    };
    assert!(try_login("right").status.success());
    let wrong = try_login("wrong");
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("password authentication failed"));
}
