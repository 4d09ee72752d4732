-- 0009: board statistics in a table the store rebuilds; PostgreSQL's 0009 uses a materialized
-- view.
--
-- Four figures describe the board: live tasks per status, changes per day, changes per person,
-- and the median time from a task's creation (version 1) to its first version whose status is
-- 'done'. Each is an aggregate over the whole log; stored, reading them costs a few rows, and
-- they are as old as their last rebuild.
--
-- SQLite has no materialized views. This table stands in for one: the store rebuilds it in one
-- write transaction (DELETE every row, then INSERT … SELECT the figures from the log), so a
-- reader sees the old figures or the new ones, never a mix. It is derived data, not the log:
-- rewriting it is the point, and task_versions stays append-only.
--
-- The same "long" shape as PostgreSQL's view, (kind, key, value): kind 'status' (key: the
-- status), 'day' (key: the UTC date, YYYY-MM-DD; instants are stored as UTC text, so its first
-- ten characters), 'actor', and 'median_seconds_to_done' (key: '', value NULL while no task is
-- done). The SELECT that fills it lives in the store (app/src/store/statistics.rs), beside
-- PostgreSQL's; it starts empty and is filled on the first visit to /learn/statistics.
CREATE TABLE task_statistics (
    kind  TEXT NOT NULL,
    key   TEXT NOT NULL,
    value REAL,
    PRIMARY KEY (kind, key)
) WITHOUT ROWID;

-- One row per rebuild: when, at which position of the log, how long it took, and what asked for
-- it. The page compares that position with the log's newest to say how stale the figures are.
-- The record is history, append-only by the same triggers as the log.
CREATE TABLE statistics_refreshes (
    id           INTEGER NOT NULL PRIMARY KEY,
    refreshed_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')),
    head         INTEGER NOT NULL CONSTRAINT refresh_head_known CHECK (head >= 0),
    elapsed_ms   REAL    NOT NULL CONSTRAINT refresh_elapsed_known CHECK (elapsed_ms >= 0),
    triggered_by TEXT    NOT NULL
        CONSTRAINT refresh_trigger_known CHECK (triggered_by IN ('on_demand', 'automatic'))
);

CREATE TRIGGER statistics_refreshes_no_update
BEFORE UPDATE ON statistics_refreshes
BEGIN
    SELECT RAISE(ABORT, 'statistics_refreshes is append-only: UPDATE is not allowed');
END;

CREATE TRIGGER statistics_refreshes_no_delete
BEFORE DELETE ON statistics_refreshes
BEGIN
    SELECT RAISE(ABORT, 'statistics_refreshes is append-only: DELETE is not allowed');
END;
