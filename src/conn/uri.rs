//! The `postgres://` / `postgresql://` connection URI, parsed as libpq's
//! `conninfo_uri_parse_options` does:
//! `postgres[ql]://[user[:password]@][host][:port][,host[:port]...][/dbname][?param=value&...]`.
//! Every part is percent-decoded; IPv6 addresses sit in brackets; a host may be a
//! percent-encoded socket directory; `?ssl=true` means `sslmode=require`; unknown query
//! parameters are errors. It owns URI syntax only and must not apply defaults or read the
//! environment. Error messages show the URI with any password replaced by `********`.

use super::error::ConnInfoError;
use super::params::ConnParams;

const PREFIXES: [&str; 2] = ["postgresql://", "postgres://"];

/// Whether `s` starts with a URI designator libpq recognises.
pub fn is_uri(s: &str) -> bool {
    prefix_len(s).is_some()
}

fn prefix_len(s: &str) -> Option<usize> {
    PREFIXES.iter().find(|p| s.starts_with(*p)).map(|p| p.len())
}

/// Parses a connection URI into parameters.
pub fn parse_uri(uri: &str) -> Result<ConnParams, ConnInfoError> {
    let invalid = |reason: String| ConnInfoError::InvalidUri {
        uri: redact_uri(uri),
        reason,
    };
    let start = prefix_len(uri).ok_or_else(|| invalid("not a postgres:// URI".into()))?;
    let mut params = ConnParams::new();
    let rest = &uri[start..];

    // Credentials: libpq looks ahead for '@' before any '/', so an '@' in a password must be
    // percent-encoded.
    let mut p = 0;
    let at = rest
        .find(['@', '/'])
        .filter(|&i| rest.as_bytes()[i] == b'@');
    if let Some(at) = at {
        let userinfo = &rest[..at];
        let (user, password) = match userinfo.find(':') {
            Some(colon) => (&userinfo[..colon], Some(&userinfo[colon + 1..])),
            None => (userinfo, None),
        };
        if !user.is_empty() {
            params
                .set(
                    "user",
                    decode(user).map_err(|r| invalid(format!("user name: {r}")))?,
                )
                .map_err(|e| invalid(e.to_string()))?;
        }
        if let Some(password) = password.filter(|p| !p.is_empty()) {
            // The reason must not quote the password, so it only names the part.
            let password = decode(password).map_err(|_| {
                invalid("password: invalid percent-encoding or %00 or not UTF-8".into())
            })?;
            params
                .set("password", password)
                .map_err(|e| invalid(e.to_string()))?;
        }
        p = at + 1;
    }

    // One or more netloc[:port], separated by commas.
    let bytes = rest.as_bytes();
    let mut hosts = String::new();
    let mut ports = String::new();
    let mut terminator: Option<u8>;
    loop {
        if bytes.get(p) == Some(&b'[') {
            let close = rest[p + 1..].find(']').map(|i| p + 1 + i).ok_or_else(|| {
                invalid(
                    "end of string reached when looking for matching \"]\" in IPv6 host address"
                        .into(),
                )
            })?;
            if close == p + 1 {
                return Err(invalid("IPv6 host address may not be empty".into()));
            }
            hosts.push_str(&rest[p + 1..close]);
            p = close + 1;
            if let Some(&c) = bytes.get(p)
                && !matches!(c, b':' | b'/' | b'?' | b',')
            {
                let ch = rest[p..].chars().next().unwrap_or('?');
                return Err(invalid(format!(
                    "unexpected character \"{ch}\" after IPv6 address (expected \":\" or \"/\")"
                )));
            }
        } else {
            let end = rest[p..]
                .find([':', '/', '?', ','])
                .map_or(rest.len(), |i| p + i);
            hosts.push_str(&rest[p..end]);
            p = end;
        }
        terminator = bytes.get(p).copied();
        if terminator == Some(b':') {
            p += 1;
            let end = rest[p..]
                .find(['/', '?', ','])
                .map_or(rest.len(), |i| p + i);
            ports.push_str(&rest[p..end]);
            p = end;
            terminator = bytes.get(p).copied();
        }
        if terminator != Some(b',') {
            break;
        }
        p += 1;
        hosts.push(',');
        ports.push(',');
    }
    if !hosts.is_empty() {
        let hosts = decode(&hosts).map_err(|r| invalid(format!("host: {r}")))?;
        params
            .set("host", hosts)
            .map_err(|e| invalid(e.to_string()))?;
    }
    if !ports.is_empty() {
        let ports = decode(&ports).map_err(|r| invalid(format!("port: {r}")))?;
        for port in ports.split(',').filter(|s| !s.is_empty()) {
            if !matches!(port.parse::<u16>(), Ok(n) if n > 0) {
                return Err(invalid(format!("invalid port \"{port}\"")));
            }
        }
        params
            .set("port", ports)
            .map_err(|e| invalid(e.to_string()))?;
    }

    // Database name, after '/' and up to '?'. An empty name is left unset so that PGDATABASE
    // still applies (libpq does the same).
    if terminator == Some(b'/') {
        p += 1;
        let end = rest[p..].find('?').map_or(rest.len(), |i| p + i);
        let dbname = &rest[p..end];
        if !dbname.is_empty() {
            let dbname = decode(dbname).map_err(|r| invalid(format!("database name: {r}")))?;
            params
                .set("dbname", dbname)
                .map_err(|e| invalid(e.to_string()))?;
        }
        p = end;
        terminator = bytes.get(p).copied();
    }

    if terminator == Some(b'?') {
        parse_query(&rest[p + 1..], &mut params).map_err(invalid)?;
    }
    Ok(params)
}

