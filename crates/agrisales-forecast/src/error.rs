use thiserror::Error;

/// Errors of the forecasting crate.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum ForecastError {
    /// The series is too short for the model.
    #[error("product {product_id}: {months} month(s) of history, the model {model} needs at least {required}")]
    TooShort {
        /// `id_produit` of the series.
        product_id: i32,
        /// The model's name.
        model: &'static str,
        /// Months available.
        months: usize,
        /// Months required.
        required: usize,
    },

    /// The least-squares solver failed.
    #[error("product {product_id}: fitting {model} failed: {message}")]
    Fit {
        /// `id_produit` of the series.
        product_id: i32,
        /// The model's name.
        model: &'static str,
        /// The solver's message.
        message: String,
    },

    /// The design matrix stays rank-deficient after dropping the trend.
    #[error(
        "product {product_id}: design matrix of {model} has rank {rank} for {columns} columns (with intercept); the history is too short or too regular for its features"
    )]
    RankDeficient {
        /// `id_produit` of the series.
        product_id: i32,
        /// The model's name.
        model: &'static str,
        /// Numerical rank found.
        rank: usize,
        /// Columns including the intercept.
        columns: usize,
    },

    /// The series' data does not match its declared shape.
    #[error("product {product_id}: series has {values} values for {months} months × {regions} regions")]
    Shape {
        /// `id_produit` of the series.
        product_id: i32,
        /// Values present.
        values: usize,
        /// Months declared.
        months: usize,
        /// Regions declared.
        regions: usize,
    },
}
