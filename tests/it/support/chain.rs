//! A site wired to the real local Slurm with stand-in tools (and, optionally,
//! the real HeuDiConv + dcm2niix from the test venv).

use super::db::TestDb;
use super::site::Site;
use serde_json::Value;
use std::path::PathBuf;

pub fn standins() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/standins")
}

/// The venv of scripts/python-env.sh; tests that need it fail when it is missing.
pub fn venv() -> PathBuf {
    let v = PathBuf::from(std::env::var("NEUROFLOW_VENV").unwrap_or_else(|_| "/opt/neuroflow-venv".into()));
    assert!(v.join("bin/heudiconv").is_file(), "{} has no heudiconv: run `bash scripts/python-env.sh`", v.display());
    v
}

pub struct ChainOpts {
    pub real_heudiconv: bool,
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
            qsiprep_mem_gb: 0.5,
            max_attempts: 2,
            bids_max_concurrent: 8,
            qsirecon_max_concurrent: 8,
            max_live_jobs: 100,
        }
    }
}

/// A site whose pipelines run natively on the local cluster.
pub fn site(db: TestDb, o: &ChainOpts) -> Site {
    let s = standins().display().to_string();
    let (heudiconv, setup) = if o.real_heudiconv {
        let v = venv().display().to_string();
        (format!("{v}/bin/heudiconv"), format!("['export PATH={v}/bin:$PATH', 'export NO_ET=1']"))
    } else {
        (format!("{s}/heudiconv"), "[]".to_string())
    };
    let yaml = format!(
        r#"mapping: {{csv_file: mapping.csv}}
discovery: {{stability_minutes: 0}}
slurm: {{partition: debug, poll_interval_seconds: 1, max_live_jobs: {live}}}
pipelines:
  bids_conversion:
    runtime: native
    command: {heudiconv}
    setup: {setup}
    resources: {{cpus: 1, mem_gb: 1, time: 10}}
    max_concurrent: {bmc}
    max_attempts: {att}
  qsiprep:
    runtime: native
    command: {s}/qsiprep
    resources: {{cpus: 2, mem_gb: {qmem}, time: 10}}
    max_concurrent: 8
    max_attempts: {att}
    retry: {{mem_factor: 2, max_mem_gb: 2}}
    options: {{output_resolution: 2}}
  qsirecon:
    runtime: native
    command: {s}/qsirecon
    resources: {{cpus: 1, mem_gb: 0.5, time: 10}}
    max_concurrent: {rmc}
    max_attempts: {att}
    options: {{recon_spec: mrtrix_multishell_msmt_ACT-hsvs, recon_suffixes: [MRtrix3], atlases: [4S156Parcels]}}
  qsiparc:
    runtime: native
    command: {s}/qsiparc
    resources: {{cpus: 1, mem_gb: 0.5, time: 10}}
    max_concurrent: 8
    max_attempts: {att}
    options: {{atlases: [4S156Parcels]}}
"#,
        live = o.max_live_jobs,
        bmc = o.bids_max_concurrent,
        rmc = o.qsirecon_max_concurrent,
        att = o.max_attempts,
        qmem = o.qsiprep_mem_gb,
    );
    let site = Site::new(db, &yaml);
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
