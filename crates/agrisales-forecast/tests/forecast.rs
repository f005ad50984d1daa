//! Forecasting on synthetic series with known structure.

use agrisales_domain::{Cents, Product, ProductRegionSeries, YearMonth};
use agrisales_forecast::{
    FeatureSpec, ForecastConfig, Forecaster, NO_HISTORY_MODEL, RegionalOls, SeasonRegionOls, SeasonalNaive, backtest,
    forecast_products, grid_rows, rank_with_intercept,
};
use proptest::prelude::*;

fn month(text: &str) -> YearMonth {
    text.parse().unwrap()
}

/// Builds a series with region effects of 100, 250 and 40 kg, a
/// July–August peak of +150 %, a trend of +24 kg a year per region and
/// deterministic noise of ±3 kg.
fn synthetic(months: usize) -> ProductRegionSeries {
    let region_base = [100.0, 250.0, 40.0];
    let mut quantity_kg = Vec::new();
    for m in 0..months {
        let peak = if matches!(m % 12, 6 | 7) { 1.5 } else { 0.0 };
        for (r, base) in region_base.iter().enumerate() {
            let noise = (((m * 7 + r * 3) % 5) as f64 - 2.0) * 1.5;
            quantity_kg.push(base * (1.0 + peak) + 2.0 * m as f64 + noise);
        }
    }
    ProductRegionSeries {
        product_id: 1,
        region_ids: vec![10, 20, 30],
        first_month: month("2023-01"),
        months,
        quantity_kg,
    }
}

fn product(id: i32, category: &str) -> Product {
    Product {
        id,
        name: format!("Produit {id}"),
        category: category.to_owned(),
        unit_price: Cents::new(100),
    }
}

#[test]
fn ols_recovers_season_region_and_trend() {
    let series = synthetic(36);
    let forecast = SeasonRegionOls { trend: true }.forecast(&series, 7).unwrap();

    // Month 36 is January 2026 (no peak); month 42 is July 2026 (peak).
    let expected = |m: usize, peak: f64| {
        [100.0, 250.0, 40.0]
            .iter()
            .map(|b| b * (1.0 + peak) + 2.0 * m as f64)
            .sum::<f64>()
    };
    // Tolerance: the noise is at most ±3 kg per region, so ±15 kg on the
    // three-region total covers it with room for estimation error.
    assert!(
        (forecast[0] - expected(36, 0.0)).abs() < 15.0,
        "{} vs {}",
        forecast[0],
        expected(36, 0.0)
    );
    assert!(
        (forecast[6] - expected(42, 1.5)).abs() < 15.0,
        "{} vs {}",
        forecast[6],
        expected(42, 1.5)
    );
}

#[test]
fn ols_recovers_known_coefficients() {
    // Additive truth: 100 kg in January in region 10, regions 20 and 30 at
    // +150 and −60 kg, July +80 kg, December +30 kg, +24 kg a year, and a
    // deterministic noise of at most ±3 kg.
    let region_effect = [0.0, 150.0, -60.0];
    let mut quantity_kg = Vec::new();
    for m in 0..36_usize {
        let month_effect = match m % 12 {
            6 => 80.0,
            11 => 30.0,
            _ => 0.0,
        };
        for (r, effect) in region_effect.iter().enumerate() {
            let noise = (((m * 7 + r * 3) % 5) as f64 - 2.0) * 1.5;
            quantity_kg.push(100.0 + effect + month_effect + 2.0 * m as f64 + noise);
        }
    }
    let series = ProductRegionSeries {
        product_id: 1,
        region_ids: vec![10, 20, 30],
        first_month: month("2023-01"),
        months: 36,
        quantity_kg,
    };

    let fitted = SeasonRegionOls { trend: true }.fit(&series).unwrap();

    // Tolerance: ±2 kg for effects estimated from 36 to 108 rows with
    // noise of ±3 kg, ±1 kg a year for the trend.
    let regions = fitted.region_effects();
    assert_eq!(regions.len(), 2);
    assert!((regions[0].1 - 150.0).abs() < 2.0, "{regions:?}");
    assert!((regions[1].1 + 60.0).abs() < 2.0, "{regions:?}");
    let months = fitted.month_effects();
    let effect = |m: u32| months.iter().find(|(level, _)| *level == m).unwrap().1;
    assert!((effect(7) - 80.0).abs() < 2.0, "{months:?}");
    assert!((effect(12) - 30.0).abs() < 2.0, "{months:?}");
    assert!(effect(3).abs() < 2.0, "{months:?}");
    assert!((fitted.trend_per_year().unwrap() - 24.0).abs() < 1.0);
    assert!((fitted.intercept() - 100.0).abs() < 2.0, "{}", fitted.intercept());
}

#[test]
fn ols_beats_seasonal_naive_on_trending_series() {
    let series = synthetic(36);
    let ols = backtest(&SeasonRegionOls { trend: true }, &series, 12, 3);
    let naive = backtest(&SeasonalNaive, &series, 12, 3);
    assert!(ols.mase().unwrap() < 1.0, "ols mase {:?}", ols.mase());
    assert!(ols.mae().unwrap() < naive.mae().unwrap());
    assert_eq!(ols.points.len(), 12 + 11 + 10);
}

