//! The report: every chart as PNG and SVG plus the HTML page, in one
//! folder.

use std::path::{Path, PathBuf};

use agrisales_domain::{MonthlyAggregate, ProductForecast};

use crate::data::{
    Measure, ProductHistory, product_forecast, sales_by_category, sales_by_region, top_forecast_products,
};
use crate::draw::Chart;
use crate::html::{PageChart, RegionTopProduct, page};
use crate::{ChartError, render_png, render_svg};

/// Name of the HTML page in the output folder.
pub const HTML_FILE: &str = "report.html";

/// Number of bars of the top-products chart.
pub const TOP_PRODUCTS: usize = 10;

/// Everything the report shows, read by the caller from the databases.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportInput {
    /// Data source shown on the page, such as the servers' `host:port/database`.
    /// It must not contain credentials.
    pub source: String,
    /// The documents of `agrégats_ventes`.
    pub aggregates: Vec<MonthlyAggregate>,
    /// The documents of `prévisions_popularité`.
    pub forecasts: Vec<ProductForecast>,
    /// The top products by revenue of each region.
    pub top_by_region: Vec<RegionTopProduct>,
    /// The monthly history of the product whose forecast is charted.
    pub product: ProductHistory,
}

/// A chart with the file stem it is written under.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedChart {
    /// File stem, such as `sales_by_region`.
    pub stem: &'static str,
    /// The prepared chart.
    pub chart: Chart,
}

/// Prepares the report's four charts, in page order: revenue by region,
/// quantity by category, top products by forecast, and the chosen
/// product's history with its forecast.
pub fn prepare_charts(input: &ReportInput) -> Vec<NamedChart> {
    vec![
        NamedChart {
            stem: "sales_by_region",
            chart: Chart::Line(sales_by_region(&input.aggregates, Measure::Revenue)),
        },
        NamedChart {
            stem: "sales_by_category",
            chart: Chart::Line(sales_by_category(&input.aggregates, Measure::Quantity)),
        },
        NamedChart {
            stem: "top_products",
            chart: Chart::Bar(top_forecast_products(&input.forecasts, TOP_PRODUCTS)),
        },
        NamedChart {
            stem: "product_forecast",
            chart: Chart::Forecast(product_forecast(&input.product, &input.forecasts)),
        },
    ]
}

/// The output folder of a report, checked writable.
///
/// It lists the folders [`prepare_output_dir`] had to create, so that a
/// failed report can remove them while they are empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedDir {
    dir: PathBuf,
    /// The highest folder that did not exist before, `None` when `dir`
    /// existed.
    created: Option<PathBuf>,
}

impl PreparedDir {
    /// Returns the output folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Removes the folders [`prepare_output_dir`] created, innermost
    /// first, as long as they are empty; a folder that contains a file stays,
    /// with its parents. Folders that existed before are never touched.
    /// Meant for a report that failed before writing anything.
    pub fn remove_if_empty(&self) {
        let Some(top) = &self.created else { return };
        for folder in self.dir.ancestors() {
            // `remove_dir` refuses a folder that is not empty.
            if std::fs::remove_dir(folder).is_err() || folder == top.as_path() {
                return;
            }
        }
    }
}

/// Creates `dir` if needed and checks that a file can be written in it,
/// so that a bad folder fails before any database work.
pub fn prepare_output_dir(dir: &Path) -> Result<PreparedDir, ChartError> {
    let dir_error = |source| ChartError::OutputDir {
        path: dir.to_owned(),
        source,
    };
    let created = dir
        .ancestors()
        .take_while(|folder| !folder.as_os_str().is_empty() && !folder.exists())
        .last()
        .map(Path::to_owned);
    let prepared = PreparedDir {
        dir: dir.to_owned(),
        created,
    };

    let checked = std::fs::create_dir_all(dir).and_then(|()| {
        let probe = dir.join(".agrisales-write-test");
        std::fs::write(&probe, b"")?;
        std::fs::remove_file(&probe)
    });
    if let Err(source) = checked {
        prepared.remove_if_empty();
        return Err(dir_error(source));
    }
    Ok(prepared)
}

/// Writes every chart as `STEM.png` and `STEM.svg` and the page
/// [`HTML_FILE`] into `dir`, creating it if needed; returns the written
/// paths in order. Existing files of the same names are replaced.
pub fn write_report(dir: &Path, input: &ReportInput) -> Result<Vec<PathBuf>, ChartError> {
    prepare_output_dir(dir)?;
    let charts = prepare_charts(input);

    let mut written = Vec::new();
    let mut svgs = Vec::new();
    for named in &charts {
        let png = render_png(&named.chart, named.stem)?;
        written.push(write_file(&dir.join(format!("{}.png", named.stem)), &png)?);
        let svg = render_svg(&named.chart, named.stem)?;
        written.push(write_file(&dir.join(format!("{}.svg", named.stem)), svg.as_bytes())?);
        svgs.push(svg);
    }

    let page_charts: Vec<PageChart<'_>> = charts
        .iter()
        .zip(&svgs)
        .map(|(named, svg)| PageChart {
            title: named.chart.title(),
            svg,
            png_file: format!("{}.png", named.stem),
        })
        .collect();
    let html = page(&input.source, &page_charts, &input.top_by_region, &input.forecasts);
    written.push(write_file(&dir.join(HTML_FILE), html.as_bytes())?);
    tracing::info!(dir = %dir.display(), files = written.len(), "report written");
    Ok(written)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<PathBuf, ChartError> {
    std::fs::write(path, bytes).map_err(|source| ChartError::Write {
        path: path.to_owned(),
        source,
    })?;
    Ok(path.to_owned())
}
