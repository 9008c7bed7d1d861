//! Knowing the release before rendering (issue 19): a real SIF's labels read with the
//! real `apptainer inspect`, once per image digest; a release outside the table refused
//! before anything is submitted; a job that meets another release than its script's
//! stops before the tool runs; and a new release redoes nothing unless asked.

use crate::support::chain::{ChainOpts, find, runs, site, standins};
use crate::support::db::TestDb;
use crate::support::site::Site;
use neuroflow_synth::Manufacturer;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn real_apptainer() -> PathBuf {
    standins().parent().unwrap().join("real-apptainer")
}

/// Builds a real SIF at `path` with the real Apptainer, labelled as `name` `version`.
fn build_sif(path: &Path, name: &str, version: &str) {
    let def = path.with_extension("def");
    let text = format!(
        "Bootstrap: scratch\n\n%setup\n    mkdir -p ${{APPTAINER_ROOTFS}}/opt\n    echo {name} > ${{APPTAINER_ROOTFS}}/opt/tool\n\n%labels\n    org.label-schema.name {name}\n    org.label-schema.version {version}\n"
    );
    std::fs::write(&def, text).unwrap();
    let out = Command::new(real_apptainer())
        .current_dir(path.parent().unwrap())
        .args(["build", "--force"])
        .arg(path)
        .arg(&def)
        .output()
        .unwrap();
    assert!(out.status.success(), "apptainer build: {}", String::from_utf8_lossy(&out.stderr));
}

fn doctor_line(site: &Site, check: &str, calls: &Path) -> Value {
    let out = site.nf().env("NF_APPTAINER_LOG", calls).args(["doctor", "--format", "json"]).output().unwrap();
    let checks: Value = serde_json::from_slice(&out.stdout).unwrap();
    checks.as_array().unwrap().iter().find(|c| c["check"] == check).cloned().unwrap_or_else(|| panic!("{checks}"))
}

fn render(site: &Site) -> std::process::Output {
    site.nf().args(["render", "--stage", "qsiprep", "--subject", "1"]).output().unwrap()
}

