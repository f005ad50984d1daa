//! The scheduled ETL job: single runner, run journal, full or incremental.
//!
//! # How a run stays correct
//!
//! - **Single runner.** A run first takes a PostgreSQL session-level
//!   advisory lock keyed by the MongoDB database name. A second run waits
//!   up to [`JobConfig::lock_wait`], then fails with
//!   [`EtlError::Locked`] naming the holder. The server releases the lock
//!   when the holder's connection closes, so a killed run never leaves it
//!   behind.
//! - **Consistent input.** The month versions, the reference data and the
//!   sales are read in one `REPEATABLE READ` snapshot: the versions a run
//!   records describe exactly the sales it aggregated, even while other
//!   sessions write.
//! - **Incremental.** Triggers give each month a new version whenever a
//!   sale of that month is inserted, updated or deleted, whatever the
//!   sale's date, so late sales for an old month are seen. An incremental
//!   run compares the versions with those of the last successful run in
//!   `etl_runs` and recomputes the changed months, the months after them
//!   (their month-over-month trend) and twelve months after them (their
//!   year-over-year trend). Forecasts are recomputed from monthly totals
//!   per product and region (read from `ventes_par_jour`, so their cost
//!   does not grow with sales) whenever anything changed. A change of
//!   `regions` or `produits`, or no earlier successful run, makes the run
//!   full.
//! - **Crash safety by idempotence.** Every write is an upsert on the
//!   document's unique key followed by removal of stale keys in the
//!   replaced scope. A killed run leaves some documents new and some old,
//!   and its journal entry `running`. It never reaches `succeeded`, so the
//!   next run compares against the last run that did. That run recomputes
//!   a superset of the killed run's months and rewrites them. No swap of
//!   collections and no multi-document transaction is needed, and readers
//!   always see complete documents.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use agrisales_domain::{AggregateSink, ChunkError, MonthlyAggregate, Product, Region, SaleColumns, YearMonth};
use agrisales_mongo::{MongoStore, RunId, RunRecord, RunStatus};
use agrisales_postgres::{MonthVersion, ParallelSales, PgRepository};
use agrisales_transform::{MonthlyAggregator, SeriesBuilder};

use crate::pipeline::{compute_forecasts, finish_stage};
use crate::{EtlConfig, EtlError, EtlReport, Observer, Stage};

/// Class of the advisory lock, `agri` in ASCII; the key is a hash of the
/// MongoDB database name.
const LOCK_CLASS: i32 = 0x6167_7269;

/// How often a waiting run tries the lock again.
const LOCK_POLL: Duration = Duration::from_millis(200);

/// Scope of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RunMode {
    /// Every month and every forecast.
    Full,
    /// Only the months changed since the last successful run, and the
    /// forecasts; full when there is no such run. The default.
    #[default]
    Incremental,
}

impl RunMode {
    /// `full` or `incremental`, as stored in `etl_runs`.
    pub fn as_str(self) -> &'static str {
        match self {
            RunMode::Full => "full",
            RunMode::Incremental => "incremental",
        }
    }
}

/// Settings of [`run_job`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JobConfig {
    /// Requested mode. Default: [`RunMode::Incremental`].
    pub mode: RunMode,
    /// How long to wait for another run to finish. Default: zero, fail at
    /// once.
    pub lock_wait: Duration,
    /// Chunk size and forecast settings.
    pub etl: EtlConfig,
}

/// Outcome of [`run_job`].
#[derive(Debug, Clone, PartialEq)]
pub struct JobReport {
    /// Mode the run took: an incremental request can turn into a full run.
    pub mode: RunMode,
    /// Reason for the mode, for logs and summaries.
    pub reason: String,
    /// Journal id of the run in `etl_runs`.
    pub run_id: String,
    /// Months whose aggregates were rewritten, in order. Empty when nothing
    /// changed since the last successful run.
    pub months_recomputed: Vec<YearMonth>,
    /// Runs found `running` and marked `abandoned` (left by killed runs).
    pub abandoned_runs: u64,
    /// Highest month version in the run's snapshot.
    pub high_water_mark: Option<i64>,
    /// Counts and timings.
    pub etl: EtlReport,
}

/// Plan of a run, decided from the journal and the versions.
#[derive(Debug, Clone, PartialEq)]
enum Plan {
    Full(String),
    Months {
        write: Vec<YearMonth>,
        read: Vec<YearMonth>,
    },
    UpToDate,
}

