DROP VIEW nf_provenance;
DROP TABLE image_digests;
DROP TABLE run_provenance;
ALTER TABLE pipeline_runs DROP COLUMN sacct_row;
ALTER TABLE pipeline_runs DROP COLUMN alloc_tres;
ALTER TABLE pipeline_runs DROP COLUMN total_cpu_seconds;
