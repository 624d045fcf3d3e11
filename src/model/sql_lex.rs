//! A PostgreSQL lexer with exactly the server's quoting rules: `'...'` with doubled quotes, `E'...'`
//! with backslash escapes, `$tag$...$tag$` bodies, `"quoted identifiers"`, nested `/* */` comments,
//! `--` comments, `$1` parameters, psql variables (`:name`, `:'name'`, `:"name"`) and backslash
//! meta-commands at the start of a line. It only classifies text; it never fails: unterminated quotes
//! and comments run to the end. The statement splitter and the editor's highlighter both use it, so
//! what is highlighted as a string is exactly what the splitter skips.

use std::ops::Range;

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokKind {
    Space,
    LineComment,
    BlockComment,
    /// `'...'` or `E'...'` (also `B'...'`, `X'...'`, `U&'...'`).
    String,
    /// `$tag$ ... $tag$`.
    DollarString,
    /// `"..."`.
    QuotedIdent,
    /// An identifier or keyword.
    Word,
    Number,
    /// `$1`.
    Param,
    /// `:name`, `:'name'`, `:"name"` (psql).
    PsqlVar,
    Semicolon,
    /// `(` or `[`.
    Open,
    /// `)` or `]`.
    Close,
    /// `,` and `.`.
    Punct,
    Operator,
    /// A backslash meta-command at the start of a line, up to the end of the line.
    Meta,
}

/// A token: its kind and byte range in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tok {
    pub kind: TokKind,
    pub range: Range<usize>,
}

/// Iterator over the tokens of a text.
pub struct Lexer<'a> {
    s: &'a str,
    b: &'a [u8],
    pos: usize,
    at_line_start: bool,
    /// The previous significant token was `::` or `.`, where `:name` is not a psql variable.
    after_colon_colon: bool,
}

impl<'a> Lexer<'a> {
    /// A lexer over `s`.
    pub fn new(s: &'a str) -> Self {
        Lexer {
            s,
            b: s.as_bytes(),
            pos: 0,
            at_line_start: true,
            after_colon_colon: false,
        }
    }

    fn peek(&self, off: usize) -> Option<u8> {
        self.b.get(self.pos + off).copied()
    }

