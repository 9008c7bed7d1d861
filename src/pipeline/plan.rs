//! Planning (pure): which runs to submit now, with which dependencies. One
//! eligibility function serves every stage of the table.

use super::request::Request;
use crate::domain::{FailureCause, JobId, Level, RunStatus};
use crate::stages::{STAGES, StageDef};
use std::collections::{BTreeMap, HashMap};

/// A unit of work: a subject (subject-level stages) or one of its sessions.
pub type Unit = (i64, Option<i64>);

/// What planning needs of a stored run (the current run of its stage and unit).
#[derive(Debug, Clone, PartialEq)]
pub struct RunView {
    pub id: i64,
    pub stage: String,
    pub unit: Unit,
    pub attempt: u32,
    pub status: RunStatus,
    pub cause: Option<FailureCause>,
    pub upstream_run_ids: Vec<i64>,
    /// For subject-level runs: the sessions the run covers.
    pub covered_sessions: Vec<i64>,
    pub job_id: Option<JobId>,
    pub request: Request,
}

#[derive(Debug, Clone)]
pub struct SessionView {
    pub id: i64,
    pub subject_id: i64,
    /// Valid and not excluded: may be processed.
    pub eligible: bool,
    /// Its DICOM folder is gone (checked only while a stage still needs it).
    pub dicom_missing: bool,
    /// Why it is invalid (not excluded): a person must add data or exclude it.
    pub invalid: Option<String>,
}

/// Everything planning reads: the units and the current runs.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Subject ids in processing order.
    pub subjects: Vec<i64>,
    /// Sessions in processing order.
    pub sessions: Vec<SessionView>,
    pub current: Vec<RunView>,
}

/// Site policy for one stage.
#[derive(Debug, Clone)]
pub struct StagePolicy {
    pub enabled: bool,
    pub max_concurrent: u32,
    pub max_attempts: u32,
    pub base: Request,
    pub pipeline: crate::config::Pipeline,
}

#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub stages: HashMap<&'static str, StagePolicy>,
    pub max_live_jobs: u32,
    /// Submit a run that depends on live or just-planned upstream runs (`afterok`);
    /// false with `slurm.arrays`: it waits for its upstream to finish.
    pub chain_live: bool,
}

/// Which units a command may plan for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub stage: Option<String>,
    pub subject: Option<i64>,
    pub session: Option<i64>,
    /// Plan even over a completed run or one that needs a person (not a live one).
    pub force: bool,
    /// Only these units (`submit --other-release`: the runs another release made).
    pub units: Option<Vec<Unit>>,
}

/// An upstream run a new run depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpstreamRef {
    /// A stored run; `job` is set while it is live (→ afterok), None once completed.
    Run { run_id: i64, job: Option<JobId> },
    /// A run planned earlier in this same plan (index into `Plan::runs`).
    Planned(usize),
}

#[derive(Debug, Clone)]
pub struct PlannedRun {
    pub stage: &'static StageDef,
    pub unit: Unit,
    pub attempt: u32,
    pub trigger: String,
    pub upstream: Vec<UpstreamRef>,
    /// For subject-level stages: the sessions this run covers.
    pub covered_sessions: Vec<i64>,
    pub request: Request,
}

/// Why a unit was or was not planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Planned(usize),
    Done,
    InFlight,
    Waiting(String),
    Limited(String),
    NeedsHuman(String),
}

#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub runs: Vec<PlannedRun>,
    pub outcomes: Vec<(&'static str, Unit, Outcome)>,
}

#[derive(Debug, Clone, Copy)]
enum Cur<'a> {
    Stored(&'a RunView),
    Planned(usize),
}

struct State<'a> {
    /// Subject → its eligible sessions, in order; and every eligible session id.
    eligible_by_subject: HashMap<i64, Vec<i64>>,
    eligible: std::collections::HashSet<i64>,
    dicom_missing: std::collections::HashSet<i64>,
    invalid: HashMap<i64, &'a str>,
    current: HashMap<(&'a str, Unit), Cur<'a>>,
    live_per_stage: HashMap<String, u32>,
    live_total: u32,
    chain_live: bool,
}

