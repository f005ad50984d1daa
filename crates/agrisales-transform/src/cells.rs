//! The hot loop shared by both consumers: exact sums of quantity and
//! sale counts per (month, product, region), folded at the end into the
//! cells a consumer chose, with revenue.
//!
//! The hot grid has one 16-byte cell per (month, product, region): with
//! the generator's catalogue, 36 months × 42 products × 13 regions, 314
//! KB, which stays in a core's L2 cache. Two small table loads give a
//! sale's column, and the sale costs two additions, without hashing and
//! without a multiplication.
//!
//! Revenue is price × quantity sum, computed once per cell when the hot
//! cells fold into the consumer's totals. The consumer's [`Layout`] has
//! one cell per (region, category) for
//! [`MonthlyAggregator`](crate::MonthlyAggregator), and one per (product,
//! region) for [`SeriesBuilder`](crate::SeriesBuilder).
//!
//! Before its pass, a block's months get rows in the grid (a vectorized
//! minimum and maximum), so the hot loop stops only at a bad sale.
//!
//! Exactness: sums run in `i64` ("hot" cells, wrapping arithmetic) and
//! move into `i128` totals before they could overflow. After each block
//! of sales the grid bounds what the hot cells may hold since the last
//! move: Σ (block sales × largest |quantity| in the block). While that
//! bound stays below 2⁶³, no hot sum can have wrapped. When a block would
//! pass it, the block is undone (wrapping subtraction restores the cells
//! exactly), the hot cells move into the totals and the block runs
//! again. A block that alone passes the bound (16,384 sales above 5.6 ×
//! 10¹⁴ thousandths) goes through an `i128` path. With every lot below
//! 2 × 10⁷ thousandths, as in generated data, the bound passes 2⁶³ after
//! 4.6 × 10¹¹ sales at the earliest, so the move is that rare.

use agrisales_domain::SaleColumns;

use crate::TransformError;
use crate::index::Positions;

/// Largest month ordinal a sale may carry: December 9999, the last month
/// [`YearMonth`](agrisales_domain::YearMonth) represents.
const MAX_ORDINAL: i32 = 9999 * 12 + 11;

/// Months added beyond the need when the grid grows, so that sales sorted
/// by date make the grid grow once a year instead of once a month.
const GROWTH_MARGIN: i32 = 12;

/// Largest id span (highest id − lowest id + 1) of the dense id tables,
/// 4 bytes per id of the span (4 MiB). Wider spans use the hash indexes.
const MAX_DENSE_SPAN: i64 = 1 << 20;

/// Part of an unknown id in the dense tables. Two of them add up to at
/// least `MAX_CELLS`, past any hot grid, so an unknown id sends the hot
/// loop to its slow path without a test of its own. The sum fits a
/// 32-bit `usize`.
const NO_PART: u32 = 1 << 30;

/// Most cells a hot grid may have (16 GiB of them): keeps every valid
/// index below `NO_PART`.
const MAX_CELLS: usize = 1 << 30;

/// Sales per block between two overflow checks.
const BLOCK_ROWS: usize = 1 << 14;

/// Each thread of a parallel push gets at least this many sales: below
/// it, spawning a thread and merging its grid (tens of microseconds) cost
/// more than the thread saves.
pub(crate) const MIN_ROWS_PER_THREAD: usize = 1 << 17;

/// Sums of one (month, product, region) since the last move into the
/// totals, in wrapping `i64` arithmetic (exact while the grid's bound
/// holds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Hot {
    quantity: i64,
    count: u64,
}

/// Exact sums of one consumer cell: quantity in thousandths, revenue in
/// units of quantity × price (10⁻⁵ € for cents), number of sales.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Total {
    pub(crate) quantity: i128,
    pub(crate) revenue: i128,
    pub(crate) count: u64,
}

impl Total {
    fn add(&mut self, other: &Total) {
        self.quantity += other.quantity;
        self.revenue += other.revenue;
        self.count += other.count;
    }
}

/// Resolves a sale's (product id, region id) to its column in the hot
/// grid: `product position × regions + region position`. An unknown id
/// gives a column of at least `NO_PART`, which no grid has.
trait Lookup: Sync {
    fn column(&self, product_id: i32, region_id: i32) -> usize;
}

/// Tables indexed by id − lowest id, holding each id's part of the
/// column: one load per id. Built when the id ranges are compact, as
/// database sequences make them.
#[derive(Debug, Clone)]
struct DenseParts {
    product_offset: i32,
    region_offset: i32,
    product_part: Vec<u32>,
    region_part: Vec<u32>,
}

