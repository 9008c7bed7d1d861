//! The audit log: one row per state change, written inside the change's transaction.

use super::models::{AuditEntry, NewAudit};
use super::schema::audit_log;
use super::{DbConn, DbError, Store, now};
use diesel::prelude::*;

/// What an audit row says.
pub(crate) struct Change<'a> {
    pub entity: &'static str,
    pub entity_id: i64,
    pub action: &'a str,
    pub old: Option<&'a str>,
    pub new: Option<&'a str>,
    pub message: &'a str,
    pub workflow_run_id: Option<i64>,
}

pub(crate) fn record(conn: &mut DbConn, c: Change<'_>) -> Result<(), diesel::result::Error> {
    diesel::insert_into(audit_log::table)
        .values(NewAudit {
            at: now(),
            entity: c.entity.to_string(),
            entity_id: c.entity_id,
            action: c.action.to_string(),
            old_value: c.old.map(str::to_string),
            new_value: c.new.map(str::to_string),
            message: c.message.to_string(),
            workflow_run_id: c.workflow_run_id,
        })
        .execute(conn)
        .map(|_| ())
}

impl Store {
    /// The audit trail of one entity, oldest first.
    pub fn audit_trail(&mut self, entity: &str, entity_id: i64) -> Result<Vec<AuditEntry>, DbError> {
        audit_log::table
            .filter(audit_log::entity.eq(entity).and(audit_log::entity_id.eq(entity_id)))
            .order(audit_log::id.asc())
            .select(AuditEntry::as_select())
            .load(&mut self.conn)
            .map_err(|e| DbError::query("read audit trail", e))
    }
}
