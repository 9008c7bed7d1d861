//! The eligibility rule, checked for every stage of the table and for the
//! situations the chain meets: new sessions, retries, failures, reprocessing, caps.

use super::plan::*;
use super::request::Request;
use crate::domain::{FailureCause, JobId, Level, RunStatus};
use crate::stages::{STAGES, StageDef};
use std::collections::HashMap;

fn request() -> Request {
    Request { cpus: 1, mem_mb: 1024, gpus: 0, time_minutes: 10, partition: None, account: None, qos: None }
}

fn policy(max_concurrent: u32, max_live: u32) -> Policy {
    let pipeline: crate::config::Pipeline = serde_yaml::from_str(
        "runtime: native\nresources: {cpus: 1, mem_gb: 1, time: 10}\nretry: {mem_factor: 2}\noptions: {recon_spec: x}\n",
    )
    .unwrap();
    let stages: HashMap<&'static str, StagePolicy> = STAGES
        .iter()
        .map(|s| {
            let p = StagePolicy {
                enabled: true,
                max_concurrent,
                max_attempts: 3,
                base: request(),
                pipeline: pipeline.clone(),
            };
            (s.name, p)
        })
        .collect();
    Policy { stages, max_live_jobs: max_live, chain_live: true }
}

fn open() -> Policy {
    policy(100, 1000)
}

/// Subject 1 with sessions 10 (and 11 when `two`), all eligible.
fn snapshot(two: bool) -> Snapshot {
    let mut sessions = vec![SessionView { id: 10, subject_id: 1, eligible: true, dicom_missing: false, invalid: None }];
    if two {
        sessions.push(SessionView { id: 11, subject_id: 1, eligible: true, dicom_missing: false, invalid: None });
    }
    Snapshot { subjects: vec![1], sessions, current: vec![] }
}

fn unit_of(def: &StageDef, session: i64) -> Unit {
    match def.level {
        Level::Subject => (1, None),
        Level::Session => (1, Some(session)),
    }
}

fn run(id: i64, stage: &str, unit: Unit, status: RunStatus, upstream: &[i64]) -> RunView {
    RunView {
        id,
        stage: stage.into(),
        unit,
        attempt: 1,
        status,
        cause: None,
        upstream_run_ids: upstream.to_vec(),
        covered_sessions: if unit.1.is_none() { vec![10, 11] } else { vec![] },
        job_id: status.is_live().then_some(JobId(id as u64 + 1000)),
        request: request(),
    }
}

/// Completed runs for every stage before `upto` (ids 1.., each on its upstream).
fn completed_before(upto: usize, s: &mut Snapshot) {
    for (i, def) in STAGES.iter().enumerate().take(upto) {
        let upstream: Vec<i64> = if i == 0 { vec![] } else { vec![i as i64] };
        s.current.push(run(i as i64 + 1, def.name, unit_of(def, 10), RunStatus::Completed, &upstream));
    }
}

fn outcome(p: &Plan, stage: &str, unit: Unit) -> Outcome {
    p.outcomes.iter().find(|(s, u, _)| *s == stage && *u == unit).map(|(_, _, o)| o.clone()).expect("an outcome")
}

#[test]
fn every_stage_runs_once_its_upstream_completed_and_waits_otherwise() {
    for (i, def) in STAGES.iter().enumerate() {
        let only = Filter { stage: Some(def.name.into()), ..Default::default() };
        let mut ready = snapshot(false);
        completed_before(i, &mut ready);
        let p = plan(&ready, &open(), &only);
        assert_eq!(p.runs.len(), 1, "{} should be planned", def.name);
        let expected_refs: Vec<UpstreamRef> =
            def.needs.iter().map(|_| UpstreamRef::Run { run_id: i as i64, job: None }).collect();
        assert_eq!(p.runs[0].upstream, expected_refs, "{}: completed upstream needs no dependency", def.name);
        if !def.needs.is_empty() {
            let p = plan(&snapshot(false), &open(), &only);
            assert!(p.runs.is_empty(), "{} planned without its upstream", def.name);
            assert!(matches!(outcome(&p, def.name, unit_of(def, 10)), Outcome::Waiting(_)));
        }
        // A completed run whose upstream is unchanged is done.
        let mut done = ready.clone();
        let upstream: Vec<i64> = if i == 0 { vec![] } else { vec![i as i64] };
        done.current.push(run(99, def.name, unit_of(def, 10), RunStatus::Completed, &upstream));
        assert_eq!(outcome(&plan(&done, &open(), &only), def.name, unit_of(def, 10)), Outcome::Done);
        // A live run is in flight.
        let mut live = ready.clone();
        live.current.push(run(99, def.name, unit_of(def, 10), RunStatus::Running, &upstream));
        assert_eq!(outcome(&plan(&live, &open(), &only), def.name, unit_of(def, 10)), Outcome::InFlight);
    }
}

