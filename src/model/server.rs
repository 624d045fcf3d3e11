//! What pgdeck learns about the server once at connect: version, role, recovery state, extensions.
//! Query variants are chosen from these facts (for pg_stat_statements, the installed extension version
//! decides the column names, not the server version).

use serde::Serialize;

/// Facts read at connect time on the monitor connection.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ServerInfo {
    /// `server_version_num`, e.g. 150018.
    pub version_num: u32,
    /// `server_version`, e.g. "15.18 (Debian 15.18-0+deb12u1)".
    pub version: String,
    pub in_recovery: bool,
    pub database: String,
    pub user: String,
    pub role: RoleInfo,
    /// `default_transaction_read_only` of the session.
    pub read_only: bool,
    pub extensions: Vec<Extension>,
    /// `pg_postmaster_start_time()` as text.
    pub started_at: Option<String>,
    /// `pg_stat_database.stats_reset` of this database; `None` means never reset.
    pub stats_reset: Option<String>,
}

/// Attributes of the connected role that decide what pgdeck can show or do.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RoleInfo {
    pub superuser: bool,
    pub create_role: bool,
    pub create_db: bool,
    pub replication: bool,
    pub bypass_rls: bool,
    /// Member of `pg_monitor` (or superuser): may read every session and statistics view.
    pub pg_monitor: bool,
    /// Member of `pg_signal_backend` (or superuser): may cancel/terminate other roles' sessions.
    pub pg_signal_backend: bool,
}

/// An installed extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Extension {
    pub name: String,
    pub version: String,
    pub schema: String,
}

impl ServerInfo {
    /// The major version (13, 14, ... 18).
    pub fn major(&self) -> u32 {
        self.version_num / 10000
    }

    /// The short version for the status bar: "15.18".
    pub fn short_version(&self) -> &str {
        self.version
            .split_whitespace()
            .next()
            .unwrap_or(self.version.as_str())
    }

    /// The installed version of an extension, if installed.
    pub fn extension(&self, name: &str) -> Option<&Extension> {
        self.extensions.iter().find(|e| e.name == name)
    }

    /// "primary" or "standby", as the status bar says it.
    pub fn role_label(&self) -> &'static str {
        if self.in_recovery {
            "standby"
        } else {
            "primary"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_helpers() {
        let s = ServerInfo {
            version_num: 150018,
            version: "15.18 (Debian 15.18-0+deb12u1)".into(),
            extensions: vec![Extension {
                name: "pg_stat_statements".into(),
                version: "1.10".into(),
                schema: "public".into(),
            }],
            ..Default::default()
        };
        assert_eq!(s.major(), 15);
        assert_eq!(s.short_version(), "15.18");
        assert_eq!(
            s.extension("pg_stat_statements")
                .map(|e| e.version.as_str()),
            Some("1.10")
        );
        assert!(s.extension("postgis").is_none());
        assert_eq!(s.role_label(), "primary");
    }
}
