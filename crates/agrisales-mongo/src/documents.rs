//! Mapping between domain records and the documents of the data contract.

use std::str::FromStr;

use agrisales_domain::{Cents, MonthlyAggregate, ProductForecast, Quantity, Revenue, YearMonth};
use mongodb::bson::{Bson, Decimal128, Document, doc};

/// Builds the `agrégats_ventes` document of `aggregate`.
///
/// Quantities and money are `Decimal128`, so sums in MongoDB pipelines stay
/// exact; relative changes are doubles or `null`.
pub fn aggregate_document(aggregate: &MonthlyAggregate) -> Document {
    doc! {
        "id_region": aggregate.region_id,
        "région": &aggregate.region_name,
        "catégorie": &aggregate.category,
        "mois": aggregate.month.to_string(),
        "année": aggregate.month.year(),
        "quantité_totale": decimal(&aggregate.total_quantity.to_string()),
        "chiffre_affaires": decimal(&aggregate.revenue.to_string()),
        "chiffre_affaires_exact": decimal(&aggregate.revenue_exact.to_string()),
        "nombre_ventes": i64::try_from(aggregate.sale_count).unwrap_or(i64::MAX),
        "évolution_mois_précédent": optional_double(aggregate.change_vs_previous_month),
        "évolution_annuelle": optional_double(aggregate.change_vs_previous_year),
    }
}

/// Builds the unique key of an `agrégats_ventes` document.
pub fn aggregate_key(aggregate: &MonthlyAggregate) -> Document {
    doc! { "id_region": aggregate.region_id, "catégorie": &aggregate.category, "mois": aggregate.month.to_string() }
}

/// Builds the `prévisions_popularité` document of `forecast`.
pub fn forecast_document(forecast: &ProductForecast) -> Document {
    doc! {
        "id_produit": forecast.product_id,
        "nom": &forecast.product_name,
        "catégorie": &forecast.category,
        "mois": forecast.month.to_string(),
        "horizon": i32::try_from(forecast.horizon).unwrap_or(i32::MAX),
        "quantité_prévue": to_gram(forecast.quantity),
        "borne_basse": to_gram(forecast.lower),
        "borne_haute": to_gram(forecast.upper),
        "niveau_intervalle": forecast.interval_level,
        "rang_popularité": i32::try_from(forecast.popularity_rank).unwrap_or(i32::MAX),
        "rang_catégorie": i32::try_from(forecast.category_rank).unwrap_or(i32::MAX),
        "modèle": &forecast.model,
        "score_backtest": optional_double(forecast.backtest_mase),
        "métrique_backtest": "MASE",
        "valeur_plancher": forecast.clamped_at_zero,
    }
}

/// Builds the unique key of a `prévisions_popularité` document.
pub fn forecast_key(forecast: &ProductForecast) -> Document {
    doc! { "id_produit": forecast.product_id, "mois": forecast.month.to_string() }
}

/// Parses an `agrégats_ventes` document back into a record.
pub fn aggregate_from_document(document: &Document) -> Result<MonthlyAggregate, String> {
    Ok(MonthlyAggregate {
        region_id: int(document, "id_region")?,
        region_name: text(document, "région")?,
        category: text(document, "catégorie")?,
        month: month(document)?,
        total_quantity: Quantity::from_str(&decimal_text(document, "quantité_totale")?).map_err(|e| e.to_string())?,
        revenue: Cents::from_str(&decimal_text(document, "chiffre_affaires")?).map_err(|e| e.to_string())?,
        revenue_exact: parse_revenue(&decimal_text(document, "chiffre_affaires_exact")?)?,
        sale_count: u64::try_from(long(document, "nombre_ventes")?).map_err(|_| "nombre_ventes is negative")?,
        change_vs_previous_month: nullable_double(document, "évolution_mois_précédent")?,
        change_vs_previous_year: nullable_double(document, "évolution_annuelle")?,
    })
}

