//! The discovery stage of a tick: scan dicom_incoming, hold or register folders.

use crate::config::Config;
use crate::db::{FolderObservation, IncomingFolder, NewSession, Store};
use crate::discovery::identity;
use crate::discovery::intake::{Owner, owner, stability};
use crate::discovery::mapping::MappingTable;
use crate::discovery::protocol::validate;
use crate::discovery::scan::{Candidate, fingerprint, read_folder};
use crate::discovery::source::{self, LoadedMapping, Origin};
use crate::domain::IntakeState;
use crate::error::{Error, Result};
use chrono::NaiveDateTime;
use std::collections::{BTreeMap, HashMap};

use super::{DiscoverReport, HeldFolder, MAX_HEADER_BYTES};

/// Runs discovery. For a dry run, open the store with `Store::begin_dry_run` first:
/// discovery writes as usual and nothing is kept. An idle re-scan is one listing
/// compared with the registered paths; held folders are re-checked; the identity
/// checks over every registered session run only when their inputs changed.
pub fn discover(cfg: &Config, store: &mut Store, tick: Option<i64>, now: NaiveDateTime) -> Result<DiscoverReport> {
    let dry_run = store.is_dry_run();
    let mapping = load_mapping(cfg, !dry_run)?;
    let pattern = cfg.discovery.path_pattern.as_deref().map(crate::config::validate_path_pattern).transpose();
    let pattern = pattern.map_err(|m| Error::Usage(format!("discovery.path_pattern: {m}")))?;
    let held: HashMap<String, IncomingFolder> =
        store.held_folders()?.into_iter().map(|f| (f.rel_path.clone(), f)).collect();
    let mut scan = crate::workflow::intake::listing::scan(&cfg.paths.dicom_incoming, store, pattern.as_ref(), &held)?;
    let found = std::mem::take(&mut scan.found);
    let mut report = DiscoverReport { folders_seen: scan.seen, dry_run, ..Default::default() };
    report.mapping = mapping.as_ref().map(|m| describe(&m.origin));
    let pad = cfg.mapping.as_ref().map_or(4, |m| m.pad_numeric_to);
    let todo: Vec<&Candidate> = if scan.unchanged {
        found.iter().filter(|c| held.contains_key(&c.rel_path)).collect()
    } else {
        let registered = store.registered_folder_paths()?;
        found.iter().filter(|c| !registered.contains(&c.rel_path)).collect()
    };
    report.already_registered = scan.seen - todo.len();
    if scan.listed {
        let present: std::collections::HashSet<&str> =
            found.iter().map(|c| c.rel_path.as_str()).filter(|p| held.contains_key(*p)).collect();
        let vanished: Vec<IncomingFolder> =
            held.values().filter(|f| !present.contains(f.rel_path.as_str())).cloned().collect();
        if !vanished.is_empty() {
            tracing::info!(folders = vanished.len(), "forgetting held folders that no longer exist");
            store.drop_vanished_folders(&vanished)?;
        }
    }
    let hints: Vec<&str> = found.iter().filter_map(|c| c.subject_hint.as_deref()).collect();
    let inputs = identity_inputs(mapping.as_ref(), pad, &hints, store)?;
    let due = store.site_state(IDENTITY_KEY)?.as_deref() != Some(inputs.as_str());
    // Codes claiming each label from the mapping and folder paths (registered
    // subjects are looked up when a folder is about to register).
    let needed = !todo.is_empty() || due;
    let table = if needed { mapping.as_ref().map(table_of).transpose()? } else { None };
    let claims = if needed { identity::claims(table, hints.iter().copied(), &[], pad) } else { BTreeMap::new() };
    let progress = crate::progress::bar(todo.len() as u64, "discovering");
    let ctx = Ctx { cfg, tick, now, mapping: table, claims: &claims };
    for c in todo {
        progress.inc(1);
        step(&ctx, store, c, held.get(&c.rel_path), &mut report)?;
    }
    progress.finish_and_clear();
    // Every folder listed is now registered or held.
    crate::workflow::intake::listing::remember(store, &scan)?;
    crate::workflow::intake::reread::reread_changed_invalid(cfg, store, tick, now, &mut report)?;
    if due {
        check_identities(store, table, claims, pad, tick)?;
    }
    // This tick's own registrations and re-reads raise no identity issue (a
    // colliding folder is held, never registered): the inputs now are the checked ones.
    if due || report.registered_valid + report.registered_invalid + report.reread.len() > 0 {
        let checked = identity_inputs(mapping.as_ref(), pad, &hints, store)?;
        store.set_site_state(IDENTITY_KEY, &checked)?;
    }
    for (r, issue) in store.disputed_sessions()? {
        tracing::warn!(subject = %r.participant, session = %r.session_label, "{issue}");
        report.identity.push(format!("sub-{} ses-{}: {issue}", r.participant, r.session_label));
    }
    Ok(report)
}

