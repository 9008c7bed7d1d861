//! Reading the store into the planner's snapshot, with the labels to render by.

use crate::config::Config;
use crate::db::{Frontier, Reader, Run};
use crate::domain::{ParticipantLabel, SessionLabel};
use crate::error::{Error, Result};
pub use crate::pipeline::plan::Snapshot;
use crate::pipeline::plan::{Policy, RunView, SessionView, StagePolicy};
use crate::pipeline::request::Request;
use crate::stages::STAGES;
use std::collections::HashMap;

/// Labels and paths of the units, for job names and scripts.
#[derive(Debug, Default, Clone)]
pub struct Labels {
    pub subjects: HashMap<i64, ParticipantLabel>,
    pub sessions: HashMap<i64, (SessionLabel, String)>,
}

impl Labels {
    /// `sub-0042 ses-S1` (or `sub-0042` for a subject-level unit), for messages.
    pub fn describe(&self, unit: (i64, Option<i64>)) -> String {
        let who = self.subjects.get(&unit.0).map_or(String::new(), |p| p.entity());
        match unit.1.and_then(|s| self.sessions.get(&s)) {
            Some((l, _)) => format!("{who} {}", l.entity()),
            None => who,
        }
    }
}

/// A stored run as the planner sees it.
pub fn run_view(r: &Run) -> RunView {
    RunView {
        id: r.id,
        stage: r.stage.clone(),
        unit: (r.subject_id, r.session_id),
        attempt: u32::try_from(r.attempt).unwrap_or(1),
        status: r.status,
        cause: r.failure_cause,
        upstream_run_ids: r.upstream_ids(),
        covered_sessions: r.covered_sessions(),
        job_id: r.job(),
        request: Request {
            cpus: u32::try_from(r.req_cpus).unwrap_or(1),
            mem_mb: u64::try_from(r.req_mem_mb).unwrap_or(0),
            gpus: u32::try_from(r.req_gpus).unwrap_or(0),
            time_minutes: u64::try_from(r.req_time_minutes).unwrap_or(1),
            partition: r.req_partition.clone(),
            account: r.req_account.clone(),
            qos: r.req_qos.clone(),
        },
    }
}

/// Loads every subject, session and current run (the views; planning reads
/// `load_open`).
pub fn load(store: &mut Reader) -> Result<(Snapshot, Labels)> {
    load_with_runs(store).map(|(s, l, _)| (s, l))
}

/// As `load`, also returning the current runs' rows (for the views).
pub fn load_with_runs(store: &mut Reader) -> Result<(Snapshot, Labels, Vec<Run>)> {
    let subjects = store.all_subjects()?;
    let sessions = store.all_sessions()?.into_iter().map(|(s, _)| s).collect();
    build(Frontier { subjects, sessions, runs: store.current_runs()? })
}

/// The open frontier (docs/ARCHITECTURE.md): the subjects that can still change,
/// and `also` (the subject a command names), with their sessions and current runs.
/// A settled subject has nothing to do and no live run, so live counts are whole.
pub fn load_open(store: &mut Reader, also: Option<i64>) -> Result<(Snapshot, Labels)> {
    build(store.open_frontier(also)?).map(|(s, l, _)| (s, l))
}

/// The planner's snapshot of `f`, its labels, and its runs' rows.
pub fn build(f: Frontier) -> Result<(Snapshot, Labels, Vec<Run>)> {
    let mut snap = Snapshot::default();
    let mut labels = Labels::default();
    for s in f.subjects {
        let label = s.participant_label.parse::<ParticipantLabel>().map_err(|e| Error::Usage(e.to_string()))?;
        snap.subjects.push(s.id);
        labels.subjects.insert(s.id, label);
    }
    snap.current = f.runs.iter().map(run_view).collect();
    // Sessions whose DICOM is still needed: no completed run of a stage that reads it.
    let converted: std::collections::HashSet<i64> = snap
        .current
        .iter()
        .filter(|r| r.status == crate::domain::RunStatus::Completed)
        .filter(|r| crate::stages::stage(&r.stage).is_some_and(|d| d.reads_dicom))
        .filter_map(|r| r.unit.1)
        .collect();
    for sess in f.sessions {
        let label = sess.session_label.parse::<SessionLabel>().map_err(|e| Error::Usage(e.to_string()))?;
        let eligible = sess.is_valid && !sess.excluded && sess.identity_issue.is_none();
        let dicom_missing =
            eligible && !converted.contains(&sess.id) && !std::path::Path::new(&sess.dicom_path).is_dir();
        let invalid = (!sess.is_valid && !sess.excluded).then(|| sess.validation_message.clone());
        snap.sessions.push(SessionView { id: sess.id, subject_id: sess.subject_id, eligible, dicom_missing, invalid });
        labels.sessions.insert(sess.id, (label, sess.dicom_path));
    }
    Ok((snap, labels, f.runs))
}

/// What planning's verdict on a settled subject depends on besides its own rows:
/// the enabled stages and the planning rule's version. When it changes, every
/// subject is planned again once (`Store::reopen_all_unless`).
pub fn policy_key(cfg: &Config) -> String {
    let enabled: Vec<&str> = cfg.enabled().map(|(d, _)| d.name).collect();
    format!("rules={};enabled={}", crate::pipeline::plan::RULES_VERSION, enabled.join(","))
}

/// The site policy from the configuration.
pub fn policy(cfg: &Config) -> Policy {
    let stages = STAGES
        .iter()
        .filter_map(|def| {
            let p = cfg.pipeline(def.name)?;
            let sp = StagePolicy {
                enabled: p.enabled,
                max_concurrent: p.max_concurrent.unwrap_or(def.default_max_concurrent),
                max_attempts: p.max_attempts,
                base: Request::from_config(p, &cfg.slurm),
                pipeline: p.clone(),
            };
            Some((def.name, sp))
        })
        .collect();
    Policy { stages, max_live_jobs: cfg.slurm.max_live_jobs, chain_live: !cfg.slurm.arrays }
}
