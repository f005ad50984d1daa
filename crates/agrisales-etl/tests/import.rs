//! CSV import into a real PostgreSQL (see agrisales-testkit for how to
//! start it): reasons that need the database, idempotent re-import,
//! explicit ids, refused files, and a property over random mixes of good
//! and bad rows.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use agrisales_etl::{ImportInputs, ImportReport, QuietImport, import_files};
use agrisales_import::{Kind, Mapping, RejectReason};
use agrisales_postgres::PgRepository;
use agrisales_testkit::TestPostgres;
use diesel::RunQueryDsl;
use diesel::sql_types::{BigInt, Text};
use proptest::prelude::*;

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn file(name: &str, content: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "agrisales-etl-import-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

fn database() -> (TestPostgres, PgRepository) {
    let pg = TestPostgres::create();
    let mut repo = PgRepository::connect(pg.url()).unwrap();
    repo.run_migrations().unwrap();
    (pg, repo)
}

const REGIONS: &str = "id_region,nom_region,population\n1,Bretagne,3400000\n2,Normandie,3300000\n";
const PRODUCTS: &str = "id_produit,nom,catégorie,prix_unitaire\n1,Tomate,légumes,2.50\n2,Pomme,fruits,1.80\n";

fn inputs(regions: &[PathBuf], products: &[PathBuf], sales: &[PathBuf]) -> ImportInputs {
    ImportInputs {
        regions: regions.to_vec(),
        products: products.to_vec(),
        sales: sales.to_vec(),
        mapping: None,
        batch_rows: 3,
    }
}

fn reasons(report: &ImportReport) -> Vec<(u64, RejectReason)> {
    let mut found: Vec<(u64, RejectReason)> = report.rejects.iter().map(|r| (r.line, r.reason)).collect();
    found.sort();
    found
}

/// (id, product, quantity, date, region) of every sale, as text, sorted.
fn sales_in(repo: &mut PgRepository) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        sale: String,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT concat_ws('|', p.nom, v.\"quantité\"::text, v.date_vente::text, r.nom_region) AS sale \
         FROM ventes v JOIN produits p USING (id_produit) JOIN regions r ON r.id_region = v.region_vente \
         ORDER BY 1",
    )
    .load(repo.connection())
    .unwrap();
    rows.into_iter().map(|r| r.sale).collect()
}

#[test]
fn database_dependent_reasons() {
    let (_pg, mut repo) = database();
    let regions = file("regions.csv", REGIONS);
    let products = file("produits.csv", PRODUCTS);
    import_files(&mut repo, &inputs(&[regions], &[products], &[]), &mut QuietImport).unwrap();

    // (row, expected reason) after the database holds the regions, products and sale 1.
    let first = file(
        "ventes.csv",
        "id_vente,id_produit,quantite,date_vente,region_vente\n1,1,10,2024-01-05,1\n",
    );
    import_files(&mut repo, &inputs(&[], &[], &[first]), &mut QuietImport).unwrap();

    // (case, row, expected reason; None: the row loads)
    let cases = [
        (
            "unknown product by name",
            ",Poireau,,1,2024-01-05,Bretagne,",
            Some(RejectReason::UnknownProduct),
        ),
        (
            "unknown product by id",
            ",,9,1,2024-01-05,Bretagne,",
            Some(RejectReason::UnknownProduct),
        ),
        (
            "unknown region by name",
            ",Tomate,,1,2024-01-05,Corse,",
            Some(RejectReason::UnknownRegion),
        ),
        (
            "unknown region by id",
            ",,1,1,2024-01-05,,7",
            Some(RejectReason::UnknownRegion),
        ),
        (
            "id taken by another sale",
            "1,,1,99,2024-01-05,,1",
            Some(RejectReason::ConflictsWithDatabase),
        ),
        ("same id, same sale", "1,,1,10,2024-01-05,,1", None),
        ("names ignore case and accents", ",TOMATE,,1,2024-01-05,bretagne,", None),
    ];
    for (case, row, expected) in cases {
        let path = file(
            "ventes.csv",
            &format!("id_vente,produit,id_produit,quantite,date_vente,region,region_vente\n{row}\n"),
        );
        let report = import_files(&mut repo, &inputs(&[], &[], &[path]), &mut QuietImport).unwrap();
        assert_eq!(report.read(), 1, "{case}");
        match expected {
            Some(reason) => assert_eq!(reasons(&report), [(2, reason)], "{case}: {:?}", report.rejects),
            None => assert_eq!(
                (report.accepted(), report.rejected()),
                (1, 0),
                "{case}: {:?}",
                report.rejects
            ),
        }
    }

    let conflicting = file(
        "regions.csv",
        "id_region,nom_region,population\n1,Bretagne,1\n5,Normandie,3300000\n",
    );
    let conflicting_products = file("produits.csv", "nom,catégorie,prix_unitaire\nTomate,légumes,9.99\n");
    let report = import_files(
        &mut repo,
        &inputs(&[conflicting], &[conflicting_products], &[]),
        &mut QuietImport,
    )
    .unwrap();
    assert_eq!(
        reasons(&report),
        [
            (2, RejectReason::ConflictsWithDatabase),
            (2, RejectReason::ConflictsWithDatabase),
            (3, RejectReason::ConflictsWithDatabase)
        ],
        "{:?}",
        report.rejects
    );
}

