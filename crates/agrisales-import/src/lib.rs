//! CSV import of agrisales: from real, messy files to typed rows and
//! reject records. It knows no database; `agrisales-etl` loads its output.
//!
//! - Reading ([`read_regions`], [`read_products`], [`read_sales`]):
//!   UTF-8 with or without byte-order mark, or Windows-1252
//!   ([`text::decode`]); `,`, `;` or tab separators, detected from the
//!   header ([`text::detect_separator`]); quoted fields holding separators
//!   and newlines; decimal point or comma; dates `YYYY-MM-DD`,
//!   `DD/MM/YYYY` and `DD/MM/YY` ([`value::parse_date`] says how two-digit
//!   years read); header names matched without case or accents
//!   ([`text::normalize_name`]: `quantite` = `Quantité`).
//! - [`Mapping`]: a TOML file for columns that are not ours: field
//!   sources (column, constant, folder of the file), unit conversions,
//!   `null_values`, fill-down, natural-key columns, a column that absorbs
//!   unquoted separators, rows to skip, products to create.
//! - Nothing lost, nothing silent: every row read is either a valid
//!   [`Located`] record or a [`Reject`] with file, line and
//!   [`RejectReason`]; [`Parsed::read`] always equals valid plus rejected
//!   rows. A header that cannot be mapped refuses the file
//!   ([`ImportError::Header`]).
//! - Checks against reference data ([`resolve_sales`]) and products
//!   derived from sale files ([`derive_products`]) are pure functions too.
//!
//! # Example
//!
//! ```
//! use agrisales_import::{Mapping, read_sales};
//!
//! let dir = std::env::temp_dir().join(format!("agrisales-import-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let file = dir.join("ventes.csv");
//! std::fs::write(&file, "Produit;Quantité;Date vente;Région\nTomate;1,5;03/04/24;Bretagne\nTomate;0;03/04/24;Bretagne\n")?;
//!
//! let mapping = Mapping::from_toml(
//!     "[ventes.fields]\nproduit = { column = \"Produit\" }\nregion = { column = \"Région\" }\n",
//! )?;
//! let parsed = read_sales(&[file], Some(&mapping), |_, _| {})?;
//! assert_eq!((parsed.read, parsed.rows.len(), parsed.rejects.len()), (2, 1, 1));
//! assert_eq!(parsed.rows[0].record.quantity.to_string(), "1.500");
//! assert_eq!(parsed.rejects[0].reason.as_str(), "quantity_not_positive");
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod mapping;
mod reader;
mod records;
mod reject;
pub mod text;
pub mod value;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use agrisales_domain::{Cents, NewProduct, NewSale, Product, Region};

pub use error::ImportError;
pub use mapping::{FieldSource, FieldSpec, FileMapping, Kind, Mapping, NewProducts, SkipRule};
pub use reader::{FileReport, Located, Parsed, csv_files};
pub use records::{ProductRecord, Reference, RegionRecord, SaleRecord};
pub use reject::{Reject, RejectReason, write_rejects};

use reader::Reader;
use records::Record;

fn read_all<T: Record>(
    files: &[PathBuf],
    mapping: Option<&Mapping>,
    mut on_file: impl FnMut(&Path, &FileReport),
) -> Result<Parsed<T>, ImportError> {
    let mut reader = Reader::<T>::new(mapping);
    for file in files {
        let report = reader.read_file(file)?;
        on_file(file, &report);
    }
    Ok(reader.finish())
}

/// Reads region files (`id_region`, `nom_region`, `population`, or the
/// mapping's `[regions]` section), calling `on_file` after each file.
/// Duplicate ids and names are checked across all files.
pub fn read_regions(
    files: &[PathBuf],
    mapping: Option<&Mapping>,
    on_file: impl FnMut(&Path, &FileReport),
) -> Result<Parsed<RegionRecord>, ImportError> {
    read_all(files, mapping, on_file)
}

/// Reads product files (`id_produit`, `nom`, `catégorie`,
/// `prix_unitaire`, or the mapping's `[produits]` section).
pub fn read_products(
    files: &[PathBuf],
    mapping: Option<&Mapping>,
    on_file: impl FnMut(&Path, &FileReport),
) -> Result<Parsed<ProductRecord>, ImportError> {
    read_all(files, mapping, on_file)
}

/// Reads sale files (`id_vente`, `id_produit` or `produit`, `quantité`,
/// `date_vente`, `region_vente` or `region`, optional `prix`, or the
/// mapping's `[ventes]` section).
pub fn read_sales(
    files: &[PathBuf],
    mapping: Option<&Mapping>,
    on_file: impl FnMut(&Path, &FileReport),
) -> Result<Parsed<SaleRecord>, ImportError> {
    read_all(files, mapping, on_file)
}

