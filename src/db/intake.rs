//! Incoming folders (what discovery saw) and registering a folder as a session.

use super::audit::{self, Change};
use super::models::{FolderObservation, IncomingFolder, NewSession, Session, Subject};
use super::schema::{incoming_folders as inf, sessions, subjects};
use super::{DbConn, DbError, Store, now};
use crate::domain::IntakeState;
use diesel::prelude::*;

/// A protocol validation verdict for a session.
pub struct Verdict<'a> {
    pub is_valid: bool,
    pub scans_found: &'a str,
    pub message: &'a str,
}

/// The one place a registered session's validation verdict changes (after
/// registration): by revalidation or a re-read of its folder. Audits a change.
pub(super) fn set_verdict(
    c: &mut DbConn,
    session_id: i64,
    v: &Verdict,
    action: &str,
    workflow_run_id: Option<i64>,
) -> QueryResult<Session> {
    let old: Session = sessions::table.find(session_id).select(Session::as_select()).first(c)?;
    diesel::update(sessions::table.find(session_id))
        .set((
            sessions::is_valid.eq(v.is_valid),
            sessions::scans_found.eq(v.scans_found),
            sessions::validation_message.eq(v.message),
            sessions::updated_at.eq(now()),
        ))
        .execute(c)?;
    if old.is_valid != v.is_valid || old.validation_message != v.message {
        let word = |b: bool| if b { "valid" } else { "invalid" };
        audit::record(
            c,
            Change {
                entity: "session",
                entity_id: session_id,
                action,
                old: Some(word(old.is_valid)),
                new: Some(word(v.is_valid)),
                message: v.message,
                workflow_run_id,
            },
        )?;
    }
    sessions::table.find(session_id).select(Session::as_select()).first(c)
}

pub(super) fn folder_by_path(c: &mut DbConn, rel_path: &str) -> QueryResult<Option<IncomingFolder>> {
    inf::table.filter(inf::rel_path.eq(rel_path)).select(IncomingFolder::as_select()).first(c).optional()
}

impl Store {
    /// Every folder discovery knows, for the incremental scan.
    pub fn incoming_folders(&mut self) -> Result<Vec<IncomingFolder>, DbError> {
        inf::table
            .order(inf::rel_path.asc())
            .select(IncomingFolder::as_select())
            .load(&mut self.conn)
            .map_err(|e| DbError::query("list incoming folders", e))
    }

    /// The relative paths of the registered folders: what an idle re-scan compares
    /// a listing with (one narrow read, no fingerprints, no stat).
    pub fn registered_folder_paths(&mut self) -> Result<std::collections::HashSet<String>, DbError> {
        let rows: Vec<String> = inf::table
            .filter(inf::intake_state.eq(IntakeState::Registered.as_str()))
            .select(inf::rel_path)
            .load(&mut self.conn)
            .map_err(|e| DbError::query("list registered folders", e))?;
        Ok(rows.into_iter().collect())
    }

    /// The folders held from registration (waiting, unmapped, conflict, unreadable),
    /// re-checked every tick.
    pub fn held_folders(&mut self) -> Result<Vec<IncomingFolder>, DbError> {
        inf::table
            .filter(super::frontier::pred(super::frontier::HELD))
            .order(inf::rel_path.asc())
            .select(IncomingFolder::as_select())
            .load(&mut self.conn)
            .map_err(|e| DbError::query("list held folders", e))
    }

    /// Records a folder that is held (waiting, unmapped, conflict, unreadable) with
    /// its fingerprint; the only place a held state is set. Audits state changes.
    pub fn hold_folder(
        &mut self,
        obs: &FolderObservation,
        state: IntakeState,
        reason: &str,
        workflow_run_id: Option<i64>,
    ) -> Result<IncomingFolder, DbError> {
        assert!(state != IntakeState::Registered, "registration goes through register_folder");
        self.conn
            .transaction(|c| {
                let old = folder_by_path(c, &obs.rel_path)?;
                match &old {
                    Some(f) => {
                        diesel::update(inf::table.find(f.id))
                            .set((obs, inf::intake_state.eq(state.as_str()), inf::reason.eq(reason)))
                            .execute(c)?;
                    }
                    None => {
                        diesel::insert_into(inf::table)
                            .values((
                                obs,
                                inf::intake_state.eq(state.as_str()),
                                inf::reason.eq(reason),
                                inf::first_seen.eq(obs.last_seen),
                            ))
                            .execute(c)?;
                    }
                }
                let folder = folder_by_path(c, &obs.rel_path)?.ok_or(diesel::result::Error::NotFound)?;
                let old_state = old.as_ref().map(|f| f.intake_state.as_str());
                if old_state != Some(state.as_str()) {
                    audit::record(
                        c,
                        Change {
                            entity: "incoming_folder",
                            entity_id: folder.id,
                            action: "intake",
                            old: old_state,
                            new: Some(state.as_str()),
                            message: reason,
                            workflow_run_id,
                        },
                    )?;
                }
                Ok(folder)
            })
            .map_err(|e| DbError::query("record held folder", e))
    }

