//! Times agrisales' aggregation engine against polars, pandas and
//! PostgreSQL `GROUP BY` on one generated data set, checks that the four
//! agree to the last digit, and measures the memory bandwidth bound.
//!
//! ```text
//! cargo run --release --example compare_engines -- --rows 10000000
//!     [--runs 5] [--seed 42] [--threads N] [--database-url URL]
//!     [--work-dir DIR] [--python python3]
//! ```
//!
//! Every tool aggregates the same sales (product, region, month ordinal,
//! quantity in thousandths) with the same 42-product catalogue (category,
//! price in cents) into (region, category, month) → quantity sum, revenue
//! sum, number of sales. Each timing covers the aggregation alone, with
//! the data already in the tool's memory:
//!
//! - ours: `MonthlyAggregator::new` + `push` of one in-memory chunk +
//!   `finish` (which also builds the documents and trends);
//! - polars and pandas (`benches/compare_engines.py`, in a virtual
//!   environment this example creates with pip): the columns are loaded
//!   into frames before timing; the faster of two formulations counts;
//! - PostgreSQL: the sales are copied once into an unlogged table of a
//!   scratch database (`agrisales_compare` by default); one warm-up query
//!   brings the table into memory, then the client-side time of the query
//!   is measured.
//!
//! The last line reads
//! `rows=N ours_ms=… polars_ms=… pandas_ms=… postgres_ms=… ratio_vs_polars=…`
//! (medians; ratio = polars / ours, above 1 means ours is faster).

mod common;

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use agrisales::datagen::{GeneratorConfig, SalesGenerator, numbered_catalogue};
use agrisales::domain::{Product, Region, SaleColumns, YearMonth};
use agrisales::postgres::PgRepository;
use agrisales::transform::MonthlyAggregator;
use clap::Parser;
use diesel::sql_types::{BigInt, Integer, Text};
use diesel::{ExecuteCopyFromDsl, RunQueryDsl};

/// Compare the aggregation engine with polars, pandas and PostgreSQL.
#[derive(Debug, Parser)]
#[command(name = "compare_engines")]
struct Args {
    /// Number of generated sales.
    #[arg(long, default_value_t = 10_000_000, value_parser = clap::value_parser!(u64).range(1..=200_000_000))]
    rows: u64,

    /// Seed of the data generator.
    #[arg(long, default_value_t = 42)]
    seed: u64,

    /// Timed runs per tool, after one untimed warm-up run.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    runs: u32,

    /// Threads of our engine (default: all cores, as polars uses).
    #[arg(long)]
    threads: Option<usize>,

    /// Scratch PostgreSQL database; created when missing, its tables
    /// `compare_sales` and `compare_products` are replaced.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/agrisales_compare")]
    database_url: String,

    /// Directory for the data files and the virtual environment (default:
    /// `compare_engines/` in Cargo's target directory).
    #[arg(long)]
    work_dir: Option<PathBuf>,

    /// Python interpreter that creates the virtual environment.
    #[arg(long, default_value = "python3")]
    python: String,
}

/// One group: (region id, category, month ordinal) → (quantity in
/// thousandths, revenue in 10⁻⁵ €, sales).
type Row = ((i32, String, i32), (i128, i128, u64));

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    common::main_with(|| run(&args))
}

