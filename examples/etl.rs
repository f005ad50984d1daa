//! The main job: prepare PostgreSQL, fill it with generated sales when it
//! is empty, run the ETL into MongoDB and print a summary.
//!
//! ```text
//! cargo run --release --example etl -- [--rows N] [--reseed] [--seed S]
//!     [--mode incremental|full] [--lock-wait SECONDS] [--no-setup]
//!     [--database-url URL] [--mongodb-uri URI] [--mongodb-database NAME]
//! ```
//!
//! For a scheduled run, pass `--no-setup`: it never creates, migrates or
//! seeds anything, so a wrong URL or database name fails and changes
//! nothing.

mod common;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use agrisales::datagen::GeneratorConfig;
use agrisales::etl::{EtlConfig, JobConfig, JobReport, RunMode, run_job, seed_database};
use agrisales::postgres::{PgRepository, RowCount};
use clap::Parser;

/// Extract agricultural sales from PostgreSQL, aggregate them by month,
/// region and category, forecast product popularity, and load both into
/// MongoDB.
#[derive(Debug, Parser)]
#[command(name = "etl")]
struct Args {
    /// Number of sales to generate when the database is empty (or with --reseed).
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..))]
    rows: u64,

    /// Replace the content of regions, produits and ventes by generated data.
    #[arg(long)]
    reseed: bool,

    /// Seed of the data generator; the same seed gives the same sales.
    #[arg(long, default_value_t = 42)]
    seed: u64,

    /// Number of months of generated sales, starting January 2023.
    #[arg(long, default_value_t = 36, value_parser = clap::value_parser!(u32).range(1..=600))]
    months: u32,

    /// Sales per chunk streamed from PostgreSQL.
    #[arg(long, default_value_t = 65_536, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    chunk_rows: u64,

    /// incremental: recompute the months changed since the last successful run
    /// (full when there is none); full: recompute everything.
    #[arg(long, value_enum, default_value_t = Mode::Incremental)]
    mode: Mode,

    /// Connections that read the sales at once in a full run, 1 to 16.
    /// Above 1 they come on top of the run's own connection.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=16))]
    extract_connections: u64,

    /// Seconds to wait when another run holds the lock, before giving up.
    #[arg(long, default_value_t = 0.0, value_parser = parse_seconds)]
    lock_wait: f64,

    /// Never create the database, apply migrations or generate data: fail
    /// instead. For scheduled runs.
    #[arg(long, conflicts_with = "reseed")]
    no_setup: bool,

    #[command(flatten)]
    postgres: common::PgArgs,

    #[command(flatten)]
    mongodb: common::MongoArgs,
}

/// The `--mode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Mode {
    Incremental,
    Full,
}

fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s.is_finite() && (0.0..=86_400.0).contains(&s) => Ok(s),
        _ => Err(format!("`{text}` is not a number of seconds between 0 and 86400")),
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    common::main_with(|| run(&args))
}

