//! Operating from cron on several login nodes (issue 10): one tick at a time on one
//! store, migrations that do not race, SIGTERM between steps, notifications told
//! once, an sbatch that created its job but never answered, file modes, a store
//! that cannot be reached and a log_dir that cannot be written.

use crate::support::bin;
use crate::support::chain::{ChainOpts, runs, site, ticks};
use crate::support::db::TestDb;
use crate::support::site::Site;
use crate::support::slurm::{down_controller, jobs_named, now_for_sacct};
use neuroflow_synth::Manufacturer;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `neuroflow` started in the background with the site's config (plus `env`).
fn spawn(site: &Site, config: &Path, args: &[&str], env: &[(&str, String)]) -> Child {
    let mut c = Command::new(bin());
    c.env("NEUROFLOW_CONFIG", config).env_remove("NEUROFLOW_DATABASE_URL").env("NO_COLOR", "1");
    c.current_dir(site.root()).args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    for (k, v) in env {
        c.env(k, v);
    }
    c.spawn().expect("neuroflow starts")
}

fn finish(child: Child, within: Duration) -> (i32, String, String) {
    let started = Instant::now();
    let pid = child.id();
    let waiter = std::thread::spawn(move || child.wait_with_output().unwrap());
    while !waiter.is_finished() {
        assert!(started.elapsed() < within, "neuroflow {pid} did not finish within {within:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = waiter.join().unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

fn real(tool: &str) -> PathBuf {
    std::env::var_os("PATH")
        .and_then(|p| std::env::split_paths(&p).map(|d| d.join(tool)).find(|p| p.is_file()))
        .unwrap_or_else(|| panic!("{tool} is not on PATH"))
}

/// A directory holding an `sbatch` that runs `body` around the real one, for PATH.
pub(crate) fn sbatch_shim(dir: &Path, body: &str) -> String {
    std::fs::create_dir_all(dir).unwrap();
    let p = dir.join("sbatch");
    // `sbatch --version` talks to no controller: it answers as the real one does.
    let text = format!(
        "#!/bin/sh\nREAL={}\n[ \"$1\" = --version ] && exec \"$REAL\" \"$@\"\n{body}\n",
        real("sbatch").display()
    );
    std::fs::write(&p, text).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    format!("{}:{}", dir.display(), std::env::var("PATH").unwrap_or_default())
}

fn kill(pid: u32, signal: &str) {
    let ok = Command::new("kill").args([&format!("-{signal}"), &pid.to_string()]).status().unwrap();
    assert!(ok.success());
}

/// Jobs Slurm knows by a name since `since` (sacct counts queued and finished ones).
#[test]
fn one_tick_at_a_time_across_login_nodes_on_one_postgres_store() {
    let a = site(TestDb::postgres(), &ChainOpts::default());
    a.add_session("L1", Manufacturer::Siemens);
    a.set_mapping(&[("L1", "401")]);
    // Login node B: the same store, its own work_dir and log_dir (no shared flock).
    let b = a.root().join("login-b.yaml");
    let text = std::fs::read_to_string(a.config()).unwrap();
    let root = a.root().display().to_string();
    let text = text.replace(&format!("{root}/work\n"), &format!("{root}/work-b\n"));
    std::fs::write(&b, text.replace(&format!("{root}/logs\n"), &format!("{root}/logs-b\n"))).unwrap();
    let path = sbatch_shim(&a.root().join("slow"), "sleep 1\nexec \"$REAL\" \"$@\"");
    let env = [("PATH", path.clone())];
    let first = spawn(&a, &a.config(), &["workflow", "run"], &env);
    let second = spawn(&a, &b, &["workflow", "run"], &env);
    let (c1, _, e1) = finish(first, Duration::from_secs(60));
    let (c2, _, e2) = finish(second, Duration::from_secs(60));
    assert_eq!((c1, c2), (0, 0), "an overlapping cron call is not a fault:\n{e1}\n{e2}");
    let busy: Vec<&String> = [&e1, &e2].into_iter().filter(|e| e.contains("another tick is running")).collect();
    assert_eq!(busy.len(), 1, "exactly one stood aside:\n{e1}\n{e2}");
    assert!(busy[0].contains("held by neuroflow") && busy[0].contains(" pid "), "it says who: {}", busy[0]);
    assert_eq!(a.json(&["workflow", "list"]).as_array().unwrap().len(), 1, "one tick ran");
    let rows = runs(&a, true);
    assert_eq!(rows.len(), 4, "the chain once: {rows:?}");
    // --wait: B waits for A's tick, then runs its own, which finds nothing to submit.
    let first = spawn(&a, &a.config(), &["workflow", "run"], &env);
    std::thread::sleep(Duration::from_millis(300));
    let waiting = spawn(&a, &b, &["workflow", "run", "--wait", "60"], &env);
    assert_eq!(finish(first, Duration::from_secs(60)).0, 0);
    let (code, _, err) = finish(waiting, Duration::from_secs(60));
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("another tick is running"), "it waited instead: {err}");
    assert_eq!(a.json(&["workflow", "list"]).as_array().unwrap().len(), 3);
    assert!(a.json(&["workflow", "list"]).as_array().unwrap().iter().all(|t| t["status"] != "interrupted"));
    assert_eq!(runs(&a, true).len(), 4, "still no duplicate");
    let out = a.nf().args(["workflow", "run", "--sync"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn processes_started_together_on_a_fresh_store_migrate_once() {
    for db in [TestDb::postgres(), TestDb::sqlite()] {
        let site = Site::intake(db);
        let children: Vec<Child> =
            (0..4).map(|_| spawn(&site, &site.config(), &["runs", "list", "--format", "json"], &[])).collect();
        for c in children {
            let (code, out, err) = finish(c, Duration::from_secs(60));
            assert_eq!((code, out.trim()), (0, "[]"), "{}: {err}", site.db.url());
        }
    }
}

#[test]
fn sigterm_stops_between_submissions_and_the_next_tick_goes_on() {
    let site = site(TestDb::sqlite(), &ChainOpts::default());
    site.add_session("T1", Manufacturer::Ge);
    site.set_mapping(&[("T1", "402")]);
    let path = sbatch_shim(&site.root().join("slow"), "sleep 1\nexec \"$REAL\" \"$@\"");
    let mut child = spawn(&site, &site.config(), &["workflow", "run", "--format", "json"], &[("PATH", path)]);
    let pid = child.id();
    // Discovery, then the first sbatch (1 s) ...
    let deadline = Instant::now() + Duration::from_secs(30);
    while runs(&site, true).iter().all(|r| r["job_id"].is_null()) {
        if child.try_wait().unwrap().is_some() {
            panic!("the tick ended early: {:?}", finish(child, Duration::from_secs(1)));
        }
        assert!(Instant::now() < deadline, "no job was submitted");
        std::thread::sleep(Duration::from_millis(100));
    }
    kill(pid, "TERM");
    let (code, out, err) = finish(child, Duration::from_secs(5));
    assert_eq!(code, 2, "stopped: transient, the next tick goes on\n{err}");
    let t = &ticks(out.as_bytes())[0];
    assert!(t["problems"].to_string().contains("stopped by SIGTERM"), "{t}");
    let recorded = site.json(&["workflow", "list"]);
    assert_eq!(recorded[0]["status"], "interrupted", "{recorded}");
    let rows = runs(&site, true);
    assert!(rows.len() < 4, "it stopped before the end of the chain: {rows:?}");
    assert!(rows.iter().all(|r| r["job_id"].is_i64()), "no intent left without its job: {rows:?}");
    let out = site.nf().args(["workflow", "run", "--sync"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = runs(&site, true);
    assert_eq!(rows.len(), 4, "each stage once: {rows:?}");
    assert!(rows.iter().all(|r| r["status"] == "completed"));
    // Scripts and logs are not open to other users (umask 027 reaches the jobs too).
    for r in &rows {
        let p = r["stdout"].as_str().unwrap();
        let mode = std::fs::metadata(p).unwrap().permissions().mode();
        assert_eq!(mode & 0o007, 0, "{p} is {mode:o}");
    }
    let script =
        site.json(&["runs", "show", &rows[0]["id"].to_string()])["run"]["script_path"].as_str().unwrap().to_string();
    assert_eq!(std::fs::metadata(&script).unwrap().permissions().mode() & 0o007, 0, "{script}");
}

#[test]
fn an_sbatch_that_created_the_job_and_never_answered_is_adopted() {
    let since = now_for_sacct();
    let site = site(TestDb::postgres(), &ChainOpts::default());
    site.add_session("K1", Manufacturer::Siemens);
    site.set_mapping(&[("K1", "403")]);
    let shim = site.root().join("hang");
    let path = sbatch_shim(&shim, "\"$REAL\" \"$@\"\nexec sleep 600");
    let child = spawn(&site, &site.config(), &["workflow", "run"], &[("PATH", path)]);
    let name = "nf-bids_conversion-sub-0403-ses-K1";
    let deadline = Instant::now() + Duration::from_secs(30);
    while jobs_named(name, &since) == 0 {
        assert!(Instant::now() < deadline, "sbatch never created {name}");
        std::thread::sleep(Duration::from_millis(200));
    }
    kill(child.id(), "KILL");
    let _ = finish(child, Duration::from_secs(5));
    let _ = Command::new("pkill").args(["-f", &format!("{}", shim.display())]).status();
    let _ = Command::new("pkill").args(["-f", "sleep 600"]).status();
    let rows = runs(&site, true);
    assert_eq!((rows.len(), rows[0]["status"].as_str()), (1, Some("planned")), "the intent was kept: {rows:?}");
    let out = site.nf().args(["workflow", "run", "--sync"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(jobs_named(name, &since), 1, "the job was adopted, not submitted again");
    let rows = runs(&site, true);
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert!(rows.iter().all(|r| r["status"] == "completed"), "{rows:?}");
}

#[test]
fn an_sbatch_that_times_out_after_creating_the_job_is_adopted() {
    let since = now_for_sacct();
    let site = site(TestDb::sqlite(), &ChainOpts::default());
    let cfg = std::fs::read_to_string(site.config()).unwrap();
    std::fs::write(
        site.config(),
        cfg.replace("slurm: {partition: debug,", "slurm: {command_timeout_seconds: 3, partition: debug,"),
    )
    .unwrap();
    site.add_session("K2", Manufacturer::Ge);
    site.set_mapping(&[("K2", "404")]);
    let path = sbatch_shim(&site.root().join("slowanswer"), "\"$REAL\" \"$@\"\nexec sleep 20");
    let out = site.nf().env("PATH", &path).args(["workflow", "run"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "a timeout is transient: {}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did not finish within 3 s"));
    let out = site.nf().args(["workflow", "run", "--sync"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(jobs_named("nf-bids_conversion-sub-0404-ses-K2", &since), 1);
    assert_eq!(runs(&site, true).len(), 4);
}

#[test]
fn a_store_that_cannot_be_reached_is_transient_and_its_password_stays_hidden() {
    let site = Site::intake(TestDb::sqlite());
    let cfg = std::fs::read_to_string(site.config()).unwrap();
    let url = site.db.url().to_string();
    std::fs::write(site.config(), cfg.replace(&url, "postgres://nf:s3cr3tpw@127.0.0.1:1/neuroflow")).unwrap();
    let out = site.nf().args(["workflow", "run"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot connect to the state store") && !err.contains("s3cr3tpw"), "{err}");
}

/// Runs neuroflow with `dir` mounted read-only: a real read-only mount (root ignores
/// permission bits), in a mount namespace (bubblewrap).
fn with_read_only(site: &Site, dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("bwrap")
        .args(["--dev-bind", "/", "/", "--ro-bind"])
        .args([dir, dir])
        .arg(bin())
        .args(args)
        .env("NEUROFLOW_CONFIG", site.config())
        .env("NO_COLOR", "1")
        .current_dir(site.root())
        .output()
        .unwrap()
}

#[test]
fn a_log_dir_that_cannot_be_written_is_a_clear_error_and_no_half_written_run() {
    let site = site(TestDb::sqlite(), &ChainOpts::default());
    site.add_session("R1", Manufacturer::Siemens);
    site.set_mapping(&[("R1", "405")]);
    let logs = site.root().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let out = with_read_only(&site, &logs, &["workflow", "run", "--format", "json"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "a person must fix the log_dir: {err}");
    let t = &ticks(&out.stdout)[0];
    let said = t["problems"].to_string();
    assert!(said.contains(&logs.display().to_string()) && said.contains("Read-only file system"), "{said}");
    let rows = runs(&site, true);
    assert!(rows.iter().all(|r| r["job_id"].is_null()), "nothing reached Slurm: {rows:?}");
    assert!(rows.iter().all(|r| r["status"] == "failed" && r["cause"] == "submit_rejected"), "{rows:?}");
}

/// A local webhook that keeps every body it receives.
fn webhook() -> (String, std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>) {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hooks/T000/B000/s3cr3t", server.server_addr().to_ip().unwrap());
    let got = std::sync::Arc::new(std::sync::Mutex::new(vec![]));
    let keep = got.clone();
    std::thread::spawn(move || {
        for mut req in server.incoming_requests() {
            let mut body = String::new();
            let _ = req.as_reader().read_to_string(&mut body);
            keep.lock().unwrap().push(serde_json::from_str(&body).unwrap_or(serde_json::Value::Null));
            let _ = req.respond(tiny_http::Response::from_string("ok"));
        }
    });
    (url, got)
}

#[test]
fn notifications_are_told_once_and_a_failing_notifier_never_fails_the_tick() {
    let site = site(TestDb::sqlite(), &ChainOpts { max_attempts: 1, ..Default::default() });
    let (url, got) = webhook();
    let log = site.root().join("notified.log");
    let cfg = std::fs::read_to_string(site.config()).unwrap();
    let notify = format!(
        "notify:\n  webhook: {url}\n  command: [sh, -c, 'echo \"$NEUROFLOW_EVENT: $NEUROFLOW_MESSAGE\" >> {}']\n  held_hours: 0\n  pending_hours: 0\n  failed_ticks: 2\n",
        log.display()
    );
    std::fs::write(site.config(), cfg + &notify).unwrap();
    site.add_session("N1", Manufacturer::Siemens);
    site.add_session("N9", Manufacturer::Canon); // not in the mapping: held
    site.set_mapping(&[("N1", "406")]);
    let out = site.nf().env("NF_STANDIN_FAIL", "qsirecon:0406").args(["workflow", "run", "--sync"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let kinds = |got: &[serde_json::Value]| -> Vec<String> {
        let mut k: Vec<String> = got.iter().map(|v| v["event"].as_str().unwrap_or("?").to_string()).collect();
        k.sort();
        k
    };
    let seen = got.lock().unwrap().clone();
    let mut distinct = kinds(&seen);
    distinct.dedup();
    assert_eq!(distinct, ["held_too_long", "needs_person", "pending_too_long"], "{seen:?}");
    assert_eq!(kinds(&seen).iter().filter(|k| *k == "needs_person").count(), 1, "{seen:?}");
    let told = seen.len();
    let text = got.lock().unwrap().iter().map(|v| v["text"].to_string()).collect::<Vec<_>>().join("\n");
    assert!(text.contains("qsirecon sub-0406") && text.contains("folder N9 held (unmapped)"), "{text}");
    // Still true next tick: nothing told again.
    assert_eq!(site.nf().args(["workflow", "run"]).output().unwrap().status.code(), Some(1));
    assert_eq!(got.lock().unwrap().len(), told, "told once");
    assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), told, "the command too");
    let shown = String::from_utf8_lossy(&site.nf().args(["config", "check"]).output().unwrap().stdout).into_owned();
    assert!(!shown.contains("s3cr3t") && shown.contains("webhook"), "the webhook's secret path is hidden: {shown}");
    // Ticks that keep failing (the controller is down) are told once, after 2.
    let path = down_controller(&site.root().join("down"));
    site.add_session("N2", Manufacturer::Ge);
    site.set_mapping(&[("N1", "406"), ("N2", "407")]);
    for _ in 0..3 {
        // Transient, but a person is still needed for sub-0406: 1 wins over 2.
        assert_eq!(site.nf().env("PATH", &path).args(["workflow", "run"]).output().unwrap().status.code(), Some(1));
    }
    let failing: Vec<_> = got.lock().unwrap().iter().filter(|v| v["event"] == "ticks_failing").cloned().collect();
    assert_eq!(failing.len(), 1, "{failing:?}");
    assert!(failing[0]["text"].as_str().unwrap().contains("2 ticks in a row failed"), "{failing:?}");
    // A notifier that fails: logged, the tick's exit class unchanged, tried again later.
    let cfg = std::fs::read_to_string(site.config()).unwrap();
    let broken = cfg.replace(&url, "http://127.0.0.1:1/closed").replace("command: [sh, -c,", "command: [false, -c,");
    std::fs::write(site.config(), broken).unwrap();
    site.add_session("N8", Manufacturer::Philips); // a new held folder: a new event
    let out = site.nf().args(["workflow", "run"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("notification failed"), "{err}");
}

#[test]
fn doctor_passes_on_a_working_site_and_names_every_problem_of_a_broken_one() {
    let site =
        site(TestDb::sqlite(), &ChainOpts { runtime: crate::support::chain::Runtime::Apptainer, ..Default::default() });
    let out = site.nf().args(["doctor", "--format", "json"]).output().unwrap();
    let checks: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{checks:#}\n{}", String::from_utf8_lossy(&out.stderr));
    let names: Vec<&str> = checks.as_array().unwrap().iter().map(|c| c["check"].as_str().unwrap()).collect();
    for want in [
        "store",
        "path paths.log_dir",
        "mapping",
        "stage qsiprep tool",
        "stage qsiprep sbatch --test-only",
        "slurm accounting",
    ] {
        assert!(names.contains(&want), "{want} in {names:?}");
    }
    // Break it four ways: a missing image, a missing licence, an unknown partition,
    // and (in a mount namespace) a read-only log_dir.
    std::fs::remove_file(site.root().join("images/qsiprep.sif")).unwrap();
    std::fs::remove_file(site.root().join("license.txt")).unwrap();
    let cfg = std::fs::read_to_string(site.config()).unwrap();
    std::fs::write(site.config(), cfg.replace("partition: debug", "partition: nosuchpart")).unwrap();
    let logs = site.root().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let out = with_read_only(&site, &logs, &["doctor"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    let failing: Vec<&str> = text.lines().filter(|l| l.starts_with("FAIL")).collect();
    let said = failing.join("\n");
    for want in [
        "stage qsiprep tool",
        "qsiprep.sif",
        "containers.fs_license",
        "invalid partition specified: nosuchpart",
        "path paths.log_dir",
        "Read-only file system",
    ] {
        assert!(said.contains(want), "{want} in:\n{said}");
    }
}
