//! The store's behaviour, run identically on SQLite and PostgreSQL.

use crate::both_backends;
use crate::support::db::TestDb;
use neuroflow::db::DbError;
use neuroflow::db::{FolderObservation, JobUpdate, NewRun, NewSession, Store, SubmittedJob};
use neuroflow::domain::{FailureCause, IntakeState, WorkflowStatus};
use neuroflow::lifecycle::RunEvent;

both_backends!(
    migrations_apply_from_empty_once,
    subjects_and_sessions_are_recorded_with_audit,
    a_run_goes_through_its_lifecycle,
    invalid_transitions_change_nothing,
    a_new_run_supersedes_the_current_one,
    tokens_are_unique,
    ticks_are_recorded,
    a_tick_that_died_is_marked_interrupted,
    cancelled_and_lost_runs,
    a_live_unit_refuses_a_second_run,
    sessions_can_be_excluded_and_included,
    held_folders_keep_their_fingerprint_and_reason,
    a_corrupt_status_is_one_clear_error,
    admin_views_answer_plain_sql,
    a_write_to_a_settled_subjects_rows_reopens_it,
);

fn open(db: &TestDb) -> Store {
    Store::open(db.url()).expect("open store")
}

fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

fn session(store: &mut Store, label: &str, scan: &str) -> (i64, i64) {
    let obs = FolderObservation {
        rel_path: scan.into(),
        scan_id: scan.into(),
        subject_hint: None,
        session_hint: None,
        file_count: 10,
        total_bytes: 1000,
        newest_mtime: now(),
        fingerprint_since: now(),
        last_seen: now(),
    };
    let (subj, s) = store
        .register_folder(
            &obs,
            (label, label),
            &NewSession {
                subject_id: 0,
                session_label: scan.replace('_', ""),
                scan_id: scan.into(),
                dicom_path: format!("/in/{scan}"),
                study_date: chrono::NaiveDate::from_ymd_opt(2024, 1, 15),
                series_json: "[]".into(),
                is_valid: true,
                scans_found: r#"{"T1w":176}"#.into(),
                validation_message: String::new(),
                discovered_at: now(),
                updated_at: now(),
                series_read_at: Some(now()),
            },
            None,
        )
        .unwrap();
    assert_eq!(s.subject_id, subj.id);
    (subj.id, s.id)
}

fn new_run(subject: i64, session: Option<i64>, stage: &str, token: &str) -> NewRun {
    NewRun {
        token: token.into(),
        stage: stage.into(),
        level: if session.is_some() { "session" } else { "subject" }.into(),
        subject_id: subject,
        session_id: session,
        attempt: 1,
        trigger_reason: "test".into(),
        covered_session_ids: String::new(),
        upstream_run_ids: String::new(),
        workflow_run_id: None,
        job_name: format!("nf-{stage}-sub-x"),
        script_path: "/w/x.sh".into(),
        stdout_path: "/l/x.out".into(),
        stderr_path: "/l/x.err".into(),
        req_cpus: 2,
        req_mem_mb: 4096,
        req_gpus: 0,
        req_time_minutes: 30,
        req_partition: Some("debug".into()),
        req_account: None,
        req_qos: None,
    }
}

fn migrations_apply_from_empty_once(db: TestDb) {
    let mut store = Store::connect(db.url()).unwrap();
    let before = store.migration_status().unwrap();
    assert!(!before.is_empty() && before.iter().all(|m| !m.applied));
    let applied = store.migrate().unwrap();
    assert_eq!(applied.len(), before.len());
    assert!(store.migration_status().unwrap().iter().all(|m| m.applied));
    assert!(store.migrate().unwrap().is_empty(), "second migrate applied something");
    // Opening again (automatic migration on use) is a no-op too.
    let mut again = open(&db);
    assert!(again.all_subjects().unwrap().is_empty());
}

fn subjects_and_sessions_are_recorded_with_audit(db: TestDb) {
    let mut store = open(&db);
    let (subj, sess) = session(&mut store, "0042", "20240115_1430");
    assert_eq!(store.ensure_subject("0042", "42").unwrap().id, subj, "ensure_subject is idempotent");
    let sessions = store.sessions_of_subject(subj).unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].session_label, "202401151430");
    assert_eq!(sessions[0].study_date.unwrap().to_string(), "2024-01-15");
    let trail = store.audit_trail("session", sess).unwrap();
    assert_eq!(trail.len(), 1);
    assert_eq!((trail[0].action.as_str(), trail[0].new_value.as_deref()), ("registered", Some("valid")));
    assert_eq!(store.audit_trail("subject", subj).unwrap().len(), 1);
}

