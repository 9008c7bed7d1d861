-- Why a registered session's identity is in question (its ScanID now maps to another
-- subject, or its label is claimed by another subject code); NULL when it is not.
-- Such a session is not planned until a person resolves it.
ALTER TABLE sessions ADD COLUMN identity_issue TEXT;
