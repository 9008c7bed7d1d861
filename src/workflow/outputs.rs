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
        Check::File(p) => fresh_file(p, since),
        Check::Exists(p) => p.is_file(),
        Check::NonEmptyDir(p) => files_below(p).any(|e| fresh_file(e.path(), since)),
        Check::DirWithFiles(p, suffixes) => suffixes.iter().all(|s| {
            files_below(p).any(|e| e.file_name().to_string_lossy().ends_with(s.as_str()) && fresh_file(e.path(), since))
        }),
        Check::AnyMatching { root, dir_prefix, file } => std::fs::read_dir(root).is_ok_and(|d| {
            d.filter_map(Result::ok).any(|e| {
                e.file_name().to_string_lossy().starts_with(dir_prefix.as_str())
                    && fresh_file(&e.path().join(file), since)
            })
        }),
    }
}

fn describe(check: &Check) -> String {
    match check {
        Check::File(p) => format!("{} (written by this run)", p.display()),
        Check::Exists(p) => p.display().to_string(),
        Check::NonEmptyDir(p) => format!("{}/ (files written by this run)", p.display()),
        Check::DirWithFiles(p, s) => format!("{}/ with {}", p.display(), s.join(" and ")),
        Check::AnyMatching { root, dir_prefix, file } => format!("{}/{dir_prefix}*/{file}", root.display()),
    }
}

/// The markers of `def` that are missing for this unit (empty = success). With
/// `started` (the job's start), only files written since then count.
pub fn missing(
    cfg: &Config,
    def: &StageDef,
    participant: &str,
    session: Option<&str>,
    started: Option<NaiveDateTime>,
) -> Vec<String> {
    let since = started.map(|t| SystemTime::from(t.and_utc()) - CLOCK_SKEW);
    let bids = cfg.paths.bids_root.display().to_string();
    let derivatives = cfg.paths.derivatives.display().to_string();
    let vars = Vars { bids: &bids, derivatives: &derivatives, sub: participant, ses: session };
    let list_option = |name: &str| {
        let v = cfg.pipeline(def.name)?.options.get(name)?;
        let items: Vec<String> =
            serde_json::to_value(v).ok()?.as_array()?.iter().filter_map(|x| x.as_str().map(String::from)).collect();
        Some(items)
    };
    expand(def.success, &vars, list_option).iter().filter(|c| !holds(c, since)).map(describe).collect()
}
