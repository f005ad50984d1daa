//! The data behind each chart, prepared from domain records without any
//! drawing, so that tests compare it with the stored documents.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use agrisales_domain::{Cents, MonthlyAggregate, ProductForecast, Quantity, YearMonth};

/// Measure of a sales chart, with its unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// `chiffre_affaires`, euros.
    Revenue,
    /// `quantité_totale`, kilograms (litres for wine).
    Quantity,
}

impl Measure {
    /// Axis title with the unit.
    pub fn axis_label(self) -> &'static str {
        match self {
            Measure::Revenue => "Revenue (€)",
            Measure::Quantity => "Quantity (kg; wine in L)",
        }
    }

    /// Unit symbol, for value labels.
    pub fn unit(self) -> &'static str {
        match self {
            Measure::Revenue => "€",
            Measure::Quantity => "kg",
        }
    }
}

/// One line of a [`LineChart`].
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend text: a region or category name as stored.
    pub name: String,
    /// One value per month of [`LineChart::months`]; 0 for a month without
    /// a document.
    pub values: Vec<f64>,
}

impl Series {
    /// Sum of the values, which orders the legend.
    pub fn total(&self) -> f64 {
        self.values.iter().sum()
    }
}

/// Monthly values of several groups over the same consecutive months.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// Chart title.
    pub title: String,
    /// Measure of the values.
    pub measure: Measure,
    /// Legend heading naming the groups: "Region" or "Category".
    pub group_label: &'static str,
    /// Consecutive months, from the first to the last month with data.
    pub months: Vec<YearMonth>,
    /// One series per group, largest total first, so the legend lists the
    /// lines roughly from top to bottom.
    pub series: Vec<Series>,
}

impl LineChart {
    /// Returns whether there is nothing to draw.
    pub fn is_empty(&self) -> bool {
        self.months.is_empty() || self.series.is_empty()
    }
}

/// One bar of a [`BarChart`].
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// `id_produit`.
    pub product_id: i32,
    /// Bar label: the product's `nom`.
    pub label: String,
    /// `catégorie` of the product.
    pub category: String,
    /// Length of the bar, in the chart's unit.
    pub value: f64,
}

/// Horizontal bars, the largest first.
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    /// Chart title.
    pub title: String,
    /// Axis title with the unit.
    pub axis_label: String,
    /// Bars, in drawing order from the top.
    pub bars: Vec<Bar>,
}

impl BarChart {
    /// Returns whether there is nothing to draw.
    pub fn is_empty(&self) -> bool {
        self.bars.is_empty()
    }
}

/// One forecast month of a [`ForecastChart`], kilograms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ForecastPoint {
    /// `mois`.
    pub month: YearMonth,
    /// `quantité_prévue`.
    pub quantity: f64,
    /// `borne_basse`.
    pub lower: f64,
    /// `borne_haute`.
    pub upper: f64,
}

/// A product's monthly sales followed by its forecast and interval.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastChart {
    /// Chart title.
    pub title: String,
    /// `id_produit`.
    pub product_id: i32,
    /// `nom`.
    pub product_name: String,
    /// Consecutive months of sales, kilograms, 0 for a month without sales.
    pub history: Vec<(YearMonth, f64)>,
    /// Forecast months in order.
    pub forecast: Vec<ForecastPoint>,
    /// `niveau_intervalle` of the forecasts (0.8 = 80 %), if any.
    pub interval_level: Option<f64>,
}

impl ForecastChart {
    /// Returns whether there is nothing to draw.
    pub fn is_empty(&self) -> bool {
        self.history.is_empty() && self.forecast.is_empty()
    }

    /// Returns all months of the x axis: the history, then the forecast.
    pub fn months(&self) -> Vec<YearMonth> {
        let mut months: Vec<YearMonth> = self.history.iter().map(|(m, _)| *m).collect();
        months.extend(self.forecast.iter().map(|p| p.month));
        months
    }
}

/// A product's monthly sales, the input of [`product_forecast`].
#[derive(Debug, Clone, PartialEq)]
pub struct ProductHistory {
    /// `id_produit`.
    pub product_id: i32,
    /// `nom`.
    pub product_name: String,
    /// Months with their total quantity, in any order; missing months
    /// count 0.
    pub months: Vec<(YearMonth, Quantity)>,
}