/// The runs to submit now, in an order where every upstream comes first.
pub fn plan(snapshot: &Snapshot, policy: &Policy, filter: &Filter) -> Plan {
    let mut eligible_by_subject: HashMap<i64, Vec<i64>> = HashMap::new();
    for x in snapshot.sessions.iter().filter(|x| x.eligible) {
        eligible_by_subject.entry(x.subject_id).or_default().push(x.id);
    }
    let mut state = State {
        eligible: snapshot.sessions.iter().filter(|x| x.eligible).map(|x| x.id).collect(),
        dicom_missing: snapshot.sessions.iter().filter(|x| x.dicom_missing).map(|x| x.id).collect(),
        invalid: snapshot.sessions.iter().filter_map(|x| Some((x.id, x.invalid.as_deref()?))).collect(),
        eligible_by_subject,
        current: snapshot.current.iter().map(|r| ((r.stage.as_str(), r.unit), Cur::Stored(r))).collect(),
        live_per_stage: HashMap::new(),
        live_total: 0,
        chain_live: policy.chain_live,
    };
    for r in snapshot.current.iter().filter(|r| r.status.is_live()) {
        *state.live_per_stage.entry(r.stage.clone()).or_default() += 1;
        state.live_total += 1;
    }
    let mut out = Plan::default();
    for def in STAGES {
        let Some(pol) = policy.stages.get(def.name).filter(|p| p.enabled) else { continue };
        if filter.stage.as_deref().is_some_and(|s| s != def.name) {
            continue;
        }
        for unit in units(def, snapshot, filter) {
            let outcome = match decide(def, unit, &state, pol, filter.force) {
                Decision::Ready(run) => admit(&mut state, &mut out, pol, policy.max_live_jobs, run),
                Decision::Not(o) => o,
            };
            out.outcomes.push((def.name, unit, outcome));
        }
    }
    out
}

fn admit(state: &mut State, out: &mut Plan, pol: &StagePolicy, max_live: u32, run: PlannedRun) -> Outcome {
    let stage_live = state.live_per_stage.get(run.stage.name).copied().unwrap_or(0);
    if stage_live >= pol.max_concurrent {
        return Outcome::Limited(format!("max_concurrent {} of {} reached", pol.max_concurrent, run.stage.name));
    }
    if state.live_total >= max_live {
        return Outcome::Limited(format!("slurm.max_live_jobs {max_live} reached"));
    }
    let idx = out.runs.len();
    state.current.insert((run.stage.name, run.unit), Cur::Planned(idx));
    *state.live_per_stage.entry(run.stage.name.to_string()).or_default() += 1;
    state.live_total += 1;
    out.runs.push(run);
    Outcome::Planned(idx)
}

/// The units of a stage, filtered.
fn units(def: &StageDef, s: &Snapshot, f: &Filter) -> Vec<Unit> {
    let subject_ok = |id: i64| f.subject.is_none_or(|x| x == id);
    let listed = |u: &Unit| f.units.as_ref().is_none_or(|l| l.contains(u));
    let all: Vec<Unit> = match def.level {
        Level::Subject => s.subjects.iter().copied().filter(|id| subject_ok(*id)).map(|id| (id, None)).collect(),
        Level::Session => s
            .sessions
            .iter()
            .filter(|x| subject_ok(x.subject_id) && f.session.is_none_or(|id| id == x.id))
            .map(|x| (x.subject_id, Some(x.id)))
            .collect(),
    };
    all.into_iter().filter(listed).collect()
}

enum Decision {
    Ready(PlannedRun),
    Not(Outcome),
}

fn eligible_sessions(state: &State, subject: i64) -> Vec<i64> {
    state.eligible_by_subject.get(&subject).cloned().unwrap_or_default()
}

/// The units of stage `need` that a run of `def` for `unit` depends on.
fn upstream_units(def: &StageDef, need: &StageDef, unit: Unit, s: &State) -> Vec<Unit> {
    match (def.level, need.level) {
        (Level::Subject, Level::Session) => {
            eligible_sessions(s, unit.0).into_iter().map(|x| (unit.0, Some(x))).collect()
        }
        (Level::Session, Level::Subject) => vec![(unit.0, None)],
        _ => vec![unit],
    }
}

