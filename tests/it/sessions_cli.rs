//! Excluding a session keeps it out of the chain.

use crate::support::chain::{ChainOpts, runs, site};
use crate::support::db::TestDb;
use neuroflow_synth::Manufacturer;

#[test]
fn an_excluded_session_is_not_processed() {
    let site = site(TestDb::sqlite(), &ChainOpts::default());
    site.add_session("X1", Manufacturer::Ge);
    site.set_mapping(&[("X1", "41")]);
    site.json(&["discover"]);
    let out = site.nf().args(["sessions", "exclude", "41", "X1", "--reason", "phantom scan"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let list = site.json(&["sessions", "list"]);
    assert_eq!((list[0]["status"].as_str(), list[0]["message"].as_str()), (Some("excluded"), Some("phantom scan")));
    let out = site.nf().args(["workflow", "run", "--dry-run"]).output().unwrap();
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("#SBATCH"), "nothing would be submitted");
    assert!(runs(&site, true).is_empty());
    assert!(site.nf().args(["sessions", "exclude", "41", "X1", "--undo"]).output().unwrap().status.success());
    assert_eq!(site.json(&["sessions", "list"])[0]["status"], "valid");
}
