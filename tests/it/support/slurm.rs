//! Looking at, and standing in for, the real cluster from tests.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

/// Now, as sacct's `--starttime` reads it (local time): jobs of earlier test runs
/// have the same names and must not count.
pub fn now_for_sacct() -> String {
    let out = Command::new("date").arg("+%Y-%m-%dT%H:%M:%S").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Jobs Slurm knows by a name since `since` (sacct counts queued and finished ones).
pub fn jobs_named(name: &str, since: &str) -> usize {
    let out = Command::new("sacct").args(["-n", "-X", "-P", "-S", since, "--name", name, "-o", "JobID"]).output();
    String::from_utf8_lossy(&out.unwrap().stdout).lines().filter(|l| !l.trim().is_empty()).count()
}

/// Fake sbatch/squeue/sacct/scancel that answer like a controller that is down (the
/// recorded real message), in `dir`; returns a PATH with `dir` first.
pub fn down_controller(dir: &Path) -> String {
    std::fs::create_dir_all(dir).unwrap();
    for tool in ["sbatch", "squeue", "sacct", "scancel"] {
        let p = dir.join(tool);
        std::fs::write(&p, format!("#!/bin/sh\necho '{tool}: error: Batch job submission failed: Unable to contact slurm controller (connect failure)' >&2\nexit 1\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    format!("{}:{}", dir.display(), std::env::var("PATH").unwrap_or_default())
}
