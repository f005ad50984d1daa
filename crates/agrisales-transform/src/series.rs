//! Monthly quantities per (product, region): the forecasting input.

use agrisales_domain::{Product, ProductRegionSeries, Region, SaleColumns, YearMonth};

use crate::TransformError;
use crate::aggregate::{check_lengths, month_bounds};
use crate::grid::MonthGrid;
use crate::index::Positions;

/// Streaming accumulation of monthly quantities per (product, region).
///
/// Memory is one cell per (month, product, region).
#[derive(Debug, Clone)]
pub struct SeriesBuilder {
    products: Vec<Product>,
    regions: Vec<Region>,
    positions: Positions,
    grid: MonthGrid,
}

impl SeriesBuilder {
    /// Prepares a builder for sales of `products` in `regions`.
    pub fn new(regions: &[Region], products: &[Product]) -> Result<Self, TransformError> {
        Ok(Self {
            products: products.to_vec(),
            regions: regions.to_vec(),
            positions: Positions::new(regions, products)?,
            grid: MonthGrid::new(products.len() * regions.len()),
        })
    }

    /// Adds a chunk of sales. On error nothing of the chunk is added.
    pub fn push(&mut self, chunk: &SaleColumns) -> Result<(), TransformError> {
        check_lengths(chunk)?;
        if chunk.is_empty() {
            return Ok(());
        }

        let region_count = self.regions.len();
        let cells = self
            .positions
            .map_rows(chunk, |product, region| product * region_count + region)?;

        let (low, high) = month_bounds(&chunk.month);
        self.grid.cover(low, high);
        for ((&month, &cell), &quantity) in chunk.month.iter().zip(&cells).zip(&chunk.quantity_milli) {
            self.grid.add(month, cell, quantity, 0);
        }
        Ok(())
    }

    /// Returns the last month with any sale, or `None` before the first sale.
    pub fn last_month(&self) -> Option<YearMonth> {
        (self.grid.months() > 0).then(|| YearMonth::from_ordinal(self.grid.first() + self.grid.months() as i32 - 1))
    }

    /// Returns one series per product with sales, ordered by product id.
    ///
    /// A series runs from the product's first month with sales to the last
    /// month with sales of any product, with 0 for months without sales.
    /// Its columns are the regions where the product sold at least once,
    /// ordered by region id.
    pub fn finish(self) -> Vec<ProductRegionSeries> {
        let months = self.grid.months();
        let region_count = self.regions.len();
        let mut region_order: Vec<usize> = (0..region_count).collect();
        region_order.sort_by_key(|&r| self.regions[r].id);
        let mut product_order: Vec<usize> = (0..self.products.len()).collect();
        product_order.sort_by_key(|&p| self.products[p].id);

        let mut series = Vec::new();
        for product in product_order {
            let sold = |row: usize, region: usize| self.grid.count[[row, product * region_count + region]] > 0;
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
                    quantity_kg.push(self.grid.quantity[[row, product * region_count + region]] as f64 / 1000.0);
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
