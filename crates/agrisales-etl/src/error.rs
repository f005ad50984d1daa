use thiserror::Error;

/// Errors of an ETL run. Storage errors keep their own messages, which
/// name the server without credentials.
#[derive(Debug, Error)]
pub enum EtlError {
    /// Reading from PostgreSQL failed.
    #[error("extract failed: {0}")]
    Source(#[source] Box<dyn std::error::Error + Send + Sync>),

    /// Writing to MongoDB failed.
    #[error("load failed: {0}")]
    Sink(#[source] Box<dyn std::error::Error + Send + Sync>),

    /// The reference data does not allow aggregation.
    #[error("aggregation failed: {0}")]
    Transform(#[from] agrisales_transform::TransformError),

    /// The PostgreSQL repository failed outside the extract.
    #[error(transparent)]
    Postgres(#[from] agrisales_postgres::PgError),

    /// The MongoDB store failed outside the load.
    #[error(transparent)]
    Mongo(#[from] agrisales_mongo::MongoError),

    /// Another run holds the ETL lock.
    #[error(
        "another ETL run is writing to MongoDB {mongo_target} ({holder}); gave up after waiting {waited:.1?}. Let it finish, or wait longer with --lock-wait SECONDS"
    )]
    Locked {
        /// `host:port/database` of the MongoDB target.
        mongo_target: String,
        /// Who holds the lock, as far as PostgreSQL tells.
        holder: String,
        /// How long this run waited.
        waited: std::time::Duration,
    },

    /// The data generator could not start.
    #[error("data generation failed: {0}")]
    Generator(#[source] agrisales_datagen::DatagenError),
}
