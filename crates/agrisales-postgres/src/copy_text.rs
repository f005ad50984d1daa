//! Parser of the rows that `COPY ventes (id_produit, region_vente,
//! date_vente, quantité) TO STDOUT` sends in text format.

use agrisales_domain::{Quantity, YearMonth};

/// Parses `id_produit \t region_vente \t YYYY-MM-DD \t quantité \n`.
///
/// Works on bytes without allocating: the extract reads millions of rows.
pub(crate) fn parse_sale_line(line: &[u8]) -> Result<(i32, i32, YearMonth, Quantity), String> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let mut fields = line.split(|&b| b == b'\t');
    let mut next = |name: &str| fields.next().ok_or_else(|| format!("missing field {name}"));

    let product_id = parse_int(next("id_produit")?).ok_or("id_produit is not an integer")?;
    let region_id = parse_int(next("region_vente")?).ok_or("region_vente is not an integer")?;
    let month = parse_month(next("date_vente")?).ok_or("date_vente is not YYYY-MM-DD")?;
    let quantity = parse_milli(next("quantité")?).ok_or("quantité is not a decimal with at most 3 decimals")?;
    if fields.next().is_some() {
        return Err("more than 4 fields".to_owned());
    }

    Ok((
        product_id as i32,
        region_id as i32,
        month,
        Quantity::from_milli(quantity),
    ))
}

fn parse_int(field: &[u8]) -> Option<i64> {
    if field.is_empty() || field.len() > 18 || !field.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(field.iter().fold(0_i64, |acc, &b| acc * 10 + i64::from(b - b'0')))
}

fn parse_month(field: &[u8]) -> Option<YearMonth> {
    if field.len() != 10 || field[4] != b'-' || field[7] != b'-' {
        return None;
    }
    let year = parse_int(&field[0..4])?;
    let month = parse_int(&field[5..7])?;
    YearMonth::new(year as i32, month as u32)
}

/// Parses a non-negative decimal with at most three decimals into
/// thousandths.
fn parse_milli(field: &[u8]) -> Option<i64> {
    let (whole, fraction) = match field.iter().position(|&b| b == b'.') {
        Some(dot) => (&field[..dot], &field[dot + 1..]),
        None => (field, &field[..0]),
    };
    if fraction.len() > 3 {
        return None;
    }
    let whole = parse_int(whole)?;
    let mut fraction_value = if fraction.is_empty() { 0 } else { parse_int(fraction)? };
    for _ in fraction.len()..3 {
        fraction_value *= 10;
    }
    whole.checked_mul(1000)?.checked_add(fraction_value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sale_line_parses() {
        let (product, region, month, quantity) = parse_sale_line(b"12\t3\t2024-07-31\t1500.250\n").unwrap();
        assert_eq!((product, region), (12, 3));
        assert_eq!(month.to_string(), "2024-07");
        assert_eq!(quantity.milli(), 1_500_250);
    }

    #[test]
    fn sale_line_short_fraction() {
        let (_, _, _, quantity) = parse_sale_line(b"1\t1\t2024-01-01\t2.5").unwrap();
        assert_eq!(quantity.milli(), 2_500);
    }

    #[test]
    fn sale_line_rejects_garbage() {
        for bad in [
            &b"1\t1\t2024-01-01"[..],
            b"x\t1\t2024-01-01\t1",
            b"1\t1\t01/01/2024\t1",
            b"1\t1\t2024-01-01\t1.2345",
            b"1\t1\t2024-01-01\t1\t9",
        ] {
            assert!(
                parse_sale_line(bad).is_err(),
                "accepted {:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
