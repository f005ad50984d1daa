//! Prints the MongoDB reads other applications run on `agrégats_ventes`:
//! the monthly sales of one region and of one category over a month range,
//! with the query plan that serves each, and the year-to-date totals per
//! region.
//!
//! ```text
//! cargo run --release --example mongo_queries -- [--format table|json]
//!     [--region ID] [--category NAME] [--from YYYY-MM] [--to YYYY-MM]
//!     [--mongodb-uri URI] [--mongodb-database NAME]
//! ```

mod common;

use std::process::ExitCode;
use std::time::Instant;

use agrisales::domain::{MonthlyAggregate, YearMonth};
use agrisales::mongo::{AGGREGATES_COLLECTION, AggregateQuery, MongoStore};
use clap::Parser;
use common::{Format, print_table};
use mongodb::bson::{Bson, Document, doc};

/// Read monthly sales from MongoDB by region and by category.
#[derive(Debug, Parser)]
#[command(name = "mongo_queries")]
struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,

    /// Region to read (id_region) [default: the lowest id with data].
    #[arg(long)]
    region: Option<i32>,

    /// Category to read [default: the first category in alphabetical order].
    #[arg(long)]
    category: Option<String>,

    /// First month included (YYYY-MM) [default: the first month with data].
    #[arg(long)]
    from: Option<YearMonth>,

    /// Last month included (YYYY-MM) [default: the last month with data];
    /// year-to-date totals run through this month.
    #[arg(long)]
    to: Option<YearMonth>,

    #[command(flatten)]
    mongodb: common::MongoArgs,
}

fn main() -> ExitCode {
    let args = Args::parse();
    common::main_with(|| run(&args))
}

fn run(args: &Args) -> common::RunResult {
    let store = args.mongodb.connect()?;

    let defaults = Defaults::read(&store)?;
    let region = args.region.unwrap_or(defaults.region);
    let category = args.category.clone().unwrap_or_else(|| defaults.categories[0].clone());
    if !defaults.regions.contains(&region) {
        return Err(format!(
            "region {region} has no document in agrégats_ventes; regions with data: {:?}",
            defaults.regions
        )
        .into());
    }
    if !defaults.categories.contains(&category) {
        return Err(format!(
            "category `{category}` has no document in agrégats_ventes (names are case-sensitive); categories with data: {}",
            defaults.categories.join(", ")
        )
        .into());
    }
    let first = args.from.unwrap_or(defaults.first);
    let last = args.to.unwrap_or(defaults.last);

    let by_region = AggregateQuery::region(region, first, last)?;
    let by_category = AggregateQuery::category(&category, first, last)?;
    let started = Instant::now();
    let region_rows = store.find_aggregates(&by_region)?;
    let region_ms = started.elapsed().as_secs_f64() * 1000.0;
    let started = Instant::now();
    let category_rows = store.find_aggregates(&by_category)?;
    let category_ms = started.elapsed().as_secs_f64() * 1000.0;
    let region_plan = store.plan_stages(&by_region)?;
    let category_plan = store.plan_stages(&by_category)?;
    let year_to_date = store.year_to_date_by_region(last)?;

    if args.format == Format::Json {
        let output = serde_json::json!({
            "region_monthly_sales": region_rows.iter().map(document_json).collect::<Vec<_>>(),
            "category_monthly_sales": category_rows.iter().map(document_json).collect::<Vec<_>>(),
            "year_to_date_by_region": year_to_date,
            "plans": { "region": region_plan, "category": category_plan },
        });
        common::outln!("{}", serde_json::to_string_pretty(&output).unwrap_or_default())?;
        return Ok(());
    }

    let headers = [
        "mois",
        "id_region",
        "région",
        "catégorie",
        "quantité_totale (kg)",
        "chiffre_affaires (€)",
        "nombre_ventes",
    ];
    print_table(
        &format!(
            "Region {region}, {first} to {last}: {} documents in {region_ms:.1} ms, plan {}",
            region_rows.len(),
            region_plan.join(" <- ")
        ),
        &headers,
        &region_rows.iter().map(row).collect::<Vec<_>>(),
    )?;
    print_table(
        &format!(
            "Category {category}, {first} to {last}: {} documents in {category_ms:.1} ms, plan {}",
            category_rows.len(),
            category_plan.join(" <- ")
        ),
        &headers,
        &category_rows.iter().map(row).collect::<Vec<_>>(),
    )?;
    print_table(
        &format!("Year to date, January to {last}, by region"),
        &[
            "id_region",
            "région",
            "quantité_totale (kg)",
            "chiffre_affaires (€)",
            "nombre_ventes",
        ],
        &year_to_date
            .iter()
            .map(|t| {
                vec![
                    t.id_region.to_string(),
                    t.region.clone(),
                    t.total_quantity.to_string(),
                    t.revenue.to_string(),
                    t.sale_count.to_string(),
                ]
            })
            .collect::<Vec<_>>(),
    )?;
    Ok(())
}

/// Contents of the collection: the regions and categories with data, the
/// lowest region id, and the month range.
struct Defaults {
    region: i32,
    /// Region ids with data, ascending.
    regions: Vec<i32>,
    /// Category names with data, sorted.
    categories: Vec<String>,
    first: YearMonth,
    last: YearMonth,
}

impl Defaults {
    /// Reads the distinct regions, categories and months with `distinct`,
    /// so the documents themselves never cross the network.
    fn read(store: &MongoStore) -> Result<Self, Box<dyn std::error::Error>> {
        let collection = store.database().collection::<Document>(AGGREGATES_COLLECTION);
        let distinct = |field: &str| collection.distinct(field, doc! {}).run();

        let mut regions: Vec<i32> = distinct("id_region")?.iter().filter_map(Bson::as_i32).collect();
        let mut categories: Vec<String> = distinct("catégorie")?
            .iter()
            .filter_map(|b| b.as_str().map(str::to_owned))
            .collect();
        let months: Vec<YearMonth> = distinct("mois")?
            .iter()
            .filter_map(|b| b.as_str()?.parse().ok())
            .collect();
        regions.sort_unstable();
        categories.sort();

        let (Some(&region), Some(&first), Some(&last)) = (regions.first(), months.iter().min(), months.iter().max())
        else {
            return Err("agrégats_ventes is empty; run `cargo run --release --example etl` first".into());
        };
        Ok(Self {
            region,
            regions,
            categories,
            first,
            last,
        })
    }
}

fn row(a: &MonthlyAggregate) -> Vec<String> {
    vec![
        a.month.to_string(),
        a.region_id.to_string(),
        a.region_name.clone(),
        a.category.clone(),
        a.total_quantity.to_string(),
        a.revenue.to_string(),
        a.sale_count.to_string(),
    ]
}

fn document_json(a: &MonthlyAggregate) -> serde_json::Value {
    serde_json::json!({
        "id_region": a.region_id,
        "région": a.region_name,
        "catégorie": a.category,
        "mois": a.month.to_string(),
        "quantité_totale": a.total_quantity.kg(),
        "chiffre_affaires": a.revenue.euros(),
        "nombre_ventes": a.sale_count,
        "évolution_mois_précédent": a.change_vs_previous_month,
        "évolution_annuelle": a.change_vs_previous_year,
    })
}