impl DenseParts {
    fn new(positions: &Positions, regions: usize) -> Option<Self> {
        let (product_offset, product_part) =
            dense_table(positions.product_id_range()?, |id| positions.product(id), regions)?;
        let (region_offset, region_part) = dense_table(positions.region_id_range()?, |id| positions.region(id), 1)?;
        Some(Self {
            product_offset,
            region_offset,
            product_part,
            region_part,
        })
    }
}

/// Builds the table of `position(id) × scale` for ids `low..=high`,
/// with `NO_PART` for ids without a position. Returns `None` when the
/// span is too wide.
fn dense_table(
    (low, high): (i32, i32),
    position: impl Fn(i32) -> Option<usize>,
    scale: usize,
) -> Option<(i32, Vec<u32>)> {
    if i64::from(high) - i64::from(low) + 1 > MAX_DENSE_SPAN {
        return None;
    }
    let table = (low..=high)
        .map(|id| position(id).map_or(NO_PART, |p| (p * scale) as u32))
        .collect();
    Some((low, table))
}

impl Lookup for DenseParts {
    #[inline(always)]
    fn column(&self, product_id: i32, region_id: i32) -> usize {
        // A negative difference becomes a huge index, which `get` rejects.
        let product = product_id.wrapping_sub(self.product_offset) as u32 as usize;
        let region = region_id.wrapping_sub(self.region_offset) as u32 as usize;
        let product = self.product_part.get(product).copied().unwrap_or(NO_PART);
        let region = self.region_part.get(region).copied().unwrap_or(NO_PART);
        product as usize + region as usize
    }
}

/// Hash lookups of both ids, for ids spread too wide for dense tables.
#[derive(Debug, Clone)]
struct SparseParts {
    positions: Positions,
    regions: usize,
}

impl Lookup for SparseParts {
    #[inline(always)]
    fn column(&self, product_id: i32, region_id: i32) -> usize {
        match (self.positions.product(product_id), self.positions.region(region_id)) {
            (Some(p), Some(r)) => p * self.regions + r,
            _ => NO_PART as usize,
        }
    }
}

/// Consumer cells: the cell of (product position, region position) is
/// `product_part[p] + region_part[r]`, and `price` contains each product's
/// price (0 when revenue is not wanted).
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub(crate) product_part: Vec<u32>,
    pub(crate) region_part: Vec<u32>,
    pub(crate) price: Vec<i64>,
    /// Number of cells per month.
    pub(crate) width: usize,
}

/// Destination of a hot column's sums: its consumer cell and the price
/// its quantity is multiplied by.
#[derive(Debug, Clone, Copy)]
struct Fold {
    cell: u32,
    price: i64,
}

/// The id lookups and the fold of an engine: built once, shared by its
/// threads.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    sparse: SparseParts,
    dense: Option<DenseParts>,
    /// One entry per hot column (product × regions + region).
    fold: Vec<Fold>,
    /// Cells per month of the consumer.
    width: usize,
}

impl Keys {
    /// Fails when the hot grid would not have room for one month.
    pub(crate) fn new(positions: Positions, layout: Layout) -> Result<Self, TransformError> {
        let (products, regions) = (layout.product_part.len(), layout.region_part.len());
        let columns = products.saturating_mul(regions);
        if columns > MAX_CELLS {
            return Err(TransformError::TooManyCells { months: 1, columns });
        }
        let mut fold = Vec::with_capacity(columns);
        for (product_part, price) in layout.product_part.iter().zip(&layout.price) {
            for region_part in &layout.region_part {
                fold.push(Fold {
                    cell: product_part + region_part,
                    price: *price,
                });
            }
        }
        Ok(Self {
            dense: DenseParts::new(&positions, regions),
            sparse: SparseParts { positions, regions },
            fold,
            width: layout.width,
        })
    }

    /// Cells per month of the consumer.
    pub(crate) fn width(&self) -> usize {
        self.width
    }

    /// Hot columns per month: products × regions.
    fn columns(&self) -> usize {
        self.fold.len()
    }

