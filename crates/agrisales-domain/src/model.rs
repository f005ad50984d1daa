//! Records exchanged between the layers.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{Cents, Quantity, Revenue, YearMonth};

/// A row of `regions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    /// `id_region`.
    pub id: i32,
    /// `nom_region`.
    pub name: String,
    /// `population`: inhabitants.
    pub population: i64,
}

/// A region to insert; the database assigns `id_region`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRegion {
    /// `nom_region`.
    pub name: String,
    /// `population`: inhabitants.
    pub population: i64,
}

/// A row of `produits`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    /// `id_produit`.
    pub id: i32,
    /// `nom`.
    pub name: String,
    /// `catégorie`.
    pub category: String,
    /// `prix_unitaire`: euros per kilogram (per litre for wine).
    pub unit_price: Cents,
}

/// A product to insert; the database assigns `id_produit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewProduct {
    /// `nom`.
    pub name: String,
    /// `catégorie`.
    pub category: String,
    /// `prix_unitaire`: euros per kilogram (per litre for wine).
    pub unit_price: Cents,
}

/// A sale to insert; the database assigns `id_vente`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSale {
    /// `id_produit`.
    pub product_id: i32,
    /// `quantité`.
    pub quantity: Quantity,
    /// `date_vente`.
    pub date: NaiveDate,
    /// `region_vente`.
    pub region_id: i32,
}

/// A chunk of sales in columnar form: element `i` of each vector describes
/// the same sale. Storage layers stream sales in such chunks so that no
/// layer keeps every sale in memory at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SaleColumns {
    /// `id_produit` of each sale.
    pub product_id: Vec<i32>,
    /// `region_vente` of each sale.
    pub region_id: Vec<i32>,
    /// Month of `date_vente`, as [`YearMonth::ordinal`].
    pub month: Vec<i32>,
    /// `quantité` in thousandths of a kilogram.
    pub quantity_milli: Vec<i64>,
}

impl SaleColumns {
    /// Creates an empty chunk with room for `capacity` sales.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            product_id: Vec::with_capacity(capacity),
            region_id: Vec::with_capacity(capacity),
            month: Vec::with_capacity(capacity),
            quantity_milli: Vec::with_capacity(capacity),
        }
    }

    /// Appends one sale.
    pub fn push(&mut self, product_id: i32, region_id: i32, month: YearMonth, quantity: Quantity) {
        self.product_id.push(product_id);
        self.region_id.push(region_id);
        self.month.push(month.ordinal());
        self.quantity_milli.push(quantity.milli());
    }

    /// Number of sales in the chunk.
    pub fn len(&self) -> usize {
        self.product_id.len()
    }

    /// Returns whether the chunk contains no sale.
    pub fn is_empty(&self) -> bool {
        self.product_id.is_empty()
    }

    /// Removes every sale, keeping the allocations.
    pub fn clear(&mut self) {
        self.product_id.clear();
        self.region_id.clear();
        self.month.clear();
        self.quantity_milli.clear();
    }
}

/// Monthly sales of one category in one region: a document of
/// `agrégats_ventes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthlyAggregate {
    /// `id_region`.
    pub region_id: i32,
    /// `région`: the region's name.
    pub region_name: String,
    /// `catégorie`.
    pub category: String,
    /// `mois`.
    pub month: YearMonth,
    /// `quantité_totale`: sum of `quantité`, exact.
    pub total_quantity: Quantity,
    /// `chiffre_affaires`: sum of `quantité × prix_unitaire`, rounded to the
    /// cent once, after summing.
    pub revenue: Cents,
    /// `chiffre_affaires_exact`: the same sum before rounding (scale 5).
    /// Sums over several months, such as year-to-date totals, must add
    /// this field and round last to match SQL.
    pub revenue_exact: Revenue,
    /// `nombre_ventes`: number of sales.
    pub sale_count: u64,
    /// `évolution_mois_précédent`: relative change of `quantité_totale`
    /// against the previous month (0.1 = +10 %); `None` when that month has
    /// no sales in this region and category.
    pub change_vs_previous_month: Option<f64>,
    /// `évolution_annuelle`: relative change of `quantité_totale` against the
    /// same month a year before; `None` when that month has no sales.
    pub change_vs_previous_year: Option<f64>,
}

/// A popularity forecast of one product for one month: a document of
/// `prévisions_popularité`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductForecast {
    /// `id_produit`.
    pub product_id: i32,
    /// `nom`.
    pub product_name: String,
    /// `catégorie`.
    pub category: String,
    /// `mois`: the forecast month.
    pub month: YearMonth,
    /// `horizon`: months after the last month with sales (1 to 3).
    pub horizon: u32,
    /// `quantité_prévue`: forecast quantity in kilograms, all regions.
    pub quantity: f64,
    /// `borne_basse`: lower bound of the prediction interval, kilograms.
    pub lower: f64,
    /// `borne_haute`: upper bound of the prediction interval, kilograms.
    pub upper: f64,
    /// `niveau_intervalle`: nominal coverage of the interval (0.8 = 80 %).
    pub interval_level: f64,
    /// `rang_popularité`: rank among all products for this month, 1 = the
    /// largest forecast quantity.
    pub popularity_rank: u32,
    /// `rang_catégorie`: rank within the product's category for this month.
    pub category_rank: u32,
    /// `modèle`: name of the model that produced the forecast.
    pub model: String,
    /// `score_backtest`: the model's backtest MASE (below 1 beats the
    /// seasonal naive forecast); `None` when the history is too short.
    pub backtest_mase: Option<f64>,
    /// `valeur_plancher`: whether a negative model output was clamped to 0.
    pub clamped_at_zero: bool,
}

/// Monthly quantities of one product in each region where it sold, over
/// consecutive months; months without sales count 0.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductRegionSeries {
    /// `id_produit`.
    pub product_id: i32,
    /// Regions, in the column order of `quantity_kg`.
    pub region_ids: Vec<i32>,
    /// First month of the series.
    pub first_month: YearMonth,
    /// Number of consecutive months.
    pub months: usize,
    /// Kilograms, row-major: `quantity_kg[m * region_ids.len() + r]` is
    /// month `first_month + m` in region `region_ids[r]`.
    pub quantity_kg: Vec<f64>,
}

impl ProductRegionSeries {
    /// Returns the last month of the series.
    pub fn last_month(&self) -> YearMonth {
        self.first_month.plus(self.months as i32 - 1)
    }

    /// Returns the total over all regions for each month, in kilograms.
    pub fn totals(&self) -> Vec<f64> {
        let width = self.region_ids.len().max(1);
        self.quantity_kg.chunks(width).map(|row| row.iter().sum()).collect()
    }
}
