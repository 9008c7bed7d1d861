//! What discovery looks at in `dicom_incoming` this tick, and the record it keeps
//! (`site_state` 'incoming_listing': the listing's SHA-256, the folder's mtime, when
//! it was listed, how many folders it held).
//!
//! - The listing's digest equals the last one: every folder in it was registered or
//!   held then, so only the held folders are looked at.
//! - Flat layouts (no `path_pattern`): a folder added, removed or renamed changes
//!   `dicom_incoming`'s mtime, so while the mtime is the recorded one (and older than
//!   the recorded listing by more than `RACY`, as git does for racy files) the listing
//!   is skipped too and only the held folders are re-checked. Nested layouts list.

use crate::db::{IncomingFolder, Store};
use crate::discovery::scan::{Candidate, candidates};
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::path::Path;

const KEY: &str = "incoming_listing";

/// A change within this long before a listing may not show in the mtime yet
/// (coarse timestamps): such a listing is not trusted to skip the next one.
const RACY_NS: i128 = 2_000_000_000;

/// Lists at least this often anyway: bounds what a clock skewed against a
/// coarse-timestamp file server could hide.
const MAX_AGE_NS: i128 = 3_600_000_000_000;

pub struct Scan {
    /// The folders to consider: the listing, or (skipped) the held ones present.
    pub found: Vec<Candidate>,
    /// How many folders `dicom_incoming` holds.
    pub seen: usize,
    /// Every folder found was registered or held last time.
    pub unchanged: bool,
    /// `found` is the whole listing (a held folder absent from it is gone).
    pub listed: bool,
    /// What to remember once every folder found is registered or held (a listing).
    pub record: String,
}

#[derive(Debug, PartialEq)]
struct Record<'a> {
    digest: &'a str,
    mtime_ns: i128,
    listed_ns: i128,
    count: usize,
}

fn parse(text: &str) -> Option<Record<'_>> {
    let mut f = text.split(' ');
    Some(Record {
        digest: f.next()?,
        mtime_ns: f.next()?.parse().ok()?,
        listed_ns: f.next()?.parse().ok()?,
        count: f.next()?.parse().ok()?,
    })
}

fn mtime_ns(dir: &Path) -> Option<i128> {
    let t = std::fs::metadata(dir).and_then(|m| m.modified()).ok()?;
    Some(t.duration_since(std::time::UNIX_EPOCH).ok()?.as_nanos() as i128)
}

fn now_ns() -> i128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as i128)
}

/// Whether a flat layout's listing can be skipped: same mtime, not racy, recent.
fn can_skip(last: &Record, mtime: Option<i128>, now: i128) -> bool {
    mtime == Some(last.mtime_ns) && last.listed_ns - last.mtime_ns > RACY_NS && now - last.listed_ns < MAX_AGE_NS
}

pub fn scan(
    root: &Path,
    store: &mut Store,
    pattern: Option<&regex::Regex>,
    held: &HashMap<String, IncomingFolder>,
) -> Result<Scan> {
    let stored = store.site_state(KEY)?;
    let last = stored.as_deref().and_then(parse);
    let before = now_ns();
    let mtime = mtime_ns(root);
    if let Some(last) = last.as_ref().filter(|l| pattern.is_none() && can_skip(l, mtime, before)) {
        let found =
            held.values().filter(|f| root.join(&f.rel_path).is_dir()).map(|f| held_candidate(root, f)).collect();
        return Ok(Scan { found, seen: last.count, unchanged: true, listed: false, record: String::new() });
    }
    let found = candidates(root, pattern).map_err(|e| Error::Usage(e.to_string()))?;
    let digest = crate::digest::sha256_parts(found.iter().map(|c| c.rel_path.as_str()));
    let unchanged = last.as_ref().is_some_and(|l| l.digest == digest);
    let record = format!("{digest} {} {before} {}", mtime.unwrap_or(0), found.len());
    Ok(Scan { seen: found.len(), found, unchanged, listed: true, record })
}

/// Keeps the record of a listing once every folder found is registered or held.
pub fn remember(store: &mut Store, scan: &Scan) -> Result<()> {
    if scan.listed {
        store.set_site_state(KEY, &scan.record)?;
    }
    Ok(())
}

/// A held folder of a flat layout as the listing would have shown it (its name is
/// valid UTF-8: it is a directory under that name).
fn held_candidate(root: &Path, f: &IncomingFolder) -> Candidate {
    Candidate {
        rel_path: f.rel_path.clone(),
        abs_path: root.join(&f.rel_path),
        scan_id: f.scan_id.clone(),
        subject_hint: f.subject_hint.clone(),
        session_hint: f.session_hint.clone(),
        name_problem: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips_and_a_racy_or_changed_folder_is_listed_again() {
        let r = Record { digest: "abc", mtime_ns: 10_000_000_000, listed_ns: 13_000_000_000, count: 7 };
        let text = format!("{} {} {} {}", r.digest, r.mtime_ns, r.listed_ns, r.count);
        assert_eq!(parse(&text), Some(Record { ..r }));
        let r = parse(&text).unwrap();
        let now = 20_000_000_000;
        assert!(can_skip(&r, Some(10_000_000_000), now), "same mtime, listed 3 s after it");
        assert!(!can_skip(&r, Some(10_000_000_001), now), "the folder changed");
        assert!(!can_skip(&r, None, now), "the folder cannot be read");
        let racy = Record { listed_ns: 11_000_000_000, ..r };
        assert!(!can_skip(&racy, Some(10_000_000_000), now), "listed within 2 s of its mtime: not trusted");
        assert!(!can_skip(&r, Some(10_000_000_000), now + MAX_AGE_NS), "an hour old: list again");
        assert_eq!(parse("garbage"), None);
    }
}

#[cfg(test)]
mod fs_tests {
    use super::*;

    fn backdate(dir: &Path, secs: u64) {
        let t = std::time::SystemTime::now() - std::time::Duration::from_secs(secs);
        std::fs::File::open(dir).unwrap().set_modified(t).unwrap();
    }

    #[test]
    fn a_flat_listing_is_skipped_until_the_folder_changes() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("in");
        std::fs::create_dir_all(root.join("A")).unwrap();
        std::fs::create_dir_all(root.join("B")).unwrap();
        backdate(&root, 10);
        let mut store = Store::open(&format!("sqlite://{}", dir.path().join("s.db").display())).unwrap();
        let held: HashMap<String, IncomingFolder> = HashMap::new();
        let first = scan(&root, &mut store, None, &held).unwrap();
        assert!(first.listed && !first.unchanged && first.seen == 2);
        remember(&mut store, &first).unwrap();
        let second = scan(&root, &mut store, None, &held).unwrap();
        assert!(!second.listed && second.unchanged && second.seen == 2, "nothing changed: no listing");
        assert!(second.found.is_empty(), "no held folder to look at");
        std::fs::create_dir_all(root.join("C")).unwrap();
        let third = scan(&root, &mut store, None, &held).unwrap();
        assert!(third.listed && !third.unchanged && third.seen == 3, "a new folder changes the mtime");
        remember(&mut store, &third).unwrap();
        let racy = scan(&root, &mut store, None, &held).unwrap();
        assert!(racy.listed && racy.unchanged, "listed within 2 s of the change: listed again, same digest");
        let nested = regex::Regex::new("^(?P<subject>[^/]+)$").unwrap();
        backdate(&root, 10);
        let relisted = scan(&root, &mut store, None, &held).unwrap();
        remember(&mut store, &relisted).unwrap();
        assert!(scan(&root, &mut store, Some(&nested), &held).unwrap().listed, "path_pattern layouts always list");
    }
}
