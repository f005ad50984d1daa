//! Cell values: exact decimals with a point or a comma, and dates.

use chrono::NaiveDate;
use serde::Deserialize;

/// Decimal mark of the numbers in a file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DecimalMark {
    /// A value with one comma and no point reads the comma as the decimal
    /// mark (`0,5`); otherwise the point is (`0.5`). In a comma-separated
    /// file a decimal comma needs quotes around the value.
    #[default]
    Auto,
    /// Only `.` (`1,5` is unparsable).
    Point,
    /// Only `,` (`1.5` is unparsable).
    Comma,
}

/// An exact decimal: `mantissa × 10^-scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    mantissa: i128,
    scale: u32,
}

/// More decimals than this are refused: no real measurement has them and
/// the products below must not overflow an `i128`.
const MAX_SCALE: u32 = 12;

impl Decimal {
    /// One, the neutral conversion factor.
    pub const ONE: Decimal = Decimal { mantissa: 1, scale: 0 };

    /// Parses `text` (an optional sign, digits, and at most one decimal
    /// mark as allowed by `mark`); spaces around it are ignored.
    pub fn parse(text: &str, mark: DecimalMark) -> Option<Decimal> {
        let trimmed = text.trim();
        let (negative, body) = match trimmed.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
        };
        let separator = match mark {
            DecimalMark::Point => '.',
            DecimalMark::Comma => ',',
            DecimalMark::Auto if body.contains(',') && !body.contains('.') => ',',
            DecimalMark::Auto => '.',
        };
        let (whole, fraction) = body.split_once(separator).unwrap_or((body, ""));
        if whole.is_empty() && fraction.is_empty() {
            return None;
        }
        if !whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let scale = u32::try_from(fraction.len()).ok().filter(|s| *s <= MAX_SCALE)?;
        let mut mantissa: i128 = 0;
        for byte in whole.bytes().chain(fraction.bytes()) {
            mantissa = mantissa.checked_mul(10)?.checked_add(i128::from(byte - b'0'))?;
            // Beyond 10^30 a quantity or price is certainly garbage.
            if mantissa > 10_i128.pow(30) {
                return None;
            }
        }
        Some(Decimal {
            mantissa: if negative { -mantissa } else { mantissa },
            scale,
        })
    }

    /// Returns `self × factor`, exact.
    pub fn times(self, factor: Decimal) -> Option<Decimal> {
        Some(Decimal {
            mantissa: self.mantissa.checked_mul(factor.mantissa)?,
            scale: self.scale + factor.scale,
        })
    }

    /// Rounds to `scale` decimals, halves away from zero, and returns the
    /// scaled integer (`1.2345` at scale 3 gives `1235`); `None` when it
    /// does not fit an `i64`.
    pub fn to_scaled(self, scale: u32) -> Option<i64> {
        let value = if self.scale <= scale {
            self.mantissa.checked_mul(10_i128.checked_pow(scale - self.scale)?)?
        } else {
            let divisor = 10_i128.checked_pow(self.scale - scale)?;
            let half = divisor / 2;
            if self.mantissa >= 0 {
                (self.mantissa + half) / divisor
            } else {
                (self.mantissa - half) / divisor
            }
        };
        i64::try_from(value).ok()
    }

    /// Returns whether the value is above zero.
    pub fn is_positive(self) -> bool {
        self.mantissa > 0
    }

    /// Returns whether the value is below zero.
    pub fn is_negative(self) -> bool {
        self.mantissa < 0
    }
}

/// Parses a date written `YYYY-MM-DD`, `DD/MM/YYYY` or `DD/MM/YY` (day and
/// month may have one digit). A two-digit year `YY` reads as 20YY when YY
/// is 00 to 68 and as 19YY when it is 69 to 99, the POSIX `strptime("%y")`
/// rule. Slashed dates are always day first: `03/04/2024` is 3 April.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    let number = |s: &str, max_len: usize| -> Option<u32> {
        if s.is_empty() || s.len() > max_len || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    if let Some((year, rest)) = text.split_once('-') {
        let (month, day) = rest.split_once('-')?;
        if year.len() != 4 {
            return None;
        }
        return NaiveDate::from_ymd_opt(
            i32::try_from(number(year, 4)?).ok()?,
            number(month, 2)?,
            number(day, 2)?,
        );
    }
    let mut parts = text.split('/');
    let (day, month, year) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let year = match year.len() {
        4 => i32::try_from(number(year, 4)?).ok()?,
        2 => {
            let yy = i32::try_from(number(year, 2)?).ok()?;
            if yy <= 68 { 2000 + yy } else { 1900 + yy }
        }
        _ => return None,
    };
    NaiveDate::from_ymd_opt(year, number(month, 2)?, number(day, 2)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, day)
    }

    #[test]
    fn dates_in_the_three_formats() {
        for (text, expected) in [
            ("2024-03-05", d(2024, 3, 5)),
            ("05/03/2024", d(2024, 3, 5)),
            ("5/3/2024", d(2024, 3, 5)),
            ("05/03/24", d(2024, 3, 5)),
            ("01/10/68", d(2068, 10, 1)),
            ("01/10/69", d(1969, 10, 1)),
            (" 31/12/99 ", d(1999, 12, 31)),
            ("31/02/2024", None),
            ("2024/03/05", None),
            ("03-05-2024", None),
            ("05/03/024", None),
            ("", None),
            ("NR", None),
            ("05/03/2024/1", None),
        ] {
            assert_eq!(parse_date(text), expected, "{text:?}");
        }
    }

    #[test]
    fn decimals_with_point_or_comma() {
        let scaled = |text: &str, mark| Decimal::parse(text, mark).and_then(|d| d.to_scaled(3));
        for (text, mark, expected) in [
            ("0.51", DecimalMark::Auto, Some(510)),
            ("0,51", DecimalMark::Auto, Some(510)),
            ("12", DecimalMark::Auto, Some(12_000)),
            ("-1.5", DecimalMark::Auto, Some(-1_500)),
            (" 7 ", DecimalMark::Auto, Some(7_000)),
            ("1.0005", DecimalMark::Auto, Some(1_001)),
            ("1,5", DecimalMark::Point, None),
            ("1.5", DecimalMark::Comma, None),
            ("1,5", DecimalMark::Comma, Some(1_500)),
            ("1.234,5", DecimalMark::Auto, None),
            ("NR", DecimalMark::Auto, None),
            ("", DecimalMark::Auto, None),
            ("1e3", DecimalMark::Auto, None),
        ] {
            assert_eq!(scaled(text, mark), expected, "{text:?} {mark:?}");
        }
    }

    #[test]
    fn conversions_are_exact() {
        let tonnes = Decimal::parse("0.51", DecimalMark::Auto).unwrap();
        let per_tonne = Decimal::parse("1000", DecimalMark::Auto).unwrap();
        assert_eq!(tonnes.times(per_tonne).unwrap().to_scaled(3), Some(510_000));
        let per_quintal = Decimal::parse("1978", DecimalMark::Auto).unwrap();
        let per_kg = Decimal::parse("0.01", DecimalMark::Auto).unwrap();
        assert_eq!(per_quintal.times(per_kg).unwrap().to_scaled(2), Some(1978));
        let odd = Decimal::parse("1975", DecimalMark::Auto).unwrap();
        assert_eq!(
            odd.times(Decimal::parse("0.001", DecimalMark::Auto).unwrap())
                .unwrap()
                .to_scaled(2),
            Some(198)
        );
    }
}
