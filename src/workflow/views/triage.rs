//! `neuroflow runs failures`: current failed runs grouped by stage, cause and a known
//! signature read from the job's stderr, each group with the command that retries it.
//! The signatures are data: a table of patterns, first match wins.

use crate::db::Run;
use crate::domain::RunStatus;
use regex::Regex;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::sync::OnceLock;

/// A known way for a job to die, recognised in its stderr.
pub struct Signature {
    pub name: &'static str,
    pub pattern: &'static str,
    /// What a person usually does about it.
    pub fix: &'static str,
}

pub const SIGNATURES: &[Signature] = &[
    Signature {
        name: "tool_version_mismatch",
        pattern: r"neuroflow: tool_version_mismatch:",
        fix: "the image holds another release than its script was written for: pin `version:` to the image's release or restore the image, then `neuroflow runs retry`",
    },
    Signature {
        name: "out_of_memory",
        pattern: r"(?i)oom[-_ ]kill|out of memory|MemoryError|exceeded (job )?memory limit|Killed process",
        fix: "raise resources.mem_gb (or retry.max_mem_gb)",
    },
    Signature {
        name: "time_limit",
        pattern: r"(?i)due to time limit|time limit (reached|exceeded)",
        fix: "raise resources.time (or retry.max_time)",
    },
    Signature {
        name: "freesurfer_license",
        pattern: r"(?i)freesurfer license|license file is required|FS_LICENSE",
        fix: "set containers.fs_license to a readable licence file",
    },
    Signature {
        name: "disk_quota",
        pattern: r"(?i)disk quota exceeded|no space left on device",
        fix: "free space or raise the quota of work_dir / derivatives / scratch",
    },
    Signature {
        name: "container_not_found",
        pattern: r"(?i)could not open image|image format not recognized|FATAL:.*(no such file|not found)",
        fix: "check the stage's image path",
    },
    Signature {
        name: "templateflow_offline",
        pattern: r"(?i)templateflow.*(connection|not found|could not fetch)|ConnectionError",
        fix: "pre-fill containers.templateflow_home with the templates the tool needs",
    },
    Signature {
        name: "missing_inputs",
        pattern: r"(?i)no such file or directory|FileNotFoundError|does not exist|not found in (the )?BIDS",
        fix: "check the unit's inputs (upstream outputs, DICOM folder, option paths)",
    },
    Signature {
        name: "python_traceback",
        pattern: r"Traceback \(most recent call last\)",
        fix: "read the exception in the job's stderr",
    },
];

fn compiled() -> &'static [(usize, Regex)] {
    static RES: OnceLock<Vec<(usize, Regex)>> = OnceLock::new();
    RES.get_or_init(|| {
        SIGNATURES.iter().enumerate().map(|(i, s)| (i, Regex::new(s.pattern).expect("signature regex"))).collect()
    })
}

/// The first known signature in a stderr text, with the line that shows it (for a
/// Python traceback: its last line, the exception).
pub fn classify(stderr: &str) -> Option<(&'static Signature, String)> {
    let (i, re) = compiled().iter().find(|(_, re)| re.is_match(stderr))?;
    let sig = &SIGNATURES[*i];
    let line = if sig.name == "python_traceback" {
        stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default()
    } else {
        stderr.lines().find(|l| re.is_match(l)).unwrap_or_default()
    };
    Some((sig, line.trim().to_string()))
}

/// The last `max` bytes of a file (empty when it cannot be read).
pub fn tail(path: &str, max: u64) -> String {
    let Ok(mut f) = std::fs::File::open(path) else { return String::new() };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = f.seek(SeekFrom::Start(len.saturating_sub(max)));
    let mut buf = vec![];
    let _ = f.take(max).read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// One group of failed runs.
#[derive(Debug, Serialize)]
pub struct Group {
    pub stage: String,
    pub cause: String,
    pub signature: Option<&'static str>,
    pub fix: Option<&'static str>,
    /// e.g. "attempt 3/3".
    pub attempts: String,
    pub runs: Vec<i64>,
    /// A line from a stderr that shows the signature.
    pub example: String,
    pub retry: String,
}

/// The failed (and lost) ones of `current` runs, grouped. `max_attempts` gives a
/// stage's limit.
pub fn failures(current: &[Run], max_attempts: impl Fn(&str) -> u32) -> Vec<Group> {
    let mut groups: BTreeMap<(String, String, Option<&'static str>), Group> = BTreeMap::new();
    for r in current.iter().filter(|r| matches!(r.status, RunStatus::Failed | RunStatus::Lost)) {
        let found = classify(&tail(&r.stderr_path, 64 << 10));
        let cause = r.failure_cause.map_or("unknown".to_string(), |c| c.to_string());
        let key = (r.stage.clone(), cause.clone(), found.as_ref().map(|(s, _)| s.name));
        let g = groups.entry(key).or_insert_with(|| Group {
            stage: r.stage.clone(),
            cause,
            signature: found.as_ref().map(|(s, _)| s.name),
            fix: found.as_ref().map(|(s, _)| s.fix),
            attempts: String::new(),
            runs: vec![],
            example: found.as_ref().map(|(_, l)| l.clone()).unwrap_or_default(),
            retry: String::new(),
        });
        g.runs.push(r.id);
        g.attempts = format!("attempt {}/{}", r.attempt, max_attempts(&r.stage));
    }
    let mut out: Vec<Group> = groups.into_values().collect();
    for g in &mut out {
        let ids: Vec<String> = g.runs.iter().map(|i| i.to_string()).collect();
        g.retry = format!("for id in {}; do neuroflow runs retry $id; done", ids.join(" "));
    }
    out.sort_by_key(|g| std::cmp::Reverse(g.runs.len()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_looking_stderr_is_recognised() {
        let cases = [
            (
                "slurmstepd: error: Detected 1 oom-kill event(s) in StepId=412.batch. Some of your processes may have been killed by the cgroup out-of-memory handler.",
                "out_of_memory",
            ),
            (
                "slurmstepd: error: *** JOB 4817213 ON node12 CANCELLED AT 2026-12-01T03:00:01 DUE TO TIME LIMIT ***",
                "time_limit",
            ),
            (
                "qsirecon: error: A valid FreeSurfer license file is required. Set the FS_LICENSE environment variable or use the '--fs-license-file' flag.",
                "freesurfer_license",
            ),
            ("OSError: [Errno 122] Disk quota exceeded: '/scratch/work/runs/qsiprep'", "disk_quota"),
            (
                "FATAL:   could not open image /opt/containers/qsiprep.sif: failed to retrieve path for /opt/containers/qsiprep.sif: lstat /opt/containers/qsiprep.sif: no such file or directory",
                "container_not_found",
            ),
            (
                "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='templateflow.s3.amazonaws.com', port=443)",
                "templateflow_offline",
            ),
            ("qsiprep: error: argument bids_dir: Path does not exist: </data/bids>.", "missing_inputs"),
            (
                "Traceback (most recent call last):\n  File \"/app/run.py\", line 3, in <module>\nValueError: bvals and bvecs disagree\n",
                "python_traceback",
            ),
        ];
        for (text, want) in cases {
            let (sig, line) = classify(text).unwrap_or_else(|| panic!("{want}: not recognised"));
            assert_eq!(sig.name, want, "{text}");
            assert!(!line.is_empty());
        }
        let (_, line) = classify(cases[7].0).unwrap();
        assert_eq!(line, "ValueError: bvals and bvecs disagree", "a traceback shows its exception");
        assert!(classify("all fine\n").is_none());
    }
}
