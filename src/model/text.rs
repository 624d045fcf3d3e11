//! Text made safe and measured for a terminal, shared by the UI and the headless table output:
//! data from the server must never move the cursor, clear the screen or retitle the terminal, so
//! every control character becomes a visible escape. Pure: no terminal IO here.

use std::borrow::Cow;

use unicode_width::UnicodeWidthChar;

/// `s` with control characters (C0, DEL, C1) shown as visible escapes: `\n`, `\t`, `\r`, `\e`, `\x07`,
/// `\u{9b}`. Borrowed when there is nothing to escape, which is the common case.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\x1b' => out.push_str("\\e"),
            c if (c as u32) < 0x20 || c == '\x7f' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if is_control(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn is_control(c: char) -> bool {
    c.is_control()
        // bidi overrides and isolates can reorder what the terminal shows
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Display width of `s` in terminal columns.
pub fn width(s: &str) -> usize {
    s.chars().map(|c| c.width().unwrap_or(0)).sum()
}
