//! The built binary, run as a user would: exit codes and messages for good and bad connection input,
//! config typos, .pgpass and service files.

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output};

use pgdeck::cluster::{ClusterOptions, TempCluster};

use super::common::{Scratch, cluster, fresh_db};

/// Run pgdeck with a clean environment: no PG* variables, a private HOME and config dir.
fn pgdeck(args: &[&str], env: &[(&str, String)], home: &std::path::Path) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgdeck"));
    cmd.args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("PG") {
            cmd.env_remove(&k);
        }
    }
    cmd.env("HOME", home)
        .env("PGDECK_CONFIG_DIR", home.join("config"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run pgdeck")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn conninfo_check_connects_with_only_pg_environment_variables() {
    let (name, _) = fresh_db("cli_env");
    let home = Scratch::new("env");
    let c = cluster();
    let out = pgdeck(
        &["conninfo", "--check"],
        &[
            ("PGHOST", c.socket_dir().display().to_string()),
            ("PGPORT", c.port().to_string()),
            ("PGUSER", "postgres".into()),
            ("PGDATABASE", name.clone()),
        ],
        home.path(),
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains(&format!(
            "postgres@{}:{}/{name}",
            c.socket_dir().display(),
            c.port()
        )),
        "{stdout}"
    );
    assert!(stdout.contains("server       PostgreSQL"), "{stdout}");

    let out = pgdeck(
        &["conninfo", "--check", "--json", &c.conninfo(&name)],
        &[],
        home.path(),
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(v["dbname"], name.as_str());
    assert!(
        v["server"]["version_num"]
            .as_u64()
            .is_some_and(|n| n >= 130000),
        "{v}"
    );
}

#[test]
fn bad_input_fails_with_exit_code_2_and_names_the_problem() {
    let home = Scratch::new("bad");
    let cases: &[(&[&str], &str)] = &[
        (&["conninfo", "postgres://u@h:notaport/db"], "notaport"),
        (&["conninfo", "host=/tmp sslmod=require"], "sslmod"),
        (&["conninfo", "host=/tmp sslmode=verify"], "verify"),
        (&["conninfo", "host='/tmp"], "quot"),
    ];
    for (args, needle) in cases {
        let out = pgdeck(args, &[], home.path());
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn an_unreachable_host_is_reported_not_hung() {
    let home = Scratch::new("unreach");
    let dir = Scratch::new("nosocket");
    let out = pgdeck(
        &[
            "conninfo",
            "--check",
            &format!(
                "host={} port=1 user=x dbname=y connect_timeout=2",
                dir.path().display()
            ),
        ],
        &[],
        home.path(),
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&dir.path().display().to_string()),
        "names the host: {stderr}"
    );
}

#[test]
fn a_typo_in_keymap_toml_stops_before_connecting_and_names_file_and_key() {
    let home = Scratch::new("keymap");
    let cfg = home.path().join("config");
    std::fs::create_dir_all(&cfg).expect("config dir");
    std::fs::write(cfg.join("keymap.toml"), "[editor]\nrun_statment = \"f9\"\n")
        .expect("write keymap");
    // The TUI path loads the keymap first: this must fail before any connection attempt or terminal use.
    let out = pgdeck(&["host=/nonexistent dbname=x"], &[], home.path());
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("keymap.toml"), "{stderr}");
    assert!(stderr.contains("run_statment"), "{stderr}");
}

/// A cluster where `pw_user` must give its SCRAM password (over the socket and TCP), with a database
/// `pwdb` it owns.
pub fn password_cluster() -> TempCluster {
    let c = TempCluster::start(ClusterOptions::default().hba_lines(vec![
        "local all pw_user scram-sha-256".into(),
        "host all pw_user 127.0.0.1/32 scram-sha-256".into(),
    ]))
    .expect("start a password cluster");
    c.psql(
        "postgres",
        "set password_encryption = 'scram-sha-256'; create role pw_user login password 's3cret';",
    )
    .expect("role");
    c.psql("postgres", "create database pwdb owner pw_user")
        .expect("db");
    c
}

#[test]
fn passwords_come_from_pgpass_and_service_files_and_a_wrong_one_is_refused_clearly() {
    let c = password_cluster();
    let home = Scratch::new("pgpass");
    let pgpass = home.path().join(".pgpass");
    std::fs::write(
        &pgpass,
        "# host:port:db:user:password\n*:*:pwdb:pw_user:s3cret\n",
    )
    .expect("write pgpass");
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let service = home.path().join("services.conf");
    std::fs::write(
        &service,
        format!(
            "[demo]\nhost={}\nport={}\ndbname=pwdb\nuser=pw_user\n",
            c.socket_dir().display(),
            c.port()
        ),
    )
    .expect("write service file");
    let svc = ("PGSERVICEFILE", service.display().to_string());

    // service file + .pgpass: connects without a prompt
    let out = pgdeck(
        &["conninfo", "--check", "service=demo"],
        std::slice::from_ref(&svc),
        home.path(),
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("connected as pw_user to pwdb"), "{stdout}");
    assert!(
        !stdout.contains("s3cret") && !stderr.contains("s3cret"),
        "password printed"
    );

    // a wrong password is refused with the server's words, and never echoed
    let out = pgdeck(
        &["conninfo", "--check", "service=demo"],
        &[svc.clone(), ("PGPASSWORD", "wrong-pw".into())],
        home.path(),
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("password authentication failed"),
        "{stderr}"
    );
    assert!(!stderr.contains("wrong-pw"), "password echoed: {stderr}");

    // a group-readable .pgpass is ignored with a warning, as libpq does; -w then fails without prompting
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let out = pgdeck(
        &["conninfo", "--check", "-w", "service=demo"],
        &[svc],
        home.path(),
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(".pgpass"), "warns about the file: {stderr}");
    assert!(
        stderr.contains("password"),
        "says a password is needed: {stderr}"
    );

    // over TCP too, with the password in PGPASSWORD
    let tcp = c.tcp_port().map(|p| p.to_string());
    if let Some(port) = tcp {
        let out = pgdeck(
            &[
                "conninfo",
                "--check",
                &format!("postgres://pw_user@127.0.0.1:{port}/pwdb?sslmode=disable"),
            ],
            &[("PGPASSWORD", "s3cret".into())],
            home.path(),
        );
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{stdout}\n{stderr}");
    }
}