/// Upstream runs if they are all completed or live; else why not.
fn upstream_refs(def: &StageDef, unit: Unit, state: &State) -> Result<Vec<UpstreamRef>, String> {
    let mut refs = vec![];
    for need in def.needs {
        let need_def = crate::stages::stage(need).expect("stage table names its needs");
        for u in upstream_units(def, need_def, unit, state) {
            let unchained = || format!("waits for {need} to finish (slurm.arrays: no afterok chains)");
            match state.current.get(&(need, u)) {
                None => return Err(format!("waits for {need}")),
                Some(Cur::Planned(_)) if !state.chain_live => return Err(unchained()),
                Some(Cur::Planned(i)) => refs.push(UpstreamRef::Planned(*i)),
                Some(Cur::Stored(r)) if !covers(need_def, r, unit) => {
                    return Err(format!("waits for {need} to cover this session (run {} does not)", r.id));
                }
                Some(Cur::Stored(r)) => match r.status {
                    RunStatus::Completed => refs.push(UpstreamRef::Run { run_id: r.id, job: None }),
                    s if s.is_live() && !state.chain_live => return Err(unchained()),
                    s if s.is_live() && r.job_id.is_some() => {
                        refs.push(UpstreamRef::Run { run_id: r.id, job: r.job_id })
                    }
                    s if s.is_live() => return Err(format!("waits for {need} run {} to reach Slurm", r.id)),
                    s => return Err(format!("waits for {need} (run {} is {s})", r.id)),
                },
            }
        }
    }
    if def.needs.is_empty() || !refs.is_empty() { Ok(refs) } else { Err("no eligible sessions".into()) }
}

/// A subject-level upstream run serves a session only if it covered that session.
fn covers(need: &StageDef, r: &RunView, unit: Unit) -> bool {
    match (need.level, unit.1) {
        (Level::Subject, Some(session)) => r.covered_sessions.contains(&session),
        _ => true,
    }
}

/// True when a finished run was made from other upstream runs than now.
fn stale(run: &RunView, refs: &[UpstreamRef]) -> bool {
    let mut now: Vec<i64> = vec![];
    for r in refs {
        match r {
            UpstreamRef::Run { run_id, .. } => now.push(*run_id),
            UpstreamRef::Planned(_) => return true,
        }
    }
    let mut recorded = run.upstream_run_ids.clone();
    recorded.sort_unstable();
    now.sort_unstable();
    recorded != now
}

/// The one eligibility rule, for every stage and unit.
fn decide(def: &'static StageDef, unit: Unit, state: &State, pol: &StagePolicy, force: bool) -> Decision {
    let not = Decision::Not;
    if let Some(session) = unit.1
        && !state.eligible.contains(&session)
    {
        return match state.invalid.get(&session) {
            // Said once per session, by the stage that would read it first.
            Some(why) if def.reads_dicom => not(Outcome::NeedsHuman(format!(
                "the session is invalid ({why}): add the missing data (the folder is read again when it changes; `neuroflow sessions rescan` reads it now) or `neuroflow sessions exclude` it"
            ))),
            _ => not(Outcome::Waiting("session is invalid, excluded or disputed".into())),
        };
    }
    let current = match state.current.get(&(def.name, unit)) {
        Some(Cur::Planned(_)) => return not(Outcome::InFlight),
        Some(Cur::Stored(r)) => Some(*r),
        None => None,
    };
    if current.is_some_and(|r| r.status.is_live()) {
        return not(Outcome::InFlight);
    }
    let refs = match upstream_refs(def, unit, state) {
        Ok(refs) => refs,
        Err(why) => return not(Outcome::Waiting(why)),
    };
    let (attempt, trigger, request) = match current {
        None => (1, "new".to_string(), pol.base.clone()),
        Some(r) if force => {
            (if r.status == RunStatus::Completed { 1 } else { r.attempt + 1 }, "forced".into(), pol.base.clone())
        }
        Some(r) => match next_attempt(r, &refs, pol) {
            Ok(next) => next,
            Err(o) => return not(o),
        },
    };
    if def.reads_dicom && unit.1.is_some_and(|s| state.dicom_missing.contains(&s)) {
        return not(Outcome::NeedsHuman(
            "its DICOM folder is gone: restore it, or `neuroflow sessions exclude` the session".into(),
        ));
    }
    let covered = if def.level == Level::Subject { eligible_sessions(state, unit.0) } else { vec![] };
    Decision::Ready(PlannedRun {
        stage: def,
        unit,
        attempt,
        trigger,
        upstream: refs,
        covered_sessions: covered,
        request,
    })
}

