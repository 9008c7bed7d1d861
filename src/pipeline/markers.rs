//! Success markers as concrete checks (pure expansion; the filesystem check is
//! `workflow::outputs`).

use crate::stages::Marker;
use std::path::PathBuf;

/// A check on the filesystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    File(PathBuf),
    /// Must exist; may predate the run.
    Exists(PathBuf),
    NonEmptyDir(PathBuf),
    DirWithFiles(PathBuf, Vec<String>),
    /// At least one file in `dir` whose name starts with `prefix`… and ends with `suffix`,
    /// in a subdirectory of `root` whose name starts with `dir_prefix`.
    AnyMatching {
        root: PathBuf,
        dir_prefix: String,
        file: String,
    },
}

/// The values markers are written with.
pub struct Vars<'a> {
    pub bids: &'a str,
    pub derivatives: &'a str,
    pub sub: &'a str,
    pub ses: Option<&'a str>,
}

fn fill(pattern: &str, v: &Vars, item: Option<&str>) -> String {
    let mut s = pattern.replace("{bids}", v.bids).replace("{derivatives}", v.derivatives).replace("{sub}", v.sub);
    if let Some(ses) = v.ses {
        s = s.replace("{ses}", ses);
    }
    if let Some(item) = item {
        s = s.replace("{item}", item);
    }
    s
}

/// Expands a stage's markers; `list_option` gives a list option's items.
pub fn expand(markers: &[Marker], v: &Vars, list_option: impl Fn(&str) -> Option<Vec<String>>) -> Vec<Check> {
    let mut out = vec![];
    for m in markers {
        match m {
            Marker::File(p) => out.push(Check::File(fill(p, v, None).into())),
            Marker::Shared(p) => out.push(Check::Exists(fill(p, v, None).into())),
            Marker::NonEmptyDir(p) => out.push(Check::NonEmptyDir(fill(p, v, None).into())),
            Marker::DirWithFiles(p, sfx) => {
                out.push(Check::DirWithFiles(fill(p, v, None).into(), sfx.iter().map(|s| s.to_string()).collect()))
            }
            Marker::Each { option, path } => match list_option(option) {
                Some(items) if !items.is_empty() => {
                    out.extend(items.iter().map(|i| Check::File(fill(path, v, Some(i)).into())));
                }
                _ => {
                    // No list given: any `{item}` will do.
                    let full = fill(path, v, Some("\u{0}"));
                    let (dir_part, file) = full.rsplit_once('/').unwrap_or(("", &full));
                    let (root, dir_name) = dir_part.rsplit_once('/').unwrap_or(("", dir_part));
                    let dir_prefix = dir_name.split('\u{0}').next().unwrap_or("").to_string();
                    out.push(Check::AnyMatching { root: root.into(), dir_prefix, file: file.to_string() });
                }
            },
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::stage;

    #[test]
    fn every_stage_expands_to_concrete_paths() {
        let v = Vars { bids: "/b", derivatives: "/d", sub: "0001", ses: Some("S1") };
        let bids = expand(stage("bids_conversion").unwrap().success, &v, |_| None);
        assert_eq!(bids[0], Check::Exists("/b/dataset_description.json".into()));
        assert_eq!(bids[1], Check::DirWithFiles("/b/sub-0001/ses-S1".into(), vec![".nii.gz".into(), ".json".into()]));
        let prep = expand(stage("qsiprep").unwrap().success, &Vars { ses: None, ..v }, |_| None);
        assert_eq!(prep[0], Check::File("/d/qsiprep/sub-0001.html".into()));
        let v = Vars { bids: "/b", derivatives: "/d", sub: "0001", ses: Some("S1") };
        let recon = expand(stage("qsirecon").unwrap().success, &v, |_| Some(vec!["MRtrix3".into(), "DSI".into()]));
        assert_eq!(recon[1], Check::File("/d/qsirecon/derivatives/qsirecon-DSI/sub-0001_ses-S1.html".into()));
        let any = expand(stage("qsirecon").unwrap().success, &v, |_| None);
        assert_eq!(
            any,
            vec![Check::AnyMatching {
                root: "/d/qsirecon/derivatives".into(),
                dir_prefix: "qsirecon-".into(),
                file: "sub-0001_ses-S1.html".into()
            }]
        );
        for s in crate::stages::STAGES {
            let checks = expand(s.success, &v, |_| None);
            let shown = format!("{checks:?}");
            for var in ["{bids}", "{derivatives}", "{sub}", "{ses}", "{item}"] {
                assert!(!shown.contains(var), "{}: unfilled {var} in {shown}", s.name);
            }
        }
    }
}
