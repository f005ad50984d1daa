//! Reading files into typed rows and rejects.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::ImportError;
use crate::mapping::{FieldSource, FileMapping, Kind};
use crate::records::{Record, Values};
use crate::reject::{Reject, RejectReason};
use crate::text::{decode, detect_separator, normalize_name};
use crate::value::Decimal;

/// A valid row with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    /// The file, as given.
    pub file: Arc<str>,
    /// One-based line where the row starts.
    pub line: u64,
    /// The row as read, fields joined by the file's separator.
    pub row: String,
    /// The typed row.
    pub record: T,
}

impl<T> Located<T> {
    /// Turns this row into a reject.
    pub fn reject(&self, reason: RejectReason, detail: String) -> Reject {
        Reject {
            file: self.file.to_string(),
            line: self.line,
            reason,
            detail,
            row: self.row.clone(),
        }
    }
}

/// Outcome of reading one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileReport {
    /// Rows read: every CSV record after the first header (a quoted field
    /// may span lines; blank lines are not rows).
    pub read: u64,
    /// Rows that passed validation so far.
    pub valid: u64,
    /// The separator used.
    pub separator: char,
    /// The encoding used.
    pub encoding: &'static str,
}

/// Everything read so far for one kind: valid rows and rejects.
/// `read == rows.len() + rejects.len()` always holds.
#[derive(Debug, Clone)]
pub struct Parsed<T> {
    /// Rows read.
    pub read: u64,
    /// Valid rows, in file and line order.
    pub rows: Vec<Located<T>>,
    /// Rejected rows.
    pub rejects: Vec<Reject>,
}

impl<T> Default for Parsed<T> {
    fn default() -> Self {
        Self {
            read: 0,
            rows: Vec::new(),
            rejects: Vec::new(),
        }
    }
}

/// Reads files of one kind, checking duplicates across all of them.
#[derive(Debug)]
pub(crate) struct Reader<T> {
    mapping: Option<FileMapping>,
    seen_ids: HashMap<i64, (Arc<str>, u64)>,
    seen_keys: HashMap<String, (Arc<str>, u64)>,
    parsed: Parsed<T>,
}

/// Where one field's value comes from in a given file.
enum Source {
    Column(usize),
    Constant(String),
}

impl<T: Record> Reader<T> {
    /// A reader using `mapping`'s section for this kind; without a section
    /// the header must use the table's own column names.
    pub(crate) fn new(mapping: Option<&crate::Mapping>) -> Self {
        Self {
            mapping: mapping.and_then(|m| m.section(T::KIND)).cloned(),
            seen_ids: HashMap::new(),
            seen_keys: HashMap::new(),
            parsed: Parsed::default(),
        }
    }

    /// Reads one file. A header that cannot be mapped, an encoding error
    /// or broken quoting refuses the whole file: nothing from it is kept.
    pub(crate) fn read_file(&mut self, path: &Path) -> Result<FileReport, ImportError> {
        let bytes = std::fs::read(path).map_err(|source| ImportError::Io {
            path: path.to_owned(),
            source,
        })?;
        self.read_bytes(path, &bytes)
    }

