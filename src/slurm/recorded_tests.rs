//! Parsers and failure classification on output recorded from the real local
//! clusters by slurm/record.sh, one set per Slurm release the suite runs on
//! (slurm/recorded/<release>/, see its README.md). Every test reads every set; where a
//! release answers otherwise, the expectation says so (docs/slurm.md). Never hand-edited.

use super::SlurmError;
use super::command::{controller_down, error_summary, submit_error};
use super::parse::{self, AcctRecord};
use super::state::JobState;
use super::version::TESTED;
use crate::domain::JobId;
use std::path::PathBuf;

/// The recordings of one release.
struct Set {
    release: &'static str,
    dir: PathBuf,
}

impl Set {
    fn text(&self, name: &str) -> String {
        let path = self.dir.join(name);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (bash slurm/record.sh --release {})", path.display(), self.release))
    }

    fn rc(&self, name: &str) -> i32 {
        self.text(&format!("{name}.rc")).trim().parse().expect("an exit code")
    }

    /// sacct output parsed with the `--format` list of its own command line (.cmd).
    fn sacct(&self, name: &str) -> Vec<AcctRecord> {
        let cmd = self.text(&format!("{name}.cmd"));
        let format = cmd.split_whitespace().find_map(|w| w.strip_prefix("--format=")).expect("--format= in the .cmd");
        parse::sacct_in(&self.text(&format!("{name}.stdout")), format)
            .unwrap_or_else(|e| panic!("{} {name}: {e}", self.release))
    }

    /// This release is `series` or newer.
    fn at_least(&self, series: &str) -> bool {
        let key =
            |s: &str| s.split_once('.').map(|(a, b)| (a.parse::<u32>().unwrap_or(0), b.parse::<u32>().unwrap_or(0)));
        key(self.release) >= key(series)
    }
}

/// Every release's set; a tested release without one fails the tests.
fn sets() -> Vec<Set> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("slurm/recorded");
    TESTED.iter().map(|release| Set { release, dir: root.join(release) }).collect()
}

fn by_name<'a>(recs: &'a [AcctRecord], name: &str) -> &'a AcctRecord {
    recs.iter().find(|r| r.name == name).unwrap_or_else(|| panic!("no record named {name}"))
}

#[test]
fn every_tested_release_has_its_recordings_labelled() {
    for s in sets() {
        let head = s.text("sbatch_ok.cmd");
        let version = head.lines().nth(1).unwrap_or_default();
        assert!(version.contains(&format!("slurm-wlm {}.", s.release)), "{}: recorded on {version}", s.release);
        assert!(s.text("README.md").contains(&format!("slurm-wlm {}.", s.release)));
    }
}

#[test]
fn sbatch_outputs() {
    for s in sets() {
        assert!(parse::sbatch(&s.text("sbatch_ok.stdout")).is_ok(), "{}", s.release);
        let c = parse::sbatch(&s.text("sbatch_clusters.stdout")).unwrap();
        assert!(c.cluster.is_some(), "{}: ID;CLUSTER", s.release);
        assert!(parse::sbatch(&s.text("sbatch_array.stdout")).is_ok(), "arrays print the base id");
        assert!(parse::sbatch(&s.text("sbatch_with_warning.stdout")).is_ok());
        assert!(parse::sbatch(&s.text("sbatch_test_only.stdout")).is_err(), "--test-only prints no id");
        assert_eq!(s.rc("sbatch_bad_partition"), 1);
    }
}

#[test]
fn an_afterok_on_a_job_slurm_never_knew_is_dropped_by_22_05_and_refused_after() {
    for s in sets() {
        let (rc, err) = (s.rc("sbatch_dependency_unknown"), s.text("sbatch_dependency_unknown.stderr"));
        if s.at_least("24.11") {
            assert_eq!(rc, 1, "{}", s.release);
            assert!(error_summary(&err).contains("Job dependency problem"), "{}: {err}", s.release);
            // Handled: the run is planned again next tick, never a rejection for a person.
            let e = submit_error("x.sh", &err);
            assert!(matches!(e, SlurmError::DependencyRejected { .. }), "{}: {e:?}", s.release);
        } else {
            assert_eq!(rc, 0, "{}: accepted, the dependency dropped", s.release);
            assert!(parse::sbatch(&s.text("sbatch_dependency_unknown.stdout")).is_ok());
        }
    }
}

