//! The repository: connection, migrations, bulk loading and extraction.

use std::cell::RefCell;
use std::io::Write;

use agrisales_domain::{ChunkError, NewProduct, NewRegion, NewSale, Product, Region, SaleColumns, SalesSource};
use diesel::connection::TransactionManager;
use diesel::pg::CopyFormat;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Text};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::copy_binary::{StreamError, stream_sale_chunks};
use crate::schema::ventes;
use crate::{PgError, PgTarget};

/// The SQL migrations of `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

type TransactionManagerOf = <PgConnection as Connection>::TransactionManager;

/// Row counts of the three tables.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableCounts {
    /// Rows of `regions`.
    pub regions: i64,
    /// Rows of `produits`.
    pub products: i64,
    /// Rows of `ventes`.
    pub sales: i64,
}

/// A row count that may come from the planner's statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowCount {
    /// Counted with `count(*)`.
    Exact(i64),
    /// `pg_class.reltuples`, as of the last `VACUUM` or `ANALYZE`.
    Estimated(i64),
}

impl RowCount {
    /// Returns the count, exact or not.
    pub fn value(self) -> i64 {
        match self {
            Self::Exact(n) | Self::Estimated(n) => n,
        }
    }
}

/// A connection to the sales database, with the operations the ETL and the
/// examples need.
///
/// Every method runs on the caller's thread and blocks until PostgreSQL
/// responds. Errors name the server as `host:port/database`.
pub struct PgRepository {
    pub(crate) conn: PgConnection,
    pub(crate) target: PgTarget,
    /// The URL connected to, password included: only for opening more
    /// connections to the same database, never logged.
    url: String,
}

impl std::fmt::Debug for PgRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgRepository")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

#[derive(QueryableByName)]
struct RegionRow {
    #[diesel(sql_type = Integer)]
    id_region: i32,
    #[diesel(sql_type = Text)]
    nom_region: String,
    #[diesel(sql_type = BigInt)]
    population: i64,
}

#[derive(QueryableByName)]
struct ProductRow {
    #[diesel(sql_type = Integer)]
    id_produit: i32,
    #[diesel(sql_type = Text)]
    nom: String,
    #[diesel(sql_type = Text)]
    categorie: String,
    #[diesel(sql_type = BigInt)]
    prix_centimes: i64,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = BigInt)]
    regions: i64,
    #[diesel(sql_type = BigInt)]
    products: i64,
    #[diesel(sql_type = BigInt)]
    sales: i64,
}

impl From<RegionRow> for Region {
    fn from(row: RegionRow) -> Self {
        Region {
            id: row.id_region,
            name: row.nom_region,
            population: row.population,
        }
    }
}

impl From<ProductRow> for Product {
    fn from(row: ProductRow) -> Self {
        Product {
            id: row.id_produit,
            name: row.nom,
            category: row.categorie,
            unit_price: agrisales_domain::Cents::new(row.prix_centimes),
        }
    }
}

impl PgRepository {
    /// Connects to the database at `url` (`postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`).
    pub fn connect(url: &str) -> Result<Self, PgError> {
        let target = PgTarget::parse(url)?;
        let mut conn = PgConnection::establish(url).map_err(|e| PgError::Connect {
            target: target.to_string(),
            message: first_line(&e.to_string()),
        })?;

        // The COPY text parser reads dates as YYYY-MM-DD.
        diesel::sql_query("SET DateStyle = 'ISO, YMD'")
            .execute(&mut conn)
            .map_err(|source| PgError::Query {
                context: "setting DateStyle",
                target: target.to_string(),
                source,
            })?;

        tracing::debug!(%target, "connected to PostgreSQL");
        Ok(Self {
            conn,
            target,
            url: url.to_owned(),
        })
    }

    /// Connects to the database at `url`, first creating it when the server
    /// runs but the database does not exist.
    ///
    /// Creating needs a connection to the server's `postgres` database with
    /// the same credentials and the `CREATEDB` privilege.
    pub fn connect_or_create(url: &str) -> Result<Self, PgError> {
        let target = PgTarget::parse(url)?;
        let missing_database = format!("database \"{}\" does not exist", target.database);
        match Self::connect(url) {
            Err(PgError::Connect { message, .. }) if message.contains(&missing_database) => {
                let maintenance_url = PgTarget::url_with_database(url, "postgres")?;
                let mut maintenance = Self::connect(&maintenance_url)?;
                let statement = format!("CREATE DATABASE \"{}\"", target.database.replace('"', "\"\""));
                diesel::sql_query(statement)
                    .execute(&mut maintenance.conn)
                    .map_err(|source| PgError::Query {
                        context: "creating the database",
                        target: target.to_string(),
                        source,
                    })?;
                tracing::info!(%target, "created database");
                Self::connect(url)
            }
            other => other,
        }
    }

