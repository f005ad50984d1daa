//! MongoDB document store of agrisales.
//!
//! [`MongoStore`] owns the two collections of the data contract:
//!
//! - `agrégats_ventes` ([`AGGREGATES_COLLECTION`]): one document per
//!   (region, category, month) with sales. It has a unique index on
//!   (`id_region`, `catégorie`, `mois`), plus indexes for reads by region
//!   and by category over a month range.
//! - `prévisions_popularité` ([`FORECASTS_COLLECTION`]): one document per
//!   (product, forecast month); unique index on (`id_produit`, `mois`).
//!
//! [`MongoStore::ensure_collections`] creates both with `$jsonSchema`
//! validators and their indexes, idempotently. Writes go through the
//! domain's [`AggregateSink`](agrisales_domain::AggregateSink): upserts on
//! the unique key in batches, then removal of documents whose key is gone,
//! so running a load twice, or again after a crash, leaves the same
//! documents. Quantities and money are stored as `Decimal128`.
//!
//! The collection `etl_runs` ([`RUNS_COLLECTION`]) is the ETL's run
//! journal ([`RunRecord`]): start, end, status, the month versions the run
//! read, counts and error. Writes are retried on transient errors under a
//! bounded [`RetryPolicy`], and write commands stay under the limits the
//! server announces ([`ServerLimits`]).
//!
//! Reads: [`MongoStore::region_monthly_sales`] and
//! [`MongoStore::category_monthly_sales`] over a month range, both served
//! by indexes ([`MongoStore::plan_stages`] shows the plan), and
//! [`MongoStore::year_to_date_by_region`], an aggregation pipeline.
//!
//! The crate talks to the server only through the official `mongodb`
//! driver, so it works with MongoDB and wire-compatible servers alike.
//!
//! # Example
//!
//! Needs a running MongoDB; `cargo run --release --example etl` runs the
//! whole load.
//!
//! ```no_run
//! use agrisales_domain::AggregateSink;
//! use agrisales_mongo::{DEFAULT_DATABASE, MongoStore};
//!
//! let mut store = MongoStore::connect("mongodb://127.0.0.1:27017", DEFAULT_DATABASE)?;
//! store.ensure_collections()?;
//! let summary = store.replace_aggregates(&[])?; // empties the collection
//! println!("{} stale documents removed", summary.deleted);
//! # Ok::<(), agrisales_mongo::MongoError>(())
//! ```

mod documents;
mod error;
mod queries;
mod retry;
mod runs;
mod schema;
mod store;

pub use documents::{aggregate_document, forecast_document};
pub use error::MongoError;
pub use queries::{AggregateQuery, RegionYearToDate};
pub use retry::RetryPolicy;
pub use runs::{RUNS_COLLECTION, RunId, RunRecord, RunStatus};
pub use schema::{AGGREGATES_COLLECTION, FORECASTS_COLLECTION, aggregates_validator, forecasts_validator};
pub use store::{DEFAULT_DATABASE, DEFAULT_SERVER_SELECTION_TIMEOUT, MongoStore, ServerLimits};
