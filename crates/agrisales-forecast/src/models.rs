//! The forecasting models behind the [`Forecaster`] trait.

use agrisales_domain::ProductRegionSeries;
use linfa::Dataset;
use linfa::traits::{Fit, Predict};
use linfa_linear::{FittedLinearRegression, LinearRegression};
use ndarray::Array1;

use crate::ForecastError;
use crate::features::{FeatureSpec, grid_rows, rank_with_intercept};

/// A model that forecasts a product's monthly total over all regions.
///
/// `forecast` fits on the whole of `history` each time it is called: a
/// backtest calls it on truncated histories. Implementations are pure
/// and deterministic.
pub trait Forecaster {
    /// Returns the name stored in the `modèle` field of forecast documents.
    fn name(&self) -> &'static str;

    /// Minimum number of months of history `forecast` accepts.
    fn min_history(&self) -> usize;

    /// Returns the forecast total, in kilograms, for each of the `horizon`
    /// months after the last month of `history`. Values may be negative
    /// for regression models; callers clamp them.
    fn forecast(&self, history: &ProductRegionSeries, horizon: usize) -> Result<Vec<f64>, ForecastError>;
}

/// Ordinary least squares (linfa-linear) per product on one row per
/// (month, region): month-of-year and region dummies, and optionally a
/// linear trend. Regions are pooled, so a region with little history
/// borrows the seasonal profile of the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeasonRegionOls {
    /// Whether to include a linear trend in years.
    pub trend: bool,
}

impl Forecaster for SeasonRegionOls {
    fn name(&self) -> &'static str {
        if self.trend {
            "ols_saison_region_tendance"
        } else {
            "ols_saison_region"
        }
    }

    fn min_history(&self) -> usize {
        3
    }

    fn forecast(&self, history: &ProductRegionSeries, horizon: usize) -> Result<Vec<f64>, ForecastError> {
        let fitted = self.fit(history)?;
        let regions = history.region_ids.len();
        let future = grid_rows(history.months..history.months + horizon, regions);
        let predicted = fitted.model.predict(&fitted.spec.design(&future));
        Ok(predicted
            .as_slice()
            .unwrap_or(&[])
            .chunks(regions.max(1))
            .map(|row| row.iter().sum())
            .collect())
    }
}

/// A fitted [`SeasonRegionOls`]: its coefficients, in kilograms per month.
#[derive(Debug, Clone)]
pub struct FittedSeasonRegion {
    spec: FeatureSpec,
    model: FittedLinearRegression<f64>,
    region_ids: Vec<i32>,
}

impl FittedSeasonRegion {
    /// Quantity of the reference month of year in the reference region
    /// (the first one) at the start of the series.
    pub fn intercept(&self) -> f64 {
        self.model.intercept()
    }

    /// Effect of each month of year against the reference month, as
    /// (month 1–12, kilograms).
    pub fn month_effects(&self) -> Vec<(u32, f64)> {
        let params = self.model.params();
        self.spec
            .month_levels()
            .iter()
            .enumerate()
            .map(|(i, &m)| (m, params[i]))
            .collect()
    }

    /// Effect of each region against the first region, as
    /// (`id_region`, kilograms).
    pub fn region_effects(&self) -> Vec<(i32, f64)> {
        let params = self.model.params();
        let offset = self.spec.month_levels().len();
        self.region_ids
            .iter()
            .skip(1)
            .enumerate()
            .map(|(i, &id)| (id, params[offset + i]))
            .collect()
    }

    /// Trend in kilograms per year, if the model kept one.
    pub fn trend_per_year(&self) -> Option<f64> {
        self.spec
            .has_trend()
            .then(|| self.model.params()[self.spec.columns() - 1])
    }
}

impl SeasonRegionOls {
    /// Fits the model on `history`; with fewer than 13 months a trend is
    /// dropped because it would be collinear with the month dummies.
    pub fn fit(&self, history: &ProductRegionSeries) -> Result<FittedSeasonRegion, ForecastError> {
        check_history(self, history)?;

        let regions = history.region_ids.len();
        let rows = grid_rows(0..history.months, regions);
        let mut spec = FeatureSpec::new(history.first_month, history.months, regions, self.trend);
        let mut x = spec.design(&rows);

        if rank_with_intercept(&x) < spec.columns() + 1 && self.trend {
            spec = FeatureSpec::new(history.first_month, history.months, regions, false);
            x = spec.design(&rows);
        }
        let rank = rank_with_intercept(&x);
        if rank < spec.columns() + 1 {
            return Err(ForecastError::RankDeficient {
                product_id: history.product_id,
                model: self.name(),
                rank,
                columns: spec.columns() + 1,
            });
        }

        let y = Array1::from_vec(history.quantity_kg.clone());
        let model = LinearRegression::new()
            .fit(&Dataset::new(x, y))
            .map_err(|e| ForecastError::Fit {
                product_id: history.product_id,
                model: self.name(),
                message: e.to_string(),
            })?;
        Ok(FittedSeasonRegion {
            spec,
            model,
            region_ids: history.region_ids.clone(),
        })
    }
}

