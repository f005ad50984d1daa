//! Criterion benchmarks of the engine fed from PostgreSQL: the streaming
//! binary `COPY` of every sale into `MonthlyAggregator`, as the ETL's
//! first stage does, at 1,000,000 and 10,000,000 sales.
//!
//! The two databases must exist; the `etl` example fills them:
//!
//! ```text
//! cargo run --release --example etl -- --rows 1000000 --reseed \
//!     --database-url postgres://postgres@127.0.0.1:5432/agrisales_1m --mongodb-database bench_1m
//! cargo run --release --example etl -- --rows 10000000 --reseed \
//!     --database-url postgres://postgres@127.0.0.1:5432/agrisales_10m --mongodb-database bench_10m
//! cargo bench --bench extract
//! ```
//!
//! `AGRISALES_BENCH_URL_1M` and `AGRISALES_BENCH_URL_10M` point it
//! elsewhere.

use std::hint::black_box;

use agrisales::postgres::PgRepository;
use agrisales::transform::MonthlyAggregator;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

const DATABASES: [(&str, &str, i64); 2] = [
    (
        "AGRISALES_BENCH_URL_1M",
        "postgres://postgres@127.0.0.1:5432/agrisales_1m",
        1_000_000,
    ),
    (
        "AGRISALES_BENCH_URL_10M",
        "postgres://postgres@127.0.0.1:5432/agrisales_10m",
        10_000_000,
    ),
];

fn open(variable: &str, default: &str, rows: i64) -> PgRepository {
    let url = std::env::var(variable).unwrap_or_else(|_| default.to_owned());
    let how = "create it with the commands in the header of benches/extract.rs";
    let mut repo = PgRepository::connect(&url).unwrap_or_else(|e| panic!("{e}\n{how}"));
    let sales = repo.counts().unwrap_or_else(|e| panic!("{e}\n{how}")).sales;
    assert_eq!(
        sales,
        rows,
        "{} holds {sales} sales, expected {rows}: {how}",
        repo.target()
    );
    repo
}

fn extract_aggregate(c: &mut Criterion) {
    let mut group = c.benchmark_group("extract_aggregate");
    group.sample_size(10);
    for (variable, default, rows) in DATABASES {
        let mut repo = open(variable, default, rows);
        let regions = repo.regions().expect("regions readable");
        let products = repo.products().expect("products readable");
        group.throughput(Throughput::Elements(rows as u64));
        group.bench_function(BenchmarkId::new("binary_copy", rows), |b| {
            b.iter(|| {
                let mut aggregator = MonthlyAggregator::new(&regions, &products).expect("ids are unique");
                repo.stream_sales(65_536, &mut |chunk| Ok(aggregator.push(chunk)?))
                    .expect("stream runs");
                black_box(aggregator.finish())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, extract_aggregate);
criterion_main!(benches);
