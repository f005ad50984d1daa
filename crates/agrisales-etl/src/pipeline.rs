//! The ETL run: extract, aggregate, forecast, load.

use std::time::{Duration, Instant};

use agrisales_domain::{AggregateSink, Product, ProductForecast, ProductRegionSeries, SalesSource, YearMonth};
use agrisales_forecast::{ForecastConfig, forecast_products};
use agrisales_transform::{MonthlyAggregator, SeriesBuilder};

use crate::EtlError;

/// A stage of the ETL, in running order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// Streaming the sales out of PostgreSQL and aggregating them.
    ExtractAggregate,
    /// Fitting and backtesting the models.
    Forecast,
    /// Writing `agrégats_ventes`.
    LoadAggregates,
    /// Writing `prévisions_popularité`.
    LoadForecasts,
}

impl Stage {
    /// Returns a short label for summaries and progress bars.
    pub fn label(self) -> &'static str {
        match self {
            Stage::ExtractAggregate => "extract + aggregate",
            Stage::Forecast => "forecast",
            Stage::LoadAggregates => "load agrégats_ventes",
            Stage::LoadForecasts => "load prévisions_popularité",
        }
    }
}

/// Receives progress while the ETL runs; examples draw progress bars with
/// it. Every method has an empty default.
pub trait Observer {
    /// Reports that a stage starts. `total` is its number of work units when known
    /// (sales for [`Stage::ExtractAggregate`]).
    fn stage_started(&mut self, _stage: Stage, _total: Option<u64>) {}

    /// `done` work units of the running stage are finished.
    fn progress(&mut self, _stage: Stage, _done: u64) {}

    /// Reports that a stage ended after `elapsed`.
    fn stage_finished(&mut self, _stage: Stage, _elapsed: Duration) {}
}

/// An observer that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Observer for Silent {}

/// Settings of [`run_etl`].
#[derive(Debug, Clone, PartialEq)]
pub struct EtlConfig {
    /// Sales per chunk streamed from the source. Default: 65,536.
    pub chunk_rows: usize,
    /// Number of sales the source holds, when the caller knows it; only
    /// used for progress.
    pub expected_sales: Option<u64>,
    /// Forecast settings.
    pub forecast: ForecastConfig,
    /// Connections that read the sales at once in a full run of
    /// [`run_job`](crate::run_job); 1 reads over the job's own
    /// connection. Each extra connection keeps a PostgreSQL server
    /// process busy, so more than the server's cores gains nothing.
    /// Default: 2.
    pub extract_connections: usize,
}

impl Default for EtlConfig {
    fn default() -> Self {
        Self {
            chunk_rows: 65_536,
            expected_sales: None,
            forecast: ForecastConfig::default(),
            extract_connections: 2,
        }
    }
}

/// Counts and timings of one run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EtlReport {
    /// Sales streamed from the source.
    pub sales_read: u64,
    /// Documents written to `agrégats_ventes`.
    pub aggregates_written: u64,
    /// Stale documents removed from `agrégats_ventes`.
    pub aggregates_deleted: u64,
    /// Documents written to `prévisions_popularité`.
    pub forecasts_written: u64,
    /// Stale documents removed from `prévisions_popularité`.
    pub forecasts_deleted: u64,
    /// Last month with sales; forecasts cover the months after it.
    pub last_month: Option<YearMonth>,
    /// Wall time of each stage, in running order.
    pub timings: Vec<(Stage, Duration)>,
    /// Share of [`Stage::ExtractAggregate`] spent aggregating, the rest
    /// being the source's reading and parsing.
    pub aggregate_time: Duration,
}

