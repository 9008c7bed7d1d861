#![allow(clippy::disallowed_methods)] // tests and benchmarks run tools directly
//! A tick with nothing to do, with 1,000 completed sessions in the store (500
//! subjects x 2 sessions, 3,500 completed runs): how long cron's every-few-minutes
//! call takes when all is done, and proof that it asks Slurm nothing.
//! `cargo bench --bench idle_tick` (NF_BENCH_PG_URL=postgres://... adds PostgreSQL).

#[path = "common/mod.rs"]
mod common;

use neuroflow::db::{FolderObservation, JobUpdate, NewRun, NewSession, Store, SubmittedJob};
use neuroflow::lifecycle::RunEvent;
use std::path::Path;

const SUBJECTS: usize = 500;
const SESSIONS_PER_SUBJECT: usize = 2;

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = format!("sqlite://{}", dir.path().join("work/neuroflow.db").display());
    bench("sqlite", dir.path(), &sqlite);
    if let Ok(admin) = std::env::var("NF_BENCH_PG_URL") {
        let db = format!("nf_bench_{}", std::process::id());
        let mut c = <diesel::PgConnection as diesel::Connection>::establish(&admin).expect("PostgreSQL");
        diesel::connection::SimpleConnection::batch_execute(&mut c, &format!("CREATE DATABASE {db}")).unwrap();
        let url = format!("{}/{db}", admin.rsplit_once('/').unwrap().0);
        let pgdir = tempfile::tempdir().unwrap();
        bench("postgres", pgdir.path(), &url);
        diesel::connection::SimpleConnection::batch_execute(&mut c, &format!("DROP DATABASE {db} WITH (FORCE)"))
            .unwrap();
    }
}

fn bench(backend: &str, root: &Path, url: &str) {
    let config = root.join("neuroflow.yaml");
    std::fs::create_dir_all(root.join("incoming")).unwrap();
    let yaml = format!(
        r#"paths: {{dicom_incoming: incoming, bids_root: bids, derivatives: derivatives, work_dir: work, log_dir: logs}}
database: {{url: '{url}'}}
mapping: {{csv_file: mapping.csv}}
discovery: {{stability_minutes: 0}}
containers: {{fs_license: license.txt, templateflow_home: templateflow}}
protocol: {{required_scans: [{{name: T1w, series_description_pattern: t1}}]}}
pipelines:
  bids_conversion: {{runtime: native, resources: {{cpus: 1, mem_gb: 1, time: 10}}}}
  qsiprep: {{runtime: native, resources: {{cpus: 1, mem_gb: 1, time: 10}}, options: {{output_resolution: 2}}}}
  qsirecon: {{runtime: native, resources: {{cpus: 1, mem_gb: 1, time: 10}}, options: {{recon_spec: dsi_studio_gqi}}}}
  qsiparc: {{runtime: native, resources: {{cpus: 1, mem_gb: 1, time: 10}}}}
"#
    );
    std::fs::write(&config, yaml).unwrap();
    std::fs::write(root.join("license.txt"), "bench").unwrap();
    std::fs::create_dir_all(root.join("templateflow")).unwrap();
    std::fs::write(root.join("mapping.csv"), "ScanID,SubjectCode\n").unwrap();
    populate(url, &root.join("incoming"));
    let times: Vec<_> = (0..7)
        .map(|_| {
            let (t, out) = common::neuroflow(&config, &["workflow", "run", "--format", "json"]);
            let r: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
            assert_eq!(r["slurm_calls"], 0, "an idle tick asks Slurm nothing: {r}");
            assert_eq!(r["submit"]["submitted"].as_array().map(Vec::len), Some(0), "{r}");
            t
        })
        .collect();
    let sessions = SUBJECTS * SESSIONS_PER_SUBJECT;
    println!(
        "{backend}: idle tick with {sessions} completed sessions: median {:.3} s (min {:.3} s, max {:.3} s, 7 runs), 0 Slurm calls",
        common::median(times.clone()).as_secs_f64(),
        times.iter().min().unwrap().as_secs_f64(),
        times.iter().max().unwrap().as_secs_f64()
    );
}

fn populate(url: &str, incoming: &Path) {
    let mut store = Store::open(url).expect("store");
    let now = chrono::Utc::now().naive_utc();
    let mut next_job = 1;
    let mut done = |store: &mut Store, stage: &str, subject: i64, session: Option<i64>, upstream: &[i64]| -> i64 {
        let run = store
            .record_planned_run(&NewRun {
                token: uuid::Uuid::new_v4().to_string(),
                stage: stage.into(),
                level: if session.is_some() { "session" } else { "subject" }.into(),
                subject_id: subject,
                session_id: session,
                attempt: 1,
                trigger_reason: "bench".into(),
                covered_session_ids: String::new(),
                upstream_run_ids: upstream.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(","),
                workflow_run_id: None,
                job_name: format!("nf-{stage}"),
                script_path: String::new(),
                stdout_path: String::new(),
                stderr_path: String::new(),
                req_cpus: 1,
                req_mem_mb: 1024,
                req_gpus: 0,
                req_time_minutes: 10,
                req_partition: None,
                req_account: None,
                req_qos: None,
            })
            .unwrap();
        next_job += 1;
        store.record_submission(run.id, &SubmittedJob { job_id: next_job, ..Default::default() }).unwrap();
        let facts = JobUpdate { slurm_state: Some("COMPLETED".into()), exit_code: Some(0), ..Default::default() };
        store.apply_run_event(run.id, RunEvent::Succeeded, &facts, "").unwrap();
        run.id
    };
    for s in 0..SUBJECTS {
        let mut bids = vec![];
        let mut sessions = vec![];
        for v in 0..SESSIONS_PER_SUBJECT {
            let scan = format!("S{s:04}_{v}");
            std::fs::create_dir_all(incoming.join(&scan)).unwrap();
            let obs = FolderObservation {
                rel_path: scan.clone(),
                scan_id: scan.clone(),
                subject_hint: None,
                session_hint: None,
                file_count: 100,
                total_bytes: 1,
                newest_mtime: now,
                fingerprint_since: now,
                last_seen: now,
            };
            let new = NewSession {
                subject_id: 0,
                session_label: scan.replace('_', ""),
                scan_id: scan,
                dicom_path: String::new(),
                study_date: None,
                series_json: "[]".into(),
                is_valid: true,
                scans_found: "{}".into(),
                validation_message: String::new(),
                discovered_at: now,
                updated_at: now,
                series_read_at: Some(now),
            };
            let (subj, sess) =
                store.register_folder(&obs, (&format!("{s:04}"), &format!("{s:04}")), &new, None).unwrap();
            sessions.push((subj.id, sess.id));
            bids.push(done(&mut store, "bids_conversion", subj.id, Some(sess.id), &[]));
        }
        let subject = sessions[0].0;
        let prep = done(&mut store, "qsiprep", subject, None, &bids);
        for (subj, sess) in sessions {
            let recon = done(&mut store, "qsirecon", subj, Some(sess), &[prep]);
            done(&mut store, "qsiparc", subj, Some(sess), &[recon]);
        }
    }
}
