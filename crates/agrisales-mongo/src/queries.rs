//! Reads other applications run on `agrégats_ventes`.

use agrisales_domain::{Cents, MonthlyAggregate, Quantity, YearMonth};
use mongodb::bson::{Bson, Document, doc};
use serde::Serialize;

use crate::documents::{aggregate_from_document, parse_revenue};
use crate::schema::AGGREGATES_COLLECTION;
use crate::{MongoError, MongoStore};

/// Year-to-date totals of one region, from January to a given month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionYearToDate {
    /// `id_region`.
    pub id_region: i32,
    /// `région`.
    #[serde(rename = "région")]
    pub region: String,
    /// `quantité_totale`, kilograms.
    #[serde(rename = "quantité_totale", serialize_with = "kilograms")]
    pub total_quantity: Quantity,
    /// `chiffre_affaires`, euros.
    #[serde(rename = "chiffre_affaires", serialize_with = "euros")]
    pub revenue: Cents,
    /// `nombre_ventes`.
    #[serde(rename = "nombre_ventes")]
    pub sale_count: i64,
}

fn kilograms<S: serde::Serializer>(quantity: &Quantity, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(quantity.kg())
}

fn euros<S: serde::Serializer>(amount: &Cents, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(amount.euros())
}

/// A find on `agrégats_ventes`: its filter and sort, kept together so the
/// read and its `explain` run the same query.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateQuery {
    /// The filter document.
    pub filter: Document,
    /// The sort document.
    pub sort: Document,
}

impl AggregateQuery {
    /// Monthly sales of one region, all categories, months `first` to
    /// `last` included; sorted by month, then category. Served by the
    /// index (`id_region`, `mois`, `catégorie`).
    pub fn region(id_region: i32, first: YearMonth, last: YearMonth) -> Result<Self, MongoError> {
        check_months(first, last)?;
        Ok(Self {
            filter: doc! { "id_region": id_region, "mois": { "$gte": first.to_string(), "$lte": last.to_string() } },
            sort: doc! { "mois": 1, "catégorie": 1 },
        })
    }

    /// Monthly sales of one category, all regions, months `first` to
    /// `last` included; sorted by month, then region id. Served by the
    /// index (`catégorie`, `mois`, `id_region`).
    pub fn category(category: &str, first: YearMonth, last: YearMonth) -> Result<Self, MongoError> {
        check_months(first, last)?;
        Ok(Self {
            filter: doc! { "catégorie": category, "mois": { "$gte": first.to_string(), "$lte": last.to_string() } },
            sort: doc! { "mois": 1, "id_region": 1 },
        })
    }
}

impl MongoStore {
    /// Runs `query` on `agrégats_ventes`.
    pub fn find_aggregates(&self, query: &AggregateQuery) -> Result<Vec<MonthlyAggregate>, MongoError> {
        let cursor = self
            .database()
            .collection::<Document>(AGGREGATES_COLLECTION)
            .find(query.filter.clone())
            .sort(query.sort.clone())
            .run()
            .map_err(|source| self.command_error(&format!("reading {AGGREGATES_COLLECTION}"), source))?;

        let mut records = Vec::new();
        for document in cursor {
            let document =
                document.map_err(|source| self.command_error(&format!("reading {AGGREGATES_COLLECTION}"), source))?;
            records.push(
                aggregate_from_document(&document).map_err(|reason| MongoError::InvalidDocument {
                    collection: AGGREGATES_COLLECTION.to_owned(),
                    id: document.get("_id").map_or_else(|| "?".to_owned(), ToString::to_string),
                    reason,
                })?,
            );
        }
        Ok(records)
    }

    /// Returns the monthly sales of one region over a month range; see
    /// [`AggregateQuery::region`].
    pub fn region_monthly_sales(
        &self,
        id_region: i32,
        first: YearMonth,
        last: YearMonth,
    ) -> Result<Vec<MonthlyAggregate>, MongoError> {
        self.find_aggregates(&AggregateQuery::region(id_region, first, last)?)
    }

    /// Returns the monthly sales of one category over a month range; see
    /// [`AggregateQuery::category`].
    pub fn category_monthly_sales(
        &self,
        category: &str,
        first: YearMonth,
        last: YearMonth,
    ) -> Result<Vec<MonthlyAggregate>, MongoError> {
        self.find_aggregates(&AggregateQuery::category(category, first, last)?)
    }

    /// Returns the stages of the server's winning plan for `query`
    /// (`explain` in `queryPlanner` mode), outermost first: `IXSCAN`
    /// means an index serves it, `COLLSCAN` a full scan.
    pub fn plan_stages(&self, query: &AggregateQuery) -> Result<Vec<String>, MongoError> {
        let command = doc! {
            "explain": { "find": AGGREGATES_COLLECTION, "filter": query.filter.clone(), "sort": query.sort.clone() },
            "verbosity": "queryPlanner",
        };
        let reply = self
            .database()
            .run_command(command)
            .run()
            .map_err(|source| self.command_error("explaining a read", source))?;

        let plan = reply
            .get_document("queryPlanner")
            .and_then(|planner| planner.get_document("winningPlan"))
            .map_err(|e| MongoError::InvalidDocument {
                collection: AGGREGATES_COLLECTION.to_owned(),
                id: "explain".to_owned(),
                reason: format!("no queryPlanner.winningPlan in the reply: {e}"),
            })?;
        let mut stages = Vec::new();
        collect_stages(plan, &mut stages);
        Ok(stages)
    }

