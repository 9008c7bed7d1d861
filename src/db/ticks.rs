//! Workflow runs: one row per tick.

use super::audit::{self, Change};
use super::models::WorkflowRun;
use super::schema::workflow_runs as wr;
use super::{DbConn, DbError, Store, now};
use crate::domain::WorkflowStatus;
use diesel::prelude::*;

/// Ends a tick as `status` (interrupted, completed, failed) with its audit row:
/// the one place a tick leaves `running`.
fn close(c: &mut DbConn, id: i64, status: WorkflowStatus, message: &str, by: Option<i64>) -> QueryResult<()> {
    diesel::update(wr::table.find(id))
        .set((wr::status.eq(status.as_str()), wr::finished_at.eq(now()), wr::current_stage.eq(None::<String>)))
        .execute(c)?;
    audit::record(
        c,
        Change {
            entity: "workflow_run",
            entity_id: id,
            action: "finished",
            old: Some(WorkflowStatus::Running.as_str()),
            new: Some(status.as_str()),
            message,
            workflow_run_id: by,
        },
    )
}

impl Store {
    /// Opens the record of a tick. Ticks still marked running are ones whose
    /// process died (the caller holds the tick lock): they become `interrupted`.
    pub fn begin_tick(&mut self, host: &str, pid: u32, dry_run: bool) -> Result<WorkflowRun, DbError> {
        self.conn
            .transaction(|c| {
                let stale: Vec<i64> =
                    wr::table.filter(super::frontier::pred(super::frontier::RUNNING_TICK)).select(wr::id).load(c)?;
                for id in stale {
                    close(c, id, WorkflowStatus::Interrupted, "found unfinished by a later tick", None)?;
                }
                let started = now();
                diesel::insert_into(wr::table)
                    .values((
                        wr::started_at.eq(started),
                        wr::status.eq(WorkflowStatus::Running.as_str()),
                        wr::host.eq(host),
                        wr::pid.eq(i64::from(pid)),
                        wr::dry_run.eq(dry_run),
                    ))
                    .execute(c)?;
                wr::table.order(wr::id.desc()).select(WorkflowRun::as_select()).first(c)
            })
            .map_err(|e| DbError::query("begin tick", e))
    }

    /// Notes the stage a tick is in (so a crash shows where it stopped).
    pub fn tick_stage(&mut self, id: i64, stage: &str, completed: &[String]) -> Result<(), DbError> {
        diesel::update(wr::table.find(id))
            .set((wr::current_stage.eq(stage), wr::stages_completed.eq(completed.join(","))))
            .execute(&mut self.conn)
            .map(|_| ())
            .map_err(|e| DbError::query("update tick stage", e))
    }

    /// Closes the record of a tick.
    pub fn finish_tick(
        &mut self,
        id: i64,
        status: WorkflowStatus,
        counts_json: &str,
        error: Option<&str>,
    ) -> Result<WorkflowRun, DbError> {
        self.conn
            .transaction(|c| {
                diesel::update(wr::table.find(id))
                    .set((wr::counts_json.eq(counts_json), wr::error.eq(error)))
                    .execute(c)?;
                close(c, id, status, error.unwrap_or(""), Some(id))?;
                wr::table.find(id).select(WorkflowRun::as_select()).first(c)
            })
            .map_err(|e| DbError::query("finish tick", e))
    }

    /// Ticks that started since `since` (all when None), newest first, at most `limit`.
    pub fn ticks_since(
        &mut self,
        since: Option<chrono::NaiveDateTime>,
        limit: i64,
    ) -> Result<Vec<WorkflowRun>, DbError> {
        let q = wr::table.order(wr::id.desc()).limit(limit).select(WorkflowRun::as_select());
        match since {
            Some(t) => q.filter(wr::started_at.ge(t)).load(&mut self.conn),
            None => q.load(&mut self.conn),
        }
        .map_err(|e| DbError::query("list ticks", e))
    }

    pub fn recent_ticks(&mut self, limit: i64) -> Result<Vec<WorkflowRun>, DbError> {
        wr::table
            .order(wr::id.desc())
            .limit(limit)
            .select(WorkflowRun::as_select())
            .load(&mut self.conn)
            .map_err(|e| DbError::query("list ticks", e))
    }
}