/// Runs the ETL from PostgreSQL to MongoDB as a scheduled job: one runner
/// at a time, journaled in `etl_runs`, full or incremental; see the module
/// docs for how it stays correct.
///
/// Before it writes anything it checks that the tables exist and takes the
/// lock, so a wrong database or a missing table changes nothing. Errors
/// after the run is journaled mark it `failed` with the error text.
pub fn run_job(
    pg: &mut PgRepository,
    mongo: &mut MongoStore,
    config: &JobConfig,
    observer: &mut dyn Observer,
) -> Result<JobReport, EtlError> {
    pg.check_etl_tables()?;

    let (_, key) = advisory_lock_id(mongo.database().name());
    acquire_lock(pg, key, mongo.target(), config.lock_wait)?;
    let result = locked_run(pg, mongo, config, &mut Logged(observer));
    match pg.advisory_unlock(LOCK_CLASS, key) {
        Ok(true) => {}
        // The connection is gone with the lock, or it was never held.
        Ok(false) => tracing::debug!("the ETL lock was already released"),
        Err(error) => tracing::debug!(%error, "releasing the ETL lock failed; closing the connection releases it"),
    }
    result
}

fn locked_run(
    pg: &mut PgRepository,
    mongo: &mut MongoStore,
    config: &JobConfig,
    observer: &mut dyn Observer,
) -> Result<JobReport, EtlError> {
    mongo.ensure_collections()?;
    let abandoned_runs = mongo.abandon_unfinished_runs()?;
    if abandoned_runs > 0 {
        tracing::warn!(
            abandoned_runs,
            "earlier runs stopped before finishing; this run repairs what they left"
        );
    }
    let previous = match config.mode {
        RunMode::Full => None,
        RunMode::Incremental => mongo.last_successful_run()?,
    };

    let mut record = RunRecord {
        mode: config.mode.as_str().to_owned(),
        status: RunStatus::Running,
        started_at_ms: now_ms(),
        finished_at_ms: None,
        high_water_mark: None,
        month_versions: Vec::new(),
        reference_fingerprint: String::new(),
        months_recomputed: Vec::new(),
        sales_read: 0,
        documents_written: 0,
        documents_deleted: 0,
        error: None,
        runner: runner_name(),
    };
    let run_id = mongo.start_run(&record)?;
    tracing::info!(run = %run_id, requested = config.mode.as_str(), "run started");

    match journaled_run(pg, mongo, config, observer, previous.as_ref(), &mut record, run_id) {
        Ok(mut report) => {
            record.status = RunStatus::Succeeded;
            record.finished_at_ms = Some(now_ms());
            mongo.update_run(run_id, &record)?;
            report.abandoned_runs = abandoned_runs;
            Ok(report)
        }
        Err(error) => {
            record.status = RunStatus::Failed;
            record.finished_at_ms = Some(now_ms());
            record.error = Some(error.to_string());
            if let Err(journal) = mongo.update_run(run_id, &record) {
                tracing::error!(%journal, "could not record the failure in etl_runs");
            }
            Err(error)
        }
    }
}

/// Reads every sale of the snapshot into `aggregator` and `series` and
/// returns their number. With `extract_connections` above 1, the sales
/// come over that many connections at once ([`extract_parallel`]). When
/// no extra connection can be opened, one connection reads everything.
fn extract_all(
    pg: &mut PgRepository,
    aggregator: &mut MonthlyAggregator,
    series: &mut SeriesBuilder,
    aggregate_time: &mut Duration,
    config: &JobConfig,
    observer: &mut dyn Observer,
) -> Result<u64, EtlError> {
    if config.etl.extract_connections > 1 {
        match pg.open_parallel_sales(config.etl.extract_connections) {
            Ok(readers) => return extract_parallel(pg, readers, aggregator, series, aggregate_time, config, observer),
            Err(error) => tracing::warn!(%error, "reading the sales over one connection instead"),
        }
    }

    let mut seen = 0_u64;
    pg.stream_sales(config.etl.chunk_rows, &mut |chunk| {
        let t = Instant::now();
        aggregator.push(chunk)?;
        series.push(chunk)?;
        *aggregate_time += t.elapsed();
        seen += chunk.len() as u64;
        observer.progress(Stage::ExtractAggregate, seen);
        Ok(())
    })
    .map_err(|e| EtlError::Source(Box::new(e)))
}

