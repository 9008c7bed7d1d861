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
use crate::workflow::views::figures;
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
    /// Per enabled stage, in chain order: the work not yet done in CPU- and
    /// GPU-hours, and when it is done at the last 4 weeks' rate.
    pub remaining: Vec<crate::workflow::views::figures::Remaining>,
    /// Sessions of settled subjects not listed in `rows` (counted in `totals`;
    /// `--all` lists them).
    pub rows_hidden: usize,
    /// Each stage's newest completed runs (`figures::recent`), read once for what is
    /// left and the releases, and reused by the page.
    #[serde(skip)]
    pub recent: Vec<(&'static str, Vec<Run>)>,
}

/// The releases that made a stage's completed runs.
#[derive(Debug, Serialize)]
pub struct StageReleases {
    pub stage: &'static str,
    pub releases: BTreeMap<String, i64>,
}

/// The releases that made the newest completed runs of each stage (`recent`: at
/// most `figures::RECENT` a stage, so a store of any size answers at once; a mix
/// of releases shows there first).
pub fn releases(
    store: &mut Reader,
    stages: &[&'static str],
    recent: &[(&'static str, Vec<Run>)],
) -> Result<Vec<StageReleases>> {
    let ids: Vec<i64> = recent.iter().flat_map(|(_, runs)| runs.iter().map(|r| r.id)).collect();
    let known = store.releases_of_runs(&ids)?;
    Ok(stages
        .iter()
        .filter_map(|stage| {
            let runs = recent.iter().find(|(s, _)| s == stage).map(|(_, r)| r)?;
            let mut releases = BTreeMap::new();
            for r in runs {
                *releases.entry(known.get(&r.id).cloned().unwrap_or_else(|| "unrecorded".into())).or_default() += 1;
            }
            (!releases.is_empty()).then_some(StageReleases { stage, releases })
        })
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

/// Stage → state → units.
pub type Totals = BTreeMap<String, BTreeMap<String, usize>>;

/// Builds the status view with every row (filters: participant label, stage).
pub fn status(cfg: &Config, store: &mut Reader, subject: Option<&str>, stage: Option<&str>) -> Result<Status> {
    let (snap, labels, runs) = snapshot::load_with_runs(store)?;
    let sessions = store.all_sessions()?;
    let stages = stages_of(stage);
    let (rows, totals, needs_person) = matrix(cfg, &snap, &labels, &runs, sessions, subject, &stages);
    finish(cfg, store, stages, rows, totals, needs_person, 0)
}

/// The stages shown (one, or the whole chain), in chain order.
pub fn stages_of(stage: Option<&str>) -> Vec<&'static str> {
    STAGES.iter().map(|d| d.name).filter(|n| stage.is_none_or(|s| s == *n)).collect()
}

/// The rows of `sessions`, their totals and what needs a person, from the planner's
/// verdict on `snap` (the same eligibility code as the tick).
pub fn matrix(
    cfg: &Config,
    snap: &snapshot::Snapshot,
    labels: &snapshot::Labels,
    runs: &[Run],
    mut sessions: Vec<(crate::db::Session, crate::db::Subject)>,
    subject: Option<&str>,
    stages: &[&'static str],
) -> (Vec<Row>, Totals, Vec<String>) {
    let planned = plan(snap, &snapshot::policy(cfg), &Filter::default());
    let outcomes: HashMap<(&str, (i64, Option<i64>)), &Outcome> =
        planned.outcomes.iter().map(|(s, u, o)| ((*s, *u), o)).collect();
    let current: HashMap<(&str, (i64, Option<i64>)), &Run> =
        runs.iter().map(|r| ((r.stage.as_str(), (r.subject_id, r.session_id)), r)).collect();
    let mut rows = vec![];
    let mut totals = Totals::new();
    // A subject-level cell repeats on each of its subject's rows; it is one unit.
    let mut counted: std::collections::HashSet<(&str, (i64, Option<i64>))> = std::collections::HashSet::new();
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
    let needs_person: Vec<String> = planned
        .outcomes
        .iter()
        .filter_map(|(st, u, o)| match o {
            Outcome::NeedsHuman(why) => Some(format!("{st} {}: {why}", labels.describe(*u))),
            _ => None,
        })
        .collect();
    (rows, totals, needs_person)
}

/// The rest of the view: held folders, the last tick, releases, what is left.
pub fn finish(
    cfg: &Config,
    store: &mut Reader,
    stages: Vec<&'static str>,
    rows: Vec<Row>,
    totals: Totals,
    mut needs_person: Vec<String>,
    rows_hidden: usize,
) -> Result<Status> {
    for f in store.folders_needing_a_person()? {
        if f.intake_state != IntakeState::Waiting && f.intake_state != IntakeState::Registered {
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
    let now = chrono::Utc::now().naive_utc();
    let recent = figures::recent(store)?;
    let releases = releases(store, &stages, &recent)?;
    let mut remaining = figures::remaining(cfg, &totals, &recent, &figures::last_4_weeks(store, now)?, now);
    remaining.retain(|r| stages.contains(&r.stage));
    Ok(Status { stages, rows, totals, last_tick, needs_person, releases, remaining, rows_hidden, recent })
}
