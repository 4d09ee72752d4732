-- 0004: lists that page, a title search, and time travel that walks an index instead of the log.
--
-- At a million versions every list was read whole. From here on each list is read a page at a
-- time with keyset pagination: the page after a row is "the rows that sort after its key", so an
-- index seeks straight to it, however deep the page. That needs every list's order to end in a
-- unique column (the tie-breaker) and an index that holds exactly that order, all in one
-- direction so a row comparison such as (changed_at, entity_id) < ($1, $2) can use it.

-- The read model carries the title, so the list can be searched without touching the log, and
-- the position of the version it points at, the deleted list's tie-breaker.
ALTER TABLE task_current ADD COLUMN title text, ADD COLUMN position bigint;
UPDATE task_current c SET title = v.title, position = v.position
    FROM task_versions v WHERE v.id = c.version_id;
ALTER TABLE task_current ALTER COLUMN title SET NOT NULL, ALTER COLUMN position SET NOT NULL;

CREATE OR REPLACE FUNCTION project_current_task() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_current AS current
        (entity_id, version_id, version, title, status, priority, due_date, deleted_at, changed_at,
         position)
    VALUES
        (NEW.entity_id, NEW.id, NEW.version, NEW.title, NEW.status, NEW.priority, NEW.due_date,
         NEW.deleted_at, NEW.recorded_at, NEW.position)
    ON CONFLICT (entity_id) DO UPDATE SET
        version_id = EXCLUDED.version_id,
        version    = EXCLUDED.version,
        title      = EXCLUDED.title,
        status     = EXCLUDED.status,
        priority   = EXCLUDED.priority,
        due_date   = EXCLUDED.due_date,
        deleted_at = EXCLUDED.deleted_at,
        changed_at = EXCLUDED.changed_at,
        position   = EXCLUDED.position;
    RETURN NULL;
END;
$$;

-- The three sorts of the live list and the deleted list, each ending in its tie-breaker. Tasks
-- without a due date sort last through one stand-in date, so the due order is one ascending key.
DROP INDEX task_current_live_changed_idx;
DROP INDEX task_current_live_priority_idx;
DROP INDEX task_current_live_due_idx;
DROP INDEX task_current_deleted_idx;
CREATE INDEX task_current_live_changed_idx ON task_current (changed_at DESC, entity_id DESC)
    WHERE deleted_at IS NULL;
CREATE INDEX task_current_live_priority_idx ON task_current (priority DESC, changed_at DESC, entity_id DESC)
    WHERE deleted_at IS NULL;
CREATE INDEX task_current_live_due_idx ON task_current ((COALESCE(due_date, DATE '9999-12-31')), entity_id)
    WHERE deleted_at IS NULL;
CREATE INDEX task_current_deleted_idx ON task_current (deleted_at DESC, position DESC)
    WHERE deleted_at IS NOT NULL;

-- Title search: a trigram index answers ILIKE '%words%' without reading every title.
-- pg_trgm is a trusted extension, so the database's owner may create it without a superuser.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX task_current_title_search_idx ON task_current USING gin (title gin_trgm_ops)
    WHERE deleted_at IS NULL;

-- Time travel. The board as of T is every version recorded at or before T whose successor (if
-- any) was recorded after T. Walking this index newest first from T and checking each version's
-- successor through UNIQUE (entity_id, version) finds a page of that board after reading about a
-- page of versions, where "latest version per task before T" had to read and sort all of them.
-- The position breaks ties between versions recorded in the same microsecond.
CREATE INDEX task_versions_recorded_position_idx ON task_versions (recorded_at DESC, position DESC);
DROP INDEX task_versions_recorded_idx;
