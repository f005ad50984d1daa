//! PostgreSQL support for the incremental, single-runner ETL: month
//! versions (see migration `2026-12-04-000003_month_versions`), sales of
//! chosen months, monthly totals per product and region, consistent
//! snapshots and advisory locks.

use agrisales_domain::{ChunkError, Quantity, SaleColumns, YearMonth};
use chrono::NaiveDate;
use diesel::connection::TransactionManager;
use diesel::pg::PgRowByRowLoadingMode;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Integer, Nullable, Text, Timestamptz};

use crate::{PgError, PgRepository};

type TransactionManagerOf = <PgConnection as Connection>::TransactionManager;

/// The tables an ETL run reads; [`PgRepository::check_etl_tables`] checks
/// them before anything else happens.
pub const ETL_TABLES: [&str; 5] = [
    "regions",
    "produits",
    "ventes",
    "ventes_par_jour",
    "ventes_mois_version",
];

/// The version of one month's sales: it changes whenever a sale of that
/// month is inserted, updated or deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonthVersion {
    /// The month.
    pub month: YearMonth,
    /// An opaque number; compare two versions of a month for equality only.
    pub version: i64,
}

/// The session holding an advisory lock, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockHolder {
    /// Backend process id of the holding session.
    pub pid: i32,
    /// Its `application_name`, empty when it set none.
    pub application_name: String,
    /// When its current transaction or query started, RFC 3339, if known.
    pub since: Option<String>,
}

#[derive(QueryableByName)]
struct VersionRow {
    #[diesel(sql_type = Date)]
    mois: NaiveDate,
    #[diesel(sql_type = BigInt)]
    version: i64,
}

#[derive(QueryableByName)]
struct SaleRow {
    #[diesel(sql_type = Integer)]
    id_produit: i32,
    #[diesel(sql_type = Integer)]
    region_vente: i32,
    #[diesel(sql_type = Date)]
    mois: NaiveDate,
    #[diesel(sql_type = BigInt)]
    milli: i64,
}

#[derive(QueryableByName)]
struct HolderRow {
    #[diesel(sql_type = Integer)]
    pid: i32,
    #[diesel(sql_type = Nullable<Text>)]
    application_name: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    since: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    value: bool,
}

#[derive(QueryableByName)]
struct MissingRow {
    #[diesel(sql_type = Text)]
    name: String,
}

impl PgRepository {
    /// Fails with [`PgError::MissingTable`] when a table of [`ETL_TABLES`]
    /// does not exist, naming the first one missing.
    pub fn check_etl_tables(&mut self) -> Result<(), PgError> {
        let missing: Vec<MissingRow> = diesel::sql_query(
            "SELECT t AS name FROM unnest($1::text[]) WITH ORDINALITY AS u(t, n) \
             WHERE to_regclass(quote_ident(t)) IS NULL ORDER BY n",
        )
        .bind::<diesel::sql_types::Array<Text>, _>(ETL_TABLES.to_vec())
        .load(&mut self.conn)
        .map_err(|source| self.query_error("checking the tables", source))?;
        match missing.into_iter().next() {
            Some(row) => Err(PgError::MissingTable {
                table: row.name,
                target: self.target.to_string(),
            }),
            None => Ok(()),
        }
    }

    /// Runs `work` in a read-only `REPEATABLE READ` transaction: every query
    /// it makes sees the same snapshot of the database, whatever commits
    /// meanwhile. The transaction is rolled back at the end (it changed
    /// nothing).
    pub fn snapshot<T, E: From<PgError>>(&mut self, work: impl FnOnce(&mut Self) -> Result<T, E>) -> Result<T, E> {
        TransactionManagerOf::begin_transaction(&mut self.conn)
            .map_err(|source| self.query_error("starting a snapshot", source))
            .map_err(E::from)?;
        let isolation = diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut self.conn)
            .map_err(|source| self.query_error("starting a snapshot", source));

        let result = match isolation {
            Ok(_) => work(self),
            Err(error) => Err(E::from(error)),
        };

