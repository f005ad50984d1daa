//! The TOML column mapping: which column gives which field, constants,
//! unit conversions, fill-down and rows to skip.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::ImportError;
use crate::text::{Encoding, normalize_name};
use crate::value::{Decimal, DecimalMark};

/// The three kinds of file an import reads, in load order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// `regions`.
    Regions,
    /// `produits`.
    Products,
    /// `ventes`.
    Sales,
}

impl Kind {
    /// The table name, also the section name of the mapping file.
    pub fn table(self) -> &'static str {
        match self {
            Kind::Regions => "regions",
            Kind::Products => "produits",
            Kind::Sales => "ventes",
        }
    }

    /// The fields a file of this kind may give, by normalized name.
    pub fn fields(self) -> &'static [FieldSpec] {
        match self {
            Kind::Regions => REGION_FIELDS,
            Kind::Products => PRODUCT_FIELDS,
            Kind::Sales => SALE_FIELDS,
        }
    }
}

/// A field an input file may give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// Normalized name, matched against headers and mapping keys.
    pub name: &'static str,
    /// Description of the field, for messages.
    pub meaning: &'static str,
    /// Fields of which at least one must be mapped, as a group id; 0 for
    /// an optional field.
    pub required_group: u8,
}

const fn field(name: &'static str, meaning: &'static str, required_group: u8) -> FieldSpec {
    FieldSpec {
        name,
        meaning,
        required_group,
    }
}

const REGION_FIELDS: &[FieldSpec] = &[
    field("id_region", "the region's id (optional)", 0),
    field("nom_region", "the region's name", 1),
    field("population", "inhabitants", 2),
];

const PRODUCT_FIELDS: &[FieldSpec] = &[
    field("id_produit", "the product's id (optional)", 0),
    field("nom", "the product's name", 1),
    field("categorie", "the category", 2),
    field("prix_unitaire", "the price per kilogram", 3),
];

const SALE_FIELDS: &[FieldSpec] = &[
    field("id_vente", "the sale's id (optional)", 0),
    field("id_produit", "the product's id", 1),
    field("produit", "the product's name", 1),
    field("quantite", "the quantity in kilograms", 2),
    field("date_vente", "the date of the sale", 3),
    field("region_vente", "the region's id", 4),
    field("region", "the region's name", 4),
    field(
        "prix",
        "a price per kilogram, used only to derive new products' prices (optional)",
        0,
    ),
];

/// The content of a mapping file: one optional section per kind.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// How to read region files.
    pub regions: Option<FileMapping>,
    /// How to read product files.
    pub produits: Option<FileMapping>,
    /// How to read sale files.
    pub ventes: Option<FileMapping>,
}

impl Mapping {
    /// Reads and checks a mapping file.
    pub fn from_file(path: &Path) -> Result<Mapping, ImportError> {
        let text = std::fs::read_to_string(path).map_err(|source| ImportError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text).map_err(|message| ImportError::Mapping {
            path: path.to_owned(),
            message,
        })
    }

    /// Parses and checks mapping text; the error says what to fix.
    pub fn from_toml(text: &str) -> Result<Mapping, String> {
        let mapping: Mapping = toml::from_str(text).map_err(|e| e.to_string())?;
        for (kind, section) in [
            (Kind::Regions, &mapping.regions),
            (Kind::Products, &mapping.produits),
            (Kind::Sales, &mapping.ventes),
        ] {
            if let Some(section) = section {
                section.check(kind)?;
            }
        }
        Ok(mapping)
    }

    /// Returns the section for `kind`, if any.
    pub fn section(&self, kind: Kind) -> Option<&FileMapping> {
        match kind {
            Kind::Regions => self.regions.as_ref(),
            Kind::Products => self.produits.as_ref(),
            Kind::Sales => self.ventes.as_ref(),
        }
    }
}

/// How to read the files of one kind.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileMapping {
    /// Forces the encoding instead of detecting it.
    pub encoding: Option<Encoding>,
    /// Forces the separator (`","`, `";"`, `"\t"` or `"tab"`) instead of
    /// detecting it.
    pub separator: Option<String>,
    /// Decimal mark of numbers; `auto` by default.
    #[serde(default)]
    pub decimal: DecimalMark,
    /// Field name → where its value comes from. Fields not listed here
    /// are looked up in the header under their own names.
    #[serde(default)]
    pub fields: BTreeMap<String, FieldSource>,
    /// Columns whose empty cells take the value of the cell above (within
    /// the same file, until a repeated header).
    #[serde(default)]
    pub fill_down: Vec<String>,
    /// Extra columns that, with the mapped fields, identify a row without
    /// an id: the natural key that makes a re-import add nothing.
    #[serde(default)]
    pub key_columns: Vec<String>,
    /// When a row has more fields than the header, the extras are taken as
    /// unquoted separators inside this column and glued back into it.
    pub overflow_column: Option<String>,
    /// Rows to skip; each skipped row is written to the rejects with the
    /// rule's reason.
    #[serde(default)]
    pub skip: Vec<SkipRule>,
    /// For sales: create the products the files name but the database
    /// lacks, instead of rejecting their rows.
    pub new_products: Option<NewProducts>,
}