#[test]
fn a_new_session_gets_the_whole_chain_in_one_plan() {
    let p = plan(&snapshot(false), &open(), &Filter::default());
    let stages: Vec<&str> = p.runs.iter().map(|r| r.stage.name).collect();
    assert_eq!(stages, vec!["bids_conversion", "qsiprep", "qsirecon", "qsiparc"]);
    for (i, r) in p.runs.iter().enumerate().skip(1) {
        assert_eq!(r.upstream, vec![UpstreamRef::Planned(i - 1)], "{} depends on the run before it", r.stage.name);
    }
    assert_eq!(p.runs[1].covered_sessions, vec![10]);
}

#[test]
fn live_upstream_jobs_become_afterok_dependencies() {
    let mut s = snapshot(true);
    s.current.push(run(1, "bids_conversion", (1, Some(10)), RunStatus::Completed, &[]));
    s.current.push(run(2, "bids_conversion", (1, Some(11)), RunStatus::Queued, &[]));
    let p = plan(&s, &open(), &Filter { stage: Some("qsiprep".into()), ..Default::default() });
    assert_eq!(
        p.runs[0].upstream,
        vec![UpstreamRef::Run { run_id: 1, job: None }, UpstreamRef::Run { run_id: 2, job: Some(JobId(1002)) }]
    );
    assert_eq!(p.runs[0].covered_sessions, vec![10, 11]);
}

#[test]
fn qsiprep_waits_for_every_session_of_the_subject() {
    let mut s = snapshot(true);
    s.current.push(run(1, "bids_conversion", (1, Some(10)), RunStatus::Completed, &[]));
    let mut failed = run(2, "bids_conversion", (1, Some(11)), RunStatus::Failed, &[]);
    failed.attempt = 3;
    failed.cause = Some(FailureCause::NonzeroExit);
    s.current.push(failed);
    let p = plan(&s, &open(), &Filter::default());
    assert!(p.runs.is_empty());
    assert!(matches!(outcome(&p, "qsiprep", (1, None)), Outcome::Waiting(w) if w.contains("bids_conversion")));
    assert!(matches!(outcome(&p, "bids_conversion", (1, Some(11))), Outcome::NeedsHuman(w) if w.contains("3 of 3")));
}

#[test]
fn failures_retry_with_more_memory_until_the_last_attempt() {
    let mut s = snapshot(false);
    let mut oom = run(1, "bids_conversion", (1, Some(10)), RunStatus::Failed, &[]);
    oom.cause = Some(FailureCause::OutOfMemory);
    s.current.push(oom.clone());
    let only = Filter { stage: Some("bids_conversion".into()), ..Default::default() };
    let p = plan(&s, &open(), &only);
    assert_eq!((p.runs[0].attempt, p.runs[0].request.mem_mb), (2, 2048));
    assert_eq!(p.runs[0].trigger, "retry after out_of_memory");
    oom.attempt = 3;
    s.current = vec![oom];
    assert!(matches!(outcome(&plan(&s, &open(), &only), "bids_conversion", (1, Some(10))), Outcome::NeedsHuman(_)));
    // A person may force another attempt.
    let forced = plan(&s, &open(), &Filter { force: true, ..only });
    assert_eq!(forced.runs[0].attempt, 4);
}

#[test]
fn rejected_or_person_cancelled_runs_need_a_human() {
    for (status, cause) in [
        (RunStatus::Failed, FailureCause::SubmitRejected),
        (RunStatus::Cancelled, FailureCause::ByPerson),
        (RunStatus::Cancelled, FailureCause::SlurmCancelled),
        // Not retried with attempts left: the image would hold the same release.
        (RunStatus::Failed, FailureCause::ToolVersionMismatch),
    ] {
        let mut s = snapshot(false);
        let mut r = run(1, "bids_conversion", (1, Some(10)), status, &[]);
        r.cause = Some(cause);
        s.current.push(r);
        let p = plan(&s, &open(), &Filter::default());
        assert!(matches!(outcome(&p, "bids_conversion", (1, Some(10))), Outcome::NeedsHuman(_)), "{cause}");
    }
}

