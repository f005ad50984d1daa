//! Exact fixed-point numbers for quantities and money.
//!
//! PostgreSQL stores `quantité` as `NUMERIC(15, 3)` and `prix_unitaire` as
//! `NUMERIC(12, 2)`. Holding them as scaled integers keeps every sum exact,
//! so the ETL's totals equal SQL's to the last digit.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// A quantity in thousandths of a kilogram (grams), or of a litre for wine.
///
/// The scale matches the column type `NUMERIC(15, 3)` of `ventes.quantité`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Quantity(i64);

impl Quantity {
    /// Decimal digits after the point.
    pub const SCALE: u32 = 3;

    /// Wraps a number of thousandths of a kilogram.
    pub const fn from_milli(milli: i64) -> Self {
        Self(milli)
    }

    /// Returns the quantity in thousandths of a kilogram.
    pub const fn milli(self) -> i64 {
        self.0
    }

    /// Returns the quantity in kilograms; exact up to 2^53 thousandths.
    pub fn kg(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_scaled(f, i128::from(self.0), Self::SCALE)
    }
}

impl FromStr for Quantity {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_scaled(s, Self::SCALE, "quantity").map(Self)
    }
}

/// An amount of money in euro cents.
///
/// The scale matches the column type `NUMERIC(12, 2)` of
/// `produits.prix_unitaire`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Cents(i64);

impl Cents {
    /// Decimal digits after the point.
    pub const SCALE: u32 = 2;

    /// Wraps a number of cents.
    pub const fn new(cents: i64) -> Self {
        Self(cents)
    }

    /// Returns the amount in cents.
    pub const fn get(self) -> i64 {
        self.0
    }

    /// Returns the amount in euros, rounded to the nearest `f64`.
    pub fn euros(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_scaled(f, i128::from(self.0), Self::SCALE)
    }
}

impl FromStr for Cents {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_scaled(s, Self::SCALE, "amount").map(Self)
    }
}

/// Revenue in units of 10⁻⁵ euro: the exact product of a [`Quantity`]
/// (scale 3) and a [`Cents`] price (scale 2).
///
/// Sums of revenues stay exact in an `i128`: one sale is below 10²⁷ units,
/// so 10¹¹ sales cannot overflow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Revenue(i128);

impl Revenue {
    /// Decimal digits after the point.
    pub const SCALE: u32 = 5;

    /// Returns the exact revenue of `quantity` sold at `price` per unit.
    pub fn of(quantity: Quantity, price: Cents) -> Self {
        Self(i128::from(quantity.0) * i128::from(price.0))
    }

    /// Wraps a raw value in units of 10⁻⁵ euro.
    pub const fn from_raw(raw: i128) -> Self {
        Self(raw)
    }

    /// Returns the raw value in units of 10⁻⁵ euro.
    pub const fn raw(self) -> i128 {
        self.0
    }

    /// Rounds to the cent, halves away from zero as PostgreSQL's
    /// `round(numeric, 2)` does.
    ///
    /// Saturates at `i64::MAX` cents (about 9.2 × 10¹⁶ €).
    pub fn to_cents_rounded(self) -> Cents {
        let divisor = 1000_i128;
        let half = divisor / 2;
        let rounded = if self.0 >= 0 {
            (self.0 + half) / divisor
        } else {
            (self.0 - half) / divisor
        };
        Cents(i64::try_from(rounded).unwrap_or(if rounded > 0 { i64::MAX } else { i64::MIN }))
    }
}

impl std::ops::Add for Revenue {
    type Output = Revenue;

    fn add(self, rhs: Self) -> Self {
        Self(self.0 + rhs.0)
    }
}

impl std::ops::AddAssign for Revenue {
    fn add_assign(&mut self, rhs: Self) {
        self.0 += rhs.0;
    }
}

impl fmt::Display for Revenue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_scaled(f, self.0, Self::SCALE)
    }
}

/// Writes `value / 10^scale` with exactly `scale` decimals.
fn write_scaled(f: &mut fmt::Formatter<'_>, value: i128, scale: u32) -> fmt::Result {
    let divisor = 10_i128.pow(scale);
    let sign = if value < 0 { "-" } else { "" };
    let abs = value.unsigned_abs();
    let divisor = divisor as u128;
    write!(
        f,
        "{sign}{}.{:0width$}",
        abs / divisor,
        abs % divisor,
        width = scale as usize
    )
}

/// Parses a plain decimal (`12`, `-0.5`, `3.250`) into an integer scaled by
/// `10^scale`, rejecting more than `scale` decimals rather than rounding.
fn parse_scaled(text: &str, scale: u32, what: &'static str) -> Result<i64, DomainError> {
    let invalid = |reason| DomainError::InvalidNumber {
        what,
        value: text.to_owned(),
        reason,
    };
    let trimmed = text.trim();

    let (negative, digits) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && fraction.is_empty() {
        return Err(invalid("expected a decimal number such as 12.5"));
    }
    if !whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit()) {
        return Err(invalid("expected digits with an optional sign and one decimal point"));
    }
    if fraction.len() > scale as usize {
        return Err(invalid("too many decimals for the column's scale"));
    }

    let mut value: i64 = 0;
    let padded = fraction.bytes().chain(std::iter::repeat(b'0')).take(scale as usize);
    for byte in whole.bytes().chain(padded) {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(byte - b'0')))
            .ok_or_else(|| invalid("number too large"))?;
    }
    Ok(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantity_parses_and_formats() {
        let q: Quantity = "12.5".parse().unwrap();
        assert_eq!(q.milli(), 12_500);
        assert_eq!(q.to_string(), "12.500");
        assert_eq!("-0.001".parse::<Quantity>().unwrap().milli(), -1);
        assert_eq!("7".parse::<Quantity>().unwrap().milli(), 7_000);
        assert_eq!(".25".parse::<Quantity>().unwrap().milli(), 250);
    }

    #[test]
    fn quantity_rejects_bad_text() {
        for bad in ["", "-", "1.2345", "1,5", "abc", "1e3", "1.2.3", "99999999999999999999"] {
            assert!(bad.parse::<Quantity>().is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn revenue_rounds_half_away_from_zero() {
        assert_eq!(Revenue::from_raw(1_500).to_cents_rounded(), Cents::new(2));
        assert_eq!(Revenue::from_raw(1_499).to_cents_rounded(), Cents::new(1));
        assert_eq!(Revenue::from_raw(-1_500).to_cents_rounded(), Cents::new(-2));
        assert_eq!(Revenue::from_raw(123_456_789).to_string(), "1234.56789");
    }

    #[test]
    fn cents_format_with_two_decimals() {
        assert_eq!(Cents::new(5).to_string(), "0.05");
        assert_eq!(Cents::new(-1234).to_string(), "-12.34");
        assert_eq!("3.9".parse::<Cents>().unwrap(), Cents::new(390));
    }
}
