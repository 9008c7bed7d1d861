ALTER TABLE sessions DROP COLUMN series_read_at;
