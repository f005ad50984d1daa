//! Helpers shared by the examples: logging, progress bars, error output.

use std::collections::HashMap;
use std::time::Duration;

use agrisales::etl::{Observer, Stage};
use indicatif::{ProgressBar, ProgressStyle};

/// Sends `tracing` logs to stderr; `RUST_LOG` filters them (default:
/// warnings and errors only, so progress bars stay readable).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
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
