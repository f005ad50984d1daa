//! Table-driven cases: every format variant and every reject reason the
//! reader decides alone (the database-dependent reasons are tested in
//! agrisales-etl's `import` tests).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use agrisales_import::{
    ImportError, Mapping, Parsed, Reference, RejectReason, SaleRecord, read_products, read_regions, read_sales,
};
use chrono::NaiveDate;

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Writes `bytes` to a fresh file under `folders` in the temp directory.
fn file_at(folders: &str, name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!(
            "agrisales-formats-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ))
        .join(folders);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn sales(bytes: &[u8], mapping: Option<&str>) -> Result<Parsed<SaleRecord>, ImportError> {
    let mapping = mapping.map(|m| Mapping::from_toml(m).unwrap());
    read_sales(&[file_at("x", "ventes.csv", bytes)], mapping.as_ref(), |_, _| {})
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn name(n: &str) -> Reference {
    Reference::Name(n.to_owned())
}

#[test]
fn format_variants_give_the_same_sale() {
    // (case, file bytes): each file contains one sale of 1.5 kg of Tomate in Bretagne on 2024-03-05.
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "utf-8, comma, ISO date",
            b"produit,quantite,date_vente,region\nTomate,1.5,2024-03-05,Bretagne\n".to_vec(),
        ),
        (
            "utf-8 with BOM",
            b"\xEF\xBB\xBFproduit,quantit\xC3\xA9,date_vente,r\xC3\xA9gion\nTomate,1.5,2024-03-05,Bretagne\n".to_vec(),
        ),
        (
            "windows-1252, semicolon, decimal comma",
            b"produit;quantit\xE9;date_vente;r\xE9gion\nTomate;1,5;05/03/2024;Bretagne\n".to_vec(),
        ),
        (
            "tab separator",
            b"produit\tquantite\tdate_vente\tregion\nTomate\t1.5\t05/03/24\tBretagne\n".to_vec(),
        ),
        (
            "CRLF line ends",
            b"produit,quantite,date_vente,region\r\nTomate,1.5,2024-03-05,Bretagne\r\n".to_vec(),
        ),
        (
            "CR line ends",
            b"produit,quantite,date_vente,region\rTomate,1.5,2024-03-05,Bretagne\r".to_vec(),
        ),
        (
            "quoted decimal comma in a comma file",
            b"produit,quantite,date_vente,region\nTomate,\"1,5\",2024-03-05,Bretagne\n".to_vec(),
        ),
        (
            "header case, accents and spaces",
            "Produit,QUANTITÉ,Date Vente,Région\nTomate,1.5,05/03/2024,Bretagne\n"
                .as_bytes()
                .to_vec(),
        ),
        (
            "no final newline",
            b"produit,quantite,date_vente,region\nTomate,1.5,2024-03-05,Bretagne".to_vec(),
        ),
        (
            "extra unknown column ignored",
            b"produit,quantite,commentaire,date_vente,region\nTomate,1.5,ok,2024-03-05,Bretagne\n".to_vec(),
        ),
    ];
    for (case, bytes) in cases {
        let parsed = sales(&bytes, None).unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(
            (parsed.read, parsed.rejects.len()),
            (1, 0),
            "{case}: {:?}",
            parsed.rejects
        );
        let sale = &parsed.rows[0].record;
        assert_eq!(sale.product, name("Tomate"), "{case}");
        assert_eq!(sale.region, name("Bretagne"), "{case}");
        assert_eq!(sale.quantity.milli(), 1_500, "{case}");
        assert_eq!(sale.date, date(2024, 3, 5), "{case}");
        assert_eq!(parsed.rows[0].line, 2, "{case}");
    }
}

#[test]
fn ids_and_references_by_id() {
    let parsed = sales(
        b"id_vente;id_produit;quantite;date_vente;region_vente\n7;3;2;2024-01-31;12\n",
        None,
    )
    .unwrap();
    let sale = &parsed.rows[0].record;
    assert_eq!(
        (sale.id, &sale.product, &sale.region),
        (Some(7), &Reference::Id(3), &Reference::Id(12))
    );
}

#[test]
fn quoted_fields_span_separators_and_lines() {
    let bytes = b"produit,quantite,date_vente,region\n\"Tomate, cerise\nbio\",2,2024-03-05,Bretagne\nPoire,x,2024-03-05,Bretagne\n";
    let parsed = sales(bytes, None).unwrap();
    assert_eq!(parsed.rows[0].record.product, name("Tomate, cerise\nbio"));
    assert_eq!(parsed.rows[0].line, 2);
    assert_eq!(
        parsed.rejects[0].line, 4,
        "the quoted newline moves the next row to line 4"
    );
    assert_eq!(parsed.rejects[0].reason, RejectReason::UnparsableNumber);
}

#[test]
fn two_digit_years_follow_the_posix_pivot() {
    let parsed = sales(
        b"produit,quantite,date_vente,region\nA,1,01/10/68,R\nA,1,01/10/69,R\n",
        None,
    )
    .unwrap();
    let dates: Vec<NaiveDate> = parsed.rows.iter().map(|r| r.record.date).collect();
    assert_eq!(dates, [date(2068, 10, 1), date(1969, 10, 1)]);
}

/// A mapping like the Agmarknet one, on a small file in a
/// `<Commodity>/<State>/` folder.
const MARKET_MAPPING: &str = r#"
[ventes]
fill_down = ["Market"]
key_columns = ["Market"]
overflow_column = "Market"

[ventes.fields]
produit = { from_path = 2 }
region = { from_path = 1 }
date_vente = { column = "Arrival Date" }
quantite = { column = "Arrivals (Tonnes)", factor = 1000 }
prix = { column = "Modal Price(Rs./Quintal)", factor = "0.01", null_values = ["NR"] }

[[ventes.skip]]
when_empty = ["Arrival Date", "Arrivals (Tonnes)"]
reason = "continuation row"

[ventes.new_products]
category = "légumes"
price = "median"
"#;

#[test]
fn market_mapping_applies_every_rule() {
    let body = "Market,Arrival Date,Arrivals (Tonnes),Variety,Modal Price(Rs./Quintal),\n\
                Pune,01/10/2016,634,Other,600,\n\
                ,03/10/2016,0.51,Other,NR,\n\
                ,,,White,580,\n\
                Sangli(Phale, Bhajipura Market),01/10/2016,2,Local,750,\n\
                Market,Arrival Date,Arrivals (Tonnes),Variety,Modal Price(Rs./Quintal),\n\
                Pune,01/10/2016,634,Other,600,\n";
    let path = file_at("Onion/Maharashtra", "mynewdata_2016_October.csv", body.as_bytes());
    let mapping = Mapping::from_toml(MARKET_MAPPING).unwrap();
    let parsed = read_sales(&[path], Some(&mapping), |_, _| {}).unwrap();

    assert_eq!(parsed.read, 6);
    assert_eq!(parsed.read as usize, parsed.rows.len() + parsed.rejects.len());
    let rows: Vec<(&Reference, &Reference, i64, Option<i64>, &str)> = parsed
        .rows
        .iter()
        .map(|r| {
            (
                &r.record.product,
                &r.record.region,
                r.record.quantity.milli(),
                r.record.price.map(|p| p.get()),
                r.record.key.as_str(),
            )
        })
        .collect();
    let onion = name("Onion");
    let state = name("Maharashtra");
    assert_eq!(
        rows,
        [
            (
                &onion,
                &state,
                634_000_000,
                Some(600),
                "Onion|Maharashtra|2016-10-01|Pune"
            ),
            (&onion, &state, 510_000, None, "Onion|Maharashtra|2016-10-03|Pune"),
            (
                &onion,
                &state,
                2_000_000,
                Some(750),
                "Onion|Maharashtra|2016-10-01|Sangli(Phale, Bhajipura Market)"
            ),
        ]
    );
    let reasons: Vec<(u64, RejectReason)> = parsed.rejects.iter().map(|r| (r.line, r.reason)).collect();
    assert_eq!(
        reasons,
        [
            (4, RejectReason::SkippedByMapping),
            (6, RejectReason::RepeatedHeader),
            (7, RejectReason::DuplicateRow)
        ]
    );

    let products = agrisales_import::derive_products(
        &parsed.rows,
        &[],
        mapping.ventes.as_ref().unwrap().new_products.as_ref().unwrap(),
    );
    assert_eq!(products.len(), 1);
    assert_eq!(
        (products[0].name.as_str(), products[0].category.as_str()),
        ("Onion", "légumes")
    );
    // Median of 6.00 and 7.50 per kg: the mean of the two middle values.
    assert_eq!(products[0].unit_price.get(), 675);
}

#[test]
fn every_reader_reject_reason() {
    let header = "id_vente,produit,quantite,date_vente,region\n";
    // (case, row, expected reason)
    let cases = [
        (
            "too many fields",
            "1,A,1,2024-01-01,R,extra",
            RejectReason::WrongFieldCount,
        ),
        ("too few fields", "1,A,1,2024-01-01", RejectReason::WrongFieldCount),
        (
            "repeated header",
            "id_vente,produit,quantite,date_vente,region",
            RejectReason::RepeatedHeader,
        ),
        ("empty product", "1,,1,2024-01-01,R", RejectReason::MissingValue),
        ("empty region", "1,A,1,2024-01-01,", RejectReason::MissingValue),
        ("empty quantity", "1,A,,2024-01-01,R", RejectReason::MissingValue),
        ("empty date", "1,A,1,,R", RejectReason::MissingValue),
        (
            "quantity text",
            "1,A,beaucoup,2024-01-01,R",
            RejectReason::UnparsableNumber,
        ),
        (
            "quantity with two marks",
            "1,A,\"1.234,5\",2024-01-01,R",
            RejectReason::UnparsableNumber,
        ),
        (
            "id not an integer",
            "x1,A,1,2024-01-01,R",
            RejectReason::UnparsableNumber,
        ),
        ("date US order", "1,A,1,2024-13-01,R", RejectReason::UnparsableDate),
        (
            "date does not exist",
            "1,A,1,31/02/2024,R",
            RejectReason::UnparsableDate,
        ),
        ("date text", "1,A,1,hier,R", RejectReason::UnparsableDate),
        ("quantity zero", "1,A,0,2024-01-01,R", RejectReason::QuantityNotPositive),
        (
            "quantity negative",
            "1,A,-2,2024-01-01,R",
            RejectReason::QuantityNotPositive,
        ),
        (
            "quantity below a gram",
            "1,A,0.0004,2024-01-01,R",
            RejectReason::QuantityNotPositive,
        ),
    ];
    for (case, row, expected) in cases {
        let parsed = sales(format!("{header}{row}\n").as_bytes(), None).unwrap();
        assert_eq!(parsed.read, 1, "{case}");
        assert_eq!(parsed.rejects.len(), 1, "{case}: accepted {:?}", parsed.rows);
        let reject = &parsed.rejects[0];
        assert_eq!((reject.reason, reject.line), (expected, 2), "{case}: {reject:?}");
        assert!(reject.file.ends_with("ventes.csv"), "{case}: {}", reject.file);
        assert!(!reject.detail.is_empty(), "{case}");
    }

    let duplicates = sales(
        format!("{header}1,A,1,2024-01-01,R\n1,B,2,2024-01-02,R\n,A,1,2024-01-01,R\n,A,1,2024-01-01,R\n").as_bytes(),
        None,
    )
    .unwrap();
    let reasons: Vec<(u64, RejectReason)> = duplicates.rejects.iter().map(|r| (r.line, r.reason)).collect();
    assert_eq!(
        reasons,
        [(3, RejectReason::DuplicateId), (5, RejectReason::DuplicateRow)]
    );
    assert_eq!(
        duplicates.rows.len(),
        2,
        "a row with an id and the same content as a row without is another sale"
    );

    let negative_price = sales(b"produit,quantite,date_vente,region,prix\nA,1,2024-01-01,R,-3\n", None).unwrap();
    assert_eq!(negative_price.rejects[0].reason, RejectReason::NegativeValue);

    let skipped = sales(
        b"produit,quantite,date_vente,region,note\nA,1,2024-01-01,R,test\nA,2,2024-01-01,R,\n",
        Some("[ventes]\n[[ventes.skip]]\ncolumn = \"note\"\nvalues = [\"test\"]\nreason = \"test row\"\n"),
    )
    .unwrap();
    assert_eq!(
        (skipped.rejects[0].reason, skipped.rejects[0].detail.as_str()),
        (RejectReason::SkippedByMapping, "test row")
    );

    // Fill-down with nothing above to fill from.
    let no_fill = sales(
        b"Market,produit,quantite,date_vente,region\n,A,1,2024-01-01,R\n",
        Some("[ventes]\nfill_down = [\"Market\"]\n"),
    )
    .unwrap();
    assert_eq!(no_fill.rejects[0].reason, RejectReason::MissingValue);
}

#[test]
fn region_and_product_rows_are_validated() {
    let regions = read_regions(
        &[file_at("r", "regions.csv", "nom_region;population\nBretagne;3 400 000\nNormandie;-1\nBretagne;3400000\nOccitanie;6000000,5\nCorse;340000\n".as_bytes())],
        None,
        |_, _| {},
    )
    .unwrap();
    let reasons: Vec<RejectReason> = regions.rejects.iter().map(|r| r.reason).collect();
    assert_eq!(
        reasons,
        [
            RejectReason::UnparsableNumber,
            RejectReason::NegativeValue,
            RejectReason::UnparsableNumber
        ]
    );
    let names: Vec<&str> = regions.rows.iter().map(|r| r.record.name.as_str()).collect();
    assert_eq!(names, ["Bretagne", "Corse"]);

    let products = read_products(
        &[file_at(
            "p",
            "produits.csv",
            "nom,catégorie,prix_unitaire\nPomme,fruits,\"2,5\"\nPomme,fruits,2.5\nPoire,fruits,-1\n".as_bytes(),
        )],
        None,
        |_, _| {},
    )
    .unwrap();
    let reasons: Vec<RejectReason> = products.rejects.iter().map(|r| r.reason).collect();
    assert_eq!(reasons, [RejectReason::DuplicateRow, RejectReason::NegativeValue]);
    assert_eq!(products.rows[0].record.unit_price.get(), 250);
}

#[test]
fn unmappable_headers_are_refused_with_a_clear_message() {
    let missing = sales(b"produit,poids,date_vente,region\nA,1,2024-01-01,R\n", None).unwrap_err();
    let message = missing.to_string();
    assert!(matches!(missing, ImportError::Header { .. }), "{message}");
    assert!(
        message.contains("quantite") && message.contains("--mapping"),
        "{message}"
    );

    let wrong_column = sales(
        b"produit,poids,date_vente,region\nA,1,2024-01-01,R\n",
        Some("[ventes.fields]\nquantite = { column = \"Weight\" }\n"),
    )
    .unwrap_err();
    assert!(
        wrong_column.to_string().contains("no column `Weight`"),
        "{wrong_column}"
    );

    let empty = sales(b"", None).unwrap_err();
    assert!(empty.to_string().contains("empty"), "{empty}");

    assert!(
        Mapping::from_toml("[ventes.fields]\npoids = { column = \"x\" }\n")
            .unwrap_err()
            .contains("unknown field")
    );
    assert!(Mapping::from_toml("[ventes.fields]\nquantite = { column = \"x\", value = \"1\" }\n").is_err());
    assert!(Mapping::from_toml("[ventes.fields]\nquantite = { column = \"x\", factor = -1 }\n").is_err());
    assert!(Mapping::from_toml("[ventes]\nseparator = \"|\"\n").is_err());
}

#[test]
fn forced_encoding_and_separator() {
    let mapping = "[ventes]\nencoding = \"utf-8\"\n";
    let err = sales(b"produit,quantit\xE9,date_vente,region\n", Some(mapping)).unwrap_err();
    assert!(matches!(err, ImportError::Encoding { .. }), "{err}");

    // A header with more commas than semicolons, forced to `;`.
    let parsed = sales(
        b"produit;quantite;date_vente;region\n\"A,B,C\";1;2024-01-01;R\n",
        Some("[ventes]\nseparator = \";\"\n"),
    )
    .unwrap();
    assert_eq!(parsed.rows[0].record.product, name("A,B,C"));
    let _ = Path::new("unused");
}
