//! The hot loop shared by both consumers: exact sums of quantity and
//! revenue and sale counts per (month, cell), where a consumer decides
//! which cell a (product, region) pair falls in.
//!
//! [`MonthlyAggregator`](crate::MonthlyAggregator) uses one cell per
//! (region, category): with the generator's catalogue, 36 months × 91
//! cells of 24 bytes, 79 KB, which stays in a core's L2 cache. One table
//! load gives a sale's cell and price, so a sale costs a load, a
//! multiplication and three additions, without hashing.
//!
//! Exactness: sums run in `i64` ("hot" cells, wrapping arithmetic) and
//! move into `i128` totals before they could overflow. After each block
//! of sales the grid bounds what the hot cells may hold since the last
//! move: Σ (block sales × largest |quantity| in the block × largest
//! |price|). While that bound stays below 2⁶³, no hot sum can have
//! wrapped. When a block would pass it, the block is undone (wrapping
//! subtraction restores the cells exactly), the hot cells move into the
//! totals and the block runs again. A block that alone passes the bound
//! (quantities near 10¹⁵) goes through an `i128` path. With lots below
//! 2 × 10⁷ thousandths and prices below 10⁴ cents, as generated data has,
//! the move happens at most once per 40 million sales.

use agrisales_domain::SaleColumns;

use crate::TransformError;
use crate::index::Positions;

/// Largest month ordinal a sale may carry: December 9999, the last month
/// [`YearMonth`](agrisales_domain::YearMonth) represents.
const MAX_ORDINAL: i32 = 9999 * 12 + 11;

/// Months added beyond the need when the grid grows, so that sales sorted
/// by date make the grid grow once a year instead of once a month.
const GROWTH_MARGIN: i32 = 12;

/// Largest joint (product, region) lookup table, in entries of 16 bytes
/// (1 MB). Wider id ranges use two separate lookups.
const MAX_JOINT_ENTRIES: usize = 1 << 16;

/// Sales per block between two overflow checks.
const BLOCK_ROWS: usize = 1 << 16;

/// Each thread of a parallel push gets at least this many sales: below
/// it, spawning a thread and merging its grid (tens of microseconds) cost
/// more than the thread saves.
pub(crate) const MIN_ROWS_PER_THREAD: usize = 1 << 17;

/// Destination of a (product, region) pair: its grid column and the
/// price its quantities are multiplied by. `cell == NONE` marks an
/// unknown pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    cell: u32,
    price: i64,
}

const NONE: u32 = u32::MAX;
const UNKNOWN: Entry = Entry { cell: NONE, price: 0 };

/// Sums of one cell since the last move into the totals, in wrapping
/// `i64` arithmetic (exact while the grid's bound holds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Hot {
    quantity: i64,
    revenue: i64,
    count: u64,
}

/// Exact sums of one cell: quantity in thousandths, revenue in units of
/// quantity × price (10⁻⁵ € for cents), number of sales.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Total {
    pub(crate) quantity: i128,
    pub(crate) revenue: i128,
    pub(crate) count: u64,
}

impl Total {
    fn add_hot(&mut self, hot: &Hot) {
        self.quantity += i128::from(hot.quantity);
        self.revenue += i128::from(hot.revenue);
        self.count += hot.count;
    }

    fn add(&mut self, other: &Total) {
        self.quantity += other.quantity;
        self.revenue += other.revenue;
        self.count += other.count;
    }
}

/// Resolves a sale's (product id, region id) to its [`Entry`].
trait Lookup: Sync {
    fn entry(&self, product_id: i32, region_id: i32) -> Entry;
}

/// One table indexed by (product id − offset, region id − offset): one
/// load per sale. Built when the id ranges are compact, as database
/// sequences make them.
#[derive(Debug, Clone)]
struct JointTable {
    product_offset: i32,
    region_offset: i32,
    region_span: u32,
    table: Vec<Entry>,
}

impl Lookup for JointTable {
    #[inline(always)]
    fn entry(&self, product_id: i32, region_id: i32) -> Entry {
        let dp = product_id.wrapping_sub(self.product_offset) as u32;
        let dr = region_id.wrapping_sub(self.region_offset) as u32;
        if dr < self.region_span {
            // In usize, `dp × span` cannot wrap onto a valid entry, and
            // `get` rejects a `dp` beyond the product span.
            let slot = dp as usize * self.region_span as usize + dr as usize;
            self.table.get(slot).copied().unwrap_or(UNKNOWN)
        } else {
            UNKNOWN
        }
    }
}

