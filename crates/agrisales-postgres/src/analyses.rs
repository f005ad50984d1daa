//! The six sales analyses, as typed functions over SQL files.
//!
//! Every query lives in `sql/` beside this crate, readable and ready to
//! paste into psql (each file's header says how). They are raw SQL
//! because each needs what Diesel's query builder does not express:
//! `date_trunc`, window functions (`rank()`) or `generate_series`.
//!
//! Every analysis takes a [`DateRange`]. Quantities and money come back
//! exact ([`Quantity`], [`Cents`]): SQL sums `NUMERIC` values, rounds
//! revenue to the cent once per group, and sends integers.

use agrisales_domain::{Cents, Quantity, YearMonth};
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Double, Integer, Nullable, Text};
use serde::{Serialize, Serializer};

use crate::{PgError, PgRepository};

/// A half-open range of sale dates, `[start, end)`; either end may be
/// open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DateRange {
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
}

impl DateRange {
    /// Every date.
    pub fn all() -> Self {
        Self::default()
    }

    /// Dates from `start` (included) to `end` (excluded). Rejects an empty
    /// or reversed range (`start >= end`).
    pub fn new(start: Option<NaiveDate>, end: Option<NaiveDate>) -> Result<Self, PgError> {
        if let (Some(s), Some(e)) = (start, end)
            && s >= e
        {
            return Err(PgError::InvalidArgument {
                name: "date range",
                value: format!("[{s}, {e})"),
                reason: "the start must be before the end (the end is excluded)".to_owned(),
            });
        }
        Ok(Self { start, end })
    }

    /// Returns the range of the months `first` to `last`, both included.
    pub fn months(first: YearMonth, last: YearMonth) -> Result<Self, PgError> {
        Self::new(Some(first.first_day()), Some(last.succ().first_day()))
    }

    /// First date included, if bounded.
    pub fn start(&self) -> Option<NaiveDate> {
        self.start
    }

    /// First date excluded, if bounded.
    pub fn end(&self) -> Option<NaiveDate> {
        self.end
    }
}

/// A product named by id or by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProductRef {
    /// `id_produit`.
    Id(i32),
    /// `nom`, matched case-insensitively.
    Name(String),
}

impl std::str::FromStr for ProductRef {
    type Err = std::convert::Infallible;

    /// Reads digits as an id and anything else as a name.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        Ok(match trimmed.parse() {
            Ok(id) => ProductRef::Id(id),
            Err(_) => ProductRef::Name(trimmed.to_owned()),
        })
    }
}

fn kilograms<S: Serializer>(quantity: &Quantity, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(quantity.kg())
}

fn euros<S: Serializer>(amount: &Cents, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(amount.euros())
}

fn month<S: Serializer>(month: &YearMonth, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(month)
}

/// Sales of one region in one month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionMonthSales {
    /// `id_region`.
    pub id_region: i32,
    /// `nom_region`.
    pub nom_region: String,
    /// `mois`.
    #[serde(serialize_with = "month")]
    pub mois: YearMonth,
    /// `quantité_totale`, kilograms.
    #[serde(rename = "quantité_totale", serialize_with = "kilograms")]
    pub quantite_totale: Quantity,
    /// `chiffre_affaires`, euros.
    #[serde(serialize_with = "euros")]
    pub chiffre_affaires: Cents,
    /// `nombre_ventes`.
    pub nombre_ventes: i64,
}

/// A product's rank within its category by quantity sold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryProductRank {
    /// `id_produit`.
    pub id_produit: i32,
    /// `nom`.
    pub nom: String,
    /// `catégorie`.
    #[serde(rename = "catégorie")]
    pub categorie: String,
    /// `quantité_totale`, kilograms.
    #[serde(rename = "quantité_totale", serialize_with = "kilograms")]
    pub quantite_totale: Quantity,
    /// `chiffre_affaires`, euros.
    #[serde(serialize_with = "euros")]
    pub chiffre_affaires: Cents,
    /// `rang`: 1 for the largest quantity; ties share a rank.
    pub rang: i64,
}

