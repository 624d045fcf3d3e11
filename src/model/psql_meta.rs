//! psql meta-commands typed in the editor (`\d users`, `\dt shop.*`, `\x`...): parsing them and turning
//! psql name patterns into anchored regular expressions, as psql does (`*` any text, `?` one
//! character, unquoted text folded to lower case, `"..."` kept as written, `.` separating schema
//! and name). Pure: running them is the database layer's job.

/// A meta-command pgdeck understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Meta {
    /// `\d` (list relations) or `\d NAME` (describe).
    Describe(Option<Pattern>),
    /// `\dt`, `\di`, `\dv`, `\dm`, `\ds`, `\dE`: list relations of these kinds.
    Relations {
        kinds: &'static str,
        pattern: Option<Pattern>,
        system: bool,
    },
    Functions {
        pattern: Option<Pattern>,
        system: bool,
    },
    Schemas {
        pattern: Option<Pattern>,
        system: bool,
    },
    Roles {
        pattern: Option<Pattern>,
    },
    Databases {
        pattern: Option<Pattern>,
    },
    /// `\x`, `\x on`, `\x off`.
    Expanded(Option<bool>),
    /// `\set AUTOCOMMIT on|off`, `\set ON_ERROR_ROLLBACK on|off`; `\set` alone shows them.
    Set(Option<(SetVar, bool)>),
    ConnInfo,
}

/// The psql variables pgdeck's `\set` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetVar {
    Autocommit,
    OnErrorRollback,
}

/// psql's boolean words for a variable value.
fn psql_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" | "1" | "t" | "y" => Some(true),
        "off" | "false" | "no" | "0" | "f" | "n" => Some(false),
        _ => None,
    }
}

fn parse_set(arg: &str) -> Result<Meta, String> {
    let mut words = arg.split_whitespace();
    let Some(name) = words.next() else {
        return Ok(Meta::Set(None));
    };
    let var = match name {
        "AUTOCOMMIT" => SetVar::Autocommit,
        "ON_ERROR_ROLLBACK" => SetVar::OnErrorRollback,
        other => {
            return Err(format!(
                "\\set {other}: pgdeck knows AUTOCOMMIT and ON_ERROR_ROLLBACK (names are case-sensitive, as in psql)"
            ));
        }
    };
    let value = words.next().unwrap_or("on");
    let on = psql_bool(value)
        .ok_or_else(|| format!("\\set {name}: unrecognized value \"{value}\": use on or off"))?;
    Ok(Meta::Set(Some((var, on))))
}

/// A psql name pattern as two anchored regexes (schema may be absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    pub schema: Option<String>,
    pub name: String,
}

/// Parse a meta-command line; `Err` names what is not supported.
pub fn parse(line: &str) -> Result<Meta, String> {
    let line = line.trim();
    let Some(rest) = line.strip_prefix('\\') else {
        return Err(format!("not a meta-command: {line}"));
    };
    let (cmd, arg) = match rest.find(char::is_whitespace) {
        Some(i) => (&rest[..i], rest[i..].trim()),
        None => (rest, ""),
    };
    // `+` (more detail) is accepted and ignored; `S` includes system objects.
    let base = cmd.trim_end_matches('+');
    let system = base.len() > 2 && base.ends_with('S') || base == "dS";
    let base = if system {
        &base[..base.len() - 1]
    } else {
        base
    };
    let pattern = if arg.is_empty() {
        None
    } else {
        Some(parse_pattern(arg.split_whitespace().next().unwrap_or(arg)))
    };
    Ok(match base {
        "d" => match pattern {
            Some(p) => Meta::Describe(Some(p)),
            None => Meta::Relations {
                kinds: "rpvmSf",
                pattern: None,
                system,
            },
        },
        "dt" => Meta::Relations {
            kinds: "rp",
            pattern,
            system,
        },
        "di" => Meta::Relations {
            kinds: "iI",
            pattern,
            system,
        },
        "dv" => Meta::Relations {
            kinds: "v",
            pattern,
            system,
        },
        "dm" => Meta::Relations {
            kinds: "m",
            pattern,
            system,
        },
        "ds" => Meta::Relations {
            kinds: "S",
            pattern,
            system,
        },
        "dE" => Meta::Relations {
            kinds: "f",
            pattern,
            system,
        },
        "df" => Meta::Functions { pattern, system },
        "dn" => Meta::Schemas { pattern, system },
        "du" | "dg" => Meta::Roles { pattern },
        "l" | "list" => Meta::Databases { pattern },
        "x" => Meta::Expanded(match arg {
            "" => None,
            "on" => Some(true),
            "off" => Some(false),
            other => {
                return Err(format!(
                    "\\x: unrecognized value \"{other}\": use on or off"
                ));
            }
        }),
        "conninfo" => Meta::ConnInfo,
        "set" => return parse_set(arg),
        _ => {
            return Err(format!(
                "\\{cmd} is not supported; pgdeck knows \\d \\dt \\di \\dv \\dm \\ds \\dE \\df \\dn \\du \\l \\x \\set \\conninfo"
            ));
        }
    })
}

