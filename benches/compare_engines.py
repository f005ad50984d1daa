"""Times polars and pandas on the aggregation that agrisales' engine does.

Run by `cargo run --release --example compare_engines`, which writes the
data set and reads this script's output; it can also be run by hand:

    python benches/compare_engines.py --data DIR --runs 5

DIR contains the sales as raw little-endian columns (`product_id.i32`,
`region_id.i32`, `month.i32`, `quantity_milli.i64`) and the catalogue as
`products.csv` (product_id, category, price_cents). Loading them into
numpy and into each library's frames happens before any timing: every
measurement covers the aggregation alone, on data already in memory.

The job: per (region, category, month), the sum of quantities
(thousandths of a kilogram), the sum of revenues (quantity x price in
cents, so units of 1e-5 euro) and the number of sales. Each library gets
two formulations and the faster one is reported:

- join: join the sales with the catalogue, then group by (region,
  category, month), the way the question is asked;
- two-step: group by the integer keys (region, product, month) first,
  then join the small result with the catalogue and group again.

Polars runs with its default thread pool (all cores). Results go to
`DIR/result_<tool>.csv` with the month as an ordinal (year x 12 + month - 1)
so the harness can compare them exactly with the others; money is int64
and the script checks that no sum can overflow.
"""

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import pandas as pd
import polars as pl

KEYS = ["region_id", "category", "month"]


def load(data_dir):
    columns = {
        "product_id": np.fromfile(os.path.join(data_dir, "product_id.i32"), dtype="<i4"),
        "region_id": np.fromfile(os.path.join(data_dir, "region_id.i32"), dtype="<i4"),
        "month": np.fromfile(os.path.join(data_dir, "month.i32"), dtype="<i4"),
        "quantity_milli": np.fromfile(os.path.join(data_dir, "quantity_milli.i64"), dtype="<i8"),
    }
    lengths = {len(v) for v in columns.values()}
    if len(lengths) != 1:
        sys.exit(f"columns of {data_dir} have different lengths: {lengths}")
    products = pd.read_csv(
        os.path.join(data_dir, "products.csv"),
        dtype={"product_id": "int32", "category": "string", "price_cents": "int64"},
    )
    # int64 revenue sums are exact while every possible sum fits.
    rows = lengths.pop()
    bound = int(np.abs(columns["quantity_milli"]).max(initial=0)) * int(products["price_cents"].abs().max()) * rows
    if bound >= 2**63:
        sys.exit(f"revenue sums could overflow int64 (bound {bound}); use fewer rows")
    return columns, products


def polars_join(sales, products):
    return (
        sales.lazy()
        .join(products.lazy(), on="product_id")
        .group_by(KEYS)
        .agg(
            pl.col("quantity_milli").sum().alias("quantity_milli"),
            (pl.col("quantity_milli") * pl.col("price_cents")).sum().alias("revenue"),
            pl.len().alias("sales"),
        )
        .collect()
    )


def polars_two_step(sales, products):
    return (
        sales.lazy()
        .group_by(["region_id", "product_id", "month"])
        .agg(pl.col("quantity_milli").sum().alias("q"), pl.len().alias("n"))
        .join(products.lazy(), on="product_id")
        .group_by(KEYS)
        .agg(
            pl.col("q").sum().alias("quantity_milli"),
            (pl.col("q") * pl.col("price_cents")).sum().alias("revenue"),
            pl.col("n").sum().alias("sales"),
        )
        .collect()
    )


def pandas_join(sales, products):
    df = sales.merge(products, on="product_id")
    df["revenue"] = df["quantity_milli"] * df["price_cents"]
    return df.groupby(KEYS, sort=False, observed=True).agg(
        quantity_milli=("quantity_milli", "sum"),
        revenue=("revenue", "sum"),
        sales=("quantity_milli", "size"),
    )


def pandas_two_step(sales, products):
    first = sales.groupby(["region_id", "product_id", "month"], sort=False).agg(
        q=("quantity_milli", "sum"), n=("quantity_milli", "size")
    )
    df = first.reset_index().merge(products, on="product_id")
    df["revenue"] = df["q"] * df["price_cents"]
    return df.groupby(KEYS, sort=False, observed=True).agg(
        quantity_milli=("q", "sum"), revenue=("revenue", "sum"), sales=("n", "sum")
    )


def median_ms(function, runs):
    times = []
    result = None
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - started) * 1000.0)
    return statistics.median(times), times, result


def write_result(path, frame):
    frame = frame.sort_values(KEYS)
    frame[KEYS + ["quantity_milli", "revenue", "sales"]].to_csv(path, index=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="directory written by compare_engines")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per formulation (after one warm-up)")
    args = parser.parse_args()

    columns, products_pd = load(args.data)

    sales_pl = pl.DataFrame(columns)
    products_pl = pl.DataFrame(
        {
            "product_id": products_pd["product_id"].to_numpy(),
            "category": products_pd["category"].astype(str).tolist(),
            "price_cents": products_pd["price_cents"].to_numpy(),
        }
    ).with_columns(pl.col("category").cast(pl.Categorical))
    sales_pd = pd.DataFrame(columns)
    products_pd = products_pd.astype({"category": "category"})

    report = {
        "versions": {"python": sys.version.split()[0], "polars": pl.__version__, "pandas": pd.__version__, "numpy": np.__version__},
        "polars_threads": pl.thread_pool_size(),
        "rows": len(sales_pd),
        "timings": {},
    }
    candidates = {
        "polars_join": lambda: polars_join(sales_pl, products_pl),
        "polars_two_step": lambda: polars_two_step(sales_pl, products_pl),
        "pandas_join": lambda: pandas_join(sales_pd, products_pd),
        "pandas_two_step": lambda: pandas_two_step(sales_pd, products_pd),
    }
    results = {}
    for name, function in candidates.items():
        function()  # warm-up: page faults, lazy imports, thread pool start
        median, times, result = median_ms(function, args.runs)
        report["timings"][name] = {"median_ms": median, "runs_ms": times}
        results[name] = result

    for tool in ("polars", "pandas"):
        best = min((n for n in results if n.startswith(tool)), key=lambda n: report["timings"][n]["median_ms"])
        report[f"{tool}_best"] = best
        for name in (n for n in results if n.startswith(tool)):
            path = os.path.join(args.data, f"result_{name}.csv")
            result = results[name]
            if tool == "polars":
                columns = KEYS + ["quantity_milli", "revenue", "sales"]
                result.with_columns(pl.col("category").cast(pl.String)).sort(KEYS).select(columns).write_csv(path)
            else:
                frame = result.reset_index()
                frame["category"] = frame["category"].astype(str)
                write_result(path, frame)

    print(json.dumps(report))


if __name__ == "__main__":
    main()