/// Reads every sale over `readers`, each connection summing into a copy
/// of `aggregator` and `series` on its own thread, then merges the
/// copies into them. Returns the number of sales.
fn extract_parallel(
    pg: &mut PgRepository,
    readers: ParallelSales,
    aggregator: &mut MonthlyAggregator,
    series: &mut SeriesBuilder,
    aggregate_time: &mut Duration,
    config: &JobConfig,
    observer: &mut dyn Observer,
) -> Result<u64, EtlError> {
    let source_error = |e| EtlError::Source(Box::new(e));

    // Chunks are far below the size that splits between threads, so the
    // connections are the parallelism here.
    let mut parts: Vec<_> = (0..readers.connections())
        .map(|_| {
            let part_aggregator = aggregator.empty_copy().with_threads(1);
            (part_aggregator, series.empty_copy().with_threads(1), Duration::ZERO)
        })
        .collect();
    let mut consumers: Vec<_> = parts
        .iter_mut()
        .map(|(part_aggregator, part_series, time)| {
            move |chunk: &SaleColumns| -> Result<(), ChunkError> {
                let t = Instant::now();
                part_aggregator.push(chunk)?;
                part_series.push(chunk)?;
                *time += t.elapsed();
                Ok(())
            }
        })
        .collect();
    let rows = readers
        .stream(&mut consumers, config.etl.chunk_rows, &mut |seen| {
            observer.progress(Stage::ExtractAggregate, seen);
        })
        .map_err(source_error)?;
    drop(consumers);

    // The run's own connection holds the ETL lock. If it died while the
    // others read, stop before writing without it.
    pg.backend_pid().map_err(source_error)?;

    for (part_aggregator, part_series, time) in parts {
        aggregator.merge(part_aggregator)?;
        series.merge(part_series)?;
        *aggregate_time += time;
    }
    Ok(rows)
}

