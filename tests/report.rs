//! The charts and the `report` example on generated data, against the real
//! PostgreSQL and MongoDB servers (see agrisales-testkit for how to start
//! them).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::str::FromStr;

use agrisales::charts::{
    Measure, ProductHistory, product_forecast, sales_by_category, sales_by_region, top_forecast_products,
};
use agrisales::datagen::GeneratorConfig;
use agrisales::domain::{Cents, Quantity, YearMonth};
use agrisales::etl::{EtlConfig, Silent, run_etl, seed_database};
use agrisales::mongo::{AGGREGATES_COLLECTION, FORECASTS_COLLECTION, MongoStore};
use agrisales::postgres::{DateRange, PgRepository, ProductRef};
use agrisales_testkit::{TestMongo, TestPostgres, example_path};
use mongodb::bson::{Bson, Document, doc};

/// Generated sales: enough months for forecasts with backtests, few
/// enough rows to seed in seconds.
const ROWS: u64 = 20_000;

struct Loaded {
    pg: TestPostgres,
    mongo: TestMongo,
    repo: PgRepository,
    store: MongoStore,
}

/// Seeds a throw-away PostgreSQL database and runs the ETL into a
/// throw-away MongoDB database.
fn loaded(rows: u64) -> Loaded {
    let pg = TestPostgres::create();
    let mongo = TestMongo::create();
    let mut repo = PgRepository::connect(pg.url()).unwrap();
    repo.run_migrations().unwrap();
    let config = GeneratorConfig {
        rows,
        seed: 11,
        ..GeneratorConfig::default()
    };
    seed_database(&mut repo, &config, |_| {}).unwrap();
    let mut store = MongoStore::connect(mongo.uri(), mongo.database()).unwrap();
    store.ensure_collections().unwrap();
    run_etl(&mut repo, &mut store, &EtlConfig::default(), &mut Silent).unwrap();
    Loaded { pg, mongo, repo, store }
}

fn run_report(out: &Path, pg_url: &str, mongo: &TestMongo, extra: &[&str]) -> Output {
    Command::new(example_path("report"))
        .arg("--out")
        .arg(out)
        .args([
            "--database-url",
            pg_url,
            "--mongodb-uri",
            mongo.uri(),
            "--mongodb-database",
            mongo.database(),
        ])
        .args(extra)
        .output()
        .expect(
            "the report example is missing: `cargo test --workspace` builds it, or run `cargo build --example report`",
        )
}

