#!/usr/bin/env bash
# Compares the forecasting backtest with statsforecast's AutoETS on the
# same monthly series. Creates a Python virtual environment with
# statsforecast from PyPI (in $AGRISALES_VENV, default
# target/autoets-venv), exports the series from the database in
# DATABASE_URL (or --database-url among the arguments, which go to
# forecast_eval), and prints both summaries.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${AGRISALES_VENV:-target/autoets-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet statsforecast
fi

series="$(mktemp -t agrisales-series.XXXXXX.csv)"
trap 'rm -f "$series"' EXIT

echo "== agrisales (forecast_eval)"
cargo run --quiet --release --example forecast_eval -- --export-series "$series" "$@" | tail -n 1
echo "== statsforecast AutoETS"
"$venv/bin/python" benches/autoets_compare.py "$series" | tail -n 1
