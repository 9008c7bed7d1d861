DROP TABLE audit_log;
DROP TABLE pipeline_runs;
DROP TABLE workflow_runs;
DROP TABLE incoming_folders;
DROP TABLE sessions;
DROP TABLE subjects;