    /// Returns the error for a sale whose ids did not resolve, or `None`
    /// when both ids are known.
    fn unknown_id(&self, row: usize, product_id: i32, region_id: i32) -> Option<TransformError> {
        let positions = &self.sparse.positions;
        if positions.product(product_id).is_none() {
            return Some(TransformError::UnknownProduct { row, product_id });
        }
        if positions.region(region_id).is_none() {
            return Some(TransformError::UnknownRegion { row, region_id });
        }
        None
    }
}

/// Sums per month, growing to cover new months: hot cells per (product,
/// region), totals per consumer cell.
#[derive(Debug, Clone)]
pub(crate) struct CellGrid {
    /// Ordinal of the month of row 0; meaningless while `months` is 0.
    first: i32,
    months: usize,
    /// Hot cells per month: products × regions.
    columns: usize,
    /// Consumer cells per month.
    width: usize,
    hot: Vec<Hot>,
    totals: Vec<Total>,
    /// Bound on |any hot sum| since the last move into `totals`.
    hot_bound: u128,
    /// Threads a large push may use; 1 keeps everything on the caller's.
    threads: usize,
    /// Fewest sales per thread; `MIN_ROWS_PER_THREAD` except in tests.
    min_rows_per_thread: usize,
    /// Sales per overflow check; `BLOCK_ROWS` except in tests.
    block_rows: usize,
}

impl CellGrid {
    pub(crate) fn new(keys: &Keys) -> Self {
        Self {
            threads: default_threads(),
            ..Self::local(keys, BLOCK_ROWS)
        }
    }

    /// A grid for one thread of a parallel push; it never spawns threads
    /// itself, so it skips asking the system for its parallelism.
    fn local(keys: &Keys, block_rows: usize) -> Self {
        Self {
            first: 0,
            months: 0,
            columns: keys.columns(),
            width: keys.width(),
            hot: Vec::new(),
            totals: Vec::new(),
            hot_bound: 0,
            threads: 1,
            min_rows_per_thread: MIN_ROWS_PER_THREAD,
            block_rows,
        }
    }

    pub(crate) fn threads(&self) -> usize {
        self.threads
    }

    pub(crate) fn set_threads(&mut self, threads: usize) {
        self.threads = threads.max(1);
    }

    /// Lets tests split small chunks between threads.
    #[cfg(test)]
    pub(crate) fn set_min_rows_per_thread(&mut self, rows: usize) {
        self.min_rows_per_thread = rows.max(1);
    }

    /// Lets tests check for overflow after a few sales.
    #[cfg(test)]
    pub(crate) fn set_block_rows(&mut self, rows: usize) {
        self.block_rows = rows.max(1);
    }

    /// Ordinal of the first row's month; meaningless when `months` is 0.
    pub(crate) fn first(&self) -> i32 {
        self.first
    }

    /// Number of month rows (some may have no sale).
    pub(crate) fn months(&self) -> usize {
        self.months
    }

    /// Folds the hot sums into the totals, revenue included; call before
    /// reading them. `keys` must be those the grid was built with.
    pub(crate) fn settle(&mut self, keys: &Keys) {
        if self.hot_bound == 0 {
            return;
        }
        for (hot_row, total_row) in self
            .hot
            .chunks_exact_mut(self.columns)
            .zip(self.totals.chunks_exact_mut(self.width))
        {
            for (hot, fold) in hot_row.iter_mut().zip(&keys.fold) {
                if hot.count == 0 && hot.quantity == 0 {
                    continue;
                }
                let total = &mut total_row[fold.cell as usize];
                total.quantity += i128::from(hot.quantity);
                total.revenue += i128::from(hot.quantity) * i128::from(fold.price);
                total.count += hot.count;
                *hot = Hot::default();
            }
        }
        self.hot_bound = 0;
    }

    /// The exact totals of row `row` (month `first + row`); call
    /// [`CellGrid::settle`] first.
    pub(crate) fn row(&self, row: usize) -> &[Total] {
        &self.totals[row * self.width..(row + 1) * self.width]
    }

    /// Rows that hold at least one sale: `(first, last)`, or `None`.
    pub(crate) fn used_rows(&self) -> Option<(usize, usize)> {
        let used = |row: &usize| {
            let totals = &self.totals[row * self.width..(row + 1) * self.width];
            let hot = &self.hot[row * self.columns..(row + 1) * self.columns];
            totals.iter().any(|c| c.count > 0) || hot.iter().any(|c| c.count > 0)
        };
        let first = (0..self.months).find(used)?;
        let last = (0..self.months).rev().find(used)?;
        Some((first, last))
    }

