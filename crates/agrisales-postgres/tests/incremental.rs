//! Month versions, month-filtered extracts, snapshots and advisory locks
//! against a real server (see agrisales-testkit).

use std::collections::BTreeMap;

use agrisales_datagen::{GeneratorConfig, SalesGenerator, products, regions};
use agrisales_domain::YearMonth;
use agrisales_postgres::{PgError, PgRepository};
use agrisales_testkit::TestPostgres;
use diesel::RunQueryDsl;

fn seeded(rows: u64) -> (TestPostgres, PgRepository) {
    let db = TestPostgres::create();
    let mut repo = PgRepository::connect(db.url()).unwrap();
    repo.run_migrations().unwrap();
    repo.transaction(|repo| {
        let regions = repo.insert_regions(&regions())?;
        let products = repo.insert_products(&products())?;
        let config = GeneratorConfig {
            rows,
            seed: 5,
            ..GeneratorConfig::default()
        };
        let sales = SalesGenerator::new(&config, &regions, &products).unwrap();
        repo.bulk_load_sales(sales, 5_000, |_| {})
    })
    .unwrap();
    (db, repo)
}

fn sql(repo: &mut PgRepository, statement: &str) {
    diesel::sql_query(statement).execute(repo.connection()).unwrap();
}

fn versions(repo: &mut PgRepository) -> BTreeMap<String, i64> {
    repo.month_versions()
        .unwrap()
        .into_iter()
        .map(|v| (v.month.to_string(), v.version))
        .collect()
}

fn ym(text: &str) -> YearMonth {
    text.parse().unwrap()
}

