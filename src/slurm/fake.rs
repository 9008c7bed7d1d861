//! An in-memory scheduler for fast unit tests of the workflow (tick, tracking,
//! orphan adoption, submission order): jobs with states and dependencies, scripted
//! failures (controller down, an sbatch answer lost after the job was created, a
//! rejection) and a log of every call. It reads what a real sbatch reads from the
//! script: the `#SBATCH` job name, comment and dependency. The real-Slurm tests
//! stay the proof; this one makes the logic cheap to test.

use super::{AcctRecord, JobState, QueueRow, Scheduler, SlurmError, Submitted};
use crate::domain::JobId;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

#[derive(Debug, Clone)]
pub struct FakeJob {
    pub name: String,
    pub comment: String,
    /// `afterok` job ids.
    pub after: Vec<JobId>,
    pub state: JobState,
    pub exit_code: i32,
    /// Still shown by squeue (false once it ended and left the queue).
    pub in_queue: bool,
    /// squeue's pending reason (None: `Dependency` while pending).
    pub reason: Option<String>,
}

#[derive(Default)]
struct State {
    next_id: u64,
    jobs: BTreeMap<JobId, FakeJob>,
    calls: Vec<String>,
    down: bool,
    lose_next_answer: bool,
    reject_next: Option<String>,
}

#[derive(Default)]
pub struct FakeSlurm {
    state: Mutex<State>,
}

fn sbatch_value(script: &str, key: &str) -> Option<String> {
    let prefix = format!("#SBATCH --{key}=");
    script.lines().find_map(|l| l.strip_prefix(&prefix)).map(str::to_string)
}

impl FakeSlurm {
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn call(&self, what: &str) -> Result<(), SlurmError> {
        self.with(|s| {
            s.calls.push(what.to_string());
            if s.down {
                return Err(SlurmError::Unreachable { command: "fake", message: "controller down".into() });
            }
            Ok(())
        })
    }

    /// Every call so far, by command name (`sbatch`, `squeue`, `sacct`, `scancel`).
    pub fn calls(&self) -> Vec<String> {
        self.with(|s| s.calls.clone())
    }

    pub fn clear_calls(&self) {
        self.with(|s| s.calls.clear());
    }

    pub fn jobs(&self) -> BTreeMap<JobId, FakeJob> {
        self.with(|s| s.jobs.clone())
    }

    pub fn set_down(&self, down: bool) {
        self.with(|s| s.down = down);
    }

    /// The next sbatch creates its job but its answer never arrives.
    pub fn lose_next_answer(&self) {
        self.with(|s| s.lose_next_answer = true);
    }

    /// The next sbatch is rejected with this message.
    pub fn reject_next(&self, message: &str) {
        self.with(|s| s.reject_next = Some(message.to_string()));
    }

    /// Ends a job: it leaves the queue with this state and exit code.
    pub fn finish(&self, job: JobId, state: JobState, exit_code: i32) {
        self.with(|s| {
            if let Some(j) = s.jobs.get_mut(&job) {
                j.state = state;
                j.exit_code = exit_code;
                j.in_queue = false;
            }
        });
    }

    /// Gives a pending job this squeue reason.
    pub fn set_reason(&self, job: JobId, reason: &str) {
        self.with(|s| {
            if let Some(j) = s.jobs.get_mut(&job) {
                j.reason = Some(reason.to_string());
            }
        });
    }

    /// Slurm requeues a running job (a node failed): same id, PENDING again.
    pub fn requeue(&self, job: JobId) {
        self.with(|s| {
            if let Some(j) = s.jobs.get_mut(&job) {
                j.state = JobState::Pending;
                j.reason = Some("BeginTime".into());
            }
        });
    }

    /// Moves a pending job to running.
    pub fn start(&self, job: JobId) {
        self.with(|s| {
            if let Some(j) = s.jobs.get_mut(&job) {
                j.state = JobState::Running;
            }
        });
    }

    fn row(id: JobId, j: &FakeJob) -> QueueRow {
        QueueRow {
            job_id: id,
            display_id: id.to_string(),
            state: j.state.clone(),
            reason: (j.state == JobState::Pending).then(|| j.reason.clone().unwrap_or_else(|| "Dependency".into())),
            name: j.name.clone(),
            comment: Some(j.comment.clone()),
        }
    }

