-- The open frontier (docs/ARCHITECTURE.md "Planning over the open frontier"): a tick
-- plans only subjects that are not settled. A tick settles a subject whose every
-- outcome was Done or Waiting; any write to one of its sessions or runs reopens it
-- (these triggers are the only place that does); a change of the planning policy
-- reopens every subject (db/frontier.rs, keyed by site_state 'plan_policy').
ALTER TABLE subjects ADD COLUMN settled BOOLEAN NOT NULL DEFAULT FALSE;

-- Small facts a tick compares against to skip work (plan policy, label padding,
-- identity check inputs).
CREATE TABLE site_state (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

-- Every query a tick makes is served by an index (EXPLAIN in docs/benchmarks.md),
-- so its cost follows what is open, live, held or new, not the history. The
-- partial indexes hold only the rows a tick looks for, and the queries state their
-- predicates literally (db/frontier.rs): a bound value cannot be proven to match a
-- partial index, and SQLite's statistics would rate a plain index on a flag that
-- is nearly always the same as useless.
CREATE INDEX subjects_open ON subjects (participant_label) WHERE NOT settled;
CREATE INDEX sessions_disputed ON sessions (id) WHERE identity_issue IS NOT NULL;
CREATE INDEX sessions_invalid ON sessions (id) WHERE NOT is_valid AND NOT excluded;
CREATE INDEX sessions_updated ON sessions (updated_at);
CREATE INDEX incoming_folders_session ON incoming_folders (session_id);
CREATE INDEX incoming_folders_held ON incoming_folders (rel_path) WHERE intake_state <> 'registered';
CREATE INDEX pipeline_runs_live ON pipeline_runs (id)
    WHERE status IN ('planned', 'queued', 'running') AND NOT superseded;
CREATE INDEX workflow_runs_running ON workflow_runs (id) WHERE status = 'running';

CREATE FUNCTION nf_reopen_subject() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.subject_id <> NEW.subject_id THEN
        UPDATE subjects SET settled = FALSE WHERE id = OLD.subject_id AND settled;
    END IF;
    UPDATE subjects SET settled = FALSE WHERE id = NEW.subject_id AND settled;
    RETURN NULL;
END $$;
CREATE TRIGGER sessions_reopen AFTER INSERT OR UPDATE ON sessions
    FOR EACH ROW EXECUTE FUNCTION nf_reopen_subject();
CREATE TRIGGER runs_reopen AFTER INSERT OR UPDATE ON pipeline_runs
    FOR EACH ROW EXECUTE FUNCTION nf_reopen_subject();