    fn next_token(&mut self) -> Option<Tok> {
        let start = self.pos;
        let c = self.peek(0)?;
        let line_start = self.at_line_start;
        self.at_line_start = false;
        let kind = match c {
            b' ' | b'\t' | b'\r' | b'\n' | 0x0c => {
                while let Some(c) = self.peek(0) {
                    if !matches!(c, b' ' | b'\t' | b'\r' | b'\n' | 0x0c) {
                        break;
                    }
                    if c == b'\n' {
                        self.at_line_start = true;
                    }
                    self.pos += 1;
                }
                if !self.at_line_start {
                    // whitespace that did not cross a newline keeps the line-start flag of before
                    self.at_line_start = line_start;
                }
                return Some(Tok {
                    kind: TokKind::Space,
                    range: start..self.pos,
                });
            }
            b'\\' if line_start => {
                self.skip_to_eol();
                TokKind::Meta
            }
            b'-' if self.peek(1) == Some(b'-') => {
                self.skip_to_eol();
                return Some(Tok {
                    kind: TokKind::LineComment,
                    range: start..self.pos,
                });
            }
            b'/' if self.peek(1) == Some(b'*') => {
                self.pos += 2;
                let mut depth = 1;
                while depth > 0 {
                    match (self.peek(0), self.peek(1)) {
                        (None, _) => break,
                        (Some(b'/'), Some(b'*')) => {
                            depth += 1;
                            self.pos += 2;
                        }
                        (Some(b'*'), Some(b'/')) => {
                            depth -= 1;
                            self.pos += 2;
                        }
                        _ => self.pos += 1,
                    }
                }
                return Some(Tok {
                    kind: TokKind::BlockComment,
                    range: start..self.pos,
                });
            }
            b'\'' => {
                self.pos += 1;
                self.quoted(b'\'', false);
                TokKind::String
            }
            b'"' => {
                self.pos += 1;
                self.quoted(b'"', false);
                TokKind::QuotedIdent
            }
            b'e' | b'E' if self.peek(1) == Some(b'\'') => {
                self.pos += 2;
                self.quoted(b'\'', true);
                TokKind::String
            }
            b'b' | b'B' | b'x' | b'X' | b'n' | b'N' if self.peek(1) == Some(b'\'') => {
                self.pos += 2;
                self.quoted(b'\'', false);
                TokKind::String
            }
            b'u' | b'U' if self.peek(1) == Some(b'&') && self.peek(2) == Some(b'\'') => {
                self.pos += 3;
                self.quoted(b'\'', false);
                TokKind::String
            }
            b'u' | b'U' if self.peek(1) == Some(b'&') && self.peek(2) == Some(b'"') => {
                self.pos += 3;
                self.quoted(b'"', false);
                TokKind::QuotedIdent
            }
            b'$' => {
                if let Some(tag_len) = self.dollar_tag() {
                    let tag = &self.s[self.pos..self.pos + tag_len];
                    self.pos += tag_len;
                    match self.s[self.pos..].find(tag) {
                        Some(i) => self.pos += i + tag_len,
                        None => self.pos = self.b.len(),
                    }
                    TokKind::DollarString
                } else if self.peek(1).is_some_and(|c| c.is_ascii_digit()) {
                    self.pos += 1;
                    while self.peek(0).is_some_and(|c| c.is_ascii_digit()) {
                        self.pos += 1;
                    }
                    TokKind::Param
                } else {
                    self.pos += 1;
                    TokKind::Operator
                }
            }
            b':' if self.peek(1) == Some(b':') => {
                self.pos += 2;
                self.after_colon_colon = true;
                return Some(Tok {
                    kind: TokKind::Operator,
                    range: start..self.pos,
                });
            }
            b':' if !self.after_colon_colon && self.psql_var_len().is_some() => {
                self.pos += self.psql_var_len().unwrap_or(1);
                TokKind::PsqlVar
            }
            b';' => {
                self.pos += 1;
                TokKind::Semicolon
            }
            b'(' | b'[' => {
                self.pos += 1;
                TokKind::Open
            }
            b')' | b']' => {
                self.pos += 1;
                TokKind::Close
            }
            b',' => {
                self.pos += 1;
                TokKind::Punct
            }
            b'.' if !self.peek(1).is_some_and(|c| c.is_ascii_digit()) => {
                self.pos += 1;
                TokKind::Punct
            }
            b'0'..=b'9' | b'.' => {
                self.number();
                TokKind::Number
            }
            c if c == b'_' || c.is_ascii_alphabetic() || c >= 0x80 => {
                while let Some(c) = self.peek(0) {
                    if !(c == b'_' || c == b'$' || c.is_ascii_alphanumeric() || c >= 0x80) {
                        break;
                    }
                    self.pos += 1;
                }
                TokKind::Word
            }
            b'+' | b'-' | b'*' | b'/' | b'<' | b'>' | b'=' | b'~' | b'!' | b'@' | b'#' | b'%'
            | b'^' | b'&' | b'|' | b'`' | b'?' | b':' => {
                while let Some(c) = self.peek(0) {
                    let op = matches!(
                        c,
                        b'+' | b'*'
                            | b'<'
                            | b'>'
                            | b'='
                            | b'~'
                            | b'!'
                            | b'@'
                            | b'#'
                            | b'%'
                            | b'^'
                            | b'&'
                            | b'|'
                            | b'`'
                            | b'?'
                    ) || (c == b'-' && self.peek(1) != Some(b'-'))
                        || (c == b'/' && self.peek(1) != Some(b'*'));
                    if !op {
                        break;
                    }
                    self.pos += 1;
                }
                if self.pos == start {
                    self.pos += 1;
                }
                TokKind::Operator
            }
            _ => {
                // any other character (a whole UTF-8 sequence, so ranges stay on char boundaries)
                let ch_len = self.s[self.pos..].chars().next().map_or(1, char::len_utf8);
                self.pos += ch_len;
                TokKind::Operator
            }
        };
        self.after_colon_colon = false;
        Some(Tok {
            kind,
            range: start..self.pos,
        })
    }

    fn skip_to_eol(&mut self) {
        while let Some(c) = self.peek(0) {
            if c == b'\n' {
                break;
            }
            self.pos += 1;
        }
    }

    /// Consume a quoted body up to the closing quote; a doubled quote is an escaped one; with
    /// `backslash` (E'' strings) a backslash escapes the next character.
    fn quoted(&mut self, q: u8, backslash: bool) {
        while let Some(c) = self.peek(0) {
            if backslash && c == b'\\' {
                self.pos += 1;
                if let Some(ch) = self.s[self.pos..].chars().next() {
                    self.pos += ch.len_utf8();
                }
                continue;
            }
            self.pos += 1;
            if c == q {
                if self.peek(0) == Some(q) {
                    self.pos += 1;
                } else {
                    return;
                }
            }
        }
    }

    /// Length of a dollar-quote opening tag (`$$` or `$tag$`) at the current position.
    fn dollar_tag(&self) -> Option<usize> {
        let rest = &self.b[self.pos..];
        if rest.get(1) == Some(&b'$') {
            return Some(2);
        }
        let first = *rest.get(1)?;
        if !(first == b'_' || first.is_ascii_alphabetic() || first >= 0x80) {
            return None;
        }
        let mut i = 2;
        while let Some(&c) = rest.get(i) {
            if c == b'$' {
                return Some(i + 1);
            }
            if !(c == b'_' || c.is_ascii_alphanumeric() || c >= 0x80) {
                return None;
            }
            i += 1;
        }
        None
    }

