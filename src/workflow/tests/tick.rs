//! The tick against the in-memory scheduler and a temporary SQLite store: fast tests
//! of submission order, tracking cost, orphan adoption and failure handling. The
//! same behaviour is proven on the real cluster by tests/it.

use crate::config::Config;
use crate::db::{FolderObservation, NewSession, Run, Store};
use crate::domain::{FailureCause, JobId, RunStatus};
use crate::slurm::JobState;
use crate::slurm::fake::FakeSlurm;
use crate::workflow::counts::TickReport;
use crate::workflow::tick::{TickOptions, tick};

pub(super) struct Site {
    pub(super) dir: tempfile::TempDir,
    pub(super) cfg: Config,
    pub(super) store: Store,
    pub(super) slurm: FakeSlurm,
}

pub(super) fn site() -> Site {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().display();
    let tool = "runtime: native, command: 'true', resources: {cpus: 1, mem_gb: 1, time: 10}";
    let yaml = format!(
        "paths: {{dicom_incoming: {root}/in, bids_root: {root}/bids, derivatives: {root}/d, work_dir: {root}/work, log_dir: {root}/logs}}\n\
         mapping: {{csv_file: m.csv}}\n\
         protocol: {{required_scans: [{{name: T1w, series_description_pattern: t1}}]}}\n\
         containers: {{fs_license: {root}/license.txt}}\n\
         pipelines:\n  bids_conversion: {{{tool}, version: '1.5.1'}}\n\
         \x20 qsiprep: {{{tool}, version: '26.1.1', options: {{output_resolution: 2}}}}\n\
         \x20 qsirecon: {{{tool}, version: '26.0.0', options: {{recon_spec: dsi_studio_gqi}}}}\n\
         \x20 qsiparc: {{{tool}, version: '0.1.2'}}\n"
    );
    let cfg = crate::config::parse(&dir.path().join("neuroflow.yaml"), &yaml, None).expect("test config").config;
    let store = Store::open(&cfg.database_url()).expect("store");
    Site { dir, cfg, store, slurm: FakeSlurm::default() }
}

impl Site {
    /// Registers session `ses` of participant `sub` (its DICOM folder exists).
    pub(super) fn session(&mut self, sub: &str, ses: &str) {
        let now = chrono::Utc::now().naive_utc();
        let dicom = self.dir.path().join("in").join(ses);
        std::fs::create_dir_all(&dicom).unwrap();
        let obs = FolderObservation {
            rel_path: ses.into(),
            scan_id: ses.into(),
            subject_hint: None,
            session_hint: None,
            file_count: 1,
            total_bytes: 1,
            newest_mtime: now,
            fingerprint_since: now,
            last_seen: now,
        };
        let new = NewSession {
            subject_id: 0,
            session_label: ses.into(),
            scan_id: ses.into(),
            dicom_path: dicom.display().to_string(),
            study_date: None,
            series_json: "[]".into(),
            is_valid: true,
            scans_found: "{}".into(),
            validation_message: String::new(),
            discovered_at: now,
            updated_at: now,
            series_read_at: Some(now),
        };
        self.store.register_folder(&obs, (sub, sub), &new, None).unwrap();
    }

    pub(super) async fn tick(&mut self) -> TickReport {
        let opts = TickOptions { no_discover: true, ..Default::default() };
        tick(&self.cfg, &mut self.store, &self.slurm, &opts).await.expect("tick")
    }

    pub(super) fn runs(&mut self) -> Vec<Run> {
        self.store.current_runs().unwrap()
    }

    fn run_of(&mut self, stage: &str) -> Run {
        self.runs().into_iter().find(|r| r.stage == stage).unwrap_or_else(|| panic!("no {stage} run"))
    }

    fn job_of(&mut self, stage: &str) -> JobId {
        JobId(self.run_of(stage).slurm_job_id.expect("submitted") as u64)
    }

    /// Writes what a successful run of `stage` leaves for participant 0001 ses S1.
    fn outputs(&self, stage: &str) {
        self.outputs_for(stage, "0001", "S1");
    }

    /// Writes what a successful run of `stage` leaves for `sub` `ses`.
    pub(super) fn outputs_for(&self, stage: &str, sub: &str, ses: &str) {
        let root = self.dir.path();
        let files: Vec<String> = match stage {
            "bids_conversion" => vec![
                "bids/dataset_description.json".into(),
                format!("bids/sub-{sub}/ses-{ses}/a.nii.gz"),
                format!("bids/sub-{sub}/ses-{ses}/a.json"),
            ],
            "qsiprep" => vec![format!("d/qsiprep/sub-{sub}/ses-{ses}/dwi/x_desc-preproc_dwi.nii.gz")],
            "qsirecon" => {
                vec![format!("d/qsirecon/derivatives/qsirecon-DSIStudio/sub-{sub}/ses-{ses}/dwi/x_dwimap.nii.gz")]
            }
            _ => vec![format!("d/qsiparc/sub-{sub}/ses-{ses}/dwi/x_diffmap.tsv")],
        };
        for f in files {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, "x").unwrap();
        }
    }
}

