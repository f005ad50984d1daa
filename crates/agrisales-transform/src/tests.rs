//! Property tests of the parallel path: with chunks split between threads
//! (the thread threshold lowered so that small inputs split), the engine
//! equals the single-threaded engine and a naive group-by, for any
//! chunking, month order, sign and size of quantities.

use std::collections::BTreeMap;

use agrisales_domain::{Cents, MonthlyAggregate, Product, Quantity, Region, Revenue, SaleColumns, YearMonth};
use proptest::prelude::*;

use crate::{MonthlyAggregator, SeriesBuilder, TransformError};

fn regions() -> Vec<Region> {
    [(9, "Corse"), (2, "Bretagne"), (5, "Normandie")]
        .into_iter()
        .map(|(id, name)| Region {
            id,
            name: name.to_owned(),
            population: 1,
        })
        .collect()
}

fn products(wide_ids: bool) -> Vec<Product> {
    // Ids a million apart make the engine use its hash indexes instead of
    // the dense id tables.
    let scale = if wide_ids { 1_000_000 } else { 1 };
    [
        (3, "fruits", 180),
        (1, "produits laitiers", 1650),
        (8, "fruits", 225),
        (4, "céréales", 24),
    ]
    .into_iter()
    .map(|(id, category, cents)| Product {
        id: id * scale,
        name: format!("p{id}"),
        category: category.to_owned(),
        unit_price: Cents::new(cents),
    })
    .collect()
}

#[derive(Debug, Clone)]
struct Sale {
    product: usize,
    region: usize,
    month: i32,
    milli: i64,
}

fn sales() -> impl Strategy<Value = Vec<Sale>> {
    let base = 2023 * 12;
    let milli = prop_oneof![
        8 => 1_i64..5_000_000,
        1 => -5_000_000_i64..0,
        1 => Just(0_i64),
        // Up to NUMERIC(15, 3)'s largest: hot i64 sums must move to the
        // totals before they wrap.
        1 => 10_i64.pow(13)..10_i64.pow(15),
        // Near i64::MAX: per-cell sums must go past i64 exactly.
        1 => (i64::MAX - 1_000)..=i64::MAX,
    ];
    prop::collection::vec((0..4_usize, 0..3_usize, base - 30..base + 30, milli), 0..300).prop_map(|rows| {
        rows.into_iter()
            .map(|(product, region, month, milli)| Sale {
                product,
                region,
                month,
                milli,
            })
            .collect()
    })
}

fn chunk_of(sales: &[Sale], products: &[Product]) -> SaleColumns {
    let regions = regions();
    let mut chunk = SaleColumns::default();
    for s in sales {
        chunk.push(
            products[s.product].id,
            regions[s.region].id,
            YearMonth::from_ordinal(s.month),
            Quantity::from_milli(s.milli),
        );
    }
    chunk
}

type Sums = BTreeMap<(i32, String, i32), (i128, i128, u64)>;

fn reference(sales: &[Sale], products: &[Product]) -> Sums {
    let regions = regions();
    let mut groups = Sums::new();
    for s in sales {
        let product = &products[s.product];
        let entry = groups
            .entry((regions[s.region].id, product.category.clone(), s.month))
            .or_default();
        entry.0 += i128::from(s.milli);
        entry.1 += i128::from(s.milli) * i128::from(product.unit_price.get());
        entry.2 += 1;
    }
    groups
}

fn sums(aggregates: &[MonthlyAggregate]) -> Sums {
    aggregates
        .iter()
        .map(|a| {
            (
                (a.region_id, a.category.clone(), a.month.ordinal()),
                (
                    i128::from(a.total_quantity.milli()),
                    a.revenue_exact.raw(),
                    a.sale_count,
                ),
            )
        })
        .collect()
}

