//! Monthly aggregates by (region, category), with trends.

use agrisales_domain::{Cents, MonthlyAggregate, Product, Quantity, Region, Revenue, SaleColumns, YearMonth};

use ndarray::Array2;

use crate::TransformError;
use crate::cells::{CellGrid, Keys};
use crate::index::Positions;

/// Streaming aggregation of sales into monthly totals per (region,
/// category).
///
/// Feed chunks in any order with [`MonthlyAggregator::push`], then call
/// [`MonthlyAggregator::finish`]. Memory is one cell per (month, product,
/// region), whatever the number of sales. Sums are exact integers;
/// revenue is rounded to the cent once per group, after summing, as SQL's
/// `round(sum(quantité * prix_unitaire), 2)` does.
///
/// A chunk of at least 262,144 sales is split between threads (by default
/// as many as [`std::thread::available_parallelism`]; see
/// [`MonthlyAggregator::with_threads`]). Smaller chunks, such as the
/// 65,536-sale chunks of the streaming extract, run on the caller's
/// thread: there a thread would cost more than it saves.
#[derive(Debug, Clone)]
pub struct MonthlyAggregator {
    regions: Vec<Region>,
    keys: Keys,
    /// Category position of each product, in `product_index` order.
    product_category: Vec<usize>,
    /// Price in cents of each product, in `product_index` order.
    product_price: Vec<i64>,
    /// Category names, sorted.
    categories: Vec<String>,
    grid: CellGrid,
    sales: u64,
}

impl MonthlyAggregator {
    /// Prepares an aggregator for sales of `products` in `regions`.
    pub fn new(regions: &[Region], products: &[Product]) -> Result<Self, TransformError> {
        let keys = Keys::new(Positions::new(regions, products)?);

        let mut categories: Vec<String> = products.iter().map(|p| p.category.clone()).collect();
        categories.sort();
        categories.dedup();
        let product_category = products
            .iter()
            .map(|p| categories.binary_search(&p.category).unwrap_or(0))
            .collect();
        let product_price = products.iter().map(|p| p.unit_price.get()).collect();

        Ok(Self {
            regions: regions.to_vec(),
            grid: CellGrid::new(keys.width()),
            keys,
            product_category,
            product_price,
            categories,
            sales: 0,
        })
    }

    /// Sets the number of threads a large chunk may use; 1 keeps all work
    /// on the caller's thread. Results do not depend on it.
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.grid.set_threads(threads);
        self
    }

    /// Number of threads a large chunk may use.
    pub fn threads(&self) -> usize {
        self.grid.threads()
    }

    #[cfg(test)]
    pub(crate) fn grid_mut(&mut self) -> &mut CellGrid {
        &mut self.grid
    }

    /// Adds a chunk of sales. On error nothing of the chunk is added.
    pub fn push(&mut self, chunk: &SaleColumns) -> Result<(), TransformError> {
        self.grid.push(&self.keys, chunk)?;
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
        let totals = self.category_totals();
        let months = self.grid.months();
        let category_count = self.categories.len();
        let mut order: Vec<usize> = (0..self.regions.len()).collect();
        order.sort_by_key(|&r| self.regions[r].id);

        let mut aggregates = Vec::new();
        for region in order {
            for category in 0..category_count {
                let cell = region * category_count + category;
                for row in 0..months {
                    let count = totals.count[[row, cell]];
                    if count == 0 {
                        continue;
                    }
                    let quantity = totals.quantity[[row, cell]];
                    let change_vs = |lag: usize| {
                        let earlier = row.checked_sub(lag)?;
                        let before = totals.quantity[[earlier, cell]];
                        (totals.count[[earlier, cell]] > 0 && before > 0).then(|| quantity as f64 / before as f64 - 1.0)
                    };

                    aggregates.push(MonthlyAggregate {
                        region_id: self.regions[region].id,
                        region_name: self.regions[region].name.clone(),
                        category: self.categories[category].clone(),
                        month: YearMonth::from_ordinal(self.grid.first() + row as i32),
                        total_quantity: Quantity::from_milli(saturate(quantity)),
                        revenue: round_revenue(totals.revenue[[row, cell]]),
                        revenue_exact: Revenue::from_raw(totals.revenue[[row, cell]]),
                        sale_count: count,
                        change_vs_previous_month: change_vs(1),
                        change_vs_previous_year: change_vs(12),
                    });
                }
            }
        }
        aggregates
    }

    /// Folds the (month, product, region) sums into (month, region ×
    /// category) totals. Revenue is price × quantity sum per product:
    /// exact, and equal to the sum of the sales' revenues.
    fn category_totals(&self) -> CategoryTotals {
        let months = self.grid.months();
        let region_count = self.regions.len();
        let category_count = self.categories.len();
        let width = region_count * category_count;
        let mut totals = CategoryTotals {
            quantity: Array2::zeros((months, width)),
            revenue: Array2::zeros((months, width)),
            count: Array2::zeros((months, width)),
        };
        for row in 0..months {
            let cells = self.grid.row(row);
            for (product, (&category, &price)) in self.product_category.iter().zip(&self.product_price).enumerate() {
                for region in 0..region_count {
                    let cell = &cells[product * region_count + region];
                    if cell.count() == 0 {
                        continue;
                    }
                    let at = [row, region * category_count + category];
                    let quantity = cell.quantity();
                    totals.quantity[at] += quantity;
                    totals.revenue[at] += quantity * i128::from(price);
                    totals.count[at] += cell.count();
                }
            }
        }
        totals
    }
}

/// Exact totals per (month, region × category): quantity in thousandths,
/// revenue in 10⁻⁵ euro, number of sales.
struct CategoryTotals {
    quantity: Array2<i128>,
    revenue: Array2<i128>,
    count: Array2<u64>,
}

/// Clamps an exact sum to `i64`; beyond ±9.2 × 10¹⁵ kg no real data goes.
pub(crate) fn saturate(value: i128) -> i64 {
    i64::try_from(value).unwrap_or(if value > 0 { i64::MAX } else { i64::MIN })
}

fn round_revenue(raw: i128) -> Cents {
    Revenue::from_raw(raw).to_cents_rounded()
}