/// Ordinary least squares (linfa-linear) per product and region. Each
/// region's series gets its own month-of-year dummies and trend, without
/// pooling, and the product forecast is the sum over regions. A region whose
/// own fit fails (too short, rank-deficient) forecasts its mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegionalOls;

impl Forecaster for RegionalOls {
    fn name(&self) -> &'static str {
        "ols_par_region"
    }

    fn min_history(&self) -> usize {
        3
    }

    fn forecast(&self, history: &ProductRegionSeries, horizon: usize) -> Result<Vec<f64>, ForecastError> {
        check_history(self, history)?;

        let width = history.region_ids.len();
        let mut totals = vec![0.0; horizon];
        for (column, region_id) in history.region_ids.iter().enumerate() {
            let region = ProductRegionSeries {
                product_id: history.product_id,
                region_ids: vec![*region_id],
                first_month: history.first_month,
                months: history.months,
                quantity_kg: history
                    .quantity_kg
                    .iter()
                    .skip(column)
                    .step_by(width)
                    .copied()
                    .collect(),
            };
            // A trend needs more than a year; below, it is collinear with
            // the month dummies and the pooled model drops it anyway.
            let model = SeasonRegionOls {
                trend: history.months > 12,
            };
            let forecast = match model.forecast(&region, horizon) {
                Ok(values) => values,
                Err(_) => HistoricalMean.forecast(&region, horizon)?,
            };
            for (total, value) in totals.iter_mut().zip(forecast) {
                *total += value;
            }
        }
        Ok(totals)
    }
}

/// Seasonal naive baseline: each month repeats the total of the same month
/// one year earlier.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeasonalNaive;

impl Forecaster for SeasonalNaive {
    fn name(&self) -> &'static str {
        "naif_saisonnier"
    }

    fn min_history(&self) -> usize {
        12
    }

    fn forecast(&self, history: &ProductRegionSeries, horizon: usize) -> Result<Vec<f64>, ForecastError> {
        check_history(self, history)?;
        let totals = history.totals();
        let n = totals.len();
        // Month n + h − 1 repeats month n + h − 13; past 12 months it
        // repeats the same month of the last observed year.
        Ok((0..horizon).map(|h| totals[n - 12 + h % 12]).collect())
    }
}

/// Historical mean baseline: every month gets the mean monthly total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HistoricalMean;

impl Forecaster for HistoricalMean {
    fn name(&self) -> &'static str {
        "moyenne_historique"
    }

    fn min_history(&self) -> usize {
        1
    }

    fn forecast(&self, history: &ProductRegionSeries, horizon: usize) -> Result<Vec<f64>, ForecastError> {
        check_shape(history)?;
        let totals = history.totals();
        if totals.is_empty() {
            return Err(ForecastError::TooShort {
                product_id: history.product_id,
                model: self.name(),
                months: 0,
                required: 1,
            });
        }
        let mean = totals.iter().sum::<f64>() / totals.len() as f64;
        Ok(vec![mean; horizon])
    }
}

/// Checks the series' shape and that it is long enough for `model`.
fn check_history(model: &(impl Forecaster + ?Sized), history: &ProductRegionSeries) -> Result<(), ForecastError> {
    check_shape(history)?;
    if history.months < model.min_history() {
        return Err(ForecastError::TooShort {
            product_id: history.product_id,
            model: model.name(),
            months: history.months,
            required: model.min_history(),
        });
    }
    Ok(())
}

pub(crate) fn check_shape(series: &ProductRegionSeries) -> Result<(), ForecastError> {
    if series.quantity_kg.len() != series.months * series.region_ids.len() || series.region_ids.is_empty() {
        return Err(ForecastError::Shape {
            product_id: series.product_id,
            values: series.quantity_kg.len(),
            months: series.months,
            regions: series.region_ids.len(),
        });
    }
    Ok(())
}

/// Returns the first `months` months of `series`.
pub(crate) fn truncate(series: &ProductRegionSeries, months: usize) -> ProductRegionSeries {
    let months = months.min(series.months);
    ProductRegionSeries {
        product_id: series.product_id,
        region_ids: series.region_ids.clone(),
        first_month: series.first_month,
        months,
        quantity_kg: series.quantity_kg[..months * series.region_ids.len()].to_vec(),
    }
}
