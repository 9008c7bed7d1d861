//! What made each run (image digest, script and config hashes, versions), and the
//! image digest cache that keeps hashing a multi-GB SIF to once per file version.

use super::schema::{image_digests as id, run_provenance as rp};
use super::{DbError, Store};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, PartialEq)]
#[diesel(table_name = rp)]
pub struct Provenance {
    pub run_id: i64,
    pub neuroflow_version: String,
    /// SHA-256 of the effective configuration (as `config check --format json` prints it).
    pub config_sha256: String,
    /// SHA-256 of the rendered job script: the full invocation.
    pub script_sha256: String,
    /// `apptainer` or `native`.
    pub runtime: String,
    pub image_path: Option<String>,
    pub image_sha256: Option<String>,
    /// The native command as resolved on the submitting host's PATH.
    pub command_path: Option<String>,
    pub recorded_at: NaiveDateTime,
}

/// A file version: the digest cache key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileVersion {
    pub size_bytes: i64,
    pub mtime_ns: i64,
}

impl Store {
    /// Records what made a run (once; a second call for the same run is ignored).
    pub fn record_provenance(&mut self, p: &Provenance) -> Result<(), DbError> {
        let c = &mut self.conn;
        let known =
            rp::table.find(p.run_id).count().get_result::<i64>(c).map_err(|e| DbError::query("provenance", e))?;
        if known == 0 {
            diesel::insert_into(rp::table).values(p).execute(c).map_err(|e| DbError::query("record provenance", e))?;
        }
        Ok(())
    }

    pub fn provenance_of(&mut self, run_id: i64) -> Result<Option<Provenance>, DbError> {
        rp::table
            .find(run_id)
            .select(Provenance::as_select())
            .first(&mut self.conn)
            .optional()
            .map_err(|e| DbError::query("provenance of run", e))
    }

    /// The stored digest of `path` if the file has not changed since it was hashed.
    pub fn cached_digest(&mut self, path: &str, v: FileVersion) -> Result<Option<String>, DbError> {
        id::table
            .find(path)
            .filter(id::size_bytes.eq(v.size_bytes).and(id::mtime_ns.eq(v.mtime_ns)))
            .select(id::sha256)
            .first(&mut self.conn)
            .optional()
            .map_err(|e| DbError::query("cached image digest", e))
    }

    pub fn remember_digest(&mut self, path: &str, v: FileVersion, sha256: &str) -> Result<(), DbError> {
        let now = chrono::Utc::now().naive_utc();
        self.conn
            .transaction(|c| {
                diesel::delete(id::table.find(path)).execute(c)?;
                diesel::insert_into(id::table)
                    .values((
                        id::path.eq(path),
                        id::size_bytes.eq(v.size_bytes),
                        id::mtime_ns.eq(v.mtime_ns),
                        id::sha256.eq(sha256),
                        id::computed_at.eq(now),
                    ))
                    .execute(c)
            })
            .map_err(|e| DbError::query("remember image digest", e))?;
        Ok(())
    }
}
