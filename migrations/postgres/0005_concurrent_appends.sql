-- 0005: appends stop taking turns, and followers still never skip a version.
--
-- Migration 0002 made every append take one advisory lock so that positions became visible in
-- position order. It worked, but it made all writers queue: at a million versions 8 writers
-- managed 1,488 appends/s against 9,475/s for plain INSERTs. Its per-row NOTIFY was a second
-- queue: PostgreSQL commits transactions that have notified one at a time.
--
-- From here on a follower does not read in position order. Each version records the id of the
-- transaction that appended it, and a follower reads in (transaction_id, position) order, only
-- rows whose transaction is older than every transaction still running:
--     transaction_id < pg_snapshot_xmin(pg_current_snapshot())
-- Everything below that horizon has finished (committed and visible, or rolled back and gone),
-- and every transaction that could still commit has an id at or above it, so it sorts after
-- anything a follower has already passed. Positions keep numbering the rows and stay the cursor
-- browsers hold; the store finds a position's transaction to continue after it. The price: a
-- transaction left open holds followers back until it ends (the same as a lock would).

-- Rows already stored count as one old transaction (0), ordered among themselves by position.
-- A constant default fills them without rewriting the table; new rows get their own id.
ALTER TABLE task_versions ADD COLUMN transaction_id xid8 NOT NULL DEFAULT '0';
ALTER TABLE task_versions ALTER COLUMN transaction_id SET DEFAULT pg_current_xact_id();

-- The follower guarantee rests on this column, so no INSERT may choose its value.
CREATE FUNCTION stamp_transaction() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.transaction_id := pg_current_xact_id();
    RETURN NEW;
END;
$$;

CREATE TRIGGER task_versions_stamp_transaction
    BEFORE INSERT ON task_versions
    FOR EACH ROW EXECUTE FUNCTION stamp_transaction();

CREATE INDEX task_versions_follow_idx ON task_versions (transaction_id, position);

DROP TRIGGER task_versions_append_turn ON task_versions;
DROP FUNCTION take_append_turn();

-- The announcement moves out of the append: each server process sends one NOTIFY on
-- task_versions_appended after its appends commit, several commits folded into one. Listeners
-- (other server processes, or psql's LISTEN task_versions_appended) hear "something was
-- appended" and read after their cursor; the payload is no longer needed.
DROP TRIGGER task_versions_announce ON task_versions;
DROP FUNCTION announce_version();
