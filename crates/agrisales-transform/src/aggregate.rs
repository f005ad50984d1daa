//! Monthly aggregates by (region, category), with trends.

use agrisales_domain::{Cents, MonthlyAggregate, Product, Quantity, Region, Revenue, SaleColumns, YearMonth};

use crate::TransformError;
use crate::grid::MonthGrid;
use crate::index::Positions;

/// Streaming aggregation of sales into monthly totals per (region,
/// category).
///
/// Feed chunks in any order with [`MonthlyAggregator::push`], then call
/// [`MonthlyAggregator::finish`]. Memory is one cell per (month, region,
/// category), whatever the number of sales. Sums are exact integers;
/// revenue is rounded to the cent once per group, after summing, as SQL's
/// `round(sum(quantité * prix_unitaire), 2)` does.
#[derive(Debug, Clone)]
pub struct MonthlyAggregator {
    regions: Vec<Region>,
    positions: Positions,
    /// Category position of each product, in `product_index` order.
    product_category: Vec<u32>,
    /// Price in cents of each product, in `product_index` order.
    product_price: Vec<i64>,
    /// Category names, sorted.
    categories: Vec<String>,
    grid: MonthGrid,
    sales: u64,
}

impl MonthlyAggregator {
    /// Prepares an aggregator for sales of `products` in `regions`.
    pub fn new(regions: &[Region], products: &[Product]) -> Result<Self, TransformError> {
        let positions = Positions::new(regions, products)?;

        let mut categories: Vec<String> = products.iter().map(|p| p.category.clone()).collect();
        categories.sort();
        categories.dedup();
        let product_category = products
            .iter()
            .map(|p| categories.binary_search(&p.category).unwrap_or(0) as u32)
            .collect();
        let product_price = products.iter().map(|p| p.unit_price.get()).collect();

        let width = regions.len() * categories.len();
        Ok(Self {
            regions: regions.to_vec(),
            positions,
            product_category,
            product_price,
            categories,
            grid: MonthGrid::new(width),
            sales: 0,
        })
    }

    /// Adds a chunk of sales. On error nothing of the chunk is added.
    pub fn push(&mut self, chunk: &SaleColumns) -> Result<(), TransformError> {
        check_lengths(chunk)?;
        if chunk.is_empty() {
            return Ok(());
        }

        // Resolve every row first so that a bad row leaves the sums intact.
        let category_count = self.categories.len();
        let resolved = self.positions.map_rows(chunk, |product, region| {
            (
                region * category_count + self.product_category[product] as usize,
                self.product_price[product],
            )
        })?;

        let (low, high) = month_bounds(&chunk.month);
        self.grid.cover(low, high);
        for ((&month, &quantity), &(cell, price)) in chunk.month.iter().zip(&chunk.quantity_milli).zip(&resolved) {
            let revenue = i128::from(quantity) * i128::from(price);
            self.grid.add(month, cell, quantity, revenue);
        }
        self.sales += chunk.len() as u64;
        Ok(())
    }

    /// Number of sales pushed so far.
    pub fn sales(&self) -> u64 {
        self.sales
    }

    /// Returns one aggregate per (region, category, month) with at least
    /// one sale, ordered by region id, category and month.
    pub fn finish(self) -> Vec<MonthlyAggregate> {
        let months = self.grid.months();
        let category_count = self.categories.len();
        let mut order: Vec<usize> = (0..self.regions.len()).collect();
        order.sort_by_key(|&r| self.regions[r].id);

        let mut aggregates = Vec::new();
        for region in order {
            for category in 0..category_count {
                let cell = region * category_count + category;
                for row in 0..months {
                    let count = self.grid.count[[row, cell]];
                    if count == 0 {
                        continue;
                    }
                    let quantity = self.grid.quantity[[row, cell]];
                    let change_vs = |lag: usize| {
                        let earlier = row.checked_sub(lag)?;
                        let before = self.grid.quantity[[earlier, cell]];
                        (self.grid.count[[earlier, cell]] > 0 && before > 0)
                            .then(|| quantity as f64 / before as f64 - 1.0)
                    };

                    aggregates.push(MonthlyAggregate {
                        region_id: self.regions[region].id,
                        region_name: self.regions[region].name.clone(),
                        category: self.categories[category].clone(),
                        month: YearMonth::from_ordinal(self.grid.first() + row as i32),
                        total_quantity: Quantity::from_milli(saturate(quantity)),
                        revenue: round_revenue(self.grid.revenue[[row, cell]]),
                        revenue_exact: Revenue::from_raw(self.grid.revenue[[row, cell]]),
                        sale_count: count,
                        change_vs_previous_month: change_vs(1),
                        change_vs_previous_year: change_vs(12),
                    });
                }
            }
        }
        aggregates
    }
}

pub(crate) fn check_lengths(chunk: &SaleColumns) -> Result<(), TransformError> {
    let n = chunk.product_id.len();
    if chunk.region_id.len() != n || chunk.month.len() != n || chunk.quantity_milli.len() != n {
        return Err(TransformError::RaggedChunk(format!(
            "product_id={} region_id={} month={} quantity_milli={}",
            n,
            chunk.region_id.len(),
            chunk.month.len(),
            chunk.quantity_milli.len()
        )));
    }
    Ok(())
}

/// Returns the lowest and highest month ordinal of a non-empty column.
pub(crate) fn month_bounds(months: &[i32]) -> (i32, i32) {
    months
        .iter()
        .fold((i32::MAX, i32::MIN), |(lo, hi), &m| (lo.min(m), hi.max(m)))
}

/// Clamps an exact sum to `i64`; beyond ±9.2 × 10¹⁵ kg no real data goes.
pub(crate) fn saturate(value: i128) -> i64 {
    i64::try_from(value).unwrap_or(if value > 0 { i64::MAX } else { i64::MIN })
}

fn round_revenue(raw: i128) -> Cents {
    Revenue::from_raw(raw).to_cents_rounded()
}
