//! The document store: connection, collection setup and idempotent loads.

use std::collections::HashSet;
use std::time::Duration;

use agrisales_domain::{AggregateSink, MonthlyAggregate, ProductForecast, WriteSummary};
use mongodb::IndexModel;
use mongodb::bson::{Bson, Document, doc};
use mongodb::options::{ClientOptions, IndexOptions};
use mongodb::sync::{Client, Database};

use crate::MongoError;
use crate::documents::{
    aggregate_document, aggregate_from_document, aggregate_key, forecast_document, forecast_from_document, forecast_key,
};
use crate::schema::{
    AGGREGATES_COLLECTION, FORECASTS_COLLECTION, IndexSpec, aggregates_indexes, aggregates_validator,
    forecasts_indexes, forecasts_validator,
};

/// Default database name, as the data contract sets it.
pub const DEFAULT_DATABASE: &str = "ventes_agricoles";

/// Default time to find a server before an operation fails. The driver's
/// own default is 30 s, too long for a command-line tool to look alive.
pub const DEFAULT_SERVER_SELECTION_TIMEOUT: Duration = Duration::from_secs(5);

/// Documents per `update` command. Far below the server's limit of 100,000
/// statements and 48 MB per message for documents of a few hundred bytes.
const WRITE_BATCH: usize = 1_000;

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

        tracing::debug!(%target, "connected to MongoDB");
        let database = client.database(database);
        Ok(Self {
            client,
            database,
            target,
        })
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

    /// Replaces the content of `collection` by `documents`, given as
    /// (unique key, full document) pairs; see the type's docs.
    fn replace_all(
        &self,
        collection: &str,
        key_fields: &[&str],
        documents: Vec<(Document, Document)>,
    ) -> Result<WriteSummary, MongoError> {
        let wanted: HashSet<String> = documents.iter().map(|(key, _)| key_string(key, key_fields)).collect();

        let mut upserted = 0_u64;
        for batch in documents.chunks(WRITE_BATCH) {
            let updates: Vec<Document> = batch
                .iter()
                .map(|(key, document)| doc! { "q": key.clone(), "u": document.clone(), "upsert": true, "multi": false })
                .collect();
            let reply = self
                .database
                .run_command(doc! { "update": collection, "updates": updates, "ordered": false })
                .run()
                .map_err(|source| self.command_error(&format!("writing to {collection}"), source))?;
            self.check_write_reply(collection, &reply)?;
            upserted += batch.len() as u64;
        }

        let deleted = self.delete_stale(collection, key_fields, &wanted)?;
        tracing::debug!(collection, upserted, deleted, "collection replaced");
        Ok(WriteSummary { upserted, deleted })
    }

    /// Deletes the documents of `collection` whose key is not in `wanted`.
    fn delete_stale(&self, collection: &str, key_fields: &[&str], wanted: &HashSet<String>) -> Result<u64, MongoError> {
        let mut projection = doc! { "_id": 1 };
        for field in key_fields {
            projection.insert(*field, 1);
        }

        let handle = self.database.collection::<Document>(collection);
        let cursor = handle
            .find(doc! {})
            .projection(projection)
            .run()
            .map_err(|source| self.command_error(&format!("reading keys of {collection}"), source))?;
        let mut stale = Vec::new();
        for stored in cursor {
            let stored =
                stored.map_err(|source| self.command_error(&format!("reading keys of {collection}"), source))?;
            if !wanted.contains(&key_string(&stored, key_fields))
                && let Some(id) = stored.get("_id")
            {
                stale.push(id.clone());
            }
        }

        let mut deleted = 0;
        for ids in stale.chunks(WRITE_BATCH) {
            let result = handle
                .delete_many(doc! { "_id": { "$in": ids.to_vec() } })
                .run()
                .map_err(|source| self.command_error(&format!("deleting stale documents of {collection}"), source))?;
            deleted += result.deleted_count;
        }
        Ok(deleted)
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
        self.replace_all(AGGREGATES_COLLECTION, &AGGREGATE_KEY_FIELDS, documents)
    }

    fn replace_forecasts(&mut self, forecasts: &[ProductForecast]) -> Result<WriteSummary, MongoError> {
        let documents = forecasts
            .iter()
            .map(|f| (forecast_key(f), forecast_document(f)))
            .collect();
        self.replace_all(FORECASTS_COLLECTION, &FORECAST_KEY_FIELDS, documents)
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
