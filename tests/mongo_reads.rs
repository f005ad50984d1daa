//! MongoDB reads over what the ETL wrote, against the real servers.

use agrisales::datagen::GeneratorConfig;
use agrisales::domain::{MonthlyAggregate, YearMonth};
use agrisales::etl::{EtlConfig, Silent, run_etl, seed_database};
use agrisales::mongo::{AggregateQuery, MongoStore};
use agrisales::postgres::PgRepository;
use agrisales_testkit::{TestMongo, TestPostgres};

struct Loaded {
    _pg: TestPostgres,
    _mongo: TestMongo,
    store: MongoStore,
    written: Vec<MonthlyAggregate>,
}

fn loaded() -> Loaded {
    let pg = TestPostgres::create();
    let mongo = TestMongo::create();
    let mut repo = PgRepository::connect(pg.url()).unwrap();
    repo.run_migrations().unwrap();
    seed_database(
        &mut repo,
        &GeneratorConfig {
            rows: 8_000,
            ..GeneratorConfig::default()
        },
        |_| {},
    )
    .unwrap();
    let mut store = MongoStore::connect(mongo.uri(), mongo.database()).unwrap();
    store.ensure_collections().unwrap();
    run_etl(&mut repo, &mut store, &EtlConfig::default(), &mut Silent).unwrap();
    let written = store.aggregates().unwrap();
    Loaded {
        _pg: pg,
        _mongo: mongo,
        store,
        written,
    }
}

fn month(text: &str) -> YearMonth {
    text.parse().unwrap()
}

#[test]
fn region_read_returns_its_documents() {
    let l = loaded();
    let region = l.written[0].region_id;
    let (first, last) = (month("2023-04"), month("2024-09"));

    let read = l.store.region_monthly_sales(region, first, last).unwrap();

    let mut expected: Vec<MonthlyAggregate> = l
        .written
        .iter()
        .filter(|a| a.region_id == region && a.month >= first && a.month <= last)
        .cloned()
        .collect();
    expected.sort_by(|a, b| a.month.cmp(&b.month).then(a.category.cmp(&b.category)));
    assert!(!expected.is_empty());
    assert_eq!(read, expected);
}

#[test]
fn category_read_returns_its_documents() {
    let l = loaded();
    let (first, last) = (month("2023-01"), month("2025-12"));

    let read = l.store.category_monthly_sales("fruits", first, last).unwrap();

    let mut expected: Vec<MonthlyAggregate> = l.written.iter().filter(|a| a.category == "fruits").cloned().collect();
    expected.sort_by(|a, b| a.month.cmp(&b.month).then(a.region_id.cmp(&b.region_id)));
    assert!(!expected.is_empty());
    assert_eq!(read, expected);
}

#[test]
fn reads_use_an_index() {
    let l = loaded();
    let queries = [
        AggregateQuery::region(l.written[0].region_id, month("2023-01"), month("2025-12")).unwrap(),
        AggregateQuery::category("vins", month("2023-01"), month("2025-12")).unwrap(),
    ];
    for query in queries {
        let stages = l.store.plan_stages(&query).unwrap();
        assert!(stages.iter().any(|s| s == "IXSCAN"), "{:?}: {stages:?}", query.filter);
        assert!(
            !stages.iter().any(|s| s == "COLLSCAN"),
            "{:?}: {stages:?}",
            query.filter
        );
    }
}

#[test]
fn year_to_date_equals_sum_of_documents() {
    let l = loaded();
    let through = month("2024-06");

    let totals = l.store.year_to_date_by_region(through).unwrap();

    let regions: std::collections::BTreeSet<i32> = l.written.iter().map(|a| a.region_id).collect();
    assert_eq!(totals.len(), regions.len());
    for total in &totals {
        let months = l
            .written
            .iter()
            .filter(|a| a.region_id == total.id_region && a.month.year() == 2024 && a.month <= through);
        let (milli, exact, count) = months.fold((0_i64, 0_i128, 0_i64), |(m, r, n), a| {
            (
                m + a.total_quantity.milli(),
                r + a.revenue_exact.raw(),
                n + a.sale_count as i64,
            )
        });
        let cents = agrisales::domain::Revenue::from_raw(exact).to_cents_rounded().get();
        assert_eq!(total.total_quantity.milli(), milli, "region {}", total.id_region);
        assert_eq!(total.revenue.get(), cents, "region {}", total.id_region);
        assert_eq!(total.sale_count, count, "region {}", total.id_region);
    }
}

#[test]
fn reversed_month_range_is_rejected() {
    let l = loaded();
    let error = l
        .store
        .region_monthly_sales(1, month("2024-06"), month("2024-01"))
        .unwrap_err();
    assert!(
        error.to_string().contains("first month must not be after the last"),
        "{error}"
    );
}