#[test]
fn a_real_sifs_labels_name_its_release_once_per_digest() {
    let site = Site::intake(TestDb::sqlite());
    let root = site.root().to_path_buf();
    let sif = root.join("qsiprep.sif");
    build_sif(&sif, "qsiprep", "26.1.1");
    std::fs::create_dir_all(root.join("templateflow")).unwrap();
    let calls = root.join("apptainer-calls.log");
    let cfg = std::fs::read_to_string(site.config()).unwrap();
    let extra = format!(
        "containers: {{apptainer: {}, templateflow_home: {}/templateflow}}\npipelines:\n  qsiprep:\n    image: {}\n    resources: {{cpus: 1, mem_gb: 1, time: 10}}\n    options: {{output_resolution: 2}}\n",
        real_apptainer().display(),
        root.display(),
        sif.display()
    );
    std::fs::write(site.config(), cfg + &extra).unwrap();
    site.add_session("S1", Manufacturer::Siemens);
    site.set_mapping(&[("S1", "1")]);
    site.json(&["discover"]);
    let nf = |mut c: assert_cmd::Command| {
        c.env("NF_APPTAINER_LOG", &calls);
        c
    };
    let line = doctor_line(&site, "stage qsiprep release", &calls);
    assert_eq!(line["ok"], true, "{line}");
    assert_eq!(line["detail"], "QSIPrep 26.1.1 (image label org.label-schema.version): supported (26.1.x)");
    // doctor asked the image (and, the store being migrated, remembered the answer).
    let out = nf(site.nf()).args(["render", "--stage", "qsiprep", "--subject", "1"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let script = String::from_utf8_lossy(&out.stdout);
    assert!(script.contains(" --session-label S1 ") && script.contains("'QSIPrep v26.1.'*) ;;"), "{script}");
    // Asked once: the store answers for the same digest.
    assert!(nf(site.nf()).args(["render", "--stage", "qsiprep", "--subject", "1"]).output().unwrap().status.success());
    let inspected = || std::fs::read_to_string(&calls).unwrap().lines().filter(|l| l.starts_with("inspect")).count();
    assert_eq!(inspected(), 1, "one inspect per digest");
    // A new image file at the same path is a new digest, asked again.
    build_sif(&sif, "qsiprep", "26.0.0");
    let out = nf(site.nf()).args(["render", "--stage", "qsiprep", "--subject", "1"]).output().unwrap();
    let script = String::from_utf8_lossy(&out.stdout);
    assert!(script.contains(" --session-id S1 ") && !script.contains("--session-label"), "{script}");
    assert_eq!(inspected(), 2);
    // Outside the table: refused, naming the release found and the releases supported.
    build_sif(&sif, "qsiprep", "27.0.0");
    let out = render(&site);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("QSIPrep 27.0.0 (image label org.label-schema.version) is not a release neuroflow supports"),
        "{err}"
    );
    assert!(err.contains("supported: 1.0.x, 1.1.x, 26.0.x, 26.1.x"), "{err}");
    let line = doctor_line(&site, "stage qsiprep release", &calls);
    assert_eq!(line["ok"], false, "{line}");
    // An image labelled as another tool says nothing of this one's release: asked by
    // running it, which this sandbox's Apptainer cannot, so the stage needs a person.
    build_sif(&sif, "heudiconv", "1.5.1");
    let err = String::from_utf8_lossy(&render(&site).stderr).to_string();
    assert!(err.contains("cannot tell which QSIPrep release") && err.contains("pin it with `version:"), "{err}");
}

/// Sets `key: value` under `pipelines.qsiprep` (before its `resources:` line).
fn qsiprep_line(site: &Site, line: &str) {
    let cfg = std::fs::read_to_string(site.config()).unwrap();
    let at = cfg.find("  qsiprep:\n").unwrap() + "  qsiprep:\n".len();
    let body = &cfg[at..];
    let body = match body.find("    version:") {
        Some(v) => {
            let end = v + body[v..].find('\n').unwrap() + 1;
            format!("{}{}", &body[..v], &body[end..])
        }
        None => body.to_string(),
    };
    std::fs::write(site.config(), format!("{}    {line}\n{body}", &cfg[..at])).unwrap();
}

fn tick(site: &Site, release: &str, args: &[&str]) -> std::process::Output {
    site.nf().env("NF_STANDIN_RELEASE_QSIPREP", release).args(["workflow", "run"]).args(args).output().unwrap()
}

#[test]
fn releases_are_refused_checked_in_the_job_and_upgraded_only_on_purpose() {
    let site = site(TestDb::sqlite(), &ChainOpts { max_attempts: 2, ..Default::default() });
    site.add_session("V1", Manufacturer::Siemens);
    site.set_mapping(&[("V1", "71")]);
    // The image holds a release outside the table: nothing of the stage is submitted.
    let out = tick(&site, "27.0.0", &["--sync"]);
    assert_eq!(out.status.code(), Some(1), "needs a person");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("QSIPrep 27.0.0 (--version) is not a release neuroflow supports"), "{err}");
    let all = runs(&site, true);
    assert_eq!(all.len(), 1, "bids_conversion only: {all:?}");
    assert_eq!(all[0]["stage"], "bids_conversion");
    // Pinned to another release than the tool is: the job stops before the tool runs.
    qsiprep_line(&site, "version: \"26.0.0\"");
    let out = tick(&site, "27.0.0", &["--sync"]);
    assert_eq!(out.status.code(), Some(1));
    let prep = find(&runs(&site, true), "qsiprep", "0071").into_iter().cloned().collect::<Vec<_>>();
    assert_eq!(prep.len(), 1, "not retried: the image would hold the same release");
    assert_eq!(
        (prep[0]["status"].as_str(), prep[0]["cause"].as_str()),
        (Some("failed"), Some("tool_version_mismatch"))
    );
    assert_eq!(prep[0]["exit_code"], 86);
    let shown = site.json(&["runs", "show", &prep[0]["id"].to_string()]);
    let stderr = std::fs::read_to_string(shown["run"]["stderr_path"].as_str().unwrap()).unwrap();
    assert!(
        stderr.contains("tool_version_mismatch: this script was written for QSIPrep 26.0.x")
            && stderr.contains("QSIPrep v27.0.0"),
        "{stderr}"
    );
    assert!(!site.root().join("derivatives/qsiprep").exists(), "the tool never ran");
    let failures = site.json(&["runs", "failures"]);
    assert!(failures.to_string().contains("tool_version_mismatch"), "{failures}");
    // The image is fixed: a retry completes, and the chain goes on.
    let id = prep[0]["id"].to_string();
    assert!(site.nf().args(["runs", "retry", &id]).output().unwrap().status.success());
    let out = tick(&site, "26.0.0", &["--sync"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(runs(&site, false).iter().all(|r| r["status"] == "completed"));
    let status = site.nf().args(["workflow", "status"]).output().unwrap();
    assert!(String::from_utf8_lossy(&status.stdout).contains("qsiprep completed runs: 1 by 26.0.0"));
    let before = runs(&site, true).len();
    // A new release redoes nothing by itself …
    qsiprep_line(&site, "version: \"26.1.1\"");
    let out = tick(&site, "26.1.1", &["--format", "json"]);
    assert!(out.status.success());
    assert_eq!(runs(&site, true).len(), before, "no run added by the upgrade alone");
    // … until asked: the run another release made goes again, its downstream follows.
    let out = site
        .nf()
        .env("NF_STANDIN_RELEASE_QSIPREP", "26.1.1")
        .args(["submit", "--stage", "qsiprep", "--other-release", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let submitted: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(submitted["submit"]["submitted"].as_array().unwrap().len(), 1, "{submitted}");
    assert!(tick(&site, "26.1.1", &["--sync"]).status.success());
    let explain = site.json(&["explain", "71"]);
    let prep = explain.as_array().unwrap().iter().find(|d| d["stage"] == "qsiprep").unwrap();
    let releases: Vec<&str> =
        prep["runs"].as_array().unwrap().iter().map(|r| r["release"].as_str().unwrap_or("-")).collect();
    assert_eq!(releases, ["26.1.1", "26.0.0", "26.0.0"], "newest first: {prep}");
    let status = String::from_utf8_lossy(&site.nf().args(["workflow", "status"]).output().unwrap().stdout).to_string();
    assert!(status.contains("qsiprep completed runs: 1 by 26.1.1"), "{status}");
    let again = site
        .nf()
        .args(["submit", "--stage", "qsiprep", "--other-release"])
        .env("NF_STANDIN_RELEASE_QSIPREP", "26.1.1")
        .output()
        .unwrap();
    assert!(
        again.status.success() && runs(&site, true).len() == before + 3,
        "qsiprep and its downstream once, then nothing left to upgrade"
    );
}
