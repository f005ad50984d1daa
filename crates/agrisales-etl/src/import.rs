//! CSV import into PostgreSQL: reads the files with `agrisales-import`,
//! checks them against the database's reference data and loads the
//! accepted rows in batches, each in its own transaction.
//!
//! Every row read ends either accepted (inserted now, or already present
//! from an earlier import) or rejected with a reason, so
//! `read = accepted + rejected` for each kind and in total. A re-import
//! of the same files inserts nothing: rows with an id match by id,
//! regions and products by name, sales without id by their natural key
//! (kept in `import_cles_ventes`). Existing rows are never updated: a row
//! whose id or name exists with other values is rejected
//! (`conflicts_with_database`).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use agrisales_domain::{NewProduct, NewRegion, NewSale, Product, Region};
use agrisales_import::{
    FileReport, ImportError, Kind, Located, Mapping, ProductRecord, RegionRecord, Reject, RejectReason, SaleRecord,
    derive_products, read_products, read_regions, read_sales, resolve_sales,
};
use agrisales_postgres::{PgError, PgRepository};
use thiserror::Error;

/// Errors that stop an import. Row problems are never errors: they are
/// rejects in the [`ImportReport`].
#[derive(Debug, Error)]
pub enum ImportRunError {
    /// A file could not be read or its header mapped; nothing was loaded.
    #[error(transparent)]
    Read(#[from] ImportError),
    /// PostgreSQL failed; batches committed before the failure stay, and
    /// running the same import again completes it without duplicates.
    #[error(transparent)]
    Postgres(#[from] PgError),
}

/// Files to import.
#[derive(Debug, Clone, Default)]
pub struct ImportInputs {
    /// Region files, loaded first.
    pub regions: Vec<PathBuf>,
    /// Product files, loaded second.
    pub products: Vec<PathBuf>,
    /// Sale files, loaded last.
    pub sales: Vec<PathBuf>,
    /// The column mapping; without it files use the tables' column names.
    pub mapping: Option<Mapping>,
    /// Rows per transaction when loading sales; 0 means 10,000.
    pub batch_rows: usize,
}

/// Counts of one kind of file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KindReport {
    /// Files read.
    pub files: u64,
    /// Rows read.
    pub read: u64,
    /// Accepted rows inserted by this import.
    pub inserted: u64,
    /// Accepted rows that an earlier import had already inserted.
    pub already_present: u64,
    /// Rejected rows by reason.
    pub rejected: BTreeMap<RejectReason, u64>,
}

impl KindReport {
    /// Accepted rows: inserted or already present.
    pub fn accepted(&self) -> u64 {
        self.inserted + self.already_present
    }

    /// Rejected rows.
    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().sum()
    }
}

/// The outcome of [`import_files`].
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    /// Counts per kind, in load order.
    pub kinds: BTreeMap<Kind, KindReport>,
    /// Every rejected row.
    pub rejects: Vec<Reject>,
    /// Products created from sale files by the mapping's `new_products`.
    pub created_products: Vec<Product>,
}

impl ImportReport {
    /// Rows read, all kinds.
    pub fn read(&self) -> u64 {
        self.kinds.values().map(|k| k.read).sum()
    }

    /// Rows accepted, all kinds.
    pub fn accepted(&self) -> u64 {
        self.kinds.values().map(KindReport::accepted).sum()
    }

    /// Rows rejected, all kinds.
    pub fn rejected(&self) -> u64 {
        self.kinds.values().map(KindReport::rejected_total).sum()
    }
}

/// Receives the progress of an import.
pub trait ImportObserver {
    /// A file was read.
    fn file_read(&mut self, _kind: Kind, _path: &Path, _report: &FileReport) {}
    /// Loading of `kind` starts with `total` accepted rows to write.
    fn load_started(&mut self, _kind: Kind, _total: u64) {}
    /// `done` rows of `kind` are written.
    fn loaded(&mut self, _kind: Kind, _done: u64) {}
    /// Loading of `kind` is over.
    fn load_finished(&mut self, _kind: Kind) {}
}

/// An observer that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct QuietImport;

impl ImportObserver for QuietImport {}

