//! The Agmarknet market files (real data, not in the repository): import
//! all six folders with `mappings/agmarknet.toml`, check the counts per
//! reject reason, then run the ETL and compare the aggregates with SQL.
//!
//! Needs PostgreSQL, MongoDB and the data folder in
//! `AGRISALES_AGMARKNET_DIR`; `.ci/run` passes it. Run it with
//! `cargo test --test agmarknet -- --ignored`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use agrisales::etl::{EtlConfig, ImportInputs, QuietImport, Silent, import_files, run_etl};
use agrisales::import::{Kind, Mapping, RejectReason, csv_files};
use agrisales::mongo::{AGGREGATES_COLLECTION, MongoStore};
use agrisales::postgres::PgRepository;
use agrisales_testkit::{TestMongo, TestPostgres};
use diesel::RunQueryDsl;
use diesel::sql_types::{BigInt, Integer, Text};
use mongodb::bson::{Bson, Document, doc};

const FOLDERS: [&str; 6] = [
    "Onion/Maharashtra",
    "Onion/NCT of Delhi",
    "Potato/Gujarat",
    "Potato/NCT of Delhi",
    "Tomato/Maharashtra",
    "Tomato/NCT of Delhi",
];

fn data_dir() -> PathBuf {
    let dir = std::env::var("AGRISALES_AGMARKNET_DIR").unwrap_or_else(|_| {
        panic!(
            "AGRISALES_AGMARKNET_DIR is not set: point it at the agmarknet-mandi folder \
             (on the project machines /work/shared/data/real/agmarknet-mandi); .ci/run sets it"
        )
    });
    let dir = PathBuf::from(dir);
    for folder in FOLDERS {
        assert!(
            dir.join(folder).is_dir(),
            "AGRISALES_AGMARKNET_DIR={} has no folder {folder}: it must be the agmarknet-mandi folder \
             holding Onion/, Potato/ and Tomato/",
            dir.display()
        );
    }
    dir
}

#[derive(diesel::QueryableByName, Debug)]
struct SqlGroup {
    #[diesel(sql_type = Integer)]
    id_region: i32,
    #[diesel(sql_type = Text)]
    mois: String,
    #[diesel(sql_type = Text)]
    quantite: String,
    #[diesel(sql_type = Text)]
    chiffre_affaires: String,
    #[diesel(sql_type = BigInt)]
    nombre: i64,
}

fn decimal_text(document: &Document, key: &str) -> String {
    match document.get(key) {
        Some(Bson::Decimal128(d)) => d.to_string(),
        other => panic!("{key} is not a Decimal128: {other:?}"),
    }
}

#[test]
#[ignore = "needs the Agmarknet files in AGRISALES_AGMARKNET_DIR; run by .ci/run"]
fn agmarknet_import_and_etl() {
    let dir = data_dir();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sales = Vec::new();
    for folder in FOLDERS {
        sales.extend(csv_files(&dir.join(folder)).unwrap());
    }
    assert_eq!(sales.len(), 342, "57 monthly files in each of the six folders");

    let pg = TestPostgres::create();
    let mut repo = PgRepository::connect(pg.url()).unwrap();
    repo.run_migrations().unwrap();
    let inputs = ImportInputs {
        regions: vec![root.join("mappings/agmarknet-regions.csv")],
        products: Vec::new(),
        sales,
        mapping: Some(Mapping::from_file(&root.join("mappings/agmarknet.toml")).unwrap()),
        batch_rows: 10_000,
    };
    let report = import_files(&mut repo, &inputs, &mut QuietImport).unwrap();

    // Measured, and counted independently with a Python csv reader (see
    // docs/real-data.md): 147,238 data rows in 342 files.
    let sales_report = &report.kinds[&Kind::Sales];
    assert_eq!(sales_report.read, 147_238);
    assert_eq!(sales_report.inserted, 127_240);
    let expected: BTreeMap<RejectReason, u64> = [
        (RejectReason::RepeatedHeader, 94),
        (RejectReason::SkippedByMapping, 9_743),
        (RejectReason::DuplicateRow, 10_161),
    ]
    .into();
    assert_eq!(sales_report.rejected, expected);
    assert_eq!(
        (report.read(), report.accepted(), report.rejected()),
        (147_241, 127_243, 19_998)
    );
    assert_eq!(report.read(), report.accepted() + report.rejected());
    let prices: Vec<(String, i64)> = report
        .created_products
        .iter()
        .map(|p| (p.name.clone(), p.unit_price.get()))
        .collect();
    assert_eq!(
        prices,
        [
            ("Onion".to_owned(), 894),
            ("Potato".to_owned(), 1000),
            ("Tomato".to_owned(), 1000)
        ]
    );
    assert_eq!(repo.counts().unwrap().sales, 127_240);

    let again = import_files(&mut repo, &inputs, &mut QuietImport).unwrap();
    assert_eq!(again.kinds[&Kind::Sales].inserted, 0);
    assert_eq!(repo.counts().unwrap().sales, 127_240);

    let mongo = TestMongo::create();
    let mut store = MongoStore::connect(mongo.uri(), mongo.database()).unwrap();
    store.ensure_collections().unwrap();
    let etl = run_etl(&mut repo, &mut store, &EtlConfig::default(), &mut Silent).unwrap();
    assert_eq!(etl.sales_read, 127_240);
    assert_eq!(etl.forecasts_written, 9, "three products, three months");

    let groups: Vec<SqlGroup> = diesel::sql_query(
        "SELECT v.region_vente AS id_region, to_char(date_trunc('month', v.date_vente), 'YYYY-MM') AS mois, \
                sum(v.\"quantité\")::text AS quantite, \
                round(sum(v.\"quantité\" * p.prix_unitaire), 2)::text AS chiffre_affaires, count(*) AS nombre \
         FROM ventes v JOIN produits p USING (id_produit) GROUP BY 1, 2",
    )
    .load(repo.connection())
    .unwrap();
    assert_eq!(groups.len(), 171, "3 states × 57 months, one category");
    let stored: HashMap<(i32, String), Document> = store
        .database()
        .collection::<Document>(AGGREGATES_COLLECTION)
        .find(doc! {})
        .run()
        .unwrap()
        .map(Result::unwrap)
        .map(|d| {
            (
                (d.get_i32("id_region").unwrap(), d.get_str("mois").unwrap().to_owned()),
                d,
            )
        })
        .collect();
    assert_eq!(stored.len(), groups.len());
    for group in &groups {
        let key = (group.id_region, group.mois.clone());
        let document = &stored[&key];
        assert_eq!(document.get_str("catégorie").unwrap(), "légumes");
        assert_eq!(decimal_text(document, "quantité_totale"), group.quantite, "{key:?}");
        assert_eq!(
            decimal_text(document, "chiffre_affaires"),
            group.chiffre_affaires,
            "{key:?}"
        );
        assert_eq!(document.get_i64("nombre_ventes").unwrap(), group.nombre, "{key:?}");
    }
}
