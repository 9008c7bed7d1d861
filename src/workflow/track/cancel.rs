//! A person's cancellation of a run (`neuroflow runs cancel`). Slurm is asked first,
//! so a job that already ended is recorded as it ended instead of being thrown away;
//! the run's live downstream goes with it, in one scancel.

use crate::config::Config;
use crate::db::Store;
use crate::domain::FailureCause;
use crate::error::{Error, Result};
use crate::slurm::Scheduler;
use crate::workflow::track::{cancel_downstream_of_ended, cancel_live, sync};
use serde::Serialize;

/// What became of a cancellation.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum CancelOutcome {
    /// The job was cancelled; so were `downstream` live runs that depended on it.
    Cancelled { run_id: i64, downstream: usize },
    /// The job had already ended: recorded as Slurm reported it, nothing cancelled.
    AlreadyEnded { run_id: i64, status: String, slurm_state: Option<String> },
}

/// The live current runs of a stage for a subject (and session), as a forced
/// submission would find them.
pub fn live_runs_of(
    store: &mut Store,
    stage: &str,
    subject: Option<i64>,
    session: Option<i64>,
) -> Result<Vec<crate::db::Run>> {
    Ok(store
        .live_runs()?
        .into_iter()
        .filter(|r| r.stage == stage)
        .filter(|r| subject.is_none_or(|s| r.subject_id == s))
        .filter(|r| session.is_none_or(|s| r.session_id == Some(s)))
        .collect())
}

/// Live runs of stages that are disabled: a warning each tick, or (`cancel`) one
/// scancel for them and their downstream. Returns the Slurm calls made.
pub async fn disabled_stages<S: Scheduler>(cfg: &Config, store: &mut Store, slurm: &S, cancel: bool) -> Result<u32> {
    let enabled: Vec<&str> = cfg.enabled().map(|(d, _)| d.name).collect();
    let disabled: Vec<&str> = crate::stages::STAGES.iter().map(|d| d.name).filter(|s| !enabled.contains(s)).collect();
    let live = if disabled.is_empty() { vec![] } else { store.live_runs_of_stages(&disabled)? };
    if live.is_empty() {
        return Ok(0);
    }
    if !cancel {
        for r in &live {
            tracing::warn!(run_id = r.id, stage = %r.stage, job_id = r.slurm_job_id.unwrap_or_default(),
                "stage {} is disabled but run {} is live; `neuroflow workflow run --cancel-disabled` cancels it", r.stage, r.id);
        }
        return Ok(0);
    }
    let why: Vec<(&crate::db::Run, String)> =
        live.iter().map(|r| (r, format!("cancelled: stage {} is disabled (--cancel-disabled)", r.stage))).collect();
    let calls = cancel_live(store, slurm, &why, FailureCause::ByPerson).await?;
    Ok(calls + downstream_calls(store, slurm).await?)
}

/// Live subject-level runs of subjects that gained a session since they started
/// (`restart_on_new_session`): cancelled with their downstream in one scancel, so
/// this tick's planning starts them over with every session. Returns Slurm calls.
pub async fn restart_for_new_sessions<S: Scheduler>(cfg: &Config, store: &mut Store, slurm: &S) -> Result<u32> {
    let stages: Vec<&str> = cfg
        .enabled()
        .filter(|(d, p)| d.level == crate::domain::Level::Subject && p.restart_on_new_session)
        .map(|(d, _)| d.name)
        .collect();
    let live = if stages.is_empty() { vec![] } else { store.live_runs_of_stages(&stages)? };
    let subjects: Vec<i64> = live.iter().map(|r| r.subject_id).collect();
    let sessions = if live.is_empty() { vec![] } else { store.sessions_of_subjects(&subjects)? };
    let mut by_subject: std::collections::HashMap<i64, Vec<&crate::db::Session>> = Default::default();
    for s in &sessions {
        by_subject.entry(s.subject_id).or_default().push(s);
    }
    let mut stale = vec![];
    for r in live {
        let covered = r.covered_sessions();
        let new: Vec<String> = by_subject
            .get(&r.subject_id)
            .into_iter()
            .flatten()
            .filter(|s| s.is_valid && !s.excluded && s.identity_issue.is_none() && !covered.contains(&s.id))
            .map(|s| s.session_label.clone())
            .collect();
        if !new.is_empty() {
            stale.push((r, new));
        }
    }
    if stale.is_empty() {
        return Ok(0);
    }
    let why: Vec<(&crate::db::Run, String)> = stale
        .iter()
        .map(|(r, new)| (r, format!("cancelled by neuroflow to start over with the new session(s) {}", new.join(", "))))
        .collect();
    let calls = cancel_live(store, slurm, &why, FailureCause::Restarted).await?;
    Ok(calls + downstream_calls(store, slurm).await?)
}

/// Cancels the live downstream of runs that just ended; its Slurm calls (downstream
/// runs always have a job by the time their upstream runs: afterok).
async fn downstream_calls<S: Scheduler>(store: &mut Store, slurm: &S) -> Result<u32> {
    Ok(u32::from(cancel_downstream_of_ended(store, slurm).await? > 0))
}

/// Cancels run `id` for a person. The caller holds the tick lock.
pub async fn cancel_run<S: Scheduler>(cfg: &Config, store: &mut Store, slurm: &S, id: i64) -> Result<CancelOutcome> {
    let run = store.run(id)?;
    if !run.status.is_live() {
        return Err(Error::Usage(format!("run {id} is {}, not live: nothing to cancel", run.status)));
    }
    // One squeue (and at most one sacct) brings every live run up to date first.
    sync(cfg, store, slurm).await?;
    let run = store.run(id)?;
    if !run.status.is_live() {
        tracing::warn!(run_id = id, status = %run.status, "the job had already ended; nothing cancelled");
        return Ok(CancelOutcome::AlreadyEnded {
            run_id: id,
            status: run.status.to_string(),
            slurm_state: run.slurm_state,
        });
    }
    let msg = "cancelled by a person (`neuroflow runs cancel`)".to_string();
    cancel_live(store, slurm, &[(&run, msg)], FailureCause::ByPerson).await?;
    let downstream = cancel_downstream_of_ended(store, slurm).await?;
    Ok(CancelOutcome::Cancelled { run_id: id, downstream })
}
