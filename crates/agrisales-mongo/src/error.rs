use thiserror::Error;

/// Errors of the MongoDB document store.
///
/// Messages name the server as `host:port/database` and never include
/// credentials.
#[derive(Debug, Error)]
pub enum MongoError {
    /// The URI could not be parsed.
    #[error("invalid MongoDB URI: {message}; expected mongodb://[USER:PASSWORD@]HOST[:PORT][/?OPTIONS]")]
    InvalidUri {
        /// The driver's message.
        message: String,
    },

    /// The database name is not one MongoDB accepts.
    #[error("invalid MongoDB database name `{name}`: {reason}; set MONGODB_DATABASE (or --mongodb-database)")]
    InvalidDatabaseName {
        /// The rejected name.
        name: String,
        /// The reason for the rejection.
        reason: &'static str,
    },

    /// A scoped replacement got a record outside its scope.
    #[error("aggregate of month {month} is outside the months being replaced; pass every month the aggregates cover")]
    OutOfScope {
        /// The month of the first record outside the scope.
        month: String,
    },

    /// The server rejected the credentials.
    #[error(
        "authentication failed at MongoDB {target}: {message}. Check the user, password and authSource in MONGODB_URI"
    )]
    Authentication {
        /// `host:port/database` of the server.
        target: String,
        /// The server's message.
        message: String,
    },

    /// The server did not respond.
    #[error(
        "cannot reach MongoDB at {target}: {message}. Check that the server runs and MONGODB_URI (or --mongodb-uri) is right"
    )]
    Connect {
        /// `host:port/database` of the server.
        target: String,
        /// The driver's message.
        message: String,
    },

    /// A command failed.
    #[error("{context} failed on {target}: {source}")]
    Command {
        /// The operation that failed.
        context: String,
        /// `host:port/database` of the server.
        target: String,
        /// The driver's error, boxed because it is large.
        #[source]
        source: Box<mongodb::error::Error>,
    },

    /// The server rejected some documents of a batch.
    #[error("{rejected} document(s) rejected by {collection} on {target}; first error: {first}")]
    WriteErrors {
        /// The collection written to.
        collection: String,
        /// `host:port/database` of the server.
        target: String,
        /// Number of rejected documents in the batch.
        rejected: usize,
        /// The first rejection's message.
        first: String,
    },

    /// An argument is out of its domain.
    #[error("invalid {name} {value}: {reason}")]
    InvalidArgument {
        /// The argument.
        name: &'static str,
        /// The rejected value.
        value: String,
        /// Why, and what to pass instead.
        reason: String,
    },

    /// A stored document does not have the shape of the data contract.
    #[error(
        "document {id} of {collection} does not match the data contract: {reason}; run the ETL again to rewrite the collection"
    )]
    InvalidDocument {
        /// The collection read from.
        collection: String,
        /// The document's `_id`.
        id: String,
        /// The mismatch found.
        reason: String,
    },
}
