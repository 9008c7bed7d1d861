-- neuroflow initial schema. Same file name and same tables on PostgreSQL and SQLite;
-- only the id column type differs (INTEGER PRIMARY KEY AUTOINCREMENT). Times are UTC, stored without time zone.

CREATE TABLE subjects (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    participant_label TEXT NOT NULL UNIQUE,
    subject_code TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subject_id BIGINT NOT NULL REFERENCES subjects(id),
    session_label TEXT NOT NULL,
    scan_id TEXT NOT NULL UNIQUE,
    dicom_path TEXT NOT NULL,
    study_date DATE,
    series_json TEXT NOT NULL DEFAULT '[]',
    is_valid BOOLEAN NOT NULL,
    scans_found TEXT NOT NULL DEFAULT '{}',
    validation_message TEXT NOT NULL DEFAULT '',
    excluded BOOLEAN NOT NULL DEFAULT FALSE,
    excluded_reason TEXT,
    discovered_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (subject_id, session_label)
);

-- What discovery saw in dicom_incoming; held folders live here, never as fake subjects.
CREATE TABLE incoming_folders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rel_path TEXT NOT NULL UNIQUE,
    scan_id TEXT NOT NULL,
    subject_hint TEXT,
    session_hint TEXT,
    intake_state TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    file_count BIGINT NOT NULL,
    total_bytes BIGINT NOT NULL,
    newest_mtime TIMESTAMP NOT NULL,
    fingerprint_since TIMESTAMP NOT NULL, -- when discovery first saw the current fingerprint
    first_seen TIMESTAMP NOT NULL,
    last_seen TIMESTAMP NOT NULL,
    session_id BIGINT REFERENCES sessions(id)
);
CREATE INDEX incoming_folders_state ON incoming_folders (intake_state);

CREATE TABLE workflow_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    status TEXT NOT NULL,
    current_stage TEXT,
    stages_completed TEXT NOT NULL DEFAULT '',
    counts_json TEXT NOT NULL DEFAULT '{}',
    error TEXT,
    host TEXT NOT NULL,
    pid BIGINT NOT NULL,
    dry_run BOOLEAN NOT NULL DEFAULT FALSE
);

-- One row per attempt of one stage for one unit (a subject for subject-level stages,
-- a session otherwise). The only record of pipeline progress.
CREATE TABLE pipeline_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token TEXT NOT NULL UNIQUE,           -- submission token, also in the job's --comment
    stage TEXT NOT NULL,
    level TEXT NOT NULL,
    subject_id BIGINT NOT NULL REFERENCES subjects(id),
    session_id BIGINT REFERENCES sessions(id),
    attempt INTEGER NOT NULL,
    status TEXT NOT NULL,
    failure_cause TEXT,
    message TEXT NOT NULL DEFAULT '',
    superseded BOOLEAN NOT NULL DEFAULT FALSE,
    superseded_by BIGINT REFERENCES pipeline_runs(id),
    trigger_reason TEXT NOT NULL,
    covered_session_ids TEXT NOT NULL DEFAULT '',
    upstream_run_ids TEXT NOT NULL DEFAULT '',
    workflow_run_id BIGINT REFERENCES workflow_runs(id),
    slurm_job_id BIGINT,
    slurm_array_job_id BIGINT,
    slurm_array_task_id INTEGER,
    slurm_cluster TEXT,
    job_name TEXT NOT NULL,
    script_path TEXT NOT NULL,
    stdout_path TEXT NOT NULL,
    stderr_path TEXT NOT NULL,
    req_cpus INTEGER NOT NULL,
    req_mem_mb BIGINT NOT NULL,
    req_gpus INTEGER NOT NULL,
    req_time_minutes BIGINT NOT NULL,
    req_partition TEXT,
    req_account TEXT,
    req_qos TEXT,
    dependency_job_ids TEXT NOT NULL DEFAULT '',
    slurm_state TEXT,
    pending_reason TEXT,
    exit_code INTEGER,
    exit_signal INTEGER,
    elapsed_seconds BIGINT,
    max_rss_kb BIGINT,
    node_list TEXT,
    unknown_polls INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    submitted_at TIMESTAMP,
    started_at TIMESTAMP,
    ended_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);
-- At most one current (non-superseded) run per stage and unit: a second tick racing
-- the first cannot record a duplicate intent.
CREATE UNIQUE INDEX pipeline_runs_current_unit
    ON pipeline_runs (stage, subject_id, COALESCE(session_id, 0)) WHERE NOT superseded;
-- Every tick reads the live runs (tracking) and the current runs (planning).
CREATE INDEX pipeline_runs_status ON pipeline_runs (status) WHERE NOT superseded;
CREATE INDEX pipeline_runs_job ON pipeline_runs (slurm_job_id);
CREATE INDEX pipeline_runs_subject ON pipeline_runs (subject_id, stage);
CREATE INDEX sessions_subject ON sessions (subject_id);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TIMESTAMP NOT NULL,
    entity TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    action TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    message TEXT NOT NULL DEFAULT '',
    workflow_run_id BIGINT
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
