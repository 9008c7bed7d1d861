//! The values a stage template is rendered with (pure).

use super::request::Request;
use crate::config::{Config, Pipeline, Runtime};
use crate::domain::{ParticipantLabel, SessionLabel};
use crate::releases::{self, Probe, Resolved};
use crate::stages::StageDef;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize)]
pub struct ScriptContext {
    pub job: JobSection,
    pub run: RunSection,
    pub participant: String,
    pub session: Option<String>,
    pub dicom_path: Option<String>,
    /// Session labels a subject-level run covers.
    pub sessions: Vec<String>,
    pub paths: PathsSection,
    pub tool: ToolSection,
    pub options: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Serialize)]
pub struct JobSection {
    pub name: String,
    pub output: String,
    pub error: String,
    pub partition: Option<String>,
    pub account: Option<String>,
    pub qos: Option<String>,
    pub cpus: u32,
    pub mem_mb: u64,
    /// The tool's own memory limit: `tool_mem_fraction` of `mem_mb`.
    pub tool_mem_mb: u64,
    pub gpus: u32,
    pub time: String,
    /// `afterok:1:2`, or None.
    pub dependency: Option<String>,
    pub comment: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunSection {
    pub id: i64,
    pub token: String,
    pub stage: String,
    pub attempt: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct PathsSection {
    pub bids_root: String,
    pub derivatives: String,
    pub work_dir: String,
    pub log_dir: String,
    /// The unit's work directory (the tool's --work-dir), shared by its retries so
    /// the tool resumes; removed after success unless `keep_work`.
    pub run_work: String,
    /// This job's scratch (the tool's /tmp and $HOME), removed when the job ends; job
    /// variables such as `${SLURM_TMPDIR}` in it are expanded by the shell.
    pub scratch: String,
    /// neuroflow's built-in HeuDiConv heuristic (used when options.heuristic is unset).
    pub builtin_heuristic: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ToolSection {
    pub runtime: &'static str,
    pub image: Option<String>,
    pub command: String,
    pub apptainer: String,
    pub nv: bool,
    /// Set for stages whose tool needs it (`StageDef::requires`).
    pub fs_license: Option<String>,
    pub templateflow_home: Option<String>,
    pub binds: Vec<String>,
    /// Paths the tool reads through options (bound read-only).
    pub input_binds: Vec<String>,
    pub setup: Vec<String>,
    pub keep_work: bool,
    /// The release the script is written for, and how the job checks it.
    pub release: ReleaseSection,
}

/// The tool release a script is written for (`releases`): its spellings, and how the
/// job asks the tool for its version before running it (docs/tools.md).
#[derive(Debug, Clone, Serialize)]
pub struct ReleaseSection {
    pub version: String,
    pub series: &'static str,
    pub found_by: String,
    /// `QSIPrep 26.1.x`, for messages.
    pub display: String,
    pub session_flag: &'static str,
    pub gpu_steps: bool,
    /// Arguments that make the tool print its version (a `--version` tool) …
    pub version_args: Vec<&'static str>,
    /// … or the Python code that prints its package's version (a tool without one).
    pub python_code: Option<String>,
    /// `grep -E` pattern of the line that holds the version.
    pub line_pattern: String,
    /// Every version line of this release starts with this.
    pub accept_prefix: String,
}

impl ReleaseSection {
    pub fn new(r: &Resolved) -> ReleaseSection {
        let tool = releases::tool(r.tool).expect("a resolved release names a tool of the table");
        let row = r.row();
        let (version_args, python_code, printed) = match &tool.probe {
            Probe::Flag { args, printed, .. } => (args.to_vec(), None, *printed),
            Probe::PythonMetadata { dist, .. } => {
                (vec![], Some(format!("import importlib.metadata as m; print(m.version({dist:?}))")), "{}")
            }
        };
        let prefix = printed.split("{}").next().unwrap_or_default();
        ReleaseSection {
            version: r.version.clone(),
            series: row.series,
            found_by: r.found_by.clone(),
            display: format!("{} {}.x", tool.display, row.series),
            session_flag: row.session_flag,
            gpu_steps: row.gpu_steps,
            version_args,
            python_code,
            line_pattern: format!("^{}[0-9]", regex::escape(prefix)),
            accept_prefix: format!("{prefix}{}.", row.series),
        }
    }
}

/// Who and what a script is for.
pub struct Target<'a> {
    pub participant: &'a ParticipantLabel,
    pub session: Option<&'a SessionLabel>,
    pub dicom_path: Option<&'a str>,
    pub sessions: Vec<String>,
}

/// Identity of the run being rendered.
pub struct RunIdent<'a> {
    pub id: i64,
    pub token: &'a str,
    pub attempt: u32,
}

fn text(p: &Path) -> String {
    p.display().to_string()
}

/// Longest job name; script, log, work and scratch names add at most ~30 bytes to it,
/// well within a file name's 255.
pub const MAX_JOB_NAME: usize = 96;

/// `nf-qsiprep-sub-0042` / `nf-qsirecon-sub-0042-ses-1`; names longer than
/// MAX_JOB_NAME keep their start and end in a stable hash of the whole.
pub fn job_name(stage: &str, participant: &ParticipantLabel, session: Option<&SessionLabel>) -> String {
    let full = match session {
        Some(s) => format!("nf-{stage}-{}-{}", participant.entity(), s.entity()),
        None => format!("nf-{stage}-{}", participant.entity()),
    };
    if full.len() <= MAX_JOB_NAME {
        return full;
    }
    use sha2::Digest;
    let hash: String = sha2::Sha256::digest(full.as_bytes()).iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("{}-{hash}", &full[..MAX_JOB_NAME - hash.len() - 1])
}

/// Where a run's script and logs go (`%j` is Slurm's job id).
pub struct RunPaths {
    pub script: PathBuf,
    pub stdout: PathBuf,
    pub stderr: PathBuf,
    pub work: PathBuf,
}

pub fn run_paths(cfg: &Config, stage: &str, name: &str, run_id: i64) -> RunPaths {
    let work = &cfg.paths.work_dir;
    RunPaths {
        script: work.join("scripts").join(stage).join(format!("{name}-run{run_id}.sh")),
        stdout: cfg.paths.log_dir.join(stage).join(format!("{name}-%j.out")),
        stderr: cfg.paths.log_dir.join(stage).join(format!("{name}-%j.err")),
        work: work.join("runs").join(stage).join(name),
    }
}

/// The job's scratch directory; may hold `$NAME`/`${NAME}` job variables, which the
/// template's `| env_word` filter leaves for the shell to expand.
pub fn scratch_dir(cfg: &Config, name: &str, run_id: i64) -> String {
    let base = cfg.paths.scratch.clone().unwrap_or_else(|| text(&cfg.paths.work_dir.join("scratch")));
    format!("{base}/{name}-run{run_id}")
}

/// What runs: the stage, its configuration section and the release its tool holds.
pub struct Stage<'a> {
    pub def: &'a StageDef,
    pub pipe: &'a Pipeline,
    pub release: &'a Resolved,
}

