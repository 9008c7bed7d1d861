//! Correct when the world changes (issue 13): failures judged by neuroflow reach
//! downstream, a person's cancellation is checked against Slurm first.

use crate::support::chain::{ChainOpts, find, runs, site};
use crate::support::db::TestDb;
use crate::support::site::Site;
use neuroflow::synth::Manufacturer;
use std::time::{Duration, Instant};

/// Waits until none of the site's jobs is in the queue (nothing tracked meanwhile).
fn wait_for_slurm(site: &Site) {
    let deadline = Instant::now() + Duration::from_secs(120);
    let ids: Vec<String> =
        runs(site, false).iter().filter_map(|r| r["job_id"].as_i64()).map(|j| j.to_string()).collect();
    while Instant::now() < deadline {
        let out = std::process::Command::new("squeue")
            .args(["--noheader", "--format=%i", &format!("--jobs={}", ids.join(","))])
            .output()
            .unwrap();
        if String::from_utf8_lossy(&out.stdout).trim().is_empty() {
            return;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    panic!("jobs {ids:?} still queued");
}

#[test]
fn a_downstream_that_ran_on_an_upstream_judged_failed_is_not_completed() {
    let site = site(TestDb::sqlite(), &ChainOpts { max_attempts: 1, ..Default::default() });
    let cfg = std::fs::read_to_string(site.config()).unwrap();
    // A spec with two suffixes: QSIRecon writes one, exits 0; QSIParc finds enough to run.
    std::fs::write(site.config(), cfg.replace("recon_spec: dsi_studio_gqi", "recon_spec: dipy_3dshore")).unwrap();
    site.add_session("P1", Manufacturer::Siemens);
    site.set_mapping(&[("P1", "93")]);
    let nf = || {
        let mut c = site.nf();
        c.env("NF_STANDIN_PARTIAL", "qsirecon:0093");
        c
    };
    assert!(nf().args(["workflow", "run"]).output().unwrap().status.success());
    // Let the whole chain run out in Slurm before neuroflow looks again: afterok only
    // sees qsirecon's exit 0, so qsiparc runs and completes.
    wait_for_slurm(&site);
    let out = nf().args(["workflow", "run"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "qsirecon's last attempt failed: {}", String::from_utf8_lossy(&out.stderr));
    let rows = runs(&site, false);
    let recon = find(&rows, "qsirecon", "0093")[0];
    assert_eq!((recon["status"].as_str(), recon["cause"].as_str()), (Some("failed"), Some("outputs_missing")));
    assert!(recon["message"].as_str().unwrap().contains("qsirecon-3dshorenetwork"), "{recon}");
    let parc = find(&rows, "qsiparc", "0093")[0];
    assert_eq!((parc["slurm_state"].as_str(), parc["exit_code"].as_i64()), (Some("COMPLETED"), Some(0)), "{parc}");
    assert_eq!((parc["status"].as_str(), parc["cause"].as_str()), (Some("cancelled"), Some("upstream_failed")));
    assert!(parc["message"].as_str().unwrap().contains("not counted"), "{parc}");
}

#[test]
fn runs_cancel_asks_slurm_first_and_keeps_a_success() {
    let site = site(TestDb::sqlite(), &ChainOpts::default());
    site.add_session("C1", Manufacturer::Ge);
    site.set_mapping(&[("C1", "71")]);
    assert!(site.nf().args(["workflow", "run"]).output().unwrap().status.success());
    wait_for_slurm(&site);
    // No tick since the jobs ended: the store still says queued.
    let bids = find(&runs(&site, false), "bids_conversion", "0071")[0].clone();
    assert_eq!(bids["status"], "queued");
    let out = site.nf().args(["runs", "cancel", &bids["id"].to_string()]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "nothing was cancelled");
    assert!(String::from_utf8_lossy(&out.stdout).contains("had already ended (completed, Slurm COMPLETED)"));
    let rows = runs(&site, false);
    assert!(rows.iter().all(|r| r["status"] == "completed"), "the success is kept, downstream too: {rows:?}");
}

#[test]
fn runs_cancel_names_the_person_and_takes_the_live_downstream_with_it() {
    let site = site(TestDb::sqlite(), &ChainOpts::default());
    site.add_session("C2", Manufacturer::Ge);
    site.set_mapping(&[("C2", "72")]);
    let out = site.nf().env("NF_STANDIN_SLEEP", "8").args(["workflow", "run"]).output().unwrap();
    assert!(out.status.success());
    let prep = find(&runs(&site, false), "qsiprep", "0072")[0]["id"].to_string();
    let out = site.nf().args(["runs", "cancel", &prep, "--format", "json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v["outcome"].as_str(), v["downstream"].as_u64()), (Some("cancelled"), Some(2)), "{v}");
    let rows = runs(&site, false);
    let p = find(&rows, "qsiprep", "0072")[0];
    assert_eq!(
        (p["status"].as_str(), p["cause"].as_str(), p["slurm_state"].as_str()),
        (Some("cancelled"), Some("by_person"), Some("CANCELLED"))
    );
    assert!(p["message"].as_str().unwrap().contains("cancelled by a person"), "{p}");
    for stage in ["qsirecon", "qsiparc"] {
        let d = find(&rows, stage, "0072")[0];
        assert_eq!((d["status"].as_str(), d["cause"].as_str()), (Some("cancelled"), Some("upstream_failed")), "{d}");
        assert!(d["message"].as_str().unwrap().contains("upstream run"), "{d}");
    }
    // No job of the site is left in Slurm but the conversion, and a tick leaves the
    // person's decision alone.
    let ids: Vec<String> = rows
        .iter()
        .filter(|r| r["stage"] != "bids_conversion")
        .filter_map(|r| r["job_id"].as_i64())
        .map(|j| j.to_string())
        .collect();
    let q = std::process::Command::new("squeue")
        .args(["--noheader", "--format=%i", &format!("--jobs={}", ids.join(","))])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&q.stdout).trim().is_empty(),
        "still queued: {}",
        String::from_utf8_lossy(&q.stdout)
    );
    let out = site.nf().env("NF_STANDIN_SLEEP", "0").args(["workflow", "run", "--sync"]).output().unwrap();
    assert_ne!(out.status.code(), Some(2));
    assert_eq!(find(&runs(&site, true), "qsiprep", "0072").len(), 1, "not resubmitted");
}
