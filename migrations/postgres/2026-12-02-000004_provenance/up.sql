-- Provenance of every run (docs/provenance.md) and the accounting neuroflow did not keep.
ALTER TABLE pipeline_runs ADD COLUMN total_cpu_seconds BIGINT;
ALTER TABLE pipeline_runs ADD COLUMN alloc_tres TEXT;
ALTER TABLE pipeline_runs ADD COLUMN sacct_row TEXT;

-- One row per submitted run, written before sbatch: what made it.
CREATE TABLE run_provenance (
    run_id BIGINT PRIMARY KEY REFERENCES pipeline_runs(id),
    neuroflow_version TEXT NOT NULL,
    config_sha256 TEXT NOT NULL,
    script_sha256 TEXT NOT NULL,
    runtime TEXT NOT NULL,
    image_path TEXT,
    image_sha256 TEXT,
    command_path TEXT,
    recorded_at TIMESTAMP NOT NULL
);

-- The SHA-256 of each container image, computed once per file version.
CREATE TABLE image_digests (
    path TEXT PRIMARY KEY NOT NULL,
    size_bytes BIGINT NOT NULL,
    mtime_ns BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    computed_at TIMESTAMP NOT NULL
);

-- nf_provenance: what made each job (docs/admin.md, docs/provenance.md).
CREATE VIEW nf_provenance AS
SELECT r.slurm_job_id AS job_id,
       r.id AS run_id,
       r.stage,
       s.participant_label AS participant,
       se.session_label AS session,
       p.neuroflow_version,
       p.config_sha256,
       p.script_sha256,
       p.runtime,
       p.image_path,
       p.image_sha256,
       p.command_path,
       r.alloc_tres,
       r.total_cpu_seconds,
       r.sacct_row
FROM pipeline_runs r
JOIN run_provenance p ON p.run_id = r.id
JOIN subjects s ON s.id = r.subject_id
LEFT JOIN sessions se ON se.id = r.session_id;
