//! The connection service file (`pg_service.conf`), read as libpq's `parseServiceFile` does:
//! INI-style `[name]` sections of `keyword=value` lines, `#` comments, blank lines ignored,
//! leading and trailing whitespace of a line ignored, the value taken literally (no quoting).
//! Unlike libpq, spaces around `=` are forgiven (libpq reports them as a syntax error).
//! Only the lines of the wanted section are checked, so a broken line elsewhere does no harm. A
//! section may not set `service`. It owns one file's syntax; which files to search, in what
//! order, and how the values merge is `resolve`'s job. It must not touch the environment.

use std::io;
use std::path::Path;

use super::error::ConnInfoError;
use super::params::keyword;

/// The keyword → value pairs of section `service` in `text`, in file order, or `None` when the
/// section is absent. `path` only names the file in errors.
pub fn parse_service(
    text: &str,
    service: &str,
    path: &Path,
) -> Result<Option<Vec<(&'static str, String)>>, ConnInfoError> {
    let mut found = false;
    let mut values = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            if found {
                // The next section ends ours.
                break;
            }
            // As libpq: `[name]` exactly, whatever follows the closing bracket.
            found = header
                .strip_prefix(service)
                .is_some_and(|rest| rest.starts_with(']'));
            continue;
        }
        if !found {
            continue;
        }
        let syntax = |reason: String| ConnInfoError::ServiceFileSyntax {
            path: path.to_owned(),
            line: index + 1,
            reason,
        };
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| syntax("expected keyword=value".into()))?;
        // libpq compares the keyword byte for byte; pgdeck also forgives spaces around '=',
        // which libpq would reject as an unknown keyword.
        let key = key.trim_end();
        if key == "service" {
            return Err(syntax(
                "nested service specifications are not supported".into(),
            ));
        }
        let key =
            keyword(key).ok_or_else(|| syntax(format!("unknown connection option \"{key}\"")))?;
        values.push((key, value.trim_start().to_owned()));
    }
    Ok(found.then_some(values))
}

/// Reads `path` and returns section `service`. `Ok(None)` when the section is absent.
pub fn lookup_file(
    path: &Path,
    service: &str,
) -> Result<Option<Vec<(&'static str, String)>>, ConnInfoError> {
    let text = std::fs::read(path).map_err(|source| ConnInfoError::ServiceFileRead {
        path: path.to_owned(),
        source,
    })?;
    let text = String::from_utf8(text).map_err(|_| ConnInfoError::ServiceFileRead {
        path: path.to_owned(),
        source: io::Error::new(io::ErrorKind::InvalidData, "the file is not UTF-8 text"),
    })?;
    parse_service(&text, service, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const FILE: &str = "\
# comment
[other]
this line is broken

[mydb]
host=db.example.com
  port=5433
# inside comment
dbname = app
options=-c search_path=x

[third]
host=nope
";

    #[test]
    fn reads_only_the_wanted_section() {
        let got = parse_service(FILE, "mydb", Path::new("/f"))
            .unwrap()
            .unwrap();
        assert_eq!(
            got,
            vec![
                ("host", "db.example.com".to_owned()),
                ("port", "5433".to_owned()),
                ("dbname", "app".to_owned()),
                ("options", "-c search_path=x".to_owned()),
            ]
        );
        assert!(
            parse_service(FILE, "missing", Path::new("/f"))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn errors_name_file_and_line() {
        let e = parse_service(FILE, "other", Path::new("/etc/pg_service.conf")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "syntax error in service file \"/etc/pg_service.conf\", line 3: expected \
             keyword=value"
        );
        let e = parse_service("[a]\nhots=x\n", "a", Path::new("/f")).unwrap_err();
        assert!(
            e.to_string()
                .contains("line 2: unknown connection option \"hots\""),
            "{e}"
        );
    }

    #[test]
    fn a_service_may_not_name_another() {
        let e = parse_service("[a]\nservice=b\n", "a", Path::new("/f")).unwrap_err();
        assert!(e.to_string().contains("nested service"), "{e}");
    }

    #[test]
    fn section_names_match_exactly() {
        let text = "[ab]\nhost=ab\n[a] trailing text\nhost=a\n[ a ]\nhost=spaced\n";
        let get = |name| parse_service(text, name, Path::new("/f")).unwrap();
        assert_eq!(get("a"), Some(vec![("host", "a".to_owned())]));
        assert_eq!(get("ab"), Some(vec![("host", "ab".to_owned())]));
        assert_eq!(get(" a "), Some(vec![("host", "spaced".to_owned())]));
        assert_eq!(get("b"), None);
    }

    #[test]
    fn empty_section_is_found() {
        assert_eq!(
            parse_service("[a]\n[b]\nhost=x\n", "a", Path::new("/f")).unwrap(),
            Some(vec![])
        );
    }

    proptest! {
        #[test]
        fn never_panics(text in any::<String>(), name in any::<String>()) {
            let _ = parse_service(&text, &name, Path::new("/f"));
            let _ = parse_service(&format!("[{name}]\n{text}"), &name, Path::new("/f"));
        }
    }
}
