//! Parsers and failure classification on output recorded from the real local
//! cluster by slurm/record.sh (see slurm/recorded/README.md). Never hand-edited.

use super::command::{controller_down, error_summary};
use super::parse::{self, AcctRecord};
use super::state::JobState;
use crate::domain::JobId;

/// sacct output recorded with the `--format` list of its command line (.cmd).
macro_rules! sacct_rec {
    ($name:literal) => {
        parse::sacct_in(
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/slurm/recorded/", $name, ".stdout")),
            format_of(include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/slurm/recorded/", $name, ".cmd"))),
        )
    };
}

fn format_of(cmd: &str) -> &str {
    cmd.split_whitespace().find_map(|w| w.strip_prefix("--format=")).expect("the recorded command has --format=")
}

macro_rules! rec {
    ($name:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/slurm/recorded/", $name))
    };
}

fn by_name<'a>(recs: &'a [AcctRecord], name: &str) -> &'a AcctRecord {
    recs.iter().find(|r| r.name == name).unwrap_or_else(|| panic!("no record named {name}"))
}

#[test]
fn sbatch_outputs() {
    assert!(parse::sbatch(rec!("sbatch_ok.stdout")).is_ok());
    let c = parse::sbatch(rec!("sbatch_clusters.stdout")).unwrap();
    assert_eq!(c.cluster.as_deref(), Some("localcluster"));
    assert!(parse::sbatch(rec!("sbatch_array.stdout")).is_ok(), "arrays print the base id");
    assert!(parse::sbatch(rec!("sbatch_with_warning.stdout")).is_ok());
    assert!(parse::sbatch(rec!("sbatch_test_only.stdout")).is_err(), "--test-only prints no id");
    assert_eq!(rec!("sbatch_bad_partition.rc").trim(), "1");
}

#[test]
fn sbatch_errors_are_summarised_and_classified() {
    let e = error_summary(rec!("sbatch_bad_partition.stderr"));
    assert!(e.contains("invalid partition specified: nosuch"), "{e}");
    assert!(error_summary(rec!("sbatch_mem_too_big.stderr")).contains("Memory specification can not be satisfied"));
    assert!(error_summary(rec!("sbatch_dependency_rejected.stderr")).contains("Job dependency problem"));
    assert!(error_summary(rec!("sbatch_bad_directive.stderr")).contains("unrecognized option '--no-such-option'"));
    for down in [
        rec!("sbatch_controller_down.stderr"),
        rec!("squeue_controller_down.stderr"),
        rec!("scancel_controller_down.stderr"),
        rec!("sacct_dbd_down.stderr"),
    ] {
        assert!(controller_down(down), "not seen as unreachable: {down}");
    }
    for rejected in [rec!("sbatch_bad_partition.stderr"), rec!("sbatch_too_many_cpus.stderr")] {
        assert!(!controller_down(rejected), "{rejected}");
    }
}

#[test]
fn squeue_mixed_states_and_reasons() {
    let rows = parse::squeue(rec!("squeue_mixed.stdout")).unwrap();
    assert_eq!(rows.len(), rec!("squeue_mixed.stdout").lines().count());
    let reason = |r: &str| rows.iter().find(|q| q.reason.as_deref() == Some(r)).map(|q| q.state.clone());
    assert_eq!(reason("Dependency"), Some(JobState::Pending));
    assert_eq!(reason("DependencyNeverSatisfied"), Some(JobState::Pending));
    assert_eq!(reason("JobArrayTaskLimit"), Some(JobState::Pending));
    assert_eq!(reason("NonZeroExitCode"), Some(JobState::Failed));
    let running: Vec<_> = rows.iter().filter(|q| q.state == JobState::Running).collect();
    assert!(running.iter().all(|q| q.reason.is_none()), "None reason is None");
    assert!(running.iter().any(|q| q.display_id.contains('_')), "array tasks show as BASE_TASK");
    assert!(rows.iter().all(|q| q.comment.as_deref().is_some_and(|c| c.starts_with("neuroflow:run="))));
}

