//! Tracking: one squeue for every live job, at most one sacct for those that
//! left the queue, none when nothing is live. Failed upstream runs take their
//! live downstream runs with them (cancelled by neuroflow).

use super::outputs;
use crate::config::Config;
use crate::db::{JobUpdate, Run, Store, SubmittedJob};
use crate::domain::{FailureCause, JobId, RunStatus};
use crate::error::Result;
use crate::lifecycle::RunEvent;
use crate::slurm::{AcctRecord, JobState, QueueRow, Scheduler};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

#[derive(Debug, Default, Serialize)]
pub struct SyncReport {
    pub live_before: usize,
    pub slurm_calls: u32,
    pub started: usize,
    pub completed: usize,
    pub failed: usize,
    pub cancelled: usize,
    pub lost: usize,
    pub adopted: usize,
    pub cancelled_downstream: usize,
    /// Runs that failed their last allowed attempt this time: a person must look.
    pub needs_human: Vec<String>,
}

fn job(r: &Run) -> Option<JobId> {
    r.slurm_job_id.and_then(|j| u64::try_from(j).ok()).map(JobId)
}

/// Brings every live run up to date with Slurm.
pub async fn sync<S: Scheduler>(cfg: &Config, store: &mut Store, slurm: &S) -> Result<SyncReport> {
    let live = store.live_runs()?;
    let mut report = SyncReport { live_before: live.len(), ..Default::default() };
    if live.is_empty() {
        return Ok(report);
    }
    adopt_orphans(store, slurm, &live, &mut report).await?;
    let live = store.live_runs()?;
    let ids: Vec<JobId> = live.iter().filter_map(job).collect();
    let rows: HashMap<JobId, QueueRow> = if ids.is_empty() {
        HashMap::new()
    } else {
        report.slurm_calls += 1;
        slurm.queue(&ids).await?.into_iter().map(|q| (q.job_id, q)).collect()
    };
    let mut gone = vec![];
    for run in live.iter().filter(|r| job(r).is_some()) {
        match job(run).and_then(|j| rows.get(&j)) {
            Some(q) if !q.state.is_terminal() => on_queue_row(store, run, q, &mut report)?,
            _ => gone.push(run),
        }
    }
    if !gone.is_empty() {
        report.slurm_calls += 1;
        let ids: Vec<JobId> = gone.iter().filter_map(|r| job(r)).collect();
        let recs: HashMap<JobId, AcctRecord> =
            slurm.accounting(&ids).await?.into_iter().map(|r| (r.job_id, r)).collect();
        for run in gone {
            let rec = job(run).and_then(|j| recs.get(&j));
            on_accounting(cfg, store, run, rec, &mut report)?;
        }
    }
    cancel_downstream(store, slurm, &mut report).await?;
    Ok(report)
}

/// Planned runs without a job id (sbatch's answer was lost): find their job by
/// name and token, or record that the submission never happened.
async fn adopt_orphans<S: Scheduler>(
    store: &mut Store,
    slurm: &S,
    live: &[Run],
    report: &mut SyncReport,
) -> Result<()> {
    let orphans: Vec<&Run> = live.iter().filter(|r| r.status == RunStatus::Planned.as_str()).collect();
    if orphans.is_empty() {
        return Ok(());
    }
    let names: BTreeSet<String> = orphans.iter().map(|r| r.job_name.clone()).collect();
    report.slurm_calls += 1;
    let rows = slurm.find_by_name(&names.into_iter().collect::<Vec<_>>()).await?;
    for run in orphans {
        let token = format!("token={}", run.token);
        match rows.iter().find(|q| q.comment.as_deref().is_some_and(|c| c.contains(&token))) {
            Some(q) => {
                let sub = SubmittedJob {
                    job_id: i64::try_from(q.job_id.0).unwrap_or(i64::MAX),
                    stdout_path: run.stdout_path.replace("%j", &q.job_id.to_string()),
                    stderr_path: run.stderr_path.replace("%j", &q.job_id.to_string()),
                    ..Default::default()
                };
                store.record_submission(run.id, &sub)?;
                tracing::warn!(run_id = run.id, job_id = %q.job_id, stage = %run.stage, "adopted a job whose submission was not recorded");
                report.adopted += 1;
            }
            None => {
                let msg = "the submission did not reach Slurm (interrupted); it will be planned again";
                store.apply_run_event(
                    run.id,
                    RunEvent::Cancelled(FailureCause::SubmitInterrupted),
                    &JobUpdate::default(),
                    msg,
                )?;
            }
        }
    }
    Ok(())
}

