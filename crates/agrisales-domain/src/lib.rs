//! Domain model shared by every agrisales crate.
//!
//! This crate has no I/O. It defines the records the other layers exchange
//! and the traits that decouple them:
//!
//! - [`Region`], [`Product`], [`NewSale`]: rows of the PostgreSQL tables
//!   `regions`, `produits` and `ventes`.
//! - [`Quantity`], [`Cents`], [`Revenue`]: exact fixed-point numbers for
//!   kilograms and euros, so that totals match SQL `NUMERIC` to the cent.
//! - [`YearMonth`]: a calendar month, persisted as `YYYY-MM`.
//! - [`SaleColumns`]: a columnar chunk of sales, the unit the storage layer
//!   streams to the aggregation engine.
//! - [`MonthlyAggregate`], [`ProductForecast`]: the documents written to the
//!   MongoDB collections `agrégats_ventes` and `prévisions_popularité`.
//! - [`ProductRegionSeries`]: monthly quantities of one product per region,
//!   the input of the forecasting crate.
//! - [`SalesSource`], [`AggregateSink`]: the traits the ETL composes.
//!
//! # Example
//!
//! ```
//! use agrisales_domain::{Cents, Quantity, Revenue, YearMonth};
//!
//! let quantity: Quantity = "12.5".parse()?;           // 12.5 kg
//! let price: Cents = "3.99".parse()?;                 // 3.99 € per kg
//! let revenue = Revenue::of(quantity, price);
//! assert_eq!(revenue.to_cents_rounded(), Cents::new(4988)); // 49.875 € rounds up
//!
//! let month: YearMonth = "2024-12".parse()?;
//! assert_eq!(month.succ().to_string(), "2025-01");
//! # Ok::<(), agrisales_domain::DomainError>(())
//! ```

mod error;
mod fixed;
mod model;
mod month;
mod traits;

pub use error::DomainError;
pub use fixed::{Cents, Quantity, Revenue};
pub use model::{
    MonthlyAggregate, NewProduct, NewRegion, NewSale, Product, ProductForecast, ProductRegionSeries, Region,
    SaleColumns,
};
pub use month::YearMonth;
pub use traits::{AggregateSink, ChunkError, SalesSource, WriteSummary};
