//! agrisales: agricultural-sales data from PostgreSQL to monthly aggregates
//! and popularity forecasts in MongoDB.
//!
//! This facade re-exports the workspace's crates under short names, so a
//! program can depend on `agrisales` alone:
//!
//! | module | crate | role |
//! |---|---|---|
//! | [`domain`] | `agrisales-domain` | records, exact numbers, months, traits |
//! | [`postgres`] | `agrisales-postgres` | Diesel schema, migrations, COPY load and extract |
//! | [`mongo`] | `agrisales-mongo` | collections, validators, indexes, idempotent loads |
//! | [`transform`] | `agrisales-transform` | ndarray aggregation engine |
//! | [`forecast`] | `agrisales-forecast` | linfa-linear models, baselines, backtests |
//! | [`datagen`] | `agrisales-datagen` | seeded generator of French sales |
//! | [`etl`] | `agrisales-etl` | the ETL composed from the above |
//! | [`charts`] | `agrisales-charts` | PNG, SVG and HTML charts of trends and forecasts |
//! | [`import`] | `agrisales-import` | CSV reading, column mappings, validation, rejects |
//!
//! The examples in `examples/` are the command-line entry points; start
//! with `cargo run --release --example etl`.

pub use agrisales_charts as charts;
pub use agrisales_datagen as datagen;
pub use agrisales_domain as domain;
pub use agrisales_etl as etl;
pub use agrisales_forecast as forecast;
pub use agrisales_import as import;
pub use agrisales_mongo as mongo;
pub use agrisales_postgres as postgres;
pub use agrisales_transform as transform;
