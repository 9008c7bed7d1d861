-- Events told to a person (docs/operations.md "Notifications"): each key once.
CREATE TABLE notifications (
    key TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    first_seen TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
