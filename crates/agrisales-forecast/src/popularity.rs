//! Product forecasts for the months after the data, with intervals and
//! popularity ranks.

use std::collections::HashMap;

use agrisales_domain::{Product, ProductForecast, ProductRegionSeries, YearMonth};

use crate::Forecaster;
use crate::backtest::quantile;
use crate::evaluation::{Evaluation, candidates, evaluate};
use crate::intervals::IntervalCalibration;
use crate::models::{HistoricalMean, SeasonRegionOls};

/// Settings of [`forecast_products`].
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastConfig {
    /// Months forecast after the last month with sales. Default: 3.
    pub horizon: usize,
    /// Months at the end of each series used as backtest origins.
    /// Default: 12.
    pub backtest_window: usize,
    /// Nominal coverage of the prediction interval. Default: 0.8.
    pub interval_level: f64,
}

impl Default for ForecastConfig {
    fn default() -> Self {
        Self {
            horizon: 3,
            backtest_window: 12,
            interval_level: 0.8,
        }
    }
}

/// Model name stored for products without any sale.
pub const NO_HISTORY_MODEL: &str = "sans_historique";

/// Forecasts every product of `products` for the `config.horizon` months
/// after `last_month`, and ranks them.
///
/// For each product with a series, four models are backtested: the OLS
/// model with and without trend, seasonal naive and the historical mean.
/// The one with the lowest MASE is chosen, and ties go to the simpler
/// model (baselines first). Without enough history for a backtest, the OLS model
/// is used when it fits, else the historical mean. Products without a
/// series forecast 0 with model [`NO_HISTORY_MODEL`].
///
/// The interval is the point forecast plus the product's MASE scale times
/// the empirical `(1 − level) / 2` and `(1 + level) / 2` quantiles of the
/// scaled backtest errors of every product's chosen model at that horizon
/// ([`IntervalCalibration`]). With fewer than 30 pooled errors it falls
/// back to the product's own errors (all horizons pooled when a horizon
/// has fewer than 5). Negative values are clamped to 0 and
/// `clamped_at_zero` records it.
///
/// Ranks use competition ranking ("1224"): equal forecasts share a rank,
/// ordered by product id within a tie.
pub fn forecast_products(
    series: &[ProductRegionSeries],
    products: &[Product],
    last_month: YearMonth,
    config: &ForecastConfig,
) -> Vec<ProductForecast> {
    let evaluations: Vec<Evaluation> = series
        .iter()
        .map(|s| evaluate(s, config.backtest_window, config.horizon))
        .collect();
    let pairs: Vec<(&ProductRegionSeries, &Evaluation)> = series.iter().zip(&evaluations).collect();
    let calibration = IntervalCalibration::new(&pairs);
    let by_product: HashMap<i32, (&ProductRegionSeries, &Evaluation)> =
        pairs.iter().map(|&(s, e)| (s.product_id, (s, e))).collect();

    let mut forecasts = Vec::with_capacity(products.len() * config.horizon);
    for product in products {
        let months = (1..=config.horizon).map(|h| (h, last_month.plus(h as i32)));
        match by_product.get(&product.id) {
            Some(&(history, evaluation)) => forecasts.extend(forecast_one(
                product,
                history,
                evaluation,
                &calibration,
                last_month,
                config,
            )),
            None => forecasts.extend(months.map(|(h, month)| empty_forecast(product, month, h, config))),
        }
    }

    assign_ranks(&mut forecasts);
    forecasts
}

fn forecast_one(
    product: &Product,
    history: &ProductRegionSeries,
    evaluation: &Evaluation,
    calibration: &IntervalCalibration,
    last_month: YearMonth,
    config: &ForecastConfig,
) -> Vec<ProductForecast> {
    // `SeriesBuilder` ends every series at the common last month. A series
    // from elsewhere may end earlier, so forecast through the gap.
    let gap = (last_month.ordinal() - history.last_month().ordinal()).max(0) as usize;
    let steps = config.horizon + gap;

    let choice = evaluation
        .chosen
        .and_then(|index| {
            let model = candidates()[index];
            let backtest = &evaluation.backtests[index];
            let points = model.forecast(history, steps).ok()?;
            Some(Choice {
                model: model.name(),
                errors: backtest.errors(),
                mase: backtest.mase(),
                points,
            })
        })
        .unwrap_or_else(|| fallback(history, steps));
    let Choice {
        model,
        errors,
        mase,
        points,
    } = choice;
    let scale = evaluation.chosen_backtest().map_or(0.0, |b| b.scale);

    let own_spread = interval_spread(&errors, history, config.interval_level);
    let spread = |h: usize| match calibration.scaled_bounds(h, config.interval_level, None) {
        Some((low, high)) if scale > 0.0 && mase.is_some() => (low * scale, high * scale),
        _ => own_spread(h),
    };
    (1..=config.horizon)
        .map(|h| {
            let raw = points.get(gap + h - 1).copied().unwrap_or(0.0);
            let (low_error, high_error) = spread(h);
            let quantity = raw.max(0.0);
            let lower = (raw + low_error).max(0.0).min(quantity);
            let upper = (raw + high_error).max(quantity);
            ProductForecast {
                product_id: product.id,
                product_name: product.name.clone(),
                category: product.category.clone(),
                month: last_month.plus(h as i32),
                horizon: h as u32,
                quantity,
                lower,
                upper,
                interval_level: config.interval_level,
                popularity_rank: 0,
                category_rank: 0,
                model: model.to_owned(),
                backtest_mase: mase,
                clamped_at_zero: raw < 0.0,
            }
        })
        .collect()
}

