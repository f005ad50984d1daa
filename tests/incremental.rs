//! The scheduled ETL job against the real servers: incremental runs equal
//! full runs, killed runs are repaired, runs never overlap, and failures
//! leave MongoDB consistent.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use agrisales::datagen::GeneratorConfig;
use agrisales::etl::job::advisory_lock_id;
use agrisales::etl::{
    EtlConfig, EtlError, JobConfig, JobReport, Observer, RunMode, Silent, Stage, run_job, seed_database,
};
use agrisales::mongo::{AGGREGATES_COLLECTION, FORECASTS_COLLECTION, MongoStore, RunStatus};
use agrisales::postgres::PgRepository;
use agrisales_testkit::{TestMongo, TestPostgres, example_path};
use diesel::RunQueryDsl;
use mongodb::bson::{Document, doc};

struct Fixture {
    pg: TestPostgres,
    mongo: TestMongo,
    repo: PgRepository,
    store: MongoStore,
}

fn fixture(rows: u64) -> Fixture {
    let pg = TestPostgres::create();
    let mongo = TestMongo::create();
    let mut repo = PgRepository::connect(pg.url()).unwrap();
    repo.run_migrations().unwrap();
    let config = GeneratorConfig {
        rows,
        seed: 11,
        ..GeneratorConfig::default()
    };
    seed_database(&mut repo, &config, |_| {}).unwrap();
    let store = MongoStore::connect(mongo.uri(), mongo.database()).unwrap();
    Fixture { pg, mongo, repo, store }
}

fn job(mode: RunMode) -> JobConfig {
    JobConfig {
        mode,
        lock_wait: Duration::ZERO,
        etl: EtlConfig {
            chunk_rows: 4_096,
            ..EtlConfig::default()
        },
    }
}

fn run(f: &mut Fixture, mode: RunMode) -> JobReport {
    run_job(&mut f.repo, &mut f.store, &job(mode), &mut Silent).unwrap()
}

fn count(f: &TestPostgres, query: &str) -> u64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let n = diesel::sql_query(query).get_result::<N>(&mut f.connect()).unwrap().n;
    u64::try_from(n).unwrap()
}

fn sql(f: &TestPostgres, statement: &str) {
    diesel::sql_query(statement)
        .execute(&mut f.connect())
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
}

