//! Pure aggregation engine of agrisales: no database, no I/O.
//!
//! Sales arrive as columnar chunks ([`SaleColumns`](agrisales_domain::SaleColumns))
//! in any order and any chunk size. Two streaming consumers turn them into
//! the ETL's outputs:
//!
//! - [`MonthlyAggregator`]: monthly totals per (region, category):
//!   quantity, revenue (exact, rounded to the cent once per group),
//!   number of sales, and the trend against the previous month and the
//!   same month a year before. Its output is what `agrégats_ventes` holds.
//! - [`SeriesBuilder`]: monthly quantities per (product, region), zeros
//!   filled in, the input of the forecasting crate.
//!
//! Both sum into one dense grid of exact integers indexed by (month,
//! product, region): no hashing, two small table loads and one 16-byte
//! cell update per sale. Memory depends on the number of months, regions
//! and products, never on the number of sales. Revenue is derived once
//! per cell as price × quantity sum, when the grid folds into the
//! consumer's cells (categories for `MonthlyAggregator`), and `finish`
//! builds `ndarray` tables from them. Chunks of 262,144 sales or more are
//! split between threads, each with a grid of its own, and the grids are
//! added at the end. The result does not depend on the number of threads.
//!
//! # Example
//!
//! ```
//! use agrisales_domain::{Cents, Product, Quantity, Region, SaleColumns, YearMonth};
//! use agrisales_transform::MonthlyAggregator;
//!
//! let regions = [Region { id: 1, name: "Bretagne".into(), population: 3_394_567 }];
//! let products = [Product { id: 7, name: "Pommes".into(), category: "fruits".into(), unit_price: Cents::new(180) }];
//!
//! let mut chunk = SaleColumns::default();
//! let july: YearMonth = "2024-07".parse()?;
//! chunk.push(7, 1, july, Quantity::from_milli(2_500)); // 2.5 kg
//! chunk.push(7, 1, july, Quantity::from_milli(1_000)); // 1 kg
//!
//! let mut aggregator = MonthlyAggregator::new(&regions, &products)?;
//! aggregator.push(&chunk)?;
//! let aggregates = aggregator.finish();
//! assert_eq!(aggregates.len(), 1);
//! assert_eq!(aggregates[0].revenue, Cents::new(630)); // 3.5 kg × 1.80 €
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod aggregate;
mod cells;
mod error;
mod index;
mod series;
#[cfg(test)]
mod tests;

pub use aggregate::MonthlyAggregator;
pub use error::TransformError;
pub use series::SeriesBuilder;
