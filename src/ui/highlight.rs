//! Syntax highlighting for the editor: the SQL lexer's tokens become styles per line, painted over
//! the text the textarea has drawn. Classification is pure (unit-tested); painting only sets colours
//! of cells already drawn, so selection and cursor stay as the textarea made them.

use std::ops::Range;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use unicode_width::UnicodeWidthChar;

use crate::model::sql_keywords::{is_keyword, is_type};
use crate::model::sql_lex::{Lexer, TokKind};
use crate::theme::Theme;

/// What a piece of SQL is, for colouring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Keyword,
    Type,
    Function,
    String,
    Number,
    Comment,
    Identifier,
    Operator,
    /// psql variables and meta-commands.
    Psql,
}

impl Class {
    pub fn style(self, t: &Theme) -> Style {
        match self {
            Class::Keyword => t.syntax_keyword,
            Class::Type => t.syntax_type,
            Class::Function => t.syntax_function,
            Class::String => t.syntax_string,
            Class::Number => t.syntax_number,
            Class::Comment => t.syntax_comment,
            Class::Identifier => t.syntax_identifier,
            Class::Operator => t.syntax_operator,
            Class::Psql => t.accent,
        }
    }
}

/// Coloured byte ranges of each line of `text` (lines split at `\n`).
pub type LineSpans = Vec<Vec<(Range<usize>, Class)>>;

/// Classify `text`. Tokens spanning lines (comments, strings, dollar bodies) are cut at line ends.
pub fn classify(text: &str) -> LineSpans {
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let mut out: LineSpans = vec![Vec::new(); line_starts.len()];
    let toks: Vec<_> = Lexer::new(text)
        .filter(|t| t.kind != TokKind::Space)
        .collect();
    for (i, tok) in toks.iter().enumerate() {
        let class = match tok.kind {
            TokKind::Space | TokKind::Semicolon | TokKind::Punct => continue,
            TokKind::Open | TokKind::Close => continue,
            TokKind::LineComment | TokKind::BlockComment => Class::Comment,
            TokKind::String | TokKind::DollarString => Class::String,
            TokKind::QuotedIdent => Class::Identifier,
            TokKind::Number | TokKind::Param => Class::Number,
            TokKind::PsqlVar | TokKind::Meta => Class::Psql,
            TokKind::Operator => Class::Operator,
            TokKind::Word => {
                let w = &text[tok.range.clone()];
                let call = toks.get(i + 1).is_some_and(|n| {
                    n.kind == TokKind::Open && text[n.range.clone()].starts_with('(')
                });
                if is_type(w) {
                    Class::Type
                } else if is_keyword(w) {
                    Class::Keyword
                } else if call {
                    Class::Function
                } else {
                    continue;
                }
            }
        };
        // cut the token at line boundaries
        let first = line_starts.partition_point(|&s| s <= tok.range.start) - 1;
        let mut line = first;
        let mut start = tok.range.start;
        while start < tok.range.end && line < line_starts.len() {
            let line_end = line_starts
                .get(line + 1)
                .map_or(text.len(), |&next| next - 1);
            let end = tok.range.end.min(line_end);
            if end > start {
                let base = line_starts[line];
                out[line].push((start - base..end - base, class));
            }
            line += 1;
            start = line_starts.get(line).copied().unwrap_or(tok.range.end);
        }
    }
    out
}

/// Where the textarea drew its text, to paint colours onto it.
pub struct Viewport {
    /// The area inside the block.
    pub inner: Rect,
    /// First data row shown and first display column shown (the gutter scrolls with the text).
    pub top_row: usize,
    pub top_col: usize,
    /// Width of the line-number gutter.
    pub gutter: usize,
    pub tab_len: usize,
}

/// Paint the classes of the visible lines onto `buf`.
pub fn paint(buf: &mut Buffer, vp: &Viewport, lines: &[String], spans: &LineSpans, theme: &Theme) {
    for row in 0..vp.inner.height as usize {
        let data_row = vp.top_row + row;
        let (Some(line), Some(line_spans)) = (lines.get(data_row), spans.get(data_row)) else {
            break;
        };
        if line_spans.is_empty() {
            continue;
        }
        // display column of each char start, as the textarea lays it out (tabs to the next stop)
        let mut col = 0usize;
        let mut cols: Vec<(usize, usize, usize)> = Vec::with_capacity(line.len());
        for (b, ch) in line.char_indices() {
            let w = if ch == '\t' {
                vp.tab_len.max(1) - col % vp.tab_len.max(1)
            } else {
                ch.width().unwrap_or(0)
            };
            cols.push((b, col, w));
            col += w;
        }
        let y = vp.inner.y + row as u16;
        for (range, class) in line_spans {
            let style = class.style(theme);
            for &(b, c, w) in &cols {
                if b < range.start {
                    continue;
                }
                if b >= range.end {
                    break;
                }
                for dx in 0..w.max(1) {
                    let abs = vp.gutter + c + dx;
                    if abs < vp.top_col || abs - vp.top_col >= vp.inner.width as usize {
                        continue;
                    }
                    let x = vp.inner.x + (abs - vp.top_col) as u16;
                    if let Some(cell) = buf.cell_mut((x, y))
                        && let Some(fg) = style.fg
                    {
                        cell.fg = fg;
                        cell.modifier |= style.add_modifier;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes(text: &str) -> Vec<Vec<(&str, Class)>> {
        let lines: Vec<&str> = text.split('\n').collect();
        classify(text)
            .into_iter()
            .enumerate()
            .map(|(i, spans)| spans.into_iter().map(|(r, c)| (&lines[i][r], c)).collect())
            .collect()
    }

    #[test]
    fn words_strings_numbers_comments() {
        let c = classes("select count(*)::bigint, 'a', 42 from users -- note");
        assert_eq!(
            c[0],
            vec![
                ("select", Class::Keyword),
                ("count", Class::Function),
                ("*", Class::Operator),
                ("::", Class::Operator),
                ("bigint", Class::Type),
                ("'a'", Class::String),
                ("42", Class::Number),
                ("from", Class::Keyword),
                ("-- note", Class::Comment),
            ]
        );
    }

    #[test]
    fn multi_line_tokens_are_cut_per_line() {
        let c = classes("select $$a\nb$$, /* x\ny */ :v\n\\dt");
        assert_eq!(
            c[0],
            vec![("select", Class::Keyword), ("$$a", Class::String)]
        );
        assert_eq!(c[1], vec![("b$$", Class::String), ("/* x", Class::Comment)]);
        assert_eq!(c[2], vec![("y */", Class::Comment), (":v", Class::Psql)]);
        assert_eq!(c[3], vec![("\\dt", Class::Psql)]);
    }

    #[test]
    fn e_strings_and_quoted_identifiers() {
        let c = classes("select E'it\\'s', \"My Col\" from t");
        assert_eq!(c[0][1], ("E'it\\'s'", Class::String));
        assert_eq!(c[0][2], ("\"My Col\"", Class::Identifier));
    }
}
