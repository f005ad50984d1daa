//! The run journal: collection `etl_runs`, one document per ETL run.

use agrisales_domain::YearMonth;
use mongodb::bson::oid::ObjectId;
use mongodb::bson::{Bson, DateTime, Document, doc};

use crate::{MongoError, MongoStore};

/// Name of the run journal collection.
pub const RUNS_COLLECTION: &str = "etl_runs";

/// State of a run in the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Started and not finished; after a crash it stays so until the next
    /// run marks it [`RunStatus::Abandoned`].
    Running,
    /// Finished; its documents are in place.
    Succeeded,
    /// Stopped on an error, recorded in [`RunRecord::error`].
    Failed,
    /// Found running by a later run: its process died without finishing.
    Abandoned,
}

impl RunStatus {
    /// Returns the stored text: `running`, `succeeded`, `failed` or `abandoned`.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Abandoned => "abandoned",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Self::Running, Self::Succeeded, Self::Failed, Self::Abandoned]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// One document of `etl_runs`.
///
/// `month_versions` is what makes incremental runs exact: the version of
/// every month with sales, read in the same PostgreSQL snapshot as the
/// sales the run aggregated. The next incremental run recomputes the
/// months whose version differs.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    /// Mode the run took, `full` or `incremental` (an incremental request
    /// with no earlier successful run does a full run).
    pub mode: String,
    /// Current state.
    pub status: RunStatus,
    /// Start time, UTC, in milliseconds since the Unix epoch.
    pub started_at_ms: i64,
    /// End time, when finished.
    pub finished_at_ms: Option<i64>,
    /// Highest month version the run's snapshot held: with every write to
    /// `ventes` the number grows, so it tells how recent the data was.
    pub high_water_mark: Option<i64>,
    /// Version of every month with sales, in the run's snapshot.
    pub month_versions: Vec<(YearMonth, i64)>,
    /// Fingerprint of `regions` and `produits`; a change forces a full run.
    pub reference_fingerprint: String,
    /// Months whose aggregates the run rewrote.
    pub months_recomputed: Vec<YearMonth>,
    /// Sales read from PostgreSQL.
    pub sales_read: u64,
    /// Documents upserted, both collections.
    pub documents_written: u64,
    /// Stale documents removed, both collections.
    pub documents_deleted: u64,
    /// The error that stopped the run.
    pub error: Option<String>,
    /// `host` and process id of the runner, for people reading the journal.
    pub runner: String,
}

impl RunRecord {
    fn to_document(&self) -> Document {
        let versions: Vec<Bson> = self
            .month_versions
            .iter()
            .map(|(month, version)| Bson::Document(doc! { "mois": month.to_string(), "version": *version }))
            .collect();
        let months: Vec<Bson> = self
            .months_recomputed
            .iter()
            .map(|m| Bson::String(m.to_string()))
            .collect();
        doc! {
            "mode": &self.mode,
            "status": self.status.as_str(),
            "started_at": DateTime::from_millis(self.started_at_ms),
            "finished_at": self.finished_at_ms.map_or(Bson::Null, |ms| Bson::DateTime(DateTime::from_millis(ms))),
            "high_water_mark": self.high_water_mark.map_or(Bson::Null, Bson::Int64),
            "month_versions": versions,
            "reference_fingerprint": &self.reference_fingerprint,
            "months_recomputed": months,
            "sales_read": clamp(self.sales_read),
            "documents_written": clamp(self.documents_written),
            "documents_deleted": clamp(self.documents_deleted),
            "error": self.error.clone().map_or(Bson::Null, Bson::String),
            "runner": &self.runner,
        }
    }

    fn from_document(document: &Document) -> Result<Self, String> {
        let text = |key: &str| {
            document
                .get_str(key)
                .map(str::to_owned)
                .map_err(|e| format!("{key}: {e}"))
        };
        let count = |key: &str| {
            document
                .get_i64(key)
                .map(|v| u64::try_from(v).unwrap_or(0))
                .map_err(|e| format!("{key}: {e}"))
        };
        let month = |text: &str| text.parse::<YearMonth>().map_err(|e| e.to_string());

        let mut month_versions = Vec::new();
        for entry in document.get_array("month_versions").map_err(|e| e.to_string())? {
            let entry = entry.as_document().ok_or("month_versions holds a non-document")?;
            let m = month(entry.get_str("mois").map_err(|e| e.to_string())?)?;
            month_versions.push((m, entry.get_i64("version").map_err(|e| e.to_string())?));
        }
        let mut months_recomputed = Vec::new();
        for entry in document.get_array("months_recomputed").map_err(|e| e.to_string())? {
            months_recomputed.push(month(entry.as_str().ok_or("months_recomputed holds a non-string")?)?);
        }

        Ok(Self {
            mode: text("mode")?,
            status: RunStatus::parse(&text("status")?).ok_or("unknown status")?,
            started_at_ms: document
                .get_datetime("started_at")
                .map_err(|e| e.to_string())?
                .timestamp_millis(),
            finished_at_ms: document.get_datetime("finished_at").ok().map(|t| t.timestamp_millis()),
            high_water_mark: document.get_i64("high_water_mark").ok(),
            month_versions,
            reference_fingerprint: text("reference_fingerprint")?,
            months_recomputed,
            sales_read: count("sales_read")?,
            documents_written: count("documents_written")?,
            documents_deleted: count("documents_deleted")?,
            error: document.get_str("error").ok().map(str::to_owned),
            runner: text("runner")?,
        })
    }
}

