//! Each analysis on generated data equals an independent computation in
//! Rust over the raw rows.

use std::collections::{BTreeMap, BTreeSet};

use agrisales_datagen::{GeneratorConfig, SalesGenerator, products, regions};
use agrisales_domain::{Product, Region, Revenue, YearMonth};
use agrisales_postgres::{DateRange, PgRepository, ProductRef};
use agrisales_testkit::TestPostgres;
use chrono::NaiveDate;
use diesel::RunQueryDsl;
use diesel::sql_types::{BigInt, Date, Integer};

#[derive(diesel::QueryableByName, Clone)]
struct RawSale {
    #[diesel(sql_type = Integer)]
    id_produit: i32,
    #[diesel(sql_type = Integer)]
    region_vente: i32,
    #[diesel(sql_type = Date)]
    date_vente: NaiveDate,
    #[diesel(sql_type = BigInt)]
    milli: i64,
}

struct Data {
    _db: TestPostgres,
    repo: PgRepository,
    regions: Vec<Region>,
    products: Vec<Product>,
    sales: Vec<RawSale>,
    range: DateRange,
}

/// Sums of a group: thousandths of kg, revenue in 10⁻⁵ €, sales.
#[derive(Default, Clone, Copy)]
struct Sums {
    milli: i64,
    revenue: i128,
    count: i64,
}

impl Sums {
    fn add(&mut self, sale: &RawSale, price_cents: i64) {
        self.milli += sale.milli;
        self.revenue += i128::from(sale.milli) * i128::from(price_cents);
        self.count += 1;
    }

    fn cents(&self) -> i64 {
        Revenue::from_raw(self.revenue).to_cents_rounded().get()
    }
}

fn data() -> Data {
    let db = TestPostgres::create();
    let mut repo = PgRepository::connect(db.url()).unwrap();
    repo.run_migrations().unwrap();
    let (regions, products) = repo
        .transaction(|repo| {
            let regions = repo.insert_regions(&regions())?;
            // Leave the last product unsold.
            let products = repo.insert_products(&products())?;
            let sold = &products[..products.len() - 1];
            let config = GeneratorConfig {
                rows: 15_000,
                seed: 3,
                ..GeneratorConfig::default()
            };
            repo.copy_sales(SalesGenerator::new(&config, &regions, sold).unwrap(), 5_000, |_| {})?;
            Ok::<_, agrisales_postgres::PgError>((regions, products))
        })
        .unwrap();
    let all: Vec<RawSale> = diesel::sql_query(
        "SELECT id_produit, region_vente, date_vente, (\"quantité\" * 1000)::int8 AS milli FROM ventes",
    )
    .load(repo.connection())
    .unwrap();

    let start = NaiveDate::from_ymd_opt(2023, 3, 15).unwrap();
    let end = NaiveDate::from_ymd_opt(2025, 2, 10).unwrap();
    let range = DateRange::new(Some(start), Some(end)).unwrap();
    let sales = all
        .into_iter()
        .filter(|s| s.date_vente >= start && s.date_vente < end)
        .collect();
    Data {
        _db: db,
        repo,
        regions,
        products,
        sales,
        range,
    }
}

fn product(d: &Data, id: i32) -> &Product {
    d.products.iter().find(|p| p.id == id).unwrap()
}

/// Returns competition ranks ("1224") of `values`, by descending or
/// ascending value.
fn ranks<K: Ord + Clone>(values: &[(K, i128)], descending: bool) -> BTreeMap<K, i64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| if descending { b.1.cmp(&a.1) } else { a.1.cmp(&b.1) });
    let mut result = BTreeMap::new();
    let mut rank = 0;
    for (i, (key, value)) in sorted.iter().enumerate() {
        if i == 0 || sorted[i - 1].1 != *value {
            rank = i as i64 + 1;
        }
        result.insert(key.clone(), rank);
    }
    result
}

#[test]
fn sales_by_region_month_matches_rust() {
    let mut d = data();
    let mut expected: BTreeMap<(i32, YearMonth), Sums> = BTreeMap::new();
    for s in &d.sales {
        let price = product(&d, s.id_produit).unit_price.get();
        expected
            .entry((s.region_vente, YearMonth::of(s.date_vente)))
            .or_default()
            .add(s, price);
    }

    let rows = d.repo.sales_by_region_month(d.range).unwrap();

    assert_eq!(rows.len(), expected.len());
    for row in rows {
        let sums = expected[&(row.id_region, row.mois)];
        assert_eq!(row.quantite_totale.milli(), sums.milli);
        assert_eq!(row.chiffre_affaires.get(), sums.cents());
        assert_eq!(row.nombre_ventes, sums.count);
    }
}

#[test]
fn top_products_by_category_matches_rust() {
    let mut d = data();
    let mut per_product: BTreeMap<i32, Sums> = BTreeMap::new();
    for s in &d.sales {
        let price = product(&d, s.id_produit).unit_price.get();
        per_product.entry(s.id_produit).or_default().add(s, price);
    }
    let categories: BTreeSet<String> = d.products.iter().map(|p| p.category.clone()).collect();
    let mut expected = BTreeMap::new();
    for category in &categories {
        let values: Vec<(i32, i128)> = d
            .products
            .iter()
            .filter(|p| &p.category == category && per_product.contains_key(&p.id))
            .map(|p| (p.id, i128::from(per_product[&p.id].milli)))
            .collect();
        for (id, rank) in ranks(&values, true) {
            if rank <= 3 {
                expected.insert(id, rank);
            }
        }
    }

    let rows = d.repo.top_products_by_category(d.range, 3).unwrap();

    let got: BTreeMap<i32, i64> = rows.iter().map(|r| (r.id_produit, r.rang)).collect();
    assert_eq!(got, expected);
    for row in &rows {
        assert_eq!(row.quantite_totale.milli(), per_product[&row.id_produit].milli);
        assert_eq!(row.chiffre_affaires.get(), per_product[&row.id_produit].cents());
    }
}