#[test]
fn sbatch_errors_are_summarised_and_classified() {
    for s in sets() {
        let e = error_summary(&s.text("sbatch_bad_partition.stderr"));
        assert!(e.contains("invalid partition specified: nosuch"), "{}: {e}", s.release);
        let mem = error_summary(&s.text("sbatch_mem_too_big.stderr"));
        assert!(mem.contains("Memory specification can not be satisfied"), "{}: {mem}", s.release);
        assert!(error_summary(&s.text("sbatch_dependency_rejected.stderr")).contains("Job dependency problem"));
        let bad = error_summary(&s.text("sbatch_bad_directive.stderr"));
        assert!(bad.contains("unrecognized option '--no-such-option'"), "{}: {bad}", s.release);
        for down in ["sbatch_controller_down", "squeue_controller_down", "scancel_controller_down", "sacct_dbd_down"] {
            let text = s.text(&format!("{down}.stderr"));
            assert!(controller_down(&text), "{} {down}: not seen as unreachable: {text}", s.release);
        }
        for rejected in ["sbatch_bad_partition", "sbatch_too_many_cpus", "sbatch_mem_too_big", "sbatch_too_many_gpus"] {
            let text = s.text(&format!("{rejected}.stderr"));
            assert!(!controller_down(&text), "{} {rejected}", s.release);
            assert!(matches!(submit_error("x.sh", &text), SlurmError::Rejected { .. }), "{} {rejected}", s.release);
        }
    }
}

#[test]
fn squeue_mixed_states_and_reasons() {
    for s in sets() {
        let text = s.text("squeue_mixed.stdout");
        let rows = parse::squeue(&text).unwrap();
        assert_eq!(rows.len(), text.lines().count());
        let reason = |r: &str| rows.iter().find(|q| q.reason.as_deref() == Some(r)).map(|q| q.state.clone());
        assert_eq!(reason("Dependency"), Some(JobState::Pending), "{}", s.release);
        assert_eq!(reason("DependencyNeverSatisfied"), Some(JobState::Pending), "{}", s.release);
        assert_eq!(reason("JobArrayTaskLimit"), Some(JobState::Pending), "{}", s.release);
        assert_eq!(reason("NonZeroExitCode"), Some(JobState::Failed), "{}", s.release);
        let running: Vec<_> = rows.iter().filter(|q| q.state == JobState::Running).collect();
        assert!(running.iter().all(|q| q.reason.is_none()), "{}: None reason is None", s.release);
        assert!(running.iter().any(|q| q.display_id.contains('_')), "array tasks show as BASE_TASK");
        assert!(rows.iter().all(|q| q.comment.as_deref().is_some_and(|c| c.starts_with("neuroflow:run="))));
    }
}

#[test]
fn squeue_terminal_states_within_min_job_age() {
    for s in sets() {
        let rows = parse::squeue(&s.text("squeue_terminal.stdout")).unwrap();
        for st in [JobState::Cancelled, JobState::OutOfMemory, JobState::Timeout, JobState::Failed, JobState::Completed]
        {
            assert!(rows.iter().any(|q| q.state == st), "{}: {st} missing", s.release);
        }
        assert!(rows.iter().all(|q| q.state.is_terminal()), "{}", s.release);
    }
}