    /// Returns the year-to-date totals of every region with sales, from
    /// January of `through`'s year to `through` included, ordered by
    /// region id. Runs as an aggregation pipeline on the server. It sums
    /// the unrounded `chiffre_affaires_exact` as `Decimal128` and rounds
    /// the total to the cent here, half away from zero, as PostgreSQL's
    /// `round()` does; MongoDB's `$round` would round halves to even.
    pub fn year_to_date_by_region(&self, through: YearMonth) -> Result<Vec<RegionYearToDate>, MongoError> {
        let january = YearMonth::new(through.year(), 1).unwrap_or(through);
        let pipeline = vec![
            doc! { "$match": { "mois": { "$gte": january.to_string(), "$lte": through.to_string() } } },
            doc! { "$group": {
                "_id": "$id_region",
                "région": { "$first": "$région" },
                "quantité_totale": { "$sum": "$quantité_totale" },
                "chiffre_affaires_exact": { "$sum": "$chiffre_affaires_exact" },
                "nombre_ventes": { "$sum": "$nombre_ventes" },
            } },
            doc! { "$sort": { "_id": 1 } },
        ];
        let cursor = self
            .database()
            .collection::<Document>(AGGREGATES_COLLECTION)
            .aggregate(pipeline)
            .run()
            .map_err(|source| self.command_error("aggregating year-to-date totals", source))?;

        let mut totals = Vec::new();
        for document in cursor {
            let document = document.map_err(|source| self.command_error("aggregating year-to-date totals", source))?;
            totals.push(
                parse_year_to_date(&document).map_err(|reason| MongoError::InvalidDocument {
                    collection: AGGREGATES_COLLECTION.to_owned(),
                    id: document.get("_id").map_or_else(|| "?".to_owned(), ToString::to_string),
                    reason,
                })?,
            );
        }
        Ok(totals)
    }
}

fn check_months(first: YearMonth, last: YearMonth) -> Result<(), MongoError> {
    if first > last {
        return Err(MongoError::InvalidArgument {
            name: "month range",
            value: format!("{first}..{last}"),
            reason: "the first month must not be after the last".to_owned(),
        });
    }
    Ok(())
}

fn collect_stages(plan: &Document, stages: &mut Vec<String>) {
    if let Ok(stage) = plan.get_str("stage") {
        stages.push(stage.to_owned());
    }
    for key in ["inputStage", "queryPlan"] {
        if let Ok(child) = plan.get_document(key) {
            collect_stages(child, stages);
        }
    }
    if let Ok(children) = plan.get_array("inputStages") {
        for child in children.iter().filter_map(Bson::as_document) {
            collect_stages(child, stages);
        }
    }
}

fn parse_year_to_date(document: &Document) -> Result<RegionYearToDate, String> {
    let decimal = |key: &str| match document.get(key) {
        Some(Bson::Decimal128(v)) => Ok(v.to_string()),
        other => Err(format!("{key} should be a Decimal128, found {other:?}")),
    };
    let id_region = match document.get("_id") {
        Some(Bson::Int32(v)) => *v,
        other => return Err(format!("_id should be a region id, found {other:?}")),
    };
    let sale_count = match document.get("nombre_ventes") {
        Some(Bson::Int32(v)) => i64::from(*v),
        Some(Bson::Int64(v)) => *v,
        other => return Err(format!("nombre_ventes should be an integer, found {other:?}")),
    };
    Ok(RegionYearToDate {
        id_region,
        region: document.get_str("région").map_err(|e| e.to_string())?.to_owned(),
        total_quantity: parse_decimal(&decimal("quantité_totale")?, Quantity::SCALE).map(Quantity::from_milli)?,
        revenue: parse_revenue(&decimal("chiffre_affaires_exact")?)?.to_cents_rounded(),
        sale_count,
    })
}

/// Parses a decimal text (as `Decimal128` prints it, possibly with more
/// trailing zeros or an exponent-free longer scale) into an integer scaled
/// by `10^scale`, rejecting digits beyond that scale that are not zero.
fn parse_decimal(text: &str, scale: u32) -> Result<i64, String> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let significant = fraction.trim_end_matches('0');
    if significant.len() > scale as usize {
        return Err(format!("{text} has more than {scale} decimals"));
    }
    let padded = format!("{whole}.{significant:0<width$}", width = scale as usize);
    let digits: String = padded.chars().filter(|c| *c != '.').collect();
    digits.parse().map_err(|e| format!("{text}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_text_scales() {
        assert_eq!(parse_decimal("12.5", 3), Ok(12_500));
        assert_eq!(parse_decimal("12.50000", 2), Ok(1_250));
        assert_eq!(parse_decimal("7", 2), Ok(700));
        assert!(parse_decimal("1.234", 2).is_err());
    }

    #[test]
    fn reversed_months_are_rejected() {
        let error = AggregateQuery::region(1, "2024-05".parse().unwrap(), "2024-01".parse().unwrap()).unwrap_err();
        assert!(error.to_string().contains("2024-05..2024-01"), "{error}");
    }
}
