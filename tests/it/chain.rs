//! The chain on the real local Slurm: one tick submits bids_conversion → qsiprep →
//! qsirecon → qsiparc with afterok; tracking brings every run to its end.

use crate::support::chain::{ChainOpts, RECON_SUFFIX, Runtime, find, runs, site, ticks};
use crate::support::db::TestDb;
use neuroflow_synth::Manufacturer;
use serde_json::Value;
use std::process::Command;
use std::time::Instant;

fn squeue_dependencies(job_ids: &[u64]) -> String {
    let ids: Vec<String> = job_ids.iter().map(|j| j.to_string()).collect();
    let out = Command::new("squeue")
        .args(["--noheader", "--states=all", &format!("--jobs={}", ids.join(",")), "--format=%i|%j|%T|%E"])
        .output()
        .expect("squeue runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn end_to_end(db: TestDb, runtime: Runtime) {
    let started = Instant::now();
    let site = site(db, &ChainOpts { real_heudiconv: true, runtime, ..Default::default() });
    site.add_session("20240115_1430", Manufacturer::Siemens);
    site.add_session("20240116_0900", Manufacturer::Ge);
    site.set_mapping(&[("20240115_1430", "1"), ("20240116_0900", "2")]);
    // One tick submits the whole chain of both subjects.
    let out = site.nf().args(["workflow", "run", "--format", "json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let first = &ticks(&out.stdout)[0];
    let submitted = first["submit"]["submitted"].as_array().unwrap();
    assert_eq!(submitted.len(), 8, "one tick submits 4 stages x 2 subjects: {first}");
    let job_of = |name: &str| submitted.iter().find(|s| s["job_name"] == name).unwrap()["job_id"].as_u64().unwrap();
    let recon = job_of("nf-qsirecon-sub-0001-ses-202401151430");
    let parc = submitted.iter().find(|s| s["job_name"] == "nf-qsiparc-sub-0001-ses-202401151430").unwrap();
    assert_eq!(parc["dependency"], serde_json::json!([recon.to_string()]));
    let prep = submitted.iter().find(|s| s["job_name"] == "nf-qsiprep-sub-0001").unwrap();
    assert_eq!(
        prep["dependency"],
        serde_json::json!([job_of("nf-bids_conversion-sub-0001-ses-202401151430").to_string()])
    );
    // squeue shows the afterok chain while it runs.
    let ids: Vec<u64> = submitted.iter().map(|s| s["job_id"].as_u64().unwrap()).collect();
    let queue = squeue_dependencies(&ids);
    assert!(queue.contains(&format!("afterok:{recon}")), "squeue shows qsiparc waiting on qsirecon:\n{queue}");
    assert!(first["slurm_calls"].as_u64().unwrap() == 8, "8 sbatch and nothing else: {first}");
    // --sync waits for everything, politely.
    let out = site.nf().args(["workflow", "run", "--sync", "--format", "json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let later = ticks(&out.stdout);
    for t in &later {
        let sync = &t["sync"];
        let live = sync["live_before"].as_u64().unwrap();
        let calls = sync["slurm_calls"].as_u64().unwrap();
        assert!(calls <= 2 && (live > 0 || calls == 0), "one squeue + at most one sacct per tick: {t}");
    }
    let rows = runs(&site, false);
    assert_eq!(rows.len(), 8);
    for r in &rows {
        assert_eq!((r["status"].as_str(), r["slurm_state"].as_str()), (Some("completed"), Some("COMPLETED")), "{r}");
        assert_eq!((r["exit_code"].as_i64(), r["exit_signal"].as_i64()), (Some(0), Some(0)), "{r}");
        assert!(r["elapsed_seconds"].as_i64().is_some() && r["job_id"].as_i64().is_some(), "{r}");
        assert!(std::path::Path::new(r["stdout"].as_str().unwrap()).is_file(), "log file kept: {r}");
    }
    let show = site.json(&["runs", "show", &rows[0]["id"].to_string()]);
    assert!(show["run"]["node_list"].as_str().is_some() && show["run"]["started_at"].as_str().is_some(), "{show}");
    // The real converter wrote a BIDS tree.
    let bids = site.root().join("bids");
    assert!(bids.join("dataset_description.json").is_file());
    for (sub, ses) in [("0001", "202401151430"), ("0002", "202401160900")] {
        let d = bids.join(format!("sub-{sub}/ses-{ses}"));
        let files: Vec<String> = walk(&d);
        for want in ["_T1w.nii.gz", "_T1w.json", "_dwi.nii.gz", "_dwi.bval", "_dwi.bvec", "_dwi.json"] {
            assert!(files.iter().any(|f| f.ends_with(want)), "{} lacks *{want}: {files:?}", d.display());
        }
    }
    // And the BIDS validator (PyPI bids-validator-deno, offline) accepts it.
    let v = Command::new(crate::support::chain::venv().join("bin/bids-validator-deno")).arg(&bids).output().unwrap();
    assert!(v.status.success(), "BIDS validator rejects the tree:\n{}", String::from_utf8_lossy(&v.stdout));
    // What each tool wrote where the real one writes it.
    let d = site.root().join("derivatives");
    for (sub, ses) in [("0001", "202401151430"), ("0002", "202401160900")] {
        for dir in [
            format!("qsiprep/sub-{sub}/ses-{ses}/dwi"),
            format!("qsirecon/derivatives/qsirecon-{RECON_SUFFIX}/sub-{sub}/ses-{ses}/dwi"),
            format!("qsiparc/sub-{sub}/ses-{ses}/dwi/atlas-4S156Parcels"),
        ] {
            assert!(!walk(&d.join(&dir)).is_empty(), "{runtime:?}: nothing in {dir}");
        }
    }
    // The last stage is the real QSIParc: its own tables, sidecars and dataset description.
    let tsvs: Vec<String> = walk(&d.join("qsiparc")).into_iter().filter(|f| f.ends_with("_diffmap.tsv")).collect();
    assert_eq!(tsvs.len(), 4, "one table per scalar map (FA, MD) and session: {tsvs:?}");
    for t in &tsvs {
        let text = std::fs::read_to_string(t).unwrap();
        assert!(text.starts_with("index\tlabel\themisphere\tvolume_mm3\tvoxel_count"), "{t}: {text}");
        assert_eq!(text.lines().count(), 5, "4 regions of the atlas: {text}");
        assert!(std::path::Path::new(&t.replace(".tsv", ".json")).is_file(), "{t}: sidecar");
    }
    let desc = std::fs::read_to_string(d.join("qsiparc/dataset_description.json")).unwrap();
    assert!(desc.contains("\"Name\": \"QSIParc\""), "{desc}");
    let parc_run = rows.iter().find(|r| r["stage"] == "qsiparc").unwrap();
    let show = site.json(&["runs", "show", &parc_run["id"].to_string()]);
    assert_eq!(show["provenance"]["tool_release"], "0.1.2", "{show}");
    assert_eq!(show["provenance"]["tool_release_found_by"], "package metadata", "{show}");
    let prep_run = rows.iter().find(|r| r["stage"] == "qsiprep").unwrap();
    let prep = site.json(&["runs", "show", &prep_run["id"].to_string()]);
    assert_eq!(
        (&prep["provenance"]["tool_release"], &prep["provenance"]["tool_release_found_by"]),
        (&"26.0.0".into(), &"--version".into()),
        "{prep}"
    );
    assert_eq!(show["tool"]["tool_version"], "0.1.2", "the job asked the real QSIParc: {show}");
    // The Slurm release the jobs went through, as the commands on PATH answer (22.05,
    // or 24.11/26.05 through slurm/release.sh's wrappers), with each run and each tick.
    let sbatch = Command::new("sbatch").arg("--version").output().unwrap();
    let version = String::from_utf8_lossy(&sbatch.stdout).split_whitespace().last().unwrap().to_string();
    assert_eq!(prep["provenance"]["slurm_release"], version.as_str(), "{prep}");
    if let Ok(want) = std::env::var("NEUROFLOW_SLURM_RELEASE") {
        assert!(version.starts_with(&format!("{want}.")), "the tests run on {want}: sbatch says {version}");
    }
    let ticks = site.json(&["workflow", "list"]);
    let releases: Vec<&Value> = ticks.as_array().unwrap().iter().map(|t| &t["slurm_release"]).collect();
    assert!(releases.iter().any(|r| **r == version.as_str()), "ticks that called Slurm say which: {ticks}");
    assert!(releases.iter().all(|r| r.is_null() || **r == version.as_str()), "{ticks}");
    // Each job's scratch is gone, and so are the work directories of units that succeeded.
    let work = site.root().join("work");
    assert!(walk(&work.join("scratch")).is_empty(), "scratch left behind: {:?}", walk(&work.join("scratch")));
    assert!(walk(&work.join("runs")).is_empty(), "work dirs left after success: {:?}", walk(&work.join("runs")));
    eprintln!(
        "end-to-end ({runtime:?}): {} ticks ({} with --sync), {:.1} s wall, slurm calls per tick {:?}",
        1 + later.len(),
        later.len(),
        started.elapsed().as_secs_f64(),
        std::iter::once(first).chain(later.iter()).map(|t| t["slurm_calls"].as_u64().unwrap()).collect::<Vec<_>>()
    );
}

/// Files below `dir` (none when it does not exist).
fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = vec![];
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for e in entries {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p.display().to_string());
        }
    }
    out
}

#[test]
fn end_to_end_in_apptainer_on_sqlite() {
    end_to_end(TestDb::sqlite(), Runtime::Apptainer);
}

#[test]
fn end_to_end_native_on_postgres() {
    end_to_end(TestDb::postgres(), Runtime::Native);
}

#[test]
fn a_failing_stage_cancels_downstream_retries_then_needs_a_human() {
    let site = site(TestDb::sqlite(), &ChainOpts::default());
    site.add_session("F1", Manufacturer::Canon);
    site.add_session("F2", Manufacturer::Canon);
    site.set_mapping(&[("F1", "1"), ("F2", "2")]);
    let out = site
        .nf()
        .env("NF_STANDIN_FAIL", "qsirecon:0002")
        .args(["workflow", "run", "--sync", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "needs a human:\n{}", String::from_utf8_lossy(&out.stderr));
    let rows = runs(&site, false);
    for stage in ["bids_conversion", "qsiprep", "qsirecon", "qsiparc"] {
        assert_eq!(find(&rows, stage, "0001")[0]["status"], "completed", "{stage} of the healthy subject");
    }
    let recon = find(&rows, "qsirecon", "0002")[0];
    assert_eq!(
        (recon["status"].as_str(), recon["attempt"].as_i64(), recon["cause"].as_str()),
        (Some("failed"), Some(2), Some("nonzero_exit"))
    );
    // QSIRecon writes its report "in finally", even after the crash: it proves nothing.
    let report =
        site.root().join(format!("derivatives/qsirecon/derivatives/qsirecon-{RECON_SUFFIX}/sub-0002_ses-F2.html"));
    assert!(report.is_file(), "the crashed run's report exists: {}", report.display());
    let history = runs(&site, true);
    let recon_all = find(&history, "qsirecon", "0002");
    assert_eq!(recon_all.len(), 2, "two attempts recorded");
    assert!(recon_all[0]["superseded"].as_bool().unwrap());
    for parc in find(&history, "qsiparc", "0002") {
        assert_eq!(
            (parc["status"].as_str(), parc["cause"].as_str()),
            (Some("cancelled"), Some("upstream_failed")),
            "{parc}"
        );
        assert_eq!(parc["attempt"], 1, "cancellation by upstream uses no attempt");
    }
    // A person fixes the cause and retries: the chain completes.
    let out = site.nf().args(["runs", "retry", &recon["id"].to_string()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = site.nf().args(["workflow", "run", "--sync"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = runs(&site, false);
    assert_eq!(find(&rows, "qsirecon", "0002")[0]["attempt"], 3);
    assert!(rows.iter().all(|r| r["status"] == "completed"), "{rows:?}");
}

#[test]
fn out_of_memory_is_retried_with_more_memory() {
    let site = site(TestDb::sqlite(), &ChainOpts::default());
    site.add_session("M1", Manufacturer::Philips);
    site.set_mapping(&[("M1", "7")]);
    let out = site.nf().env("NF_STANDIN_OOM", "qsiprep:700").args(["workflow", "run", "--sync"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let history = runs(&site, true);
    let prep = find(&history, "qsiprep", "0007");
    assert_eq!(prep.len(), 2, "{prep:?}");
    assert_eq!((prep[0]["status"].as_str(), prep[0]["cause"].as_str()), (Some("failed"), Some("out_of_memory")));
    assert_eq!((prep[0]["slurm_state"].as_str(), prep[0]["exit_signal"].as_i64()), (Some("OUT_OF_MEMORY"), Some(125)));
    assert_eq!((prep[0]["req_mem_mb"].as_i64(), prep[1]["req_mem_mb"].as_i64()), (Some(512), Some(1024)));
    assert_eq!((prep[1]["status"].as_str(), prep[1]["attempt"].as_i64()), (Some("completed"), Some(2)));
    assert!(runs(&site, false).iter().all(|r| r["status"] == "completed"));
}

fn gains_a_session(db: TestDb, runtime: Runtime) {
    let site = site(db, &ChainOpts { runtime, ..Default::default() });
    site.add_session("R1", Manufacturer::Siemens);
    site.set_mapping(&[("R1", "9")]);
    assert!(site.nf().args(["workflow", "run", "--sync"]).output().unwrap().status.success());
    site.add_session("R2", Manufacturer::Ge);
    site.set_mapping(&[("R1", "9"), ("R2", "9")]);
    let out = site.nf().args(["workflow", "run", "--format", "json"]).output().unwrap();
    let tick = &ticks(&out.stdout)[0];
    let names: Vec<&str> =
        tick["submit"]["submitted"].as_array().unwrap().iter().map(|s| s["job_name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        vec![
            "nf-bids_conversion-sub-0009-ses-R2",
            "nf-qsiprep-sub-0009",
            "nf-qsirecon-sub-0009-ses-R1",
            "nf-qsirecon-sub-0009-ses-R2",
            "nf-qsiparc-sub-0009-ses-R1",
            "nf-qsiparc-sub-0009-ses-R2"
        ],
        "one tick re-submits the subject's chain"
    );
    let out = site.nf().args(["workflow", "run", "--sync"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let history = runs(&site, true);
    let prep = find(&history, "qsiprep", "0009");
    assert_eq!(prep.len(), 2);
    assert!(prep[0]["superseded"].as_bool().unwrap() && prep[0]["status"] == "completed", "old run kept as history");
    assert_eq!(find(&history, "qsirecon", "0009").len(), 3, "R1 twice, R2 once");
    assert!(runs(&site, false).iter().all(|r| r["status"] == "completed"));
    let covered = std::fs::read_to_string(site.root().join("derivatives/qsiprep/sub-0009/sessions.txt")).unwrap();
    assert_eq!(covered.trim(), "ses-R1,ses-R2");
    // The real QSIParc re-ran over its own earlier outputs: without --force it would
    // skip them, and the run would fail its check for outputs fresh since the job began.
    let parc: Vec<_> = find(&history, "qsiparc", "0009").into_iter().filter(|r| r["session"] == "R1").collect();
    assert_eq!(parc.len(), 2, "R1's QSIParc ran twice");
    assert!(parc.iter().all(|r| r["status"] == "completed"), "both with fresh outputs: {parc:?}");
}

#[test]
fn a_retry_after_oom_takes_a_memory_raise_from_the_configuration() {
    let opts = ChainOpts { qsiprep_mem_gb: 0.25, max_attempts: 1, ..Default::default() };
    let site = site(TestDb::sqlite(), &opts);
    site.add_session("N1", Manufacturer::Philips);
    site.set_mapping(&[("N1", "8")]);
    let oom = |site: &crate::support::site::Site| {
        site.nf().env("NF_STANDIN_OOM", "qsiprep:700").args(["workflow", "run", "--sync"]).output().unwrap()
    };
    assert_eq!(oom(&site).status.code(), Some(1), "the only attempt died of OOM: a person must act");
    // The person raises mem_gb to 1 (and allows a second attempt). Growing the old
    // request (256 MB x 2 = 512 MB) would die again; the retry must take the raise.
    let cfg = std::fs::read_to_string(site.config()).unwrap();
    let cfg = cfg.replace("cpus: 2, mem_gb: 0.25", "cpus: 2, mem_gb: 1").replace("max_attempts: 1", "max_attempts: 2");
    std::fs::write(site.config(), cfg).unwrap();
    let out = oom(&site);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let prep = runs(&site, true).into_iter().filter(|r| r["stage"] == "qsiprep").collect::<Vec<_>>();
    assert_eq!(prep.len(), 2, "{prep:?}");
    assert_eq!((prep[0]["req_mem_mb"].as_i64(), prep[0]["cause"].as_str()), (Some(256), Some("out_of_memory")));
    assert_eq!((prep[1]["req_mem_mb"].as_i64(), prep[1]["status"].as_str()), (Some(1024), Some("completed")));
}

#[test]
fn a_new_session_of_a_finished_subject_reruns_qsiprep_and_downstream_native_postgres() {
    gains_a_session(TestDb::postgres(), Runtime::Native);
}

#[test]
fn a_new_session_of_a_finished_subject_reruns_qsiprep_and_downstream_in_apptainer() {
    gains_a_session(TestDb::sqlite(), Runtime::Apptainer);
}

#[test]
fn qsiprep_is_told_exactly_which_sessions_it_covers() {
    let site = site(TestDb::sqlite(), &ChainOpts::default());
    site.add_session("X1", Manufacturer::Siemens);
    site.set_mapping(&[("X1", "5")]);
    // A session folder that neuroflow never registered (removed from the mapping, or
    // withdrawn) is still in the BIDS tree.
    let stray = site.root().join("bids/sub-0005/ses-OLD/dwi");
    std::fs::create_dir_all(&stray).unwrap();
    std::fs::write(stray.join("sub-0005_ses-OLD_dwi.nii.gz"), "x").unwrap();
    let out = site.nf().args(["workflow", "run", "--sync"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let covered = std::fs::read_to_string(site.root().join("derivatives/qsiprep/sub-0005/sessions.txt")).unwrap();
    assert_eq!(covered.trim(), "ses-X1", "--session-id keeps QSIPrep to the covered sessions");
    assert!(!site.root().join("derivatives/qsiprep/sub-0005/ses-OLD").exists());
}

#[test]
fn slurms_gpu_selection_reaches_the_tool_through_cleanenv() {
    let site = site(TestDb::sqlite(), &ChainOpts { runtime: Runtime::Apptainer, ..Default::default() });
    let cfg = std::fs::read_to_string(site.config()).unwrap();
    let gpu = "resources: {cpus: 2, mem_gb: 0.5, time: 10, gpus: 1, partition: gpu}";
    std::fs::write(site.config(), cfg.replace("resources: {cpus: 2, mem_gb: 0.5, time: 10}", gpu)).unwrap();
    site.add_session("G1", Manufacturer::Siemens);
    site.set_mapping(&[("G1", "6")]);
    let out = site.nf().args(["workflow", "run", "--sync"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Slurm set CUDA_VISIBLE_DEVICES for the job's (fake) GPU; --cleanenv would drop it.
    let calls = std::fs::read_to_string(site.root().join("derivatives/qsiprep/.standin-calls.log")).unwrap();
    let cuda = calls.split("cuda=").nth(1).unwrap_or_default().trim();
    assert!(!cuda.is_empty() && cuda.chars().all(|c| c.is_ascii_digit() || c == ','), "inside the container: {calls}");
}

#[test]
fn a_retry_resumes_in_the_units_work_directory() {
    let site = site(TestDb::sqlite(), &ChainOpts::default());
    site.add_session("W1", Manufacturer::Ge);
    site.set_mapping(&[("W1", "3")]);
    let out =
        site.nf().env("NF_STANDIN_FAIL_ONCE", "qsiprep:0003").args(["workflow", "run", "--sync"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let history = runs(&site, true);
    let prep = find(&history, "qsiprep", "0003");
    assert_eq!(prep.len(), 2, "{prep:?}");
    assert_eq!((prep[0]["status"].as_str(), prep[1]["status"].as_str()), (Some("failed"), Some("completed")));
    let log = std::fs::read_to_string(prep[1]["stdout"].as_str().unwrap()).unwrap();
    assert!(log.contains("resuming from the cache"), "the retry found the first attempt's work: {log}");
    assert!(!site.root().join("work/runs/qsiprep/nf-qsiprep-sub-0003").exists(), "removed after success");
}

#[test]
fn keep_work_keeps_the_work_directory() {
    let site = site(TestDb::sqlite(), &ChainOpts::default());
    let cfg = std::fs::read_to_string(site.config()).unwrap();
    std::fs::write(
        site.config(),
        cfg.replace(
            "    options: {output_resolution: 2}\n",
            "    options: {output_resolution: 2}\n    keep_work: true\n",
        ),
    )
    .unwrap();
    site.add_session("K1", Manufacturer::Ge);
    site.set_mapping(&[("K1", "4")]);
    let out = site.nf().args(["workflow", "run", "--sync"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(site.root().join("work/runs/qsiprep/nf-qsiprep-sub-0004/qsiprep_26_0_wf").is_dir());
    assert!(!site.root().join("work/runs/qsirecon/nf-qsirecon-sub-0004-ses-K1").exists(), "only where asked");
}

#[test]
fn caps_on_live_jobs_hold_every_tick() {
    let opts = ChainOpts { bids_max_concurrent: 1, max_live_jobs: 3, ..Default::default() };
    let site = site(TestDb::sqlite(), &opts);
    for scan in ["C1", "C2", "C3"] {
        site.add_session(scan, Manufacturer::Ge);
    }
    site.set_mapping(&[("C1", "31"), ("C2", "32"), ("C3", "33")]);
    for _ in 0..60 {
        let out = site.nf().args(["workflow", "run"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let rows = runs(&site, false);
        let live: Vec<&serde_json::Value> =
            rows.iter().filter(|r| ["planned", "queued", "running"].contains(&r["status"].as_str().unwrap())).collect();
        assert!(live.len() <= 3, "max_live_jobs exceeded: {live:?}");
        assert!(live.iter().filter(|r| r["stage"] == "bids_conversion").count() <= 1, "max_concurrent exceeded");
        if rows.len() == 12 && rows.iter().all(|r| r["status"] == "completed") {
            return;
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    panic!("the capped chain did not finish: {:?}", runs(&site, false));
}

#[test]
fn dry_run_changes_nothing() {
    let site = site(TestDb::sqlite(), &ChainOpts::default());
    site.add_session("D1", Manufacturer::Siemens);
    site.set_mapping(&[("D1", "81")]);
    let out = site.nf().args(["workflow", "run", "--dry-run"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    for stage in ["bids_conversion", "qsiprep", "qsirecon", "qsiparc"] {
        assert!(text.contains(&format!("#SBATCH --job-name=nf-{stage}-sub-0081")), "{stage} script printed:\n{text}");
    }
    assert!(text.contains("# would run: sbatch --parsable"), "{text}");
    assert!(text.contains("# waits on (afterok): nf-qsiprep-sub-0081 (submitted by this tick)"), "{text}");
    assert!(!text.contains("--dependency=afterok:<"), "no placeholder reaches a script: {text}");
    // Slurm checks every script (nothing queued), and they are written out to submit by hand.
    let dir = site.root().join("scripts");
    let out = site
        .nf()
        .args(["workflow", "run", "--dry-run", "--test-only", "--write-scripts", dir.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(text.matches("# sbatch --test-only: sbatch: Job").count(), 4, "{text}");
    let submit = std::fs::read_to_string(dir.join("submit.sh")).unwrap();
    assert!(submit.contains("--dependency=afterok:$job1 02-nf-qsiprep-sub-0081.sh"), "{submit}");
    assert!(dir.join("04-nf-qsiparc-sub-0081-ses-D1.sh").is_file());
    // A request Slurm refuses is caught before it is real.
    let cfg = std::fs::read_to_string(site.config()).unwrap();
    std::fs::write(site.config(), cfg.replace("partition: debug", "partition: nosuchpart")).unwrap();
    let out = site.nf().args(["workflow", "run", "--dry-run", "--test-only"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("# sbatch --test-only: refused: ") && text.contains("invalid partition specified: nosuchpart"),
        "{text}"
    );
    assert!(runs(&site, true).is_empty(), "no run recorded");
    assert!(site.json(&["sessions", "list"]).as_array().unwrap().is_empty(), "no session registered");
    let q = Command::new("squeue")
        .args(["--noheader", "--states=all", "--name=nf-bids_conversion-sub-0081-ses-D1"])
        .output()
        .unwrap();
    assert!(q.status.success() && q.stdout.is_empty(), "no job: {}", String::from_utf8_lossy(&q.stdout));
}

#[test]
fn exit_0_without_outputs_is_a_failure() {
    let site = site(TestDb::sqlite(), &ChainOpts::default());
    site.add_session("O1", Manufacturer::Ge);
    site.set_mapping(&[("O1", "91")]);
    let out =
        site.nf().env("NF_STANDIN_NO_OUTPUT", "qsirecon:0091").args(["workflow", "run", "--sync"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "needs a human after the last attempt");
    let rows = runs(&site, false);
    let recon = find(&rows, "qsirecon", "0091")[0];
    assert_eq!((recon["slurm_state"].as_str(), recon["exit_code"].as_i64()), (Some("COMPLETED"), Some(0)), "{recon}");
    assert_eq!((recon["status"].as_str(), recon["cause"].as_str()), (Some("failed"), Some("outputs_missing")));
    let msg = recon["message"].as_str().unwrap();
    assert!(
        msg.starts_with("outputs missing: ") && msg.contains(&format!("qsirecon-{RECON_SUFFIX}/sub-0091/ses-O1/dwi")),
        "{msg}"
    );
    // qsiparc started (afterok was satisfied) and found nothing: cancelled for its upstream, no attempt used.
    let parc = find(&rows, "qsiparc", "0091")[0];
    assert_eq!((parc["cause"].as_str(), parc["attempt"].as_i64()), (Some("upstream_failed"), Some(1)), "{parc}");
}