/// Parses a `prévisions_popularité` document back into a record.
pub fn forecast_from_document(document: &Document) -> Result<ProductForecast, String> {
    Ok(ProductForecast {
        product_id: int(document, "id_produit")?,
        product_name: text(document, "nom")?,
        category: text(document, "catégorie")?,
        month: month(document)?,
        horizon: u32::try_from(int(document, "horizon")?).map_err(|_| "horizon is negative")?,
        quantity: double(document, "quantité_prévue")?,
        lower: double(document, "borne_basse")?,
        upper: double(document, "borne_haute")?,
        interval_level: double(document, "niveau_intervalle")?,
        popularity_rank: u32::try_from(int(document, "rang_popularité")?).map_err(|_| "rang_popularité is negative")?,
        category_rank: u32::try_from(int(document, "rang_catégorie")?).map_err(|_| "rang_catégorie is negative")?,
        model: text(document, "modèle")?,
        backtest_mase: nullable_double(document, "score_backtest")?,
        clamped_at_zero: document
            .get_bool("valeur_plancher")
            .map_err(|e| format!("valeur_plancher: {e}"))?,
    })
}

/// Rounds kilograms to the gram: model output has no meaning beyond.
/// Rounding is monotonic, so `borne_basse ≤ quantité_prévue ≤ borne_haute`
/// still holds.
fn to_gram(kg: f64) -> f64 {
    (kg * 1000.0).round() / 1000.0
}

/// Parses a decimal text with at most 5 decimals (as `Decimal128` prints
/// a value written from a [`Revenue`]) into a [`Revenue`].
pub(crate) fn parse_revenue(text: &str) -> Result<Revenue, String> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() > Revenue::SCALE as usize {
        return Err(format!("{text} has more than {} decimals", Revenue::SCALE));
    }
    let digits = format!("{whole}{fraction:0<width$}", width = Revenue::SCALE as usize);
    digits
        .parse::<i128>()
        .map(Revenue::from_raw)
        .map_err(|e| format!("{text}: {e}"))
}

fn decimal(text: &str) -> Bson {
    // Texts come from our own fixed-point formatting, which Decimal128
    // always parses; NaN would show the impossible case in the data.
    Bson::Decimal128(Decimal128::from_str(text).unwrap_or_else(|_| nan_decimal()))
}

fn nan_decimal() -> Decimal128 {
    Decimal128::from_str("NaN").unwrap_or(Decimal128::from_bytes([0; 16]))
}

fn optional_double(value: Option<f64>) -> Bson {
    value.filter(|v| v.is_finite()).map_or(Bson::Null, Bson::Double)
}

fn int(document: &Document, key: &str) -> Result<i32, String> {
    match document.get(key) {
        Some(Bson::Int32(v)) => Ok(*v),
        Some(Bson::Int64(v)) => i32::try_from(*v).map_err(|_| format!("{key} is out of range")),
        other => Err(format!("{key} should be an integer, found {other:?}")),
    }
}

fn long(document: &Document, key: &str) -> Result<i64, String> {
    match document.get(key) {
        Some(Bson::Int32(v)) => Ok(i64::from(*v)),
        Some(Bson::Int64(v)) => Ok(*v),
        other => Err(format!("{key} should be an integer, found {other:?}")),
    }
}

fn text(document: &Document, key: &str) -> Result<String, String> {
    document
        .get_str(key)
        .map(str::to_owned)
        .map_err(|e| format!("{key}: {e}"))
}

fn month(document: &Document) -> Result<YearMonth, String> {
    document
        .get_str("mois")
        .map_err(|e| format!("mois: {e}"))?
        .parse()
        .map_err(|e| format!("{e}"))
}

fn decimal_text(document: &Document, key: &str) -> Result<String, String> {
    match document.get(key) {
        Some(Bson::Decimal128(v)) => Ok(v.to_string()),
        other => Err(format!("{key} should be a Decimal128, found {other:?}")),
    }
}

fn double(document: &Document, key: &str) -> Result<f64, String> {
    document.get_f64(key).map_err(|e| format!("{key}: {e}"))
}

fn nullable_double(document: &Document, key: &str) -> Result<Option<f64>, String> {
    match document.get(key) {
        Some(Bson::Double(v)) => Ok(Some(*v)),
        Some(Bson::Null) | None => Ok(None),
        other => Err(format!("{key} should be a double or null, found {other:?}")),
    }
}