/// Both result collections, without `_id`, sorted by their unique keys.
fn contents(store: &MongoStore) -> (Vec<Document>, Vec<Document>) {
    let read = |collection: &str, sort: Document| -> Vec<Document> {
        store
            .database()
            .collection::<Document>(collection)
            .find(doc! {})
            .projection(doc! { "_id": 0 })
            .sort(sort)
            .run()
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    (
        read(
            AGGREGATES_COLLECTION,
            doc! { "id_region": 1, "catégorie": 1, "mois": 1 },
        ),
        read(FORECASTS_COLLECTION, doc! { "id_produit": 1, "mois": 1 }),
    )
}

/// Returns what a clean full run on the current PostgreSQL data writes,
/// in a MongoDB database of its own.
fn reference(f: &Fixture) -> (Vec<Document>, Vec<Document>) {
    let mongo = TestMongo::create();
    let mut store = MongoStore::connect(mongo.uri(), mongo.database()).unwrap();
    let mut repo = PgRepository::connect(f.pg.url()).unwrap();
    run_job(&mut repo, &mut store, &job(RunMode::Full), &mut Silent).unwrap();
    contents(&store)
}

fn assert_same_as_full(f: &Fixture, context: &str) {
    let (aggregates, forecasts) = contents(&f.store);
    let (want_aggregates, want_forecasts) = reference(f);
    assert_eq!(aggregates.len(), want_aggregates.len(), "{context}: aggregate count");
    assert!(
        aggregates == want_aggregates,
        "{context}: aggregates differ from a clean full run"
    );
    assert!(
        forecasts == want_forecasts,
        "{context}: forecasts differ from a clean full run"
    );
}

#[test]
fn full_runs_agree_over_any_connection_count() {
    let f = fixture(20_000);
    let mut results = Vec::new();
    for connections in [1, 2, 4] {
        let mongo = TestMongo::create();
        let mut store = MongoStore::connect(mongo.uri(), mongo.database()).unwrap();
        let mut repo = PgRepository::connect(f.pg.url()).unwrap();
        let mut config = job(RunMode::Full);
        config.etl.extract_connections = connections;
        let report = run_job(&mut repo, &mut store, &config, &mut Silent).unwrap();
        assert_eq!(report.etl.sales_read, 20_000, "{connections} connections");
        results.push((connections, contents(&store)));
    }

    let (_, (aggregates, forecasts)) = &results[0];
    assert!(!aggregates.is_empty());
    assert!(!forecasts.is_empty());
    for (connections, contents) in &results[1..] {
        assert!(
            contents.0 == *aggregates,
            "aggregates over {connections} connections differ from one connection's"
        );
        assert!(
            contents.1 == *forecasts,
            "forecasts over {connections} connections differ from one connection's"
        );
    }
}

#[test]
fn incremental_equals_full_after_changes() {
    let mut f = fixture(20_000);

    let first = run(&mut f, RunMode::Incremental);
    assert_eq!(first.mode, RunMode::Full, "the first run has nothing to compare with");
    assert_eq!(first.etl.sales_read, 20_000);
    assert_same_as_full(&f, "first run");

    let idle = run(&mut f, RunMode::Incremental);
    assert_eq!(idle.mode, RunMode::Incremental);
    assert!(idle.months_recomputed.is_empty());
    assert_eq!(idle.etl.sales_read, 0);
    assert_eq!(idle.etl.aggregates_written + idle.etl.forecasts_written, 0);

    // One late sale for an old month rewrites that month, the next one and
    // the same month a year later, reading only the months they compare with.
    sql(
        &f.pg,
        "INSERT INTO ventes (id_produit, \"quantité\", date_vente, region_vente) VALUES (3, 7.000, '2023-03-02', 3)",
    );
    let late = run(&mut f, RunMode::Incremental);
    let months: Vec<String> = late.months_recomputed.iter().map(ToString::to_string).collect();
    assert_eq!(months, ["2023-03", "2023-04", "2024-03"]);
    let read_months = "'2022-03', '2022-04', '2023-02', '2023-03', '2023-04', '2024-02', '2024-03'";
    let expected_read = count(
        &f.pg,
        &format!("SELECT count(*) AS n FROM ventes WHERE to_char(date_vente, 'YYYY-MM') IN ({read_months})"),
    );
    assert_eq!(late.etl.sales_read, expected_read);
    assert_same_as_full(&f, "after a late sale");

    // A new month after the last one, a sale moved between months, and an
    // old month emptied of one product.
    sql(
        &f.pg,
        "INSERT INTO ventes (id_produit, \"quantité\", date_vente, region_vente) VALUES \
         (1, 12.5, '2026-01-15', 1), (2, 3.25, '2026-01-20', 2)",
    );
    sql(
        &f.pg,
        "UPDATE ventes SET date_vente = '2024-07-31' WHERE id_vente = \
         (SELECT min(id_vente) FROM ventes WHERE date_vente >= '2025-05-01' AND date_vente < '2025-06-01')",
    );
    sql(
        &f.pg,
        "DELETE FROM ventes WHERE id_produit = 5 AND date_vente >= '2024-11-01' AND date_vente < '2024-12-01'",
    );

    let incremental = run(&mut f, RunMode::Incremental);
    assert_eq!(incremental.mode, RunMode::Incremental, "{}", incremental.reason);
    assert!(
        incremental.etl.sales_read < 20_000,
        "read {} sales",
        incremental.etl.sales_read
    );
    let months: Vec<String> = incremental.months_recomputed.iter().map(ToString::to_string).collect();
    for expected in [
        "2024-07", "2024-08", "2025-07", "2025-05", "2025-06", "2026-05", "2024-11", "2024-12", "2025-11", "2026-01",
        "2026-02", "2027-01",
    ] {
        assert!(
            months.contains(&expected.to_owned()),
            "{expected} missing from {months:?}"
        );
    }
    assert!(
        !months.contains(&"2023-03".to_owned()),
        "an untouched month was recomputed: {months:?}"
    );
    assert_same_as_full(&f, "after new, late, moved and deleted sales");

    // A price change touches every month: the run turns full.
    sql(
        &f.pg,
        "UPDATE produits SET prix_unitaire = prix_unitaire + 0.01 WHERE id_produit = 1",
    );
    let repriced = run(&mut f, RunMode::Incremental);
    assert_eq!(repriced.mode, RunMode::Full, "{}", repriced.reason);
    assert_same_as_full(&f, "after a price change");

    // Emptying ventes leaves empty collections, incrementally too.
    sql(&f.pg, "TRUNCATE ventes");
    let emptied = run(&mut f, RunMode::Incremental);
    assert_eq!(emptied.mode, RunMode::Incremental);
    let (aggregates, forecasts) = contents(&f.store);
    assert!(aggregates.is_empty());
    assert!(forecasts.is_empty());

    let journal = f.store.runs().unwrap();
    assert_eq!(journal.len(), 6);
    assert!(journal.iter().all(|r| r.status == RunStatus::Succeeded));
    assert!(
        journal
            .windows(2)
            .all(|w| w[0].finished_at_ms <= Some(w[1].started_at_ms))
    );
    assert!(journal[2].high_water_mark > journal[0].high_water_mark);
}

/// Kills the `etl` example at a chosen moment, then lets a run finish.
#[test]
fn killed_runs_are_repaired() {
    let mut f = fixture(40_000);
    run(&mut f, RunMode::Full);

    // Log lines that mark each moment, in running order.
    let markers = [
        "run started",
        "stage=\"extract + aggregate\"",
        "stage=\"forecast\"",
        "stage=\"load agrégats_ventes\"",
        "stage=\"load prévisions_popularité\"",
    ];
    let mut rng = Lcg(0x5eed_1234);
    let mut killed = 0;
    for iteration in 0..10_u64 {
        // Change the data so the killed run has months to rewrite.
        let month = 1 + rng.next() % 12;
        let year = 2023 + rng.next() % 4;
        sql(
            &f.pg,
            &format!(
                "INSERT INTO ventes (id_produit, \"quantité\", date_vente, region_vente) \
                 SELECT 1 + (g % 42), 1.5 + g, make_date({year}, {month}, 1 + g % 28), 1 + (g % 13) \
                 FROM generate_series(1, {}) g",
                1 + rng.next() % 50
            ),
        );
        if iteration % 3 == 2 {
            sql(
                &f.pg,
                &format!("DELETE FROM ventes WHERE id_vente % 97 = {}", rng.next() % 97),
            );
        }

        let marker = markers[(rng.next() % markers.len() as u64) as usize];
        let delay = Duration::from_millis(rng.next() % 40);
        let mode = if iteration % 4 == 3 { "full" } else { "incremental" };
        if kill_example_after(&f, mode, marker, delay) {
            killed += 1;
        }

        // The server drops the killed run's session, and its lock, a moment
        // after the process dies.
        let mut repair = job(RunMode::Incremental);
        repair.lock_wait = Duration::from_secs(10);
        run_job(&mut f.repo, &mut f.store, &repair, &mut Silent).unwrap();
        assert_same_as_full(
            &f,
            &format!("iteration {iteration}: killed after `{marker}` + {delay:?}"),
        );
        assert!(f.store.runs().unwrap().iter().all(|r| r.status != RunStatus::Running));
    }
    assert!(killed >= 5, "only {killed} of 10 runs were killed before finishing");
}

/// Runs the example and kills it `delay` after `marker` appears in its log.
/// Returns whether it was killed before it finished.
fn kill_example_after(f: &Fixture, mode: &str, marker: &str, delay: Duration) -> bool {
    let mut child = Command::new(example_path("etl"))
        .args(["--no-setup", "--mode", mode, "--database-url", f.pg.url()])
        .args(["--mongodb-uri", f.mongo.uri(), "--mongodb-database", f.mongo.database()])
        .env("RUST_LOG", "agrisales_etl=info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the etl example is missing: `cargo test --workspace` builds it");

    let (lines, seen) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });

    let deadline = Instant::now() + Duration::from_secs(60);
    let mut log = String::new();
    let mut killed = false;
    while Instant::now() < deadline {
        match seen.recv_timeout(Duration::from_millis(50)) {
            Ok(line) => {
                let hit = line.contains(marker);
                log.push_str(&line);
                log.push('\n');
                if hit {
                    std::thread::sleep(delay);
                    killed = child.try_wait().unwrap().is_none();
                    let _ = child.kill();
                    break;
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let status = child.wait().unwrap();
    let _ = reader.join();
    assert!(killed || status.success(), "the example failed on its own:\n{log}");
    killed
}

#[test]
fn second_run_waits_or_gives_up() {
    let mut f = fixture(5_000);
    run(&mut f, RunMode::Full);
    let before = contents(&f.store);
    let journal_before = f.store.runs().unwrap().len();

    // Another session holds the lock: a run that does not wait gives up
    // before writing anything.
    let holder_url = format!("{}?application_name=other-etl", f.pg.url());
    let mut holder = PgRepository::connect(&holder_url).unwrap();
    let (class, key) = advisory_lock_id(f.mongo.database());
    assert!(holder.try_advisory_lock(class, key).unwrap());
    sql(
        &f.pg,
        "INSERT INTO ventes (id_produit, \"quantité\", date_vente, region_vente) VALUES (4, 2, '2024-05-05', 4)",
    );
    let error = run_job(&mut f.repo, &mut f.store, &job(RunMode::Incremental), &mut Silent).unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, EtlError::Locked { .. }), "{message}");
    assert!(
        message.contains("other-etl") && message.contains("--lock-wait"),
        "{message}"
    );
    assert_eq!(contents(&f.store), before);
    assert_eq!(f.store.runs().unwrap().len(), journal_before);

    // A run that waits goes on once the holder lets go.
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(700));
        holder.advisory_unlock(class, key).unwrap();
        holder
    });
    let mut waiting = job(RunMode::Incremental);
    waiting.lock_wait = Duration::from_secs(30);
    let started = Instant::now();
    run_job(&mut f.repo, &mut f.store, &waiting, &mut Silent).unwrap();
    assert!(started.elapsed() >= Duration::from_millis(600));
    drop(release.join().unwrap());
    assert_same_as_full(&f, "after waiting for the lock");

    // Two real runs at once: both finish, one after the other.
    sql(
        &f.pg,
        "INSERT INTO ventes (id_produit, \"quantité\", date_vente, region_vente) VALUES (6, 9, '2025-02-02', 6)",
    );
    let (pg_url, uri, database) = (
        f.pg.url().to_owned(),
        f.mongo.uri().to_owned(),
        f.mongo.database().to_owned(),
    );
    let runners: Vec<_> = [RunMode::Full, RunMode::Incremental]
        .into_iter()
        .map(|mode| {
            let (pg_url, uri, database) = (pg_url.clone(), uri.clone(), database.clone());
            std::thread::spawn(move || {
                let mut repo = PgRepository::connect(&pg_url).unwrap();
                let mut store = MongoStore::connect(&uri, &database).unwrap();
                let mut config = job(mode);
                config.lock_wait = Duration::from_secs(120);
                run_job(&mut repo, &mut store, &config, &mut Silent).unwrap()
            })
        })
        .collect();
    for runner in runners {
        runner.join().unwrap();
    }
    let journal = f.store.runs().unwrap();
    let last_two = &journal[journal.len() - 2..];
    assert!(last_two.iter().all(|r| r.status == RunStatus::Succeeded));
    assert!(
        last_two[0].finished_at_ms <= Some(last_two[1].started_at_ms),
        "the two runs overlapped: {last_two:?}"
    );
    assert_same_as_full(&f, "after two concurrent runs");
}

