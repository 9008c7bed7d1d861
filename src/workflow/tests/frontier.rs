//! The open frontier: a tick plans only subjects that can still change; finished
//! subjects are settled and skipped until a write to their sessions or runs (the
//! store's triggers) or a change of the enabled stages reopens them.

use super::tick::site;
use crate::domain::RunStatus;

fn units(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

fn open_subjects(s: &mut super::tick::Site) -> Vec<String> {
    let f = s.store.open_frontier(None).unwrap();
    f.subjects.into_iter().map(|x| x.participant_label).collect()
}

#[tokio::test]
async fn a_finished_subject_is_settled_until_a_new_session_reopens_it() {
    let mut s = site();
    s.session("0001", "S1");
    s.session("0002", "S2");
    s.complete(&units(&[("0001", "S1"), ("0002", "S2")]), 8).await;
    s.tick().await;
    assert!(open_subjects(&mut s).is_empty(), "both finished subjects are settled");
    assert!(!s.store.any_open_subject().unwrap());
    let idle = s.tick().await;
    assert!(idle.plan.is_empty(), "a finished store plans nothing: {:?}", idle.plan);

    // A new session of sub-0001 (a write to its sessions) reopens it alone.
    s.session("0001", "S3");
    assert_eq!(open_subjects(&mut s), ["0001"]);
    let report = s.tick().await;
    assert_eq!(report.plan["bids_conversion"]["planned"], 1, "{:?}", report.plan);
    assert_eq!(report.plan["bids_conversion"].get("done"), Some(&1), "S1 of the reopened subject: {:?}", report.plan);
    let live: Vec<_> = s.runs().into_iter().filter(|r| r.status.is_live()).collect();
    assert!(live.iter().all(|r| r.subject_id == live[0].subject_id), "only sub-0001 moves");
    // QSIPrep reruns over S1 and S3, and both sessions' downstream with it.
    s.complete(&units(&[("0001", "S3")]), 11).await;
    s.tick().await;
    assert!(open_subjects(&mut s).is_empty(), "settled again once its chain finished");
}

#[tokio::test]
async fn any_write_to_a_subjects_runs_or_sessions_reopens_it() {
    let mut s = site();
    s.session("0001", "S1");
    s.complete(&units(&[("0001", "S1")]), 4).await;
    s.tick().await;
    assert!(open_subjects(&mut s).is_empty());
    // A session excluded by a person.
    let sess = s.store.session_by_labels("0001", "S1").unwrap().unwrap().0;
    s.store.set_excluded(sess.id, Some("motion")).unwrap();
    assert_eq!(open_subjects(&mut s), ["0001"], "an excluded session reopens its subject");
    s.tick().await;
    s.store.set_excluded(sess.id, None).unwrap();
    s.tick().await;
    s.complete(&units(&[("0001", "S1")]), 4).await;
    s.tick().await;
    assert!(open_subjects(&mut s).is_empty());
    // A run written (here: withdrawn from the current set).
    let run = s.runs().into_iter().find(|r| r.stage == "qsiparc").unwrap();
    s.store.withdraw_runs(&[run.id], "test").unwrap();
    assert_eq!(open_subjects(&mut s), ["0001"], "a run write reopens its subject");
    let report = s.tick().await;
    assert_eq!(report.plan["qsiparc"]["planned"], 1, "the withdrawn stage is planned again: {:?}", report.plan);
}

#[tokio::test]
async fn enabling_a_stage_reopens_every_subject_once() {
    let mut s = site();
    s.session("0001", "S1");
    s.session("0002", "S2");
    s.complete(&units(&[("0001", "S1"), ("0002", "S2")]), 8).await;
    s.tick().await;
    assert!(open_subjects(&mut s).is_empty());
    let key = crate::workflow::snapshot::policy_key(&s.cfg);
    assert!(!s.store.reopen_all_unless(&key).unwrap(), "same policy: nothing reopened");
    s.cfg.pipelines.get_mut(&crate::config::StageKey("qsiparc".into())).unwrap().enabled = false;
    let report = s.tick().await;
    assert_eq!(report.plan["qsirecon"]["done"], 2, "a policy change plans every subject: {:?}", report.plan);
    assert!(open_subjects(&mut s).is_empty(), "and settles them again");
    s.cfg.pipelines.get_mut(&crate::config::StageKey("qsiparc".into())).unwrap().enabled = true;
    assert!(s.runs().iter().all(|r| r.status == RunStatus::Completed));
    let report = s.tick().await;
    assert_eq!(report.plan["qsiparc"]["done"], 2, "{:?}", report.plan);
}
