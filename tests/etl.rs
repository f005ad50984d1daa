//! End-to-end ETL against the real PostgreSQL and MongoDB servers (see
//! agrisales-testkit for how to start them).

use std::collections::{BTreeMap, HashMap};
use std::process::Command;

use agrisales::datagen::GeneratorConfig;
use agrisales::etl::{EtlConfig, EtlReport, Silent, run_etl, seed_database};
use agrisales::mongo::{AGGREGATES_COLLECTION, FORECASTS_COLLECTION, MongoStore};
use agrisales::postgres::PgRepository;
use agrisales_testkit::{TestMongo, TestPostgres, example_path};
use diesel::RunQueryDsl;
use diesel::sql_types::{BigInt, Integer, Text};
use mongodb::bson::{Bson, Document, doc};

struct Fixture {
    pg: TestPostgres,
    mongo: TestMongo,
    repo: PgRepository,
    store: MongoStore,
}

fn fixture(rows: u64) -> Fixture {
    let pg = TestPostgres::create();
    let mongo = TestMongo::create();
    let mut repo = PgRepository::connect(pg.url()).unwrap();
    repo.run_migrations().unwrap();
    let config = GeneratorConfig {
        rows,
        seed: 7,
        ..GeneratorConfig::default()
    };
    seed_database(&mut repo, &config, |_| {}).unwrap();
    let store = MongoStore::connect(mongo.uri(), mongo.database()).unwrap();
    store.ensure_collections().unwrap();
    Fixture { pg, mongo, repo, store }
}

fn run(f: &mut Fixture) -> EtlReport {
    let config = EtlConfig {
        chunk_rows: 4_096,
        ..EtlConfig::default()
    };
    run_etl(&mut f.repo, &mut f.store, &config, &mut Silent).unwrap()
}