#[test]
fn reimport_adds_nothing_and_explicit_ids_advance_sequences() {
    let (_pg, mut repo) = database();
    let regions = file(
        "regions.csv",
        "id_region;nom_region;population\n40;Bretagne;3400000\n41;Normandie;3300000\n",
    );
    let products = file(
        "produits.csv",
        "id_produit;nom;catégorie;prix_unitaire\n50;Tomate;légumes;2,50\n",
    );
    let sales = file(
        "ventes.csv",
        "id_vente;produit;quantité;date_vente;region\n\
         900;Tomate;1,5;05/03/2024;Bretagne\n\
         ;Tomate;2;06/03/2024;Bretagne\n\
         ;Tomate;2;06/03/2024;Normandie\n\
         ;Tomate;0;06/03/2024;Normandie\n\
         ;Tomate;2;06/03/2024;Normandie\n",
    );
    let all = inputs(&[regions], &[products], &[sales]);

    let first = import_files(&mut repo, &all, &mut QuietImport).unwrap();
    assert_eq!((first.read(), first.accepted(), first.rejected()), (8, 6, 2));
    let sales_report = &first.kinds[&Kind::Sales];
    assert_eq!((sales_report.inserted, sales_report.already_present), (3, 0));
    let before = sales_in(&mut repo);
    assert_eq!(before.len(), 3);

    let second = import_files(&mut repo, &all, &mut QuietImport).unwrap();
    assert_eq!((second.read(), second.accepted(), second.rejected()), (8, 6, 2));
    for (kind, counts) in &second.kinds {
        assert_eq!(counts.inserted, 0, "{kind:?}");
    }
    assert_eq!(sales_in(&mut repo), before);
    assert_eq!(reasons(&first), reasons(&second));

    // Inserts without id continue after the imported ids.
    let regions = repo
        .insert_regions(&[agrisales_domain::NewRegion {
            name: "Corse".into(),
            population: 340_000,
        }])
        .unwrap();
    assert_eq!(regions[0].id, 42);
    let later = file(
        "ventes.csv",
        "produit,quantite,date_vente,region\nTomate,3,2024-03-07,Corse\n",
    );
    import_files(&mut repo, &inputs(&[], &[], &[later]), &mut QuietImport).unwrap();
    #[derive(diesel::QueryableByName)]
    struct MaxId {
        #[diesel(sql_type = BigInt)]
        max: i64,
    }
    let max: MaxId = diesel::sql_query("SELECT max(id_vente) AS max FROM ventes")
        .get_result(repo.connection())
        .unwrap();
    assert!(
        max.max > 900,
        "keyed sales take ids after the imported 900, got {}",
        max.max
    );
}

