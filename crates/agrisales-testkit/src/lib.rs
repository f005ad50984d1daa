//! Test helpers: each test gets its own database on the real servers and
//! drops it afterwards, so tests run in parallel without sharing state.
//!
//! - [`TestPostgres`]: a fresh PostgreSQL database. The server comes from
//!   `AGRISALES_TEST_DATABASE_URL` (default
//!   `postgres://postgres@127.0.0.1:5432/postgres`), whose user needs the
//!   `CREATEDB` privilege.
//! - [`TestMongo`]: a fresh MongoDB database name. The server comes from
//!   `AGRISALES_TEST_MONGODB_URI` (default `mongodb://127.0.0.1:27017`).
//!
//! A missing server makes the test panic with a message that explains how to
//! start one: tests never pass without the server they need.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use diesel::{Connection, PgConnection, RunQueryDsl};

/// Default server for PostgreSQL tests.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Default server for MongoDB tests.
pub const DEFAULT_MONGODB_URI: &str = "mongodb://127.0.0.1:27017";

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Returns a name unique to this process and call, such as
/// `agrisales_test_4242_3_1733300000123`.
pub fn unique_name(prefix: &str) -> String {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    format!(
        "{prefix}_{}_{}_{millis}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Returns the PostgreSQL server URL tests use.
pub fn postgres_admin_url() -> String {
    std::env::var("AGRISALES_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned())
}

/// Returns the MongoDB URI tests use.
pub fn mongodb_uri() -> String {
    std::env::var("AGRISALES_TEST_MONGODB_URI").unwrap_or_else(|_| DEFAULT_MONGODB_URI.to_owned())
}

fn admin_connection() -> PgConnection {
    let url = postgres_admin_url();
    PgConnection::establish(&url).unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is required for this test but is not reachable through AGRISALES_TEST_DATABASE_URL \
             (default {DEFAULT_POSTGRES_URL}): {e}\n\
             Start it with `docker compose up -d postgres`, or on Debian \
             `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, \
             or point AGRISALES_TEST_DATABASE_URL at a server whose user may CREATE DATABASE."
        )
    })
}

/// Returns the path of example `name`, which `cargo test` builds next to
/// the test binaries (in `<target>/<profile>/examples/`).
///
/// # Panics
///
/// When the test binary's own path has no grandparent folder.
pub fn example_path(name: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("cannot locate the test binary: {e}"));
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap_or_else(|| panic!("the test binary {} has no profile folder", exe.display()));
    profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// A throw-away PostgreSQL database, dropped when this value is dropped.
#[derive(Debug)]
pub struct TestPostgres {
    name: String,
    url: String,
}

impl TestPostgres {
    /// Creates an empty database.
    ///
    /// # Panics
    ///
    /// When the server is unreachable (with instructions to start it) or
    /// refuses `CREATE DATABASE`.
    pub fn create() -> Self {
        let name = unique_name("agrisales_test");
        let mut admin = admin_connection();
        diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));

        let base = postgres_admin_url();
        let url = match base.rfind('/') {
            Some(slash) if base[..slash].ends_with(|c: char| c != '/') => format!("{}/{name}", &base[..slash]),
            _ => format!("{base}/{name}"),
        };
        Self { name, url }
    }

    /// Returns a URL for a database name that does not exist on the server.
    pub fn missing_database_url() -> String {
        let base = postgres_admin_url();
        let slash = base.rfind('/').unwrap_or(base.len());
        format!("{}/{}", &base[..slash], unique_name("agrisales_missing"))
    }

    /// Returns the database's connection URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Returns the database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Opens a new Diesel connection to the database.
    pub fn connect(&self) -> PgConnection {
        PgConnection::establish(&self.url).unwrap_or_else(|e| panic!("cannot connect to {}: {e}", self.name))
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        let mut admin = admin_connection();
        let _ =
            diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name)).execute(&mut admin);
    }
}

/// A throw-away MongoDB database, dropped when this value is dropped.
#[derive(Debug)]
pub struct TestMongo {
    uri: String,
    database: String,
    client: mongodb::sync::Client,
}

impl TestMongo {
    /// Picks a fresh database name and checks that the server responds.
    ///
    /// # Panics
    ///
    /// When the server does not respond to a ping within 5 seconds, with
    /// instructions to start one.
    pub fn create() -> Self {
        let uri = mongodb_uri();
        let start_hint = "Start one with `docker compose up -d mongodb`, or run SecantusDB: \
             `cargo install secantus-mdb --version =0.5.3-beta.196 --ignore-rust-version --locked` then \
             `secantusd-rs --host 127.0.0.1 --port 27017 --storage-path /tmp/secantus-data`, \
             or point AGRISALES_TEST_MONGODB_URI at a server.";

        let mut options = mongodb::options::ClientOptions::parse(&uri)
            .run()
            .unwrap_or_else(|e| panic!("invalid AGRISALES_TEST_MONGODB_URI {uri}: {e}"));
        options.server_selection_timeout = Some(Duration::from_secs(5));
        options.connect_timeout = Some(Duration::from_secs(3));
        let client = mongodb::sync::Client::with_options(options)
            .unwrap_or_else(|e| panic!("cannot build a MongoDB client for {uri}: {e}"));
        if let Err(e) = client
            .database("admin")
            .run_command(mongodb::bson::doc! { "ping": 1 })
            .run()
        {
            panic!(
                "MongoDB is required for this test but does not answer at AGRISALES_TEST_MONGODB_URI \
                 (default {DEFAULT_MONGODB_URI}): {e}\n{start_hint}"
            );
        }

        Self {
            uri,
            database: unique_name("agrisales_test"),
            client,
        }
    }

    /// Returns the server URI.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// Returns the database name reserved for this test.
    pub fn database(&self) -> &str {
        &self.database
    }

    /// Returns a client connected to the server.
    pub fn client(&self) -> &mongodb::sync::Client {
        &self.client
    }
}

impl Drop for TestMongo {
    fn drop(&mut self) {
        let _ = self.client.database(&self.database).drop().run();
    }
}