/// Ends its own PostgreSQL session when the extract starts.
/// Terminates the run's own PostgreSQL connection when the extract
/// starts, or at its first progress report with `during_read`: then, in
/// a full run, the extra connections that read the sales live on.
struct CutConnection {
    url: String,
    pid: i32,
    during_read: bool,
    done: bool,
}

impl CutConnection {
    fn cut(&mut self) {
        if self.done {
            return;
        }
        self.done = true;
        let mut other = PgRepository::connect(&self.url).unwrap();
        diesel::sql_query(format!("SELECT pg_terminate_backend({})", self.pid))
            .execute(other.connection())
            .unwrap();
    }
}

impl Observer for CutConnection {
    fn stage_started(&mut self, stage: Stage, _total: Option<u64>) {
        if stage == Stage::ExtractAggregate && !self.during_read {
            self.cut();
        }
    }

    fn progress(&mut self, stage: Stage, _done: u64) {
        if stage == Stage::ExtractAggregate && self.during_read {
            self.cut();
        }
    }
}

#[test]
fn lost_postgres_fails_run_cleanly() {
    let mut f = fixture(20_000);
    run(&mut f, RunMode::Full);
    let before = contents(&f.store);
    sql(
        &f.pg,
        "INSERT INTO ventes (id_produit, \"quantité\", date_vente, region_vente) VALUES (7, 3, '2024-02-02', 7)",
    );

    let pid = f.repo.backend_pid().unwrap();
    let mut cut = CutConnection {
        url: f.pg.url().to_owned(),
        pid,
        during_read: false,
        done: false,
    };
    let error = run_job(&mut f.repo, &mut f.store, &job(RunMode::Incremental), &mut cut).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("extract failed") || message.contains("failed on"),
        "{message}"
    );
    assert!(message.contains(f.pg.name()), "the error names the server: {message}");
    assert_eq!(contents(&f.store), before, "a failed extract wrote to MongoDB");
    let journal = f.store.runs().unwrap();
    let last = journal.last().unwrap();
    assert_eq!(last.status, RunStatus::Failed);
    assert!(
        last.error.as_deref().unwrap_or_default().contains("extract failed"),
        "{last:?}"
    );

    // A new connection repairs everything.
    f.repo = PgRepository::connect(f.pg.url()).unwrap();
    run(&mut f, RunMode::Incremental);
    assert_same_as_full(&f, "after the lost connection");

    // In a full run the sales come over extra connections; losing the
    // run's own connection, which holds the lock, must still fail it.
    let before = contents(&f.store);
    sql(
        &f.pg,
        "INSERT INTO ventes (id_produit, \"quantité\", date_vente, region_vente) VALUES (7, 3, '2024-03-02', 7)",
    );
    let mut cut = CutConnection {
        url: f.pg.url().to_owned(),
        pid: f.repo.backend_pid().unwrap(),
        during_read: true,
        done: false,
    };
    let error = run_job(&mut f.repo, &mut f.store, &job(RunMode::Full), &mut cut).unwrap_err();
    assert!(cut.done, "the connection was never cut");
    assert!(error.to_string().contains("extract failed"), "{error}");
    assert_eq!(
        contents(&f.store),
        before,
        "a full run without its lock wrote to MongoDB"
    );
    f.repo = PgRepository::connect(f.pg.url()).unwrap();
    run(&mut f, RunMode::Incremental);
    assert_same_as_full(&f, "after the connection lost during a full read");
}

