//! The filesystem side of discovery: candidate folders, cheap fingerprints, and
//! reading a folder's DICOM headers (in parallel).

use super::dicom::{Probe, read_header};
use super::protocol::SeriesSummary;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rayon::prelude::*;
use regex::Regex;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use walkdir::WalkDir;

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("cannot list {path}: {message}; check that paths.dicom_incoming exists and is readable")]
    List { path: PathBuf, message: String },
}

/// A folder that may hold one visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Path relative to dicom_incoming (the folder's identity).
    pub rel_path: String,
    pub abs_path: PathBuf,
    /// The ScanID: the folder name, or the relative path under `path_pattern`.
    pub scan_id: String,
    /// From `path_pattern`'s named groups.
    pub subject_hint: Option<String>,
    pub session_hint: Option<String>,
    /// Set when the name cannot be kept byte-exact as text (not valid UTF-8): such a
    /// folder is held, never processed under a mangled path.
    pub name_problem: Option<String>,
}

/// Deepest folder level `path_pattern` is tried on.
const MAX_PATTERN_DEPTH: usize = 6;

/// Lists candidate folders: every subfolder of `root`, or with `pattern` every
/// folder whose relative path matches it (not descending below a match). One
/// `readdir` per listed directory and no stat: file types come from the listing,
/// and a candidate is never opened here (walkdir opens every directory it yields,
/// even at its maximum depth: 30,000 opens for a flat listing of 30,000 visits).
pub fn candidates(root: &Path, pattern: Option<&Regex>) -> Result<Vec<Candidate>, ScanError> {
    let mut out = vec![];
    let top = subdirs(root).map_err(|e| ScanError::List { path: root.to_path_buf(), message: e.to_string() })?;
    let mut stack: Vec<(PathBuf, usize)> = top.into_iter().rev().map(|n| (PathBuf::from(n), 1)).collect();
    while let Some((rel_os, depth)) = stack.pop() {
        let path = root.join(&rel_os);
        let rel = rel_os.to_string_lossy().into_owned();
        let name_problem = rel_os.to_str().is_none().then(|| {
            format!(
                "folder name is not valid UTF-8 (bytes {:?}); neuroflow keeps paths as text, so rename the folder (e.g. with convmv)",
                rel_os.as_os_str().as_encoded_bytes().escape_ascii().to_string()
            )
        });
        let Some(re) = pattern else {
            out.push(Candidate {
                scan_id: rel.clone(),
                rel_path: rel,
                abs_path: path,
                subject_hint: None,
                session_hint: None,
                name_problem,
            });
            continue;
        };
        if let Some(caps) = re.captures(&rel) {
            let group = |g: &str| caps.name(g).map(|m| m.as_str().to_string());
            out.push(Candidate {
                subject_hint: group("subject"),
                session_hint: group("session"),
                scan_id: rel.clone(),
                rel_path: rel,
                abs_path: path,
                name_problem,
            });
        } else if depth < MAX_PATTERN_DEPTH {
            match subdirs(&path) {
                Ok(children) => stack.extend(children.into_iter().rev().map(|n| (rel_os.join(n), depth + 1))),
                Err(e) => {
                    tracing::warn!(folder = %path.display(), error = %e, "skipping an unreadable folder under dicom_incoming")
                }
            }
        }
    }
    Ok(out)
}

/// The names of the subdirectories of `dir` (not symlinks), sorted, from one listing.
fn subdirs(dir: &Path) -> std::io::Result<Vec<std::ffi::OsString>> {
    let mut out = vec![];
    for entry in std::fs::read_dir(dir)? {
        match entry.and_then(|e| Ok((e.file_type()?, e))) {
            Ok((t, e)) if t.is_dir() => out.push(e.file_name()),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(folder = %dir.display(), error = %e, "skipping an unreadable entry under dicom_incoming")
            }
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// A cheap summary that changes when files are added, removed, grown or touched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    pub file_count: i64,
    pub total_bytes: i64,
    pub newest_mtime: NaiveDateTime,
}

/// A modification time in whole seconds: PostgreSQL keeps microseconds and SQLite
/// nanoseconds, so a finer time would never compare equal after a round trip.
fn whole_seconds(t: std::time::SystemTime) -> NaiveDateTime {
    let t = DateTime::<Utc>::from(t);
    DateTime::<Utc>::from_timestamp(t.timestamp(), 0).unwrap_or(t).naive_utc()
}

/// Stats every file below `dir` (no file is opened).
pub fn fingerprint(dir: &Path) -> Fingerprint {
    let mut fp = Fingerprint { file_count: 0, total_bytes: 0, newest_mtime: DateTime::UNIX_EPOCH.naive_utc() };
    for entry in WalkDir::new(dir).into_iter().filter_map(Result::ok) {
        let Ok(meta) = entry.metadata() else { continue };
        if let Ok(t) = meta.modified() {
            fp.newest_mtime = fp.newest_mtime.max(whole_seconds(t));
        }
        if meta.is_file() {
            fp.file_count += 1;
            fp.total_bytes += i64::try_from(meta.len()).unwrap_or(i64::MAX);
        }
    }
    fp
}

/// What a folder's DICOM headers say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FolderRead {
    pub series: Vec<SeriesSummary>,
    pub study_date: Option<NaiveDate>,
    pub dicom_files: u32,
    pub skipped_files: u32,
    /// A few unreadable files with the reason (for messages).
    pub unreadable: Vec<(String, String)>,
    pub unreadable_count: u32,
}

/// Reads every file's header below `dir`, in parallel, and groups by series.
pub fn read_folder(dir: &Path, max_header_bytes: u64) -> FolderRead {
    let files: Vec<PathBuf> = WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    let probes: Vec<(PathBuf, Probe)> = files
        .into_par_iter()
        .map(|p| {
            let probe = read_header(&p, max_header_bytes);
            (p, probe)
        })
        .collect();
    summarise(dir, probes)
}

fn summarise(dir: &Path, probes: Vec<(PathBuf, Probe)>) -> FolderRead {
    let mut read = FolderRead::default();
    let mut by_uid: BTreeMap<String, SeriesSummary> = BTreeMap::new();
    let mut dates: BTreeMap<NaiveDate, u32> = BTreeMap::new();
    for (path, probe) in probes {
        match probe {
            Probe::NotDicom => read.skipped_files += 1,
            Probe::Unreadable(why) => {
                read.unreadable_count += 1;
                if read.unreadable.len() < 5 {
                    let rel = path.strip_prefix(dir).unwrap_or(&path).display().to_string();
                    read.unreadable.push((rel, why));
                }
            }
            Probe::Dicom(h) => {
                read.dicom_files += 1;
                if let Some(d) = h.study_date {
                    *dates.entry(d).or_default() += 1;
                }
                let s = by_uid.entry(h.series_uid.clone()).or_insert_with(|| SeriesSummary {
                    series_uid: h.series_uid.clone(),
                    series_number: h.series_number,
                    description: h.series_description.clone(),
                    protocol_name: h.protocol_name.clone(),
                    files: 0,
                });
                s.files += 1;
            }
        }
    }
    read.study_date = dates.into_iter().max_by_key(|(d, n)| (*n, std::cmp::Reverse(*d))).map(|(d, _)| d);
    read.series = by_uid.into_values().collect();
    read.series.sort_by(|a, b| (a.series_number, &a.series_uid).cmp(&(b.series_number, &b.series_uid)));
    read
}
