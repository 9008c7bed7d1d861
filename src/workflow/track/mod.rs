//! Owns: tracking — from a job in the queue to a finished, failed or needs-a-person
//! run: one squeue for every live job, at most one sacct for those that left the queue,
//! none when nothing is live; orphans, success markers, cancellations, verify.
//! May import: slurm, db, config, pipeline, lifecycle, domain, stop. Must not be imported
//! by: submit, views (intake's withdraw may use `cancel_live`).

pub mod cancel;
pub mod orphans;
pub mod outputs;
pub mod verify;

// Failed upstream runs take their live downstream runs with them (cancelled by neuroflow).

use crate::config::Config;
use crate::db::{JobUpdate, Run, Store};
use crate::domain::{FailureCause, JobId, RunStatus};
use crate::error::Result;
use crate::lifecycle::RunEvent;
use crate::slurm::{AcctRecord, JobState, QueueRow, Scheduler};
use orphans::adopt_orphans;
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
    /// Runs that now need a person (last attempt failed, cancelled outside neuroflow);
    /// said on the tick it happens (the planner says it again on every later tick).
    pub needs_human: Vec<String>,
    /// Live jobs that can never start as asked (said on every tick while they pend).
    pub stuck: Vec<String>,
}

fn upstream_ids(r: &Run) -> impl Iterator<Item = i64> {
    r.upstream_ids().into_iter()
}

fn is_failure(status: RunStatus) -> bool {
    matches!(status, RunStatus::Failed | RunStatus::Cancelled | RunStatus::Lost)
}

/// The status of every live run and of every run they depend on, kept current
/// as this sync applies events (one query, not one per run).
struct Statuses(HashMap<i64, RunStatus>);

impl Statuses {
    fn load(store: &mut Store, live: &[Run]) -> Result<Statuses> {
        let mut ids: BTreeSet<i64> = live.iter().flat_map(upstream_ids).collect();
        ids.extend(live.iter().map(|r| r.id));
        let runs = store.runs_by_ids(&ids.into_iter().collect::<Vec<_>>())?;
        Ok(Statuses(runs.into_iter().map(|r| (r.id, r.status)).collect()))
    }

    fn upstream_failed(&self, r: &Run) -> bool {
        self.failed_upstream(r).is_some()
    }

    /// The first upstream run of `r` that ended without success, with its status.
    fn failed_upstream(&self, r: &Run) -> Option<(i64, &str)> {
        upstream_ids(r).find_map(|id| self.0.get(&id).filter(|s| is_failure(**s)).map(|s| (id, s.as_str())))
    }
}

/// Cancels the live runs downstream of runs that ended without success (e.g. one a
/// person just cancelled), with one scancel; returns how many.
pub async fn cancel_downstream_of_ended<S: Scheduler>(store: &mut Store, slurm: &S) -> Result<usize> {
    let live = store.live_runs()?;
    let mut statuses = Statuses::load(store, &live)?;
    let mut report = SyncReport::default();
    cancel_downstream(store, slurm, &mut statuses, &mut report).await?;
    Ok(report.cancelled_downstream)
}

/// The job ids to ask squeue or sacct about: each array once.
fn job_ids<'a>(runs: impl Iterator<Item = &'a Run>) -> Vec<JobId> {
    let ids: std::collections::BTreeSet<JobId> = runs.filter_map(Run::job).collect();
    ids.into_iter().collect()
}