/// Imports regions, then products, then sales. Every file is read and
/// its header checked before anything is written, so a refused file
/// leaves the database untouched. Then the identity sequences move past
/// the imported ids.
pub fn import_files(
    repo: &mut PgRepository,
    inputs: &ImportInputs,
    observer: &mut dyn ImportObserver,
) -> Result<ImportReport, ImportRunError> {
    let mapping = inputs.mapping.as_ref();
    let regions = read_regions(&inputs.regions, mapping, |p, r| observer.file_read(Kind::Regions, p, r))?;
    let products = read_products(&inputs.products, mapping, |p, r| {
        observer.file_read(Kind::Products, p, r)
    })?;
    let sales = read_sales(&inputs.sales, mapping, |p, r| observer.file_read(Kind::Sales, p, r))?;

    let mut report = ImportReport::default();
    for (kind, files, read, rejects) in [
        (Kind::Regions, inputs.regions.len(), regions.read, &regions.rejects),
        (Kind::Products, inputs.products.len(), products.read, &products.rejects),
        (Kind::Sales, inputs.sales.len(), sales.read, &sales.rejects),
    ] {
        if files > 0 {
            let entry = report.kinds.entry(kind).or_default();
            entry.files = files as u64;
            entry.read = read;
            report.rejects.extend(rejects.iter().cloned());
        }
    }

    load_regions(repo, regions.rows, &mut report, observer)?;
    load_products(repo, products.rows, &mut report, observer)?;

    let new_products = mapping
        .and_then(|m| m.ventes.as_ref())
        .and_then(|v| v.new_products.as_ref());
    if let Some(spec) = new_products {
        let known = repo.products()?;
        let missing: Vec<NewProduct> = derive_products(&sales.rows, &known, spec);
        if !missing.is_empty() {
            report.created_products = repo.transaction(|repo| repo.insert_products(&missing))?;
            tracing::info!(count = missing.len(), "created products named by sale files");
        }
    }

    let (ready, unknown) = resolve_sales(sales.rows, &repo.regions()?, &repo.products()?);
    report.rejects.extend(unknown);
    load_sales(repo, ready, inputs.batch_rows, &mut report, observer)?;

    repo.advance_identity_sequences()?;
    for reject in &report.rejects {
        if let Some(kind) = kind_of(reject, inputs) {
            *report
                .kinds
                .entry(kind)
                .or_default()
                .rejected
                .entry(reject.reason)
                .or_default() += 1;
        }
    }
    Ok(report)
}

/// Which kind a reject belongs to, from its file.
fn kind_of(reject: &Reject, inputs: &ImportInputs) -> Option<Kind> {
    let named = |files: &[PathBuf]| files.iter().any(|f| f.display().to_string() == reject.file);
    if named(&inputs.sales) {
        Some(Kind::Sales)
    } else if named(&inputs.products) {
        Some(Kind::Products)
    } else if named(&inputs.regions) {
        Some(Kind::Regions)
    } else {
        None
    }
}

fn load_regions(
    repo: &mut PgRepository,
    rows: Vec<Located<RegionRecord>>,
    report: &mut ImportReport,
    observer: &mut dyn ImportObserver,
) -> Result<(), ImportRunError> {
    if rows.is_empty() {
        return Ok(());
    }
    observer.load_started(Kind::Regions, rows.len() as u64);
    let (inserted, present, rejects) = repo.transaction(|repo| -> Result<_, PgError> {
        let existing = repo.regions()?;
        let by_id: HashMap<i32, &Region> = existing.iter().map(|r| (r.id, r)).collect();
        let by_name: HashMap<&str, &Region> = existing.iter().map(|r| (r.name.as_str(), r)).collect();
        let (mut with_ids, mut without_ids, mut present, mut rejects) = (Vec::new(), Vec::new(), 0, Vec::new());
        for row in &rows {
            let r = &row.record;
            let same = |e: &Region| e.name == r.name && e.population == r.population;
            let found =
                r.id.and_then(|id| by_id.get(&id))
                    .or_else(|| by_name.get(r.name.as_str()));
            match found {
                Some(e) if same(e) && r.id.is_none_or(|id| id == e.id) => present += 1,
                Some(e) => rejects.push(row.reject(
                    RejectReason::ConflictsWithDatabase,
                    format!(
                        "regions has id {} `{}` with population {}; the file gives {} `{}` with population {}",
                        e.id,
                        e.name,
                        e.population,
                        r.id.map_or("no id".to_owned(), |id| format!("id {id}")),
                        r.name,
                        r.population
                    ),
                )),
                None => match r.id {
                    Some(id) => with_ids.push(Region {
                        id,
                        name: r.name.clone(),
                        population: r.population,
                    }),
                    None => without_ids.push(NewRegion {
                        name: r.name.clone(),
                        population: r.population,
                    }),
                },
            }
        }
        let inserted = repo.insert_regions_with_ids(&with_ids)? + repo.insert_regions(&without_ids)?.len() as u64;
        Ok((inserted, present, rejects))
    })?;
    observer.loaded(Kind::Regions, rows.len() as u64);
    observer.load_finished(Kind::Regions);
    let entry = report.kinds.entry(Kind::Regions).or_default();
    entry.inserted += inserted;
    entry.already_present += present;
    report.rejects.extend(rejects);
    Ok(())
}

