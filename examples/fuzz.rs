//! A mutation fuzzer for the parsers that read outside input: EXPLAIN plans (text and JSON),
//! connection strings, `.pgpass` lines, `pg_service.conf`, keymaps, themes and config.toml.
//!
//! cargo-fuzz needs a nightly toolchain, which the build machines do not have; the property tests
//! (`cargo test`) generate random input on every run, and this program goes further for as long as
//! it is given: it starts from real inputs (the pev2 plan corpus, the shipped keymap, themes and
//! sample connection strings), mutates them the way fuzzers do (byte flips, inserted dictionary
//! tokens, deleted or duplicated ranges, splices of two inputs, truncation) and feeds each result to
//! the parser under `catch_unwind`. A panic is a crash: the input is saved under
//! `target/fuzz-crashes/<target>-<n>.txt` and counted.
//!
//!   cargo run --release --example fuzz -- [TARGET ...] [--seconds N] [--seed S]
//!
//! Targets: plan conninfo pgpass service keymap theme config (default: all), each for `--seconds`
//! (default 60). Prints per target: inputs tried, distinct crashes, and the exit status is 1 when
//! anything crashed.

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// xorshift64*: enough randomness for mutations, no dependency, reproducible from `--seed`.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

struct Target {
    name: &'static str,
    seeds: Vec<Vec<u8>>,
    tokens: &'static [&'static str],
    run: fn(&str),
}

fn run_plan(s: &str) {
    let _ = pgdeck::model::plan::parse_and_analyse(s);
}
fn run_conninfo(s: &str) {
    let _ = pgdeck::conn::parse_conninfo(s);
}
fn run_pgpass(s: &str) {
    for line in s.lines() {
        let _ = pgdeck::conn::pgpass::parse_line(line);
    }
}
fn run_service(s: &str) {
    let path = Path::new("pg_service.conf");
    for name in ["prod", "a", ""] {
        let _ = pgdeck::conn::service::parse_service(s, name, path);
    }
}
fn run_keymap(s: &str) {
    let _ = pgdeck::keymap::Keymap::from_toml_str(s, "keymap.toml");
}
fn run_theme(s: &str) {
    let _ = pgdeck::theme::Theme::from_toml_str("fuzz", s, "theme.toml");
}
fn run_config(s: &str) {
    let _ = pgdeck::config::Config::from_toml_str(s, "config.toml");
}

fn files_under(dir: &Path, out: &mut Vec<Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            files_under(&p, out);
        } else if let Ok(bytes) = std::fs::read(&p) {
            out.push(bytes);
        }
    }
}

