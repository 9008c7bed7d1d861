//! What made a run, recorded before its sbatch (docs/provenance.md): the tool's
//! identity (tool_identity.rs: the image and its SHA-256, or the native command), the
//! script's and the effective configuration's hashes, neuroflow's version, the tool
//! release the script was written for and the Slurm release. The job prints the tool's
//! own answer too (`neuroflow-provenance:` lines in its stdout).

use crate::config::Config;
use crate::db::Provenance;
use crate::error::{Error, Result};
use crate::workflow::submit::tool_release::{StageTool, Tools};

pub use crate::VERSION;

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
            script_sha256: crate::digest::sha256_text(script),
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
