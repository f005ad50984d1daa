//! Drawing of the prepared charts with plotters. The code is generic over
//! the backend, and the crate renders with the SVG backend only.

use plotters::coord::Shift;
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use agrisales_domain::YearMonth;

use crate::data::{BarChart, ForecastChart, LineChart, Measure};

/// Image width in pixels: 16:9 at 720p, the size of a slide.
pub const WIDTH: u32 = 1280;
/// Image height in pixels.
pub const HEIGHT: u32 = 720;

/// Width of the legend panel at the right of the plot. It fits
/// "Provence-Alpes-Côte d'Azur", the longest region name, at 16 px.
const LEGEND_WIDTH: u32 = 300;

const FONT: &str = "sans-serif";
const TEXT: RGBColor = RGBColor(33, 33, 33);
const GRID: RGBColor = RGBColor(225, 225, 225);
const MUTED: RGBColor = RGBColor(110, 110, 110);

/// Line colours (the "tab10" palette of matplotlib). More than ten series
/// reuse them with dashes, so 13 regions stay apart.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

const HISTORY_COLOR: RGBColor = PALETTE[0];
const FORECAST_COLOR: RGBColor = PALETTE[1];

/// A prepared chart of any kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    /// Monthly lines, one per region or category.
    Line(LineChart),
    /// Horizontal bars.
    Bar(BarChart),
    /// A product's history and forecast.
    Forecast(ForecastChart),
}

impl Chart {
    /// Returns the chart's title.
    pub fn title(&self) -> &str {
        match self {
            Chart::Line(c) => &c.title,
            Chart::Bar(c) => &c.title,
            Chart::Forecast(c) => &c.title,
        }
    }

    /// Returns whether there is nothing to draw. Such a chart shows a
    /// "No data" message.
    pub fn is_empty(&self) -> bool {
        match self {
            Chart::Line(c) => c.is_empty(),
            Chart::Bar(c) => c.is_empty(),
            Chart::Forecast(c) => c.is_empty(),
        }
    }
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Draws `chart` on `root`, which should be [`WIDTH`] × [`HEIGHT`].
pub fn draw_chart<DB: DrawingBackend>(chart: &Chart, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let padded = root.margin(16, 8, 8, 8);
    let body = padded.titled(chart.title(), title_style())?;
    if chart.is_empty() {
        return draw_no_data(&body, no_data_reason(chart));
    }
    match chart {
        Chart::Line(c) => draw_lines(c, &body),
        Chart::Bar(c) => draw_bars(c, &body),
        Chart::Forecast(c) => draw_forecast(c, &body),
    }
}

fn no_data_reason(chart: &Chart) -> String {
    match chart {
        Chart::Line(_) => "agrégats_ventes holds no documents to plot".to_owned(),
        Chart::Bar(_) => "no product has a forecast above 0".to_owned(),
        Chart::Forecast(c) => format!("{} has no sales and no forecast", c.product_name),
    }
}

fn title_style() -> TextStyle<'static> {
    TextStyle::from((FONT, 28).into_font().style(FontStyle::Bold)).color(&TEXT)
}

fn text_style(size: u32) -> TextStyle<'static> {
    TextStyle::from((FONT, size).into_font()).color(&TEXT)
}

fn draw_no_data<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, reason: String) -> DrawResult<DB> {
    let (width, height) = area.dim_in_pixel();
    let center = Pos::new(HPos::Center, VPos::Center);
    let x = i32::try_from(width / 2).unwrap_or(0);
    let y = i32::try_from(height / 2).unwrap_or(0);
    area.draw_text("No data", &text_style(40).color(&MUTED).pos(center), (x, y - 30))?;
    area.draw_text(&reason, &text_style(20).color(&MUTED).pos(center), (x, y + 20))?;
    Ok(())
}

/// Symbol of a legend entry.
enum Mark {
    Line(RGBColor),
    Dashed(RGBColor),
    Band(RGBColor),
    Swatch(RGBColor),
}

