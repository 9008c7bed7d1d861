//! Intake end to end: generated and real DICOM, junk, held folders, mappings
//! from a file and over HTTP, odd folder names — on SQLite and PostgreSQL.

use crate::both_backends;
use crate::support::db::TestDb;
use crate::support::site::Site;
use neuroflow_synth::Manufacturer;
use serde_json::Value;

both_backends!(
    sessions_are_registered_held_and_validated,
    unmapped_folders_register_once_the_mapping_knows_them,
    a_folder_still_being_written_waits,
    a_quiet_folder_registers_after_the_stability_window,
    subject_and_session_folders_with_a_path_pattern,
    real_scanner_dicom_is_registered_and_odd_files_are_held,
    odd_folder_names_are_safe,
    revalidation_follows_the_protocol,
    dry_run_writes_nothing,
    mapping_over_http_survives_the_server_going_away,
);

fn held(site: &Site) -> Vec<(String, String)> {
    let v = site.json(&["sessions", "list", "--status", "held"]);
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| (r["scan_id"].as_str().unwrap().to_string(), r["status"].as_str().unwrap().to_string()))
        .collect()
}

fn sessions(site: &Site) -> Vec<Value> {
    site.json(&["sessions", "list"]).as_array().unwrap().clone()
}

fn sessions_are_registered_held_and_validated(db: TestDb) {
    let site = Site::intake(db);
    site.add_session("20240115_1430", Manufacturer::Siemens);
    site.add_session("20240116_0900", Manufacturer::Ge);
    site.add_session("20240117_1000", Manufacturer::Philips);
    // An incomplete visit: only the T1w series (no DWI).
    site.add_session("20240118_1100", Manufacturer::Canon);
    let canon = site.incoming().join("20240118_1100");
    for entry in std::fs::read_dir(&canon).unwrap() {
        let p = entry.unwrap().path();
        if !p.file_name().unwrap().to_string_lossy().to_lowercase().contains("t1") {
            std::fs::remove_dir_all(&p).unwrap();
        }
    }
    // Junk: a folder of non-DICOM files.
    let junk = site.incoming().join("20240119_1200");
    std::fs::create_dir_all(&junk).unwrap();
    std::fs::write(junk.join("notes.txt"), "not an image").unwrap();
    std::fs::write(junk.join("empty.dcm"), "").unwrap();
    site.set_mapping(&[
        ("20240115_1430", "75"),
        ("20240116_0900", "CLM_L_01"),
        ("20240117_1000", "75"),
        ("20240118_1100", "12"),
        ("20240119_1200", "13"),
        ("20240120_1300", "14"),
        ("20240120_1300", "15"),
    ]);
    let conflict = site.incoming().join("20240120_1300");
    site.add_session("20240120_1300", Manufacturer::Siemens);
    assert!(conflict.is_dir());
    let report = site.json(&["discover"]);
    assert_eq!(
        (report["registered_valid"].as_u64(), report["registered_invalid"].as_u64()),
        (Some(3), Some(1)),
        "{report}"
    );
    let list = sessions(&site);
    let by_scan = |scan: &str| {
        list.iter().find(|r| r["scan_id"] == scan).unwrap_or_else(|| panic!("{scan} not listed: {list:?}"))
    };
    assert_eq!(by_scan("20240115_1430")["participant"], "0075");
    assert_eq!(by_scan("20240115_1430")["session"], "202401151430");
    assert_eq!(by_scan("20240116_0900")["participant"], "CLML01");
    assert_eq!(by_scan("20240117_1000")["participant"], "0075", "two visits of one subject");
    let invalid = by_scan("20240118_1100");
    assert_eq!(
        (invalid["status"].as_str(), invalid["message"].as_str()),
        (Some("invalid"), Some("Missing required scans: DWI"))
    );
    assert!(by_scan("20240115_1430")["scans_found"]["DWI"].as_u64().unwrap() > 0);
    let held = held(&site);
    assert!(held.contains(&("20240119_1200".into(), "unreadable".into())), "{held:?}");
    assert!(held.contains(&("20240120_1300".into(), "conflict".into())), "{held:?}");
    let show = site.json(&["sessions", "show", "0075", "202401151430"]);
    assert!(show["series"].as_array().unwrap().len() >= 4, "{show}");
    assert!(show["dicom_path"].as_str().unwrap().ends_with("incoming/20240115_1430"));
    // A second scan parses nothing again.
    let again = site.json(&["discover"]);
    assert_eq!(
        (again["already_registered"].as_u64(), again["files_read"].as_u64()),
        (Some(4), Some(2)),
        "only the held junk folder (2 files) is looked at again: {again}"
    );
    assert_eq!(sessions(&site).len(), 4);
    let by_status = site.json(&["sessions", "list", "--status", "invalid"]);
    assert_eq!(by_status.as_array().unwrap().len(), 1);
    let by_subject = site.json(&["sessions", "list", "--subject", "sub-0075"]);
    assert_eq!(by_subject.as_array().unwrap().len(), 2);
}