/// Two lookups through the id indexes, for sparse ids.
#[derive(Debug, Clone)]
struct SplitLookup {
    positions: Positions,
    layout: Layout,
}

impl Lookup for SplitLookup {
    #[inline(always)]
    fn entry(&self, product_id: i32, region_id: i32) -> Entry {
        match (self.positions.product(product_id), self.positions.region(region_id)) {
            (Some(p), Some(r)) => self.layout.entry(p, r),
            _ => UNKNOWN,
        }
    }
}

/// Grid layout of a consumer: the cell of (product position, region
/// position) is `product_part[p] + region_part[r]`, and `price` holds
/// each product's price (0 when revenue is not wanted).
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub(crate) product_part: Vec<u32>,
    pub(crate) region_part: Vec<u32>,
    pub(crate) price: Vec<i64>,
    /// Number of cells per month.
    pub(crate) width: usize,
}

impl Layout {
    #[inline(always)]
    fn entry(&self, product: usize, region: usize) -> Entry {
        Entry {
            cell: self.product_part[product] + self.region_part[region],
            price: self.price[product],
        }
    }
}

/// The id lookups of an engine: built once, shared by its threads.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    split: SplitLookup,
    joint: Option<JointTable>,
    /// Largest |price|, at least 1: the factor of the overflow bound.
    price_bound: u128,
}

impl Keys {
    pub(crate) fn new(positions: Positions, layout: Layout) -> Self {
        let price_bound = layout
            .price
            .iter()
            .map(|p| u128::from(p.unsigned_abs()))
            .max()
            .unwrap_or(0)
            .max(1);
        let split = SplitLookup { positions, layout };
        let joint = Self::joint_table(&split);
        Self {
            split,
            joint,
            price_bound,
        }
    }

    fn joint_table(split: &SplitLookup) -> Option<JointTable> {
        let (p_low, p_high) = split.positions.product_id_range()?;
        let (r_low, r_high) = split.positions.region_id_range()?;
        let p_span = usize::try_from(i64::from(p_high) - i64::from(p_low) + 1).ok()?;
        let r_span = usize::try_from(i64::from(r_high) - i64::from(r_low) + 1).ok()?;
        if p_span.checked_mul(r_span)? > MAX_JOINT_ENTRIES {
            return None;
        }
        let mut table = vec![UNKNOWN; p_span * r_span];
        for dp in 0..p_span {
            for dr in 0..r_span {
                table[dp * r_span + dr] = split.entry(p_low + dp as i32, r_low + dr as i32);
            }
        }
        Some(JointTable {
            product_offset: p_low,
            region_offset: r_low,
            region_span: r_span as u32,
            table,
        })
    }

    /// Cells per month.
    pub(crate) fn width(&self) -> usize {
        self.split.layout.width
    }

    /// Returns the error for a sale whose ids did not resolve, or `None`
    /// when both ids are known.
    fn unknown_id(&self, row: usize, product_id: i32, region_id: i32) -> Option<TransformError> {
        if self.split.positions.product(product_id).is_none() {
            return Some(TransformError::UnknownProduct { row, product_id });
        }
        if self.split.positions.region(region_id).is_none() {
            return Some(TransformError::UnknownRegion { row, region_id });
        }
        None
    }
}

/// Sums per (month, cell), growing to cover new months.
#[derive(Debug, Clone)]
pub(crate) struct CellGrid {
    /// Ordinal of the month of row 0; meaningless while `months` is 0.
    first: i32,
    months: usize,
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
    pub(crate) fn new(width: usize) -> Self {
        Self {
            threads: default_threads(),
            ..Self::local(width, BLOCK_ROWS)
        }
    }

