#![allow(clippy::disallowed_methods)] // tests and benchmarks run tools directly
//! Discovery speed on a generated tree (default 1,000 sessions x ~100 files):
//! first scan (files/s, warm cache), re-scan of the unchanged tree, and the same
//! tree read with pydicom as a baseline. `cargo bench --bench discovery`
//! (NF_BENCH_SESSIONS / NF_BENCH_FILES to change the size). Figures: docs/benchmarks.md.

#[path = "common/mod.rs"]
mod common;

use std::path::Path;
use std::process::Command;

fn main() {
    let sessions: usize = std::env::var("NF_BENCH_SESSIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    let files: usize = std::env::var("NF_BENCH_FILES").ok().and_then(|v| v.parse().ok()).unwrap_or(100);
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let (rows, _) =
        neuroflow_synth::write_site(&root.join("incoming"), sessions, files, None, "P").expect("generated site");
    let mapping: String = rows.iter().map(|(scan, subject)| format!("{scan},{subject}\n")).collect();
    std::fs::write(root.join("mapping.csv"), format!("ScanID,SubjectCode\n{mapping}")).unwrap();
    let config = root.join("neuroflow.yaml");
    std::fs::write(
        &config,
        "paths: {dicom_incoming: incoming, bids_root: bids, derivatives: derivatives, work_dir: work, log_dir: logs}\n\
         mapping: {csv_file: mapping.csv}\ndiscovery: {stability_minutes: 0}\n\
         protocol: {required_scans: [{name: T1w, series_description_pattern: 'mprage|t1w'}, {name: DWI, series_description_pattern: 'dwi'}]}\n",
    )
    .unwrap();
    let bytes = common::warm(&root.join("incoming"));
    let total_files = walkdir::WalkDir::new(root.join("incoming"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .count();
    common::neuroflow(&config, &["db", "migrate"]);
    let (first, out) = common::neuroflow(&config, &["discover", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["registered_valid"].as_u64(), Some(sessions as u64), "{report}");
    let rescans: Vec<_> = (0..5).map(|_| common::neuroflow(&config, &["discover", "--format", "json"]).0).collect();
    let rescan = common::median(rescans);
    let rate = total_files as f64 / first.as_secs_f64();
    println!("tree: {sessions} sessions, {total_files} files, {:.0} MB", bytes as f64 / 1e6);
    println!(
        "first scan:  {:.2} s  ({rate:.0} files/s, includes registering {sessions} sessions in SQLite)",
        first.as_secs_f64()
    );
    println!("re-scan:     {:.3} s  (median of 5, unchanged tree)", rescan.as_secs_f64());
    match pydicom_baseline(&root.join("incoming")) {
        Some(py) => {
            let py_rate = py["files_per_second"].as_f64().unwrap_or(0.0);
            println!(
                "pydicom:     {:.2} s  ({py_rate:.0} files/s, one process)",
                py["seconds"].as_f64().unwrap_or(0.0)
            );
            println!("ratio:       neuroflow first scan is {:.1}x pydicom", rate / py_rate);
        }
        None => println!("pydicom:     not available (run `bash scripts/python-env.sh`)"),
    }
}

fn pydicom_baseline(incoming: &Path) -> Option<serde_json::Value> {
    let venv = std::env::var("NEUROFLOW_VENV").unwrap_or_else(|_| "/opt/neuroflow-venv".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/pydicom_scan.py");
    let out = Command::new(Path::new(&venv).join("bin/python")).arg(script).arg(incoming).output().ok()?;
    out.status.success().then(|| serde_json::from_slice(&out.stdout).ok()).flatten()
}
