//! Reading every sale over several connections at once.
//!
//! A single `COPY ventes TO STDOUT` runs in one server process, and on
//! a 10-million-row table that process, not the client, sets the pace
//! (`docs/benchmarks.md`). [`PgRepository::open_parallel_sales`] opens
//! more connections that import the snapshot of the caller's
//! [`PgRepository::snapshot`] transaction. [`ParallelSales::stream`]
//! then gives each connection an equal range of the table's heap pages
//! (a TID range scan, PostgreSQL 14 or later) and decodes each stream on
//! its own thread. Every row version visible in the snapshot lies in
//! exactly one page range, so the connections together read each sale
//! once, as one COPY would.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use agrisales_domain::{ChunkError, SaleColumns};
use diesel::RunQueryDsl;
use diesel::sql_types::{BigInt, Text};

use crate::PgError;
use crate::copy_binary::{StreamError, stream_sale_chunks};
use crate::raw_copy::RawConnection;
use crate::repository::PgRepository;

/// How often the calling thread reports progress while the connections
/// read.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

#[derive(diesel::QueryableByName)]
struct SnapshotRow {
    #[diesel(sql_type = Text)]
    snapshot: String,
    #[diesel(sql_type = BigInt)]
    pages: i64,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    version: i32,
}

/// First `server_version_num` with TID range scans (PostgreSQL 14).
/// Older servers filter page ranges by scanning the whole table in
/// every connection, which would multiply the work.
const TID_RANGE_SCANS: i32 = 140_000;

/// Connections that share the caller's snapshot, ready to read the
/// sales; see the module docs.
pub struct ParallelSales {
    connections: Vec<RawConnection>,
    /// Heap pages of `ventes` when the snapshot was taken.
    pages: u64,
    target: String,
}

impl std::fmt::Debug for ParallelSales {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParallelSales")
            .field("connections", &self.connections.len())
            .field("pages", &self.pages)
            .field("target", &self.target)
            .finish()
    }
}

impl PgRepository {
    /// Opens up to `connections` more connections to the same database,
    /// each in a read-only transaction that uses the snapshot of the
    /// current [`PgRepository::snapshot`] transaction. When only some
    /// open, those are kept ([`ParallelSales::connections`] returns how
    /// many) and a warning is logged.
    ///
    /// Call it inside `snapshot`: outside a transaction the exported
    /// snapshot ends with its statement and the import fails. An error
    /// (not one connection opened, or a server older than PostgreSQL 14)
    /// leaves the caller's transaction usable, so a caller can fall back
    /// to [`PgRepository::stream_sales`].
    pub fn open_parallel_sales(&mut self, connections: usize) -> Result<ParallelSales, PgError> {
        let target = self.target.to_string();
        let parallel_error = |part: usize, message: String| PgError::ParallelRead {
            target: target.clone(),
            part,
            message,
        };

        let row: SnapshotRow = diesel::sql_query(
            "SELECT pg_export_snapshot() AS snapshot, \
             pg_relation_size('ventes') / current_setting('block_size')::int8 AS pages, \
             current_setting('server_version_num')::int4 AS version",
        )
        .get_result(&mut self.conn)
        .map_err(|source| self.query_error("exporting the snapshot", source))?;
        if row.version < TID_RANGE_SCANS {
            return Err(parallel_error(
                0,
                format!(
                    "server version {} has no TID range scans; parallel reads need PostgreSQL 14 or later",
                    row.version
                ),
            ));
        }
        // Snapshot ids are hexadecimal groups joined by dashes; checking
        // keeps the SET statement below free of quotes.
        if row.snapshot.is_empty() || !row.snapshot.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            return Err(parallel_error(0, format!("unexpected snapshot id {:?}", row.snapshot)));
        }

        // Whatever opens is used: a connection limit that leaves room for
        // some readers still spreads the work. None at all is an error.
        let requested = connections.max(1);
        let mut opened = Vec::with_capacity(requested);
        for part in 0..requested {
            let connection = RawConnection::connect(self.url()).and_then(|mut connection| {
                connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
                connection.execute(&format!("SET TRANSACTION SNAPSHOT '{}'", row.snapshot))?;
                Ok(connection)
            });
            match connection {
                Ok(connection) => opened.push(connection),
                Err(message) if opened.is_empty() => return Err(parallel_error(part, message)),
                Err(message) => {
                    tracing::warn!(%target, opened = opened.len(), requested, %message, "reading the sales over fewer connections");
                    break;
                }
            }
        }
        tracing::debug!(%target, connections = opened.len(), pages = row.pages, "parallel sale readers open");
        Ok(ParallelSales {
            connections: opened,
            pages: u64::try_from(row.pages).unwrap_or(0),
            target,
        })
    }
}

