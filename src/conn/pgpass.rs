//! The password file (`~/.pgpass`, `PGPASSFILE` or `passfile=`), read as libpq's
//! `passwordFromFile` does: lines `hostname:port:database:username:password`, `*` as a whole
//! field matches anything, `\` escapes the next character (so `\:` and `\\`), lines starting
//! with `#` are comments, the first matching line wins. A file that group or others may access
//! is ignored (reported as [`PgpassError::Insecure`], which callers turn into a warning). It owns
//! reading and matching only; choosing the host name to match (`localhost` for the default
//! socket directory) is [`host_key`]'s job, and it must not prompt or print.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Why a password file was not used.
#[derive(Debug, thiserror::Error)]
pub enum PgpassError {
    /// Group or others may access the file; libpq ignores it in that case.
    #[error(
        "password file \"{}\" ignored: it has group or world access; permissions should be \
         u=rw (0600) or less",
        .path.display()
    )]
    Insecure {
        /// The file.
        path: PathBuf,
    },
    /// The path exists but is not a regular file.
    #[error("password file \"{}\" ignored: it is not a plain file", .path.display())]
    NotAFile {
        /// The file.
        path: PathBuf,
    },
    /// The file exists but cannot be read.
    #[error("could not read password file \"{}\": {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

/// One field of a password-file line: `*` or an exact (unescaped) value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pattern {
    /// `*`: matches any value.
    Any,
    /// Matches this value exactly.
    Exact(String),
}

impl Pattern {
    fn matches(&self, value: &str) -> bool {
        match self {
            Pattern::Any => true,
            Pattern::Exact(v) => v == value,
        }
    }
}

/// A parsed line of a password file. `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct PgpassLine {
    /// Host name, socket directory, or `localhost` for the default socket.
    pub host: Pattern,
    /// Port number as text.
    pub port: Pattern,
    /// Database name.
    pub database: Pattern,
    /// User name.
    pub user: Pattern,
    /// The password, unescaped.
    pub password: String,
}

impl fmt::Debug for PgpassLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgpassLine")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("database", &self.database)
            .field("user", &self.user)
            .field("password", &"********")
            .finish()
    }
}

impl PgpassLine {
    /// Whether the line applies to this connection.
    pub fn matches(&self, host: &str, port: &str, dbname: &str, user: &str) -> bool {
        self.host.matches(host)
            && self.port.matches(port)
            && self.database.matches(dbname)
            && self.user.matches(user)
    }
}

/// Parses one line (without its line ending). `None` for comments, blank lines and lines with
/// fewer than four `:` separators (libpq skips those too).
pub fn parse_line(line: &str) -> Option<PgpassLine> {
    let line = line.trim_end_matches(['\r', '\n']);
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let mut chars = line.chars().peekable();
    let mut fields: Vec<Pattern> = Vec::with_capacity(4);
    while fields.len() < 4 {
        // libpq treats a field as the wildcard only when it is exactly "*" (an escaped "\*"
        // is a literal star).
        if chars.peek() == Some(&'*') {
            let mut probe = chars.clone();
            probe.next();
            if probe.peek() == Some(&':') {
                probe.next();
                chars = probe;
                fields.push(Pattern::Any);
                continue;
            }
        }
        let mut value = String::new();
        loop {
            match chars.next() {
                None => return None,
                Some('\\') => match chars.next() {
                    Some(c) => value.push(c),
                    None => return None,
                },
                Some(':') => break,
                Some(c) => value.push(c),
            }
        }
        fields.push(Pattern::Exact(value));
    }
    // The password runs to the end of the line or the next unescaped ':'.
    let mut password = String::new();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(c) => password.push(c),
                None => password.push('\\'),
            },
            ':' => break,
            c => password.push(c),
        }
    }
    let mut fields = fields.into_iter();
    Some(PgpassLine {
        host: fields.next()?,
        port: fields.next()?,
        database: fields.next()?,
        user: fields.next()?,
        password,
    })
}

/// The first password in `text` whose line matches.
pub fn lookup_in(text: &str, host: &str, port: u16, dbname: &str, user: &str) -> Option<String> {
    let port = port.to_string();
    text.lines()
        .filter_map(parse_line)
        .find(|l| l.matches(host, &port, dbname, user))
        .map(|l| l.password)
}

/// Checks that `path` may be used: `Ok(false)` when it does not exist, `Ok(true)` when it is a
/// regular file only its owner can access, an error otherwise (as libpq, which ignores such a
/// file with a warning). The permission check applies on Unix only.
pub fn check_file(path: &Path) -> Result<bool, PgpassError> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(source) => {
            return Err(PgpassError::Io {
                path: path.into(),
                source,
            });
        }
    };
    if !meta.is_file() {
        return Err(PgpassError::NotAFile { path: path.into() });
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(PgpassError::Insecure { path: path.into() });
        }
    }
    Ok(true)
}

/// Looks up the password for a connection in the file at `path`. `host` is the already chosen
/// host key (see [`host_key`]). `Ok(None)` when the file does not exist, nothing matches, or the
/// database or user name is empty (libpq skips the lookup then).
pub fn lookup(
    path: &Path,
    host: &str,
    port: u16,
    dbname: &str,
    user: &str,
) -> Result<Option<String>, PgpassError> {
    if dbname.is_empty() || user.is_empty() || path.as_os_str().is_empty() {
        return Ok(None);
    }
    if !check_file(path)? {
        return Ok(None);
    }
    let text = std::fs::read(path).map_err(|source| PgpassError::Io {
        path: path.into(),
        source,
    })?;
    // Tolerate stray non-UTF-8 bytes: they can only affect lines that would not match anyway.
    let text = String::from_utf8_lossy(&text);
    Ok(lookup_in(&text, host, port, dbname, user))
}

