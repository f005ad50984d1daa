//! Prediction intervals calibrated on the backtest errors of all products.
//!
//! One product has a dozen backtest errors per horizon, too few for a
//! 10th or 90th percentile. Dividing each error by its product's MASE
//! scale makes errors of products of any size comparable, so the
//! quantiles come from every product's errors pooled.

use agrisales_domain::ProductRegionSeries;

use crate::Evaluation;
use crate::backtest::quantile;

/// Pooled errors need at least this many values at a horizon; below, all
/// horizons are pooled together.
const MIN_PER_HORIZON: usize = 30;

/// One scaled backtest error of a chosen model.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ScaledError {
    /// Month forecast, as `YearMonth::ordinal`: the error is known from
    /// the next month on.
    target_month: i32,
    horizon: usize,
    /// `(actual − forecast) / scale`.
    value: f64,
}

/// Scaled backtest errors of the chosen models of many products.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IntervalCalibration {
    errors: Vec<ScaledError>,
}

impl IntervalCalibration {
    /// Collects the errors of each product's chosen model, divided by the
    /// product's MASE scale. Products without a chosen model or with a
    /// scale of 0 contribute nothing.
    pub fn new(products: &[(&ProductRegionSeries, &Evaluation)]) -> Self {
        let mut errors = Vec::new();
        for (series, evaluation) in products {
            let Some(backtest) = evaluation.chosen_backtest() else {
                continue;
            };
            if backtest.scale <= 0.0 {
                continue;
            }
            let first = series.first_month.ordinal();
            errors.extend(backtest.points.iter().map(|p| ScaledError {
                target_month: first + p.target() as i32,
                horizon: p.horizon,
                value: p.error() / backtest.scale,
            }));
        }
        Self { errors }
    }

    /// Returns the number of scaled errors collected.
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Returns whether no error was collected.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// Returns the `(1 − level) / 2` and `(1 + level) / 2` quantiles of the
    /// scaled errors at `horizon` (all horizons when fewer than 30), using
    /// only errors of months before `before_month` when given. Multiply by
    /// a product's scale and add to its point forecast to get the interval.
    /// `None` when no error qualifies.
    pub fn scaled_bounds(&self, horizon: usize, level: f64, before_month: Option<i32>) -> Option<(f64, f64)> {
        let known = |e: &&ScaledError| before_month.is_none_or(|month| e.target_month < month);
        let at_horizon: Vec<f64> = self
            .errors
            .iter()
            .filter(known)
            .filter(|e| e.horizon == horizon)
            .map(|e| e.value)
            .collect();
        let pool = if at_horizon.len() >= MIN_PER_HORIZON {
            at_horizon
        } else {
            self.errors.iter().filter(known).map(|e| e.value).collect()
        };
        if pool.len() < MIN_PER_HORIZON {
            return None;
        }
        Some((
            quantile(&pool, (1.0 - level) / 2.0)?.min(0.0),
            quantile(&pool, (1.0 + level) / 2.0)?.max(0.0),
        ))
    }

    /// Measures the interval's hit rate honestly: each backtest point of
    /// each product's chosen model is judged with bounds calibrated only on
    /// errors of months before its origin. Returns `(inside, evaluated)`.
    pub fn hits(&self, products: &[(&ProductRegionSeries, &Evaluation)], level: f64) -> (usize, usize) {
        let (mut inside, mut evaluated) = (0, 0);
        for (series, evaluation) in products {
            let Some(backtest) = evaluation.chosen_backtest() else {
                continue;
            };
            let origin_of = |origin: usize| series.first_month.ordinal() + origin as i32;
            for point in &backtest.points {
                let Some((low, high)) = self.scaled_bounds(point.horizon, level, Some(origin_of(point.origin))) else {
                    continue;
                };
                evaluated += 1;
                let error = point.error();
                if error >= low * backtest.scale && error <= high * backtest.scale {
                    inside += 1;
                }
            }
        }
        (inside, evaluated)
    }
}