    /// Adds every sale of `chunk`; on error nothing of it is added.
    ///
    /// Chunks of at least `2 × min_rows_per_thread` sales are split
    /// between threads when more than one is allowed; each thread sums its
    /// rows into a grid of its own, and the grids are added at the end.
    pub(crate) fn push(&mut self, keys: &Keys, chunk: &SaleColumns) -> Result<(), TransformError> {
        check_lengths(chunk)?;
        let rows = chunk.len();
        let threads = self.threads.min(rows / self.min_rows_per_thread).max(1);
        if threads == 1 {
            return self.push_range(keys, chunk, 0, rows);
        }

        let bounds = |t: usize| (rows * t / threads, rows * (t + 1) / threads);
        let block_rows = self.block_rows;
        let partials: Vec<Result<CellGrid, TransformError>> = std::thread::scope(|scope| {
            let spawned: Vec<_> = (1..threads)
                .map(|t| {
                    let (low, high) = bounds(t);
                    scope.spawn(move || {
                        let mut local = CellGrid::local(keys, block_rows);
                        local.push_range(keys, chunk, low, high).map(|()| local)
                    })
                })
                .collect();
            let (low, high) = bounds(0);
            let mut local = CellGrid::local(keys, block_rows);
            let mut partials = vec![local.push_range(keys, chunk, low, high).map(|()| local)];
            for handle in spawned {
                // A panic in a worker is a bug: pass it on unchanged.
                partials.push(
                    handle
                        .join()
                        .unwrap_or_else(|payload| std::panic::resume_unwind(payload)),
                );
            }
            partials
        });

        // Partials are in row order, so the first error is the first bad row.
        let mut grids = Vec::with_capacity(partials.len());
        for partial in partials {
            grids.push(partial?);
        }
        for grid in &mut grids {
            self.merge(keys, grid)?;
        }
        Ok(())
    }

    /// Adds rows `low..high` of `chunk` on the calling thread; on error
    /// nothing of them is added.
    fn push_range(&mut self, keys: &Keys, chunk: &SaleColumns, low: usize, high: usize) -> Result<(), TransformError> {
        match &keys.dense {
            Some(dense) => self.push_blocks(dense, keys, chunk, low, high),
            None => self.push_blocks(&keys.sparse, keys, chunk, low, high),
        }
    }

    fn push_blocks<L: Lookup>(
        &mut self,
        lookup: &L,
        keys: &Keys,
        chunk: &SaleColumns,
        low: usize,
        high: usize,
    ) -> Result<(), TransformError> {
        let mut start = low;
        while start < high {
            let end = (start + self.block_rows).min(high);
            let block = Columns::of(chunk, start, end);

            // Every valid month of the block gets a row first, so the hot
            // loop stops only at errors. The scan also brings the month
            // column into the cache for the loop.
            let covered = match valid_month_bounds(block.month) {
                Some((min, max)) => self.cover(min, max, GROWTH_MARGIN),
                None => Ok(()),
            };
            let passed = match covered {
                Ok(()) => self.pass::<L, false>(lookup, keys, &block, start),
                Err(error) => Err((start, error)),
            };
            let max_abs = match passed {
                Ok(max_abs) => max_abs,
                Err((stop, error)) => {
                    // Undo this block's rows before the bad one, then the
                    // earlier blocks of this push, exactly, in the totals.
                    self.undo(lookup, &Columns::of(chunk, start, stop));
                    self.settle(keys);
                    self.exact_pass(lookup, keys, &Columns::of(chunk, low, start), -1);
                    return Err(error);
                }
            };

            // At least 1 per sale, so that sales of quantity 0 still mark
            // the hot cells (their counts) as needing a fold.
            let block_bound = (end - start) as u128 * u128::from(max_abs.max(1));
            if self.hot_bound + block_bound > i64::MAX as u128 {
                self.undo(lookup, &block);
                self.settle(keys);
                if block_bound <= i64::MAX as u128 {
                    // The same sales, which just went through without error.
                    let _ = self.pass::<L, false>(lookup, keys, &block, start);
                    self.hot_bound = block_bound;
                } else {
                    self.exact_pass(lookup, keys, &block, 1);
                }
            } else {
                self.hot_bound += block_bound;
            }
            start = end;
        }
        Ok(())
    }

