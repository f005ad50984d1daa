//! Renders every chart kind from hand-made records and parses the output:
//! PNG with a decoder, SVG and the HTML page with an XML parser.

use agrisales_charts::{
    Chart, HTML_FILE, Measure, ProductHistory, RegionTopProduct, ReportInput, product_forecast, render_png, render_svg,
    sales_by_region, top_forecast_products, write_report,
};
use agrisales_domain::{Cents, MonthlyAggregate, ProductForecast, Quantity, Revenue, YearMonth};

const LONG_REGION: &str = "Provence-Alpes-Côte d'Azur";

fn month(text: &str) -> YearMonth {
    text.parse().unwrap()
}

fn aggregates() -> Vec<MonthlyAggregate> {
    let regions = [(1, "Île-de-France"), (2, LONG_REGION), (3, "Bourgogne-Franche-Comté")];
    let mut records = Vec::new();
    for (region_id, region_name) in regions {
        for offset in 0..36 {
            let month = month("2024-01").plus(offset);
            let grams = 1_000_000 + i64::from(offset) * 50_000 * i64::from(region_id);
            records.push(MonthlyAggregate {
                region_id,
                region_name: region_name.to_owned(),
                category: "légumes".to_owned(),
                month,
                total_quantity: Quantity::from_milli(grams),
                revenue: Cents::new(grams * 3),
                revenue_exact: Revenue::from_raw(i128::from(grams) * 3_000),
                sale_count: 10,
                change_vs_previous_month: None,
                change_vs_previous_year: None,
            });
        }
    }
    records
}

fn forecasts() -> Vec<ProductForecast> {
    let products = [
        (1, "Pommes Golden", "fruits", 900.0),
        (2, "Crème fraîche d'Isigny", "produits laitiers", 450.0),
    ];
    let mut records = Vec::new();
    for (product_id, name, category, base) in products {
        for horizon in 1..=3_u32 {
            records.push(ProductForecast {
                product_id,
                product_name: name.to_owned(),
                category: category.to_owned(),
                month: month("2025-12").plus(i32::try_from(horizon).unwrap()),
                horizon,
                quantity: base,
                lower: base * 0.7,
                upper: base * 1.3,
                interval_level: 0.8,
                popularity_rank: u32::try_from(product_id).unwrap(),
                category_rank: 1,
                model: "ols_saison_region".to_owned(),
                backtest_mase: Some(0.75),
                clamped_at_zero: false,
            });
        }
    }
    records
}

fn history() -> ProductHistory {
    ProductHistory {
        product_id: 2,
        product_name: "Crème fraîche d'Isigny".to_owned(),
        months: (0..24)
            .map(|m| {
                (
                    month("2024-01").plus(m),
                    Quantity::from_milli(400_000 + i64::from(m) * 2_000),
                )
            })
            .collect(),
    }
}

fn charts() -> Vec<(&'static str, Chart)> {
    vec![
        ("lines", Chart::Line(sales_by_region(&aggregates(), Measure::Revenue))),
        ("bars", Chart::Bar(top_forecast_products(&forecasts(), 10))),
        ("forecast", Chart::Forecast(product_forecast(&history(), &forecasts()))),
    ]
}

fn empty_charts() -> Vec<(&'static str, Chart)> {
    let no_product = ProductHistory {
        product_id: 9,
        product_name: "Miel de lavande".to_owned(),
        months: Vec::new(),
    };
    vec![
        ("lines", Chart::Line(sales_by_region(&[], Measure::Revenue))),
        ("bars", Chart::Bar(top_forecast_products(&[], 10))),
        ("forecast", Chart::Forecast(product_forecast(&no_product, &[]))),
    ]
}

/// Decodes `bytes` as PNG and returns (width, height, distinct pixel values seen).
fn decode_png(bytes: &[u8]) -> (u32, u32, usize) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).expect("PNG image data");
    let samples = info.color_type.samples();
    let distinct: std::collections::HashSet<&[u8]> = pixels[..info.buffer_size()].chunks(samples).collect();
    (info.width, info.height, distinct.len())
}