    /// A grid for one thread of a parallel push; it never spawns threads
    /// itself, so it skips asking the system for its parallelism.
    fn local(width: usize, block_rows: usize) -> Self {
        Self {
            first: 0,
            months: 0,
            width,
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

    /// Moves the hot sums into the totals; call before reading them.
    pub(crate) fn settle(&mut self) {
        if self.hot_bound == 0 {
            return;
        }
        for (total, hot) in self.totals.iter_mut().zip(&mut self.hot) {
            total.add_hot(hot);
            *hot = Hot::default();
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
            let range = row * self.width..(row + 1) * self.width;
            self.totals[range.clone()].iter().any(|c| c.count > 0) || self.hot[range].iter().any(|c| c.count > 0)
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
        let (width, block_rows) = (self.width, self.block_rows);
        let partials: Vec<Result<CellGrid, TransformError>> = std::thread::scope(|scope| {
            let spawned: Vec<_> = (1..threads)
                .map(|t| {
                    let (low, high) = bounds(t);
                    scope.spawn(move || {
                        let mut local = CellGrid::local(width, block_rows);
                        local.push_range(keys, chunk, low, high).map(|()| local)
                    })
                })
                .collect();
            let (low, high) = bounds(0);
            let mut local = CellGrid::local(width, block_rows);
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
            // Size a fresh grid in one pass over the months instead of
            // sending every sale of the first chunk down the slow path.
            if let Some((min, max)) = valid_month_bounds(&chunk.month[low..high]) {
                self.cover(min, max, 0);
            }
        }
        match &keys.joint {
            Some(joint) => self.push_blocks(joint, keys, chunk, low, high),
            None => self.push_blocks(&keys.split, keys, chunk, low, high),
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
        let mut outside: Option<(i32, i32)> = None;
        let mut start = low;
        while start < high {
            let end = (start + self.block_rows).min(high);
            let block = Columns::of(chunk, start, end);
            let pass = self.pass::<L, false>(lookup, keys, &block, start);
            if let Some(bounds) = pass.outside {
                outside = Some(outside.map_or(bounds, |(a, b)| (a.min(bounds.0), b.max(bounds.1))));
            }
            if let Some((stop, error)) = pass.failure {
                // Undo this block's rows before the bad one, then the
                // earlier blocks of this push, exactly, in the totals.
                self.pass::<L, true>(lookup, keys, &Columns::of(chunk, start, stop), start);
                self.settle();
                self.exact_pass(lookup, &Columns::of(chunk, low, start), None, -1);
                return Err(error);
            }

            let block_bound = (end - start) as u128 * u128::from(pass.max_abs) * keys.price_bound;
            if self.hot_bound + block_bound > i64::MAX as u128 {
                self.pass::<L, true>(lookup, keys, &block, start);
                self.settle();
                if block_bound <= i64::MAX as u128 {
                    self.pass::<L, false>(lookup, keys, &block, start);
                    self.hot_bound = block_bound;
                } else {
                    self.exact_pass(lookup, &block, None, 1);
                }
            } else {
                self.hot_bound += block_bound;
            }
            start = end;
        }

        if let Some((min, max)) = outside {
            // Sales of months the grid did not cover: grow it, then add
            // them (and only them) exactly.
            let old = (self.first, self.months as i32);
            self.cover(min, max, GROWTH_MARGIN);
            self.exact_pass(lookup, &Columns::of(chunk, low, high), Some(old), 1);
        }
        Ok(())
    }

    /// The hot loop over one block: adds its sales to the hot cells, or
    /// removes them when `UNDO`. Sales whose ids are unknown stop it;
    /// sales of months outside the grid are left out and reported.
    fn pass<L: Lookup, const UNDO: bool>(
        &mut self,
        lookup: &L,
        keys: &Keys,
        block: &Columns<'_>,
        offset: usize,
    ) -> Pass {
        let first = self.first;
        let months = self.months as u32;
        let width = self.width;
        let hot = &mut self.hot[..];
        let mut result = Pass::default();
        let mut max_abs = 0_u64;
        for (i, (((&product_id, &region_id), &month), &milli)) in block.iter().enumerate() {
            let entry = lookup.entry(product_id, region_id);
            let row = month.wrapping_sub(first) as u32;
            if entry.cell != NONE && row < months {
                let cell = &mut hot[row as usize * width + entry.cell as usize];
                let revenue = milli.wrapping_mul(entry.price);
                if UNDO {
                    cell.quantity = cell.quantity.wrapping_sub(milli);
                    cell.revenue = cell.revenue.wrapping_sub(revenue);
                    cell.count = cell.count.wrapping_sub(1);
                } else {
                    cell.quantity = cell.quantity.wrapping_add(milli);
                    cell.revenue = cell.revenue.wrapping_add(revenue);
                    cell.count = cell.count.wrapping_add(1);
                }
                max_abs = max_abs.max(milli.unsigned_abs());
            } else if !UNDO && rare_sale(keys, &mut result, offset + i, product_id, region_id, month).is_break() {
                break;
            }
        }
        result.max_abs = max_abs;
        result
    }

    /// Adds (`sign` 1) or removes (−1) sales straight into the exact
    /// totals: for rare cases only. With `only_outside = Some((first,
    /// months))`, only sales of months outside that old range count.
    fn exact_pass<L: Lookup>(&mut self, lookup: &L, block: &Columns<'_>, only_outside: Option<(i32, i32)>, sign: i128) {
        for (((&product_id, &region_id), &month), &milli) in block.iter() {
            if let Some((old_first, old_months)) = only_outside
                && old_months > 0
                && (0..old_months).contains(&month.wrapping_sub(old_first))
            {
                continue;
            }
            let entry = lookup.entry(product_id, region_id);
            let row = month.wrapping_sub(self.first);
            if entry.cell == NONE || !(0..self.months as i32).contains(&row) {
                continue;
            }
            let cell = &mut self.totals[row as usize * self.width + entry.cell as usize];
            cell.quantity += sign * i128::from(milli);
            cell.revenue += sign * i128::from(milli) * i128::from(entry.price);
            cell.count = if sign > 0 { cell.count + 1 } else { cell.count - 1 };
        }
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

        let mut hot = vec![Hot::default(); months * self.width];
        let mut totals = vec![Total::default(); months * self.width];
        if self.months > 0 {
            let shift = (self.first - new_first) as usize * self.width;
            hot[shift..shift + self.hot.len()].copy_from_slice(&self.hot);
            totals[shift..shift + self.totals.len()].copy_from_slice(&self.totals);
        }
        self.first = new_first;
        self.months = months;
        self.hot = hot;
        self.totals = totals;
    }

    /// Adds the sums of `other`, which has the same width.
    fn merge(&mut self, other: &mut CellGrid) {
        if other.months == 0 {
            return;
        }
        other.settle();
        self.cover(other.first, other.first + other.months as i32 - 1, 0);
        let offset = (other.first - self.first) as usize * self.width;
        for (mine, theirs) in self.totals[offset..offset + other.totals.len()]
            .iter_mut()
            .zip(&other.totals)
        {
            mine.add(theirs);
        }
    }
}

/// Handles a sale the hot loop could not add: an unknown id or a bad
/// month stops the pass with an error, a month outside the grid is noted.
/// Out of line so that the hot loop keeps its registers.
#[cold]
#[inline(never)]
fn rare_sale(
    keys: &Keys,
    result: &mut Pass,
    at: usize,
    product_id: i32,
    region_id: i32,
    month: i32,
) -> std::ops::ControlFlow<()> {
    if let Some(error) = keys.unknown_id(at, product_id, region_id) {
        result.failure = Some((at, error));
        return std::ops::ControlFlow::Break(());
    }
    if !(0..=MAX_ORDINAL).contains(&month) {
        result.failure = Some((at, TransformError::MonthOutOfRange { row: at, month }));
        return std::ops::ControlFlow::Break(());
    }
    result.outside = Some(
        result
            .outside
            .map_or((month, month), |(a, b)| (a.min(month), b.max(month))),
    );
    std::ops::ControlFlow::Continue(())
}

/// What [`CellGrid::pass`] found.
#[derive(Default)]
struct Pass {
    /// Largest |quantity| added.
    max_abs: u64,
    /// Lowest and highest month outside the grid.
    outside: Option<(i32, i32)>,
    /// The first bad sale (its row in the chunk) and why.
    failure: Option<(usize, TransformError)>,
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
    let (min, max) = months
        .iter()
        .filter(|m| (0..=MAX_ORDINAL).contains(*m))
        .fold((i32::MAX, i32::MIN), |(lo, hi), &m| (lo.min(m), hi.max(m)));
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
