//! Figures for the read side, aggregated by the store (GROUP BY, LIMIT) so that what
//! a view reads grows with what it shows, not with the study: weekly counts, the
//! newest completed runs of a stage, totals per stage and status, the newest runs.

use super::frontier::{OPEN, pred};
use super::schema::{pipeline_runs as pr, sessions as se, subjects as su};
use super::{DbConn, DbError, Store};
use crate::domain::{FailureCause, RunStatus};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

/// Counts per week since a given Monday (week 0), in three families.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct WeeklyCounts {
    /// (week, sessions registered).
    pub arrivals: Vec<(i64, i64)>,
    /// (stage, week, current runs completed).
    pub finished: Vec<(String, i64, i64)>,
    /// (cause, week, failed attempts, superseded ones included).
    pub failed: Vec<(FailureCause, i64, i64)>,
}

/// One run of the timeline, with its unit's labels.
#[derive(Debug, Clone, Queryable)]
pub struct SpanRow {
    pub id: i64,
    pub stage: String,
    pub status: RunStatus,
    pub participant: String,
    pub session: Option<String>,
    pub submitted_at: Option<NaiveDateTime>,
    pub started_at: Option<NaiveDateTime>,
    pub ended_at: Option<NaiveDateTime>,
}

#[derive(QueryableByName)]
struct Bucket {
    #[diesel(sql_type = Nullable<Text>)]
    key: Option<String>,
    #[diesel(sql_type = Text)]
    day: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

impl Bucket {
    /// The bucket's week counted from `since`'s day (None: a day that does not parse).
    fn week(&self, since: NaiveDateTime) -> Option<i64> {
        let day = chrono::NaiveDate::parse_from_str(&self.day, "%Y-%m-%d").ok()?;
        Some((day - since.date()).num_days().div_euclid(7))
    }
}

/// `col`'s day as `YYYY-MM-DD`, per backend (cheaper per row than date arithmetic:
/// the weeks are counted from the few days in Rust).
fn day_of(conn: &DbConn, col: &str) -> String {
    match conn {
        DbConn::Sqlite(_) => format!("substr({col}, 1, 10)"),
        DbConn::Pg(_) => format!("to_char({col}, 'YYYY-MM-DD')"),
    }
}

/// SQLite's planner, without range statistics, may scan another index: name it.
fn indexed_by(conn: &DbConn, index: &str) -> String {
    match conn {
        DbConn::Sqlite(_) => format!("INDEXED BY {index}"),
        DbConn::Pg(_) => String::new(),
    }
}

/// The week of `t` as the generated columns count it (Mondays from 1970-01-05).
pub fn epoch_week(t: NaiveDateTime) -> i64 {
    let monday = chrono::NaiveDate::from_ymd_opt(1970, 1, 5).unwrap_or_default();
    (t.date() - monday).num_days().div_euclid(7)
}

#[derive(QueryableByName)]
struct Week {
    #[diesel(sql_type = Nullable<Text>)]
    key: Option<String>,
    #[diesel(sql_type = BigInt)]
    week: i64,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn load<T>(conn: &mut DbConn, sql: &str, what: &'static str) -> Result<Vec<T>, DbError>
where
    T: QueryableByName<diesel::sqlite::Sqlite> + QueryableByName<diesel::pg::Pg> + 'static,
{
    let q = diesel::sql_query(sql);
    match conn {
        DbConn::Sqlite(c) => q.load(c),
        DbConn::Pg(c) => q.load(c),
    }
    .map_err(|e| DbError::query(what, e))
}

impl Store {
    /// Sessions registered, runs completed and attempts failed per week since
    /// `since` (a Monday, 00:00): the first two by the weeks the database computes
    /// (an index each, read in order), failures by day (few; an index by time).
    pub fn weekly_counts(&mut self, since: NaiveDateTime) -> Result<WeeklyCounts, DbError> {
        let at = since.format("%Y-%m-%d %H:%M:%S").to_string();
        let w0 = epoch_week(since);
        let arrivals = format!(
            "SELECT NULL AS key, discovered_week AS week, COUNT(*) AS n FROM sessions \
             WHERE discovered_week >= {w0} GROUP BY discovered_week"
        );
        let finished = format!(
            "SELECT stage AS key, ended_week AS week, COUNT(*) AS n FROM pipeline_runs \
             WHERE {COMPLETED} AND ended_week >= {w0} GROUP BY stage, ended_week"
        );
        let failed = format!(
            "SELECT failure_cause AS key, {} AS day, COUNT(*) AS n FROM pipeline_runs {} \
             WHERE status = 'failed' AND updated_at >= '{at}' GROUP BY 1, 2",
            day_of(&self.conn, "updated_at"),
            indexed_by(&self.conn, "pipeline_runs_failed_at")
        );
        let weeks = |rows: Vec<Week>| rows.into_iter().map(|w| (w.key, w.week - w0, w.n)).collect::<Vec<_>>();
        let arrivals = weeks(load(&mut self.conn, &arrivals, "sessions registered per week")?);
        let finished = weeks(load(&mut self.conn, &finished, "runs completed per week")?);
        let failed: Vec<Bucket> = load(&mut self.conn, &failed, "attempts failed per week")?;
        Ok(WeeklyCounts {
            arrivals: arrivals.into_iter().map(|(_, w, n)| (w, n)).collect(),
            finished: finished.into_iter().filter_map(|(k, w, n)| Some((k?, w, n))).collect(),
            failed: failed
                .iter()
                .filter_map(|b| {
                    let cause = b.key.as_deref().and_then(|k| k.parse().ok()).unwrap_or(FailureCause::NonzeroExit);
                    Some((cause, b.week(since)?, b.n))
                })
                .collect(),
        })
    }

    /// The newest `limit` current completed runs of `stage`, newest first.
    pub fn recent_completed(&mut self, stage: &str, limit: i64) -> Result<Vec<super::Run>, DbError> {
        pr::table
            .filter(pred(COMPLETED).and(pr::stage.eq(stage)))
            .order(pr::ended_at.desc())
            .limit(limit)
            .select(super::Run::as_select())
            .load(&mut self.conn)
            .map_err(|e| DbError::query("newest completed runs of a stage", e))
    }

    /// Current runs of each stage completed at or after `since`.
    pub fn completed_since(&mut self, since: NaiveDateTime) -> Result<Vec<(String, i64)>, DbError> {
        let sql = format!(
            "SELECT stage AS key, '' AS day, COUNT(*) AS n FROM pipeline_runs {} \
             WHERE {COMPLETED} AND ended_at >= '{}' GROUP BY stage",
            indexed_by(&self.conn, "pipeline_runs_completed_at"),
            since.format("%Y-%m-%d %H:%M:%S")
        );
        let rows: Vec<Bucket> = load(&mut self.conn, &sql, "runs completed since a time, per stage")?;
        Ok(rows.into_iter().filter_map(|b| Some((b.key?, b.n))).collect())
    }

    /// Current runs per (stage, status), counted by the store.
    pub fn current_run_totals(&mut self) -> Result<Vec<(String, RunStatus, i64)>, DbError> {
        pr::table
            .filter(pred(CURRENT))
            .group_by((pr::stage, pr::status))
            .select((pr::stage, pr::status, diesel::dsl::count_star()))
            .load(&mut self.conn)
            .map_err(|e| DbError::query("current runs per stage and status", e))
    }

    /// The newest `limit` runs (history included), newest first, with their labels.
    pub fn newest_runs(&mut self, limit: i64) -> Result<Vec<SpanRow>, DbError> {
        pr::table
            .inner_join(su::table.on(su::id.eq(pr::subject_id)))
            .left_join(se::table.on(se::id.nullable().eq(pr::session_id)))
            .filter(pr::submitted_at.is_not_null())
            .order(pr::id.desc())
            .limit(limit)
            .select((
                pr::id,
                pr::stage,
                pr::status,
                su::participant_label,
                se::session_label.nullable(),
                pr::submitted_at,
                pr::started_at,
                pr::ended_at,
            ))
            .load(&mut self.conn)
            .map_err(|e| DbError::query("newest runs", e))
    }

    /// Current runs in any of `statuses` (failed and lost ones for triage).
    pub fn current_runs_in(&mut self, statuses: &[RunStatus]) -> Result<Vec<super::Run>, DbError> {
        // Literal statuses (the enum's own names): the status index is then usable.
        let names: Vec<String> = statuses.iter().map(|s| format!("'{}'", s.as_str())).collect();
        let within =
            diesel::dsl::sql::<diesel::sql_types::Bool>(&format!("pipeline_runs.status IN ({})", names.join(", ")));
        pr::table
            .filter(pred(CURRENT).and(within))
            .order(pr::id.asc())
            .select(super::Run::as_select())
            .load(&mut self.conn)
            .map_err(|e| DbError::query("current runs in some statuses", e))
    }
}

/// What the store counts of the settled subjects (nothing can change for them until
/// a write reopens them), for the status totals without reading their rows.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct SettledCounts {
    /// Current runs of settled subjects by (stage, status, the session is valid);
    /// subject-level runs count as valid; runs of excluded sessions are left out.
    pub runs: Vec<(String, RunStatus, bool, i64)>,
    /// Sessions of settled subjects by (is_valid, excluded).
    pub sessions: Vec<(bool, bool, i64)>,
    /// Settled subjects that have at least one session.
    pub subjects: i64,
}

#[derive(QueryableByName)]
struct OddRun {
    #[diesel(sql_type = Text)]
    stage: String,
    #[diesel(sql_type = Text)]
    status: RunStatus,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    valid: bool,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    excluded: bool,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Current runs of settled subjects on excluded or invalid sessions (few; found from
/// the sessions' flags).
const ODD_RUNS: &str = "SELECT r.stage AS stage, r.status AS status, se.is_valid AS valid, se.excluded AS excluded, \
     COUNT(*) AS n FROM sessions se \
     JOIN pipeline_runs r ON r.subject_id = se.subject_id AND r.session_id = se.id \
     WHERE (se.is_valid = FALSE OR (se.is_valid = TRUE AND se.excluded = TRUE)) \
     AND se.subject_id NOT IN (SELECT id FROM subjects WHERE NOT subjects.settled) AND NOT r.superseded \
     GROUP BY r.stage, r.status, se.is_valid, se.excluded";

/// Literal predicates of the read side's partial indexes (migration 2026-12-08-000001).
pub(super) const COMPLETED: &str = "pipeline_runs.status = 'completed' AND NOT pipeline_runs.superseded";
pub(super) const CURRENT: &str = "NOT pipeline_runs.superseded";

type StateCounts = Vec<(String, RunStatus, i64)>;

impl Store {
    /// The settled subjects' figures the status totals need: every current run by
    /// stage and status (an index), less the open subjects' and the odd sessions'.
    pub fn settled_counts(&mut self) -> Result<SettledCounts, DbError> {
        let all = self.current_run_totals()?;
        let open_ids = || su::table.filter(pred(OPEN)).select(su::id);
        let open: StateCounts = pr::table
            .filter(pr::subject_id.eq_any(open_ids()).and(pred(CURRENT)))
            .group_by((pr::stage, pr::status))
            .select((pr::stage, pr::status, diesel::dsl::count_star()))
            .load(&mut self.conn)
            .map_err(|e| DbError::query("current runs of open subjects", e))?;
        // SQLite: CROSS JOIN keeps the sessions (few odd ones, an index) as the outer loop.
        let odd: Vec<OddRun> = match &mut self.conn {
            DbConn::Sqlite(c) => {
                diesel::sql_query(ODD_RUNS.replace(" JOIN pipeline_runs", " CROSS JOIN pipeline_runs")).load(c)
            }
            DbConn::Pg(c) => diesel::sql_query(ODD_RUNS).load(c),
        }
        .map_err(|e| DbError::query("runs of settled subjects on excluded or invalid sessions", e))?;
        // Every session by its flags, less the open subjects' (an index each).
        let flags = "sessions by their flags";
        let all_sessions: Vec<(bool, bool, i64)> = se::table
            .group_by((se::is_valid, se::excluded))
            .select((se::is_valid, se::excluded, diesel::dsl::count_star()))
            .load(&mut self.conn)
            .map_err(|e| DbError::query(flags, e))?;
        let open_sessions: Vec<(bool, bool, i64)> = se::table
            .filter(se::subject_id.eq_any(open_ids()))
            .group_by((se::is_valid, se::excluded))
            .select((se::is_valid, se::excluded, diesel::dsl::count_star()))
            .load(&mut self.conn)
            .map_err(|e| DbError::query(flags, e))?;
        let sessions = all_sessions
            .iter()
            .map(|(v, e, n)| {
                let open: i64 = open_sessions.iter().filter(|o| o.0 == *v && o.1 == *e).map(|o| o.2).sum();
                (*v, *e, n - open)
            })
            .filter(|s| s.2 > 0)
            .collect();
        let mut with_sessions = |open: bool| {
            let q = se::table.select(diesel::dsl::count(se::subject_id).aggregate_distinct()).into_boxed();
            let q = if open { q.filter(se::subject_id.eq_any(open_ids())) } else { q };
            q.first::<i64>(&mut self.conn).map_err(|e| DbError::query("subjects with sessions", e))
        };
        let subjects = with_sessions(false)? - with_sessions(true)?;
        Ok(SettledCounts { runs: settled_runs(&all, &open, &odd), sessions, subjects })
    }
}

/// All less open, then less the odd sessions' runs (excluded: dropped; invalid:
/// counted as not valid).
fn settled_runs(all: &StateCounts, open: &StateCounts, odd: &[OddRun]) -> Vec<(String, RunStatus, bool, i64)> {
    let count = |v: &StateCounts, stage: &str, status: RunStatus| {
        v.iter().filter(|r| r.0 == stage && r.1 == status).map(|r| r.2).sum::<i64>()
    };
    let mut out = vec![];
    for (stage, status, n) in all {
        let odd_of = |excluded: bool| {
            odd.iter()
                .filter(|o| &o.stage == stage && o.status == *status && o.excluded == excluded)
                .map(|o| o.n)
                .sum::<i64>()
        };
        let invalid = odd
            .iter()
            .filter(|o| &o.stage == stage && o.status == *status && !o.excluded && !o.valid)
            .map(|o| o.n)
            .sum::<i64>();
        let valid = n - count(open, stage, *status) - odd_of(true) - invalid;
        if valid > 0 {
            out.push((stage.clone(), *status, true, valid));
        }
        if invalid > 0 {
            out.push((stage.clone(), *status, false, invalid));
        }
    }
    out
}

/// Which runs `runs list` shows.
#[derive(Debug, Default, Clone)]
pub struct RunsFilter {
    pub stage: Option<String>,
    pub status: Option<RunStatus>,
    pub subject_id: Option<i64>,
    /// Superseded runs too.
    pub history: bool,
    /// At most this many, the newest (None: all).
    pub limit: Option<i64>,
}

impl Store {
    /// The runs `f` names, newest first, filtered and limited by the store.
    pub fn runs_matching(&mut self, f: &RunsFilter) -> Result<Vec<super::Run>, DbError> {
        let mut q = pr::table.select(super::Run::as_select()).order(pr::id.desc()).into_boxed();
        if !f.history {
            q = q.filter(pred(CURRENT));
        }
        if let Some(s) = &f.stage {
            q = q.filter(pr::stage.eq(s.clone()));
        }
        if let Some(s) = f.status {
            q = q.filter(pr::status.eq(s.as_str()));
        }
        if let Some(id) = f.subject_id {
            q = q.filter(pr::subject_id.eq(id));
        }
        if let Some(n) = f.limit {
            q = q.limit(n);
        }
        q.load(&mut self.conn).map_err(|e| DbError::query("list runs", e))
    }

    /// Participant and session labels of the units of `runs` (by id).
    pub fn labels_of_runs(&mut self, runs: &[super::Run]) -> Result<super::RunLabels, DbError> {
        let mut subjects: Vec<i64> = runs.iter().map(|r| r.subject_id).collect();
        let mut sessions: Vec<i64> = runs.iter().filter_map(|r| r.session_id).collect();
        subjects.sort_unstable();
        subjects.dedup();
        sessions.sort_unstable();
        sessions.dedup();
        let mut out = super::RunLabels::default();
        for chunk in subjects.chunks(500) {
            let rows: Vec<(i64, String)> = su::table
                .filter(su::id.eq_any(chunk))
                .select((su::id, su::participant_label))
                .load(&mut self.conn)
                .map_err(|e| DbError::query("labels of subjects", e))?;
            out.0.extend(rows);
        }
        for chunk in sessions.chunks(500) {
            let rows: Vec<(i64, String)> = se::table
                .filter(se::id.eq_any(chunk))
                .select((se::id, se::session_label))
                .load(&mut self.conn)
                .map_err(|e| DbError::query("labels of sessions", e))?;
            out.1.extend(rows);
        }
        Ok(out)
    }
}

impl Store {
    /// Sessions with their subjects for `sessions list`: of participant `subject`, in
    /// `status` (valid, invalid, excluded), the newest `limit` by registration,
    /// selected by the store; in participant and session order.
    pub fn sessions_matching(
        &mut self,
        subject: Option<&str>,
        status: Option<&str>,
        limit: Option<i64>,
    ) -> Result<Vec<(super::Session, super::Subject)>, DbError> {
        let mut q = se::table
            .inner_join(su::table.on(su::id.eq(se::subject_id)))
            .select((super::Session::as_select(), super::Subject::as_select()))
            .order(se::id.desc())
            .into_boxed();
        if let Some(p) = subject {
            q = q.filter(su::participant_label.eq(p.to_string()));
        }
        q = match status {
            Some("excluded") => q.filter(se::excluded.eq(true)),
            Some("valid") => q.filter(se::excluded.eq(false).and(se::is_valid.eq(true))),
            Some("invalid") => q.filter(se::excluded.eq(false).and(se::is_valid.eq(false))),
            _ => q,
        };
        if let Some(n) = limit {
            q = q.limit(n);
        }
        let mut rows: Vec<(super::Session, super::Subject)> =
            q.load(&mut self.conn).map_err(|e| DbError::query("list sessions", e))?;
        rows.sort_by(|a, b| {
            (&a.1.participant_label, &a.0.session_label).cmp(&(&b.1.participant_label, &b.0.session_label))
        });
        Ok(rows)
    }
}
