//! The compact row store for user results. Rows arrive in batches; a batch keeps every cell's text in one
//! buffer with end offsets and a NULL bitmap, so a million rows cost their bytes plus a few bytes per cell
//! instead of a `String` per cell. Reading a cell is a binary search over batches and two offset lookups.

/// A column of a result, as the simple query protocol describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    /// The column's type (`pg_type.oid`), e.g. 23 for `int4`; 0 when unknown.
    pub type_oid: u32,
}

impl Column {
    /// A column of unknown type (tests, synthetic results).
    pub fn named(name: impl Into<String>) -> Self {
        Column {
            name: name.into(),
            type_oid: 0,
        }
    }
}

/// Rows in one contiguous buffer. Built by the database worker, moved to the UI as a whole.
#[derive(Debug, Clone, Default)]
pub struct RowBatch {
    ncols: usize,
    text: String,
    /// End offset in `text` of each cell, row-major.
    ends: Vec<u32>,
    /// One bit per cell, set when the cell is NULL.
    nulls: Vec<u64>,
}

impl RowBatch {
    /// An empty batch for rows of `ncols` columns.
    pub fn new(ncols: usize) -> Self {
        RowBatch {
            ncols,
            ..Default::default()
        }
    }

    /// An empty batch with room for `rows` rows and `text_bytes` bytes of text, so that a batch
    /// sized from the previous one fills without reallocating.
    pub fn with_capacity(ncols: usize, rows: usize, text_bytes: usize) -> Self {
        let cells = rows.saturating_mul(ncols);
        RowBatch {
            ncols,
            text: String::with_capacity(text_bytes),
            ends: Vec::with_capacity(cells),
            nulls: Vec::with_capacity(cells.div_ceil(64)),
        }
    }

    /// Number of columns per row.
    pub fn ncols(&self) -> usize {
        self.ncols
    }

    /// Number of complete rows.
    pub fn rows(&self) -> usize {
        self.ends.len().checked_div(self.ncols).unwrap_or(0)
    }

    /// Bytes of text held.
    pub fn text_len(&self) -> usize {
        self.text.len()
    }

    /// Whether another row of `bytes` text still fits the 32-bit offsets; the worker starts a new batch
    /// well before that.
    pub fn has_room(&self, bytes: usize) -> bool {
        self.text.len() + bytes < u32::MAX as usize
    }

    /// Append one row. `cells` must hold exactly `ncols` values (`None` is NULL); missing cells are
    /// stored as NULL and extra ones are ignored, so a protocol surprise never corrupts the layout.
    pub fn push_row<'a>(&mut self, cells: impl IntoIterator<Item = Option<&'a str>>) {
        let mut n = 0;
        for cell in cells.into_iter().take(self.ncols) {
            self.push_cell(cell);
            n += 1;
        }
        for _ in n..self.ncols {
            self.push_cell(None);
        }
    }

    /// Append one row given as raw cell bytes, as a DataRow carries them (`None` is NULL): no
    /// allocation per cell. The server sends UTF-8 (pgdeck sets `client_encoding`); should a cell
    /// not be valid UTF-8 anyway, it is stored with U+FFFD in place of the bad bytes. Missing and
    /// extra cells are handled as in [`RowBatch::push_row`].
    pub fn push_row_bytes<'a>(&mut self, cells: impl IntoIterator<Item = Option<&'a [u8]>>) {
        let mut n = 0;
        for cell in cells.into_iter().take(self.ncols) {
            match cell {
                Some(bytes) => match std::str::from_utf8(bytes) {
                    Ok(text) => self.push_cell(Some(text)),
                    Err(_) => self.push_cell(Some(&String::from_utf8_lossy(bytes))),
                },
                None => self.push_cell(None),
            }
            n += 1;
        }
        for _ in n..self.ncols {
            self.push_cell(None);
        }
    }

    fn push_cell(&mut self, cell: Option<&str>) {
        let i = self.ends.len();
        if i / 64 >= self.nulls.len() {
            self.nulls.push(0);
        }
        match cell {
            Some(v) => self.text.push_str(v),
            None => self.nulls[i / 64] |= 1 << (i % 64),
        }
        // Offsets fit u32 because `has_room` keeps batches under 4 GiB.
        self.ends.push(self.text.len() as u32);
    }

    fn cell(&self, row: usize, col: usize) -> Option<&str> {
        let i = row * self.ncols + col;
        if (self.nulls.get(i / 64)? >> (i % 64)) & 1 == 1 {
            return None;
        }
        let end = *self.ends.get(i)? as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        self.text.get(start..end)
    }

    /// Give back capacity well beyond what is used (a batch sent before it was full), so a kept
    /// batch costs its content and not its reservation.
    pub fn shrink_slack(&mut self) {
        let slack = |cap: usize, len: usize| cap > len + len / 4 + 4096;
        if slack(self.text.capacity(), self.text.len()) {
            self.text.shrink_to_fit();
        }
        if slack(self.ends.capacity() * 4, self.ends.len() * 4) {
            self.ends.shrink_to_fit();
        }
        if slack(self.nulls.capacity() * 8, self.nulls.len() * 8) {
            self.nulls.shrink_to_fit();
        }
    }

    /// Heap bytes used, for the memory figures.
    pub fn heap_bytes(&self) -> usize {
        self.text.capacity() + self.ends.capacity() * 4 + self.nulls.capacity() * 8
    }
}

/// A result set: its columns and the batches received so far.
#[derive(Debug, Clone, Default)]
pub struct ResultSet {
    pub columns: Vec<Column>,
    batches: Vec<RowBatch>,
    /// First row number of each batch, for the binary search.
    starts: Vec<usize>,
    rows: usize,
}