#[test]
fn squeue_terminal_states_within_min_job_age() {
    let rows = parse::squeue(rec!("squeue_terminal.stdout")).unwrap();
    for s in [JobState::Cancelled, JobState::OutOfMemory, JobState::Timeout, JobState::Failed, JobState::Completed] {
        assert!(rows.iter().any(|q| q.state == s), "{s} missing");
    }
    assert!(rows.iter().all(|q| q.state.is_terminal()));
}

#[test]
fn squeue_unknown_and_empty() {
    assert!(parse::squeue(rec!("squeue_unknown_ids.stdout")).unwrap().is_empty());
    assert!(rec!("squeue_unknown_id.stderr").contains("Invalid job id specified"));
    assert_eq!(parse::squeue(rec!("squeue_some_unknown.stdout")).unwrap().len(), 1);
}

#[test]
fn sacct_terminal_records() {
    let recs = sacct_rec!("sacct_terminal").unwrap();
    let exit3 = by_name(&recs, "nf-rec-t-exit3");
    assert_eq!((exit3.state.clone(), exit3.exit_code, exit3.exit_signal), (JobState::Failed, 3, 0));
    let cancelled = by_name(&recs, "nf-rec-t-cancel-running");
    assert_eq!((cancelled.state.clone(), cancelled.state_text.as_str()), (JobState::Cancelled, "CANCELLED by 0"));
    let killdep = by_name(&recs, "nf-rec-t-killdep");
    assert_eq!((killdep.state.clone(), killdep.node_list.clone()), (JobState::Cancelled, None));
    let oom = by_name(&recs, "nf-rec-t-oom");
    assert_eq!((oom.state.clone(), oom.exit_code, oom.exit_signal), (JobState::OutOfMemory, 0, 125));
    let kill9 = by_name(&recs, "nf-rec-t-kill9");
    assert_eq!((kill9.state.clone(), kill9.exit_signal), (JobState::Failed, 9));
    let rss = by_name(&recs, "nf-rec-t-maxrss");
    assert!(rss.max_rss_kb.unwrap() > 250_000, "MaxRSS comes from the .batch step: {rss:?}");
    assert_eq!((rss.elapsed_seconds, rss.req_mem.as_deref()), (5, Some("1G")));
    assert!(rss.start.is_some() && rss.end.is_some() && rss.comment.is_some());
    assert!(by_name(&recs, "nf-rec-t-gpu").alloc_tres.as_deref().unwrap().contains("gres/gpu=1"));
    let tasks: Vec<_> = recs.iter().filter(|r| r.name == "nf-rec-t-array").collect();
    assert_eq!(tasks.len(), 4, "one record per array task, steps merged");
    let failed = tasks.iter().find(|r| r.state == JobState::Failed).unwrap();
    assert_eq!(failed.array_task_id, Some(2));
    let base = tasks[0].array_job_id.unwrap();
    assert!(tasks.iter().all(|t| t.array_job_id == Some(base)));
    assert!(tasks.iter().any(|t| t.job_id == base), "the last task reuses the base id");
    assert!(recs.iter().all(|r| r.state.is_terminal()));
}

#[test]
fn sacct_timeout_and_live_rows() {
    let t = sacct_rec!("sacct_timeout").unwrap();
    assert_eq!(t.len(), 1);
    assert_eq!((t[0].state.clone(), t[0].exit_code, t[0].elapsed_seconds), (JobState::Timeout, 0, 80));
    let live = sacct_rec!("sacct_running").unwrap();
    let running = by_name(&live, "nf-rec-running");
    assert_eq!((running.state.clone(), running.end), (JobState::Running, None));
    let pending = by_name(&live, "nf-rec-dep-pending");
    assert_eq!((pending.state.clone(), pending.start, pending.node_list.clone()), (JobState::Pending, None, None));
    assert!(live.iter().any(|r| r.display_id.contains('[') && r.array_task_id.is_none()));
}

#[test]
fn sacct_empty_for_unknown_ids() {
    assert!(sacct_rec!("sacct_unknown_id").unwrap().is_empty());
    assert_eq!(JobId(1), JobId(1));
}
