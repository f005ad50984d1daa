//! The document store: connection, collection setup and idempotent loads.

use std::collections::HashSet;
use std::time::Duration;

use agrisales_domain::{AggregateSink, MonthlyAggregate, ProductForecast, WriteSummary, YearMonth};
use mongodb::IndexModel;
use mongodb::bson::{Bson, Document, doc};
use mongodb::options::{ClientOptions, IndexOptions};
use mongodb::sync::{Client, Database};

use crate::MongoError;
use crate::documents::{
    aggregate_document, aggregate_from_document, aggregate_key, forecast_document, forecast_from_document, forecast_key,
};
use crate::retry::RetryPolicy;
use crate::runs::RUNS_COLLECTION;
use crate::schema::{
    AGGREGATES_COLLECTION, FORECASTS_COLLECTION, IndexSpec, aggregates_indexes, aggregates_validator,
    forecasts_indexes, forecasts_validator,
};

/// Default database name, as the data contract sets it.
pub const DEFAULT_DATABASE: &str = "ventes_agricoles";

/// Default time to find a server before an operation fails. The driver's
/// own default is 30 s, too long for a command-line tool to look alive.
pub const DEFAULT_SERVER_SELECTION_TIMEOUT: Duration = Duration::from_secs(5);

/// Maximum number of statements per `update` command. The server's own limits
/// (`maxWriteBatchSize`, `maxBsonObjectSize`, read with `hello` at connect
/// time) lower it when they are smaller.
const WRITE_BATCH: usize = 1_000;

/// Room left in a command for its own fields besides the statements, in
/// bytes.
const COMMAND_OVERHEAD: usize = 16 * 1024;

/// Write limits the server announces in its `hello` reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// Largest BSON document, in bytes (`maxBsonObjectSize`, 16 MiB on
    /// MongoDB). A write command is one document, so its statements must
    /// fit in it.
    pub max_bson_object_size: usize,
    /// Maximum number of statements in one write command (`maxWriteBatchSize`, 100,000
    /// on MongoDB).
    pub max_write_batch_size: usize,
}

impl Default for ServerLimits {
    /// MongoDB's values, used for a field the server does not announce.
    fn default() -> Self {
        Self {
            max_bson_object_size: 16 * 1024 * 1024,
            max_write_batch_size: 100_000,
        }
    }
}

/// Key fields of each collection, in index order.
const AGGREGATE_KEY_FIELDS: [&str; 3] = ["id_region", "catégorie", "mois"];
const FORECAST_KEY_FIELDS: [&str; 2] = ["id_produit", "mois"];

/// A connection to the MongoDB database that receives the ETL's results.
///
/// Operations block the calling thread (the driver's `sync` API). Writes
/// are idempotent: they upsert on each collection's unique key, then
/// delete documents whose key the new data no longer has, so a run that
/// was killed half-way is repaired by the next run.
#[derive(Debug, Clone)]
pub struct MongoStore {
    client: Client,
    database: Database,
    target: String,
    limits: ServerLimits,
    retry: RetryPolicy,
}

impl MongoStore {
    /// Connects to `uri` and checks with a `ping` that the server responds
    /// within the URI's `serverSelectionTimeoutMS`, or
    /// [`DEFAULT_SERVER_SELECTION_TIMEOUT`] when it sets none.
    pub fn connect(uri: &str, database: &str) -> Result<Self, MongoError> {
        check_database_name(database)?;

        let mut options = ClientOptions::parse(uri)
            .run()
            .map_err(|e| MongoError::InvalidUri { message: e.to_string() })?;
        options
            .server_selection_timeout
            .get_or_insert(DEFAULT_SERVER_SELECTION_TIMEOUT);
        options.connect_timeout.get_or_insert(DEFAULT_SERVER_SELECTION_TIMEOUT);
        options.app_name.get_or_insert_with(|| "agrisales".to_owned());

        let hosts: Vec<String> = options.hosts.iter().map(ToString::to_string).collect();
        let target = format!("{}/{database}", hosts.join(","));
        let client = Client::with_options(options).map_err(|e| MongoError::Connect {
            target: target.clone(),
            message: e.to_string(),
        })?;

        client
            .database("admin")
            .run_command(doc! { "ping": 1 })
            .run()
            .map_err(|e| match *e.kind {
                mongodb::error::ErrorKind::Authentication { ref message, .. } => MongoError::Authentication {
                    target: target.clone(),
                    message: message.trim_end_matches('.').to_owned(),
                },
                _ => MongoError::Connect {
                    target: target.clone(),
                    message: first_sentence(&e.to_string()),
                },
            })?;

        let limits = read_limits(&client);
        tracing::debug!(%target, ?limits, "connected to MongoDB");
        let database = client.database(database);
        Ok(Self {
            client,
            database,
            target,
            limits,
            retry: RetryPolicy::default(),
        })
    }

