//! Owns: submission — from a planned run to a job in the queue: the tool and release
//! each stage runs, the one way to build a script, provenance, sbatch in dependency
//! order (plain or as arrays), dry runs, and doctor's pre-flight checks.
//! May import: pipeline, slurm, db, config, stages, releases, intake (doctor reads the
//! mapping), snapshot, stop. Must not be imported by: intake, track, views.

pub mod arrays;
pub mod doctor;
mod dry_run;
pub mod prepare;
pub mod provenance;
pub mod scripts_out;
pub mod tool_identity;
pub mod tool_release;

// Submitting a plan: record the intent, render, sbatch, record the job — in
// dependency order, so a whole chain goes out in one tick.

use crate::config::Config;
use crate::db::{JobUpdate, NewRun, Store, SubmittedJob, encode_ids};
use crate::domain::{FailureCause, JobId};
use crate::error::{Error, Result};
use crate::lifecycle::RunEvent;
use crate::pipeline::plan::{Plan, PlannedRun, UpstreamRef};
use crate::pipeline::script::{RunIdent, job_name, run_paths};
use crate::slurm::render::Templates;
use crate::slurm::{Scheduler, SlurmError};
use crate::workflow::snapshot::Labels;
use prepare::{prepare, script};
use provenance::Recorder;
use serde::Serialize;
use tool_release::Tools;

#[derive(Debug, Default, Serialize)]
pub struct SubmitReport {
    pub submitted: Vec<SubmittedRun>,
    pub rejected: Vec<String>,
    pub skipped: Vec<String>,
    pub slurm_calls: u32,
    /// The controller stopped answering; the rest waits for the next tick.
    pub interrupted: Option<String>,
    /// Dry runs: what would have been submitted.
    pub previews: Vec<Preview>,
}

/// A script a dry run would have submitted.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    pub job_name: String,
    pub attempt: u32,
    pub trigger: String,
    pub sbatch: String,
    pub script: String,
    /// Live jobs it would wait on (`afterok`, in the script).
    pub after_jobs: Vec<String>,
    /// The same, as the runs they belong to: `run 17 (job 4817213)`.
    pub after_runs: Vec<String>,
    /// Jobs of this same dry run it would wait on, by job name (no id exists yet:
    /// `--write-scripts` chains them in submit.sh).
    pub after_planned: Vec<String>,
    /// `sbatch --test-only`'s answer (`--test-only`).
    pub test_only: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SubmittedRun {
    pub run_id: i64,
    pub stage: String,
    pub job_name: String,
    pub job_id: Option<u64>,
    pub dependency: Vec<String>,
    pub attempt: u32,
}

/// A run recorded, rendered and written, ready for sbatch.
pub(super) struct Intent {
    pub stored: crate::db::Run,
    pub name: String,
    pub script: std::path::PathBuf,
    pub text: String,
    pub dep_jobs: Vec<String>,
    pub participant: String,
    pub session: Option<String>,
}

pub(super) enum Intended {
    Ready(Box<Intent>),
    Not(Done),
}

/// What a planned run turned into.
#[derive(Clone)]
pub(super) enum Done {
    Job { run_id: i64, job: JobId },
    DryRun { run_id: i64, name: String },
    Failed,
}

pub struct Submitter<'a, S: Scheduler> {
    pub cfg: &'a Config,
    pub slurm: &'a S,
    pub templates: &'a Templates,
    pub labels: &'a Labels,
    pub tick: Option<i64>,
    pub dry_run: bool,
    /// Dry runs: check every script with `sbatch --test-only`.
    pub test_only: bool,
}