#[test]
fn regional_ols_recovers_each_region() {
    let series = synthetic(36);
    let forecast = RegionalOls.forecast(&series, 7).unwrap();
    let expected = |m: usize, peak: f64| {
        [100.0, 250.0, 40.0]
            .iter()
            .map(|b| b * (1.0 + peak) + 2.0 * m as f64)
            .sum::<f64>()
    };
    assert!(
        (forecast[0] - expected(36, 0.0)).abs() < 15.0,
        "{} vs {}",
        forecast[0],
        expected(36, 0.0)
    );
    assert!(
        (forecast[6] - expected(42, 1.5)).abs() < 15.0,
        "{} vs {}",
        forecast[6],
        expected(42, 1.5)
    );
}

#[test]
fn short_history_drops_the_trend() {
    // Eight months: each month of year appears once, so a trend would be
    // collinear with the month dummies.
    let series = synthetic(8);
    let forecast = SeasonRegionOls { trend: true }.forecast(&series, 3).unwrap();
    assert!(forecast.iter().all(|v| v.is_finite()));
}

#[test]
fn seasonal_naive_needs_a_year() {
    let error = SeasonalNaive.forecast(&synthetic(11), 3).unwrap_err();
    assert!(error.to_string().contains("needs at least 12"), "{error}");
}

#[test]
fn every_product_gets_three_ranked_forecasts() {
    let mut second = synthetic(36);
    second.product_id = 2;
    second.quantity_kg.iter_mut().for_each(|q| *q *= 3.0);
    let products = [product(1, "fruits"), product(2, "fruits"), product(3, "vins")];
    let last = second.last_month();

    let forecasts = forecast_products(&[synthetic(36), second], &products, last, &ForecastConfig::default());

    assert_eq!(forecasts.len(), 9);
    for f in &forecasts {
        assert!(f.lower <= f.quantity, "{f:?}");
        assert!(f.quantity <= f.upper, "{f:?}");
        assert!(f.month > last, "{f:?}");
        assert!(f.month <= last.plus(3), "{f:?}");
        assert_eq!(f.month, last.plus(f.horizon as i32));
    }
    let january: Vec<_> = forecasts.iter().filter(|f| f.month == last.plus(1)).collect();
    let rank_of = |id| january.iter().find(|f| f.product_id == id).unwrap();
    assert_eq!(rank_of(2).popularity_rank, 1);
    assert_eq!(rank_of(1).popularity_rank, 2);
    assert_eq!(rank_of(3).popularity_rank, 3);
    assert_eq!(rank_of(3).category_rank, 1);
    assert_eq!(rank_of(3).model, NO_HISTORY_MODEL);
    assert!(rank_of(1).backtest_mase.is_some());
}

#[test]
fn constant_series_forecasts_the_constant() {
    let series = ProductRegionSeries {
        product_id: 1,
        region_ids: vec![1],
        first_month: month("2023-01"),
        months: 30,
        quantity_kg: vec![50.0; 30],
    };
    let forecasts = forecast_products(
        std::slice::from_ref(&series),
        &[product(1, "x")],
        series.last_month(),
        &ForecastConfig::default(),
    );
    for f in &forecasts {
        assert!((f.quantity - 50.0).abs() < 1e-6, "{f:?}");
        assert!(f.lower <= f.quantity, "{f:?}");
        assert!(f.upper >= f.quantity, "{f:?}");
    }
}

#[test]
fn collapsing_series_is_clamped_at_zero() {
    // Sales fall by 10 kg a month: a trend model goes negative.
    let quantity_kg: Vec<f64> = (0..30).map(|m| (300.0 - 10.0 * m as f64).max(0.0)).collect();
    let series = ProductRegionSeries {
        product_id: 1,
        region_ids: vec![1],
        first_month: month("2023-01"),
        months: 30,
        quantity_kg,
    };
    let forecasts = forecast_products(
        std::slice::from_ref(&series),
        &[product(1, "x")],
        series.last_month(),
        &ForecastConfig::default(),
    );
    for f in &forecasts {
        assert!(f.quantity >= 0.0, "{f:?}");
        assert!(f.lower >= 0.0, "{f:?}");
    }
}

proptest! {
    #[test]
    fn design_has_full_rank_and_no_nan(months in 1_usize..40, regions in 1_usize..6, trend: bool, start in 0_i32..12) {
        let first = YearMonth::from_ordinal(2023 * 12 + start);
        let spec = FeatureSpec::new(first, months, regions, trend && months > 12);
        let x = spec.design(&grid_rows(0..months, regions));

        prop_assert_eq!(x.nrows(), months * regions);
        prop_assert_eq!(x.ncols(), spec.columns());
        prop_assert!(x.iter().all(|v| v.is_finite()));
        prop_assert_eq!(rank_with_intercept(&x), spec.columns() + 1);
    }
}
