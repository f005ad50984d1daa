//! Filling PostgreSQL with generated data.

use agrisales_datagen::{GeneratorConfig, SalesGenerator, products, regions};
use agrisales_postgres::PgRepository;

use crate::EtlError;

/// Sales per `COPY` statement while seeding.
const COPY_BATCH: usize = 100_000;

/// Replaces the content of the three tables by the generated catalogue and
/// `config.rows` generated sales, in one transaction: on error the tables
/// keep their previous content. Calls `on_progress` with the number of
/// sales loaded so far. Returns the number of sales loaded.
pub fn seed_database(
    repo: &mut PgRepository,
    config: &GeneratorConfig,
    mut on_progress: impl FnMut(u64),
) -> Result<u64, EtlError> {
    repo.transaction(|repo| {
        repo.clear()?;
        let regions = repo.insert_regions(&regions())?;
        let products = repo.insert_products(&products())?;
        let sales = SalesGenerator::new(config, &regions, &products).map_err(EtlError::Generator)?;
        Ok(repo.bulk_load_sales(sales, COPY_BATCH, &mut on_progress)?)
    })
}
