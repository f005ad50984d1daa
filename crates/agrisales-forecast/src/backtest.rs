//! Rolling-origin backtests and the metrics they report.

use agrisales_domain::ProductRegionSeries;

use crate::models::truncate;
use crate::Forecaster;

/// Forecast errors of one model on one product, from a rolling-origin
/// backtest.
#[derive(Debug, Clone, PartialEq)]
pub struct Backtest {
    /// The model's name.
    pub model: &'static str,
    /// `(horizon, actual − forecast)` for every forecast made, kilograms.
    pub errors: Vec<(usize, f64)>,
    /// Mean absolute error of the in-sample seasonal naive forecast (lag
    /// 12, or lag 1 when the training part is shorter than 13 months): the
    /// MASE denominator.
    pub scale: f64,
}

impl Backtest {
    /// Mean absolute error, kilograms; `None` without forecasts.
    pub fn mae(&self) -> Option<f64> {
        (!self.errors.is_empty()).then(|| self.errors.iter().map(|(_, e)| e.abs()).sum::<f64>() / self.errors.len() as f64)
    }

    /// Mean absolute scaled error: MAE divided by [`Backtest::scale`].
    /// Below 1 the model beats the in-sample seasonal naive forecast.
    /// `None` without forecasts or when the scale is 0 (a constant series).
    pub fn mase(&self) -> Option<f64> {
        let mae = self.mae()?;
        (self.scale > 0.0).then(|| mae / self.scale)
    }
}

/// Runs `model` from each origin of the last `window` months: fits on the
/// months before the origin and forecasts up to `horizon` months that the
/// series has. Origins whose training part is shorter than the model's
/// minimum are skipped, as are origins where the model fails.
pub fn backtest(model: &dyn Forecaster, series: &ProductRegionSeries, window: usize, horizon: usize) -> Backtest {
    let totals = series.totals();
    let n = totals.len();
    let first_origin = n.saturating_sub(window).max(model.min_history()).max(1);

    let mut errors = Vec::new();
    for origin in first_origin..n {
        let steps = horizon.min(n - origin);
        let Ok(forecast) = model.forecast(&truncate(series, origin), steps) else {
            continue;
        };
        for (h, predicted) in forecast.iter().enumerate() {
            errors.push((h + 1, totals[origin + h] - predicted));
        }
    }

    let training = &totals[..n.saturating_sub(window).max(2).min(n)];
    Backtest { model: model.name(), errors, scale: naive_scale(training) }
}

/// Mean absolute error of the seasonal naive forecast inside `totals`, or
/// of the previous-month forecast when there are fewer than 13 months.
fn naive_scale(totals: &[f64]) -> f64 {
    let lag = if totals.len() > 12 { 12 } else { 1 };
    if totals.len() <= lag {
        return 0.0;
    }
    let diffs: Vec<f64> = totals.windows(lag + 1).map(|w| (w[lag] - w[0]).abs()).collect();
    diffs.iter().sum::<f64>() / diffs.len() as f64
}

/// Returns the `q`-quantile (0 ≤ q ≤ 1) of `values` by linear
/// interpolation between order statistics; `None` when empty.
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let position = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let low = position.floor() as usize;
    let high = position.ceil() as usize;
    Some(sorted[low] + (sorted[high] - sorted[low]) * (position - low as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_interpolates() {
        assert_eq!(quantile(&[3.0, 1.0, 2.0], 0.5), Some(2.0));
        assert_eq!(quantile(&[0.0, 10.0], 0.1), Some(1.0));
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn naive_scale_uses_lag_twelve() {
        let totals: Vec<f64> = (0..24).map(|m| (m % 12) as f64 + if m >= 12 { 2.0 } else { 0.0 }).collect();
        assert_eq!(naive_scale(&totals), 2.0);
    }
}
