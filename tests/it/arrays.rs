//! Job arrays on the local cluster (`slurm.arrays`, docs/arrays.md): the runs of a
//! stage that a tick submits go out as one array, every run is tracked as its own
//! task, and a failed task is retried alone.

use crate::ops::sbatch_shim;
use crate::support::chain::{ChainOpts, find, runs, site, ticks};
use crate::support::db::TestDb;
use crate::support::slurm::{jobs_named, now_for_sacct};
use neuroflow_synth::Manufacturer;
use std::collections::BTreeSet;

#[test]
fn a_stage_goes_out_as_one_array_and_a_failed_task_is_retried_alone() {
    let site = site(TestDb::sqlite(), &ChainOpts::default());
    let cfg = std::fs::read_to_string(site.config()).unwrap();
    std::fs::write(
        site.config(),
        cfg.replace("slurm: {partition: debug,", "slurm: {arrays: true, array_throttle: 2, partition: debug,"),
    )
    .unwrap();
    site.add_session("A1", Manufacturer::Siemens);
    site.add_session("A2", Manufacturer::Ge);
    site.add_session("B1", Manufacturer::Philips);
    site.set_mapping(&[("A1", "1"), ("A2", "1"), ("B1", "2")]);
    let out = site
        .nf()
        .env("NF_STANDIN_FAIL", "heudiconv:0002")
        .args(["workflow", "run", "--sync", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "sub-0002 needs a person: {}", String::from_utf8_lossy(&out.stderr));
    let reports = ticks(&out.stdout);
    for t in &reports {
        let submitted = t["submit"]["submitted"].as_array().cloned().unwrap_or_default();
        let stages: BTreeSet<&str> = submitted.iter().filter_map(|s| s["stage"].as_str()).collect();
        // At most one sbatch per stage (all share a request here), and one scontrol
        // (MaxArraySize) in a tick that sends an array.
        let calls = t["submit"]["slurm_calls"].as_u64().unwrap_or(0);
        assert!(calls <= stages.len() as u64 + 1, "{calls} calls for stages {stages:?}: {t}");
        let chained: Vec<&serde_json::Value> =
            submitted.iter().filter(|s| s["dependency"].as_array().is_some_and(|d| !d.is_empty())).collect();
        assert!(chained.is_empty(), "nothing chains on a live job: {chained:?}");
    }
    let first = &reports[0]["submit"]["submitted"];
    assert_eq!(first.as_array().map(Vec::len), Some(3), "the three conversions in the first tick: {first}");
    let history = runs(&site, true);
    let bids: Vec<&serde_json::Value> = history.iter().filter(|r| r["stage"] == "bids_conversion").collect();
    let first_try: Vec<&str> = bids.iter().filter(|r| r["attempt"] == 1).filter_map(|r| r["job"].as_str()).collect();
    let arrays: BTreeSet<&str> = first_try.iter().filter_map(|k| k.split_once('_').map(|(a, _)| a)).collect();
    assert_eq!((first_try.len(), arrays.len()), (3, 1), "three tasks of one array: {first_try:?}");
    // Each task wrote its own run's log, named by its task.
    let ok = find(&history, "bids_conversion", "0001");
    let stdout = ok[0]["stdout"].as_str().unwrap();
    assert!(stdout.ends_with(&format!("-{}.out", ok[0]["job"].as_str().unwrap())), "{stdout}");
    assert!(std::fs::read_to_string(stdout).unwrap().contains("neuroflow: run="), "the run's own script ran");
    // The failed task was retried alone, as a job of its own, and failed again.
    let failed = find(&history, "bids_conversion", "0002");
    let tries: Vec<(Option<i64>, Option<&str>)> =
        failed.iter().map(|r| (r["attempt"].as_i64(), r["status"].as_str())).collect();
    assert_eq!(tries, vec![(Some(1), Some("failed")), (Some(2), Some("failed"))], "{failed:?}");
    assert!(!failed[1]["job"].as_str().unwrap().contains('_'), "the retry went out alone: {:?}", failed[1]);
    // Sub-0001 went through the whole chain, one attempt each, stage by stage.
    for stage in ["bids_conversion", "qsiprep", "qsirecon", "qsiparc"] {
        for r in find(&history, stage, "0001") {
            assert_eq!((r["attempt"].as_i64(), r["status"].as_str()), (Some(1), Some("completed")), "{r}");
        }
    }
    assert!(find(&history, "qsiprep", "0002").is_empty(), "nothing downstream of the failed conversion");
}

#[test]
fn an_array_whose_sbatch_answer_is_lost_is_adopted_never_duplicated() {
    let since = now_for_sacct();
    let site = site(TestDb::sqlite(), &ChainOpts::default());
    let cfg = std::fs::read_to_string(site.config()).unwrap();
    let arrays = "slurm: {arrays: true, command_timeout_seconds: 3, partition: debug,";
    std::fs::write(site.config(), cfg.replace("slurm: {partition: debug,", arrays)).unwrap();
    site.add_session("L1", Manufacturer::Ge);
    site.add_session("L2", Manufacturer::Siemens);
    site.set_mapping(&[("L1", "405"), ("L2", "405")]);
    // sbatch creates the array, then hangs past the timeout: the answer is lost.
    let path = sbatch_shim(&site.root().join("slowanswer"), "\"$REAL\" \"$@\"\nexec sleep 20");
    let out = site.nf().env("PATH", &path).args(["workflow", "run"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "a timeout is transient: {}", String::from_utf8_lossy(&out.stderr));
    let out = site.nf().args(["workflow", "run", "--sync"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let history = runs(&site, true);
    let bids = find(&history, "bids_conversion", "0405");
    assert_eq!(bids.len(), 2, "adopted, not planned again: {bids:?}");
    let name = bids[0]["job"].as_str().unwrap().split('_').next().unwrap().to_string();
    assert!(bids.iter().all(|r| r["job"].as_str().unwrap().starts_with(&format!("{name}_"))), "{bids:?}");
    let shown = site.json(&["runs", "show", &bids[0]["id"].to_string()]);
    let array = shown["run"]["job_name"].as_str().unwrap().to_string();
    assert!(array.starts_with("nf-bids_conversion-array-"), "{shown}");
    let tasks = jobs_named(&array, &since);
    assert_eq!(tasks, 2, "one array of two tasks reached Slurm, once");
    assert!(runs(&site, false).iter().all(|r| r["status"] == "completed"));
}