#[test]
fn squeue_unknown_and_empty() {
    for s in sets() {
        assert!(parse::squeue(&s.text("squeue_unknown_ids.stdout")).unwrap().is_empty(), "{}", s.release);
        assert!(s.text("squeue_unknown_id.stderr").contains("Invalid job id specified"), "{}", s.release);
        assert_eq!(parse::squeue(&s.text("squeue_some_unknown.stdout")).unwrap().len(), 1, "{}", s.release);
    }
}

#[test]
fn sacct_terminal_records() {
    for s in sets() {
        let recs = s.sacct("sacct_terminal");
        let exit3 = by_name(&recs, "nf-rec-t-exit3");
        assert_eq!((exit3.state.clone(), exit3.exit_code, exit3.exit_signal), (JobState::Failed, 3, 0));
        let cancelled = by_name(&recs, "nf-rec-t-cancel-running");
        assert_eq!((cancelled.state.clone(), cancelled.state_text.as_str()), (JobState::Cancelled, "CANCELLED by 0"));
        let killdep = by_name(&recs, "nf-rec-t-killdep");
        assert_eq!((killdep.state.clone(), killdep.node_list.clone()), (JobState::Cancelled, None), "{}", s.release);
        let oom = by_name(&recs, "nf-rec-t-oom");
        assert_eq!(
            (oom.state.clone(), oom.exit_code, oom.exit_signal),
            (JobState::OutOfMemory, 0, 125),
            "{}",
            s.release
        );
        let kill9 = by_name(&recs, "nf-rec-t-kill9");
        assert_eq!((kill9.state.clone(), kill9.exit_signal), (JobState::Failed, 9), "{}", s.release);
        let rss = by_name(&recs, "nf-rec-t-maxrss");
        assert!(rss.max_rss_kb.unwrap() > 250_000, "{}: MaxRSS comes from the .batch step: {rss:?}", s.release);
        assert!(rss.elapsed_seconds >= 1 && rss.req_mem.as_deref() == Some("1G"), "{}: {rss:?}", s.release);
        assert!(rss.start.is_some() && rss.end.is_some() && rss.comment.is_some());
        assert!(by_name(&recs, "nf-rec-t-gpu").alloc_tres.as_deref().unwrap().contains("gres/gpu=1"));
        let tasks: Vec<_> = recs.iter().filter(|r| r.name == "nf-rec-t-array").collect();
        assert_eq!(tasks.len(), 4, "{}: one record per array task, steps merged", s.release);
        let failed = tasks.iter().find(|r| r.state == JobState::Failed).unwrap();
        assert_eq!(failed.array_task_id, Some(2));
        let base = tasks[0].array_job_id.unwrap();
        assert!(tasks.iter().all(|t| t.array_job_id == Some(base)));
        assert!(tasks.iter().any(|t| t.job_id == base), "{}: the last task reuses the base id", s.release);
        assert!(recs.iter().all(|r| r.state.is_terminal()));
    }
}

#[test]
fn sacct_timeout_and_live_rows() {
    for s in sets() {
        let t = s.sacct("sacct_timeout");
        assert_eq!(t.len(), 1);
        assert_eq!((t[0].state.clone(), t[0].exit_code), (JobState::Timeout, 0), "{}", s.release);
        assert!((60..=120).contains(&t[0].elapsed_seconds), "{}: a --time=1 job: {}", s.release, t[0].elapsed_seconds);
        let live = s.sacct("sacct_running");
        let running = by_name(&live, "nf-rec-running");
        assert_eq!((running.state.clone(), running.end), (JobState::Running, None), "{}", s.release);
        let pending = by_name(&live, "nf-rec-dep-pending");
        assert_eq!((pending.state.clone(), pending.start, pending.node_list.clone()), (JobState::Pending, None, None));
        assert!(live.iter().any(|r| r.display_id.contains('[') && r.array_task_id.is_none()), "{}", s.release);
    }
}

#[test]
fn sacct_empty_for_unknown_ids() {
    for s in sets() {
        assert!(s.sacct("sacct_unknown_id").is_empty(), "{}", s.release);
    }
    assert_eq!(JobId(1), JobId(1));
}