/// A region's revenue, absolute and per inhabitant, with its ranks from
/// the lowest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionRevenue {
    /// `id_region`.
    pub id_region: i32,
    /// `nom_region`.
    pub nom_region: String,
    /// `population`.
    pub population: i64,
    /// `chiffre_affaires`, euros; 0 without sales.
    #[serde(serialize_with = "euros")]
    pub chiffre_affaires: Cents,
    /// `chiffre_affaires_par_habitant`, euros; `None` for a population of 0.
    pub chiffre_affaires_par_habitant: Option<f64>,
    /// `rang`: 1 for the lowest revenue.
    pub rang: i64,
    /// `rang_par_habitant`: 1 for the lowest revenue per inhabitant.
    pub rang_par_habitant: i64,
}

/// A product's rank within a region by revenue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionProductRevenue {
    /// `id_region`.
    pub id_region: i32,
    /// `nom_region`.
    pub nom_region: String,
    /// `id_produit`.
    pub id_produit: i32,
    /// `nom`.
    pub nom: String,
    /// `catégorie`.
    #[serde(rename = "catégorie")]
    pub categorie: String,
    /// `quantité_totale`, kilograms.
    #[serde(rename = "quantité_totale", serialize_with = "kilograms")]
    pub quantite_totale: Quantity,
    /// `chiffre_affaires`, euros.
    #[serde(serialize_with = "euros")]
    pub chiffre_affaires: Cents,
    /// `rang`: 1 for the highest revenue.
    pub rang: i64,
}

/// A category's rank within a region by revenue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionCategoryRank {
    /// `id_region`.
    pub id_region: i32,
    /// `nom_region`.
    pub nom_region: String,
    /// `catégorie`.
    #[serde(rename = "catégorie")]
    pub categorie: String,
    /// `quantité_totale`, kilograms.
    #[serde(rename = "quantité_totale", serialize_with = "kilograms")]
    pub quantite_totale: Quantity,
    /// `chiffre_affaires`, euros.
    #[serde(serialize_with = "euros")]
    pub chiffre_affaires: Cents,
    /// `nombre_ventes`.
    pub nombre_ventes: i64,
    /// `rang`: 1 for the highest revenue.
    pub rang: i64,
}

/// One month of a product's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductMonth {
    /// `id_produit`.
    pub id_produit: i32,
    /// `nom`.
    pub nom: String,
    /// `mois`.
    #[serde(serialize_with = "month")]
    pub mois: YearMonth,
    /// `quantité_totale`, kilograms; 0 for a month without sales.
    #[serde(rename = "quantité_totale", serialize_with = "kilograms")]
    pub quantite_totale: Quantity,
    /// `chiffre_affaires`, euros.
    #[serde(serialize_with = "euros")]
    pub chiffre_affaires: Cents,
    /// `nombre_ventes`.
    pub nombre_ventes: i64,
}

#[derive(QueryableByName)]
struct RegionMonthRow {
    #[diesel(sql_type = Integer)]
    id_region: i32,
    #[diesel(sql_type = Text)]
    nom_region: String,
    #[diesel(sql_type = Text)]
    mois: String,
    #[diesel(sql_type = BigInt)]
    quantite_milli: i64,
    #[diesel(sql_type = BigInt)]
    chiffre_affaires_centimes: i64,
    #[diesel(sql_type = BigInt)]
    nombre_ventes: i64,
}

#[derive(QueryableByName)]
struct CategoryProductRow {
    #[diesel(sql_type = Integer)]
    id_produit: i32,
    #[diesel(sql_type = Text)]
    nom: String,
    #[diesel(sql_type = Text)]
    categorie: String,
    #[diesel(sql_type = BigInt)]
    quantite_milli: i64,
    #[diesel(sql_type = BigInt)]
    chiffre_affaires_centimes: i64,
    #[diesel(sql_type = BigInt)]
    rang: i64,
}

#[derive(QueryableByName)]
struct RegionRevenueRow {
    #[diesel(sql_type = Integer)]
    id_region: i32,
    #[diesel(sql_type = Text)]
    nom_region: String,
    #[diesel(sql_type = BigInt)]
    population: i64,
    #[diesel(sql_type = BigInt)]
    chiffre_affaires_centimes: i64,
    #[diesel(sql_type = Nullable<Double>)]
    chiffre_affaires_par_habitant: Option<f64>,
    #[diesel(sql_type = BigInt)]
    rang: i64,
    #[diesel(sql_type = BigInt)]
    rang_par_habitant: i64,
}