/// The products that sale rows name but `known` lacks, each with
/// `spec.category` and the median of its rows' `prix` as unit price (the
/// mean of the two middle values for an even count, rounded half up to
/// the cent; 0 when no row of the product has a price). Sorted by name.
pub fn derive_products(rows: &[Located<SaleRecord>], known: &[Product], spec: &NewProducts) -> Vec<NewProduct> {
    let lookup = NameLookup::new(known.iter().map(|p| (p.name.as_str(), p.id)));
    let mut prices: HashMap<&str, Vec<i64>> = HashMap::new();
    for row in rows {
        if let Reference::Name(name) = &row.record.product
            && lookup.find(name).is_none()
        {
            let entry = prices.entry(name.as_str()).or_default();
            if let Some(price) = row.record.price {
                entry.push(price.get());
            }
        }
    }
    let mut products: Vec<NewProduct> = prices
        .into_iter()
        .map(|(name, mut cents)| {
            cents.sort_unstable();
            let n = cents.len();
            let median = match n {
                0 => 0,
                _ if n % 2 == 1 => cents[n / 2],
                _ => (cents[n / 2 - 1] + cents[n / 2] + 1).div_euclid(2),
            };
            NewProduct {
                name: name.to_owned(),
                category: spec.category.clone(),
                unit_price: Cents::new(median),
            }
        })
        .collect();
    products.sort_by(|a, b| a.name.cmp(&b.name));
    products
}

/// Name → id lookup: exact match first, then ignoring case and accents
/// when that is unambiguous.
struct NameLookup<'a> {
    exact: HashMap<&'a str, i32>,
    normalized: HashMap<String, Option<i32>>,
}

impl<'a> NameLookup<'a> {
    fn new(entries: impl Iterator<Item = (&'a str, i32)>) -> Self {
        let mut exact = HashMap::new();
        let mut normalized: HashMap<String, Option<i32>> = HashMap::new();
        for (name, id) in entries {
            exact.insert(name, id);
            normalized
                .entry(text::normalize_name(name))
                .and_modify(|e| *e = None)
                .or_insert(Some(id));
        }
        Self { exact, normalized }
    }

    fn find(&self, name: &str) -> Option<i32> {
        let name = name.trim();
        self.exact
            .get(name)
            .copied()
            .or_else(|| self.normalized.get(&text::normalize_name(name)).copied().flatten())
    }
}

/// Checks each sale's product and region against the reference data.
/// Returns the sales ready to load, with their source rows, and the
/// rejects (`unknown_product`, `unknown_region`). Names match exactly, or
/// ignoring case and accents when only one reference name matches.
pub fn resolve_sales(
    rows: Vec<Located<SaleRecord>>,
    regions: &[Region],
    products: &[Product],
) -> (Vec<(Located<SaleRecord>, NewSale)>, Vec<Reject>) {
    let region_names = NameLookup::new(regions.iter().map(|r| (r.name.as_str(), r.id)));
    let product_names = NameLookup::new(products.iter().map(|p| (p.name.as_str(), p.id)));
    let region_ids: HashSet<i32> = regions.iter().map(|r| r.id).collect();
    let product_ids: HashSet<i32> = products.iter().map(|p| p.id).collect();
    let resolve = |reference: &Reference, names: &NameLookup<'_>, ids: &HashSet<i32>| match reference {
        Reference::Id(id) => ids.contains(id).then_some(*id),
        Reference::Name(name) => names.find(name),
    };

    let mut ready = Vec::with_capacity(rows.len());
    let mut rejects = Vec::new();
    for row in rows {
        let Some(product_id) = resolve(&row.record.product, &product_names, &product_ids) else {
            rejects.push(row.reject(
                RejectReason::UnknownProduct,
                format!(
                    "product {} is not in produits; import it first with --produits",
                    row.record.product
                ),
            ));
            continue;
        };
        let Some(region_id) = resolve(&row.record.region, &region_names, &region_ids) else {
            rejects.push(row.reject(
                RejectReason::UnknownRegion,
                format!(
                    "region {} is not in regions; import it first with --regions",
                    row.record.region
                ),
            ));
            continue;
        };
        let sale = NewSale {
            product_id,
            quantity: row.record.quantity,
            date: row.record.date,
            region_id,
        };
        ready.push((row, sale));
    }
    (ready, rejects)
}
