//! Loading the mapping table: a CSV file, or a CSV fetched over HTTP(S) with the
//! last good copy kept so that an unreachable sheet is a warning, not a failed tick.

use super::mapping::{MappingError, MappingTable, parse_csv};
use crate::config::Mapping;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot read mapping file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("mapping file {path}: {source}")]
    Parse { path: PathBuf, source: MappingError },
    #[error("cannot fetch the mapping table from {url} ({reason}) and no earlier copy is cached at {cache}")]
    Unreachable { url: String, reason: String, cache: PathBuf },
}

impl SourceError {
    /// A sheet that cannot be reached may be back next tick.
    pub fn is_transient(&self) -> bool {
        matches!(self, SourceError::Unreachable { .. })
    }
}

/// Where the table in use came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    File(PathBuf),
    Fetched(String),
    /// The fetch failed (reason); the last good copy was used.
    Cached {
        url: String,
        reason: String,
    },
}

/// The mapping in use: its text, read each tick, and its table, parsed only when a
/// tick needs it (a folder to register, or changed identity inputs).
#[derive(Debug, Clone)]
pub struct LoadedMapping {
    pub origin: Origin,
    /// SHA-256 of the table's text: what identity checks compare between ticks.
    pub digest: String,
    text: String,
    columns: (String, String),
    table: std::cell::OnceCell<MappingTable>,
}

impl LoadedMapping {
    fn new(text: String, origin: Origin, cfg: &Mapping, table: Option<MappingTable>) -> LoadedMapping {
        let digest = crate::digest::sha256_text(&text);
        let columns = (cfg.scan_id_column.clone(), cfg.subject_code_column.clone());
        LoadedMapping { origin, digest, text, columns, table: table.map(std::cell::OnceCell::from).unwrap_or_default() }
    }

    /// The parsed table (parsed on first use).
    pub fn table(&self) -> Result<&MappingTable, SourceError> {
        if let Some(t) = self.table.get() {
            return Ok(t);
        }
        let path = match &self.origin {
            Origin::File(p) => p.clone(),
            Origin::Fetched(u) | Origin::Cached { url: u, .. } => PathBuf::from(u),
        };
        let t = parse_csv(&self.text, &self.columns.0, &self.columns.1)
            .map_err(|source| SourceError::Parse { path, source })?;
        Ok(self.table.get_or_init(|| t))
    }
}

/// Loads the mapping. `cache` is where the last good fetched copy lives;
/// `keep_copy` false (dry runs) leaves it untouched.
pub fn load(cfg: &Mapping, cache: &Path, keep_copy: bool) -> Result<LoadedMapping, SourceError> {
    let parse = |text: &str| parse_csv(text, &cfg.scan_id_column, &cfg.subject_code_column);
    if let Some(path) = &cfg.csv_file {
        let text = std::fs::read_to_string(path).map_err(|source| SourceError::Read { path: path.clone(), source })?;
        return Ok(LoadedMapping::new(text, Origin::File(path.clone()), cfg, None));
    }
    let url = cfg.url.clone().unwrap_or_default();
    let fetched = fetch(&url, Duration::from_secs(cfg.fetch_timeout_seconds))
        .and_then(|text| parse(&text).map(|t| (text, t)).map_err(|e| format!("not a usable mapping table: {e}")));
    match fetched {
        Ok((text, table)) => {
            if keep_copy && let Err(e) = write_atomically(cache, &text) {
                tracing::warn!(cache = %cache.display(), error = %e, "cannot keep a copy of the mapping table");
            }
            Ok(LoadedMapping::new(text, Origin::Fetched(url), cfg, Some(table)))
        }
        Err(reason) => {
            let cached = std::fs::read_to_string(cache).ok().and_then(|t| parse(&t).ok().map(|table| (t, table)));
            match cached {
                Some((text, table)) => {
                    tracing::warn!(%url, %reason, cache = %cache.display(), "mapping table unreachable; using the last good copy");
                    Ok(LoadedMapping::new(text, Origin::Cached { url, reason }, cfg, Some(table)))
                }
                None => Err(SourceError::Unreachable { url, reason, cache: cache.to_path_buf() }),
            }
        }
    }
}

fn fetch(url: &str, timeout: Duration) -> Result<String, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder().timeout_global(Some(timeout)).build().into();
    let mut response = agent.get(url).call().map_err(|e| e.to_string())?;
    response.body_mut().read_to_string().map_err(|e| e.to_string())
}

fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(tmp, path)
}