impl Site {
    /// Ticks until `total` current runs are all completed, writing the outputs of
    /// the (participant, session) `units` first and finishing every queued job after
    /// each tick.
    pub(super) async fn complete(&mut self, units: &[(String, String)], total: usize) {
        for (sub, ses) in units {
            for stage in ["bids_conversion", "qsiprep", "qsirecon", "qsiparc"] {
                self.outputs_for(stage, sub, ses);
            }
        }
        // The stages' caps (max_concurrent) let the chains through a few at a time.
        for _ in 0..20 {
            self.tick().await;
            for (id, job) in self.slurm.jobs() {
                if job.in_queue {
                    self.slurm.finish(id, JobState::Completed, 0);
                }
            }
            if self.runs().len() == total && self.runs().iter().all(|r| r.status == RunStatus::Completed) {
                return;
            }
        }
        panic!("the chains did not finish: {:?}", self.runs().iter().map(|r| (&r.stage, r.status)).collect::<Vec<_>>());
    }
}

fn status(runs: &[Run], stage: &str) -> (RunStatus, Option<FailureCause>) {
    let r = runs.iter().find(|r| r.stage == stage).unwrap();
    (r.status, r.failure_cause)
}

fn in_chain_order(s: &mut Site) -> Vec<JobId> {
    ["bids_conversion", "qsiprep", "qsirecon", "qsiparc"].iter().map(|st| s.job_of(st)).collect()
}

#[tokio::test]
async fn one_tick_submits_the_chain_in_order_with_afterok() {
    let mut s = site();
    s.session("0001", "S1");
    let report = s.tick().await;
    assert_eq!((report.exit, report.slurm_calls), (0, 4));
    assert_eq!(s.slurm.calls(), ["sbatch"; 4], "four sbatch and nothing else");
    let ids = in_chain_order(&mut s);
    let jobs = s.slurm.jobs();
    assert!(jobs[&ids[0]].after.is_empty());
    for w in ids.windows(2) {
        assert_eq!(jobs[&w[1]].after, vec![w[0]], "each stage waits on the one before");
    }
    assert!(jobs[&ids[1]].name == "nf-qsiprep-sub-0001" && jobs[&ids[1]].comment.contains("token="));
}

#[tokio::test]
async fn tracking_costs_one_squeue_and_one_sacct_and_nothing_when_idle() {
    let mut s = site();
    s.session("0001", "S1");
    s.tick().await;
    for (stage, job) in ["bids_conversion", "qsiprep", "qsirecon", "qsiparc"].into_iter().zip(in_chain_order(&mut s)) {
        s.outputs(stage);
        s.slurm.finish(job, JobState::Completed, 0);
    }
    s.slurm.clear_calls();
    let report = s.tick().await;
    assert_eq!(s.slurm.calls(), ["squeue", "sacct"], "one of each for every live job");
    assert_eq!(report.exit, 0);
    assert!(s.runs().iter().all(|r| r.status == RunStatus::Completed));
    s.slurm.clear_calls();
    s.tick().await;
    assert!(s.slurm.calls().is_empty(), "an idle tick asks Slurm nothing");
}

#[tokio::test]
async fn completed_without_outputs_fails_and_downstream_goes_in_one_scancel() {
    let mut s = site();
    s.session("0001", "S1");
    s.tick().await;
    let bids = s.job_of("bids_conversion");
    s.slurm.finish(bids, JobState::Completed, 0); // exit 0, nothing written
    s.slurm.clear_calls();
    s.tick().await;
    let runs = s.store.all_runs().unwrap();
    let first_bids = runs.iter().find(|r| r.slurm_job_id == Some(bids.0 as i64)).unwrap();
    assert_eq!((first_bids.status, first_bids.failure_cause), (RunStatus::Failed, Some(FailureCause::OutputsMissing)));
    for stage in ["qsiprep", "qsirecon", "qsiparc"] {
        let r = runs.iter().find(|r| r.stage == stage).unwrap();
        assert_eq!((r.status, r.failure_cause), (RunStatus::Cancelled, Some(FailureCause::UpstreamFailed)), "{stage}");
    }
    assert_eq!(s.slurm.calls().iter().filter(|c| *c == "scancel").count(), 1);
}

#[tokio::test]
async fn a_lost_sbatch_answer_is_adopted_never_duplicated() {
    let mut s = site();
    s.session("0001", "S1");
    s.slurm.lose_next_answer();
    let first = s.tick().await;
    assert_eq!(first.exit, 2, "transient: the rest waits for the next tick");
    assert_eq!(status(&s.runs(), "bids_conversion").0, RunStatus::Planned, "the intent is kept");
    s.tick().await;
    let named = s.slurm.jobs().values().filter(|j| j.name.starts_with("nf-bids_conversion")).count();
    assert_eq!(named, 1, "the job created before the answer was lost is adopted");
    let runs = s.runs();
    assert_eq!(status(&runs, "bids_conversion").0, RunStatus::Queued);
    assert_eq!(runs.len(), 4, "and the rest of the chain went out");
}

