//! Shared helpers: the cluster of this test binary and a fresh database per test.

use std::sync::atomic::{AtomicUsize, Ordering};

use pgdeck::cluster::TempCluster;
use pgdeck::conn::{self, ConnTarget, Environment};

/// The cluster shared by every test of this binary.
pub fn cluster() -> &'static TempCluster {
    pgdeck::cluster::shared_for_tests()
}

/// A new, empty database with a name unique to this test; returns its conninfo string.
pub fn fresh_db(tag: &str) -> (String, String) {
    static N: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "t_{tag}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    cluster()
        .create_database(&name)
        .expect("create test database");
    let ci = cluster().conninfo(&name);
    (name, ci)
}

/// Resolve a conninfo string without reading the process environment or the real home directory.
pub fn target(conninfo: &str) -> ConnTarget {
    let params = conn::parse_conninfo(conninfo).expect("valid conninfo");
    let env = Environment::from_vars(std::iter::empty(), None, Some("postgres".into()));
    conn::resolve(&params, &env).expect("resolve")
}

/// A scratch directory for one test, removed when dropped.
pub struct Scratch(pub std::path::PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let d = std::env::temp_dir().join(format!(
            "pgdeck-scratch-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("scratch dir");
        Scratch(d)
    }

    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
