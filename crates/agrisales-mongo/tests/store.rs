//! MongoDB store against a real server (see agrisales-testkit for how to
//! start one).

use agrisales_domain::{AggregateSink, Cents, MonthlyAggregate, ProductForecast, Quantity, Revenue, YearMonth};
use agrisales_mongo::{AGGREGATES_COLLECTION, FORECASTS_COLLECTION, MongoError, MongoStore};
use agrisales_testkit::TestMongo;
use mongodb::bson::{Document, doc};

fn aggregate(region_id: i32, category: &str, month: &str, milli: i64, cents: i64) -> MonthlyAggregate {
    MonthlyAggregate {
        region_id,
        region_name: format!("Région {region_id}"),
        category: category.to_owned(),
        month: month.parse().unwrap(),
        total_quantity: Quantity::from_milli(milli),
        revenue: Cents::new(cents),
        revenue_exact: Revenue::from_raw(i128::from(cents) * 1000 + 4),
        sale_count: 3,
        change_vs_previous_month: Some(0.25),
        change_vs_previous_year: None,
    }
}

fn forecast(product_id: i32, month: &str) -> ProductForecast {
    ProductForecast {
        product_id,
        product_name: "Pommes".to_owned(),
        category: "fruits".to_owned(),
        month: month.parse::<YearMonth>().unwrap(),
        horizon: 1,
        quantity: 120.5,
        lower: 100.0,
        upper: 140.0,
        interval_level: 0.8,
        popularity_rank: 1,
        category_rank: 1,
        model: "ols_saison_region".to_owned(),
        backtest_mase: Some(0.7),
        clamped_at_zero: false,
    }
}

fn store(mongo: &TestMongo) -> MongoStore {
    let store = MongoStore::connect(mongo.uri(), mongo.database()).unwrap();
    store.ensure_collections().unwrap();
    store
}

#[test]
fn ensure_collections_is_idempotent() {
    let mongo = TestMongo::create();
    let store = store(&mongo);
    store.ensure_collections().unwrap();

    let names = store.database().list_collection_names().run().unwrap();
    assert!(names.contains(&AGGREGATES_COLLECTION.to_owned()));
    assert!(names.contains(&FORECASTS_COLLECTION.to_owned()));

    let indexes = store
        .database()
        .collection::<Document>(AGGREGATES_COLLECTION)
        .list_index_names()
        .run()
        .unwrap();
    assert!(indexes.contains(&"cle_region_categorie_mois".to_owned()), "{indexes:?}");
}

#[test]
fn aggregates_round_trip_exactly() {
    let mongo = TestMongo::create();
    let mut store = store(&mongo);
    let written = vec![
        aggregate(1, "fruits", "2024-01", 12_345, 98_765),
        aggregate(1, "vins", "2024-01", 1, 1),
        aggregate(2, "fruits", "2024-02", 999_999_999_999, 12_345_678_901),
    ];

    let summary = store.replace_aggregates(&written).unwrap();
    assert_eq!(summary.upserted, 3);
    assert_eq!(summary.deleted, 0);
    assert_eq!(store.aggregates().unwrap(), written);
}

#[test]
fn replace_twice_leaves_same_documents() {
    let mongo = TestMongo::create();
    let mut store = store(&mongo);
    let written = vec![
        aggregate(1, "fruits", "2024-01", 10, 20),
        aggregate(2, "vins", "2024-03", 30, 40),
    ];

    store.replace_aggregates(&written).unwrap();
    let collection = store.database().collection::<Document>(AGGREGATES_COLLECTION);
    let first: Vec<Document> = collection
        .find(doc! {})
        .sort(doc! { "_id": 1 })
        .run()
        .unwrap()
        .map(Result::unwrap)
        .collect();
    store.replace_aggregates(&written).unwrap();
    let second: Vec<Document> = collection
        .find(doc! {})
        .sort(doc! { "_id": 1 })
        .run()
        .unwrap()
        .map(Result::unwrap)
        .collect();

    assert_eq!(first, second);
    assert_eq!(second.len(), 2);
}

#[test]
fn replace_removes_stale_keys() {
    let mongo = TestMongo::create();
    let mut store = store(&mongo);
    store
        .replace_aggregates(&[
            aggregate(1, "fruits", "2024-01", 10, 20),
            aggregate(1, "fruits", "2024-02", 10, 20),
        ])
        .unwrap();

    let summary = store
        .replace_aggregates(&[aggregate(1, "fruits", "2024-02", 11, 21)])
        .unwrap();

    assert_eq!(summary.deleted, 1);
    let stored = store.aggregates().unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].total_quantity, Quantity::from_milli(11));
}