fn parse_query(query: &str, params: &mut ConnParams) -> Result<(), String> {
    let mut rest = query;
    while !rest.is_empty() {
        let (pair, next) = match rest.find('&') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        rest = next;
        let mut split = pair.splitn(3, '=');
        let raw_key = split.next().unwrap_or_default();
        let raw_value = split.next().ok_or_else(|| {
            format!("missing key/value separator \"=\" in URI query parameter: \"{raw_key}\"")
        })?;
        if split.next().is_some() {
            return Err(format!(
                "extra key/value separator \"=\" in URI query parameter: \"{raw_key}\""
            ));
        }
        let key = decode(raw_key).map_err(|r| format!("query parameter name: {r}"))?;
        let value = decode(raw_value).map_err(|r| {
            if key == "password" || key == "sslpassword" {
                format!("query parameter \"{key}\": invalid percent-encoding")
            } else {
                format!("query parameter \"{key}\": {r}")
            }
        })?;
        // JDBC compatibility, as in libpq: ssl=true means sslmode=require.
        let (key, value) = if key == "ssl" && value == "true" {
            ("sslmode".to_owned(), "require".to_owned())
        } else {
            (key, value)
        };
        params
            .set(&key, value)
            .map_err(|_| format!("invalid URI query parameter: \"{key}\""))?;
    }
    Ok(())
}

/// Percent-decodes `s` as libpq does: `%XY` with two hex digits, `%00` forbidden; the result must
/// be UTF-8. The error names the offending text.
fn decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = |b: Option<&u8>| b.and_then(|b| (*b as char).to_digit(16));
            match (hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
                (Some(hi), Some(lo)) => {
                    let byte = (hi * 16 + lo) as u8;
                    if byte == 0 {
                        return Err(format!(
                            "forbidden value %00 in percent-encoded value \"{s}\""
                        ));
                    }
                    out.push(byte);
                    i += 3;
                }
                _ => return Err(format!("invalid percent-encoded token in \"{s}\"")),
            }
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("\"{s}\" does not decode to UTF-8 text"))
}

