DROP VIEW nf_provenance;
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
       p.tool_release,
       p.tool_release_found_by,
       r.alloc_tres,
       r.total_cpu_seconds,
       r.sacct_row
FROM pipeline_runs r
JOIN run_provenance p ON p.run_id = r.id
JOIN subjects s ON s.id = r.subject_id
LEFT JOIN sessions se ON se.id = r.session_id;
ALTER TABLE run_provenance DROP COLUMN slurm_release;