    /// Registers a folder as a session of a subject (created if new), in one
    /// transaction: the only place `registered` is set.
    pub fn register_folder(
        &mut self,
        obs: &FolderObservation,
        subject: (&str, &str),
        session: &NewSession,
        workflow_run_id: Option<i64>,
    ) -> Result<(Subject, Session), DbError> {
        let (label, code) = subject;
        let subj = self.ensure_subject(label, code)?;
        self.conn
            .transaction(|c| {
                let mut new = session.clone();
                new.subject_id = subj.id;
                diesel::insert_into(sessions::table).values(&new).execute(c)?;
                let s: Session =
                    sessions::table.filter(sessions::scan_id.eq(&new.scan_id)).select(Session::as_select()).first(c)?;
                let old = folder_by_path(c, &obs.rel_path)?;
                let state = IntakeState::Registered.as_str();
                match &old {
                    Some(f) => diesel::update(inf::table.find(f.id))
                        .set((obs, inf::intake_state.eq(state), inf::reason.eq(""), inf::session_id.eq(s.id)))
                        .execute(c)?,
                    None => diesel::insert_into(inf::table)
                        .values((
                            obs,
                            inf::intake_state.eq(state),
                            inf::first_seen.eq(obs.last_seen),
                            inf::session_id.eq(s.id),
                        ))
                        .execute(c)?,
                };
                let validity = if s.is_valid { "valid" } else { "invalid" };
                let msg = format!("{} ses-{} from {}", subj.participant_label, s.session_label, obs.rel_path);
                audit::record(
                    c,
                    Change {
                        entity: "session",
                        entity_id: s.id,
                        action: "registered",
                        old: old.as_ref().map(|f| f.intake_state.as_str()),
                        new: Some(validity),
                        message: &msg,
                        workflow_run_id,
                    },
                )?;
                Ok((subj.clone(), s))
            })
            .map_err(|e| DbError::query("register session", e))
    }

    /// Forgets held folders that no longer exist (one audit row each).
    pub fn drop_vanished_folders(&mut self, folders: &[IncomingFolder]) -> Result<(), DbError> {
        self.conn
            .transaction(|c| {
                for f in folders {
                    diesel::delete(inf::table.find(f.id)).execute(c)?;
                    audit::record(
                        c,
                        Change {
                            entity: "incoming_folder",
                            entity_id: f.id,
                            action: "vanished",
                            old: Some(f.intake_state.as_str()),
                            new: None,
                            message: &format!("{} no longer exists", f.rel_path),
                            workflow_run_id: None,
                        },
                    )?;
                }
                Ok(())
            })
            .map_err(|e| DbError::query("drop vanished folders", e))
    }

    /// Notes that a registered folder was seen again (last_seen only).
    pub fn touch_folders(&mut self, ids: &[i64]) -> Result<(), DbError> {
        for chunk in ids.chunks(500) {
            diesel::update(inf::table.filter(inf::id.eq_any(chunk)))
                .set(inf::last_seen.eq(now()))
                .execute(&mut self.conn)
                .map_err(|e| DbError::query("touch folders", e))?;
        }
        Ok(())
    }

    /// Stores a new validation verdict for a session (after a protocol change).
    pub fn revalidate_session(
        &mut self,
        session_id: i64,
        is_valid: bool,
        scans_found: &str,
        message: &str,
    ) -> Result<Session, DbError> {
        self.conn
            .transaction(|c| {
                set_verdict(c, session_id, &Verdict { is_valid, scans_found, message }, "revalidated", None)
            })
            .map_err(|e| DbError::query("revalidate session", e))
    }

    /// Excludes a session from processing (or, with `reason` None, includes it
    /// again): the only place `excluded` is set.
    pub fn set_excluded(&mut self, session_id: i64, reason: Option<&str>) -> Result<Session, DbError> {
        self.conn
            .transaction(|c| {
                let old: Session = sessions::table.find(session_id).select(Session::as_select()).first(c)?;
                diesel::update(sessions::table.find(session_id))
                    .set((
                        sessions::excluded.eq(reason.is_some()),
                        sessions::excluded_reason.eq(reason),
                        sessions::updated_at.eq(now()),
                    ))
                    .execute(c)?;
                let flag = |b: bool| if b { "excluded" } else { "included" };
                audit::record(
                    c,
                    Change {
                        entity: "session",
                        entity_id: session_id,
                        action: "exclusion",
                        old: Some(flag(old.excluded)),
                        new: Some(flag(reason.is_some())),
                        message: reason.unwrap_or("included again"),
                        workflow_run_id: None,
                    },
                )?;
                sessions::table.find(session_id).select(Session::as_select()).first(c)
            })
            .map_err(|e| DbError::query("exclude session", e))
    }

    /// One session with its subject, by participant and session label.
    pub fn session_by_labels(
        &mut self,
        participant: &str,
        session: &str,
    ) -> Result<Option<(Session, Subject)>, DbError> {
        sessions::table
            .inner_join(subjects::table)
            .filter(subjects::participant_label.eq(participant).and(sessions::session_label.eq(session)))
            .select((Session::as_select(), Subject::as_select()))
            .first(&mut self.conn)
            .optional()
            .map_err(|e| DbError::query("find session", e))
    }
}
