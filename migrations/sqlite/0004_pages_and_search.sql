-- 0004: lists that page, a title search, and time travel that walks an index instead of the log.
-- The same design as PostgreSQL's migration 0004 (read it for the reasoning); what differs is
-- how SQLite spells it.

-- SQLite cannot add a NOT NULL column without a default; the trigger below always sets them.
ALTER TABLE task_current ADD COLUMN title TEXT NOT NULL DEFAULT '';
ALTER TABLE task_current ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
UPDATE task_current SET
    title = (SELECT v.title FROM task_versions v WHERE v.id = task_current.version_id),
    position = (SELECT v.position FROM task_versions v WHERE v.id = task_current.version_id);

-- SQLite cannot replace a trigger's body, so the projection is dropped and created again.
DROP TRIGGER task_versions_project_current;
CREATE TRIGGER task_versions_project_current
AFTER INSERT ON task_versions
BEGIN
    INSERT INTO task_current
        (entity_id, version_id, version, title, status, priority, due_date, deleted_at, changed_at,
         position)
    VALUES
        (NEW.entity_id, NEW.id, NEW.version, NEW.title, NEW.status, NEW.priority, NEW.due_date,
         NEW.deleted_at, NEW.recorded_at, NEW.position)
    ON CONFLICT (entity_id) DO UPDATE SET
        version_id = excluded.version_id,
        version    = excluded.version,
        title      = excluded.title,
        status     = excluded.status,
        priority   = excluded.priority,
        due_date   = excluded.due_date,
        deleted_at = excluded.deleted_at,
        changed_at = excluded.changed_at,
        position   = excluded.position;
END;

DROP INDEX task_current_live_changed_idx;
DROP INDEX task_current_live_priority_idx;
DROP INDEX task_current_live_due_idx;
DROP INDEX task_current_deleted_idx;
CREATE INDEX task_current_live_changed_idx ON task_current (changed_at DESC, entity_id DESC)
    WHERE deleted_at IS NULL;
CREATE INDEX task_current_live_priority_idx ON task_current (priority DESC, changed_at DESC, entity_id DESC)
    WHERE deleted_at IS NULL;
CREATE INDEX task_current_live_due_idx ON task_current (COALESCE(due_date, '9999-12-31'), entity_id)
    WHERE deleted_at IS NULL;
CREATE INDEX task_current_deleted_idx ON task_current (deleted_at DESC, position DESC)
    WHERE deleted_at IS NOT NULL;

-- Title search: SQLite has no trigram index on ordinary tables, but its full-text engine has a
-- trigram tokenizer that answers substring matches. The search table shadows task_current's
-- titles by rowid and is kept by triggers on the read model (an upsert's DO UPDATE fires them).
CREATE VIRTUAL TABLE task_title_search USING fts5(title, tokenize = 'trigram');
INSERT INTO task_title_search (rowid, title) SELECT rowid, title FROM task_current;
CREATE TRIGGER task_current_search_insert
AFTER INSERT ON task_current
BEGIN
    INSERT INTO task_title_search (rowid, title) VALUES (NEW.rowid, NEW.title);
END;
CREATE TRIGGER task_current_search_update
AFTER UPDATE OF title ON task_current
BEGIN
    UPDATE task_title_search SET title = NEW.title WHERE rowid = NEW.rowid;
END;

CREATE INDEX task_versions_recorded_position_idx ON task_versions (recorded_at DESC, position DESC);
DROP INDEX task_versions_recorded_idx;
