//! Which events were told to a person, so each is told once.

use super::schema::{incoming_folders as f, notifications as n};
use super::{DbError, IncomingFolder, Store, now};
use crate::domain::IntakeState;
use diesel::prelude::*;

/// A notification attempt's outcome.
pub enum Delivery<'a> {
    Sent,
    Failed(&'a str),
}

impl Store {
    /// How many times `key` was tried, and whether it was sent.
    pub fn notification_state(&mut self, key: &str) -> Result<Option<(i32, bool)>, DbError> {
        n::table
            .find(key)
            .select((n::attempts, n::sent_at.is_not_null()))
            .first::<(i32, bool)>(&mut self.conn)
            .optional()
            .map_err(|e| DbError::query("notification state", e))
    }

    /// Records one attempt to tell `key`.
    pub fn record_notification(&mut self, key: &str, kind: &str, message: &str, d: Delivery) -> Result<(), DbError> {
        let at = now();
        let (sent, error) = match d {
            Delivery::Sent => (Some(at), None),
            Delivery::Failed(e) => (None, Some(e.to_string())),
        };
        self.conn
            .transaction(|c| {
                let known = n::table.find(key).count().get_result::<i64>(c)? > 0;
                if known {
                    diesel::update(n::table.find(key))
                        .set((n::sent_at.eq(sent), n::attempts.eq(n::attempts + 1), n::last_error.eq(error)))
                        .execute(c)
                } else {
                    diesel::insert_into(n::table)
                        .values((
                            n::key.eq(key),
                            n::kind.eq(kind),
                            n::message.eq(message),
                            n::first_seen.eq(at),
                            n::sent_at.eq(sent),
                            n::attempts.eq(1),
                            n::last_error.eq(error),
                        ))
                        .execute(c)
                }
            })
            .map(|_| ())
            .map_err(|e| DbError::query("record notification", e))
    }

    /// Folders held for a reason a person must fix (not registered, not still settling).
    pub fn folders_needing_a_person(&mut self) -> Result<Vec<IncomingFolder>, DbError> {
        let quiet = [IntakeState::Registered.as_str(), IntakeState::Waiting.as_str()];
        f::table
            .filter(super::frontier::pred(super::frontier::HELD).and(f::intake_state.ne_all(quiet)))
            .order(f::id.asc())
            .select(IncomingFolder::as_select())
            .load(&mut self.conn)
            .map_err(|e| DbError::query("held folders", e))
    }
}
