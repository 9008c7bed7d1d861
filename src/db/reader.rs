//! The store as the read side sees it: queries only. A view takes a `Reader`, so
//! "status never changes anything" is checked by the compiler: no method of it writes.

use super::{
    AuditEntry, DbError, Frontier, IncomingFolder, Provenance, Run, RunLabels, RunsFilter, Session, SettledCounts,
    SpanRow, Store, Subject, WeeklyCounts, WorkflowRun,
};
use std::collections::HashMap;

/// Read-only access to a store (`Store::reader`).
pub struct Reader<'a>(&'a mut Store);

impl Store {
    /// This store, for code that only reads.
    pub fn reader(&mut self) -> Reader<'_> {
        Reader(self)
    }
}

/// Forwards read queries of `Store` (each one a query, never a write).
macro_rules! reads {
    ($( $(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty; )*) => {
        impl Reader<'_> {
            $( $(#[$doc])* pub fn $name(&mut self, $($arg: $ty),*) -> Result<$ret, DbError> { self.0.$name($($arg),*) } )*
        }
    };
}

reads! {
    fn all_sessions() -> Vec<(Session, Subject)>;
    fn all_subjects() -> Vec<Subject>;
    fn incoming_folders() -> Vec<IncomingFolder>;
    fn folders_needing_a_person() -> Vec<IncomingFolder>;
    fn recent_ticks(limit: i64) -> Vec<WorkflowRun>;
    fn current_runs() -> Vec<Run>;
    fn live_runs() -> Vec<Run>;
    fn all_runs() -> Vec<Run>;
    fn open_frontier(also: Option<i64>) -> Frontier;
    fn any_open_subject() -> bool;
    fn releases_of_runs(run_ids: &[i64]) -> HashMap<i64, String>;
    fn run_history(stage: &str, subject_id: i64, session_id: Option<i64>) -> Vec<Run>;
    fn sessions_of_subject(subject_id: i64) -> Vec<Session>;
    fn sessions_of_subjects(ids: &[i64]) -> Vec<Session>;
    fn subject_by_label(label: &str) -> Option<Subject>;
    fn run(run_id: i64) -> Run;
    fn run_by_job_id(job_id: i64) -> Option<Run>;
    fn runs_by_ids(ids: &[i64]) -> Vec<Run>;
    fn audit_trail(entity: &str, entity_id: i64) -> Vec<AuditEntry>;
    fn provenance_of(run_id: i64) -> Option<Provenance>;
    fn weekly_counts(since: chrono::NaiveDateTime) -> WeeklyCounts;
    fn recent_completed(stage: &str, limit: i64) -> Vec<Run>;
    fn completed_since(since: chrono::NaiveDateTime) -> Vec<(String, i64)>;
    fn newest_runs(limit: i64) -> Vec<SpanRow>;
    fn settled_counts() -> SettledCounts;
    fn runs_matching(f: &RunsFilter) -> Vec<Run>;
    fn labels_of_runs(runs: &[Run]) -> RunLabels;
    fn current_runs_in(statuses: &[crate::domain::RunStatus]) -> Vec<Run>;
}
