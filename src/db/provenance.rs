//! What made each run (image digest, script and config hashes, versions), and the
//! image digest cache that keeps hashing a multi-GB SIF to once per file version.

use super::schema::{image_digests as id, pipeline_runs as pr, run_provenance as rp, tool_releases as tr};
use super::{DbError, Store};
use crate::domain::RunStatus;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use std::collections::HashMap;

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
    /// The tool release the script was written for (`26.1.1`).
    pub tool_release: Option<String>,
    /// How that release was learned: `pinned`, `label …`, `--version`, `package metadata`.
    pub tool_release_found_by: Option<String>,
    /// The Slurm release it was submitted through (`sbatch --version`: `24.11.5`).
    pub slurm_release: Option<String>,
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

    /// The release found earlier for `key` (an image digest or a native command).
    pub fn cached_release(&mut self, key: &str, tool: &str) -> Result<Option<(String, String)>, DbError> {
        tr::table
            .find(key)
            .filter(tr::tool.eq(tool))
            .select((tr::version, tr::found_by))
            .first(&mut self.conn)
            .optional()
            .map_err(|e| DbError::query("cached tool release", e))
    }

    pub fn remember_release(&mut self, key: &str, tool: &str, version: &str, found_by: &str) -> Result<(), DbError> {
        let now = chrono::Utc::now().naive_utc();
        self.conn
            .transaction(|c| {
                diesel::delete(tr::table.find(key)).execute(c)?;
                diesel::insert_into(tr::table)
                    .values((
                        tr::key.eq(key),
                        tr::tool.eq(tool),
                        tr::version.eq(version),
                        tr::found_by.eq(found_by),
                        tr::found_at.eq(now),
                    ))
                    .execute(c)
            })
            .map_err(|e| DbError::query("remember tool release", e))?;
        Ok(())
    }

    /// The release each of `run_ids` was written for (runs without one are absent).
    pub fn releases_of_runs(&mut self, run_ids: &[i64]) -> Result<HashMap<i64, String>, DbError> {
        let mut out = HashMap::new();
        for chunk in run_ids.chunks(500) {
            let rows: Vec<(i64, Option<String>)> = rp::table
                .filter(rp::run_id.eq_any(chunk))
                .select((rp::run_id, rp::tool_release))
                .load(&mut self.conn)
                .map_err(|e| DbError::query("releases of runs", e))?;
            out.extend(rows.into_iter().filter_map(|(id, r)| Some((id, r?))));
        }
        Ok(out)
    }

    /// Current completed runs of `stage`, with the release each was made by.
    pub fn completed_runs_with_release(&mut self, stage: &str) -> Result<Vec<RunRelease>, DbError> {
        pr::table
            .left_join(rp::table)
            .filter(pr::superseded.eq(false).and(pr::status.eq(RunStatus::Completed.as_str())).and(pr::stage.eq(stage)))
            .order(pr::id.asc())
            .select((pr::id, pr::subject_id, pr::session_id, rp::tool_release.nullable()))
            .load::<(i64, i64, Option<i64>, Option<String>)>(&mut self.conn)
            .map(|rows| {
                rows.into_iter()
                    .map(|(run_id, subject_id, session_id, release)| RunRelease {
                        run_id,
                        subject_id,
                        session_id,
                        release,
                    })
                    .collect()
            })
            .map_err(|e| DbError::query("completed runs of a stage with their release", e))
    }
}

/// A completed run and the release its script was written for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRelease {
    pub run_id: i64,
    pub subject_id: i64,
    pub session_id: Option<i64>,
    pub release: Option<String>,
}
