//! Pipeline runs: the only record of pipeline progress.

use super::audit::{self, Change};
use super::models::{NewRun, Run};
use super::schema::pipeline_runs as pr;
use super::{DbConn, DbError, Store, now};
use crate::domain::RunStatus;
use crate::lifecycle::{RunEvent, next_status};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// What sbatch told us when it accepted a run's job.
#[derive(Debug, Clone, Default)]
pub struct SubmittedJob {
    pub job_id: i64,
    pub array_job_id: Option<i64>,
    pub array_task_id: Option<i32>,
    pub cluster: Option<String>,
    pub dependency_job_ids: String,
    /// Log paths with Slurm's `%j` replaced by the job id.
    pub stdout_path: String,
    pub stderr_path: String,
}

impl SubmittedJob {
    /// A job sbatch accepted; `%j` in the log path patterns becomes its id.
    pub fn new(job_id: u64, stdout_pattern: &str, stderr_pattern: &str) -> SubmittedJob {
        let j = job_id.to_string();
        SubmittedJob {
            job_id: i64::try_from(job_id).unwrap_or(i64::MAX),
            stdout_path: stdout_pattern.replace("%j", &j),
            stderr_path: stderr_pattern.replace("%j", &j),
            ..Default::default()
        }
    }
}

impl SubmittedJob {
    /// Task `task` of the array job `array_job_id`: `%j` in the log paths becomes
    /// `<array>_<task>`, as the array's script writes them.
    pub fn task(array_job_id: u64, task: i32, stdout_pattern: &str, stderr_pattern: &str) -> SubmittedJob {
        let key = format!("{array_job_id}_{task}");
        let id = i64::try_from(array_job_id).unwrap_or(i64::MAX);
        SubmittedJob {
            job_id: id,
            array_job_id: Some(id),
            array_task_id: Some(task),
            stdout_path: stdout_pattern.replace("%j", &key),
            stderr_path: stderr_pattern.replace("%j", &key),
            ..Default::default()
        }
    }
}

/// Facts Slurm reported about a run's job; `None` leaves a column as it is.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = pr)]
pub struct JobUpdate {
    pub slurm_state: Option<String>,
    pub pending_reason: Option<String>,
    pub exit_code: Option<i32>,
    pub exit_signal: Option<i32>,
    pub elapsed_seconds: Option<i64>,
    pub max_rss_kb: Option<i64>,
    pub node_list: Option<String>,
    pub started_at: Option<NaiveDateTime>,
    pub ended_at: Option<NaiveDateTime>,
    pub unknown_polls: Option<i32>,
    pub total_cpu_seconds: Option<i64>,
    pub alloc_tres: Option<String>,
    pub sacct_row: Option<String>,
}

fn load_run(c: &mut DbConn, id: i64) -> QueryResult<Run> {
    pr::table.find(id).select(Run::as_select()).first(c)
}

fn current_of_unit(c: &mut DbConn, stage: &str, subject: i64, session: Option<i64>) -> QueryResult<Option<Run>> {
    let q = pr::table
        .filter(pr::stage.eq(stage).and(pr::subject_id.eq(subject)).and(pr::superseded.eq(false)))
        .select(Run::as_select());
    match session {
        Some(s) => q.filter(pr::session_id.eq(s)).first(c).optional(),
        None => q.filter(pr::session_id.is_null()).first(c).optional(),
    }
}

impl Store {
    /// Records the intent to run (status `planned`) before anything reaches Slurm.
    /// The unit's previous current run, if any, is marked superseded in the same
    /// transaction, so history is kept and at most one run per unit is current.
    pub fn record_planned_run(&mut self, new: &NewRun) -> Result<Run, DbError> {
        self.record_planned_run_at(new, |_| (new.script_path.clone(), new.stdout_path.clone(), new.stderr_path.clone()))
    }

