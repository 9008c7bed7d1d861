-- Read-only views for cluster admins (docs/admin.md): the same names and columns on
-- PostgreSQL and SQLite. nf_jobs: one row per run with its Slurm job and its unit.
CREATE VIEW nf_jobs AS
SELECT r.slurm_job_id AS job_id,
       r.slurm_array_job_id AS array_job_id,
       r.slurm_array_task_id AS array_task_id,
       r.job_name,
       r.stage,
       s.participant_label AS participant,
       se.session_label AS session,
       r.id AS run_id,
       r.attempt,
       r.status,
       r.failure_cause AS cause,
       r.superseded,
       r.slurm_state,
       r.exit_code,
       r.exit_signal,
       r.elapsed_seconds,
       r.max_rss_kb,
       r.req_cpus,
       r.req_mem_mb,
       r.req_time_minutes,
       r.submitted_at,
       r.started_at,
       r.ended_at,
       r.script_path,
       r.stdout_path,
       r.stderr_path,
       r.workflow_run_id AS tick_id
FROM pipeline_runs r
JOIN subjects s ON s.id = r.subject_id
LEFT JOIN sessions se ON se.id = r.session_id;

-- nf_sessions: every registered session with its subject and verdict.
CREATE VIEW nf_sessions AS
SELECT s.participant_label AS participant,
       s.subject_code,
       se.session_label AS session,
       se.scan_id,
       se.dicom_path,
       se.is_valid,
       se.validation_message,
       se.excluded,
       se.excluded_reason,
       se.identity_issue,
       se.discovered_at
FROM sessions se
JOIN subjects s ON s.id = se.subject_id;

-- nf_ticks: one row per tick.
CREATE VIEW nf_ticks AS
SELECT id AS tick_id, started_at, finished_at, status, host, pid, dry_run, counts_json, error
FROM workflow_runs;
