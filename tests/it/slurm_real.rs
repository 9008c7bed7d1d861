//! The Slurm adapter against the real local cluster (slurm/up.sh). These tests
//! fail when Slurm is not reachable: CI must bring it up first.

use neuroflow::domain::JobId;
use neuroflow::slurm::{AcctRecord, JobState, Scheduler, SlurmCli, SlurmError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn slurm() -> SlurmCli {
    SlurmCli::new(Duration::from_secs(30))
}

fn script(dir: &Path, name: &str, body: &str, extra: &[&str]) -> PathBuf {
    let mut text = format!(
        "#!/bin/bash\n#SBATCH --job-name=nf-test-{name}\n#SBATCH --output={out}\n#SBATCH --time=00:05:00\n#SBATCH --mem=100M\n#SBATCH --comment=neuroflow:test={name}\n",
        out = dir.join(format!("{name}-%j.out")).display()
    );
    for e in extra {
        text.push_str(&format!("#SBATCH {e}\n"));
    }
    text.push_str(body);
    text.push('\n');
    let path = dir.join(format!("{name}.sh"));
    std::fs::write(&path, text).unwrap();
    path
}

/// Polls sacct (one call per second, by id) until the job's record is terminal.
pub async fn wait_terminal(slurm: &SlurmCli, id: JobId, limit: Duration) -> AcctRecord {
    let started = Instant::now();
    loop {
        let recs = slurm.accounting(&[id]).await.expect("sacct works");
        if let Some(r) = recs.into_iter().find(|r| r.job_id == id && r.state.is_terminal()) {
            return r;
        }
        assert!(started.elapsed() < limit, "job {id} not terminal in sacct after {limit:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn submit_err_hint(e: SlurmError) -> String {
    format!("{e} — is the local cluster up? run `bash slurm/up.sh` (CI: `bash .ci/run`)")
}

#[tokio::test]
async fn a_real_job_completes_and_its_accounting_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let s = slurm();
    let path = script(dir.path(), "ok", "echo hello; sleep 2", &[]);
    let sub = s.submit(&path).await.unwrap_or_else(|e| panic!("{}", submit_err_hint(e)));
    let q = s.queue(&[sub.job_id]).await.unwrap();
    assert_eq!(q.len(), 1, "squeue sees the new job: {q:?}");
    assert_eq!(q[0].name, "nf-test-ok");
    assert_eq!(q[0].comment.as_deref(), Some("neuroflow:test=ok"));
    let r = wait_terminal(&s, sub.job_id, Duration::from_secs(90)).await;
    assert_eq!(r.state, JobState::Completed, "{r:?}");
    assert_eq!((r.exit_code, r.exit_signal), (0, 0));
    assert!(r.elapsed_seconds >= 2, "elapsed {}", r.elapsed_seconds);
    assert!(r.start.is_some() && r.end.is_some() && r.node_list.is_some(), "{r:?}");
    let out = std::fs::read_to_string(dir.path().join(format!("ok-{}.out", sub.job_id))).unwrap();
    assert_eq!(out.trim(), "hello");
}

#[tokio::test]
async fn a_failing_job_is_failed_with_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let s = slurm();
    let sub = s
        .submit(&script(dir.path(), "exit3", "exit 3", &[]))
        .await
        .unwrap_or_else(|e| panic!("{}", submit_err_hint(e)));
    let r = wait_terminal(&s, sub.job_id, Duration::from_secs(90)).await;
    assert_eq!(
        (r.state.clone(), r.state_text.as_str(), r.exit_code, r.exit_signal),
        (JobState::Failed, "FAILED", 3, 0)
    );
}

#[tokio::test]
async fn a_cancelled_job_and_unknown_ids() {
    let dir = tempfile::tempdir().unwrap();
    let s = slurm();
    let sub = s
        .submit(&script(dir.path(), "cancel", "sleep 120", &[]))
        .await
        .unwrap_or_else(|e| panic!("{}", submit_err_hint(e)));
    s.cancel(&[sub.job_id.to_string(), "987654321".to_string()]).await.unwrap();
    let r = wait_terminal(&s, sub.job_id, Duration::from_secs(60)).await;
    assert_eq!(r.state, JobState::Cancelled, "{r:?}");
    assert!(s.queue(&[JobId(987_654_321)]).await.unwrap().is_empty(), "unknown ids are simply absent");
    assert!(s.accounting(&[JobId(987_654_321)]).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_rejected_submission_names_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let err =
        slurm().submit(&script(dir.path(), "badpart", "true", &["--partition=nosuchpartition"])).await.unwrap_err();
    assert!(matches!(err, SlurmError::Rejected { .. }), "{err:?}");
    assert!(err.to_string().contains("nosuchpartition") || err.to_string().contains("partition"), "{err}");
    assert!(!err.is_transient());
}