#[test]
fn bad_configuration_changes_nothing() {
    let mut f = fixture(2_000);
    run(&mut f, RunMode::Full);
    let before = contents(&f.store);
    let journal = f.store.runs().unwrap().len();

    let missing_database = TestPostgres::missing_database_url();
    let missing_name = missing_database.rsplit('/').next().unwrap().to_owned();
    let wrong_port = f.pg.url().replace(":5432/", ":1/");
    let cases = [
        (missing_database.as_str(), f.mongo.uri(), "does not exist"),
        (wrong_port.as_str(), f.mongo.uri(), "127.0.0.1:1/"),
        (
            f.pg.url(),
            "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300",
            "MongoDB at 127.0.0.1:1",
        ),
    ];
    for (pg_url, mongo_uri, expected) in cases {
        let output = example(&["--no-setup", "--database-url", pg_url])
            .args(["--mongodb-uri", mongo_uri, "--mongodb-database", f.mongo.database()])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{pg_url}: {stderr}");
        assert!(
            stderr.contains(expected),
            "{pg_url}: expected `{expected}` in: {stderr}"
        );
    }
    let exists: i64 = {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        diesel::sql_query(format!(
            "SELECT count(*) AS n FROM pg_database WHERE datname = '{missing_name}'"
        ))
        .get_result::<N>(&mut f.pg.connect())
        .unwrap()
        .n
    };
    assert_eq!(exists, 0, "--no-setup created the database");

    // A mistyped MongoDB database is not created.
    let typo = format!("{}x", f.mongo.database());
    let output = example(&["--no-setup", "--database-url", f.pg.url()])
        .args(["--mongodb-uri", f.mongo.uri(), "--mongodb-database", &typo])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("MongoDB database {typo} does not exist")),
        "{stderr}"
    );
    let names = f.mongo.client().list_database_names().run().unwrap();
    assert!(!names.contains(&typo), "--no-setup created {typo}");

    // A missing table is named, and nothing is written.
    sql(&f.pg, "DROP TABLE ventes_mois_version");
    let output = example(&["--no-setup", "--database-url", f.pg.url()])
        .args(["--mongodb-uri", f.mongo.uri(), "--mongodb-database", f.mongo.database()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("table ventes_mois_version is missing"), "{stderr}");

    assert_eq!(contents(&f.store), before);
    assert_eq!(f.store.runs().unwrap().len(), journal);
}

