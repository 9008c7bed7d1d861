DROP INDEX sessions_discovered_week;
DROP INDEX pipeline_runs_completed_week;
ALTER TABLE sessions DROP COLUMN discovered_week;
ALTER TABLE pipeline_runs DROP COLUMN ended_week;
DROP INDEX sessions_flags;
DROP INDEX pipeline_runs_failed_at;
DROP INDEX pipeline_runs_current_state;
DROP INDEX pipeline_runs_completed_at;
