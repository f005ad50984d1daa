use thiserror::Error;

/// Errors of the aggregation engine.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TransformError {
    /// A sale names a product absent from the product list.
    #[error(
        "sale {row} of the chunk names product {product_id}, which is not in the product list; reload the products"
    )]
    UnknownProduct {
        /// Zero-based position of the sale in its chunk.
        row: usize,
        /// The unknown `id_produit`.
        product_id: i32,
    },

    /// A sale names a region absent from the region list.
    #[error("sale {row} of the chunk names region {region_id}, which is not in the region list; reload the regions")]
    UnknownRegion {
        /// Zero-based position of the sale in its chunk.
        row: usize,
        /// The unknown `region_vente`.
        region_id: i32,
    },

    /// Two entries of a reference list share an id.
    #[error("{list} list contains id {id} twice")]
    DuplicateId {
        /// "product" or "region".
        list: &'static str,
        /// The repeated id.
        id: i32,
    },

    /// A sale's month is not the ordinal of a month from year 0 to 9999.
    #[error(
        "sale {row} of the chunk has month ordinal {month}, outside years 0 to 9999; months are YearMonth::ordinal values (year × 12 + month − 1)"
    )]
    MonthOutOfRange {
        /// Zero-based position of the sale in its chunk.
        row: usize,
        /// The month ordinal received.
        month: i32,
    },

    /// The sales span more months than the engine can hold for this
    /// many (product, region) pairs.
    #[error(
        "{months} months × {columns} (product, region) pairs pass the engine's limit of 2^30 cells; aggregate fewer months or fewer products per engine"
    )]
    TooManyCells {
        /// Months the grid would span.
        months: usize,
        /// Products × regions.
        columns: usize,
    },

    /// Two aggregators to merge were built with different regions or
    /// products.
    #[error("cannot merge aggregators built with different region or product lists; build both from the same lists")]
    DifferentCatalogue,

    /// The columns of a chunk have different lengths.
    #[error("chunk columns have different lengths: {0}")]
    RaggedChunk(String),
}
