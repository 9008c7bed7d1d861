//! The smaller commands around the chain: render, submit, sync, templates, and a
//! controller that does not answer.

use crate::support::chain::{ChainOpts, runs, site, ticks};
use crate::support::db::TestDb;
use crate::support::site::Site;
use crate::support::slurm::down_controller;
use neuroflow_synth::Manufacturer;

#[test]
fn a_qsirecon_without_a_licence_is_refused_before_anything_runs() {
    let site = site(TestDb::sqlite(), &ChainOpts::default());
    site.add_session("L1", Manufacturer::Siemens);
    site.set_mapping(&[("L1", "61")]);
    let cfg = std::fs::read_to_string(site.config()).unwrap();
    let licence = site.root().join("license.txt");
    let line = format!("  fs_license: {}\n", licence.display());
    std::fs::write(site.config(), cfg.replace(&line, "")).unwrap();
    for args in [&["config", "check"][..], &["workflow", "run"]] {
        let out = site.nf().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("`containers.fs_license`") && err.contains("qsirecon refuses to start"), "{err}");
    }
    // Named but missing: the file itself is checked.
    std::fs::write(site.config(), &cfg).unwrap();
    std::fs::remove_file(&licence).unwrap();
    let out = site.nf().args(["config", "check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot read the FreeSurfer licence") && err.contains("license.txt"), "{err}");
    assert!(runs(&site, true).is_empty(), "nothing was submitted");
}