#[tokio::test]
async fn a_controller_that_is_down_loses_nothing() {
    let mut s = site();
    s.session("0001", "S1");
    s.slurm.set_down(true);
    assert_eq!(s.tick().await.exit, 2);
    assert!(s.slurm.jobs().is_empty());
    s.slurm.set_down(false);
    s.tick().await; // finds no job for the intent: interrupted, planned again
    s.tick().await;
    assert_eq!(s.slurm.jobs().len(), 4, "one job per unit, no duplicate");
    assert!(s.runs().iter().all(|r| r.status == RunStatus::Queued), "{:?}", s.runs());
}

#[tokio::test]
async fn a_rejected_submission_needs_a_person_on_every_tick() {
    let mut s = site();
    s.session("0001", "S1");
    s.slurm.reject_next("invalid partition specified");
    let report = s.tick().await;
    assert_eq!(report.exit, 1);
    assert_eq!(status(&s.runs(), "bids_conversion"), (RunStatus::Failed, Some(FailureCause::SubmitRejected)));
    let again = s.tick().await;
    assert_eq!(again.exit, 1, "still said: {:?}", again.problems);
    assert!(again.problems.iter().any(|p| p.contains("sbatch rejected")), "{:?}", again.problems);
}

#[tokio::test]
async fn a_render_error_means_the_same_in_a_dry_run_and_a_real_one() {
    let mut s = site();
    s.cfg.paths.log_dir = s.dir.path().join("my logs"); // cannot go on an #SBATCH line
    s.session("0001", "S1");
    let dry = TickOptions { no_discover: true, dry_run: true, ..Default::default() };
    let preview = tick(&s.cfg, &mut s.store, &s.slurm, &dry).await.unwrap();
    let real = s.tick().await;
    for r in [&preview, &real] {
        assert_eq!(r.exit, 1, "a person must act: {:?}", r.problems);
        let rejected = &r.submit.as_ref().unwrap().rejected;
        assert!(rejected.len() == 1 && rejected[0].contains("cannot go on an #SBATCH line"), "{rejected:?}");
    }
    assert_eq!(status(&s.runs(), "bids_conversion"), (RunStatus::Failed, Some(FailureCause::SubmitRejected)));
    assert!(s.slurm.jobs().is_empty());
}

#[tokio::test]
async fn a_job_that_can_never_start_needs_a_person_on_every_tick() {
    let mut s = site();
    s.session("0001", "S1");
    s.tick().await;
    let prep = s.job_of("qsiprep");
    s.slurm.set_reason(prep, "PartitionTimeLimit");
    for _ in 0..2 {
        let report = s.tick().await;
        assert_eq!(report.exit, 1, "{:?}", report.problems);
        let said = report.needs_person.join("\n");
        assert!(
            said.contains("can never start as asked: PartitionTimeLimit") && said.contains("resources.time"),
            "{said}"
        );
    }
    assert_eq!(status(&s.runs(), "qsiprep").0, RunStatus::Queued, "the job stays for the person to decide");
}

#[tokio::test]
async fn a_job_slurm_requeues_stays_live() {
    let mut s = site();
    s.session("0001", "S1");
    s.tick().await;
    let bids = s.job_of("bids_conversion");
    s.slurm.start(bids);
    s.tick().await;
    assert_eq!(status(&s.runs(), "bids_conversion").0, RunStatus::Running);
    s.slurm.requeue(bids);
    let report = s.tick().await;
    assert_eq!(report.exit, 0, "{:?}", report.problems);
    assert_eq!(status(&s.runs(), "bids_conversion").0, RunStatus::Queued, "requeued: live again, not failed");
    assert_eq!(s.slurm.jobs().len(), 4, "nothing submitted again");
}

/// A store with `k` subjects whose chains all completed; returns the number of SQL
/// statements an idle tick (discovery included) then runs.
async fn idle_tick_queries(k: usize) -> usize {
    let mut s = site();
    let mut csv = String::from("ScanID,SubjectCode\n");
    for i in 1..=k {
        s.session(&format!("{i:04}"), &format!("S{i}"));
        csv.push_str(&format!("S{i},{i:04}\n"));
    }
    std::fs::write(s.dir.path().join("m.csv"), csv).unwrap();
    let units: Vec<(String, String)> = (1..=k).map(|i| (format!("{i:04}"), format!("S{i}"))).collect();
    s.complete(&units, 4 * k).await;
    let n = s.store.count_queries();
    s.slurm.clear_calls();
    let report = tick(&s.cfg, &mut s.store, &s.slurm, &TickOptions::default()).await.expect("tick");
    assert_eq!((report.exit, report.slurm_calls), (0, 0), "{:?}", report.problems);
    n.load(std::sync::atomic::Ordering::SeqCst)
}

#[tokio::test]
async fn an_idle_ticks_query_count_does_not_grow_with_finished_units() {
    let (one, six) = (idle_tick_queries(1).await, idle_tick_queries(6).await);
    assert!(one > 5, "the counter sees the tick's queries ({one})");
    assert_eq!(one, six, "queries of an idle tick with 1 and with 6 finished subjects");
}