    /// Returns the write limits read from the server at connect time.
    pub fn limits(&self) -> ServerLimits {
        self.limits
    }

    /// Returns the retry policy of writes and journal operations; see
    /// [`RetryPolicy`]. Default: [`RetryPolicy::default`].
    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }

    /// Replaces the retry policy.
    pub fn set_retry_policy(&mut self, policy: RetryPolicy) {
        self.retry = policy;
    }

    /// `host:port/database` of the server, without credentials.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Returns the database handle, for queries this type does not offer.
    pub fn database(&self) -> &Database {
        &self.database
    }

    /// Returns the client, for other databases on the same server.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Creates both collections with their `$jsonSchema` validators and
    /// indexes. On existing collections it updates the validators
    /// (`collMod`) and creates missing indexes; running it again changes
    /// nothing.
    pub fn ensure_collections(&self) -> Result<(), MongoError> {
        let existing: HashSet<String> = self
            .database
            .list_collection_names()
            .run()
            .map_err(|source| self.command_error("listing collections", source))?
            .into_iter()
            .collect();

        if !existing.contains(RUNS_COLLECTION) {
            self.database
                .create_collection(RUNS_COLLECTION)
                .run()
                .map_err(|source| self.command_error(&format!("creating {RUNS_COLLECTION}"), source))?;
        }
        self.create_indexes(
            RUNS_COLLECTION,
            vec![IndexSpec {
                name: "status_started_at",
                keys: doc! { "status": 1, "started_at": -1 },
                unique: false,
            }],
        )?;

        for (name, validator, indexes) in [
            (AGGREGATES_COLLECTION, aggregates_validator(), aggregates_indexes()),
            (FORECASTS_COLLECTION, forecasts_validator(), forecasts_indexes()),
        ] {
            if existing.contains(name) {
                self.database
                    .run_command(doc! { "collMod": name, "validator": validator, "validationLevel": "strict" })
                    .run()
                    .map_err(|source| self.command_error(&format!("updating the validator of {name}"), source))?;
            } else {
                self.database
                    .create_collection(name)
                    .validator(validator)
                    .run()
                    .map_err(|source| self.command_error(&format!("creating {name}"), source))?;
            }
            self.create_indexes(name, indexes)?;
        }
        Ok(())
    }

    /// Returns every document of `agrégats_ventes`, ordered by region,
    /// category and month.
    pub fn aggregates(&self) -> Result<Vec<MonthlyAggregate>, MongoError> {
        self.read_all(
            AGGREGATES_COLLECTION,
            doc! { "id_region": 1, "catégorie": 1, "mois": 1 },
            aggregate_from_document,
        )
    }

    /// Returns every document of `prévisions_popularité`, ordered by month
    /// and popularity rank.
    pub fn forecasts(&self) -> Result<Vec<ProductForecast>, MongoError> {
        self.read_all(
            FORECASTS_COLLECTION,
            doc! { "mois": 1, "rang_popularité": 1, "id_produit": 1 },
            forecast_from_document,
        )
    }

    /// Replaces the documents of `collection` that match `scope` by
    /// `documents`, given as (unique key, full document) pairs, each inside
    /// `scope`; see the type's docs.
    ///
    /// Upserts go in `update` commands that stay under the server's limits
    /// ([`MongoStore::limits`]); each command is retried under the
    /// [`RetryPolicy`].
    fn replace_scope(
        &self,
        collection: &str,
        key_fields: &[&str],
        scope: Document,
        documents: Vec<(Document, Document)>,
    ) -> Result<WriteSummary, MongoError> {
        let wanted: HashSet<String> = documents.iter().map(|(key, _)| key_string(key, key_fields)).collect();

        let statements: Vec<Document> = documents
            .into_iter()
            .map(|(key, document)| doc! { "q": key, "u": document, "upsert": true, "multi": false })
            .collect();
        let mut upserted = 0_u64;
        for batch in split_batches(&statements, self.limits) {
            let command = doc! { "update": collection, "updates": batch.to_vec(), "ordered": false };
            let reply = self
                .retry
                .run(&format!("writing to {collection}"), || {
                    self.database.run_command(command.clone()).run()
                })
                .map_err(|source| self.command_error(&format!("writing to {collection}"), source))?;
            self.check_write_reply(collection, &reply)?;
            upserted += batch.len() as u64;
        }

        let deleted = self.delete_stale(collection, key_fields, scope, &wanted)?;
        tracing::debug!(collection, upserted, deleted, "documents replaced");
        Ok(WriteSummary { upserted, deleted })
    }

    /// Deletes the documents of `collection` matching `scope` whose key is
    /// not in `wanted`.
    fn delete_stale(
        &self,
        collection: &str,
        key_fields: &[&str],
        scope: Document,
        wanted: &HashSet<String>,
    ) -> Result<u64, MongoError> {
        let mut projection = doc! { "_id": 1 };
        for field in key_fields {
            projection.insert(*field, 1);
        }

        let handle = self.database.collection::<Document>(collection);
        let context = format!("reading keys of {collection}");
        let stale = self
            .retry
            .run(&context, || {
                let cursor = handle.find(scope.clone()).projection(projection.clone()).run()?;
                let mut stale = Vec::new();
                for stored in cursor {
                    let stored = stored?;
                    if !wanted.contains(&key_string(&stored, key_fields))
                        && let Some(id) = stored.get("_id")
                    {
                        stale.push(id.clone());
                    }
                }
                Ok(stale)
            })
            .map_err(|source| self.command_error(&context, source))?;

        let mut deleted = 0;
        let context = format!("deleting stale documents of {collection}");
        for ids in stale.chunks(WRITE_BATCH) {
            let filter = doc! { "_id": { "$in": ids.to_vec() } };
            let result = self
                .retry
                .run(&context, || handle.delete_many(filter.clone()).run())
                .map_err(|source| self.command_error(&context, source))?;
            deleted += result.deleted_count;
        }
        Ok(deleted)
    }

    /// Replaces the aggregates of `months` by `aggregates`, leaving other
    /// months untouched: afterwards those months hold exactly one document
    /// per aggregate given. Incremental runs use it.
    ///
    /// Fails with [`MongoError::OutOfScope`] before writing anything when
    /// an aggregate's month is not in `months`.
    pub fn replace_aggregates_in_months(
        &mut self,
        months: &[YearMonth],
        aggregates: &[MonthlyAggregate],
    ) -> Result<WriteSummary, MongoError> {
        let wanted: HashSet<YearMonth> = months.iter().copied().collect();
        if let Some(outside) = aggregates.iter().find(|a| !wanted.contains(&a.month)) {
            return Err(MongoError::OutOfScope {
                month: outside.month.to_string(),
            });
        }

        let mut names: Vec<String> = wanted.iter().map(ToString::to_string).collect();
        names.sort();
        let documents = aggregates
            .iter()
            .map(|a| (aggregate_key(a), aggregate_document(a)))
            .collect();
        self.replace_scope(
            AGGREGATES_COLLECTION,
            &AGGREGATE_KEY_FIELDS,
            doc! { "mois": { "$in": names } },
            documents,
        )
    }

    fn check_write_reply(&self, collection: &str, reply: &Document) -> Result<(), MongoError> {
        let errors = match reply.get("writeErrors") {
            Some(Bson::Array(errors)) if !errors.is_empty() => errors,
            _ => return Ok(()),
        };
        let first = errors
            .first()
            .and_then(Bson::as_document)
            .and_then(|e| e.get_str("errmsg").ok())
            .unwrap_or("no message")
            .to_owned();
        Err(MongoError::WriteErrors {
            collection: collection.to_owned(),
            target: self.target.clone(),
            rejected: errors.len(),
            first,
        })
    }

    fn create_indexes(&self, collection: &str, indexes: Vec<IndexSpec>) -> Result<(), MongoError> {
        let models: Vec<IndexModel> = indexes
            .into_iter()
            .map(|spec| {
                let options = IndexOptions::builder()
                    .name(spec.name.to_owned())
                    .unique(spec.unique)
                    .build();
                IndexModel::builder().keys(spec.keys).options(options).build()
            })
            .collect();
        self.database
            .collection::<Document>(collection)
            .create_indexes(models)
            .run()
            .map_err(|source| self.command_error(&format!("creating the indexes of {collection}"), source))?;
        Ok(())
    }

    fn read_all<T>(
        &self,
        collection: &str,
        sort: Document,
        parse: fn(&Document) -> Result<T, String>,
    ) -> Result<Vec<T>, MongoError> {
        let cursor = self
            .database
            .collection::<Document>(collection)
            .find(doc! {})
            .sort(sort)
            .run()
            .map_err(|source| self.command_error(&format!("reading {collection}"), source))?;

        let mut records = Vec::new();
        for document in cursor {
            let document = document.map_err(|source| self.command_error(&format!("reading {collection}"), source))?;
            let record = parse(&document).map_err(|reason| MongoError::InvalidDocument {
                collection: collection.to_owned(),
                id: document.get("_id").map_or_else(|| "?".to_owned(), ToString::to_string),
                reason,
            })?;
            records.push(record);
        }
        Ok(records)
    }

    pub(crate) fn command_error(&self, context: &str, source: mongodb::error::Error) -> MongoError {
        MongoError::Command {
            context: context.to_owned(),
            target: self.target.clone(),
            source: Box::new(source),
        }
    }
}

