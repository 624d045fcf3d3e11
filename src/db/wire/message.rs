//! The backend messages a session hands to its caller, decoded into plain values: column
//! descriptions, data rows (a view over the received bytes, never copied), error and notice
//! fields, notifications. It decodes message bodies and must not read sockets or keep state.

use fallible_iterator::FallibleIterator;
use postgres_protocol::message::backend::{ErrorFields, RowDescriptionBody};

use crate::db::error::{Notice, ServerError};

/// One column of a RowDescription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDesc {
    /// The column label (`as` name or the expression's default name).
    pub name: String,
    /// The table the column comes from, 0 if it is not a plain table column.
    pub table_oid: u32,
    /// The column's attribute number in that table, 0 if none.
    pub column: i16,
    /// The type (`pg_type.oid`), e.g. 23 for int4, 25 for text, 1700 for numeric.
    pub type_oid: u32,
    /// `pg_type.typlen`: negative for variable-width types.
    pub type_size: i16,
    /// The type modifier (`atttypmod`), e.g. a varchar's length plus 4; -1 when none.
    pub type_modifier: i32,
    /// 0 text, 1 binary. The simple query protocol always sends text.
    pub format: i16,
}

/// Decodes a RowDescription into `out` (cleared first, so its allocation is reused).
pub(super) fn row_description(
    body: &RowDescriptionBody,
    out: &mut Vec<ColumnDesc>,
) -> Result<(), String> {
    out.clear();
    let mut fields = body.fields();
    while let Some(f) = fields
        .next()
        .map_err(|e| format!("bad RowDescription: {e}"))?
    {
        out.push(ColumnDesc {
            name: f.name().to_owned(),
            table_oid: f.table_oid(),
            column: f.column_id(),
            type_oid: f.type_oid(),
            type_size: f.type_size(),
            type_modifier: f.type_modifier(),
            format: f.format(),
        });
    }
    Ok(())
}

/// One DataRow, as a view into the receive buffer: the sink copies what it keeps.
#[derive(Clone, Copy, Debug)]
pub struct DataRow<'a> {
    /// The body after the field count: per field an Int32 length (-1 for NULL) and the bytes.
    fields: &'a [u8],
    count: u16,
}

impl<'a> DataRow<'a> {
    /// Checks a DataRow body (field count, then each field's length and bytes) so that iterating
    /// it later cannot fail: every length must fit, and nothing may follow the last field.
    pub(super) fn parse(body: &'a [u8]) -> Result<Self, String> {
        let [hi, lo, ref fields @ ..] = *body else {
            return Err("DataRow without a field count".into());
        };
        let count = u16::from_be_bytes([hi, lo]);
        let mut rest = fields;
        for i in 0..count {
            let [a, b, c, d, ref tail @ ..] = *rest else {
                return Err(format!("DataRow ends inside the length of field {}", i + 1));
            };
            let len = i32::from_be_bytes([a, b, c, d]);
            rest = match len {
                -1 => tail,
                n if n >= 0 => tail
                    .get(n as usize..)
                    .ok_or_else(|| format!("DataRow field {} is longer than the message", i + 1))?,
                n => return Err(format!("DataRow field {} has length {n}", i + 1)),
            };
        }
        if !rest.is_empty() {
            return Err(format!(
                "{} bytes after the last field of a DataRow",
                rest.len()
            ));
        }
        Ok(DataRow { fields, count })
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// True for a row of no columns (`select;`).
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The fields in order: `None` for NULL, else the value's text bytes (UTF-8 from a server
    /// whose `client_encoding` is UTF8).
    pub fn cells(&self) -> Cells<'a> {
        Cells {
            rest: self.fields,
            left: self.count,
        }
    }
}

/// Iterator over the fields of a [`DataRow`].
#[derive(Clone, Debug)]
pub struct Cells<'a> {
    rest: &'a [u8],
    left: u16,
}

impl<'a> Iterator for Cells<'a> {
    type Item = Option<&'a [u8]>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        // DataRow::parse checked every length, so the fallbacks below are never taken; they
        // only keep this free of panics.
        let [a, b, c, d, ref tail @ ..] = *self.rest else {
            self.left = 0;
            return None;
        };
        let len = i32::from_be_bytes([a, b, c, d]);
        if len < 0 {
            self.rest = tail;
            return Some(None);
        }
        let (value, rest) = tail.split_at_checked(len as usize).unwrap_or((tail, &[]));
        self.rest = rest;
        Some(Some(value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left as usize, Some(self.left as usize))
    }
}