/// Prepares the monthly sales of every region (the sum over categories of
/// the `agrégats_ventes` documents of each region and month).
///
/// Sums are exact (cents, grams) before conversion to `f64`. Series are
/// keyed by `id_region`, named by `région`.
pub fn sales_by_region(aggregates: &[MonthlyAggregate], measure: Measure) -> LineChart {
    monthly_lines(
        aggregates,
        measure,
        "Region",
        format!("Monthly sales by region: {}", measure_word(measure)),
        |a| (format!("{:08}", a.region_id), a.region_name.clone()),
    )
}

/// Prepares the monthly sales of every category (the sum over regions of
/// the `agrégats_ventes` documents of each category and month).
pub fn sales_by_category(aggregates: &[MonthlyAggregate], measure: Measure) -> LineChart {
    monthly_lines(
        aggregates,
        measure,
        "Category",
        format!("Monthly sales by category: {}", measure_word(measure)),
        |a| (a.category.clone(), a.category.clone()),
    )
}

fn measure_word(measure: Measure) -> &'static str {
    match measure {
        Measure::Revenue => "revenue",
        Measure::Quantity => "quantity",
    }
}

/// Groups `aggregates` by the key `group` returns (sort key, legend name)
/// and month, summing exactly.
fn monthly_lines(
    aggregates: &[MonthlyAggregate],
    measure: Measure,
    group_label: &'static str,
    title: String,
    group: impl Fn(&MonthlyAggregate) -> (String, String),
) -> LineChart {
    let Some(first) = aggregates.iter().map(|a| a.month).min() else {
        return LineChart {
            title,
            measure,
            group_label,
            months: Vec::new(),
            series: Vec::new(),
        };
    };
    let last = aggregates.iter().map(|a| a.month).max().unwrap_or(first);
    let months = month_range(first, last);

    // Integer sums per (group, month offset): cents or grams.
    let mut sums: BTreeMap<String, (String, Vec<i64>)> = BTreeMap::new();
    for aggregate in aggregates {
        let (key, name) = group(aggregate);
        let entry = sums.entry(key).or_insert_with(|| (name, vec![0; months.len()]));
        let offset = usize::try_from(aggregate.month.ordinal() - first.ordinal()).unwrap_or(0);
        entry.1[offset] += match measure {
            Measure::Revenue => aggregate.revenue.get(),
            Measure::Quantity => aggregate.total_quantity.milli(),
        };
    }

    let mut series: Vec<Series> = sums
        .into_values()
        .map(|(name, raw)| Series {
            name,
            values: raw.into_iter().map(|v| to_unit(v, measure)).collect(),
        })
        .collect();
    // Stable sort: equal totals keep the key order (region id, category).
    series.sort_by(|a, b| b.total().total_cmp(&a.total()));
    LineChart {
        title,
        measure,
        group_label,
        months,
        series,
    }
}

fn to_unit(raw: i64, measure: Measure) -> f64 {
    match measure {
        Measure::Revenue => Cents::new(raw).euros(),
        Measure::Quantity => Quantity::from_milli(raw).kg(),
    }
}

/// Returns the months from `first` to `last`, both included.
pub fn month_range(first: YearMonth, last: YearMonth) -> Vec<YearMonth> {
    (first.ordinal()..=last.ordinal())
        .map(YearMonth::from_ordinal)
        .collect()
}