impl<S: Scheduler> Submitter<'_, S> {
    /// Submits every planned run whose upstream could be submitted.
    pub async fn submit(&self, store: &mut Store, plan: &Plan) -> Result<SubmitReport> {
        let mut report = SubmitReport::default();
        let mut done: Vec<Done> = vec![];
        if !self.dry_run {
            ensure_heuristic(self.cfg)?;
            if plan.runs.iter().any(|r| r.stage.reads_dicom) {
                provenance::ensure_bids_generated_by(self.cfg)?;
            }
        }
        // Each stage's release is known before anything is rendered; a stage whose
        // release is unsupported or unknown waits, and a person hears why.
        let stages = plan.runs.iter().map(|r| r.stage);
        let tools = Tools::resolve(self.cfg, store, stages).await?;
        let slurm_release = self.slurm.release().await.ok().map(|r| r.version);
        let mut recorder = Recorder::new(self.cfg, tools, slurm_release);
        report.rejected.extend(recorder.tools.problems());
        if self.cfg.slurm.arrays && !self.dry_run {
            self.submit_arrays(store, &mut recorder, plan, &mut report).await?;
            return Ok(report);
        }
        for run in &plan.runs {
            let name = self.name(run);
            let deps = match dependencies(&run.upstream, &done) {
                Some(d) => d,
                None => {
                    report.skipped.push(format!("{name}: an upstream run was not submitted"));
                    done.push(Done::Failed);
                    continue;
                }
            };
            let outcome = if let Some(why) = halted(&mut report) {
                report.skipped.push(format!("{name}: {why}"));
                Done::Failed
            } else if let Err(why) = recorder.tools.get(run.stage.name) {
                report.skipped.push(format!("{name}: {why}"));
                Done::Failed
            } else {
                self.one(store, &mut recorder, run, &deps, &mut report).await?
            };
            done.push(outcome);
        }
        Ok(report)
    }

    /// Submits one run that waits on nothing as a plain job.
    pub(super) async fn one_run(
        &self,
        store: &mut Store,
        recorder: &mut Recorder,
        run: &PlannedRun,
        report: &mut SubmitReport,
    ) -> Result<()> {
        self.one(store, recorder, run, &[], report).await.map(|_| ())
    }

    pub(super) fn name(&self, run: &PlannedRun) -> String {
        let p = &self.labels.subjects[&run.unit.0];
        job_name(run.stage.name, p, run.unit.1.map(|id| &self.labels.sessions[&id].0))
    }

    async fn one(
        &self,
        store: &mut Store,
        recorder: &mut Recorder,
        run: &PlannedRun,
        deps: &[(i64, String)],
        report: &mut SubmitReport,
    ) -> Result<Done> {
        if self.dry_run {
            let p = prepare(self.cfg, self.labels, run, deps)?;
            return self.preview(p, recorder, run, deps, report).await;
        }
        match self.record_intent(store, recorder, run, deps, report)? {
            Intended::Ready(i) => self.send(store, run, *i, report).await,
            Intended::Not(done) => Ok(done),
        }
    }

    /// Records the intent (`planned`), renders and writes the script and its
    /// provenance: everything before sbatch (no await: arrays record many in one batch).
    pub(super) fn record_intent(
        &self,
        store: &mut Store,
        recorder: &mut Recorder,
        run: &PlannedRun,
        deps: &[(i64, String)],
        report: &mut SubmitReport,
    ) -> Result<Intended> {
        let p = prepare(self.cfg, self.labels, run, deps)?;
        let name = p.name.clone();
        let Ok(tool) = recorder.tools.get(run.stage.name) else { return Ok(Intended::Not(Done::Failed)) };
        let token = uuid::Uuid::new_v4().simple().to_string();
        let placeholder = run_paths(self.cfg, run.stage.name, &name, 0);
        let new = NewRun {
            token: token.clone(),
            stage: run.stage.name.to_string(),
            level: format!("{:?}", run.stage.level).to_lowercase(),
            subject_id: run.unit.0,
            session_id: run.unit.1,
            attempt: i32::try_from(run.attempt).unwrap_or(i32::MAX),
            trigger_reason: run.trigger.clone(),
            covered_session_ids: encode_ids(&run.covered_sessions),
            upstream_run_ids: encode_ids(&p.upstream_ids),
            workflow_run_id: self.tick,
            job_name: name.clone(),
            script_path: placeholder.script.display().to_string(),
            stdout_path: placeholder.stdout.display().to_string(),
            stderr_path: placeholder.stderr.display().to_string(),
            req_cpus: i32::try_from(run.request.cpus).unwrap_or(i32::MAX),
            req_mem_mb: i64::try_from(run.request.mem_mb).unwrap_or(i64::MAX),
            req_gpus: i32::try_from(run.request.gpus).unwrap_or(i32::MAX),
            req_time_minutes: i64::try_from(run.request.time_minutes).unwrap_or(i64::MAX),
            req_partition: run.request.partition.clone(),
            req_account: run.request.account.clone(),
            req_qos: run.request.qos.clone(),
        };
        let stored = match store.record_planned_run_at(&new, |id| {
            let p = run_paths(self.cfg, run.stage.name, &name, id);
            (p.script.display().to_string(), p.stdout.display().to_string(), p.stderr.display().to_string())
        }) {
            Ok(r) => r,
            Err(crate::db::DbError::UnitBusy { run_id, .. }) => {
                report.skipped.push(format!("{name}: run {run_id} is already live (another tick?)"));
                return Ok(Intended::Not(Done::Failed));
            }
            Err(e) => return Err(e.into()),
        };
        let ident = RunIdent { id: stored.id, token: &token, attempt: run.attempt };
        let (paths, text) = script(self.cfg, self.templates, &p, run, &ident, &tool.release);
        let text = match text {
            Ok(t) => t,
            Err(e) => return Ok(Intended::Not(self.reject(store, stored.id, &name, &e, report)?)),
        };
        if let Err(e) = write_script(&paths.script, &text, &[&paths.stdout, &paths.stderr]) {
            // This unit needs a person; the others go on.
            let msg = format!("cannot prepare the job: {e}");
            return Ok(Intended::Not(self.reject(store, stored.id, &name, &msg, report)?));
        }
        store.record_provenance(&recorder.of(tool, stored.id, &text))?;
        let (participant, session) = (p.target.participant.to_string(), p.target.session.map(|s| s.to_string()));
        Ok(Intended::Ready(Box::new(Intent {
            stored,
            name,
            script: paths.script,
            text,
            dep_jobs: p.dep_jobs,
            participant,
            session,
        })))
    }

    /// sbatch one intended run and record what came of it.
    async fn send(&self, store: &mut Store, run: &PlannedRun, i: Intent, report: &mut SubmitReport) -> Result<Done> {
        let Intent { stored, name, script: path, dep_jobs, participant, session, .. } = i;
        report.slurm_calls += 1;
        match self.slurm.submit(&path).await {
            Ok(sub) => {
                let job = SubmittedJob {
                    cluster: sub.cluster,
                    dependency_job_ids: dep_jobs.join(","),
                    ..SubmittedJob::new(sub.job_id.0, &stored.stdout_path, &stored.stderr_path)
                };
                store.record_submission(stored.id, &job)?;
                tracing::info!(stage = run.stage.name, subject = %participant,
                    session = %session.unwrap_or_default(),
                    run_id = stored.id, job_id = %sub.job_id, dependency = %dep_jobs.join(":"), "submitted");
                report.submitted.push(SubmittedRun {
                    run_id: stored.id,
                    stage: run.stage.name.into(),
                    job_name: name,
                    job_id: Some(sub.job_id.0),
                    dependency: dep_jobs,
                    attempt: run.attempt,
                });
                Ok(Done::Job { run_id: stored.id, job: sub.job_id })
            }
            Err(e) => self.failed_submission(store, stored.id, &name, e, report),
        }
    }

    /// What an sbatch that did not accept a job means for its run(s).
    pub(super) fn failed_submission(
        &self,
        store: &mut Store,
        run_id: i64,
        name: &str,
        e: SlurmError,
        report: &mut SubmitReport,
    ) -> Result<Done> {
        match e {
            e if e.is_transient() => {
                // The job may or may not exist: the run stays planned and the next
                // tick looks for it by name and token before planning again.
                tracing::warn!(run_id, error = %e, "sbatch did not answer; the next tick reconciles");
                report.interrupted = Some(e.to_string());
                Ok(Done::Failed)
            }
            e @ SlurmError::DependencyRejected { .. } => {
                // Decide again next tick, after tracking has refreshed the upstream runs.
                let msg = format!("{e}; planned again next tick");
                store.apply_run_event(
                    run_id,
                    RunEvent::Cancelled(FailureCause::SubmitInterrupted),
                    &JobUpdate::default(),
                    &msg,
                )?;
                report.skipped.push(format!("{name}: {msg}"));
                Ok(Done::Failed)
            }
            e @ (SlurmError::Rejected { .. } | SlurmError::Failed { .. }) => {
                self.reject(store, run_id, name, &e.to_string(), report)
            }
            e => Err(e.into()),
        }
    }

    pub(super) fn reject(
        &self,
        store: &mut Store,
        run_id: i64,
        name: &str,
        msg: &str,
        report: &mut SubmitReport,
    ) -> Result<Done> {
        store.apply_run_event(run_id, RunEvent::Failed(FailureCause::SubmitRejected), &JobUpdate::default(), msg)?;
        tracing::error!(run_id, job = name, error = msg, "submission rejected; a person must fix it");
        report.rejected.push(format!("{name}: {msg}"));
        Ok(Done::Failed)
    }
}