#[test]
fn a_refused_header_loads_nothing() {
    let (_pg, mut repo) = database();
    let regions = file("regions.csv", REGIONS);
    let sales = file(
        "ventes.csv",
        "produit,poids,date_vente,region\nTomate,1,2024-01-01,Bretagne\n",
    );
    let error = import_files(&mut repo, &inputs(&[regions], &[], &[sales]), &mut QuietImport).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("header cannot be mapped") && message.contains("quantite"),
        "{message}"
    );
    assert_eq!(
        repo.counts().unwrap().regions,
        0,
        "regions must not load when a later file is refused"
    );
}

#[test]
fn agmarknet_style_mapping_creates_products_at_the_median_price() {
    let (_pg, mut repo) = database();
    let dir = std::env::temp_dir().join(format!("agrisales-etl-market-{}", std::process::id()));
    let folder = dir.join("Onion").join("Maharashtra");
    std::fs::create_dir_all(&folder).unwrap();
    let path = folder.join("mynewdata_2016_October.csv");
    std::fs::write(
        &path,
        "Market,Arrival Date,Arrivals (Tonnes),Modal Price(Rs./Quintal)\nPune,01/10/2016,2,600\n,02/10/16,1,NR\n,,,700\nNasik,01/10/2016,3,900\n",
    )
    .unwrap();
    let regions = file("regions.csv", "nom_region,population\nMaharashtra,112374333\n");
    let mapping = Mapping::from_toml(
        r#"
[ventes]
fill_down = ["Market"]
key_columns = ["Market"]
[ventes.fields]
produit = { from_path = 2 }
region = { from_path = 1 }
date_vente = { column = "Arrival Date" }
quantite = { column = "Arrivals (Tonnes)", factor = 1000 }
prix = { column = "Modal Price(Rs./Quintal)", factor = "0.01", null_values = ["NR"] }
[[ventes.skip]]
when_empty = ["Arrival Date", "Arrivals (Tonnes)"]
reason = "continuation row"
[ventes.new_products]
category = "légumes"
price = "median"
"#,
    )
    .unwrap();
    let all = ImportInputs {
        mapping: Some(mapping),
        ..inputs(&[regions], &[], &[path])
    };
    let report = import_files(&mut repo, &all, &mut QuietImport).unwrap();
    assert_eq!((report.read(), report.accepted(), report.rejected()), (5, 4, 1));
    assert_eq!(report.created_products.len(), 1);
    assert_eq!(
        report.created_products[0].unit_price.get(),
        750,
        "median of 6.00 and 9.00 per kg"
    );
    assert_eq!(
        sales_in(&mut repo),
        [
            "Onion|1000.000|2016-10-02|Maharashtra",
            "Onion|2000.000|2016-10-01|Maharashtra",
            "Onion|3000.000|2016-10-01|Maharashtra"
        ]
    );
    let again = import_files(&mut repo, &all, &mut QuietImport).unwrap();
    assert!(again.created_products.is_empty());
    assert_eq!(sales_in(&mut repo).len(), 3);
    let _ = std::fs::remove_dir_all(&dir);
}

/// One generated sale row: its CSV text, whether it must be rejected, and
/// the `ventes` row it gives when accepted.
#[derive(Debug, Clone)]
struct GenRow {
    text: String,
    bad: bool,
    expected: Option<String>,
}

