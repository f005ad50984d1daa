//! The six analyses on a hand-made fixture whose results were worked out
//! by hand: ties, a region without sales, a product without sales, a gap
//! in a product's history and a date range that cuts months.

use agrisales_domain::{Cents, NewProduct, NewRegion, NewSale, Quantity, YearMonth};
use agrisales_postgres::{DateRange, PgError, PgRepository, ProductRef};
use agrisales_testkit::TestPostgres;
use chrono::NaiveDate;

struct Fixture {
    _db: TestPostgres,
    repo: PgRepository,
    /// Ids of Alpha, Beta, Delta.
    regions: [i32; 3],
    /// Ids of Pommes, Poires, Fraises, Comté.
    products: [i32; 4],
}

fn date(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn milli(text: &str) -> Quantity {
    text.parse().unwrap()
}

fn month(text: &str) -> YearMonth {
    text.parse().unwrap()
}

/// Regions Alpha (1,000 inhabitants), Beta (500), Delta (200, no sales).
/// Products Pommes (fruits, 2 €), Poires (fruits, 3 €), Fraises (fruits,
/// 5 €, no sales), Comté (produits laitiers, 10 €). Six sales:
///
/// | date       | product | region | kg    | €     |
/// |------------|---------|--------|-------|-------|
/// | 2024-01-10 | Pommes  | Alpha  | 10    | 20.00 |
/// | 2024-01-20 | Poires  | Alpha  | 5     | 15.00 |
/// | 2024-03-05 | Pommes  | Beta   | 2.5   | 5.00  |
/// | 2024-03-15 | Poires  | Beta   | 7.5   | 22.50 |
/// | 2024-01-31 | Comté   | Beta   | 1     | 10.00 |
/// | 2024-02-01 | Comté   | Alpha  | 0.5   | 5.00  |
///
/// Pommes and Poires tie at 12.5 kg; Pommes has no sale in February.
fn fixture() -> Fixture {
    let db = TestPostgres::create();
    let mut repo = PgRepository::connect(db.url()).unwrap();
    repo.run_migrations().unwrap();

    let regions: Vec<i32> = repo
        .insert_regions(&[
            NewRegion {
                name: "Alpha".into(),
                population: 1_000,
            },
            NewRegion {
                name: "Beta".into(),
                population: 500,
            },
            NewRegion {
                name: "Delta".into(),
                population: 200,
            },
        ])
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    let product = |name: &str, category: &str, cents| NewProduct {
        name: name.into(),
        category: category.into(),
        unit_price: Cents::new(cents),
    };
    let products: Vec<i32> = repo
        .insert_products(&[
            product("Pommes", "fruits", 200),
            product("Poires", "fruits", 300),
            product("Fraises", "fruits", 500),
            product("Comté", "produits laitiers", 1_000),
        ])
        .unwrap()
        .iter()
        .map(|p| p.id)
        .collect();

    let (alpha, beta) = (regions[0], regions[1]);
    let (pommes, poires, comte) = (products[0], products[1], products[3]);
    let sale = |d: &str, product_id, region_id, kg: &str| NewSale {
        product_id,
        quantity: milli(kg),
        date: date(d),
        region_id,
    };
    let sales = vec![
        sale("2024-01-10", pommes, alpha, "10"),
        sale("2024-01-20", poires, alpha, "5"),
        sale("2024-03-05", pommes, beta, "2.5"),
        sale("2024-03-15", poires, beta, "7.5"),
        sale("2024-01-31", comte, beta, "1"),
        sale("2024-02-01", comte, alpha, "0.5"),
    ];
    repo.copy_sales(sales.into_iter(), 100, |_| {}).unwrap();

    Fixture {
        _db: db,
        repo,
        regions: [regions[0], regions[1], regions[2]],
        products: [products[0], products[1], products[2], products[3]],
    }
}

/// [2024-01-15, 2024-03-10): drops the sales of 2024-01-10 and 2024-03-15.
fn cut_range() -> DateRange {
    DateRange::new(Some(date("2024-01-15")), Some(date("2024-03-10"))).unwrap()
}

#[test]
fn sales_by_region_month_by_hand() {
    let mut f = fixture();
    let rows = f.repo.sales_by_region_month(DateRange::all()).unwrap();
    let got: Vec<(i32, String, i64, i64, i64)> = rows
        .iter()
        .map(|r| {
            (
                r.id_region,
                r.mois.to_string(),
                r.quantite_totale.milli(),
                r.chiffre_affaires.get(),
                r.nombre_ventes,
            )
        })
        .collect();
    let [alpha, beta, _] = f.regions;
    assert_eq!(
        got,
        vec![
            (alpha, "2024-01".into(), 15_000, 3_500, 2),
            (alpha, "2024-02".into(), 500, 500, 1),
            (beta, "2024-01".into(), 1_000, 1_000, 1),
            (beta, "2024-03".into(), 10_000, 2_750, 2),
        ]
    );
    assert_eq!(rows[0].nom_region, "Alpha");
}

#[test]
fn sales_by_region_month_cut_range() {
    let mut f = fixture();
    let rows = f.repo.sales_by_region_month(cut_range()).unwrap();
    let got: Vec<(i32, String, i64, i64)> = rows
        .iter()
        .map(|r| {
            (
                r.id_region,
                r.mois.to_string(),
                r.quantite_totale.milli(),
                r.chiffre_affaires.get(),
            )
        })
        .collect();
    let [alpha, beta, _] = f.regions;
    assert_eq!(
        got,
        vec![
            (alpha, "2024-01".into(), 5_000, 1_500),
            (alpha, "2024-02".into(), 500, 500),
            (beta, "2024-01".into(), 1_000, 1_000),
            (beta, "2024-03".into(), 2_500, 500),
        ]
    );
}

#[test]
fn top_products_share_rank_on_tie() {
    let mut f = fixture();
    let rows = f.repo.top_products_by_category(DateRange::all(), 1).unwrap();
    let got: Vec<(i32, String, i64, i64)> = rows
        .iter()
        .map(|r| (r.id_produit, r.categorie.clone(), r.quantite_totale.milli(), r.rang))
        .collect();
    let [pommes, poires, _, comte] = f.products;
    // Both fruits tie for rank 1, so the limit of 1 keeps both.
    assert_eq!(
        got,
        vec![
            (pommes, "fruits".into(), 12_500, 1),
            (poires, "fruits".into(), 12_500, 1),
            (comte, "produits laitiers".into(), 1_500, 1)
        ]
    );
}

#[test]
fn top_products_skip_unsold_product() {
    let mut f = fixture();
    let rows = f.repo.top_products_by_category(DateRange::all(), 3).unwrap();
    assert!(
        rows.iter().all(|r| r.id_produit != f.products[2]),
        "Fraises has no sale"
    );
    assert_eq!(rows.len(), 3);
}

#[test]
fn ranks_skip_after_a_tie() {
    let mut f = fixture();
    // One kilogram of Fraises: behind the two fruits tied at 12.5 kg.
    let sale = NewSale {
        product_id: f.products[2],
        quantity: milli("1"),
        date: date("2024-01-05"),
        region_id: f.regions[0],
    };
    f.repo.copy_sales(std::iter::once(sale), 10, |_| {}).unwrap();

    let rows = f.repo.top_products_by_category(DateRange::all(), 3).unwrap();

    let fruits: Vec<(i32, i64)> = rows
        .iter()
        .filter(|r| r.categorie == "fruits")
        .map(|r| (r.id_produit, r.rang))
        .collect();
    let [pommes, poires, fraises, _] = f.products;
    assert_eq!(fruits, vec![(pommes, 1), (poires, 1), (fraises, 3)]);
}

#[test]
fn top_products_cut_range() {
    let mut f = fixture();
    let rows = f.repo.top_products_by_category(cut_range(), 2).unwrap();
    let fruits: Vec<(i32, i64, i64)> = rows
        .iter()
        .filter(|r| r.categorie == "fruits")
        .map(|r| (r.id_produit, r.quantite_totale.milli(), r.rang))
        .collect();
    let [pommes, poires, _, _] = f.products;
    assert_eq!(fruits, vec![(poires, 5_000, 1), (pommes, 2_500, 2)]);
}

#[test]
fn lowest_regions_include_region_without_sales() {
    let mut f = fixture();
    let rows = f.repo.lowest_sales_regions(DateRange::all()).unwrap();
    let got: Vec<(i32, i64, i64, i64)> = rows
        .iter()
        .map(|r| (r.id_region, r.chiffre_affaires.get(), r.rang, r.rang_par_habitant))
        .collect();
    let [alpha, beta, delta] = f.regions;
    assert_eq!(got, vec![(delta, 0, 1, 1), (beta, 3_750, 2, 3), (alpha, 4_000, 3, 2)]);

    let per_inhabitant: Vec<f64> = rows.iter().map(|r| r.chiffre_affaires_par_habitant.unwrap()).collect();
    assert_eq!(per_inhabitant, vec![0.0, 0.075, 0.04]);
    assert_eq!(rows[0].population, 200);
}

#[test]
fn top_revenue_products_per_region() {
    let mut f = fixture();
    let rows = f.repo.top_revenue_products_by_region(DateRange::all(), 2).unwrap();
    let got: Vec<(i32, i32, i64, i64)> = rows
        .iter()
        .map(|r| (r.id_region, r.id_produit, r.chiffre_affaires.get(), r.rang))
        .collect();
    let [alpha, beta, _] = f.regions;
    let [pommes, poires, _, comte] = f.products;
    assert_eq!(
        got,
        vec![
            (alpha, pommes, 2_000, 1),
            (alpha, poires, 1_500, 2),
            (beta, poires, 2_250, 1),
            (beta, comte, 1_000, 2)
        ]
    );
}

#[test]
fn top_categories_per_region() {
    let mut f = fixture();
    let rows = f.repo.top_categories_by_region(DateRange::all(), 5).unwrap();
    let got: Vec<(i32, String, i64, i64, i64)> = rows
        .iter()
        .map(|r| {
            (
                r.id_region,
                r.categorie.clone(),
                r.chiffre_affaires.get(),
                r.nombre_ventes,
                r.rang,
            )
        })
        .collect();
    let [alpha, beta, _] = f.regions;
    assert_eq!(
        got,
        vec![
            (alpha, "fruits".into(), 3_500, 2, 1),
            (alpha, "produits laitiers".into(), 500, 1, 2),
            (beta, "fruits".into(), 2_750, 2, 1),
            (beta, "produits laitiers".into(), 1_000, 1, 2),
        ]
    );
}

#[test]
fn history_fills_month_gap() {
    let mut f = fixture();
    let rows = f
        .repo
        .product_monthly_history(&ProductRef::Name("pommes".into()), DateRange::all())
        .unwrap();
    let got: Vec<(YearMonth, i64, i64)> = rows
        .iter()
        .map(|r| (r.mois, r.quantite_totale.milli(), r.nombre_ventes))
        .collect();
    assert_eq!(
        got,
        vec![
            (month("2024-01"), 10_000, 1),
            (month("2024-02"), 0, 0),
            (month("2024-03"), 2_500, 1)
        ]
    );
    assert!(rows.iter().all(|r| r.nom == "Pommes" && r.id_produit == f.products[0]));
}

#[test]
fn history_by_id_with_cut_range() {
    let mut f = fixture();
    let rows = f
        .repo
        .product_monthly_history(&ProductRef::Id(f.products[0]), cut_range())
        .unwrap();
    let got: Vec<(YearMonth, i64)> = rows.iter().map(|r| (r.mois, r.quantite_totale.milli())).collect();
    assert_eq!(got, vec![(month("2024-03"), 2_500)]);
}

#[test]
fn history_of_unsold_product_is_empty() {
    let mut f = fixture();
    let rows = f
        .repo
        .product_monthly_history(&ProductRef::Name("Fraises".into()), DateRange::all())
        .unwrap();
    assert!(rows.is_empty());
}

#[test]
fn unknown_product_name_is_rejected() {
    let mut f = fixture();
    let error = f
        .repo
        .product_monthly_history(&ProductRef::Name("Kiwi".into()), DateRange::all())
        .unwrap_err();
    assert!(matches!(error, PgError::NotFound { what: "product", .. }), "{error}");
    assert!(error.to_string().contains("`Kiwi` not found"), "{error}");
}

#[test]
fn bad_ranges_are_rejected() {
    let reversed = DateRange::new(Some(date("2024-03-01")), Some(date("2024-01-01"))).unwrap_err();
    assert!(
        reversed.to_string().contains("start must be before the end"),
        "{reversed}"
    );
    let empty = DateRange::new(Some(date("2024-03-01")), Some(date("2024-03-01")));
    assert!(empty.is_err());
}

#[test]
fn zero_top_is_rejected() {
    let mut f = fixture();
    for result in [
        f.repo.top_products_by_category(DateRange::all(), 0).map(|_| ()),
        f.repo.top_revenue_products_by_region(DateRange::all(), 0).map(|_| ()),
        f.repo.top_categories_by_region(DateRange::all(), 0).map(|_| ()),
    ] {
        let error = result.unwrap_err();
        assert!(error.to_string().contains("invalid top 0"), "{error}");
    }
}

#[test]
fn product_ref_parses_ids_and_names() {
    assert_eq!("42".parse::<ProductRef>().unwrap(), ProductRef::Id(42));
    assert_eq!(
        " Blé tendre ".parse::<ProductRef>().unwrap(),
        ProductRef::Name("Blé tendre".into())
    );
}