/// The host name to look for in the password file, as libpq chooses it: the `host` value, but
/// `localhost` when it is empty or names one of the default socket directories.
pub fn host_key<'a>(host: &'a str, default_socket_dirs: &[&Path]) -> &'a str {
    if host.is_empty() || (host.starts_with('/') && default_socket_dirs.contains(&Path::new(host)))
    {
        "localhost"
    } else {
        host
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn temp_file(content: &str, mode: u32) -> PathBuf {
        static N: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "pgdeck-pgpass-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, content).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        #[cfg(not(unix))]
        let _ = mode;
        path
    }

    #[test]
    fn parses_fields_wildcards_and_escapes() {
        let l = parse_line(r"db\:1:*:app:al\\ice:pa\:ss\\word").unwrap();
        assert_eq!(l.host, Pattern::Exact("db:1".into()));
        assert_eq!(l.port, Pattern::Any);
        assert_eq!(l.database, Pattern::Exact("app".into()));
        assert_eq!(l.user, Pattern::Exact(r"al\ice".into()));
        assert_eq!(l.password, r"pa:ss\word");
        // An escaped star is a literal star, not the wildcard.
        let l = parse_line(r"\*:5432:d:u:p").unwrap();
        assert_eq!(l.host, Pattern::Exact("*".into()));
        // A star that is only part of a field is literal too.
        let l = parse_line("*x:5432:d:u:p").unwrap();
        assert_eq!(l.host, Pattern::Exact("*x".into()));
    }

    #[test]
    fn comments_blank_and_short_lines_are_skipped() {
        assert!(parse_line("# h:5432:d:u:p").is_none());
        assert!(parse_line("").is_none());
        assert!(parse_line("h:5432:d").is_none());
        assert!(parse_line("h:5432:d:u").is_none(), "no password field");
        assert_eq!(parse_line("h:5432:d:u:").unwrap().password, "");
        assert_eq!(parse_line("h:5432:d:u:pw\r").unwrap().password, "pw");
        // The password stops at an unescaped colon.
        assert_eq!(parse_line("h:5432:d:u:pw:extra").unwrap().password, "pw");
    }

    #[test]
    fn first_match_wins() {
        let text = "# comment\nother:5432:*:*:nope\n*:5432:app:alice:first\n*:*:*:*:second\n";
        assert_eq!(
            lookup_in(text, "db", 5432, "app", "alice").as_deref(),
            Some("first")
        );
        assert_eq!(
            lookup_in(text, "db", 5433, "app", "alice").as_deref(),
            Some("second")
        );
        assert_eq!(
            lookup_in(text, "other", 5432, "x", "y").as_deref(),
            Some("nope")
        );
        assert_eq!(lookup_in("h:1:d:u:p", "h", 2, "d", "u"), None);
    }

    #[test]
    fn localhost_for_the_default_socket_directory() {
        let defaults = [Path::new("/var/run/postgresql"), Path::new("/tmp")];
        assert_eq!(host_key("/var/run/postgresql", &defaults), "localhost");
        assert_eq!(host_key("/tmp", &defaults), "localhost");
        assert_eq!(host_key("", &defaults), "localhost");
        assert_eq!(host_key("/srv/pg", &defaults), "/srv/pg");
        assert_eq!(host_key("db.example.com", &defaults), "db.example.com");
    }

    #[test]
    fn reads_a_private_file() {
        let path = temp_file("localhost:5432:app:alice:pw1\n", 0o600);
        let got = lookup(&path, "localhost", 5432, "app", "alice").unwrap();
        assert_eq!(got.as_deref(), Some("pw1"));
        assert_eq!(
            lookup(&path, "localhost", 5432, "app", "bob").unwrap(),
            None
        );
        assert_eq!(lookup(&path, "localhost", 5432, "", "alice").unwrap(), None);
        std::fs::remove_file(&path).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn group_readable_file_is_ignored_with_a_warning() {
        let path = temp_file("*:*:*:*:pw\n", 0o640);
        let err = lookup(&path, "h", 5432, "d", "u").unwrap_err();
        assert!(matches!(err, PgpassError::Insecure { .. }));
        let msg = err.to_string();
        assert!(
            msg.contains("permissions should be u=rw (0600) or less"),
            "{msg}"
        );
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn missing_file_is_no_password() {
        let path = std::env::temp_dir().join("pgdeck-no-such-pgpass-file");
        assert_eq!(lookup(&path, "h", 5432, "d", "u").unwrap(), None);
    }

    #[test]
    fn directory_is_not_a_plain_file() {
        let err = lookup(&std::env::temp_dir(), "h", 5432, "d", "u").unwrap_err();
        assert!(matches!(err, PgpassError::NotAFile { .. }));
    }

    #[test]
    fn debug_hides_the_password() {
        let l = parse_line("h:1:d:u:hunter2").unwrap();
        assert!(!format!("{l:?}").contains("hunter2"));
    }

    proptest! {
        #[test]
        fn parse_line_never_panics(s in any::<String>()) {
            let _ = parse_line(&s);
        }

        #[test]
        fn lookup_in_never_panics(s in any::<String>(), port in any::<u16>()) {
            let _ = lookup_in(&s, "h", port, "d", "u");
        }
    }
}
