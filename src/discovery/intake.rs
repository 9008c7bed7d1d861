//! Intake decisions (pure): is a folder stable, and whose visit is it?

use super::labels::{participant_label, session_label};
use super::mapping::{Lookup, MappingTable};
use super::scan::{Candidate, Fingerprint};
use crate::domain::{IntakeState, ParticipantLabel, SessionLabel};
use chrono::{Duration, NaiveDateTime};

/// Since when the folder has looked as it does now, and whether that is long enough.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stability {
    pub fingerprint_since: NaiveDateTime,
    pub stable: bool,
    /// Seconds since the last change (file mtime or a fingerprint change we saw).
    pub quiet_seconds: i64,
}

/// A folder is stable when nothing in it changed for `minutes`: its newest file
/// is that old and its fingerprint has not changed for that long as far as
/// discovery has seen (copies that keep old mtimes are caught by the latter).
pub fn stability(
    previous: Option<(Fingerprint, NaiveDateTime)>,
    current: Fingerprint,
    now: NaiveDateTime,
    minutes: u64,
) -> Stability {
    let since = match previous {
        Some((fp, since)) if fp == current => since,
        _ => now,
    };
    let last_change = since.max(current.newest_mtime);
    let quiet = (now - last_change).num_seconds();
    let needed = Duration::minutes(i64::try_from(minutes).unwrap_or(i64::MAX / 120));
    Stability { fingerprint_since: since, stable: now - last_change >= needed, quiet_seconds: quiet }
}

/// Who a folder belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    Known { participant: ParticipantLabel, session: SessionLabel, subject_code: String },
    Held { state: IntakeState, reason: String },
}

/// Maps a candidate to its participant and session labels (path groups, or the
/// mapping table by ScanID).
pub fn owner(c: &Candidate, mapping: Option<&MappingTable>, pad: u8) -> Owner {
    let held = |state, reason: String| Owner::Held { state, reason };
    let code = match (&c.subject_hint, mapping) {
        (Some(s), _) => s.clone(),
        (None, Some(table)) => match table.lookup(&c.scan_id) {
            Lookup::Mapped(code) => code.to_string(),
            Lookup::Unmapped => {
                return held(IntakeState::Unmapped, format!("ScanID {:?} is not in the mapping table", c.scan_id));
            }
            Lookup::Conflict(codes) => {
                let reason = format!("ScanID {:?} is mapped to several subjects: {}", c.scan_id, codes.join(", "));
                return held(IntakeState::Conflict, reason);
            }
        },
        (None, None) => return held(IntakeState::Unmapped, "no mapping table configured".into()),
    };
    let participant = match participant_label(&code, pad) {
        Ok(p) => p,
        Err(e) => return held(IntakeState::Unmapped, format!("subject code {code:?}: {e}")),
    };
    let session_source = c.session_hint.as_deref().unwrap_or(&c.scan_id);
    match session_label(session_source) {
        Ok(session) => Owner::Known { participant, session, subject_code: code },
        Err(e) => held(IntakeState::Unmapped, format!("{e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::mapping::parse_csv;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn fp(n: i64, mtime: &str) -> Fingerprint {
        Fingerprint { file_count: n, total_bytes: n * 100, newest_mtime: t(mtime) }
    }

    #[test]
    fn stability_needs_quiet_files_and_an_unchanged_fingerprint() {
        let now = t("2024-01-15 12:00");
        // First sight, old files: not yet stable (we have not watched it for 10 min).
        let s = stability(None, fp(10, "2024-01-15 08:00"), now, 10);
        assert!(!s.stable);
        assert_eq!(s.fingerprint_since, now);
        // Same fingerprint 10 minutes later: stable.
        let later = t("2024-01-15 12:10");
        assert!(stability(Some((fp(10, "2024-01-15 08:00"), now)), fp(10, "2024-01-15 08:00"), later, 10).stable);
        // A file arrived with an old mtime (rsync -t): the fingerprint changed, not stable.
        let s = stability(Some((fp(10, "2024-01-15 08:00"), now)), fp(11, "2024-01-15 08:00"), later, 10);
        assert!(!s.stable && s.fingerprint_since == later);
        // A file written a minute ago keeps it waiting even with an old fingerprint.
        assert!(!stability(Some((fp(10, "2024-01-15 12:09"), now)), fp(10, "2024-01-15 12:09"), later, 10).stable);
        // stability_minutes 0: registered on first sight.
        assert!(stability(None, fp(10, "2024-01-15 08:00"), now, 0).stable);
    }

    fn cand(scan: &str) -> Candidate {
        Candidate {
            rel_path: scan.into(),
            abs_path: scan.into(),
            scan_id: scan.into(),
            subject_hint: None,
            session_hint: None,
            name_problem: None,
        }
    }

    #[test]
    fn owners_from_the_mapping_or_the_path() {
        let table =
            parse_csv("ScanID,SubjectCode\n20240115_1430,75\nX1,1\nX1,2\nBAD,---\n", "ScanID", "SubjectCode").unwrap();
        let known = owner(&cand("20240115_1430"), Some(&table), 4);
        assert!(
            matches!(&known, Owner::Known { participant, session, .. } if participant.as_str() == "0075" && session.as_str() == "202401151430")
        );
        assert!(matches!(owner(&cand("nope"), Some(&table), 4), Owner::Held { state: IntakeState::Unmapped, .. }));
        assert!(matches!(owner(&cand("X1"), Some(&table), 4), Owner::Held { state: IntakeState::Conflict, .. }));
        assert!(matches!(owner(&cand("BAD"), Some(&table), 4), Owner::Held { state: IntakeState::Unmapped, .. }));
        let mut c = cand("sub01/visit_2");
        c.subject_hint = Some("sub01".into());
        c.session_hint = Some("visit_2".into());
        assert!(
            matches!(owner(&c, None, 4), Owner::Known { participant, session, .. } if participant.as_str() == "sub01" && session.as_str() == "visit2")
        );
    }
}
