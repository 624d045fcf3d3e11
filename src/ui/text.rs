//! Text made safe and measured for the terminal. Data from the server must never move the cursor, clear
//! the screen or retitle the terminal, so every control character becomes a visible escape.

use std::borrow::Cow;

use unicode_width::UnicodeWidthChar;

pub use crate::model::text::{visible, width};

/// A statement on one line for lists: leading comments dropped (monitoring tools and ORMs put them
/// first, which hides the statement), runs of whitespace collapsed, control characters escaped.
pub fn one_line_sql(s: &str) -> String {
    let mut rest = s.trim_start();
    loop {
        if let Some(r) = rest.strip_prefix("--") {
            rest = r.find('\n').map_or("", |i| &r[i + 1..]).trim_start();
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.find("*/").map_or("", |i| &r[i + 2..]).trim_start();
        } else {
            break;
        }
    }
    // Nothing but comments: show the original rather than an empty cell.
    let text = if rest.is_empty() { s } else { rest };
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    visible(&collapsed).into_owned()
}

/// `s` cut to at most `max` columns, with `…` when it was cut.
pub fn truncate(s: &str, max: usize) -> Cow<'_, str> {
    if width(s) <= max {
        return Cow::Borrowed(s);
    }
    if max == 0 {
        return Cow::Borrowed("");
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > max - 1 {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    Cow::Owned(out)
}

/// Human form of a duration in seconds: `812 ms`, `4.2 s`, `3 min 5 s`, `2 h 10 min`, `3 d 4 h`.
pub fn duration(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return "-".into();
    }
    if secs < 1.0 {
        return format!("{:.0} ms", secs * 1000.0);
    }
    if secs < 60.0 {
        return format!("{secs:.1} s");
    }
    let s = secs as u64;
    if s < 3600 {
        format!("{} min {} s", s / 60, s % 60)
    } else if s < 86400 {
        format!("{} h {} min", s / 3600, (s % 3600) / 60)
    } else {
        format!("{} d {} h", s / 86400, (s % 86400) / 3600)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_visible_escapes() {
        assert_eq!(visible("plain"), "plain");
        assert!(matches!(visible("plain"), Cow::Borrowed(_)));
        assert_eq!(visible("a\nb\tc\r"), "a\\nb\\tc\\r");
        assert_eq!(visible("\x1b[2J\x1b]0;pwned\x07"), "\\e[2J\\e]0;pwned\\x07");
        assert_eq!(visible("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(visible("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(visible("\x7f"), "\\x7f");
    }

    #[test]
    fn one_line_sql_drops_leading_comments_and_collapses_space() {
        assert_eq!(
            one_line_sql("-- what it does\n/* more */  select\n  1,\t2"),
            "select 1, 2"
        );
        assert_eq!(one_line_sql("-- only a comment"), "-- only a comment");
        assert_eq!(one_line_sql("select '\x1b'"), "select '\\e'");
    }

    #[test]
    fn widths_and_truncation() {
        assert_eq!(width("日本語ab"), 8);
        assert_eq!(truncate("hello", 10), "hello");
        assert_eq!(truncate("hello world", 6), "hello…");
        assert_eq!(truncate("日本語", 4), "日…");
        assert_eq!(truncate("abc", 0), "");
    }

    #[test]
    fn durations() {
        assert_eq!(duration(0.0123), "12 ms");
        assert_eq!(duration(4.24), "4.2 s");
        assert_eq!(duration(185.0), "3 min 5 s");
        assert_eq!(duration(7800.0), "2 h 10 min");
        assert_eq!(duration(-1.0), "-");
    }

    proptest::proptest! {
        #[test]
        fn visible_output_has_no_control_characters(s in "\\PC*|[\\x00-\\x1f\\x7f-\\u{9f}]*") {
            proptest::prop_assert!(!visible(&s).chars().any(char::is_control));
        }
    }
}
