//! Prints the six SQL sales analyses, as aligned tables or one JSON
//! object.
//!
//! ```text
//! cargo run --release --example queries -- [--format table|json]
//!     [--product ID_OR_NAME] [--top N] [--from YYYY-MM-DD] [--to YYYY-MM-DD]
//!     [--database-url URL]
//! ```

mod common;

use std::process::ExitCode;

use agrisales::postgres::{DateRange, PgError, PgRepository, ProductRef};
use chrono::NaiveDate;
use clap::Parser;
use common::{Format, print_table};

/// Run the sales analyses on PostgreSQL: sales by region and month, top
/// products by category, lowest-selling regions, top products by revenue
/// per region, top categories per region, and one product's history.
#[derive(Debug, Parser)]
#[command(name = "queries")]
struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,

    /// Product of the monthly history, by id or name (case-insensitive)
    /// [default: the product with the lowest id].
    #[arg(long)]
    product: Option<String>,

    /// Ranks kept per category or region in the top-N analyses.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    top: u32,

    /// First sale date included (YYYY-MM-DD) [default: unbounded].
    #[arg(long)]
    from: Option<NaiveDate>,

    /// First sale date excluded (YYYY-MM-DD) [default: unbounded].
    #[arg(long)]
    to: Option<NaiveDate>,

    #[command(flatten)]
    postgres: common::PgArgs,
}

fn main() -> ExitCode {
    let args = Args::parse();
    common::main_with(|| run(&args))
}

fn run(args: &Args) -> common::RunResult {
    let range = DateRange::new(args.from, args.to)?;
    let mut repo = PgRepository::connect(&args.postgres.url())?;
    // The analyses read the daily summary table a later migration added.
    repo.run_migrations()?;

    let product = match &args.product {
        Some(text) => text.parse::<ProductRef>().unwrap_or(ProductRef::Name(text.clone())),
        None => {
            let first = repo.products()?.into_iter().next().ok_or(PgError::NotFound {
                what: "product",
                value: "(any)".to_owned(),
                hint: "the table produits is empty; run the etl example first",
            })?;
            ProductRef::Id(first.id)
        }
    };
    let (product_id, product_name) = repo.resolve_product(&product)?;

    let by_month = repo.sales_by_region_month(range)?;
    let top_products = repo.top_products_by_category(range, args.top)?;
    let lowest = repo.lowest_sales_regions(range)?;
    let top_revenue = repo.top_revenue_products_by_region(range, args.top)?;
    let top_categories = repo.top_categories_by_region(range, args.top)?;
    let history = repo.product_monthly_history(&product, range)?;

    if args.format == Format::Json {
        let output = serde_json::json!({
            "sales_by_region_month": by_month,
            "top_products_by_category": top_products,
            "lowest_sales_regions": lowest,
            "top_revenue_products_by_region": top_revenue,
            "top_categories_by_region": top_categories,
            "product_monthly_history": history,
        });
        common::outln!("{}", serde_json::to_string_pretty(&output).unwrap_or_default())?;
        return Ok(());
    }

    print_table(
        "Sales by region and month",
        &[
            "id_region",
            "nom_region",
            "mois",
            "quantité_totale (kg)",
            "chiffre_affaires (€)",
            "nombre_ventes",
        ],
        &by_month
            .iter()
            .map(|r| {
                vec![
                    r.id_region.to_string(),
                    r.nom_region.clone(),
                    r.mois.to_string(),
                    r.quantite_totale.to_string(),
                    r.chiffre_affaires.to_string(),
                    r.nombre_ventes.to_string(),
                ]
            })
            .collect::<Vec<_>>(),
    )?;
    print_table(
        &format!("Best-selling products by category (top {}, by quantity)", args.top),
        &[
            "catégorie",
            "rang",
            "id_produit",
            "nom",
            "quantité_totale (kg)",
            "chiffre_affaires (€)",
        ],
        &top_products
            .iter()
            .map(|r| {
                vec![
                    r.categorie.clone(),
                    r.rang.to_string(),
                    r.id_produit.to_string(),
                    r.nom.clone(),
                    r.quantite_totale.to_string(),
                    r.chiffre_affaires.to_string(),
                ]
            })
            .collect::<Vec<_>>(),
    )?;
    print_table(
        "Regions from the lowest sales",
        &[
            "rang",
            "id_region",
            "nom_region",
            "population",
            "chiffre_affaires (€)",
            "€ par habitant",
            "rang par habitant",
        ],
        &lowest
            .iter()
            .map(|r| {
                vec![
                    r.rang.to_string(),
                    r.id_region.to_string(),
                    r.nom_region.clone(),
                    r.population.to_string(),
                    r.chiffre_affaires.to_string(),
                    r.chiffre_affaires_par_habitant
                        .map_or_else(String::new, |v| format!("{v:.4}")),
                    r.rang_par_habitant.to_string(),
                ]
            })
            .collect::<Vec<_>>(),
    )?;
    print_table(
        &format!("Top {} products by revenue in each region", args.top),
        &[
            "nom_region",
            "rang",
            "id_produit",
            "nom",
            "catégorie",
            "quantité_totale (kg)",
            "chiffre_affaires (€)",
        ],
        &top_revenue
            .iter()
            .map(|r| {
                vec![
                    r.nom_region.clone(),
                    r.rang.to_string(),
                    r.id_produit.to_string(),
                    r.nom.clone(),
                    r.categorie.clone(),
                    r.quantite_totale.to_string(),
                    r.chiffre_affaires.to_string(),
                ]
            })
            .collect::<Vec<_>>(),
    )?;
    print_table(
        &format!("Top {} categories in each region (by revenue)", args.top),
        &[
            "nom_region",
            "rang",
            "catégorie",
            "quantité_totale (kg)",
            "chiffre_affaires (€)",
            "nombre_ventes",
        ],
        &top_categories
            .iter()
            .map(|r| {
                vec![
                    r.nom_region.clone(),
                    r.rang.to_string(),
                    r.categorie.clone(),
                    r.quantite_totale.to_string(),
                    r.chiffre_affaires.to_string(),
                    r.nombre_ventes.to_string(),
                ]
            })
            .collect::<Vec<_>>(),
    )?;
    let title = if history.is_empty() {
        format!("Monthly history of {product_name} (id {product_id}): no sale in the range")
    } else {
        format!("Monthly history of {product_name} (id {product_id})")
    };
    print_table(
        &title,
        &["mois", "quantité_totale (kg)", "chiffre_affaires (€)", "nombre_ventes"],
        &history
            .iter()
            .map(|r| {
                vec![
                    r.mois.to_string(),
                    r.quantite_totale.to_string(),
                    r.chiffre_affaires.to_string(),
                    r.nombre_ventes.to_string(),
                ]
            })
            .collect::<Vec<_>>(),
    )?;
    Ok(())
}
