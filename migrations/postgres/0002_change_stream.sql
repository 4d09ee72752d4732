-- 0002: the version table becomes a stream that live pages and other server instances follow.
--
-- Subscribers remember the last position they saw and later ask for "everything after it". That
-- is only safe if positions become visible in order. An identity value is handed out when the
-- INSERT runs, not when it commits, so two transactions appending to different tasks could
-- commit 11 before 10, and a reader who saw 11 would never ask for 10. Taking one
-- transaction-scoped advisory lock before each append makes appends take turns, so position
-- order is commit order. Writers to the same task already queue on its task_current row; this
-- lock is taken after that one, always in the same order, so the two cannot deadlock.
CREATE FUNCTION take_append_turn() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- The key is an arbitrary constant naming this one lock; advisory locks share one key space.
    PERFORM pg_advisory_xact_lock(hashtext('task_versions append order'));
    RETURN NULL;
END;
$$;

-- Statement-level BEFORE triggers fire before the row (and its identity value) is formed.
CREATE TRIGGER task_versions_append_turn
    BEFORE INSERT ON task_versions
    FOR EACH STATEMENT EXECUTE FUNCTION take_append_turn();

-- Announces each append on the channel task_versions_appended. NOTIFY is transactional: the
-- message is delivered when the append commits and never if it rolls back, so every server
-- instance LISTENing on this database hears exactly the committed versions. Try it in psql:
--   LISTEN task_versions_appended;
CREATE FUNCTION announce_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('task_versions_appended', json_build_object(
        'position', NEW.position,
        'entity_id', NEW.entity_id,
        'version', NEW.version,
        'op', NEW.op
    )::text);
    RETURN NULL;
END;
$$;

CREATE TRIGGER task_versions_announce
    AFTER INSERT ON task_versions
    FOR EACH ROW EXECUTE FUNCTION announce_version();

-- The activity page filters the change feed by who made the change.
CREATE INDEX task_versions_actor_idx ON task_versions (actor, position DESC);