    /// Returns the server and database this repository is connected to.
    pub fn target(&self) -> &PgTarget {
        &self.target
    }

    /// Returns the underlying Diesel connection, for queries this type does
    /// not offer.
    pub fn connection(&mut self) -> &mut PgConnection {
        &mut self.conn
    }

    /// Applies the pending embedded migrations and returns their versions;
    /// an up-to-date schema returns an empty list.
    pub fn run_migrations(&mut self) -> Result<Vec<String>, PgError> {
        let applied = self
            .conn
            .run_pending_migrations(MIGRATIONS)
            .map_err(|e| PgError::Migration {
                target: self.target.to_string(),
                message: e.to_string(),
            })?;
        Ok(applied.iter().map(ToString::to_string).collect())
    }

    /// Counts the rows of `regions`, `produits` and `ventes`.
    pub fn counts(&mut self) -> Result<TableCounts, PgError> {
        let row: CountRow = diesel::sql_query(
            "SELECT (SELECT count(*) FROM regions) AS regions, \
                    (SELECT count(*) FROM produits) AS products, \
                    (SELECT count(*) FROM ventes) AS sales",
        )
        .get_result(&mut self.conn)
        .map_err(|source| self.query_error("counting rows", source))?;
        Ok(TableCounts {
            regions: row.regions,
            products: row.products,
            sales: row.sales,
        })
    }

    /// Returns the number of sales from the planner's statistics, which
    /// costs nothing where `count(*)` reads the whole table (0.3 s for
    /// 10,000,000 sales). Falls back to `count(*)` when the table was
    /// never analyzed, and when the statistics report 0 but the table has a
    /// row, so an empty table is always reported exactly.
    pub fn estimated_sales(&mut self) -> Result<RowCount, PgError> {
        #[derive(diesel::QueryableByName)]
        struct EstimateRow {
            #[diesel(sql_type = BigInt)]
            estimate: i64,
            #[diesel(sql_type = diesel::sql_types::Bool)]
            empty: bool,
        }
        let row: EstimateRow = diesel::sql_query(
            "SELECT reltuples::int8 AS estimate, NOT EXISTS (SELECT 1 FROM ventes) AS empty \
             FROM pg_class WHERE oid = 'ventes'::regclass",
        )
        .get_result(&mut self.conn)
        .map_err(|source| self.query_error("estimating the number of sales", source))?;

        match (row.empty, row.estimate) {
            (true, _) => Ok(RowCount::Exact(0)),
            (false, estimate) if estimate > 0 => Ok(RowCount::Estimated(estimate)),
            _ => Ok(RowCount::Exact(self.counts()?.sales)),
        }
    }

    /// Runs `work` in a transaction: every change it makes is committed
    /// when it returns `Ok`, and none when it returns `Err`.
    pub fn transaction<T, E: From<PgError>>(&mut self, work: impl FnOnce(&mut Self) -> Result<T, E>) -> Result<T, E> {
        // Diesel's closure-based `transaction` lends out only the connection;
        // `work` needs the whole repository, so drive the manager directly.
        TransactionManagerOf::begin_transaction(&mut self.conn)
            .map_err(|source| self.query_error("starting a transaction", source))
            .map_err(E::from)?;

        match work(self) {
            Ok(value) => {
                TransactionManagerOf::commit_transaction(&mut self.conn)
                    .map_err(|source| self.query_error("committing a transaction", source))
                    .map_err(E::from)?;
                Ok(value)
            }
            Err(error) => {
                if let Err(rollback) = TransactionManagerOf::rollback_transaction(&mut self.conn) {
                    tracing::warn!(target = %self.target, %rollback, "rollback failed after an error");
                }
                Err(error)
            }
        }
    }

    /// Empties `ventes`, `produits` and `regions` and restarts their
    /// identity sequences.
    pub fn clear(&mut self) -> Result<(), PgError> {
        diesel::sql_query("TRUNCATE ventes, produits, regions RESTART IDENTITY")
            .execute(&mut self.conn)
            .map_err(|source| self.query_error("emptying the tables", source))?;
        Ok(())
    }

    /// Inserts `regions` in one statement and returns them with their ids,
    /// in the same order.
    pub fn insert_regions(&mut self, regions: &[NewRegion]) -> Result<Vec<Region>, PgError> {
        let names: Vec<&str> = regions.iter().map(|r| r.name.as_str()).collect();
        let populations: Vec<i64> = regions.iter().map(|r| r.population).collect();
        let rows: Vec<RegionRow> = diesel::sql_query(
            "INSERT INTO regions (nom_region, population) \
             SELECT name, population FROM unnest($1::text[], $2::int8[]) WITH ORDINALITY AS t(name, population, position) \
             ORDER BY position \
             RETURNING id_region, nom_region, population",
        )
        .bind::<Array<Text>, _>(names)
        .bind::<Array<BigInt>, _>(populations)
        .load(&mut self.conn)
        .map_err(|source| self.query_error("inserting regions", source))?;
        Ok(rows.into_iter().map(Region::from).collect())
    }

