use agrisales_domain::ChunkError;
use thiserror::Error;

/// Errors of the PostgreSQL repository.
///
/// Messages name the server as `host:port/database` and never include a
/// password.
#[derive(Debug, Error)]
pub enum PgError {
    /// The connection URL could not be parsed.
    #[error("invalid PostgreSQL URL: {reason}; expected postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE")]
    InvalidUrl {
        /// The reason for the rejection.
        reason: String,
    },

    /// The server could not be reached or refused the connection.
    #[error(
        "cannot connect to PostgreSQL at {target}: {message}. Check that the server runs, that the database exists, and that DATABASE_URL (or --database-url) is right"
    )]
    Connect {
        /// `host:port/database` of the server.
        target: String,
        /// The driver's message.
        message: String,
    },

    /// Applying the embedded migrations failed.
    #[error("cannot apply migrations on {target}: {message}")]
    Migration {
        /// `host:port/database` of the server.
        target: String,
        /// The migration harness's message.
        message: String,
    },

    /// A statement failed.
    #[error("{context} failed on {target}: {source}")]
    Query {
        /// The operation that failed.
        context: &'static str,
        /// `host:port/database` of the server.
        target: String,
        /// The driver's error.
        #[source]
        source: diesel::result::Error,
    },

    /// One connection of a parallel read of the sales failed.
    #[error("reading the sales over extra connection {} to {target} failed: {message}", part + 1)]
    ParallelRead {
        /// `host:port/database` of the server.
        target: String,
        /// Zero-based number of the extra connection; messages count
        /// from 1.
        part: usize,
        /// libpq's message.
        message: String,
    },

    /// A row streamed by `COPY ... TO STDOUT` could not be read (the
    /// connection failed) or parsed.
    #[error("reading sale row {row} of the COPY stream from {target} failed: {reason}")]
    CopyRow {
        /// One-based row number in the stream.
        row: u64,
        /// `host:port/database` of the server.
        target: String,
        /// The connection's error or the parse failure.
        reason: String,
    },

    /// The consumer of a sale chunk stopped the stream.
    #[error("sale stream stopped by its consumer: {0}")]
    Consumer(#[source] ChunkError),

    /// An argument is out of its domain.
    #[error("invalid {name} {value}: {reason}")]
    InvalidArgument {
        /// The argument.
        name: &'static str,
        /// The rejected value.
        value: String,
        /// The reason for the rejection and what to pass instead.
        reason: String,
    },

    /// A row named by the caller does not exist.
    #[error("{what} {value} not found; {hint}")]
    NotFound {
        /// The kind of row ("product").
        what: &'static str,
        /// The id or name given.
        value: String,
        /// How to find valid values.
        hint: &'static str,
    },

    /// A table the ETL reads does not exist.
    #[error(
        "table {table} is missing on {target}: apply the migrations first (the etl example does, or call PgRepository::run_migrations)"
    )]
    MissingTable {
        /// The missing table.
        table: String,
        /// `host:port/database` of the server.
        target: String,
    },

    /// A database error while running a callback, kept for diesel's
    /// `From<diesel::result::Error>` bound on transactions and COPY.
    #[error(transparent)]
    Diesel(#[from] diesel::result::Error),
}
