//! Rendering of a [`Chart`] to SVG text, and to PNG by rasterizing that
//! SVG.

use plotters::prelude::*;
use resvg::{tiny_skia, usvg};

use crate::draw::{Chart, HEIGHT, WIDTH, draw_chart};
use crate::{ChartError, ensure_font};

/// Renders `chart` as an SVG document of [`WIDTH`] × [`HEIGHT`] pixels.
///
/// `name` names the chart in errors. Text stays text in the SVG, in the
/// `sans-serif` family.
pub fn render_svg(chart: &Chart, name: &str) -> Result<String, ChartError> {
    ensure_font()?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        draw_chart(chart, &root).map_err(|e| draw_error(name, &e))?;
        root.present().map_err(|e| draw_error(name, &e))?;
    }
    Ok(svg)
}

/// Renders `chart` as a PNG image of [`WIDTH`] × [`HEIGHT`] pixels (8-bit
/// RGBA).
///
/// resvg rasterizes the SVG of [`render_svg`] with the chart font, so
/// both files show the same picture. Plotters' own bitmap text drawing
/// with `ab_glyph` ignores each glyph's side bearing, which leaves uneven
/// gaps between letters.
pub fn render_png(chart: &Chart, name: &str) -> Result<Vec<u8>, ChartError> {
    let svg = render_svg(chart, name)?;
    let font = ensure_font()?;

    let options = usvg::Options {
        fontdb: font.database,
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(&svg, &options).map_err(|e| draw_error(name, &e))?;
    let mut pixmap = tiny_skia::Pixmap::new(WIDTH, HEIGHT).ok_or_else(|| ChartError::Draw {
        chart: name.to_owned(),
        message: format!("cannot allocate a {WIDTH} × {HEIGHT} image"),
    })?;
    resvg::render(&tree, tiny_skia::Transform::identity(), &mut pixmap.as_mut());
    pixmap
        .encode_png()
        .map_err(|e| draw_error(name, &format!("PNG encoding failed: {e}")))
}

fn draw_error(name: &str, error: &dyn std::fmt::Display) -> ChartError {
    ChartError::Draw {
        chart: name.to_owned(),
        message: error.to_string(),
    }
}