    /// Inserts `products` in one statement and returns them with their ids,
    /// in the same order.
    pub fn insert_products(&mut self, products: &[NewProduct]) -> Result<Vec<Product>, PgError> {
        let names: Vec<&str> = products.iter().map(|p| p.name.as_str()).collect();
        let categories: Vec<&str> = products.iter().map(|p| p.category.as_str()).collect();
        let prices: Vec<i64> = products.iter().map(|p| p.unit_price.get()).collect();
        let rows: Vec<ProductRow> = diesel::sql_query(
            "INSERT INTO produits (nom, \"catégorie\", prix_unitaire) \
             SELECT name, category, cents::numeric / 100 \
             FROM unnest($1::text[], $2::text[], $3::int8[]) WITH ORDINALITY AS t(name, category, cents, position) \
             ORDER BY position \
             RETURNING id_produit, nom, \"catégorie\" AS categorie, (prix_unitaire * 100)::int8 AS prix_centimes",
        )
        .bind::<Array<Text>, _>(names)
        .bind::<Array<Text>, _>(categories)
        .bind::<Array<BigInt>, _>(prices)
        .load(&mut self.conn)
        .map_err(|source| self.query_error("inserting products", source))?;
        Ok(rows.into_iter().map(Product::from).collect())
    }

    /// Loads `sales` with `COPY ... FROM STDIN`, one COPY statement per
    /// `batch_rows` sales, calling `on_batch` with the number of sales
    /// loaded so far after each batch. Returns the number of sales loaded.
    ///
    /// Batches commit with the surrounding transaction, if any; outside a
    /// transaction each batch commits on its own.
    pub fn copy_sales(
        &mut self,
        sales: impl Iterator<Item = NewSale>,
        batch_rows: usize,
        mut on_batch: impl FnMut(u64),
    ) -> Result<u64, PgError> {
        let batch_rows = batch_rows.max(1);
        let mut sales = sales.peekable();
        let mut loaded = 0_u64;
        let mut buffer = Vec::with_capacity(batch_rows * 40);

        while sales.peek().is_some() {
            buffer.clear();
            let mut in_batch = 0_u64;
            for sale in sales.by_ref().take(batch_rows) {
                // COPY text format: tab-separated, one row per line.
                writeln!(
                    buffer,
                    "{}\t{}\t{}\t{}",
                    sale.product_id, sale.quantity, sale.date, sale.region_id
                )
                .map_err(|e| PgError::Diesel(diesel::result::Error::SerializationError(Box::new(e))))?;
                in_batch += 1;
            }

            let data = RefCell::new(Some(std::mem::take(&mut buffer)));
            diesel::copy_from(ventes::table)
                .from_raw_data(
                    (
                        ventes::id_produit,
                        ventes::quantite,
                        ventes::date_vente,
                        ventes::region_vente,
                    ),
                    |writer| {
                        let bytes = data.borrow_mut().take().unwrap_or_default();
                        writer
                            .write_all(&bytes)
                            .map_err(|e| PgError::Diesel(diesel::result::Error::SerializationError(Box::new(e))))
                    },
                )
                .with_format(CopyFormat::Text)
                .execute(&mut self.conn)
                .map_err(|e| match e {
                    PgError::Diesel(source) => self.query_error("copying sales", source),
                    other => other,
                })?;

            loaded += in_batch;
            on_batch(loaded);
        }

        Ok(loaded)
    }

