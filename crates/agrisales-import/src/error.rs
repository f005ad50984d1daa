use std::path::PathBuf;

use thiserror::Error;

/// Errors that stop an import before any row is loaded: unreadable files,
/// invalid mappings, headers that cannot be mapped. Problems of single
/// rows are never errors; they become [`Reject`](crate::Reject)s.
#[derive(Debug, Error)]
pub enum ImportError {
    /// A file or directory could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// The mapping file is not valid TOML or names unknown fields.
    #[error("invalid mapping {}: {message}", path.display())]
    Mapping {
        /// The mapping file; empty for a mapping given as text.
        path: PathBuf,
        /// Description of the problem and of the fix.
        message: String,
    },

    /// The file's header lacks a required field, or names a column the
    /// mapping needs twice; the whole file is refused.
    #[error("{}: header cannot be mapped: {message}", path.display())]
    Header {
        /// The refused file.
        path: PathBuf,
        /// Description of what is missing and of the fix.
        message: String,
    },

    /// The file is not in the declared or detected encoding.
    #[error("{}: {message}", path.display())]
    Encoding {
        /// The refused file.
        path: PathBuf,
        /// The offending encoding and how to declare another one.
        message: String,
    },

    /// The CSV structure is broken beyond a single row (for example a
    /// quote that is never closed).
    #[error("{}: malformed CSV near line {line}: {message}", path.display())]
    Csv {
        /// The refused file.
        path: PathBuf,
        /// One-based line where the parser stopped.
        line: u64,
        /// The parser's message.
        message: String,
    },

    /// The rejects file could not be written.
    #[error("cannot write the rejects file {}: {message}", path.display())]
    Rejects {
        /// The rejects file.
        path: PathBuf,
        /// The writer's message.
        message: String,
    },
}