#[test]
fn lowest_sales_regions_match_rust() {
    let mut d = data();
    let mut per_region: BTreeMap<i32, Sums> = d.regions.iter().map(|r| (r.id, Sums::default())).collect();
    for s in &d.sales {
        let price = product(&d, s.id_produit).unit_price.get();
        per_region.get_mut(&s.region_vente).unwrap().add(s, price);
    }
    let values: Vec<(i32, i128)> = per_region.iter().map(|(id, s)| (*id, i128::from(s.cents()))).collect();
    let expected_ranks = ranks(&values, false);

    let rows = d.repo.lowest_sales_regions(d.range).unwrap();

    assert_eq!(rows.len(), d.regions.len());
    for row in &rows {
        let region = d.regions.iter().find(|r| r.id == row.id_region).unwrap();
        let cents = per_region[&row.id_region].cents();
        assert_eq!(row.chiffre_affaires.get(), cents);
        assert_eq!(row.rang, expected_ranks[&row.id_region]);
        let per_inhabitant = cents as f64 / 100.0 / region.population as f64;
        let stored = row.chiffre_affaires_par_habitant.unwrap();
        assert!(
            (stored - per_inhabitant).abs() <= 1e-12 * per_inhabitant.max(1.0),
            "{stored} vs {per_inhabitant}"
        );
    }
    assert!(rows.windows(2).all(|w| w[0].chiffre_affaires <= w[1].chiffre_affaires));
}

#[test]
fn top_revenue_products_by_region_match_rust() {
    let mut d = data();
    let mut groups: BTreeMap<(i32, i32), Sums> = BTreeMap::new();
    for s in &d.sales {
        let price = product(&d, s.id_produit).unit_price.get();
        groups.entry((s.region_vente, s.id_produit)).or_default().add(s, price);
    }
    let mut expected = BTreeMap::new();
    for region in &d.regions {
        let values: Vec<((i32, i32), i128)> = groups
            .iter()
            .filter(|((r, _), _)| *r == region.id)
            .map(|(k, s)| (*k, i128::from(s.cents())))
            .collect();
        for (key, rank) in ranks(&values, true) {
            if rank <= 2 {
                expected.insert(key, rank);
            }
        }
    }

    let rows = d.repo.top_revenue_products_by_region(d.range, 2).unwrap();

    let got: BTreeMap<(i32, i32), i64> = rows.iter().map(|r| ((r.id_region, r.id_produit), r.rang)).collect();
    assert_eq!(got, expected);
    for row in &rows {
        assert_eq!(
            row.chiffre_affaires.get(),
            groups[&(row.id_region, row.id_produit)].cents()
        );
    }
}

#[test]
fn top_categories_by_region_match_rust() {
    let mut d = data();
    let mut groups: BTreeMap<(i32, String), Sums> = BTreeMap::new();
    for s in &d.sales {
        let p = product(&d, s.id_produit);
        groups
            .entry((s.region_vente, p.category.clone()))
            .or_default()
            .add(s, p.unit_price.get());
    }
    let mut expected = BTreeMap::new();
    for region in &d.regions {
        let values: Vec<((i32, String), i128)> = groups
            .iter()
            .filter(|((r, _), _)| *r == region.id)
            .map(|(k, s)| (k.clone(), i128::from(s.cents())))
            .collect();
        for (key, rank) in ranks(&values, true) {
            if rank <= 3 {
                expected.insert(key, rank);
            }
        }
    }

    let rows = d.repo.top_categories_by_region(d.range, 3).unwrap();

    let got: BTreeMap<(i32, String), i64> = rows
        .iter()
        .map(|r| ((r.id_region, r.categorie.clone()), r.rang))
        .collect();
    assert_eq!(got, expected);
    for row in &rows {
        let sums = groups[&(row.id_region, row.categorie.clone())];
        assert_eq!(row.quantite_totale.milli(), sums.milli);
        assert_eq!(row.nombre_ventes, sums.count);
    }
}

#[test]
fn product_history_matches_rust() {
    let mut d = data();
    let id = d.products[4].id;
    let price = d.products[4].unit_price.get();
    let mut months: BTreeMap<YearMonth, Sums> = BTreeMap::new();
    for s in d.sales.iter().filter(|s| s.id_produit == id) {
        months.entry(YearMonth::of(s.date_vente)).or_default().add(s, price);
    }
    let first = *months.keys().next().unwrap();
    let last = *months.keys().last().unwrap();

    let rows = d.repo.product_monthly_history(&ProductRef::Id(id), d.range).unwrap();

    assert_eq!(rows.len() as i32, last.ordinal() - first.ordinal() + 1);
    for (offset, row) in rows.iter().enumerate() {
        assert_eq!(row.mois, first.plus(offset as i32));
        let sums = months.get(&row.mois).copied().unwrap_or_default();
        assert_eq!(row.quantite_totale.milli(), sums.milli);
        assert_eq!(row.chiffre_affaires.get(), sums.cents());
        assert_eq!(row.nombre_ventes, sums.count);
    }
}
