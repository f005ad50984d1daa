//! Bounded retries of operations that failed for a transient reason.

use std::time::Duration;

use mongodb::error::{Error, ErrorKind};

/// How often and how long the store retries an operation that failed for a
/// transient reason: a lost connection, no server found in time, a server
/// shutting down or stepping down. Other errors (validation, duplicate key,
/// authentication) fail at once.
///
/// Every write the store makes is idempotent (upserts on a unique key,
/// deletions by `_id`), so replaying a batch whose reply was lost is safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included. `1` turns retries off.
    /// Default: 6.
    pub attempts: u32,
    /// Wait before the second attempt; it doubles after each failure.
    /// Default: 250 ms.
    pub initial_delay: Duration,
    /// Upper bound of one wait. Default: 4 s.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Six attempts, waiting 0.25, 0.5, 1, 2 and 4 s between them: with the
    /// 5 s server-selection timeout, an operation gives up after about 40 s.
    fn default() -> Self {
        Self {
            attempts: 6,
            initial_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(4),
        }
    }
}

impl RetryPolicy {
    /// No retry: every error is returned at once.
    pub fn none() -> Self {
        Self {
            attempts: 1,
            ..Self::default()
        }
    }

    /// Runs `operation` until it succeeds, fails for a non-transient reason
    /// or has used every attempt; logs each retry as a warning naming
    /// `context`. Returns the last error.
    pub(crate) fn run<T>(&self, context: &str, mut operation: impl FnMut() -> Result<T, Error>) -> Result<T, Error> {
        let mut delay = self.initial_delay;
        let mut attempt = 1;
        loop {
            match operation() {
                Ok(value) => {
                    if attempt > 1 {
                        tracing::info!(context, attempt, "succeeded after retrying");
                    }
                    return Ok(value);
                }
                Err(error) if attempt < self.attempts.max(1) && is_transient(&error) => {
                    tracing::warn!(
                        context,
                        attempt,
                        of = self.attempts,
                        wait_ms = delay.as_millis() as u64,
                        error = %short(&error),
                        "transient MongoDB error; retrying"
                    );
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(self.max_delay);
                    attempt += 1;
                }
                Err(error) => return Err(error),
            }
        }
    }
}

/// Server error codes that mean "try again later": the server is shutting
/// down, stepping down, unreachable or timed out on the network.
const TRANSIENT_CODES: [i32; 10] = [6, 7, 89, 91, 189, 9001, 10107, 11600, 11602, 13435];

/// Returns `true` for errors that another attempt may not hit.
pub(crate) fn is_transient(error: &Error) -> bool {
    if error.contains_label("RetryableWriteError") || error.contains_label("TransientTransactionError") {
        return true;
    }
    match error.kind.as_ref() {
        ErrorKind::Io(_) | ErrorKind::ServerSelection { .. } | ErrorKind::ConnectionPoolCleared { .. } => true,
        ErrorKind::Command(command) => TRANSIENT_CODES.contains(&command.code),
        ErrorKind::Write(mongodb::error::WriteFailure::WriteConcernError(concern)) => {
            TRANSIENT_CODES.contains(&concern.code)
        }
        _ => false,
    }
}

/// First sentence of the driver's message, without the topology dump.
fn short(error: &Error) -> String {
    let text = error.to_string();
    text.split(". Topology:").next().unwrap_or(&text).to_owned()
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    fn io_error() -> Error {
        Error::from(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "reset by peer",
        ))
    }

    fn fast(attempts: u32) -> RetryPolicy {
        RetryPolicy {
            attempts,
            initial_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
        }
    }

    #[test]
    fn transient_errors_are_retried() {
        let calls = Cell::new(0);
        let result = fast(4).run("test", || {
            calls.set(calls.get() + 1);
            if calls.get() < 3 { Err(io_error()) } else { Ok(7) }
        });
        assert_eq!(result.ok(), Some(7));
        assert_eq!(calls.get(), 3);
    }

    #[test]
    fn attempts_are_bounded() {
        let calls = Cell::new(0);
        let result: Result<(), Error> = fast(3).run("test", || {
            calls.set(calls.get() + 1);
            Err(io_error())
        });
        assert!(result.is_err());
        assert_eq!(calls.get(), 3);
    }

    #[test]
    fn other_errors_fail_at_once() {
        let calls = Cell::new(0);
        let result: Result<(), Error> = fast(5).run("test", || {
            calls.set(calls.get() + 1);
            Err(Error::custom("not transient"))
        });
        assert!(result.is_err());
        assert_eq!(calls.get(), 1);
    }

    #[test]
    fn delays_double_up_to_bound() {
        let policy = RetryPolicy::default();
        let mut delay = policy.initial_delay;
        let mut waits = Vec::new();
        for _ in 1..policy.attempts {
            waits.push(delay);
            delay = (delay * 2).min(policy.max_delay);
        }
        assert_eq!(waits.iter().sum::<Duration>(), Duration::from_millis(7_750));
    }
}
