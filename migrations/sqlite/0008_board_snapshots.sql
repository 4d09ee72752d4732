-- 0008: snapshots of the whole board (the same as PostgreSQL's 0008).
--
-- Reading the board as it stood at change P means finding every task's newest version at or
-- before P: a fold over all P versions. A snapshot stores that answer for one position, a row per
-- task naming the version it held. The board at any later change is then the nearest snapshot
-- at or before it plus the versions appended after the snapshot, however long the log.
--
-- The store takes one whenever the log has grown by N changes since the last, each built from
-- the previous snapshot plus the versions after it. A snapshot of change P is true for ever, so
-- it is append-only by the same triggers as task_versions, and can always be derived again from
-- the log.
CREATE TABLE board_snapshots (
    position      INTEGER NOT NULL PRIMARY KEY,
    base_position INTEGER REFERENCES board_snapshots (position),
    taken_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')),
    CHECK (base_position < position)
);

CREATE TABLE board_snapshot_tasks (
    snapshot_position INTEGER NOT NULL REFERENCES board_snapshots (position),
    entity_id         TEXT    NOT NULL,
    version_id        TEXT    NOT NULL REFERENCES task_versions (id),
    version           INTEGER NOT NULL,
    position          INTEGER NOT NULL,
    PRIMARY KEY (snapshot_position, entity_id)
) WITHOUT ROWID;

CREATE TRIGGER board_snapshots_no_update BEFORE UPDATE ON board_snapshots
BEGIN
    SELECT RAISE(ABORT, 'board_snapshots is append-only: UPDATE is not allowed');
END;

CREATE TRIGGER board_snapshots_no_delete BEFORE DELETE ON board_snapshots
BEGIN
    SELECT RAISE(ABORT, 'board_snapshots is append-only: DELETE is not allowed');
END;

CREATE TRIGGER board_snapshot_tasks_no_update BEFORE UPDATE ON board_snapshot_tasks
BEGIN
    SELECT RAISE(ABORT, 'board_snapshot_tasks is append-only: UPDATE is not allowed');
END;

CREATE TRIGGER board_snapshot_tasks_no_delete BEFORE DELETE ON board_snapshot_tasks
BEGIN
    SELECT RAISE(ABORT, 'board_snapshot_tasks is append-only: DELETE is not allowed');
END;
