use std::path::PathBuf;

use thiserror::Error;

/// Errors of the chart renderers and the report writer.
#[derive(Debug, Error)]
pub enum ChartError {
    /// The chart font is missing or unusable.
    #[error(transparent)]
    Font(#[from] FontError),

    /// Plotters failed to draw a chart.
    #[error("cannot draw the chart `{chart}`: {message}")]
    Draw {
        /// File stem of the chart, such as `sales_by_region`.
        chart: String,
        /// The backend's message.
        message: String,
    },

    /// The output folder cannot be created or written to.
    #[error("cannot write to the output folder {path}: {source}; pass --out with a folder you can write to")]
    OutputDir {
        /// The folder.
        path: PathBuf,
        /// The file system's error.
        #[source]
        source: std::io::Error,
    },

    /// Writing one output file failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The file system's error.
        #[source]
        source: std::io::Error,
    },
}

/// Failure to load the chart font. It is `Clone` so that the result of the
/// single load per process can be returned to every caller.
#[derive(Debug, Clone, Error)]
pub enum FontError {
    /// No TrueType font was found to draw text with.
    #[error(
        "no TrueType font found for chart text (looked for {searched}); install Debian's fonts-dejavu-core \
         (apt-get install fonts-dejavu-core) or set AGRISALES_CHART_FONT to a .ttf file"
    )]
    NotFound {
        /// The places that were tried, comma-separated.
        searched: String,
    },

    /// A font file exists but cannot be read or parsed.
    #[error("cannot use the font {path}: {reason}; set AGRISALES_CHART_FONT to a valid .ttf file")]
    Invalid {
        /// The font file.
        path: PathBuf,
        /// The cause.
        reason: String,
    },
}
