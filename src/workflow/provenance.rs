//! What made a run, recorded before its sbatch (docs/provenance.md): the image and
//! its SHA-256 (hashed once per file version, cached in the store by path, size and
//! mtime) or the native command's resolved path, the script's and the effective
//! configuration's hashes, neuroflow's version and the tool release the script was
//! written for (`tool_release`). The job prints the tool's own answer too
//! (`neuroflow-provenance:` lines in its stdout).

use super::tool_release::{StageTool, Tools};
use crate::config::{Config, Runtime};
use crate::db::{FileVersion, Provenance, Store};
use crate::error::{Error, Result};
use sha2::Digest;
use std::io::Read;
use std::path::Path;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The prefix of the line a job prints with the tool's version (templates/_base.sh.tera).
pub const STDOUT_PREFIX: &str = "neuroflow-provenance:";

/// How a stage's tool is identified; computed once per stage per tick.
#[derive(Debug, Clone, Default)]
pub struct ToolIdentity {
    pub runtime: String,
    pub image_path: Option<String>,
    pub image_sha256: Option<String>,
    pub command_path: Option<String>,
}

/// The tools of the stages submitted in one tick (identity and release), and the
/// config hash.
pub struct Recorder {
    config_sha256: String,
    pub tools: Tools,
    /// The Slurm release the jobs go through (`sbatch --version`).
    pub slurm_release: Option<String>,
}

impl Recorder {
    pub fn new(cfg: &Config, tools: Tools, slurm_release: Option<String>) -> Self {
        Recorder { config_sha256: crate::config::effective::sha256(cfg), tools, slurm_release }
    }

    /// The provenance of run `run_id` of `tool`'s stage, whose script is `script`.
    pub fn of(&self, tool: &StageTool, run_id: i64, script: &str) -> Provenance {
        let t = &tool.identity;
        Provenance {
            run_id,
            neuroflow_version: VERSION.to_string(),
            config_sha256: self.config_sha256.clone(),
            script_sha256: sha256_text(script),
            runtime: t.runtime.clone(),
            image_path: t.image_path.clone(),
            image_sha256: t.image_sha256.clone(),
            command_path: t.command_path.clone(),
            // Microseconds: what PostgreSQL keeps.
            recorded_at: chrono::SubsecRound::trunc_subsecs(chrono::Utc::now().naive_utc(), 6),
            tool_release: Some(tool.release.version.clone()),
            tool_release_found_by: Some(tool.release.found_by.clone()),
            slurm_release: self.slurm_release.clone(),
        }
    }
}

pub fn sha256_text(text: &str) -> String {
    format!("{:x}", sha2::Sha256::digest(text.as_bytes()))
}

/// The SHA-256 of pieces of text, each followed by a newline (no joined copy; not
/// the digest of the same text given whole).
pub fn sha256_parts<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut h = sha2::Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update(b"\n");
    }
    format!("{:x}", h.finalize())
}

/// How `stage`'s tool is identified: the image and its digest, or the command.
pub(super) fn tool_identity(cfg: &Config, store: Option<&mut Store>, stage: &str) -> Result<ToolIdentity> {
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
    let digest = sha256_file(path)?;
    tracing::info!(image = %key, sha256 = %digest, seconds = started.elapsed().as_secs_f64(), "hashed container image");
    if let Some(s) = store {
        s.remember_digest(&key, v, &digest)?;
    }
    Ok(digest)
}

fn sha256_file(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::io("read", path, e))?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io("read", path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(format!("{:x}", h.finalize()))
}

/// The raw BIDS dataset names who made it (BIDS `GeneratedBy`): neuroflow, which
/// scheduled the conversion, and HeuDiConv, which converted. HeuDiConv writes
/// `dataset_description.json` only when it is missing (heudiconv/bids.py
/// `populate_bids_templates`), so neuroflow writes it first, or adds itself to an
/// existing one, keeping every other key as it was.
pub fn ensure_bids_generated_by(cfg: &Config) -> Result<()> {
    let path = cfg.paths.bids_root.join("dataset_description.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io("read", &path, e)),
    };
    let Some(updated) = with_generated_by(text.as_deref(), cfg) else { return Ok(()) };
    std::fs::create_dir_all(&cfg.paths.bids_root).map_err(|e| Error::io("create", &cfg.paths.bids_root, e))?;
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, updated).map_err(|e| Error::io("write", &tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| Error::io("write", &path, e))
}

/// The description with neuroflow and the converter in `GeneratedBy`, or None when
/// they are there already (or the file is not a JSON object: it is left alone).
fn with_generated_by(existing: Option<&str>, cfg: &Config) -> Option<String> {
    use serde_json::{Value, json};
    let mut doc: Value = match existing {
        Some(t) => serde_json::from_str(t).ok()?,
        None => json!({"Name": "neuroflow raw BIDS dataset", "BIDSVersion": "1.8.0", "DatasetType": "raw"}),
    };
    let list = doc.as_object_mut()?.entry("GeneratedBy").or_insert_with(|| json!([]));
    let entries = list.as_array_mut()?;
    if entries.iter().any(|e| e["Name"] == "neuroflow") {
        return None;
    }
    entries.push(json!({"Name": "neuroflow", "Version": VERSION,
        "Description": "found the DICOM sessions and scheduled their conversion on Slurm"}));
    let mut converter = json!({"Name": "heudiconv", "Description": "converted DICOM to BIDS"});
    if let Some(image) = cfg.pipeline("bids_conversion").and_then(|p| p.image.as_ref()) {
        converter["Container"] = json!({"Type": "apptainer", "URI": image.display().to_string()});
    }
    if !entries.iter().any(|e| e["Name"].as_str().is_some_and(|n| n.eq_ignore_ascii_case("heudiconv"))) {
        entries.push(converter);
    }
    serde_json::to_string_pretty(&doc).ok().map(|t| t + "\n")
}

/// The `key=value` pairs of the provenance lines a job printed (its tool version
/// and resolved command), read from the head of its stdout log.
pub fn from_stdout(log: &str) -> Vec<(String, String)> {
    log.lines()
        .take(200)
        .filter_map(|l| l.strip_prefix(STDOUT_PREFIX))
        .filter_map(|rest| rest.trim().split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_jobs_provenance_lines_are_read_from_its_stdout() {
        let log = "neuroflow: run=3 stage=qsiprep\nneuroflow-provenance: tool_version=QSIPrep v26.0.0\n\
                   neuroflow-provenance: tool_path=/usr/bin/qsiprep\nother=1\n";
        assert_eq!(
            from_stdout(log),
            vec![
                ("tool_version".to_string(), "QSIPrep v26.0.0".to_string()),
                ("tool_path".to_string(), "/usr/bin/qsiprep".to_string())
            ]
        );
    }

    #[test]
    fn file_digests_are_sha256() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("img.sif");
        std::fs::write(&p, b"abc").unwrap();
        assert_eq!(sha256_file(&p).unwrap(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
