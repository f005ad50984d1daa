//! Backtests every forecasting model on every product of the database and
//! prints one table row per product, then a median MASE per model and one
//! summary line.
//!
//! ```text
//! cargo run --release --example forecast_eval -- [--window MONTHS] [--horizon MONTHS]
//!     [--export-series FILE] [--database-url URL]
//! ```
//!
//! The last line reads
//! `products=N median_mase=… share_beating_seasonal_naive=… coverage_80=…`.
//! `products` counts the products with a backtest, and `median_mase` is the
//! median MASE of their chosen models. `share_beating_seasonal_naive` is
//! the share of those products whose chosen model has a lower backtest MAE
//! than seasonal naive. `coverage_80` is the share of actuals inside the
//! 80 % interval built at each origin from the errors of all products known
//! by then, the calibration that `prévisions_popularité` uses.

mod common;

use std::process::ExitCode;

use agrisales::etl::load_history;
use agrisales::forecast::{Evaluation, IntervalCalibration, candidates, evaluate};
use agrisales::postgres::PgRepository;
use clap::Parser;

/// Backtest the forecasting models on the sales in PostgreSQL.
#[derive(Debug, Parser)]
#[command(name = "forecast_eval")]
struct Args {
    /// Months at the end of each series used as forecast origins.
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=120))]
    window: u32,

    /// Months forecast from each origin.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=24))]
    horizon: u32,

    /// Also write each product's monthly totals (kg, all regions) to this
    /// CSV file (`id_produit,mois,quantite_kg`), for comparison with other
    /// forecasting tools.
    #[arg(long)]
    export_series: Option<std::path::PathBuf>,

    #[command(flatten)]
    postgres: common::PgArgs,
}

fn main() -> ExitCode {
    let args = Args::parse();
    common::main_with(|| run(&args))
}

fn run(args: &Args) -> common::RunResult {
    let mut repo = PgRepository::connect(&args.postgres.url())?;
    let history = load_history(&mut repo, 65_536)?;

    if let Some(path) = &args.export_series {
        let mut csv = String::from("id_produit,mois,quantite_kg\n");
        for series in &history.series {
            for (offset, total) in series.totals().iter().enumerate() {
                csv.push_str(&format!(
                    "{},{},{total:.3}\n",
                    series.product_id,
                    series.first_month.plus(offset as i32)
                ));
            }
        }
        std::fs::write(path, csv).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }

    let names: Vec<&str> = candidates().iter().map(|m| m.name()).collect();
    let mut headers = vec!["id_produit", "nom", "chosen", "sMAPE", "RMSE (kg)", "hits 80 %"];
    headers.extend(names.iter().copied());
    let mut rows = Vec::new();

    let evaluations: Vec<Evaluation> = history
        .series
        .iter()
        .map(|s| evaluate(s, args.window as usize, args.horizon as usize))
        .collect();
    let pairs: Vec<_> = history.series.iter().zip(&evaluations).collect();
    let calibration = IntervalCalibration::new(&pairs);

    let mut mases = Vec::new();
    let mut beating = 0_usize;
    for &(series, evaluation) in &pairs {
        let name = history
            .products
            .iter()
            .find(|p| p.id == series.product_id)
            .map_or("?", |p| p.name.as_str());
        let Some(chosen) = evaluation.chosen_backtest() else {
            rows.push(vec![
                series.product_id.to_string(),
                name.to_owned(),
                "(too short)".to_owned(),
            ]);
            continue;
        };

        let (hits, judged) = calibration.hits(&[(series, evaluation)], 0.8);
        if let Some(mase) = chosen.mase() {
            mases.push(mase);
        }
        if let (Some(model_mae), Some(naive_mae)) = (chosen.mae(), evaluation.seasonal_naive().mae())
            && model_mae < naive_mae
        {
            beating += 1;
        }

        let mut row = vec![
            series.product_id.to_string(),
            name.to_owned(),
            chosen.model.to_owned(),
            format_option(chosen.smape(), 3),
            format_option(chosen.rmse(), 1),
            format!("{hits}/{judged}"),
        ];
        row.extend(evaluation.backtests.iter().map(|b| format_option(b.mase(), 3)));
        rows.push(row);
    }
    for row in &mut rows {
        row.resize(headers.len(), String::new());
    }

    common::print_table(
        &format!(
            "Backtest MASE by model, last {} origins, horizons 1 to {}",
            args.window, args.horizon
        ),
        &headers,
        &rows,
    )?;

    // Each model alone, without the per-product choice, whose minimum
    // flatters the chosen model.
    let per_model: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let values: Vec<f64> = evaluations.iter().filter_map(|e| e.backtests[i].mase()).collect();
            format!("{name}={:.3}", median(values))
        })
        .collect();
    common::outln!("median MASE per model: {}", per_model.join(" "))?;

    let products = mases.len();
    let median = median(mases);
    let share = |part: usize, whole: usize| {
        if whole == 0 {
            f64::NAN
        } else {
            part as f64 / whole as f64
        }
    };
    let (inside, evaluated) = calibration.hits(&pairs, 0.8);
    common::outln!(
        "products={products} median_mase={median:.3} share_beating_seasonal_naive={:.3} coverage_80={:.3}",
        share(beating, products),
        share(inside, evaluated)
    )?;
    Ok(())
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

fn format_option(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.decimals$}"))
}
