//! Seeded, deterministic generator of French agricultural sales.
//!
//! The generator produces the reference rows of `regions` and `produits`
//! ([`regions`], [`products`]) and a stream of `ventes` ([`SalesGenerator`])
//! with:
//!
//! - regional volumes proportional to population, raised for each region's
//!   specialities (wine in Bourgogne, dairy in Normandie...);
//! - a seasonal profile per category (fruit peaks in summer, cheese before
//!   Christmas) and a yearly trend per category;
//! - noise: each (month, region, product) cell gets a fixed random factor,
//!   and each sale a log-normal quantity around the product's usual lot.
//!
//! The same [`GeneratorConfig`] (seed included) always yields the same sales.
//! Sales stream one at a time, so 10,000,000 rows need no more memory than
//! 100,000.
//!
//! # Example
//!
//! ```
//! use agrisales_datagen::{GeneratorConfig, SalesGenerator, numbered_catalogue};
//!
//! // The catalogue with the ids a fresh database would give it.
//! let (regions, products) = numbered_catalogue();
//!
//! let config = GeneratorConfig { rows: 1_000, ..GeneratorConfig::default() };
//! let sales: Vec<_> = SalesGenerator::new(&config, &regions, &products)?.collect();
//! assert_eq!(sales.len(), 1_000);
//! # Ok::<(), agrisales_datagen::DatagenError>(())
//! ```

mod catalogue;

use agrisales_domain::{NewSale, Product, Quantity, Region, YearMonth};
use chrono::{Datelike, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use thiserror::Error;

use catalogue::{CATEGORIES, PRODUCTS, REGIONS};
pub use catalogue::{numbered_catalogue, products, regions};

/// Errors raised when a generator cannot be built.
#[derive(Debug, Error)]
pub enum DatagenError {
    /// There is nothing to sell or nowhere to sell it.
    #[error("cannot generate sales without {0}: insert the catalogue first")]
    EmptyCatalogue(&'static str),

    /// The configured period has no month.
    #[error("the period must span at least one month, got months = 0")]
    NoMonths,
}

/// Parameters of a generated data set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratorConfig {
    /// Seed of the random generator. Default: 42.
    pub seed: u64,
    /// Number of sales to generate. Default: 100,000.
    pub rows: u64,
    /// First month with sales. Default: 2023-01.
    pub first_month: YearMonth,
    /// Number of consecutive months with sales. Default: 36.
    pub months: u32,
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            rows: 100_000,
            first_month: YearMonth::new(2023, 1).unwrap_or(YearMonth::from_ordinal(2023 * 12)),
            months: 36,
        }
    }
}

/// One (month, region, product) cell that sales are drawn from.
#[derive(Debug, Clone, Copy)]
struct Cell {
    month: YearMonth,
    region_id: i32,
    product_id: i32,
    /// Natural logarithm of the product's usual lot, in kilograms.
    log_lot_kg: f64,
}

/// An iterator over generated sales; see the crate docs for the model.
#[derive(Debug, Clone)]
pub struct SalesGenerator {
    rng: ChaCha8Rng,
    cells: Vec<Cell>,
    /// Cumulative weights of `cells`, ending at 1.0.
    cumulative: Vec<f64>,
    remaining: u64,
}

impl SalesGenerator {
    /// Builds a generator that sells `products` in `regions`.
    ///
    /// Regions and products that match the built-in catalogue by name get
    /// its profile. Others get neutral weights: proportional to population,
    /// no speciality, a flat season and a 1 kg lot.
    pub fn new(config: &GeneratorConfig, regions: &[Region], products: &[Product]) -> Result<Self, DatagenError> {
        if regions.is_empty() {
            return Err(DatagenError::EmptyCatalogue("regions"));
        }
        if products.is_empty() {
            return Err(DatagenError::EmptyCatalogue("products"));
        }
        if config.months == 0 {
            return Err(DatagenError::NoMonths);
        }

        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);

        let mut cells = Vec::with_capacity(config.months as usize * regions.len() * products.len());
        let mut weights = Vec::with_capacity(cells.capacity());
        for offset in 0..config.months {
            let month = config.first_month.plus(offset as i32);
            let years_elapsed = f64::from(offset) / 12.0;
            for region in regions {
                let region_profile = REGIONS.iter().find(|r| r.name == region.name);
                for product in products {
                    let product_profile = PRODUCTS.iter().find(|p| p.name == product.name);
                    let category_profile = CATEGORIES.iter().find(|c| c.name == product.category);

                    let speciality = region_profile
                        .and_then(|r| r.specialities.iter().find(|(c, _)| *c == product.category))
                        .map_or(1.0, |(_, factor)| *factor);
                    let season = category_profile.map_or(1.0, |c| c.season[month.month() as usize - 1]);
                    let trend = category_profile.map_or(1.0, |c| (1.0 + c.yearly_growth).powf(years_elapsed));
                    let popularity = product_profile.map_or(1.0, |p| p.popularity);
                    let population = region.population.max(1) as f64;

                    // Month-to-month noise of a cell's demand: log-normal, σ = 0.15.
                    let z: f64 = rng.sample(StandardNormal);
                    let noise = (0.15 * z).exp();

                    weights.push(population * speciality * season * trend * popularity * noise);
                    cells.push(Cell {
                        month,
                        region_id: region.id,
                        product_id: product.id,
                        log_lot_kg: product_profile.map_or(0.0, |p| p.typical_lot_kg.ln()),
                    });
                }
            }
        }