#[test]
fn render_prints_the_script_and_site_templates_override_it() {
    let site = site(TestDb::sqlite(), &ChainOpts::default());
    site.add_session("T1", Manufacturer::Siemens);
    site.set_mapping(&[("T1", "51")]);
    site.json(&["discover"]);
    let out = site.nf().args(["render", "--stage", "qsirecon", "--subject", "51", "--session", "T1"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let script = String::from_utf8_lossy(&out.stdout);
    assert!(
        script.contains("#SBATCH --job-name=nf-qsirecon-sub-0051-ses-T1") && script.contains("--session-id T1"),
        "{script}"
    );
    let dir = site.root().join("site-templates");
    assert!(site.nf().args(["templates", "export"]).arg(&dir).output().unwrap().status.success());
    let path = dir.join("qsirecon.sh.tera");
    let text =
        std::fs::read_to_string(&path).unwrap().replace("{% block command -%}", "{% block command -%}\n# site tweak");
    std::fs::write(&path, text).unwrap();
    let cfg = std::fs::read_to_string(site.config()).unwrap();
    std::fs::write(site.config(), format!("{cfg}templates: {{dir: {}}}\n", dir.display())).unwrap();
    let out = site
        .nf()
        .args(["render", "--stage", "qsirecon", "--subject", "sub-0051", "--session", "ses-T1"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("# site tweak"));
    // Runs nothing, records nothing.
    assert!(runs(&site, true).is_empty());
}

#[test]
fn submit_one_stage_for_one_subject_then_sync() {
    let site = site(TestDb::sqlite(), &ChainOpts::default());
    site.add_session("U1", Manufacturer::Ge);
    site.add_session("U2", Manufacturer::Ge);
    site.set_mapping(&[("U1", "61"), ("U2", "62")]);
    site.json(&["discover"]);
    let out = site
        .nf()
        .args(["submit", "--stage", "bids_conversion", "--subject", "61", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let t = &ticks(&out.stdout)[0];
    assert_eq!(t["submit"]["submitted"].as_array().unwrap().len(), 1, "{t}");
    // sync alone: one squeue (and a sacct once the job left the queue) until done.
    for _ in 0..60 {
        let s = site.json(&["sync"]);
        assert!(s["slurm_calls"].as_u64().unwrap() <= 2, "{s}");
        if runs(&site, false)[0]["status"] == "completed" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let rows = runs(&site, false);
    assert_eq!((rows.len(), rows[0]["status"].as_str()), (1, Some("completed")), "{rows:?}");
    let idle = site.json(&["sync"]);
    assert_eq!(idle["slurm_calls"], 0, "nothing live, nothing asked");
    // --force re-runs a completed unit; without it there is nothing to do.
    let out = site
        .nf()
        .args(["submit", "--stage", "bids_conversion", "--subject", "61", "--format", "json"])
        .output()
        .unwrap();
    assert!(ticks(&out.stdout)[0]["submit"]["submitted"].as_array().unwrap().is_empty());
    let out = site
        .nf()
        .args(["submit", "--stage", "bids_conversion", "--subject", "61", "--force", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(ticks(&out.stdout)[0]["submit"]["submitted"].as_array().unwrap().len(), 1);
}

#[test]
fn a_controller_that_is_down_is_transient_and_loses_nothing() {
    let site = site(TestDb::sqlite(), &ChainOpts::default());
    site.add_session("V1", Manufacturer::Canon);
    site.set_mapping(&[("V1", "71")]);
    let path = down_controller(&site.root().join("fakebin"));
    let out = site.nf().env("PATH", &path).args(["workflow", "run", "--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let t = &ticks(&out.stdout)[0];
    assert!(t["problems"][0].as_str().unwrap().contains("Unable to contact slurm controller"), "{t}");
    assert_eq!(site.json(&["sessions", "list"]).as_array().unwrap().len(), 1, "the session was registered");
    let rows = runs(&site, false);
    assert_eq!((rows.len(), rows[0]["status"].as_str()), (1, Some("planned")), "the intent is kept: {rows:?}");
    // Next tick, with the controller back: the orphan is looked up, then submitted once.
    let out = site.nf().env("PATH", &path).args(["sync"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "tracking with the controller down is transient too");
    let out = site.nf().args(["workflow", "run", "--sync"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let history = runs(&site, true);
    let bids: Vec<_> = history.iter().filter(|r| r["stage"] == "bids_conversion").collect();
    assert_eq!(bids.len(), 2, "{bids:?}");
    assert_eq!(
        (bids[0]["status"].as_str(), bids[0]["cause"].as_str()),
        (Some("cancelled"), Some("submit_interrupted"))
    );
    assert_eq!(bids[1]["attempt"], 1, "an interrupted submission uses no attempt");
    assert!(runs(&site, false).iter().all(|r| r["status"] == "completed"));
}

#[test]
fn workflow_list_shows_past_ticks_with_what_they_did() {
    let site = site(TestDb::sqlite(), &ChainOpts::default());
    site.add_session("L1", Manufacturer::Siemens);
    site.set_mapping(&[("L1", "63")]);
    assert!(site.nf().args(["workflow", "run", "--sync"]).output().unwrap().status.success());
    let ticks = site.json(&["workflow", "list"]);
    let rows = ticks.as_array().unwrap();
    assert!(rows.len() >= 2, "{ticks}");
    let first = rows.last().unwrap();
    assert_eq!(
        (first["registered"].as_u64(), first["submitted"].as_u64(), first["slurm_calls"].as_u64()),
        (Some(1), Some(4), Some(4)),
        "{first}"
    );
    assert_eq!((first["status"].as_str(), first["exit"].as_u64()), (Some("completed"), Some(0)));
    assert!(first["seconds"].as_f64().is_some());
    let done: u64 = rows.iter().map(|r| r["completed"].as_u64().unwrap()).sum();
    assert_eq!(done, 4, "every completion is counted by the tick that saw it");
    assert_eq!(site.json(&["workflow", "list", "--limit", "1"]).as_array().unwrap().len(), 1);
    assert!(site.json(&["workflow", "list", "--since", "2999-01-01"]).as_array().unwrap().is_empty());
    let out = site.nf().args(["workflow", "list"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("TICK"), "a table for people");
    let bad = site.nf().args(["workflow", "list", "--since", "yesterday"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(1));
    // Requested vs used, from the real sacct records of those runs.
    let eff = site.json(&["runs", "efficiency"]);
    let prep = eff.as_array().unwrap().iter().find(|e| e["stage"] == "qsiprep").unwrap().clone();
    assert_eq!((prep["runs"].as_u64(), prep["requested_mem_mb"].as_u64()), (Some(1), Some(512)), "{eff}");
    assert!(
        prep["max_rss_mb_max"].as_u64().unwrap() > 0 && prep["suggested_mem_gb"].as_f64().unwrap() >= 0.5,
        "{prep}"
    );
    assert!(prep["elapsed_minutes_max"].as_u64().unwrap() >= 1 && prep["time_limit_minutes"] == 10, "{prep}");
}

crate::both_backends!(workflow_status_and_the_status_page_show_every_session_in_every_stage);

/// The views on a store filled by a real chain (both backends): a failed run, a
/// pending job, an invalid session and a held folder; then the status page in a
/// real headless Chromium.
fn workflow_status_and_the_status_page_show_every_session_in_every_stage(db: TestDb) {
    let backend = if db.url().starts_with("postgres") { "postgres" } else { "sqlite" };
    let site = site(db, &ChainOpts { max_attempts: 1, ..Default::default() });
    site.add_session("W1", Manufacturer::Siemens);
    site.add_session("W2", Manufacturer::Ge);
    site.add_session("H9", Manufacturer::Canon); // not in the mapping: held
    let full = neuroflow_synth::standard_session("W3", "P3", Manufacturer::Philips, 40);
    let t1_only: Vec<_> =
        full.series.iter().filter(|s| !matches!(s.kind, neuroflow_synth::SeriesKind::Dwi { .. })).cloned().collect();
    neuroflow_synth::write_session(
        &site.incoming().join("W3"),
        &neuroflow_synth::SessionSpec { series: t1_only, ..full },
    )
    .unwrap();
    site.set_mapping(&[("W1", "1"), ("W2", "2"), ("W3", "3")]);
    let out = site.nf().env("NF_STANDIN_FAIL", "qsirecon:0002").args(["workflow", "run", "--sync"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v = site.json(&["workflow", "status"]);
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{v}");
    let cell = |p: &str, stage: &str| rows.iter().find(|r| r["participant"] == p).unwrap()["cells"][stage].clone();
    for stage in ["bids_conversion", "qsiprep", "qsirecon", "qsiparc"] {
        assert_eq!(cell("0001", stage)["state"], "completed", "{stage}");
        assert_eq!(cell("0003", stage)["state"], "invalid", "{stage}");
    }
    let failed = cell("0002", "qsirecon");
    assert_eq!(failed["state"], "failed");
    assert!(failed["detail"].as_str().unwrap().starts_with("nonzero_exit (attempt 1/1)"), "{failed}");
    assert!(failed["job_id"].as_i64().is_some());
    assert_eq!(
        (cell("0002", "qsiparc")["state"].as_str(), cell("0002", "qsiparc")["detail"].as_str()),
        (Some("cancelled"), Some("upstream_failed"))
    );
    assert_eq!(v["totals"]["qsiprep"]["completed"], 2, "one unit per subject: {}", v["totals"]);
    assert_eq!(v["totals"]["bids_conversion"]["completed"], 2);
    let needs = v["needs_person"].to_string();
    for want in ["qsirecon sub-0002", "Missing required scans: DWI", "folder H9 held (unmapped)"] {
        assert!(needs.contains(want), "{want} in {needs}");
    }
    assert!(v["last_tick"]["id"].as_i64().is_some());
    // At scale the settled subjects are counted by the store, not listed: the same
    // totals either way (--rows 0 takes that path on this small store).
    let counted = site.json(&["workflow", "status", "--rows", "0"]);
    let listed = site.json(&["workflow", "status", "--all"]);
    assert_eq!(counted["totals"], listed["totals"], "counted {counted}\nlisted {listed}");
    assert!(counted["rows_hidden"].as_u64().unwrap() > 0, "a finished subject is settled: {counted}");
    assert_eq!(listed["rows"].as_array().unwrap().len(), v["rows"].as_array().unwrap().len());
    let only = site.json(&["workflow", "status", "--status", "failed"]);
    assert_eq!(only["rows"].as_array().unwrap().len(), 1);
    let text = String::from_utf8_lossy(&site.nf().args(["workflow", "status"]).output().unwrap().stdout).into_owned();
    assert!(text.starts_with("PARTICIPANT") && text.contains("needs a person:"), "{text}");
    // A chain in flight: its qsiprep job pends on the conversion (Slurm says why).
    site.add_session("W4", Manufacturer::Siemens);
    site.set_mapping(&[("W1", "1"), ("W2", "2"), ("W3", "3"), ("W4", "4")]);
    site.nf().env("NF_STANDIN_SLEEP", "60").args(["workflow", "run"]).output().unwrap();
    // Slurm names the reason when its scheduler has looked at the job: on a busy
    // node it may first say Resources for every new job, so sync until it has.
    let mut v = serde_json::Value::Null;
    for _ in 0..15 {
        site.nf().args(["sync"]).output().unwrap();
        v = site.json(&["workflow", "status", "--subject", "4"]);
        if v["rows"][0]["cells"]["qsiprep"]["detail"] == "Dependency" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    let prep = &v["rows"][0]["cells"]["qsiprep"];
    assert_eq!((prep["state"].as_str(), prep["detail"].as_str()), (Some("queued"), Some("Dependency")), "{v}");
    let page = site.root().join("page");
    let out = site.nf().args(["report", "--html", page.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let dom = chromium_dom(&page.join("index.html"), backend);
    let state = |p: &str, stage: &str| {
        let row = dom.split("<tr data-participant=\"").find(|r| r.starts_with(&format!("{p}\""))).unwrap_or_default();
        let at = row.find(&format!("data-stage=\"{stage}\" data-state=\"")).map(|i| &row[i..]).unwrap_or_default();
        at.split("data-state=\"").nth(1).and_then(|x| x.split('"').next()).unwrap_or_default().to_string()
    };
    assert_eq!(state("0001", "qsiparc"), "completed", "{dom}");
    assert_eq!(state("0002", "qsirecon"), "failed");
    assert_eq!(state("0003", "bids_conversion"), "invalid");
    assert_eq!(state("0004", "qsiprep"), "queued");
    assert!(dom.contains("folder H9 held (unmapped)") && dom.contains("Missing required scans: DWI"), "{dom}");
    assert!(dom.contains("id=\"throughput\"") && dom.contains("id=\"efficiency\""));
    let live = v["rows"][0]["cells"]["bids_conversion"]["run_id"].as_i64().unwrap();
    assert_eq!(site.nf().args(["runs", "cancel", &live.to_string()]).output().unwrap().status.code(), Some(0));
}

/// The page as a real Chromium loads it (headless, no network): its DOM, every plot
/// drawn with a size (scripts/page-shot.sh, which also makes the screenshot of
/// docs/guide.md) and no error, and a screenshot in target/nf-artifacts/ for a person
/// to look at. Chromium missing is a failure.
fn chromium_dom(page: &std::path::Path, tag: &str) -> String {
    let url = format!("file://{}", page.display());
    let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"];
    let out = std::process::Command::new("chromium")
        .args(flags)
        .args(["--dump-dom", &url])
        .output()
        .expect("chromium (Debian package chromium; scripts/setup.sh installs it)");
    assert!(out.status.success(), "chromium: {}", String::from_utf8_lossy(&out.stderr));
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let shots = root.join("target/nf-artifacts");
    std::fs::create_dir_all(&shots).unwrap();
    let png = shots.join(format!("status-page-{tag}.png"));
    let shot = std::process::Command::new("bash")
        .arg(root.join("scripts/page-shot.sh"))
        .args([page.parent().unwrap(), &png])
        .output()
        .unwrap();
    assert!(shot.status.success(), "page-shot.sh: {}", String::from_utf8_lossy(&shot.stderr));
    let measured = String::from_utf8_lossy(&shot.stdout).trim().to_string();
    for plot in ["throughput", "durations", "failures", "asked", "timeline"] {
        let word = measured.split(' ').find(|w| w.starts_with(&format!("plot-{plot}:"))).unwrap_or_default();
        let size: Vec<u32> =
            word.rsplit(':').next().unwrap_or_default().split('x').filter_map(|n| n.parse().ok()).collect();
        assert!(size.len() == 2 && size.iter().all(|n| *n > 0), "plot {plot} drawn with a size: {measured}");
    }
    assert!(measured.ends_with("errors:0"), "the page raised errors: {measured}");
    let bytes = std::fs::read(&png).expect("the screenshot was written");
    assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000, "a real screenshot: {} bytes", bytes.len());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn explain_says_what_the_planner_decides_and_why() {
    let site = site(TestDb::sqlite(), &ChainOpts { max_attempts: 1, ..Default::default() });
    site.add_session("X1", Manufacturer::Siemens);
    site.set_mapping(&[("X1", "5")]);
    site.json(&["discover"]);
    let v = site.json(&["explain", "5"]);
    let of = |v: &serde_json::Value, stage: &str| {
        v.as_array().unwrap().iter().find(|d| d["stage"] == stage).unwrap().clone()
    };
    assert_eq!(of(&v, "bids_conversion")["decision"], "ready", "{v}");
    assert!(of(&v, "bids_conversion")["why"].as_str().unwrap().contains("attempt 1 (new)"));
    // The tick would submit the whole chain (waiting on live upstream is fine), so
    // every stage is ready here; after a failure the planner says why it stops.
    let out = site.nf().env("NF_STANDIN_FAIL", "qsirecon:0005").args(["workflow", "run", "--sync"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v = site.json(&["explain", "sub-0005", "ses-X1"]);
    assert_eq!(of(&v, "bids_conversion")["decision"], "done");
    let recon = of(&v, "qsirecon");
    assert_eq!(recon["decision"], "needs_person", "{recon}");
    assert!(recon["why"].as_str().unwrap().contains("after 1 of 1 attempts"), "{recon}");
    assert_eq!(recon["runs"].as_array().unwrap().len(), 1);
    let parc = of(&v, "qsiparc");
    assert_eq!(parc["decision"], "waiting");
    assert!(parc["why"].as_str().unwrap().contains("waits for qsirecon"), "{parc}");
    let text = String::from_utf8_lossy(&site.nf().args(["explain", "5"]).output().unwrap().stdout).into_owned();
    assert!(text.starts_with("sub-0005") && text.contains("qsirecon ses-X1: needs_person"), "{text}");
    // An admin comes from squeue/sacct with a job id.
    let (run, job) = (recon["runs"][0]["run_id"].as_i64().unwrap(), recon["runs"][0]["job_id"].as_i64().unwrap());
    let shown = site.json(&["runs", "show", "--job-id", &job.to_string()]);
    assert_eq!(shown["run"]["id"].as_i64(), Some(run), "{shown}");
    assert_shows_what_an_admin_needs(&site, &shown, job);
    let listed = site.json(&["runs", "list", "--job-id", &job.to_string()]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let none = site.nf().args(["runs", "show", "--job-id", "999999"]).output().unwrap();
    assert_eq!(none.status.code(), Some(1));
}

/// `runs show` of a real failed job: its provenance (the script's hash matches the
/// script on disk, the tool's version as the job printed it), resources asked for
/// and used from sacct, its dependency, attempts and the end of its stderr.
fn assert_shows_what_an_admin_needs(site: &Site, shown: &serde_json::Value, job: i64) {
    use sha2::Digest;
    let script = std::fs::read(shown["run"]["script_path"].as_str().unwrap()).unwrap();
    let p = &shown["provenance"];
    assert_eq!(p["script_sha256"].as_str().unwrap(), format!("{:x}", sha2::Sha256::digest(&script)), "{shown}");
    assert_eq!(p["neuroflow_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(p["config_sha256"].as_str().unwrap().len(), 64);
    assert_eq!(p["runtime"], "native");
    assert!(p["command_path"].as_str().unwrap().ends_with("/qsirecon"), "resolved on PATH: {p}");
    assert_eq!(shown["tool"]["tool_version"], "QSIRecon v26.0.0", "printed by the job: {shown}");
    let run = &shown["run"];
    assert!(run["sacct_row"].as_str().unwrap().starts_with(&format!("{job}|{job}|")), "{run}");
    assert!(run["alloc_tres"].as_str().unwrap().contains("cpu="), "{run}");
    assert!(run["total_cpu_seconds"].as_i64().is_some(), "{run}");
    assert!(shown["used"]["elapsed_fraction_of_limit"].as_f64().is_some());
    assert!(!run["dependency_job_ids"].as_str().unwrap().is_empty(), "qsirecon waited on qsiprep: {run}");
    assert_eq!(shown["upstream"][0]["stage"], "qsiprep", "{shown}");
    assert_eq!(shown["attempts"].as_array().unwrap().len(), 1);
    let tail = shown["stderr_tail"].as_array().unwrap();
    assert!(tail.iter().any(|l| l.as_str().unwrap().contains("injected crash")), "{tail:?}");
    let text = String::from_utf8_lossy(
        &site.nf().args(["runs", "show", "--job-id", &job.to_string()]).output().unwrap().stdout,
    )
    .into_owned();
    for want in ["asked:", "used:", "sacct:", "made by:  neuroflow", "tool_version: QSIRecon v26.0.0", "stderr (last"] {
        assert!(text.contains(want), "{want} in {text}");
    }
    // The raw BIDS dataset names who made it.
    let desc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(site.root().join("bids/dataset_description.json")).unwrap())
            .unwrap();
    let names: Vec<&str> = desc["GeneratedBy"].as_array().unwrap().iter().filter_map(|g| g["Name"].as_str()).collect();
    assert_eq!(names, ["neuroflow", "heudiconv"], "{desc}");
}

#[test]
fn runs_failures_groups_real_failures_by_cause_and_signature() {
    let site = site(TestDb::sqlite(), &ChainOpts { qsiprep_mem_gb: 0.25, max_attempts: 1, ..Default::default() });
    site.add_session("Q1", Manufacturer::Siemens);
    site.add_session("Q2", Manufacturer::Ge);
    site.set_mapping(&[("Q1", "11"), ("Q2", "12")]);
    let out = site.nf().env("NF_STANDIN_OOM", "qsiprep:700").args(["workflow", "run", "--sync"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let groups = site.json(&["runs", "failures"]);
    let g = &groups[0];
    assert_eq!((g["stage"].as_str(), g["cause"].as_str()), (Some("qsiprep"), Some("out_of_memory")), "{groups}");
    assert_eq!(g["runs"].as_array().unwrap().len(), 2, "both subjects in one group: {groups}");
    assert_eq!(g["attempts"], "attempt 1/1");
    assert_eq!(g["signature"], "out_of_memory", "read from the real job's stderr: {groups}");
    assert!(g["retry"].as_str().unwrap().contains("neuroflow runs retry"));
    let text = String::from_utf8_lossy(&site.nf().args(["runs", "failures"]).output().unwrap().stdout).into_owned();
    assert!(text.starts_with("2 × qsiprep out_of_memory (attempt 1/1) [out_of_memory]"), "{text}");
    // A licence FreeSurfer refuses (it exists, so config check passes): QSIRecon's
    // job fails at its first FreeSurfer tool, and triage names the licence.
    std::fs::write(site.root().join("license.txt"), "").unwrap();
    for id in g["runs"].as_array().unwrap() {
        assert_eq!(site.nf().args(["runs", "retry", &id.to_string()]).output().unwrap().status.code(), Some(0));
    }
    let out = site.nf().args(["workflow", "run", "--sync"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let groups = site.json(&["runs", "failures"]);
    let lic = groups.as_array().unwrap().iter().find(|g| g["stage"] == "qsirecon").expect("a qsirecon group");
    assert_eq!(lic["signature"], "freesurfer_license", "{groups}");
    assert_eq!(lic["runs"].as_array().unwrap().len(), 2);
    assert!(lic["example"].as_str().unwrap().contains("Invalid FreeSurfer license key"), "{lic}");
    assert!(lic["fix"].as_str().unwrap().contains("containers.fs_license"));
}
