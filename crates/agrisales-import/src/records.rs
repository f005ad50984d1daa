//! Typed rows built from the cells of one CSV row.

use std::collections::HashMap;

use agrisales_domain::{Cents, Quantity};
use chrono::NaiveDate;

use crate::mapping::Kind;
use crate::reject::RejectReason;
use crate::value::{Decimal, DecimalMark, parse_date};

/// A product or region named by id or by name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reference {
    /// `id_produit` or `id_region`.
    Id(i32),
    /// `nom` or `nom_region`.
    Name(String),
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reference::Id(id) => write!(f, "id {id}"),
            Reference::Name(name) => write!(f, "`{name}`"),
        }
    }
}

/// A valid row of a region file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionRecord {
    /// `id_region`, when the file gives one.
    pub id: Option<i32>,
    /// `nom_region`, trimmed.
    pub name: String,
    /// `population`.
    pub population: i64,
}

/// A valid row of a product file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRecord {
    /// `id_produit`, when the file gives one.
    pub id: Option<i32>,
    /// `nom`, trimmed.
    pub name: String,
    /// `catégorie`, trimmed.
    pub category: String,
    /// `prix_unitaire`, per kilogram.
    pub unit_price: Cents,
}

/// A valid row of a sale file; product and region are not yet checked
/// against the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleRecord {
    /// `id_vente`, when the file gives one.
    pub id: Option<i64>,
    /// The product.
    pub product: Reference,
    /// The region.
    pub region: Reference,
    /// `quantité`, in kilograms after conversion.
    pub quantity: Quantity,
    /// `date_vente`.
    pub date: NaiveDate,
    /// The optional `prix` field per kilogram, used to derive the price of
    /// new products.
    pub price: Option<Cents>,
    /// The natural key: product, region, date, the mapping's key columns
    /// (or, without key columns, the quantity). Two rows without id and
    /// with the same key are the same sale.
    pub key: String,
}

/// A row's problem: the reason and a detail naming the field and value.
pub(crate) type RowProblem = (RejectReason, String);

/// The cells of one row, by field name, after mapping, `null_values` and
/// fill-down; empty cells are absent.
pub(crate) struct Values<'a> {
    pub cells: HashMap<&'static str, (String, Decimal)>,
    pub mark: DecimalMark,
    pub key_extra: &'a [String],
}

impl Values<'_> {
    fn text(&self, field: &str) -> Option<&str> {
        self.cells.get(field).map(|(s, _)| s.trim()).filter(|s| !s.is_empty())
    }

    fn required(&self, field: &str) -> Result<&str, RowProblem> {
        self.text(field)
            .ok_or_else(|| (RejectReason::MissingValue, format!("{field} is empty")))
    }

    /// The field as an exact decimal times its conversion factor.
    fn decimal(&self, field: &str) -> Result<Option<Decimal>, RowProblem> {
        let Some(text) = self.text(field) else {
            return Ok(None);
        };
        let factor = self.cells.get(field).map_or(Decimal::ONE, |(_, f)| *f);
        Decimal::parse(text, self.mark)
            .and_then(|d| d.times(factor))
            .map(Some)
            .ok_or_else(|| {
                (
                    RejectReason::UnparsableNumber,
                    format!("{field} `{text}` is not a number"),
                )
            })
    }

    fn integer<T: TryFrom<i64>>(&self, field: &str) -> Result<Option<T>, RowProblem> {
        let Some(text) = self.text(field) else {
            return Ok(None);
        };
        text.parse::<i64>()
            .ok()
            .and_then(|v| T::try_from(v).ok())
            .map(Some)
            .ok_or_else(|| {
                (
                    RejectReason::UnparsableNumber,
                    format!("{field} `{text}` is not an integer id"),
                )
            })
    }

    fn reference(&self, id_field: &str, name_field: &str) -> Result<Reference, RowProblem> {
        if let Some(id) = self.integer::<i32>(id_field)? {
            return Ok(Reference::Id(id));
        }
        match self.text(name_field) {
            Some(name) => Ok(Reference::Name(name.to_owned())),
            None => Err((
                RejectReason::MissingValue,
                format!("{id_field} and {name_field} are empty"),
            )),
        }
    }
}

/// A typed row of one kind.
pub(crate) trait Record: Sized {
    const KIND: Kind;
    fn build(values: &Values<'_>) -> Result<Self, RowProblem>;
    fn id(&self) -> Option<i64>;
    /// The key that identifies the row when it has no id (and, for regions
    /// and products, the unique name even with an id).
    fn natural_key(&self) -> &str;
    /// Whether rows with an id skip the natural-key duplicate check.
    const KEY_ONLY_WITHOUT_ID: bool;
}

impl Record for RegionRecord {
    const KIND: Kind = Kind::Regions;
    const KEY_ONLY_WITHOUT_ID: bool = false;

