//! The hot loop shared by both consumers: exact quantity sums and sale
//! counts per (month, product, region).
//!
//! Why (product, region) and not (region, category): revenue is
//! `quantité × prix_unitaire` and the price is fixed per product, so the
//! revenue of a cell is its price times its quantity sum. Summing
//! quantities per product saves a price lookup, a multiplication and a
//! 128-bit addition per sale; the consumers multiply and fold products
//! into categories once per cell in `finish`, exactly (see
//! [`Cell::quantity`]).
//!
//! The grid is a flat `Vec<Cell>`: row = month − `first`, column = product
//! position × regions + region position. With the generator's catalogue
//! (42 products, 13 regions, 36 months) it is 19,656 cells of 24 bytes,
//! about 470 KB, which stays in a core's L2 cache.

use agrisales_domain::SaleColumns;

use crate::TransformError;
use crate::index::Positions;

/// Largest month ordinal a sale may carry: December 9999, the last month
/// [`YearMonth`](agrisales_domain::YearMonth) represents.
const MAX_ORDINAL: i32 = 9999 * 12 + 11;

/// Months added beyond the need when the grid grows, so that sales sorted
/// by date make the grid grow once a year instead of once a month.
const GROWTH_MARGIN: i32 = 12;

/// The joint (product, region) lookup table is used when it has at most
/// this many entries (4 bytes each, so 256 KB); wider id ranges use two
/// separate lookups.
const MAX_JOINT_ENTRIES: usize = 1 << 16;

/// Each thread of a parallel push gets at least this many sales: below
/// it, spawning a thread and merging its grid (tens of microseconds) cost
/// more than the thread saves.
pub(crate) const MIN_ROWS_PER_THREAD: usize = 1 << 17;

/// Marks an unknown (product, region) pair in a lookup.
const NONE: u32 = u32::MAX;

/// Exact sum of quantities (thousandths) and number of sales of one cell.
///
/// The sum is an `i128` held as two words so that a cell is 24 bytes
/// instead of 32 (an `i128` field is 16-byte aligned). One sale adds a
/// sign-extended `i64`: an add with carry, as the compiler does for `i128`.
/// 2⁶⁴ sales of the largest `i64` cannot overflow it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Cell {
    low: u64,
    high: i64,
    count: u64,
}

impl Cell {
    #[inline(always)]
    fn add(&mut self, milli: i64) {
        let (low, carry) = self.low.overflowing_add(milli as u64);
        self.low = low;
        // Sign extension of `milli` (0 or -1) plus the carry.
        self.high = self.high.wrapping_add((milli >> 63) + i64::from(carry));
        self.count = self.count.wrapping_add(1);
    }

    /// Undoes [`Cell::add`] of the same value: wrapping arithmetic makes it
    /// exact whatever happened in between.
    #[inline(always)]
    fn sub(&mut self, milli: i64) {
        let (low, borrow) = self.low.overflowing_sub(milli as u64);
        self.low = low;
        self.high = self.high.wrapping_sub((milli >> 63) + i64::from(borrow));
        self.count = self.count.wrapping_sub(1);
    }

    fn merge(&mut self, other: &Cell) {
        let sum = self.quantity().wrapping_add(other.quantity());
        self.low = sum as u64;
        self.high = (sum >> 64) as i64;
        self.count = self.count.wrapping_add(other.count);
    }

    /// Exact sum of the quantities, in thousandths.
    pub(crate) fn quantity(&self) -> i128 {
        (i128::from(self.high) << 64) | i128::from(self.low)
    }

    /// Number of sales.
    pub(crate) fn count(&self) -> u64 {
        self.count
    }
}

/// Resolves a sale's (product id, region id) to its grid column, or
/// [`NONE`].
trait Lookup: Sync {
    fn key(&self, product_id: i32, region_id: i32) -> u32;
}

