//! ETL composition of agrisales: the layer that depends on every other crate.
//!
//! - [`run_etl`]: streams sales from any
//!   [`SalesSource`](agrisales_domain::SalesSource) through the
//!   aggregation engine and the forecasting crate into any
//!   [`AggregateSink`](agrisales_domain::AggregateSink), reporting progress
//!   to an [`Observer`] and returning an [`EtlReport`] with counts and
//!   per-stage timings.
//! - [`run_job`]: the scheduled form of the same run, from
//!   [`PgRepository`](agrisales_postgres::PgRepository) to
//!   [`MongoStore`](agrisales_mongo::MongoStore): one runner at a time
//!   (a PostgreSQL advisory lock), a journal in `etl_runs`, and
//!   incremental runs that recompute only the months changed since the
//!   last successful run. A run killed at any point is repaired by the
//!   next one; the [`job`] module docs explain why.
//! - [`seed_database`]: fills PostgreSQL with generated data in one
//!   transaction.
//! - [`import_files`]: CSV files of regions, products and sales into
//!   PostgreSQL, with every rejected row reported ([`ImportReport`]).
//! - [`Settings`]: `DATABASE_URL`, `MONGODB_URI` and `MONGODB_DATABASE`
//!   resolved from flags, environment and defaults.
//!
//! The storage crates do not know each other; this crate plugs the
//! PostgreSQL repository into the MongoDB store.
//!
//! # Example
//!
//! `cargo run --release --example etl` runs the whole job with progress
//! bars. In code:
//!
//! ```no_run
//! use agrisales_etl::{EtlConfig, Settings, Silent, run_etl};
//! use agrisales_mongo::MongoStore;
//! use agrisales_postgres::PgRepository;
//!
//! let settings = Settings::resolve(None, None, None);
//! let mut source = PgRepository::connect(&settings.database_url)?;
//! let mut sink = MongoStore::connect(&settings.mongodb_uri, &settings.mongodb_database)?;
//! sink.ensure_collections()?;
//! let report = run_etl(&mut source, &mut sink, &EtlConfig::default(), &mut Silent)?;
//! println!("{} sales → {} aggregates", report.sales_read, report.aggregates_written);
//! # Ok::<(), agrisales_etl::EtlError>(())
//! ```

mod error;
mod import;
pub mod job;
mod pipeline;
mod seed;
mod settings;

pub use error::EtlError;
pub use import::{ImportInputs, ImportObserver, ImportReport, ImportRunError, KindReport, QuietImport, import_files};
pub use job::{JobConfig, JobReport, RunMode, run_job};
pub use pipeline::{EtlConfig, EtlReport, Observer, SalesHistory, Silent, Stage, load_history, run_etl};
pub use seed::seed_database;
pub use settings::{DEFAULT_DATABASE_URL, DEFAULT_MONGODB_URI, Settings, redact};
