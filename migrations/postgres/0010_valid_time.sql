-- 0010: a second time on every version: when its content became true in the world.
--
-- recorded_at says when the database learned a fact; valid_from says since when the fact held.
-- They differ when news arrives late ("done as of Tuesday 17:00", typed on Wednesday) and when a
-- person corrects the past ("it was actually done on Monday"). A version states its content from
-- valid_from on, as known from recorded_at on; the board at valid time V as known at K takes, for
-- each task, the latest version recorded by K whose valid_from is at or before V.
--
-- The column is added, never filled in: rewriting the versions already stored is exactly what
-- this table forbids. Those rows keep NULL, read as "true from when recorded", and their hashes
-- stay as they were; a version appended from now on must state its valid time (the app defaults
-- it to the moment of recording), it may not lie after its recording, and the hash chain covers
-- it. NOT VALID: the rule binds every new row and leaves the old ones as they were written.
ALTER TABLE task_versions ADD COLUMN valid_from timestamptz;
ALTER TABLE task_versions ADD CONSTRAINT valid_from_stated
    CHECK (valid_from IS NOT NULL AND valid_from <= recorded_at) NOT VALID;

-- Back-dated versions (valid_from before recorded_at: late news and corrections) are few, so two
-- partial indexes hold only them. The board at valid time V as known at K walks the recorded-time
-- index for the versions that held from their recording, and the first of these for the rest;
-- the second answers "did a later back-dated version of this task replace this one?" with a
-- probe that finds nothing for almost every task. Appends that state no earlier time write no
-- entry in either.
CREATE INDEX task_versions_backdated_valid_idx ON task_versions (valid_from DESC, position DESC)
    WHERE valid_from < recorded_at;
CREATE INDEX task_versions_backdated_entity_idx ON task_versions (entity_id, version)
    WHERE valid_from < recorded_at;

-- The view of 0007 called the time a version was the latest one recorded its "validity". Now
-- that versions carry a valid time of their own, that period is named for what it is: the span
-- of recorded (system) time from a version's recording until the next one's.
DROP VIEW task_version_periods;
CREATE VIEW task_version_periods AS
SELECT v.position, v.id, v.entity_id, v.version, v.title, v.description, v.status, v.priority,
       v.due_date, v.op, v.recorded_at, v.deleted_at, v.actor, v.note, v.prev_hash, v.hash,
       v.valid_from,
       LEAD(v.recorded_at) OVER (PARTITION BY v.entity_id ORDER BY v.version) AS superseded_at
FROM task_versions v;