/// One table indexed by (product id − offset, region id − offset): one
/// load per sale. Built when the id ranges are compact, as database
/// sequences make them.
#[derive(Debug, Clone)]
struct JointTable {
    product_offset: i32,
    region_offset: i32,
    region_span: u32,
    table: Vec<u32>,
}

impl Lookup for JointTable {
    #[inline(always)]
    fn key(&self, product_id: i32, region_id: i32) -> u32 {
        let dp = product_id.wrapping_sub(self.product_offset) as u32;
        let dr = region_id.wrapping_sub(self.region_offset) as u32;
        if dr < self.region_span {
            // In usize, `dp × span` cannot wrap onto a valid entry, and
            // `get` rejects a `dp` beyond the product span.
            let slot = dp as usize * self.region_span as usize + dr as usize;
            self.table.get(slot).copied().unwrap_or(NONE)
        } else {
            NONE
        }
    }
}

impl Lookup for Positions {
    #[inline(always)]
    fn key(&self, product_id: i32, region_id: i32) -> u32 {
        match (self.product(product_id), self.region(region_id)) {
            (Some(p), Some(r)) => (p * self.region_count() + r) as u32,
            _ => NONE,
        }
    }
}

/// The id lookups of an engine: built once, shared by its threads.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    positions: Positions,
    joint: Option<JointTable>,
    /// Grid columns: products × regions.
    width: usize,
}

impl Keys {
    pub(crate) fn new(positions: Positions) -> Self {
        let width = positions.product_count() * positions.region_count();
        let joint = Self::joint_table(&positions);
        Self {
            positions,
            joint,
            width,
        }
    }

    fn joint_table(positions: &Positions) -> Option<JointTable> {
        let (p_low, p_high) = positions.product_id_range()?;
        let (r_low, r_high) = positions.region_id_range()?;
        let p_span = usize::try_from(i64::from(p_high) - i64::from(p_low) + 1).ok()?;
        let r_span = usize::try_from(i64::from(r_high) - i64::from(r_low) + 1).ok()?;
        if p_span.checked_mul(r_span)? > MAX_JOINT_ENTRIES
            || positions.product_count() * positions.region_count() >= NONE as usize
        {
            return None;
        }
        let mut table = vec![NONE; p_span * r_span];
        for dp in 0..p_span {
            for dr in 0..r_span {
                table[dp * r_span + dr] = positions.key(p_low + dp as i32, r_low + dr as i32);
            }
        }
        Some(JointTable {
            product_offset: p_low,
            region_offset: r_low,
            region_span: r_span as u32,
            table,
        })
    }

    /// Grid columns: products × regions.
    pub(crate) fn width(&self) -> usize {
        self.width
    }

    /// Returns the error for a sale whose ids did not resolve, or `None`
    /// when both ids are known.
    #[cold]
    fn unknown_id(&self, row: usize, product_id: i32, region_id: i32) -> Option<TransformError> {
        if self.positions.product(product_id).is_none() {
            return Some(TransformError::UnknownProduct { row, product_id });
        }
        if self.positions.region(region_id).is_none() {
            return Some(TransformError::UnknownRegion { row, region_id });
        }
        None
    }
}

/// Sums per (month, product, region), growing to cover new months.
#[derive(Debug, Clone)]
pub(crate) struct CellGrid {
    /// Ordinal of the month of row 0; meaningless while `months` is 0.
    first: i32,
    months: usize,
    width: usize,
    cells: Vec<Cell>,
    /// Threads a large push may use; 1 keeps everything on the caller's.
    threads: usize,
    /// Fewest sales per thread; `MIN_ROWS_PER_THREAD` except in tests.
    min_rows_per_thread: usize,
}