impl ResultSet {
    /// An empty result with these columns.
    pub fn new(columns: Vec<Column>) -> Self {
        ResultSet {
            columns,
            ..Default::default()
        }
    }

    /// Number of rows received.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// True when no rows have arrived.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Append a batch from the worker. Batches with another column count are refused (returns false).
    pub fn append(&mut self, batch: RowBatch) -> bool {
        if batch.ncols != self.columns.len() {
            return false;
        }
        if batch.rows() == 0 {
            return true;
        }
        let mut batch = batch;
        // a batch is complete once stored: give back the slack of the buffers' growth (up to half
        // of their size), which is what keeps a million rows near the size of their text
        batch.text.shrink_to_fit();
        batch.ends.shrink_to_fit();
        batch.nulls.shrink_to_fit();
        self.starts.push(self.rows);
        self.rows += batch.rows();
        self.batches.push(batch);
        true
    }

    /// The cell at (`row`, `col`): `None` when NULL or out of range. Use [`ResultSet::is_null`] to tell
    /// them apart.
    pub fn get(&self, row: usize, col: usize) -> Option<&str> {
        let (b, r) = self.locate(row)?;
        self.batches[b].cell(r, col)
    }

    /// Whether the cell is SQL NULL (false when out of range).
    pub fn is_null(&self, row: usize, col: usize) -> bool {
        match self.locate(row) {
            Some((b, r)) if col < self.columns.len() => {
                let batch = &self.batches[b];
                let i = r * batch.ncols + col;
                batch
                    .nulls
                    .get(i / 64)
                    .is_some_and(|w| (w >> (i % 64)) & 1 == 1)
            }
            _ => false,
        }
    }

    fn locate(&self, row: usize) -> Option<(usize, usize)> {
        if row >= self.rows {
            return None;
        }
        let b = self.starts.partition_point(|&s| s <= row) - 1;
        Some((b, row - self.starts[b]))
    }

    /// Heap bytes used by the rows.
    pub fn heap_bytes(&self) -> usize {
        self.batches.iter().map(RowBatch::heap_bytes).sum::<usize>() + self.starts.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(n: usize) -> Vec<Column> {
        (0..n).map(|i| Column::named(format!("c{i}"))).collect()
    }

    #[test]
    fn raw_cells_keep_nulls_empties_and_repair_bad_utf8() {
        let mut b = RowBatch::with_capacity(3, 2, 16);
        b.push_row_bytes([Some(&b"a\x00\x1b[2J"[..]), None, Some(&b""[..])]);
        b.push_row_bytes([Some("日本".as_bytes()), Some(&b"\xff!"[..])]);
        let mut rs = ResultSet::new(cols(3));
        assert!(rs.append(b));
        assert_eq!(rs.get(0, 0), Some("a\u{0}\u{1b}[2J"));
        assert!(rs.is_null(0, 1));
        assert_eq!(rs.get(0, 2), Some(""));
        assert!(!rs.is_null(0, 2));
        assert_eq!(rs.get(1, 0), Some("日本"));
        assert_eq!(rs.get(1, 1), Some("\u{fffd}!"));
        assert!(rs.is_null(1, 2), "a short row is padded with NULL");
    }

    #[test]
    fn cells_nulls_and_empty_strings_are_distinct() {
        let mut b = RowBatch::new(3);
        b.push_row([Some("1"), None, Some("")]);
        b.push_row([Some("日本"), Some("x"), None]);
        let mut rs = ResultSet::new(cols(3));
        assert!(rs.append(b));
        assert_eq!(rs.len(), 2);
        assert_eq!(rs.get(0, 0), Some("1"));
        assert_eq!(rs.get(0, 1), None);
        assert!(rs.is_null(0, 1));
        assert_eq!(rs.get(0, 2), Some(""));
        assert!(!rs.is_null(0, 2));
        assert_eq!(rs.get(1, 0), Some("日本"));
        assert!(rs.is_null(1, 2));
        assert_eq!(rs.get(2, 0), None);
        assert!(!rs.is_null(2, 0));
        assert!(!rs.is_null(0, 3));
    }

    #[test]
    fn many_batches_and_bitmap_words() {
        let mut rs = ResultSet::new(cols(2));
        let mut n = 0;
        for size in [1usize, 70, 3, 200] {
            let mut b = RowBatch::new(2);
            for _ in 0..size {
                let v = n.to_string();
                b.push_row([Some(v.as_str()), if n % 7 == 0 { None } else { Some("y") }]);
                n += 1;
            }
            assert!(rs.append(b));
        }
        assert_eq!(rs.len(), n);
        for r in 0..n {
            assert_eq!(rs.get(r, 0), Some(r.to_string().as_str()));
            assert_eq!(rs.is_null(r, 1), r % 7 == 0, "row {r}");
        }
    }

    #[test]
    fn short_rows_pad_with_null_and_mismatched_batches_are_refused() {
        let mut b = RowBatch::new(3);
        b.push_row([Some("a")]);
        assert_eq!(b.rows(), 1);
        let mut rs = ResultSet::new(cols(2));
        assert!(!rs.append(b));
        let mut rs3 = ResultSet::new(cols(3));
        let mut b = RowBatch::new(3);
        b.push_row([Some("a")]);
        assert!(rs3.append(b));
        assert!(rs3.is_null(0, 2));
    }

    #[test]
    fn zero_column_results_do_not_divide_by_zero() {
        let mut b = RowBatch::new(0);
        b.push_row(std::iter::empty());
        assert_eq!(b.rows(), 0);
        let mut rs = ResultSet::new(vec![]);
        assert!(rs.append(b));
        assert!(rs.is_empty());
    }
}
