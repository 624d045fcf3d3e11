//! Result rows written as TSV, CSV, JSON or Markdown, one row at a time, for the clipboard, file
//! exports and `pgdeck query`. CSV follows `psql --csv` byte for byte: a field is quoted when it
//! holds a comma, a double quote, a newline or a carriage return, or is exactly `\.`; NULL and the
//! empty string both print as nothing, as psql does.

use std::io::{self, Write};

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Tsv,
    Csv,
    Json,
    Markdown,
}

impl Format {
    /// From a name or a file extension (`csv`, `tsv`, `json`, `md`/`markdown`).
    pub fn from_name(s: &str) -> Option<Format> {
        Some(match s.to_ascii_lowercase().as_str() {
            "tsv" | "txt" => Format::Tsv,
            "csv" => Format::Csv,
            "json" => Format::Json,
            "md" | "markdown" => Format::Markdown,
            _ => return None,
        })
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Tsv => "tsv",
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Markdown => "md",
        }
    }
}

/// Writes rows in one format; call `header` once, `row` per row, then `finish`.
pub struct RowWriter<W: Write> {
    out: W,
    format: Format,
    columns: Vec<String>,
    /// How JSON writes each column's values; empty means all as strings.
    kinds: Vec<JsonKind>,
    rows: u64,
}

/// How a column's text value is written in JSON, from its PostgreSQL type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonKind {
    /// A JSON string.
    Text,
    /// A JSON number (int2/4/8, oid, float4/8, numeric); NaN and infinities stay strings.
    Number,
    /// `true`/`false` from `t`/`f`.
    Bool,
    /// json and jsonb values, embedded as they are.
    Json,
}

impl JsonKind {
    /// The kind for a type oid (`pg_type.oid`).
    pub fn of_type(oid: u32) -> JsonKind {
        match oid {
            20 | 21 | 23 | 26 | 700 | 701 | 1700 => JsonKind::Number,
            16 => JsonKind::Bool,
            114 | 3802 => JsonKind::Json,
            _ => JsonKind::Text,
        }
    }
}