fn documents(store: &MongoStore, collection: &str) -> Vec<Document> {
    store
        .database()
        .collection::<Document>(collection)
        .find(doc! {})
        .sort(doc! { "_id": 1 })
        .run()
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[derive(diesel::QueryableByName, Debug)]
struct SqlGroup {
    #[diesel(sql_type = Integer)]
    id_region: i32,
    #[diesel(sql_type = Text)]
    nom_region: String,
    #[diesel(sql_type = Text)]
    categorie: String,
    #[diesel(sql_type = Text)]
    mois: String,
    #[diesel(sql_type = Text)]
    quantite: String,
    #[diesel(sql_type = Text)]
    chiffre_affaires: String,
    #[diesel(sql_type = Text)]
    chiffre_affaires_exact: String,
    #[diesel(sql_type = BigInt)]
    nombre: i64,
}

/// Computes the reference: PostgreSQL's own GROUP BY over the same rows, with money
/// rounded to the cent after summing.
fn sql_groups(repo: &mut PgRepository) -> Vec<SqlGroup> {
    diesel::sql_query(
        "SELECT v.region_vente AS id_region, r.nom_region, p.\"catégorie\" AS categorie, \
                to_char(date_trunc('month', v.date_vente), 'YYYY-MM') AS mois, \
                sum(v.\"quantité\")::text AS quantite, \
                round(sum(v.\"quantité\" * p.prix_unitaire), 2)::text AS chiffre_affaires, \
                sum(v.\"quantité\" * p.prix_unitaire)::text AS chiffre_affaires_exact, \
                count(*) AS nombre \
         FROM ventes v JOIN produits p USING (id_produit) JOIN regions r ON r.id_region = v.region_vente \
         GROUP BY 1, 2, 3, 4",
    )
    .load(repo.connection())
    .unwrap()
}

fn decimal_text(document: &Document, key: &str) -> String {
    match document.get(key) {
        Some(Bson::Decimal128(d)) => d.to_string(),
        other => panic!("{key} is not a Decimal128: {other:?}"),
    }
}

#[test]
fn aggregates_equal_sql_group_by() {
    let mut f = fixture(30_000);
    let report = run(&mut f);

    let expected = sql_groups(&mut f.repo);
    let stored = documents(&f.store, AGGREGATES_COLLECTION);
    assert_eq!(report.sales_read, 30_000);
    assert_eq!(report.aggregates_written as usize, expected.len());
    assert_eq!(stored.len(), expected.len(), "documents vs SQL groups");

    let by_key: HashMap<(i32, String, String), &Document> = stored
        .iter()
        .map(|d| {
            let key = (
                d.get_i32("id_region").unwrap(),
                d.get_str("catégorie").unwrap().to_owned(),
                d.get_str("mois").unwrap().to_owned(),
            );
            (key, d)
        })
        .collect();
    assert_eq!(by_key.len(), stored.len(), "duplicate keys in agrégats_ventes");

    let mut quantities = BTreeMap::new();
    for group in &expected {
        let key = (group.id_region, group.categorie.clone(), group.mois.clone());
        let document = by_key.get(&key).unwrap_or_else(|| panic!("no document for {key:?}"));
        assert_eq!(document.get_str("région").unwrap(), group.nom_region, "{key:?}");
        assert_eq!(decimal_text(document, "quantité_totale"), group.quantite, "{key:?}");
        assert_eq!(
            decimal_text(document, "chiffre_affaires"),
            group.chiffre_affaires,
            "{key:?}"
        );
        assert_eq!(
            decimal_text(document, "chiffre_affaires_exact"),
            group.chiffre_affaires_exact,
            "{key:?}"
        );
        assert_eq!(document.get_i64("nombre_ventes").unwrap(), group.nombre, "{key:?}");
        quantities.insert(key, group.quantite.parse::<f64>().unwrap());
    }

    // Trends: relative change of quantité_totale against the previous
    // month and the same month a year before, null where that month has
    // no sales.
    for (key, document) in &by_key {
        let month: agrisales::domain::YearMonth = key.2.parse().unwrap();
        for (field, lag) in [("évolution_mois_précédent", 1), ("évolution_annuelle", 12)] {
            let earlier = quantities.get(&(key.0, key.1.clone(), month.plus(-lag).to_string()));
            let expected = earlier.map(|before| quantities[key] / before - 1.0);
            match (document.get(field), expected) {
                (Some(Bson::Double(actual)), Some(expected)) => {
                    assert!((actual - expected).abs() < 1e-9, "{field} {key:?}")
                }
                (Some(Bson::Null), None) => {}
                (actual, expected) => panic!("{field} of {key:?}: stored {actual:?}, expected {expected:?}"),
            }
        }
    }
}

#[test]
fn second_run_leaves_identical_documents() {
    let mut f = fixture(10_000);
    run(&mut f);
    let aggregates = documents(&f.store, AGGREGATES_COLLECTION);
    let forecasts = documents(&f.store, FORECASTS_COLLECTION);

    let report = run(&mut f);

    assert_eq!(documents(&f.store, AGGREGATES_COLLECTION), aggregates);
    assert_eq!(documents(&f.store, FORECASTS_COLLECTION), forecasts);
    assert_eq!(report.aggregates_deleted, 0);
    assert_eq!(report.forecasts_deleted, 0);
}

#[test]
fn rerun_repairs_a_damaged_load() {
    let mut f = fixture(10_000);
    run(&mut f);
    let clean = documents(&f.store, AGGREGATES_COLLECTION);

    // What a crash or a stale earlier run can leave: a wrong value, a
    // missing document and a key that no longer exists.
    let collection = f.store.database().collection::<Document>(AGGREGATES_COLLECTION);
    let first = clean[0].clone();
    collection
        .update_one(
            doc! { "_id": first.get("_id").unwrap() },
            doc! { "$set": { "nombre_ventes": 999_999_i64 } },
        )
        .run()
        .unwrap();
    collection
        .delete_one(doc! { "_id": clean[1].get("_id").unwrap() })
        .run()
        .unwrap();
    let mut stale = clean[2].clone();
    stale.remove("_id");
    stale.insert("mois", "1999-01");
    collection.insert_one(stale).run().unwrap();

    let report = run(&mut f);

    let repaired = documents(&f.store, AGGREGATES_COLLECTION);
    let strip = |docs: &[Document]| -> Vec<Document> {
        let mut docs: Vec<Document> = docs
            .iter()
            .cloned()
            .map(|mut d| {
                d.remove("_id");
                d
            })
            .collect();
        docs.sort_by_key(|d| format!("{d}"));
        docs
    };
    assert_eq!(strip(&repaired), strip(&clean));
    assert_eq!(report.aggregates_deleted, 1);
}

#[test]
fn every_product_gets_three_forecasts() {
    let mut f = fixture(20_000);
    let report = run(&mut f);
    let products = f.repo.products().unwrap();
    let forecasts = documents(&f.store, FORECASTS_COLLECTION);
    let last = report.last_month.unwrap();

    assert_eq!(forecasts.len(), 3 * products.len());
    for product in &products {
        let mine: Vec<&Document> = forecasts
            .iter()
            .filter(|d| d.get_i32("id_produit").unwrap() == product.id)
            .collect();
        let months: Vec<&str> = mine.iter().map(|d| d.get_str("mois").unwrap()).collect();
        let expected: Vec<String> = (1..=3).map(|h| last.plus(h).to_string()).collect();
        assert_eq!(months.len(), 3, "{}", product.name);
        for month in &expected {
            assert!(months.contains(&month.as_str()), "{} lacks {month}", product.name);
        }
        for d in mine {
            let (low, point, high) = (
                d.get_f64("borne_basse").unwrap(),
                d.get_f64("quantité_prévue").unwrap(),
                d.get_f64("borne_haute").unwrap(),
            );
            assert!(low <= point, "{d}");
            assert!(point <= high, "{d}");
            assert!(low >= 0.0, "{d}");
            assert_eq!(d.get_str("nom").unwrap(), product.name);
            assert!(d.get_i32("rang_popularité").unwrap() >= 1);
            assert!(!d.get_str("modèle").unwrap().is_empty());
        }
    }
}

#[test]
fn empty_sales_empty_collections() {
    let mut f = fixture(5_000);
    run(&mut f);
    diesel::sql_query("TRUNCATE ventes")
        .execute(f.repo.connection())
        .unwrap();

    let report = run(&mut f);

    assert_eq!(report.sales_read, 0);
    assert!(documents(&f.store, AGGREGATES_COLLECTION).is_empty());
    assert!(documents(&f.store, FORECASTS_COLLECTION).is_empty());
    drop(f.pg);
    drop(f.mongo);
}

#[test]
fn example_fails_clearly_without_postgres() {
    let output = Command::new(example_path("etl"))
        .args([
            "--database-url",
            "postgres://alice:s3cret@127.0.0.1:1/ventes",
            "--mongodb-uri",
            "mongodb://127.0.0.1:1",
        ])
        .output()
        .expect("the etl example is missing: `cargo test --workspace` builds it, or run `cargo build --example etl`");
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert!(!output.status.success());
    assert!(stderr.contains("127.0.0.1:1/ventes"), "{stderr}");
    assert!(!stderr.contains("s3cret"), "{stderr}");
}

#[test]
fn example_fails_clearly_without_mongodb() {
    let pg = TestPostgres::create();
    let output = Command::new(example_path("etl"))
        .args([
            "--database-url",
            pg.url(),
            "--mongodb-uri",
            "mongodb://bob:hunter2@127.0.0.1:1/?serverSelectionTimeoutMS=500",
        ])
        .output()
        .expect("the etl example is missing: `cargo test --workspace` builds it, or run `cargo build --example etl`");
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert!(!output.status.success());
    assert!(stderr.contains("MongoDB at 127.0.0.1:1"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn example_runs_end_to_end() {
    let pg = TestPostgres::create();
    let mongo = TestMongo::create();
    let output = Command::new(example_path("etl"))
        .args([
            "--rows",
            "3000",
            "--database-url",
            pg.url(),
            "--mongodb-uri",
            mongo.uri(),
            "--mongodb-database",
            mongo.database(),
        ])
        .output()
        .expect("the etl example is missing: `cargo test --workspace` builds it, or run `cargo build --example etl`");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("sales_read=3000"), "{stdout}");
    assert!(stdout.contains("forecasts_written=126"), "{stdout}");
}
