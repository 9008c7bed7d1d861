//! ScanID and subject code → BIDS labels (pure).

use crate::domain::{DomainError, ParticipantLabel, SessionLabel};

/// Participant label from a raw subject code: non-alphanumerics removed, numeric
/// codes zero-padded to `pad` digits (`75` → `0075`, `CLM_L_01` → `CLML01`).
pub fn participant_label(code: &str, pad: u8) -> Result<ParticipantLabel, DomainError> {
    let cleaned: String = code.chars().filter(char::is_ascii_alphanumeric).collect();
    let padded = if !cleaned.is_empty() && cleaned.bytes().all(|b| b.is_ascii_digit()) {
        format!("{cleaned:0>width$}", width = usize::from(pad))
    } else {
        cleaned
    };
    ParticipantLabel::new(padded).map_err(|e| match e {
        DomainError::InvalidLabel { kind, .. } => DomainError::InvalidLabel { kind, value: code.into() },
        other => other,
    })
}

/// Session label from a ScanID: separators removed (`20240115_1430` → `202401151430`).
pub fn session_label(scan_id: &str) -> Result<SessionLabel, DomainError> {
    let cleaned: String = scan_id.chars().filter(char::is_ascii_alphanumeric).collect();
    SessionLabel::new(cleaned).map_err(|e| match e {
        DomainError::InvalidLabel { kind, .. } => DomainError::InvalidLabel { kind, value: scan_id.into() },
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_the_original_rules() {
        assert_eq!(participant_label("75", 4).unwrap().as_str(), "0075");
        assert_eq!(participant_label("12345", 4).unwrap().as_str(), "12345");
        assert_eq!(participant_label("75", 0).unwrap().as_str(), "75");
        assert_eq!(participant_label("CLM_L_01", 4).unwrap().as_str(), "CLML01");
        assert_eq!(participant_label(" sub-07 ", 3).unwrap().as_str(), "sub07");
        assert!(participant_label("__", 4).is_err());
        assert!(participant_label("élève", 4).unwrap().as_str() == "lve");
        assert_eq!(session_label("20240115_1430").unwrap().as_str(), "202401151430");
        assert_eq!(session_label("a b$(x)").unwrap().as_str(), "abx");
        assert!(session_label("--").is_err());
        let long = "9".repeat(65);
        let e = session_label(&long).unwrap_err().to_string();
        assert!(e.contains("longer than 64 characters"), "{e}");
        assert!(participant_label(&"7".repeat(64), 4).is_ok());
    }
}
