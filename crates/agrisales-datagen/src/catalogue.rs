//! Reference data: the 13 metropolitan French regions and a catalogue of
//! agricultural products with plausible 2023–2025 producer prices.

use agrisales_domain::{Cents, NewProduct, NewRegion, Product, Region};

/// A region with its sales profile.
pub(crate) struct RegionProfile {
    pub name: &'static str,
    /// Municipal population, INSEE "populations légales 2021" (reference
    /// date 1 January 2021, in force from 1 January 2024).
    pub population: i64,
    /// Categories this region sells more of, with their multiplier.
    pub specialities: &'static [(&'static str, f64)],
}

pub(crate) const REGIONS: [RegionProfile; 13] = [
    RegionProfile {
        name: "Auvergne-Rhône-Alpes",
        population: 8_114_361,
        specialities: &[("produits laitiers", 1.6), ("fruits", 1.3), ("vins", 1.2)],
    },
    RegionProfile {
        name: "Bourgogne-Franche-Comté",
        population: 2_800_194,
        specialities: &[("vins", 2.2), ("produits laitiers", 1.5), ("viandes", 1.4)],
    },
    RegionProfile {
        name: "Bretagne",
        population: 3_394_567,
        specialities: &[("viandes", 2.0), ("légumes", 1.8), ("produits laitiers", 1.5)],
    },
    RegionProfile {
        name: "Centre-Val de Loire",
        population: 2_573_303,
        specialities: &[("céréales", 2.2), ("oléagineux", 1.9)],
    },
    RegionProfile {
        name: "Corse",
        population: 347_597,
        specialities: &[("fruits", 1.6), ("vins", 1.5), ("viandes", 1.2)],
    },
    RegionProfile {
        name: "Grand Est",
        population: 5_561_287,
        specialities: &[("céréales", 1.6), ("vins", 1.7), ("oléagineux", 1.5)],
    },
    RegionProfile {
        name: "Hauts-de-France",
        population: 5_995_292,
        specialities: &[("céréales", 1.8), ("légumes", 1.6)],
    },
    RegionProfile {
        name: "Île-de-France",
        population: 12_317_279,
        specialities: &[("céréales", 0.6), ("viandes", 0.8), ("vins", 0.9)],
    },
    RegionProfile {
        name: "Normandie",
        population: 3_327_966,
        specialities: &[("produits laitiers", 2.2), ("viandes", 1.4), ("fruits", 1.2)],
    },
    RegionProfile {
        name: "Nouvelle-Aquitaine",
        population: 6_069_352,
        specialities: &[("vins", 1.9), ("oléagineux", 1.4), ("fruits", 1.2)],
    },
    RegionProfile {
        name: "Occitanie",
        population: 6_022_176,
        specialities: &[("vins", 1.8), ("fruits", 1.5), ("céréales", 1.2)],
    },
    RegionProfile {
        name: "Pays de la Loire",
        population: 3_853_999,
        specialities: &[("viandes", 1.7), ("légumes", 1.4), ("produits laitiers", 1.3)],
    },
    RegionProfile {
        name: "Provence-Alpes-Côte d'Azur",
        population: 5_127_840,
        specialities: &[("fruits", 1.9), ("légumes", 1.3), ("vins", 1.4)],
    },
];

/// A category with its seasonal profile and yearly trend.
pub(crate) struct CategoryProfile {
    pub name: &'static str,
    /// Relative demand by month of year, January first; mean about 1.
    pub season: [f64; 12],
    /// Yearly growth of demand (0.03 = +3 % a year).
    pub yearly_growth: f64,
}

pub(crate) const CATEGORIES: [CategoryProfile; 7] = [
    // Grain moves at and after the July–August harvest.
    CategoryProfile {
        name: "céréales",
        season: [0.7, 0.7, 0.8, 0.8, 0.9, 1.2, 1.8, 1.7, 1.2, 0.9, 0.8, 0.8],
        yearly_growth: 0.01,
    },
    CategoryProfile {
        name: "fruits",
        season: [0.4, 0.4, 0.5, 0.7, 1.1, 1.6, 1.9, 1.8, 1.3, 0.9, 0.6, 0.5],
        yearly_growth: 0.04,
    },
    CategoryProfile {
        name: "légumes",
        season: [0.8, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.2, 1.1, 1.0, 0.9, 0.9],
        yearly_growth: 0.03,
    },
    // Cheese and butter peak before Christmas.
    CategoryProfile {
        name: "produits laitiers",
        season: [0.9, 0.9, 1.0, 1.1, 1.1, 1.0, 0.9, 0.9, 1.0, 1.0, 1.1, 1.4],
        yearly_growth: 0.015,
    },
    // Easter lamb, summer barbecues, year-end feasts.
    CategoryProfile {
        name: "viandes",
        season: [0.9, 0.9, 1.1, 1.2, 1.0, 1.0, 1.1, 1.1, 0.9, 0.9, 1.0, 1.3],
        yearly_growth: 0.01,
    },
    // Harvest fairs in September, year-end sparkling wine.
    CategoryProfile {
        name: "vins",
        season: [0.7, 0.7, 0.8, 0.9, 1.0, 1.0, 1.0, 0.9, 1.2, 1.1, 1.2, 1.8],
        yearly_growth: -0.02,
    },
    CategoryProfile {
        name: "oléagineux",
        season: [0.6, 0.6, 0.7, 0.8, 0.9, 1.2, 1.8, 1.6, 1.5, 1.0, 0.7, 0.6],
        yearly_growth: 0.02,
    },
];

