//! One bad unit never blocks a site: it is recorded on that unit (a person must act)
//! and the tick goes on with the others.

use crate::support::chain::{ChainOpts, find, runs, site};
use crate::support::db::TestDb;
use neuroflow_synth::Manufacturer;

#[test]
fn an_overlong_scan_id_is_held_with_its_reason_and_the_rest_runs() {
    let site = site(TestDb::sqlite(), &ChainOpts::default());
    let long = format!("2024{}", "7".repeat(226));
    site.add_session(&long, Manufacturer::Ge);
    site.add_session("OK1", Manufacturer::Siemens);
    site.set_mapping(&[(long.as_str(), "21"), ("OK1", "22")]);
    let out = site.nf().args(["workflow", "run", "--sync"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let held = site.json(&["sessions", "list", "--status", "held"]);
    let text = held.to_string();
    assert!(text.contains("longer than 64 characters"), "{text}");
    let rows = runs(&site, false);
    assert_eq!(rows.len(), 4, "the healthy session's chain: {rows:?}");
    assert!(rows.iter().all(|r| r["status"] == "completed" && r["participant"] == "0022"), "{rows:?}");
}

#[test]
fn a_job_that_cannot_be_prepared_needs_a_person_and_the_tick_goes_on() {
    let site = site(TestDb::sqlite(), &ChainOpts::default());
    site.add_session("B1", Manufacturer::Siemens);
    site.add_session("B2", Manufacturer::Ge);
    site.set_mapping(&[("B1", "41"), ("B2", "42")]);
    // Where qsiprep scripts go is a file: no qsiprep script can be written.
    std::fs::create_dir_all(site.root().join("work/scripts")).unwrap();
    std::fs::write(site.root().join("work/scripts/qsiprep"), "in the way").unwrap();
    let out = site.nf().args(["workflow", "run", "--sync"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "a person must act: {}", String::from_utf8_lossy(&out.stderr));
    let rows = runs(&site, false);
    for p in ["0041", "0042"] {
        assert_eq!(find(&rows, "bids_conversion", p)[0]["status"], "completed", "the tick went on for {p}");
        let prep = find(&rows, "qsiprep", p)[0];
        assert_eq!((prep["status"].as_str(), prep["cause"].as_str()), (Some("failed"), Some("submit_rejected")));
        assert!(prep["message"].as_str().unwrap().contains("cannot prepare the job"), "{prep}");
    }
    // Later ticks do not pile up interrupted runs for it.
    let out = site.nf().args(["workflow", "run"]).output().unwrap();
    assert_ne!(out.status.code(), Some(2), "not transient: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(runs(&site, true).iter().filter(|r| r["stage"] == "qsiprep").count(), 2);
}