    /// As `record_planned_run`, with the script and log paths derived from the new
    /// run's id (script, stdout, stderr) in the same transaction.
    pub fn record_planned_run_at(
        &mut self,
        new: &NewRun,
        paths: impl FnOnce(i64) -> (String, String, String),
    ) -> Result<Run, DbError> {
        self.conn
            .transaction(|c| {
                let previous = current_of_unit(c, &new.stage, new.subject_id, new.session_id)?;
                if let Some(p) = previous.as_ref().filter(|p| p.status.is_live()) {
                    return Err(DbError::UnitBusy { run_id: p.id, status: p.status.to_string() });
                }
                if let Some(p) = &previous {
                    mark_superseded(c, p.id)?;
                }
                let at = now();
                diesel::insert_into(pr::table)
                    .values((
                        new,
                        pr::status.eq(RunStatus::Planned.as_str()),
                        pr::created_at.eq(at),
                        pr::updated_at.eq(at),
                    ))
                    .execute(c)?;
                let inserted: Run = pr::table.filter(pr::token.eq(&new.token)).select(Run::as_select()).first(c)?;
                let (script, out, err) = paths(inserted.id);
                diesel::update(pr::table.find(inserted.id))
                    .set((pr::script_path.eq(script), pr::stdout_path.eq(out), pr::stderr_path.eq(err)))
                    .execute(c)?;
                let run = load_run(c, inserted.id)?;
                if let Some(p) = &previous {
                    diesel::update(pr::table.find(p.id)).set(pr::superseded_by.eq(run.id)).execute(c)?;
                }
                let msg = format!("attempt {}; {}", new.attempt, new.trigger_reason);
                audit::record(
                    c,
                    Change {
                        entity: "run",
                        entity_id: run.id,
                        action: "planned",
                        old: None,
                        new: Some(RunStatus::Planned.as_str()),
                        message: &msg,
                        workflow_run_id: new.workflow_run_id,
                    },
                )?;
                Ok(run)
            })
            .map_err(|e| match e {
                DbError::Query { what: "transaction", source } => DbError::query("record planned run", source),
                other => other,
            })
    }

    /// Part of the intent of a run that goes out as task `task` of an array named
    /// `array_name` (recorded before sbatch, so a lost answer is found by name + task).
    pub fn mark_array_task(&mut self, run_id: i64, array_name: &str, task: i32) -> Result<(), DbError> {
        diesel::update(pr::table.find(run_id).filter(pr::status.eq(RunStatus::Planned.as_str())))
            .set((pr::job_name.eq(array_name), pr::slurm_array_task_id.eq(task), pr::updated_at.eq(now())))
            .execute(&mut self.conn)
            .map(|_| ())
            .map_err(|e| DbError::query("mark an array task", e))
    }

    /// sbatch accepted the run's job: `planned` → `queued`.
    pub fn record_submission(&mut self, run_id: i64, job: &SubmittedJob) -> Result<Run, DbError> {
        self.transition(run_id, RunEvent::Submitted, &JobUpdate::default(), "", |c| {
            diesel::update(pr::table.find(run_id))
                .set((
                    pr::slurm_job_id.eq(job.job_id),
                    pr::slurm_array_job_id.eq(job.array_job_id),
                    pr::slurm_array_task_id.eq(job.array_task_id),
                    pr::slurm_cluster.eq(&job.cluster),
                    pr::dependency_job_ids.eq(&job.dependency_job_ids),
                    pr::stdout_path.eq(&job.stdout_path),
                    pr::stderr_path.eq(&job.stderr_path),
                    pr::submitted_at.eq(now()),
                    pr::slurm_state.eq("PENDING"),
                ))
                .execute(c)
                .map(|_| ())
        })
    }

    /// Applies an event to a run (the status comes from `lifecycle::next_status`),
    /// stores the job facts and writes one audit row, in one transaction.
    pub fn apply_run_event(
        &mut self,
        run_id: i64,
        event: RunEvent,
        facts: &JobUpdate,
        message: &str,
    ) -> Result<Run, DbError> {
        self.transition(run_id, event, facts, message, |_| Ok(()))
    }

