//! Criterion benchmarks of the SQL analyses and the MongoDB reads on a
//! database the `etl` example filled, 10,000,000 sales by default:
//!
//! ```text
//! cargo run --release --example etl -- --rows 10000000 --reseed \
//!     --database-url postgres://postgres@127.0.0.1:5432/agrisales_10m --mongodb-database agrisales_10m
//! cargo bench --bench queries
//! ```
//!
//! `AGRISALES_BENCH_DATABASE_URL` and `AGRISALES_BENCH_MONGODB_DATABASE`
//! (with `MONGODB_URI`) point it elsewhere.

use std::hint::black_box;

use agrisales::domain::YearMonth;
use agrisales::mongo::MongoStore;
use agrisales::postgres::{DateRange, PgRepository, ProductRef};
use criterion::{Criterion, criterion_group, criterion_main};

const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/agrisales_10m";
const DEFAULT_MONGODB_DATABASE: &str = "agrisales_10m";

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn sql_analyses(c: &mut Criterion) {
    let url = env_or("AGRISALES_BENCH_DATABASE_URL", DEFAULT_DATABASE_URL);
    let mut repo = PgRepository::connect(&url)
        .unwrap_or_else(|e| panic!("{e}\nFill it first: see the header of benches/queries.rs"));
    repo.run_migrations().expect("migrations apply");
    let sales = repo.counts().expect("tables exist").sales;
    assert!(
        sales > 0,
        "{} has no sales: fill it first, see the header of benches/queries.rs",
        repo.target()
    );
    println!("SQL analyses on {} ({sales} sales)", repo.target());

    let all = DateRange::all();
    let mut group = c.benchmark_group(format!("sql_{sales}"));
    group.sample_size(10);
    group.bench_function("sales_by_region_month", |b| {
        b.iter(|| black_box(repo.sales_by_region_month(all).expect("query runs")))
    });
    group.bench_function("top_products_by_category", |b| {
        b.iter(|| black_box(repo.top_products_by_category(all, 3).expect("query runs")))
    });
    group.bench_function("lowest_sales_regions", |b| {
        b.iter(|| black_box(repo.lowest_sales_regions(all).expect("query runs")))
    });
    group.bench_function("top_revenue_products_by_region", |b| {
        b.iter(|| black_box(repo.top_revenue_products_by_region(all, 3).expect("query runs")))
    });
    group.bench_function("top_categories_by_region", |b| {
        b.iter(|| black_box(repo.top_categories_by_region(all, 3).expect("query runs")))
    });
    group.bench_function("product_monthly_history", |b| {
        b.iter(|| {
            black_box(
                repo.product_monthly_history(&ProductRef::Id(1), all)
                    .expect("query runs"),
            )
        })
    });
    group.finish();
}

fn mongo_reads(c: &mut Criterion) {
    let uri = env_or("MONGODB_URI", "mongodb://127.0.0.1:27017");
    let database = env_or("AGRISALES_BENCH_MONGODB_DATABASE", DEFAULT_MONGODB_DATABASE);
    let store = MongoStore::connect(&uri, &database).unwrap_or_else(|e| panic!("{e}"));
    let aggregates = store.aggregates().expect("collection readable");
    let first = aggregates
        .iter()
        .map(|a| a.month)
        .min()
        .expect("agrégats_ventes is empty: run the etl example first");
    let last: YearMonth = first.plus(35);
    let region = aggregates[0].region_id;

    let mut group = c.benchmark_group("mongo");
    group.bench_function("region_36_months", |b| {
        b.iter(|| black_box(store.region_monthly_sales(region, first, last).expect("read runs")))
    });
    group.bench_function("category_36_months", |b| {
        b.iter(|| black_box(store.category_monthly_sales("fruits", first, last).expect("read runs")))
    });
    group.bench_function("year_to_date_by_region", |b| {
        b.iter(|| black_box(store.year_to_date_by_region(last).expect("pipeline runs")))
    });
    group.finish();
}

criterion_group!(benches, sql_analyses, mongo_reads);
criterion_main!(benches);
