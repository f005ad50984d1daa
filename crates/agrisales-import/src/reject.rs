//! Rejected rows and the rejects file.

use std::path::Path;

use crate::ImportError;

/// Reason a row was not loaded. [`RejectReason::as_str`] is the stable text
/// written to the rejects file; scripts may match on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RejectReason {
    /// More or fewer fields than the header (and no repair applied).
    WrongFieldCount,
    /// The header again, as in files whose body was pasted twice.
    RepeatedHeader,
    /// A `[[skip]]` rule of the mapping matched.
    SkippedByMapping,
    /// A required field is empty.
    MissingValue,
    /// A number (quantity, price, population, id) does not parse.
    UnparsableNumber,
    /// A date is not `YYYY-MM-DD`, `DD/MM/YYYY` or `DD/MM/YY`, or does not exist.
    UnparsableDate,
    /// The quantity is zero or negative (after rounding to the gram).
    QuantityNotPositive,
    /// A price or population is negative.
    NegativeValue,
    /// An id already given by an earlier row of the import.
    DuplicateId,
    /// The natural key (name, or product, region, date and key columns) of
    /// an earlier row of the import.
    DuplicateRow,
    /// The product is neither in the database nor in the import.
    UnknownProduct,
    /// The region is neither in the database nor in the import.
    UnknownRegion,
    /// The id or name exists in the database with other values.
    ConflictsWithDatabase,
}

impl RejectReason {
    /// Every reason, in the order of the summaries.
    pub const ALL: [RejectReason; 13] = [
        RejectReason::WrongFieldCount,
        RejectReason::RepeatedHeader,
        RejectReason::SkippedByMapping,
        RejectReason::MissingValue,
        RejectReason::UnparsableNumber,
        RejectReason::UnparsableDate,
        RejectReason::QuantityNotPositive,
        RejectReason::NegativeValue,
        RejectReason::DuplicateId,
        RejectReason::DuplicateRow,
        RejectReason::UnknownProduct,
        RejectReason::UnknownRegion,
        RejectReason::ConflictsWithDatabase,
    ];

    /// Returns the stable text of the reason.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::WrongFieldCount => "wrong_field_count",
            RejectReason::RepeatedHeader => "repeated_header",
            RejectReason::SkippedByMapping => "skipped_by_mapping",
            RejectReason::MissingValue => "missing_value",
            RejectReason::UnparsableNumber => "unparsable_number",
            RejectReason::UnparsableDate => "unparsable_date",
            RejectReason::QuantityNotPositive => "quantity_not_positive",
            RejectReason::NegativeValue => "negative_value",
            RejectReason::DuplicateId => "duplicate_id",
            RejectReason::DuplicateRow => "duplicate_row",
            RejectReason::UnknownProduct => "unknown_product",
            RejectReason::UnknownRegion => "unknown_region",
            RejectReason::ConflictsWithDatabase => "conflicts_with_database",
        }
    }
}

impl std::fmt::Display for RejectReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A row that was read but not loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// The file, as given on the command line (or found in a folder).
    pub file: String,
    /// One-based line where the row starts (the header is line 1).
    pub line: u64,
    /// Why.
    pub reason: RejectReason,
    /// Which field and value, or which earlier line.
    pub detail: String,
    /// The row as read, fields joined by the file's separator.
    pub row: String,
}

/// Writes `rejects` to `path` as CSV with the header
/// `source_file,line,reason,detail,row`, sorted by file and line.
pub fn write_rejects(path: &Path, rejects: &[Reject]) -> Result<(), ImportError> {
    let error = |message: String| ImportError::Rejects {
        path: path.to_owned(),
        message,
    };
    let mut sorted: Vec<&Reject> = rejects.iter().collect();
    sorted.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    let mut writer = csv::Writer::from_path(path).map_err(|e| error(e.to_string()))?;
    writer
        .write_record(["source_file", "line", "reason", "detail", "row"])
        .map_err(|e| error(e.to_string()))?;
    for reject in sorted {
        writer
            .write_record([
                reject.file.as_str(),
                &reject.line.to_string(),
                reject.reason.as_str(),
                &reject.detail,
                &reject.row,
            ])
            .map_err(|e| error(e.to_string()))?;
    }
    writer.flush().map_err(|e| error(e.to_string()))
}