/// psql's name pattern → anchored regexes for schema and name.
pub fn parse_pattern(p: &str) -> Pattern {
    let mut parts: Vec<String> = vec![String::new()];
    let mut in_quotes = false;
    let mut chars = p.chars().peekable();
    while let Some(c) = chars.next() {
        let cur = parts.last_mut().expect("never empty");
        match c {
            '"' if in_quotes && chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            '"' => in_quotes = !in_quotes,
            '.' if !in_quotes => parts.push(String::new()),
            '*' if !in_quotes => cur.push_str(".*"),
            '?' if !in_quotes => cur.push('.'),
            c => {
                let c = if in_quotes {
                    c
                } else {
                    c.to_lowercase().next().unwrap_or(c)
                };
                if "\\^$.|+()[]{}*?".contains(c) {
                    cur.push('\\');
                }
                cur.push(c);
            }
        }
    }
    let anchor = |s: &str| format!("^({s})$");
    match parts.len() {
        1 => Pattern {
            schema: None,
            name: anchor(&parts[0]),
        },
        // db.schema.name: the database part is ignored (pgdeck is connected to one)
        _ => {
            let n = parts.len();
            Pattern {
                schema: Some(anchor(&parts[n - 2])),
                name: anchor(&parts[n - 1]),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_knows_autocommit_and_on_error_rollback() {
        assert_eq!(
            parse("\\set AUTOCOMMIT off"),
            Ok(Meta::Set(Some((SetVar::Autocommit, false))))
        );
        assert_eq!(
            parse("\\set ON_ERROR_ROLLBACK"),
            Ok(Meta::Set(Some((SetVar::OnErrorRollback, true))))
        );
        assert_eq!(parse("\\set"), Ok(Meta::Set(None)));
        assert!(
            parse("\\set autocommit off").is_err(),
            "psql names are case-sensitive"
        );
        assert!(parse("\\set AUTOCOMMIT maybe").is_err());
        assert!(parse("\\set PROMPT1 x").is_err());
    }

    #[test]
    fn patterns_follow_psql() {
        assert_eq!(
            parse_pattern("Users"),
            Pattern {
                schema: None,
                name: "^(users)$".into()
            }
        );
        assert_eq!(
            parse_pattern("shop.order*"),
            Pattern {
                schema: Some("^(shop)$".into()),
                name: "^(order.*)$".into()
            }
        );
        assert_eq!(
            parse_pattern("\"My Table\""),
            Pattern {
                schema: None,
                name: "^(My Table)$".into()
            }
        );
        assert_eq!(
            parse_pattern("a?b"),
            Pattern {
                schema: None,
                name: "^(a.b)$".into()
            }
        );
        assert_eq!(
            parse_pattern("x$y"),
            Pattern {
                schema: None,
                name: "^(x\\$y)$".into()
            }
        );
        assert_eq!(
            parse_pattern("\"a.b\".c").schema.as_deref(),
            Some("^(a\\.b)$")
        );
    }

    #[test]
    fn commands() {
        assert_eq!(
            parse("\\d"),
            Ok(Meta::Relations {
                kinds: "rpvmSf",
                pattern: None,
                system: false
            })
        );
        assert!(matches!(parse("\\d users"), Ok(Meta::Describe(Some(_)))));
        assert!(matches!(
            parse("\\dt+ shop.*"),
            Ok(Meta::Relations {
                kinds: "rp",
                system: false,
                ..
            })
        ));
        assert!(matches!(
            parse("\\dtS"),
            Ok(Meta::Relations {
                kinds: "rp",
                system: true,
                ..
            })
        ));
        assert!(matches!(
            parse("\\dfS"),
            Ok(Meta::Functions { system: true, .. })
        ));
        assert_eq!(parse("\\x on"), Ok(Meta::Expanded(Some(true))));
        assert_eq!(parse("\\conninfo"), Ok(Meta::ConnInfo));
        assert!(parse("\\copy t to 'x'").is_err_and(|e| e.contains("not supported")));
    }
}
