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

    /// The data generator could not start.
    #[error("data generation failed: {0}")]
    Generator(#[source] agrisales_datagen::DatagenError),
}