impl AggregateSink for MongoStore {
    type Error = MongoError;

    fn replace_aggregates(&mut self, aggregates: &[MonthlyAggregate]) -> Result<WriteSummary, MongoError> {
        let documents = aggregates
            .iter()
            .map(|a| (aggregate_key(a), aggregate_document(a)))
            .collect();
        self.replace_scope(AGGREGATES_COLLECTION, &AGGREGATE_KEY_FIELDS, doc! {}, documents)
    }

    fn replace_forecasts(&mut self, forecasts: &[ProductForecast]) -> Result<WriteSummary, MongoError> {
        let documents = forecasts
            .iter()
            .map(|f| (forecast_key(f), forecast_document(f)))
            .collect();
        self.replace_scope(FORECASTS_COLLECTION, &FORECAST_KEY_FIELDS, doc! {}, documents)
    }
}

/// Rejects the database names MongoDB refuses: empty, longer than 63
/// bytes, or containing `/ \ . " $`, a space or NUL; the server
/// would reject them later with a less clear message.
fn check_database_name(name: &str) -> Result<(), MongoError> {
    let reason = if name.is_empty() {
        Some("it is empty")
    } else if name.len() > 63 {
        Some("it is longer than 63 bytes")
    } else if name.contains(['/', '\\', '.', ' ', '"', '$', '\0']) {
        Some("it contains one of / \\ . \" $, a space or NUL")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(MongoError::InvalidDatabaseName {
            name: name.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

/// Reads the write limits from `hello`; a field the server does not send
/// keeps MongoDB's value.
fn read_limits(client: &Client) -> ServerLimits {
    let defaults = ServerLimits::default();
    let reply = match client.database("admin").run_command(doc! { "hello": 1 }).run() {
        Ok(reply) => reply,
        Err(error) => {
            tracing::debug!(%error, "hello failed; assuming MongoDB's write limits");
            return defaults;
        }
    };
    let read = |key: &str, default: usize| match reply.get(key) {
        Some(Bson::Int32(v)) => usize::try_from(*v).unwrap_or(default),
        Some(Bson::Int64(v)) => usize::try_from(*v).unwrap_or(default),
        Some(Bson::Double(v)) if *v >= 1.0 => *v as usize,
        _ => default,
    };
    ServerLimits {
        max_bson_object_size: read("maxBsonObjectSize", defaults.max_bson_object_size),
        max_write_batch_size: read("maxWriteBatchSize", defaults.max_write_batch_size),
    }
}

/// Splits `statements` into consecutive batches of at most [`WRITE_BATCH`]
/// and `limits.max_write_batch_size` statements whose encoded size stays
/// under `limits.max_bson_object_size` minus [`COMMAND_OVERHEAD`]. A single
/// statement larger than that still gets a batch of its own, and the
/// server's rejection names it.
pub(crate) fn split_batches(statements: &[Document], limits: ServerLimits) -> Vec<&[Document]> {
    let max_count = WRITE_BATCH.min(limits.max_write_batch_size).max(1);
    let max_bytes = limits.max_bson_object_size.saturating_sub(COMMAND_OVERHEAD).max(1);

    let mut batches = Vec::new();
    let mut start = 0;
    let mut bytes = 0;
    for (i, statement) in statements.iter().enumerate() {
        // Array elements carry their index as a key and a type byte.
        let size = encoded_size(statement) + 8;
        if i > start && (i - start >= max_count || bytes + size > max_bytes) {
            batches.push(&statements[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += size;
    }
    if start < statements.len() {
        batches.push(&statements[start..]);
    }
    batches
}

fn encoded_size(document: &Document) -> usize {
    let mut buffer = Vec::new();
    match document.to_writer(&mut buffer) {
        Ok(()) => buffer.len(),
        // Encoding fails only for documents the server would refuse anyway.
        Err(_) => usize::MAX / 4,
    }
}

/// Builds a comparable text of a document's key fields.
fn key_string(document: &Document, key_fields: &[&str]) -> String {
    let mut key = String::new();
    for field in key_fields {
        match document.get(*field) {
            // Integers compare by value whatever their BSON width.
            Some(Bson::Int32(v)) => key.push_str(&v.to_string()),
            Some(Bson::Int64(v)) => key.push_str(&v.to_string()),
            Some(other) => key.push_str(&other.to_string()),
            None => key.push_str("<missing>"),
        }
        key.push('\u{1f}');
    }
    key
}

/// Keeps the driver's message short: its first sentence names the cause.
fn first_sentence(message: &str) -> String {
    message.split(". Topology:").next().unwrap_or(message).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statements(count: usize, padding: usize) -> Vec<Document> {
        (0..count)
            .map(|i| doc! { "q": { "k": i as i64 }, "u": { "k": i as i64, "pad": "x".repeat(padding) } })
            .collect()
    }

    #[test]
    fn batches_respect_count_limits() {
        let all = statements(2_501, 10);
        let batches = split_batches(&all, ServerLimits::default());
        assert_eq!(
            batches.iter().map(|b| b.len()).collect::<Vec<_>>(),
            vec![1_000, 1_000, 501]
        );

        let small = ServerLimits {
            max_write_batch_size: 300,
            ..ServerLimits::default()
        };
        let batches = split_batches(&all, small);
        assert!(batches.iter().all(|b| b.len() <= 300));
        assert_eq!(batches.iter().map(|b| b.len()).sum::<usize>(), 2_501);
    }

    #[test]
    fn batches_respect_size_limit() {
        let all = statements(100, 10_000);
        let limits = ServerLimits {
            max_bson_object_size: COMMAND_OVERHEAD + 100_000,
            ..ServerLimits::default()
        };
        let batches = split_batches(&all, limits);
        assert!(batches.len() > 1);
        for batch in &batches {
            let bytes: usize = batch.iter().map(|d| encoded_size(d) + 8).sum();
            assert!(bytes <= 100_000, "a batch of {bytes} bytes");
        }
        // Order and content are kept.
        let flat: Vec<&Document> = batches.iter().flat_map(|b| b.iter()).collect();
        assert_eq!(flat.len(), 100);
        assert!(flat.iter().zip(&all).all(|(a, b)| *a == b));
        assert!(split_batches(&[], limits).is_empty());
    }
}