impl ParallelSales {
    /// Number of connections, each read on its own thread.
    pub fn connections(&self) -> usize {
        self.connections.len()
    }

    /// Streams every sale of the snapshot and returns how many there
    /// were. Connection `i` reads its page range into chunks of up to
    /// `chunk_rows` sales and hands them, on its own thread, to
    /// `consumers[i]`. Pass one consumer per connection.
    /// The calling thread meanwhile reports the number of sales read so
    /// far to `on_progress`, about every 100 ms.
    ///
    /// The first failure (a consumer error, an undecodable row, a lost
    /// connection) stops the other connections at their next chunk and
    /// is returned. The connections close when `self` is dropped.
    pub fn stream<C>(
        mut self,
        consumers: &mut [C],
        chunk_rows: usize,
        on_progress: &mut dyn FnMut(u64),
    ) -> Result<u64, PgError>
    where
        C: FnMut(&SaleColumns) -> Result<(), ChunkError> + Send,
    {
        let parts = self.connections.len();
        if consumers.len() != parts {
            return Err(PgError::InvalidArgument {
                name: "consumers",
                value: consumers.len().to_string(),
                reason: format!("pass one consumer per connection ({parts})"),
            });
        }

        let read = AtomicU64::new(0);
        // The part that failed first, `usize::MAX` while none has; the
        // others stop at their next chunk once it is set.
        let first_failure = AtomicUsize::new(usize::MAX);
        let pages = self.pages;
        let results: Vec<Result<u64, PgError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = self
                .connections
                .iter_mut()
                .zip(consumers.iter_mut())
                .enumerate()
                .map(|(part, (connection, consumer))| {
                    let (read, first_failure, target) = (&read, &first_failure, &self.target);
                    scope.spawn(move || {
                        let result = read_part(connection, part, parts, pages, chunk_rows, target, &mut |chunk| {
                            if first_failure.load(Ordering::Relaxed) != usize::MAX {
                                return Err("stopped because another connection failed".into());
                            }
                            consumer(chunk)?;
                            read.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                            Ok(())
                        });
                        if result.is_err() {
                            // Only the first failure records its part.
                            let _ =
                                first_failure.compare_exchange(usize::MAX, part, Ordering::Relaxed, Ordering::Relaxed);
                        }
                        result
                    })
                })
                .collect();

            while !handles.iter().all(|h| h.is_finished()) {
                on_progress(read.load(Ordering::Relaxed));
                std::thread::sleep(PROGRESS_EVERY);
            }
            handles
                .into_iter()
                // A panic in a reader is a bug: pass it on unchanged.
                .map(|h| h.join().unwrap_or_else(|payload| std::panic::resume_unwind(payload)))
                .collect()
        });

        let first_failure = first_failure.into_inner();
        let mut total = 0;
        for (part, result) in results.into_iter().enumerate() {
            match result {
                Ok(rows) => total += rows,
                Err(error) if part == first_failure => return Err(error),
                // Stopped because of the first failure, reported instead.
                Err(_) => {}
            }
        }
        on_progress(total);
        Ok(total)
    }
}

/// Reads the sales of heap pages `[part × pages / parts, (part + 1) ×
/// pages / parts)` through `connection`. The last part has no upper
/// bound, so pages added since the snapshot need no special case.
fn read_part(
    connection: &mut RawConnection,
    part: usize,
    parts: usize,
    pages: u64,
    chunk_rows: usize,
    target: &str,
    on_chunk: &mut dyn FnMut(&SaleColumns) -> Result<(), ChunkError>,
) -> Result<u64, PgError> {
    let bound = |i: usize| pages * i as u64 / parts as u64;
    let mut conditions = Vec::new();
    if part > 0 {
        conditions.push(format!("ctid >= '({},0)'::tid", bound(part)));
    }
    if part + 1 < parts {
        conditions.push(format!("ctid < '({},0)'::tid", bound(part + 1)));
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    let sql = format!(
        "COPY (SELECT id_produit, region_vente, date_vente, \"quantité\" FROM ventes{filter}) TO STDOUT (FORMAT binary)"
    );

    let parallel_error = |message: String| PgError::ParallelRead {
        target: target.to_owned(),
        part,
        message,
    };
    let stream = connection.copy_out(&sql).map_err(parallel_error)?;
    stream_sale_chunks(stream, chunk_rows, on_chunk).map_err(|error| match error {
        StreamError::Row { row, reason } => PgError::CopyRow {
            row,
            target: format!("{target} (extra connection {})", part + 1),
            reason,
        },
        StreamError::Consumer(error) => PgError::Consumer(error),
    })
}
