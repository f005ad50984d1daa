//! Diesel table definitions. Rust column names drop the accents of the
//! persisted names, which `sql_name` keeps.

diesel::table! {
    regions (id_region) {
        id_region -> Int4,
        nom_region -> Text,
        population -> Int8,
    }
}

diesel::table! {
    produits (id_produit) {
        id_produit -> Int4,
        nom -> Text,
        #[sql_name = "catégorie"]
        categorie -> Text,
        prix_unitaire -> Numeric,
    }
}

diesel::table! {
    ventes (id_vente) {
        id_vente -> Int8,
        id_produit -> Int4,
        #[sql_name = "quantité"]
        quantite -> Numeric,
        date_vente -> Date,
        region_vente -> Int4,
    }
}

diesel::joinable!(ventes -> produits (id_produit));
diesel::joinable!(ventes -> regions (region_vente));
diesel::allow_tables_to_appear_in_same_query!(regions, produits, ventes);
