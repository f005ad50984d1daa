//! Dense lookup from database ids to positions.

use std::collections::HashMap;

use agrisales_domain::{Product, Region, SaleColumns};

use crate::TransformError;

/// Ids spanning more than this many values use a hash map instead of a
/// dense table (4 bytes per value of the span).
const MAX_DENSE_SPAN: i64 = 1 << 22;

/// Maps arbitrary `i32` ids to positions `0..n` in constant time.
#[derive(Debug, Clone)]
pub(crate) enum IdIndex {
    /// `positions[id - offset]`, `u32::MAX` for ids not present.
    Dense {
        offset: i32,
        positions: Vec<u32>,
    },
    Sparse(HashMap<i32, u32>),
}

impl IdIndex {
    /// Builds the index of `ids`; returns the first duplicate id as `Err`.
    pub(crate) fn new(ids: impl Iterator<Item = i32> + Clone) -> Result<Self, i32> {
        let (min, max) = ids
            .clone()
            .fold((i32::MAX, i32::MIN), |(lo, hi), id| (lo.min(id), hi.max(id)));
        let span = i64::from(max) - i64::from(min) + 1;

        if span > 0 && span <= MAX_DENSE_SPAN {
            let mut positions = vec![u32::MAX; span as usize];
            for (position, id) in ids.enumerate() {
                let slot = &mut positions[(id - min) as usize];
                if *slot != u32::MAX {
                    return Err(id);
                }
                *slot = position as u32;
            }
            Ok(Self::Dense { offset: min, positions })
        } else {
            let mut map = HashMap::new();
            for (position, id) in ids.enumerate() {
                if map.insert(id, position as u32).is_some() {
                    return Err(id);
                }
            }
            Ok(Self::Sparse(map))
        }
    }

    /// Returns the position of `id`, if present.
    #[inline]
    pub(crate) fn get(&self, id: i32) -> Option<usize> {
        match self {
            Self::Dense { offset, positions } => {
                let slot = i64::from(id) - i64::from(*offset);
                let position = *positions.get(usize::try_from(slot).ok()?)?;
                (position != u32::MAX).then_some(position as usize)
            }
            Self::Sparse(map) => map.get(&id).map(|&p| p as usize),
        }
    }
}

/// Positions of regions and products in the lists an engine was built
/// with.
#[derive(Debug, Clone)]
pub(crate) struct Positions {
    regions: IdIndex,
    products: IdIndex,
}

impl Positions {
    pub(crate) fn new(regions: &[Region], products: &[Product]) -> Result<Self, TransformError> {
        let regions = IdIndex::new(regions.iter().map(|r| r.id))
            .map_err(|id| TransformError::DuplicateId { list: "region", id })?;
        let products = IdIndex::new(products.iter().map(|p| p.id))
            .map_err(|id| TransformError::DuplicateId { list: "product", id })?;
        Ok(Self { regions, products })
    }

    /// Returns `per_row(product position, region position)` for every sale
    /// of `chunk`, or an error naming the first sale with an unknown id.
    ///
    /// A plain loop into a preallocated vector: this runs once per sale.
    pub(crate) fn map_rows<T>(
        &self,
        chunk: &SaleColumns,
        per_row: impl Fn(usize, usize) -> T,
    ) -> Result<Vec<T>, TransformError> {
        let mut values = Vec::with_capacity(chunk.len());
        for (row, (&product_id, &region_id)) in chunk.product_id.iter().zip(&chunk.region_id).enumerate() {
            let Some(product) = self.products.get(product_id) else {
                return Err(TransformError::UnknownProduct { row, product_id });
            };
            let Some(region) = self.regions.get(region_id) else {
                return Err(TransformError::UnknownRegion { row, region_id });
            };
            values.push(per_row(product, region));
        }
        Ok(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_and_sparse_agree() {
        let dense = IdIndex::new([5, 7, 6].into_iter()).unwrap();
        let sparse = IdIndex::new([5, i32::MAX, -9].into_iter()).unwrap();
        assert_eq!(dense.get(7), Some(1));
        assert_eq!(dense.get(8), None);
        assert_eq!(dense.get(-100), None);
        assert_eq!(sparse.get(i32::MAX), Some(1));
        assert_eq!(sparse.get(0), None);
    }

    #[test]
    fn duplicates_are_reported() {
        assert_eq!(IdIndex::new([1, 2, 1].into_iter()).unwrap_err(), 1);
    }
}
