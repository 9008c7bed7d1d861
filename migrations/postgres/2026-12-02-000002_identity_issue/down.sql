ALTER TABLE sessions DROP COLUMN identity_issue;
