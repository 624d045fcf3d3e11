//! Paste clean-up, before either parser: psql frames in every linestyle and border (`|`, `│`, `║`,
//! `+---+`, box drawing), DBeaver's trailing `|`, psql's `+`/`↵` continuation marks, the `QUERY PLAN`
//! header, the `(N rows)` footer in any language, `#` comment lines, and the log prefix auto_explain
//! writes. Each kept line remembers its line number in the input, so errors can name it. Keeps the
//! trailing blanks of unframed lines: a terminal that wrapped a line cut it mid-word, and the text
//! parser glues the pieces back exactly.

/// A line of the input after clean-up (a slice of it: nothing is copied), with its 1-based
/// number in the input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Line<'a> {
    pub no: usize,
    pub text: &'a str,
}

/// `char::is_whitespace` on an ASCII byte.
fn ascii_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// `str::trim_start`, fast over ASCII blanks: plan lines are indented by up to hundreds of
/// spaces and trimmed at every step, and the standard one decodes each as a `char`. Falls back
/// to it at the first non-ASCII byte (which may be a Unicode blank), so the result is the same.
pub fn trim_start(s: &str) -> &str {
    let n = s.bytes().take_while(|b| ascii_blank(*b)).count();
    let rest = &s[n..];
    if rest.as_bytes().first().is_some_and(|b| !b.is_ascii()) {
        rest.trim_start()
    } else {
        rest
    }
}

/// `str::trim_end`, fast over ASCII blanks (see [`trim_start`]).
pub fn trim_end(s: &str) -> &str {
    let n = s.bytes().rev().take_while(|b| ascii_blank(*b)).count();
    let rest = &s[..s.len() - n];
    if rest.as_bytes().last().is_some_and(|b| !b.is_ascii()) {
        rest.trim_end()
    } else {
        rest
    }
}

/// `str::trim`, fast over ASCII blanks (see [`trim_start`]).
pub fn trim(s: &str) -> &str {
    trim_end(trim_start(s))
}

const FRAME_CHARS: &str = "-+=|─│┌┐└┘├┤┬┴┼═║╔╗╚╝╠╣╦╩╬╤╧╪╞╡╟╢╫╥╨╒╕╘╛╓╖╙╜━┃┏┓┗┛┣┫┳┻╋\u{FFFD}";
const SIDE_CHARS: [char; 4] = ['|', '│', '║', '┃'];

/// Whether a line, already trimmed, is a frame line (`+----+`, `├───┤`).
fn is_frame_line(t: &str) -> bool {
    if t.is_empty() {
        return false;
    }
    let mut dashes = 0;
    for c in t.chars() {
        if c == ' ' {
            continue;
        }
        if !FRAME_CHARS.contains(c) {
            return false;
        }
        if matches!(c, '-' | '─' | '═' | '━') {
            dashes += 1;
        }
    }
    dashes >= 3 || t.chars().all(|c| c == '-' || c == '─')
}

fn is_footer(t: &str) -> bool {
    // `(9 rows)`, `(1 row)`, `(5 lignes)`, `(3 Zeilen)`
    let Some(inner) = t.strip_prefix('(').and_then(|r| r.strip_suffix(')')) else {
        return false;
    };
    let mut parts = inner.split_whitespace();
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some(n), Some(w), None) if n.chars().all(|c| c.is_ascii_digit()) && w.chars().all(char::is_alphabetic)
    )
}