const IDENTITY_KEY: &str = "identity_inputs";

/// What every registered session's identity issue depends on: the mapping, the
/// label padding, the codes folder paths name and the registered sessions.
fn identity_inputs(mapping: Option<&LoadedMapping>, pad: u8, hints: &[&str], store: &mut Store) -> Result<String> {
    let head = format!("pad={pad}\nsessions={}", store.sessions_version()?);
    let mut hints = hints.to_vec();
    hints.sort_unstable();
    hints.dedup();
    let table = mapping.map_or("no mapping", |m| m.digest.as_str());
    let parts = [head.as_str(), table].into_iter().chain(hints.into_iter().flat_map(|h| ["h", h]));
    Ok(crate::digest::sha256_parts(parts))
}

/// Every registered session's identity issue, set where it changed.
fn check_identities(
    store: &mut Store,
    mapping: Option<&MappingTable>,
    mut claims: BTreeMap<String, std::collections::BTreeSet<String>>,
    pad: u8,
    tick: Option<i64>,
) -> Result<()> {
    let registered = store.registered_identities()?;
    for (r, _) in &registered {
        claims.entry(r.participant.clone()).or_default().insert(r.subject_code.clone());
    }
    let regs: Vec<_> = registered.iter().map(|(r, _)| r.clone()).collect();
    let found_issues = identity::issues(&regs, mapping, &claims, pad);
    for (r, stored) in &registered {
        let issue = found_issues.get(&r.session_id).cloned().flatten();
        if &issue != stored {
            store.set_identity_issue(r.session_id, issue.as_deref(), tick)?;
        }
    }
    Ok(())
}

struct Ctx<'a> {
    cfg: &'a Config,
    tick: Option<i64>,
    now: NaiveDateTime,
    mapping: Option<&'a MappingTable>,
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

/// The mapping's table, parsed now (a table that does not parse needs a person).
pub(crate) fn table_of(m: &LoadedMapping) -> Result<&MappingTable> {
    m.table().map_err(|e| Error::Usage(e.to_string()))
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
    let hold = |store: &mut Store, report: &mut DiscoverReport, state: IntakeState, reason: String| -> Result<()> {
        store.hold_folder(&obs, state, &reason, ctx.tick)?;
        tracing::info!(folder = %c.rel_path, state = %state, %reason, "holding folder");
        report.held.push(HeldFolder { folder: c.rel_path.clone(), state, reason });
        Ok(())
    };
    if let Some(why) = &c.name_problem {
        return hold(store, report, IntakeState::Unreadable, why.clone());
    }
    if !st.stable {
        let reason = format!(
            "changed {}s ago; waiting for {} quiet minutes",
            st.quiet_seconds, ctx.cfg.discovery.stability_minutes
        );
        return hold(store, report, IntakeState::Waiting, reason);
    }
    let pad = ctx.cfg.mapping.as_ref().map_or(4, |m| m.pad_numeric_to);
    let (participant, session, code) = match owner(c, ctx.mapping, pad) {
        Owner::Held { state, reason } => return hold(store, report, state, reason),
        Owner::Known { participant, session, subject_code } => (participant, session, subject_code),
    };
    let mut claims = ctx.claims.get(participant.as_str()).cloned().unwrap_or_default();
    claims.insert(code.clone());
    if let Some(s) = store.subject_by_label(participant.as_str())? {
        claims.insert(s.subject_code);
    }
    if let Some(why) = identity::collision_of(participant.as_str(), &claims) {
        return hold(store, report, IntakeState::Conflict, why);
    }
    if let Some((other, _)) = store.session_by_labels(participant.as_str(), session.as_str())? {
        let reason = format!(
            "{} {} is already registered from folder {:?}",
            participant.entity(),
            session.entity(),
            other.scan_id
        );
        return hold(store, report, IntakeState::Conflict, reason);
    }
    let read = read_folder(&c.abs_path, MAX_HEADER_BYTES);
    report.files_read += u64::try_from(fp.file_count).unwrap_or(0);
    if read.dicom_files == 0 {
        let mut reason = format!("no readable DICOM files ({} other files)", read.skipped_files);
        if let Some((f, why)) = read.unreadable.first() {
            reason.push_str(&format!("; {} unreadable, e.g. {f}: {why}", read.unreadable_count));
        }
        return hold(store, report, IntakeState::Unreadable, reason);
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
    tracing::info!(folder = %c.rel_path, subject = %participant, session = %session, valid = v.is_valid,
        message = %v.message, "registered session");
    if v.is_valid {
        report.registered_valid += 1
    } else {
        report.registered_invalid += 1
    }
    Ok(())
}
