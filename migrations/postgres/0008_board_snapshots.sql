-- 0008: snapshots of the whole board, so the past can be read without folding the whole log.
--
-- Reading the board as it stood at change P means finding every task's newest version at or
-- before P: a fold over all P versions. A snapshot stores that answer for one position, a row per
-- task naming the version it held. The board at any later change is then the nearest snapshot
-- at or before it plus the versions appended after the snapshot, however long the log.
--
-- The store takes one whenever the log has grown by N changes since the last (N is the server's
-- --snapshot-every), each built from the previous snapshot plus the versions after it. Snapshots
-- are derived data, but they are history too: a snapshot of change P is true for ever, so it is
-- never changed or removed, and the same triggers and revoked privileges as task_versions guard
-- it. It can always be derived again from the log, which is how the tests check it.
CREATE TABLE board_snapshots (
    -- The log position the snapshot answers for: every version at or before it is folded in.
    position      bigint      PRIMARY KEY,
    -- The earlier snapshot it was built from; NULL when it was folded from the log alone. No
    -- foreign keys in this migration: checking one takes a row lock, which needs the UPDATE
    -- privilege these tables give up (as task_versions does, see task_current in 0001).
    base_position bigint,
    taken_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    CHECK (base_position < position)
);

CREATE TABLE board_snapshot_tasks (
    snapshot_position bigint NOT NULL,
    entity_id         uuid   NOT NULL,
    -- The version the task held at the snapshot's position (a tombstone when it was deleted).
    version_id        uuid   NOT NULL,
    version           bigint NOT NULL,
    position          bigint NOT NULL,
    PRIMARY KEY (snapshot_position, entity_id)
);

CREATE FUNCTION reject_snapshot_mutation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER board_snapshots_no_update BEFORE UPDATE ON board_snapshots
    FOR EACH ROW EXECUTE FUNCTION reject_snapshot_mutation();
CREATE TRIGGER board_snapshots_no_delete BEFORE DELETE ON board_snapshots
    FOR EACH ROW EXECUTE FUNCTION reject_snapshot_mutation();
CREATE TRIGGER board_snapshots_no_truncate BEFORE TRUNCATE ON board_snapshots
    FOR EACH STATEMENT EXECUTE FUNCTION reject_snapshot_mutation();
CREATE TRIGGER board_snapshot_tasks_no_update BEFORE UPDATE ON board_snapshot_tasks
    FOR EACH ROW EXECUTE FUNCTION reject_snapshot_mutation();
CREATE TRIGGER board_snapshot_tasks_no_delete BEFORE DELETE ON board_snapshot_tasks
    FOR EACH ROW EXECUTE FUNCTION reject_snapshot_mutation();
CREATE TRIGGER board_snapshot_tasks_no_truncate BEFORE TRUNCATE ON board_snapshot_tasks
    FOR EACH STATEMENT EXECUTE FUNCTION reject_snapshot_mutation();

REVOKE UPDATE, DELETE, TRUNCATE ON board_snapshots, board_snapshot_tasks FROM PUBLIC, CURRENT_USER;