impl CellGrid {
    pub(crate) fn new(width: usize) -> Self {
        Self {
            first: 0,
            months: 0,
            width,
            cells: Vec::new(),
            threads: default_threads(),
            min_rows_per_thread: MIN_ROWS_PER_THREAD,
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

    /// Ordinal of the first row's month; meaningless when `months` is 0.
    pub(crate) fn first(&self) -> i32 {
        self.first
    }

    /// Number of month rows (some may have no sale).
    pub(crate) fn months(&self) -> usize {
        self.months
    }

    /// The cells of row `row` (month `first + row`).
    pub(crate) fn row(&self, row: usize) -> &[Cell] {
        &self.cells[row * self.width..(row + 1) * self.width]
    }

    /// Rows that hold at least one sale: `(first, last)`, or `None`.
    pub(crate) fn used_rows(&self) -> Option<(usize, usize)> {
        let used = |row: &usize| self.row(*row).iter().any(|c| c.count > 0);
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
        let width = self.width;
        let partials: Vec<Result<CellGrid, TransformError>> = std::thread::scope(|scope| {
            let spawned: Vec<_> = (1..threads)
                .map(|t| {
                    let (low, high) = bounds(t);
                    scope.spawn(move || {
                        let mut local = CellGrid::new(width);
                        local.push_range(keys, chunk, low, high).map(|()| local)
                    })
                })
                .collect();
            let (low, high) = bounds(0);
            let mut local = CellGrid::new(width);
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
        for grid in &grids {
            self.merge(grid);
        }
        Ok(())
    }

    /// Adds rows `low..high` of `chunk` on the calling thread; on error
    /// nothing of them is added.
    fn push_range(&mut self, keys: &Keys, chunk: &SaleColumns, low: usize, high: usize) -> Result<(), TransformError> {
        if low >= high {
            return Ok(());
        }
        if self.months == 0 {
            // Size a fresh grid in one vectorisable pass instead of
            // sending every sale of the first chunk down the slow path.
            if let Some((min, max)) = valid_month_bounds(&chunk.month[low..high]) {
                self.cover(min, max, 0);
            }
        }
        match &keys.joint {
            Some(joint) => self.add_pass(joint, keys, chunk, low, high),
            None => self.add_pass(&keys.positions, keys, chunk, low, high),
        }
    }

    /// The hot loop, then the rare cases: a bad row undoes the pass, and
    /// sales of months beyond the grid are added after it grows.
    fn add_pass<L: Lookup>(
        &mut self,
        lookup: &L,
        keys: &Keys,
        chunk: &SaleColumns,
        low: usize,
        high: usize,
    ) -> Result<(), TransformError> {
        let first = self.first;
        let months = self.months as u32;
        let width = self.width;
        let columns = Columns::of(chunk, low, high);

        let mut outside: Option<(i32, i32)> = None;
        let mut failure = None;
        {
            let cells = &mut self.cells[..];
            for (offset, (((&product_id, &region_id), &month), &milli)) in columns.iter().enumerate() {
                let key = lookup.key(product_id, region_id);
                let row = month.wrapping_sub(first) as u32;
                if key != NONE && row < months {
                    cells[row as usize * width + key as usize].add(milli);
                    continue;
                }
                let at = low + offset;
                if let Some(error) = keys.unknown_id(at, product_id, region_id) {
                    failure = Some((offset, error));
                    break;
                }
                if !(0..=MAX_ORDINAL).contains(&month) {
                    failure = Some((offset, TransformError::MonthOutOfRange { row: at, month }));
                    break;
                }
                outside = Some(outside.map_or((month, month), |(a, b)| (a.min(month), b.max(month))));
            }
        }

        if let Some((stop, error)) = failure {
            // Same test as above on the same grid: removes exactly what
            // was added.
            let cells = &mut self.cells[..];
            for (((&product_id, &region_id), &month), &milli) in columns.iter().take(stop) {
                let key = lookup.key(product_id, region_id);
                let row = month.wrapping_sub(first) as u32;
                if key != NONE && row < months {
                    cells[row as usize * width + key as usize].sub(milli);
                }
            }
            return Err(error);
        }

        if let Some((min, max)) = outside {
            let (old_first, old_months) = (first, months as i32);
            self.cover(min, max, GROWTH_MARGIN);
            let first = self.first;
            let cells = &mut self.cells[..];
            for (((&product_id, &region_id), &month), &milli) in columns.iter() {
                let old_row = month.wrapping_sub(old_first);
                if old_months > 0 && (0..old_months).contains(&old_row) {
                    continue;
                }
                // Every id resolved in the first pass, and the grid now
                // covers every month of the chunk.
                let key = lookup.key(product_id, region_id);
                let row = (month - first) as usize;
                cells[row * width + key as usize].add(milli);
            }
        }
        Ok(())
    }

    /// Grows the grid so that months `min..=max` have rows, adding
    /// `margin` more months on each side that grows.
    fn cover(&mut self, min: i32, max: i32, margin: i32) {
        let (new_first, new_last) = if self.months == 0 {
            (min, max)
        } else {
            let last = self.first + self.months as i32 - 1;
            let new_first = if min < self.first { min - margin } else { self.first };
            let new_last = if max > last { max + margin } else { last };
            if new_first == self.first && new_last == last {
                return;
            }
            (new_first, new_last)
        };
        let new_first = new_first.max(0);
        let new_last = new_last.min(MAX_ORDINAL);
        let months = (new_last - new_first + 1) as usize;

        let mut cells = vec![Cell::default(); months * self.width];
        if self.months > 0 {
            let shift = (self.first - new_first) as usize * self.width;
            cells[shift..shift + self.cells.len()].copy_from_slice(&self.cells);
        }
        self.first = new_first;
        self.months = months;
        self.cells = cells;
    }

    /// Adds the sums of `other`, which has the same width.
    fn merge(&mut self, other: &CellGrid) {
        if other.months == 0 {
            return;
        }
        self.cover(other.first, other.first + other.months as i32 - 1, 0);
        let offset = (other.first - self.first) as usize * self.width;
        for (mine, theirs) in self.cells[offset..offset + other.cells.len()]
            .iter_mut()
            .zip(&other.cells)
        {
            mine.merge(theirs);
        }
    }
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
/// when there is none. Branch-free min/max so that it vectorises.
fn valid_month_bounds(months: &[i32]) -> Option<(i32, i32)> {
    let (min, max) = months
        .iter()
        .map(|&m| {
            if (0..=MAX_ORDINAL).contains(&m) {
                (m, m)
            } else {
                (i32::MAX, i32::MIN)
            }
        })
        .fold((i32::MAX, i32::MIN), |(lo, hi), (a, b)| (lo.min(a), hi.max(b)));
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
    fn cell_sums_are_exact_beyond_i64() {
        let mut cell = Cell::default();
        for _ in 0..4 {
            cell.add(i64::MAX);
        }
        cell.add(-5);
        assert_eq!(cell.quantity(), 4 * i128::from(i64::MAX) - 5);
        cell.sub(i64::MAX);
        cell.sub(-5);
        assert_eq!(cell.quantity(), 3 * i128::from(i64::MAX));
        assert_eq!(cell.count(), 3);

        let mut negative = Cell::default();
        for _ in 0..3 {
            negative.add(i64::MIN);
        }
        assert_eq!(negative.quantity(), 3 * i128::from(i64::MIN));
        let mut merged = cell;
        merged.merge(&negative);
        assert_eq!(merged.quantity(), 3 * i128::from(i64::MAX) + 3 * i128::from(i64::MIN));
        assert_eq!(merged.count(), 6);
    }

    #[test]
    fn month_bounds_skip_invalid_months() {
        assert_eq!(valid_month_bounds(&[5, -1, 3, MAX_ORDINAL + 1]), Some((3, 5)));
        assert_eq!(valid_month_bounds(&[-1]), None);
        assert_eq!(valid_month_bounds(&[]), None);
    }
}
