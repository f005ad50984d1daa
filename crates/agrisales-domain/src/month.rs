use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::DomainError;

/// A calendar month, persisted as the string `YYYY-MM`.
///
/// Months order chronologically, and [`YearMonth::ordinal`] numbers them
/// consecutively so that month arithmetic is integer arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct YearMonth {
    year: i32,
    month: u32,
}

impl YearMonth {
    /// Builds a month; `month` runs from 1 to 12 and `year` from 0 to 9999.
    pub fn new(year: i32, month: u32) -> Option<Self> {
        ((1..=12).contains(&month) && (0..=9999).contains(&year)).then_some(Self { year, month })
    }

    /// Returns the month that contains `date`.
    pub fn of(date: NaiveDate) -> Self {
        Self {
            year: date.year(),
            month: date.month(),
        }
    }

    /// Returns the month numbered `ordinal` by [`YearMonth::ordinal`].
    pub fn from_ordinal(ordinal: i32) -> Self {
        Self {
            year: ordinal.div_euclid(12),
            month: ordinal.rem_euclid(12) as u32 + 1,
        }
    }

    /// Returns `year × 12 + month − 1`: consecutive months differ by one.
    pub fn ordinal(self) -> i32 {
        self.year * 12 + self.month as i32 - 1
    }

    /// Returns the calendar year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// Returns the month of the year, from 1 (January) to 12 (December).
    pub fn month(self) -> u32 {
        self.month
    }

    /// Returns the first day of the month.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// Returns the next month.
    pub fn succ(self) -> Self {
        self.plus(1)
    }

    /// Returns the month `months` later (earlier when negative).
    pub fn plus(self, months: i32) -> Self {
        Self::from_ordinal(self.ordinal() + months)
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for YearMonth {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || DomainError::InvalidMonth { value: s.to_owned() };
        let (year, month) = s.split_once('-').ok_or_else(invalid)?;
        if year.len() != 4 || month.len() != 2 {
            return Err(invalid());
        }
        let year: i32 = year.parse().map_err(|_| invalid())?;
        let month: u32 = month.parse().map_err(|_| invalid())?;
        Self::new(year, month).ok_or_else(invalid)
    }
}

impl TryFrom<String> for YearMonth {
    type Error = DomainError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<YearMonth> for String {
    fn from(value: YearMonth) -> Self {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_round_trips_through_text() {
        let m: YearMonth = "2023-01".parse().unwrap();
        assert_eq!(m.to_string(), "2023-01");
        assert_eq!(m.plus(-1).to_string(), "2022-12");
        assert_eq!(YearMonth::from_ordinal(m.ordinal()), m);
    }

    #[test]
    fn month_rejects_bad_text() {
        for bad in ["2023-13", "2023-00", "23-01", "2023/01", "2023-1", ""] {
            assert!(bad.parse::<YearMonth>().is_err(), "accepted {bad:?}");
        }
    }
}