fn aggregator(products: &[Product], threads: usize, min_rows: usize) -> MonthlyAggregator {
    let mut aggregator = MonthlyAggregator::new(&regions(), products)
        .unwrap()
        .with_threads(threads);
    aggregator.grid_mut().set_min_rows_per_thread(min_rows);
    // Blocks of a few sales: chunks span several overflow checks.
    aggregator.grid_mut().set_block_rows(min_rows.div_ceil(3));
    aggregator
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn parallel_equals_sequential_and_naive(
        sales in sales(),
        chunk in 1_usize..400,
        threads in 2_usize..5,
        min_rows in 1_usize..40,
        wide_ids in any::<bool>(),
    ) {
        let products = products(wide_ids);
        let mut sequential = aggregator(&products, 1, min_rows);
        let mut parallel = aggregator(&products, threads, min_rows);
        for rows in sales.chunks(chunk) {
            let c = chunk_of(rows, &products);
            sequential.push(&c).unwrap();
            parallel.push(&c).unwrap();
        }
        prop_assert_eq!(parallel.sales(), sales.len() as u64);
        let sequential = sequential.finish();
        let parallel = parallel.finish();

        // Sums fit in i64 unless huge quantities were drawn; compare the
        // exact sums only where the document's i64 field holds them.
        let expected = reference(&sales, &products);
        let fits = expected.values().all(|(q, _, _)| i64::try_from(*q).is_ok());
        if fits {
            prop_assert_eq!(&sums(&parallel), &expected);
        } else {
            let revenue = |s: &Sums| s.iter().map(|(k, v)| (k.clone(), v.1, v.2)).collect::<Vec<_>>();
            prop_assert_eq!(revenue(&sums(&parallel)), revenue(&expected));
        }
        prop_assert_eq!(parallel, sequential);
    }

    #[test]
    fn a_bad_row_anywhere_leaves_the_sums_intact(
        sales in sales(),
        bad_at in any::<prop::sample::Index>(),
        threads in 1_usize..4,
        bad_region in any::<bool>(),
        // Past the id tables, in a gap between known ids, or extreme.
        bad_product_id in prop::sample::select(vec![99, 5, 2, -1, i32::MIN, i32::MAX]),
        bad_region_id in prop::sample::select(vec![77, 3, 8, 0, i32::MIN, i32::MAX]),
    ) {
        prop_assume!(!sales.is_empty());
        let products = products(false);
        let mut aggregator = aggregator(&products, threads, 7);
        let first = chunk_of(&sales, &products);
        aggregator.push(&first).unwrap();
        let before = aggregator.clone().finish();

        // The same sales again with one unknown id.
        let mut second = first.clone();
        let row = bad_at.index(second.len());
        let error = if bad_region {
            second.region_id[row] = bad_region_id;
            TransformError::UnknownRegion { row, region_id: bad_region_id }
        } else {
            second.product_id[row] = bad_product_id;
            TransformError::UnknownProduct { row, product_id: bad_product_id }
        };
        prop_assert_eq!(aggregator.push(&second).unwrap_err(), error);
        prop_assert_eq!(aggregator.sales(), sales.len() as u64);
        prop_assert_eq!(aggregator.clone().finish(), before);

        // It still works afterwards.
        aggregator.push(&first).unwrap();
        let doubled = sums(&aggregator.finish());
        for (key, (q, r, n)) in reference(&sales, &products) {
            let got = doubled[&key];
            prop_assert_eq!((got.1, got.2), (2 * r, 2 * n));
            if let (Ok(q2), Ok(_)) = (i64::try_from(2 * q), i64::try_from(q)) {
                prop_assert_eq!(got.0, i128::from(q2));
            }
        }
    }

    #[test]
    fn merged_parts_equal_one_aggregator(sales in sales(), split in any::<prop::sample::Index>(), chunk in 1_usize..100) {
        let products = products(false);
        let at = split.index(sales.len() + 1);
        let (left, right) = sales.split_at(at);

        let mut whole = aggregator(&products, 1, 7);
        let mut whole_series = SeriesBuilder::new(&regions(), &products).unwrap();
        for rows in sales.chunks(chunk) {
            whole.push(&chunk_of(rows, &products)).unwrap();
            whole_series.push(&chunk_of(rows, &products)).unwrap();
        }

        let mut first = aggregator(&products, 1, 7);
        let mut second = first.empty_copy();
        let mut first_series = SeriesBuilder::new(&regions(), &products).unwrap();
        let mut second_series = first_series.empty_copy();
        for rows in left.chunks(chunk) {
            first.push(&chunk_of(rows, &products)).unwrap();
            first_series.push(&chunk_of(rows, &products)).unwrap();
        }
        for rows in right.chunks(chunk) {
            second.push(&chunk_of(rows, &products)).unwrap();
            second_series.push(&chunk_of(rows, &products)).unwrap();
        }
        first.merge(second).unwrap();
        first_series.merge(second_series).unwrap();

        prop_assert_eq!(first.sales(), sales.len() as u64);
        prop_assert_eq!(first.finish(), whole.finish());
        prop_assert_eq!(first_series.last_month(), whole_series.last_month());
        prop_assert_eq!(first_series.finish(), whole_series.finish());
    }

    #[test]
    fn series_do_not_depend_on_threads(sales in sales(), threads in 2_usize..4, chunk in 1_usize..100) {
        let products = products(false);
        let build = |threads: usize| {
            let mut builder = SeriesBuilder::new(&regions(), &products).unwrap().with_threads(threads);
            builder.grid_mut().set_min_rows_per_thread(3);
            for rows in sales.chunks(chunk) {
                builder.push(&chunk_of(rows, &products)).unwrap();
            }
            (builder.last_month(), builder.finish())
        };
        prop_assert_eq!(build(threads), build(1));
    }
}

#[test]
fn months_out_of_range_are_rejected() {
    let products = products(false);
    let mut aggregator = aggregator(&products, 1, 1);
    let mut chunk = SaleColumns::default();
    chunk.push(3, 2, YearMonth::new(2024, 1).unwrap(), Quantity::from_milli(1));
    chunk.product_id.push(3);
    chunk.region_id.push(2);
    chunk.month.push(-5);
    chunk.quantity_milli.push(1);
    assert_eq!(
        aggregator.push(&chunk).unwrap_err(),
        TransformError::MonthOutOfRange { row: 1, month: -5 }
    );
    assert!(aggregator.finish().is_empty());
}

