//! Subjects and sessions.

use super::audit::{self, Change};
use super::models::{Session, Subject};
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

    /// The sessions of these subjects (by subject id, indexed; 500 subjects a statement).
    pub fn sessions_of_subjects(&mut self, ids: &[i64]) -> Result<Vec<Session>, DbError> {
        let mut out = vec![];
        for chunk in ids.chunks(500) {
            let q = sessions::table.filter(sessions::subject_id.eq_any(chunk)).order(sessions::session_label.asc());
            out.extend(
                q.select(Session::as_select())
                    .load(&mut self.conn)
                    .map_err(|e| DbError::query("list sessions of subjects", e))?,
            );
        }
        Ok(out)
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

impl Store {
    pub fn subject(&mut self, id: i64) -> Result<Subject, DbError> {
        subjects::table
            .find(id)
            .select(Subject::as_select())
            .first(&mut self.conn)
            .optional()
            .map_err(|e| DbError::query("load subject", e))?
            .ok_or(DbError::NotFound { entity: "subject", id: id.to_string() })
    }

    pub fn session(&mut self, id: i64) -> Result<Session, DbError> {
        sessions::table
            .find(id)
            .select(Session::as_select())
            .first(&mut self.conn)
            .optional()
            .map_err(|e| DbError::query("load session", e))?
            .ok_or(DbError::NotFound { entity: "session", id: id.to_string() })
    }
}
