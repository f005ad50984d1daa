//! Parsing of `DATABASE_URL` into what logs and errors may show.

use url::Url;

use crate::PgError;

/// Default port of PostgreSQL.
const DEFAULT_PORT: u16 = 5432;

/// The parts of a connection URL that are safe to display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgTarget {
    /// Host name or address; `localhost` when the URL names none.
    pub host: String,
    /// TCP port; 5432 when the URL names none.
    pub port: u16,
    /// Database name; empty when the URL names none (libpq then uses the
    /// user name).
    pub database: String,
}

impl PgTarget {
    /// Parses `url` (`postgres://` or `postgresql://`).
    pub fn parse(url: &str) -> Result<Self, PgError> {
        let parsed = Url::parse(url).map_err(|e| PgError::InvalidUrl { reason: e.to_string() })?;
        if !matches!(parsed.scheme(), "postgres" | "postgresql") {
            return Err(PgError::InvalidUrl {
                reason: format!("scheme `{}` is not postgres:// or postgresql://", parsed.scheme()),
            });
        }

        let database = parsed.path().trim_start_matches('/');
        let database = percent_decode(database);
        Ok(Self {
            host: parsed.host_str().unwrap_or("localhost").to_owned(),
            port: parsed.port().unwrap_or(DEFAULT_PORT),
            database,
        })
    }

    /// Returns `url` with its path replaced by `/database`, keeping the
    /// credentials and query parameters.
    pub(crate) fn url_with_database(url: &str, database: &str) -> Result<String, PgError> {
        let mut parsed = Url::parse(url).map_err(|e| PgError::InvalidUrl { reason: e.to_string() })?;
        parsed.set_path(&format!("/{database}"));
        Ok(parsed.into())
    }
}

impl std::fmt::Display for PgTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}/{}", self.host, self.port, self.database)
    }
}

/// Decodes `%XX` escapes of a URL path segment; invalid escapes stay as
/// they are.
fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = if bytes[i] == b'%' && i + 2 < bytes.len() {
            hex_value(bytes[i + 1])
                .zip(hex_value(bytes[i + 2]))
                .map(|(high, low)| high * 16 + low)
        } else {
            None
        };
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(digit: u8) -> Option<u8> {
    (digit as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_hides_password() {
        let target = PgTarget::parse("postgres://alice:s3cret@db.example:6543/ventes").unwrap();
        assert_eq!(target.to_string(), "db.example:6543/ventes");
        assert!(!format!("{target:?}").contains("s3cret"));
    }

    #[test]
    fn target_defaults_port() {
        let target = PgTarget::parse("postgresql://127.0.0.1/ventes_agricoles").unwrap();
        assert_eq!(target.port, 5432);
        assert_eq!(target.database, "ventes_agricoles");
    }

    #[test]
    fn target_rejects_other_schemes() {
        assert!(matches!(
            PgTarget::parse("mysql://localhost/x"),
            Err(PgError::InvalidUrl { .. })
        ));
        assert!(matches!(PgTarget::parse("not a url"), Err(PgError::InvalidUrl { .. })));
    }

    #[test]
    fn database_name_is_decoded() {
        let target = PgTarget::parse("postgres://localhost/ventes%20test").unwrap();
        assert_eq!(target.database, "ventes test");
    }
}
