-- When the session's DICOM headers were last read (registration, or a re-read after its
-- folder changed): an invalid session whose folder changed since is read again.
ALTER TABLE sessions ADD COLUMN series_read_at TIMESTAMP;