        if let Err(rollback) = TransactionManagerOf::rollback_transaction(&mut self.conn) {
            tracing::debug!(target = %self.target, %rollback, "ending the snapshot failed");
        }
        result
    }

    /// Returns the version of every month that has had sales, by month.
    pub fn month_versions(&mut self) -> Result<Vec<MonthVersion>, PgError> {
        let rows: Vec<VersionRow> = diesel::sql_query("SELECT mois, version FROM ventes_mois_version ORDER BY mois")
            .load(&mut self.conn)
            .map_err(|source| self.query_error("reading month versions", source))?;
        Ok(rows
            .into_iter()
            .map(|row| MonthVersion {
                month: YearMonth::of(row.mois),
                version: row.version,
            })
            .collect())
    }

    /// Streams the sales dated in `months` (any order, duplicates ignored),
    /// in chunks of at most `chunk_rows`, like
    /// [`PgRepository::stream_sales`]. Returns the number of sales read.
    ///
    /// Consecutive months are read with one range query each, through the
    /// index on `date_vente`, row by row: memory stays at one chunk.
    pub fn stream_sales_in_months(
        &mut self,
        months: &[YearMonth],
        chunk_rows: usize,
        on_chunk: &mut dyn FnMut(&SaleColumns) -> Result<(), ChunkError>,
    ) -> Result<u64, PgError> {
        let mut chunk = SaleColumns::with_capacity(chunk_rows.max(1));
        let mut rows = 0_u64;
        for (first, last) in month_runs(months) {
            let query = diesel::sql_query(
                "SELECT id_produit, region_vente, date_vente AS mois, (\"quantité\" * 1000)::int8 AS milli \
                 FROM ventes WHERE date_vente >= $1 AND date_vente < $2",
            )
            .bind::<Date, _>(first.first_day())
            .bind::<Date, _>(last.succ().first_day());
            rows += self.stream_rows(
                query,
                "reading the sales of changed months",
                chunk_rows,
                &mut chunk,
                on_chunk,
            )?;
        }
        if !chunk.is_empty() {
            on_chunk(&chunk).map_err(PgError::Consumer)?;
        }
        Ok(rows)
    }

    /// Streams one row per (product, region, month) with sales, whose
    /// quantity is the month's exact total, read from `ventes_par_jour`.
    /// Returns the number of rows.
    ///
    /// Feeding these rows to a builder of per-product series gives the same
    /// series as feeding every sale, at a cost that does not grow with the
    /// number of sales.
    pub fn stream_monthly_product_totals(
        &mut self,
        chunk_rows: usize,
        on_chunk: &mut dyn FnMut(&SaleColumns) -> Result<(), ChunkError>,
    ) -> Result<u64, PgError> {
        let query = diesel::sql_query(
            "SELECT id_produit, region_vente, date_trunc('month', date_vente)::date AS mois, \
             (sum(\"quantité\") * 1000)::int8 AS milli \
             FROM ventes_par_jour GROUP BY 1, 2, 3",
        );
        let mut chunk = SaleColumns::with_capacity(chunk_rows.max(1));
        let rows = self.stream_rows(
            query,
            "reading monthly product totals",
            chunk_rows,
            &mut chunk,
            on_chunk,
        )?;
        if !chunk.is_empty() {
            on_chunk(&chunk).map_err(PgError::Consumer)?;
        }
        Ok(rows)
    }

    /// Tries to take the session-level advisory lock `(class, key)` without
    /// waiting. `true`: this session holds it until
    /// [`PgRepository::advisory_unlock`] or the connection closes (a killed
    /// process releases it). `false`: another session holds it.
    pub fn try_advisory_lock(&mut self, class: i32, key: i32) -> Result<bool, PgError> {
        let row: Flag = diesel::sql_query("SELECT pg_try_advisory_lock($1, $2) AS value")
            .bind::<Integer, _>(class)
            .bind::<Integer, _>(key)
            .get_result(&mut self.conn)
            .map_err(|source| self.query_error("taking the ETL lock", source))?;
        Ok(row.value)
    }

    /// Releases the advisory lock `(class, key)`; returns `false` when this
    /// session did not hold it.
    pub fn advisory_unlock(&mut self, class: i32, key: i32) -> Result<bool, PgError> {
        let row: Flag = diesel::sql_query("SELECT pg_advisory_unlock($1, $2) AS value")
            .bind::<Integer, _>(class)
            .bind::<Integer, _>(key)
            .get_result(&mut self.conn)
            .map_err(|source| self.query_error("releasing the ETL lock", source))?;
        Ok(row.value)
    }

    /// Returns the session holding the advisory lock `(class, key)`, if any
    /// (needs the privilege to see other sessions in `pg_stat_activity`).
    pub fn advisory_lock_holder(&mut self, class: i32, key: i32) -> Result<Option<LockHolder>, PgError> {
        let rows: Vec<HolderRow> = diesel::sql_query(
            "SELECT l.pid, a.application_name, coalesce(a.xact_start, a.backend_start) AS since \
             FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
               AND l.classid::int8 = $1 AND l.objid::int8 = $2 AND l.objsubid = 2",
        )
        .bind::<BigInt, _>(i64::from(class as u32))
        .bind::<BigInt, _>(i64::from(key as u32))
        .load(&mut self.conn)
        .map_err(|source| self.query_error("finding the ETL lock holder", source))?;
        Ok(rows.into_iter().next().map(|row| LockHolder {
            pid: row.pid,
            application_name: row.application_name.unwrap_or_default(),
            since: row.since.map(|t| t.to_rfc3339()),
        }))
    }

    /// Returns this session's backend process id (`pg_backend_pid()`).
    pub fn backend_pid(&mut self) -> Result<i32, PgError> {
        #[derive(QueryableByName)]
        struct Pid {
            #[diesel(sql_type = Integer)]
            pid: i32,
        }
        let row: Pid = diesel::sql_query("SELECT pg_backend_pid() AS pid")
            .get_result(&mut self.conn)
            .map_err(|source| self.query_error("reading the backend pid", source))?;
        Ok(row.pid)
    }

    fn stream_rows<Q>(
        &mut self,
        query: Q,
        context: &'static str,
        chunk_rows: usize,
        chunk: &mut SaleColumns,
        on_chunk: &mut dyn FnMut(&SaleColumns) -> Result<(), ChunkError>,
    ) -> Result<u64, PgError>
    where
        Q: diesel::query_dsl::LoadQuery<'static, PgConnection, SaleRow, PgRowByRowLoadingMode>,
    {
        let target = self.target.to_string();
        let iter = query
            .load_iter::<SaleRow, PgRowByRowLoadingMode>(&mut self.conn)
            .map_err(|source| PgError::Query {
                context,
                target: target.clone(),
                source,
            })?;
        let mut rows = 0_u64;
        for row in iter {
            let row = row.map_err(|source| PgError::Query {
                context,
                target: target.clone(),
                source,
            })?;
            chunk.push(
                row.id_produit,
                row.region_vente,
                YearMonth::of(row.mois),
                Quantity::from_milli(row.milli),
            );
            rows += 1;
            if chunk.len() >= chunk_rows.max(1) {
                on_chunk(chunk).map_err(PgError::Consumer)?;
                chunk.clear();
            }
        }
        Ok(rows)
    }
}

/// Splits `months` into runs of consecutive months, sorted, without
/// duplicates, as (first, last) pairs.
fn month_runs(months: &[YearMonth]) -> Vec<(YearMonth, YearMonth)> {
    let mut sorted = months.to_vec();
    sorted.sort();
    sorted.dedup();

    let mut runs: Vec<(YearMonth, YearMonth)> = Vec::new();
    for month in sorted {
        match runs.last_mut() {
            Some((_, last)) if last.succ() == month => *last = month,
            _ => runs.push((month, month)),
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ym(year: i32, month: u32) -> YearMonth {
        YearMonth::new(year, month).expect("valid month")
    }

    #[test]
    fn month_runs_merge_consecutive_months() {
        let runs = month_runs(&[
            ym(2024, 1),
            ym(2023, 12),
            ym(2024, 3),
            ym(2024, 1),
            ym(2024, 5),
            ym(2024, 4),
        ]);
        assert_eq!(runs, vec![(ym(2023, 12), ym(2024, 1)), (ym(2024, 3), ym(2024, 5))]);
        assert!(month_runs(&[]).is_empty());
    }
}
