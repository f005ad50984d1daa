"""Backtest statsforecast's AutoETS on the monthly series that
`forecast_eval --export-series` writes.

The protocol is the Rust backtest's. Origins are each of the last WINDOW
months and horizons run from 1 to HORIZON. MASE is scaled by the
seasonal-naive error of the months before the window (lag 12, or lag 1
with fewer than 13 months).

Usage: python autoets_compare.py SERIES.csv [WINDOW] [HORIZON]
"""

import csv
import statistics
import sys
import warnings
from collections import defaultdict

import numpy as np
from statsforecast.models import AutoETS


def naive_scale(totals):
    lag = 12 if len(totals) > 12 else 1
    if len(totals) <= lag:
        return 0.0
    diffs = [abs(totals[i] - totals[i - lag]) for i in range(lag, len(totals))]
    return sum(diffs) / len(diffs)


def backtest(totals, window, horizon):
    n = len(totals)
    errors = []
    for origin in range(max(n - window, 12, 1), n):
        steps = min(horizon, n - origin)
        model = AutoETS(season_length=12)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            forecast = model.forecast(y=np.asarray(totals[:origin], dtype=float), h=steps)["mean"]
        errors.extend(totals[origin + h] - forecast[h] for h in range(steps))
    training = totals[: min(max(n - window, 2), n)]
    scale = naive_scale(training)
    if not errors or scale == 0:
        return None
    return sum(abs(e) for e in errors) / len(errors) / scale


def main():
    path = sys.argv[1]
    window = int(sys.argv[2]) if len(sys.argv) > 2 else 12
    horizon = int(sys.argv[3]) if len(sys.argv) > 3 else 3

    series = defaultdict(list)
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            series[int(row["id_produit"])].append((row["mois"], float(row["quantite_kg"])))

    mases = []
    for product_id in sorted(series):
        totals = [quantity for _, quantity in sorted(series[product_id])]
        mase = backtest(totals, window, horizon)
        print(f"{product_id:>6}  {'-' if mase is None else f'{mase:.3f}'}")
        if mase is not None:
            mases.append(mase)

    median = statistics.median(mases) if mases else float("nan")
    print(f"products={len(mases)} median_mase_autoets={median:.3f}")


if __name__ == "__main__":
    main()
