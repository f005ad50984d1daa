//! Charts of agrisales: sales trends and forecasts as PNG, SVG and one
//! self-contained HTML page.
//!
//! The crate uses no database. Callers read the records (the documents of
//! `agrégats_ventes` and `prévisions_popularité`, a product's monthly
//! history) and pass them in:
//!
//! - [`data`] prepares the values behind each chart from domain records,
//!   with exact sums, into small structs ([`LineChart`], [`BarChart`],
//!   [`ForecastChart`]) that tests compare with the stored documents.
//! - [`render_svg`] draws a [`Chart`] with plotters as SVG at 1280 × 720
//!   pixels, and [`render_png`] rasterizes that SVG with resvg. A chart
//!   without data shows "No data" and the reason instead of an empty
//!   frame.
//! - [`write_report`] writes the four charts of the report and
//!   `report.html`, which embeds them as SVG and adds the table of the top
//!   products per region and the forecast table.
//!
//! Text is drawn with a TrueType font loaded at run time (see
//! [`ensure_font`]): DejaVu Sans from Debian's `fonts-dejavu-core`, or the
//! file named by `AGRISALES_CHART_FONT`.
//!
//! # Example
//!
//! ```no_run
//! use agrisales_charts::{Chart, Measure, render_png, sales_by_region};
//!
//! let aggregates = Vec::new(); // e.g. MongoStore::aggregates()
//! let chart = Chart::Line(sales_by_region(&aggregates, Measure::Revenue));
//! let png = render_png(&chart, "sales_by_region")?; // draws "No data"
//! std::fs::write("sales_by_region.png", png).expect("writable folder");
//! # Ok::<(), agrisales_charts::ChartError>(())
//! ```

pub mod data;
mod draw;
mod error;
mod font;
mod html;
mod render;
mod report;

pub use data::{
    Bar, BarChart, ForecastChart, ForecastPoint, LineChart, Measure, ProductHistory, Series, product_forecast,
    sales_by_category, sales_by_region, top_forecast_products,
};
pub use draw::{Chart, HEIGHT, WIDTH, format_short, format_thousands};
pub use error::{ChartError, FontError};
pub use font::{ChartFont, FONT_ENV, ensure_font};
pub use html::{RegionTopProduct, escape};
pub use render::{render_png, render_svg};
pub use report::{
    HTML_FILE, NamedChart, PreparedDir, ReportInput, TOP_PRODUCTS, prepare_charts, prepare_output_dir, write_report,
};
