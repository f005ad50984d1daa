//! Writes charts of the sales trends and forecasts, as PNG and SVG, and one
//! self-contained HTML page.
//!
//! ```text
//! cargo run --release --example report -- --out DIR [--product ID_OR_NAME]
//!     [--database-url URL] [--mongodb-uri URI] [--mongodb-database NAME]
//! ```
//!
//! The aggregates and forecasts come from MongoDB. The chosen product's
//! monthly history and the top products per region come from PostgreSQL,
//! because MongoDB stores totals per region and category, not per product.

mod common;

use std::path::PathBuf;
use std::process::ExitCode;

use agrisales::charts::{ProductHistory, RegionTopProduct, ReportInput, prepare_output_dir, write_report};
use agrisales::postgres::{DateRange, PgRepository, ProductRef};
use clap::Parser;

/// Ranks per region in the page's table of top products.
const TOP_PER_REGION: u32 = 3;

/// Write charts of the monthly sales per region and per category, the
/// top products by forecast, and one product's history with its
/// three-month forecast, as PNG and SVG files plus report.html.
#[derive(Debug, Parser)]
#[command(name = "report")]
struct Args {
    /// Output folder; created if missing. Files of the same names are
    /// replaced.
    #[arg(long)]
    out: PathBuf,

    /// Product of the forecast chart, by id or name (case-insensitive)
    /// [default: the most popular product of the first forecast month].
    #[arg(long)]
    product: Option<String>,

    #[command(flatten)]
    postgres: common::PgArgs,

    #[command(flatten)]
    mongo: common::MongoArgs,
}

fn main() -> ExitCode {
    let args = Args::parse();
    common::main_with(|| run(&args))
}

fn run(args: &Args) -> common::RunResult {
    // A folder that cannot be written fails before any database work.
    let out = prepare_output_dir(&args.out)?;
    let result = report(args);
    if result.is_err() {
        // Leave no empty folder behind; files written so far stay.
        out.remove_if_empty();
    }
    result
}

fn report(args: &Args) -> common::RunResult {
    let store = args.mongo.connect()?;
    let aggregates = store.aggregates()?;
    if aggregates.is_empty() {
        return Err(format!(
            "MongoDB {} holds no documents in agrégats_ventes; run the ETL first \
             (cargo run --release --example etl) or point --mongodb-database at a loaded database",
            store.target()
        )
        .into());
    }
    let forecasts = store.forecasts()?;

    let mut repo = PgRepository::connect(&args.postgres.url())?;
    // The analyses read the daily summary table a later migration added.
    repo.run_migrations()?;

    let product = match &args.product {
        Some(text) => text.parse::<ProductRef>().unwrap_or(ProductRef::Name(text.clone())),
        // Forecasts are sorted by month, then popularity rank.
        None => match forecasts.first() {
            Some(top) => ProductRef::Id(top.product_id),
            None => {
                let first = repo.products()?.into_iter().next().map(|p| p.id).unwrap_or(1);
                ProductRef::Id(first)
            }
        },
    };
    let (product_id, product_name) = repo.resolve_product(&product)?;
    let history = repo.product_monthly_history(&ProductRef::Id(product_id), DateRange::all())?;
    let top_by_region = repo.top_revenue_products_by_region(DateRange::all(), TOP_PER_REGION)?;

    let input = ReportInput {
        source: format!(
            "MongoDB {} (agrégats_ventes, prévisions_popularité); PostgreSQL {} (product history, top products per region)",
            store.target(),
            repo.target()
        ),
        aggregates,
        forecasts,
        top_by_region: top_by_region
            .into_iter()
            .map(|row| RegionTopProduct {
                region_id: row.id_region,
                region_name: row.nom_region,
                rank: row.rang,
                product_id: row.id_produit,
                product_name: row.nom,
                category: row.categorie,
                quantity: row.quantite_totale,
                revenue: row.chiffre_affaires,
            })
            .collect(),
        product: ProductHistory {
            product_id,
            product_name,
            months: history.into_iter().map(|m| (m.mois, m.quantite_totale)).collect(),
        },
    };

    let bar = common::progress_bar("drawing charts", None);
    let written = write_report(&args.out, &input);
    bar.finish_and_clear();
    for path in written? {
        let bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
        common::outln!("wrote {} ({bytes} bytes)", path.display())?;
    }
    Ok(())
}
