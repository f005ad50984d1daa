//! A bare libpq connection for `COPY (SELECT ...) TO STDOUT`, which
//! Diesel cannot issue: its COPY names a table, and a table COPY has no
//! `WHERE`. The parallel extract needs the query form to give each
//! connection its own range of heap pages.
//!
//! The connection goes through the same libpq as Diesel's (the `pq-sys`
//! bindings Diesel links), so URLs, TLS settings and environment
//! variables mean the same. Only what the extract needs is wrapped:
//! connect, run a statement, read a COPY stream.

use std::ffi::{CStr, CString, c_char, c_int};
use std::io::{BufRead, Read};
use std::ptr::NonNull;

use pq_sys::{ConnStatusType, ExecStatusType, PGconn, PGresult};

/// One libpq connection, closed on drop.
pub(crate) struct RawConnection {
    conn: NonNull<PGconn>,
}

// SAFETY: libpq allows a connection to be used from any thread as long
// as no two threads use it at once, which `&mut self` on every call
// guarantees.
unsafe impl Send for RawConnection {}

impl RawConnection {
    /// Connects to `url`; the error is libpq's message, first line only,
    /// which names the host but never the password.
    pub(crate) fn connect(url: &str) -> Result<Self, String> {
        let url = CString::new(url).map_err(|_| "the connection URL contains a NUL byte".to_owned())?;

        // SAFETY: `url` is a valid NUL-terminated string for the call.
        let conn = unsafe { pq_sys::PQconnectdb(url.as_ptr()) };
        let conn = NonNull::new(conn).ok_or_else(|| "libpq could not allocate a connection".to_owned())?;
        let raw = Self { conn };

        // SAFETY: `conn` is a live connection owned by `raw`.
        if unsafe { pq_sys::PQstatus(raw.conn.as_ptr()) } != ConnStatusType::CONNECTION_OK {
            return Err(raw.error_message());
        }
        Ok(raw)
    }

    /// Runs one statement that returns no COPY stream.
    pub(crate) fn execute(&mut self, sql: &str) -> Result<(), String> {
        let result = self.exec(sql)?;
        match result.status() {
            ExecStatusType::PGRES_COMMAND_OK | ExecStatusType::PGRES_TUPLES_OK => Ok(()),
            _ => Err(result.error_message()),
        }
    }

    /// Starts `sql`, a `COPY ... TO STDOUT`, and returns its stream.
    pub(crate) fn copy_out(&mut self, sql: &str) -> Result<CopyOut<'_>, String> {
        let result = self.exec(sql)?;
        if result.status() != ExecStatusType::PGRES_COPY_OUT {
            return Err(result.error_message());
        }
        drop(result);
        Ok(CopyOut {
            conn: self,
            row: None,
            finished: false,
        })
    }

    fn exec(&mut self, sql: &str) -> Result<OwnedResult, String> {
        let sql = CString::new(sql).map_err(|_| "the statement contains a NUL byte".to_owned())?;

        // SAFETY: the connection is live and `sql` NUL-terminated.
        let result = unsafe { pq_sys::PQexec(self.conn.as_ptr(), sql.as_ptr()) };
        NonNull::new(result)
            .map(|result| OwnedResult { result })
            .ok_or_else(|| self.error_message())
    }

    fn error_message(&self) -> String {
        // SAFETY: the connection is live; libpq returns a NUL-terminated
        // string it owns, valid until the next call on the connection.
        let message = unsafe { CStr::from_ptr(pq_sys::PQerrorMessage(self.conn.as_ptr())) };
        first_line(message)
    }
}

impl Drop for RawConnection {
    fn drop(&mut self) {
        // SAFETY: the connection is live and closed only here. Closing in
        // the middle of a COPY is allowed: the server notices the closed socket.
        unsafe { pq_sys::PQfinish(self.conn.as_ptr()) }
    }
}

/// A `PGresult`, freed on drop.
struct OwnedResult {
    result: NonNull<PGresult>,
}