/// Returns a fresh output folder path under the system's temporary folder.
fn out_dir(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(agrisales_testkit::unique_name(&format!("agrisales_report_{label}")));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn documents(store: &MongoStore, collection: &str) -> Vec<Document> {
    store
        .database()
        .collection::<Document>(collection)
        .find(doc! {})
        .run()
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Reads a `Decimal128` field as an integer number of `scale` decimals.
fn decimal_scaled(document: &Document, key: &str, scale: u32) -> i64 {
    let text = match document.get(key) {
        Some(Bson::Decimal128(d)) => d.to_string(),
        other => panic!("{key} is not a Decimal128: {other:?}"),
    };
    match scale {
        2 => Cents::from_str(&text).unwrap().get(),
        3 => Quantity::from_str(&text).unwrap().milli(),
        _ => panic!("unexpected scale {scale}"),
    }
}

fn month_of(document: &Document) -> YearMonth {
    document.get_str("mois").unwrap().parse().unwrap()
}

fn decode_png(path: &Path) -> (u32, u32) {
    let file = std::fs::File::open(path).unwrap();
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .unwrap_or_else(|e| panic!("{} is not a PNG: {e}", path.display()));
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader
        .next_frame(&mut pixels)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (info.width, info.height)
}

fn xml_texts(text: &str, what: &Path) -> (usize, Vec<String>) {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..roxmltree::ParsingOptions::default()
    };
    let document = roxmltree::Document::parse_with_options(text, options)
        .unwrap_or_else(|e| panic!("{} is not well-formed: {e}", what.display()));
    let svgs = document.descendants().filter(|n| n.has_tag_name("svg")).count();
    let texts = document
        .descendants()
        .filter_map(|n| n.text())
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    (svgs, texts)
}

#[test]
fn chart_data_equals_mongo_documents() {
    let mut loaded = loaded(ROWS);
    let aggregates = loaded.store.aggregates().unwrap();
    let forecasts = loaded.store.forecasts().unwrap();
    let aggregate_documents = documents(&loaded.store, AGGREGATES_COLLECTION);
    let forecast_documents = documents(&loaded.store, FORECASTS_COLLECTION);
    assert!(!aggregate_documents.is_empty());
    assert!(!forecast_documents.is_empty());

    // Expected sums straight from the BSON documents: cents per (région,
    // mois) and grams per (catégorie, mois).
    let mut revenue: BTreeMap<(String, YearMonth), i64> = BTreeMap::new();
    let mut grams: BTreeMap<(String, YearMonth), i64> = BTreeMap::new();
    for document in &aggregate_documents {
        let month = month_of(document);
        let region = document.get_str("région").unwrap().to_owned();
        let category = document.get_str("catégorie").unwrap().to_owned();
        *revenue.entry((region, month)).or_default() += decimal_scaled(document, "chiffre_affaires", 2);
        *grams.entry((category, month)).or_default() += decimal_scaled(document, "quantité_totale", 3);
    }
    let months: BTreeSet<YearMonth> = aggregate_documents.iter().map(month_of).collect();

    let by_region = sales_by_region(&aggregates, Measure::Revenue);
    let regions: BTreeSet<&str> = revenue.keys().map(|(r, _)| r.as_str()).collect();
    assert_eq!(by_region.series.len(), regions.len());
    assert_eq!(by_region.months.first(), months.first());
    assert_eq!(by_region.months.last(), months.last());
    for series in &by_region.series {
        for (month, value) in by_region.months.iter().zip(&series.values) {
            let expected = revenue.get(&(series.name.clone(), *month)).copied().unwrap_or(0);
            assert_eq!((value * 100.0).round() as i64, expected, "{} {month}", series.name);
        }
    }

    let by_category = sales_by_category(&aggregates, Measure::Quantity);
    let categories: BTreeSet<&str> = grams.keys().map(|(c, _)| c.as_str()).collect();
    assert_eq!(by_category.series.len(), categories.len());
    for series in &by_category.series {
        for (month, value) in by_category.months.iter().zip(&series.values) {
            let expected = grams.get(&(series.name.clone(), *month)).copied().unwrap_or(0);
            assert_eq!((value * 1000.0).round() as i64, expected, "{} {month}", series.name);
        }
    }

    // Top products: quantité_prévue summed per product over the months.
    let mut forecast_totals: BTreeMap<i32, f64> = BTreeMap::new();
    for document in &forecast_documents {
        *forecast_totals
            .entry(document.get_i32("id_produit").unwrap())
            .or_default() += document.get_f64("quantité_prévue").unwrap();
    }
    let mut expected_top: Vec<(i32, f64)> = forecast_totals.into_iter().filter(|(_, q)| *q > 0.0).collect();
    expected_top.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    expected_top.truncate(10);
    let top = top_forecast_products(&forecasts, 10);
    assert_eq!(top.bars.len(), expected_top.len());
    for (bar, (id, total)) in top.bars.iter().zip(&expected_top) {
        assert_eq!(bar.product_id, *id);
        assert!(
            (bar.value - total).abs() < 1e-6,
            "{}: {} vs {total}",
            bar.label,
            bar.value
        );
    }

    // The product chart: the forecast documents of the most popular
    // product, after its SQL history.
    let first = &forecasts[0];
    let product_documents: Vec<&Document> = forecast_documents
        .iter()
        .filter(|d| d.get_i32("id_produit").unwrap() == first.product_id)
        .collect();
    let history = loaded
        .repo
        .product_monthly_history(&ProductRef::Id(first.product_id), DateRange::all())
        .unwrap();
    let chart = product_forecast(
        &ProductHistory {
            product_id: first.product_id,
            product_name: first.product_name.clone(),
            months: history.iter().map(|m| (m.mois, m.quantite_totale)).collect(),
        },
        &forecasts,
    );
    assert_eq!(chart.forecast.len(), product_documents.len());
    assert_eq!(chart.forecast.len(), 3);
    for point in &chart.forecast {
        let document = product_documents
            .iter()
            .find(|d| month_of(d) == point.month)
            .unwrap_or_else(|| panic!("no document for {}", point.month));
        assert_eq!(point.quantity, document.get_f64("quantité_prévue").unwrap());
        assert_eq!(point.lower, document.get_f64("borne_basse").unwrap());
        assert_eq!(point.upper, document.get_f64("borne_haute").unwrap());
    }
    for month in &history {
        let charted = chart.history.iter().find(|(m, _)| *m == month.mois).map(|(_, v)| *v);
        assert_eq!(charted, Some(month.quantite_totale.kg()), "{}", month.mois);
    }
    assert_eq!(
        chart.history.last().map(|(m, _)| m.succ()),
        Some(chart.forecast[0].month)
    );

    drop(loaded.pg);
    drop(loaded.mongo);
}

#[test]
fn report_example_writes_valid_files() {
    let mut loaded = loaded(ROWS);
    let product = loaded
        .repo
        .products()
        .unwrap()
        .into_iter()
        .find(|p| !p.name.is_ascii())
        .expect("the generator has products with accents");
    let out = out_dir("valid");

    let output = run_report(&out, loaded.pg.url(), &loaded.mongo, &["--product", &product.name]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");

    let stems = [
        "sales_by_region",
        "sales_by_category",
        "top_products",
        "product_forecast",
    ];
    for stem in stems {
        let png = out.join(format!("{stem}.png"));
        assert_eq!(decode_png(&png), (1280, 720), "{stem}");
        assert!(stdout.contains(&png.display().to_string()), "{stdout}");

        let svg_path = out.join(format!("{stem}.svg"));
        let svg = std::fs::read_to_string(&svg_path).unwrap();
        let (svgs, texts) = xml_texts(&svg, &svg_path);
        assert_eq!(svgs, 1, "{stem}");
        assert!(!texts.iter().any(|t| t == "No data"), "{stem} has data: {texts:?}");
    }

    let region_svg = out.join("sales_by_region.svg");
    let (_, region_texts) = xml_texts(&std::fs::read_to_string(&region_svg).unwrap(), &region_svg);
    for region in loaded.repo.regions().unwrap() {
        assert!(
            region_texts.contains(&region.name),
            "{} missing from the legend",
            region.name
        );
    }
    let product_svg = out.join("product_forecast.svg");
    let (_, product_texts) = xml_texts(&std::fs::read_to_string(&product_svg).unwrap(), &product_svg);
    assert!(
        product_texts.iter().any(|t| t.starts_with(&product.name)),
        "{} missing from {product_texts:?}",
        product.name
    );

    let html_path = out.join("report.html");
    let html = std::fs::read_to_string(&html_path).unwrap();
    let (svgs, texts) = xml_texts(&html, &html_path);
    assert_eq!(svgs, 4, "charts inline");
    assert!(texts.iter().any(|t| t == "Top products by revenue in each region"));
    assert!(texts.iter().any(|t| t == "Forecasts for the next months"));
    assert!(
        texts.iter().any(|t| t == "Provence-Alpes-Côte d'Azur"),
        "long region name in the table"
    );
    assert!(texts.contains(&product.name), "product in the forecast table");
    assert!(
        !html.contains(loaded.pg.url()),
        "the page shows the server, not the URL"
    );

    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn unknown_product_is_a_clear_error() {
    let loaded = loaded(3_000);
    // A folder that existed before the run stays, with its files.
    let out = out_dir("unknown");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("notes.txt"), b"mine").unwrap();

    let output = run_report(&out, loaded.pg.url(), &loaded.mongo, &["--product", "Topinambour doré"]);
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert!(!output.status.success());
    assert!(stderr.contains("product `Topinambour doré` not found"), "{stderr}");
    assert!(stderr.contains("SELECT id_produit, nom FROM produits"), "{stderr}");
    assert_eq!(std::fs::read(out.join("notes.txt")).unwrap(), b"mine");
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1, "only notes.txt stays");

    // An existing empty folder stays too.
    let empty = out.join("empty");
    std::fs::create_dir(&empty).unwrap();
    let output = run_report(
        &empty,
        loaded.pg.url(),
        &loaded.mongo,
        &["--product", "Topinambour doré"],
    );
    assert!(!output.status.success());
    assert!(empty.is_dir());
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn empty_database_is_a_clear_error() {
    let pg = TestPostgres::create();
    let mongo = TestMongo::create();
    // Folders the run creates are removed when it fails.
    let out = out_dir("empty");
    let nested = out.join("charts").join("december");

    let output = run_report(&nested, pg.url(), &mongo, &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert!(!output.status.success());
    assert!(stderr.contains(mongo.database()), "{stderr}");
    assert!(stderr.contains("holds no documents in agrégats_ventes"), "{stderr}");
    assert!(stderr.contains("--example etl"), "{stderr}");
    assert!(!out.exists(), "{} was left behind", out.display());
}

#[test]
fn unwritable_output_folder_is_a_clear_error() {
    // No user can create a folder below a regular file, root included.
    // Root ignores missing write permission, so a read-only folder would
    // not fail when the tests run as root.
    let file = std::env::temp_dir().join(agrisales_testkit::unique_name("agrisales_report_file"));
    std::fs::write(&file, b"not a folder").unwrap();
    let out = file.join("charts");
    let mongo = TestMongo::create();

    // Port 1 refuses connections: the folder check must come first.
    let output = run_report(&out, "postgres://postgres@127.0.0.1:1/none", &mongo, &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert!(!output.status.success());
    assert!(stderr.contains("cannot write to the output folder"), "{stderr}");
    assert!(stderr.contains(&out.display().to_string()), "{stderr}");
    assert!(stderr.contains("--out"), "{stderr}");
    std::fs::remove_file(&file).unwrap();
}