/// Identifier of a run's document in `etl_runs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunId(ObjectId);

impl std::fmt::Display for RunId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.to_hex())
    }
}

impl MongoStore {
    /// Records the start of a run and returns its id.
    pub fn start_run(&self, record: &RunRecord) -> Result<RunId, MongoError> {
        let id = ObjectId::new();
        let mut document = record.to_document();
        document.insert("_id", id);
        let runs = self.database().collection::<Document>(RUNS_COLLECTION);
        // A replace by _id rather than an insert, so a retried attempt whose
        // first reply was lost does not fail on a duplicate key.
        self.retry_policy()
            .run("recording the run start", || {
                runs.replace_one(doc! { "_id": id }, &document).upsert(true).run()
            })
            .map_err(|source| self.command_error("recording the run start in etl_runs", source))?;
        Ok(RunId(id))
    }

    /// Replaces the journal document of run `id` by `record`.
    pub fn update_run(&self, id: RunId, record: &RunRecord) -> Result<(), MongoError> {
        let mut document = record.to_document();
        document.insert("_id", id.0);
        let runs = self.database().collection::<Document>(RUNS_COLLECTION);
        self.retry_policy()
            .run("recording the run outcome", || {
                runs.replace_one(doc! { "_id": id.0 }, &document).upsert(true).run()
            })
            .map_err(|source| self.command_error("recording the run outcome in etl_runs", source))?;
        Ok(())
    }

    /// Returns the latest run with status `succeeded`, by start time.
    pub fn last_successful_run(&self) -> Result<Option<RunRecord>, MongoError> {
        let runs = self.database().collection::<Document>(RUNS_COLLECTION);
        let found = self
            .retry_policy()
            .run("reading the last successful run", || {
                runs.find_one(doc! { "status": RunStatus::Succeeded.as_str() })
                    .sort(doc! { "started_at": -1, "_id": -1 })
                    .run()
            })
            .map_err(|source| self.command_error("reading etl_runs", source))?;
        found
            .map(|document| {
                RunRecord::from_document(&document).map_err(|reason| MongoError::InvalidDocument {
                    collection: RUNS_COLLECTION.to_owned(),
                    id: document.get("_id").map_or_else(|| "?".to_owned(), ToString::to_string),
                    reason,
                })
            })
            .transpose()
    }

    /// Returns every run of the journal, oldest first.
    pub fn runs(&self) -> Result<Vec<RunRecord>, MongoError> {
        let runs = self.database().collection::<Document>(RUNS_COLLECTION);
        let cursor = runs
            .find(doc! {})
            .sort(doc! { "started_at": 1, "_id": 1 })
            .run()
            .map_err(|source| self.command_error("reading etl_runs", source))?;
        let mut records = Vec::new();
        for document in cursor {
            let document = document.map_err(|source| self.command_error("reading etl_runs", source))?;
            records.push(
                RunRecord::from_document(&document).map_err(|reason| MongoError::InvalidDocument {
                    collection: RUNS_COLLECTION.to_owned(),
                    id: document.get("_id").map_or_else(|| "?".to_owned(), ToString::to_string),
                    reason,
                })?,
            );
        }
        Ok(records)
    }

    /// Marks every `running` run as `abandoned` and returns how many. Call
    /// it only while holding the ETL lock: then no other run is alive, and
    /// a `running` document is what a killed process left.
    pub fn abandon_unfinished_runs(&self) -> Result<u64, MongoError> {
        let runs = self.database().collection::<Document>(RUNS_COLLECTION);
        let result = self
            .retry_policy()
            .run("closing unfinished runs", || {
                runs.update_many(
                    doc! { "status": RunStatus::Running.as_str() },
                    doc! { "$set": {
                        "status": RunStatus::Abandoned.as_str(),
                        "error": "the process stopped before finishing (killed or crashed); a later run took over",
                    } },
                )
                .run()
            })
            .map_err(|source| self.command_error("closing unfinished runs in etl_runs", source))?;
        Ok(result.modified_count)
    }
}

fn clamp(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips() {
        let record = RunRecord {
            mode: "incremental".into(),
            status: RunStatus::Failed,
            started_at_ms: 1_764_000_000_000,
            finished_at_ms: Some(1_764_000_005_000),
            high_water_mark: Some(42),
            month_versions: vec![
                (YearMonth::new(2024, 1).expect("month"), 7),
                (YearMonth::new(2024, 2).expect("month"), 42),
            ],
            reference_fingerprint: "abc".into(),
            months_recomputed: vec![YearMonth::new(2024, 2).expect("month")],
            sales_read: 10,
            documents_written: 3,
            documents_deleted: 1,
            error: Some("boom".into()),
            runner: "host:1".into(),
        };
        assert_eq!(RunRecord::from_document(&record.to_document()), Ok(record));
    }
}
