-- 0006: a form submitted twice appends once. (The same number as PostgreSQL's 0006; SQLite needed
-- no 0005, whose transaction ids exist only there.)
--
-- A double click, the back button followed by a resubmit, or a retry after a dropped connection
-- sends the same write again. Every write form carries a key made when the form was drawn; the
-- store records which version each key produced, in the same transaction as the append. A key
-- seen again is answered with that version and nothing is appended. SQLite runs one write
-- transaction at a time, so the second submission always finds the first one's key.
--
-- The record is history like the versions themselves, append-only by the same triggers.
CREATE TABLE idempotency_keys (
    key         TEXT NOT NULL PRIMARY KEY CHECK (length(key) = 36),
    -- The version the first submission appended.
    version_id  TEXT NOT NULL UNIQUE REFERENCES task_versions (id),
    recorded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000Z', 'now'))
);

CREATE TRIGGER idempotency_keys_no_update
BEFORE UPDATE ON idempotency_keys
BEGIN
    SELECT RAISE(ABORT, 'idempotency_keys is append-only: UPDATE is not allowed');
END;

CREATE TRIGGER idempotency_keys_no_delete
BEFORE DELETE ON idempotency_keys
BEGIN
    SELECT RAISE(ABORT, 'idempotency_keys is append-only: DELETE is not allowed');
END;