/// Brings every live run up to date with Slurm.
pub async fn sync<S: Scheduler>(cfg: &Config, store: &mut Store, slurm: &S) -> Result<SyncReport> {
    let mut live = store.live_runs()?;
    let mut report = SyncReport { live_before: live.len(), ..Default::default() };
    if live.is_empty() {
        return Ok(report);
    }
    let adoption = adopt_orphans(store, slurm, &live).await?;
    report.adopted += adoption.adopted;
    report.slurm_calls += adoption.slurm_calls;
    if adoption.changed() {
        live = store.live_runs()?;
    }
    let mut statuses = Statuses::load(store, &live)?;
    // Rows and records are matched by the id Slurm shows (`123`, or `123_4` for an
    // array task: squeue --array lists every task); an array is asked for once.
    let ids = job_ids(live.iter());
    let rows: HashMap<String, QueueRow> = if ids.is_empty() {
        HashMap::new()
    } else {
        report.slurm_calls += 1;
        slurm.queue(&ids).await?.into_iter().map(|q| (q.display_id.clone(), q)).collect()
    };
    let mut gone = vec![];
    for run in live.iter().filter(|r| r.job().is_some()) {
        match run.slurm_key().and_then(|k| rows.get(&k)) {
            Some(q) if !q.state.is_terminal() => on_queue_row(store, run, q, &mut report)?,
            _ => gone.push(run),
        }
    }
    if !gone.is_empty() {
        report.slurm_calls += 1;
        let ids = job_ids(gone.iter().copied());
        let recs: HashMap<String, AcctRecord> =
            slurm.accounting(&ids).await?.into_iter().map(|r| (r.display_id.clone(), r)).collect();
        for run in gone {
            let rec = run.slurm_key().and_then(|k| recs.get(&k));
            on_accounting(cfg, store, run, rec, &mut statuses, &mut report)?;
        }
    }
    cancel_downstream(store, slurm, &mut statuses, &mut report).await?;
    Ok(report)
}

fn on_queue_row(store: &mut Store, run: &Run, q: &QueueRow, report: &mut SyncReport) -> Result<()> {
    let reason = q.reason.clone().unwrap_or_default();
    if q.state == JobState::Pending
        && let Some(fix) = crate::slurm::never_starts(&reason)
    {
        report.stuck.push(format!(
            "run {} ({}, job {}) can never start as asked: {reason}; {fix}",
            run.id,
            run.job_name,
            run.slurm_job_id.unwrap_or_default()
        ));
    }
    let facts = JobUpdate {
        slurm_state: Some(q.state.to_string()),
        pending_reason: Some(reason.clone()),
        unknown_polls: Some(0),
        ..Default::default()
    };
    match (run.status, q.state.is_running()) {
        (RunStatus::Queued, true) => {
            store.apply_run_event(run.id, RunEvent::Started, &facts, "")?;
            tracing::info!(run_id = run.id, stage = %run.stage, job_id = run.slurm_job_id.unwrap_or_default(), "job started");
            report.started += 1;
        }
        (RunStatus::Running, false) => {
            store.apply_run_event(run.id, RunEvent::Requeued, &facts, &format!("requeued: {}", q.state))?;
        }
        _ => {
            let same = run.slurm_state.as_deref() == Some(q.state.as_str())
                && run.pending_reason.as_deref().unwrap_or("") == reason
                && run.unknown_polls == 0;
            if !same {
                store.record_job_facts(run.id, &facts)?;
            }
        }
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
        total_cpu_seconds: rec.total_cpu_seconds,
        alloc_tres: rec.alloc_tres.clone(),
        sacct_row: Some(rec.raw.clone()).filter(|r| !r.is_empty()),
    }
}