        let total: f64 = weights.iter().sum();
        let mut running = 0.0;
        let cumulative = weights
            .iter()
            .map(|w| {
                running += w / total;
                running
            })
            .collect();

        Ok(Self {
            rng,
            cells,
            cumulative,
            remaining: config.rows,
        })
    }
}

impl Iterator for SalesGenerator {
    type Item = NewSale;

    fn next(&mut self) -> Option<NewSale> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;

        let draw: f64 = self.rng.random();
        let index = self.cumulative.partition_point(|&c| c < draw).min(self.cells.len() - 1);
        let cell = self.cells[index];

        let first_day = cell.month.first_day();
        let days_in_month = cell
            .month
            .succ()
            .first_day()
            .signed_duration_since(first_day)
            .num_days() as u32;
        let day = self.rng.random_range(1..=days_in_month);
        let date = NaiveDate::from_ymd_opt(first_day.year(), first_day.month(), day).unwrap_or(first_day);

        // Lot sizes are right-skewed: log-normal with σ = 0.6 around the
        // usual lot; at least one gram so the CHECK (quantité > 0) holds.
        let z: f64 = self.rng.sample(StandardNormal);
        let kg = (cell.log_lot_kg + 0.6 * z).exp();
        let milli = ((kg * 1000.0).round() as i64).max(1);

        Some(NewSale {
            product_id: cell.product_id,
            quantity: Quantity::from_milli(milli),
            date,
            region_id: cell.region_id,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let remaining = usize::try_from(self.remaining).unwrap_or(usize::MAX);
        (remaining, Some(remaining))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalogue() -> (Vec<Region>, Vec<Product>) {
        numbered_catalogue()
    }

    #[test]
    fn same_seed_same_sales() {
        let (regions, products) = catalogue();
        let config = GeneratorConfig {
            rows: 2_000,
            ..GeneratorConfig::default()
        };
        let a: Vec<_> = SalesGenerator::new(&config, &regions, &products).unwrap().collect();
        let b: Vec<_> = SalesGenerator::new(&config, &regions, &products).unwrap().collect();
        assert_eq!(a, b);

        let other = GeneratorConfig { seed: 7, ..config };
        let c: Vec<_> = SalesGenerator::new(&other, &regions, &products).unwrap().collect();
        assert_ne!(a, c);
    }

    #[test]
    fn sales_stay_in_period_and_catalogue() {
        let (regions, products) = catalogue();
        let config = GeneratorConfig {
            rows: 5_000,
            ..GeneratorConfig::default()
        };
        let last = config.first_month.plus(config.months as i32 - 1);
        for sale in SalesGenerator::new(&config, &regions, &products).unwrap() {
            let month = YearMonth::of(sale.date);
            assert!(month >= config.first_month, "{month} before the period");
            assert!(month <= last, "{month} after the period");
            assert!(sale.quantity.milli() > 0);
            assert!(regions.iter().any(|r| r.id == sale.region_id));
            assert!(products.iter().any(|p| p.id == sale.product_id));
        }
    }

    #[test]
    fn fruit_sells_more_in_summer() {
        let (regions, products) = catalogue();
        let config = GeneratorConfig {
            rows: 50_000,
            ..GeneratorConfig::default()
        };
        let fruit_ids: Vec<i32> = products
            .iter()
            .filter(|p| p.category == "fruits")
            .map(|p| p.id)
            .collect();
        let (mut july, mut january) = (0_u32, 0_u32);
        for sale in SalesGenerator::new(&config, &regions, &products).unwrap() {
            if fruit_ids.contains(&sale.product_id) {
                match sale.date.month() {
                    7 => july += 1,
                    1 => january += 1,
                    _ => {}
                }
            }
        }
        assert!(july > 3 * january, "july={july} january={january}");
    }

    #[test]
    fn catalogue_has_regions_and_categories() {
        assert_eq!(regions().len(), 13);
        let categories: std::collections::BTreeSet<_> = products().into_iter().map(|p| p.category).collect();
        assert_eq!(categories.len(), 7);
        assert!(products().len() >= 40);
    }

    #[test]
    fn empty_catalogue_is_rejected() {
        let (regions, _) = catalogue();
        let result = SalesGenerator::new(&GeneratorConfig::default(), &regions, &[]);
        assert!(matches!(result, Err(DatagenError::EmptyCatalogue("products"))));
    }
}