    /// Reads one file's content; `path` names it in rejects and gives the
    /// folders for `from_path`.
    pub(crate) fn read_bytes(&mut self, path: &Path, bytes: &[u8]) -> Result<FileReport, ImportError> {
        let mapping = self.mapping.clone().unwrap_or_default();
        let (text, encoding) = decode(bytes, mapping.encoding).map_err(|message| ImportError::Encoding {
            path: path.to_owned(),
            message,
        })?;
        // The CSV parser counts lines by `\n` only; with CRLF or CR line ends
        // its line numbers would drift, so every line end becomes `\n`.
        let text = if text.contains('\r') {
            text.replace("\r\n", "\n").replace('\r', "\n")
        } else {
            text
        };
        let separator = mapping.separator().unwrap_or_else(|| detect_separator(&text));
        let file: Arc<str> = Arc::from(path.display().to_string());
        let header_error = |message: String| ImportError::Header {
            path: path.to_owned(),
            message,
        };

        let mut reader = csv::ReaderBuilder::new()
            .delimiter(separator)
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut records = reader.records();
        let header = match records.next() {
            Some(Ok(header)) => header,
            Some(Err(e)) => return Err(csv_error(path, &e)),
            None => return Err(header_error("the file is empty; expected a header line".to_owned())),
        };
        let header: Vec<String> = header.iter().map(str::to_owned).collect();
        let normalized_header: Vec<String> = header.iter().map(|h| normalize_name(h)).collect();
        let column = |name: &str| -> Result<usize, ImportError> {
            let wanted = normalize_name(name);
            let found: Vec<usize> = (0..header.len()).filter(|i| normalized_header[*i] == wanted).collect();
            match found.as_slice() {
                [one] => Ok(*one),
                [] => Err(header_error(format!(
                    "no column `{name}` in the header [{}]{}",
                    header.join(", "),
                    if self.mapping.is_some() {
                        "; fix the column name in the mapping"
                    } else {
                        "; pass --mapping FILE to map other column names"
                    }
                ))),
                _ => Err(header_error(format!(
                    "column `{name}` appears {} times in the header",
                    found.len()
                ))),
            }
        };

        // Resolve each field: mapping first, then the header under the field's own name.
        let mut sources: Vec<(&'static str, Source, Decimal, Vec<String>)> = Vec::new();
        for spec in T::KIND.fields() {
            let mapped = mapping
                .fields
                .iter()
                .find(|(name, _)| normalize_name(name) == spec.name)
                .map(|(_, source)| source);
            let (source, factor, nulls) = match mapped {
                Some(FieldSource { column: Some(name), .. }) => (Source::Column(column(name)?), mapped, true),
                Some(FieldSource { value: Some(value), .. }) => (Source::Constant(value.clone()), mapped, true),
                Some(FieldSource {
                    from_path: Some(level), ..
                }) => (
                    Source::Constant(path_component(path, *level).ok_or_else(|| {
                        header_error(format!(
                            "field {} reads folder {level} above the file, which does not exist",
                            spec.name
                        ))
                    })?),
                    mapped,
                    true,
                ),
                _ => match normalized_header.iter().position(|h| h == spec.name) {
                    Some(i) => (Source::Column(i), None, false),
                    None => continue,
                },
            };
            let factor_value = match factor {
                Some(f) => f.factor().map_err(&header_error)?,
                None => Decimal::ONE,
            };
            let nulls = if nulls {
                mapped.map(|m| m.null_values.clone()).unwrap_or_default()
            } else {
                Vec::new()
            };
            sources.push((spec.name, source, factor_value, nulls));
        }
        let mut groups: Vec<u8> = T::KIND
            .fields()
            .iter()
            .map(|f| f.required_group)
            .filter(|g| *g > 0)
            .collect();
        groups.dedup();
        for group in groups {
            let members: Vec<&str> = T::KIND
                .fields()
                .iter()
                .filter(|f| f.required_group == group)
                .map(|f| f.name)
                .collect();
            if !sources.iter().any(|(name, ..)| members.contains(name)) {
                let meaning: Vec<String> = T::KIND
                    .fields()
                    .iter()
                    .filter(|f| f.required_group == group)
                    .map(|f| format!("`{}` ({})", f.name, f.meaning))
                    .collect();
                return Err(header_error(format!(
                    "no column gives {} for {}; the header is [{}]. Name the column so, or map it with --mapping FILE ([{}.fields])",
                    meaning.join(" or "),
                    T::KIND.table(),
                    header.join(", "),
                    T::KIND.table()
                )));
            }
        }
        let fill_down: Vec<usize> = mapping.fill_down.iter().map(|c| column(c)).collect::<Result<_, _>>()?;
        let key_columns: Vec<usize> = mapping
            .key_columns
            .iter()
            .map(|c| column(c))
            .collect::<Result<_, _>>()?;
        let overflow = mapping.overflow_column.as_deref().map(column).transpose()?;
        let mut skip_rules = Vec::new();
        for rule in &mapping.skip {
            let empty: Vec<usize> = rule.when_empty.iter().map(|c| column(c)).collect::<Result<_, _>>()?;
            let by_value = rule.column.as_deref().map(column).transpose()?;
            skip_rules.push((empty, by_value, rule));
        }

        // Header columns without a name (a trailing separator) may be absent from rows.
        let required_width = header.iter().rposition(|h| !h.trim().is_empty()).map_or(0, |i| i + 1);
        let sep_char = char::from(separator);
        let mut fill_state: Vec<Option<String>> = vec![None; header.len()];
        let mut report = FileReport {
            separator: sep_char,
            encoding: encoding.name(),
            ..FileReport::default()
        };

        for record in records {
            let record = record.map_err(|e| csv_error(path, &e))?;
            let line = record.position().map_or(0, |p| p.line());
            let mut fields: Vec<String> = record.iter().map(str::to_owned).collect();
            let row = join_row(&fields, sep_char);
            report.read += 1;
            self.parsed.read += 1;
            let reject = |reason: RejectReason, detail: String| Reject {
                file: file.to_string(),
                line,
                reason,
                detail,
                row: row.clone(),
            };

            if fields.len() > header.len() {
                if let Some(c) = overflow {
                    let extra = fields.len() - header.len();
                    let merged = fields[c..=c + extra].join(&sep_char.to_string());
                    fields.splice(c..=c + extra, [merged]);
                } else {
                    self.parsed.rejects.push(reject(
                        RejectReason::WrongFieldCount,
                        format!("{} fields, the header has {}", record.len(), header.len()),
                    ));
                    fill_state.iter_mut().for_each(|s| *s = None);
                    continue;
                }
            }
            if fields.len() < required_width {
                self.parsed.rejects.push(reject(
                    RejectReason::WrongFieldCount,
                    format!("{} fields, the header has {}", record.len(), header.len()),
                ));
                fill_state.iter_mut().for_each(|s| *s = None);
                continue;
            }
            fields.resize(header.len(), String::new());

            if fields
                .iter()
                .map(|f| normalize_name(f))
                .eq(normalized_header.iter().cloned())
            {
                self.parsed
                    .rejects
                    .push(reject(RejectReason::RepeatedHeader, "the header line again".to_owned()));
                fill_state.iter_mut().for_each(|s| *s = None);
                continue;
            }

            let mut missing_fill = None;
            for &c in &fill_down {
                if fields[c].trim().is_empty() {
                    match &fill_state[c] {
                        Some(above) => fields[c] = above.clone(),
                        None => missing_fill = Some(c),
                    }
                } else {
                    fill_state[c] = Some(fields[c].clone());
                }
            }

            if let Some((_, _, rule)) = skip_rules.iter().find(|(empty, by_value, rule)| {
                (!empty.is_empty() && empty.iter().all(|c| fields[*c].trim().is_empty()))
                    || by_value.is_some_and(|c| rule.values.iter().any(|v| v.trim() == fields[c].trim()))
            }) {
                self.parsed
                    .rejects
                    .push(reject(RejectReason::SkippedByMapping, rule.reason.clone()));
                continue;
            }
            if let Some(c) = missing_fill {
                self.parsed.rejects.push(reject(
                    RejectReason::MissingValue,
                    format!("{} is empty and no row above gives a value to fill down", header[c]),
                ));
                continue;
            }

            let key_extra: Vec<String> = key_columns.iter().map(|c| fields[*c].clone()).collect();
            let mut cells = HashMap::new();
            for (name, source, factor, nulls) in &sources {
                let value = match source {
                    Source::Column(c) => fields[*c].clone(),
                    Source::Constant(v) => v.clone(),
                };
                if nulls.iter().any(|n| n.trim() == value.trim()) {
                    continue;
                }
                cells.insert(*name, (value, *factor));
            }
            let values = Values {
                cells,
                mark: mapping.decimal,
                key_extra: &key_extra,
            };
            let built = match T::build(&values) {
                Ok(built) => built,
                Err((reason, detail)) => {
                    self.parsed.rejects.push(reject(reason, detail));
                    continue;
                }
            };

            if let Some(id) = built.id()
                && let Some((first_file, first_line)) = self.seen_ids.get(&id)
            {
                self.parsed.rejects.push(reject(
                    RejectReason::DuplicateId,
                    format!("id {id} already given on line {first_line} of {first_file}"),
                ));
                continue;
            }
            if built.id().is_none() || !T::KEY_ONLY_WITHOUT_ID {
                if let Some((first_file, first_line)) = self.seen_keys.get(built.natural_key()) {
                    self.parsed.rejects.push(reject(
                        RejectReason::DuplicateRow,
                        format!("same {} as line {first_line} of {first_file}", key_name(T::KIND)),
                    ));
                    continue;
                }
                self.seen_keys
                    .insert(built.natural_key().to_owned(), (file.clone(), line));
            }
            if let Some(id) = built.id() {
                self.seen_ids.insert(id, (file.clone(), line));
            }
            report.valid += 1;
            self.parsed.rows.push(Located {
                file: file.clone(),
                line,
                row,
                record: built,
            });
        }
        Ok(report)
    }

    /// Everything read so far.
    pub(crate) fn finish(self) -> Parsed<T> {
        self.parsed
    }
}

fn key_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Regions => "region name",
        Kind::Products => "product name",
        Kind::Sales => "product, region, date and key columns",
    }
}