fn targets(root: &Path) -> Vec<Target> {
    let mut plans = Vec::new();
    let corpus = std::env::var_os("PGDECK_PLAN_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/corpus/pev2"));
    files_under(&corpus, &mut plans);
    plans.retain(|p| p.len() < 200_000);
    if plans.is_empty() {
        plans.push(b"Seq Scan on t  (cost=0.00..35.50 rows=2550 width=4) (actual time=0.01..0.2 rows=10 loops=1)\nPlanning Time: 0.1 ms\nExecution Time: 0.3 ms\n".to_vec());
    }
    let mut themes = Vec::new();
    files_under(&root.join("themes"), &mut themes);
    let mut keymaps = Vec::new();
    files_under(&root.join("keymaps"), &mut keymaps);
    let bytes = |v: &[&str]| v.iter().map(|s| s.as_bytes().to_vec()).collect::<Vec<_>>();
    vec![
        Target {
            name: "plan",
            seeds: plans,
            tokens: &[
                "->  ",
                "(cost=",
                "..",
                " rows=",
                " width=",
                "(actual time=",
                " loops=",
                "\n",
                "  ",
                "InitPlan 1 (returns $0)",
                "SubPlan 2",
                "CTE x",
                "Buffers: shared hit=",
                " read=",
                "Workers Launched: ",
                "Sort Method: external merge  Disk: ",
                "kB",
                "Planning Time: ",
                "Execution Time: ",
                " ms",
                "JIT:",
                "(never executed)",
                "{",
                "}",
                "[",
                "]",
                "\"Plan\"",
                "\"Plans\"",
                "\"Node Type\"",
                ":",
                ",",
                "\"",
                "null",
                "1e308",
                "-1",
                "NaN",
                "│",
                "┌",
                "─",
                "+",
                "|",
                "QUERY PLAN",
                "Filter: ",
                "Rows Removed by Filter: ",
                "Hash Cond: ",
                "\u{feff}",
                "\t",
                "\r\n",
            ],
            run: run_plan,
        },
        Target {
            name: "conninfo",
            seeds: bytes(&[
                "postgres://alice:secret@db.example.com:5432/shop?sslmode=verify-full&application_name=x",
                "postgresql://[::1]:5433,host2:5434/db?target_session_attrs=read-write",
                "host=/var/run/postgresql dbname='my db' user=bob password='a\\'b' connect_timeout=5",
                "service=prod sslmode=require sslrootcert=/tmp/ca.pem",
                "postgres:///db?host=%2Fvar%2Frun%2Fpostgresql&port=5432",
                "shop",
            ]),
            tokens: &[
                "postgres://",
                "postgresql://",
                "@",
                ":",
                "/",
                "?",
                "&",
                "=",
                "%",
                "%2F",
                "%zz",
                "[",
                "]",
                "'",
                "\\",
                " ",
                "host=",
                "port=",
                "sslmode=",
                "dbname=",
                "options=",
                "-c ",
                ",",
                "\u{0}",
                "é",
                "65536",
                "-1",
            ],
            run: run_conninfo,
        },
        Target {
            name: "pgpass",
            seeds: bytes(&[
                "db.example.com:5432:shop:alice:s3cret\n*:*:*:bob:pa\\:ss\\\\word\n# comment\n",
                "localhost:*:*:*:x\n",
            ]),
            tokens: &[":", "\\", "*", "\n", "#", "\\:", "\\\\", " "],
            run: run_pgpass,
        },
        Target {
            name: "service",
            seeds: bytes(&[
                "# services\n[prod]\nhost=db.example.com\nport=5432\ndbname=shop\n\n[a]\nuser=x\n",
                "[prod]\nsslmode = verify-full\n",
            ]),
            tokens: &[
                "[", "]", "=", "\n", "#", " ", "prod", "host", "port", "\u{0}",
            ],
            run: run_service,
        },
        Target {
            name: "keymap",
            seeds: keymaps,
            tokens: &[
                "ctrl-", "alt-", "shift-", "f5", "enter", "esc", "=", "\"", "[", "]", "\n", "'",
                "{", "}", "[global]", "[editor]", "run", "-", "+", " ",
            ],
            run: run_keymap,
        },
        Target {
            name: "theme",
            seeds: themes,
            tokens: &[
                "#", "#ffffff", "255", "256", "-1", "red", "=", "\"", "[", "]", "\n", "{", "}",
                "fg", "bg", "bold", "true", "extends",
            ],
            run: run_theme,
        },
        Target {
            name: "config",
            seeds: bytes(&[
                "[ui]\ntheme = \"dark\"\n[profiles.prod]\nhost = \"db\"\nport = 5432\n[health]\nunused_index_scans = 10\nexclude_schemas = [\"x\"]\n[transactions]\nautocommit = false\n",
                "[editor]\ntab_width = 4\n[results]\nmax_rows = 1000000\n",
            ]),
            tokens: &[
                "[",
                "]",
                "=",
                "\"",
                "\n",
                "[profiles.\"a b\"]",
                "password = \"x\"",
                "{",
                "}",
                ",",
                "1e999",
                "-9223372036854775808",
                "true",
                "'''",
                "\"\"\"",
                "#",
            ],
            run: run_config,
        },
    ]
}