/// The event a terminal Slurm state means for a run. A run whose upstream failed
/// is cancelled for that reason whatever became of its own job (no attempt used):
/// even a COMPLETED job ran on output neuroflow judged failed (Slurm's afterok only
/// saw exit 0), so its outputs are not results.
pub fn terminal_event(
    state: &JobState,
    exit_code: i32,
    outputs_missing: &[String],
    upstream_failed: bool,
) -> (RunEvent, String) {
    use FailureCause as C;
    let failed = |c: C, m: &str| (RunEvent::Failed(c), m.to_string());
    match state {
        JobState::Completed if upstream_failed => (
            RunEvent::Cancelled(C::UpstreamFailed),
            "ran on an upstream run that neuroflow judged failed: its outputs are not counted".into(),
        ),
        _ if upstream_failed => (RunEvent::Cancelled(C::UpstreamFailed), "upstream run failed".into()),
        JobState::Completed if outputs_missing.is_empty() => (RunEvent::Succeeded, String::new()),
        JobState::Completed => failed(C::OutputsMissing, &format!("outputs missing: {}", outputs_missing.join(", "))),
        JobState::OutOfMemory => failed(C::OutOfMemory, "out of memory"),
        JobState::Timeout | JobState::Deadline => failed(C::Timeout, "time limit reached"),
        JobState::NodeFail | JobState::BootFail => failed(C::NodeFailure, "node failure"),
        JobState::Preempted => failed(C::Preempted, "preempted"),
        JobState::Cancelled => (RunEvent::Cancelled(C::SlurmCancelled), "cancelled in Slurm, outside neuroflow".into()),
        JobState::Failed if exit_code == crate::domain::TOOL_VERSION_MISMATCH_EXIT => failed(
            C::ToolVersionMismatch,
            "the tool is not the release its script was written for (the job's stderr says which); the tool did not run",
        ),
        _ => failed(C::NonzeroExit, "job failed"),
    }
}

fn on_accounting(
    cfg: &Config,
    store: &mut Store,
    run: &Run,
    rec: Option<&AcctRecord>,
    statuses: &mut Statuses,
    report: &mut SyncReport,
) -> Result<()> {
    let Some(rec) = rec.filter(|r| r.state.is_terminal()) else {
        return on_unknown(cfg, store, run, rec, statuses, report);
    };
    let missing = if rec.state == JobState::Completed { missing_outputs(cfg, store, run, rec.start)? } else { vec![] };
    let (event, msg) = terminal_event(&rec.state, rec.exit_code, &missing, statuses.upstream_failed(run));
    let updated = store.apply_run_event(run.id, event, &final_facts(rec), &msg)?;
    statuses.0.insert(run.id, updated.status);
    tracing::info!(run_id = run.id, stage = %run.stage, job_id = %rec.job_id, state = %rec.state_text,
        status = %updated.status, message = %msg, "job finished");
    match event {
        RunEvent::Succeeded => report.completed += 1,
        RunEvent::Cancelled(FailureCause::SlurmCancelled) => {
            report.cancelled += 1;
            needs_human(run, &format!("{msg}; `neuroflow runs retry {}` to run it again", run.id), report);
        }
        RunEvent::Cancelled(_) => report.cancelled += 1,
        _ => {
            report.failed += 1;
            note_last_attempt(cfg, run, &msg, report);
        }
    }
    Ok(())
}

/// Neither squeue nor sacct has a final record: count the poll, give up after several.
fn on_unknown(
    cfg: &Config,
    store: &mut Store,
    run: &Run,
    rec: Option<&AcctRecord>,
    statuses: &mut Statuses,
    report: &mut SyncReport,
) -> Result<()> {
    let polls = if rec.is_none() { run.unknown_polls + 1 } else { 0 };
    if polls >= i32::try_from(cfg.slurm.unknown_after_polls).unwrap_or(5) {
        let msg = format!("job unknown to squeue and sacct for {polls} polls");
        let facts = JobUpdate { unknown_polls: Some(polls), ..Default::default() };
        store.apply_run_event(run.id, RunEvent::Lost, &facts, &msg)?;
        statuses.0.insert(run.id, RunStatus::Lost);
        report.lost += 1;
        note_last_attempt(cfg, run, &msg, report);
    } else {
        let facts = JobUpdate {
            unknown_polls: Some(polls),
            slurm_state: rec.map(|r| r.state.to_string()),
            ..Default::default()
        };
        store.record_job_facts(run.id, &facts)?;
    }
    Ok(())
}

fn needs_human(run: &Run, line: &str, report: &mut SyncReport) {
    let line = format!("run {} ({}): {line}", run.id, run.job_name);
    tracing::error!(run_id = run.id, stage = %run.stage, "{line}");
    report.needs_human.push(line);
}

