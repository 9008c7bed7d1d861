//! Runs as people and admins read them: the rows of `runs list` and one run in full
//! for `runs show` — its job, resources asked for and used, the stored sacct row,
//! dependencies, provenance, every attempt of its unit, the audit trail and, on failure,
//! the end of its stderr.

use crate::db::{AuditEntry, Provenance, Reader, Run};
use crate::domain::{FailureCause, RunStatus};
use crate::error::Result;
use serde::Serialize;
use std::collections::HashMap;

/// The prefix of the lines a job prints about its tool (templates/_base.sh.tera).
pub const STDOUT_PREFIX: &str = "neuroflow-provenance:";

#[derive(Debug, Serialize)]
pub struct RunRow {
    pub id: i64,
    pub stage: String,
    pub participant: String,
    pub session: Option<String>,
    pub attempt: i32,
    pub status: RunStatus,
    pub cause: Option<FailureCause>,
    pub superseded: bool,
    pub job_id: Option<i64>,
    /// The job as Slurm shows it: `123`, or `123_4` for task 4 of array 123.
    pub job: Option<String>,
    pub slurm_state: Option<String>,
    pub exit_code: Option<i32>,
    pub exit_signal: Option<i32>,
    pub elapsed_seconds: Option<i64>,
    pub max_rss_kb: Option<i64>,
    pub req_mem_mb: i64,
    pub req_time_minutes: i64,
    pub dependency: String,
    pub trigger: String,
    pub message: String,
    pub stdout: String,
}

/// Participant labels by subject id, session labels by session id.
pub type Labels = (HashMap<i64, String>, HashMap<i64, String>);

/// Every participant's and session's label, for rows people read.
pub fn labels(store: &mut Reader) -> Result<Labels> {
    let subjects = store.all_subjects()?.into_iter().map(|s| (s.id, s.participant_label)).collect();
    let sessions = store.all_sessions()?.into_iter().map(|(s, _)| (s.id, s.session_label)).collect();
    Ok((subjects, sessions))
}

/// A run as `runs list` shows it.
pub fn row(r: &Run, subjects: &HashMap<i64, String>, sessions: &HashMap<i64, String>) -> RunRow {
    RunRow {
        id: r.id,
        stage: r.stage.clone(),
        participant: subjects.get(&r.subject_id).cloned().unwrap_or_default(),
        session: r.session_id.and_then(|s| sessions.get(&s).cloned()),
        attempt: r.attempt,
        status: r.status,
        cause: r.failure_cause,
        superseded: r.superseded,
        job_id: r.slurm_job_id,
        job: r.slurm_key(),
        slurm_state: r.slurm_state.clone(),
        exit_code: r.exit_code,
        exit_signal: r.exit_signal,
        elapsed_seconds: r.elapsed_seconds,
        max_rss_kb: r.max_rss_kb,
        req_mem_mb: r.req_mem_mb,
        req_time_minutes: r.req_time_minutes,
        dependency: r.dependency_job_ids.clone(),
        trigger: r.trigger_reason.clone(),
        message: r.message.clone(),
        stdout: r.stdout_path.clone(),
    }
}

/// Lines of stderr shown for a failed run.
const STDERR_TAIL: usize = 20;

#[derive(Debug, Serialize)]
pub struct RunDetail {
    pub run: Run,
    pub participant: String,
    pub session: Option<String>,
    pub covered_sessions: Vec<String>,
    pub used: Usage,
    pub provenance: Option<Provenance>,
    /// `key=value` lines the job printed (tool version, resolved command).
    pub tool: HashMap<String, String>,
    /// The runs it was made from (its `afterok` dependencies among them).
    pub upstream: Vec<Brief>,
    /// Every run of the same stage and unit, oldest first.
    pub attempts: Vec<Brief>,
    pub audit: Vec<AuditEntry>,
    /// The end of stderr, for runs that did not complete.
    pub stderr_tail: Vec<String>,
}

