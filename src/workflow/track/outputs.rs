//! Checking a stage's success markers on the filesystem.

use crate::config::Config;
use crate::pipeline::markers::{Check, Vars, expand};
use crate::stages::StageDef;
use chrono::NaiveDateTime;
use std::path::Path;
use std::time::SystemTime;

/// Files written before the job started (less this much clock skew) are an earlier
/// run's: they do not count as this run's output.
const CLOCK_SKEW: std::time::Duration = std::time::Duration::from_secs(5);

/// Is `path` a file written since `since`?
fn fresh_file(path: &Path, since: Option<SystemTime>) -> bool {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => since.is_none_or(|s| m.modified().is_ok_and(|t| t >= s)),
        _ => false,
    }
}

fn files_below(dir: &Path) -> impl Iterator<Item = walkdir::DirEntry> {
    walkdir::WalkDir::new(dir).into_iter().filter_map(Result::ok).filter(|e| e.file_type().is_file())
}

fn holds(check: &Check, since: Option<SystemTime>) -> bool {
    match check {
        Check::Exists(p) => p.is_file(),
        Check::FreshFiles(p, suffixes) if suffixes.is_empty() => files_below(p).any(|e| fresh_file(e.path(), since)),
        Check::FreshFiles(p, suffixes) => suffixes.iter().all(|s| {
            files_below(p).any(|e| e.file_name().to_string_lossy().ends_with(s.as_str()) && fresh_file(e.path(), since))
        }),
    }
}

fn describe(check: &Check) -> String {
    match check {
        Check::Exists(p) => p.display().to_string(),
        Check::FreshFiles(p, s) if s.is_empty() => format!("{}/ (files written by this run)", p.display()),
        Check::FreshFiles(p, s) => format!("{}/ with *{} written by this run", p.display(), s.join(" and *")),
    }
}

/// The unit a run was for, as markers need it.
pub struct Unit<'a> {
    pub participant: &'a str,
    pub session: Option<&'a str>,
    /// Sessions a subject-level run covered.
    pub covered: &'a [String],
}

/// The markers of `def` that are missing for this unit (empty = success). With
/// `started` (the job's start), only files written since then count.
pub fn missing(cfg: &Config, def: &StageDef, unit: &Unit, started: Option<NaiveDateTime>) -> Vec<String> {
    let since = started.map(|t| SystemTime::from(t.and_utc()) - CLOCK_SKEW);
    let bids = cfg.paths.bids_root.display().to_string();
    let derivatives = cfg.paths.derivatives.display().to_string();
    let vars = Vars {
        bids: &bids,
        derivatives: &derivatives,
        sub: unit.participant,
        ses: unit.session,
        covered: unit.covered,
    };
    let items = |name: &str| cfg.pipeline(def.name).map(|p| p.list_items(def, name)).unwrap_or_default();
    expand(def.success, &vars, items).iter().filter(|c| !holds(c, since)).map(describe).collect()
}
