//! Imports regions, products and sales from CSV files into PostgreSQL,
//! writes every rejected row to a rejects file and prints a summary whose
//! last line is `read=N accepted=A rejected=R`.
//!
//! ```text
//! cargo run --release --example import -- [--regions FILE] [--produits FILE] [--ventes FILE]
//!     [--mapping FILE] --rejects FILE [--batch-rows N] [--database-url URL]
//! ```

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use agrisales::etl::{ImportInputs, ImportObserver, import_files};
use agrisales::import::{FileReport, Kind, Mapping, RejectReason, csv_files, write_rejects};
use agrisales::postgres::PgRepository;
use clap::Parser;
use indicatif::ProgressBar;

/// Import CSV files of regions, then products, then sales into PostgreSQL.
/// Each option takes a file or a folder (its .csv files, recursively) and
/// may repeat. Rows that cannot be loaded go to the rejects file with
/// their file, line and reason; importing the same files again adds
/// nothing.
#[derive(Debug, Parser)]
#[command(name = "import")]
struct Args {
    /// Region files (columns id_region, nom_region, population).
    #[arg(long, value_name = "FILE")]
    regions: Vec<PathBuf>,

    /// Product files (columns id_produit, nom, catégorie, prix_unitaire).
    #[arg(long, value_name = "FILE")]
    produits: Vec<PathBuf>,

    /// Sale files (columns id_vente, id_produit or produit, quantité, date_vente, region_vente or region).
    #[arg(long, value_name = "FILE")]
    ventes: Vec<PathBuf>,

    /// TOML column mapping for files whose columns are not the tables' own.
    #[arg(long, value_name = "FILE")]
    mapping: Option<PathBuf>,

    /// Output file for the rejected rows (CSV: source_file,line,reason,detail,row).
    #[arg(long, value_name = "FILE")]
    rejects: PathBuf,

    /// Sales per transaction.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    batch_rows: u64,

    #[command(flatten)]
    postgres: common::PgArgs,
}

fn main() -> ExitCode {
    let args = Args::parse();
    common::main_with(|| run(&args))
}

fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, agrisales::import::ImportError> {
    let mut files = Vec::new();
    for path in paths {
        files.extend(csv_files(path)?);
    }
    Ok(files)
}

/// A spinner while reading files, a bar per loaded kind.
#[derive(Default)]
struct Progress {
    reading: Option<ProgressBar>,
    loading: HashMap<Kind, ProgressBar>,
}

impl ImportObserver for Progress {
    fn file_read(&mut self, _kind: Kind, _path: &Path, report: &FileReport) {
        let bar = self
            .reading
            .get_or_insert_with(|| common::progress_bar("read rows", None));
        bar.inc(report.read);
    }

    fn load_started(&mut self, kind: Kind, total: u64) {
        if let Some(bar) = self.reading.take() {
            bar.finish_and_clear();
        }
        self.loading.insert(
            kind,
            common::progress_bar(&format!("load {}", kind.table()), Some(total)),
        );
    }

    fn loaded(&mut self, kind: Kind, done: u64) {
        if let Some(bar) = self.loading.get(&kind) {
            bar.set_position(done);
        }
    }

    fn load_finished(&mut self, kind: Kind) {
        if let Some(bar) = self.loading.remove(&kind) {
            bar.finish_and_clear();
        }
    }
}

fn run(args: &Args) -> common::RunResult {
    if args.regions.is_empty() && args.produits.is_empty() && args.ventes.is_empty() {
        return Err("nothing to import: pass --regions, --produits or --ventes (a file or a folder)".into());
    }
    let mapping = args.mapping.as_deref().map(Mapping::from_file).transpose()?;
    let inputs = ImportInputs {
        regions: expand(&args.regions)?,
        products: expand(&args.produits)?,
        sales: expand(&args.ventes)?,
        mapping,
        batch_rows: args.batch_rows as usize,
    };

    let mut repo = PgRepository::connect_or_create(&args.postgres.url())?;
    common::outln!("PostgreSQL  {}", repo.target())?;
    // Applying pending migrations creates the schema of a new database.
    let applied = repo.run_migrations()?;
    if !applied.is_empty() {
        common::outln!("migrations  applied {}", applied.join(", "))?;
    }

    let mut progress = Progress::default();
    let result = import_files(&mut repo, &inputs, &mut progress);
    if let Some(bar) = progress.reading.take() {
        bar.finish_and_clear();
    }
    let report = result?;
    write_rejects(&args.rejects, &report.rejects)?;

    common::outln!()?;
    for (kind, counts) in &report.kinds {
        common::outln!(
            "{:<9} files={} read={} inserted={} already_present={} rejected={}",
            kind.table(),
            counts.files,
            counts.read,
            counts.inserted,
            counts.already_present,
            counts.rejected_total()
        )?;
        for reason in RejectReason::ALL {
            if let Some(count) = counts.rejected.get(&reason) {
                common::outln!("  {:<24} {count:>8}", reason.as_str())?;
            }
        }
    }
    for product in &report.created_products {
        common::outln!(
            "created product {} `{}` ({}, {} per kg)",
            product.id,
            product.name,
            product.category,
            product.unit_price
        )?;
    }
    common::outln!("rejects written to {}", args.rejects.display())?;
    common::outln!(
        "read={} accepted={} rejected={}",
        report.read(),
        report.accepted(),
        report.rejected()
    )?;
    Ok(())
}
