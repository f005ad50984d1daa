//! Writes of the CSV import: rows with explicit ids, sales identified by a
//! natural key, and identity sequences moved past imported ids.

use agrisales_domain::{NewSale, Product, Quantity, Region};
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Integer, Text};

use crate::{PgError, PgRepository};

#[derive(QueryableByName)]
struct SaleRow {
    #[diesel(sql_type = BigInt)]
    id_vente: i64,
    #[diesel(sql_type = Integer)]
    id_produit: i32,
    #[diesel(sql_type = BigInt)]
    quantite_milli: i64,
    #[diesel(sql_type = Date)]
    date_vente: NaiveDate,
    #[diesel(sql_type = Integer)]
    region_vente: i32,
}

#[derive(QueryableByName)]
struct KeyRow {
    #[diesel(sql_type = Text)]
    cle: String,
}

/// Column vectors of sales, the shape `unnest` takes.
struct SaleArrays {
    products: Vec<i32>,
    quantities: Vec<i64>,
    dates: Vec<NaiveDate>,
    regions: Vec<i32>,
}

impl SaleArrays {
    fn of<'a>(sales: impl Iterator<Item = &'a NewSale>) -> Self {
        let mut arrays = SaleArrays {
            products: Vec::new(),
            quantities: Vec::new(),
            dates: Vec::new(),
            regions: Vec::new(),
        };
        for sale in sales {
            arrays.products.push(sale.product_id);
            arrays.quantities.push(sale.quantity.milli());
            arrays.dates.push(sale.date);
            arrays.regions.push(sale.region_id);
        }
        arrays
    }
}

impl PgRepository {
    fn import_error(&self, context: &'static str, source: diesel::result::Error) -> PgError {
        PgError::Query {
            context,
            target: self.target().to_string(),
            source,
        }
    }

    /// Inserts regions with the ids they carry. Call
    /// [`PgRepository::advance_identity_sequences`] afterwards.
    pub fn insert_regions_with_ids(&mut self, regions: &[Region]) -> Result<u64, PgError> {
        let ids: Vec<i32> = regions.iter().map(|r| r.id).collect();
        let names: Vec<&str> = regions.iter().map(|r| r.name.as_str()).collect();
        let populations: Vec<i64> = regions.iter().map(|r| r.population).collect();
        let inserted = diesel::sql_query(
            "INSERT INTO regions (id_region, nom_region, population) \
             SELECT * FROM unnest($1::int4[], $2::text[], $3::int8[])",
        )
        .bind::<Array<Integer>, _>(ids)
        .bind::<Array<Text>, _>(names)
        .bind::<Array<BigInt>, _>(populations)
        .execute(self.connection())
        .map_err(|source| self.import_error("inserting regions with ids", source))?;
        Ok(inserted as u64)
    }

    /// Inserts products with the ids they carry. Call
    /// [`PgRepository::advance_identity_sequences`] afterwards.
    pub fn insert_products_with_ids(&mut self, products: &[Product]) -> Result<u64, PgError> {
        let ids: Vec<i32> = products.iter().map(|p| p.id).collect();
        let names: Vec<&str> = products.iter().map(|p| p.name.as_str()).collect();
        let categories: Vec<&str> = products.iter().map(|p| p.category.as_str()).collect();
        let prices: Vec<i64> = products.iter().map(|p| p.unit_price.get()).collect();
        let inserted = diesel::sql_query(
            "INSERT INTO produits (id_produit, nom, \"catégorie\", prix_unitaire) \
             SELECT id, name, category, cents::numeric / 100 \
             FROM unnest($1::int4[], $2::text[], $3::text[], $4::int8[]) AS t(id, name, category, cents)",
        )
        .bind::<Array<Integer>, _>(ids)
        .bind::<Array<Text>, _>(names)
        .bind::<Array<Text>, _>(categories)
        .bind::<Array<BigInt>, _>(prices)
        .execute(self.connection())
        .map_err(|source| self.import_error("inserting products with ids", source))?;
        Ok(inserted as u64)
    }