/// The URI with its password (userinfo and `password=` query parameter) replaced by
/// `********`, for error messages.
pub fn redact_uri(uri: &str) -> String {
    let Some(start) = prefix_len(uri) else {
        return uri.to_owned();
    };
    let (head, rest) = uri.split_at(start);
    let mut out = head.to_owned();
    let mut tail = rest;
    if let Some(at) = rest
        .find(['@', '/'])
        .filter(|&i| rest.as_bytes()[i] == b'@')
    {
        let userinfo = &rest[..at];
        match userinfo.find(':') {
            Some(colon) => {
                out.push_str(&userinfo[..=colon]);
                out.push_str("********");
            }
            None => out.push_str(userinfo),
        }
        out.push('@');
        tail = &rest[at + 1..];
    }
    match tail.find('?') {
        Some(q) => {
            out.push_str(&tail[..=q]);
            let pairs: Vec<String> = tail[q + 1..]
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((k, _)) if is_secret_key(k) => format!("{k}=********"),
                    _ => pair.to_owned(),
                })
                .collect();
            out.push_str(&pairs.join("&"));
        }
        None => out.push_str(tail),
    }
    out
}

fn is_secret_key(raw: &str) -> bool {
    matches!(decode(raw).as_deref(), Ok("password" | "sslpassword"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(s: &str) -> ConnParams {
        parse_uri(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn full_uri() {
        let p = parse("postgresql://alice:s3cret@db.example.com:5433/app?connect_timeout=10");
        assert_eq!(p.get("user"), Some("alice"));
        assert_eq!(p.get("password"), Some("s3cret"));
        assert_eq!(p.get("host"), Some("db.example.com"));
        assert_eq!(p.get("port"), Some("5433"));
        assert_eq!(p.get("dbname"), Some("app"));
        assert_eq!(p.get("connect_timeout"), Some("10"));
    }

    #[test]
    fn short_prefix_and_minimal_forms() {
        assert!(parse("postgres://").is_empty());
        let p = parse("postgres://localhost");
        assert_eq!(p.get("host"), Some("localhost"));
        assert_eq!(p.get("dbname"), None);
        let p = parse("postgresql:///db");
        assert_eq!(p.get("host"), None, "empty host means the default");
        assert_eq!(p.get("dbname"), Some("db"));
        let p = parse("postgresql://user@");
        assert_eq!(p.get("user"), Some("user"));
    }

    #[test]
    fn percent_decoding_everywhere() {
        let p = parse("postgres://us%40er:p%3Ass@h%2Dx/d%20b?application_name=a%26b");
        assert_eq!(p.get("user"), Some("us@er"));
        assert_eq!(p.get("password"), Some("p:ss"));
        assert_eq!(p.get("host"), Some("h-x"));
        assert_eq!(p.get("dbname"), Some("d b"));
        assert_eq!(p.get("application_name"), Some("a&b"));
    }

    #[test]
    fn ipv6_in_brackets() {
        let p = parse("postgresql://[::1]:5433/db");
        assert_eq!(p.get("host"), Some("::1"));
        assert_eq!(p.get("port"), Some("5433"));
        let p = parse("postgresql://[2001:db8::1234]/database");
        assert_eq!(p.get("host"), Some("2001:db8::1234"));
        let e = parse_uri("postgresql://[::1/db").unwrap_err();
        assert!(e.to_string().contains("matching \"]\""), "{e}");
        let e = parse_uri("postgresql://[]/db").unwrap_err();
        assert!(e.to_string().contains("may not be empty"), "{e}");
        let e = parse_uri("postgresql://[::1]x/db").unwrap_err();
        assert!(e.to_string().contains("unexpected character \"x\""), "{e}");
    }

    #[test]
    fn socket_directory_as_host() {
        let p = parse("postgresql://%2Fvar%2Frun%2Fpostgresql/dbname");
        assert_eq!(p.get("host"), Some("/var/run/postgresql"));
        let p = parse("postgresql:///dbname?host=/tmp");
        assert_eq!(p.get("host"), Some("/tmp"));
        assert_eq!(p.get("dbname"), Some("dbname"));
    }

    #[test]
    fn several_hosts_and_ports() {
        let p = parse("postgresql://host1:123,host2:456/somedb?target_session_attrs=any");
        assert_eq!(p.get("host"), Some("host1,host2"));
        assert_eq!(p.get("port"), Some("123,456"));
        let p = parse("postgresql://a,b:5433/x");
        assert_eq!(p.get("host"), Some("a,b"));
        assert_eq!(
            p.get("port"),
            Some(",5433"),
            "the first host keeps the default port"
        );
        let p = parse("postgresql://[::1]:1,[::2]:2");
        assert_eq!(p.get("host"), Some("::1,::2"));
        assert_eq!(p.get("port"), Some("1,2"));
    }

    #[test]
    fn ssl_true_means_require() {
        let p = parse("postgresql://h/db?ssl=true");
        assert_eq!(p.get("sslmode"), Some("require"));
        let e = parse_uri("postgresql://h/db?ssl=false").unwrap_err();
        assert!(
            e.to_string()
                .contains("invalid URI query parameter: \"ssl\""),
            "{e}"
        );
    }

    #[test]
    fn unknown_query_parameter_is_an_error() {
        let e = parse_uri("postgresql://h/db?sslmod=require").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid URI \"postgresql://h/db?sslmod=require\": invalid URI query parameter: \
             \"sslmod\""
        );
        let e = parse_uri("postgresql://h/db?host").unwrap_err();
        assert!(e.to_string().contains("missing key/value separator"), "{e}");
        let e = parse_uri("postgresql://h/db?host=a=b").unwrap_err();
        assert!(e.to_string().contains("extra key/value separator"), "{e}");
    }

    #[test]
    fn bad_port_is_named_and_password_hidden() {
        let e = parse_uri("postgres://x:y@h:abc/d").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid URI \"postgres://x:********@h:abc/d\": invalid port \"abc\""
        );
        let e = parse_uri("postgres://h:70000/d?password=topsecret&x=1").unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("invalid port \"70000\""), "{msg}");
        assert!(!msg.contains("topsecret"), "{msg}");
    }

    #[test]
    fn bad_percent_encoding() {
        let e = parse_uri("postgres://h/d%zz").unwrap_err();
        assert!(
            e.to_string().contains("invalid percent-encoded token"),
            "{e}"
        );
        let e = parse_uri("postgres://h/d%00").unwrap_err();
        assert!(e.to_string().contains("%00"), "{e}");
        let e = parse_uri("postgres://u:pa%zzss@h/d").unwrap_err();
        assert!(!e.to_string().contains("pa%zzss"), "{e}");
    }

    #[test]
    fn query_overrides_netloc() {
        let p = parse("postgresql://a:1/db?host=b&port=2&user=u");
        assert_eq!(p.get("host"), Some("b"));
        assert_eq!(p.get("port"), Some("2"));
        assert_eq!(p.get("user"), Some("u"));
    }

    #[test]
    fn redaction() {
        assert_eq!(
            redact_uri("postgres://u:pw@h/d"),
            "postgres://u:********@h/d"
        );
        assert_eq!(
            redact_uri("postgres://u@h/d?password=x&a=b"),
            "postgres://u@h/d?password=********&a=b"
        );
        assert_eq!(redact_uri("postgres://h/d"), "postgres://h/d");
    }

    /// Percent-encodes every byte outside RFC 3986's unreserved set.
    fn encode(s: &str) -> String {
        let mut out = String::new();
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }

    proptest! {
        #[test]
        fn encoded_user_and_dbname_roundtrip(user in "[^\u{0}]{1,20}", db in "[^\u{0}]{1,20}") {
            let uri = format!("postgresql://{}@localhost/{}", encode(&user), encode(&db));
            let p = parse_uri(&uri).unwrap();
            prop_assert_eq!(p.get("user"), Some(user.as_str()));
            prop_assert_eq!(p.get("dbname"), Some(db.as_str()));
            prop_assert_eq!(p.get("host"), Some("localhost"));
        }

        #[test]
        fn never_panics(s in any::<String>()) {
            let _ = parse_uri(&format!("postgresql://{s}"));
            let _ = parse_uri(&s);
        }
    }
}