    fn transition(
        &mut self,
        run_id: i64,
        event: RunEvent,
        facts: &JobUpdate,
        message: &str,
        extra: impl FnOnce(&mut DbConn) -> QueryResult<()>,
    ) -> Result<Run, DbError> {
        self.conn.transaction(|c| {
            let run = load_run(c, run_id).map_err(|e| DbError::query("load run", e))?;
            let from = run.status;
            let to = next_status(from, event).map_err(|source| DbError::Transition { run_id, source })?;
            let cause = match event {
                RunEvent::Failed(c) | RunEvent::Cancelled(c) => Some(c.as_str()),
                RunEvent::Lost => Some("lost"),
                _ => None,
            };
            let write = |c: &mut DbConn| -> QueryResult<Run> {
                extra(c)?;
                if facts_present(facts) {
                    diesel::update(pr::table.find(run_id)).set(facts).execute(c)?;
                }
                diesel::update(pr::table.find(run_id))
                    .set((pr::status.eq(to.as_str()), pr::updated_at.eq(now())))
                    .execute(c)?;
                if cause.is_some() || !message.is_empty() {
                    diesel::update(pr::table.find(run_id))
                        .set((pr::failure_cause.eq(cause), pr::message.eq(message)))
                        .execute(c)?;
                }
                audit::record(
                    c,
                    Change {
                        entity: "run",
                        entity_id: run_id,
                        action: "status",
                        old: Some(from.as_str()),
                        new: Some(to.as_str()),
                        message,
                        workflow_run_id: run.workflow_run_id,
                    },
                )?;
                load_run(c, run_id)
            };
            write(c).map_err(|e| DbError::query("apply run event", e))
        })
    }

    /// Stores what Slurm said about a job without a status change (pending reason,
    /// state text, an unknown poll).
    pub fn record_job_facts(&mut self, run_id: i64, facts: &JobUpdate) -> Result<(), DbError> {
        if !facts_present(facts) {
            return Ok(());
        }
        diesel::update(pr::table.find(run_id))
            .set((facts, pr::updated_at.eq(now())))
            .execute(&mut self.conn)
            .map(|_| ())
            .map_err(|e| DbError::query("record job facts", e))
    }

    pub fn run(&mut self, run_id: i64) -> Result<Run, DbError> {
        load_run(&mut self.conn, run_id)
            .optional()
            .map_err(|e| DbError::query("load run", e))?
            .ok_or(DbError::NotFound { entity: "run", id: run_id.to_string() })
    }

    /// Runs that have (or may have) a job in Slurm: what every tick tracks.
    pub fn live_runs(&mut self) -> Result<Vec<Run>, DbError> {
        // The literal predicate of the partial index that holds only live runs.
        pr::table
            .filter(super::frontier::pred(super::frontier::LIVE))
            .order(pr::id.asc())
            .select(Run::as_select())
            .load(&mut self.conn)
            .map_err(|e| DbError::query("list live runs", e))
    }

    /// The live runs of these stages (the partial index of live runs, filtered in SQL:
    /// asking about a few stages does not deserialize every live run).
    pub fn live_runs_of_stages(&mut self, stages: &[&str]) -> Result<Vec<Run>, DbError> {
        pr::table
            .filter(super::frontier::pred(super::frontier::LIVE))
            .filter(pr::stage.eq_any(stages))
            .order(pr::id.asc())
            .select(Run::as_select())
            .load(&mut self.conn)
            .map_err(|e| DbError::query("list live runs of stages", e))
    }

    /// The current (non-superseded) run of every stage and unit: planning's input.
    pub fn current_runs(&mut self) -> Result<Vec<Run>, DbError> {
        pr::table
            .filter(pr::superseded.eq(false))
            .order(pr::id.asc())
            .select(Run::as_select())
            .load(&mut self.conn)
            .map_err(|e| DbError::query("list current runs", e))
    }

