-- The read side at scale (docs/queries.md, "Read views"): completed current runs by
-- end time and stage (the weekly counts, each stage's newest runs), current runs by
-- stage and status (the status totals), failed attempts by time (the failures plot).
-- Sessions by their flags (the settled subjects' totals).
-- The week (Mondays from 1970-01-05, counted from 0) a run completed and a session
-- arrived, computed by the database, so that the weekly plots count an index in
-- order instead of sorting every row.
-- Queried with these literal predicates so that both backends use them.
CREATE INDEX pipeline_runs_completed_at ON pipeline_runs (ended_at, stage) WHERE status = 'completed' AND NOT superseded;
CREATE INDEX pipeline_runs_current_state ON pipeline_runs (stage, status) WHERE NOT superseded;
CREATE INDEX pipeline_runs_failed_at ON pipeline_runs (updated_at) WHERE status = 'failed';
CREATE INDEX sessions_flags ON sessions (is_valid, excluded, subject_id);
ALTER TABLE pipeline_runs ADD COLUMN ended_week BIGINT GENERATED ALWAYS AS (CAST(FLOOR((EXTRACT(EPOCH FROM ended_at) - 345600) / 604800) AS BIGINT)) STORED;
ALTER TABLE sessions ADD COLUMN discovered_week BIGINT GENERATED ALWAYS AS (CAST(FLOOR((EXTRACT(EPOCH FROM discovered_at) - 345600) / 604800) AS BIGINT)) STORED;
CREATE INDEX pipeline_runs_completed_week ON pipeline_runs (stage, ended_week) WHERE status = 'completed' AND NOT superseded;
CREATE INDEX sessions_discovered_week ON sessions (discovered_week);
