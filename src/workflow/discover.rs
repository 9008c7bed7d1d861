//! The discovery stage of a tick: scan dicom_incoming, hold or register folders.

use crate::config::Config;
use crate::db::{FolderObservation, IncomingFolder, NewSession, Store};
use crate::discovery::identity;
use crate::discovery::intake::{Owner, owner, stability};
use crate::discovery::protocol::validate;
use crate::discovery::scan::{Candidate, candidates, fingerprint, read_folder};
use crate::discovery::source::{self, LoadedMapping, Origin};
use crate::domain::IntakeState;
use crate::error::{Error, Result};
use chrono::NaiveDateTime;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Most one DICOM file's header may cost (bytes read before giving up).
pub const MAX_HEADER_BYTES: u64 = 16 << 20;

#[derive(Debug, Default, Serialize)]
pub struct DiscoverReport {
    pub folders_seen: usize,
    pub already_registered: usize,
    pub registered_valid: usize,
    pub registered_invalid: usize,
    pub files_read: u64,
    /// Held folders with their state and reason.
    pub held: Vec<HeldFolder>,
    /// Invalid sessions read again because their folder changed, with the outcome.
    pub reread: Vec<String>,
    /// Registered sessions whose identity is in question (not planned; a person decides).
    pub identity: Vec<String>,
    pub mapping: Option<String>,
    pub dry_run: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct HeldFolder {
    pub folder: String,
    pub state: IntakeState,
    pub reason: String,
}

/// Runs discovery. For a dry run, open the store with `Store::begin_dry_run` first:
/// discovery writes as usual and nothing is kept.
pub fn discover(cfg: &Config, store: &mut Store, tick: Option<i64>, now: NaiveDateTime) -> Result<DiscoverReport> {
    let dry_run = store.is_dry_run();
    let mapping = load_mapping(cfg, !dry_run)?;
    let pattern = cfg.discovery.path_pattern.as_deref().map(crate::config::validate_path_pattern).transpose();
    let pattern = pattern.map_err(|m| Error::Usage(format!("discovery.path_pattern: {m}")))?;
    let found = candidates(&cfg.paths.dicom_incoming, pattern.as_ref()).map_err(|e| Error::Usage(e.to_string()))?;
    let known: HashMap<String, IncomingFolder> =
        store.incoming_folders()?.into_iter().map(|f| (f.rel_path.clone(), f)).collect();
    let mut report = DiscoverReport { folders_seen: found.len(), dry_run, ..Default::default() };
    report.mapping = mapping.as_ref().map(|m| describe(&m.origin));
    let mut labels_in_use = store.session_labels()?;
    let pad = cfg.mapping.as_ref().map_or(4, |m| m.pad_numeric_to);
    let registered = store.registered_identities()?;
    let regs: Vec<_> = registered.iter().map(|(r, _)| r.clone()).collect();
    let claims = identity::claims(
        mapping.as_ref().map(|m| &m.table),
        found.iter().filter_map(|c| c.subject_hint.as_deref()),
        &regs,
        pad,
    );
    let todo: Vec<&Candidate> = found
        .iter()
        .filter(|c| known.get(&c.rel_path).is_none_or(|f| f.intake_state != IntakeState::Registered))
        .collect();
    report.already_registered = found.len() - todo.len();
    let present: std::collections::HashSet<&str> = found.iter().map(|c| c.rel_path.as_str()).collect();
    let vanished: Vec<IncomingFolder> = known
        .values()
        .filter(|f| f.intake_state != IntakeState::Registered && !present.contains(f.rel_path.as_str()))
        .cloned()
        .collect();
    if !vanished.is_empty() {
        tracing::info!(folders = vanished.len(), "forgetting held folders that no longer exist");
        store.drop_vanished_folders(&vanished)?;
    }
    let progress = crate::progress::bar(todo.len() as u64, "discovering");
    let ctx = Ctx { cfg, tick, now, mapping: mapping.as_ref(), claims: &claims };
    for c in todo {
        progress.inc(1);
        step(&ctx, store, c, known.get(&c.rel_path), &mut labels_in_use, &mut report)?;
    }
    progress.finish_and_clear();
    super::reread::reread_changed_invalid(cfg, store, tick, now, &mut report)?;
    let found_issues = identity::issues(&regs, mapping.as_ref().map(|m| &m.table), &claims, pad);
    for (r, stored) in &registered {
        let issue = found_issues.get(&r.session_id).cloned().flatten();
        if &issue != stored {
            store.set_identity_issue(r.session_id, issue.as_deref(), tick)?;
        }
        if let Some(i) = issue {
            tracing::warn!(subject = %r.participant, session = %r.session_label, "{i}");
            report.identity.push(format!("sub-{} ses-{}: {i}", r.participant, r.session_label));
        }
    }
    Ok(report)
}

struct Ctx<'a> {
    cfg: &'a Config,
    tick: Option<i64>,
    now: NaiveDateTime,
    mapping: Option<&'a LoadedMapping>,
    /// Subject codes claiming each participant label.
    claims: &'a BTreeMap<String, std::collections::BTreeSet<String>>,
}

