//! The ScanID → SubjectCode table (pure parsing; fetching lives in `source.rs`).

use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MappingError {
    #[error("mapping table has no column {missing:?} (columns found: {found}); set mapping.{key} to the right header")]
    MissingColumn { missing: String, key: &'static str, found: String },
    #[error("mapping table is not valid CSV: {0}")]
    Csv(String),
    #[error("mapping table is empty")]
    Empty,
}

/// The usable mapping plus what could not be used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MappingTable {
    /// ScanID → raw subject code (only unambiguous rows).
    pub entries: BTreeMap<String, String>,
    /// ScanIDs mapped to more than one subject code (never guessed).
    pub conflicts: BTreeMap<String, Vec<String>>,
    /// Rows repeating an earlier row exactly.
    pub duplicate_rows: usize,
    /// Rows with an empty ScanID or subject code.
    pub blank_rows: usize,
}

/// What the table says about one ScanID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup<'a> {
    Mapped(&'a str),
    Conflict(&'a [String]),
    Unmapped,
}

impl MappingTable {
    pub fn lookup(&self, scan_id: &str) -> Lookup<'_> {
        if let Some(codes) = self.conflicts.get(scan_id) {
            return Lookup::Conflict(codes);
        }
        self.entries.get(scan_id).map_or(Lookup::Unmapped, |c| Lookup::Mapped(c))
    }
}

/// Parses CSV text (UTF-8 BOM, CRLF, blank and duplicate rows tolerated).
pub fn parse_csv(text: &str, scan_col: &str, subject_col: &str) -> Result<MappingTable, MappingError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| MappingError::Csv(e.to_string()))?.clone();
    if headers.iter().all(str::is_empty) {
        return Err(MappingError::Empty);
    }
    let column = |name: &str, key: &'static str| {
        headers.iter().position(|h| h == name).ok_or_else(|| MappingError::MissingColumn {
            missing: name.to_string(),
            key,
            found: headers.iter().collect::<Vec<_>>().join(", "),
        })
    };
    let (si, ci) = (column(scan_col, "scan_id_column")?, column(subject_col, "subject_code_column")?);
    let mut codes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut table = MappingTable::default();
    for row in reader.records() {
        let row = row.map_err(|e| MappingError::Csv(e.to_string()))?;
        let (scan, code) = (row.get(si).unwrap_or(""), row.get(ci).unwrap_or(""));
        if scan.is_empty() || code.is_empty() {
            table.blank_rows += 1;
            continue;
        }
        let seen = codes.entry(scan.to_string()).or_default();
        if seen.iter().any(|c| c == code) {
            table.duplicate_rows += 1;
        } else {
            seen.push(code.to_string());
        }
    }
    for (scan, mut list) in codes {
        if list.len() == 1 {
            table.entries.insert(scan, list.remove(0));
        } else {
            table.conflicts.insert(scan, list);
        }
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_bom_crlf_blank_and_duplicate_rows() {
        let text = "\u{feff}ScanID,SubjectCode,Note\r\n20240115_1430,75,x\r\n\r\n,12,\r\n20240115_1430,75,again\r\n20240116_0900, CLM_L_01 ,\r\n";
        let t = parse_csv(text, "ScanID", "SubjectCode").unwrap();
        assert_eq!(t.lookup("20240115_1430"), Lookup::Mapped("75"));
        assert_eq!(t.lookup("20240116_0900"), Lookup::Mapped("CLM_L_01"));
        assert_eq!(t.lookup("nope"), Lookup::Unmapped);
        assert_eq!((t.duplicate_rows, t.blank_rows), (1, 1));
    }

    #[test]
    fn a_scan_mapped_to_two_subjects_is_a_conflict() {
        let t = parse_csv("ScanID,SubjectCode\nS1,10\nS1,11\nS2,12\n", "ScanID", "SubjectCode").unwrap();
        assert_eq!(t.lookup("S1"), Lookup::Conflict(&["10".to_string(), "11".to_string()]));
        assert_eq!(t.entries.len(), 1);
    }

    #[test]
    fn a_missing_column_names_the_fix() {
        let e = parse_csv("Scan,Subject\nS1,1\n", "ScanID", "SubjectCode").unwrap_err();
        assert!(e.to_string().contains("no column \"ScanID\" (columns found: Scan, Subject)"), "{e}");
        assert!(e.to_string().contains("mapping.scan_id_column"), "{e}");
        assert_eq!(parse_csv("", "ScanID", "SubjectCode").unwrap_err(), MappingError::Empty);
    }

    #[test]
    fn html_instead_of_csv_is_rejected() {
        let html = "<!DOCTYPE html><html><head><title>Sign in</title></head></html>";
        assert!(parse_csv(html, "ScanID", "SubjectCode").is_err());
    }
}
