//! The libpq `key=value` connection string: parsing it into [`ConnParams`] and rendering
//! [`ConnParams`] back with the quoting libpq reads. Whitespace may surround `=`; a value is
//! either a bare word (backslash escapes the next character) or single-quoted (`\'` and `\\`
//! escapes, `''` for an empty value). It must not interpret values; `resolve` does that.

use super::error::ConnInfoError;
use super::params::ConnParams;

/// libpq uses C `isspace` (which includes vertical tab, unlike `char::is_ascii_whitespace`).
pub(crate) fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0B' | '\x0C' | '\r')
}

/// Parses a `key=value ...` string. Unknown keywords are an error naming them.
pub fn parse_keyvalue(s: &str) -> Result<ConnParams, ConnInfoError> {
    let mut params = ConnParams::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.next_if(|c| is_space(*c)).is_some() {}
        if chars.peek().is_none() {
            break;
        }
        // The keyword runs to '=' or whitespace.
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && !is_space(*c)) {
            key.push(c);
        }
        while chars.next_if(|c| is_space(*c)).is_some() {}
        if chars.next_if_eq(&'=').is_none() {
            return Err(ConnInfoError::MissingEquals { key });
        }
        while chars.next_if(|c| is_space(*c)).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    None => return Err(ConnInfoError::UnterminatedQuote),
                    Some('\\') => {
                        // A backslash at the very end escapes nothing; the quote stays open.
                        if let Some(c) = chars.next() {
                            value.push(c);
                        }
                    }
                    Some('\'') => break,
                    Some(c) => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !is_space(*c)) {
                if c == '\\' {
                    if let Some(escaped) = chars.next() {
                        value.push(escaped);
                    }
                } else {
                    value.push(c);
                }
            }
        }
        params.set(&key, value)?;
    }
    Ok(params)
}

/// Quotes a value so that [`parse_keyvalue`] reads it back unchanged: bare when it is a plain
/// word, otherwise in single quotes with `\` and `'` escaped.
pub fn quote_value(value: &str) -> String {
    let plain = !value.is_empty() && !value.chars().any(|c| is_space(c) || c == '\\' || c == '\'');
    if plain {
        return value.to_owned();
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\\' || c == '\'' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// Renders parameters as a `key=value` connection string (e.g. to hand to psql). The result
/// contains every value, passwords included, so never log or display it.
pub fn render_keyvalue(params: &ConnParams) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={}", quote_value(v)))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conn::params::KEYWORDS;
    use proptest::prelude::*;

    #[test]
    fn whitespace_around_equals() {
        let p = parse_keyvalue("  host = db1\tport=5433  dbname =app ").unwrap();
        assert_eq!(p.get("host"), Some("db1"));
        assert_eq!(p.get("port"), Some("5433"));
        assert_eq!(p.get("dbname"), Some("app"));
    }

    #[test]
    fn quoted_values_and_escapes() {
        let p = parse_keyvalue(r"password='it\'s a \\ secret' options='-c x=1' user=bob").unwrap();
        assert_eq!(p.get("password"), Some(r"it's a \ secret"));
        assert_eq!(p.get("options"), Some("-c x=1"));
        assert_eq!(p.get("user"), Some("bob"));
    }

    #[test]
    fn empty_quoted_value() {
        let p = parse_keyvalue("host='' dbname=x").unwrap();
        assert_eq!(p.get("host"), Some(""));
        assert_eq!(p.get("dbname"), Some("x"));
    }

    #[test]
    fn backslash_in_bare_value() {
        let p = parse_keyvalue(r"dbname=a\ b user=x").unwrap();
        assert_eq!(p.get("dbname"), Some("a b"));
    }

    #[test]
    fn empty_value_at_end() {
        let p = parse_keyvalue("host=").unwrap();
        assert_eq!(p.get("host"), Some(""));
    }

    #[test]
    fn errors_name_the_problem() {
        let e = parse_keyvalue("host db1").unwrap_err();
        assert_eq!(
            e.to_string(),
            "missing \"=\" after \"host\" in connection info string"
        );
        let e = parse_keyvalue("host='db1").unwrap_err();
        assert_eq!(
            e.to_string(),
            "unterminated quoted string in connection info string"
        );
        let e = parse_keyvalue("sslmod=require").unwrap_err();
        assert_eq!(e.to_string(), "unknown connection option \"sslmod\"");
    }

    #[test]
    fn multiple_hosts_stay_one_value() {
        let p = parse_keyvalue("host=a,b port=5432,5433").unwrap();
        assert_eq!(p.get("host"), Some("a,b"));
        assert_eq!(p.get("port"), Some("5432,5433"));
    }

    #[test]
    fn quoting_examples() {
        assert_eq!(quote_value("db1"), "db1");
        assert_eq!(quote_value(""), "''");
        assert_eq!(quote_value("a b"), "'a b'");
        assert_eq!(quote_value(r"it's\"), r"'it\'s\\'");
    }

    fn known_key() -> impl Strategy<Value = &'static str> {
        proptest::sample::select(KEYWORDS.to_vec())
    }

    proptest! {
        #[test]
        fn roundtrip_rendered_params(entries in proptest::collection::vec((known_key(), any::<String>()), 0..8)) {
            let mut params = ConnParams::new();
            for (k, v) in &entries {
                params.set(k, v.clone()).unwrap();
            }
            let rendered = render_keyvalue(&params);
            let parsed = parse_keyvalue(&rendered).unwrap();
            prop_assert_eq!(parsed, params);
        }

        #[test]
        fn never_panics(s in any::<String>()) {
            let _ = parse_keyvalue(&s);
        }
    }
}