/// Returns every text node of an SVG or XHTML document, decoded.
fn texts(document: &roxmltree::Document<'_>) -> Vec<String> {
    document
        .descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect()
}

#[test]
fn png_charts_decode_at_slide_size() {
    for (name, chart) in charts() {
        let bytes = render_png(&chart, name).unwrap();
        let (width, height, colors) = decode_png(&bytes);
        assert_eq!((width, height), (1280, 720), "{name}");
        assert!(colors > 20, "{name} has only {colors} distinct colours: nothing drawn?");
    }
}

#[test]
fn svg_charts_parse_and_keep_accents() {
    let (_, lines) = &charts()[0];
    let svg = render_svg(lines, "lines").unwrap();
    let document = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    assert_eq!(document.root_element().tag_name().name(), "svg");
    let texts = texts(&document);
    assert!(texts.iter().any(|t| t == LONG_REGION), "{texts:?}");
    assert!(texts.iter().any(|t| t == "Île-de-France"), "{texts:?}");
    assert!(texts.iter().any(|t| t == "Revenue (€)"), "{texts:?}");
    assert!(
        texts.iter().any(|t| t == "Region (by total, largest first)"),
        "{texts:?}"
    );
    assert!(texts.iter().any(|t| t == "2024-01"), "{texts:?}");
    assert!(!texts.iter().any(|t| t.contains("No data")), "{texts:?}");
}

#[test]
fn forecast_svg_names_interval_and_months() {
    let (_, forecast) = &charts()[2];
    let svg = render_svg(forecast, "forecast").unwrap();
    let document = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    let texts = texts(&document);
    assert!(texts.iter().any(|t| t == "80 % prediction interval"), "{texts:?}");
    assert!(texts.iter().any(|t| t == "2026-01"), "first forecast month: {texts:?}");
    assert!(texts.iter().any(|t| t.contains("Crème fraîche d'Isigny")), "{texts:?}");
}

#[test]
fn empty_charts_say_no_data() {
    for (name, chart) in empty_charts() {
        assert!(chart.is_empty(), "{name}");
        let svg = render_svg(&chart, name).unwrap();
        let document = roxmltree::Document::parse(&svg).expect("well-formed SVG");
        let texts = texts(&document);
        assert!(texts.iter().any(|t| t == "No data"), "{name}: {texts:?}");

        let (width, height, _) = decode_png(&render_png(&chart, name).unwrap());
        assert_eq!((width, height), (1280, 720), "{name}");
    }
}

#[test]
fn report_writes_parseable_files() {
    let dir = std::env::temp_dir().join(format!("agrisales-charts-test-{}", std::process::id()));
    let input = ReportInput {
        source: "test <data> & more".to_owned(),
        aggregates: aggregates(),
        forecasts: forecasts(),
        top_by_region: vec![RegionTopProduct {
            region_id: 2,
            region_name: LONG_REGION.to_owned(),
            rank: 1,
            product_id: 2,
            product_name: "Crème fraîche d'Isigny".to_owned(),
            category: "produits laitiers".to_owned(),
            quantity: Quantity::from_milli(1_234_500),
            revenue: Cents::new(987_654),
        }],
        product: history(),
    };
    let written = write_report(&dir, &input).unwrap();
    assert_eq!(written.len(), 9, "{written:?}");

    let html = std::fs::read_to_string(dir.join(HTML_FILE)).unwrap();
    let document = roxmltree::Document::parse_with_options(
        &html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..roxmltree::ParsingOptions::default()
        },
    )
    .expect("the page is well-formed");
    let svgs = document.descendants().filter(|n| n.has_tag_name("svg")).count();
    assert!(svgs >= 4, "{svgs} inline SVG elements");
    let texts = texts(&document);
    assert!(texts.iter().any(|t| t.contains("test <data> & more")), "escaped source");
    assert!(texts.iter().any(|t| t == LONG_REGION), "region in the table");
    assert!(texts.iter().any(|t| t == "9876.54"), "revenue in the table: {texts:?}");
    assert!(
        texts.iter().any(|t| t == "900 [630 – 1 170]"),
        "forecast cell: {texts:?}"
    );

    std::fs::remove_dir_all(&dir).unwrap();
}