fn unmapped_folders_register_once_the_mapping_knows_them(db: TestDb) {
    let site = Site::intake(db);
    site.add_session("S100", Manufacturer::Siemens);
    site.json(&["discover"]);
    assert_eq!(held(&site), vec![("S100".to_string(), "unmapped".to_string())]);
    let list = site.json(&["sessions", "list", "--status", "unmapped"]);
    assert!(list[0]["message"].as_str().unwrap().contains("not in the mapping table"), "{list}");
    assert!(sessions(&site).is_empty());
    site.set_mapping(&[("S100", "100")]);
    let r = site.json(&["discover"]);
    assert_eq!(r["registered_valid"], 1, "{r}");
    assert!(held(&site).is_empty());
    assert_eq!(sessions(&site)[0]["participant"], "0100");
}

fn a_folder_still_being_written_waits(db: TestDb) {
    let site = Site::new(db, "mapping:\n  csv_file: mapping.csv\ndiscovery:\n  stability_minutes: 5\n");
    site.set_mapping(&[("S200", "200")]);
    site.add_session("S200", Manufacturer::Ge);
    let r = site.json(&["discover"]);
    assert_eq!(r["registered_valid"], 0);
    assert_eq!(held(&site), vec![("S200".to_string(), "waiting".to_string())]);
    assert!(r["held"][0]["reason"].as_str().unwrap().contains("waiting for 5 quiet minutes"), "{r}");
}

/// Files last written 10 minutes ago, first seen 6 minutes ago (the stored
/// fingerprint is moved back as if discovery had seen it then): stable for 5 minutes.
fn a_quiet_folder_registers_after_the_stability_window(db: TestDb) {
    let url = db.url().to_string();
    let site = Site::new(db, "mapping:\n  csv_file: mapping.csv\ndiscovery:\n  stability_minutes: 5\n");
    site.set_mapping(&[("Q1", "210")]);
    site.add_session("Q1", Manufacturer::Siemens);
    let old = std::process::Command::new("find")
        .arg(site.incoming().join("Q1"))
        .args(["-exec", "touch", "-d", "10 minutes ago", "{}", "+"])
        .status()
        .unwrap();
    assert!(old.success());
    assert_eq!(site.json(&["discover"])["registered_valid"], 0, "first sight: waits");
    assert_eq!(held(&site), vec![("Q1".to_string(), "waiting".to_string())]);
    let back = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(6);
    crate::support::db::execute(&url, &format!("UPDATE incoming_folders SET fingerprint_since = '{back}'"));
    let r = site.json(&["discover"]);
    assert_eq!(r["registered_valid"], 1, "unchanged for 6 minutes: registered ({r})");
}

