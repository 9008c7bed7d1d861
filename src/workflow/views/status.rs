//! `neuroflow workflow status`: where every session stands in every stage, why the
//! others wait, the totals, the last tick, and what needs a person. Built from a
//! handful of whole-table queries (no query per unit) and the planner's own
//! decisions (`plan::plan`, the same eligibility code as the tick).

use crate::config::Config;
use crate::db::{Reader, Run};
use crate::domain::{IntakeState, RunStatus};
use crate::error::Result;
use crate::pipeline::plan::{Filter, Outcome, plan};
use crate::stages::STAGES;
use crate::workflow::counts::TickCounts;
use crate::workflow::snapshot;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// One stage of one unit.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Cell {
    /// completed, running, queued, failed, cancelled, lost, planned, ready, waiting,
    /// limited, needs_person, invalid, excluded, disabled.
    pub state: String,
    /// Why (pending reason, failure cause, the planner's reason), if anything.
    pub detail: String,
    pub run_id: Option<i64>,
    pub job_id: Option<i64>,
}

/// One session row of the matrix (subject-level stages repeat on each row).
#[derive(Debug, Serialize)]
pub struct Row {
    pub participant: String,
    pub session: String,
    pub cells: BTreeMap<String, Cell>,
}

#[derive(Debug, Serialize)]
pub struct LastTick {
    pub id: i64,
    pub started_at: chrono::NaiveDateTime,
    pub seconds: Option<f64>,
    pub status: String,
    #[serde(flatten)]
    pub counts: TickCounts,
}

/// The whole view; its JSON shape is documented in docs/operations.md.
#[derive(Debug, Serialize)]
pub struct Status {
    pub stages: Vec<&'static str>,
    pub rows: Vec<Row>,
    /// Stage → state → how many units (a subject-level stage counts each subject once).
    pub totals: BTreeMap<String, BTreeMap<String, usize>>,
    pub last_tick: Option<LastTick>,
    pub needs_person: Vec<String>,
    /// Per stage, in chain order: how many completed current runs each tool release
    /// made (`unrecorded`: made before neuroflow recorded releases).
    pub releases: Vec<StageReleases>,
}

/// The releases that made a stage's completed runs.
#[derive(Debug, Serialize)]
pub struct StageReleases {
    pub stage: &'static str,
    pub releases: BTreeMap<String, i64>,
}

