//! The self-contained HTML page: charts as inline SVG and the tables.
//!
//! The page is HTML5 that is also well-formed XML (closed empty elements,
//! escaped text), so an XML parser can check it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use agrisales_domain::{Cents, ProductForecast, Quantity, YearMonth};

/// A product's rank by revenue in one region, a row of the page's table
/// of top products per region.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionTopProduct {
    /// `id_region`.
    pub region_id: i32,
    /// `nom_region`.
    pub region_name: String,
    /// 1 for the highest revenue in the region; ties share a rank.
    pub rank: i64,
    /// `id_produit`.
    pub product_id: i32,
    /// `nom`.
    pub product_name: String,
    /// `catégorie`.
    pub category: String,
    /// Quantity sold, kilograms.
    pub quantity: Quantity,
    /// Revenue, euros.
    pub revenue: Cents,
}

/// Escapes `text` for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// A chart on the page: its title and its SVG document.
pub(crate) struct PageChart<'a> {
    pub title: &'a str,
    pub svg: &'a str,
    pub png_file: String,
}

const STYLE: &str = "body{font-family:'DejaVu Sans',Arial,sans-serif;margin:2em auto;max-width:1320px;color:#212121}\
h1{font-size:1.8em}h2{margin-top:2em;font-size:1.3em}\
figure{margin:1em 0}figure svg{width:100%;height:auto;border:1px solid #ddd}\
figcaption{color:#666;font-size:.9em}\
table{border-collapse:collapse;margin:1em 0;font-size:.92em}\
th,td{border:1px solid #ddd;padding:.3em .6em}th{background:#f3f3f3;text-align:left}\
td.n{text-align:right;font-variant-numeric:tabular-nums}\
p.source{color:#666;font-size:.9em}";

/// Builds the page.
pub(crate) fn page(
    source: &str,
    charts: &[PageChart<'_>],
    top_by_region: &[RegionTopProduct],
    forecasts: &[ProductForecast],
) -> String {
    let mut html = String::new();
    html.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n");
    html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n");
    html.push_str("<title>Agricultural sales: trends and forecasts</title>\n");
    let _ = writeln!(html, "<style>{STYLE}</style>\n</head>\n<body>");
    html.push_str("<h1>Agricultural sales: trends and forecasts</h1>\n");
    let _ = writeln!(html, "<p class=\"source\">Data: {}</p>", escape(source));

    for chart in charts {
        let _ = writeln!(
            html,
            "<h2>{}</h2>\n<figure>\n{}\n<figcaption>Also as {} and the SVG file of the same name.</figcaption>\n</figure>",
            escape(chart.title),
            scalable_svg(chart.svg),
            escape(&chart.png_file)
        );
    }

    html.push_str(&top_products_table(top_by_region));
    html.push_str(&forecast_table(forecasts));
    html.push_str("</body>\n</html>\n");
    html
}

/// Makes a plotters SVG scale with the page: plotters writes a fixed
/// `width` and `height`; a `viewBox` lets CSS resize it.
fn scalable_svg(svg: &str) -> String {
    let svg = svg.trim_start();
    let svg = match svg.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map_or(svg, |(_, body)| body.trim_start()),
        None => svg,
    };
    if svg.contains("viewBox") {
        return svg.to_owned();
    }
    let view_box = format!(
        "<svg viewBox=\"0 0 {} {}\" role=\"img\"",
        crate::draw::WIDTH,
        crate::draw::HEIGHT
    );
    svg.replacen("<svg", &view_box, 1)
}

fn top_products_table(rows: &[RegionTopProduct]) -> String {
    let mut html = String::from("<h2>Top products by revenue in each region</h2>\n");
    if rows.is_empty() {
        html.push_str("<p>No data: no region has sales.</p>\n");
        return html;
    }
    html.push_str(
        "<table>\n<thead><tr><th>Region</th><th>Rank</th><th>Product</th><th>Category</th>\
         <th>Quantity (kg)</th><th>Revenue (€)</th></tr></thead>\n<tbody>\n",
    );
    for row in rows {
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(&row.region_name),
            row.rank,
            escape(&row.product_name),
            escape(&row.category),
            row.quantity,
            row.revenue
        );
    }
    html.push_str("</tbody>\n</table>\n");
    html
}

