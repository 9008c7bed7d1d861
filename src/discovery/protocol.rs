//! Protocol validation: does a session hold every required scan? (pure)

use crate::config::{Protocol, ScanRule};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One series of a session, as discovery summarised it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesSummary {
    pub series_uid: String,
    pub series_number: Option<i32>,
    pub description: Option<String>,
    pub protocol_name: Option<String>,
    pub files: u32,
}

/// The verdict on one session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Validation {
    pub is_valid: bool,
    /// Scan name → file count of its best matching series.
    pub scans_found: BTreeMap<String, u32>,
    /// Empty when valid; otherwise what is missing or out of bounds.
    pub message: String,
}

fn within(rule: &ScanRule, files: u32) -> bool {
    files >= rule.min_files && rule.max_files.is_none_or(|m| files <= m)
}

/// The best series for a rule: one within bounds with the most files, else the
/// largest match (so the message can say how far off it is).
fn best_match(rule: &ScanRule, series: &[SeriesSummary]) -> Option<(u32, bool)> {
    let matching = series
        .iter()
        .filter(|s| s.description.as_deref().is_some_and(|d| rule.series_description_pattern.0.is_match(d)));
    matching.map(|s| (s.files, within(rule, s.files))).max_by_key(|(files, ok)| (*ok, *files))
}

fn bounds(rule: &ScanRule) -> String {
    match rule.max_files {
        Some(max) => format!("{}-{max}", rule.min_files),
        None => format!("at least {}", rule.min_files),
    }
}

/// Checks a session's series against the protocol.
pub fn validate(protocol: &Protocol, series: &[SeriesSummary]) -> Validation {
    let mut scans_found = BTreeMap::new();
    let (mut missing, mut off) = (vec![], vec![]);
    for rule in &protocol.required_scans {
        match best_match(rule, series) {
            Some((files, ok)) => {
                scans_found.insert(rule.name.clone(), files);
                if !ok {
                    off.push(format!("{} has {files} files (expected {})", rule.name, bounds(rule)));
                }
            }
            None => missing.push(rule.name.clone()),
        }
    }
    for rule in &protocol.optional_scans {
        if let Some((files, true)) = best_match(rule, series) {
            scans_found.insert(rule.name.clone(), files);
        }
    }
    let mut parts = vec![];
    if !missing.is_empty() {
        parts.push(format!("Missing required scans: {}", missing.join(", ")));
    }
    parts.extend(off);
    Validation { is_valid: parts.is_empty(), scans_found, message: parts.join("; ") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn protocol() -> Protocol {
        let yaml = "required_scans:\n  - {name: T1w, series_description_pattern: 'mprage|t1w', min_files: 100, max_files: 300}\n  - {name: DWI, series_description_pattern: '^dwi|dti', min_files: 10}\noptional_scans:\n  - {name: fmap, series_description_pattern: 'field'}\n";
        serde_yaml::from_str(yaml).unwrap()
    }

    fn series(desc: &str, files: u32) -> SeriesSummary {
        SeriesSummary {
            series_uid: desc.into(),
            series_number: Some(1),
            description: Some(desc.into()),
            protocol_name: None,
            files,
        }
    }

    #[test]
    fn a_complete_session_is_valid() {
        let v =
            validate(&protocol(), &[series("T1_MPRAGE_sag", 176), series("DTI_64dir", 65), series("gre_fieldmap", 2)]);
        assert!(v.is_valid, "{v:?}");
        assert_eq!(v.scans_found, BTreeMap::from([("T1w".into(), 176), ("DWI".into(), 65), ("fmap".into(), 2)]));
        assert_eq!(v.message, "");
    }

    #[test]
    fn matching_is_case_insensitive_and_reports_what_is_missing() {
        let v = validate(&protocol(), &[series("t1W_fast", 150)]);
        assert!(!v.is_valid);
        assert_eq!(v.message, "Missing required scans: DWI");
        assert_eq!(v.scans_found.get("T1w"), Some(&150));
    }

    #[test]
    fn file_counts_out_of_bounds_are_named() {
        let v = validate(&protocol(), &[series("MPRAGE", 12), series("DWI", 9), series("MPRAGE repeat", 350)]);
        assert!(!v.is_valid);
        assert_eq!(v.message, "T1w has 350 files (expected 100-300); DWI has 9 files (expected at least 10)");
    }

    #[test]
    fn the_best_in_bounds_series_wins() {
        let v = validate(&protocol(), &[series("MPRAGE", 12), series("MPRAGE", 176), series("DWI", 30)]);
        assert!(v.is_valid);
        assert_eq!(v.scans_found["T1w"], 176);
    }
}
