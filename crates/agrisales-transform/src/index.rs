//! Dense lookup from database ids to positions.

use std::collections::HashMap;

use agrisales_domain::{Product, Region};

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
    region_ids: Option<(i32, i32)>,
    product_ids: Option<(i32, i32)>,
}

impl Positions {
    pub(crate) fn new(regions: &[Region], products: &[Product]) -> Result<Self, TransformError> {
        let region_index = IdIndex::new(regions.iter().map(|r| r.id))
            .map_err(|id| TransformError::DuplicateId { list: "region", id })?;
        let product_index = IdIndex::new(products.iter().map(|p| p.id))
            .map_err(|id| TransformError::DuplicateId { list: "product", id })?;
        Ok(Self {
            regions: region_index,
            products: product_index,
            region_ids: id_range(regions.iter().map(|r| r.id)),
            product_ids: id_range(products.iter().map(|p| p.id)),
        })
    }

    /// Position of product `id` in the product list.
    #[inline]
    pub(crate) fn product(&self, id: i32) -> Option<usize> {
        self.products.get(id)
    }

    /// Position of region `id` in the region list.
    #[inline]
    pub(crate) fn region(&self, id: i32) -> Option<usize> {
        self.regions.get(id)
    }

    /// Lowest and highest region id, `None` for an empty list.
    pub(crate) fn region_id_range(&self) -> Option<(i32, i32)> {
        self.region_ids
    }

    /// Lowest and highest product id, `None` for an empty list.
    pub(crate) fn product_id_range(&self) -> Option<(i32, i32)> {
        self.product_ids
    }
}

fn id_range(ids: impl Iterator<Item = i32>) -> Option<(i32, i32)> {
    ids.fold(None, |range, id| match range {
        None => Some((id, id)),
        Some((lo, hi)) => Some((id.min(lo), id.max(hi))),
    })
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
