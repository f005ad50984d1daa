//! Property tests: the engine equals a naive computation over the raw
//! rows, whatever the chunking and the order of the sales.

use std::collections::BTreeMap;

use agrisales_domain::{Cents, Product, Quantity, Region, Revenue, SaleColumns, YearMonth};
use agrisales_transform::{MonthlyAggregator, SeriesBuilder, TransformError};
use proptest::prelude::*;

fn regions() -> Vec<Region> {
    // Ids deliberately unordered and sparse.
    [(9, "Corse"), (2, "Bretagne"), (5, "Normandie")]
        .into_iter()
        .map(|(id, name)| Region {
            id,
            name: name.to_owned(),
            population: 1_000,
        })
        .collect()
}

fn products() -> Vec<Product> {
    [
        (3, "Pommes", "fruits", 180),
        (1, "Comté", "produits laitiers", 1650),
        (8, "Poires", "fruits", 225),
        (4, "Blé", "céréales", 24),
    ]
    .into_iter()
    .map(|(id, name, category, cents)| Product {
        id,
        name: name.to_owned(),
        category: category.to_owned(),
        unit_price: Cents::new(cents),
    })
    .collect()
}

#[derive(Debug, Clone)]
struct Sale {
    product_id: i32,
    region_id: i32,
    month: i32,
    milli: i64,
}

fn sales() -> impl Strategy<Value = Vec<Sale>> {
    let base = 2023 * 12;
    prop::collection::vec(
        (
            prop::sample::select(vec![3, 1, 8, 4]),
            prop::sample::select(vec![9, 2, 5]),
            base..base + 30,
            1_i64..5_000_000,
        ),
        0..400,
    )
    .prop_map(|rows| {
        rows.into_iter()
            .map(|(product_id, region_id, month, milli)| Sale {
                product_id,
                region_id,
                month,
                milli,
            })
            .collect()
    })
}

type Key = (i32, String, i32);

/// Computes the naive reference: a map from (region, category, month) to
/// exact sums.
fn reference(sales: &[Sale]) -> BTreeMap<Key, (i64, Revenue, u64)> {
    let products = products();
    let mut groups: BTreeMap<Key, (i64, Revenue, u64)> = BTreeMap::new();
    for sale in sales {
        let product = products.iter().find(|p| p.id == sale.product_id).unwrap();
        let entry = groups
            .entry((sale.region_id, product.category.clone(), sale.month))
            .or_default();
        entry.0 += sale.milli;
        entry.1 += Revenue::of(Quantity::from_milli(sale.milli), product.unit_price);
        entry.2 += 1;
    }
    groups
}

fn chunks_of(sales: &[Sale], size: usize) -> Vec<SaleColumns> {
    sales
        .chunks(size.max(1))
        .map(|rows| {
            let mut chunk = SaleColumns::default();
            for s in rows {
                chunk.push(
                    s.product_id,
                    s.region_id,
                    YearMonth::from_ordinal(s.month),
                    Quantity::from_milli(s.milli),
                );
            }
            chunk
        })
        .collect()
}