/// Whether `v` is a JSON number as written (PostgreSQL's numeric output is; `NaN`, `Infinity` and
/// `-Infinity` are not).
fn is_json_number(v: &str) -> bool {
    let b = v.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let int_start = i;
    let n = digits(&mut i);
    if n == 0 || (n > 1 && b[int_start] == b'0') {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

impl<W: Write> RowWriter<W> {
    /// A writer for rows with these column names.
    pub fn new(out: W, format: Format, columns: Vec<String>) -> Self {
        RowWriter {
            out,
            format,
            columns,
            kinds: Vec::new(),
            rows: 0,
        }
    }

    /// JSON writes numbers, booleans and json values as such (kinds per column, from the types).
    pub fn with_json_kinds(mut self, kinds: Vec<JsonKind>) -> Self {
        self.kinds = kinds;
        self
    }

    /// Write the header (column names).
    pub fn header(&mut self) -> io::Result<()> {
        match self.format {
            Format::Csv => {
                let line: Vec<String> = self
                    .columns
                    .iter()
                    .map(|c| csv_field(c).into_owned())
                    .collect();
                writeln!(self.out, "{}", line.join(","))
            }
            Format::Tsv => {
                let line: Vec<String> = self.columns.iter().map(|c| tsv_field(c)).collect();
                writeln!(self.out, "{}", line.join("\t"))
            }
            Format::Markdown => {
                let names: Vec<String> = self.columns.iter().map(|c| md_field(c)).collect();
                writeln!(self.out, "| {} |", names.join(" | "))?;
                let seps: Vec<&str> = self.columns.iter().map(|_| "---").collect();
                writeln!(self.out, "|{}|", seps.join("|"))
            }
            Format::Json => write!(self.out, "["),
        }
    }

    /// Write one row of raw cell bytes as the server sent them (`None` is NULL). CSV writes the
    /// bytes as they are, as psql does (its quoting only looks at ASCII); the other formats need
    /// text and show invalid UTF-8 with replacement characters.
    pub fn row_bytes<'a>(
        &mut self,
        cells: impl IntoIterator<Item = Option<&'a [u8]>>,
    ) -> io::Result<()> {
        if self.format != Format::Csv {
            let cells: Vec<Option<std::borrow::Cow<'a, str>>> = cells
                .into_iter()
                .map(|c| c.map(String::from_utf8_lossy))
                .collect();
            return self.row(cells.iter().map(|c| c.as_deref()));
        }
        let mut first = true;
        for c in cells {
            if !first {
                self.out.write_all(b",")?;
            }
            first = false;
            if let Some(v) = c {
                write_csv_field(&mut self.out, v)?;
            }
        }
        self.out.write_all(b"\n")?;
        self.rows += 1;
        Ok(())
    }

    /// Write one row (`None` is NULL).
    pub fn row<'a>(&mut self, cells: impl IntoIterator<Item = Option<&'a str>>) -> io::Result<()> {
        match self.format {
            Format::Csv => {
                let mut first = true;
                for c in cells {
                    if !first {
                        self.out.write_all(b",")?;
                    }
                    first = false;
                    if let Some(v) = c {
                        self.out.write_all(csv_field(v).as_bytes())?;
                    }
                }
                self.out.write_all(b"\n")?;
            }
            Format::Tsv => {
                let line: Vec<String> = cells
                    .into_iter()
                    .map(|c| c.map(tsv_field).unwrap_or_default())
                    .collect();
                writeln!(self.out, "{}", line.join("\t"))?;
            }
            Format::Markdown => {
                let line: Vec<String> = cells
                    .into_iter()
                    .map(|c| c.map(md_field).unwrap_or_default())
                    .collect();
                writeln!(self.out, "| {} |", line.join(" | "))?;
            }
            Format::Json => {
                if self.rows > 0 {
                    self.out.write_all(b",")?;
                }
                self.out.write_all(b"\n  {")?;
                for (i, c) in cells.into_iter().enumerate() {
                    if i > 0 {
                        self.out.write_all(b", ")?;
                    }
                    let name = self.columns.get(i).map(String::as_str).unwrap_or("?");
                    serde_json::to_writer(&mut self.out, name)?;
                    self.out.write_all(b": ")?;
                    let kind = self.kinds.get(i).copied().unwrap_or(JsonKind::Text);
                    match (c, kind) {
                        (None, _) => self.out.write_all(b"null")?,
                        (Some(v), JsonKind::Number) if is_json_number(v) => {
                            self.out.write_all(v.as_bytes())?
                        }
                        (Some("t"), JsonKind::Bool) => self.out.write_all(b"true")?,
                        (Some("f"), JsonKind::Bool) => self.out.write_all(b"false")?,
                        // The server only ever prints valid JSON for json and jsonb.
                        (Some(v), JsonKind::Json) => self.out.write_all(v.as_bytes())?,
                        (Some(v), _) => serde_json::to_writer(&mut self.out, v)?,
                    }
                }
                self.out.write_all(b"}")?;
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// The writer, without closing anything (a result that ended in an error before its header).
    pub fn into_inner(self) -> W {
        self.out
    }

    /// Close the output (JSON's bracket) and flush; returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        if self.format == Format::Json {
            self.out
                .write_all(if self.rows > 0 { b"\n]\n" } else { b"]\n" })?;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Whether psql --csv quotes this field: it holds a comma, a double quote, a newline or a carriage
/// return, or is exactly `\.` (which would end COPY data).
fn csv_needs_quotes(v: &[u8]) -> bool {
    v == b"\\." || v.iter().any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
}

/// A CSV field's bytes as psql --csv writes them.
fn write_csv_field(out: &mut impl Write, v: &[u8]) -> io::Result<()> {
    if !csv_needs_quotes(v) {
        return out.write_all(v);
    }
    out.write_all(b"\"")?;
    for (i, part) in v.split(|&b| b == b'"').enumerate() {
        if i > 0 {
            out.write_all(b"\"\"")?;
        }
        out.write_all(part)?;
    }
    out.write_all(b"\"")
}

/// A CSV field as psql --csv writes it.
pub fn csv_field(v: &str) -> std::borrow::Cow<'_, str> {
    if csv_needs_quotes(v.as_bytes()) {
        std::borrow::Cow::Owned(format!("\"{}\"", v.replace('"', "\"\"")))
    } else {
        std::borrow::Cow::Borrowed(v)
    }
}

/// A TSV field: tabs, newlines and backslashes escaped as in COPY's text format.
fn tsv_field(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

/// A Markdown table cell: pipes escaped, newlines as <br>.
fn md_field(v: &str) -> String {
    v.replace('|', "\\|")
        .replace("\r\n", "<br>")
        .replace('\n', "<br>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_numbers_booleans_and_json_keep_their_type() {
        let mut w = RowWriter::new(
            Vec::new(),
            Format::Json,
            vec![
                "i".into(),
                "n".into(),
                "f".into(),
                "b".into(),
                "j".into(),
                "t".into(),
            ],
        )
        .with_json_kinds(vec![
            JsonKind::of_type(23),
            JsonKind::of_type(1700),
            JsonKind::of_type(701),
            JsonKind::of_type(16),
            JsonKind::of_type(3802),
            JsonKind::of_type(25),
        ]);
        w.header().expect("header");
        w.row([
            Some("-42"),
            Some("1.50"),
            Some("1e+100"),
            Some("t"),
            Some("{\"a\": [1]}"),
            Some("7"),
        ])
        .expect("row");
        w.row([
            None,
            Some("NaN"),
            Some("-Infinity"),
            Some("f"),
            Some("null"),
            None,
        ])
        .expect("row");
        let out = String::from_utf8(w.finish().expect("finish")).expect("utf8");
        let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
        assert_eq!(
            v,
            serde_json::json!([
                {"i": -42, "n": 1.50, "f": 1e100, "b": true, "j": {"a": [1]}, "t": "7"},
                {"i": null, "n": "NaN", "f": "-Infinity", "b": false, "j": null, "t": null}
            ])
        );
        assert!(
            out.contains("\"n\": 1.50"),
            "numeric digits kept as written: {out}"
        );
    }

    #[test]
    fn csv_bytes_and_text_agree() {
        let values: &[Option<&str>] = &[
            Some("plain"),
            Some("a,b"),
            Some("say \"hi\""),
            Some("\"\""),
            Some("x\ny"),
            Some("cr\r"),
            Some("\\."),
            Some("\\.x"),
            Some(""),
            None,
            Some("日本,"),
        ];
        let mut a = RowWriter::new(Vec::new(), Format::Csv, vec![]);
        let mut b = RowWriter::new(Vec::new(), Format::Csv, vec![]);
        a.row(values.iter().copied()).expect("row");
        b.row_bytes(values.iter().map(|v| v.map(str::as_bytes)))
            .expect("row");
        let a = a.finish().expect("finish");
        assert_eq!(a, b.finish().expect("finish"));
        assert_eq!(
            String::from_utf8(a).expect("utf8"),
            "plain,\"a,b\",\"say \"\"hi\"\"\",\"\"\"\"\"\",\"x\ny\",\"cr\r\",\"\\.\",\\.x,,,\"日本,\"\n"
        );
        // invalid UTF-8 passes through untouched, as psql writes it
        let mut w = RowWriter::new(Vec::new(), Format::Csv, vec![]);
        w.row_bytes([Some(&b"\xff,"[..])]).expect("row");
        assert_eq!(w.finish().expect("finish"), b"\"\xff,\"\n");
    }

    #[test]
    fn json_number_syntax() {
        for ok in ["0", "-0", "12", "1.5", "1e+100", "1.5e-07", "-3E2"] {
            assert!(is_json_number(ok), "{ok}");
        }
        for bad in [
            "", "-", "01", "1.", ".5", "NaN", "Infinity", "1e", "1 ", "0x1", "+1",
        ] {
            assert!(!is_json_number(bad), "{bad}");
        }
    }

    fn render(format: Format, cols: &[&str], rows: &[Vec<Option<&str>>]) -> String {
        let mut w = RowWriter::new(
            Vec::new(),
            format,
            cols.iter().map(|c| c.to_string()).collect(),
        );
        w.header().expect("header");
        for r in rows {
            w.row(r.iter().copied()).expect("row");
        }
        String::from_utf8(w.finish().expect("finish")).expect("utf8")
    }

    #[test]
    fn csv_matches_psql() {
        // the expected bytes were produced by `psql --csv` (PostgreSQL 15) for the same values
        let got = render(
            Format::Csv,
            &["a", "b", "c", "d", "e", "f", "g", "h", "i", "we,ird", "j"],
            &[vec![
                Some("1"),
                None,
                Some(""),
                Some("x,y"),
                Some("q\"q"),
                Some("l1\nl2"),
                Some(" sp "),
                Some("\\."),
                Some("tab\there"),
                Some("a;b"),
                Some("cr\rx"),
            ]],
        );
        assert_eq!(
            got,
            "a,b,c,d,e,f,g,h,i,\"we,ird\",j\n1,,,\"x,y\",\"q\"\"q\",\"l1\nl2\", sp ,\"\\.\",tab\there,a;b,\"cr\rx\"\n"
        );
        assert_eq!(csv_field("\\.x"), "\\.x");
    }

    #[test]
    fn tsv_json_markdown() {
        let rows = vec![
            vec![Some("a\tb"), None],
            vec![Some("x|y\nz"), Some("\"q\"")],
        ];
        assert_eq!(
            render(Format::Tsv, &["c1", "c2"], &rows),
            "c1\tc2\na\\tb\t\nx|y\\nz\t\"q\"\n"
        );
        assert_eq!(
            render(Format::Markdown, &["c1", "c2"], &rows),
            "| c1 | c2 |\n|---|---|\n| a\tb |  |\n| x\\|y<br>z | \"q\" |\n"
        );
        let json = render(Format::Json, &["c1", "c2"], &rows);
        let v: serde_json::Value = serde_json::from_str(&json).expect("valid json");
        assert_eq!(v[0]["c2"], serde_json::Value::Null);
        assert_eq!(v[1]["c1"], "x|y\nz");
        assert_eq!(render(Format::Json, &["c"], &[]), "[]\n");
    }

    proptest::proptest! {
        #[test]
        fn csv_fields_parse_back(v in "\\PC*") {
            // a quoted field is "..." with inner quotes doubled; unquoted fields hold no separator
            let f = csv_field(&v);
            if f.starts_with('"') && f.len() >= 2 && (v.contains([',', '"', '\n', '\r']) || v == "\\.") {
                let inner = &f[1..f.len() - 1];
                proptest::prop_assert_eq!(inner.replace("\"\"", "\""), v);
            } else {
                proptest::prop_assert_eq!(f.as_ref(), v.as_str());
                proptest::prop_assert!(!v.contains([',', '\n', '\r']));
            }
        }
    }
}