fn mutate(rng: &mut Rng, input: &mut Vec<u8>, target: &Target) {
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        let len = input.len();
        match rng.below(8) {
            0 if len > 0 => {
                let i = rng.below(len);
                input[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                input[i] = rng.next() as u8;
            }
            2 | 3 => {
                let tok = target.tokens[rng.below(target.tokens.len())].as_bytes();
                let at = rng.below(len + 1);
                input.splice(at..at, tok.iter().copied());
            }
            4 if len > 0 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(64)).min(len);
                input.drain(a..b);
            }
            5 if len > 0 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(256)).min(len);
                let copy = input[a..b].to_vec();
                let at = rng.below(len + 1);
                input.splice(at..at, copy);
            }
            6 if !target.seeds.is_empty() => {
                let other = &target.seeds[rng.below(target.seeds.len())];
                let cut = rng.below(len + 1);
                let from = rng.below(other.len() + 1);
                input.truncate(cut);
                input.extend_from_slice(&other[from..]);
            }
            _ => {
                let cut = rng.below(len + 1);
                input.truncate(cut);
            }
        }
    }
}

struct Outcome {
    tried: u64,
    crashes: usize,
}

fn fuzz(target: &Target, budget: Duration, rng: &mut Rng, crash_dir: &Path) -> Outcome {
    let start = Instant::now();
    let mut tried = 0u64;
    let mut seen: HashSet<String> = HashSet::new();
    let mut input = Vec::new();
    while start.elapsed() < budget {
        // a fresh seed every few mutations keeps inputs close to real ones
        if tried.is_multiple_of(16) {
            input = target
                .seeds
                .get(rng.below(target.seeds.len()))
                .cloned()
                .unwrap_or_default();
        }
        mutate(rng, &mut input, target);
        if input.len() > 400_000 {
            input.truncate(400_000);
        }
        let text = String::from_utf8_lossy(&input).into_owned();
        tried += 1;
        let run = target.run;
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| run(&text))) {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panic".to_string());
            if seen.insert(message.clone()) {
                let path = crash_dir.join(format!("{}-{}.txt", target.name, seen.len()));
                if let Err(e) = std::fs::write(&path, &text) {
                    eprintln!("could not save {}: {e}", path.display());
                }
                eprintln!(
                    "{}: crash #{}: {message} (input in {})",
                    target.name,
                    seen.len(),
                    path.display()
                );
            }
        }
    }
    Outcome {
        tried,
        crashes: seen.len(),
    }
}

fn main() -> std::process::ExitCode {
    let mut names = Vec::new();
    let mut seconds = 60u64;
    let mut seed = 0x9e37_79b9_7f4a_7c15u64 ^ std::process::id() as u64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seconds" => match args.next().and_then(|v| v.parse().ok()) {
                Some(v) => seconds = v,
                None => {
                    eprintln!("--seconds needs a whole number");
                    return std::process::ExitCode::from(2);
                }
            },
            "--seed" => match args.next().and_then(|v| v.parse().ok()) {
                Some(v) => seed = v,
                None => {
                    eprintln!("--seed needs a whole number");
                    return std::process::ExitCode::from(2);
                }
            },
            _ => names.push(a),
        }
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let all = targets(&root);
    for n in &names {
        if !all.iter().any(|t| t.name == n) {
            let known: Vec<&str> = all.iter().map(|t| t.name).collect();
            eprintln!("unknown target `{n}` (one of: {})", known.join(" "));
            return std::process::ExitCode::from(2);
        }
    }
    let crash_dir = root.join("target/fuzz-crashes");
    if let Err(e) = std::fs::create_dir_all(&crash_dir) {
        eprintln!("cannot create {}: {e}", crash_dir.display());
        return std::process::ExitCode::from(2);
    }
    // panics are expected and reported above; keep the default hook from printing each one
    std::panic::set_hook(Box::new(|_| {}));
    let mut rng = Rng(seed | 1);
    println!("seed {seed}, {seconds} s per target");
    println!(
        "{:<10} {:>7} {:>12} {:>8}",
        "target", "seeds", "inputs", "crashes"
    );
    let mut total_crashes = 0;
    for t in all
        .iter()
        .filter(|t| names.is_empty() || names.iter().any(|n| n == t.name))
    {
        let o = fuzz(t, Duration::from_secs(seconds), &mut rng, &crash_dir);
        total_crashes += o.crashes;
        println!(
            "{:<10} {:>7} {:>12} {:>8}",
            t.name,
            t.seeds.len(),
            o.tried,
            o.crashes
        );
    }
    if total_crashes > 0 {
        std::process::ExitCode::from(1)
    } else {
        std::process::ExitCode::SUCCESS
    }
}
