//! Criterion benchmarks of the aggregation engine alone, on generated
//! sales already in memory (seed 42, 36 months, the built-in catalogue).
//!
//! ```text
//! cargo bench --bench aggregation
//! cargo bench --bench aggregation -- 10000000     # one size only
//! ```
//!
//! At 1,000,000 and 10,000,000 sales:
//!
//! - `chunks_1_thread`: 65,536-sale chunks pushed one after the other, on
//!   one thread, as the streaming ETL does;
//! - `one_chunk_all_threads`: one chunk holding every sale, split between
//!   all cores (what `compare_engines` times against polars);
//! - `series_chunks_1_thread`: the forecasting series builder, chunked.

use std::hint::black_box;

use agrisales::datagen::{GeneratorConfig, SalesGenerator, numbered_catalogue};
use agrisales::domain::{Product, Region, SaleColumns, YearMonth};
use agrisales::transform::{MonthlyAggregator, SeriesBuilder};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

/// Sales per chunk, as the ETL streams them.
const CHUNK_ROWS: usize = 65_536;

fn generate(rows: u64, regions: &[Region], products: &[Product]) -> SaleColumns {
    let config = GeneratorConfig {
        rows,
        ..GeneratorConfig::default()
    };
    let mut sales = SaleColumns::with_capacity(rows as usize);
    for sale in SalesGenerator::new(&config, regions, products).expect("catalogue is not empty") {
        sales.push(sale.product_id, sale.region_id, YearMonth::of(sale.date), sale.quantity);
    }
    sales
}

fn split(sales: &SaleColumns) -> Vec<SaleColumns> {
    (0..sales.len())
        .step_by(CHUNK_ROWS)
        .map(|start| {
            let end = (start + CHUNK_ROWS).min(sales.len());
            SaleColumns {
                product_id: sales.product_id[start..end].to_vec(),
                region_id: sales.region_id[start..end].to_vec(),
                month: sales.month[start..end].to_vec(),
                quantity_milli: sales.quantity_milli[start..end].to_vec(),
            }
        })
        .collect()
}

fn aggregation(c: &mut Criterion) {
    let (regions, products) = numbered_catalogue();
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let mut group = c.benchmark_group("aggregation");
    group.sample_size(10);

    for rows in [1_000_000_u64, 10_000_000] {
        let whole = generate(rows, &regions, &products);
        let chunks = split(&whole);
        group.throughput(Throughput::Elements(rows));

        group.bench_with_input(BenchmarkId::new("chunks_1_thread", rows), &chunks, |b, chunks| {
            b.iter(|| {
                let mut aggregator = MonthlyAggregator::new(&regions, &products)
                    .expect("ids are unique")
                    .with_threads(1);
                for chunk in chunks {
                    aggregator.push(chunk).expect("sales match the catalogue");
                }
                black_box(aggregator.finish())
            })
        });

        group.bench_with_input(
            BenchmarkId::new(format!("one_chunk_{threads}_threads"), rows),
            &whole,
            |b, whole| {
                b.iter(|| {
                    let mut aggregator = MonthlyAggregator::new(&regions, &products)
                        .expect("ids are unique")
                        .with_threads(threads);
                    aggregator.push(whole).expect("sales match the catalogue");
                    black_box(aggregator.finish())
                })
            },
        );

        group.bench_with_input(
            BenchmarkId::new("series_chunks_1_thread", rows),
            &chunks,
            |b, chunks| {
                b.iter(|| {
                    let mut builder = SeriesBuilder::new(&regions, &products)
                        .expect("ids are unique")
                        .with_threads(1);
                    for chunk in chunks {
                        builder.push(chunk).expect("sales match the catalogue");
                    }
                    black_box(builder.finish())
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, aggregation);
criterion_main!(benches);