fn load_products(
    repo: &mut PgRepository,
    rows: Vec<Located<ProductRecord>>,
    report: &mut ImportReport,
    observer: &mut dyn ImportObserver,
) -> Result<(), ImportRunError> {
    if rows.is_empty() {
        return Ok(());
    }
    observer.load_started(Kind::Products, rows.len() as u64);
    let (inserted, present, rejects) = repo.transaction(|repo| -> Result<_, PgError> {
        let existing = repo.products()?;
        let by_id: HashMap<i32, &Product> = existing.iter().map(|p| (p.id, p)).collect();
        let by_name: HashMap<&str, &Product> = existing.iter().map(|p| (p.name.as_str(), p)).collect();
        let (mut with_ids, mut without_ids, mut present, mut rejects) = (Vec::new(), Vec::new(), 0, Vec::new());
        for row in &rows {
            let r = &row.record;
            let same = |e: &Product| e.name == r.name && e.category == r.category && e.unit_price == r.unit_price;
            let found =
                r.id.and_then(|id| by_id.get(&id))
                    .or_else(|| by_name.get(r.name.as_str()));
            match found {
                Some(e) if same(e) && r.id.is_none_or(|id| id == e.id) => present += 1,
                Some(e) => rejects.push(row.reject(
                    RejectReason::ConflictsWithDatabase,
                    format!(
                        "produits has id {} `{}` ({}, {}/kg); the file gives {} `{}` ({}, {}/kg)",
                        e.id,
                        e.name,
                        e.category,
                        e.unit_price,
                        r.id.map_or("no id".to_owned(), |id| format!("id {id}")),
                        r.name,
                        r.category,
                        r.unit_price
                    ),
                )),
                None => match r.id {
                    Some(id) => with_ids.push(Product {
                        id,
                        name: r.name.clone(),
                        category: r.category.clone(),
                        unit_price: r.unit_price,
                    }),
                    None => without_ids.push(NewProduct {
                        name: r.name.clone(),
                        category: r.category.clone(),
                        unit_price: r.unit_price,
                    }),
                },
            }
        }
        let inserted = repo.insert_products_with_ids(&with_ids)? + repo.insert_products(&without_ids)?.len() as u64;
        Ok((inserted, present, rejects))
    })?;
    observer.loaded(Kind::Products, rows.len() as u64);
    observer.load_finished(Kind::Products);
    let entry = report.kinds.entry(Kind::Products).or_default();
    entry.inserted += inserted;
    entry.already_present += present;
    report.rejects.extend(rejects);
    Ok(())
}

fn load_sales(
    repo: &mut PgRepository,
    ready: Vec<(Located<SaleRecord>, NewSale)>,
    batch_rows: usize,
    report: &mut ImportReport,
    observer: &mut dyn ImportObserver,
) -> Result<(), ImportRunError> {
    if ready.is_empty() {
        return Ok(());
    }
    let batch_rows = if batch_rows == 0 { 10_000 } else { batch_rows };
    observer.load_started(Kind::Sales, ready.len() as u64);
    let mut done = 0_u64;
    for batch in ready.chunks(batch_rows) {
        let (inserted, present, rejects) = repo.transaction(|repo| -> Result<_, PgError> {
            let mut rejects = Vec::new();
            let mut present = 0_u64;

            // Rows with an id: free ids are inserted, taken ids must hold the same sale.
            let with_ids: Vec<&(Located<SaleRecord>, NewSale)> =
                batch.iter().filter(|(row, _)| row.record.id.is_some()).collect();
            let ids: Vec<i64> = with_ids.iter().filter_map(|(row, _)| row.record.id).collect();
            let existing: HashMap<i64, NewSale> = repo.sales_by_ids(&ids)?.into_iter().collect();
            let mut to_insert = Vec::new();
            for (row, sale) in with_ids {
                let id = row.record.id.unwrap_or_default();
                match existing.get(&id) {
                    Some(e) if e == sale => present += 1,
                    Some(e) => rejects.push(row.reject(
                        RejectReason::ConflictsWithDatabase,
                        format!(
                            "ventes has id {id} as product {}, {} kg on {} in region {}",
                            e.product_id, e.quantity, e.date, e.region_id
                        ),
                    )),
                    None => to_insert.push((id, sale.clone())),
                }
            }
            let mut inserted = repo.insert_sales_with_ids(&to_insert)?;

            // Rows without id: by natural key.
            let keyed: Vec<(String, NewSale)> = batch
                .iter()
                .filter(|(row, _)| row.record.id.is_none())
                .map(|(row, sale)| (row.record.key.clone(), sale.clone()))
                .collect();
            let new_keys = repo.insert_keyed_sales(&keyed)?.len() as u64;
            inserted += new_keys;
            present += keyed.len() as u64 - new_keys;
            Ok((inserted, present, rejects))
        })?;
        done += batch.len() as u64;
        observer.loaded(Kind::Sales, done);
        let entry = report.kinds.entry(Kind::Sales).or_default();
        entry.inserted += inserted;
        entry.already_present += present;
        report.rejects.extend(rejects);
    }
    observer.load_finished(Kind::Sales);
    Ok(())
}