/// Runs the part of a run between its journal entries.
fn journaled_run(
    pg: &mut PgRepository,
    mongo: &mut MongoStore,
    config: &JobConfig,
    observer: &mut dyn Observer,
    previous: Option<&RunRecord>,
    record: &mut RunRecord,
    run_id: RunId,
) -> Result<JobReport, EtlError> {
    let mut etl = EtlReport::default();
    let chunk_rows = config.etl.chunk_rows;

    let extracted = pg.snapshot(|pg| -> Result<Extracted, EtlError> {
        let regions = pg.regions()?;
        let products = pg.products()?;
        let versions = pg.month_versions()?;
        let fingerprint = reference_fingerprint(&regions, &products);
        let plan = match config.mode {
            RunMode::Full => Plan::Full("a full run was asked for".to_owned()),
            RunMode::Incremental => plan(previous, &versions, &fingerprint),
        };

        let started = Instant::now();
        observer.stage_started(Stage::ExtractAggregate, config.etl.expected_sales);
        let mut aggregator = MonthlyAggregator::new(&regions, &products)?;
        let mut series = SeriesBuilder::new(&regions, &products)?;
        let mut aggregate_time = Duration::ZERO;
        let sales_read = match &plan {
            // The forecast series come from the same sales: summing them
            // costs far less than a second query.
            Plan::Full(_) => extract_all(pg, &mut aggregator, &mut series, &mut aggregate_time, config, observer)?,
            Plan::Months { read, .. } => {
                let mut seen = 0_u64;
                let rows = pg
                    .stream_sales_in_months(read, chunk_rows, &mut |chunk| {
                        let t = Instant::now();
                        aggregator.push(chunk)?;
                        aggregate_time += t.elapsed();
                        seen += chunk.len() as u64;
                        observer.progress(Stage::ExtractAggregate, seen);
                        Ok(())
                    })
                    .map_err(|e| EtlError::Source(Box::new(e)))?;

                // Forecast input: exact monthly totals per product and
                // region, for every month, not only the months read.
                pg.stream_monthly_product_totals(chunk_rows, &mut |chunk| Ok(series.push(chunk)?))
                    .map_err(|e| EtlError::Source(Box::new(e)))?;
                rows
            }
            Plan::UpToDate => 0,
        };
        let extract_time = started.elapsed();

        Ok(Extracted {
            products,
            versions,
            fingerprint,
            plan,
            aggregates: aggregator.finish(),
            last_month: series.last_month(),
            series,
            sales_read,
            aggregate_time,
            extract_time,
        })
    })?;

    etl.sales_read = extracted.sales_read;
    etl.aggregate_time = extracted.aggregate_time;
    etl.timings.push((Stage::ExtractAggregate, extracted.extract_time));
    observer.stage_finished(Stage::ExtractAggregate, extracted.extract_time);

    record.month_versions = extracted.versions.iter().map(|v| (v.month, v.version)).collect();
    record.high_water_mark = extracted.versions.iter().map(|v| v.version).max();
    record.reference_fingerprint = extracted.fingerprint.clone();
    record.sales_read = extracted.sales_read;

    let (mode, reason, months) = match &extracted.plan {
        Plan::Full(reason) => {
            let months: BTreeSet<YearMonth> = extracted.aggregates.iter().map(|a| a.month).collect();
            (RunMode::Full, reason.clone(), months.into_iter().collect())
        }
        Plan::Months { write, .. } => (
            RunMode::Incremental,
            format!("{} month(s) changed or depend on a change", write.len()),
            write.clone(),
        ),
        Plan::UpToDate => (
            RunMode::Incremental,
            "nothing changed since the last successful run".to_owned(),
            Vec::new(),
        ),
    };
    record.mode = mode.as_str().to_owned();
    record.months_recomputed = months.clone();
    // Persist what the run is about to rewrite, for people reading the
    // journal of a run that does not finish.
    mongo.update_run(run_id, record)?;
    tracing::info!(mode = mode.as_str(), %reason, months = months.len(), sales = etl.sales_read, "extracted");

    if extracted.plan != Plan::UpToDate {
        etl.last_month = extracted.last_month;
        let aggregates: Vec<MonthlyAggregate> = match &extracted.plan {
            Plan::Months { write, .. } => {
                let keep: BTreeSet<YearMonth> = write.iter().copied().collect();
                extracted
                    .aggregates
                    .into_iter()
                    .filter(|a| keep.contains(&a.month))
                    .collect()
            }
            _ => extracted.aggregates,
        };

        // Forecasting needs only this process's CPU, while loading the
        // aggregates mostly waits for MongoDB: both run at once, the
        // forecasts on a thread of their own.
        let (series, products, last_month) = (extracted.series, &extracted.products, extracted.last_month);
        let (written, forecasts, forecast_time) = std::thread::scope(|scope| {
            let forecasting = scope.spawn(move || {
                let started = Instant::now();
                let forecasts = compute_forecasts(series, products, last_month, &config.etl.forecast);
                (forecasts, started.elapsed())
            });

            let started = Instant::now();
            observer.stage_started(Stage::LoadAggregates, Some(aggregates.len() as u64));
            let written = match &extracted.plan {
                Plan::Months { write, .. } => mongo.replace_aggregates_in_months(write, &aggregates),
                _ => mongo.replace_aggregates(&aggregates),
            }
            .map_err(|e| EtlError::Sink(Box::new(e)));
            if let Ok(written) = &written {
                etl.aggregates_written = written.upserted;
                etl.aggregates_deleted = written.deleted;
                observer.progress(Stage::LoadAggregates, written.upserted);
                finish_stage(&mut etl, observer, Stage::LoadAggregates, started);
            }

            // A panic in the forecasts is a bug: pass it on unchanged.
            let (forecasts, forecast_time) = forecasting
                .join()
                .unwrap_or_else(|payload| std::panic::resume_unwind(payload));
            (written, forecasts, forecast_time)
        });
        written?;
        observer.stage_started(Stage::Forecast, Some(products.len() as u64));
        observer.progress(Stage::Forecast, products.len() as u64);
        etl.timings.push((Stage::Forecast, forecast_time));
        observer.stage_finished(Stage::Forecast, forecast_time);

        let started = Instant::now();
        observer.stage_started(Stage::LoadForecasts, Some(forecasts.len() as u64));
        let written = mongo
            .replace_forecasts(&forecasts)
            .map_err(|e| EtlError::Sink(Box::new(e)))?;
        etl.forecasts_written = written.upserted;
        etl.forecasts_deleted = written.deleted;
        observer.progress(Stage::LoadForecasts, written.upserted);
        finish_stage(&mut etl, observer, Stage::LoadForecasts, started);
    }

    record.documents_written = etl.aggregates_written + etl.forecasts_written;
    record.documents_deleted = etl.aggregates_deleted + etl.forecasts_deleted;
    Ok(JobReport {
        mode,
        reason,
        run_id: run_id.to_string(),
        months_recomputed: months,
        abandoned_runs: 0,
        high_water_mark: record.high_water_mark,
        etl,
    })
}

