//! Correct when intake changes (issue 13): visits that arrive in two batches, identity
//! changes in the mapping, label rules, odd folder names, folders that disappear.

use crate::support::chain::{ChainOpts, find, runs, site};
use crate::support::db::TestDb;
use neuroflow_synth::Manufacturer;

#[test]
fn a_visit_that_arrives_in_two_batches_is_read_again_and_runs() {
    use neuroflow_synth::{SeriesKind, series_folder, standard_session, write_session};
    let site = site(TestDb::sqlite(), &ChainOpts::default());
    let dir = site.incoming().join("T2B");
    let full = standard_session("T2B", "P1", Manufacturer::Siemens, 40);
    let is_dwi = |s: &&neuroflow_synth::SeriesSpec| matches!(s.kind, SeriesKind::Dwi { .. });
    let (dwi, rest): (Vec<_>, Vec<_>) = full.series.iter().cloned().partition(|s| is_dwi(&s));
    write_session(&dir, &neuroflow_synth::SessionSpec { series: rest, ..full.clone() }).unwrap();
    site.set_mapping(&[("T2B", "77")]);
    // First batch: registered invalid, which a person must see on every tick; nothing
    // runs, and a tick with no change re-reads nothing.
    for _ in 0..2 {
        let out = site.nf().args(["workflow", "run"]).output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("the session is invalid (Missing required scans: DWI)"), "{err}");
    }
    let s = site.json(&["sessions", "list"]);
    assert_eq!(
        (s[0]["status"].as_str(), s[0]["message"].as_str()),
        (Some("invalid"), Some("Missing required scans: DWI"))
    );
    assert!(runs(&site, true).is_empty());
    // The DWI series lands: the next tick reads the folder again and the chain runs.
    write_session(&dir, &neuroflow_synth::SessionSpec { series: dwi.clone(), ..full.clone() }).unwrap();
    let out = site.nf().args(["workflow", "run", "--sync"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(site.json(&["sessions", "list"])[0]["status"], "valid");
    let rows = runs(&site, false);
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| r["status"] == "completed"), "{rows:?}");
    // A person removes the DWI again and asks for a rescan: the session leaves the chain.
    std::fs::remove_dir_all(dir.join(series_folder(&dwi[0]))).unwrap();
    let out = site.nf().args(["sessions", "rescan", "77", "T2B", "--format", "json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["status"], "invalid", "{v}");
    assert!(runs(&site, false).is_empty(), "its results are no longer current");
}

#[test]
fn a_scan_remapped_to_another_subject_needs_a_person_and_reassign_moves_it() {
    let site = site(TestDb::sqlite(), &ChainOpts::default());
    site.add_session("R1", Manufacturer::Siemens);
    site.set_mapping(&[("R1", "9")]);
    assert!(site.nf().args(["workflow", "run", "--sync"]).output().unwrap().status.success());
    // The sheet is corrected: R1 was subject 10's visit.
    site.set_mapping(&[("R1", "10")]);
    let out = site.nf().args(["workflow", "run"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "a person must act");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("now mapped to subject code 10 (sub-0010) but was registered as sub-0009"), "{err}");
    assert_eq!(runs(&site, true).len(), 4, "nothing planned meanwhile");
    let out = site.nf().args(["sessions", "reassign", "9", "R1", "--to", "10"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("sub-0009 -> sub-0010"));
    let out = site.nf().args(["workflow", "run", "--sync"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = runs(&site, false);
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert!(rows.iter().all(|r| r["participant"] == "0010" && r["status"] == "completed"), "{rows:?}");
    let old = runs(&site, true).into_iter().filter(|r| r["participant"] == "0009").collect::<Vec<_>>();
    assert!(old.len() == 4 && old.iter().all(|r| r["superseded"] == true), "history kept: {old:?}");
}

#[test]
fn two_subject_codes_with_one_label_are_a_conflict_never_a_merge() {
    let site = site(TestDb::sqlite(), &ChainOpts::default());
    site.add_session("A1", Manufacturer::Siemens);
    site.set_mapping(&[("A1", "12")]);
    assert!(site.nf().args(["workflow", "run", "--sync"]).output().unwrap().status.success());
    site.add_session("B1", Manufacturer::Ge);
    site.set_mapping(&[("A1", "12"), ("B1", "1_2")]);
    let out = site.nf().args(["workflow", "run"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let held = site.json(&["sessions", "list", "--status", "conflict"]).to_string();
    assert!(held.contains("claimed by subject codes 12 and 1_2"), "{held}");
    assert_eq!(runs(&site, true).len(), 4, "no qsiprep over both people");
    // The sheet gets distinct codes: both go on, as two subjects.
    site.set_mapping(&[("A1", "12"), ("B1", "13")]);
    let out = site.nf().args(["workflow", "run", "--sync"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = runs(&site, false);
    assert_eq!(rows.len(), 8);
    assert!(rows.iter().all(|r| r["status"] == "completed"));
    assert_eq!(find(&rows, "qsiprep", "0013").len(), 1);
}

#[test]
fn a_label_rule_that_would_split_subjects_is_refused() {
    let site = site(TestDb::postgres(), &ChainOpts::default());
    site.add_session("S1", Manufacturer::Siemens);
    site.set_mapping(&[("S1", "75")]);
    assert!(site.nf().args(["discover"]).output().unwrap().status.success());
    let cfg = std::fs::read_to_string(site.config()).unwrap();
    std::fs::write(
        site.config(),
        cfg.replace("mapping: {csv_file: mapping.csv}", "mapping: {csv_file: mapping.csv, pad_numeric_to: 0}"),
    )
    .unwrap();
    for args in [&["config", "check"][..], &["workflow", "run"]] {
        let out = site.nf().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("`mapping.pad_numeric_to`") && err.contains("sub-0075 -> sub-75"),
            "{args:?}: stderr {err} stdout {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    assert!(runs(&site, true).is_empty());
}

#[test]
fn a_folder_whose_name_is_not_utf8_is_held_with_the_reason_and_the_rest_runs() {
    use std::os::unix::ffi::OsStrExt;
    let site = site(TestDb::sqlite(), &ChainOpts::default());
    let bad = std::ffi::OsStr::from_bytes(b"2024\xe9t\xe9");
    let spec = neuroflow_synth::standard_session("X", "P9", Manufacturer::Ge, 40);
    neuroflow_synth::write_session(&site.incoming().join(bad), &spec).unwrap();
    site.add_session("U1", Manufacturer::Siemens);
    site.set_mapping(&[("U1", "79")]);
    let out = site.nf().args(["workflow", "run", "--sync"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let held = site.json(&["sessions", "list", "--status", "unreadable"]).to_string();
    assert!(held.contains("not valid UTF-8") && held.contains("\\\\xe9"), "{held}");
    let rows = runs(&site, false);
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| r["participant"] == "0079" && r["status"] == "completed"));
}

#[test]
fn a_vanished_dicom_folder_needs_a_person_only_while_it_is_needed() {
    let site = site(TestDb::sqlite(), &ChainOpts::default());
    site.add_session("G1", Manufacturer::Siemens);
    site.add_session("G2", Manufacturer::Ge);
    site.add_session("H1", Manufacturer::Canon);
    site.set_mapping(&[("G2", "86")]);
    assert!(site.nf().args(["workflow", "run", "--sync"]).output().unwrap().status.success());
    // G2 is converted: its DICOM may go (sites clean up incoming). H1 (unmapped) is held.
    std::fs::remove_dir_all(site.incoming().join("G2")).unwrap();
    std::fs::remove_dir_all(site.incoming().join("H1")).unwrap();
    site.set_mapping(&[("G2", "86"), ("G1", "85")]);
    assert!(site.nf().args(["discover"]).output().unwrap().status.success());
    let held = site.json(&["sessions", "list", "--status", "held"]);
    assert!(held.as_array().unwrap().is_empty(), "a held folder that is gone is forgotten: {held}");
    // G1 is registered but its folder disappears before conversion.
    std::fs::remove_dir_all(site.incoming().join("G1")).unwrap();
    let out = site.nf().args(["workflow", "run"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("sub-0085") && err.contains("DICOM folder is gone"), "{err}");
    assert!(!err.contains("sub-0086"), "a converted session does not need its DICOM: {err}");
    assert!(find(&runs(&site, true), "bids_conversion", "0085").is_empty(), "no doomed attempt");
}