#[test]
fn runs_cancelled_for_a_failed_upstream_come_back_without_using_an_attempt() {
    let mut s = snapshot(false);
    completed_before(1, &mut s);
    s.current.push(run(5, "qsiprep", (1, None), RunStatus::Running, &[1]));
    let mut c = run(6, "qsirecon", (1, Some(10)), RunStatus::Cancelled, &[4]);
    c.cause = Some(FailureCause::UpstreamFailed);
    c.attempt = 2;
    s.current.push(c);
    let p = plan(&s, &open(), &Filter { stage: Some("qsirecon".into()), ..Default::default() });
    assert_eq!(p.runs[0].attempt, 1, "no attempt used; a new upstream run even starts over");
    assert_eq!(p.runs[0].upstream, vec![UpstreamRef::Run { run_id: 5, job: Some(JobId(1005)) }]);
    // An interrupted submission against the same upstream keeps its attempt number.
    let mut again = s.clone();
    let last = again.current.last_mut().unwrap();
    last.cause = Some(FailureCause::SubmitInterrupted);
    last.upstream_run_ids = vec![5];
    let p = plan(&again, &open(), &Filter { stage: Some("qsirecon".into()), ..Default::default() });
    assert_eq!(p.runs[0].attempt, 2);
}

#[test]
fn a_subject_that_gains_a_session_is_reprocessed() {
    let mut s = snapshot(true);
    completed_before(4, &mut s); // session 10 fully processed: runs 1..4
    let p = plan(&s, &open(), &Filter::default());
    let planned: Vec<(&str, Unit)> = p.runs.iter().map(|r| (r.stage.name, r.unit)).collect();
    assert_eq!(
        planned,
        vec![
            ("bids_conversion", (1, Some(11))),
            ("qsiprep", (1, None)),
            ("qsirecon", (1, Some(10))),
            ("qsirecon", (1, Some(11))),
            ("qsiparc", (1, Some(10))),
            ("qsiparc", (1, Some(11))),
        ]
    );
    assert_eq!(p.runs[1].upstream, vec![UpstreamRef::Run { run_id: 1, job: None }, UpstreamRef::Planned(0)]);
    assert_eq!(p.runs[1].trigger, "upstream changed");
    assert_eq!(p.runs[2].upstream, vec![UpstreamRef::Planned(1)], "old session re-runs after the new qsiprep");
}

#[test]
fn caps_hold() {
    let mut s = Snapshot { subjects: vec![1, 2, 3], ..Default::default() };
    for subj in 1..=3 {
        s.sessions.push(SessionView {
            id: subj * 10,
            subject_id: subj,
            eligible: true,
            dicom_missing: false,
            invalid: None,
        });
    }
    let p = plan(&s, &policy(2, 1000), &Filter { stage: Some("bids_conversion".into()), ..Default::default() });
    assert_eq!(p.runs.len(), 2);
    assert!(
        matches!(outcome(&p, "bids_conversion", (3, Some(30))), Outcome::Limited(w) if w.contains("max_concurrent"))
    );
    let p = plan(&s, &policy(100, 5), &Filter::default());
    assert_eq!(p.runs.len(), 5, "max_live_jobs caps the whole plan");
    s.current.push(run(1, "bids_conversion", (1, Some(10)), RunStatus::Running, &[]));
    let p = plan(&s, &policy(100, 1), &Filter::default());
    assert!(p.runs.is_empty(), "live jobs count towards the cap");
}

#[test]
fn invalid_sessions_and_disabled_stages_stop_the_chain() {
    let mut s = snapshot(false);
    s.sessions[0].eligible = false;
    let p = plan(&s, &open(), &Filter::default());
    assert!(p.runs.is_empty());
    let mut pol = open();
    pol.stages.get_mut("qsiprep").unwrap().enabled = false;
    let p = plan(&snapshot(false), &pol, &Filter::default());
    let stages: Vec<&str> = p.runs.iter().map(|r| r.stage.name).collect();
    assert_eq!(stages, vec!["bids_conversion"]);
}

#[test]
fn a_session_waits_for_a_qsiprep_that_covers_it() {
    // qsiprep completed for session 10 only; session 11 is converted but qsiprep's
    // re-run is held by its cap: qsirecon for 11 must not run on the old qsiprep.
    let mut s = snapshot(true);
    s.current.push(run(1, "bids_conversion", (1, Some(10)), RunStatus::Completed, &[]));
    s.current.push(run(2, "bids_conversion", (1, Some(11)), RunStatus::Completed, &[]));
    let mut prep = run(3, "qsiprep", (1, None), RunStatus::Completed, &[1]);
    prep.covered_sessions = vec![10];
    s.current.push(prep);
    let only = Filter { stage: Some("qsirecon".into()), ..Default::default() };
    let p = plan(&s, &open(), &only);
    assert!(matches!(outcome(&p, "qsirecon", (1, Some(11))), Outcome::Waiting(w) if w.contains("cover")));
    assert_eq!(p.runs.len(), 1, "session 10 is covered: {:?}", p.runs.iter().map(|r| r.unit).collect::<Vec<_>>());
}