/// What the job used against what it asked for (None until sacct has it).
#[derive(Debug, Serialize)]
pub struct Usage {
    pub max_rss_fraction_of_request: Option<f64>,
    pub elapsed_fraction_of_limit: Option<f64>,
    /// TotalCPU / (cpus × elapsed).
    pub cpu_efficiency: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct Brief {
    pub id: i64,
    pub stage: String,
    pub attempt: i32,
    pub status: RunStatus,
    pub cause: Option<String>,
    pub job_id: Option<i64>,
    pub superseded: bool,
    pub message: String,
}

fn brief(r: &Run) -> Brief {
    Brief {
        id: r.id,
        stage: r.stage.clone(),
        attempt: r.attempt,
        status: r.status,
        cause: r.failure_cause.map(|c| c.to_string()),
        job_id: r.slurm_job_id,
        superseded: r.superseded,
        message: r.message.clone(),
    }
}

fn usage(r: &Run) -> Usage {
    let ratio = |a: Option<f64>, b: f64| a.filter(|_| b > 0.0).map(|a| a / b);
    let elapsed = r.elapsed_seconds.map(|e| e as f64);
    Usage {
        max_rss_fraction_of_request: ratio(r.max_rss_kb.map(|k| k as f64 / 1024.0), r.req_mem_mb as f64),
        elapsed_fraction_of_limit: ratio(elapsed, r.req_time_minutes as f64 * 60.0),
        cpu_efficiency: ratio(r.total_cpu_seconds.map(|c| c as f64), r.req_cpus.max(1) as f64 * elapsed.unwrap_or(0.0)),
    }
}

/// The last `n` lines of a log, read from its end (a log can be gigabytes).
fn tail(path: &str, n: usize) -> Vec<String> {
    let text = super::triage::tail(path, 64 << 10);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].iter().map(|l| l.to_string()).collect()
}

fn head(path: &str, bytes: usize) -> String {
    use std::io::Read;
    let mut buf = vec![];
    if let Ok(f) = std::fs::File::open(path) {
        let _ = f.take(bytes as u64).read_to_end(&mut buf);
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// One run as `runs show` shows it.
pub fn detail(store: &mut Reader, r: Run, labels: &Labels) -> Result<RunDetail> {
    let label = |id: &i64| labels.1.get(id).cloned();
    let attempts = store.run_history(&r.stage, r.subject_id, r.session_id)?.iter().map(brief).collect();
    let upstream = store.runs_by_ids(&r.upstream_ids())?.iter().map(brief).collect();
    let stderr_tail = match r.status {
        RunStatus::Failed | RunStatus::Lost | RunStatus::Cancelled => tail(&r.stderr_path, STDERR_TAIL),
        _ => vec![],
    };
    Ok(RunDetail {
        participant: labels.0.get(&r.subject_id).cloned().unwrap_or_default(),
        session: r.session_id.as_ref().and_then(label),
        covered_sessions: r.covered_sessions().iter().filter_map(label).collect(),
        used: usage(&r),
        provenance: store.provenance_of(r.id)?,
        tool: from_stdout(&head(&r.stdout_path, 64 * 1024)).into_iter().collect(),
        upstream,
        attempts,
        audit: store.audit_trail("run", r.id)?,
        stderr_tail,
        run: r,
    })
}

/// The `key=value` pairs of the provenance lines a job printed (its tool version
/// and resolved command), read from the head of its stdout log.
pub fn from_stdout(log: &str) -> Vec<(String, String)> {
    log.lines()
        .take(200)
        .filter_map(|l| l.strip_prefix(STDOUT_PREFIX))
        .filter_map(|rest| rest.trim().split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_jobs_provenance_lines_are_read_from_its_stdout() {
        let log = "neuroflow: run=3 stage=qsiprep\nneuroflow-provenance: tool_version=QSIPrep v26.0.0\n\
                   neuroflow-provenance: tool_path=/usr/bin/qsiprep\nother=1\n";
        assert_eq!(
            from_stdout(log),
            vec![
                ("tool_version".to_string(), "QSIPrep v26.0.0".to_string()),
                ("tool_path".to_string(), "/usr/bin/qsiprep".to_string())
            ]
        );
    }
}
