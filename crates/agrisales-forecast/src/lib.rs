//! Sales forecasting of agrisales: pure computation, no database.
//!
//! The input is one [`ProductRegionSeries`](agrisales_domain::ProductRegionSeries)
//! per product (monthly kilograms per region, zeros filled in); the output
//! is the documents of `prévisions_popularité`.
//!
//! - [`Forecaster`]: the trait every model implements (fit on a history,
//!   forecast the next months' product total).
//! - [`SeasonRegionOls`]: linfa-linear ordinary least squares on
//!   month-of-year and region dummies, optionally with a linear trend.
//! - [`RegionalOls`]: the same regression fitted per product and region,
//!   without pooling.
//! - [`SeasonalNaive`] and [`HistoricalMean`]: the baselines a model must
//!   beat.
//! - [`backtest`]: rolling-origin evaluation over the last months, with
//!   MAE and MASE ([`Backtest`]).
//! - [`evaluate`]: backtests every model of [`candidates`] on one product
//!   and picks the one with the lowest MASE ([`Evaluation`]); RMSE,
//!   sMAPE and the hit rate of the prediction interval come with it.
//! - [`forecast_products`]: picks each product's model by backtest MASE,
//!   forecasts the next months with an empirical prediction interval, and
//!   ranks products by forecast quantity overall and within their category.
//!
//! # Example
//!
//! ```
//! use agrisales_domain::ProductRegionSeries;
//! use agrisales_forecast::{Forecaster, SeasonRegionOls};
//!
//! // Two regions over 24 months; the second sells twice as much, and
//! // every July doubles.
//! let first_month = "2023-01".parse()?;
//! let mut quantity_kg = Vec::new();
//! for m in 0..24 {
//!     let season = if m % 12 == 6 { 2.0 } else { 1.0 };
//!     quantity_kg.extend([100.0 * season, 200.0 * season]);
//! }
//! let series = ProductRegionSeries { product_id: 1, region_ids: vec![1, 2], first_month, months: 24, quantity_kg };
//!
//! let forecast = SeasonRegionOls { trend: false }.forecast(&series, 7)?;
//! assert!((forecast[6] - 600.0).abs() < 1e-6); // next July: 2 × (100 + 200)
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod backtest;
mod error;
mod evaluation;
mod features;
mod intervals;
mod models;
mod popularity;

pub use backtest::{Backtest, BacktestPoint, backtest, quantile};
pub use error::ForecastError;
pub use evaluation::{Evaluation, candidates, evaluate};
pub use features::{FeatureSpec, grid_rows, rank_with_intercept};
pub use intervals::IntervalCalibration;
pub use models::{FittedSeasonRegion, Forecaster, HistoricalMean, RegionalOls, SeasonRegionOls, SeasonalNaive};
pub use popularity::{ForecastConfig, NO_HISTORY_MODEL, forecast_products};
