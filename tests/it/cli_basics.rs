//! init, config check, db migrate/status through the built binary.

use crate::support::bin;
use crate::support::db::TestDb;
use assert_cmd::Command;
use std::path::Path;

fn nf(dir: &Path) -> Command {
    let mut c = Command::new(bin());
    c.current_dir(dir).env_remove("NEUROFLOW_CONFIG").env_remove("NEUROFLOW_DATABASE_URL").env("NO_COLOR", "1");
    c
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// What the starter configuration names on disk and a site provides: a FreeSurfer
/// licence and a TemplateFlow cache.
fn provide_site_files(site: &Path) {
    std::fs::write(site.join("license.txt"), "someone@example.org\n").unwrap();
    std::fs::create_dir_all(site.join("templateflow")).unwrap();
}

#[test]
fn init_writes_a_valid_starter_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    nf(dir.path()).args(["init", "site"]).assert().success();
    let cfg = dir.path().join("site/neuroflow.yaml");
    assert!(cfg.is_file());
    let out = nf(dir.path()).args(["init", "site"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    // Until the site puts its FreeSurfer licence where the config says, check refuses.
    let out = nf(dir.path()).args(["--config", "site/neuroflow.yaml", "config", "check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("`containers.fs_license`") && stderr(&out).contains("license.txt"),
        "{}",
        stderr(&out)
    );
    provide_site_files(&dir.path().join("site"));
    let out = nf(dir.path())
        .args(["--config", "site/neuroflow.yaml", "config", "check", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let work = dir.path().join("site/work");
    assert_eq!(v["config"]["paths"]["work_dir"], work.display().to_string());
    assert_eq!(v["config"]["database"]["url"], format!("sqlite://{}", work.join("neuroflow.db").display()));
    assert_eq!(v["config"]["pipelines"]["qsiprep"]["resources"]["time"], "12:00:00");
}

#[test]
fn config_is_found_through_the_environment_and_the_working_dir() {
    let dir = tempfile::tempdir().unwrap();
    nf(dir.path()).args(["init"]).assert().success();
    provide_site_files(dir.path());
    nf(dir.path()).args(["config", "check"]).assert().success();
    let elsewhere = tempfile::tempdir().unwrap();
    nf(elsewhere.path())
        .env("NEUROFLOW_CONFIG", dir.path().join("neuroflow.yaml"))
        .args(["config", "check"])
        .assert()
        .success();
    let out = nf(elsewhere.path()).args(["config", "check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("neuroflow init"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty(), "stdout is data only");
}

#[test]
fn a_bad_config_exits_1_with_file_line_column() {
    let dir = tempfile::tempdir().unwrap();
    nf(dir.path()).args(["init"]).assert().success();
    let path = dir.path().join("neuroflow.yaml");
    let text = std::fs::read_to_string(&path).unwrap().replace("cpus: 8", "cpus: -8");
    std::fs::write(&path, text).unwrap();
    let out = nf(dir.path()).args(["config", "check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("neuroflow.yaml:") && err.contains("cpus must be a whole number of at least 1 (got -8)"),
        "{err}"
    );
}

fn migrate_and_status(db: &TestDb) {
    let dir = tempfile::tempdir().unwrap();
    nf(dir.path()).args(["init"]).assert().success();
    let status = |dir: &Path| {
        let out = nf(dir)
            .env("NEUROFLOW_DATABASE_URL", db.url())
            .args(["db", "status", "--format", "json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_str::<serde_json::Value>(&stdout(&out)).unwrap()
    };
    assert!(status(dir.path())["pending"].as_u64().unwrap() >= 1);
    nf(dir.path()).env("NEUROFLOW_DATABASE_URL", db.url()).args(["db", "migrate"]).assert().success();
    let v = status(dir.path());
    assert_eq!(v["pending"], 0);
    let backend = if db.url().starts_with("postgres") { "postgres" } else { "sqlite" };
    assert_eq!(v["backend"], backend);
}

#[test]
fn db_migrate_and_status_on_sqlite() {
    migrate_and_status(&TestDb::sqlite());
}

#[test]
fn db_migrate_and_status_on_postgres() {
    migrate_and_status(&TestDb::postgres());
}

#[test]
fn an_unreachable_database_is_transient_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    nf(dir.path()).args(["init"]).assert().success();
    let out = nf(dir.path())
        .env("NEUROFLOW_DATABASE_URL", "postgres://nobody:secret@127.0.0.1:1/none")
        .args(["db", "status"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("cannot connect to the state store") && !err.contains("secret"), "{err}");
}

#[test]
fn a_usage_error_needs_a_person_and_help_is_fine() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["nosuch"][..], &["workflow", "run", "--bogus"], &["runs"]] {
        let out = nf(dir.path()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?} is a typo, not an outage (2)");
        assert!(stdout(&out).is_empty() && !stderr(&out).is_empty(), "{args:?}");
    }
    for args in [&["--help"][..], &["--version"], &["workflow", "run", "--help"]] {
        assert_eq!(nf(dir.path()).args(args).output().unwrap().status.code(), Some(0), "{args:?}");
    }
}

#[test]
fn a_closed_pipe_ends_quietly() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    nf(dir.path()).args(["init"]).assert().success();
    provide_site_files(dir.path());
    let mut child = std::process::Command::new(crate::support::bin())
        .args([
            "--config",
            &dir.path().join("neuroflow.yaml").display().to_string(),
            "runs",
            "list",
            "--format",
            "json",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader went away (`| head -0`)
    let status = child.wait().unwrap();
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(!err.contains("panicked") && !err.contains("Broken pipe"), "{err}");
    assert_ne!(status.code(), Some(101), "no panic exit");
}

#[test]
fn config_check_prints_the_values_it_applies_not_null() {
    let dir = tempfile::tempdir().unwrap();
    nf(dir.path()).args(["init"]).assert().success();
    provide_site_files(dir.path());
    let path = dir.path().join("neuroflow.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let without_caps: String =
        text.lines().filter(|l| !l.trim_start().starts_with("max_concurrent:")).map(|l| format!("{l}\n")).collect();
    std::fs::write(&path, without_caps).unwrap();
    let out = nf(dir.path()).args(["config", "check", "--format", "json"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let caps: Vec<u64> = ["bids_conversion", "qsiprep", "qsirecon", "qsiparc"]
        .iter()
        .map(|s| v["config"]["pipelines"][s]["max_concurrent"].as_u64().unwrap())
        .collect();
    assert_eq!(caps, [4, 1, 2, 4], "the stage defaults, as applied");
    assert!(v["config"]["paths"]["scratch"].as_str().unwrap().ends_with("work/scratch"));
    let out = nf(dir.path()).args(["config", "check"]).output().unwrap();
    assert!(!stdout(&out).contains("null"), "{}", stdout(&out));
}

#[test]
fn runs_list_accepts_only_known_stages_and_statuses() {
    let dir = tempfile::tempdir().unwrap();
    nf(dir.path()).args(["init"]).assert().success();
    provide_site_files(dir.path());
    for args in [&["runs", "list", "--stage", "qsipre"][..], &["runs", "list", "--status", "complete"]] {
        let out = nf(dir.path()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: a typo is an error, not an empty list");
        assert!(stderr(&out).contains("expected one of") || stderr(&out).contains("stages:"), "{}", stderr(&out));
    }
    assert!(nf(dir.path()).args(["runs", "list", "--status", "completed"]).output().unwrap().status.success());
}

#[test]
fn the_database_password_never_shows() {
    let dir = tempfile::tempdir().unwrap();
    nf(dir.path()).args(["init"]).assert().success();
    provide_site_files(dir.path());
    let url = "postgres://neuroflow_test:s3cretPW@127.0.0.1:5432/nf_no_such_database";
    for args in [&["config", "check"][..], &["runs", "list"], &["doctor"], &["workflow", "run"], &["db", "status"]] {
        let out = nf(dir.path()).env("NEUROFLOW_DATABASE_URL", url).arg("-vv").args(args).output().unwrap();
        let all = format!("{}{}", stdout(&out), stderr(&out));
        assert!(!all.contains("s3cretPW"), "{args:?} shows the password:\n{all}");
        assert!(all.contains("***") || out.status.success(), "{args:?}: {all}");
    }
}

#[test]
fn completions_load_in_bash_and_the_man_pages_are_generated() {
    let dir = tempfile::tempdir().unwrap();
    let out = nf(dir.path()).args(["completions", "bash"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let script = dir.path().join("neuroflow.bash");
    std::fs::write(&script, &out.stdout).unwrap();
    // Loaded by a real bash, the function completes subcommands.
    let check = format!(
        "source {}; complete -p neuroflow || exit 1; COMP_WORDS=(neuroflow work); COMP_CWORD=1; \
         COMP_LINE='neuroflow work'; COMP_POINT=14; _neuroflow neuroflow work neuroflow; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display()
    );
    let bash = std::process::Command::new("bash").args(["-c", &check]).output().unwrap();
    let said = String::from_utf8_lossy(&bash.stdout);
    assert!(bash.status.success() && said.lines().any(|l| l == "workflow"), "{said}\n{}", stderr(&bash));
    for shell in ["zsh", "fish"] {
        let out = nf(dir.path()).args(["completions", shell]).output().unwrap();
        assert!(out.status.success() && stdout(&out).contains("workflow"), "{shell}");
    }
    let man = nf(dir.path()).arg("man").output().unwrap();
    assert!(
        stdout(&man).starts_with(".ie \\n(.g .ds Aq") || stdout(&man).contains(".TH neuroflow"),
        "{}",
        stdout(&man)
    );
    let pages = dir.path().join("man1");
    assert!(nf(dir.path()).args(["man", "--dir", pages.to_str().unwrap()]).output().unwrap().status.success());
    for page in ["neuroflow.1", "neuroflow-workflow.1", "neuroflow-workflow-run.1", "neuroflow-runs-show.1"] {
        assert!(pages.join(page).is_file(), "{page} in {:?}", std::fs::read_dir(&pages).unwrap().count());
    }
}