fn note_last_attempt(cfg: &Config, run: &Run, msg: &str, report: &mut SyncReport) {
    let max = cfg.pipeline(&run.stage).map_or(1, |p| p.max_attempts);
    if u32::try_from(run.attempt).unwrap_or(0) >= max {
        let line = format!(
            "failed its last attempt ({}/{max}): {msg}; fix the cause, then `neuroflow runs retry {}`",
            run.attempt, run.id
        );
        needs_human(run, &line, report);
    }
}

fn missing_outputs(
    cfg: &Config,
    store: &mut Store,
    run: &Run,
    since: Option<chrono::NaiveDateTime>,
) -> Result<Vec<String>> {
    let Some(def) = crate::stages::stage(&run.stage) else { return Ok(vec![]) };
    let subject = store.subject(run.subject_id)?;
    let session = match run.session_id {
        Some(id) => Some(store.session(id)?.session_label),
        None => None,
    };
    let mut covered = vec![];
    for id in run.covered_sessions() {
        covered.push(store.session(id)?.session_label);
    }
    let unit =
        outputs::Unit { participant: &subject.participant_label, session: session.as_deref(), covered: &covered };
    Ok(outputs::missing(cfg, def, &unit, since))
}

/// Cancels live runs downstream of runs that ended without success (transitively),
/// with one scancel for all of them.
async fn cancel_downstream<S: Scheduler>(
    store: &mut Store,
    slurm: &S,
    statuses: &mut Statuses,
    report: &mut SyncReport,
) -> Result<()> {
    let live = store.live_runs()?;
    let mut doomed: Vec<&Run> = vec![];
    let mut doomed_ids: BTreeSet<i64> = BTreeSet::new();
    loop {
        let newly: Vec<&Run> = live
            .iter()
            .filter(|r| !doomed_ids.contains(&r.id))
            .filter(|r| upstream_ids(r).any(|u| doomed_ids.contains(&u)) || statuses.upstream_failed(r))
            .collect();
        if newly.is_empty() {
            break;
        }
        doomed_ids.extend(newly.iter().map(|r| r.id));
        doomed.extend(newly);
    }
    if doomed.is_empty() {
        return Ok(());
    }
    let why = |r: &Run| {
        let up = upstream_ids(r).find(|u| doomed_ids.contains(u)).map(|u| (u, "cancelled"));
        match up.or_else(|| statuses.failed_upstream(r)) {
            Some((u, s)) => format!("cancelled by neuroflow: upstream run {u} is {s}"),
            None => "cancelled by neuroflow: an upstream run failed".into(),
        }
    };
    let with_reasons: Vec<(&Run, String)> = doomed.iter().map(|r| (*r, why(r))).collect();
    report.slurm_calls += cancel_live(store, slurm, &with_reasons, FailureCause::UpstreamFailed).await?;
    for r in doomed {
        statuses.0.insert(r.id, RunStatus::Cancelled);
        report.cancelled_downstream += 1;
    }
    Ok(())
}

/// Cancels these live runs with one scancel and records `cause` with each one's
/// message (no attempt used). Returns the Slurm calls made (0 or 1).
pub async fn cancel_live<S: Scheduler>(
    store: &mut Store,
    slurm: &S,
    runs: &[(&Run, String)],
    cause: FailureCause,
) -> Result<u32> {
    let ids: Vec<String> = runs.iter().filter_map(|(r, _)| r.slurm_key()).collect();
    if !ids.is_empty() {
        slurm.cancel(&ids).await?;
    }
    for (r, msg) in runs {
        let facts = JobUpdate { slurm_state: r.job().map(|_| "CANCELLED".to_string()), ..Default::default() };
        store.apply_run_event(r.id, RunEvent::Cancelled(cause), &facts, msg)?;
        tracing::info!(run_id = r.id, stage = %r.stage, job_id = r.slurm_job_id.unwrap_or_default(), "{msg}");
    }
    Ok(u32::from(!ids.is_empty()))
}
