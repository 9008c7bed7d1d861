//! A site wired to the real local Slurm with stand-in tools (and, optionally,
//! the real HeuDiConv + dcm2niix from the test venv).

use super::db::TestDb;
use super::site::Site;
use serde_json::Value;
use std::path::{Path, PathBuf};

pub fn standins() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/standins")
}

/// The venv of scripts/python-env.sh; tests that need it fail when it is missing.
pub fn venv() -> PathBuf {
    let v = PathBuf::from(std::env::var("NEUROFLOW_VENV").unwrap_or_else(|_| "/opt/neuroflow-venv".into()));
    assert!(v.join("bin/heudiconv").is_file(), "{} has no heudiconv: run `bash scripts/python-env.sh`", v.display());
    v
}

/// The real tools of scripts/tool-envs.sh (QSIParc, QSIPrep's parsers); tests that need
/// them fail when they are missing.
pub fn tools() -> PathBuf {
    let t = PathBuf::from(std::env::var("NEUROFLOW_TOOLS").unwrap_or_else(|_| "/opt/neuroflow-tools".into()));
    assert!(t.join("qsiparc/bin/qsiparc").is_file(), "{} has no qsiparc: run `bash scripts/tool-envs.sh`", t.display());
    t
}

/// The folders an image that holds `venv` must contain: the venv and the Python
/// installation it was made from.
pub fn venv_image_dirs(venv: &Path) -> Vec<String> {
    let python = std::fs::canonicalize(venv.join("bin/python3")).unwrap();
    let prefix = python.parent().and_then(Path::parent).unwrap().display().to_string();
    vec![venv.display().to_string(), prefix]
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Runtime {
    /// Each tool as a plain command.
    Native,
    /// Each tool inside its "image" through the bubblewrap Apptainer stand-in.
    Apptainer,
}

pub struct ChainOpts {
    pub real_heudiconv: bool,
    pub runtime: Runtime,
    pub qsiprep_mem_gb: f64,
    pub max_attempts: u32,
    pub bids_max_concurrent: u32,
    pub qsirecon_max_concurrent: u32,
    pub max_live_jobs: u32,
}

impl Default for ChainOpts {
    fn default() -> Self {
        ChainOpts {
            real_heudiconv: false,
            runtime: Runtime::Native,
            qsiprep_mem_gb: 0.5,
            max_attempts: 2,
            bids_max_concurrent: 8,
            qsirecon_max_concurrent: 8,
            max_live_jobs: 100,
        }
    }
}

/// The recon spec the chain tests use: built in, no FreeSurfer outputs needed; QSIRecon
/// writes it to `derivatives/qsirecon-DSIStudio/`.
pub const RECON_SUFFIX: &str = "DSIStudio";

/// Writes a stand-in "SIF" (tests/fixtures/standins/apptainer says the format).
fn image(dir: &Path, name: &str, runscript: &str, contains: &[String], env: &[&str]) -> String {
    let mut text = format!("#!neuroflow-standin-sif\nrunscript: {runscript}\n");
    for c in contains {
        text.push_str(&format!("contains: {c}\n"));
    }
    for e in env {
        text.push_str(&format!("env: {e}\n"));
    }
    let path = dir.join(format!("{name}.sif"));
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// How a stage's tool is started: `runtime: native` + command, or an image.
fn tool(runtime: Runtime, dir: &Path, name: &str, command: &str, contains: &[String], env: &[&str]) -> String {
    match runtime {
        Runtime::Native => format!("runtime: native\n    command: {command}"),
        Runtime::Apptainer => format!("image: {}", image(dir, name, command, contains, env)),
    }
}

/// A site whose pipelines run on the local cluster with stand-in tools.
pub fn site(db: TestDb, o: &ChainOpts) -> Site {
    let site = Site::new(db, "");
    let root = site.root().to_path_buf();
    let s = standins().display().to_string();
    let images = root.join("images");
    std::fs::create_dir_all(&images).unwrap();
    // A FreeSurfer licence and a pre-filled TemplateFlow cache, as a site has them.
    std::fs::write(root.join("license.txt"), "neuroflow@example.org\n12345\n").unwrap();
    std::fs::create_dir_all(root.join("templateflow/tpl-MNI152NLin2009cAsym")).unwrap();
    let (heudiconv, setup) = if o.real_heudiconv {
        let v = venv().display().to_string();
        let cmd = format!("{v}/bin/heudiconv");
        let path = format!("PATH={v}/bin:/usr/local/bin:/usr/bin:/bin");
        // The image holds the venv and the Python it was made from.
        let t = tool(o.runtime, &images, "heudiconv", &cmd, &venv_image_dirs(&venv()), &[&path, "NO_ET=1"]);
        (t, format!("['export PATH={v}/bin:$PATH', 'export NO_ET=1']"))
    } else {
        (
            tool(o.runtime, &images, "heudiconv", &format!("{s}/heudiconv"), std::slice::from_ref(&s), &[]),
            "[]".to_string(),
        )
    };
    let tool = |name: &str| tool(o.runtime, &images, name, &format!("{s}/{name}"), std::slice::from_ref(&s), &[]);
    // The real QSIParc (PyPI 0.1.2), natively or in an image that holds its venv.
    let qsiparc = tools().join("qsiparc");
    let q = qsiparc.display().to_string();
    let parc = self::tool(
        o.runtime,
        &images,
        "qsiparc",
        &format!("{q}/bin/qsiparc"),
        &venv_image_dirs(&qsiparc),
        &[&format!("PATH={q}/bin:/usr/local/bin:/usr/bin:/bin")],
    );
    let yaml = format!(
        r#"mapping: {{csv_file: mapping.csv}}
discovery: {{stability_minutes: 0}}
slurm: {{partition: debug, poll_interval_seconds: 1, max_live_jobs: {live}}}
containers:
  apptainer: {s}/apptainer
  fs_license: {root}/license.txt
  templateflow_home: {root}/templateflow
pipelines:
  bids_conversion:
    {heudiconv}
    setup: {setup}
    resources: {{cpus: 1, mem_gb: 1, time: 10}}
    max_concurrent: {bmc}
    max_attempts: {att}
  qsiprep:
    {prep}
    resources: {{cpus: 2, mem_gb: {qmem}, time: 10}}
    max_concurrent: 8
    max_attempts: {att}
    retry: {{mem_factor: 2, max_mem_gb: 2}}
    options: {{output_resolution: 2}}
  qsirecon:
    {recon}
    resources: {{cpus: 1, mem_gb: 0.5, time: 10}}
    max_concurrent: {rmc}
    max_attempts: {att}
    options: {{recon_spec: dsi_studio_gqi, atlases: [4S156Parcels], datasets: {{atlaspack: {root}/atlases}}}}
  qsiparc:
    {parc}
    resources: {{cpus: 1, mem_gb: 0.5, time: 10}}
    max_concurrent: 8
    max_attempts: {att}
    options: {{atlases: [4S156Parcels]}}
"#,
        root = root.display(),
        live = o.max_live_jobs,
        bmc = o.bids_max_concurrent,
        rmc = o.qsirecon_max_concurrent,
        att = o.max_attempts,
        qmem = o.qsiprep_mem_gb,
        prep = tool("qsiprep"),
        recon = tool("qsirecon"),
        parc = parc,
    );
    std::fs::create_dir_all(root.join("atlases")).unwrap();
    let base = std::fs::read_to_string(site.config()).unwrap();
    std::fs::write(site.config(), base + &yaml).unwrap();
    site.set_mapping(&[]);
    site
}

/// Parses the JSON lines `workflow run --format json` prints (one per tick).
pub fn ticks(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("tick report is not JSON ({e}): {l}")))
        .collect()
}

/// Current runs as JSON rows.
pub fn runs(site: &Site, all: bool) -> Vec<Value> {
    let mut args = vec!["runs", "list"];
    if all {
        args.push("--all");
    }
    site.json(&args).as_array().unwrap().clone()
}

pub fn find<'a>(rows: &'a [Value], stage: &str, participant: &str) -> Vec<&'a Value> {
    rows.iter().filter(|r| r["stage"] == stage && r["participant"] == participant).collect()
}
