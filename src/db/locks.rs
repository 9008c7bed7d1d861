//! PostgreSQL advisory locks: one tick at a time across login nodes, one migration
//! at a time across processes. Session-level, so the server releases them when the
//! holding process dies. (SQLite stores use file locks beside the work_dir or the
//! database file instead; see workflow::lock and migrations::migrate.)

use super::conn::DbConn;
use super::{DbError, Store};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer, Text};

/// `pg_advisory_lock(int, int)` keys: the first says "neuroflow" (0x6e66 = "nf").
pub const NAMESPACE: i32 = 0x6e66;
pub const TICK: i32 = 1;
pub const MIGRATION: i32 = 2;

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

#[derive(QueryableByName)]
struct Holder {
    #[diesel(sql_type = Text)]
    who: String,
}

/// Takes advisory lock `key` if it is free (PostgreSQL); None on SQLite.
pub(super) fn try_lock(conn: &mut DbConn, key: i32) -> Result<Option<bool>, DbError> {
    let DbConn::Pg(c) = conn else { return Ok(None) };
    diesel::sql_query("SELECT pg_try_advisory_lock($1, $2) AS locked")
        .bind::<Integer, _>(NAMESPACE)
        .bind::<Integer, _>(key)
        .get_result::<Locked>(c)
        .map(|l| Some(l.locked))
        .map_err(|e| DbError::query("try advisory lock", e))
}

/// Waits for advisory lock `key` (PostgreSQL; nothing on SQLite).
pub(super) fn lock(conn: &mut DbConn, key: i32) -> Result<(), DbError> {
    let DbConn::Pg(c) = conn else { return Ok(()) };
    diesel::sql_query("SELECT pg_advisory_lock($1, $2)")
        .bind::<Integer, _>(NAMESPACE)
        .bind::<Integer, _>(key)
        .execute(c)
        .map(|_| ())
        .map_err(|e| DbError::query("advisory lock", e))
}

pub(super) fn unlock(conn: &mut DbConn, key: i32) -> Result<(), DbError> {
    let DbConn::Pg(c) = conn else { return Ok(()) };
    diesel::sql_query("SELECT pg_advisory_unlock($1, $2)")
        .bind::<Integer, _>(NAMESPACE)
        .bind::<Integer, _>(key)
        .execute(c)
        .map(|_| ())
        .map_err(|e| DbError::query("advisory unlock", e))
}

impl Store {
    /// PostgreSQL: takes the tick lock on this store's connection if it is free
    /// (`Some(false)`: another process holds it). None on SQLite.
    pub fn try_tick_lock(&mut self) -> Result<Option<bool>, DbError> {
        try_lock(&mut self.conn, TICK)
    }

    /// Who holds the tick lock, as PostgreSQL knows them: the holder's
    /// application_name (`neuroflow <host> pid <pid>`) and since when it is connected.
    pub fn tick_lock_holder(&mut self) -> Result<Option<String>, DbError> {
        let DbConn::Pg(c) = &mut self.conn else { return Ok(None) };
        diesel::sql_query(
            "SELECT a.application_name || ' (connected since ' || \
             to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC)' AS who \
             FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = $1 AND l.objid::bigint = $2 AND l.objsubid = 2",
        )
        .bind::<Integer, _>(NAMESPACE)
        .bind::<Integer, _>(TICK)
        .get_result::<Holder>(c)
        .optional()
        .map(|h| h.map(|h| h.who))
        .map_err(|e| DbError::query("who holds the tick lock", e))
    }
}
