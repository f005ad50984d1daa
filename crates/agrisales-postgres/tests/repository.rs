//! PostgreSQL repository against a real server (see agrisales-testkit).

use agrisales_datagen::{GeneratorConfig, SalesGenerator, products, regions};
use agrisales_domain::{Cents, NewProduct, NewRegion, NewSale, Quantity};
use agrisales_postgres::{PgError, PgRepository};
use agrisales_testkit::TestPostgres;
use chrono::NaiveDate;
use diesel::RunQueryDsl;
use diesel::sql_types::{BigInt, Text};

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(diesel::QueryableByName)]
struct Digest {
    #[diesel(sql_type = Text)]
    digest: String,
}

fn count(repo: &mut PgRepository, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Count>(repo.connection()).unwrap().n
}

fn migrated(db: &TestPostgres) -> PgRepository {
    let mut repo = PgRepository::connect(db.url()).unwrap();
    repo.run_migrations().unwrap();
    repo
}

fn seed(repo: &mut PgRepository, rows: u64, seed: u64) -> u64 {
    repo.transaction(|repo| {
        repo.clear()?;
        let regions = repo.insert_regions(&regions())?;
        let products = repo.insert_products(&products())?;
        let config = GeneratorConfig {
            rows,
            seed,
            ..GeneratorConfig::default()
        };
        let sales = SalesGenerator::new(&config, &regions, &products).unwrap();
        repo.copy_sales(sales, 7_000, |_| {})
    })
    .unwrap()
}

#[test]
fn migrations_apply_twice() {
    let db = TestPostgres::create();
    let mut repo = PgRepository::connect(db.url()).unwrap();
    let first = repo.run_migrations().unwrap();
    let second = repo.run_migrations().unwrap();
    // One version per folder of migrations/, whatever their number.
    let folders = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations"))
        .unwrap()
        .filter(|entry| entry.as_ref().is_ok_and(|e| e.path().is_dir()))
        .count();
    assert_eq!(first.len(), folders, "{first:?}");
    assert!(second.is_empty());
    assert_eq!(repo.counts().unwrap().sales, 0);
}

#[test]
fn schema_has_contract_names_and_indexes() {
    let db = TestPostgres::create();
    let mut repo = migrated(&db);
    let columns = count(
        &mut repo,
        "SELECT count(*) AS n FROM information_schema.columns WHERE table_schema = 'public' AND \
         (table_name, column_name) IN (('produits','id_produit'),('produits','nom'),('produits','catégorie'), \
         ('produits','prix_unitaire'),('ventes','id_vente'),('ventes','id_produit'),('ventes','quantité'), \
         ('ventes','date_vente'),('ventes','region_vente'),('regions','id_region'),('regions','nom_region'), \
         ('regions','population'))",
    );
    assert_eq!(columns, 12);
    let indexes = count(
        &mut repo,
        "SELECT count(*) AS n FROM pg_indexes WHERE tablename = 'ventes' AND indexname IN \
         ('ventes_date_vente_idx','ventes_id_produit_idx','ventes_region_vente_idx')",
    );
    assert_eq!(indexes, 3);
}

#[test]
fn constraints_reject_bad_rows() {
    let db = TestPostgres::create();
    let mut repo = migrated(&db);
    let region = repo
        .insert_regions(&[NewRegion {
            name: "Bretagne".into(),
            population: 3_394_567,
        }])
        .unwrap()[0]
        .id;
    let product = repo
        .insert_products(&[NewProduct {
            name: "Pommes".into(),
            category: "fruits".into(),
            unit_price: Cents::new(180),
        }])
        .unwrap()[0]
        .id;

    let rejected = [
        format!(
            "INSERT INTO ventes (id_produit, \"quantité\", date_vente, region_vente) VALUES ({product}, 0, '2024-01-01', {region})"
        ),
        format!(
            "INSERT INTO ventes (id_produit, \"quantité\", date_vente, region_vente) VALUES ({product}, -1, '2024-01-01', {region})"
        ),
        format!(
            "INSERT INTO ventes (id_produit, \"quantité\", date_vente, region_vente) VALUES ({product}, 1, '2024-01-01', 999999)"
        ),
        format!(
            "INSERT INTO ventes (id_produit, \"quantité\", date_vente, region_vente) VALUES (999999, 1, '2024-01-01', {region})"
        ),
        format!(
            "INSERT INTO ventes (id_produit, \"quantité\", date_vente, region_vente) VALUES ({product}, 1, NULL, {region})"
        ),
        "INSERT INTO produits (nom, \"catégorie\", prix_unitaire) VALUES ('Poires', 'fruits', -0.01)".to_owned(),
        "INSERT INTO produits (nom, \"catégorie\", prix_unitaire) VALUES ('Pommes', 'fruits', 1)".to_owned(),
        "INSERT INTO regions (nom_region, population) VALUES ('Corse', -1)".to_owned(),
        "INSERT INTO regions (nom_region, population) VALUES ('  ', 1)".to_owned(),
    ];
    for sql in rejected {
        assert!(
            diesel::sql_query(&sql).execute(repo.connection()).is_err(),
            "accepted: {sql}"
        );
    }

    // Identity columns: rows insert without an id.
    let accepted = format!(
        "INSERT INTO ventes (id_produit, \"quantité\", date_vente, region_vente) VALUES ({product}, 0.001, '2024-01-01', {region})"
    );
    diesel::sql_query(accepted).execute(repo.connection()).unwrap();
}

