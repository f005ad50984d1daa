//! Monthly aggregates by (region, category), with trends.

use agrisales_domain::{Cents, MonthlyAggregate, Product, Quantity, Region, Revenue, SaleColumns, YearMonth};

use ndarray::Array2;

use crate::TransformError;
use crate::cells::{CellGrid, Keys, Layout, Total};
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
    products: Vec<Product>,
    keys: Keys,
    /// Category names, sorted.
    categories: Vec<String>,
    grid: CellGrid,
    sales: u64,
}

impl MonthlyAggregator {
    /// Prepares an aggregator for sales of `products` in `regions`.
    pub fn new(regions: &[Region], products: &[Product]) -> Result<Self, TransformError> {
        let positions = Positions::new(regions, products)?;

        let mut categories: Vec<String> = products.iter().map(|p| p.category.clone()).collect();
        categories.sort();
        categories.dedup();
        // Grid cell of (product, region): region × categories + category.
        let layout = Layout {
            product_part: products
                .iter()
                .map(|p| categories.binary_search(&p.category).unwrap_or(0) as u32)
                .collect(),
            region_part: (0..regions.len()).map(|r| (r * categories.len()) as u32).collect(),
            price: products.iter().map(|p| p.unit_price.get()).collect(),
            width: regions.len() * categories.len(),
        };
        let keys = Keys::new(positions, layout)?;

        Ok(Self {
            regions: regions.to_vec(),
            products: products.to_vec(),
            grid: CellGrid::new(&keys),
            keys,
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

    /// Returns an aggregator for the same regions and products, with no
    /// sales and the same thread setting: one to fill in parallel and
    /// [`merge`](MonthlyAggregator::merge) back.
    pub fn empty_copy(&self) -> Self {
        let mut grid = CellGrid::new(&self.keys);
        grid.set_threads(self.grid.threads());
        Self {
            regions: self.regions.clone(),
            products: self.products.clone(),
            keys: self.keys.clone(),
            categories: self.categories.clone(),
            grid,
            sales: 0,
        }
    }

    /// Adds everything `other` has summed, as if its chunks had been
    /// pushed here: aggregators that each read part of the sales, on
    /// threads of their own, combine this way.
    ///
    /// Fails with [`TransformError::DifferentCatalogue`], changing
    /// nothing, when `other` was built with other regions or products.
    pub fn merge(&mut self, mut other: MonthlyAggregator) -> Result<(), TransformError> {
        if other.regions != self.regions || other.products != self.products {
            return Err(TransformError::DifferentCatalogue);
        }
        self.grid.merge(&self.keys, &mut other.grid)?;
        self.sales += other.sales;
        Ok(())
    }

    /// Number of sales pushed so far.
    pub fn sales(&self) -> u64 {
        self.sales
    }

    /// Returns one aggregate per (region, category, month) with at least
    /// one sale, ordered by region id, category and month.
    pub fn finish(mut self) -> Vec<MonthlyAggregate> {
        self.grid.settle(&self.keys);
        let months = self.grid.months();
        let category_count = self.categories.len();
        let mut order: Vec<usize> = (0..self.regions.len()).collect();
        order.sort_by_key(|&r| self.regions[r].id);

        // Exact totals as (month, region × category) tables.
        let width = self.keys.width();
        let cells = |field: fn(&Total) -> i128| {
            Array2::from_shape_fn((months, width), |(row, cell)| field(&self.grid.row(row)[cell]))
        };
        let quantities = cells(|t| t.quantity);
        let revenues = cells(|t| t.revenue);
        let counts = Array2::from_shape_fn((months, width), |(row, cell)| self.grid.row(row)[cell].count);

        let mut aggregates = Vec::new();
        for region in order {
            for category in 0..category_count {
                let cell = region * category_count + category;
                for row in 0..months {
                    let count = counts[[row, cell]];
                    if count == 0 {
                        continue;
                    }
                    let quantity = quantities[[row, cell]];
                    let change_vs = |lag: usize| {
                        let earlier = row.checked_sub(lag)?;
                        let before = quantities[[earlier, cell]];
                        (counts[[earlier, cell]] > 0 && before > 0).then(|| quantity as f64 / before as f64 - 1.0)
                    };

                    aggregates.push(MonthlyAggregate {
                        region_id: self.regions[region].id,
                        region_name: self.regions[region].name.clone(),
                        category: self.categories[category].clone(),
                        month: YearMonth::from_ordinal(self.grid.first() + row as i32),
                        total_quantity: Quantity::from_milli(saturate(quantity)),
                        revenue: round_revenue(revenues[[row, cell]]),
                        revenue_exact: Revenue::from_raw(revenues[[row, cell]]),
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

/// Clamps an exact sum to `i64`; beyond ±9.2 × 10¹⁵ kg no real data goes.
pub(crate) fn saturate(value: i128) -> i64 {
    i64::try_from(value).unwrap_or(if value > 0 { i64::MAX } else { i64::MIN })
}

fn round_revenue(raw: i128) -> Cents {
    Revenue::from_raw(raw).to_cents_rounded()
}
