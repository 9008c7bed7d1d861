//! The open frontier: the subjects a tick still plans, and the small site facts a
//! tick compares against to skip work. A subject is settled only here
//! (`settle_subjects`); the triggers of migration 2026-12-02-000006 reopen it on
//! any write to its sessions or runs, and `reopen_all_unless` on a policy change.

use super::models::{Run, Session, Subject};
use super::schema::{pipeline_runs as pr, site_state, subjects};
use super::{DbError, Store};
use diesel::prelude::*;

/// Rows per `UPDATE ... WHERE id IN (...)` (far below both backends' bind limits).
const BATCH: usize = 500;

/// The open frontier as planning reads it: subjects, their sessions, their current runs.
#[derive(Debug, Default)]
pub struct Frontier {
    pub subjects: Vec<Subject>,
    pub sessions: Vec<Session>,
    pub runs: Vec<Run>,
}

impl Store {
    /// A site fact (None: never written).
    pub fn site_state(&mut self, key: &str) -> Result<Option<String>, DbError> {
        site_state::table
            .find(key)
            .select(site_state::value)
            .first(&mut self.conn)
            .optional()
            .map_err(|e| DbError::query("read site state", e))
    }

    pub fn set_site_state(&mut self, key: &str, value: &str) -> Result<(), DbError> {
        set_state(&mut self.conn, key, value).map_err(|e| DbError::query("write site state", e))
    }

    /// Reopens every subject when the planning policy is not `policy` any more (a
    /// stage enabled or disabled, another planning rule): one statement, then the new
    /// policy is kept. Returns whether it reopened.
    pub fn reopen_all_unless(&mut self, policy: &str) -> Result<bool, DbError> {
        if self.site_state("plan_policy")?.as_deref() == Some(policy) {
            return Ok(false);
        }
        self.conn
            .transaction(|c| {
                diesel::update(subjects::table.filter(subjects::settled.eq(true)))
                    .set(subjects::settled.eq(false))
                    .execute(c)?;
                set_state(c, "plan_policy", policy)
            })
            .map_err(|e| DbError::query("reopen every subject", e))?;
        Ok(true)
    }

    /// Whether any subject is open (one probe of a partial index that holds only the
    /// open subjects: a finished store says no at once).
    pub fn any_open_subject(&mut self) -> Result<bool, DbError> {
        // Ordered like the index, so that stale statistics cannot make SQLite scan
        // the table instead (EXISTS would).
        let first: Option<i64> = subjects::table
            .filter(pred(OPEN))
            .order(subjects::participant_label.asc())
            .select(subjects::id)
            .first(&mut self.conn)
            .optional()
            .map_err(|e| DbError::query("probe open subjects", e))?;
        Ok(first.is_some())
    }

    /// The open subjects (and `also`, e.g. the subject a command names) with their
    /// sessions and current runs, in processing order. The subjects come from a
    /// partial index; their rows by subject id (indexed), BATCH subjects a statement.
    pub fn open_frontier(&mut self, also: Option<i64>) -> Result<Frontier, DbError> {
        let err = |what| move |e| DbError::query(what, e);
        let mut subs: Vec<Subject> = subjects::table
            .filter(pred(OPEN))
            .order(subjects::participant_label.asc())
            .select(Subject::as_select())
            .load(&mut self.conn)
            .map_err(err("list open subjects"))?;
        if let Some(id) = also.filter(|id| !subs.iter().any(|s| s.id == *id)) {
            subs.extend(
                subjects::table
                    .find(id)
                    .select(Subject::as_select())
                    .first(&mut self.conn)
                    .optional()
                    .map_err(err("load subject"))?,
            );
            subs.sort_by(|a, b| a.participant_label.cmp(&b.participant_label));
        }
        let order: std::collections::HashMap<i64, usize> = subs.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
        let ids: Vec<i64> = subs.iter().map(|s| s.id).collect();
        let mut sess = self.sessions_of_subjects(&ids)?;
        let mut runs = vec![];
        for ids in ids.chunks(BATCH) {
            let q = pr::table.filter(pr::subject_id.eq_any(ids).and(pr::superseded.eq(false))).select(Run::as_select());
            runs.extend(q.load(&mut self.conn).map_err(err("list current runs of open subjects"))?);
        }
        sess.sort_by(|a: &Session, b| {
            (order[&a.subject_id], &a.session_label).cmp(&(order[&b.subject_id], &b.session_label))
        });
        runs.sort_by_key(|r: &Run| r.id);
        Ok(Frontier { subjects: subs, sessions: sess, runs })
    }

