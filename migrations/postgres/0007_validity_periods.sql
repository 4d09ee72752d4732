-- 0007: each version's period of validity, as a view.
--
-- A version is the task's state from the moment it was recorded until the moment the task's next
-- version was recorded; the newest version is valid until further notice (valid_to NULL). That
-- is the temporal-table reading of the log, written with a window function: nothing is stored
-- twice, and the view is always exactly what the log says.
--
-- The as-of board can be read through it (valid_from <= T AND (valid_to IS NULL OR valid_to > T)),
-- but a condition on a window function's result cannot use an index: the view computes every
-- version's period before it filters. Time travel in the app therefore walks the
-- (recorded_at, position) index instead (migration 0004) and checks each version's successor by
-- UNIQUE (entity_id, version). /learn/temporal runs both and shows they give the same board.
CREATE VIEW task_version_periods AS
SELECT v.position, v.id, v.entity_id, v.version, v.title, v.description, v.status, v.priority,
       v.due_date, v.op, v.recorded_at, v.deleted_at, v.actor, v.note, v.prev_hash, v.hash,
       v.recorded_at AS valid_from,
       LEAD(v.recorded_at) OVER (PARTITION BY v.entity_id ORDER BY v.version) AS valid_to
FROM task_versions v;