/// Builds the forecast table: one row per product, ordered by its
/// popularity rank in the first forecast month, and one column per
/// forecast month.
fn forecast_table(forecasts: &[ProductForecast]) -> String {
    let mut html = String::from("<h2>Forecasts for the next months</h2>\n");
    let months: BTreeSet<YearMonth> = forecasts.iter().map(|f| f.month).collect();
    let Some(first_month) = months.first().copied() else {
        html.push_str("<p>No data: prévisions_popularité holds no documents.</p>\n");
        return html;
    };
    let level = forecasts.first().map_or(0.8, |f| f.interval_level) * 100.0;
    let _ = writeln!(
        html,
        "<p>Quantity in kg (wine in L), with the {level:.0} % prediction interval in brackets. \
         Rank: popularity among all products in {first_month}. \
         MASE below 1 means the model beat the seasonal naive forecast in backtests.</p>"
    );

    let mut by_product: BTreeMap<i32, Vec<&ProductForecast>> = BTreeMap::new();
    for forecast in forecasts {
        by_product.entry(forecast.product_id).or_default().push(forecast);
    }
    let mut products: Vec<Vec<&ProductForecast>> = by_product.into_values().collect();
    let first_rank = |rows: &Vec<&ProductForecast>| {
        rows.iter()
            .find(|f| f.month == first_month)
            .map_or(u32::MAX, |f| f.popularity_rank)
    };
    products.sort_by_key(|rows| (first_rank(rows), rows.first().map_or(0, |f| f.product_id)));

    html.push_str("<table>\n<thead><tr><th>Rank</th><th>Product</th><th>Category</th>");
    for month in &months {
        let _ = write!(html, "<th>{month}</th>");
    }
    html.push_str("<th>Model</th><th>MASE</th></tr></thead>\n<tbody>\n");
    for rows in &products {
        let Some(any) = rows.first() else { continue };
        let rank = first_rank(rows);
        let rank = if rank == u32::MAX {
            String::new()
        } else {
            rank.to_string()
        };
        let _ = write!(
            html,
            "<tr><td class=\"n\">{rank}</td><td>{}</td><td>{}</td>",
            escape(&any.product_name),
            escape(&any.category)
        );
        for month in &months {
            match rows.iter().find(|f| f.month == *month) {
                Some(f) => {
                    let _ = write!(
                        html,
                        "<td class=\"n\">{} [{} – {}]</td>",
                        crate::draw::format_thousands(f.quantity),
                        crate::draw::format_thousands(f.lower),
                        crate::draw::format_thousands(f.upper)
                    );
                }
                None => html.push_str("<td></td>"),
            }
        }
        let mase = any.backtest_mase.map_or_else(String::new, |m| format!("{m:.2}"));
        let _ = writeln!(html, "<td>{}</td><td class=\"n\">{mase}</td></tr>", escape(&any.model));
    }
    html.push_str("</tbody>\n</table>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_markup_characters() {
        assert_eq!(
            escape("Provence-Alpes-Côte d'Azur <b> & \"x\""),
            "Provence-Alpes-Côte d&#39;Azur &lt;b&gt; &amp; &quot;x&quot;"
        );
    }

    #[test]
    fn svg_gets_a_view_box_once() {
        let svg = "<?xml version=\"1.0\"?>\n<svg width=\"10\" height=\"10\"><svg></svg></svg>";
        let scaled = scalable_svg(svg);
        assert!(scaled.starts_with("<svg viewBox=\"0 0 1280 720\""), "{scaled}");
        assert_eq!(scaled.matches("viewBox").count(), 1);
    }

    #[test]
    fn empty_tables_say_no_data() {
        let html = page("test", &[], &[], &[]);
        assert!(html.contains("No data: no region has sales."));
        assert!(html.contains("No data: prévisions_popularité holds no documents."));
    }
}
