//! A dense month × cell table of sums that grows to cover new months.

use ndarray::{Array2, s};

/// Exact sums per (month, cell): quantity in thousandths of a kilogram,
/// revenue in 10⁻⁵ euro, and the number of sales.
///
/// Rows are consecutive months starting at `first`; the table grows when a
/// sale falls outside, so input order does not matter.
#[derive(Debug, Clone)]
pub(crate) struct MonthGrid {
    first: i32,
    width: usize,
    pub(crate) quantity: Array2<i128>,
    pub(crate) revenue: Array2<i128>,
    pub(crate) count: Array2<u64>,
}

impl MonthGrid {
    pub(crate) fn new(width: usize) -> Self {
        Self {
            first: 0,
            width,
            quantity: Array2::zeros((0, width)),
            revenue: Array2::zeros((0, width)),
            count: Array2::zeros((0, width)),
        }
    }

    /// Ordinal of the first month (see `YearMonth::ordinal`); meaningless
    /// while [`MonthGrid::months`] is 0.
    pub(crate) fn first(&self) -> i32 {
        self.first
    }

    pub(crate) fn months(&self) -> usize {
        self.quantity.nrows()
    }

    /// Grows the table so that months `low..=high` have rows.
    pub(crate) fn cover(&mut self, low: i32, high: i32) {
        let months = self.months() as i32;
        let (new_first, new_last) = if months == 0 {
            (low, high)
        } else {
            (self.first.min(low), (self.first + months - 1).max(high))
        };
        if months > 0 && new_first == self.first && new_last == self.first + months - 1 {
            return;
        }

        let rows = (new_last - new_first + 1) as usize;
        let shift = if months == 0 {
            0
        } else {
            (self.first - new_first) as usize
        };
        let grow_i128 = |old: &Array2<i128>| {
            let mut grown = Array2::zeros((rows, self.width));
            grown.slice_mut(s![shift..shift + old.nrows(), ..]).assign(old);
            grown
        };
        let quantity = grow_i128(&self.quantity);
        let revenue = grow_i128(&self.revenue);
        let mut count = Array2::zeros((rows, self.width));
        count
            .slice_mut(s![shift..shift + self.count.nrows(), ..])
            .assign(&self.count);

        self.first = new_first;
        self.quantity = quantity;
        self.revenue = revenue;
        self.count = count;
    }

    /// Adds one sale to the cell at (`month`, `cell`); the month must be
    /// covered.
    #[inline]
    pub(crate) fn add(&mut self, month: i32, cell: usize, quantity_milli: i64, revenue: i128) {
        let row = (month - self.first) as usize;
        self.quantity[[row, cell]] += i128::from(quantity_milli);
        self.revenue[[row, cell]] += revenue;
        self.count[[row, cell]] += 1;
    }
}