/// Builds the template context of one run.
pub fn context(
    cfg: &Config,
    stage: &Stage,
    target: &Target,
    run: &RunIdent,
    req: &Request,
    dependencies: &[String],
) -> ScriptContext {
    let Stage { def, pipe, release } = *stage;
    let name = job_name(def.name, target.participant, target.session);
    let paths = run_paths(cfg, def.name, &name, run.id);
    let c = &cfg.containers;
    ScriptContext {
        job: JobSection {
            name: name.clone(),
            output: text(&paths.stdout),
            error: text(&paths.stderr),
            partition: req.partition.clone(),
            account: req.account.clone(),
            qos: req.qos.clone(),
            cpus: req.cpus,
            mem_mb: req.mem_mb,
            tool_mem_mb: ((req.mem_mb as f64) * pipe.tool_mem_fraction).floor().max(1.0) as u64,
            gpus: req.gpus,
            time: req.time_text(),
            dependency: (!dependencies.is_empty()).then(|| format!("afterok:{}", dependencies.join(":"))),
            comment: format!("neuroflow:run={}:token={}", run.id, run.token),
        },
        run: RunSection { id: run.id, token: run.token.to_string(), stage: def.name.to_string(), attempt: run.attempt },
        participant: target.participant.to_string(),
        session: target.session.map(|s| s.to_string()),
        dicom_path: target.dicom_path.map(str::to_string),
        sessions: target.sessions.clone(),
        paths: PathsSection {
            bids_root: text(&cfg.paths.bids_root),
            derivatives: text(&cfg.paths.derivatives),
            work_dir: text(&cfg.paths.work_dir),
            log_dir: text(&cfg.paths.log_dir),
            run_work: text(&paths.work),
            scratch: scratch_dir(cfg, &name, run.id),
            builtin_heuristic: text(&cfg.paths.work_dir.join("heuristic.py")),
        },
        tool: ToolSection {
            runtime: match pipe.runtime {
                Runtime::Apptainer => "apptainer",
                Runtime::Native => "native",
            },
            image: pipe.image.as_deref().map(text),
            command: pipe.command.clone().unwrap_or_else(|| def.tool.to_string()),
            apptainer: c.apptainer.clone(),
            nv: req.gpus > 0,
            fs_license: c.fs_license.as_deref().filter(|_| def.requires.fs_license).map(text),
            templateflow_home: c.templateflow_home.as_deref().filter(|_| def.requires.templateflow).map(text),
            binds: c.binds.clone(),
            input_binds: pipe.input_paths(def).into_iter().map(|(_, p)| p).collect(),
            setup: pipe.setup.clone(),
            keep_work: pipe.keep_work,
            release: ReleaseSection::new(release),
        },
        options: spelled(pipe.template_options(def), release.row()),
    }
}

/// Option values as `release` spells them (QSIPrep 1.0: `first-alphabetically`).
fn spelled(
    mut options: BTreeMap<String, serde_json::Value>,
    release: &releases::Release,
) -> BTreeMap<String, serde_json::Value> {
    for sp in release.spelled {
        if let Some(v) = options.get_mut(sp.option)
            && v.as_str() == Some(sp.value)
        {
            *v = serde_json::Value::String(sp.as_.to_string());
        }
    }
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_names_stay_short_and_stable_whatever_the_labels() {
        let p = ParticipantLabel::new("0042").unwrap();
        let s = SessionLabel::new("202401151430").unwrap();
        assert_eq!(job_name("qsirecon", &p, Some(&s)), "nf-qsirecon-sub-0042-ses-202401151430");
        let long_p = ParticipantLabel::new("P".repeat(64)).unwrap();
        let (a, b) = (SessionLabel::new("A".repeat(64)).unwrap(), SessionLabel::new("B".repeat(64)).unwrap());
        let na = job_name("bids_conversion", &long_p, Some(&a));
        assert_eq!(na.len(), MAX_JOB_NAME);
        assert_eq!(na, job_name("bids_conversion", &long_p, Some(&a)), "stable");
        assert_ne!(na, job_name("bids_conversion", &long_p, Some(&b)), "distinct units stay distinct");
        assert!(na.starts_with("nf-bids_conversion-sub-PPPP"), "{na}");
        let longest = format!("{na}-run{}.sh.tmp", i64::MAX);
        assert!(longest.len() < 255, "{longest}");
    }
}