#[test]
fn a_failed_run_starts_over_when_its_upstream_changes() {
    let mut s = snapshot(false);
    completed_before(1, &mut s); // bids run 1
    s.current.push(run(5, "qsiprep", (1, None), RunStatus::Completed, &[1]));
    let mut failed = run(6, "qsirecon", (1, Some(10)), RunStatus::Failed, &[4]);
    failed.attempt = 3;
    failed.cause = Some(FailureCause::NonzeroExit);
    s.current.push(failed);
    let p = plan(&s, &open(), &Filter { stage: Some("qsirecon".into()), ..Default::default() });
    assert_eq!((p.runs[0].attempt, p.runs[0].trigger.as_str()), (1, "upstream changed"));
}

#[test]
fn retries_keep_memory_grown_by_earlier_attempts() {
    let mut s = snapshot(false);
    let mut r = run(1, "bids_conversion", (1, Some(10)), RunStatus::Failed, &[]);
    r.cause = Some(FailureCause::NodeFailure);
    r.request.mem_mb = 4096;
    s.current.push(r);
    let p = plan(&s, &open(), &Filter { stage: Some("bids_conversion".into()), ..Default::default() });
    assert_eq!(p.runs[0].request.mem_mb, 4096);
}

#[test]
fn a_session_whose_dicom_is_gone_needs_a_person_for_the_stages_that_read_it() {
    let mut s = snapshot(false);
    s.sessions[0].dicom_missing = true;
    let p = plan(&s, &open(), &Filter::default());
    for def in STAGES.iter().filter(|d| d.reads_dicom) {
        assert!(matches!(outcome(&p, def.name, unit_of(def, 10)), Outcome::NeedsHuman(_)), "{}", def.name);
    }
    assert!(p.runs.is_empty(), "no doomed attempt, and nothing downstream of it");
}

#[test]
fn an_invalid_session_needs_a_person_once() {
    let mut s = snapshot(false);
    s.sessions[0].eligible = false;
    s.sessions[0].invalid = Some("Missing required scans: DWI".into());
    let p = plan(&s, &open(), &Filter::default());
    let needs: Vec<&str> =
        p.outcomes.iter().filter(|(_, _, o)| matches!(o, Outcome::NeedsHuman(_))).map(|(st, _, _)| *st).collect();
    assert_eq!(needs, vec!["bids_conversion"], "one line per session: {:?}", p.outcomes);
    s.sessions[0].invalid = None; // excluded: nothing to say
    let p = plan(&s, &open(), &Filter::default());
    assert!(!p.outcomes.iter().any(|(_, _, o)| matches!(o, Outcome::NeedsHuman(_))));
}

#[test]
fn only_subjects_with_nothing_but_done_or_waiting_settle() {
    use super::plan::settled_subjects;
    let every = [
        Outcome::Planned(0),
        Outcome::Done,
        Outcome::InFlight,
        Outcome::Waiting("w".into()),
        Outcome::Limited("l".into()),
        Outcome::NeedsHuman("n".into()),
    ];
    for o in every {
        let settles = matches!(o, Outcome::Done | Outcome::Waiting(_));
        // Subject 1 has only this outcome; subject 2 only Done; subject 3 none at all.
        let p = Plan {
            runs: vec![],
            outcomes: vec![("qsiprep", (1, None), o.clone()), ("qsiprep", (2, None), Outcome::Done)],
        };
        let expected: Vec<i64> = if settles { vec![1, 2, 3] } else { vec![2, 3] };
        assert_eq!(settled_subjects(&p, &[1, 2, 3]), expected, "{o:?}");
    }
}

#[test]
fn without_live_chaining_a_stage_waits_for_its_upstream_to_finish() {
    let s = snapshot(false);
    let mut pol = open();
    pol.chain_live = false;
    let p = plan(&s, &pol, &Filter::default());
    let first: Vec<&str> = p.runs.iter().map(|r| r.stage.name).collect();
    assert_eq!(first, vec!["bids_conversion"], "only what needs no live upstream goes out");
    assert!(p.runs.iter().all(|r| r.upstream.is_empty()), "nothing waits on a job");
    for def in STAGES.iter().filter(|d| !d.needs.is_empty()) {
        let o = outcome(&p, def.name, unit_of(def, 10));
        // The stage right after the planned one waits for it to finish; the rest wait on those.
        let next = def.needs.iter().any(|n| first.contains(n));
        assert!(matches!(&o, Outcome::Waiting(w) if !next || w.contains("to finish")), "{}: {o:?}", def.name);
    }
}
