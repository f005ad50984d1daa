//! Traits that let the ETL compose storage layers it does not know.

use crate::{MonthlyAggregate, Product, ProductForecast, Region, SaleColumns};

/// The error a chunk consumer returns to stop [`SalesSource::stream_sales`].
pub type ChunkError = Box<dyn std::error::Error + Send + Sync>;

/// A relational store that the ETL extracts sales from.
///
/// Implementations stream sales in chunks so that memory does not grow
/// with the number of sales.
pub trait SalesSource {
    /// The error type of the store.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Returns every region.
    fn regions(&mut self) -> Result<Vec<Region>, Self::Error>;

    /// Returns every product.
    fn products(&mut self) -> Result<Vec<Product>, Self::Error>;

    /// Streams every sale, calling `on_chunk` with chunks of at most
    /// `chunk_rows` sales, and returns the number of sales read.
    ///
    /// The chunk is reused after `on_chunk` returns. When `on_chunk` returns
    /// `Err`, streaming stops and the implementation returns that error
    /// wrapped in [`SalesSource::Error`].
    fn stream_sales(
        &mut self,
        chunk_rows: usize,
        on_chunk: &mut dyn FnMut(&SaleColumns) -> Result<(), ChunkError>,
    ) -> Result<u64, Self::Error>;
}

/// What one write to the document store changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteSummary {
    /// Documents written (inserted or replaced).
    pub upserted: u64,
    /// Documents removed because their key is no longer produced.
    pub deleted: u64,
}

/// A document store that receives the ETL's results.
///
/// Both methods replace the collection's content by the given documents:
/// afterwards the collection contains exactly one document per key given, so
/// running them twice with the same input leaves the same state.
pub trait AggregateSink {
    /// The error type of the store.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Replaces the monthly aggregates.
    fn replace_aggregates(&mut self, aggregates: &[MonthlyAggregate]) -> Result<WriteSummary, Self::Error>;

    /// Replaces the product forecasts.
    fn replace_forecasts(&mut self, forecasts: &[ProductForecast]) -> Result<WriteSummary, Self::Error>;
}