/// The fields of an ErrorResponse or NoticeResponse.
#[derive(Debug, Default)]
pub(super) struct Fields {
    /// `S`: the severity, possibly localized (shown to the user).
    severity: String,
    /// `V`: the severity never localized (PostgreSQL 9.6+), for decisions.
    severity_raw: Option<String>,
    code: String,
    message: String,
    detail: Option<String>,
    hint: Option<String>,
    position: Option<u32>,
    context: Option<String>,
}

impl Fields {
    /// Decodes the fields. Text that is not UTF-8 (possible before the session's encoding is
    /// settled) is kept with U+FFFD in place of the bad bytes.
    pub(super) fn parse(mut fields: ErrorFields<'_>) -> Result<Fields, String> {
        let mut out = Fields::default();
        while let Some(f) = fields
            .next()
            .map_err(|e| format!("bad error fields: {e}"))?
        {
            let value = String::from_utf8_lossy(f.value_bytes()).into_owned();
            match f.type_() {
                b'S' => out.severity = value,
                b'V' => out.severity_raw = Some(value),
                b'C' => out.code = value,
                b'M' => out.message = value,
                b'D' => out.detail = Some(value),
                b'H' => out.hint = Some(value),
                b'P' => out.position = value.parse().ok(),
                b'W' => out.context = Some(value),
                // Internal query/position, schema, table, column, type, constraint, file, line,
                // routine: not shown by pgdeck today.
                _ => {}
            }
        }
        Ok(out)
    }

    /// Whether the server ends the session after this error (FATAL or PANIC).
    pub(super) fn is_fatal(&self) -> bool {
        let severity = self.severity_raw.as_deref().unwrap_or(&self.severity);
        matches!(severity, "FATAL" | "PANIC")
    }

    pub(super) fn into_error(self) -> ServerError {
        ServerError {
            severity: self.severity,
            sqlstate: self.code,
            message: self.message,
            detail: self.detail,
            hint: self.hint,
            context: self.context,
            position: self.position,
        }
    }

    pub(super) fn into_notice(self) -> Notice {
        Notice {
            severity: self.severity,
            sqlstate: self.code,
            message: self.message,
            detail: self.detail,
            hint: self.hint,
            context: self.context,
            position: self.position,
        }
    }
}

/// A NotificationResponse (a `NOTIFY` on a channel this session `LISTEN`s to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The notifying session's backend pid.
    pub process_id: i32,
    /// The channel name.
    pub channel: String,
    /// The payload (may be empty).
    pub payload: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A DataRow body for `cells`.
    fn encode(cells: &[Option<Vec<u8>>]) -> Vec<u8> {
        let mut out = (cells.len() as u16).to_be_bytes().to_vec();
        for c in cells {
            match c {
                None => out.extend_from_slice(&(-1i32).to_be_bytes()),
                Some(v) => {
                    out.extend_from_slice(&(v.len() as i32).to_be_bytes());
                    out.extend_from_slice(v);
                }
            }
        }
        out
    }

    #[test]
    fn rows_with_nulls_and_empty_values() {
        let body = encode(&[Some(b"1".to_vec()), None, Some(Vec::new())]);
        let row = DataRow::parse(&body).unwrap();
        assert_eq!(row.len(), 3);
        let cells: Vec<_> = row.cells().collect();
        assert_eq!(cells, vec![Some(&b"1"[..]), None, Some(&b""[..])]);
        assert!(DataRow::parse(&encode(&[])).unwrap().is_empty());
    }

    #[test]
    fn malformed_rows_are_refused() {
        assert!(DataRow::parse(b"").is_err());
        assert!(DataRow::parse(b"\0\x01\0\0").is_err());
        assert!(DataRow::parse(b"\0\x01\0\0\0\x05abc").is_err());
        assert!(DataRow::parse(b"\0\x01\xff\xff\xff\xfe").is_err());
        assert!(
            DataRow::parse(b"\0\x01\0\0\0\x01abc").is_err(),
            "trailing bytes"
        );
    }

    proptest! {
        #[test]
        fn rows_round_trip(cells in proptest::collection::vec(
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..20)), 0..12)
        ) {
            let body = encode(&cells);
            let row = DataRow::parse(&body).unwrap();
            let got: Vec<Option<Vec<u8>>> = row.cells().map(|c| c.map(<[u8]>::to_vec)).collect();
            prop_assert_eq!(got, cells);
        }

        #[test]
        fn any_bytes_parse_or_fail_without_panicking(
            body in proptest::collection::vec(any::<u8>(), 0..64)
        ) {
            if let Ok(row) = DataRow::parse(&body) {
                prop_assert_eq!(row.cells().count(), row.len());
            }
        }
    }
}