    fn build(values: &Values<'_>) -> Result<Self, RowProblem> {
        let id = values.integer::<i32>("id_region")?;
        let name = values.required("nom_region")?.to_owned();
        values.required("population")?;
        let population = values
            .decimal("population")?
            .and_then(|d| {
                d.to_scaled(0)
                    .filter(|v| Decimal::parse(&v.to_string(), DecimalMark::Point) == Some(d))
            })
            .ok_or_else(|| {
                (
                    RejectReason::UnparsableNumber,
                    format!(
                        "population `{}` is not a whole number",
                        values.text("population").unwrap_or("")
                    ),
                )
            })?;
        if population < 0 {
            return Err((
                RejectReason::NegativeValue,
                format!("population {population} is negative"),
            ));
        }
        Ok(RegionRecord { id, name, population })
    }

    fn id(&self) -> Option<i64> {
        self.id.map(i64::from)
    }

    fn natural_key(&self) -> &str {
        &self.name
    }
}

impl Record for ProductRecord {
    const KIND: Kind = Kind::Products;
    const KEY_ONLY_WITHOUT_ID: bool = false;

    fn build(values: &Values<'_>) -> Result<Self, RowProblem> {
        let id = values.integer::<i32>("id_produit")?;
        let name = values.required("nom")?.to_owned();
        let category = values.required("categorie")?.to_owned();
        values.required("prix_unitaire")?;
        let price = cents(values, "prix_unitaire")?.unwrap_or_default();
        if price.get() < 0 {
            return Err((
                RejectReason::NegativeValue,
                format!("prix_unitaire {price} is negative"),
            ));
        }
        Ok(ProductRecord {
            id,
            name,
            category,
            unit_price: price,
        })
    }

    fn id(&self) -> Option<i64> {
        self.id.map(i64::from)
    }

    fn natural_key(&self) -> &str {
        &self.name
    }
}

impl Record for SaleRecord {
    const KIND: Kind = Kind::Sales;
    const KEY_ONLY_WITHOUT_ID: bool = true;

    fn build(values: &Values<'_>) -> Result<Self, RowProblem> {
        let id = values.integer::<i64>("id_vente")?;
        let product = values.reference("id_produit", "produit")?;
        let region = values.reference("region_vente", "region")?;
        let date_text = values.required("date_vente")?;
        let date = parse_date(date_text).ok_or_else(|| {
            (
                RejectReason::UnparsableDate,
                format!("date_vente `{date_text}` is not YYYY-MM-DD, DD/MM/YYYY or DD/MM/YY, or does not exist"),
            )
        })?;
        values.required("quantite")?;
        let quantity = values
            .decimal("quantite")?
            .and_then(|d| d.to_scaled(Quantity::SCALE))
            .ok_or_else(|| (RejectReason::UnparsableNumber, "quantite is too large".to_owned()))?;
        if quantity <= 0 {
            return Err((
                RejectReason::QuantityNotPositive,
                format!(
                    "quantite `{}` is {} kg after conversion; a sale needs more than 0",
                    values.text("quantite").unwrap_or(""),
                    Quantity::from_milli(quantity)
                ),
            ));
        }
        let price = cents(values, "prix")?;
        if let Some(price) = price.filter(|p| p.get() < 0) {
            return Err((RejectReason::NegativeValue, format!("prix {price} is negative")));
        }

        let mut key = format!("{}|{}|{}", reference_key(&product), reference_key(&region), date);
        if values.key_extra.is_empty() {
            key.push('|');
            key.push_str(&quantity.to_string());
        }
        for extra in values.key_extra {
            key.push('|');
            key.push_str(extra.trim());
        }
        Ok(SaleRecord {
            id,
            product,
            region,
            quantity: Quantity::from_milli(quantity),
            date,
            price,
            key,
        })
    }

    fn id(&self) -> Option<i64> {
        self.id
    }

    fn natural_key(&self) -> &str {
        &self.key
    }
}

fn reference_key(reference: &Reference) -> String {
    match reference {
        Reference::Id(id) => format!("#{id}"),
        Reference::Name(name) => name.clone(),
    }
}

fn cents(values: &Values<'_>, field: &str) -> Result<Option<Cents>, RowProblem> {
    match values.decimal(field)? {
        None => Ok(None),
        Some(d) => d
            .to_scaled(Cents::SCALE)
            .map(|c| Some(Cents::new(c)))
            .ok_or_else(|| (RejectReason::UnparsableNumber, format!("{field} is too large"))),
    }
}
