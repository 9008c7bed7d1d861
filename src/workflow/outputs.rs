//! Checking a stage's success markers on the filesystem.

use crate::config::Config;
use crate::pipeline::markers::{Check, Vars, expand};
use crate::stages::StageDef;
use std::path::Path;

fn has_file_ending(dir: &Path, suffix: &str) -> bool {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .any(|e| e.file_type().is_file() && e.file_name().to_string_lossy().ends_with(suffix))
}

fn holds(check: &Check) -> bool {
    match check {
        Check::File(p) => p.is_file(),
        Check::NonEmptyDir(p) => std::fs::read_dir(p).is_ok_and(|mut d| d.next().is_some()),
        Check::DirWithFiles(p, suffixes) => p.is_dir() && suffixes.iter().all(|s| has_file_ending(p, s)),
        Check::AnyMatching { root, dir_prefix, file } => std::fs::read_dir(root).is_ok_and(|d| {
            d.filter_map(Result::ok).any(|e| {
                e.file_name().to_string_lossy().starts_with(dir_prefix.as_str()) && e.path().join(file).is_file()
            })
        }),
    }
}

fn describe(check: &Check) -> String {
    match check {
        Check::File(p) => p.display().to_string(),
        Check::NonEmptyDir(p) => format!("{}/ (non-empty)", p.display()),
        Check::DirWithFiles(p, s) => format!("{}/ with {}", p.display(), s.join(" and ")),
        Check::AnyMatching { root, dir_prefix, file } => format!("{}/{dir_prefix}*/{file}", root.display()),
    }
}

/// The markers of `def` that are missing for this unit (empty = success).
pub fn missing(cfg: &Config, def: &StageDef, participant: &str, session: Option<&str>) -> Vec<String> {
    let bids = cfg.paths.bids_root.display().to_string();
    let derivatives = cfg.paths.derivatives.display().to_string();
    let vars = Vars { bids: &bids, derivatives: &derivatives, sub: participant, ses: session };
    let list_option = |name: &str| {
        let v = cfg.pipeline(def.name)?.options.get(name)?;
        let items: Vec<String> =
            serde_json::to_value(v).ok()?.as_array()?.iter().filter_map(|x| x.as_str().map(String::from)).collect();
        Some(items)
    };
    expand(def.success, &vars, list_option).iter().filter(|c| !holds(c)).map(describe).collect()
}
