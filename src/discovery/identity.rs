//! Identity checks (pure): a registered session whose ScanID the mapping now gives
//! to another subject, and subject codes that collapse into one BIDS label (`1_2` and
//! `12` both become `sub-0012`). Neither is ever resolved by guessing: the session is
//! held from planning and a person decides (fix the mapping, or `sessions reassign`).

use super::labels::participant_label;
use super::mapping::{Lookup, MappingTable};
use std::collections::{BTreeMap, BTreeSet};

pub use crate::domain::SessionIdentity as Registered;

/// Every subject code that claims each label: the mapping's codes, codes named by
/// folder paths, and the codes of registered subjects.
pub fn claims<'a>(
    mapping: Option<&'a MappingTable>,
    path_codes: impl IntoIterator<Item = &'a str>,
    registered: &[Registered],
    pad: u8,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let codes = mapping.into_iter().flat_map(|m| m.entries.values().map(String::as_str)).chain(path_codes);
    for code in codes {
        if let Ok(label) = participant_label(code, pad) {
            out.entry(label.to_string()).or_default().insert(code.to_string());
        }
    }
    for r in registered {
        out.entry(r.participant.clone()).or_default().insert(r.subject_code.clone());
    }
    out
}

/// Why a label is not one person's, if it is claimed by several subject codes.
pub fn collision(label: &str, claims: &BTreeMap<String, BTreeSet<String>>) -> Option<String> {
    collision_of(label, claims.get(label)?)
}

/// Why a label is not one person's, if these codes (all claiming it) are several.
pub fn collision_of(label: &str, codes: &BTreeSet<String>) -> Option<String> {
    let codes = Some(codes).filter(|c| c.len() > 1)?;
    let list: Vec<&str> = codes.iter().map(String::as_str).collect();
    Some(format!(
        "label sub-{label} is claimed by subject codes {}: they would be merged into one subject; give them distinct codes in the mapping",
        list.join(" and ")
    ))
}

/// The identity issue of each registered session (None: none).
pub fn issues(
    registered: &[Registered],
    mapping: Option<&MappingTable>,
    claims: &BTreeMap<String, BTreeSet<String>>,
    pad: u8,
) -> BTreeMap<i64, Option<String>> {
    let mut out = BTreeMap::new();
    for r in registered {
        let remapped = match mapping.map(|m| m.lookup(&r.scan_id)) {
            Some(Lookup::Mapped(code)) => match participant_label(code, pad) {
                Ok(l) if l.as_str() != r.participant => Some(format!(
                    "ScanID {} is now mapped to subject code {code} (sub-{l}) but was registered as sub-{}: fix the mapping, or move it with `neuroflow sessions reassign {} {} --to {code}`",
                    r.scan_id, r.participant, r.participant, r.session_label
                )),
                _ => None,
            },
            _ => None,
        };
        out.insert(r.session_id, remapped.or_else(|| collision(&r.participant, claims)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::mapping::parse_csv;

    fn reg(id: i64, scan: &str, participant: &str, code: &str) -> Registered {
        Registered {
            session_id: id,
            scan_id: scan.into(),
            session_label: scan.replace('_', ""),
            participant: participant.into(),
            subject_code: code.into(),
        }
    }

    #[test]
    fn a_remapped_scan_and_colliding_codes_are_issues_never_merges() {
        let table = parse_csv("ScanID,SubjectCode\nA1,12\nB1,1_2\nC1,7\nD1,8\n", "ScanID", "SubjectCode").unwrap();
        let registered = vec![reg(1, "A1", "0012", "12"), reg(2, "C1", "0009", "9"), reg(3, "D1", "0008", "8")];
        let claimed = claims(Some(&table), [], &registered, 4);
        assert_eq!(claimed["0012"].len(), 2, "{claimed:?}");
        let found = issues(&registered, Some(&table), &claimed, 4);
        assert!(found[&1].as_deref().unwrap().contains("claimed by subject codes 12 and 1_2"), "{found:?}");
        let remap = found[&2].as_deref().unwrap();
        assert!(remap.contains("now mapped to subject code 7 (sub-0007) but was registered as sub-0009"), "{remap}");
        assert!(remap.contains("sessions reassign 0009 C1 --to 7"), "{remap}");
        assert_eq!(found[&3], None);
        // A ScanID dropped from the mapping is no identity change.
        let table = parse_csv("ScanID,SubjectCode\nZ9,3\n", "ScanID", "SubjectCode").unwrap();
        let c = claims(Some(&table), [], &registered[2..], 4);
        assert_eq!(issues(&registered[2..], Some(&table), &c, 4)[&3], None);
        // Codes named by folder paths claim labels too.
        let c = claims(None, ["75", "0075"], &[], 4);
        assert!(collision("0075", &c).is_some());
    }
}
