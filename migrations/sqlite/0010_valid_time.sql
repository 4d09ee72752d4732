-- 0010: a second time on every version: when its content became true in the world (see
-- PostgreSQL's 0010 for the reading of the two times).
--
-- The column is added, never filled in: the versions already stored keep NULL, read as "true
-- from when recorded", and their hashes stay as they were. SQLite checks no constraint added to
-- an existing table, so a trigger holds every new row to the rule: a valid time is stated, and
-- it is not after the recording (both are fixed-width UTC text, so text order is time order).
ALTER TABLE task_versions ADD COLUMN valid_from TEXT;

CREATE TRIGGER task_versions_valid_from_stated
BEFORE INSERT ON task_versions
WHEN NEW.valid_from IS NULL OR NEW.valid_from > NEW.recorded_at
BEGIN
    SELECT RAISE(ABORT, 'valid_from_stated: a version states when it became true, not after it was recorded');
END;

-- The back-dated versions, alone in two partial indexes (see PostgreSQL's 0010).
CREATE INDEX task_versions_backdated_valid_idx ON task_versions (valid_from DESC, position DESC)
    WHERE valid_from < recorded_at;
CREATE INDEX task_versions_backdated_entity_idx ON task_versions (entity_id, version)
    WHERE valid_from < recorded_at;

-- The recorded-time span of each version, as on PostgreSQL: named for what it is now that
-- versions carry a valid time of their own.
DROP VIEW task_version_periods;
CREATE VIEW task_version_periods AS
SELECT v.position, v.id, v.entity_id, v.version, v.title, v.description, v.status, v.priority,
       v.due_date, v.op, v.recorded_at, v.deleted_at, v.actor, v.note, v.prev_hash, v.hash,
       v.valid_from,
       LEAD(v.recorded_at) OVER (PARTITION BY v.entity_id ORDER BY v.version) AS superseded_at
FROM task_versions v;
