//! Criterion benchmarks of the aggregation engine alone, on generated
//! sales already in memory as columnar chunks.
//!
//! ```text
//! cargo bench --bench aggregation
//! ```

use std::hint::black_box;

use agrisales::datagen::{GeneratorConfig, SalesGenerator, numbered_catalogue};
use agrisales::domain::{Product, Region, SaleColumns, YearMonth};
use agrisales::transform::{MonthlyAggregator, SeriesBuilder};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

/// Sales per chunk, as the ETL streams them.
const CHUNK_ROWS: usize = 65_536;

fn chunks(rows: u64, regions: &[Region], products: &[Product]) -> Vec<SaleColumns> {
    let config = GeneratorConfig {
        rows,
        ..GeneratorConfig::default()
    };
    let mut chunks = Vec::new();
    let mut chunk = SaleColumns::with_capacity(CHUNK_ROWS);
    for sale in SalesGenerator::new(&config, regions, products).expect("catalogue is not empty") {
        chunk.push(sale.product_id, sale.region_id, YearMonth::of(sale.date), sale.quantity);
        if chunk.len() == CHUNK_ROWS {
            chunks.push(std::mem::replace(&mut chunk, SaleColumns::with_capacity(CHUNK_ROWS)));
        }
    }
    if !chunk.is_empty() {
        chunks.push(chunk);
    }
    chunks
}

fn aggregation(c: &mut Criterion) {
    let (regions, products) = numbered_catalogue();
    let mut group = c.benchmark_group("aggregation");
    group.sample_size(10);

    for rows in [100_000_u64, 1_000_000] {
        let data = chunks(rows, &regions, &products);
        group.throughput(Throughput::Elements(rows));

        group.bench_with_input(BenchmarkId::new("monthly_aggregates", rows), &data, |b, data| {
            b.iter(|| {
                let mut aggregator = MonthlyAggregator::new(&regions, &products).expect("ids are unique");
                for chunk in data {
                    aggregator.push(chunk).expect("sales match the catalogue");
                }
                black_box(aggregator.finish())
            })
        });

        group.bench_with_input(BenchmarkId::new("product_region_series", rows), &data, |b, data| {
            b.iter(|| {
                let mut builder = SeriesBuilder::new(&regions, &products).expect("ids are unique");
                for chunk in data {
                    builder.push(chunk).expect("sales match the catalogue");
                }
                black_box(builder.finish())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, aggregation);
criterion_main!(benches);