fn odd_folder_names_are_safe(db: TestDb) {
    let site = Site::intake(db);
    let names = ["visit 1 'a'", "v2$(touch pwned)", "v3\"quoted\";ls"];
    for n in names {
        site.add_session(n, Manufacturer::Canon);
    }
    let rows: Vec<(&str, &str)> = names.iter().zip(["1", "2", "3"]).map(|(n, c)| (*n, c)).collect();
    let csv_rows: Vec<(String, &str)> = rows.iter().map(|(n, c)| (csv_quote(n), *c)).collect();
    let borrowed: Vec<(&str, &str)> = csv_rows.iter().map(|(n, c)| (n.as_str(), *c)).collect();
    site.set_mapping(&borrowed);
    let r = site.json(&["discover"]);
    assert_eq!(r["registered_valid"], 3, "{r}");
    let list = sessions(&site);
    let labels: Vec<&str> = list.iter().map(|r| r["session"].as_str().unwrap()).collect();
    assert_eq!(labels, vec!["visit1a", "v2touchpwned", "v3quotedls"]);
    assert!(!site.root().join("pwned").exists() && !site.incoming().join("pwned").exists());
}

fn csv_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn revalidation_follows_the_protocol(db: TestDb) {
    let site = Site::intake(db);
    site.set_mapping(&[("S300", "300")]);
    site.add_session("S300", Manufacturer::Philips);
    site.json(&["discover"]);
    assert_eq!(sessions(&site)[0]["status"], "valid");
    let cfg = std::fs::read_to_string(site.config()).unwrap();
    std::fs::write(
        site.config(),
        cfg.replace(
            "min_files: 1}\n  optional",
            "min_files: 1}\n    - {name: Func, series_description_pattern: 'nosuchseries'}\n  optional",
        ),
    )
    .unwrap();
    let changed = site.json(&["sessions", "revalidate"]);
    assert_eq!(changed[0]["status"], "invalid", "{changed}");
    assert_eq!(changed[0]["message"], "Missing required scans: Func");
    assert_eq!(sessions(&site)[0]["status"], "invalid");
    assert!(site.json(&["sessions", "revalidate"]).as_array().unwrap().is_empty(), "nothing changes twice");
}

fn dry_run_writes_nothing(db: TestDb) {
    let site = Site::intake(db);
    site.set_mapping(&[("S400", "400")]);
    site.add_session("S400", Manufacturer::Siemens);
    site.add_session("S401", Manufacturer::Siemens);
    let r = site.json(&["discover", "--dry-run"]);
    assert_eq!((r["registered_valid"].as_u64(), r["held"].as_array().unwrap().len()), (Some(1), 1), "{r}");
    assert!(sessions(&site).is_empty());
    assert!(held(&site).is_empty());
}

