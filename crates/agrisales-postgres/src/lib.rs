//! PostgreSQL repository of agrisales, built on Diesel.
//!
//! - [`MIGRATIONS`]: the schema (`regions`, `produits`, `ventes`, their keys,
//!   CHECK constraints and indexes), embedded so a program applies it with
//!   [`PgRepository::run_migrations`].
//! - [`PgRepository`]: connection (with [`PgRepository::connect_or_create`]
//!   creating a missing database), bulk loading through multi-row `INSERT`
//!   and `COPY ... FROM STDIN`, and streaming extraction through
//!   `COPY ... TO STDOUT (FORMAT binary)`. It implements the domain's
//!   [`SalesSource`](agrisales_domain::SalesSource).
//! - [`analyses`]: the six sales analyses (sales by region and month, top
//!   products by category, lowest-selling regions, top products by revenue
//!   per region, top categories per region, one product's monthly history),
//!   each over an optional [`DateRange`].
//! - Incremental runs: [`PgRepository::month_versions`] (a version per
//!   month, changed by triggers on every write to `ventes`),
//!   [`PgRepository::stream_sales_in_months`],
//!   [`PgRepository::snapshot`] and the advisory locks that keep ETL runs
//!   from overlapping.
//! - Parallel reads: [`PgRepository::open_parallel_sales`] opens more
//!   connections that share a snapshot, and [`ParallelSales::stream`]
//!   reads an equal share of the sales over each, on threads of their own.
//!   One `COPY` runs in one server process, which limits a single stream.
//! - [`schema`]: Diesel table definitions for queries of your own.
//! - [`PgError`]: every failure, naming the server as `host:port/database`
//!   and never a password.
//!
//! Prices and quantities cross the boundary as exact integers (cents and
//! thousandths of a kilogram) cast in SQL, so no decimal type is needed on
//! the Rust side.
//!
//! # Example
//!
//! Needs a running PostgreSQL; `cargo run --release --example etl` runs the
//! same steps against the server in `DATABASE_URL`.
//!
//! ```no_run
//! use agrisales_postgres::PgRepository;
//!
//! let mut repo = PgRepository::connect_or_create("postgres://postgres@127.0.0.1:5432/ventes_agricoles")?;
//! repo.run_migrations()?;
//! let counts = repo.counts()?;
//! println!("{} sales in {} regions", counts.sales, counts.regions);
//!
//! let mut total_milli = 0_i64;
//! repo.stream_sales(65_536, &mut |chunk| {
//!     total_milli += chunk.quantity_milli.iter().sum::<i64>();
//!     Ok(())
//! })?;
//! # Ok::<(), agrisales_postgres::PgError>(())
//! ```

pub mod analyses;
mod copy_binary;
mod error;
mod import;
mod incremental;
mod parallel;
mod raw_copy;
mod repository;
pub mod schema;
mod target;

pub use analyses::{DateRange, ProductRef};
pub use error::PgError;
pub use incremental::{ETL_TABLES, LockHolder, MonthVersion};
pub use parallel::ParallelSales;
pub use repository::{MIGRATIONS, PgRepository, RowCount, TableCounts};
pub use target::PgTarget;
