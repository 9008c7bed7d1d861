//! Invalid sessions are watched: a visit that arrives in two batches registers before
//! its DWI series lands. When an invalid session's folder changes and then stays
//! quiet for `stability_minutes`, its headers are read again and it is validated
//! anew (it may become valid and enter the chain). `sessions rescan` forces a re-read.

use super::{DiscoverReport, MAX_HEADER_BYTES};
use crate::config::Config;
use crate::db::{FolderObservation, IncomingFolder, Reread, Session, Store, Verdict};
use crate::discovery::intake::stability;
use crate::discovery::protocol::validate;
use crate::discovery::scan::{Fingerprint, fingerprint, read_folder};
use crate::error::Result;
use chrono::NaiveDateTime;
use std::path::Path;

fn stored(f: &IncomingFolder) -> Fingerprint {
    Fingerprint { file_count: f.file_count, total_bytes: f.total_bytes, newest_mtime: f.newest_mtime }
}

fn observation(f: &IncomingFolder, fp: Fingerprint, since: NaiveDateTime, now: NaiveDateTime) -> FolderObservation {
    FolderObservation {
        rel_path: f.rel_path.clone(),
        scan_id: f.scan_id.clone(),
        subject_hint: f.subject_hint.clone(),
        session_hint: f.session_hint.clone(),
        file_count: fp.file_count,
        total_bytes: fp.total_bytes,
        newest_mtime: fp.newest_mtime,
        fingerprint_since: since,
        last_seen: now,
    }
}

/// Re-reads the invalid sessions whose folders changed since their last read and
/// have settled; notes the new fingerprint of those still changing.
pub fn reread_changed_invalid(
    cfg: &Config,
    store: &mut Store,
    tick: Option<i64>,
    now: NaiveDateTime,
    report: &mut DiscoverReport,
) -> Result<()> {
    for (folder, session) in store.invalid_registered_folders()? {
        let path = Path::new(&session.dicom_path);
        if !path.is_dir() {
            continue;
        }
        let fp = fingerprint(path);
        let st = stability(Some((stored(&folder), folder.fingerprint_since)), fp, now, cfg.discovery.stability_minutes);
        let obs = observation(&folder, fp, st.fingerprint_since, now);
        if fp != stored(&folder) {
            store.observe_registered_folder(&obs)?;
        }
        let read_at = session.series_read_at.unwrap_or(session.discovered_at);
        if st.fingerprint_since <= read_at || !st.stable {
            continue;
        }
        let updated = reread(cfg, store, &session, &obs, tick, now)?;
        report.files_read += u64::try_from(fp.file_count).unwrap_or(0);
        report.reread.push(format!(
            "ses-{} (ScanID {}): {}",
            updated.session_label,
            updated.scan_id,
            if updated.is_valid {
                "now valid".to_string()
            } else {
                format!("still invalid: {}", updated.validation_message)
            }
        ));
    }
    Ok(())
}

/// Reads a session's folder again and stores the new series and verdict.
pub fn reread(
    cfg: &Config,
    store: &mut Store,
    session: &Session,
    obs: &FolderObservation,
    tick: Option<i64>,
    now: NaiveDateTime,
) -> Result<Session> {
    let read = read_folder(Path::new(&session.dicom_path), MAX_HEADER_BYTES);
    let v = validate(&cfg.protocol, &read.series);
    let series = serde_json::to_string(&read.series).unwrap_or_else(|_| "[]".into());
    let scans = serde_json::to_string(&v.scans_found).unwrap_or_else(|_| "{}".into());
    let r = Reread {
        series_json: &series,
        study_date: read.study_date.or(session.study_date),
        verdict: Verdict { is_valid: v.is_valid, scans_found: &scans, message: &v.message },
        read_at: now,
    };
    let updated = store.record_reread(session.id, obs, &r, tick)?;
    tracing::info!(session = %updated.session_label, valid = updated.is_valid, message = %updated.validation_message,
        "read the session's folder again");
    Ok(updated)
}

/// `sessions rescan`: reads a session's folder now, whatever its fingerprint says.
pub fn force_reread(cfg: &Config, store: &mut Store, session: &Session, now: NaiveDateTime) -> Result<Session> {
    let folder = store.folder_of_session(session.id)?;
    let fp = fingerprint(Path::new(&session.dicom_path));
    let obs = match &folder {
        Some(f) => observation(f, fp, now, now),
        None => FolderObservation {
            rel_path: session.scan_id.clone(),
            scan_id: session.scan_id.clone(),
            subject_hint: None,
            session_hint: None,
            file_count: fp.file_count,
            total_bytes: fp.total_bytes,
            newest_mtime: fp.newest_mtime,
            fingerprint_since: now,
            last_seen: now,
        },
    };
    reread(cfg, store, session, &obs, None, now)
}