/// A MongoDB-compatible server of the test's own, on a free loopback port.
struct OwnServer {
    child: Child,
    port: u16,
    storage: PathBuf,
}

impl OwnServer {
    fn start(port: u16, storage: &Path) -> Self {
        let binary = which("secantusd-rs").unwrap_or_else(|| {
            panic!(
                "secantusd-rs is required for the retry test: `cargo install secantus-mdb --version =0.5.3-beta.196 \
                 --ignore-rust-version --locked` (scripts/services.sh does it)"
            )
        });
        let child = Command::new(binary)
            .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--storage-path"])
            .arg(storage)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "secantusd-rs did not listen on port {port} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Self {
            child,
            port,
            storage: storage.to_owned(),
        }
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn which(name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(Path::new(&home).join(".cargo/bin"));
    }
    dirs.into_iter().map(|d| d.join(name)).find(|p| p.is_file())
}

/// Stops the server when the aggregates start loading and restarts it
/// three seconds later, on another thread.
struct RestartServer {
    server: Option<OwnServer>,
    restarted: Option<std::thread::JoinHandle<OwnServer>>,
}

impl Observer for RestartServer {
    fn stage_started(&mut self, stage: Stage, _total: Option<u64>) {
        if stage == Stage::LoadAggregates
            && let Some(mut server) = self.server.take()
        {
            server.stop();
            let (port, storage) = (server.port, server.storage.clone());
            std::mem::forget(server);
            self.restarted = Some(std::thread::spawn(move || {
                std::thread::sleep(Duration::from_secs(3));
                OwnServer::start(port, &storage)
            }));
        }
    }
}