/// Why submission stops before the next job, if it does: Slurm stopped answering, or
/// a signal asked to stop (noted as the tick's interruption).
pub(super) fn halted(report: &mut SubmitReport) -> Option<String> {
    if report.interrupted.is_some() {
        return Some("Slurm is unreachable".into());
    }
    let sig = crate::workflow::stop::requested()?;
    report.interrupted = Some(format!("stopped by {sig}; the rest is submitted by the next tick"));
    Some(format!("stopped by {sig}"))
}

/// (upstream run id, job id) pairs for `afterok`; None if an upstream was not submitted.
fn dependencies(up: &[UpstreamRef], done: &[Done]) -> Option<Vec<(i64, String)>> {
    let mut out = vec![];
    for u in up {
        match u {
            UpstreamRef::Run { job: None, .. } => {}
            UpstreamRef::Run { run_id, job: Some(j) } => out.push((*run_id, j.to_string())),
            UpstreamRef::Planned(i) => match done.get(*i)? {
                Done::Job { run_id, job } => out.push((*run_id, job.to_string())),
                Done::DryRun { run_id, name } => out.push((*run_id, format!("<{name}>"))),
                Done::Failed => return None,
            },
        }
    }
    Some(out)
}

fn write_script(path: &std::path::Path, text: &str, logs: &[&std::path::Path]) -> Result<()> {
    for dir in std::iter::once(path).chain(logs.iter().copied()).filter_map(|p| p.parent()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    }
    let tmp = path.with_extension("sh.tmp");
    std::fs::write(&tmp, text).map_err(|e| Error::io("write", &tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io("write", path, e))
}

/// The built-in HeuDiConv heuristic, kept current in work_dir.
fn ensure_heuristic(cfg: &Config) -> Result<()> {
    let text = crate::slurm::render::BUILTIN.iter().find(|(n, _)| *n == "heuristic.py").map(|(_, t)| *t).unwrap_or("");
    let path = cfg.paths.work_dir.join("heuristic.py");
    if std::fs::read_to_string(&path).ok().as_deref() != Some(text) {
        std::fs::create_dir_all(&cfg.paths.work_dir).map_err(|e| Error::io("create", &cfg.paths.work_dir, e))?;
        std::fs::write(&path, text).map_err(|e| Error::io("write", &path, e))?;
    }
    Ok(())
}
