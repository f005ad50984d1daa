use thiserror::Error;

/// Errors raised while parsing or validating domain values.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DomainError {
    /// A decimal number could not be parsed or has too many decimals.
    #[error("invalid {what} `{value}`: {reason}")]
    InvalidNumber {
        /// The kind of number expected (for example "quantity").
        what: &'static str,
        /// The rejected text.
        value: String,
        /// The reason for the rejection.
        reason: &'static str,
    },

    /// A month was not in the `YYYY-MM` form or out of range.
    #[error("invalid month `{value}`: expected YYYY-MM with a month from 01 to 12")]
    InvalidMonth {
        /// The rejected text.
        value: String,
    },
}