    /// Loads many sales like [`PgRepository::copy_sales`], faster: it turns
    /// off the insert triggers during the load, rebuilds `ventes_par_jour`
    /// once at the end and marks every month as changed.
    ///
    /// Runs in a transaction (a savepoint inside an outer one): on error
    /// the trigger, `ventes` and `ventes_par_jour` are as before. It locks
    /// `ventes` exclusively until the transaction ends.
    pub fn bulk_load_sales(
        &mut self,
        sales: impl Iterator<Item = NewSale>,
        batch_rows: usize,
        on_batch: impl FnMut(u64),
    ) -> Result<u64, PgError> {
        self.transaction(|repo| {
            // Both insert triggers read a transition table holding every
            // loaded row; one pass over the summary afterwards is cheaper.
            repo.execute(
                "turning off the insert triggers",
                "ALTER TABLE ventes DISABLE TRIGGER ventes_par_jour_after_insert, \
                 DISABLE TRIGGER ventes_mois_after_insert",
            )?;
            let loaded = repo.copy_sales(sales, batch_rows, on_batch)?;
            repo.execute("emptying ventes_par_jour", "TRUNCATE ventes_par_jour")?;
            repo.execute(
                "rebuilding ventes_par_jour",
                "INSERT INTO ventes_par_jour (date_vente, id_produit, region_vente, \"quantité\", nombre_ventes) \
                 SELECT date_vente, id_produit, region_vente, sum(\"quantité\"), count(*) FROM ventes \
                 GROUP BY date_vente, id_produit, region_vente",
            )?;
            repo.execute(
                "marking the loaded months as changed",
                "SELECT ventes_mois_touch(ARRAY(SELECT DISTINCT date_trunc('month', date_vente)::date \
                 FROM ventes_par_jour))",
            )?;
            repo.execute(
                "turning on the insert triggers",
                "ALTER TABLE ventes ENABLE TRIGGER ventes_par_jour_after_insert, \
                 ENABLE TRIGGER ventes_mois_after_insert",
            )?;
            // Autovacuum may take minutes to notice the load; until then
            // the planner and `estimated_sales` know nothing of it.
            repo.execute("analyzing the loaded tables", "ANALYZE ventes, ventes_par_jour")?;
            Ok(loaded)
        })
    }

    fn execute(&mut self, context: &'static str, sql: &str) -> Result<(), PgError> {
        diesel::sql_query(sql)
            .execute(&mut self.conn)
            .map_err(|source| self.query_error(context, source))?;
        Ok(())
    }

    /// Returns every region, ordered by id.
    pub fn regions(&mut self) -> Result<Vec<Region>, PgError> {
        let rows: Vec<RegionRow> =
            diesel::sql_query("SELECT id_region, nom_region, population FROM regions ORDER BY id_region")
                .load(&mut self.conn)
                .map_err(|source| self.query_error("reading regions", source))?;
        Ok(rows.into_iter().map(Region::from).collect())
    }

    /// Returns every product, ordered by id, with its price in cents.
    pub fn products(&mut self) -> Result<Vec<Product>, PgError> {
        let rows: Vec<ProductRow> = diesel::sql_query(
            "SELECT id_produit, nom, \"catégorie\" AS categorie, (prix_unitaire * 100)::int8 AS prix_centimes \
             FROM produits ORDER BY id_produit",
        )
        .load(&mut self.conn)
        .map_err(|source| self.query_error("reading products", source))?;
        Ok(rows.into_iter().map(Product::from).collect())
    }

    /// Streams every sale with `COPY ventes (...) TO STDOUT (FORMAT
    /// binary)`, in chunks of at most `chunk_rows`; see
    /// [`SalesSource::stream_sales`].
    ///
    /// Memory stays at one chunk however many sales there are.
    pub fn stream_sales(
        &mut self,
        chunk_rows: usize,
        on_chunk: &mut dyn FnMut(&SaleColumns) -> Result<(), ChunkError>,
    ) -> Result<u64, PgError> {
        let target = self.target.to_string();
        let reader = diesel::copy_to((
            ventes::id_produit,
            ventes::region_vente,
            ventes::date_vente,
            ventes::quantite,
        ))
        .with_format(CopyFormat::Binary)
        .load_raw(&mut self.conn)
        .map_err(|source| PgError::Query {
            context: "starting the sales COPY",
            target: target.clone(),
            source,
        })?;

        stream_sale_chunks(reader, chunk_rows, on_chunk).map_err(|error| match error {
            StreamError::Row { row, reason } => PgError::CopyRow { row, target, reason },
            StreamError::Consumer(error) => PgError::Consumer(error),
        })
    }

    /// Returns the URL connected to, password included; never log it.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    pub(crate) fn query_error(&self, context: &'static str, source: diesel::result::Error) -> PgError {
        PgError::Query {
            context,
            target: self.target.to_string(),
            source,
        }
    }
}

impl SalesSource for PgRepository {
    type Error = PgError;

    fn regions(&mut self) -> Result<Vec<Region>, PgError> {
        PgRepository::regions(self)
    }

    fn products(&mut self) -> Result<Vec<Product>, PgError> {
        PgRepository::products(self)
    }

    fn stream_sales(
        &mut self,
        chunk_rows: usize,
        on_chunk: &mut dyn FnMut(&SaleColumns) -> Result<(), ChunkError>,
    ) -> Result<u64, PgError> {
        PgRepository::stream_sales(self, chunk_rows, on_chunk)
    }
}

/// Keeps the first line of a driver message; libpq appends hints on
/// further lines.
fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or_default().trim().to_owned()
}
