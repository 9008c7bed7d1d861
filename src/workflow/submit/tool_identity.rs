//! Which tool a stage runs, as the submitting host sees it: the image and its SHA-256
//! (hashed once per file version, cached in the store by path, size and mtime), or the
//! native command as resolved on PATH.

use crate::config::{Config, Runtime};
use crate::db::{FileVersion, Store};
use crate::error::{Error, Result};
use std::path::Path;

/// How a stage's tool is identified; computed once per stage per tick.
#[derive(Debug, Clone, Default)]
pub struct ToolIdentity {
    pub runtime: String,
    pub image_path: Option<String>,
    pub image_sha256: Option<String>,
    pub command_path: Option<String>,
}

/// How `stage`'s tool is identified: the image and its digest, or the command.
pub fn tool_identity(cfg: &Config, store: Option<&mut Store>, stage: &str) -> Result<ToolIdentity> {
    let Some(pipe) = cfg.pipeline(stage) else { return Ok(ToolIdentity::default()) };
    let def = crate::stages::stage(stage);
    match pipe.runtime {
        Runtime::Apptainer => {
            let image = pipe.image.as_deref().unwrap_or(Path::new(""));
            Ok(ToolIdentity {
                runtime: "apptainer".into(),
                image_path: Some(image.display().to_string()),
                image_sha256: Some(image_digest(store, image)?),
                command_path: None,
            })
        }
        Runtime::Native => {
            let command = pipe.command.clone().or_else(|| def.map(|d| d.tool.to_string())).unwrap_or_default();
            // `setup` lines may change PATH on the node: the job prints `command -v` too.
            let resolved = which::which(&command).map(|p| p.display().to_string()).unwrap_or(command);
            Ok(ToolIdentity { runtime: "native".into(), command_path: Some(resolved), ..Default::default() })
        }
    }
}

/// SHA-256 of an image file, from the cache when its size and mtime are unchanged
/// (without a store: hashed, not remembered).
pub fn image_digest(store: Option<&mut Store>, path: &Path) -> Result<String> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io("read", path, e))?;
    let mtime = meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
    let v = FileVersion {
        size_bytes: i64::try_from(meta.len()).unwrap_or(i64::MAX),
        mtime_ns: mtime.map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)),
    };
    let key = path.display().to_string();
    let mut store = store;
    if let Some(s) = store.as_deref_mut()
        && let Some(hit) = s.cached_digest(&key, v)?
    {
        return Ok(hit);
    }
    let started = std::time::Instant::now();
    let digest = crate::digest::sha256_file(path).map_err(|e| Error::io("read", path, e))?;
    tracing::info!(image = %key, sha256 = %digest, seconds = started.elapsed().as_secs_f64(), "hashed container image");
    if let Some(s) = store {
        s.remember_digest(&key, v, &digest)?;
    }
    Ok(digest)
}