/// Draws a legend in its own panel, so that it never covers the data.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    heading: &str,
    entries: &[(String, Mark)],
) -> DrawResult<DB> {
    let left = Pos::new(HPos::Left, VPos::Center);
    let row = 27;
    let mut y = 40;
    area.draw_text(
        heading,
        &TextStyle::from((FONT, 17).into_font().style(FontStyle::Bold))
            .color(&TEXT)
            .pos(left),
        (10, y),
    )?;
    for (label, mark) in entries {
        y += row;
        match mark {
            Mark::Line(color) => area.draw(&PathElement::new(vec![(10, y), (44, y)], color.stroke_width(3)))?,
            Mark::Dashed(color) => {
                for start in [10, 24, 38] {
                    area.draw(&PathElement::new(
                        vec![(start, y), (start + 8, y)],
                        color.stroke_width(3),
                    ))?;
                }
            }
            Mark::Band(color) => area.draw(&Rectangle::new([(10, y - 7), (44, y + 7)], color.mix(0.25).filled()))?,
            Mark::Swatch(color) => area.draw(&Rectangle::new([(18, y - 8), (34, y + 8)], color.filled()))?,
        }
        area.draw_text(label, &text_style(16).pos(left), (54, y))?;
    }
    Ok(())
}

/// Returns the step between labelled months so that about 12 labels fit.
fn month_label_step(months: usize) -> usize {
    [1, 2, 3, 6, 12, 24, 60]
        .into_iter()
        .find(|step| months.div_ceil(*step) <= 13)
        .unwrap_or(120)
}

/// Returns whether `month` gets a label when every `step`-th month does. Steps up
/// to a year start at January (quarters start in January, April, July
/// and October); longer steps count from the `first` month.
fn is_labelled(month: YearMonth, first: YearMonth, step: usize) -> bool {
    if step <= 12 {
        (month.month() as usize - 1).is_multiple_of(step)
    } else {
        usize::try_from(month.ordinal() - first.ordinal()).is_ok_and(|offset| offset.is_multiple_of(step))
    }
}

/// Formats an axis value with a k or M suffix: 1500000 → "1.5 M".
pub fn format_short(value: f64) -> String {
    let magnitude = value.abs();
    let (scaled, suffix) = if magnitude >= 1e6 {
        (value / 1e6, " M")
    } else if magnitude >= 1e3 {
        (value / 1e3, " k")
    } else {
        (value, "")
    };
    let text = format!("{scaled:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    format!("{text}{suffix}")
}

/// Formats a value with thousands separated by a space and no decimals:
/// 12345.6 → "12 346".
pub fn format_thousands(value: f64) -> String {
    let rounded = format!("{:.0}", value.abs());
    let mut grouped = String::new();
    for (i, digit) in rounded.chars().enumerate() {
        if i > 0 && (rounded.len() - i) % 3 == 0 {
            grouped.push(' ');
        }
        grouped.push(digit);
    }
    if value < 0.0 && rounded != "0" {
        grouped.insert(0, '-');
    }
    grouped
}

/// Returns the upper end of a value axis: the maximum plus headroom, and
/// 1 when every value is 0, so the axis range is never empty.
fn axis_top(max: f64, headroom: f64) -> f64 {
    if max > 0.0 { max * headroom } else { 1.0 }
}

/// Returns the x range of `months` months: index coordinates, at least
/// one unit wide.
fn month_axis(months: usize) -> std::ops::Range<i32> {
    let last = i32::try_from(months.saturating_sub(1)).unwrap_or(i32::MAX);
    0..last.max(1)
}

fn draw_lines<DB: DrawingBackend>(chart: &LineChart, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
    let (width, _) = area.dim_in_pixel();
    let (plot, legend) = area.split_horizontally(width.saturating_sub(LEGEND_WIDTH));

    let max = chart
        .series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .fold(0.0, f64::max);
    let months = &chart.months;
    let step = month_label_step(months.len());
    let month_label = |i: &i32| -> String {
        let Some(month) = usize::try_from(*i).ok().and_then(|i| months.get(i)) else {
            return String::new();
        };
        if is_labelled(*month, months[0], step) {
            month.to_string()
        } else {
            String::new()
        }
    };

    let mut builder = ChartBuilder::on(&plot);
    builder
        .margin_top(10)
        .margin_left(10)
        .margin_right(20)
        .x_label_area_size(60)
        .y_label_area_size(95);
    let mut cartesian = builder.build_cartesian_2d(month_axis(months.len()), 0.0..axis_top(max, 1.08))?;
    cartesian
        .configure_mesh()
        .x_labels(months.len())
        .disable_x_mesh()
        .x_label_formatter(&month_label)
        .y_label_formatter(&|v| format_short(*v))
        .y_labels(8)
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_desc("Month")
        .y_desc(chart.measure.axis_label())
        .label_style(text_style(15))
        .axis_desc_style(text_style(17))
        .draw()?;

    let mut entries = Vec::new();
    for (index, series) in chart.series.iter().enumerate() {
        let color = PALETTE[index % PALETTE.len()];
        let points: Vec<(i32, f64)> = series
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| (i32::try_from(i).unwrap_or(i32::MAX), *v))
            .collect();
        if index < PALETTE.len() {
            cartesian.draw_series(LineSeries::new(points, color.stroke_width(2)))?;
            entries.push((series.name.clone(), Mark::Line(color)));
        } else {
            cartesian.draw_series(DashedLineSeries::new(points, 8, 5, color.stroke_width(2)))?;
            entries.push((series.name.clone(), Mark::Dashed(color)));
        }
    }

    let heading = format!("{} (by total, largest first)", chart.group_label);
    draw_legend(&legend, &heading, &entries)
}

