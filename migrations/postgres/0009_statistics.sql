-- 0009: board statistics as a materialized view, refreshed on demand and every so many changes.
-- (0008 holds the board snapshots.)
--
-- Four figures describe the board: live tasks per status, changes per day, changes per person,
-- and the median time from a task's creation (version 1) to its first version whose status is
-- 'done'. Each is an aggregate over the whole log: at a million versions, seconds of work. A
-- materialized view stores the result of its query like a table; reading it costs a few rows,
-- and it is as old as its last REFRESH. That trade (cheap reads, a known staleness) is the
-- pattern. The log stays the source of truth: the view can be dropped and refreshed from it at
-- any time, so unlike task_versions it may be rewritten.
--
-- One "long" view holds all four figures as (kind, key, value) rows: kind 'status' (key: the
-- status), 'day' (key: the UTC date, YYYY-MM-DD, every day that has changes; the page reads the
-- last 30), 'actor' (key: who made the change), and 'median_seconds_to_done' (key: '', value
-- NULL while no task is done). One view means one REFRESH, one snapshot and one staleness for
-- the whole page; the figures are small, so the rows are few.
--
-- The median is written with window functions (the middle row, or the mean of the middle two)
-- rather than percentile_cont, so the SQLite table (its own 0009) is filled by the same
-- definition. The store's "compute from the log" runs this same SELECT, to show what the view
-- saves.
CREATE MATERIALIZED VIEW task_statistics AS
SELECT 'status' AS kind, v.status AS key, count(*)::double precision AS value
FROM task_versions v
WHERE v.deleted_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM task_versions n
                  WHERE n.entity_id = v.entity_id AND n.version = v.version + 1)
GROUP BY v.status
UNION ALL
SELECT 'day', to_char(v.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), count(*)::double precision
FROM task_versions v
GROUP BY 2
UNION ALL
SELECT 'actor', v.actor, count(*)::double precision
FROM task_versions v
GROUP BY v.actor
UNION ALL
SELECT 'median_seconds_to_done', '', avg(ranked.seconds)
FROM (SELECT done.seconds,
             row_number() OVER (ORDER BY done.seconds) AS n,
             count(*) OVER () AS total
      FROM (SELECT EXTRACT(EPOCH FROM min(d.recorded_at) - c.recorded_at)::double precision
                   AS seconds
            FROM task_versions c
            JOIN task_versions d ON d.entity_id = c.entity_id AND d.status = 'done'
            WHERE c.version = 1
            GROUP BY c.entity_id, c.recorded_at) AS done) AS ranked
WHERE ranked.n IN ((ranked.total + 1) / 2, (ranked.total + 2) / 2);

-- REFRESH MATERIALIZED VIEW CONCURRENTLY builds the new contents beside the old and applies the
-- difference, so pages keep reading the old figures meanwhile instead of waiting on an
-- exclusive lock. It needs a unique index over plain columns to match old rows with new ones.
CREATE UNIQUE INDEX task_statistics_kind_key ON task_statistics (kind, key);

-- One row per refresh: when, at which position of the log (the newest one the refresh's
-- snapshot saw), how long it took, and what asked for it. The page compares that position with
-- the log's newest to say how stale the figures are, and refreshes by itself once they are
-- `every` changes behind. The record is history, append-only by the same means as the log.
CREATE TABLE statistics_refreshes (
    id           bigint           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    refreshed_at timestamptz      NOT NULL DEFAULT clock_timestamp(),
    head         bigint           NOT NULL CONSTRAINT refresh_head_known CHECK (head >= 0),
    elapsed_ms   double precision NOT NULL CONSTRAINT refresh_elapsed_known CHECK (elapsed_ms >= 0),
    triggered_by text             NOT NULL
        CONSTRAINT refresh_trigger_known CHECK (triggered_by IN ('on_demand', 'automatic'))
);

CREATE FUNCTION reject_refresh_mutation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'statistics_refreshes is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER statistics_refreshes_no_update
    BEFORE UPDATE ON statistics_refreshes
    FOR EACH ROW EXECUTE FUNCTION reject_refresh_mutation();

CREATE TRIGGER statistics_refreshes_no_delete
    BEFORE DELETE ON statistics_refreshes
    FOR EACH ROW EXECUTE FUNCTION reject_refresh_mutation();

CREATE TRIGGER statistics_refreshes_no_truncate
    BEFORE TRUNCATE ON statistics_refreshes
    FOR EACH STATEMENT EXECUTE FUNCTION reject_refresh_mutation();

-- The app's role keeps what it needs: REFRESH is reserved to the view's owner (this role), and a
-- materialized view takes no INSERT, UPDATE or DELETE from anyone, so there is nothing to revoke
-- on it. The record of refreshes gives up rewriting, like task_versions in 0001.
REVOKE UPDATE, DELETE, TRUNCATE ON statistics_refreshes FROM PUBLIC, CURRENT_USER;