#[test]
fn sorted_months_grow_the_grid_and_series_end_at_the_last_sale() {
    // Months ascending, one per chunk, as a date-ordered extract sends them.
    let products = products(false);
    let mut aggregator = aggregator(&products, 1, 1);
    let mut builder = SeriesBuilder::new(&regions(), &products).unwrap();
    let first = YearMonth::new(2020, 1).unwrap();
    for m in 0..40 {
        let mut chunk = SaleColumns::default();
        chunk.push(3, 2, first.plus(m), Quantity::from_milli(1_000 + i64::from(m)));
        aggregator.push(&chunk).unwrap();
        builder.push(&chunk).unwrap();
    }
    let aggregates = aggregator.finish();
    assert_eq!(aggregates.len(), 40);
    assert_eq!(aggregates[39].month, first.plus(39));
    assert_eq!(aggregates[12].change_vs_previous_year, Some(1_012.0 / 1_000.0 - 1.0));
    assert_eq!(builder.last_month(), Some(first.plus(39)));
    let series = builder.finish();
    assert_eq!(series[0].months, 40);
    assert_eq!(series[0].first_month, first);
}

#[test]
fn revenue_is_price_times_quantity_sum() {
    let products = products(false);
    let mut aggregator = aggregator(&products, 2, 1);
    let mut chunk = SaleColumns::default();
    let month = YearMonth::new(2024, 5).unwrap();
    // 1.5 kg of p3 at 1.80 € and 0.333 kg of p8 at 2.25 €: both fruits.
    chunk.push(3, 5, month, Quantity::from_milli(1_500));
    chunk.push(8, 5, month, Quantity::from_milli(333));
    aggregator.push(&chunk).unwrap();
    let aggregates = aggregator.finish();
    assert_eq!(aggregates.len(), 1);
    assert_eq!(aggregates[0].revenue_exact, Revenue::from_raw(1_500 * 180 + 333 * 225));
    assert_eq!(aggregates[0].revenue, Cents::new(345)); // 3.44925 € → 3.45 €
}

#[test]
fn zero_quantities_are_counted() {
    let products = products(false);
    let month = YearMonth::new(2024, 3).unwrap();
    let mut chunk = SaleColumns::default();
    chunk.push(3, 2, month, Quantity::from_milli(0));
    chunk.push(8, 2, month, Quantity::from_milli(0));
    for threads in [1, 2] {
        let mut aggregator = aggregator(&products, threads, 1);
        aggregator.push(&chunk).unwrap();
        let aggregates = aggregator.finish();
        assert_eq!(aggregates.len(), 1, "{threads} threads");
        assert_eq!(aggregates[0].sale_count, 2);
        assert_eq!(aggregates[0].total_quantity, Quantity::from_milli(0));
    }
}

#[test]
fn oversized_grid_is_rejected() {
    // 100 × 100 (product, region) pairs over every month of years 0 to
    // 9999 would need 1.2 × 10⁹ hot cells (19 GB).
    let regions: Vec<Region> = (1..=100)
        .map(|id| Region {
            id,
            name: format!("r{id}"),
            population: 1,
        })
        .collect();
    let products: Vec<Product> = (1..=100)
        .map(|id| Product {
            id,
            name: format!("p{id}"),
            category: "fruits".to_owned(),
            unit_price: Cents::new(100),
        })
        .collect();
    let mut aggregator = MonthlyAggregator::new(&regions, &products).unwrap().with_threads(1);
    let mut ordinary = SaleColumns::default();
    ordinary.push(1, 1, YearMonth::new(2024, 1).unwrap(), Quantity::from_milli(5));
    aggregator.push(&ordinary).unwrap();

    let mut far = SaleColumns::default();
    far.push(2, 2, YearMonth::new(2024, 2).unwrap(), Quantity::from_milli(7));
    far.push(1, 1, YearMonth::from_ordinal(0), Quantity::from_milli(1));
    far.push(1, 1, YearMonth::new(9999, 12).unwrap(), Quantity::from_milli(1));
    let error = aggregator.push(&far).unwrap_err();
    assert!(
        matches!(error, TransformError::TooManyCells { columns: 10_000, .. }),
        "{error}"
    );
    assert!(error.to_string().contains("fewer months"), "{error}");

    let aggregates = aggregator.finish();
    assert_eq!(aggregates.len(), 1);
    assert_eq!(aggregates[0].total_quantity, Quantity::from_milli(5));
}

#[test]
fn merging_another_catalogue_is_rejected() {
    let mut aggregator = aggregator(&products(false), 1, 1);
    let other = MonthlyAggregator::new(&regions(), &products(true)).unwrap();
    assert_eq!(aggregator.merge(other).unwrap_err(), TransformError::DifferentCatalogue);

    let mut series = SeriesBuilder::new(&regions(), &products(false)).unwrap();
    let other = SeriesBuilder::new(&regions()[..2], &products(false)).unwrap();
    assert_eq!(series.merge(other).unwrap_err(), TransformError::DifferentCatalogue);
}
