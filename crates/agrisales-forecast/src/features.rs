//! Design matrices on season (month of year), region and trend.

use agrisales_domain::YearMonth;
use ndarray::Array2;

/// The columns of a design matrix, fixed on the training months.
///
/// Month of year is one-hot, with the first observed month of year as the
/// reference level. Region is one-hot, with the first region as reference.
/// The optional trend is years since the first training month. Dropping
/// one level per factor avoids the dummy-variable trap: with the fitted
/// intercept, a full set of dummies would make the design rank-deficient.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureSpec {
    first_month: YearMonth,
    /// Months of year (1–12) with their own column, reference excluded.
    month_levels: Vec<u32>,
    regions: usize,
    trend: bool,
}

impl FeatureSpec {
    /// Fixes the columns for `training_months` months from `first_month`
    /// over `regions` regions.
    pub fn new(first_month: YearMonth, training_months: usize, regions: usize, trend: bool) -> Self {
        let mut seen: Vec<u32> = (0..training_months.min(12))
            .map(|m| first_month.plus(m as i32).month())
            .collect();
        seen.sort_unstable();
        // The reference level is the first month of the series, whichever
        // month of year that is.
        let reference = first_month.month();
        seen.retain(|&m| m != reference);
        Self {
            first_month,
            month_levels: seen,
            regions,
            trend,
        }
    }

    /// Months of year (1–12) with their own column, in column order; the
    /// reference month of year has none.
    pub fn month_levels(&self) -> &[u32] {
        &self.month_levels
    }

    /// Returns whether the last column is the trend.
    pub fn has_trend(&self) -> bool {
        self.trend
    }

    /// Number of columns.
    pub fn columns(&self) -> usize {
        self.month_levels.len() + self.regions.saturating_sub(1) + usize::from(self.trend)
    }

    /// Builds one row per (month offset, region column) pair of `rows`.
    ///
    /// A month of year never seen in training has no column of its own and
    /// is predicted at the reference level.
    pub fn design(&self, rows: &[(usize, usize)]) -> Array2<f64> {
        let mut x = Array2::zeros((rows.len(), self.columns()));
        let region_offset = self.month_levels.len();
        let trend_column = region_offset + self.regions.saturating_sub(1);

        for (i, &(month_offset, region)) in rows.iter().enumerate() {
            let month_of_year = self.first_month.plus(month_offset as i32).month();
            if let Ok(level) = self.month_levels.binary_search(&month_of_year) {
                x[[i, level]] = 1.0;
            }
            if region > 0 && region < self.regions {
                x[[i, region_offset + region - 1]] = 1.0;
            }
            if self.trend {
                x[[i, trend_column]] = month_offset as f64 / 12.0;
            }
        }
        x
    }
}

/// Returns every (month offset, region) pair of `months` × `regions`,
/// months outer, matching `ProductRegionSeries::quantity_kg`'s layout.
pub fn grid_rows(months: std::ops::Range<usize>, regions: usize) -> Vec<(usize, usize)> {
    months.flat_map(|m| (0..regions).map(move |r| (m, r))).collect()
}

/// Returns the numerical rank of `x` with an intercept column appended.
///
/// Works on the Gram matrix XᵀX, which has as many rows as columns and so
/// stays cheap for tall designs. Gaussian elimination with partial
/// pivoting counts a pivot below 1e-10 × the largest diagonal entry as 0.
pub fn rank_with_intercept(x: &Array2<f64>) -> usize {
    let (rows, cols) = x.dim();
    let mut augmented = Array2::ones((rows, cols + 1));
    augmented.slice_mut(ndarray::s![.., ..cols]).assign(x);
    let mut gram = augmented.t().dot(&augmented);

    let size = cols + 1;
    let tolerance = 1e-10
        * gram
            .diag()
            .iter()
            .fold(0.0_f64, |acc, v| acc.max(v.abs()))
            .max(f64::MIN_POSITIVE);
    let mut rank = 0;
    for col in 0..size {
        let Some(pivot) = (rank..size).max_by(|&a, &b| gram[[a, col]].abs().total_cmp(&gram[[b, col]].abs())) else {
            break;
        };
        if gram[[pivot, col]].abs() <= tolerance {
            continue;
        }
        for k in 0..size {
            gram.swap([rank, k], [pivot, k]);
        }
        for r in rank + 1..size {
            let factor = gram[[r, col]] / gram[[rank, col]];
            if factor != 0.0 {
                for k in col..size {
                    gram[[r, k]] -= factor * gram[[rank, k]];
                }
            }
        }
        rank += 1;
    }
    rank
}
