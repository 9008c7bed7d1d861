//! The configuration file's shape. Unknown keys are errors everywhere.

use super::values::{Cpus, Gpus, MemMb, Pattern, SlurmName, WallTime};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub paths: Paths,
    #[serde(default)]
    pub database: Database,
    /// Required unless `discovery.path_pattern` names the subject in the path.
    pub mapping: Option<Mapping>,
    #[serde(default)]
    pub discovery: Discovery,
    pub protocol: Protocol,
    #[serde(default)]
    pub slurm: SlurmSection,
    #[serde(default)]
    pub containers: Containers,
    #[serde(default)]
    pub templates: Templates,
    #[serde(default)]
    pub pipelines: BTreeMap<StageKey, Pipeline>,
    /// Notifications (absent: none).
    pub notify: Option<super::notify::Notify>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Paths {
    pub dicom_incoming: PathBuf,
    pub bids_root: PathBuf,
    pub derivatives: PathBuf,
    pub work_dir: PathBuf,
    pub log_dir: PathBuf,
    /// Where each job's scratch (the tool's `/tmp` and `$HOME`) is made, on the compute
    /// node; may name job variables as `$NAME`/`${NAME}` (e.g. `${SLURM_TMPDIR}`).
    /// Absent => `<work_dir>/scratch`.
    pub scratch: Option<String>,
    /// A folder where each tick that changed something writes the static status page
    /// `index.html` (self-contained; publish the folder with any web server).
    pub status_page: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Database {
    /// `sqlite:///abs/path.db` or `postgres://...`; absent => `<work_dir>/neuroflow.db`.
    pub url: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    pub csv_file: Option<PathBuf>,
    pub url: Option<String>,
    #[serde(default = "default_scan_id_column")]
    pub scan_id_column: String,
    #[serde(default = "default_subject_code_column")]
    pub subject_code_column: String,
    /// Numeric subject codes are zero-padded to this many digits (0 = never).
    #[serde(default = "default_pad")]
    pub pad_numeric_to: u8,
    #[serde(default = "default_fetch_timeout")]
    pub fetch_timeout_seconds: u64,
}

fn default_scan_id_column() -> String {
    "ScanID".into()
}
fn default_subject_code_column() -> String {
    "SubjectCode".into()
}
fn default_pad() -> u8 {
    4
}
fn default_fetch_timeout() -> u64 {
    20
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Discovery {
    #[serde(default = "default_stability")]
    pub stability_minutes: u64,
    /// Regex over a session folder's path relative to dicom_incoming, with named
    /// groups `subject` and `session`; absent => one folder per ScanID.
    pub path_pattern: Option<String>,
}

fn default_stability() -> u64 {
    10
}

impl Default for Discovery {
    fn default() -> Self {
        Discovery { stability_minutes: default_stability(), path_pattern: None }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Protocol {
    pub required_scans: Vec<ScanRule>,
    #[serde(default)]
    pub optional_scans: Vec<ScanRule>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScanRule {
    pub name: String,
    pub series_description_pattern: Pattern,
    #[serde(default = "one")]
    pub min_files: u32,
    pub max_files: Option<u32>,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SlurmSection {
    pub partition: Option<SlurmName>,
    pub account: Option<SlurmName>,
    pub qos: Option<SlurmName>,
    /// Cap on all of neuroflow's live jobs (sites cap users at 100-1000).
    #[serde(default = "default_max_live")]
    pub max_live_jobs: u32,
    /// Seconds before an sbatch/squeue/sacct/scancel call is killed.
    #[serde(default = "default_cmd_timeout")]
    pub command_timeout_seconds: u64,
    /// Seconds between polls while `--sync` waits.
    #[serde(default = "default_poll")]
    pub poll_interval_seconds: u64,
    /// Polls a job may be missing from squeue and sacct before its run is `lost`.
    #[serde(default = "default_unknown_polls")]
    pub unknown_after_polls: u32,
    /// Submit the ready runs of a stage as one job array per tick (docs/arrays.md).
    #[serde(default)]
    pub arrays: bool,
    /// At most this many tasks of one array run at once (`--array=...%N`).
    #[serde(default)]
    pub array_throttle: Option<u32>,
}

fn default_max_live() -> u32 {
    500
}
fn default_cmd_timeout() -> u64 {
    30
}
fn default_poll() -> u64 {
    30
}
fn default_unknown_polls() -> u32 {
    5
}

impl Default for SlurmSection {
    fn default() -> Self {
        SlurmSection {
            partition: None,
            account: None,
            qos: None,
            max_live_jobs: default_max_live(),
            command_timeout_seconds: default_cmd_timeout(),
            poll_interval_seconds: default_poll(),
            unknown_after_polls: default_unknown_polls(),
            arrays: false,
            array_throttle: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Containers {
    #[serde(default = "default_apptainer")]
    pub apptainer: String,
    /// FreeSurfer licence file; required by stages whose tool refuses to start without
    /// one (qsirecon). Bound read-only and passed as `--fs-license-file`.
    pub fs_license: Option<PathBuf>,
    /// A pre-filled TemplateFlow cache, bound and passed as TEMPLATEFLOW_HOME (exported
    /// in native runs too); required under Apptainer for stages that fetch templates.
    pub templateflow_home: Option<PathBuf>,
    /// Extra `--bind` specs added to every container run (e.g. for paths in `extra_args`).
    #[serde(default)]
    pub binds: Vec<String>,
}

fn default_apptainer() -> String {
    "apptainer".into()
}

impl Default for Containers {
    fn default() -> Self {
        Containers { apptainer: default_apptainer(), fs_license: None, templateflow_home: None, binds: vec![] }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Templates {
    /// A site directory whose `<stage>.sh.tera` files replace the built-in ones.
    pub dir: Option<PathBuf>,
}

/// A key under `pipelines:`; must name a stage of the chain.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct StageKey(pub String);

impl<'de> Deserialize<'de> for StageKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::values::checked(d, "a stage name", |raw| StageKey::try_from(raw.text()))
    }
}

impl TryFrom<String> for StageKey {
    type Error = String;
    fn try_from(v: String) -> Result<Self, String> {
        match crate::stages::stage(&v) {
            Some(_) => Ok(StageKey(v)),
            None => Err(format!("unknown pipeline `{v}`; the stages are: {}", crate::stages::names().join(", "))),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Runtime {
    /// `apptainer run --cleanenv --containall` on `image`.
    #[default]
    Apptainer,
    /// `command` run as is (environment modules, tests).
    Native,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Pipeline {
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub runtime: Runtime,
    /// Container image (runtime: apptainer).
    pub image: Option<PathBuf>,
    /// Executable (runtime: native); defaults to the tool's usual name.
    pub command: Option<String>,
    /// The tool release this stage runs (e.g. "26.1.1"); without it neuroflow asks the
    /// image (or command) once per digest and renders the line for what it finds.
    pub version: Option<super::values::ReleasePin>,
    /// Shell lines run before the tool (e.g. `module load qsiprep/1.0`); trusted, not quoted.
    #[serde(default)]
    pub setup: Vec<String>,
    pub resources: Resources,
    pub max_concurrent: Option<u32>,
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    #[serde(default)]
    pub retry: Retry,
    /// The tool's own memory limit (`--mem-mb`) as a fraction of the Slurm request, so
    /// the tool stops before the cgroup kills it.
    #[serde(default = "default_tool_mem_fraction")]
    pub tool_mem_fraction: f64,
    /// Keep the unit's work directory after success (it is always kept for retries).
    #[serde(default)]
    pub keep_work: bool,
    /// Subject-level stages: when a subject gains a session while its run is live,
    /// cancel that run (and its downstream) at once and start over with every session,
    /// rather than let it finish work that will be redone.
    #[serde(default = "yes")]
    pub restart_on_new_session: bool,
    /// Stage-specific settings passed to the template (see docs/configuration.md).
    #[serde(default)]
    pub options: BTreeMap<String, serde_yaml::Value>,
}

fn yes() -> bool {
    true
}
fn default_attempts() -> u32 {
    3
}
fn default_tool_mem_fraction() -> f64 {
    0.9
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    pub cpus: Cpus,
    #[serde(rename = "mem_gb")]
    pub mem: MemMb,
    #[serde(default)]
    pub gpus: Gpus,
    pub time: WallTime,
    pub partition: Option<SlurmName>,
    pub account: Option<SlurmName>,
    pub qos: Option<SlurmName>,
}

/// How a run that died of OUT_OF_MEMORY or TIMEOUT is resubmitted.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Retry {
    #[serde(default = "default_factor")]
    pub mem_factor: f64,
    #[serde(default = "default_factor")]
    pub time_factor: f64,
    pub max_mem_gb: Option<MemMb>,
    pub max_time: Option<WallTime>,
}

fn default_factor() -> f64 {
    1.5
}

impl Default for Retry {
    fn default() -> Self {
        Retry { mem_factor: default_factor(), time_factor: default_factor(), max_mem_gb: None, max_time: None }
    }
}

impl Serialize for Cpus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(self.0)
    }
}

impl Serialize for Gpus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(self.0)
    }
}