/// Prepares the `top` products by forecast quantity summed over all
/// forecast months of `prévisions_popularité`.
///
/// Ties go to the lower `id_produit`. Products whose forecasts sum to 0
/// are left out, because a bar of length 0 shows nothing.
pub fn top_forecast_products(forecasts: &[ProductForecast], top: usize) -> BarChart {
    let months: BTreeSet<YearMonth> = forecasts.iter().map(|f| f.month).collect();
    let period = match (months.first(), months.last()) {
        (Some(first), Some(last)) if first != last => format!("{first} to {last}"),
        (Some(only), _) => only.to_string(),
        _ => "no forecast".to_owned(),
    };

    let mut totals: BTreeMap<i32, Bar> = BTreeMap::new();
    for forecast in forecasts {
        let bar = totals.entry(forecast.product_id).or_insert_with(|| Bar {
            product_id: forecast.product_id,
            label: forecast.product_name.clone(),
            category: forecast.category.clone(),
            value: 0.0,
        });
        bar.value += forecast.quantity;
    }
    let mut bars: Vec<Bar> = totals.into_values().filter(|b| b.value > 0.0).collect();
    bars.sort_by(|a, b| b.value.total_cmp(&a.value).then(a.product_id.cmp(&b.product_id)));
    bars.truncate(top);

    BarChart {
        title: format!("Top {top} products by forecast quantity, {period}"),
        axis_label: format!("Forecast quantity over {} months (kg; wine in L)", months.len()),
        bars,
    }
}

/// Prepares one product's chart: its monthly history, then the forecasts
/// of `prévisions_popularité` whose `id_produit` is the product's.
///
/// The history runs from its first month to the month before the first
/// forecast month. Months without sales, including those after the
/// product's last sale, count 0: the ETL forecasts from the last month
/// with sales of any product, so a product that stopped selling earlier
/// really sold nothing in between.
pub fn product_forecast(history: &ProductHistory, forecasts: &[ProductForecast]) -> ForecastChart {
    let mut points: Vec<ForecastPoint> = forecasts
        .iter()
        .filter(|f| f.product_id == history.product_id)
        .map(|f| ForecastPoint {
            month: f.month,
            quantity: f.quantity,
            lower: f.lower,
            upper: f.upper,
        })
        .collect();
    points.sort_by_key(|p| p.month);
    let interval_level = forecasts
        .iter()
        .find(|f| f.product_id == history.product_id)
        .map(|f| f.interval_level);

    let mut grams: HashMap<YearMonth, i64> = HashMap::new();
    for (month, quantity) in &history.months {
        *grams.entry(*month).or_insert(0) += quantity.milli();
    }
    let first = grams.keys().min().copied();
    let last_sale = grams.keys().max().copied();
    let last = match (points.first(), last_sale) {
        (Some(forecast), _) => Some(forecast.month.plus(-1)),
        (None, last_sale) => last_sale,
    };
    let history_points = match (first, last) {
        (Some(first), Some(last)) if first <= last => month_range(first, last)
            .into_iter()
            .map(|m| (m, Quantity::from_milli(grams.get(&m).copied().unwrap_or(0)).kg()))
            .collect(),
        _ => Vec::new(),
    };

    ForecastChart {
        title: format!("{}: monthly sales and forecast", history.product_name),
        product_id: history.product_id,
        product_name: history.product_name.clone(),
        history: history_points,
        forecast: points,
        interval_level,
    }
}

#[cfg(test)]
mod tests {
    use agrisales_domain::Revenue;

    use super::*;

    fn month(text: &str) -> YearMonth {
        text.parse().unwrap()
    }

    fn aggregate(region: i32, name: &str, category: &str, mois: &str, grams: i64, cents: i64) -> MonthlyAggregate {
        MonthlyAggregate {
            region_id: region,
            region_name: name.to_owned(),
            category: category.to_owned(),
            month: month(mois),
            total_quantity: Quantity::from_milli(grams),
            revenue: Cents::new(cents),
            revenue_exact: Revenue::from_raw(i128::from(cents) * 1000),
            sale_count: 1,
            change_vs_previous_month: None,
            change_vs_previous_year: None,
        }
    }

    fn forecast(id: i32, name: &str, mois: &str, quantity: f64) -> ProductForecast {
        ProductForecast {
            product_id: id,
            product_name: name.to_owned(),
            category: "fruits".to_owned(),
            month: month(mois),
            horizon: 1,
            quantity,
            lower: quantity * 0.5,
            upper: quantity * 1.5,
            interval_level: 0.8,
            popularity_rank: 1,
            category_rank: 1,
            model: "ols".to_owned(),
            backtest_mase: Some(0.8),
            clamped_at_zero: false,
        }
    }