#[test]
fn transient_mongodb_outage_is_retried() {
    let pg = TestPostgres::create();
    let mut repo = PgRepository::connect(pg.url()).unwrap();
    repo.run_migrations().unwrap();
    let config = GeneratorConfig {
        rows: 5_000,
        seed: 3,
        ..GeneratorConfig::default()
    };
    seed_database(&mut repo, &config, |_| {}).unwrap();

    let storage = std::env::temp_dir().join(agrisales_testkit::unique_name("agrisales-retry"));
    std::fs::create_dir_all(&storage).unwrap();
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = OwnServer::start(port, &storage);
    let uri = format!("mongodb://127.0.0.1:{port}/?serverSelectionTimeoutMS=1000&connectTimeoutMS=1000");
    let mut store = MongoStore::connect(&uri, "retry_test").unwrap();

    let mut observer = RestartServer {
        server: Some(server),
        restarted: None,
    };
    let started = Instant::now();
    let report = run_job(&mut repo, &mut store, &job(RunMode::Full), &mut observer);
    let server = observer.restarted.take().map(|h| h.join().unwrap());
    let report = report.unwrap_or_else(|e| panic!("the run did not survive the outage: {e}"));
    assert!(started.elapsed() >= Duration::from_secs(3), "the outage was not hit");
    assert_eq!(report.etl.sales_read, 5_000);

    let journal = store.runs().unwrap();
    assert_eq!(journal.last().map(|r| r.status), Some(RunStatus::Succeeded));
    let reference_mongo = TestMongo::create();
    let mut reference = MongoStore::connect(reference_mongo.uri(), reference_mongo.database()).unwrap();
    run_job(&mut repo, &mut reference, &job(RunMode::Full), &mut Silent).unwrap();
    assert!(
        contents(&store) == contents(&reference),
        "documents differ after the outage"
    );

    drop(server);
    let _ = std::fs::remove_dir_all(&storage);
}

fn example(args: &[&str]) -> Command {
    let mut command = Command::new(example_path("etl"));
    command.args(args);
    command
}

/// A small deterministic generator, so a failing iteration can be replayed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}
