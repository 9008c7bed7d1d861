//! Runs recorded as `planned` whose sbatch answer never reached the store (a
//! crash, a timeout, a controller that went away): find their job by name and
//! token — in squeue, then in sacct — or record that the submission never happened.

use super::track::SyncReport;
use crate::db::{JobUpdate, Run, Store, SubmittedJob};
use crate::domain::{FailureCause, JobId, RunStatus};
use crate::error::Result;
use crate::lifecycle::RunEvent;
use crate::slurm::Scheduler;
use std::collections::BTreeSet;

fn adopt(store: &mut Store, run: &Run, job: JobId, report: &mut SyncReport) -> Result<()> {
    store.record_submission(run.id, &SubmittedJob::new(job.0, &run.stdout_path, &run.stderr_path))?;
    tracing::warn!(run_id = run.id, job_id = %job, stage = %run.stage, "adopted a job whose submission was not recorded");
    report.adopted += 1;
    Ok(())
}

/// Returns true when any run changed.
pub async fn adopt_orphans<S: Scheduler>(
    store: &mut Store,
    slurm: &S,
    live: &[Run],
    report: &mut SyncReport,
) -> Result<bool> {
    let mut orphans: Vec<&Run> = live.iter().filter(|r| r.status == RunStatus::Planned).collect();
    if orphans.is_empty() {
        return Ok(false);
    }
    let names: Vec<String> = orphans.iter().map(|r| r.job_name.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let token = |r: &Run| format!("token={}", r.token);
    report.slurm_calls += 1;
    let queued = slurm.find_by_name(&names).await?;
    let mut rest = vec![];
    for run in orphans.drain(..) {
        match queued.iter().find(|q| q.comment.as_deref().is_some_and(|c| c.contains(&token(run)))) {
            Some(q) => adopt(store, run, q.job_id, report)?,
            None => rest.push(run),
        }
    }
    if rest.is_empty() {
        return Ok(true);
    }
    // Gone from squeue (finished more than MinJobAge ago)? sacct keeps the comment.
    let since = rest.iter().map(|r| r.created_at).min().unwrap_or_default();
    report.slurm_calls += 1;
    let finished = slurm.find_finished_by_name(&names, since).await?;
    for run in rest {
        match finished.iter().find(|a| a.comment.as_deref().is_some_and(|c| c.contains(&token(run)))) {
            Some(a) => adopt(store, run, a.job_id, report)?,
            None => {
                let msg = "the submission did not reach Slurm (interrupted); it will be planned again";
                let event = RunEvent::Cancelled(FailureCause::SubmitInterrupted);
                store.apply_run_event(run.id, event, &JobUpdate::default(), msg)?;
            }
        }
    }
    Ok(true)
}
