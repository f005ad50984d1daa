//! Helpers shared by the examples: logging, progress bars, error output,
//! tables.

// Each example compiles this module on its own and uses a subset of it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::time::Duration;

use agrisales::etl::{Observer, Settings, Stage};
use agrisales::mongo::{MongoError, MongoStore};
use indicatif::{ProgressBar, ProgressStyle};

/// Sends `tracing` logs to stderr; `RUST_LOG` filters them (default:
/// warnings and errors only, so progress bars stay readable).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

/// Builds a progress bar of `total` units named `label`, or a spinner
/// when the total is unknown. Bars draw on stderr and hide themselves
/// when stderr is not a terminal.
pub fn progress_bar(label: &str, total: Option<u64>) -> ProgressBar {
    let bar = match total {
        Some(total) => ProgressBar::new(total).with_style(
            ProgressStyle::with_template("{prefix:>28} [{bar:30}] {human_pos}/{human_len} ({per_sec}, eta {eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        ),
        None => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{prefix:>28} {spinner} {human_pos} ({per_sec})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    };
    bar.set_prefix(label.to_owned());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Draws one progress bar per ETL stage.
#[derive(Default)]
pub struct ProgressBars {
    bars: HashMap<Stage, ProgressBar>,
}

impl Observer for ProgressBars {
    fn stage_started(&mut self, stage: Stage, total: Option<u64>) {
        self.bars.insert(stage, progress_bar(stage.label(), total));
    }

    fn progress(&mut self, stage: Stage, done: u64) {
        if let Some(bar) = self.bars.get(&stage) {
            bar.set_position(done);
        }
    }

    fn stage_finished(&mut self, stage: Stage, _elapsed: Duration) {
        if let Some(bar) = self.bars.remove(&stage) {
            bar.finish_and_clear();
        }
    }
}

/// The result of an example's `run` function.
pub type RunResult = Result<(), Box<dyn std::error::Error>>;

/// Writes `text` to standard output and flushes it.
pub fn write_out(text: &str) -> std::io::Result<()> {
    use std::io::Write;

    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()
}

/// `println!` that returns the write error instead of panicking, so a
/// closed pipe or a full disk ends the example cleanly.
macro_rules! outln {
    () => {
        crate::common::write_out("\n")
    };
    ($($arg:tt)*) => {
        crate::common::write_out(&format!("{}\n", format_args!($($arg)*)))
    };
}
pub(crate) use outln;

/// Sets up logging, runs `run` and turns its result into the exit status:
/// 0 on success, 1 after printing the error and its causes. A closed
/// standard output (`| head`) ends the example quietly with status 0.
pub fn main_with(run: impl FnOnce() -> RunResult) -> std::process::ExitCode {
    init_logging();
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            let broken_pipe = error
                .downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe);
            if broken_pipe {
                return std::process::ExitCode::SUCCESS;
            }
            print_error(error.as_ref());
            std::process::ExitCode::FAILURE
        }
    }
}

/// Prints `error` and its chain of causes to stderr.
pub fn print_error(error: &dyn std::error::Error) {
    eprintln!("error: {error}");
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !error.to_string().contains(&text) {
            eprintln!("  caused by: {text}");
        }
        source = cause.source();
    }
}

/// The PostgreSQL flag of the examples.
#[derive(Debug, clap::Args)]
pub struct PgArgs {
    /// PostgreSQL URL [env: DATABASE_URL] [default: postgres://postgres@127.0.0.1:5432/ventes_agricoles].
    #[arg(long)]
    pub database_url: Option<String>,
}

impl PgArgs {
    /// Returns the URL from the flag, then `DATABASE_URL`, then the default.
    pub fn url(&self) -> String {
        Settings::resolve(self.database_url.clone(), None, None).database_url
    }
}

/// The MongoDB flags of the examples.
#[derive(Debug, clap::Args)]
pub struct MongoArgs {
    /// MongoDB connection string [env: MONGODB_URI] [default: mongodb://127.0.0.1:27017].
    #[arg(long)]
    pub mongodb_uri: Option<String>,

    /// MongoDB database [env: MONGODB_DATABASE] [default: ventes_agricoles].
    #[arg(long)]
    pub mongodb_database: Option<String>,
}

impl MongoArgs {
    /// Connects to the server and database from the flags, then
    /// `MONGODB_URI` and `MONGODB_DATABASE`, then the defaults.
    pub fn connect(&self) -> Result<MongoStore, MongoError> {
        let settings = Settings::resolve(None, self.mongodb_uri.clone(), self.mongodb_database.clone());
        MongoStore::connect(&settings.mongodb_uri, &settings.mongodb_database)
    }
}

/// Output format of the query examples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned text tables.
    Table,
    /// One JSON object.
    Json,
}

/// Prints `rows` under `headers` as an aligned table; columns whose cells
/// all look numeric are right-aligned.
pub fn print_table(title: &str, headers: &[&str], rows: &[Vec<String>]) -> std::io::Result<()> {
    outln!("{title}")?;
    if rows.is_empty() {
        outln!("  (no rows)\n")?;
        return Ok(());
    }

    let widths: Vec<usize> = (0..headers.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([headers[c].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let numeric: Vec<bool> = (0..headers.len())
        .map(|c| rows.iter().all(|r| r[c].is_empty() || r[c].parse::<f64>().is_ok()))
        .collect();
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                let pad = " ".repeat(widths[c] - cell.chars().count());
                if numeric[c] {
                    format!("{pad}{cell}")
                } else {
                    format!("{cell}{pad}")
                }
            })
            .collect();
        outln!("  {}", padded.join("  ").trim_end())
    };

    line(headers.to_vec())?;
    let dashes: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    line(dashes.iter().map(String::as_str).collect())?;
    for row in rows {
        line(row.iter().map(String::as_str).collect())?;
    }
    outln!()
}