impl OwnedResult {
    fn status(&self) -> ExecStatusType {
        // SAFETY: the result is live until drop.
        unsafe { pq_sys::PQresultStatus(self.result.as_ptr()) }
    }

    fn error_message(&self) -> String {
        // SAFETY: as in `status`; the string lives as long as the result.
        let message = unsafe { CStr::from_ptr(pq_sys::PQresultErrorMessage(self.result.as_ptr())) };
        let message = first_line(message);
        if message.is_empty() {
            format!("unexpected result status {:?}", self.status())
        } else {
            message
        }
    }
}

impl Drop for OwnedResult {
    fn drop(&mut self) {
        // SAFETY: the result is live and freed only here.
        unsafe { pq_sys::PQclear(self.result.as_ptr()) }
    }
}

/// The data of a COPY OUT, one libpq row buffer at a time: a
/// [`BufRead`] whose buffers each hold one COPY message, a tuple in the
/// binary format.
pub(crate) struct CopyOut<'a> {
    conn: &'a mut RawConnection,
    /// The current row: libpq's buffer, its length and how much of it
    /// has been consumed.
    row: Option<(NonNull<c_char>, usize, usize)>,
    finished: bool,
}

impl CopyOut<'_> {
    fn free_row(&mut self) {
        if let Some((buffer, _, _)) = self.row.take() {
            // SAFETY: the buffer came from PQgetCopyData and is freed once.
            unsafe { pq_sys::PQfreemem(buffer.as_ptr().cast()) }
        }
    }

    /// Reads the statement's final result after the last row.
    fn finish(&mut self) -> std::io::Result<()> {
        self.finished = true;
        let mut failure = None;
        loop {
            // SAFETY: the connection is live; a NULL result ends the list.
            let result = unsafe { pq_sys::PQgetResult(self.conn.conn.as_ptr()) };
            let Some(result) = NonNull::new(result) else { break };
            let result = OwnedResult { result };
            if result.status() != ExecStatusType::PGRES_COMMAND_OK && failure.is_none() {
                failure = Some(result.error_message());
            }
        }
        match failure {
            Some(message) => Err(std::io::Error::other(message)),
            None => Ok(()),
        }
    }
}

impl Read for CopyOut<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for CopyOut<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if matches!(self.row, Some((_, len, used)) if used >= len) {
            self.free_row();
        }
        if self.row.is_none() && !self.finished {
            let mut buffer: *mut c_char = std::ptr::null_mut();

            // SAFETY: the connection is live and in COPY OUT state; libpq
            // stores a buffer it allocated in `buffer` when it returns a
            // positive length. 0 requests a blocking read.
            let length: c_int = unsafe { pq_sys::PQgetCopyData(self.conn.conn.as_ptr(), &mut buffer, 0) };
            match (length, NonNull::new(buffer)) {
                (n, Some(buffer)) if n > 0 => self.row = Some((buffer, n as usize, 0)),
                (-1, _) => self.finish()?,
                _ => return Err(std::io::Error::other(self.conn.error_message())),
            }
        }
        match self.row {
            // SAFETY: libpq's buffer contains `len` bytes until freed, which
            // happens only through `free_row`, after this borrow ends.
            Some((buffer, len, used)) => {
                Ok(unsafe { std::slice::from_raw_parts(buffer.as_ptr().cast::<u8>().add(used), len - used) })
            }
            None => Ok(&[]),
        }
    }

    fn consume(&mut self, amount: usize) {
        if let Some((_, len, used)) = &mut self.row {
            *used = (*used + amount).min(*len);
        }
    }
}

impl Drop for CopyOut<'_> {
    fn drop(&mut self) {
        // An unfinished stream leaves the connection in COPY state; the
        // caller drops the connection too, which closes it.
        self.free_row();
    }
}

fn first_line(message: &CStr) -> String {
    message.to_string_lossy().lines().next().unwrap_or("").trim().to_owned()
}