/// Strip the frame of one line; returns the content and whether anything was taken away.
fn strip_frame(raw: &str) -> (&str, bool) {
    let mut s = raw;
    let mut framed = false;
    let lead = trim_start(s);
    if let Some(c) = lead.chars().next().filter(|c| SIDE_CHARS.contains(c)) {
        s = &lead[c.len_utf8()..];
        s = s.strip_prefix(' ').unwrap_or(s);
        framed = true;
    }
    let trail = trim_end(s);
    if let Some(c) = trail.chars().last().filter(|c| SIDE_CHARS.contains(c)) {
        s = &trail[..trail.len() - c.len_utf8()];
        framed = true;
    }
    // psql's continuation marks for multi-line cells: ` +` (ascii) and `↵` (unicode).
    let t = trim_end(s);
    if let Some(rest) = t.strip_suffix('↵') {
        return (trim_end(rest), true);
    }
    if let Some(rest) = t.strip_suffix('+')
        && !rest.ends_with('+')
    {
        return (trim_end(rest), true);
    }
    if framed { (t, true) } else { (s, false) }
}

/// Clean a pasted plan into content lines.
pub fn clean(input: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    let mut raw_lines: Vec<(usize, &str)> = input
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
        .collect();
    // auto_explain in the server log: `... LOG:  duration: 1.2 ms  plan:` then `Query Text: ...`.
    if let Some(pos) = raw_lines
        .iter()
        .position(|(_, l)| l.contains("duration:") && trim_end(l).ends_with("plan:"))
    {
        raw_lines.drain(..=pos);
        if let Some((_, first)) = raw_lines.first()
            && first.trim_start().starts_with("Query Text:")
        {
            raw_lines.remove(0);
        }
    }
    for (no, raw) in raw_lines {
        if is_frame_line(trim(raw)) {
            continue;
        }
        let (text, _) = strip_frame(raw);
        let t = trim(text);
        if t.is_empty() || t == "QUERY PLAN" || t.starts_with('#') || is_footer(t) {
            continue;
        }
        out.push(Line { no, text });
    }
    out
}

/// Whether the cleaned lines hold a JSON plan (rather than text).
pub fn looks_like_json(lines: &[Line]) -> bool {
    lines.first().is_some_and(|l| {
        let t = l.text.trim();
        let t = t.strip_prefix('"').unwrap_or(t).trim_start();
        t == "["
            || t == "{"
            || t.starts_with("[{")
            || t.starts_with("{\"")
            || t.starts_with("[ ")
            || t.starts_with("{ ")
            || t.starts_with("[\"")
    })
}

/// Whether some line opens a JSON block on its own (JSON after other text).
pub fn has_json_block(lines: &[Line]) -> bool {
    lines.iter().any(|l| matches!(l.text.trim(), "[" | "{"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_and_footers_go() {
        let lines = clean(
            "+------+\n| QUERY PLAN |\n+------+\n| Seq Scan on t  (cost=0.00..1.00 rows=1 width=4) |\n(1 row)\n",
        );
        assert_eq!(lines.len(), 1);
        assert_eq!(
            lines[0].text,
            "Seq Scan on t  (cost=0.00..1.00 rows=1 width=4)"
        );
        assert_eq!(lines[0].no, 4);
    }

    #[test]
    fn continuation_marks_go() {
        let lines = clean(" [         +\n   {       ↵\n");
        assert_eq!(lines[0].text, " [");
        assert_eq!(lines[1].text, "   {");
    }

    #[test]
    fn unframed_lines_keep_trailing_blanks() {
        let lines = clean(" Sort  (cost=1 \nrows=0)");
        assert_eq!(lines[0].text, " Sort  (cost=1 ");
    }

    #[test]
    fn fast_trims_match_the_standard_ones() {
        for s in [
            "",
            "   ",
            "  a b  ",
            "\t\x0b\x0c x \r\n",
            "\u{a0} x \u{3000}",
            "  \u{a0}\u{2003} é \u{a0}  ",
            "é",
            "x\u{85}",
        ] {
            assert_eq!(trim_start(s), s.trim_start(), "{s:?}");
            assert_eq!(trim_end(s), s.trim_end(), "{s:?}");
            assert_eq!(trim(s), s.trim(), "{s:?}");
        }
    }

    #[test]
    fn footer_in_other_languages() {
        assert!(is_footer("(8 lignes)"));
        assert!(is_footer("(1 row)"));
        assert!(!is_footer("(cost=1)"));
    }
}
