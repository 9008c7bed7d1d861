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
