//! Who a session belongs to: identity issues and reassignment.

use super::audit::{self, Change};
use super::schema::{sessions, subjects};
use super::{DbError, Store, now};
use crate::domain::SessionIdentity as Registered;
use diesel::prelude::*;

impl Store {
    /// Every registered session with its subject's label and code, and its stored
    /// identity issue.
    pub fn registered_identities(&mut self) -> Result<Vec<(Registered, Option<String>)>, DbError> {
        self.identities(false)
    }

    /// The sessions whose identity is in question, with their stored issue (from
    /// the partial index of disputed sessions).
    pub fn disputed_sessions(&mut self) -> Result<Vec<(Registered, String)>, DbError> {
        Ok(self.identities(true)?.into_iter().map(|(r, issue)| (r, issue.unwrap_or_default())).collect())
    }

    fn identities(&mut self, disputed_only: bool) -> Result<Vec<(Registered, Option<String>)>, DbError> {
        let mut q = sessions::table
            .inner_join(subjects::table)
            .select((
                sessions::id,
                sessions::scan_id,
                sessions::session_label,
                subjects::participant_label,
                subjects::subject_code,
                sessions::identity_issue,
            ))
            .order(sessions::id.asc())
            .into_boxed();
        if disputed_only {
            q = q.filter(sessions::identity_issue.is_not_null());
        }
        let rows: Vec<(i64, String, String, String, String, Option<String>)> =
            q.load(&mut self.conn).map_err(|e| DbError::query("list session identities", e))?;
        Ok(rows
            .into_iter()
            .map(|(session_id, scan_id, session_label, participant, subject_code, issue)| {
                (Registered { session_id, scan_id, session_label, participant, subject_code }, issue)
            })
            .collect())
    }

    /// Changes whenever a session is registered or written (its greatest id and
    /// newest update; both indexed): identity checks rerun only after a change.
    pub fn sessions_version(&mut self) -> Result<String, DbError> {
        // Two statements: one max each is an index probe; both in one scan the index.
        let id: Option<i64> = sessions::table
            .select(diesel::dsl::max(sessions::id))
            .first(&mut self.conn)
            .map_err(|e| DbError::query("read sessions version", e))?;
        let at: Option<chrono::NaiveDateTime> = sessions::table
            .select(diesel::dsl::max(sessions::updated_at))
            .first(&mut self.conn)
            .map_err(|e| DbError::query("read sessions version", e))?;
        Ok(format!("{}/{}", id.unwrap_or(0), at.map(|t| t.and_utc().timestamp_micros()).unwrap_or(0)))
    }

    /// Sets (or clears) a session's identity issue: the only place it is set. Audited.
    pub fn set_identity_issue(
        &mut self,
        session_id: i64,
        issue: Option<&str>,
        workflow_run_id: Option<i64>,
    ) -> Result<(), DbError> {
        self.conn
            .transaction(|c| {
                diesel::update(sessions::table.find(session_id))
                    .set((sessions::identity_issue.eq(issue), sessions::updated_at.eq(now())))
                    .execute(c)?;
                audit::record(
                    c,
                    Change {
                        entity: "session",
                        entity_id: session_id,
                        action: "identity",
                        old: None,
                        new: Some(if issue.is_some() { "in question" } else { "resolved" }),
                        message: issue.unwrap_or("the mapping agrees with the registered subject again"),
                        workflow_run_id,
                    },
                )
            })
            .map_err(|e| DbError::query("set identity issue", e))
    }

    /// Moves a session to another subject (its runs were withdrawn first) and clears
    /// its identity issue, in one transaction with an audit row.
    pub fn reassign_session(&mut self, session_id: i64, subject_id: i64, message: &str) -> Result<(), DbError> {
        self.conn
            .transaction(|c| {
                diesel::update(sessions::table.find(session_id))
                    .set((
                        sessions::subject_id.eq(subject_id),
                        sessions::identity_issue.eq(None::<String>),
                        sessions::updated_at.eq(now()),
                    ))
                    .execute(c)?;
                audit::record(
                    c,
                    Change {
                        entity: "session",
                        entity_id: session_id,
                        action: "reassigned",
                        old: None,
                        new: None,
                        message,
                        workflow_run_id: None,
                    },
                )
            })
            .map_err(|e| DbError::query("reassign session", e))
    }
}