fn run(args: &Args) -> common::RunResult {
    let started = Instant::now();

    let mut repo = if args.no_setup {
        PgRepository::connect(&args.postgres.url())?
    } else {
        PgRepository::connect_or_create(&args.postgres.url())?
    };
    common::outln!("PostgreSQL  {}", repo.target())?;
    if args.no_setup {
        repo.check_etl_tables()?;
    } else {
        let applied = repo.run_migrations()?;
        if !applied.is_empty() {
            common::outln!("migrations  applied {}", applied.join(", "))?;
        }
    }

    // Connect to MongoDB before seeding so a wrong URI fails in seconds.
    let mut store = args.mongodb.connect()?;
    common::outln!("MongoDB     {}", store.target())?;
    if args.no_setup {
        // A mistyped database name would otherwise be created and filled
        // without a word, night after night.
        let name = store.database().name().to_owned();
        let existing = store.client().list_database_names().run()?;
        if !existing.contains(&name) {
            return Err(format!(
                "MongoDB database {name} does not exist on {}; --no-setup never creates one. \
                 Check MONGODB_DATABASE (or --mongodb-database), or run once without --no-setup",
                store.target()
            )
            .into());
        }
    }

    let seed_started = Instant::now();
    // An exact count of the sales reads the whole table; the planner's
    // estimate serves for the message and the progress bar.
    let (regions, products) = (repo.regions()?.len(), repo.products()?.len());
    let sales = repo.estimated_sales()?;
    let empty = regions == 0 && products == 0 && sales.value() == 0;
    let mut seeded = None;
    if !args.no_setup && (args.reseed || empty) {
        let config = GeneratorConfig {
            seed: args.seed,
            rows: args.rows,
            months: args.months,
            ..GeneratorConfig::default()
        };
        let bar = common::progress_bar("generate + COPY ventes", Some(args.rows));
        let rows = seed_database(&mut repo, &config, |done| bar.set_position(done))?;
        bar.finish_and_clear();
        seeded = Some(rows);
    } else {
        let sales_text = match sales {
            RowCount::Exact(n) => format!("{n} sales"),
            RowCount::Estimated(n) => format!("about {n} sales"),
        };
        common::outln!(
            "data        using existing rows ({regions} regions, {products} products, {sales_text}); pass --reseed to replace them"
        )?;
        if sales.value() == 0 {
            common::outln!("warning     ventes is empty: the collections will be emptied and no forecast made")?;
        }
    }
    let seed_time = seed_started.elapsed();

    let expected_sales = seeded.map_or(sales.value(), |rows| i64::try_from(rows).unwrap_or(i64::MAX));
    let config = JobConfig {
        mode: match args.mode {
            Mode::Incremental => RunMode::Incremental,
            Mode::Full => RunMode::Full,
        },
        lock_wait: Duration::from_secs_f64(args.lock_wait),
        etl: EtlConfig {
            chunk_rows: args.chunk_rows as usize,
            extract_connections: args.extract_connections as usize,
            expected_sales: Some(u64::try_from(expected_sales).unwrap_or(0)),
            ..EtlConfig::default()
        },
    };
    let job = run_job(&mut repo, &mut store, &config, &mut common::ProgressBars::default())?;

    print_summary(&job, seeded, seed_time, started.elapsed())?;
    Ok(())
}

fn print_summary(job: &JobReport, seeded: Option<u64>, seed_time: Duration, total: Duration) -> std::io::Result<()> {
    let report = &job.etl;
    common::outln!()?;
    common::outln!(
        "run         {} in etl_runs, {} ({})",
        job.run_id,
        job.mode.as_str(),
        job.reason
    )?;
    if job.abandoned_runs > 0 {
        common::outln!(
            "recovered   {} earlier run(s) had stopped before finishing, now marked abandoned; \
             every month changed since the last successful run is recomputed",
            job.abandoned_runs
        )?;
    }
    // A few months are listed: "2024-06 to 2025-06" would read as 13.
    let months = &job.months_recomputed;
    match (months.first(), months.last()) {
        (Some(_), Some(_)) if months.len() <= 6 => {
            let list: Vec<String> = months.iter().map(ToString::to_string).collect();
            common::outln!("months      {} recomputed: {}", months.len(), list.join(", "))?
        }
        (Some(first), Some(last)) => common::outln!("months      {} recomputed, {first} to {last}", months.len())?,
        _ => common::outln!("months      none recomputed: nothing changed since the last successful run")?,
    }
    common::outln!()?;
    if let Some(rows) = seeded {
        common::outln!(
            "{:<28} {:>10.2} s   {rows} sales generated",
            "seed PostgreSQL",
            seed_time.as_secs_f64()
        )?;
    }
    for (stage, elapsed) in &report.timings {
        common::outln!("{:<28} {:>10.2} s", stage.label(), elapsed.as_secs_f64())?;
    }
    common::outln!("{:<28} {:>10.2} s", "total", total.as_secs_f64())?;
    common::outln!()?;
    if let Some(last) = report.last_month {
        common::outln!("last month with sales: {last}; forecasts cover the next 3 months")?;
    }
    common::outln!(
        "sales_read={} aggregates_written={} aggregates_deleted={} forecasts_written={} forecasts_deleted={}",
        report.sales_read,
        report.aggregates_written,
        report.aggregates_deleted,
        report.forecasts_written,
        report.forecasts_deleted
    )
}