proptest! {
    #[test]
    fn aggregates_equal_naive_group_by(sales in sales(), chunk in 1_usize..64) {
        let mut aggregator = MonthlyAggregator::new(&regions(), &products()).unwrap();
        for c in chunks_of(&sales, chunk) {
            aggregator.push(&c).unwrap();
        }
        let aggregates = aggregator.finish();

        let expected = reference(&sales);
        prop_assert_eq!(aggregates.len(), expected.len());
        for a in &aggregates {
            let (milli, revenue, count) = expected[&(a.region_id, a.category.clone(), a.month.ordinal())];
            prop_assert_eq!(a.total_quantity.milli(), milli);
            prop_assert_eq!(a.revenue, revenue.to_cents_rounded());
            prop_assert_eq!(a.sale_count, count);

            let previous = expected.get(&(a.region_id, a.category.clone(), a.month.ordinal() - 1));
            let expected_change = previous.map(|p| milli as f64 / p.0 as f64 - 1.0);
            prop_assert_eq!(a.change_vs_previous_month, expected_change);
            let last_year = expected.get(&(a.region_id, a.category.clone(), a.month.ordinal() - 12));
            prop_assert_eq!(a.change_vs_previous_year, last_year.map(|p| milli as f64 / p.0 as f64 - 1.0));
        }
    }

    #[test]
    fn aggregates_ignore_sale_order(mut sales in sales(), chunk in 1_usize..64) {
        let run = |sales: &[Sale]| {
            let mut aggregator = MonthlyAggregator::new(&regions(), &products()).unwrap();
            for c in chunks_of(sales, chunk) {
                aggregator.push(&c).unwrap();
            }
            aggregator.finish()
        };
        let forward = run(&sales);
        sales.reverse();
        prop_assert_eq!(forward, run(&sales));
    }

    #[test]
    fn series_sum_to_product_totals(sales in sales(), chunk in 1_usize..64) {
        let mut builder = SeriesBuilder::new(&regions(), &products()).unwrap();
        for c in chunks_of(&sales, chunk) {
            builder.push(&c).unwrap();
        }
        let last = builder.last_month();
        let series = builder.finish();

        for s in &series {
            prop_assert_eq!(Some(s.last_month()), last);
            prop_assert_eq!(s.quantity_kg.len(), s.months * s.region_ids.len());
            prop_assert!(s.quantity_kg.iter().all(|q| q.is_finite() && *q >= 0.0));
            let expected: i64 = sales.iter().filter(|x| x.product_id == s.product_id).map(|x| x.milli).sum();
            let total: f64 = s.quantity_kg.iter().sum();
            prop_assert!((total - expected as f64 / 1000.0).abs() < 1e-6 * (1.0 + total.abs()));
        }
        let sold: std::collections::BTreeSet<i32> = sales.iter().map(|x| x.product_id).collect();
        prop_assert_eq!(series.len(), sold.len());
    }
}

#[test]
fn unknown_product_leaves_sums_intact() {
    let mut aggregator = MonthlyAggregator::new(&regions(), &products()).unwrap();
    let mut chunk = SaleColumns::default();
    let month = YearMonth::new(2024, 1).unwrap();
    chunk.push(3, 2, month, Quantity::from_milli(1_000));
    chunk.push(99, 2, month, Quantity::from_milli(1_000));

    let error = aggregator.push(&chunk).unwrap_err();

    assert_eq!(error, TransformError::UnknownProduct { row: 1, product_id: 99 });
    assert_eq!(aggregator.sales(), 0);
    assert!(aggregator.finish().is_empty());
}

#[test]
fn unknown_region_is_reported() {
    let mut builder = SeriesBuilder::new(&regions(), &products()).unwrap();
    let mut chunk = SaleColumns::default();
    chunk.push(3, 77, YearMonth::new(2024, 1).unwrap(), Quantity::from_milli(1));
    assert_eq!(
        builder.push(&chunk).unwrap_err(),
        TransformError::UnknownRegion { row: 0, region_id: 77 }
    );
}

#[test]
fn duplicate_product_id_is_rejected() {
    let mut products = products();
    products[1].id = 3;
    let error = MonthlyAggregator::new(&regions(), &products).unwrap_err();
    assert_eq!(error, TransformError::DuplicateId { list: "product", id: 3 });
}

#[test]
fn revenue_rounds_once_per_group() {
    // Two sales of 0.005 € each: rounding per sale gives 0.02 €, rounding
    // the sum gives 0.01 €, as SQL does.
    let regions = regions();
    let products = vec![Product {
        id: 1,
        name: "x".into(),
        category: "c".into(),
        unit_price: Cents::new(1),
    }];
    let mut chunk = SaleColumns::default();
    let month = YearMonth::new(2024, 1).unwrap();
    chunk.push(1, 2, month, Quantity::from_milli(500));
    chunk.push(1, 2, month, Quantity::from_milli(500));
    chunk.push(1, 2, month, Quantity::from_milli(1));

    let mut aggregator = MonthlyAggregator::new(&regions, &products).unwrap();
    aggregator.push(&chunk).unwrap();
    let aggregates = aggregator.finish();

    assert_eq!(aggregates[0].revenue, Cents::new(1));
}
