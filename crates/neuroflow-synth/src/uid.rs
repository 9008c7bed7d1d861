//! Deterministic DICOM UIDs: `2.25.<128-bit decimal>` (PS3.5 B.2), the integer being an FNV-1a
//! hash of the parts instead of a random UUID, so the same ScanID always yields the same UIDs.

const FNV_OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
const FNV_PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013B;

/// A UID derived from `parts` (e.g. `["series", scan_id, "3"]`); at most 44 characters.
pub fn derived_uid(parts: &[&str]) -> String {
    let mut h = FNV_OFFSET;
    for part in parts {
        // A separator byte keeps ["ab", "c"] and ["a", "bc"] apart.
        for b in part.bytes().chain(std::iter::once(0x1f)) {
            h ^= u128::from(b);
            h = h.wrapping_mul(FNV_PRIME);
        }
    }
    // Avoid a zero component (legal but odd).
    format!("2.25.{}", h.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_are_deterministic_distinct_and_valid() {
        let a = derived_uid(&["series", "20240115_1430", "3"]);
        assert_eq!(a, derived_uid(&["series", "20240115_1430", "3"]));
        assert_ne!(a, derived_uid(&["series", "20240115_1430", "4"]));
        assert_ne!(derived_uid(&["ab", "c"]), derived_uid(&["a", "bc"]));
        assert!(a.len() <= 64, "{a}");
        assert!(a.starts_with("2.25.") && a[5..].chars().all(|c| c.is_ascii_digit()) && !a[5..].starts_with('0'));
    }
}