    /// Settles subjects whose plan had nothing left to do: later ticks skip them
    /// until a write to their sessions or runs reopens them.
    pub fn settle_subjects(&mut self, ids: &[i64]) -> Result<(), DbError> {
        self.conn
            .transaction(|c| {
                for chunk in ids.chunks(BATCH) {
                    diesel::update(subjects::table.filter(subjects::id.eq_any(chunk)))
                        .set(subjects::settled.eq(true))
                        .execute(c)?;
                }
                Ok(())
            })
            .map_err(|e| DbError::query("settle subjects", e))
    }
}

/// Literal predicates matching the partial indexes of migration 2026-12-02-000006
/// (a bound value could not be proven to match them; `predicates_match_the_indexes`).
pub(super) const OPEN: &str = "NOT subjects.settled";
pub(super) const LIVE: &str =
    "pipeline_runs.status IN ('planned', 'queued', 'running') AND NOT pipeline_runs.superseded";
pub(super) const HELD: &str = "incoming_folders.intake_state <> 'registered'";
pub(super) const INVALID: &str = "NOT sessions.is_valid AND NOT sessions.excluded";
pub(super) const RUNNING_TICK: &str = "workflow_runs.status = 'running'";

/// A literal predicate as a diesel expression.
pub(super) fn pred(p: &'static str) -> diesel::expression::SqlLiteral<diesel::sql_types::Bool> {
    diesel::dsl::sql::<diesel::sql_types::Bool>(p)
}

fn set_state(c: &mut super::DbConn, key: &str, value: &str) -> Result<(), diesel::result::Error> {
    let n = diesel::update(site_state::table.find(key)).set(site_state::value.eq(value)).execute(c)?;
    if n == 0 {
        diesel::insert_into(site_state::table)
            .values((site_state::key.eq(key), site_state::value.eq(value)))
            .execute(c)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{IntakeState, RunStatus, WorkflowStatus};

    #[test]
    fn predicates_match_the_indexes() {
        let live: Vec<String> =
            RunStatus::ALL.iter().filter(|s| s.is_live()).map(|s| format!("'{}'", s.as_str())).collect();
        assert!(LIVE.contains(&format!("IN ({})", live.join(", "))), "{LIVE}");
        assert!(HELD.ends_with(&format!("'{}'", IntakeState::Registered.as_str())));
        assert!(RUNNING_TICK.ends_with(&format!("'{}'", WorkflowStatus::Running.as_str())));
        for backend in ["sqlite", "postgres"] {
            let path =
                format!("{}/migrations/{backend}/2026-12-02-000006_open_frontier/up.sql", env!("CARGO_MANIFEST_DIR"));
            let sql = std::fs::read_to_string(&path).unwrap().split_whitespace().collect::<Vec<_>>().join(" ");
            for p in [OPEN, LIVE, HELD, INVALID, RUNNING_TICK] {
                let bare = p.replace("subjects.", "").replace("pipeline_runs.", "").replace("incoming_folders.", "");
                let bare = bare.replace("sessions.", "").replace("workflow_runs.", "");
                assert!(sql.contains(&format!("WHERE {bare};")), "{path} has no partial index WHERE {bare}");
            }
        }
    }
}