/// Completed current runs by stage and release, counted by the store.
pub fn releases(store: &mut Reader, stages: &[&'static str]) -> Result<Vec<StageReleases>> {
    let counts = store.completed_by_release()?;
    Ok(stages
        .iter()
        .map(|stage| StageReleases {
            stage,
            releases: counts
                .iter()
                .filter(|(s, _, _)| s == stage)
                .map(|(_, r, n)| (r.clone().unwrap_or_else(|| "unrecorded".into()), *n))
                .collect(),
        })
        .filter(|s| !s.releases.is_empty())
        .collect())
}

fn run_cell(r: &Run, max_attempts: u32) -> Cell {
    let detail = match r.status {
        RunStatus::Queued => r.pending_reason.clone().unwrap_or_default(),
        RunStatus::Failed | RunStatus::Lost => format!(
            "{} (attempt {}/{max_attempts}){}",
            r.failure_cause.map_or("unknown", |c| c.as_str()),
            r.attempt,
            if r.message.is_empty() { String::new() } else { format!(": {}", r.message) }
        ),
        RunStatus::Cancelled => r.failure_cause.map_or(String::new(), |c| c.to_string()),
        _ => String::new(),
    };
    Cell { state: r.status.to_string(), detail, run_id: Some(r.id), job_id: r.slurm_job_id }
}

fn outcome_cell(o: &Outcome) -> Cell {
    let (state, detail) = match o {
        Outcome::Planned(_) => ("ready", "will be submitted by the next tick".to_string()),
        Outcome::Waiting(w) => ("waiting", w.clone()),
        Outcome::Limited(w) => ("limited", w.clone()),
        Outcome::NeedsHuman(w) => ("needs_person", w.clone()),
        Outcome::Done | Outcome::InFlight => ("-", String::new()),
    };
    Cell { state: state.into(), detail, run_id: None, job_id: None }
}

/// Builds the status view (filters: participant label, stage, cell state).
pub fn status(cfg: &Config, store: &mut Reader, subject: Option<&str>, stage: Option<&str>) -> Result<Status> {
    let (snap, labels, runs) = snapshot::load_with_runs(store)?;
    let planned = plan(&snap, &snapshot::policy(cfg), &Filter::default());
    let outcomes: HashMap<(&str, (i64, Option<i64>)), &Outcome> =
        planned.outcomes.iter().map(|(s, u, o)| ((*s, *u), o)).collect();
    let current: HashMap<(&str, (i64, Option<i64>)), &Run> =
        runs.iter().map(|r| ((r.stage.as_str(), (r.subject_id, r.session_id)), r)).collect();
    let stages: Vec<&'static str> = STAGES.iter().map(|d| d.name).filter(|n| stage.is_none_or(|s| s == *n)).collect();
    let mut rows = vec![];
    let mut totals: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    // A subject-level cell repeats on each of its subject's rows; it is one unit.
    let mut counted: std::collections::HashSet<(&str, (i64, Option<i64>))> = std::collections::HashSet::new();
    let mut sessions = store.all_sessions()?;
    sessions.sort_by(|a, b| {
        (&a.1.participant_label, &a.0.session_label).cmp(&(&b.1.participant_label, &b.0.session_label))
    });
    for (sess, subj) in sessions {
        if subject.is_some_and(|s| s != subj.participant_label) {
            continue;
        }
        let mut cells = BTreeMap::new();
        for def in STAGES.iter().filter(|d| stages.contains(&d.name)) {
            let unit = (subj.id, (def.level == crate::domain::Level::Session).then_some(sess.id));
            let max = cfg.pipeline(def.name).map_or(1, |p| p.max_attempts);
            let cell = if cfg.pipeline(def.name).is_none_or(|p| !p.enabled) {
                Cell { state: "disabled".into(), detail: String::new(), run_id: None, job_id: None }
            } else if sess.excluded {
                let why = sess.excluded_reason.clone().unwrap_or_default();
                Cell { state: "excluded".into(), detail: why, run_id: None, job_id: None }
            } else if let Some(r) = current.get(&(def.name, unit)) {
                run_cell(r, max)
            } else if !sess.is_valid {
                Cell { state: "invalid".into(), detail: sess.validation_message.clone(), run_id: None, job_id: None }
            } else {
                outcomes.get(&(def.name, unit)).map_or_else(|| outcome_cell(&Outcome::Done), |o| outcome_cell(o))
            };
            if counted.insert((def.name, unit)) {
                *totals.entry(def.name.to_string()).or_default().entry(cell.state.clone()).or_default() += 1;
            }
            cells.insert(def.name.to_string(), cell);
        }
        rows.push(Row { participant: subj.participant_label, session: sess.session_label, cells });
    }
    let mut needs_person: Vec<String> = planned
        .outcomes
        .iter()
        .filter_map(|(st, u, o)| match o {
            Outcome::NeedsHuman(why) => Some(format!("{st} {}: {why}", labels.describe(*u))),
            _ => None,
        })
        .collect();
    for f in store.incoming_folders()?.into_iter().filter(|f| f.intake_state != IntakeState::Registered) {
        if f.intake_state != IntakeState::Waiting {
            needs_person.push(format!("folder {} held ({}): {}", f.rel_path, f.intake_state, f.reason));
        }
    }
    let last_tick = store.recent_ticks(1)?.into_iter().next().map(|t| LastTick {
        id: t.id,
        started_at: t.started_at,
        seconds: t.finished_at.map(|f| (f - t.started_at).num_milliseconds() as f64 / 1000.0),
        status: t.status.to_string(),
        counts: serde_json::from_str(&t.counts_json).unwrap_or_default(),
    });
    let releases = releases(store, &stages)?;
    Ok(Status { stages, rows, totals, last_tick, needs_person, releases })
}
