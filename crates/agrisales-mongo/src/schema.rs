//! Validators and indexes of the two collections.

use mongodb::bson::{Document, doc};

/// Name of the monthly aggregates collection.
pub const AGGREGATES_COLLECTION: &str = "agrégats_ventes";

/// Name of the popularity forecasts collection.
pub const FORECASTS_COLLECTION: &str = "prévisions_popularité";

/// `YYYY-MM` with a month from 01 to 12.
const MONTH_PATTERN: &str = "^[0-9]{4}-(0[1-9]|1[0-2])$";

/// Builds the `$jsonSchema` validator of `agrégats_ventes`.
pub fn aggregates_validator() -> Document {
    doc! { "$jsonSchema": {
        "bsonType": "object",
        "required": ["id_region", "région", "catégorie", "mois", "quantité_totale", "chiffre_affaires", "nombre_ventes"],
        "properties": {
            "id_region": { "bsonType": ["int", "long"] },
            "région": { "bsonType": "string", "minLength": 1 },
            "catégorie": { "bsonType": "string", "minLength": 1 },
            "mois": { "bsonType": "string", "pattern": MONTH_PATTERN },
            "année": { "bsonType": ["int", "long"] },
            "quantité_totale": { "bsonType": ["decimal", "double"], "minimum": 0 },
            "chiffre_affaires": { "bsonType": ["decimal", "double"], "minimum": 0 },
            "chiffre_affaires_exact": { "bsonType": ["decimal", "double"], "minimum": 0 },
            "nombre_ventes": { "bsonType": ["int", "long"], "minimum": 1 },
            "évolution_mois_précédent": { "bsonType": ["double", "null"] },
            "évolution_annuelle": { "bsonType": ["double", "null"] },
        },
    } }
}

/// Builds the `$jsonSchema` validator of `prévisions_popularité`.
pub fn forecasts_validator() -> Document {
    doc! { "$jsonSchema": {
        "bsonType": "object",
        "required": [
            "id_produit", "nom", "catégorie", "mois", "quantité_prévue", "borne_basse", "borne_haute",
            "rang_popularité", "modèle", "score_backtest",
        ],
        "properties": {
            "id_produit": { "bsonType": ["int", "long"] },
            "nom": { "bsonType": "string", "minLength": 1 },
            "catégorie": { "bsonType": "string", "minLength": 1 },
            "mois": { "bsonType": "string", "pattern": MONTH_PATTERN },
            "horizon": { "bsonType": ["int", "long"], "minimum": 1 },
            "quantité_prévue": { "bsonType": "double", "minimum": 0 },
            "borne_basse": { "bsonType": "double", "minimum": 0 },
            "borne_haute": { "bsonType": "double", "minimum": 0 },
            "niveau_intervalle": { "bsonType": "double", "minimum": 0, "maximum": 1 },
            "rang_popularité": { "bsonType": ["int", "long"], "minimum": 1 },
            "rang_catégorie": { "bsonType": ["int", "long"], "minimum": 1 },
            "modèle": { "bsonType": "string", "minLength": 1 },
            "score_backtest": { "bsonType": ["double", "null"] },
            "valeur_plancher": { "bsonType": "bool" },
        },
    } }
}

/// An index to create: its name, key pattern and uniqueness.
pub(crate) struct IndexSpec {
    pub name: &'static str,
    pub keys: Document,
    pub unique: bool,
}

/// Indexes of `agrégats_ventes`: the data contract's unique key, and one
/// index each for the monthly reads by region and by category. The last
/// key of each read index matches the read's secondary sort, so the
/// server returns index order and never sorts in memory.
pub(crate) fn aggregates_indexes() -> Vec<IndexSpec> {
    vec![
        IndexSpec {
            name: "cle_region_categorie_mois",
            keys: doc! { "id_region": 1, "catégorie": 1, "mois": 1 },
            unique: true,
        },
        IndexSpec {
            name: "region_mois_categorie",
            keys: doc! { "id_region": 1, "mois": 1, "catégorie": 1 },
            unique: false,
        },
        IndexSpec {
            name: "categorie_mois_region",
            keys: doc! { "catégorie": 1, "mois": 1, "id_region": 1 },
            unique: false,
        },
    ]
}

/// Indexes of `prévisions_popularité`: the unique (product, month) key and
/// the ranking of a month.
pub(crate) fn forecasts_indexes() -> Vec<IndexSpec> {
    vec![
        IndexSpec {
            name: "cle_produit_mois",
            keys: doc! { "id_produit": 1, "mois": 1 },
            unique: true,
        },
        IndexSpec {
            name: "mois_rang",
            keys: doc! { "mois": 1, "rang_popularité": 1 },
            unique: false,
        },
    ]
}
