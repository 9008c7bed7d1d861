//! Success markers as concrete checks (pure expansion; the filesystem check is
//! `workflow::track::outputs`).

use crate::stages::{Marker, Per, Proof};
use std::path::PathBuf;

/// A check on the filesystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// Must exist; may predate the run.
    Exists(PathBuf),
    /// A directory with, below it, a file written by this run ending in each suffix
    /// (no suffixes: any file).
    FreshFiles(PathBuf, Vec<String>),
}

/// The values markers are written with.
pub struct Vars<'a> {
    pub bids: &'a str,
    pub derivatives: &'a str,
    pub sub: &'a str,
    pub ses: Option<&'a str>,
    /// Sessions a subject-level run covers.
    pub covered: &'a [String],
}

fn fill(pattern: &str, v: &Vars, ses: Option<&str>, item: Option<&str>) -> PathBuf {
    let mut s = pattern.replace("{bids}", v.bids).replace("{derivatives}", v.derivatives).replace("{sub}", v.sub);
    if let Some(ses) = ses {
        s = s.replace("{ses}", ses);
    }
    if let Some(item) = item {
        s = s.replace("{item}", item);
    }
    s.into()
}

fn check(what: &Proof, path: PathBuf) -> Check {
    match what {
        Proof::Exists => Check::Exists(path),
        Proof::FreshFiles(sfx) => Check::FreshFiles(path, sfx.iter().map(|s| s.to_string()).collect()),
    }
}

/// Expands a stage's markers; `items` gives a list's items (`Per::Item`).
pub fn expand(markers: &[Marker], v: &Vars, items: impl Fn(&str) -> Vec<String>) -> Vec<Check> {
    let mut out = vec![];
    for m in markers {
        match m.per {
            Per::Unit => out.push(check(&m.what, fill(m.path, v, v.ses, None))),
            Per::CoveredSession => {
                out.extend(v.covered.iter().map(|s| check(&m.what, fill(m.path, v, Some(s), None))));
            }
            Per::Item(list) => {
                out.extend(items(list).iter().map(|i| check(&m.what, fill(m.path, v, v.ses, Some(i)))));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::stage;

    fn fresh(p: &str, sfx: &[&str]) -> Check {
        Check::FreshFiles(p.into(), sfx.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn every_stage_expands_to_concrete_paths() {
        let covered = ["S1".to_string(), "S2".to_string()];
        let v = Vars { bids: "/b", derivatives: "/d", sub: "0001", ses: Some("S1"), covered: &covered };
        let bids = expand(stage("bids_conversion").unwrap().success, &v, |_| vec![]);
        assert_eq!(bids, vec![fresh("/b/sub-0001/ses-S1", &[".nii.gz", ".json"])]);
        let prep = expand(stage("qsiprep").unwrap().success, &Vars { ses: None, ..v }, |_| vec![]);
        assert_eq!(
            prep,
            vec![
                fresh("/d/qsiprep/sub-0001/ses-S1/dwi", &["_desc-preproc_dwi.nii.gz"]),
                fresh("/d/qsiprep/sub-0001/ses-S2/dwi", &["_desc-preproc_dwi.nii.gz"])
            ],
            "the preprocessed DWI of every covered session, not the report"
        );
        let v = Vars { bids: "/b", derivatives: "/d", sub: "0001", ses: Some("S1"), covered: &[] };
        let recon = expand(stage("qsirecon").unwrap().success, &v, |_| vec!["DSIStudio".into(), "DKI".into()]);
        assert_eq!(recon[1], fresh("/d/qsirecon/derivatives/qsirecon-DKI/sub-0001/ses-S1/dwi", &[]));
        let parc = expand(stage("qsiparc").unwrap().success, &v, |_| vec!["4S156Parcels".into()]);
        assert_eq!(parc[1], fresh("/d/qsiparc/sub-0001/ses-S1/dwi/atlas-4S156Parcels", &["_diffmap.tsv"]));
        for s in crate::stages::STAGES {
            let shown = format!("{:?}", expand(s.success, &v, |_| vec!["x".into()]));
            for var in ["{bids}", "{derivatives}", "{sub}", "{ses}", "{item}"] {
                assert!(!shown.contains(var), "{}: unfilled {var} in {shown}", s.name);
            }
        }
    }
}
