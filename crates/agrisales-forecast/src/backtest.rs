//! Rolling-origin backtests and the metrics they report.

use agrisales_domain::ProductRegionSeries;

use crate::Forecaster;
use crate::models::truncate;

/// One forecast made during a backtest.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BacktestPoint {
    /// Months of history the model was fitted on; the forecast origin.
    pub origin: usize,
    /// Months ahead, from 1.
    pub horizon: usize,
    /// Actual total, kilograms.
    pub actual: f64,
    /// Forecast total, kilograms.
    pub forecast: f64,
}

impl BacktestPoint {
    /// `actual − forecast`, kilograms.
    pub fn error(&self) -> f64 {
        self.actual - self.forecast
    }

    /// Index of the forecast month in the series.
    pub fn target(&self) -> usize {
        self.origin + self.horizon - 1
    }
}

/// Forecasts of one model on one product from a rolling-origin backtest,
/// in origin order, then horizon order.
#[derive(Debug, Clone, PartialEq)]
pub struct Backtest {
    /// The model's name.
    pub model: &'static str,
    /// Every forecast made.
    pub points: Vec<BacktestPoint>,
    /// Mean absolute error of the in-sample seasonal naive forecast (lag
    /// 12, or lag 1 when the training part is shorter than 13 months): the
    /// MASE denominator.
    pub scale: f64,
}

impl Backtest {
    /// Returns `(horizon, actual − forecast)` for every forecast, kilograms.
    pub fn errors(&self) -> Vec<(usize, f64)> {
        self.points.iter().map(|p| (p.horizon, p.error())).collect()
    }

    /// Mean absolute error, kilograms; `None` without forecasts.
    pub fn mae(&self) -> Option<f64> {
        self.mean(|p| p.error().abs())
    }

    /// Root mean squared error, kilograms; `None` without forecasts.
    pub fn rmse(&self) -> Option<f64> {
        self.mean(|p| p.error().powi(2)).map(f64::sqrt)
    }

    /// Symmetric mean absolute percentage error, from 0 to 2:
    /// mean of 2 |actual − forecast| / (|actual| + |forecast|), where a
    /// point with both at 0 counts 0. `None` without forecasts.
    pub fn smape(&self) -> Option<f64> {
        self.mean(|p| {
            let denominator = p.actual.abs() + p.forecast.abs();
            if denominator == 0.0 {
                0.0
            } else {
                2.0 * p.error().abs() / denominator
            }
        })
    }

    /// Measures how often the actual falls inside the `level` interval
    /// (point forecast plus the empirical error quantiles) as a forecaster
    /// would have built it at each origin: from the errors of earlier
    /// points whose month was already known then. Points with fewer than
    /// `min_errors` such errors are skipped. Returns `(inside, evaluated)`.
    pub fn interval_hits(&self, level: f64, min_errors: usize) -> (usize, usize) {
        let low_q = (1.0 - level) / 2.0;
        let high_q = (1.0 + level) / 2.0;
        let (mut inside, mut evaluated) = (0, 0);
        for point in &self.points {
            let known: Vec<f64> = self
                .points
                .iter()
                .filter(|p| p.target() < point.origin)
                .map(BacktestPoint::error)
                .collect();
            if known.len() < min_errors {
                continue;
            }
            let (Some(low), Some(high)) = (quantile(&known, low_q), quantile(&known, high_q)) else {
                continue;
            };
            evaluated += 1;
            let error = point.error();
            if error >= low.min(0.0) && error <= high.max(0.0) {
                inside += 1;
            }
        }
        (inside, evaluated)
    }

    fn mean(&self, value: impl Fn(&BacktestPoint) -> f64) -> Option<f64> {
        (!self.points.is_empty()).then(|| self.points.iter().map(value).sum::<f64>() / self.points.len() as f64)
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

    let mut points = Vec::new();
    for origin in first_origin..n {
        let steps = horizon.min(n - origin);
        let Ok(forecast) = model.forecast(&truncate(series, origin), steps) else {
            continue;
        };
        for (h, predicted) in forecast.iter().enumerate() {
            points.push(BacktestPoint {
                origin,
                horizon: h + 1,
                actual: totals[origin + h],
                forecast: *predicted,
            });
        }
    }

    let training = &totals[..n.saturating_sub(window).max(2).min(n)];
    Backtest {
        model: model.name(),
        points,
        scale: naive_scale(training),
    }
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

    fn point(origin: usize, horizon: usize, actual: f64, forecast: f64) -> BacktestPoint {
        BacktestPoint {
            origin,
            horizon,
            actual,
            forecast,
        }
    }

    #[test]
    fn metrics_by_hand() {
        let backtest = Backtest {
            model: "m",
            points: vec![point(10, 1, 10.0, 8.0), point(10, 2, 0.0, 0.0), point(11, 1, 4.0, 8.0)],
            scale: 2.0,
        };
        assert_eq!(backtest.mae(), Some(2.0));
        assert_eq!(backtest.mase(), Some(1.0));
        assert!((backtest.rmse().unwrap() - (20.0_f64 / 3.0).sqrt()).abs() < 1e-12);
        let smape = (2.0 * 2.0 / 18.0 + 0.0 + 2.0 * 4.0 / 12.0) / 3.0;
        assert!((backtest.smape().unwrap() - smape).abs() < 1e-12);
    }

    #[test]
    fn interval_hits_use_only_known_errors() {
        // Errors of +1 at origins 0..10 (horizon 1), then a miss of +50.
        let mut points: Vec<BacktestPoint> = (0..10).map(|o| point(o, 1, 11.0, 10.0)).collect();
        points.push(point(10, 1, 60.0, 10.0));
        // Horizon 3 from origin 10: its month (12) is unknown at origin 11.
        points.push(point(10, 3, 10.0, 10.0));
        points.push(point(11, 1, 11.0, 10.0));
        let backtest = Backtest {
            model: "m",
            points,
            scale: 1.0,
        };

        let (inside, evaluated) = backtest.interval_hits(0.8, 8);

        // Judged: origins 8 and 9 (8 and 9 known errors), the miss at 10,
        // the horizon-3 point and origin 11.
        assert_eq!(evaluated, 5);
        assert_eq!(inside, 4);
    }

    #[test]
    fn quantile_interpolates() {
        assert_eq!(quantile(&[3.0, 1.0, 2.0], 0.5), Some(2.0));
        assert_eq!(quantile(&[0.0, 10.0], 0.1), Some(1.0));
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn naive_scale_uses_lag_twelve() {
        let totals: Vec<f64> = (0..24)
            .map(|m| (m % 12) as f64 + if m >= 12 { 2.0 } else { 0.0 })
            .collect();
        assert_eq!(naive_scale(&totals), 2.0);
    }
}
