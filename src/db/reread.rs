//! Registered folders that are read again: an invalid session whose folder changed
//! (a visit that arrived in two batches), or one a person asks to rescan.

use super::intake::{Verdict, set_verdict};
use super::models::{FolderObservation, IncomingFolder, Session};
use super::schema::{incoming_folders as inf, sessions};
use super::{DbError, Store};
use crate::domain::IntakeState;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// What a re-read found.
pub struct Reread<'a> {
    pub series_json: &'a str,
    pub study_date: Option<NaiveDate>,
    pub verdict: Verdict<'a>,
    pub read_at: NaiveDateTime,
}

impl Store {
    /// Registered folders whose session is invalid and not excluded, with the session.
    pub fn invalid_registered_folders(&mut self) -> Result<Vec<(IncomingFolder, Session)>, DbError> {
        // Two statements: the invalid sessions from their partial index, then their
        // folders by session id (a join lets the planner start from the folders).
        let invalid: Vec<Session> = sessions::table
            .filter(super::frontier::pred(super::frontier::INVALID))
            .select(Session::as_select())
            .load(&mut self.conn)
            .map_err(|e| DbError::query("list invalid sessions", e))?;
        let mut out = vec![];
        for chunk in invalid.chunks(500) {
            let ids: Vec<Option<i64>> = chunk.iter().map(|s| Some(s.id)).collect();
            let folders: Vec<IncomingFolder> = inf::table
                .filter(inf::session_id.eq_any(ids).and(inf::intake_state.eq(IntakeState::Registered.as_str())))
                .select(IncomingFolder::as_select())
                .load(&mut self.conn)
                .map_err(|e| DbError::query("list invalid registered folders", e))?;
            for f in folders {
                if let Some(s) = chunk.iter().find(|s| Some(s.id) == f.session_id) {
                    out.push((f, s.clone()));
                }
            }
        }
        Ok(out)
    }

    /// The registered folder behind a session.
    pub fn folder_of_session(&mut self, session_id: i64) -> Result<Option<IncomingFolder>, DbError> {
        inf::table
            .filter(inf::session_id.eq(session_id))
            .select(IncomingFolder::as_select())
            .first(&mut self.conn)
            .optional()
            .map_err(|e| DbError::query("find the folder of a session", e))
    }

    /// Notes a registered folder's new fingerprint (its state does not change).
    pub fn observe_registered_folder(&mut self, obs: &FolderObservation) -> Result<(), DbError> {
        diesel::update(inf::table.filter(inf::rel_path.eq(&obs.rel_path)))
            .set(obs)
            .execute(&mut self.conn)
            .map(|_| ())
            .map_err(|e| DbError::query("observe folder", e))
    }

    /// Stores what a re-read of a session's folder found, in one transaction: the
    /// folder's fingerprint, the session's series and study date, and its verdict.
    pub fn record_reread(
        &mut self,
        session_id: i64,
        obs: &FolderObservation,
        r: &Reread,
        workflow_run_id: Option<i64>,
    ) -> Result<Session, DbError> {
        self.conn
            .transaction(|c| {
                diesel::update(inf::table.filter(inf::rel_path.eq(&obs.rel_path))).set(obs).execute(c)?;
                diesel::update(sessions::table.find(session_id))
                    .set((
                        sessions::series_json.eq(r.series_json),
                        sessions::study_date.eq(r.study_date),
                        sessions::series_read_at.eq(Some(r.read_at)),
                    ))
                    .execute(c)?;
                set_verdict(c, session_id, &r.verdict, "reread", workflow_run_id)
            })
            .map_err(|e| DbError::query("record a re-read", e))
    }
}