/// The model chosen for one product and what it produced.
struct Choice {
    model: &'static str,
    /// Backtest `(horizon, actual − forecast)` errors, kilograms.
    errors: Vec<(usize, f64)>,
    mase: Option<f64>,
    /// Raw forecasts for the months after the series, kilograms.
    points: Vec<f64>,
}

/// Model choice when no candidate has a backtest score.
fn fallback(history: &ProductRegionSeries, steps: usize) -> Choice {
    let ols = SeasonRegionOls { trend: false };
    match ols.forecast(history, steps) {
        Ok(points) => Choice {
            model: ols.name(),
            errors: Vec::new(),
            mase: None,
            points,
        },
        Err(_) => {
            let points = HistoricalMean
                .forecast(history, steps)
                .unwrap_or_else(|_| vec![0.0; steps]);
            Choice {
                model: HistoricalMean.name(),
                errors: Vec::new(),
                mase: None,
                points,
            }
        }
    }
}

/// Returns a function from horizon to (low, high) error quantiles.
///
/// Without backtest errors, the spread falls back to a normal
/// approximation on the monthly totals: ±z × standard deviation, where z
/// is the normal quantile of the level.
fn interval_spread<'a>(
    errors: &'a [(usize, f64)],
    history: &ProductRegionSeries,
    level: f64,
) -> impl Fn(usize) -> (f64, f64) + 'a {
    let low_q = (1.0 - level) / 2.0;
    let high_q = (1.0 + level) / 2.0;
    let all: Vec<f64> = errors.iter().map(|(_, e)| *e).collect();

    let totals = history.totals();
    let mean = totals.iter().sum::<f64>() / totals.len().max(1) as f64;
    let deviation = (totals.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / totals.len().max(1) as f64).sqrt();
    let z = normal_quantile(high_q);

    move |h| {
        let at_horizon: Vec<f64> = errors.iter().filter(|(eh, _)| *eh == h).map(|(_, e)| *e).collect();
        let pool = if at_horizon.len() >= 5 { &at_horizon } else { &all };
        match (quantile(pool, low_q), quantile(pool, high_q)) {
            (Some(low), Some(high)) => (low.min(0.0), high.max(0.0)),
            _ => (-z * deviation, z * deviation),
        }
    }
}

/// Quantile of the standard normal distribution (Acklam's rational
/// approximation, relative error below 1.2e-9).
fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.38357751867269e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

fn empty_forecast(product: &Product, month: YearMonth, horizon: usize, config: &ForecastConfig) -> ProductForecast {
    ProductForecast {
        product_id: product.id,
        product_name: product.name.clone(),
        category: product.category.clone(),
        month,
        horizon: horizon as u32,
        quantity: 0.0,
        lower: 0.0,
        upper: 0.0,
        interval_level: config.interval_level,
        popularity_rank: 0,
        category_rank: 0,
        model: NO_HISTORY_MODEL.to_owned(),
        backtest_mase: None,
        clamped_at_zero: false,
    }
}

/// Fills `popularity_rank` (per month) and `category_rank` (per month and
/// category) by descending quantity, with competition ranking.
fn assign_ranks(forecasts: &mut [ProductForecast]) {
    let mut order: Vec<usize> = (0..forecasts.len()).collect();
    order.sort_by(|&a, &b| {
        let (fa, fb) = (&forecasts[a], &forecasts[b]);
        fa.month
            .cmp(&fb.month)
            .then(fb.quantity.total_cmp(&fa.quantity))
            .then(fa.product_id.cmp(&fb.product_id))
    });

    let mut overall: HashMap<YearMonth, (u32, u32, f64)> = HashMap::new();
    let mut in_category: HashMap<(YearMonth, String), (u32, u32, f64)> = HashMap::new();
    for index in order {
        let month = forecasts[index].month;
        let quantity = forecasts[index].quantity;
        forecasts[index].popularity_rank = next_rank(overall.entry(month).or_insert((0, 0, f64::NAN)), quantity);
        let key = (month, forecasts[index].category.clone());
        forecasts[index].category_rank = next_rank(in_category.entry(key).or_insert((0, 0, f64::NAN)), quantity);
    }
}

/// Advances a (seen, rank, last quantity) counter in descending order and
/// returns the rank of `quantity`.
fn next_rank(state: &mut (u32, u32, f64), quantity: f64) -> u32 {
    let (seen, rank, last) = state;
    *seen += 1;
    if quantity != *last {
        *rank = *seen;
        *last = quantity;
    }
    *rank
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_quantile_matches_table() {
        assert!((normal_quantile(0.9) - 1.281_551_565_5).abs() < 1e-8);
        assert!(normal_quantile(0.5).abs() < 1e-12);
    }

    #[test]
    fn ties_share_a_rank() {
        let mut state = (0, 0, f64::NAN);
        let ranks: Vec<u32> = [10.0, 5.0, 5.0, 1.0]
            .iter()
            .map(|&q| next_rank(&mut state, q))
            .collect();
        assert_eq!(ranks, vec![1, 2, 2, 4]);
    }
}
