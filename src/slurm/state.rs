//! Slurm job states as neuroflow understands them.

use serde::Serialize;
use std::fmt;

/// A job state from squeue (`%T`) or sacct (`State`, e.g. `CANCELLED by 0`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum JobState {
    Pending,
    Configuring,
    Running,
    Completing,
    Suspended,
    Requeued,
    Resizing,
    Completed,
    Failed,
    Cancelled,
    Timeout,
    OutOfMemory,
    NodeFail,
    Preempted,
    BootFail,
    Deadline,
    /// A state this version does not know; treated as still live.
    Other(String),
}

impl JobState {
    /// Parses squeue's and sacct's state text (`CANCELLED by 0` → Cancelled).
    pub fn parse(text: &str) -> JobState {
        let word = text.split_whitespace().next().unwrap_or("").trim_end_matches('+');
        match word {
            "PENDING" | "PD" => JobState::Pending,
            "CONFIGURING" | "CF" => JobState::Configuring,
            "RUNNING" | "R" => JobState::Running,
            "COMPLETING" | "CG" => JobState::Completing,
            "SUSPENDED" | "S" | "STOPPED" | "ST" => JobState::Suspended,
            "REQUEUED" | "RQ" | "REQUEUE_HOLD" | "REQUEUE_FED" => JobState::Requeued,
            "RESIZING" | "RS" => JobState::Resizing,
            "COMPLETED" | "CD" => JobState::Completed,
            "FAILED" | "F" => JobState::Failed,
            "CANCELLED" | "CA" => JobState::Cancelled,
            "TIMEOUT" | "TO" => JobState::Timeout,
            "OUT_OF_MEMORY" | "OOM" => JobState::OutOfMemory,
            "NODE_FAIL" | "NF" => JobState::NodeFail,
            "PREEMPTED" | "PR" => JobState::Preempted,
            "BOOT_FAIL" | "BF" => JobState::BootFail,
            "DEADLINE" | "DL" => JobState::Deadline,
            other => JobState::Other(other.to_string()),
        }
    }

    /// The job has ended; its outcome will not change.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            JobState::Completed
                | JobState::Failed
                | JobState::Cancelled
                | JobState::Timeout
                | JobState::OutOfMemory
                | JobState::NodeFail
                | JobState::Preempted
                | JobState::BootFail
                | JobState::Deadline
        )
    }

    /// The job holds (or is about to hold) resources.
    pub fn is_running(&self) -> bool {
        matches!(self, JobState::Running | JobState::Completing | JobState::Configuring | JobState::Suspended)
    }

    pub fn as_str(&self) -> &str {
        match self {
            JobState::Pending => "PENDING",
            JobState::Configuring => "CONFIGURING",
            JobState::Running => "RUNNING",
            JobState::Completing => "COMPLETING",
            JobState::Suspended => "SUSPENDED",
            JobState::Requeued => "REQUEUED",
            JobState::Resizing => "RESIZING",
            JobState::Completed => "COMPLETED",
            JobState::Failed => "FAILED",
            JobState::Cancelled => "CANCELLED",
            JobState::Timeout => "TIMEOUT",
            JobState::OutOfMemory => "OUT_OF_MEMORY",
            JobState::NodeFail => "NODE_FAIL",
            JobState::Preempted => "PREEMPTED",
            JobState::BootFail => "BOOT_FAIL",
            JobState::Deadline => "DEADLINE",
            JobState::Other(s) => s,
        }
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_documented_state() {
        let terminal = [
            "COMPLETED",
            "FAILED",
            "CANCELLED by 0",
            "TIMEOUT",
            "OUT_OF_MEMORY",
            "NODE_FAIL",
            "PREEMPTED",
            "BOOT_FAIL",
            "DEADLINE",
        ];
        for t in terminal {
            let s = JobState::parse(t);
            assert!(s.is_terminal(), "{t}");
            assert!(!matches!(s, JobState::Other(_)), "{t}");
        }
        for t in ["PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED", "RESIZING"] {
            let s = JobState::parse(t);
            assert!(!s.is_terminal() && !matches!(s, JobState::Other(_)), "{t}");
            assert_eq!(s.as_str(), t);
        }
        assert_eq!(JobState::parse("SPECIAL_EXIT"), JobState::Other("SPECIAL_EXIT".into()));
    }
}

/// Pending reasons a job does not leave without a person (squeue(1) "JOB REASON
/// CODES"), each with what to change. `ReqNodeNotAvail` may be a node that is down
/// for a while rather than gone: a person decides either way.
pub const NEVER_STARTS: &[(&str, &str)] = &[
    ("PartitionTimeLimit", "lower the stage's resources.time below the partition's MaxTime, or pick another partition"),
    ("PartitionNodeLimit", "ask for fewer nodes, or pick another partition"),
    ("AssocMaxWallDurationPerJobLimit", "lower resources.time below the association's MaxWall"),
    ("AssocMaxCpuPerJobLimit", "lower resources.cpus below the association's limit"),
    ("AssocMaxMemPerJob", "lower resources.mem_gb below the association's limit"),
    ("QOSMaxWallDurationPerJobLimit", "lower resources.time below the QOS's MaxWall, or use another qos"),
    ("QOSMaxMemoryPerJob", "lower resources.mem_gb below the QOS's MaxTRES mem, or use another qos"),
    ("QOSMaxCpuPerJobLimit", "lower resources.cpus below the QOS's MaxTRES cpu, or use another qos"),
    ("QOSMaxGRESPerJob", "lower resources.gpus below the QOS's limit, or use another qos"),
    ("ReqNodeNotAvail", "a node the job needs is down or gone: ask the admins, or cancel with `neuroflow runs cancel`"),
    ("DependencyNeverSatisfied", "its upstream job failed outside neuroflow's view: `neuroflow runs cancel` it"),
    ("InvalidAccount", "fix slurm.account (or the stage's account)"),
    ("InvalidQOS", "fix slurm.qos (or the stage's qos)"),
];

/// The fix for a pending reason that never clears by itself, if it is one.
pub fn never_starts(reason: &str) -> Option<&'static str> {
    NEVER_STARTS.iter().find(|(r, _)| reason.starts_with(r)).map(|(_, fix)| *fix)
}

#[cfg(test)]
mod never_starts_tests {
    #[test]
    fn reasons_that_never_clear_need_a_person_and_ordinary_ones_do_not() {
        for (r, _) in super::NEVER_STARTS {
            assert!(super::never_starts(r).is_some());
        }
        assert!(super::never_starts("ReqNodeNotAvail, UnavailableNodes:node3").is_some());
        for ordinary in ["Priority", "Resources", "Dependency", "QOSMaxJobsPerUserLimit", "BeginTime", ""] {
            assert!(super::never_starts(ordinary).is_none(), "{ordinary}");
        }
    }
}