fn run(args: &Args) -> common::RunResult {
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let work_dir = match &args.work_dir {
        Some(dir) => dir.clone(),
        None => default_work_dir()?,
    };
    let data_dir = work_dir.join(format!("data_{}_{}", args.rows, args.seed));
    fs::create_dir_all(&data_dir)?;

    let (regions, products) = numbered_catalogue();
    let sales = generate(args, &regions, &products)?;
    let bytes = sales.len() * (4 + 4 + 4 + 8);
    common::outln!(
        "data        {} sales, {:.0} MB in four columns (i32 product, i32 region, i32 month, i64 quantity), seed {}",
        sales.len(),
        bytes as f64 / 1e6,
        args.seed
    )?;
    common::outln!(
        "timing      aggregation only, data already in each tool's memory; medians of {} runs after 1 warm-up",
        args.runs
    )?;

    // Ours.
    let (ours, ours_groups) = time_ours(&sales, &regions, &products, threads, args.runs)?;
    let (ours_1t, _) = time_ours(&sales, &regions, &products, 1, args.runs)?;
    let ours_ms = ours.median;
    common::outln!(
        "ours        {ours_ms:>9.1} ms  ({threads} threads, best {:.1} ms; 1 thread: {:.1} ms, best {:.1} ms)",
        ours.best,
        ours_1t.median,
        ours_1t.best
    )?;

    // Memory bandwidth: a plain sum over the same bytes. The fastest run
    // is the bound; medians suffer more from other processes.
    let sum = time_plain_sum(&sales, threads, args.runs);
    let sum_1t = time_plain_sum(&sales, 1, args.runs);
    let bandwidth = bytes as f64 / (sum.best / 1e3) / 1e9;
    common::outln!(
        "plain sum   {:>9.1} ms  ({threads} threads, best {:.1} ms = {bandwidth:.1} GB/s; 1 thread: best {:.1} ms)",
        sum.median,
        sum.best,
        sum_1t.best
    )?;
    common::outln!(
        "bound       engine at {:.2}x the bandwidth bound (best runs), {:.2}x (medians)",
        ours.best / sum.best,
        ours.median / sum.median
    )?;

    // Python.
    write_columns(&data_dir, &sales, &products)?;
    let python = ensure_venv(&work_dir.join("venv"), &args.python)?;
    let report = run_python(&python, &data_dir, args.runs)?;
    let polars_ms = report.best_ms("polars")?;
    let pandas_ms = report.best_ms("pandas")?;
    common::outln!("python      {}", report.versions)?;
    for (name, ms) in &report.timings {
        common::outln!("{name:<18} {ms:>9.1} ms")?;
    }

    // PostgreSQL.
    let (postgres_ms, postgres) = time_postgres(args, &sales, &products)?;
    common::outln!("postgres    {postgres_ms:>9.1} ms  (GROUP BY with a join, server defaults)")?;

    // Equality, exact.
    let mut compared = vec![("postgres".to_owned(), postgres)];
    for name in report.timings.iter().map(|(n, _)| n) {
        compared.push((
            name.clone(),
            read_python_result(&data_dir.join(format!("result_{name}.csv")))?,
        ));
    }
    for (name, rows) in &compared {
        check_equal(&ours_groups, rows, name)?;
    }
    common::outln!(
        "equality    ours = {} on all {} groups (quantity, revenue to 10⁻⁵ €, count)",
        compared.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(" = "),
        ours_groups.len()
    )?;

    common::outln!(
        "rows={} ours_ms={ours_ms:.1} polars_ms={polars_ms:.1} pandas_ms={pandas_ms:.1} postgres_ms={postgres_ms:.1} ratio_vs_polars={:.2}",
        sales.len(),
        polars_ms / ours_ms
    )?;
    Ok(())
}

/// `<target>/compare_engines`, found from this executable's path
/// (`<target>/release/examples/compare_engines`).
fn default_work_dir() -> Result<PathBuf, Box<dyn std::error::Error>> {
    let exe = std::env::current_exe()?;
    let target = exe
        .ancestors()
        .nth(3)
        .ok_or("cannot find Cargo's target directory from the executable path; pass --work-dir")?;
    Ok(target.join("compare_engines"))
}

fn generate(args: &Args, regions: &[Region], products: &[Product]) -> Result<SaleColumns, Box<dyn std::error::Error>> {
    let config = GeneratorConfig {
        seed: args.seed,
        rows: args.rows,
        ..GeneratorConfig::default()
    };
    let bar = common::progress_bar("generate sales", Some(args.rows));
    let mut sales = SaleColumns::with_capacity(args.rows as usize);
    for sale in SalesGenerator::new(&config, regions, products)? {
        sales.push(sale.product_id, sale.region_id, YearMonth::of(sale.date), sale.quantity);
        if sales.len().is_multiple_of(65_536) {
            bar.set_position(sales.len() as u64);
        }
    }
    bar.finish_and_clear();
    Ok(sales)
}

/// Median and minimum of timings in milliseconds.
#[derive(Debug, Clone, Copy)]
struct Timing {
    median: f64,
    best: f64,
}