#[derive(QueryableByName)]
struct RegionProductRow {
    #[diesel(sql_type = Integer)]
    id_region: i32,
    #[diesel(sql_type = Text)]
    nom_region: String,
    #[diesel(sql_type = Integer)]
    id_produit: i32,
    #[diesel(sql_type = Text)]
    nom: String,
    #[diesel(sql_type = Text)]
    categorie: String,
    #[diesel(sql_type = BigInt)]
    quantite_milli: i64,
    #[diesel(sql_type = BigInt)]
    chiffre_affaires_centimes: i64,
    #[diesel(sql_type = BigInt)]
    rang: i64,
}

#[derive(QueryableByName)]
struct RegionCategoryRow {
    #[diesel(sql_type = Integer)]
    id_region: i32,
    #[diesel(sql_type = Text)]
    nom_region: String,
    #[diesel(sql_type = Text)]
    categorie: String,
    #[diesel(sql_type = BigInt)]
    quantite_milli: i64,
    #[diesel(sql_type = BigInt)]
    chiffre_affaires_centimes: i64,
    #[diesel(sql_type = BigInt)]
    nombre_ventes: i64,
    #[diesel(sql_type = BigInt)]
    rang: i64,
}

#[derive(QueryableByName)]
struct ProductMonthRow {
    #[diesel(sql_type = Text)]
    mois: String,
    #[diesel(sql_type = BigInt)]
    quantite_milli: i64,
    #[diesel(sql_type = BigInt)]
    chiffre_affaires_centimes: i64,
    #[diesel(sql_type = BigInt)]
    nombre_ventes: i64,
}

#[derive(QueryableByName)]
struct ProductNameRow {
    #[diesel(sql_type = Integer)]
    id_produit: i32,
    #[diesel(sql_type = Text)]
    nom: String,
}

/// The SQL of each analysis, as shipped in `sql/`.
pub mod sql {
    /// Total sales by region and month.
    pub const SALES_BY_REGION_MONTH: &str = include_str!("../sql/sales_by_region_month.sql");
    /// Best-selling products in each category.
    pub const TOP_PRODUCTS_BY_CATEGORY: &str = include_str!("../sql/top_products_by_category.sql");
    /// Regions with the lowest sales.
    pub const LOWEST_SALES_REGIONS: &str = include_str!("../sql/lowest_sales_regions.sql");
    /// Products with the highest revenue in each region.
    pub const TOP_REVENUE_PRODUCTS_BY_REGION: &str = include_str!("../sql/top_revenue_products_by_region.sql");
    /// Most popular categories by region.
    pub const TOP_CATEGORIES_BY_REGION: &str = include_str!("../sql/top_categories_by_region.sql");
    /// Monthly history of one product.
    pub const PRODUCT_MONTHLY_HISTORY: &str = include_str!("../sql/product_monthly_history.sql");
}

impl PgRepository {
    /// Analysis 1: total quantity and revenue by region and month, ordered
    /// by region id and month.
    pub fn sales_by_region_month(&mut self, range: DateRange) -> Result<Vec<RegionMonthSales>, PgError> {
        let rows: Vec<RegionMonthRow> = diesel::sql_query(sql::SALES_BY_REGION_MONTH)
            .bind::<Nullable<Date>, _>(range.start)
            .bind::<Nullable<Date>, _>(range.end)
            .load(self.connection())
            .map_err(|source| self.analysis_error("sales by region and month", source))?;
        rows.into_iter()
            .map(|row| {
                Ok(RegionMonthSales {
                    id_region: row.id_region,
                    nom_region: row.nom_region,
                    mois: parse_month(&row.mois)?,
                    quantite_totale: Quantity::from_milli(row.quantite_milli),
                    chiffre_affaires: Cents::new(row.chiffre_affaires_centimes),
                    nombre_ventes: row.nombre_ventes,
                })
            })
            .collect()
    }

