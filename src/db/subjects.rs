//! Subjects and sessions.

use super::audit::{self, Change};
use super::models::{NewSession, Session, Subject};
use super::schema::{sessions, subjects};
use super::{DbError, Store, now};
use diesel::prelude::*;

impl Store {
    /// The subject with this participant label, created if new.
    pub fn ensure_subject(&mut self, participant_label: &str, subject_code: &str) -> Result<Subject, DbError> {
        self.conn
            .transaction(|c| {
                let found = subjects::table
                    .filter(subjects::participant_label.eq(participant_label))
                    .select(Subject::as_select())
                    .first(c)
                    .optional()?;
                if let Some(s) = found {
                    return Ok(s);
                }
                diesel::insert_into(subjects::table)
                    .values((
                        subjects::participant_label.eq(participant_label),
                        subjects::subject_code.eq(subject_code),
                        subjects::created_at.eq(now()),
                    ))
                    .execute(c)?;
                let s: Subject = subjects::table
                    .filter(subjects::participant_label.eq(participant_label))
                    .select(Subject::as_select())
                    .first(c)?;
                let msg = format!("subject code {subject_code:?}");
                audit::record(
                    c,
                    Change {
                        entity: "subject",
                        entity_id: s.id,
                        action: "created",
                        old: None,
                        new: Some(participant_label),
                        message: &msg,
                        workflow_run_id: None,
                    },
                )?;
                Ok(s)
            })
            .map_err(|e| DbError::query("create subject", e))
    }

    /// Records a newly registered session (validated or not) with an audit row.
    pub fn register_session(&mut self, new: &NewSession, workflow_run_id: Option<i64>) -> Result<Session, DbError> {
        self.conn
            .transaction(|c| {
                diesel::insert_into(sessions::table).values(new).execute(c)?;
                let s: Session =
                    sessions::table.filter(sessions::scan_id.eq(&new.scan_id)).select(Session::as_select()).first(c)?;
                let validity = if s.is_valid { "valid" } else { "invalid" };
                audit::record(
                    c,
                    Change {
                        entity: "session",
                        entity_id: s.id,
                        action: "registered",
                        old: None,
                        new: Some(validity),
                        message: &s.validation_message,
                        workflow_run_id,
                    },
                )?;
                Ok(s)
            })
            .map_err(|e| DbError::query("register session", e))
    }

    pub fn subject_by_label(&mut self, label: &str) -> Result<Option<Subject>, DbError> {
        subjects::table
            .filter(subjects::participant_label.eq(label))
            .select(Subject::as_select())
            .first(&mut self.conn)
            .optional()
            .map_err(|e| DbError::query("find subject", e))
    }

    pub fn all_subjects(&mut self) -> Result<Vec<Subject>, DbError> {
        subjects::table
            .order(subjects::participant_label.asc())
            .select(Subject::as_select())
            .load(&mut self.conn)
            .map_err(|e| DbError::query("list subjects", e))
    }

    pub fn sessions_of_subject(&mut self, subject_id: i64) -> Result<Vec<Session>, DbError> {
        sessions::table
            .filter(sessions::subject_id.eq(subject_id))
            .order(sessions::session_label.asc())
            .select(Session::as_select())
            .load(&mut self.conn)
            .map_err(|e| DbError::query("list sessions of subject", e))
    }

    pub fn all_sessions(&mut self) -> Result<Vec<(Session, Subject)>, DbError> {
        sessions::table
            .inner_join(subjects::table)
            .order((subjects::participant_label.asc(), sessions::session_label.asc()))
            .select((Session::as_select(), Subject::as_select()))
            .load(&mut self.conn)
            .map_err(|e| DbError::query("list sessions", e))
    }
}