fn a_run_goes_through_its_lifecycle(db: TestDb) {
    let mut store = open(&db);
    let (subj, sess) = session(&mut store, "0001", "S1");
    let run = store.record_planned_run(&new_run(subj, Some(sess), "bids_conversion", "tok-1")).unwrap();
    assert_eq!(run.status.as_str(), "planned");
    assert_eq!(store.live_runs().unwrap().len(), 1);
    let job = SubmittedJob {
        job_id: 4242,
        cluster: Some("localcluster".into()),
        dependency_job_ids: "41".into(),
        ..Default::default()
    };
    let run = store.record_submission(run.id, &job).unwrap();
    assert_eq!((run.status.as_str(), run.slurm_job_id, run.dependency_job_ids.as_str()), ("queued", Some(4242), "41"));
    assert!(run.submitted_at.is_some());
    let facts = JobUpdate {
        slurm_state: Some("RUNNING".into()),
        node_list: Some("localhost".into()),
        started_at: Some(now()),
        ..Default::default()
    };
    let run = store.apply_run_event(run.id, RunEvent::Started, &facts, "").unwrap();
    assert_eq!(run.status.as_str(), "running");
    let done = JobUpdate {
        slurm_state: Some("COMPLETED".into()),
        exit_code: Some(0),
        exit_signal: Some(0),
        elapsed_seconds: Some(93),
        max_rss_kb: Some(316904),
        ended_at: Some(now()),
        ..Default::default()
    };
    let run = store.apply_run_event(run.id, RunEvent::Succeeded, &done, "outputs present").unwrap();
    assert_eq!(run.status.as_str(), "completed");
    assert_eq!(
        (run.elapsed_seconds, run.max_rss_kb, run.node_list.as_deref()),
        (Some(93), Some(316904), Some("localhost"))
    );
    assert!(store.live_runs().unwrap().is_empty());
    assert_eq!(store.run_by_job_id(4242).unwrap().map(|r| r.id), Some(run.id));
    let trail: Vec<String> = store
        .audit_trail("run", run.id)
        .unwrap()
        .iter()
        .map(|a| format!("{:?}->{:?}", a.old_value, a.new_value))
        .collect();
    assert_eq!(trail.len(), 4, "{trail:?}");
    assert_eq!(trail[3], r#"Some("running")->Some("completed")"#);
}

fn invalid_transitions_change_nothing(db: TestDb) {
    let mut store = open(&db);
    let (subj, sess) = session(&mut store, "0002", "S2");
    let run = store.record_planned_run(&new_run(subj, Some(sess), "qsirecon", "tok-2")).unwrap();
    let err = store.apply_run_event(run.id, RunEvent::Succeeded, &JobUpdate::default(), "").unwrap_err();
    assert!(err.to_string().contains("a planned run cannot become succeeded"), "{err}");
    let failed = store
        .apply_run_event(
            run.id,
            RunEvent::Failed(FailureCause::SubmitRejected),
            &JobUpdate::default(),
            "invalid partition",
        )
        .unwrap();
    assert_eq!((failed.status.as_str(), failed.failure_cause.map(|c| c.as_str())), ("failed", Some("submit_rejected")));
    assert!(store.apply_run_event(run.id, RunEvent::Started, &JobUpdate::default(), "").is_err());
    assert_eq!(store.run(run.id).unwrap().status.as_str(), "failed");
    assert_eq!(store.audit_trail("run", run.id).unwrap().len(), 2);
}

fn a_new_run_supersedes_the_current_one(db: TestDb) {
    let mut store = open(&db);
    let (subj, _) = session(&mut store, "0003", "S3");
    let first = store.record_planned_run(&new_run(subj, None, "qsiprep", "tok-3a")).unwrap();
    store
        .apply_run_event(first.id, RunEvent::Failed(FailureCause::SubmitRejected), &JobUpdate::default(), "x")
        .unwrap();
    let mut retry = new_run(subj, None, "qsiprep", "tok-3b");
    retry.attempt = 2;
    let second = store.record_planned_run(&retry).unwrap();
    let old = store.run(first.id).unwrap();
    assert!(old.superseded);
    assert_eq!(old.superseded_by, Some(second.id));
    let current: Vec<i64> = store.current_runs().unwrap().iter().map(|r| r.id).collect();
    assert_eq!(current, vec![second.id]);
    let history = store.run_history("qsiprep", subj, None).unwrap();
    assert_eq!(history.iter().map(|r| r.attempt).collect::<Vec<_>>(), vec![2, 1]);
}

fn tokens_are_unique(db: TestDb) {
    let mut store = open(&db);
    let (subj, sess) = session(&mut store, "0004", "S4");
    store.record_planned_run(&new_run(subj, Some(sess), "qsiparc", "tok-4")).unwrap();
    let (subj2, sess2) = session(&mut store, "0005", "S5");
    assert!(store.record_planned_run(&new_run(subj2, Some(sess2), "qsiparc", "tok-4")).is_err());
    // The failed insert rolled back: the other unit's history is untouched.
    assert!(store.run_history("qsiparc", subj2, Some(sess2)).unwrap().is_empty());
    assert_eq!(store.current_runs().unwrap().len(), 1);
}

fn ticks_are_recorded(db: TestDb) {
    let mut store = open(&db);
    let tick = store.begin_tick("login1", 4321, false).unwrap();
    assert_eq!(tick.status.as_str(), "running");
    store.tick_stage(tick.id, "submit", &["sync".into(), "discover".into()]).unwrap();
    let done = store.finish_tick(tick.id, WorkflowStatus::Completed, r#"{"submitted":3}"#, None).unwrap();
    assert_eq!((done.status.as_str(), done.stages_completed.as_str()), ("completed", "sync,discover"));
    assert!(done.finished_at.is_some() && done.current_stage.is_none());
    assert_eq!(store.recent_ticks(5).unwrap().len(), 1);
}

fn a_tick_that_died_is_marked_interrupted(db: TestDb) {
    let mut store = open(&db);
    let dead = store.begin_tick("login1", 1, false).unwrap();
    let next = store.begin_tick("login1", 2, false).unwrap();
    let ticks = store.recent_ticks(5).unwrap();
    let status = |id: i64| ticks.iter().find(|t| t.id == id).unwrap().status;
    assert_eq!((status(dead.id).as_str(), status(next.id).as_str()), ("interrupted", "running"));
    assert_eq!(store.audit_trail("workflow_run", dead.id).unwrap()[0].new_value.as_deref(), Some("interrupted"));
}

fn cancelled_and_lost_runs(db: TestDb) {
    let mut store = open(&db);
    let (subj, sess) = session(&mut store, "0006", "S6");
    let job = SubmittedJob { job_id: 77, ..Default::default() };
    let a = store.record_planned_run(&new_run(subj, Some(sess), "qsirecon", "tok-6a")).unwrap();
    store.record_submission(a.id, &job).unwrap();
    let a = store
        .apply_run_event(a.id, RunEvent::Cancelled(FailureCause::UpstreamFailed), &JobUpdate::default(), "up")
        .unwrap();
    assert_eq!((a.status.as_str(), a.failure_cause.map(|c| c.as_str())), ("cancelled", Some("upstream_failed")));
    let b = store.record_planned_run(&new_run(subj, Some(sess), "qsirecon", "tok-6b")).unwrap();
    store.record_submission(b.id, &job).unwrap();
    let facts = JobUpdate { unknown_polls: Some(5), ..Default::default() };
    let b = store.apply_run_event(b.id, RunEvent::Lost, &facts, "unknown for 5 polls").unwrap();
    assert_eq!((b.status.as_str(), b.failure_cause.map(|c| c.as_str()), b.unknown_polls), ("lost", Some("lost"), 5));
    assert!(store.live_runs().unwrap().is_empty());
}

fn a_live_unit_refuses_a_second_run(db: TestDb) {
    let mut store = open(&db);
    let (subj, sess) = session(&mut store, "0007", "S7");
    let first = store.record_planned_run(&new_run(subj, Some(sess), "qsiparc", "tok-7a")).unwrap();
    let err = store.record_planned_run(&new_run(subj, Some(sess), "qsiparc", "tok-7b")).unwrap_err();
    assert!(matches!(err, DbError::UnitBusy { run_id, .. } if run_id == first.id), "{err}");
    assert_eq!(store.current_runs().unwrap().len(), 1);
}

fn sessions_can_be_excluded_and_included(db: TestDb) {
    let mut store = open(&db);
    let (_, sess) = session(&mut store, "0008", "S8");
    let s = store.set_excluded(sess, Some("motion artefacts")).unwrap();
    assert!(s.excluded && s.excluded_reason.as_deref() == Some("motion artefacts"));
    let s = store.set_excluded(sess, None).unwrap();
    assert!(!s.excluded && s.excluded_reason.is_none());
    let trail = store.audit_trail("session", sess).unwrap();
    let moves: Vec<_> =
        trail.iter().filter(|a| a.action == "exclusion").map(|a| a.new_value.clone().unwrap()).collect();
    assert_eq!(moves, vec!["excluded", "included"]);
}

fn held_folders_keep_their_fingerprint_and_reason(db: TestDb) {
    let mut store = open(&db);
    let mut obs = FolderObservation {
        rel_path: "S9".into(),
        scan_id: "S9".into(),
        subject_hint: None,
        session_hint: None,
        file_count: 3,
        total_bytes: 300,
        newest_mtime: now(),
        fingerprint_since: now(),
        last_seen: now(),
    };
    store.hold_folder(&obs, IntakeState::Waiting, "changed 1s ago", None).unwrap();
    obs.file_count = 4;
    let f = store.hold_folder(&obs, IntakeState::Unmapped, "not in the mapping", None).unwrap();
    assert_eq!((f.intake_state.as_str(), f.reason.as_str(), f.file_count), ("unmapped", "not in the mapping", 4));
    store.hold_folder(&obs, IntakeState::Unmapped, "not in the mapping", None).unwrap();
    let states: Vec<_> =
        store.audit_trail("incoming_folder", f.id).unwrap().iter().map(|a| a.new_value.clone().unwrap()).collect();
    assert_eq!(states, vec!["waiting", "unmapped"], "only changes are audited");
    assert_eq!(store.incoming_folders().unwrap().len(), 1);
}

fn a_corrupt_status_is_one_clear_error(db: TestDb) {
    let mut store = open(&db);
    let (subj, sess) = session(&mut store, "0001", "S1");
    let run = store.record_planned_run(&new_run(subj, Some(sess), "bids_conversion", "tok-c")).unwrap();
    crate::support::db::execute(db.url(), &format!("UPDATE pipeline_runs SET status = 'queud' WHERE id = {}", run.id));
    let e = store.run(run.id).unwrap_err().to_string();
    assert!(e.contains("corrupt value in the state store") && e.contains("queud"), "{e}");
    let e = store.current_runs().unwrap_err().to_string();
    assert!(e.contains("corrupt value"), "the same error wherever it is read: {e}");
}

fn admin_views_answer_plain_sql(db: TestDb) {
    let mut store = open(&db);
    let (subj, sess) = session(&mut store, "0042", "S1");
    let run = store.record_planned_run(&new_run(subj, Some(sess), "qsirecon", "tok-v")).unwrap();
    store.record_submission(run.id, &SubmittedJob::new(4817213, "/l/%j.out", "/l/%j.err")).unwrap();
    // From a Slurm job id to neuroflow's run and unit, and back.
    let rows = crate::support::db::query3(
        db.url(),
        "SELECT CAST(run_id AS TEXT) AS a, participant || '/' || session AS b, stage || ':' || status AS c FROM nf_jobs WHERE job_id = 4817213",
    );
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!((rows[0].b.as_str(), rows[0].c.as_str()), ("0042/S1", "qsirecon:queued"));
    assert_eq!(rows[0].a, run.id.to_string());
    let back = crate::support::db::query3(
        db.url(),
        "SELECT CAST(job_id AS TEXT) AS a, stdout_path AS b, job_name AS c FROM nf_jobs WHERE participant = '0042' AND stage = 'qsirecon'",
    );
    assert_eq!((back[0].a.as_str(), back[0].b.as_str()), ("4817213", "/l/4817213.out"));
    let sessions =
        crate::support::db::query3(db.url(), "SELECT participant AS a, session AS b, scan_id AS c FROM nf_sessions");
    assert_eq!(sessions.len(), 1);
    store.begin_tick("login1", 7, false).unwrap();
    let ticks =
        crate::support::db::query3(db.url(), "SELECT CAST(tick_id AS TEXT) AS a, status AS b, host AS c FROM nf_ticks");
    assert_eq!((ticks[0].b.as_str(), ticks[0].c.as_str()), ("running", "login1"));
    // What made job 4817213: provenance joined to the job id.
    let prov = neuroflow::db::Provenance {
        run_id: run.id,
        neuroflow_version: "0.1.0".into(),
        config_sha256: "c".repeat(64),
        script_sha256: "5".repeat(64),
        runtime: "apptainer".into(),
        image_path: Some("/images/qsirecon.sif".into()),
        image_sha256: Some("a".repeat(64)),
        command_path: None,
        recorded_at: chrono::SubsecRound::trunc_subsecs(chrono::Utc::now().naive_utc(), 6),
        tool_release: Some("26.0.0".into()),
        tool_release_found_by: Some("image label org.label-schema.version".into()),
        slurm_release: Some("24.11.5".into()),
    };
    store.record_provenance(&prov).unwrap();
    store.record_provenance(&prov).unwrap();
    assert_eq!(store.provenance_of(run.id).unwrap().as_ref(), Some(&prov), "recorded once");
    let made = crate::support::db::query3(
        db.url(),
        "SELECT image_path AS a, image_sha256 AS b, participant AS c FROM nf_provenance WHERE job_id = 4817213",
    );
    assert_eq!((made[0].a.as_str(), made[0].b.len(), made[0].c.as_str()), ("/images/qsirecon.sif", 64, "0042"));
    let release = crate::support::db::query3(
        db.url(),
        "SELECT tool_release AS a, tool_release_found_by AS b, stage AS c FROM nf_provenance WHERE job_id = 4817213",
    );
    assert_eq!(release[0].a, "26.0.0", "the release a job was written for is in the admins' view");
    // The release found for an image digest is kept with the digest (and the tool).
    let key = format!("image:{}", "a".repeat(64));
    assert_eq!(store.cached_release(&key, "qsirecon").unwrap(), None);
    store.remember_release(&key, "qsirecon", "26.0.0", "--version").unwrap();
    assert_eq!(store.cached_release(&key, "qsirecon").unwrap(), Some(("26.0.0".into(), "--version".into())));
    assert_eq!(store.cached_release(&key, "qsiprep").unwrap(), None, "another tool's answer is not this one's");
    // The image digest cache answers only for the same file version.
    let v = neuroflow::db::FileVersion { size_bytes: 10, mtime_ns: 99 };
    store.remember_digest("/images/qsirecon.sif", v, &"a".repeat(64)).unwrap();
    assert_eq!(store.cached_digest("/images/qsirecon.sif", v).unwrap(), Some("a".repeat(64)));
    let touched = neuroflow::db::FileVersion { mtime_ns: 100, ..v };
    assert_eq!(store.cached_digest("/images/qsirecon.sif", touched).unwrap(), None);
}

/// The triggers of the open frontier (migration 2026-12-02-000006), on both backends:
/// inserting or updating a session or run of a settled subject reopens it, and a
/// session moved between subjects reopens both.
fn a_write_to_a_settled_subjects_rows_reopens_it(db: TestDb) {
    let mut store = open(&db);
    let (a, sa) = session(&mut store, "0001", "A1");
    let (b, _) = session(&mut store, "0002", "B1");
    let open_ids =
        |store: &mut Store| -> Vec<i64> { store.open_frontier(None).unwrap().subjects.iter().map(|s| s.id).collect() };
    assert_eq!(open_ids(&mut store), vec![a, b], "new subjects are open");
    let settle = |store: &mut Store| {
        store.settle_subjects(&[a, b]).unwrap();
        assert!(!store.any_open_subject().unwrap());
    };
    settle(&mut store);
    let run = store.record_planned_run(&new_run(a, Some(sa), "bids_conversion", "t1")).unwrap();
    assert_eq!(open_ids(&mut store), vec![a], "a run inserted");
    settle(&mut store);
    store.record_submission(run.id, &SubmittedJob::new(4242, "/l/x.out", "/l/x.err")).unwrap();
    assert_eq!(open_ids(&mut store), vec![a], "a run updated");
    settle(&mut store);
    store.set_excluded(sa, Some("motion")).unwrap();
    assert_eq!(open_ids(&mut store), vec![a], "a session updated");
    settle(&mut store);
    session(&mut store, "0002", "B2");
    assert_eq!(open_ids(&mut store), vec![b], "a session inserted");
    settle(&mut store);
    store.reassign_session(sa, b, "test").unwrap();
    assert_eq!(open_ids(&mut store), vec![a, b], "a session moved reopens both subjects");
    settle(&mut store);
    assert_eq!(store.open_frontier(Some(b)).unwrap().sessions.len(), 3, "a named subject is read even if settled");
    assert!(store.reopen_all_unless("policy-1").unwrap());
    assert!(!store.reopen_all_unless("policy-1").unwrap(), "the same policy reopens nothing");
    assert_eq!(open_ids(&mut store), vec![a, b]);
}
