//! `neuroflow explain P [S]`: for each stage, what the planner decides for the unit
//! and why, in words, with the runs on record. It asks the same `plan::plan` the tick
//! uses (never a copy of the eligibility rule).

use crate::config::Config;
use crate::db::{Reader, Run};
use crate::domain::Level;
use crate::error::{Error, Result};
use crate::pipeline::plan::{Filter, Outcome, PlannedRun, plan};
use crate::stages::STAGES;
use crate::workflow::snapshot;
use serde::Serialize;

/// One run on record for a unit.
#[derive(Debug, Serialize)]
pub struct RunLine {
    pub run_id: i64,
    pub attempt: i32,
    pub status: String,
    pub cause: Option<String>,
    pub job_id: Option<i64>,
    pub superseded: bool,
    pub message: String,
    /// The tool release the run's script was written for (docs/tools.md).
    pub release: Option<String>,
}

/// What the planner decides for one stage of the unit.
#[derive(Debug, Serialize)]
pub struct StageDecision {
    pub stage: &'static str,
    pub session: Option<String>,
    /// ready, done, in_flight, waiting, limited, needs_person, disabled.
    pub decision: &'static str,
    pub why: String,
    pub runs: Vec<RunLine>,
}

fn line(r: &Run, releases: &std::collections::HashMap<i64, String>) -> RunLine {
    RunLine {
        release: releases.get(&r.id).cloned(),
        run_id: r.id,
        attempt: r.attempt,
        status: r.status.to_string(),
        cause: r.failure_cause.map(|c| c.to_string()),
        job_id: r.slurm_job_id,
        superseded: r.superseded,
        message: r.message.clone(),
    }
}

fn words(o: &Outcome, planned: &[PlannedRun], current: Option<&Run>) -> (&'static str, String) {
    match o {
        Outcome::Planned(i) => {
            let p = &planned[*i];
            ("ready", format!("the next tick submits attempt {} ({})", p.attempt, p.trigger))
        }
        Outcome::Done => ("done", current.map_or("completed".into(), |r| format!("run {} completed", r.id))),
        Outcome::InFlight => (
            "in_flight",
            current.map_or("being submitted".into(), |r| {
                let reason =
                    r.pending_reason.clone().filter(|x| !x.is_empty()).map_or(String::new(), |x| format!(", {x}"));
                format!(
                    "run {} is {} (job {}{reason})",
                    r.id,
                    r.status,
                    r.slurm_job_id.map_or("-".into(), |j| j.to_string())
                )
            }),
        ),
        Outcome::Waiting(w) => ("waiting", w.clone()),
        Outcome::Limited(w) => ("limited", format!("{w}; it goes when a slot frees")),
        Outcome::NeedsHuman(w) => ("needs_person", w.clone()),
    }
}

/// Explains every stage for participant `participant` (one session, or all of them).
pub fn explain(
    cfg: &Config,
    store: &mut Reader,
    participant: &str,
    session: Option<&str>,
) -> Result<Vec<StageDecision>> {
    let subject =
        store.subject_by_label(participant)?.ok_or_else(|| Error::Usage(format!("no subject sub-{participant}")))?;
    let mut sessions = store.sessions_of_subject(subject.id)?;
    if let Some(s) = session {
        sessions.retain(|x| x.session_label == s);
        if sessions.is_empty() {
            return Err(Error::Usage(format!("no session sub-{participant} ses-{s}")));
        }
    }
    // The open frontier and this subject: what the tick itself plans (a settled
    // subject has no live run, so the limits it sees are whole).
    let (snap, _, runs) = snapshot::build(store.open_frontier(Some(subject.id))?)?;
    let filter = Filter { subject: Some(subject.id), ..Default::default() };
    let planned = plan(&snap, &snapshot::policy(cfg), &filter);
    let mut out = vec![];
    for def in STAGES {
        let units: Vec<(Option<i64>, Option<String>)> = match def.level {
            Level::Subject => vec![(None, None)],
            Level::Session => sessions.iter().map(|s| (Some(s.id), Some(s.session_label.clone()))).collect(),
        };
        for (sid, label) in units {
            let unit = (subject.id, sid);
            let current = runs.iter().find(|r| r.stage == def.name && (r.subject_id, r.session_id) == unit);
            let outcome = planned.outcomes.iter().find(|(s, u, _)| *s == def.name && *u == unit).map(|(_, _, o)| o);
            let (decision, why) = match outcome {
                Some(o) => words(o, &planned.runs, current),
                None => ("disabled", format!("no enabled `pipelines.{}` section", def.name)),
            };
            let history = store.run_history(def.name, subject.id, sid)?;
            let ids: Vec<i64> = history.iter().map(|r| r.id).collect();
            let releases = store.releases_of_runs(&ids)?;
            let history = history.iter().map(|r| line(r, &releases)).collect();
            out.push(StageDecision { stage: def.name, session: label, decision, why, runs: history });
        }
    }
    Ok(out)
}
