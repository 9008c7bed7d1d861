DROP VIEW nf_ticks;
DROP VIEW nf_sessions;
DROP VIEW nf_jobs;