fn mapping_over_http_survives_the_server_going_away(db: TestDb) {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let port = server.server_addr().to_ip().unwrap().port();
    let csv = "\u{feff}ScanID,SubjectCode\r\nH1,501\r\nH2,502\r\n";
    let handle = std::thread::spawn(move || {
        // Serve two requests, then go away.
        for _ in 0..2 {
            if let Ok(req) = server.recv() {
                let _ = req.respond(tiny_http::Response::from_string(csv));
            }
        }
    });
    let url = format!("http://127.0.0.1:{port}/export?format=csv");
    let site = Site::new(
        db,
        &format!("mapping:\n  url: '{url}'\n  fetch_timeout_seconds: 2\ndiscovery:\n  stability_minutes: 0\n"),
    );
    site.add_session("H1", Manufacturer::Ge);
    assert_eq!(site.json(&["discover"])["registered_valid"], 1);
    site.add_session("H2", Manufacturer::Ge);
    assert_eq!(site.json(&["discover"])["registered_valid"], 1);
    handle.join().unwrap();
    // The sheet is gone: the last good copy is used, with a warning, not a failed tick.
    site.add_session("H3", Manufacturer::Ge);
    let out = site.nf().args(["discover", "--format", "json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("using the last good copy"), "{stderr}");
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(r["mapping"].as_str().unwrap().starts_with("last good copy"), "{r}");
    assert_eq!(held(&site), vec![("H3".to_string(), "unmapped".to_string())]);
    // Without a cached copy, an unreachable sheet is transient: exit 2, nothing lost.
    std::fs::remove_file(site.root().join("work/mapping-cache.csv")).unwrap();
    let out = site.nf().args(["discover"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(sessions(&site).len(), 2);
}

fn subject_and_session_folders_with_a_path_pattern(db: TestDb) {
    let pattern = "discovery:\n  stability_minutes: 0\n  path_pattern: '^(?P<subject>[^/]+)/(?P<session>[^/]+)$'\n";
    let site = Site::new(db, pattern);
    for (subject, session, m) in [("CLM_L_01", "visit-1", Manufacturer::Ge), ("75", "baseline", Manufacturer::Siemens)]
    {
        let spec = neuroflow_synth::standard_session(session, subject, m, 30);
        neuroflow_synth::write_session(&site.incoming().join(subject).join(session), &spec).unwrap();
    }
    let r = site.json(&["discover"]);
    assert_eq!(r["registered_valid"], 2, "{r}");
    let list = sessions(&site);
    let pairs: Vec<(String, String, String)> = list
        .iter()
        .map(|x| {
            (
                x["participant"].as_str().unwrap().into(),
                x["session"].as_str().unwrap().into(),
                x["scan_id"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        vec![
            ("0075".to_string(), "baseline".to_string(), "75/baseline".to_string()),
            ("CLML01".to_string(), "visit1".to_string(), "CLM_L_01/visit-1".to_string())
        ]
    );
}

/// The real DICOM that ships in the nibabel and pydicom wheels, as one visit: a
/// Philips MPRAGE, a Siemens DWI mosaic pair, small MR files; and a visit of odd files.
fn real_scanner_dicom_is_registered_and_odd_files_are_held(db: TestDb) {
    let site_packages = std::fs::read_dir(crate::support::chain::venv().join("lib"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path().join("site-packages"))
        .find(|p| p.join("pydicom").is_dir())
        .expect("pydicom in the venv");
    let nib = site_packages.join("nibabel/nicom/tests/data");
    let pyd = site_packages.join("pydicom/data/test_files");
    let site = Site::intake(db);
    let visit = site.incoming().join("REAL1");
    std::fs::create_dir_all(visit.join("dwi")).unwrap();
    for (gz, dest) in [
        ("philips_mprage.dcm.gz", "t1.dcm"),
        ("siemens_dwi_0.dcm.gz", "dwi/b0.dcm"),
        ("siemens_dwi_1000.dcm.gz", "dwi/b1000.dcm"),
    ] {
        let out = std::process::Command::new("gzip").arg("-dc").arg(nib.join(gz)).output().unwrap();
        assert!(out.status.success());
        std::fs::write(visit.join(dest), out.stdout).unwrap();
    }
    for f in ["MR_small.dcm", "MR_truncated.dcm"] {
        std::fs::copy(pyd.join(f), visit.join(f)).unwrap();
    }
    std::fs::write(visit.join("README.txt"), "scanner export notes").unwrap();
    let odd = site.incoming().join("ODD1");
    std::fs::create_dir_all(&odd).unwrap();
    for f in ["UN_sequence.dcm", "no_meta.dcm"] {
        std::fs::copy(pyd.join(f), odd.join(f)).unwrap();
    }
    site.set_mapping(&[("REAL1", "301"), ("ODD1", "302")]);
    let r = site.json(&["discover"]);
    assert_eq!(r["registered_valid"], 1, "{r}");
    let show = site.json(&["sessions", "show", "0301", "REAL1"]);
    let descriptions: Vec<&str> =
        show["series"].as_array().unwrap().iter().filter_map(|s| s["description"].as_str()).collect();
    assert!(descriptions.contains(&"MPRAGE_S2") && descriptions.contains(&"CBU_DTI_64D_1A"), "{show}");
    assert_eq!(show["session"]["scans_found"], serde_json::json!({"T1w": 1, "DWI": 2}), "{show}");
    let dwi = show["series"].as_array().unwrap().iter().find(|s| s["description"] == "CBU_DTI_64D_1A").unwrap();
    assert_eq!((dwi["series_number"].as_i64(), dwi["files"].as_u64()), (Some(12), Some(2)));
    assert!(
        ["2010-01-14", "2012-03-10", "2004-08-26"].contains(&show["session"]["study_date"].as_str().unwrap()),
        "{show}"
    );
    let held = held(&site);
    assert_eq!(held, vec![("ODD1".to_string(), "unreadable".to_string())]);
}