    /// Adds one block's sales to the hot cells and returns their largest
    /// |quantity|, or stops at the first sale with an unknown id or an
    /// invalid month and returns it (its row in the chunk, from `offset`)
    /// with the error; the sales before it stay added.
    fn pass<L: Lookup, const UNDO: bool>(
        &mut self,
        lookup: &L,
        keys: &Keys,
        block: &Columns<'_>,
        offset: usize,
    ) -> Result<u64, (usize, TransformError)> {
        let run = hot_run::<L, UNDO>(&mut self.hot, lookup, self.first, self.months, self.columns, block);
        match run.stop {
            None => Ok(run.max_abs),
            Some(stop) => {
                let at = offset + stop;
                Err((
                    at,
                    stop_error(
                        keys,
                        at,
                        block.product_id[stop],
                        block.region_id[stop],
                        block.month[stop],
                    ),
                ))
            }
        }
    }

    /// Removes sales that an earlier [`CellGrid::pass`] added to the hot
    /// cells; wrapping subtraction restores them exactly.
    fn undo<L: Lookup>(&mut self, lookup: &L, block: &Columns<'_>) {
        // Every sale of `block` was added, so the run goes to the end.
        let _ = hot_run::<L, true>(&mut self.hot, lookup, self.first, self.months, self.columns, block);
    }

    /// Adds (`sign` 1) or removes (−1) sales straight into the exact
    /// totals, skipping those the grid cannot hold: for rare cases only.
    fn exact_pass<L: Lookup>(&mut self, lookup: &L, keys: &Keys, block: &Columns<'_>, sign: i128) {
        for (((&product_id, &region_id), &month), &milli) in block.iter() {
            let Some(fold) = keys.fold.get(lookup.column(product_id, region_id)) else {
                continue;
            };
            let row = month.wrapping_sub(self.first);
            if !(0..self.months as i32).contains(&row) {
                continue;
            }
            let cell = &mut self.totals[row as usize * self.width + fold.cell as usize];
            cell.quantity += sign * i128::from(milli);
            cell.revenue += sign * i128::from(milli) * i128::from(fold.price);
            cell.count = if sign > 0 { cell.count + 1 } else { cell.count - 1 };
        }
    }

    /// Grows the grid so that months `min..=max` have rows, adding
    /// `margin` more months on each side that grows. Fails, leaving the
    /// grid as it was, when the hot grid would pass `MAX_CELLS`.
    fn cover(&mut self, min: i32, max: i32, margin: i32) -> Result<(), TransformError> {
        let (new_first, new_last) = if self.months == 0 {
            (min, max)
        } else {
            let last = self.first + self.months as i32 - 1;
            let new_first = if min < self.first { min - margin } else { self.first };
            let new_last = if max > last { max + margin } else { last };
            if new_first == self.first && new_last == last {
                return Ok(());
            }
            (new_first, new_last)
        };
        let new_first = new_first.max(0);
        let new_last = new_last.min(MAX_ORDINAL);
        let months = (new_last - new_first + 1) as usize;
        if months.saturating_mul(self.columns) > MAX_CELLS {
            return Err(TransformError::TooManyCells {
                months,
                columns: self.columns,
            });
        }

        let mut hot = vec![Hot::default(); months * self.columns];
        let mut totals = vec![Total::default(); months * self.width];
        if self.months > 0 {
            let shift = (self.first - new_first) as usize;
            hot[shift * self.columns..][..self.hot.len()].copy_from_slice(&self.hot);
            totals[shift * self.width..][..self.totals.len()].copy_from_slice(&self.totals);
        }
        self.first = new_first;
        self.months = months;
        self.hot = hot;
        self.totals = totals;
        Ok(())
    }

    /// Adds the sums of `other`, built with the same keys; on error (the
    /// grid would pass `MAX_CELLS`) nothing is added.
    pub(crate) fn merge(&mut self, keys: &Keys, other: &mut CellGrid) -> Result<(), TransformError> {
        if other.months == 0 {
            return Ok(());
        }
        other.settle(keys);
        self.cover(other.first, other.first + other.months as i32 - 1, 0)?;
        let offset = (other.first - self.first) as usize * self.width;
        for (mine, theirs) in self.totals[offset..offset + other.totals.len()]
            .iter_mut()
            .zip(&other.totals)
        {
            mine.add(theirs);
        }
        Ok(())
    }
}

/// Outcome of [`hot_run`]: where it stopped and the largest |quantity| it
/// added.
struct Run {
    /// Index in the block of the sale it could not add, `None` at the end.
    stop: Option<usize>,
    max_abs: u64,
}