pub(crate) fn load_mapping(cfg: &Config, keep_copy: bool) -> Result<Option<LoadedMapping>> {
    let Some(m) = &cfg.mapping else { return Ok(None) };
    let cache = cfg.paths.work_dir.join("mapping-cache.csv");
    match source::load(m, &cache, keep_copy) {
        Ok(l) => Ok(Some(l)),
        Err(e) if e.is_transient() => Err(Error::Transient(e.to_string())),
        Err(e) => Err(Error::Usage(e.to_string())),
    }
}

pub(crate) fn describe(o: &Origin) -> String {
    match o {
        Origin::File(p) => format!("file {}", p.display()),
        Origin::Fetched(u) => format!("fetched {u}"),
        Origin::Cached { url, reason } => format!("last good copy of {url} (fetch failed: {reason})"),
    }
}

/// One folder: stable? mapped? readable? → hold it or register it.
fn step(
    ctx: &Ctx,
    store: &mut Store,
    c: &Candidate,
    known: Option<&IncomingFolder>,
    labels_in_use: &mut BTreeMap<(String, String), String>,
    report: &mut DiscoverReport,
) -> Result<()> {
    let fp = fingerprint(&c.abs_path);
    let previous = known.map(|k| {
        let fp = crate::discovery::scan::Fingerprint {
            file_count: k.file_count,
            total_bytes: k.total_bytes,
            newest_mtime: k.newest_mtime,
        };
        (fp, k.fingerprint_since)
    });
    let st = stability(previous, fp, ctx.now, ctx.cfg.discovery.stability_minutes);
    let obs = FolderObservation {
        rel_path: c.rel_path.clone(),
        scan_id: c.scan_id.clone(),
        subject_hint: c.subject_hint.clone(),
        session_hint: c.session_hint.clone(),
        file_count: fp.file_count,
        total_bytes: fp.total_bytes,
        newest_mtime: fp.newest_mtime,
        fingerprint_since: st.fingerprint_since,
        last_seen: ctx.now,
    };
    let mut hold = |state: IntakeState, reason: String| -> Result<()> {
        store.hold_folder(&obs, state, &reason, ctx.tick)?;
        tracing::info!(folder = %c.rel_path, state = %state, %reason, "holding folder");
        report.held.push(HeldFolder { folder: c.rel_path.clone(), state, reason });
        Ok(())
    };
    if let Some(why) = &c.name_problem {
        return hold(IntakeState::Unreadable, why.clone());
    }
    if !st.stable {
        let reason = format!(
            "changed {}s ago; waiting for {} quiet minutes",
            st.quiet_seconds, ctx.cfg.discovery.stability_minutes
        );
        return hold(IntakeState::Waiting, reason);
    }
    let pad = ctx.cfg.mapping.as_ref().map_or(4, |m| m.pad_numeric_to);
    let (participant, session, code) = match owner(c, ctx.mapping.map(|m| &m.table), pad) {
        Owner::Held { state, reason } => return hold(state, reason),
        Owner::Known { participant, session, subject_code } => (participant, session, subject_code),
    };
    if let Some(why) = identity::collision(participant.as_str(), ctx.claims) {
        return hold(IntakeState::Conflict, why);
    }
    let key = (participant.as_str().to_string(), session.as_str().to_string());
    if let Some(other) = labels_in_use.get(&key) {
        let reason =
            format!("{} {} is already registered from folder {other:?}", participant.entity(), session.entity());
        return hold(IntakeState::Conflict, reason);
    }
    let read = read_folder(&c.abs_path, MAX_HEADER_BYTES);
    report.files_read += u64::try_from(fp.file_count).unwrap_or(0);
    if read.dicom_files == 0 {
        let mut reason = format!("no readable DICOM files ({} other files)", read.skipped_files);
        if let Some((f, why)) = read.unreadable.first() {
            reason.push_str(&format!("; {} unreadable, e.g. {f}: {why}", read.unreadable_count));
        }
        return hold(IntakeState::Unreadable, reason);
    }
    let v = validate(&ctx.cfg.protocol, &read.series);
    let new = NewSession {
        subject_id: 0,
        session_label: session.as_str().to_string(),
        scan_id: c.scan_id.clone(),
        dicom_path: c.abs_path.display().to_string(),
        study_date: read.study_date,
        series_json: serde_json::to_string(&read.series).unwrap_or_else(|_| "[]".into()),
        is_valid: v.is_valid,
        scans_found: serde_json::to_string(&v.scans_found).unwrap_or_else(|_| "{}".into()),
        validation_message: v.message.clone(),
        discovered_at: ctx.now,
        updated_at: ctx.now,
        series_read_at: Some(ctx.now),
    };
    store.register_folder(&obs, (participant.as_str(), &code), &new, ctx.tick)?;
    labels_in_use.insert(key, c.rel_path.clone());
    tracing::info!(folder = %c.rel_path, subject = %participant, session = %session, valid = v.is_valid,
        message = %v.message, "registered session");
    if v.is_valid {
        report.registered_valid += 1
    } else {
        report.registered_invalid += 1
    }
    Ok(())
}