    /// Returns the sales among `ids` that exist, with their values.
    pub fn sales_by_ids(&mut self, ids: &[i64]) -> Result<Vec<(i64, NewSale)>, PgError> {
        let rows: Vec<SaleRow> = diesel::sql_query(
            "SELECT id_vente, id_produit, (\"quantité\" * 1000)::int8 AS quantite_milli, date_vente, region_vente \
             FROM ventes WHERE id_vente = ANY($1::int8[])",
        )
        .bind::<Array<BigInt>, _>(ids)
        .load(self.connection())
        .map_err(|source| self.import_error("reading sales by id", source))?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let sale = NewSale {
                    product_id: r.id_produit,
                    quantity: Quantity::from_milli(r.quantite_milli),
                    date: r.date_vente,
                    region_id: r.region_vente,
                };
                (r.id_vente, sale)
            })
            .collect())
    }

    /// Inserts sales with the ids they carry; the ids must be free. Call
    /// [`PgRepository::advance_identity_sequences`] afterwards.
    pub fn insert_sales_with_ids(&mut self, sales: &[(i64, NewSale)]) -> Result<u64, PgError> {
        let ids: Vec<i64> = sales.iter().map(|(id, _)| *id).collect();
        let arrays = SaleArrays::of(sales.iter().map(|(_, s)| s));
        let inserted = diesel::sql_query(
            "INSERT INTO ventes (id_vente, id_produit, \"quantité\", date_vente, region_vente) \
             SELECT id, product, milli::numeric / 1000, day, region \
             FROM unnest($1::int8[], $2::int4[], $3::int8[], $4::date[], $5::int4[]) AS t(id, product, milli, day, region)",
        )
        .bind::<Array<BigInt>, _>(ids)
        .bind::<Array<Integer>, _>(arrays.products)
        .bind::<Array<BigInt>, _>(arrays.quantities)
        .bind::<Array<Date>, _>(arrays.dates)
        .bind::<Array<Integer>, _>(arrays.regions)
        .execute(self.connection())
        .map_err(|source| self.import_error("inserting sales with ids", source))?;
        Ok(inserted as u64)
    }

    /// Inserts the sales whose natural key is not yet in
    /// `import_cles_ventes`, recording their keys, in one statement.
    /// Returns the keys inserted; the others were already imported. Keys
    /// must be distinct within the call.
    pub fn insert_keyed_sales(&mut self, sales: &[(String, NewSale)]) -> Result<Vec<String>, PgError> {
        let keys: Vec<&str> = sales.iter().map(|(k, _)| k.as_str()).collect();
        let arrays = SaleArrays::of(sales.iter().map(|(_, s)| s));
        // The key insert draws the sale's id from the identity sequence, so
        // both rows are written by one statement without a round trip.
        let rows: Vec<KeyRow> = diesel::sql_query(
            "WITH input AS ( \
                 SELECT * FROM unnest($1::text[], $2::int4[], $3::int8[], $4::date[], $5::int4[]) \
                     AS t(cle, product, milli, day, region) \
             ), new_keys AS ( \
                 INSERT INTO import_cles_ventes (cle, id_vente) \
                 SELECT cle, nextval(pg_get_serial_sequence('ventes', 'id_vente')) FROM input \
                 ON CONFLICT (cle) DO NOTHING \
                 RETURNING cle, id_vente \
             ), inserted AS ( \
                 INSERT INTO ventes (id_vente, id_produit, \"quantité\", date_vente, region_vente) \
                 SELECT k.id_vente, i.product, i.milli::numeric / 1000, i.day, i.region \
                 FROM new_keys k JOIN input i USING (cle) \
                 RETURNING id_vente \
             ) \
             SELECT k.cle FROM new_keys k JOIN inserted s USING (id_vente)",
        )
        .bind::<Array<Text>, _>(keys)
        .bind::<Array<Integer>, _>(arrays.products)
        .bind::<Array<BigInt>, _>(arrays.quantities)
        .bind::<Array<Date>, _>(arrays.dates)
        .bind::<Array<Integer>, _>(arrays.regions)
        .load(self.connection())
        .map_err(|source| self.import_error("inserting sales by natural key", source))?;
        Ok(rows.into_iter().map(|r| r.cle).collect())
    }

    /// Moves the identity sequences of `regions`, `produits` and `ventes`
    /// past the largest id present, so that inserts without an id after an
    /// import of explicit ids do not collide.
    pub fn advance_identity_sequences(&mut self) -> Result<(), PgError> {
        for (table, column) in [
            ("regions", "id_region"),
            ("produits", "id_produit"),
            ("ventes", "id_vente"),
        ] {
            // setval(seq, max, true) makes the next value max + 1; an empty
            // table resets to 1 (is_called = false).
            let statement = format!(
                "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), \
                 GREATEST((SELECT max({column}) FROM {table}), \
                          (SELECT last_value FROM pg_sequences WHERE schemaname = current_schema() \
                               AND sequencename = '{table}_{column}_seq' AND last_value IS NOT NULL), 1), \
                 (SELECT max({column}) FROM {table}) IS NOT NULL)"
            );
            diesel::sql_query(statement)
                .execute(self.connection())
                .map_err(|source| self.import_error("advancing an identity sequence", source))?;
        }
        Ok(())
    }
}
