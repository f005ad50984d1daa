"""The ETL as a Python user would write it: the reference peers that
agrisales' `etl` example is measured against (see docs/benchmarks.md).

    python benches/etl_peers.py pandas --database-url URL --mongodb-database NAME
    python benches/etl_peers.py polars --database-url URL --mongodb-database NAME

Both read the same PostgreSQL tables as the Rust ETL. They compute the
same `agrégats_ventes` documents: per region x category x month, the
exact quantity and revenue, the number of sales, and the changes against
the previous month and the same month a year before. Then they upsert
them into MongoDB on the unique key (id_region, catégorie, mois) with
pymongo bulk writes of 1,000 documents.

- pandas: `pandas.read_sql` through SQLAlchemy + psycopg, then
  `DataFrame.groupby`.
- polars: `polars.read_database_uri` through connectorx (binary COPY),
  then `DataFrame.group_by`.

Quantities travel as integer thousandths and prices as integer cents
(cast in SQL, as the Rust side does), so sums are exact int64 and match
the Rust documents to the cent. The last line is JSON with the time of
each stage in seconds and the peak resident memory (ru_maxrss).
"""

import argparse
import json
import resource
import time
from decimal import Decimal

from bson.decimal128 import Decimal128
from pymongo import MongoClient, ReplaceOne

SALES_SQL = 'SELECT id_produit, region_vente, date_vente, ("quantité" * 1000)::int8 AS quantite_milli FROM ventes'
PRODUCTS_SQL = 'SELECT id_produit, "catégorie" AS categorie, (prix_unitaire * 100)::int8 AS prix_centimes FROM produits'
REGIONS_SQL = "SELECT id_region, nom_region FROM regions"


def extract_aggregate_pandas(url):
    import pandas as pd
    from sqlalchemy import create_engine

    engine = create_engine(url.replace("postgres://", "postgresql+psycopg://", 1))
    timings = {}
    started = time.perf_counter()
    sales = pd.read_sql(SALES_SQL, engine)
    products = pd.read_sql(PRODUCTS_SQL, engine)
    regions = pd.read_sql(REGIONS_SQL, engine)
    timings["extract"] = time.perf_counter() - started

    started = time.perf_counter()
    dates = pd.to_datetime(sales["date_vente"])
    sales["mois"] = (dates.dt.year * 12 + dates.dt.month - 1).astype("int32")
    df = sales.merge(products, on="id_produit")
    df["revenue"] = df["quantite_milli"] * df["prix_centimes"]
    groups = (
        df.groupby(["region_vente", "categorie", "mois"], sort=True)
        .agg(quantite=("quantite_milli", "sum"), revenue=("revenue", "sum"), ventes=("quantite_milli", "size"))
        .reset_index()
    )
    groups = groups.merge(regions, left_on="region_vente", right_on="id_region")
    rows = list(
        zip(
            groups["region_vente"].tolist(),
            groups["nom_region"].tolist(),
            groups["categorie"].tolist(),
            groups["mois"].tolist(),
            groups["quantite"].tolist(),
            groups["revenue"].tolist(),
            groups["ventes"].tolist(),
        )
    )
    timings["aggregate"] = time.perf_counter() - started
    return rows, timings


def extract_aggregate_polars(url):
    import polars as pl

    uri = url.replace("postgres://", "postgresql://", 1)
    timings = {}
    started = time.perf_counter()
    sales = pl.read_database_uri(SALES_SQL, uri, engine="connectorx")
    products = pl.read_database_uri(PRODUCTS_SQL, uri, engine="connectorx")
    regions = pl.read_database_uri(REGIONS_SQL, uri, engine="connectorx")
    timings["extract"] = time.perf_counter() - started

    started = time.perf_counter()
    groups = (
        sales.lazy()
        .with_columns((pl.col("date_vente").dt.year() * 12 + pl.col("date_vente").dt.month() - 1).cast(pl.Int32).alias("mois"))
        .join(products.lazy(), on="id_produit")
        .group_by(["region_vente", "categorie", "mois"])
        .agg(
            pl.col("quantite_milli").sum().alias("quantite"),
            (pl.col("quantite_milli") * pl.col("prix_centimes")).sum().alias("revenue"),
            pl.len().alias("ventes"),
        )
        .join(regions.lazy(), left_on="region_vente", right_on="id_region")
        .sort(["region_vente", "categorie", "mois"])
        .collect()
    )
    rows = groups.select(["region_vente", "nom_region", "categorie", "mois", "quantite", "revenue", "ventes"]).rows()
    timings["aggregate"] = time.perf_counter() - started
    return rows, timings


def scaled(value, scale):
    """Exact decimal text of an integer in units of 10^-scale."""
    return Decimal(value).scaleb(-scale)


def round_half_away(revenue_e5):
    """Cents of a revenue in 1e-5 euro, halves away from zero like SQL's round."""
    sign = -1 if revenue_e5 < 0 else 1
    return sign * ((abs(revenue_e5) + 500) // 1000)


def documents(rows):
    """Build the agrégats_ventes documents of the rows, with the trends."""
    quantity = {(r, c, m): q for (r, _, c, m, q, _, _) in rows}

    def change(r, c, m, lag, q):
        before = quantity.get((r, c, m - lag))
        return q / before - 1.0 if before else None

    docs = []
    for region, name, category, month, q, revenue, count in rows:
        docs.append(
            {
                "id_region": int(region),
                "région": name,
                "catégorie": category,
                "mois": f"{month // 12:04d}-{month % 12 + 1:02d}",
                "année": int(month // 12),
                "quantité_totale": Decimal128(scaled(int(q), 3)),
                "chiffre_affaires": Decimal128(scaled(round_half_away(int(revenue)), 2)),
                "chiffre_affaires_exact": Decimal128(scaled(int(revenue), 5)),
                "nombre_ventes": int(count),
                "évolution_mois_précédent": change(region, category, month, 1, q),
                "évolution_annuelle": change(region, category, month, 12, q),
            }
        )
    return docs


def load(mongodb_uri, database, docs):
    client = MongoClient(mongodb_uri)
    collection = client[database]["agrégats_ventes"]
    collection.create_index([("id_region", 1), ("catégorie", 1), ("mois", 1)], unique=True)
    for start in range(0, len(docs), 1000):
        batch = docs[start : start + 1000]
        collection.bulk_write(
            [ReplaceOne({k: d[k] for k in ("id_region", "catégorie", "mois")}, d, upsert=True) for d in batch],
            ordered=False,
        )
    client.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tool", choices=["pandas", "polars"])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--mongodb-uri", default="mongodb://127.0.0.1:27017")
    parser.add_argument("--mongodb-database", required=True)
    args = parser.parse_args()

    started = time.perf_counter()
    extract = extract_aggregate_pandas if args.tool == "pandas" else extract_aggregate_polars
    rows, timings = extract(args.database_url)
    load_started = time.perf_counter()
    docs = documents(rows)
    load(args.mongodb_uri, args.mongodb_database, docs)
    timings["load"] = time.perf_counter() - load_started
    timings["total"] = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "tool": args.tool,
                "groups": len(docs),
                "seconds": {k: round(v, 3) for k, v in timings.items()},
                "peak_rss_mb": round(peak_kb / 1024, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
