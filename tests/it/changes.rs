//! Correct when the world changes (issue 13): failures judged by neuroflow reach
//! downstream, a person's cancellation is checked against Slurm first.

use crate::support::chain::{ChainOpts, find, runs, site};
use crate::support::db::TestDb;
use crate::support::site::Site;
use neuroflow_synth::Manufacturer;
use std::time::{Duration, Instant};

/// The ids of these runs' jobs that Slurm still has in its queue ("" when none).
fn still_queued<'a>(rows: impl IntoIterator<Item = &'a serde_json::Value>) -> String {
    let ids: Vec<String> = rows.into_iter().filter_map(|r| r["job_id"].as_i64()).map(|j| j.to_string()).collect();
    let out = std::process::Command::new("squeue")
        .args(["--noheader", "--format=%i", &format!("--jobs={}", ids.join(","))])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Waits until none of the site's jobs is in the queue (nothing tracked meanwhile).
fn wait_for_slurm(site: &Site) {
    let deadline = Instant::now() + Duration::from_secs(120);
    let rows = runs(site, false);
    while Instant::now() < deadline {
        if still_queued(&rows).is_empty() {
            return;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    panic!("jobs still queued: {}", still_queued(&rows));
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
    let queued = still_queued(rows.iter().filter(|r| r["stage"] != "bids_conversion"));
    assert!(queued.is_empty(), "still queued: {queued}");
    let out = site.nf().env("NF_STANDIN_SLEEP", "0").args(["workflow", "run", "--sync"]).output().unwrap();
    assert_ne!(out.status.code(), Some(2));
    assert_eq!(find(&runs(&site, true), "qsiprep", "0072").len(), 1, "not resubmitted");
}

/// Current runs per (stage, session) with their status.
fn current(site: &Site) -> Vec<(String, String, String)> {
    runs(site, false)
        .iter()
        .map(|r| {
            let s = r["session"].as_str().unwrap_or("-").to_string();
            (r["stage"].as_str().unwrap().to_string(), s, r["status"].as_str().unwrap().to_string())
        })
        .collect()
}

fn qsiprep_sessions(site: &Site, label: &str) -> String {
    std::fs::read_to_string(site.root().join(format!("derivatives/qsiprep/sub-{label}/sessions.txt")))
        .unwrap()
        .trim()
        .to_string()
}

fn excluding_keeps_a_session_out(db: TestDb, while_queued: bool) {
    let site = site(db, &ChainOpts::default());
    site.add_session("E1", Manufacturer::Siemens);
    site.add_session("E2", Manufacturer::Ge);
    site.set_mapping(&[("E1", "75"), ("E2", "75")]);
    if while_queued {
        let out = site.nf().env("NF_STANDIN_SLEEP", "6").args(["workflow", "run"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    } else {
        assert!(site.nf().args(["workflow", "run", "--sync"]).output().unwrap().status.success());
        assert_eq!(qsiprep_sessions(&site, "0075"), "ses-E1,ses-E2");
    }
    let before = runs(&site, false);
    let out = site.nf().args(["sessions", "exclude", "75", "E2", "--reason", "consent withdrawn"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let history = runs(&site, true);
    for r in before.iter().filter(|r| r["session"] == "E2" || r["stage"] == "qsiprep") {
        let now = history.iter().find(|h| h["id"] == r["id"]).unwrap();
        assert!(now["superseded"].as_bool().unwrap(), "no longer current: {now}");
        if while_queued {
            assert_eq!(
                (now["status"].as_str(), now["cause"].as_str()),
                (Some("cancelled"), Some("session_withdrawn")),
                "{now}"
            );
            assert!(now["message"].as_str().unwrap().contains("consent withdrawn"), "{now}");
        } else {
            assert_eq!(now["status"], "completed", "history is kept as it was: {now}");
        }
    }
    if while_queued {
        // Nothing of the subject is left in Slurm (E1's downstream went with its qsiprep).
        let queued = still_queued(before.iter().filter(|r| r["stage"] != "bids_conversion"));
        assert!(queued.is_empty(), "still queued: {queued}");
    }
    // The subject is processed again without the session.
    let out = site.nf().args(["workflow", "run", "--sync"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(qsiprep_sessions(&site, "0075"), "ses-E1", "QSIPrep no longer reads E2");
    let mut now = current(&site);
    now.sort();
    let want: Vec<(String, String, String)> =
        [("bids_conversion", "E1"), ("qsiparc", "E1"), ("qsiprep", "-"), ("qsirecon", "E1")]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string(), "completed".to_string()))
            .collect();
    assert_eq!(now, want);
    let prep = find(&runs(&site, false), "qsiprep", "0075")[0].clone();
    let shown = site.json(&["runs", "show", &prep["id"].to_string()]);
    assert_eq!(shown["run"]["covered_session_ids"].as_str().map(|s| s.split(',').count()), Some(1), "{shown}");
}

#[test]
fn excluding_a_queued_session_cancels_what_reads_it_and_reruns_the_subject_without_it() {
    excluding_keeps_a_session_out(TestDb::sqlite(), true);
}

#[test]
fn excluding_a_processed_session_withdraws_its_results_and_reruns_the_subject_without_it() {
    excluding_keeps_a_session_out(TestDb::postgres(), false);
}

#[test]
fn a_session_that_revalidation_turns_invalid_leaves_the_chain() {
    let site = site(TestDb::sqlite(), &ChainOpts::default());
    site.add_session("V1", Manufacturer::Siemens);
    site.set_mapping(&[("V1", "76")]);
    assert!(site.nf().args(["workflow", "run", "--sync"]).output().unwrap().status.success());
    assert_eq!(current(&site).len(), 4);
    // The protocol now requires a scan this session does not have.
    let cfg = std::fs::read_to_string(site.config()).unwrap();
    let stricter = cfg.replace(
        "  optional_scans:\n",
        "    - {name: FLAIR, series_description_pattern: 'flair', min_files: 1}\n  optional_scans:\n",
    );
    assert_ne!(stricter, cfg);
    std::fs::write(site.config(), stricter).unwrap();
    let out = site.nf().args(["sessions", "revalidate"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(current(&site).is_empty(), "its completed runs are flagged, not left completed: {:?}", current(&site));
    let history = runs(&site, true);
    assert_eq!(history.len(), 4);
    for r in &history {
        assert!(r["superseded"].as_bool().unwrap() && r["status"] == "completed", "{r}");
    }
    let show = site.json(&["runs", "show", &history[3]["id"].to_string()]);
    let trail = show["audit"].to_string();
    assert!(trail.contains("withdrawn") && trail.contains("Missing required scans: FLAIR"), "{trail}");
}

#[test]
fn submit_force_over_a_live_run_says_why_and_replace_cancels_it_first() {
    let site = site(TestDb::sqlite(), &ChainOpts::default());
    site.add_session("F1", Manufacturer::Siemens);
    site.set_mapping(&[("F1", "81")]);
    assert!(site.nf().env("NF_STANDIN_SLEEP", "6").args(["workflow", "run"]).output().unwrap().status.success());
    let out = site.nf().args(["submit", "--stage", "qsiprep", "--subject", "81", "--force"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is live: nothing submitted") && err.contains("--replace"), "{err}");
    let out =
        site.nf().args(["submit", "--stage", "qsiprep", "--subject", "81", "--force", "--replace"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let prep = find(&runs(&site, true), "qsiprep", "0081").into_iter().cloned().collect::<Vec<_>>();
    assert_eq!(prep.len(), 2, "{prep:?}");
    assert_eq!((prep[0]["status"].as_str(), prep[0]["cause"].as_str()), (Some("cancelled"), Some("by_person")));
    assert_eq!((prep[1]["trigger"].as_str(), prep[1]["status"].as_str()), (Some("forced"), Some("queued")));
    let out = site.nf().args(["workflow", "run", "--sync"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(runs(&site, false).iter().all(|r| r["status"] == "completed"));
}

#[test]
fn verify_finds_deleted_outputs_and_requeue_redoes_the_unit() {
    let site = site(TestDb::sqlite(), &ChainOpts::default());
    site.add_session("Y1", Manufacturer::Siemens);
    site.set_mapping(&[("Y1", "82")]);
    assert!(site.nf().args(["workflow", "run", "--sync"]).output().unwrap().status.success());
    assert!(site.nf().args(["verify"]).output().unwrap().status.success(), "all outputs there");
    std::fs::remove_dir_all(site.root().join("derivatives/qsirecon/derivatives/qsirecon-DSIStudio/sub-0082")).unwrap();
    let out = site.nf().args(["verify", "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "a person should know");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v.as_array().unwrap().len(), v[0]["stage"].as_str()), (1, Some("qsirecon")), "{v}");
    let out = site.nf().args(["verify", "--requeue"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = site.nf().args(["workflow", "run", "--sync"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let history = runs(&site, true);
    assert_eq!(find(&history, "qsirecon", "0082").len(), 2, "redone");
    assert_eq!(find(&history, "qsiparc", "0082").len(), 2, "its downstream followed");
    assert!(runs(&site, false).iter().all(|r| r["status"] == "completed"));
    assert!(site.nf().args(["verify"]).output().unwrap().status.success());
}

#[test]
fn disabling_a_stage_with_live_jobs_warns_and_cancel_disabled_cancels_them() {
    let site = site(TestDb::sqlite(), &ChainOpts::default());
    site.add_session("D1", Manufacturer::Siemens);
    site.set_mapping(&[("D1", "83")]);
    assert!(site.nf().env("NF_STANDIN_SLEEP", "5").args(["workflow", "run"]).output().unwrap().status.success());
    let cfg = std::fs::read_to_string(site.config()).unwrap();
    let parc = cfg.find("  qsiparc:\n").unwrap();
    let disabled = format!("{}  qsiparc:\n    enabled: false\n{}", &cfg[..parc], &cfg[parc + "  qsiparc:\n".len()..]);
    std::fs::write(site.config(), disabled).unwrap();
    let out = site.nf().args(["workflow", "run"]).output().unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("stage qsiparc is disabled") && err.contains("--cancel-disabled"), "{err}");
    assert_eq!(find(&runs(&site, false), "qsiparc", "0083")[0]["status"], "queued", "only a warning");
    let out = site.nf().args(["workflow", "run", "--cancel-disabled"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let parc = find(&runs(&site, false), "qsiparc", "0083")[0].clone();
    assert_eq!((parc["status"].as_str(), parc["cause"].as_str()), (Some("cancelled"), Some("by_person")), "{parc}");
    assert!(parc["message"].as_str().unwrap().contains("stage qsiparc is disabled"));
    let out = site.nf().args(["workflow", "run", "--sync"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = runs(&site, false);
    assert!(rows.iter().filter(|r| r["stage"] != "qsiparc").all(|r| r["status"] == "completed"), "{rows:?}");
}

#[test]
fn a_session_arriving_while_qsiprep_runs_restarts_it_at_once() {
    let site = site(TestDb::sqlite(), &ChainOpts::default());
    site.add_session("N1", Manufacturer::Siemens);
    site.set_mapping(&[("N1", "84")]);
    assert!(site.nf().env("NF_STANDIN_SLEEP", "5").args(["workflow", "run"]).output().unwrap().status.success());
    site.add_session("N2", Manufacturer::Ge);
    site.set_mapping(&[("N1", "84"), ("N2", "84")]);
    let out = site.nf().args(["workflow", "run", "--format", "json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let history = runs(&site, true);
    let prep = find(&history, "qsiprep", "0084");
    assert_eq!(prep.len(), 2, "{prep:?}");
    assert_eq!((prep[0]["status"].as_str(), prep[0]["cause"].as_str()), (Some("cancelled"), Some("restarted")));
    assert!(prep[0]["message"].as_str().unwrap().contains("new session(s) N2"), "{}", prep[0]);
    assert_eq!(prep[1]["status"], "queued", "started over in the same tick");
    for stage in ["qsirecon", "qsiparc"] {
        let old = find(&history, stage, "0084").into_iter().find(|r| r["session"] == "N1").unwrap();
        assert_eq!(old["cause"], "upstream_failed", "{old}");
    }
    let out = site.nf().args(["workflow", "run", "--sync"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(runs(&site, false).iter().all(|r| r["status"] == "completed"));
    let covered = std::fs::read_to_string(site.root().join("derivatives/qsiprep/sub-0084/sessions.txt")).unwrap();
    assert_eq!(covered.trim(), "ses-N1,ses-N2");
}