/// Adds (or removes, when `UNDO`) the sales of `block` to the hot cells
/// until one has an unknown id or a month outside the grid. This is the
/// hot loop: it makes no call and handles no error, so that its state
/// stays in registers.
#[inline(always)]
fn hot_run<L: Lookup, const UNDO: bool>(
    hot: &mut [Hot],
    lookup: &L,
    first: i32,
    months: usize,
    columns: usize,
    block: &Columns<'_>,
) -> Run {
    let months = months as u32;
    let mut max_abs = 0_u64;
    for (i, (((&product_id, &region_id), &month), &milli)) in block.iter().enumerate() {
        let column = lookup.column(product_id, region_id);
        let row = month.wrapping_sub(first) as u32;
        // An unknown id's column is past the grid whatever the row.
        let cell = if row < months {
            hot.get_mut(row as usize * columns + column)
        } else {
            None
        };
        let Some(cell) = cell else {
            return Run { stop: Some(i), max_abs };
        };
        if UNDO {
            cell.quantity = cell.quantity.wrapping_sub(milli);
            cell.count = cell.count.wrapping_sub(1);
        } else {
            cell.quantity = cell.quantity.wrapping_add(milli);
            cell.count = cell.count.wrapping_add(1);
        }
        max_abs = max_abs.max(milli.unsigned_abs());
    }
    Run { stop: None, max_abs }
}

/// The error of a sale the hot loop stopped at. The grid covers every
/// valid month of a block before its pass, so when both ids are known
/// the month is out of range.
#[cold]
#[inline(never)]
fn stop_error(keys: &Keys, at: usize, product_id: i32, region_id: i32, month: i32) -> TransformError {
    keys.unknown_id(at, product_id, region_id)
        .unwrap_or(TransformError::MonthOutOfRange { row: at, month })
}

/// The four columns of rows `low..high`, sliced once so the hot loop has
/// no bounds checks on them.
struct Columns<'a> {
    product_id: &'a [i32],
    region_id: &'a [i32],
    month: &'a [i32],
    quantity_milli: &'a [i64],
}

impl<'a> Columns<'a> {
    fn of(chunk: &'a SaleColumns, low: usize, high: usize) -> Self {
        Self {
            product_id: &chunk.product_id[low..high],
            region_id: &chunk.region_id[low..high],
            month: &chunk.month[low..high],
            quantity_milli: &chunk.quantity_milli[low..high],
        }
    }

    #[allow(clippy::type_complexity)]
    fn iter(&self) -> impl Iterator<Item = (((&'a i32, &'a i32), &'a i32), &'a i64)> + use<'a> {
        self.product_id
            .iter()
            .zip(self.region_id)
            .zip(self.month)
            .zip(self.quantity_milli)
    }
}

pub(crate) fn check_lengths(chunk: &SaleColumns) -> Result<(), TransformError> {
    let n = chunk.product_id.len();
    if chunk.region_id.len() != n || chunk.month.len() != n || chunk.quantity_milli.len() != n {
        return Err(TransformError::RaggedChunk(format!(
            "product_id={} region_id={} month={} quantity_milli={}",
            n,
            chunk.region_id.len(),
            chunk.month.len(),
            chunk.quantity_milli.len()
        )));
    }
    Ok(())
}

/// Lowest and highest month of `months` that a grid can hold, or `None`
/// when there is none.
fn valid_month_bounds(months: &[i32]) -> Option<(i32, i32)> {
    // A plain minimum and maximum vectorize; filtering is for the rare
    // block with an invalid month.
    let valid = 0..=MAX_ORDINAL;
    let (min, max) = bounds(months.iter().copied())?;
    if valid.contains(&min) && valid.contains(&max) {
        return Some((min, max));
    }
    bounds(months.iter().copied().filter(|m| valid.contains(m)))
}

fn bounds(months: impl Iterator<Item = i32>) -> Option<(i32, i32)> {
    let (min, max) = months.fold((i32::MAX, i32::MIN), |(lo, hi), m| (lo.min(m), hi.max(m)));
    (min <= max).then_some((min, max))
}

/// Threads a large push uses by default: the machine's parallelism.
fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_bounds_skip_invalid_months() {
        assert_eq!(valid_month_bounds(&[5, -1, 3, MAX_ORDINAL + 1]), Some((3, 5)));
        assert_eq!(valid_month_bounds(&[-1]), None);
        assert_eq!(valid_month_bounds(&[]), None);
    }
}