/// Where a field's value comes from: exactly one of `column`, `value` and
/// `from_path`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSource {
    /// A column of the file, matched like the header (case and accents
    /// ignored).
    pub column: Option<String>,
    /// A constant for every row.
    pub value: Option<String>,
    /// A folder name from the file's path: 1 is the folder holding the
    /// file, 2 the one above, and so on.
    pub from_path: Option<usize>,
    /// A number multiplied into the value: a unit conversion such as
    /// `1000` (tonnes → kg) or `0.01` (per quintal → per kg). Written as a
    /// string (`"0.01"`) it is taken exactly; as a TOML float, through its
    /// shortest decimal form.
    pub factor: Option<toml::Value>,
    /// Cell contents that mean "no value" (such as `NR`); the field is then
    /// empty.
    #[serde(default)]
    pub null_values: Vec<String>,
}

impl FieldSource {
    /// The conversion factor, exact; 1 when none is given.
    pub fn factor(&self) -> Result<Decimal, String> {
        let text = match &self.factor {
            None => return Ok(Decimal::ONE),
            Some(toml::Value::String(s)) => s.clone(),
            Some(toml::Value::Integer(i)) => i.to_string(),
            Some(toml::Value::Float(f)) => f.to_string(),
            Some(other) => return Err(format!("factor {other} is not a number")),
        };
        Decimal::parse(&text, DecimalMark::Point)
            .filter(|d| d.is_positive())
            .ok_or_else(|| format!("factor `{text}` is not a positive decimal number such as 1000 or \"0.01\""))
    }
}

/// A rule that skips rows.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkipRule {
    /// Skip rows where all these columns are empty (after fill-down).
    #[serde(default)]
    pub when_empty: Vec<String>,
    /// Skip rows where `column` contains one of `values`.
    pub column: Option<String>,
    /// See `column`.
    #[serde(default)]
    pub values: Vec<String>,
    /// Written to the rejects file as the detail of each skipped row.
    pub reason: String,
}

/// Products created from sale files.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewProducts {
    /// The category of every created product.
    pub category: String,
    /// How the unit price is derived from the `prix` field of the
    /// product's accepted rows; only `"median"` exists.
    pub price: String,
}

impl FileMapping {
    fn check(&self, kind: Kind) -> Result<(), String> {
        for (name, source) in &self.fields {
            let normalized = normalize_name(name);
            if !kind.fields().iter().any(|f| f.name == normalized) {
                let known: Vec<&str> = kind.fields().iter().map(|f| f.name).collect();
                return Err(format!(
                    "[{}] has unknown field `{name}`; known fields: {}",
                    kind.table(),
                    known.join(", ")
                ));
            }
            let given = [
                source.column.is_some(),
                source.value.is_some(),
                source.from_path.is_some(),
            ]
            .iter()
            .filter(|b| **b)
            .count();
            if given != 1 {
                return Err(format!(
                    "[{}] field `{name}` needs exactly one of column, value or from_path",
                    kind.table()
                ));
            }
            if source.from_path == Some(0) {
                return Err(format!(
                    "[{}] field `{name}`: from_path counts folders from 1 (the file's own folder)",
                    kind.table()
                ));
            }
            source
                .factor()
                .map_err(|e| format!("[{}] field `{name}`: {e}", kind.table()))?;
        }
        if let Some(separator) = &self.separator {
            separator_byte(separator)?;
        }
        for rule in &self.skip {
            if rule.when_empty.is_empty() && rule.column.is_none() {
                return Err(format!("[{}] a skip rule needs `when_empty` or `column`", kind.table()));
            }
        }
        if let Some(new) = &self.new_products {
            if kind != Kind::Sales {
                return Err(format!("[{}] new_products only applies to [ventes]", kind.table()));
            }
            if new.price != "median" {
                return Err(format!(
                    "[ventes.new_products] price `{}` is unknown; use \"median\"",
                    new.price
                ));
            }
            if new.category.trim().is_empty() {
                return Err("[ventes.new_products] category is empty".to_owned());
            }
        }
        Ok(())
    }

    /// The forced separator as a byte, if any.
    pub fn separator(&self) -> Option<u8> {
        self.separator.as_deref().and_then(|s| separator_byte(s).ok())
    }
}

fn separator_byte(text: &str) -> Result<u8, String> {
    match text {
        "," => Ok(b','),
        ";" => Ok(b';'),
        "\t" | "tab" => Ok(b'\t'),
        other => Err(format!("separator `{other}` is not one of \",\", \";\", \"tab\"")),
    }
}