fn on_queue_row(store: &mut Store, run: &Run, q: &QueueRow, report: &mut SyncReport) -> Result<()> {
    let facts = JobUpdate {
        slurm_state: Some(q.state.to_string()),
        pending_reason: Some(q.reason.clone().unwrap_or_default()),
        unknown_polls: Some(0),
        ..Default::default()
    };
    let status: RunStatus = run.status.parse().unwrap_or(RunStatus::Queued);
    let running = q.state.is_running();
    match (status, running) {
        (RunStatus::Queued, true) => {
            store.apply_run_event(run.id, RunEvent::Started, &facts, "")?;
            tracing::info!(run_id = run.id, stage = %run.stage, job_id = run.slurm_job_id.unwrap_or_default(), "job started");
            report.started += 1;
        }
        (RunStatus::Running, false) => {
            store.apply_run_event(run.id, RunEvent::Requeued, &facts, &format!("requeued: {}", q.state))?;
        }
        _ => store.record_job_facts(run.id, &facts)?,
    }
    Ok(())
}

fn final_facts(rec: &AcctRecord) -> JobUpdate {
    JobUpdate {
        slurm_state: Some(rec.state_text.clone()),
        pending_reason: Some(String::new()),
        exit_code: Some(rec.exit_code),
        exit_signal: Some(rec.exit_signal),
        elapsed_seconds: Some(rec.elapsed_seconds),
        max_rss_kb: rec.max_rss_kb,
        node_list: rec.node_list.clone(),
        started_at: rec.start,
        ended_at: rec.end,
        unknown_polls: Some(0),
    }
}

/// The event a terminal Slurm state means for a run.
pub fn terminal_event(state: &JobState, outputs_missing: &[String], upstream_failed: bool) -> (RunEvent, String) {
    use FailureCause as C;
    let failed = |c: C, m: &str| (RunEvent::Failed(c), m.to_string());
    match state {
        JobState::Completed if outputs_missing.is_empty() => (RunEvent::Succeeded, String::new()),
        JobState::Completed => failed(C::OutputsMissing, &format!("outputs missing: {}", outputs_missing.join(", "))),
        JobState::OutOfMemory => failed(C::OutOfMemory, "out of memory"),
        JobState::Timeout | JobState::Deadline => failed(C::Timeout, "time limit reached"),
        JobState::NodeFail | JobState::BootFail => failed(C::NodeFailure, "node failure"),
        JobState::Preempted => failed(C::Preempted, "preempted"),
        JobState::Cancelled if upstream_failed => {
            (RunEvent::Cancelled(C::UpstreamFailed), "upstream run failed".into())
        }
        JobState::Cancelled => (RunEvent::Cancelled(C::SlurmCancelled), "cancelled in Slurm".into()),
        _ => failed(C::NonzeroExit, "job failed"),
    }
}

fn upstream_failed(store: &mut Store, run: &Run) -> Result<bool> {
    for id in run.upstream_run_ids.split(',').filter_map(|s| s.parse::<i64>().ok()) {
        let up = store.run(id)?;
        if matches!(up.status.as_str(), "failed" | "cancelled" | "lost") {
            return Ok(true);
        }
    }
    Ok(false)
}