#[test]
fn generated_data_satisfies_constraints() {
    let db = TestPostgres::create();
    let mut repo = migrated(&db);
    let loaded = seed(&mut repo, 20_000, 42);

    assert_eq!(loaded, 20_000);
    let counts = repo.counts().unwrap();
    assert_eq!((counts.regions, counts.products, counts.sales), (13, 42, 20_000));
    let orphans = count(
        &mut repo,
        "SELECT count(*) AS n FROM ventes v LEFT JOIN produits p USING (id_produit) \
         LEFT JOIN regions r ON r.id_region = v.region_vente WHERE p.id_produit IS NULL OR r.id_region IS NULL",
    );
    assert_eq!(orphans, 0);
    let months = count(
        &mut repo,
        "SELECT count(DISTINCT date_trunc('month', date_vente)) AS n FROM ventes",
    );
    assert_eq!(months, 36);
}

#[test]
fn same_seed_gives_same_rows() {
    let digest = |seed_value: u64| {
        let db = TestPostgres::create();
        let mut repo = migrated(&db);
        seed(&mut repo, 5_000, seed_value);
        diesel::sql_query(
            "SELECT md5(string_agg(concat_ws(',', id_vente, id_produit, \"quantité\", date_vente, region_vente), ';' \
             ORDER BY id_vente)) AS digest FROM ventes",
        )
        .get_result::<Digest>(repo.connection())
        .unwrap()
        .digest
    };
    assert_eq!(digest(42), digest(42));
    assert_ne!(digest(42), digest(43));
}

#[test]
fn stream_returns_what_copy_loaded() {
    let db = TestPostgres::create();
    let mut repo = migrated(&db);
    let region = repo
        .insert_regions(&[NewRegion {
            name: "Corse".into(),
            population: 347_597,
        }])
        .unwrap()[0]
        .id;
    let product = repo
        .insert_products(&[NewProduct {
            name: "Noix".into(),
            category: "oléagineux".into(),
            unit_price: Cents::new(850),
        }])
        .unwrap()[0]
        .id;
    let sales: Vec<NewSale> = (1..=2_500)
        .map(|i| NewSale {
            product_id: product,
            quantity: Quantity::from_milli(i * 7),
            date: NaiveDate::from_ymd_opt(2024, 1 + (i % 12) as u32, 28).unwrap(),
            region_id: region,
        })
        .collect();
    let mut progress = Vec::new();
    repo.copy_sales(sales.clone().into_iter(), 1_000, |done| progress.push(done))
        .unwrap();
    assert_eq!(progress, vec![1_000, 2_000, 2_500]);

    let mut streamed = Vec::new();
    let mut chunk_sizes = Vec::new();
    let read = repo
        .stream_sales(600, &mut |chunk| {
            chunk_sizes.push(chunk.len());
            for i in 0..chunk.len() {
                streamed.push((
                    chunk.product_id[i],
                    chunk.region_id[i],
                    chunk.month[i],
                    chunk.quantity_milli[i],
                ));
            }
            Ok(())
        })
        .unwrap();

    assert_eq!(read, 2_500);
    assert!(chunk_sizes.iter().all(|&n| n <= 600));
    let expected: Vec<_> = sales
        .iter()
        .map(|s| {
            (
                s.product_id,
                s.region_id,
                agrisales_domain::YearMonth::of(s.date).ordinal(),
                s.quantity.milli(),
            )
        })
        .collect();
    streamed.sort_unstable();
    let mut expected_sorted = expected;
    expected_sorted.sort_unstable();
    assert_eq!(streamed, expected_sorted);

    let products = repo.products().unwrap();
    assert_eq!(products[0].unit_price, Cents::new(850));
    assert_eq!(products[0].category, "oléagineux");
}

#[test]
fn failed_transaction_keeps_previous_rows() {
    let db = TestPostgres::create();
    let mut repo = migrated(&db);
    repo.insert_regions(&[NewRegion {
        name: "Corse".into(),
        population: 1,
    }])
    .unwrap();

    let result: Result<(), PgError> = repo.transaction(|repo| {
        repo.clear()?;
        repo.insert_regions(&[NewRegion {
            name: "x".into(),
            population: -5,
        }])?;
        Ok(())
    });

    assert!(result.is_err());
    assert_eq!(repo.counts().unwrap().regions, 1);
}

