//! Monthly quantities per (product, region): the forecasting input.

use agrisales_domain::{Product, ProductRegionSeries, Region, SaleColumns, YearMonth};

use crate::TransformError;
use crate::cells::{CellGrid, Keys, Layout};
use crate::index::Positions;

/// Streaming accumulation of monthly quantities per (product, region).
///
/// Memory is one cell per (month, product, region). Large chunks use
/// several threads, as in [`MonthlyAggregator`](crate::MonthlyAggregator).
#[derive(Debug, Clone)]
pub struct SeriesBuilder {
    products: Vec<Product>,
    regions: Vec<Region>,
    keys: Keys,
    grid: CellGrid,
}

impl SeriesBuilder {
    /// Prepares a builder for sales of `products` in `regions`.
    pub fn new(regions: &[Region], products: &[Product]) -> Result<Self, TransformError> {
        let positions = Positions::new(regions, products)?;
        // Grid cell of (product, region): product × regions + region; no
        // revenue.
        let layout = Layout {
            product_part: (0..products.len()).map(|p| (p * regions.len()) as u32).collect(),
            region_part: (0..regions.len()).map(|r| r as u32).collect(),
            price: vec![0; products.len()],
            width: products.len() * regions.len(),
        };
        let keys = Keys::new(positions, layout)?;
        Ok(Self {
            products: products.to_vec(),
            regions: regions.to_vec(),
            grid: CellGrid::new(&keys),
            keys,
        })
    }

    /// Sets the number of threads a large chunk may use; 1 keeps all work
    /// on the caller's thread.
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.grid.set_threads(threads);
        self
    }

    /// Returns a builder for the same regions and products, with no
    /// sales and the same thread setting: one to fill in parallel and
    /// [`merge`](SeriesBuilder::merge) back.
    pub fn empty_copy(&self) -> Self {
        let mut grid = CellGrid::new(&self.keys);
        grid.set_threads(self.grid.threads());
        Self {
            products: self.products.clone(),
            regions: self.regions.clone(),
            keys: self.keys.clone(),
            grid,
        }
    }

    /// Adds everything `other` has summed, as if its chunks had been
    /// pushed here.
    ///
    /// Fails with [`TransformError::DifferentCatalogue`], changing
    /// nothing, when `other` was built with other regions or products.
    pub fn merge(&mut self, mut other: SeriesBuilder) -> Result<(), TransformError> {
        if other.regions != self.regions || other.products != self.products {
            return Err(TransformError::DifferentCatalogue);
        }
        self.grid.merge(&self.keys, &mut other.grid)
    }

    #[cfg(test)]
    pub(crate) fn grid_mut(&mut self) -> &mut CellGrid {
        &mut self.grid
    }

    /// Adds a chunk of sales. On error nothing of the chunk is added.
    pub fn push(&mut self, chunk: &SaleColumns) -> Result<(), TransformError> {
        self.grid.push(&self.keys, chunk)
    }

    /// Returns the last month with any sale, or `None` before the first sale.
    pub fn last_month(&self) -> Option<YearMonth> {
        let (_, last) = self.grid.used_rows()?;
        Some(YearMonth::from_ordinal(self.grid.first() + last as i32))
    }

    /// Returns one series per product with sales, ordered by product id.
    ///
    /// A series runs from the product's first month with sales to the last
    /// month with sales of any product, with 0 for months without sales.
    /// Its columns are the regions where the product sold at least once,
    /// ordered by region id.
    pub fn finish(mut self) -> Vec<ProductRegionSeries> {
        self.grid.settle(&self.keys);
        // The grid may hold empty months past the last sale (it grows with
        // a margin): series end at the last month with a sale.
        let months = self.grid.used_rows().map_or(0, |(_, last)| last + 1);
        let region_count = self.regions.len();
        let mut region_order: Vec<usize> = (0..region_count).collect();
        region_order.sort_by_key(|&r| self.regions[r].id);
        let mut product_order: Vec<usize> = (0..self.products.len()).collect();
        product_order.sort_by_key(|&p| self.products[p].id);

        let mut series = Vec::new();
        for product in product_order {
            let sold = |row: usize, region: usize| self.grid.row(row)[product * region_count + region].count > 0;
            let Some(first_row) = (0..months).find(|&row| (0..region_count).any(|r| sold(row, r))) else {
                continue;
            };
            let columns: Vec<usize> = region_order
                .iter()
                .copied()
                .filter(|&r| (first_row..months).any(|row| sold(row, r)))
                .collect();

            let mut quantity_kg = Vec::with_capacity((months - first_row) * columns.len());
            for row in first_row..months {
                for &region in &columns {
                    quantity_kg.push(self.grid.row(row)[product * region_count + region].quantity as f64 / 1000.0);
                }
            }

            series.push(ProductRegionSeries {
                product_id: self.products[product].id,
                region_ids: columns.iter().map(|&r| self.regions[r].id).collect(),
                first_month: YearMonth::from_ordinal(self.grid.first() + first_row as i32),
                months: months - first_row,
                quantity_kg,
            });
        }
        series
    }
}