/// Logs each stage's start and end, then passes the event on.
struct Logged<'a>(&'a mut dyn Observer);

impl Observer for Logged<'_> {
    fn stage_started(&mut self, stage: Stage, total: Option<u64>) {
        tracing::info!(stage = stage.label(), total, "stage started");
        self.0.stage_started(stage, total);
    }

    fn progress(&mut self, stage: Stage, done: u64) {
        self.0.progress(stage, done);
    }

    fn stage_finished(&mut self, stage: Stage, elapsed: Duration) {
        tracing::info!(
            stage = stage.label(),
            elapsed_ms = elapsed.as_millis() as u64,
            "stage finished"
        );
        self.0.stage_finished(stage, elapsed);
    }
}

/// Data read in the snapshot.
struct Extracted {
    products: Vec<Product>,
    versions: Vec<MonthVersion>,
    fingerprint: String,
    plan: Plan,
    aggregates: Vec<MonthlyAggregate>,
    series: SeriesBuilder,
    last_month: Option<YearMonth>,
    sales_read: u64,
    aggregate_time: Duration,
    extract_time: Duration,
}

/// Decides what to recompute.
///
/// Month `m`'s document contains its change against `m − 1` and `m − 12`, so
/// a change to `m` rewrites `m`, `m + 1` and `m + 12`, and rewriting a
/// month reads it and the two months it compares with.
fn plan(previous: Option<&RunRecord>, versions: &[MonthVersion], fingerprint: &str) -> Plan {
    let Some(previous) = previous else {
        return Plan::Full("no earlier successful run to compare with".to_owned());
    };
    if previous.reference_fingerprint != fingerprint {
        return Plan::Full("regions or produits changed since the last successful run".to_owned());
    }

    let before: BTreeMap<YearMonth, i64> = previous.month_versions.iter().copied().collect();
    let now: BTreeMap<YearMonth, i64> = versions.iter().map(|v| (v.month, v.version)).collect();
    let changed: BTreeSet<YearMonth> = before
        .keys()
        .chain(now.keys())
        .filter(|m| before.get(m) != now.get(m))
        .copied()
        .collect();
    if changed.is_empty() {
        return Plan::UpToDate;
    }

    let write: BTreeSet<YearMonth> = changed.iter().flat_map(|&m| [m, m.plus(1), m.plus(12)]).collect();
    let read: BTreeSet<YearMonth> = write.iter().flat_map(|&m| [m, m.plus(-1), m.plus(-12)]).collect();
    Plan::Months {
        write: write.into_iter().collect(),
        read: read.into_iter().collect(),
    }
}

/// Takes the advisory lock, waiting up to `wait`.
fn acquire_lock(pg: &mut PgRepository, key: i32, mongo_target: &str, wait: Duration) -> Result<(), EtlError> {
    let started = Instant::now();
    let mut announced = false;
    loop {
        if pg.try_advisory_lock(LOCK_CLASS, key)? {
            if announced {
                tracing::info!(waited_ms = started.elapsed().as_millis() as u64, "ETL lock taken");
            }
            return Ok(());
        }
        if started.elapsed() >= wait {
            let holder = match pg.advisory_lock_holder(LOCK_CLASS, key) {
                Ok(Some(h)) => format!(
                    "PostgreSQL session {}{}{}",
                    h.pid,
                    if h.application_name.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", h.application_name)
                    },
                    h.since.map(|s| format!(", busy since {s}")).unwrap_or_default()
                ),
                _ => "another session".to_owned(),
            };
            return Err(EtlError::Locked {
                mongo_target: mongo_target.to_owned(),
                holder,
                waited: started.elapsed(),
            });
        }
        if !announced {
            tracing::info!(wait_s = wait.as_secs_f64(), "ETL lock taken by another run; waiting");
            announced = true;
        }
        std::thread::sleep(
            LOCK_POLL
                .min(wait.saturating_sub(started.elapsed()))
                .max(Duration::from_millis(10)),
        );
    }
}