#[test]
fn missing_database_is_created() {
    let url = TestPostgres::missing_database_url();
    assert!(matches!(PgRepository::connect(&url), Err(PgError::Connect { .. })));
    let mut repo = PgRepository::connect_or_create(&url).unwrap();
    let name = repo.target().database.clone();
    repo.run_migrations().unwrap();
    drop(repo);

    // Clean up the database this test created.
    let mut admin = PgRepository::connect(&agrisales_testkit::postgres_admin_url()).unwrap();
    diesel::sql_query(format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
        .execute(admin.connection())
        .unwrap();
}

#[test]
fn unreachable_server_error_names_host_and_port() {
    let error = PgRepository::connect("postgres://alice:s3cret@127.0.0.1:1/ventes").unwrap_err();
    let message = error.to_string();
    assert!(message.contains("127.0.0.1:1/ventes"), "{message}");
    assert!(!message.contains("s3cret"), "{message}");
}

/// Counts the rows where `ventes_par_jour` and a GROUP BY over `ventes`
/// disagree, in either direction.
fn summary_mismatches(repo: &mut PgRepository) -> i64 {
    count(
        repo,
        "WITH truth AS (SELECT date_vente, id_produit, region_vente, sum(\"quantité\") AS q, count(*) AS n \
                        FROM ventes GROUP BY 1, 2, 3), \
              summary AS (SELECT date_vente, id_produit, region_vente, \"quantité\" AS q, nombre_ventes AS n \
                          FROM ventes_par_jour) \
         SELECT count(*) AS n FROM ((TABLE truth EXCEPT TABLE summary) UNION ALL (TABLE summary EXCEPT TABLE truth)) d",
    )
}

#[test]
fn bulk_load_rebuilds_daily_summary() {
    let db = TestPostgres::create();
    let mut repo = migrated(&db);
    seed(&mut repo, 1_000, 9);
    let regions = repo.regions().unwrap();
    let products = repo.products().unwrap();
    let config = GeneratorConfig {
        rows: 4_000,
        seed: 10,
        ..GeneratorConfig::default()
    };

    let loaded = repo
        .bulk_load_sales(
            SalesGenerator::new(&config, &regions, &products).unwrap(),
            1_500,
            |_| {},
        )
        .unwrap();

    assert_eq!(loaded, 4_000);
    assert_eq!(summary_mismatches(&mut repo), 0);
    // The trigger is back on: a plain insert updates the summary.
    diesel::sql_query(
        "INSERT INTO ventes (id_produit, \"quantité\", date_vente, region_vente) VALUES (1, 1, '2030-01-01', 1)",
    )
    .execute(repo.connection())
    .unwrap();
    assert_eq!(summary_mismatches(&mut repo), 0);
}

#[test]
fn daily_summary_follows_every_change() {
    let db = TestPostgres::create();
    let mut repo = migrated(&db);
    seed(&mut repo, 3_000, 5);
    assert_eq!(summary_mismatches(&mut repo), 0, "after COPY");

    let statements = [
        // Change quantities, move sales to another day, product and region.
        "UPDATE ventes SET \"quantité\" = \"quantité\" + 1 WHERE id_vente % 7 = 0",
        "UPDATE ventes SET date_vente = date_vente + 1, id_produit = 1 + id_produit % 42 WHERE id_vente % 11 = 0",
        "UPDATE ventes SET region_vente = 1 + region_vente % 13 WHERE id_vente % 13 = 0",
        // Remove single sales and whole days.
        "DELETE FROM ventes WHERE id_vente % 17 = 0",
        "DELETE FROM ventes WHERE date_vente BETWEEN '2024-02-01' AND '2024-02-10'",
        // Insert rows one by one and in a batch.
        "INSERT INTO ventes (id_produit, \"quantité\", date_vente, region_vente) VALUES (1, 2.5, '2024-02-05', 1)",
        "INSERT INTO ventes (id_produit, \"quantité\", date_vente, region_vente) \
         SELECT id_produit, \"quantité\", date_vente + 400, region_vente FROM ventes WHERE id_vente % 5 = 0",
    ];
    for sql in statements {
        diesel::sql_query(sql).execute(repo.connection()).unwrap();
        assert_eq!(summary_mismatches(&mut repo), 0, "after {sql}");
    }

    diesel::sql_query("TRUNCATE ventes").execute(repo.connection()).unwrap();
    assert_eq!(count(&mut repo, "SELECT count(*) AS n FROM ventes_par_jour"), 0);
}