    #[test]
    fn region_lines_sum_categories_and_fill_gaps() {
        let aggregates = [
            aggregate(2, "Corse", "fruits", "2024-01", 1_500, 1_001),
            aggregate(2, "Corse", "vins", "2024-01", 500, 2_002),
            aggregate(2, "Corse", "vins", "2024-03", 1_000, 10),
            aggregate(1, "Île-de-France", "fruits", "2024-02", 9_000, 99_999),
        ];
        let chart = sales_by_region(&aggregates, Measure::Revenue);

        assert_eq!(chart.months, vec![month("2024-01"), month("2024-02"), month("2024-03")]);
        assert_eq!(chart.series.len(), 2);
        assert_eq!(chart.series[0].name, "Île-de-France");
        assert_eq!(chart.series[0].values, vec![0.0, 999.99, 0.0]);
        assert_eq!(chart.series[1].name, "Corse");
        assert_eq!(chart.series[1].values, vec![30.03, 0.0, 0.1]);
    }

    #[test]
    fn category_lines_sum_regions_in_kg() {
        let aggregates = [
            aggregate(1, "Bretagne", "légumes", "2024-01", 1_250, 1),
            aggregate(2, "Corse", "légumes", "2024-01", 750, 1),
        ];
        let chart = sales_by_category(&aggregates, Measure::Quantity);

        assert_eq!(chart.series.len(), 1);
        assert_eq!(chart.series[0].name, "légumes");
        assert_eq!(chart.series[0].values, vec![2.0]);
        assert_eq!(chart.measure.unit(), "kg");
    }

    #[test]
    fn line_chart_of_nothing_is_empty() {
        assert!(sales_by_region(&[], Measure::Revenue).is_empty());
        assert!(sales_by_category(&[], Measure::Quantity).is_empty());
    }

    #[test]
    fn top_products_sum_months_and_break_ties() {
        let forecasts = [
            forecast(3, "Poires", "2026-01", 5.0),
            forecast(3, "Poires", "2026-02", 5.0),
            forecast(1, "Pommes", "2026-01", 10.0),
            forecast(2, "Cerises", "2026-01", 12.0),
            forecast(4, "Rien", "2026-01", 0.0),
        ];
        let chart = top_forecast_products(&forecasts, 2);

        let ids: Vec<i32> = chart.bars.iter().map(|b| b.product_id).collect();
        assert_eq!(ids, vec![2, 1]);
        assert_eq!(chart.bars[0].value, 12.0);
        assert!(chart.title.contains("2026-01 to 2026-02"), "{}", chart.title);

        let all = top_forecast_products(&forecasts, 10);
        assert_eq!(all.bars.len(), 3, "the product forecast at 0 is left out");
        assert_eq!(all.bars[1].product_id, 1, "a tie at 10 kg goes to the lower id");
    }

    #[test]
    fn product_chart_fills_history_up_to_the_forecast() {
        let history = ProductHistory {
            product_id: 7,
            product_name: "Comté".to_owned(),
            months: vec![
                (month("2025-09"), Quantity::from_milli(2_000)),
                (month("2025-11"), Quantity::from_milli(3_500)),
            ],
        };
        let forecasts = [
            forecast(7, "Comté", "2026-02", 4.0),
            forecast(7, "Comté", "2026-01", 3.0),
            forecast(8, "Brie", "2026-01", 99.0),
        ];
        let chart = product_forecast(&history, &forecasts);

        assert_eq!(
            chart.history,
            vec![
                (month("2025-09"), 2.0),
                (month("2025-10"), 0.0),
                (month("2025-11"), 3.5),
                (month("2025-12"), 0.0),
            ]
        );
        let forecast_months: Vec<YearMonth> = chart.forecast.iter().map(|p| p.month).collect();
        assert_eq!(forecast_months, vec![month("2026-01"), month("2026-02")]);
        assert_eq!(chart.forecast[0].lower, 1.5);
        assert_eq!(chart.interval_level, Some(0.8));
        assert_eq!(chart.months().len(), 6);
    }

    #[test]
    fn product_chart_without_sales_or_forecast_is_empty() {
        let history = ProductHistory {
            product_id: 1,
            product_name: "Miel".to_owned(),
            months: Vec::new(),
        };
        assert!(product_forecast(&history, &[]).is_empty());
    }
}
