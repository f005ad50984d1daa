//! Streaming parser of PostgreSQL's binary `COPY ... TO STDOUT (FORMAT
//! binary)` output, and the decoder of the sales columns.
//!
//! Two layers, so that another COPY (a `COPY (SELECT ... WHERE ...)` of
//! other columns) reuses the first:
//!
//! - [`TupleReader`] reads the header, then one tuple at a time from any
//!   [`BufRead`], and hands its fields as byte slices (`None` for NULL).
//!   When a tuple lies whole in the reader's buffer, as with libpq, which
//!   returns one COPY message (one tuple) at a time, the fields point
//!   into that buffer and nothing is copied.
//! - [`decode_sale`] turns the fields `id_produit int4, region_vente
//!   int4, date_vente date, quantité numeric` into a sale, and
//!   [`stream_sale_chunks`] fills [`SaleColumns`] chunks with them.
//!
//! Binary COPY spares the server the text formatting of dates and
//! numerics, and the client their parsing: see `docs/benchmarks.md`.

use std::io::BufRead;

use agrisales_domain::{ChunkError, SaleColumns};

/// The 11 bytes that open a binary COPY stream.
const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

/// A tuple of `N` fields: the bytes of each, `None` for NULL.
pub(crate) type Fields<'a, const N: usize> = [Option<&'a [u8]>; N];

/// Outcome of parsing the start of a buffer.
enum Parsed<T> {
    /// A value and the number of bytes it took.
    Done(T, usize),
    /// The buffer ends inside the value.
    Incomplete,
}

/// Reads the tuples of a binary COPY stream; see the module docs.
pub(crate) struct TupleReader<R> {
    reader: R,
    /// Bytes of a tuple (or header) that spans several reads.
    pending: Vec<u8>,
    header_read: bool,
    finished: bool,
}

impl<R: BufRead> TupleReader<R> {
    pub(crate) fn new(reader: R) -> Self {
        Self {
            reader,
            pending: Vec::new(),
            header_read: false,
            finished: false,
        }
    }

    /// Calls `decode` with the fields of the next tuple and returns its
    /// result, or `Ok(None)` after the trailer. Every tuple must have `N`
    /// fields.
    pub(crate) fn next_tuple<const N: usize, T>(
        &mut self,
        decode: impl FnOnce(Fields<'_, N>) -> Result<T, String>,
    ) -> Result<Option<T>, String> {
        if self.finished {
            return Ok(None);
        }
        if !self.header_read {
            self.read_with(parse_header)?;
            self.header_read = true;
        }

        // Fast path: the whole tuple is in the reader's buffer.
        if self.pending.is_empty() {
            let buffer = self
                .reader
                .fill_buf()
                .map_err(|e| format!("reading the COPY stream failed: {e}"))?;
            match parse_tuple::<N>(buffer)? {
                Parsed::Done(Some(fields), used) => {
                    let value = decode(fields)?;
                    self.reader.consume(used);
                    return Ok(Some(value));
                }
                Parsed::Done(None, used) => {
                    self.reader.consume(used);
                    self.finished = true;
                    return Ok(None);
                }
                Parsed::Incomplete => {}
            }
        }

        // Slow path: gather the tuple's bytes across reads.
        let used = self.fill_pending(|bytes| {
            Ok(match parse_tuple::<N>(bytes)? {
                Parsed::Done(_, used) => Parsed::Done((), used),
                Parsed::Incomplete => Parsed::Incomplete,
            })
        })?;
        let result = match parse_tuple::<N>(&self.pending[..used])? {
            Parsed::Done(Some(fields), _) => Some(decode(fields)?),
            Parsed::Done(None, _) => {
                self.finished = true;
                None
            }
            Parsed::Incomplete => return Err("internal error: gathered tuple is incomplete".to_owned()),
        };
        self.pending.drain(..used);
        Ok(result)
    }

    /// Parses a header with `parse`, gathering bytes as needed.
    fn read_with(&mut self, parse: fn(&[u8]) -> Result<Parsed<()>, String>) -> Result<(), String> {
        let used = self.fill_pending(parse)?;
        self.pending.drain(..used);
        Ok(())
    }

    /// Appends reads to `pending` until `parse` completes on it; returns
    /// the number of bytes it took.
    fn fill_pending(&mut self, parse: impl Fn(&[u8]) -> Result<Parsed<()>, String>) -> Result<usize, String> {
        loop {
            if let Parsed::Done((), used) = parse(&self.pending)? {
                return Ok(used);
            }
            let buffer = self
                .reader
                .fill_buf()
                .map_err(|e| format!("reading the COPY stream failed: {e}"))?;
            if buffer.is_empty() {
                return Err("the COPY stream ended inside a tuple or before its trailer".to_owned());
            }
            self.pending.extend_from_slice(buffer);
            let taken = buffer.len();
            self.reader.consume(taken);
        }
    }
}

fn parse_header(bytes: &[u8]) -> Result<Parsed<()>, String> {
    if bytes.len() < SIGNATURE.len() + 8 {
        // A prefix that already differs from the signature is an error now.
        let n = bytes.len().min(SIGNATURE.len());
        if bytes[..n] != SIGNATURE[..n] {
            return Err(
                "the stream does not start with the binary COPY signature; was FORMAT binary asked?".to_owned(),
            );
        }
        return Ok(Parsed::Incomplete);
    }
    if &bytes[..11] != SIGNATURE {
        return Err("the stream does not start with the binary COPY signature; was FORMAT binary asked?".to_owned());
    }
    let flags = be_u32(&bytes[11..15]);
    if flags & (1 << 16) != 0 {
        return Err("the COPY stream has OIDs, which this reader does not expect".to_owned());
    }
    let extension = be_u32(&bytes[15..19]) as usize;
    let total = 19 + extension;
    Ok(if bytes.len() >= total {
        Parsed::Done((), total)
    } else {
        Parsed::Incomplete
    })
}

/// Parses one tuple (`Some`) or the trailer (`None`) at the start of
/// `bytes`.
fn parse_tuple<const N: usize>(bytes: &[u8]) -> Result<Parsed<Option<Fields<'_, N>>>, String> {
    let Some(count) = bytes.get(..2) else {
        return Ok(Parsed::Incomplete);
    };
    let count = i16::from_be_bytes([count[0], count[1]]);
    if count == -1 {
        return Ok(Parsed::Done(None, 2));
    }
    if count as usize != N {
        return Err(format!("expected {N} fields per tuple, got {count}"));
    }
    let mut fields: Fields<'_, N> = [None; N];
    let mut at = 2;
    for field in &mut fields {
        let Some(length) = bytes.get(at..at + 4) else {
            return Ok(Parsed::Incomplete);
        };
        let length = i32::from_be_bytes([length[0], length[1], length[2], length[3]]);
        at += 4;
        if length < 0 {
            continue;
        }
        let Some(data) = bytes.get(at..at + length as usize) else {
            return Ok(Parsed::Incomplete);
        };
        *field = Some(data);
        at += length as usize;
    }
    Ok(Parsed::Done(Some(fields), at))
}

