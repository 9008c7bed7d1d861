#![allow(clippy::disallowed_methods)] // tests run tools directly
//! Faults of the real cluster, on both backends: slurmctld stopped, slurmdbd stopped
//! while jobs finish. A separate test binary: cargo runs test binaries one after
//! another, so stopping a daemon here never disturbs the `it` tests; inside this
//! binary one test runs at a time (DAEMONS).

#[path = "../it/support/mod.rs"]
#[allow(dead_code)]
mod support;

use neuroflow_synth::Manufacturer;
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use support::chain::{ChainOpts, runs, site};
use support::db::TestDb;
use support::site::Site;
use support::slurm::{jobs_named, now_for_sacct};

static DAEMONS: Mutex<()> = Mutex::new(());

fn slurm_script(name: &str, args: &[&str]) {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("slurm").join(name);
    let out = Command::new("bash").arg(&script).args(args).output().unwrap();
    assert!(out.status.success(), "{name} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Brings every daemon back even when an assertion fails half way.
struct Restore;
impl Drop for Restore {
    fn drop(&mut self) {
        slurm_script("up.sh", &[]);
    }
}

fn tick(site: &Site, args: &[&str]) -> (i32, String) {
    let out = site.nf().args(["workflow", "run"]).args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn controller_stopped(db: TestDb, p: &str) {
    let _one = DAEMONS.lock().unwrap_or_else(|e| e.into_inner());
    let since = now_for_sacct();
    let site = site(db, &ChainOpts::default());
    site.add_session("F1", Manufacturer::Siemens);
    site.set_mapping(&[("F1", p)]);
    let _restore = Restore;
    // At submission: sbatch cannot reach the controller.
    slurm_script("down.sh", &["slurmctld"]);
    let (code, err) = tick(&site, &[]);
    assert_eq!(code, 2, "transient: {err}");
    assert!(err.contains("Unable to contact slurm controller"), "{err}");
    let rows = runs(&site, true);
    assert_eq!((rows.len(), rows[0]["status"].as_str()), (1, Some("planned")), "the intent is kept: {rows:?}");
    // While tracking: the chain is in the queue, then the controller goes away.
    slurm_script("up.sh", &[]);
    let (code, err) = tick(&site, &[]);
    assert_eq!(code, 0, "{err}");
    slurm_script("down.sh", &["slurmctld"]);
    let (code, err) = tick(&site, &[]);
    assert_eq!(code, 2, "tracking with the controller down is transient: {err}");
    assert!(runs(&site, false).iter().all(|r| r["status"] != "failed" && r["status"] != "lost"));
    slurm_script("up.sh", &[]);
    let (code, err) = tick(&site, &["--sync"]);
    assert_eq!(code, 0, "{err}");
    let rows = runs(&site, false);
    assert!(rows.iter().all(|r| r["status"] == "completed"), "{rows:?}");
    assert_eq!(jobs_named(&format!("nf-bids_conversion-sub-{p}-ses-F1"), &since), 1, "one conversion job");
    assert_eq!(jobs_named(&format!("nf-qsiprep-sub-{p}"), &since), 1, "one qsiprep job");
}

fn accounting_stopped(db: TestDb, p: &str) {
    let _one = DAEMONS.lock().unwrap_or_else(|e| e.into_inner());
    let site = site(db, &ChainOpts::default());
    site.add_session("F2", Manufacturer::Ge);
    site.set_mapping(&[("F2", p)]);
    let _restore = Restore;
    let (code, err) = tick(&site, &[]);
    assert_eq!(code, 0, "{err}");
    slurm_script("down.sh", &["slurmdbd"]);
    // The jobs run and leave the queue while accounting is down.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let q = Command::new("squeue")
            .args(["-h", "-n", &format!("nf-qsiparc-sub-{p}-ses-F2"), "-o", "%i"])
            .output()
            .unwrap();
        if String::from_utf8_lossy(&q.stdout).trim().is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "the chain did not finish");
        std::thread::sleep(Duration::from_secs(1));
    }
    for _ in 0..3 {
        let (code, err) = tick(&site, &[]);
        assert_eq!(code, 2, "sacct cannot answer: transient, never a failed run: {err}");
    }
    let rows = runs(&site, false);
    assert!(
        rows.iter().all(|r| r["status"] == "queued" || r["status"] == "running"),
        "nothing failed or lost: {rows:?}"
    );
    slurm_script("up.sh", &[]);
    let (code, err) = tick(&site, &["--sync"]);
    assert_eq!(code, 0, "{err}");
    let rows = runs(&site, false);
    assert!(rows.iter().all(|r| r["status"] == "completed" && r["slurm_state"] == "COMPLETED"), "{rows:?}");
}

#[test]
fn slurmctld_stopped_loses_nothing_sqlite() {
    controller_stopped(TestDb::sqlite(), "0501");
}

#[test]
fn slurmctld_stopped_loses_nothing_postgres() {
    controller_stopped(TestDb::postgres(), "0502");
}

#[test]
fn slurmdbd_stopped_while_jobs_finish_sqlite() {
    accounting_stopped(TestDb::sqlite(), "0503");
}

#[test]
fn slurmdbd_stopped_while_jobs_finish_postgres() {
    accounting_stopped(TestDb::postgres(), "0504");
}