    /// Analysis 2: the best-selling products of each category by quantity,
    /// the `top` first ranks of each (more rows when products tie), ordered
    /// by category and rank. Only products with sales in the range are
    /// ranked.
    ///
    /// Ranks come from `rank()`: equal quantities share a rank and the next
    /// rank skips ("1, 2, 2, 4"), so a tie is never cut arbitrarily at the
    /// limit and the rank still shows how many products sold more.
    pub fn top_products_by_category(
        &mut self,
        range: DateRange,
        top: u32,
    ) -> Result<Vec<CategoryProductRank>, PgError> {
        let top = check_top(top)?;
        let rows: Vec<CategoryProductRow> = diesel::sql_query(sql::TOP_PRODUCTS_BY_CATEGORY)
            .bind::<Nullable<Date>, _>(range.start)
            .bind::<Nullable<Date>, _>(range.end)
            .bind::<Integer, _>(top)
            .load(self.connection())
            .map_err(|source| self.analysis_error("top products by category", source))?;
        Ok(rows
            .into_iter()
            .map(|row| CategoryProductRank {
                id_produit: row.id_produit,
                nom: row.nom,
                categorie: row.categorie,
                quantite_totale: Quantity::from_milli(row.quantite_milli),
                chiffre_affaires: Cents::new(row.chiffre_affaires_centimes),
                rang: row.rang,
            })
            .collect())
    }

    /// Analysis 3: every region from the lowest revenue up, with revenue
    /// per inhabitant and its own rank. A region without sales has 0.
    pub fn lowest_sales_regions(&mut self, range: DateRange) -> Result<Vec<RegionRevenue>, PgError> {
        let rows: Vec<RegionRevenueRow> = diesel::sql_query(sql::LOWEST_SALES_REGIONS)
            .bind::<Nullable<Date>, _>(range.start)
            .bind::<Nullable<Date>, _>(range.end)
            .load(self.connection())
            .map_err(|source| self.analysis_error("lowest sales regions", source))?;
        Ok(rows
            .into_iter()
            .map(|row| RegionRevenue {
                id_region: row.id_region,
                nom_region: row.nom_region,
                population: row.population,
                chiffre_affaires: Cents::new(row.chiffre_affaires_centimes),
                chiffre_affaires_par_habitant: row.chiffre_affaires_par_habitant,
                rang: row.rang,
                rang_par_habitant: row.rang_par_habitant,
            })
            .collect())
    }

    /// Analysis 4: the `top` products by revenue in each region (ties
    /// share a rank, as in [`PgRepository::top_products_by_category`]),
    /// ordered by region id and rank.
    pub fn top_revenue_products_by_region(
        &mut self,
        range: DateRange,
        top: u32,
    ) -> Result<Vec<RegionProductRevenue>, PgError> {
        let top = check_top(top)?;
        let rows: Vec<RegionProductRow> = diesel::sql_query(sql::TOP_REVENUE_PRODUCTS_BY_REGION)
            .bind::<Nullable<Date>, _>(range.start)
            .bind::<Nullable<Date>, _>(range.end)
            .bind::<Integer, _>(top)
            .load(self.connection())
            .map_err(|source| self.analysis_error("top revenue products by region", source))?;
        Ok(rows
            .into_iter()
            .map(|row| RegionProductRevenue {
                id_region: row.id_region,
                nom_region: row.nom_region,
                id_produit: row.id_produit,
                nom: row.nom,
                categorie: row.categorie,
                quantite_totale: Quantity::from_milli(row.quantite_milli),
                chiffre_affaires: Cents::new(row.chiffre_affaires_centimes),
                rang: row.rang,
            })
            .collect())
    }