fn draw_bars<DB: DrawingBackend>(chart: &BarChart, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
    let (width, _) = area.dim_in_pixel();
    let (plot, legend) = area.split_horizontally(width.saturating_sub(LEGEND_WIDTH - 80));

    // Colour by category, in order of first appearance from the top.
    let mut categories: Vec<&str> = Vec::new();
    for bar in &chart.bars {
        if !categories.contains(&bar.category.as_str()) {
            categories.push(&bar.category);
        }
    }
    let color_of = |category: &str| {
        let index = categories.iter().position(|c| *c == category).unwrap_or(0);
        PALETTE[index % PALETTE.len()]
    };

    // The label area fits the longest product name.
    let label_style = text_style(16);
    let mut label_width = 120;
    for bar in &chart.bars {
        let (w, _) = plot.estimate_text_size(&bar.label, &label_style)?;
        label_width = label_width.max(w + 24);
    }
    let label_width = label_width.min(width / 3);

    let count = i32::try_from(chart.bars.len()).unwrap_or(i32::MAX);
    let max = chart.bars.iter().map(|b| b.value).fold(0.0, f64::max);
    // Bar i is drawn at row count - 1 - i, so the largest is on top.
    let row_of = |i: usize| count - 1 - i32::try_from(i).unwrap_or(0);
    let bars = &chart.bars;
    let bar_label = |v: &SegmentValue<i32>| -> String {
        match v {
            SegmentValue::CenterOf(row) => usize::try_from(count - 1 - row)
                .ok()
                .and_then(|i| bars.get(i))
                .map(|b| b.label.clone())
                .unwrap_or_default(),
            _ => String::new(),
        }
    };

    let mut builder = ChartBuilder::on(&plot);
    builder
        .margin_top(10)
        .margin_left(10)
        .margin_right(20)
        .x_label_area_size(60)
        .y_label_area_size(label_width);
    // An integer range includes its end, so rows 0 to count - 1 make
    // exactly one segment per bar.
    let mut cartesian = builder.build_cartesian_2d(0.0..axis_top(max, 1.18), (0..count - 1).into_segmented())?;
    cartesian
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .y_labels(chart.bars.len())
        .y_label_formatter(&bar_label)
        .x_label_formatter(&|v| format_short(*v))
        .x_desc(chart.axis_label.as_str())
        .label_style(label_style.clone())
        .axis_desc_style(text_style(17))
        .draw()?;

    let value_style = text_style(14).color(&MUTED).pos(Pos::new(HPos::Left, VPos::Center));
    for (i, bar) in chart.bars.iter().enumerate() {
        let row = row_of(i);
        let mut rectangle = Rectangle::new(
            [
                (0.0, SegmentValue::Exact(row)),
                (bar.value, SegmentValue::Exact(row + 1)),
            ],
            color_of(&bar.category).filled(),
        );
        rectangle.set_margin(4, 4, 0, 0);
        cartesian.draw_series(std::iter::once(rectangle))?;
        let value = format!("{} kg", format_thousands(bar.value));
        cartesian.draw_series(std::iter::once(
            EmptyElement::at((bar.value, SegmentValue::CenterOf(row))) + Text::new(value, (6, 0), value_style.clone()),
        ))?;
    }

    let entries: Vec<(String, Mark)> = categories
        .iter()
        .map(|c| ((*c).to_owned(), Mark::Swatch(color_of(c))))
        .collect();
    draw_legend(&legend, "Category", &entries)
}