/// Returns the PostgreSQL advisory lock `(class, key)` that runs writing to
/// the MongoDB database `mongo_database` take: class `0x61677269` (`agri`
/// in ASCII), key the FNV-1a hash of the name. An operator can look it up
/// in `pg_locks` (`classid`, `objid`, `objsubid = 2`).
pub fn advisory_lock_id(mongo_database: &str) -> (i32, i32) {
    let hash = mongo_database
        .bytes()
        .fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    (LOCK_CLASS, i32::from_ne_bytes(hash.to_ne_bytes()))
}

/// Returns a stable digest of everything in `regions` and `produits` that
/// documents show: FNV-1a over a canonical text, in hexadecimal.
fn reference_fingerprint(regions: &[Region], products: &[Product]) -> String {
    let mut text = String::new();
    for r in regions {
        text.push_str(&format!("r\u{1f}{}\u{1f}{}\u{1f}{}\u{1e}", r.id, r.name, r.population));
    }
    for p in products {
        text.push_str(&format!(
            "p\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1e}",
            p.id,
            p.name,
            p.category,
            p.unit_price.get()
        ));
    }
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{hash:016x}")
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn runner_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "unknown-host".to_owned());
    format!("{host}:{}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ym(year: i32, month: u32) -> YearMonth {
        YearMonth::new(year, month).expect("valid month")
    }

    fn record(versions: &[(YearMonth, i64)], fingerprint: &str) -> RunRecord {
        RunRecord {
            mode: "full".into(),
            status: RunStatus::Succeeded,
            started_at_ms: 0,
            finished_at_ms: Some(1),
            high_water_mark: None,
            month_versions: versions.to_vec(),
            reference_fingerprint: fingerprint.into(),
            months_recomputed: Vec::new(),
            sales_read: 0,
            documents_written: 0,
            documents_deleted: 0,
            error: None,
            runner: String::new(),
        }
    }

    fn versions(list: &[(YearMonth, i64)]) -> Vec<MonthVersion> {
        list.iter()
            .map(|&(month, version)| MonthVersion { month, version })
            .collect()
    }

    #[test]
    fn first_run_is_full() {
        assert!(matches!(plan(None, &[], "x"), Plan::Full(_)));
    }

    #[test]
    fn reference_change_forces_full() {
        let previous = record(&[(ym(2024, 1), 1)], "old");
        assert!(matches!(
            plan(Some(&previous), &versions(&[(ym(2024, 1), 1)]), "new"),
            Plan::Full(_)
        ));
    }

    #[test]
    fn equal_versions_are_up_to_date() {
        let previous = record(&[(ym(2024, 1), 1), (ym(2024, 2), 2)], "f");
        let now = versions(&[(ym(2024, 1), 1), (ym(2024, 2), 2)]);
        assert_eq!(plan(Some(&previous), &now, "f"), Plan::UpToDate);
    }

    #[test]
    fn changed_month_rewrites_dependents() {
        let previous = record(&[(ym(2024, 1), 1), (ym(2024, 2), 2)], "f");
        // 2024-02 changed (a lower number is still a change) and 2024-05 is new.
        let now = versions(&[(ym(2024, 1), 1), (ym(2024, 2), 0), (ym(2024, 5), 9)]);
        let Plan::Months { write, read } = plan(Some(&previous), &now, "f") else {
            panic!("expected an incremental plan");
        };
        assert_eq!(
            write,
            vec![
                ym(2024, 2),
                ym(2024, 3),
                ym(2024, 5),
                ym(2024, 6),
                ym(2025, 2),
                ym(2025, 5)
            ]
        );
        for m in &write {
            assert!(read.contains(m));
            assert!(read.contains(&m.plus(-1)));
            assert!(read.contains(&m.plus(-12)));
        }
        assert!(!read.contains(&ym(2024, 8)));
    }

    #[test]
    fn lock_keys_are_stable() {
        assert_eq!(
            advisory_lock_id("ventes_agricoles"),
            advisory_lock_id("ventes_agricoles")
        );
        assert_ne!(
            advisory_lock_id("ventes_agricoles"),
            advisory_lock_id("ventes_agricoles2")
        );
    }
}