#[test]
fn forecasts_round_trip() {
    let mongo = TestMongo::create();
    let mut store = store(&mongo);
    let written = vec![forecast(1, "2026-01"), forecast(2, "2026-01")];
    store.replace_forecasts(&written).unwrap();
    store.replace_forecasts(&written).unwrap();
    let mut stored = store.forecasts().unwrap();
    stored.sort_by_key(|f| f.product_id);
    assert_eq!(stored, written);
}

#[test]
fn validator_rejects_bad_document() {
    let mongo = TestMongo::create();
    let store = store(&mongo);
    let collection = store.database().collection::<Document>(AGGREGATES_COLLECTION);
    let result = collection
        .insert_one(doc! { "id_region": 1, "catégorie": "fruits", "mois": "2024-13" })
        .run();
    assert!(
        result.is_err(),
        "a document without totals and with month 13 was accepted"
    );
}

#[test]
fn unique_key_rejects_duplicate() {
    let mongo = TestMongo::create();
    let mut store = store(&mongo);
    store
        .replace_aggregates(&[aggregate(1, "fruits", "2024-01", 10, 20)])
        .unwrap();
    let mut duplicate = agrisales_mongo::aggregate_document(&aggregate(1, "fruits", "2024-01", 10, 20));
    duplicate.remove("_id");
    let result = store
        .database()
        .collection::<Document>(AGGREGATES_COLLECTION)
        .insert_one(duplicate)
        .run();
    assert!(result.is_err(), "a second document with the same key was accepted");
}

#[test]
fn unreachable_server_names_host_and_port() {
    let error = MongoStore::connect("mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=500", "x").unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, MongoError::Connect { .. }), "{message}");
    assert!(message.contains("127.0.0.1:1"), "{message}");
}

#[test]
fn credentials_never_appear_in_errors() {
    let error =
        MongoStore::connect("mongodb://alice:s3cret@127.0.0.1:1/?serverSelectionTimeoutMS=500", "x").unwrap_err();
    assert!(!error.to_string().contains("s3cret"), "{error}");
}

#[test]
fn invalid_database_names_are_rejected() {
    for name in ["", "bad/name", "a$b", "with space", &"x".repeat(64)] {
        let error = MongoStore::connect("mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=500", name).unwrap_err();
        assert!(
            matches!(error, MongoError::InvalidDatabaseName { .. }),
            "{name:?}: {error}"
        );
    }
}

#[test]
fn scoped_replace_keeps_other_months() {
    let mongo = TestMongo::create();
    let mut store = store(&mongo);
    store
        .replace_aggregates(&[
            aggregate(1, "fruits", "2024-01", 1_000, 100),
            aggregate(1, "fruits", "2024-02", 2_000, 200),
            aggregate(2, "fruits", "2024-02", 3_000, 300),
            aggregate(1, "fruits", "2024-03", 4_000, 400),
        ])
        .unwrap();

    // 2024-02 loses region 2 and changes region 1; 2024-04 is new.
    let months: Vec<YearMonth> = ["2024-02", "2024-04"].iter().map(|m| m.parse().unwrap()).collect();
    let summary = store
        .replace_aggregates_in_months(
            &months,
            &[
                aggregate(1, "fruits", "2024-02", 2_500, 250),
                aggregate(1, "fruits", "2024-04", 5_000, 500),
            ],
        )
        .unwrap();
    assert_eq!((summary.upserted, summary.deleted), (2, 1));

    let stored = store.aggregates().unwrap();
    let keys: Vec<(i32, String, i64)> = stored
        .iter()
        .map(|a| (a.region_id, a.month.to_string(), a.total_quantity.milli()))
        .collect();
    assert_eq!(
        keys,
        vec![
            (1, "2024-01".to_owned(), 1_000),
            (1, "2024-02".to_owned(), 2_500),
            (1, "2024-03".to_owned(), 4_000),
            (1, "2024-04".to_owned(), 5_000),
        ]
    );

    let outside = store.replace_aggregates_in_months(&months[..1], &[aggregate(1, "fruits", "2024-04", 1, 1)]);
    assert!(matches!(outside, Err(MongoError::OutOfScope { .. })), "{outside:?}");
    assert_eq!(
        store.aggregates().unwrap().len(),
        4,
        "a refused replacement wrote something"
    );
}

#[test]
fn server_announces_write_limits() {
    let mongo = TestMongo::create();
    let store = store(&mongo);
    let limits = store.limits();
    assert!(limits.max_write_batch_size >= 1_000, "{limits:?}");
    assert!(limits.max_bson_object_size >= 1024 * 1024, "{limits:?}");
}