    /// Every run of one unit and stage, newest first (history included).
    pub fn run_history(&mut self, stage: &str, subject_id: i64, session_id: Option<i64>) -> Result<Vec<Run>, DbError> {
        let q = pr::table
            .filter(pr::stage.eq(stage).and(pr::subject_id.eq(subject_id)))
            .order(pr::id.desc())
            .select(Run::as_select());
        match session_id {
            Some(s) => q.filter(pr::session_id.eq(s)).load(&mut self.conn),
            None => q.filter(pr::session_id.is_null()).load(&mut self.conn),
        }
        .map_err(|e| DbError::query("run history", e))
    }

    pub fn run_by_job_id(&mut self, job_id: i64) -> Result<Option<Run>, DbError> {
        pr::table
            .filter(pr::slurm_job_id.eq(job_id))
            .order(pr::id.desc())
            .select(Run::as_select())
            .first(&mut self.conn)
            .optional()
            .map_err(|e| DbError::query("find run by job id", e))
    }
}

/// The one place a run stops being current (history is kept).
fn mark_superseded(c: &mut DbConn, run_id: i64) -> QueryResult<usize> {
    diesel::update(pr::table.find(run_id)).set(pr::superseded.eq(true)).execute(c)
}

fn facts_present(f: &JobUpdate) -> bool {
    f.slurm_state.is_some()
        || f.pending_reason.is_some()
        || f.exit_code.is_some()
        || f.exit_signal.is_some()
        || f.elapsed_seconds.is_some()
        || f.max_rss_kb.is_some()
        || f.node_list.is_some()
        || f.started_at.is_some()
        || f.ended_at.is_some()
        || f.unknown_polls.is_some()
}

impl Store {
    /// Current runs that read session `session_id`: its own units' runs and the
    /// subject-level runs of its subject (the caller checks what those covered).
    pub fn current_runs_touching_session(&mut self, subject_id: i64, session_id: i64) -> Result<Vec<Run>, DbError> {
        pr::table
            .filter(pr::superseded.eq(false))
            .filter(pr::session_id.eq(session_id).or(pr::subject_id.eq(subject_id).and(pr::session_id.is_null())))
            .order(pr::id.asc())
            .select(Run::as_select())
            .load(&mut self.conn)
            .map_err(|e| DbError::query("list runs of a session", e))
    }

    /// Takes finished runs out of the current set because what they read is gone
    /// (a session excluded or invalid): history kept, one audit row each.
    pub fn withdraw_runs(&mut self, run_ids: &[i64], message: &str) -> Result<(), DbError> {
        self.conn
            .transaction(|c| {
                for &id in run_ids {
                    let run = load_run(c, id)?;
                    if run.superseded || run.status.is_live() {
                        continue;
                    }
                    mark_superseded(c, id)?;
                    audit::record(
                        c,
                        Change {
                            entity: "run",
                            entity_id: id,
                            action: "withdrawn",
                            old: Some(run.status.as_str()),
                            new: Some("superseded"),
                            message,
                            workflow_run_id: None,
                        },
                    )?;
                }
                Ok(())
            })
            .map_err(|e| DbError::query("withdraw runs", e))
    }

    /// Every run ever recorded, oldest first.
    pub fn all_runs(&mut self) -> Result<Vec<Run>, DbError> {
        pr::table
            .order(pr::id.asc())
            .select(Run::as_select())
            .load(&mut self.conn)
            .map_err(|e| DbError::query("list runs", e))
    }
}

impl Store {
    /// Runs by id, in one query per 500 ids (for tracking's upstream checks).
    pub fn runs_by_ids(&mut self, ids: &[i64]) -> Result<Vec<Run>, DbError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let mut rows = pr::table
                .filter(pr::id.eq_any(chunk))
                .select(Run::as_select())
                .load(&mut self.conn)
                .map_err(|e| DbError::query("load runs by id", e))?;
            out.append(&mut rows);
        }
        Ok(out)
    }
}