/// Runs the ETL from `source` to `sink`.
///
/// 1. Streams every sale in chunks into the aggregation engine and the
///    forecasting series (one pass; memory does not grow with sales).
/// 2. Forecasts every product for the months after the last month with
///    sales. With no sale at all, no forecast is made.
/// 3. Replaces `agrégats_ventes`, then `prévisions_popularité`.
///
/// Loads are idempotent upserts followed by removal of stale keys, so a
/// second run leaves the same documents, and a run after a crash repairs
/// what the crashed run left.
pub fn run_etl<S, K>(
    source: &mut S,
    sink: &mut K,
    config: &EtlConfig,
    observer: &mut dyn Observer,
) -> Result<EtlReport, EtlError>
where
    S: SalesSource,
    K: AggregateSink,
{
    let mut report = EtlReport::default();

    let regions = source.regions().map_err(|e| EtlError::Source(Box::new(e)))?;
    let products = source.products().map_err(|e| EtlError::Source(Box::new(e)))?;
    tracing::info!(
        regions = regions.len(),
        products = products.len(),
        "reference data read"
    );

    let started = Instant::now();
    observer.stage_started(Stage::ExtractAggregate, config.expected_sales);
    let mut aggregator = MonthlyAggregator::new(&regions, &products)?;
    let mut series = SeriesBuilder::new(&regions, &products)?;
    let mut aggregate_time = Duration::ZERO;
    let mut seen = 0_u64;
    report.sales_read = source
        .stream_sales(config.chunk_rows, &mut |chunk| {
            let t = Instant::now();
            aggregator.push(chunk)?;
            series.push(chunk)?;
            aggregate_time += t.elapsed();
            seen += chunk.len() as u64;
            observer.progress(Stage::ExtractAggregate, seen);
            Ok(())
        })
        .map_err(|e| EtlError::Source(Box::new(e)))?;
    report.aggregate_time = aggregate_time;
    finish_stage(&mut report, observer, Stage::ExtractAggregate, started);
    tracing::info!(sales = report.sales_read, "sales extracted and aggregated");

    report.last_month = series.last_month();
    let aggregates = aggregator.finish();
    let forecasts = forecast_stage(
        series,
        &products,
        report.last_month,
        &config.forecast,
        observer,
        &mut report,
    );

    let started = Instant::now();
    observer.stage_started(Stage::LoadAggregates, Some(aggregates.len() as u64));
    let written = sink
        .replace_aggregates(&aggregates)
        .map_err(|e| EtlError::Sink(Box::new(e)))?;
    report.aggregates_written = written.upserted;
    report.aggregates_deleted = written.deleted;
    observer.progress(Stage::LoadAggregates, written.upserted);
    finish_stage(&mut report, observer, Stage::LoadAggregates, started);

    let started = Instant::now();
    observer.stage_started(Stage::LoadForecasts, Some(forecasts.len() as u64));
    let written = sink
        .replace_forecasts(&forecasts)
        .map_err(|e| EtlError::Sink(Box::new(e)))?;
    report.forecasts_written = written.upserted;
    report.forecasts_deleted = written.deleted;
    observer.progress(Stage::LoadForecasts, written.upserted);
    finish_stage(&mut report, observer, Stage::LoadForecasts, started);

    tracing::info!(
        aggregates = report.aggregates_written,
        forecasts = report.forecasts_written,
        "documents loaded"
    );
    Ok(report)
}

/// Monthly series of every product, read from `source` in one streaming
/// pass, with the products and the last month with sales.
#[derive(Debug, Clone, PartialEq)]
pub struct SalesHistory {
    /// Every product of the source.
    pub products: Vec<Product>,
    /// One series per product with sales; see [`SeriesBuilder::finish`].
    pub series: Vec<ProductRegionSeries>,
    /// Last month with sales; `None` without sales.
    pub last_month: Option<YearMonth>,
}

/// Streams every sale of `source` into per-product monthly series, for
/// forecasting and model evaluation without the rest of the ETL.
pub fn load_history<S: SalesSource>(source: &mut S, chunk_rows: usize) -> Result<SalesHistory, EtlError> {
    let regions = source.regions().map_err(|e| EtlError::Source(Box::new(e)))?;
    let products = source.products().map_err(|e| EtlError::Source(Box::new(e)))?;
    let mut builder = SeriesBuilder::new(&regions, &products)?;
    source
        .stream_sales(chunk_rows, &mut |chunk| Ok(builder.push(chunk)?))
        .map_err(|e| EtlError::Source(Box::new(e)))?;

    let last_month = builder.last_month();
    Ok(SalesHistory {
        products,
        series: builder.finish(),
        last_month,
    })
}

/// Runs [`Stage::Forecast`]: forecasts every product of `series` for the
/// months after `last_month`; nothing without sales.
pub(crate) fn forecast_stage(
    series: SeriesBuilder,
    products: &[Product],
    last_month: Option<YearMonth>,
    config: &ForecastConfig,
    observer: &mut dyn Observer,
    report: &mut EtlReport,
) -> Vec<ProductForecast> {
    let started = Instant::now();
    observer.stage_started(Stage::Forecast, Some(products.len() as u64));
    let forecasts = compute_forecasts(series, products, last_month, config);
    observer.progress(Stage::Forecast, products.len() as u64);
    finish_stage(report, observer, Stage::Forecast, started);
    forecasts
}

/// Returns the forecasts of every product from `series`, or none when
/// there was no sale (`last_month` is `None`).
pub(crate) fn compute_forecasts(
    series: SeriesBuilder,
    products: &[Product],
    last_month: Option<YearMonth>,
    config: &ForecastConfig,
) -> Vec<ProductForecast> {
    match last_month {
        Some(last) => forecast_products(&series.finish(), products, last, config),
        None => {
            tracing::warn!("no sales: no forecast is made and both collections are emptied");
            Vec::new()
        }
    }
}

pub(crate) fn finish_stage(report: &mut EtlReport, observer: &mut dyn Observer, stage: Stage, started: Instant) {
    let elapsed = started.elapsed();
    report.timings.push((stage, elapsed));
    observer.stage_finished(stage, elapsed);
}