fn good_row() -> impl Strategy<Value = GenRow> {
    (
        prop_oneof![Just("Tomate"), Just("Pomme")],
        1_u32..100_000,
        1_u32..=28,
        1_u32..=12,
        prop_oneof![Just("Bretagne"), Just("Normandie")],
        any::<bool>(),
    )
        .prop_map(|(product, grams, day, month, region, slashed)| {
            let quantity = format!("{}.{:03}", grams / 1000, grams % 1000);
            let date = if slashed {
                format!("{day:02}/{month:02}/2024")
            } else {
                format!("2024-{month:02}-{day:02}")
            };
            GenRow {
                text: format!("{product};{};{date};{region}", quantity.replace('.', ",")),
                bad: false,
                expected: Some(format!("{product}|{quantity}|2024-{month:02}-{day:02}|{region}")),
            }
        })
}

fn bad_row() -> impl Strategy<Value = GenRow> {
    prop_oneof![
        Just("Tomate;0;2024-01-01;Bretagne"),
        Just("Tomate;-1;2024-01-01;Bretagne"),
        Just("Tomate;abc;2024-01-01;Bretagne"),
        Just("Tomate;1;2024-02-30;Bretagne"),
        Just("Tomate;1;01-01-2024;Bretagne"),
        Just("Poireau;1;2024-01-01;Bretagne"),
        Just("Tomate;1;2024-01-01;Corse"),
        Just(";1;2024-01-01;Bretagne"),
        Just("Tomate;1;2024-01-01"),
        Just("Tomate;1;2024-01-01;Bretagne;extra"),
        Just("produit;quantité;date_vente;region"),
    ]
    .prop_map(|text| GenRow {
        text: text.to_owned(),
        bad: true,
        expected: None,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn read_is_accepted_plus_rejected_and_accepted_rows_are_in_the_database(
        rows in prop::collection::vec(prop_oneof![3 => good_row(), 1 => bad_row()], 0..40),
    ) {
        thread_local! {
            static DB: std::cell::RefCell<Option<(TestPostgres, PgRepository)>> = const { std::cell::RefCell::new(None) };
        }
        DB.with(|cell| {
            let mut cell = cell.borrow_mut();
            let (_, repo) = cell.get_or_insert_with(|| {
                let (pg, mut repo) = database();
                let regions = file("regions.csv", REGIONS);
                let products = file("produits.csv", PRODUCTS);
                import_files(&mut repo, &inputs(&[regions], &[products], &[]), &mut QuietImport).unwrap();
                (pg, repo)
            });
            diesel::sql_query("TRUNCATE ventes").execute(repo.connection()).unwrap();

            let body: String = rows.iter().map(|r| format!("{}\n", r.text)).collect();
            let path = file("ventes.csv", &format!("produit;quantité;date_vente;region\n{body}"));
            let report = import_files(repo, &inputs(&[], &[], &[path]), &mut QuietImport).unwrap();

            prop_assert_eq!(report.read(), rows.len() as u64);
            prop_assert_eq!(report.read(), report.accepted() + report.rejected());
            let rejected_lines: BTreeMap<u64, RejectReason> = report.rejects.iter().map(|r| (r.line, r.reason)).collect();
            prop_assert_eq!(rejected_lines.len() as u64, report.rejected(), "one reject per line");
            let mut expected = Vec::new();
            let mut seen = std::collections::HashSet::new();
            for (i, row) in rows.iter().enumerate() {
                let line = i as u64 + 2;
                if row.bad {
                    prop_assert!(rejected_lines.contains_key(&line), "bad row {} on line {line} was accepted", row.text);
                } else if let Some(sale) = &row.expected {
                    if seen.insert(sale.clone()) {
                        prop_assert!(!rejected_lines.contains_key(&line), "good row {} rejected: {:?}", row.text, rejected_lines.get(&line));
                        expected.push(sale.clone());
                    } else {
                        prop_assert_eq!(rejected_lines.get(&line), Some(&RejectReason::DuplicateRow));
                    }
                }
            }
            expected.sort();
            prop_assert_eq!(sales_in(repo), expected);
            Ok(())
        })?;
    }
}
