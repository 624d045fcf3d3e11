//! Rows as a psql-style aligned table (`pgdeck query --format table`), written as they stream.
//! psql measures every row before printing the first one, which means holding the whole result;
//! this writer measures the first [`SAMPLE_ROWS`] rows only, prints them, and prints later rows
//! with the same widths (a longer value widens its own line, nothing is cut). Control characters
//! in data are shown as visible escapes, so a value can never move the terminal's cursor.

use std::io::{self, Write};

use super::text::{visible, width};

/// How many rows decide the column widths.
pub const SAMPLE_ROWS: usize = 1000;

/// Writes one result as an aligned table; call `row` per row, then `finish`.
pub struct TableWriter<W: Write> {
    out: W,
    columns: Vec<String>,
    right: Vec<bool>,
    /// Rows held until the widths are known (at most [`SAMPLE_ROWS`]).
    sample: Vec<Vec<Option<String>>>,
    /// Set once the header is out.
    widths: Option<Vec<usize>>,
    rows: u64,
}

impl<W: Write> TableWriter<W> {
    /// A table with these column names; `right[i]` aligns column `i` to the right (numbers).
    pub fn new(out: W, columns: Vec<String>, right: Vec<bool>) -> Self {
        let columns: Vec<String> = columns.iter().map(|c| visible(c).into_owned()).collect();
        TableWriter {
            out,
            columns,
            right,
            sample: Vec::new(),
            widths: None,
            rows: 0,
        }
    }

    /// One row (`None` is NULL, shown as nothing, as psql does by default).
    pub fn row<'a>(&mut self, cells: impl IntoIterator<Item = Option<&'a str>>) -> io::Result<()> {
        self.rows += 1;
        let cells: Vec<Option<String>> = cells
            .into_iter()
            .map(|c| c.map(|v| visible(v).into_owned()))
            .collect();
        match &self.widths {
            Some(widths) => {
                let widths = widths.clone();
                self.write_row(&widths, &cells)
            }
            None => {
                self.sample.push(cells);
                if self.sample.len() >= SAMPLE_ROWS {
                    self.flush_sample()?;
                }
                Ok(())
            }
        }
    }

    /// Print what is held, the footer (`(3 rows)`) and a blank line; returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        if self.widths.is_none() {
            self.flush_sample()?;
        }
        let noun = if self.rows == 1 { "row" } else { "rows" };
        writeln!(self.out, "({} {noun})", self.rows)?;
        writeln!(self.out)?;
        Ok(self.out)
    }

    /// The result failed midway: print the rows received (if any) without a footer.
    pub fn abandon(mut self) -> io::Result<W> {
        if self.widths.is_none() && !self.sample.is_empty() {
            self.flush_sample()?;
        }
        Ok(self.out)
    }

    fn flush_sample(&mut self) -> io::Result<()> {
        if self.columns.is_empty() {
            // psql draws a result without columns as a bare rule.
            writeln!(self.out, "--")?;
            self.widths = Some(Vec::new());
            return Ok(());
        }
        let mut widths: Vec<usize> = self.columns.iter().map(|c| width(c)).collect();
        for row in &self.sample {
            for (i, cell) in row.iter().enumerate() {
                if let (Some(w), Some(v)) = (widths.get_mut(i), cell) {
                    *w = (*w).max(width(v));
                }
            }
        }
        // Header: names centred, as psql does.
        let mut line = String::new();
        for (i, name) in self.columns.iter().enumerate() {
            if i > 0 {
                line.push('|');
            }
            let room = widths[i].saturating_sub(width(name));
            let left = room / 2;
            line.push(' ');
            line.push_str(&" ".repeat(left));
            line.push_str(name);
            line.push_str(&" ".repeat(room - left));
            line.push(' ');
        }
        writeln!(self.out, "{line}")?;
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(w + 2)).collect();
        writeln!(self.out, "{}", rule.join("+"))?;
        let sample = std::mem::take(&mut self.sample);
        for row in &sample {
            self.write_row(&widths, row)?;
        }
        self.widths = Some(widths);
        Ok(())
    }

    fn write_row(&mut self, widths: &[usize], cells: &[Option<String>]) -> io::Result<()> {
        let mut line = String::new();
        let last = cells.len().saturating_sub(1);
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                line.push('|');
            }
            let v = cell.as_deref().unwrap_or("");
            let pad = widths.get(i).copied().unwrap_or(0).saturating_sub(width(v));
            line.push(' ');
            if self.right.get(i).copied().unwrap_or(false) {
                line.push_str(&" ".repeat(pad));
                line.push_str(v);
            } else {
                line.push_str(v);
                // psql leaves no padding after the last column.
                if i < last {
                    line.push_str(&" ".repeat(pad));
                }
            }
            if i < last {
                line.push(' ');
            }
        }
        writeln!(self.out, "{line}")
    }
}