fn csv_error(path: &Path, error: &csv::Error) -> ImportError {
    ImportError::Csv {
        path: path.to_owned(),
        line: error.position().map_or(0, |p| p.line()),
        message: error.to_string(),
    }
}

/// The name of the folder `level` steps above the file (1 = its own folder).
fn path_component(path: &Path, level: usize) -> Option<String> {
    let mut folder = path.parent()?;
    for _ in 1..level {
        folder = folder.parent()?;
    }
    folder.file_name().map(|n| n.to_string_lossy().into_owned())
}

/// Joins fields with the separator, quoting those that need it, so the
/// rejects file shows the row as the source had it.
fn join_row(fields: &[String], separator: char) -> String {
    let mut out = String::new();
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(separator);
        }
        if field.contains(separator) || field.contains('"') || field.contains('\n') || field.contains('\r') {
            out.push('"');
            out.push_str(&field.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(field);
        }
    }
    out
}

/// Lists the `.csv` files under `path` (itself when it is a file), sorted,
/// so that a folder imports in a stable order.
pub fn csv_files(path: &Path) -> Result<Vec<PathBuf>, ImportError> {
    let io = |source| ImportError::Io {
        path: path.to_owned(),
        source,
    };
    if !path.is_dir() {
        std::fs::metadata(path).map_err(io)?;
        return Ok(vec![path.to_owned()]);
    }
    let mut files = Vec::new();
    let mut pending = vec![path.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).map_err(io)? {
            let entry = entry.map_err(io)?;
            let entry_path = entry.path();
            if entry_path.is_dir() {
                pending.push(entry_path);
            } else if entry_path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) {
                files.push(entry_path);
            }
        }
    }
    files.sort();
    Ok(files)
}
