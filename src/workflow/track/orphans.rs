//! Runs recorded as `planned` whose sbatch answer never reached the store (a
//! crash, a timeout, a controller that went away): find their job by name and
//! token — in squeue, then in sacct — or record that the submission never happened.

use crate::db::{JobUpdate, Run, Store, SubmittedJob};
use crate::domain::{FailureCause, JobId, RunStatus};
use crate::error::Result;
use crate::lifecycle::RunEvent;
use crate::slurm::Scheduler;
use std::collections::BTreeSet;

/// What looking for orphans did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Adoption {
    /// Runs whose job was found and recorded.
    pub adopted: usize,
    /// Runs whose submission never reached Slurm (cancelled, planned again).
    pub interrupted: usize,
    pub slurm_calls: u32,
}

impl Adoption {
    /// True when any run changed.
    pub fn changed(&self) -> bool {
        self.adopted + self.interrupted > 0
    }
}

fn adopt(store: &mut Store, run: &Run, job: JobId, out: &mut Adoption) -> Result<()> {
    let submitted = match run.slurm_array_task_id {
        Some(task) => SubmittedJob::task(job.0, task, &run.stdout_path, &run.stderr_path),
        None => SubmittedJob::new(job.0, &run.stdout_path, &run.stderr_path),
    };
    store.record_submission(run.id, &submitted)?;
    tracing::warn!(run_id = run.id, job_id = %job, stage = %run.stage, "adopted a job whose submission was not recorded");
    out.adopted += 1;
    Ok(())
}

/// Finds the jobs of `planned` runs among `live` ones (squeue, then sacct).
pub async fn adopt_orphans<S: Scheduler>(store: &mut Store, slurm: &S, live: &[Run]) -> Result<Adoption> {
    let mut out = Adoption::default();
    let mut orphans: Vec<&Run> = live.iter().filter(|r| r.status == RunStatus::Planned).collect();
    if orphans.is_empty() {
        return Ok(out);
    }
    let names: Vec<String> = orphans.iter().map(|r| r.job_name.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let token = |r: &Run| format!("token={}", r.token);
    // A task of an array (job name unique to its array) is its row `<array>_<task>`.
    let task_of = |r: &Run, display: &str, name: &str| -> Option<JobId> {
        let (array, task) = display.split_once('_')?;
        (name == r.job_name && Some(task) == r.slurm_array_task_id.map(|t| t.to_string()).as_deref())
            .then(|| array.parse().ok().map(JobId))
            .flatten()
    };
    out.slurm_calls += 1;
    let queued = slurm.find_by_name(&names).await?;
    let mut rest = vec![];
    for run in orphans.drain(..) {
        if run.slurm_array_task_id.is_some() {
            match queued.iter().find_map(|q| task_of(run, &q.display_id, &q.name)) {
                Some(array) => adopt(store, run, array, &mut out)?,
                None => rest.push(run),
            }
            continue;
        }
        match queued.iter().find(|q| q.comment.as_deref().is_some_and(|c| c.contains(&token(run)))) {
            Some(q) => adopt(store, run, q.job_id, &mut out)?,
            None => rest.push(run),
        }
    }
    if rest.is_empty() {
        return Ok(out);
    }
    // Gone from squeue (finished more than MinJobAge ago)? sacct keeps the comment.
    let since = rest.iter().map(|r| r.created_at).min().unwrap_or_default();
    out.slurm_calls += 1;
    let finished = slurm.find_finished_by_name(&names, since).await?;
    for run in rest {
        let found = if run.slurm_array_task_id.is_some() {
            finished.iter().find_map(|a| task_of(run, &a.display_id, &a.name))
        } else {
            finished.iter().find(|a| a.comment.as_deref().is_some_and(|c| c.contains(&token(run)))).map(|a| a.job_id)
        };
        match found {
            Some(job) => adopt(store, run, job, &mut out)?,
            None => {
                let msg = "the submission did not reach Slurm (interrupted); it will be planned again";
                let event = RunEvent::Cancelled(FailureCause::SubmitInterrupted);
                store.apply_run_event(run.id, event, &JobUpdate::default(), msg)?;
                out.interrupted += 1;
            }
        }
    }
    Ok(out)
}