    /// Analysis 5: the `top` categories of each region by revenue, ordered
    /// by region id and rank. Revenue measures popularity because
    /// kilograms of different categories do not compare.
    pub fn top_categories_by_region(&mut self, range: DateRange, top: u32) -> Result<Vec<RegionCategoryRank>, PgError> {
        let top = check_top(top)?;
        let rows: Vec<RegionCategoryRow> = diesel::sql_query(sql::TOP_CATEGORIES_BY_REGION)
            .bind::<Nullable<Date>, _>(range.start)
            .bind::<Nullable<Date>, _>(range.end)
            .bind::<Integer, _>(top)
            .load(self.connection())
            .map_err(|source| self.analysis_error("top categories by region", source))?;
        Ok(rows
            .into_iter()
            .map(|row| RegionCategoryRank {
                id_region: row.id_region,
                nom_region: row.nom_region,
                categorie: row.categorie,
                quantite_totale: Quantity::from_milli(row.quantite_milli),
                chiffre_affaires: Cents::new(row.chiffre_affaires_centimes),
                nombre_ventes: row.nombre_ventes,
                rang: row.rang,
            })
            .collect())
    }

    /// Analysis 6: the monthly history of one product, from its first to
    /// its last month with sales in the range, months without sales
    /// included with 0. Empty when the product has no sale in the range.
    pub fn product_monthly_history(
        &mut self,
        product: &ProductRef,
        range: DateRange,
    ) -> Result<Vec<ProductMonth>, PgError> {
        let (id, name) = self.resolve_product(product)?;
        let rows: Vec<ProductMonthRow> = diesel::sql_query(sql::PRODUCT_MONTHLY_HISTORY)
            .bind::<Nullable<Date>, _>(range.start)
            .bind::<Nullable<Date>, _>(range.end)
            .bind::<Integer, _>(id)
            .load(self.connection())
            .map_err(|source| self.analysis_error("product monthly history", source))?;
        rows.into_iter()
            .map(|row| {
                Ok(ProductMonth {
                    id_produit: id,
                    nom: name.clone(),
                    mois: parse_month(&row.mois)?,
                    quantite_totale: Quantity::from_milli(row.quantite_milli),
                    chiffre_affaires: Cents::new(row.chiffre_affaires_centimes),
                    nombre_ventes: row.nombre_ventes,
                })
            })
            .collect()
    }

    /// Finds a product by id, or by name ignoring case.
    pub fn resolve_product(&mut self, product: &ProductRef) -> Result<(i32, String), PgError> {
        let query = diesel::sql_query(
            "SELECT id_produit, nom FROM produits \
             WHERE id_produit = $1 OR lower(nom) = lower($2) ORDER BY id_produit",
        );
        let (id, name) = match product {
            ProductRef::Id(id) => (Some(*id), None),
            ProductRef::Name(name) => (None, Some(name.as_str())),
        };
        let rows: Vec<ProductNameRow> = query
            .bind::<Nullable<Integer>, _>(id)
            .bind::<Nullable<Text>, _>(name)
            .load(self.connection())
            .map_err(|source| self.analysis_error("looking up the product", source))?;

        let shown = match product {
            ProductRef::Id(id) => id.to_string(),
            ProductRef::Name(name) => format!("`{name}`"),
        };
        match rows.as_slice() {
            [row] => Ok((row.id_produit, row.nom.clone())),
            [] => Err(PgError::NotFound {
                what: "product",
                value: shown,
                hint: "list them with SELECT id_produit, nom FROM produits",
            }),
            many => Err(PgError::InvalidArgument {
                name: "product",
                value: shown,
                reason: format!(
                    "matches {} products ({}); give the id instead",
                    many.len(),
                    many.iter()
                        .map(|r| format!("{} = {}", r.id_produit, r.nom))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
        }
    }

    fn analysis_error(&self, context: &'static str, source: diesel::result::Error) -> PgError {
        PgError::Query {
            context,
            target: self.target().to_string(),
            source,
        }
    }
}

fn check_top(top: u32) -> Result<i32, PgError> {
    if top == 0 {
        return Err(PgError::InvalidArgument {
            name: "top",
            value: "0".to_owned(),
            reason: "must be at least 1".to_owned(),
        });
    }
    Ok(i32::try_from(top).unwrap_or(i32::MAX))
}

fn parse_month(text: &str) -> Result<YearMonth, PgError> {
    text.parse().map_err(|e| PgError::InvalidArgument {
        name: "month returned by PostgreSQL",
        value: text.to_owned(),
        reason: format!("{e}"),
    })
}