/// Whether a column of this type (`pg_type.oid`) is right-aligned, as psql does for numbers.
pub fn is_numeric_type(oid: u32) -> bool {
    // int8, int2, int4, oid, float4, float8, money, numeric, xid, cid
    matches!(oid, 20 | 21 | 23 | 26 | 700 | 701 | 790 | 1700 | 28 | 29)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(cols: &[&str], right: &[bool], rows: &[Vec<Option<&str>>]) -> String {
        let mut t = TableWriter::new(
            Vec::new(),
            cols.iter().map(|c| c.to_string()).collect(),
            right.to_vec(),
        );
        for r in rows {
            t.row(r.iter().copied()).expect("row");
        }
        String::from_utf8(t.finish().expect("finish")).expect("utf8")
    }

    #[test]
    fn looks_like_psql() {
        // psql -X -c "select 1 as a, 'hello' as b"
        assert_eq!(
            table(
                &["a", "b"],
                &[true, false],
                &[vec![Some("1"), Some("hello")]]
            ),
            " a |   b   \n---+-------\n 1 | hello\n(1 row)\n\n"
        );
        assert_eq!(
            table(&["n"], &[true], &[vec![Some("10")], vec![Some("7")]]),
            " n  \n----\n 10\n  7\n(2 rows)\n\n"
        );
    }

    #[test]
    fn null_is_blank_and_control_characters_are_escaped() {
        let out = table(
            &["x", "y"],
            &[false, false],
            &[vec![None, Some("a\x1b[2Jb\nc")]],
        );
        assert!(out.contains(" x |     y      \n"), "{out}");
        assert!(out.contains("   | a\\e[2Jb\\nc\n"), "{out}");
        assert!(!out.contains('\x1b'));
    }

    #[test]
    fn wide_characters_are_measured_by_display_width() {
        let out = table(&["w"], &[false], &[vec![Some("日本")]]);
        assert_eq!(out, "  w   \n------\n 日本\n(1 row)\n\n");
    }

    #[test]
    fn rows_after_the_sample_keep_the_widths() {
        let mut rows: Vec<Vec<Option<&str>>> = vec![vec![Some("ab"), Some("x")]; SAMPLE_ROWS];
        rows.push(vec![Some("abcdef"), Some("y")]);
        let out = table(&["c", "d"], &[false, false], &rows);
        assert!(out.contains("\n abcdef | y\n"), "{out}");
        assert!(out.starts_with(" c  | d \n----+---\n"), "{out}");
        assert!(out.ends_with("(1001 rows)\n\n"));
    }

    #[test]
    fn a_failed_result_shows_the_rows_received_without_a_footer() {
        let mut t = TableWriter::new(Vec::new(), vec!["a".into()], vec![true]);
        t.row([Some("1")]).expect("row");
        let out = String::from_utf8(t.abandon().expect("abandon")).expect("utf8");
        assert_eq!(out, " a \n---\n 1\n");
        let t = TableWriter::new(Vec::new(), vec!["a".into()], vec![true]);
        assert!(t.abandon().expect("abandon").is_empty());
    }

    #[test]
    fn zero_columns_look_like_psql() {
        // psql -X -c "select from generate_series(1,3)"
        let out = table(&[], &[], &[vec![], vec![], vec![]]);
        assert_eq!(out, "--\n(3 rows)\n\n");
    }

    #[test]
    fn no_rows_still_prints_the_header() {
        assert_eq!(table(&["a"], &[false], &[]), " a \n---\n(0 rows)\n\n");
    }
}