fn on_accounting(
    cfg: &Config,
    store: &mut Store,
    run: &Run,
    rec: Option<&AcctRecord>,
    report: &mut SyncReport,
) -> Result<()> {
    let Some(rec) = rec.filter(|r| r.state.is_terminal()) else {
        let polls = run.unknown_polls + 1;
        if rec.is_none() && polls >= i32::try_from(cfg.slurm.unknown_after_polls).unwrap_or(5) {
            let msg = format!("job unknown to squeue and sacct for {polls} polls");
            store.apply_run_event(
                run.id,
                RunEvent::Lost,
                &JobUpdate { unknown_polls: Some(polls), ..Default::default() },
                &msg,
            )?;
            report.lost += 1;
        } else {
            let state = rec.map(|r| r.state.to_string());
            let unknown = if rec.is_none() { polls } else { 0 };
            store.record_job_facts(
                run.id,
                &JobUpdate { unknown_polls: Some(unknown), slurm_state: state, ..Default::default() },
            )?;
        }
        return Ok(());
    };
    let missing = if rec.state == JobState::Completed { missing_outputs(cfg, store, run)? } else { vec![] };
    let up_failed = rec.state == JobState::Cancelled && upstream_failed(store, run)?;
    let (event, msg) = terminal_event(&rec.state, &missing, up_failed);
    let updated = store.apply_run_event(run.id, event, &final_facts(rec), &msg)?;
    tracing::info!(run_id = run.id, stage = %run.stage, job_id = %rec.job_id, state = %rec.state_text,
        status = %updated.status, message = %msg, "job finished");
    match event {
        RunEvent::Succeeded => report.completed += 1,
        RunEvent::Cancelled(_) => report.cancelled += 1,
        _ => {
            report.failed += 1;
            note_last_attempt(cfg, run, &msg, report);
        }
    }
    Ok(())
}

fn note_last_attempt(cfg: &Config, run: &Run, msg: &str, report: &mut SyncReport) {
    let max = cfg.pipeline(&run.stage).map_or(1, |p| p.max_attempts);
    if u32::try_from(run.attempt).unwrap_or(0) >= max {
        let line = format!(
            "run {} ({} {}) failed its last attempt ({}/{max}): {msg}",
            run.id, run.stage, run.job_name, run.attempt
        );
        tracing::error!(run_id = run.id, stage = %run.stage, "{line}; `neuroflow runs retry {}` after fixing the cause", run.id);
        report.needs_human.push(line);
    }
}

fn missing_outputs(cfg: &Config, store: &mut Store, run: &Run) -> Result<Vec<String>> {
    let Some(def) = crate::stages::stage(&run.stage) else { return Ok(vec![]) };
    let subject = store.subject(run.subject_id)?;
    let session = match run.session_id {
        Some(id) => Some(store.session(id)?.session_label),
        None => None,
    };
    Ok(outputs::missing(cfg, def, &subject.participant_label, session.as_deref()))
}

/// Cancels live runs downstream of runs that ended without success.
async fn cancel_downstream<S: Scheduler>(store: &mut Store, slurm: &S, report: &mut SyncReport) -> Result<()> {
    let live = store.live_runs()?;
    if live.is_empty() {
        return Ok(());
    }
    let mut bad: BTreeSet<i64> = BTreeSet::new();
    let mut doomed: Vec<&Run> = vec![];
    loop {
        let before = doomed.len();
        for r in &live {
            if doomed.iter().any(|d| d.id == r.id) {
                continue;
            }
            for up in r.upstream_run_ids.split(',').filter_map(|s| s.parse::<i64>().ok()) {
                let failed = bad.contains(&up) || {
                    let u = store.run(up)?;
                    matches!(u.status.as_str(), "failed" | "cancelled" | "lost")
                };
                if failed {
                    bad.insert(r.id);
                    doomed.push(r);
                    break;
                }
            }
        }
        if doomed.len() == before {
            break;
        }
    }
    if doomed.is_empty() {
        return Ok(());
    }
    let ids: Vec<JobId> = doomed.iter().filter_map(|r| job(r)).collect();
    report.slurm_calls += 1;
    slurm.cancel(&ids).await?;
    for r in doomed {
        let msg = "cancelled by neuroflow: an upstream run failed";
        store.apply_run_event(r.id, RunEvent::Cancelled(FailureCause::UpstreamFailed), &JobUpdate::default(), msg)?;
        tracing::info!(run_id = r.id, stage = %r.stage, job_id = r.slurm_job_id.unwrap_or_default(), "cancelled downstream of a failed run");
        report.cancelled_downstream += 1;
    }
    Ok(())
}