fn draw_forecast<DB: DrawingBackend>(chart: &ForecastChart, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
    let (width, _) = area.dim_in_pixel();
    let (plot, legend) = area.split_horizontally(width.saturating_sub(LEGEND_WIDTH));

    let months = chart.months();
    let history_len = chart.history.len();
    let max = chart
        .history
        .iter()
        .map(|(_, v)| *v)
        .chain(chart.forecast.iter().map(|p| p.upper.max(p.quantity)))
        .fold(0.0, f64::max);
    let step = month_label_step(months.len());
    let month_label = |i: &i32| -> String {
        let Some(month) = usize::try_from(*i).ok().and_then(|i| months.get(i)) else {
            return String::new();
        };
        let aligned = is_labelled(*month, months[0], step);
        // The first forecast month is always labelled: it is the point of
        // the chart.
        if aligned || *i as usize == history_len {
            month.to_string()
        } else {
            String::new()
        }
    };

    let mut builder = ChartBuilder::on(&plot);
    builder
        .margin_top(10)
        .margin_left(10)
        .margin_right(20)
        .x_label_area_size(60)
        .y_label_area_size(95);
    // One empty month at the right keeps the last forecast off the frame.
    let mut cartesian = builder.build_cartesian_2d(month_axis(months.len() + 1), 0.0..axis_top(max, 1.08))?;
    cartesian
        .configure_mesh()
        .x_labels(months.len() + 1)
        .disable_x_mesh()
        .x_label_formatter(&month_label)
        .y_label_formatter(&|v| format_short(*v))
        .y_labels(8)
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_desc("Month")
        .y_desc(Measure::Quantity.axis_label())
        .label_style(text_style(15))
        .axis_desc_style(text_style(17))
        .draw()?;

    let index = |i: usize| i32::try_from(i).unwrap_or(i32::MAX);
    let history: Vec<(i32, f64)> = chart
        .history
        .iter()
        .enumerate()
        .map(|(i, (_, v))| (index(i), *v))
        .collect();
    let forecast: Vec<(i32, f64, f64, f64)> = chart
        .forecast
        .iter()
        .enumerate()
        .map(|(i, p)| (index(history_len + i), p.quantity, p.lower, p.upper))
        .collect();

    // The band and the dashed forecast line start at the last actual
    // month, so they visibly continue the history.
    let anchor = history.last().copied();
    if !forecast.is_empty() {
        let mut band: Vec<(i32, f64)> = anchor.into_iter().collect();
        band.extend(forecast.iter().map(|(x, _, _, upper)| (*x, *upper)));
        band.extend(forecast.iter().rev().map(|(x, _, lower, _)| (*x, *lower)));
        cartesian.draw_series(std::iter::once(Polygon::new(band, FORECAST_COLOR.mix(0.22).filled())))?;

        let mut line: Vec<(i32, f64)> = anchor.into_iter().collect();
        line.extend(forecast.iter().map(|(x, q, _, _)| (*x, *q)));
        cartesian.draw_series(DashedLineSeries::new(line, 10, 6, FORECAST_COLOR.stroke_width(3)))?;
        cartesian.draw_series(
            forecast
                .iter()
                .map(|(x, q, _, _)| Circle::new((*x, *q), 4, FORECAST_COLOR.filled())),
        )?;
    }
    if !history.is_empty() {
        cartesian.draw_series(LineSeries::new(history.clone(), HISTORY_COLOR.stroke_width(2)))?;
        cartesian.draw_series(
            history
                .iter()
                .map(|(x, v)| Circle::new((*x, *v), 3, HISTORY_COLOR.filled())),
        )?;
    }

    let level = chart.interval_level.map_or(80.0, |l| l * 100.0);
    let mut entries = vec![("Monthly sales (kg)".to_owned(), Mark::Line(HISTORY_COLOR))];
    if !forecast.is_empty() {
        entries.push(("Forecast (kg)".to_owned(), Mark::Dashed(FORECAST_COLOR)));
        entries.push((format!("{level:.0} % prediction interval"), Mark::Band(FORECAST_COLOR)));
    }
    draw_legend(&legend, &format!("Product {}", chart.product_id), &entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_format_uses_suffixes() {
        assert_eq!(format_short(0.0), "0");
        assert_eq!(format_short(250.0), "250");
        assert_eq!(format_short(2_500.0), "2.5 k");
        assert_eq!(format_short(400_000.0), "400 k");
        assert_eq!(format_short(1_500_000.0), "1.5 M");
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(format_thousands(0.4), "0");
        assert_eq!(format_thousands(999.0), "999");
        assert_eq!(format_thousands(12_345.6), "12 346");
        assert_eq!(format_thousands(1_234_567.0), "1 234 567");
        assert_eq!(format_thousands(-1_000.0), "-1 000");
    }

    #[test]
    fn month_labels_stay_few() {
        assert_eq!(month_label_step(12), 1);
        assert_eq!(month_label_step(13), 1);
        assert_eq!(month_label_step(24), 2);
        assert_eq!(month_label_step(39), 3);
        assert_eq!(month_label_step(72), 6);
    }
}