fn be_u32(bytes: &[u8]) -> u32 {
    u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

/// Decodes `id_produit int4, region_vente int4, date_vente date,
/// quantité numeric` into (product id, region id, month ordinal,
/// quantity in thousandths).
pub(crate) fn decode_sale(fields: Fields<'_, 4>) -> Result<(i32, i32, i32, i64), String> {
    let [Some(product), Some(region), Some(date), Some(quantity)] = fields else {
        return Err("a column is NULL; ventes declares them NOT NULL".to_owned());
    };
    let int4 = |bytes: &[u8], name: &str| -> Result<i32, String> {
        <[u8; 4]>::try_from(bytes)
            .map(i32::from_be_bytes)
            .map_err(|_| format!("{name} has {} bytes, expected an int4", bytes.len()))
    };
    let product = int4(product, "id_produit")?;
    let region = int4(region, "region_vente")?;
    let month = month_of_pg_date(int4(date, "date_vente")?).ok_or("date_vente is outside years 0 to 9999")?;
    let quantity = numeric_to_milli(quantity)?;
    Ok((product, region, month, quantity))
}

/// Month ordinal (year × 12 + month − 1) of a PostgreSQL date: days
/// since 2000-01-01. `None` outside years 0 to 9999 (infinity included).
fn month_of_pg_date(days: i32) -> Option<i32> {
    // Days since 0000-03-01 in the proleptic Gregorian calendar, then the
    // civil-from-days algorithm (H. Hinnant): integer arithmetic only.
    let z = i64::from(days) + 730_425;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153; // 0 = March
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (0..=9999).contains(&year).then(|| (year * 12 + month - 1) as i32)
}

/// Converts a binary `numeric` to thousandths, exactly: rejects NaN,
/// infinities, more than three decimals and values beyond `i64`.
fn numeric_to_milli(bytes: &[u8]) -> Result<i64, String> {
    let invalid = |reason: &str| format!("quantité {reason}");
    if bytes.len() < 8 {
        return Err(invalid("is not a binary numeric"));
    }
    let word = |i: usize| i16::from_be_bytes([bytes[2 * i], bytes[2 * i + 1]]);
    let (ndigits, weight, sign) = (word(0), word(1), word(2) as u16);
    if ndigits < 0 || bytes.len() != 8 + 2 * ndigits as usize {
        return Err(invalid("is not a binary numeric"));
    }
    let negative = match sign {
        0x0000 => false,
        0x4000 => true,
        _ => return Err(invalid("is NaN or infinite")),
    };

    // Digits are base 10,000; digit i weighs 10,000^(weight − i).
    let mut milli: i64 = 0;
    for i in 0..ndigits as usize {
        let digit = i64::from(word(4 + i));
        let exponent = i32::from(weight) - i as i32;
        let term = match exponent {
            // 10,000^e × 1,000 = 10^(4e + 3).
            0.. => 10_i64
                .checked_pow((4 * exponent + 3) as u32)
                .and_then(|scale| digit.checked_mul(scale)),
            // The first four decimals: only the first three may be set.
            -1 if digit % 10 == 0 => Some(digit / 10),
            _ if digit == 0 => Some(0),
            _ => return Err(invalid("has more than 3 decimals")),
        };
        milli = term
            .and_then(|t| milli.checked_add(t))
            .ok_or_else(|| invalid("is too large"))?;
    }
    Ok(if negative { -milli } else { milli })
}

/// Reads every sale of a binary COPY of `(id_produit, region_vente,
/// date_vente, quantité)` and calls `on_chunk` with chunks of at most
/// `chunk_rows` sales. Returns the number of sales, or the one-based
/// number of the failing row with the reason.
pub(crate) fn stream_sale_chunks(
    reader: impl BufRead,
    chunk_rows: usize,
    on_chunk: &mut dyn FnMut(&SaleColumns) -> Result<(), ChunkError>,
) -> Result<u64, StreamError> {
    let mut tuples = TupleReader::new(reader);
    let chunk_rows = chunk_rows.max(1);
    let mut chunk = SaleColumns::with_capacity(chunk_rows);
    let mut rows = 0_u64;
    loop {
        let sale = tuples
            .next_tuple(decode_sale)
            .map_err(|reason| StreamError::Row { row: rows + 1, reason })?;
        let Some((product, region, month, quantity)) = sale else {
            break;
        };
        rows += 1;
        chunk.product_id.push(product);
        chunk.region_id.push(region);
        chunk.month.push(month);
        chunk.quantity_milli.push(quantity);
        if chunk.len() >= chunk_rows {
            on_chunk(&chunk).map_err(StreamError::Consumer)?;
            chunk.clear();
        }
    }
    if !chunk.is_empty() {
        on_chunk(&chunk).map_err(StreamError::Consumer)?;
    }
    Ok(rows)
}

/// Failure of [`stream_sale_chunks`].
#[derive(Debug)]
pub(crate) enum StreamError {
    /// Row `row` (one-based) could not be read or decoded.
    Row { row: u64, reason: String },
    /// The consumer returned an error.
    Consumer(ChunkError),
}

#[cfg(test)]
mod tests {
    use std::io::{BufReader, Cursor};

    use agrisales_domain::YearMonth;
    use chrono::{Datelike, NaiveDate};

    use super::*;

    /// Encodes a numeric as PostgreSQL's `numeric_send` does.
    fn numeric(weight: i16, sign: u16, dscale: i16, digits: &[i16]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend((digits.len() as i16).to_be_bytes());
        out.extend(weight.to_be_bytes());
        out.extend(sign.to_be_bytes());
        out.extend(dscale.to_be_bytes());
        for d in digits {
            out.extend(d.to_be_bytes());
        }
        out
    }

    fn tuple(fields: &[Option<Vec<u8>>]) -> Vec<u8> {
        let mut out = (fields.len() as i16).to_be_bytes().to_vec();
        for field in fields {
            match field {
                Some(bytes) => {
                    out.extend((bytes.len() as i32).to_be_bytes());
                    out.extend(bytes);
                }
                None => out.extend((-1_i32).to_be_bytes()),
            }
        }
        out
    }

    fn stream(tuples: &[Vec<u8>]) -> Vec<u8> {
        let mut out = SIGNATURE.to_vec();
        out.extend(0_u32.to_be_bytes());
        out.extend(0_u32.to_be_bytes());
        for t in tuples {
            out.extend(t);
        }
        out.extend((-1_i16).to_be_bytes());
        out
    }

    fn sale(product: i32, region: i32, days: i32, quantity: Vec<u8>) -> Vec<u8> {
        tuple(&[
            Some(product.to_be_bytes().to_vec()),
            Some(region.to_be_bytes().to_vec()),
            Some(days.to_be_bytes().to_vec()),
            Some(quantity),
        ])
    }

    #[test]
    fn numerics_convert_exactly() {
        // 1500.25 = 1500 | .2500 (weight 0)
        assert_eq!(numeric_to_milli(&numeric(0, 0, 3, &[1500, 2500])), Ok(1_500_250));
        // 123456789.001 = 1 | 2345 | 6789 | .0010
        assert_eq!(
            numeric_to_milli(&numeric(2, 0, 3, &[1, 2345, 6789, 10])),
            Ok(123_456_789_001)
        );
        // 0.5, negative
        assert_eq!(numeric_to_milli(&numeric(-1, 0x4000, 3, &[5000])), Ok(-500));
        // 0 has no digits
        assert_eq!(numeric_to_milli(&numeric(0, 0, 3, &[])), Ok(0));
        // 20000 = 2 × 10000^1
        assert_eq!(numeric_to_milli(&numeric(1, 0, 0, &[2])), Ok(20_000_000));
    }

    #[test]
    fn numerics_reject_what_thousandths_cannot_hold() {
        assert!(numeric_to_milli(&numeric(-1, 0, 4, &[1234])).is_err()); // 0.1234
        assert!(numeric_to_milli(&numeric(-2, 0, 5, &[1])).is_err()); // 0.00000001
        assert!(numeric_to_milli(&numeric(0, 0xC000, 0, &[])).is_err()); // NaN
        assert!(numeric_to_milli(&numeric(5, 0, 0, &[1])).is_err()); // 10^20
        assert!(numeric_to_milli(&[0, 1]).is_err());
    }

    #[test]
    fn dates_map_to_their_month() {
        let epoch = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
        for (y, m, d) in [
            (2000, 1, 1),
            (1999, 12, 31),
            (2024, 2, 29),
            (2024, 3, 1),
            (2100, 12, 31),
            (1, 1, 1),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            let days = (date - epoch).num_days() as i32;
            let expected = YearMonth::new(date.year(), date.month()).unwrap().ordinal();
            assert_eq!(month_of_pg_date(days), Some(expected), "{date}");
        }
        assert_eq!(month_of_pg_date(i32::MAX), None); // 'infinity'
        assert_eq!(month_of_pg_date(i32::MIN), None);
    }

    #[test]
    fn stream_decodes_in_chunks_whatever_the_read_size() {
        let tuples: Vec<Vec<u8>> = (0..10)
            .map(|i| sale(i, 100 + i, 8_766 + 31 * i, numeric(0, 0, 3, &[i as i16, 5000])))
            .collect();
        let bytes = stream(&tuples);
        // Reads of 1, 3 and 7 bytes split tuples everywhere.
        for capacity in [1, 3, 7, 4096] {
            let reader = BufReader::with_capacity(capacity, Cursor::new(bytes.clone()));
            let mut seen = Vec::new();
            let rows = stream_sale_chunks(reader, 4, &mut |chunk| {
                seen.push(chunk.clone());
                Ok(())
            })
            .unwrap();
            assert_eq!(rows, 10);
            assert_eq!(seen.iter().map(SaleColumns::len).collect::<Vec<_>>(), [4, 4, 2]);
            let all: Vec<i64> = seen.iter().flat_map(|c| c.quantity_milli.clone()).collect();
            assert_eq!(all, (0..10).map(|i| i * 1000 + 500).collect::<Vec<_>>());
            // 2024-01-01 is day 8,766.
            assert_eq!(seen[0].month[0], YearMonth::new(2024, 1).unwrap().ordinal());
            assert_eq!(seen[0].product_id[3], 3);
            assert_eq!(seen[0].region_id[3], 103);
        }
    }

    #[test]
    fn bad_streams_name_the_row() {
        let good = sale(1, 1, 0, numeric(0, 0, 3, &[1]));
        let null = tuple(&[
            Some(1_i32.to_be_bytes().to_vec()),
            None,
            Some(vec![0; 4]),
            Some(numeric(0, 0, 0, &[])),
        ]);
        let cases: [(Vec<u8>, &str); 4] = [
            (stream(&[good.clone(), null]), "NULL"),
            (b"1\t2\t2024-01-01\t3\n".to_vec(), "signature"),
            (stream(std::slice::from_ref(&good))[..40].to_vec(), "ended"),
            (stream(&[good, tuple(&[Some(vec![0; 4])])]), "expected 4 fields"),
        ];
        for (bytes, expected) in cases {
            let error = stream_sale_chunks(Cursor::new(bytes), 10, &mut |_| Ok(())).unwrap_err();
            match error {
                StreamError::Row { reason, .. } => assert!(reason.contains(expected), "{reason}"),
                StreamError::Consumer(e) => panic!("unexpected consumer error {e}"),
            }
        }
    }

    #[test]
    fn consumer_errors_stop_the_stream() {
        let bytes = stream(&[sale(1, 1, 0, numeric(0, 0, 3, &[1]))]);
        let error = stream_sale_chunks(Cursor::new(bytes), 1, &mut |_| Err("full".into())).unwrap_err();
        assert!(matches!(error, StreamError::Consumer(e) if e.to_string() == "full"));
    }
}