    /// Length of a psql variable reference at the current `:`, if one starts here.
    fn psql_var_len(&self) -> Option<usize> {
        let rest = &self.b[self.pos..];
        match rest.get(1)? {
            q @ (b'\'' | b'"') => {
                let end = rest[2..].iter().position(|c| c == q)?;
                Some(end + 3)
            }
            c if *c == b'_' || c.is_ascii_alphabetic() => {
                let n = rest[1..]
                    .iter()
                    .take_while(|c| **c == b'_' || c.is_ascii_alphanumeric())
                    .count();
                Some(n + 1)
            }
            _ => None,
        }
    }

    fn number(&mut self) {
        // 0x/0o/0b literals and `_` separators (PostgreSQL 16) are included.
        if self.peek(0) == Some(b'0')
            && matches!(self.peek(1), Some(b'x' | b'X' | b'o' | b'O' | b'b' | b'B'))
        {
            self.pos += 2;
            while self
                .peek(0)
                .is_some_and(|c| c.is_ascii_hexdigit() || c == b'_')
            {
                self.pos += 1;
            }
            return;
        }
        let digits = |l: &mut Self| {
            while l.peek(0).is_some_and(|c| c.is_ascii_digit() || c == b'_') {
                l.pos += 1;
            }
        };
        digits(self);
        if self.peek(0) == Some(b'.') && self.peek(1) != Some(b'.') {
            self.pos += 1;
            digits(self);
        }
        if matches!(self.peek(0), Some(b'e' | b'E')) {
            let sign = usize::from(matches!(self.peek(1), Some(b'+' | b'-')));
            if self.peek(1 + sign).is_some_and(|c| c.is_ascii_digit()) {
                self.pos += 1 + sign;
                digits(self);
            }
        }
    }
}

impl Iterator for Lexer<'_> {
    type Item = Tok;
    fn next(&mut self) -> Option<Tok> {
        self.next_token()
    }
}

/// All tokens of `s`.
pub fn tokens(s: &str) -> Vec<Tok> {
    Lexer::new(s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use TokKind::*;

    fn kinds(s: &str) -> Vec<(TokKind, &str)> {
        tokens(s)
            .into_iter()
            .filter(|t| t.kind != Space)
            .map(|t| (t.kind, &s[t.range]))
            .collect()
    }

    #[test]
    fn strings_identifiers_and_comments() {
        assert_eq!(
            kinds("select 'it''s', E'a\\'b', \"Col\"\"x\" -- c\n/* a /* b */ */"),
            vec![
                (Word, "select"),
                (String, "'it''s'"),
                (Punct, ","),
                (String, "E'a\\'b'"),
                (Punct, ","),
                (QuotedIdent, "\"Col\"\"x\""),
                (LineComment, "-- c"),
                (BlockComment, "/* a /* b */ */"),
            ]
        );
    }

    #[test]
    fn dollar_quotes_params_and_psql_variables() {
        assert_eq!(
            kinds("$fn$ a $$ b $fn$ $1 :v :'s' :\"i\" x::int"),
            vec![
                (DollarString, "$fn$ a $$ b $fn$"),
                (Param, "$1"),
                (PsqlVar, ":v"),
                (PsqlVar, ":'s'"),
                (PsqlVar, ":\"i\""),
                (Word, "x"),
                (Operator, "::"),
                (Word, "int"),
            ]
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(
            kinds("1 1.5 .5 1e10 2.5E-3 0x1F 1_000 a.b"),
            vec![
                (Number, "1"),
                (Number, "1.5"),
                (Number, ".5"),
                (Number, "1e10"),
                (Number, "2.5E-3"),
                (Number, "0x1F"),
                (Number, "1_000"),
                (Word, "a"),
                (Punct, "."),
                (Word, "b"),
            ]
        );
    }

    #[test]
    fn operators_do_not_swallow_comments() {
        assert_eq!(
            kinds("a<>b+-- c\nd/*x*/"),
            vec![
                (Word, "a"),
                (Operator, "<>"),
                (Word, "b"),
                (Operator, "+"),
                (LineComment, "-- c"),
                (Word, "d"),
                (BlockComment, "/*x*/"),
            ]
        );
    }

    #[test]
    fn meta_commands_only_at_line_start() {
        assert_eq!(
            kinds("\\d users\nselect 1"),
            vec![(Meta, "\\d users"), (Word, "select"), (Number, "1")]
        );
        assert_eq!(
            kinds("select '\\d'"),
            vec![(Word, "select"), (String, "'\\d'")]
        );
    }

    proptest::proptest! {
        #[test]
        fn tokens_tile_the_text(s in "\\PC*") {
            let toks = tokens(&s);
            let mut pos = 0;
            for t in &toks {
                proptest::prop_assert_eq!(t.range.start, pos);
                proptest::prop_assert!(t.range.end > t.range.start);
                proptest::prop_assert!(s.is_char_boundary(t.range.end));
                pos = t.range.end;
            }
            proptest::prop_assert_eq!(pos, s.len());
        }
    }
}