    fn record(id: JobId, j: &FakeJob) -> AcctRecord {
        let now = chrono::Utc::now().naive_utc();
        AcctRecord {
            job_id: id,
            display_id: id.to_string(),
            array_job_id: None,
            array_task_id: None,
            name: j.name.clone(),
            state: j.state.clone(),
            state_text: j.state.to_string(),
            exit_code: j.exit_code,
            exit_signal: 0,
            elapsed_seconds: 1,
            // A job that ran for a second and ended now (the views count weeks by End).
            submit: Some(now - chrono::Duration::seconds(2)),
            start: Some(now - chrono::Duration::seconds(1)),
            end: (!j.in_queue).then_some(now),
            node_list: Some("fake".into()),
            max_rss_kb: Some(1024),
            req_mem: None,
            alloc_tres: None,
            comment: Some(j.comment.clone()),
            total_cpu_seconds: Some(1),
            raw: String::new(),
        }
    }
}

impl Scheduler for FakeSlurm {
    async fn submit(&self, script: &Path) -> Result<Submitted, SlurmError> {
        self.call("sbatch")?;
        let text = std::fs::read_to_string(script).map_err(|e| SlurmError::Rejected {
            script: script.display().to_string(),
            message: format!("cannot read the script: {e}"),
        })?;
        self.with(|s| {
            if let Some(message) = s.reject_next.take() {
                return Err(SlurmError::Rejected { script: script.display().to_string(), message });
            }
            let after = sbatch_value(&text, "dependency")
                .and_then(|d| d.strip_prefix("afterok:").map(str::to_string))
                .map(|ids| ids.split(':').filter_map(|i| i.parse().ok()).map(JobId).collect())
                .unwrap_or_default();
            s.next_id += 1;
            let id = JobId(1000 + s.next_id);
            let job = FakeJob {
                name: sbatch_value(&text, "job-name").unwrap_or_default(),
                comment: sbatch_value(&text, "comment").unwrap_or_default(),
                after,
                state: JobState::Pending,
                exit_code: 0,
                in_queue: true,
                reason: None,
            };
            s.jobs.insert(id, job);
            if std::mem::take(&mut s.lose_next_answer) {
                return Err(SlurmError::Unreachable { command: "sbatch", message: "answer lost".into() });
            }
            Ok(Submitted { job_id: id, cluster: None })
        })
    }

    async fn test_submit(&self, _script: &Path) -> Result<String, SlurmError> {
        self.call("sbatch --test-only")?;
        Ok("would start now on fake".into())
    }

    async fn queue(&self, ids: &[JobId]) -> Result<Vec<QueueRow>, SlurmError> {
        self.call("squeue")?;
        Ok(self.with(|s| {
            ids.iter().filter_map(|id| s.jobs.get(id).filter(|j| j.in_queue).map(|j| FakeSlurm::row(*id, j))).collect()
        }))
    }

    async fn accounting(&self, ids: &[JobId]) -> Result<Vec<AcctRecord>, SlurmError> {
        self.call("sacct")?;
        Ok(self.with(|s| ids.iter().filter_map(|id| s.jobs.get(id).map(|j| FakeSlurm::record(*id, j))).collect()))
    }

    async fn find_by_name(&self, names: &[String]) -> Result<Vec<QueueRow>, SlurmError> {
        self.call("squeue")?;
        Ok(self.with(|s| {
            s.jobs
                .iter()
                .filter(|(_, j)| j.in_queue && names.contains(&j.name))
                .map(|(id, j)| FakeSlurm::row(*id, j))
                .collect()
        }))
    }

    async fn find_finished_by_name(
        &self,
        names: &[String],
        _since: chrono::NaiveDateTime,
    ) -> Result<Vec<AcctRecord>, SlurmError> {
        self.call("sacct")?;
        Ok(self.with(|s| {
            s.jobs.iter().filter(|(_, j)| names.contains(&j.name)).map(|(id, j)| FakeSlurm::record(*id, j)).collect()
        }))
    }

    async fn cancel(&self, ids: &[String]) -> Result<(), SlurmError> {
        self.call("scancel")?;
        self.with(|s| {
            for id in ids.iter().filter_map(|k| k.parse::<u64>().ok().map(JobId)) {
                if let Some(j) = s.jobs.get_mut(&id).filter(|j| j.in_queue) {
                    j.state = JobState::Cancelled;
                    j.in_queue = false;
                }
            }
        });
        Ok(())
    }

    async fn max_array_size(&self) -> Result<u32, SlurmError> {
        self.call("scontrol")?;
        Ok(1001)
    }

    async fn release(&self) -> Result<super::SlurmRelease, SlurmError> {
        // Local in the real one (no controller call): not counted.
        Ok(super::SlurmRelease::parse("slurm-wlm 22.05.8").expect("a release"))
    }
}