fn timing(values: Vec<f64>) -> Timing {
    Timing {
        best: values.iter().copied().fold(f64::INFINITY, f64::min),
        median: median(values),
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn ms(elapsed: Duration) -> f64 {
    elapsed.as_secs_f64() * 1e3
}

fn time_ours(
    sales: &SaleColumns,
    regions: &[Region],
    products: &[Product],
    threads: usize,
    runs: u32,
) -> Result<(Timing, Vec<Row>), Box<dyn std::error::Error>> {
    let mut times = Vec::new();
    let mut aggregates = Vec::new();
    for run in 0..=runs {
        let started = Instant::now();
        let mut aggregator = MonthlyAggregator::new(regions, products)?.with_threads(threads);
        aggregator.push(sales)?;
        aggregates = std::hint::black_box(aggregator.finish());
        if run > 0 {
            times.push(ms(started.elapsed()));
        }
    }
    let rows = aggregates
        .into_iter()
        .map(|a| {
            (
                (a.region_id, a.category, a.month.ordinal()),
                (
                    i128::from(a.total_quantity.milli()),
                    a.revenue_exact.raw(),
                    a.sale_count,
                ),
            )
        })
        .collect();
    Ok((timing(times), rows))
}

/// Sums every column with wrapping adds on `threads` threads: the least
/// work that reads the same bytes as the engine.
fn time_plain_sum(sales: &SaleColumns, threads: usize, runs: u32) -> Timing {
    fn sum32(values: &[i32]) -> i32 {
        values.iter().fold(0, |a, &b| a.wrapping_add(b))
    }
    fn sum64(values: &[i64]) -> i64 {
        values.iter().fold(0, |a, &b| a.wrapping_add(b))
    }
    let part = |t: usize| {
        let n = sales.len();
        let (low, high) = (n * t / threads, n * (t + 1) / threads);
        i64::from(sum32(&sales.product_id[low..high]))
            .wrapping_add(i64::from(sum32(&sales.region_id[low..high])))
            .wrapping_add(i64::from(sum32(&sales.month[low..high])))
            .wrapping_add(sum64(&sales.quantity_milli[low..high]))
    };
    let mut times = Vec::new();
    for run in 0..=runs {
        let started = Instant::now();
        let total = std::thread::scope(|scope| {
            let handles: Vec<_> = (1..threads).map(|t| scope.spawn(move || part(t))).collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .fold(part(0), i64::wrapping_add)
        });
        std::hint::black_box(total);
        if run > 0 {
            times.push(ms(started.elapsed()));
        }
    }
    timing(times)
}

/// Writes the columns as raw little-endian files and the catalogue as CSV
/// for the Python script.
fn write_columns(dir: &Path, sales: &SaleColumns, products: &[Product]) -> std::io::Result<()> {
    fn write<const N: usize>(path: PathBuf, values: impl Iterator<Item = [u8; N]>) -> std::io::Result<()> {
        let mut out = BufWriter::new(fs::File::create(path)?);
        for bytes in values {
            out.write_all(&bytes)?;
        }
        out.flush()
    }
    write(
        dir.join("product_id.i32"),
        sales.product_id.iter().map(|v| v.to_le_bytes()),
    )?;
    write(
        dir.join("region_id.i32"),
        sales.region_id.iter().map(|v| v.to_le_bytes()),
    )?;
    write(dir.join("month.i32"), sales.month.iter().map(|v| v.to_le_bytes()))?;
    write(
        dir.join("quantity_milli.i64"),
        sales.quantity_milli.iter().map(|v| v.to_le_bytes()),
    )?;

    let mut csv = String::from("product_id,category,price_cents\n");
    for p in products {
        csv.push_str(&format!("{},{},{}\n", p.id, p.category, p.unit_price.get()));
    }
    fs::write(dir.join("products.csv"), csv)
}

/// Creates the virtual environment with polars, pandas and numpy from
/// PyPI unless it already imports them; returns its interpreter.
fn ensure_venv(venv: &Path, python: &str) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let interpreter = venv.join("bin").join("python");
    let ready = interpreter.exists()
        && Command::new(&interpreter)
            .args(["-c", "import polars, pandas, numpy"])
            .status()
            .is_ok_and(|s| s.success());
    if ready {
        return Ok(interpreter);
    }
    common::outln!(
        "venv        creating {} (pip install polars pandas numpy)",
        venv.display()
    )?;
    let status = Command::new(python).arg("-m").arg("venv").arg(venv).status()?;
    if !status.success() {
        return Err(format!(
            "`{python} -m venv {}` failed ({status}); install python3-venv",
            venv.display()
        )
        .into());
    }
    let status = Command::new(&interpreter)
        .args(["-m", "pip", "install", "--quiet", "polars", "pandas", "numpy"])
        .status()?;
    if !status.success() {
        return Err(format!("pip install polars pandas numpy failed ({status}); PyPI must be reachable").into());
    }
    Ok(interpreter)
}

/// Medians per formulation, as `benches/compare_engines.py` prints them.
struct PythonReport {
    versions: String,
    timings: Vec<(String, f64)>,
}

impl PythonReport {
    /// Returns the median of the faster formulation of `tool`.
    fn best_ms(&self, tool: &str) -> Result<f64, String> {
        self.timings
            .iter()
            .filter(|(name, _)| name.starts_with(tool))
            .map(|(_, ms)| *ms)
            .min_by(f64::total_cmp)
            .ok_or_else(|| format!("the Python script reported no {tool} timing"))
    }
}

fn run_python(python: &Path, data_dir: &Path, runs: u32) -> Result<PythonReport, Box<dyn std::error::Error>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("benches")
        .join("compare_engines.py");
    let output = Command::new(python)
        .arg(&script)
        .arg("--data")
        .arg(data_dir)
        .arg("--runs")
        .arg(runs.to_string())
        .output()?;
    if !output.status.success() {
        return Err(format!(
            "{} failed ({}):\n{}",
            script.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let timings = json["timings"]
        .as_object()
        .ok_or("the Python script printed no timings")?
        .iter()
        .map(|(name, t)| (name.clone(), t["median_ms"].as_f64().unwrap_or(f64::NAN)))
        .collect();
    Ok(PythonReport {
        versions: format!("{} (polars threads: {})", json["versions"], json["polars_threads"]),
        timings,
    })
}

fn read_python_result(path: &Path) -> Result<Vec<Row>, Box<dyn std::error::Error>> {
    let text = fs::read_to_string(path)?;
    let mut rows = Vec::new();
    for (number, line) in text.lines().enumerate().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        let [region, category, month, quantity, revenue, count] = fields[..] else {
            return Err(format!("{}:{}: expected 6 fields, got {line:?}", path.display(), number + 1).into());
        };
        rows.push((
            (region.parse()?, category.to_owned(), month.parse()?),
            (quantity.parse()?, revenue.parse()?, count.parse()?),
        ));
    }
    Ok(rows)
}

fn check_equal(ours: &[Row], theirs: &[Row], name: &str) -> Result<(), String> {
    let mut a = ours.to_vec();
    let mut b = theirs.to_vec();
    a.sort();
    b.sort();
    if a.len() != b.len() {
        return Err(format!("{name} returned {} groups, ours {}", b.len(), a.len()));
    }
    match a.iter().zip(&b).find(|(x, y)| x != y) {
        Some((x, y)) => Err(format!("{name} differs from ours: ours {x:?}, {name} {y:?}")),
        None => Ok(()),
    }
}

diesel::table! {
    compare_sales (product_id) {
        product_id -> Int4,
        region_id -> Int4,
        month -> Int4,
        quantity_milli -> Int8,
    }
}

#[derive(diesel::QueryableByName)]
struct PgGroup {
    #[diesel(sql_type = Integer)]
    region_id: i32,
    #[diesel(sql_type = Text)]
    category: String,
    #[diesel(sql_type = Integer)]
    month: i32,
    #[diesel(sql_type = Text)]
    quantity: String,
    #[diesel(sql_type = Text)]
    revenue: String,
    #[diesel(sql_type = BigInt)]
    sales: i64,
}

#[derive(diesel::QueryableByName)]
struct Fingerprint {
    #[diesel(sql_type = Text)]
    fingerprint: String,
}

/// The query PostgreSQL is timed on: the same join and grouping as the
/// others, sums exact (`sum(int8)` is `numeric`).
const GROUP_BY: &str = "SELECT s.region_id, p.category, s.month, \
     sum(s.quantity_milli)::text AS quantity, sum(s.quantity_milli * p.price_cents)::text AS revenue, \
     count(*) AS sales \
     FROM compare_sales s JOIN compare_products p USING (product_id) \
     GROUP BY s.region_id, p.category, s.month";

fn time_postgres(
    args: &Args,
    sales: &SaleColumns,
    products: &[Product],
) -> Result<(f64, Vec<Row>), Box<dyn std::error::Error>> {
    let mut repo = PgRepository::connect_or_create(&args.database_url)?;
    let fingerprint = format!("rows={} seed={}", args.rows, args.seed);
    let loaded = diesel::sql_query("SELECT fingerprint FROM compare_dataset")
        .get_result::<Fingerprint>(repo.connection())
        .is_ok_and(|f| f.fingerprint == fingerprint);
    if !loaded {
        load_postgres(&mut repo, sales, products, &fingerprint)?;
    }

    let mut times = Vec::new();
    let mut groups = Vec::new();
    for run in 0..=args.runs {
        let started = Instant::now();
        groups = diesel::sql_query(GROUP_BY).load::<PgGroup>(repo.connection())?;
        if run > 0 {
            times.push(ms(started.elapsed()));
        }
    }
    let mut rows = Vec::with_capacity(groups.len());
    for g in groups {
        rows.push((
            (g.region_id, g.category, g.month),
            (g.quantity.parse()?, g.revenue.parse()?, u64::try_from(g.sales)?),
        ));
    }
    Ok((median(times), rows))
}

fn load_postgres(
    repo: &mut PgRepository,
    sales: &SaleColumns,
    products: &[Product],
    fingerprint: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let conn = repo.connection();
    for statement in [
        "DROP TABLE IF EXISTS compare_sales, compare_products, compare_dataset",
        "CREATE UNLOGGED TABLE compare_sales (product_id int4 NOT NULL, region_id int4 NOT NULL, \
         month int4 NOT NULL, quantity_milli int8 NOT NULL)",
        "CREATE TABLE compare_products (product_id int4 PRIMARY KEY, category text NOT NULL, price_cents int8 NOT NULL)",
        "CREATE TABLE compare_dataset (fingerprint text NOT NULL)",
    ] {
        diesel::sql_query(statement).execute(conn)?;
    }
    for p in products {
        diesel::sql_query("INSERT INTO compare_products VALUES ($1, $2, $3)")
            .bind::<Integer, _>(p.id)
            .bind::<Text, _>(&p.category)
            .bind::<BigInt, _>(p.unit_price.get())
            .execute(conn)?;
    }

    let bar = common::progress_bar("COPY into PostgreSQL", Some(sales.len() as u64));
    const BATCH: usize = 1_000_000;
    let mut start = 0;
    while start < sales.len() {
        let end = (start + BATCH).min(sales.len());
        let mut text = Vec::with_capacity((end - start) * 24);
        for i in start..end {
            writeln!(
                text,
                "{}\t{}\t{}\t{}",
                sales.product_id[i], sales.region_id[i], sales.month[i], sales.quantity_milli[i]
            )?;
        }
        diesel::copy_from(compare_sales::table)
            .from_raw_data(
                (
                    compare_sales::product_id,
                    compare_sales::region_id,
                    compare_sales::month,
                    compare_sales::quantity_milli,
                ),
                |writer| {
                    writer
                        .write_all(&text)
                        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
                },
            )
            .with_format(diesel::pg::CopyFormat::Text)
            .execute(conn)?;
        start = end;
        bar.set_position(start as u64);
    }
    bar.finish_and_clear();
    diesel::sql_query("VACUUM ANALYZE compare_sales").execute(conn)?;
    diesel::sql_query("INSERT INTO compare_dataset VALUES ($1)")
        .bind::<Text, _>(fingerprint)
        .execute(conn)?;
    Ok(())
}