#[test]
fn writes_renew_month_versions() {
    let (_db, mut repo) = seeded(3_000);
    let start = versions(&mut repo);
    assert_eq!(start.len(), 36, "a bulk load marks every loaded month");

    sql(
        &mut repo,
        "INSERT INTO ventes (id_produit, \"quantité\", date_vente, region_vente) VALUES (1, 1, '2023-05-09', 1)",
    );
    let after_insert = versions(&mut repo);
    let changed = |a: &BTreeMap<String, i64>, b: &BTreeMap<String, i64>| -> Vec<String> {
        a.keys()
            .chain(b.keys())
            .filter(|k| a.get(*k) != b.get(*k))
            .cloned()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    assert_eq!(changed(&start, &after_insert), vec!["2023-05"]);

    sql(
        &mut repo,
        "UPDATE ventes SET date_vente = '2027-02-01' WHERE date_vente = '2023-05-09'",
    );
    let after_move = versions(&mut repo);
    assert_eq!(changed(&after_insert, &after_move), vec!["2023-05", "2027-02"]);

    sql(
        &mut repo,
        "DELETE FROM ventes WHERE date_vente >= '2024-06-01' AND date_vente < '2024-06-03'",
    );
    let after_delete = versions(&mut repo);
    assert_eq!(changed(&after_move, &after_delete), vec!["2024-06"]);

    // A statement that matches nothing changes nothing.
    sql(&mut repo, "DELETE FROM ventes WHERE id_vente < 0");
    assert_eq!(versions(&mut repo), after_delete);

    sql(&mut repo, "TRUNCATE ventes");
    let after_truncate = versions(&mut repo);
    assert_eq!(changed(&after_delete, &after_truncate).len(), 37);
}

#[test]
fn month_extract_reads_only_those_months() {
    let (_db, mut repo) = seeded(8_000);
    let months = [ym("2023-12"), ym("2024-01"), ym("2025-06"), ym("2024-01")];

    let mut totals: BTreeMap<(String, i32, i32), i64> = BTreeMap::new();
    let read = repo
        .stream_sales_in_months(&months, 333, &mut |chunk| {
            assert!(chunk.len() <= 333);
            for i in 0..chunk.len() {
                let key = (
                    YearMonth::from_ordinal(chunk.month[i]).to_string(),
                    chunk.product_id[i],
                    chunk.region_id[i],
                );
                *totals.entry(key).or_default() += chunk.quantity_milli[i];
            }
            Ok(())
        })
        .unwrap();

    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        mois: String,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        id_produit: i32,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        region_vente: i32,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        milli: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT to_char(date_vente, 'YYYY-MM') AS mois, id_produit, region_vente, \
         (sum(\"quantité\") * 1000)::int8 AS milli, count(*) AS n FROM ventes \
         WHERE to_char(date_vente, 'YYYY-MM') IN ('2023-12', '2024-01', '2025-06') GROUP BY 1, 2, 3",
    )
    .load(repo.connection())
    .unwrap();
    let expected: BTreeMap<(String, i32, i32), i64> = rows
        .iter()
        .map(|r| ((r.mois.clone(), r.id_produit, r.region_vente), r.milli))
        .collect();
    assert_eq!(read, rows.iter().map(|r| r.n as u64).sum::<u64>());
    assert!(read > 0);
    assert_eq!(totals, expected);
}

#[test]
fn monthly_totals_equal_sales_sums() {
    let (_db, mut repo) = seeded(5_000);
    let mut from_totals: BTreeMap<(i32, i32, i32), i64> = BTreeMap::new();
    let rows = repo
        .stream_monthly_product_totals(100, &mut |chunk| {
            for i in 0..chunk.len() {
                let previous = from_totals.insert(
                    (chunk.month[i], chunk.product_id[i], chunk.region_id[i]),
                    chunk.quantity_milli[i],
                );
                assert!(previous.is_none(), "a (month, product, region) came twice");
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(rows as usize, from_totals.len());

    let mut from_sales: BTreeMap<(i32, i32, i32), i64> = BTreeMap::new();
    repo.stream_sales(1_000, &mut |chunk| {
        for i in 0..chunk.len() {
            *from_sales
                .entry((chunk.month[i], chunk.product_id[i], chunk.region_id[i]))
                .or_default() += chunk.quantity_milli[i];
        }
        Ok(())
    })
    .unwrap();
    assert_eq!(from_totals, from_sales);
}

#[test]
fn snapshot_ignores_later_commits() {
    let (db, mut repo) = seeded(1_000);
    let mut writer = PgRepository::connect(db.url()).unwrap();

    let (before, during) = repo
        .snapshot(|repo| -> Result<_, PgError> {
            let before = repo.month_versions()?;
            sql(&mut writer, "INSERT INTO ventes (id_produit, \"quantité\", date_vente, region_vente) VALUES (1, 1, '2023-01-02', 1)");
            let during = repo.month_versions()?;
            Ok((before, during))
        })
        .unwrap();
    assert_eq!(before, during);
    assert_ne!(repo.month_versions().unwrap(), before);
}

#[test]
fn advisory_lock_has_one_holder() {
    let (db, mut first) = seeded(10);
    let mut second = PgRepository::connect(&format!("{}?application_name=second-runner", db.url())).unwrap();

    assert!(first.try_advisory_lock(7, 9).unwrap());
    assert!(!second.try_advisory_lock(7, 9).unwrap());
    assert!(second.try_advisory_lock(7, 10).unwrap(), "another key is free");

    let holder = second.advisory_lock_holder(7, 9).unwrap().expect("a holder");
    assert_eq!(holder.pid, first.backend_pid().unwrap());

    assert!(first.advisory_unlock(7, 9).unwrap());
    assert!(second.try_advisory_lock(7, 9).unwrap());
    let holder = first.advisory_lock_holder(7, 9).unwrap().expect("a holder");
    assert_eq!(holder.application_name, "second-runner");

    // Closing the connection releases the lock.
    drop(second);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !first.try_advisory_lock(7, 9).unwrap() {
        assert!(std::time::Instant::now() < deadline, "the lock outlived its connection");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn missing_table_is_named() {
    let (_db, mut repo) = seeded(10);
    repo.check_etl_tables().unwrap();
    sql(&mut repo, "DROP TABLE ventes_mois_version");
    let error = repo.check_etl_tables().unwrap_err();
    assert!(
        matches!(&error, PgError::MissingTable { table, .. } if table == "ventes_mois_version"),
        "{error}"
    );
    assert!(error.to_string().contains("apply the migrations"), "{error}");
}

/// Every sale as (product, region, month, quantity), sorted: a multiset
/// that two reads must agree on.
type SaleList = Vec<(i32, i32, i32, i64)>;

fn collect_into(list: &mut SaleList, chunk: &agrisales_domain::SaleColumns) {
    for i in 0..chunk.len() {
        list.push((
            chunk.product_id[i],
            chunk.region_id[i],
            chunk.month[i],
            chunk.quantity_milli[i],
        ));
    }
}

#[test]
fn parallel_read_equals_one_copy() {
    let (db, mut repo) = seeded(20_000);
    let mut writer = PgRepository::connect(db.url()).unwrap();
    // A deleted and an updated row leave dead versions in the heap.
    sql(&mut writer, "DELETE FROM ventes WHERE id_vente % 97 = 0");
    sql(
        &mut writer,
        "UPDATE ventes SET \"quantité\" = \"quantité\" + 1 WHERE id_vente % 89 = 0",
    );

    let mut expected = SaleList::new();
    let rows = repo
        .stream_sales(1_000, &mut |chunk| {
            collect_into(&mut expected, chunk);
            Ok(())
        })
        .unwrap();
    expected.sort_unstable();
    assert_eq!(rows, expected.len() as u64);

    for connections in [1, 2, 3, 5] {
        let (rows, mut got, reported) = repo
            .snapshot(|repo| -> Result<_, PgError> {
                let readers = repo.open_parallel_sales(connections)?;
                assert_eq!(readers.connections(), connections);
                // Written after the snapshot: no connection may see it.
                sql(&mut writer, "INSERT INTO ventes (id_produit, \"quantité\", date_vente, region_vente) VALUES (1, 1, '2023-01-02', 1)");

                let mut lists = vec![SaleList::new(); connections];
                let mut consumers: Vec<_> = lists
                    .iter_mut()
                    .map(|list| {
                        move |chunk: &agrisales_domain::SaleColumns| -> Result<(), agrisales_domain::ChunkError> {
                            collect_into(list, chunk);
                            Ok(())
                        }
                    })
                    .collect();
                let mut reported = 0;
                let rows = readers.stream(&mut consumers, 700, &mut |seen| reported = seen)?;
                drop(consumers);
                Ok((rows, lists.concat(), reported))
            })
            .unwrap();
        got.sort_unstable();

        assert_eq!(rows, expected.len() as u64, "{connections} connections");
        assert_eq!(reported, rows, "{connections} connections: last progress report");
        assert_eq!(got, expected, "{connections} connections");
        sql(
            &mut writer,
            "DELETE FROM ventes WHERE \"quantité\" = 1 AND date_vente = '2023-01-02' AND id_produit = 1 AND region_vente = 1",
        );
    }
}

#[test]
fn parallel_read_stops_at_first_error() {
    let (_db, mut repo) = seeded(20_000);

    let error = repo
        .snapshot(|repo| -> Result<_, PgError> {
            let readers = repo.open_parallel_sales(2)?;
            let mut calls = [0_u32; 2];
            let mut consumers: Vec<_> = calls
                .iter_mut()
                .enumerate()
                .map(|(part, calls)| {
                    move |_: &agrisales_domain::SaleColumns| -> Result<(), agrisales_domain::ChunkError> {
                        *calls += 1;
                        if part == 1 {
                            return Err("part 1 refuses its first chunk".into());
                        }
                        Ok(())
                    }
                })
                .collect();
            readers.stream(&mut consumers, 100, &mut |_| {})
        })
        .unwrap_err();
    assert!(
        error.to_string().contains("part 1 refuses its first chunk"),
        "the first failure is reported, not the stop it caused: {error}"
    );

    // The snapshot's connection still works afterwards.
    assert_eq!(repo.counts().unwrap().sales, 20_000);
}

#[test]
fn parallel_read_needs_a_snapshot() {
    let (_db, mut repo) = seeded(10);

    // Outside a transaction the exported snapshot ends with its statement.
    let error = repo.open_parallel_sales(2).unwrap_err();
    assert!(matches!(error, PgError::ParallelRead { .. }), "{error}");
    assert!(error.to_string().contains("snapshot"), "{error}");

    // A consumer list of the wrong length is refused before any read.
    let error = repo
        .snapshot(|repo| -> Result<_, PgError> {
            let readers = repo.open_parallel_sales(2)?;
            let mut one =
                vec![|_: &agrisales_domain::SaleColumns| -> Result<(), agrisales_domain::ChunkError> { Ok(()) }];
            readers.stream(&mut one, 100, &mut |_| {})
        })
        .unwrap_err();
    assert!(error.to_string().contains("one consumer per connection (2)"), "{error}");
}

/// A login role limited to `limit` connections, dropped with the guard.
struct LimitedRole {
    admin_url: String,
    name: String,
}

impl LimitedRole {
    fn create(db: &TestPostgres, limit: i32) -> Self {
        let name = agrisales_testkit::unique_name("agrisales_limited");
        let mut admin = PgRepository::connect(db.url()).unwrap();
        sql(
            &mut admin,
            &format!("CREATE ROLE {name} LOGIN CONNECTION LIMIT {limit}"),
        );
        sql(
            &mut admin,
            &format!("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {name}"),
        );
        Self {
            admin_url: db.url().to_owned(),
            name,
        }
    }

    /// Returns the test database's URL with this role as the user.
    fn url(&self) -> String {
        let mut url = url::Url::parse(&self.admin_url).unwrap();
        url.set_username(&self.name).unwrap();
        url.to_string()
    }
}

impl Drop for LimitedRole {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgRepository::connect(&self.admin_url) {
            let _ = diesel::sql_query(format!("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}", self.name))
                .execute(admin.connection());
            let _ = diesel::sql_query(format!("DROP ROLE IF EXISTS {}", self.name)).execute(admin.connection());
        }
    }
}

#[test]
fn parallel_read_uses_the_connections_it_gets() {
    let (db, mut admin) = seeded(20_000);
    let expected = admin.counts().unwrap().sales as u64;
    // Its own connection plus two readers: a third reader is refused.
    let role = LimitedRole::create(&db, 3);
    let mut repo = PgRepository::connect(&role.url()).unwrap();

    let (connections, rows) = repo
        .snapshot(|repo| -> Result<_, PgError> {
            let readers = repo.open_parallel_sales(4)?;
            let connections = readers.connections();
            let mut consumers: Vec<_> = (0..connections)
                .map(|_| |_: &agrisales_domain::SaleColumns| -> Result<(), agrisales_domain::ChunkError> { Ok(()) })
                .collect();
            let rows = readers.stream(&mut consumers, 1_000, &mut |_| {})?;
            Ok((connections, rows))
        })
        .unwrap();
    assert_eq!(connections, 2);
    assert_eq!(rows, expected);

    // With no room for any reader, opening fails and names the reason.
    drop(repo);
    let role = LimitedRole::create(&db, 1);
    let mut repo = PgRepository::connect(&role.url()).unwrap();
    let error = repo
        .snapshot(|repo| repo.open_parallel_sales(2).map(|_| ()))
        .unwrap_err();
    assert!(matches!(error, PgError::ParallelRead { part: 0, .. }), "{error}");
    assert!(error.to_string().contains("extra connection 1"), "{error}");
    assert!(error.to_string().contains("too many connections"), "{error}");
}