/// After a finished run: rerun (stale), retry, or stop.
fn next_attempt(r: &RunView, refs: &[UpstreamRef], pol: &StagePolicy) -> Result<(u32, String, Request), Outcome> {
    use FailureCause as C;
    if !r.status.is_live() && stale(r, refs) {
        // Made from other upstream runs than now (a subject gained a session, or the
        // upstream was redone): start over, whatever became of this run.
        return Ok((1, "upstream changed".into(), pol.base.clone()));
    }
    match (r.status, r.cause) {
        (RunStatus::Completed, _) => Err(Outcome::Done),
        (RunStatus::Cancelled, Some(C::UpstreamFailed | C::SubmitInterrupted | C::SessionWithdrawn | C::Restarted)) => {
            Ok((
                r.attempt,
                "resubmit after cancellation".into(),
                r.request.next_attempt(None, &pol.pipeline, &pol.base),
            ))
        }
        (RunStatus::Cancelled, Some(C::ByPerson)) => {
            Err(Outcome::NeedsHuman(format!("cancelled by a person; `neuroflow runs retry {}` runs it again", r.id)))
        }
        (RunStatus::Cancelled, _) => Err(Outcome::NeedsHuman("cancelled in Slurm, outside neuroflow".into())),
        (_, Some(C::SubmitRejected)) => Err(Outcome::NeedsHuman("sbatch rejected the job".into())),
        // A retry would meet the same image: the release it holds must be settled first.
        (_, Some(C::ToolVersionMismatch)) => Err(Outcome::NeedsHuman(format!(
            "its tool is not the release its script was written for (see the job's stderr); fix the image or `version:`, then `neuroflow runs retry {}`",
            r.id
        ))),
        (RunStatus::Failed | RunStatus::Lost, cause) if r.attempt < pol.max_attempts => {
            let cause = cause.unwrap_or(C::Lost);
            // Keep what earlier retries grew; grow more after OOM/TIMEOUT; take a raise
            // in the configuration.
            let request = r.request.next_attempt(Some(cause), &pol.pipeline, &pol.base);
            Ok((r.attempt + 1, format!("retry after {cause}"), request))
        }
        (status, cause) => Err(Outcome::NeedsHuman(format!(
            "{status} ({}) after {} of {} attempts",
            cause.map_or("unknown".into(), |c| c.to_string()),
            r.attempt,
            pol.max_attempts
        ))),
    }
}

/// The version of the planning rule: bump it when `decide` changes what a settled
/// subject's rows mean, so that every subject is planned again once.
pub const RULES_VERSION: u32 = 1;

/// The subjects of `subjects` whose every outcome is Done or Waiting: nothing of
/// theirs can change until one of their sessions or runs is written (the store
/// reopens them then). Planned, in-flight, limited and needs-a-person units keep
/// their subject open (a limit frees elsewhere; a person's problem is said every tick).
pub fn settled_subjects(plan: &Plan, subjects: &[i64]) -> Vec<i64> {
    let busy: std::collections::HashSet<i64> = plan
        .outcomes
        .iter()
        .filter(|(_, _, o)| !matches!(o, Outcome::Done | Outcome::Waiting(_)))
        .map(|(_, unit, _)| unit.0)
        .collect();
    subjects.iter().copied().filter(|s| !busy.contains(s)).collect()
}

/// Counts of outcomes per stage, for reports.
pub fn summary(plan: &Plan) -> BTreeMap<String, BTreeMap<String, usize>> {
    let mut out: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for (stage, _, o) in &plan.outcomes {
        let key = match o {
            Outcome::Planned(_) => "planned",
            Outcome::Done => "done",
            Outcome::InFlight => "in_flight",
            Outcome::Waiting(_) => "waiting",
            Outcome::Limited(_) => "limited",
            Outcome::NeedsHuman(_) => "needs_human",
        };
        *out.entry(stage.to_string()).or_default().entry(key.to_string()).or_default() += 1;
    }
    out
}
