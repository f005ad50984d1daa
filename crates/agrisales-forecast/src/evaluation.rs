//! Backtests of every candidate model on one product, and the choice.

use agrisales_domain::ProductRegionSeries;

use crate::Forecaster;
use crate::backtest::{Backtest, backtest};
use crate::models::{HistoricalMean, RegionalOls, SeasonRegionOls, SeasonalNaive};

static SEASONAL_NAIVE: SeasonalNaive = SeasonalNaive;
static HISTORICAL_MEAN: HistoricalMean = HistoricalMean;
static OLS: SeasonRegionOls = SeasonRegionOls { trend: false };
static OLS_TREND: SeasonRegionOls = SeasonRegionOls { trend: true };
static OLS_PER_REGION: RegionalOls = RegionalOls;

/// Returns the candidate models, baselines first: seasonal naive,
/// historical mean, OLS on season and region (regions pooled), the same
/// with a trend, and OLS per region.
pub fn candidates() -> [&'static dyn Forecaster; 5] {
    [&SEASONAL_NAIVE, &HISTORICAL_MEAN, &OLS, &OLS_TREND, &OLS_PER_REGION]
}

/// The backtests of every candidate on one product and the one chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// One backtest per model of [`candidates`], in that order.
    pub backtests: Vec<Backtest>,
    /// Position in `backtests` of the model with the lowest MASE; ties go
    /// to the earlier, simpler model. `None` when no model has a MASE.
    pub chosen: Option<usize>,
}

impl Evaluation {
    /// Returns the chosen model's backtest, if any.
    pub fn chosen_backtest(&self) -> Option<&Backtest> {
        self.chosen.map(|i| &self.backtests[i])
    }

    /// Returns the seasonal naive baseline's backtest.
    pub fn seasonal_naive(&self) -> &Backtest {
        &self.backtests[0]
    }
}

/// Backtests every candidate on `history` from each origin of the last
/// `window` months, at horizons 1 to `horizon`, and chooses by MASE.
pub fn evaluate(history: &ProductRegionSeries, window: usize, horizon: usize) -> Evaluation {
    let backtests: Vec<Backtest> = candidates()
        .iter()
        .map(|model| backtest(*model, history, window, horizon))
        .collect();

    let mut chosen: Option<(usize, f64)> = None;
    for (index, result) in backtests.iter().enumerate() {
        if let Some(mase) = result.mase()
            && chosen.is_none_or(|(_, best)| mase < best)
        {
            chosen = Some((index, mase));
        }
    }
    Evaluation {
        backtests,
        chosen: chosen.map(|(index, _)| index),
    }
}
