//! Bytes to text: encodings, separators, header names.

use serde::Deserialize;

/// A text encoding of an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Encoding {
    /// UTF-8, with or without a byte-order mark.
    #[serde(rename = "utf-8", alias = "UTF-8", alias = "utf8")]
    Utf8,
    /// Windows-1252, what spreadsheets on Western-European Windows save as
    /// "CSV"; a superset of ISO-8859-1 for printable characters.
    #[serde(rename = "windows-1252", alias = "cp1252", alias = "latin1", alias = "iso-8859-1")]
    Windows1252,
}

impl Encoding {
    /// Name used in messages.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Windows1252 => "Windows-1252",
        }
    }
}

/// Decodes `bytes`. With `declared` set, only that encoding is tried;
/// otherwise a UTF-8 byte-order mark or valid UTF-8 means UTF-8, and
/// anything else is read as Windows-1252 (every byte decodes, so this
/// cannot fail). Returns the text without the byte-order mark, and the
/// encoding used.
pub fn decode(bytes: &[u8], declared: Option<Encoding>) -> Result<(String, Encoding), String> {
    let without_bom = bytes.strip_prefix(b"\xEF\xBB\xBF");
    match declared {
        Some(Encoding::Windows1252) => Ok((windows_1252(bytes), Encoding::Windows1252)),
        Some(Encoding::Utf8) => {
            let body = without_bom.unwrap_or(bytes);
            std::str::from_utf8(body).map(|s| (s.to_owned(), Encoding::Utf8)).map_err(|e| {
                format!(
                    "not valid UTF-8 at byte {}; declare `encoding = \"windows-1252\"` in the mapping if the file comes from a Windows spreadsheet",
                    e.valid_up_to()
                )
            })
        }
        None => {
            if let Some(body) = without_bom {
                return decode(body, Some(Encoding::Utf8));
            }
            match std::str::from_utf8(bytes) {
                Ok(text) => Ok((text.to_owned(), Encoding::Utf8)),
                Err(_) => Ok((windows_1252(bytes), Encoding::Windows1252)),
            }
        }
    }
}

fn windows_1252(bytes: &[u8]) -> String {
    let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
    text.into_owned()
}

/// Picks the field separator from the first line of `text`: the most
/// frequent of `,`, `;` and tab outside double quotes; `,` on a tie or
/// when none occurs (a one-column file).
pub fn detect_separator(text: &str) -> u8 {
    let mut counts = [0_usize; 3];
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' | '\r' if !quoted => break,
            ',' if !quoted => counts[0] += 1,
            ';' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let candidates = [b',', b';', b'\t'];
    let mut best = 0;
    for i in 1..3 {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    candidates[best]
}

/// Normalizes a header or field name for matching: accents removed,
/// lower case, every run of other characters than letters and digits
/// turned into one `_`, surrounding `_` removed. `Quantité`, `quantite` and ` QUANTITE ` all
/// give `quantite`; `Nom région` gives `nom_region`.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.trim().chars() {
        let folded = fold_accent(c);
        for c in folded.chars() {
            let c = c.to_ascii_lowercase();
            if c.is_alphanumeric() {
                out.push(c);
            } else if !out.ends_with('_') {
                // Spaces, `_`, `-`, brackets and other punctuation all separate words.
                out.push('_');
            }
        }
    }
    out.trim_matches('_').to_owned()
}

/// Removes the diacritic of a Latin letter (`é` → `e`, `Ç` → `C`,
/// `œ` → `oe`); other characters are returned unchanged.
fn fold_accent(c: char) -> std::borrow::Cow<'static, str> {
    let plain = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => "a",
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "A",
        'ç' => "c",
        'Ç' => "C",
        'è' | 'é' | 'ê' | 'ë' => "e",
        'È' | 'É' | 'Ê' | 'Ë' => "E",
        'ì' | 'í' | 'î' | 'ï' => "i",
        'Ì' | 'Í' | 'Î' | 'Ï' => "I",
        'ñ' => "n",
        'Ñ' => "N",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' => "o",
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' => "O",
        'ù' | 'ú' | 'û' | 'ü' => "u",
        'Ù' | 'Ú' | 'Û' | 'Ü' => "U",
        'ý' | 'ÿ' => "y",
        'Ý' | 'Ÿ' => "Y",
        'œ' => "oe",
        'Œ' => "OE",
        'æ' => "ae",
        'Æ' => "AE",
        _ => return std::borrow::Cow::Owned(c.to_string()),
    };
    std::borrow::Cow::Borrowed(plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_with_or_without_accents_and_case() {
        for (raw, expected) in [
            ("quantité", "quantite"),
            ("Quantite", "quantite"),
            (" QUANTITÉ ", "quantite"),
            ("Nom région", "nom_region"),
            ("nom_region", "nom_region"),
            ("catégorie", "categorie"),
            ("Arrivals (Tonnes)", "arrivals_tonnes"),
            ("Modal Price(Rs./Quintal)", "modal_price_rs_quintal"),
        ] {
            assert_eq!(normalize_name(raw), expected, "{raw}");
        }
    }

    #[test]
    fn separators_are_detected_outside_quotes() {
        assert_eq!(detect_separator("a,b,c\n1;2;3"), b',');
        assert_eq!(detect_separator("a;b;c\n"), b';');
        assert_eq!(detect_separator("a\tb\tc"), b'\t');
        assert_eq!(detect_separator("\"a;b;c\",d,e"), b',');
        assert_eq!(detect_separator("single"), b',');
    }

    #[test]
    fn decoding_handles_bom_utf8_and_windows_1252() {
        assert_eq!(
            decode(b"\xEF\xBB\xBFnom", None).unwrap(),
            ("nom".to_owned(), Encoding::Utf8)
        );
        assert_eq!(decode("é".as_bytes(), None).unwrap(), ("é".to_owned(), Encoding::Utf8));
        assert_eq!(
            decode(b"cat\xE9gorie", None).unwrap(),
            ("catégorie".to_owned(), Encoding::Windows1252)
        );
        assert!(decode(b"cat\xE9gorie", Some(Encoding::Utf8)).is_err());
        assert_eq!(decode(b"\x80", Some(Encoding::Windows1252)).unwrap().0, "€");
    }
}