/// A product with its price, usual lot size and relative popularity.
pub(crate) struct ProductProfile {
    pub name: &'static str,
    pub category: &'static str,
    /// Euro cents per kilogram (per litre for wine).
    pub price_cents: i64,
    /// Median quantity of one sale, in kilograms.
    pub typical_lot_kg: f64,
    /// Relative number of sales against other products.
    pub popularity: f64,
}

macro_rules! product {
    ($name:expr, $category:expr, $cents:expr, $lot:expr, $popularity:expr) => {
        ProductProfile {
            name: $name,
            category: $category,
            price_cents: $cents,
            typical_lot_kg: $lot,
            popularity: $popularity,
        }
    };
}

pub(crate) const PRODUCTS: [ProductProfile; 42] = [
    product!("Blé tendre", "céréales", 24, 800.0, 1.6),
    product!("Blé dur", "céréales", 33, 600.0, 0.8),
    product!("Orge de brasserie", "céréales", 22, 700.0, 0.9),
    product!("Maïs grain", "céréales", 20, 900.0, 1.1),
    product!("Riz de Camargue", "céréales", 210, 60.0, 0.4),
    product!("Avoine", "céréales", 24, 500.0, 0.5),
    product!("Pommes", "fruits", 180, 40.0, 1.8),
    product!("Poires", "fruits", 220, 30.0, 0.8),
    product!("Fraises", "fruits", 650, 12.0, 1.2),
    product!("Cerises", "fruits", 700, 10.0, 0.7),
    product!("Abricots", "fruits", 350, 20.0, 0.8),
    product!("Pêches", "fruits", 300, 25.0, 0.9),
    product!("Raisin de table", "fruits", 320, 20.0, 0.6),
    product!("Melons", "fruits", 250, 30.0, 0.9),
    product!("Pommes de terre", "légumes", 90, 120.0, 1.9),
    product!("Carottes", "légumes", 110, 60.0, 1.3),
    product!("Tomates", "légumes", 280, 35.0, 1.5),
    product!("Salades", "légumes", 200, 15.0, 1.0),
    product!("Poireaux", "légumes", 190, 30.0, 0.8),
    product!("Choux-fleurs", "légumes", 180, 40.0, 0.7),
    product!("Endives", "légumes", 320, 20.0, 0.6),
    product!("Haricots verts", "légumes", 450, 15.0, 0.7),
    product!("Lait cru", "produits laitiers", 45, 400.0, 1.7),
    product!("Beurre", "produits laitiers", 950, 10.0, 0.9),
    product!("Comté", "produits laitiers", 1650, 6.0, 0.7),
    product!("Camembert", "produits laitiers", 1100, 5.0, 0.8),
    product!("Crème fraîche", "produits laitiers", 480, 12.0, 0.8),
    product!("Yaourt fermier", "produits laitiers", 390, 15.0, 0.7),
    product!("Bœuf", "viandes", 620, 60.0, 1.2),
    product!("Porc", "viandes", 210, 80.0, 1.3),
    product!("Agneau", "viandes", 980, 25.0, 0.5),
    product!("Volaille", "viandes", 420, 40.0, 1.2),
    product!("Veau", "viandes", 1050, 30.0, 0.5),
    product!("Vin rouge AOP", "vins", 650, 120.0, 1.3),
    product!("Vin blanc AOP", "vins", 720, 100.0, 0.9),
    product!("Champagne", "vins", 2800, 30.0, 0.5),
    product!("Rosé de Provence", "vins", 780, 90.0, 0.7),
    product!("Colza", "oléagineux", 48, 1500.0, 1.0),
    product!("Tournesol", "oléagineux", 45, 1200.0, 0.8),
    product!("Soja", "oléagineux", 42, 1000.0, 0.4),
    product!("Noix", "oléagineux", 850, 25.0, 0.5),
    product!("Lin oléagineux", "oléagineux", 55, 800.0, 0.3),
];

/// Returns the 13 metropolitan French regions with their INSEE population
/// ("populations légales 2021", in force from 1 January 2024).
pub fn regions() -> Vec<NewRegion> {
    REGIONS
        .iter()
        .map(|r| NewRegion {
            name: r.name.to_owned(),
            population: r.population,
        })
        .collect()
}

/// Returns the product catalogue: 42 products in 7 categories.
pub fn products() -> Vec<NewProduct> {
    PRODUCTS
        .iter()
        .map(|p| NewProduct {
            name: p.name.to_owned(),
            category: p.category.to_owned(),
            unit_price: Cents::new(p.price_cents),
        })
        .collect()
}

/// Returns the regions and products numbered from 1 in catalogue order, as
/// a fresh database assigns their ids. Tests and benchmarks without a
/// database use it.
pub fn numbered_catalogue() -> (Vec<Region>, Vec<Product>) {
    let regions = regions()
        .into_iter()
        .zip(1..)
        .map(|(r, id)| Region {
            id,
            name: r.name,
            population: r.population,
        })
        .collect();
    let products = products()
        .into_iter()
        .zip(1..)
        .map(|(p, id)| Product {
            id,
            name: p.name,
            category: p.category,
            unit_price: p.unit_price,
        })
        .collect();
    (regions, products)
}
