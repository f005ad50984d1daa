//! Connection settings shared by the examples.

/// `DATABASE_URL` when neither the variable nor a flag sets it.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/ventes_agricoles";

/// `MONGODB_URI` when neither the variable nor a flag sets it.
pub const DEFAULT_MONGODB_URI: &str = "mongodb://127.0.0.1:27017";

/// Connection settings of the ETL's source and destination.
///
/// Each value comes from, in order: a command-line flag, the environment
/// variable (`DATABASE_URL`, `MONGODB_URI`, `MONGODB_DATABASE`), the
/// default.
#[derive(Clone, PartialEq, Eq)]
pub struct Settings {
    /// PostgreSQL URL, Diesel's convention.
    pub database_url: String,
    /// MongoDB connection string.
    pub mongodb_uri: String,
    /// MongoDB database name.
    pub mongodb_database: String,
}

impl Settings {
    /// Resolves each setting from its flag, then its environment variable,
    /// then its default.
    pub fn resolve(
        database_url: Option<String>,
        mongodb_uri: Option<String>,
        mongodb_database: Option<String>,
    ) -> Self {
        let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Self {
            database_url: database_url
                .or_else(|| from_env("DATABASE_URL"))
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            mongodb_uri: mongodb_uri
                .or_else(|| from_env("MONGODB_URI"))
                .unwrap_or_else(|| DEFAULT_MONGODB_URI.to_owned()),
            mongodb_database: mongodb_database
                .or_else(|| from_env("MONGODB_DATABASE"))
                .unwrap_or_else(|| agrisales_mongo::DEFAULT_DATABASE.to_owned()),
        }
    }
}

/// Shows the settings without passwords.
impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &redact(&self.database_url))
            .field("mongodb_uri", &redact(&self.mongodb_uri))
            .field("mongodb_database", &self.mongodb_database)
            .finish()
    }
}

/// Replaces the password of a `scheme://user:password@host` URL by `***`.
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest = &url[scheme_end + 3..];
    let Some(at) = rest.rfind('@') else {
        return url.to_owned();
    };
    let credentials = &rest[..at];
    match credentials.find(':') {
        Some(colon) => format!("{}{}:***{}", &url[..scheme_end + 3], &credentials[..colon], &rest[at..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_password() {
        assert_eq!(redact("postgres://bob:pw@h:5432/db"), "postgres://bob:***@h:5432/db");
        assert_eq!(redact("mongodb://127.0.0.1:27017"), "mongodb://127.0.0.1:27017");
        assert_eq!(redact("postgres://bob@h/db"), "postgres://bob@h/db");
    }

    #[test]
    fn flags_win_over_defaults() {
        let settings = Settings::resolve(
            Some("postgres://x/y".into()),
            Some("mongodb://z".into()),
            Some("db".into()),
        );
        assert_eq!(settings.database_url, "postgres://x/y");
        assert_eq!(settings.mongodb_uri, "mongodb://z");
        assert_eq!(settings.mongodb_database, "db");
    }
}
